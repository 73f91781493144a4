"""The built-in layers and models, registered from the one table (``modelspec.table``).

Each table entry gets one registry entry: a model's ``loss_and_grads`` against its
autograd ``loss``; a layer's ``forward``/``backward`` against autograd's vector-Jacobian
product of its twin (:mod:`crosscheck.vjp`). What the cross-check needs beyond the
table (the strategy, pinned examples, where finite differences apply) is :data:`CHECKS`,
keyed by the table's entries.
"""
import numpy as np

import modelspec
from crosscheck import strategies, vjp
from crosscheck.registry import Case, Model, register
from modelspec import table


def _uniform(rng, shape, bound=1.0):
    return rng.uniform(-bound, bound, shape)


def _linear_examples():
    rng = np.random.default_rng(0)
    params = {"W": _uniform(rng, (3, 2)), "b": _uniform(rng, 2)}
    return (
        # three leading axes: dW and db sum over every one of them
        Case(params, (_uniform(rng, (2, 3, 2, 3)), _uniform(rng, (2, 3, 2, 2))), {}),
        # batch 1, one input and one output: the smallest layer
        Case({"W": np.array([[0.5]]), "b": np.array([-0.25])}, (np.array([[2.0]]), np.array([[1.5]])), {}),
    )


def _recurrent_params(n_in, hidden, seed=0):
    rng = np.random.default_rng(seed)
    return {"Wxh": _uniform(rng, (n_in, hidden)), "Whh": _uniform(rng, (hidden, hidden), 0.5),
            "bh": _uniform(rng, hidden)}


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
    # finite differences see the true gradient: no ReLU kinks, and no truncation shorter
    # than the sequence (a longer window is full BPTT)
    return case.options["activation"] == "tanh" and (
        case.options["truncate"] is None or case.options["truncate"] > case.args[0].shape[1])


_RECURRENT_OPTIONS = dict(activation=modelspec.recurrent.ACTIVATIONS, truncate=("None", "1, 2, ..."),
                          h0=("None", "(batch, H) array"))
_LAST_STATE = vjp.Upstream("dh_last", "h")

# What the cross-check needs of each table entry beyond its manual and auto modules.
CHECKS = {
    table.LINEAR: dict(cases=strategies.linear_cases, arg_names=("x", "dout"),
                       examples=_linear_examples()),
    table.RECURRENT: dict(cases=strategies.recurrent_cases, arg_names=("x", "dout"),
                          input_grads=("x", "h0"), examples=_recurrent_examples(),
                          options={**_RECURRENT_OPTIONS, "dh_last": ("None", "(batch, H) array")},
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


# --------------------------------------------------------------------------- gru


# --------------------------------------------------------------------------- embedding


# --------------------------------------------------------------------------- stacks


def model_of(entry):
    """The registry :class:`Model` of a table entry."""
    check = dict(CHECKS[entry])
    if entry.kind == "layer":
        upstream = check.pop("upstream", ())
        manual_layer, auto_layer = entry.manual_module(), entry.auto_module()
        manual = vjp.manual_vjp(manual_layer.forward, manual_layer.backward,
                                check.get("input_grads", ("x",)), upstream)
        auto = vjp.auto_vjp(auto_layer.forward, upstream)
    else:
        manual, auto = entry.manual_module().loss_and_grads, entry.auto_module().loss
    return Model(name=entry.name, description=entry.description, manual=manual, auto=auto,
                 kind=entry.kind, **check)


for _entry in table.ENTRIES:
    register(model_of(_entry))
