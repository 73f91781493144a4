"""The built-in layers and models, registered from the one table (``modelspec.table``).

Each table entry gets one registry entry: a model's ``loss_and_grads`` against its
autograd ``loss``; a layer's ``forward``/``backward`` against autograd's vector-Jacobian
product of its twin (:mod:`crosscheck.vjp`). What the cross-check needs beyond the
table (the strategy, pinned examples, where finite differences apply) is :data:`CHECKS`,
keyed by the table's entries.
"""
import functools

import numpy as np

import modelspec
from crosscheck import contracts, numeric, regimes, strategies, vjp
from crosscheck.registry import Case, Model, register
from manual import losses as manual_losses
from modelspec import table


_uniform = regimes.uniform


def _linear_examples():
    rng = np.random.default_rng(0)
    params = {"W": _uniform(rng, (3, 2)), "b": _uniform(rng, 2)}
    return (
        # three leading axes: dW and db sum over every one of them
        Case(params, (_uniform(rng, (2, 3, 2, 3)), _uniform(rng, (2, 3, 2, 2))), {}),
        # batch 1, one input and one output: the smallest layer
        Case({"W": np.array([[0.5]]), "b": np.array([-0.25])}, (np.array([[2.0]]), np.array([[1.5]])), {}),
    )


def _like(made, seed=0):
    """Parameters shaped as ``made`` (what an ``init_params`` returns), each drawn uniform
    in [-1, 1] in its order, the recurrent weights (``Whh...``) in [-0.5, 0.5]."""
    return regimes.like(made, np.random.default_rng(seed))


def _cell_params(cell, n_in, hidden, seed=0):
    """One recurrent layer of ``cell`` (a table entry): see :func:`_like`."""
    return _like(cell.manual_module().init_params(n_in, hidden, rng=0), seed)


def _recurrent_params(n_in, hidden, seed=0):
    return _cell_params(table.RECURRENT, n_in, hidden, seed)


def _recurrent_examples():
    rng = np.random.default_rng(2)
    kink = {**_recurrent_params(2, 3), "bh": np.zeros(3)}
    return (
        # T = 1, batch 1, a gradient at the last state only (what a many-to-one head sends)
        Case(_recurrent_params(2, 3), (_uniform(rng, (1, 1, 2)), None),
             dict(activation="tanh", truncate=None, dh_last=_uniform(rng, (1, 3)))),
        # a gradient at every state and at the last, window = T (h_0 held constant), h0 given
        Case(_recurrent_params(3, 4), (_uniform(rng, (2, 4, 3)), _uniform(rng, (2, 4, 4))),
             dict(activation="tanh", truncate=4, h0=_uniform(rng, (2, 4)), dh_last=_uniform(rng, (2, 4)))),
        # a window shorter than T with a gradient at every state, relu
        Case(_recurrent_params(2, 3, seed=4), (_uniform(rng, (3, 5, 2)), _uniform(rng, (3, 5, 3))),
             dict(activation="relu", truncate=2, h0=_uniform(rng, (3, 3)))),
        # zero input, bias and h0: every pre-activation of step 1 is exactly 0, the ReLU kink
        Case(kink, (np.zeros((2, 3, 2)), _uniform(rng, (2, 3, 3))), dict(activation="relu", truncate=None)),
    )


def _mlp_kink_example():
    # every hidden pre-activation is exactly 0 (zero input, zero bias): the ReLU kink,
    # where both sides must take the derivative as 0 (seed 001's convention)
    params = {"W0": np.array([[0.5, -1.0, 0.25]]), "b0": np.zeros(3),
              "W1": np.array([[1.0], [-0.5], [0.75]]), "b1": np.array([0.1])}
    return Case(params, (np.zeros((2, 1)), np.array([[0.3], [-0.2]])),
                dict(loss="mse", activation="relu", reduction="mean"))


def _rnn_params(n_in, hidden, n_out, seed=0):
    rng = np.random.default_rng(seed)
    return {**_recurrent_params(n_in, hidden, seed=seed), "Wy": _uniform(rng, (hidden, n_out)),
            "by": _uniform(rng, n_out)}


def _rnn_examples():
    rng = np.random.default_rng(1)
    kink = _rnn_params(2, 3, 1)
    kink["bh"] = np.zeros(3)
    return (
        # T = 1, batch 1: the shortest sequence
        Case(_rnn_params(2, 3, 2), (_uniform(rng, (1, 1, 2)), np.array([1])),
             dict(loss="cross_entropy", output="last", truncate=None, reduction="mean",
                  activation="tanh")),
        # truncation window = T (h_0 held constant) on a many-to-many net with h0 given
        Case(_rnn_params(3, 4, 2), (_uniform(rng, (2, 4, 3)), rng.uniform(0, 1, (2, 4, 2))),
             dict(loss="bce", output="all", truncate=4, reduction="sum", activation="tanh",
                  h0=_uniform(rng, (2, 4)))),
        # zero input, zero bias, zero h0: every pre-activation of step 1 is exactly 0,
        # the ReLU kink, where both sides take the derivative as 0
        Case(kink, (np.zeros((2, 3, 2)), np.array([[0.5], [-0.5]])),
             dict(loss="mse", output="last", truncate=None, reduction="mean", activation="relu")),
        _rnn_large_logits_example(),
        # ReLU with a given h0, a window shorter than T on a many-to-many net, under a mean
        # BCE over 2 outputs: "mean" divides by batch * T * n_out, not by the batch (seed
        # 003's mean). Drawn cases need all of that at once, which 60 examples may not reach.
        Case(_rnn_params(2, 3, 2, seed=4),
             (_uniform(rng, (3, 4, 2)), rng.uniform(0, 1, (3, 4, 2))),
             dict(loss="bce", output="all", truncate=2, reduction="mean", activation="relu",
                  h0=_uniform(rng, (3, 3)))),
    )


def _rnn_large_logits_example():
    # seed 004's many-to-many softmax net with logits near +-1600: exp(z) without the max
    # shift overflows (exp(710) = inf), which the drawn cases (|logit| <= ~20) never reach
    params = {"Wxh": np.array([[4.0, -3.0], [-2.0, 5.0]]), "Whh": np.array([[0.5, -0.25], [0.1, 0.3]]),
              "bh": np.array([0.1, -0.2]), "Wy": np.array([[800.0, -800.0, 0.0], [0.0, 800.0, -800.0]]),
              "by": np.array([0.5, 0.0, -0.5])}
    x = np.eye(2)[np.array([[0, 1, 1], [1, 0, 0]])]                 # one-hot tokens (2, 3, 2)
    return Case(params, (x, np.array([[0, 2, 1], [1, 0, 2]])),
                dict(loss="cross_entropy", output="all", truncate=2, reduction="mean",
                     activation="tanh"))


def _smooth_recurrence(case):
    # finite differences see the true gradient: no ReLU kinks (the gated cells have none),
    # and no truncation shorter than the sequence (a longer window is full BPTT)
    return case.options.get("activation", "tanh") == "tanh" and (
        case.options["truncate"] is None or case.options["truncate"] > case.args[0].shape[1])


_STATE = ("None", "(batch, H) array")
_RECURRENT_OPTIONS = dict(activation=modelspec.recurrent.ACTIVATIONS, truncate=("None", "1, 2, ..."),
                          h0=_STATE)
_LAST_STATE = vjp.Upstream("dh_last", "h")

# What the cross-check needs of each table entry beyond its manual and auto modules.
CHECKS = {
    table.LINEAR: dict(cases=strategies.linear_cases, arg_names=("x", "dout"),
                       examples=_linear_examples()),
    table.RECURRENT: dict(cases=strategies.recurrent_cases, arg_names=("x", "dout"),
                          input_grads=("x", "h0"), examples=_recurrent_examples(),
                          options={**_RECURRENT_OPTIONS, "dh_last": _STATE},
                          smooth=_smooth_recurrence, upstream=(_LAST_STATE,)),
    table.MLP: dict(cases=strategies.mlp_cases, examples=(_mlp_kink_example(),),
                    options=dict(loss=modelspec.LOSSES, activation=modelspec.mlp.ACTIVATIONS,
                                 reduction=modelspec.REDUCTIONS),
                    smooth=lambda case: case.options["activation"] != "relu"),
    table.RNN: dict(cases=strategies.rnn_cases, input_grads=("x", "h0"), examples=_rnn_examples(),
                    options=dict(loss=modelspec.LOSSES, output=modelspec.rnn.OUTPUTS,
                                 reduction=modelspec.REDUCTIONS, **_RECURRENT_OPTIONS),
                    smooth=_smooth_recurrence),
}


# --------------------------------------------------------------------------- lstm

def _lstm_params(n_in, hidden, seed=0):
    return _cell_params(table.LSTM, n_in, hidden, seed)


def _lstm_examples():
    rng = np.random.default_rng(3)
    return (
        # T = 1, batch 1, gradients at the last h and c only (what a many-to-one head sends)
        Case(_lstm_params(2, 3), (_uniform(rng, (1, 1, 2)), None),
             dict(truncate=None, dh_last=_uniform(rng, (1, 3)), dc_last=_uniform(rng, (1, 3)))),
        # full BPTT with every upstream gradient, h0 and c0 given: every path through the
        # cell, the carries of h and c across steps, and dh0, dc0
        Case(_lstm_params(3, 4, seed=1), (_uniform(rng, (2, 4, 3)), _uniform(rng, (2, 4, 4))),
             dict(truncate=None, h0=_uniform(rng, (2, 4)), c0=_uniform(rng, (2, 4)),
                  dh_last=_uniform(rng, (2, 4)), dc_last=_uniform(rng, (2, 4)))),
        # window = T: h0 and c0 held constant
        Case(_lstm_params(3, 2, seed=2), (_uniform(rng, (3, 3, 3)), _uniform(rng, (3, 3, 2))),
             dict(truncate=3, h0=_uniform(rng, (3, 2)), c0=_uniform(rng, (3, 2)),
                  dc_last=_uniform(rng, (3, 2)))),
        # a window shorter than T with a gradient at every step: k carried (dh, dc) pairs
        Case(_lstm_params(2, 3, seed=4), (_uniform(rng, (2, 5, 2)), _uniform(rng, (2, 5, 3))),
             dict(truncate=2, h0=_uniform(rng, (2, 3)), c0=_uniform(rng, (2, 3)),
                  dh_last=_uniform(rng, (2, 3)))),
        # a gradient at the last cell state only, one window shorter than T
        Case(_lstm_params(2, 2, seed=5), (_uniform(rng, (2, 4, 2)), None),
             dict(truncate=2, c0=_uniform(rng, (2, 2)), dc_last=_uniform(rng, (2, 2)))),
    )


CHECKS[table.LSTM] = dict(
    cases=strategies.lstm_cases, arg_names=("x", "dout"), input_grads=("x", "h0", "c0"),
    examples=_lstm_examples(), smooth=_smooth_recurrence,
    options=dict(truncate=("None", "1, 2, ..."), h0=_STATE, c0=_STATE,
                 dh_last=_STATE, dc_last=_STATE),
    upstream=(vjp.Upstream("dh_last", "h"), vjp.Upstream("dc_last", "c")))


# --------------------------------------------------------------------------- gru

def _gru_params(n_in, hidden, seed=0):
    return _cell_params(table.GRU, n_in, hidden, seed)


def _gru_examples():
    rng = np.random.default_rng(6)
    return (
        # T = 1, batch 1, a gradient at the last state only (what a many-to-one head sends)
        Case(_gru_params(2, 3), (_uniform(rng, (1, 1, 2)), None),
             dict(truncate=None, dh_last=_uniform(rng, (1, 3)))),
        # full BPTT, a gradient at every state and at the last, h0 given: every path
        # through the cell (the direct z * h_{t-1} and through Whh), dh0
        Case(_gru_params(3, 4, seed=1), (_uniform(rng, (2, 4, 3)), _uniform(rng, (2, 4, 4))),
             dict(truncate=None, h0=_uniform(rng, (2, 4)), dh_last=_uniform(rng, (2, 4)))),
        # window = T: h0 held constant for the terms at h_T
        Case(_gru_params(2, 3, seed=2), (_uniform(rng, (3, 3, 2)), _uniform(rng, (3, 3, 3))),
             dict(truncate=3, h0=_uniform(rng, (3, 3)), dh_last=_uniform(rng, (3, 3)))),
        # a window shorter than T with a gradient at every step: k carried gradients
        Case(_gru_params(2, 3, seed=3), (_uniform(rng, (2, 5, 2)), _uniform(rng, (2, 5, 3))),
             dict(truncate=2, h0=_uniform(rng, (2, 3)))),
        # a gradient at the last state only, one window shorter than T
        Case(_gru_params(3, 2, seed=4), (_uniform(rng, (2, 4, 3)), None),
             dict(truncate=2, h0=_uniform(rng, (2, 2)), dh_last=_uniform(rng, (2, 2)))),
    )


CHECKS[table.GRU] = dict(
    cases=strategies.gru_cases, arg_names=("x", "dout"), input_grads=("x", "h0"),
    examples=_gru_examples(), smooth=_smooth_recurrence,
    options=dict(truncate=("None", "1, 2, ..."), h0=_STATE, dh_last=_STATE),
    upstream=(vjp.Upstream("dh_last", "h"),))


# --------------------------------------------------------------------------- embedding

def _embedding_examples():
    rng = np.random.default_rng(3)
    return (
        # every id the same token: its row gets the sum of all of dout, the other rows 0
        Case({"W": _uniform(rng, (3, 2))}, (np.full((2, 4), 1), _uniform(rng, (2, 4, 2))), {}),
        # vocab 1, batch 1, T = 1: the smallest layer
        Case({"W": _uniform(rng, (1, 3))}, (np.zeros((1, 1), dtype=np.int64), _uniform(rng, (1, 1, 3))), {}),
        # tokens repeated at different places, token 2 never used (its row's gradient is 0),
        # batch != time: a dout flattened in another order than the ids pairs other tokens
        Case({"W": _uniform(rng, (5, 3))}, (np.array([[0, 3, 3, 1], [3, 0, 4, 0]]), _uniform(rng, (2, 4, 3))), {}),
    )


# x holds integer token ids, data without a gradient: parameter gradients only. The output
# is linear in W, so finite differences always apply (the default smooth: no options).
CHECKS[table.EMBEDDING] = dict(cases=strategies.embedding_cases, arg_names=("x", "dout"),
                               input_grads=(), examples=_embedding_examples())


# --------------------------------------------------------------------------- activation

def _activation_examples():
    rng = np.random.default_rng(8)
    # x exactly 0 (and -0.0) among ordinary values: ReLU's kink, derivative 0 on both sides
    kink = np.array([[0.0, -1.5, 2.0], [-0.0, 0.0, 0.5], [0.0, -2.0, 0.0]])
    # |x| from 8 to 40: tanh and sigmoid at or next to -1, 0 and 1, their derivatives from
    # 3e-4 (sigmoid at 8) down to exactly 0, under a large upstream gradient
    saturated = np.array([[-40.0, -20.0, -8.0], [8.0, 20.0, 40.0]])
    return (
        Case({}, (2 * _uniform(rng, (2, 3, 3)), _uniform(rng, (2, 3, 3))), dict(activation="relu")),
        Case({}, (2 * _uniform(rng, 4), _uniform(rng, 4)), dict(activation="tanh")),
        Case({}, (2 * _uniform(rng, (3, 2)), _uniform(rng, (3, 2))), dict(activation="sigmoid")),
        Case({}, (kink, _uniform(rng, kink.shape)), dict(activation="relu")),
        Case({}, (saturated, 1000 * _uniform(rng, saturated.shape)), dict(activation="tanh")),
        Case({}, (saturated, 1000 * _uniform(rng, saturated.shape)), dict(activation="sigmoid")),
    )


def _smooth_activation(case):
    # the layer has no parameters, so finite differences are taken of x: they straddle
    # ReLU's kink where some |x| is within their step (numeric.STEP for |x| <= 1) of 0
    return case.options["activation"] != "relu" or bool(np.all(np.abs(case.args[0]) > numeric.STEP))


CHECKS[table.ACTIVATION] = dict(cases=strategies.activation_cases, arg_names=("x", "dout"),
                                examples=_activation_examples(), smooth=_smooth_activation,
                                options=dict(activation=modelspec.activation.ACTIVATIONS))


# --------------------------------------------------------------------------- stacks

def _stack_params(cell, n_in, hidden, layers, directions, seed=0):
    """Parameters of a stack of ``cell`` drawn uniform in [-1, 1] (recurrent weights in
    [-0.5, 0.5]), shaped as its ``init_params`` makes them."""
    from manual.layers import stack
    return _like(stack.init_params(n_in, hidden, layers, cell=cell, bidirectional=directions == 2, rng=0), seed)


def _stack_examples(cell):
    """Per cell: a bidirectional two-layer stack with a gradient at every step and at the
    final states, h0 given (a backward that forgets to reverse, or does not send the
    second layer's input gradient down, is wrong here); a two-layer window shorter than T
    (final-state gradients only); the smallest stack, T = 1, batch 1, bidirectional."""
    rng = np.random.default_rng(5)
    states = modelspec.stack.CELL_STATES[cell]
    activation = dict(activation="tanh")

    def initial(slots, batch):
        return {f"{s}0": _uniform(rng, (slots, batch, 3)) for s in states}

    def last(slots, batch):
        return {f"d{s}_last": _uniform(rng, (slots, batch, 3)) for s in states}
    return (
        Case(_stack_params(cell, 2, 3, 2, 2), (_uniform(rng, (2, 3, 2)), _uniform(rng, (2, 3, 6))),
             dict(cell=cell, truncate=None, **activation, **initial(4, 2), **last(4, 2))),
        Case(_stack_params(cell, 2, 3, 2, 1, seed=1), (_uniform(rng, (2, 4, 2)), None),
             dict(cell=cell, truncate=2, **activation, **initial(2, 2), **last(2, 2))),
        Case(_stack_params(cell, 1, 3, 1, 2, seed=2), (_uniform(rng, (1, 1, 1)), _uniform(rng, (1, 1, 6))),
             dict(cell=cell, truncate=None, **activation)),
    )


_STATE_SLOTS = ("None", "(L * D, batch, H) array")
CHECKS[table.STACK] = dict(
    cases=strategies.stack_cases, arg_names=("x", "dout"), input_grads=("x", "h0", "c0"),
    examples=tuple(case for cell in modelspec.stack.CELLS for case in _stack_examples(cell)),
    options=dict(cell=modelspec.stack.CELLS, activation=modelspec.recurrent.ACTIVATIONS,
                 truncate=("None", "1, 2, ..."), h0=_STATE_SLOTS, c0=_STATE_SLOTS,
                 dh_last=_STATE_SLOTS, dc_last=_STATE_SLOTS),
    smooth=_smooth_recurrence,
    upstream=(vjp.Upstream("dh_last", "h"), vjp.Upstream("dc_last", "c")))


def _seqnet_examples(cell):
    """Per cell: a two-layer bidirectional network on token ids, many-to-one, h0 given; a
    two-layer many-to-one window shorter than T under a mean BCE over 2 outputs; one layer,
    many-to-many with a window shorter than T and every initial state given."""
    from manual import seqnet
    rng = np.random.default_rng(7)
    states = modelspec.stack.CELL_STATES[cell]

    def params(layers, bidirectional, vocab=None, seed=0):
        return _like(seqnet.init_params(2, 3, 2, layers, cell=cell, bidirectional=bidirectional, vocab=vocab,
                                        rng=0), seed)

    def initial(slots, batch):
        return {f"{s}0": _uniform(rng, (slots, batch, 3)) for s in states}
    common = dict(cell=cell, activation="tanh")
    return (
        Case(params(2, True, vocab=4), (np.array([[0, 3, 3], [2, 2, 1]]), np.array([1, 0])),
             dict(loss="cross_entropy", output="last", truncate=None, reduction="mean", **common,
                  **initial(4, 2))),
        Case(params(2, False, seed=1), (_uniform(rng, (3, 4, 2)), rng.uniform(0, 1, (3, 2))),
             dict(loss="bce", output="last", truncate=2, reduction="mean", **common)),
        Case(params(1, False, seed=2), (_uniform(rng, (2, 4, 2)), _uniform(rng, (2, 4, 2))),
             dict(loss="mse", output="all", truncate=2, reduction="sum", **common, **initial(1, 2))),
    )


CHECKS[table.SEQNET] = dict(
    cases=strategies.seqnet_cases, input_grads=("x", "h0", "c0"),
    examples=tuple(case for cell in modelspec.stack.CELLS for case in _seqnet_examples(cell)),
    options=dict(loss=modelspec.LOSSES, cell=modelspec.stack.CELLS, output=modelspec.rnn.OUTPUTS,
                 reduction=modelspec.REDUCTIONS, activation=modelspec.recurrent.ACTIVATIONS,
                 truncate=("None", "1, 2, ..."), h0=_STATE_SLOTS, c0=_STATE_SLOTS),
    smooth=_smooth_recurrence)


# one pinned example per regime of every recurrent layer and model (crosscheck.regimes)
for _entry in regimes.ENTRIES:
    CHECKS[_entry]["examples"] = tuple(CHECKS[_entry]["examples"]) + regimes.examples(_entry)


def overwritten_after(forward):
    """``forward(params, x, ...)`` called on a copy of x that is overwritten (NaN, or -1 for
    token ids) as soon as it returns. Our layers and models promise that changing x between
    forward and backward changes nothing, so their caches hold copies: one that holds the
    caller's array instead gets other gradients here (a disagreement or a crash)."""
    @functools.wraps(forward)
    def fn(params, x, *args, **options):
        mine = np.array(x)
        result = forward(params, mine, *args, **options)
        mine[...] = -1 if mine.dtype.kind in "iu" else np.nan
        return result
    return fn


def with_public_path(module):
    """A model's ``loss_and_grads``, checked with its public ``forward`` and ``backward``
    on the same case: the loss of the logits, by the public function of ``manual.losses``
    (``binary_cross_entropy``, ... as ``LOSSES`` names them, and ``loss_and_grad``, which
    must agree with it), must equal the value ``loss_and_grads`` returns, and its gradient
    at the logits goes through ``backward``, whose gradients (parameters, then x and the
    initial states given) must equal those of ``loss_and_grads``; to
    :data:`crosscheck.contracts.REPEAT_RTOL`, an ``AssertionError`` naming the first that
    differs otherwise (a crash). Both paths are then compared with autograd through the
    one ``loss_and_grads`` returns.

    The upstream gradient ``backward`` gets is then drawn as freely as the targets: with
    "mse" it is ``2 (logits - y) / N`` for a drawn real ``y``, any array of the logits'
    shape; "bce" and "cross_entropy" add the bounded gradients of those losses."""
    forward_keys = vjp.keywords(module.forward) - {"params", "x"}
    backward_keys = vjp.keywords(module.backward) - {"params", "cache", "dlogits", "dout"}
    public_loss = f"{manual_losses.__name__}.LOSSES"

    def fn(params, x, y, *, loss, reduction="mean", return_input_grads=False, **options):
        result = module.loss_and_grads(params, x, y, loss=loss, reduction=reduction,
                                       return_input_grads=return_input_grads, **options)
        logits, cache = overwritten_after(module.forward)(
            params, x, **{k: v for k, v in options.items() if k in forward_keys})
        value, dlogits = manual_losses.LOSSES[loss](logits, y, reduction)
        by_name = manual_losses.loss_and_grad(loss, logits, y, reduction)
        grads, *inputs = module.backward(params, cache, dlogits,
                                         **{k: v for k, v in options.items() if k in backward_keys})
        if np.asarray(x).dtype.kind in "biu" and inputs[0] is not None:
            raise AssertionError(f"{module.__name__}.backward returned a gradient for x, which holds "
                                 f"token ids: it must return None for it")
        theirs = {"loss": result[0], "loss_and_grad": by_name[0], "dlogits": by_name[1], **result[1]}
        ours = {"loss": value, "loss_and_grad": value, "dlogits": dlogits, **grads}
        if return_input_grads:
            given = dict(zip(("x", "h0", "c0"), inputs))
            theirs.update({f"d{k}": v for k, v in result[2].items()})
            ours.update({f"d{k}": given[k] for k in result[2]})
        differs = contracts.first_difference(theirs, ours)
        if differs is not None:
            raise AssertionError(f"the public path (forward, {public_loss}[{loss!r}], backward) disagrees "
                                 f"with loss_and_grads: {differs} (loss_and_grads' value, then the "
                                 f"public path's)")
        return result
    fn.__name__ = f"{module.__name__}.loss_and_grads"
    fn.public_path = True
    # contracts.call's re-calls on the same case (twice in a row, without input gradients)
    # test loss_and_grads' own answers: the public path, checked by the first call, is not
    # run again for them
    fn.again = module.loss_and_grads
    return fn


def model_of(entry):
    """The registry :class:`Model` of a table entry (an implementation of another entry
    gets that one's checks)."""
    check = dict(CHECKS[table.get(entry.twin)])
    if entry.kind == "layer":
        upstream = check.pop("upstream", ())
        manual_layer, auto_layer = entry.manual_module(), entry.auto_module()
        manual = vjp.manual_vjp(overwritten_after(manual_layer.forward), manual_layer.backward,
                                check.get("input_grads", ("x",)), upstream)
        auto = vjp.auto_vjp(auto_layer.forward, upstream)
    else:
        manual, auto = with_public_path(entry.manual_module()), entry.auto_module().loss
    return Model(name=entry.name, description=entry.description, manual=manual, auto=auto,
                 kind=entry.kind, **check)


for _entry in table.ENTRIES:
    register(model_of(_entry))
