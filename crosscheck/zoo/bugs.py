"""A gallery of realistic backprop bugs that the cross-check must catch.

Each :class:`Bug` is a function with the signature of a registered model's
``loss_and_grads`` (``params, x, y, **options, return_input_grads=False``) carrying ONE
mistake. Most are built from two compact reference implementations below
(:func:`mlp_reference`, :func:`rnn_reference`) with one small hook swapped; the reference
with no hook swapped is correct (the tests check it passes like ``manual/`` does). The
losses' bugs replace one loss gradient and run through a model (the MLP, or the RNN for
seed 004's softmax and for a mean over many-to-many loss terms). :func:`hunt` runs
:func:`crosscheck.verify` on every bug.

Origins: ``seed 003`` / ``seed 004`` are the seeds' own bugs
(``/work/shared/seeds/README.md``); ``classic`` are mistakes seen in the wild.
"""
import functools
from typing import Callable, NamedTuple

import numpy as np

import modelspec
from crosscheck.check import verify
from manual.losses import loss_and_grad, sigmoid, softmax


class Bug(NamedTuple):
    """One buggy variant.

    name: short id (``crosscheck zoo NAME``); model: the registered model it is checked
    as; description: the mistake, one line; origin: "seed 003", "seed 004" or "classic";
    fn: the buggy ``loss_and_grads``; part: "mlp", "rnn" or "losses" (what is wrong).
    """
    name: str
    model: str
    description: str
    origin: str
    fn: Callable
    part: str


# --------------------------------------------------------------------------- losses

def _scale(terms_shape, reduction):
    """The factor each loss term's gradient gets: 1 (sum) or 1 / number of terms (mean)."""
    return 1.0 if reduction == "sum" else 1.0 / int(np.prod(terms_shape))


def _onehot(labels, classes):
    return np.eye(classes)[labels]


def _loss_with(name, grad):
    """A loss function like ``manual.losses.loss_and_grad`` whose gradient for loss ``name``
    is ``grad(logits, y, reduction)`` (the value stays right); other losses are correct."""
    def loss(which, logits, y, reduction):
        value, dlogits = loss_and_grad(which, logits, y, reduction)
        return (value, grad(logits, y, reduction)) if which == name else (value, dlogits)
    return loss


def _softmax_no_shift_loss(which, logits, y, reduction):
    """Seed 004's softmax: ``exp(z) / sum(exp(z))`` without subtracting the maximum."""
    if which != "cross_entropy":
        return loss_and_grad(which, logits, y, reduction)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # exp(800) = inf; inf / inf = nan
        e = np.exp(logits)
        p = e / e.sum(axis=-1, keepdims=True)
        picked = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
        terms = -np.log(picked)
    value = terms.sum() if reduction == "sum" else terms.mean()
    return value, (p - _onehot(y, logits.shape[-1])) * _scale(y.shape, reduction)


LOSS_BUGS = {
    "ce_missing_minus_one": _loss_with(
        "cross_entropy", lambda z, y, r: softmax(z) * _scale(y.shape, r)),
    "softmax_over_batch_axis": _loss_with(
        "cross_entropy", lambda z, y, r: (np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)
                                          - _onehot(y, z.shape[-1])) * _scale(y.shape, r)),
    "mse_missing_factor_2": _loss_with("mse", lambda z, y, r: (z - y) * _scale(z.shape, r)),
    "mse_missing_mean": _loss_with("mse", lambda z, y, r: 2 * (z - y)),
    "bce_mean_over_batch_only": _loss_with(
        "bce", lambda z, y, r: (sigmoid(z) - y) * _scale(z.shape[:1], r)),
    "bce_wrong_sign": _loss_with("bce", lambda z, y, r: (y - sigmoid(z)) * _scale(z.shape, r)),
}


# --------------------------------------------------------------------------- MLP

_MLP_ACT = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": sigmoid}


def _mlp_dact(activation, a, z):
    """Derivative of the activation at pre-activation z, from its output a = act(z)."""
    return {"relu": lambda: (a > 0) * 1.0, "tanh": lambda: 1 - a * a,
            "sigmoid": lambda: a * (1 - a)}[activation]()


class MLPHooks(NamedTuple):
    """The pieces a bug may swap. loss: like ``loss_and_grad``; dact(activation, a, z);
    dW(a_in, g) and db(g): one layer's weight and bias gradients; dact_at_input: also
    multiply dx by an activation derivative (there is none at the input)."""
    loss: Callable = loss_and_grad
    dact: Callable = _mlp_dact
    dW: Callable = lambda a_in, g: a_in.T @ g
    db: Callable = lambda g: g.sum(axis=0)
    dact_at_input: bool = False


def mlp_reference(params, x, y, *, loss, activation="relu", reduction="mean",
                  return_input_grads=False, hooks=MLPHooks()):
    """The MLP's loss and gradients, layer by layer (seed 001's backprop), with ``hooks``.

    x ``(batch, n_in)``; returns like ``manual.mlp.loss_and_grads``.
    """
    x, y = modelspec.mlp.inputs(params, x, y, loss=loss, activation=activation, reduction=reduction)
    layers = len(params) // 2
    a, inputs, zs = x, [x], [None]      # inputs[i]: input of layer i; zs[i]: its pre-activation
    for i in range(layers - 1):
        z = a @ params[f"W{i}"] + params[f"b{i}"]
        a = _MLP_ACT[activation](z)
        zs.append(z)
        inputs.append(a)
    out = a @ params[f"W{layers - 1}"] + params[f"b{layers - 1}"]
    value, g = hooks.loss(loss, out, y, reduction)
    grads = {}
    for i in reversed(range(layers)):
        grads[f"W{i}"], grads[f"b{i}"] = hooks.dW(inputs[i], g), hooks.db(g)
        g = g @ params[f"W{i}"].T
        if i > 0:
            g = g * hooks.dact(activation, inputs[i], zs[i])
        elif hooks.dact_at_input:
            g = g * _mlp_dact(activation, inputs[0], None)
    grads = {k: grads[k] for k in params}
    return (value, grads, {"x": g}) if return_input_grads else (value, grads)


# --------------------------------------------------------------------------- RNN

_RNN_ACT = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}


def _rnn_dact(activation, h, z):
    return 1 - h * h if activation == "tanh" else (h > 0) * 1.0


def _window(s, k, steps):
    """Truncation: the loss term at h_s reaches h_s .. h_{stop+1}; returns (stop, reaches h0)."""
    if k is None or k > s:
        return 0, True
    return s - k, False


class RNNHooks(NamedTuple):
    """The pieces a bug may swap (see :func:`rnn_reference`).

    loss; logits_from_z: forward reads the output from the pre-activation;
    dh_out(dlogits_t, params): output gradient at h_t; terms: "every" (each output step
    sends a gradient) or "last"; window(s, k, T) -> (stop, reaches_h0); step(t): which
    step's cache step t reads; dact(activation, h, z); h_prev(hs, t): the state dWhh
    pairs with step t; db(dz); carry(dz, Whh): gradient at h_{t-1}; lr: Whh updated by
    ``lr * dWhh_t`` inside the loop, before the carry; dx_recurrent: dx includes the
    gradient carried from later steps; dh0_zero: dh0 returned as zeros.
    """
    loss: Callable = loss_and_grad
    logits_from_z: bool = False
    dh_out: Callable = lambda dl, p: dl @ p["Wy"].T
    terms: str = "every"
    window: Callable = _window
    step: Callable = lambda t: t
    dact: Callable = _rnn_dact
    h_prev: Callable = lambda hs, t: hs[t - 1]
    db: Callable = lambda dz: dz.sum(axis=0)
    carry: Callable = lambda dz, Whh: dz @ Whh.T
    lr: float = 0.0
    dx_recurrent: bool = True
    dh0_zero: bool = False


def rnn_reference(params, x, y, *, loss, output="last", truncate=None, reduction="mean",
                  h0=None, activation="tanh", return_input_grads=False, hooks=RNNHooks()):
    """The RNN's loss and gradients, one loss term at a time carried back through time.

    x ``(batch, T, n_in)``; the loss term read at h_s (every s for output="all", s = T for
    "last") is carried back through h_s ... h_{s-k+1} (truncate=k) or to h_0 (None).
    Returns like ``manual.rnn.loss_and_grads``.
    """
    x, y, h0, activation = modelspec.rnn.inputs(params, x, y, loss=loss, output=output,
                                                truncate=truncate, reduction=reduction, h0=h0,
                                                activation=activation)
    Wxh, Whh, Wy = params["Wxh"], params["Whh"], params["Wy"]
    batch, steps, _ = x.shape
    xs = x.transpose(1, 0, 2)                                    # (T, batch, n_in)
    hs = [np.zeros((batch, Whh.shape[0])) if h0 is None else h0]
    zs = [None]
    for t in range(steps):
        zs.append(xs[t] @ Wxh + hs[-1] @ Whh + params["bh"])
        hs.append(_RNN_ACT[activation](zs[-1]))
    read = zs if hooks.logits_from_z else hs
    if output == "last":
        logits = read[steps] @ Wy + params["by"]
    else:
        logits = np.stack([read[t] @ Wy + params["by"] for t in range(1, steps + 1)], axis=1)
    value, dl = hooks.loss(loss, logits, y, reduction)
    dls = {steps: dl} if output == "last" else {t: dl[:, t - 1] for t in range(1, steps + 1)}
    grads = {"Wxh": np.zeros_like(Wxh), "Whh": np.zeros_like(Whh),
             "bh": np.zeros_like(params["bh"]),
             "Wy": sum(hs[t].T @ d for t, d in dls.items()),
             "by": sum(d.sum(axis=0) for d in dls.values())}
    dxs, dh0 = np.zeros_like(xs), np.zeros_like(hs[0])
    Whh_now = Whh
    for s in sorted(dls, reverse=True)[:1 if hooks.terms == "last" else None]:
        stop, reaches_h0 = hooks.window(s, truncate, steps)
        dh = hooks.dh_out(dls.get(hooks.step(s), dls[s]), params)
        for t in range(s, stop, -1):
            c = hooks.step(t)
            dz = dh * hooks.dact(activation, hs[c], zs[c])
            grads["Wxh"] += xs[c - 1].T @ dz
            grads["Whh"] += hooks.h_prev(hs, c).T @ dz
            grads["bh"] += hooks.db(dz)
            if hooks.dx_recurrent or t == s:
                dxs[c - 1] += dz @ Wxh.T
            if hooks.lr:
                Whh_now = Whh_now - hooks.lr * (hs[c - 1].T @ dz)
            dh = hooks.carry(dz, Whh_now)
        if reaches_h0:
            dh0 += dh
    if not return_input_grads:
        return value, grads
    in_grads = {"x": dxs.transpose(1, 0, 2)}
    if h0 is not None:
        in_grads["h0"] = np.zeros_like(dh0) if hooks.dh0_zero else dh0
    return value, grads, in_grads


# --------------------------------------------------------------------------- the bugs

def _mlp_bug(**hooks):
    return functools.partial(mlp_reference, hooks=MLPHooks()._replace(**hooks))


def _rnn_bug(**hooks):
    return functools.partial(rnn_reference, hooks=RNNHooks()._replace(**hooks))


def _wrong_sign_output_layer(params, x, y, *, return_input_grads=False, **options):
    """Seed 004: ``dby = y_true - yt`` and ``dwy = dby @ h.T``: both with the sign reversed."""
    out = list(rnn_reference(params, x, y, return_input_grads=return_input_grads, **options))
    out[1] = {**out[1], "Wy": -out[1]["Wy"], "by": -out[1]["by"]}
    return tuple(out)


def _off_by_one_window(s, k, steps):
    """``range(s, s - k - 1, -1)``: the window holds k + 1 steps."""
    stop, reaches_h0 = _window(s, k, steps)
    return max(0, stop - 1), reaches_h0


def _window_from_last_step(s, k, steps):
    """One window [T - k + 1, T] for every loss term, instead of one per term."""
    stop, reaches_h0 = _window(steps, k, steps)
    return min(stop, s), reaches_h0


def _bh_first_example(dz):
    return dz[0]


BUGS = [
    # seed 003
    Bug("rnn_carry_missing_transpose", "rnn",
        "err_to_cell @ Whh where the chain rule needs Whh.T (right only for symmetric Whh)",
        "seed 003", _rnn_bug(carry=lambda dz, Whh: dz @ Whh), "rnn"),
    # seed 004
    Bug("rnn_dh_from_output_bias", "rnn",
        "dh_t = Wy.T @ by: the output bias used where the output gradient belongs",
        "seed 004", _rnn_bug(dh_out=lambda dl, p: np.broadcast_to(p["by"] @ p["Wy"].T, (len(dl),) + p["bh"].shape)),
        "rnn"),
    Bug("rnn_output_from_preactivation", "rnn",
        "forward reads the output from the pre-activation a, backward from h = tanh(a)",
        "seed 004", _rnn_bug(logits_from_z=True), "rnn"),
    Bug("rnn_every_step_uses_step1_cache", "rnn",
        "every step calls RNN_t1.backward: step 1's input, states and target reused",
        "seed 004", _rnn_bug(step=lambda t: 1), "rnn"),
    Bug("rnn_no_carry_across_steps", "rnn",
        "no gradient flows from a step to the step before it (no recursion through Whh)",
        "seed 004", _rnn_bug(carry=lambda dz, Whh: np.zeros_like(dz)), "rnn"),
    Bug("rnn_dby_sign_reversed", "rnn",
        "dby = y_true - yt (and dWy from it): the output layer's gradient has the wrong sign",
        "seed 004", _wrong_sign_output_layer, "rnn"),
    Bug("softmax_without_max_shift", "rnn",
        "exp(z) / sum(exp(z)) overflows for logits > 709: NaN loss and gradient "
        "(caught by the pinned large-logit RNN example)",
        "seed 004", _rnn_bug(loss=_softmax_no_shift_loss), "losses"),
    # classic: RNN
    Bug("rnn_dropped_tanh_derivative", "rnn",
        "the tanh derivative 1 - h**2 is left out of the backward step",
        "classic", _rnn_bug(dact=lambda nl, h, z: 1.0 if nl == "tanh" else _rnn_dact(nl, h, z)), "rnn"),
    Bug("rnn_dWhh_uses_h_t", "rnn",
        "dWhh += h_t.T @ dz_t where h_{t-1} belongs",
        "classic", _rnn_bug(h_prev=lambda hs, t: hs[t]), "rnn"),
    Bug("rnn_dbh_not_summed_over_batch", "rnn",
        "dbh takes the first example's dz only (code written for batch 1)",
        "classic", _rnn_bug(db=_bh_first_example), "rnn"),
    Bug("rnn_truncation_off_by_one", "rnn",
        "truncated BPTT runs k + 1 steps back instead of k",
        "classic", _rnn_bug(window=_off_by_one_window), "rnn"),
    Bug("rnn_truncation_window_from_last_step", "rnn",
        "many-to-many truncation cuts every term's gradient at T - k, not at t - k",
        "classic", _rnn_bug(window=_window_from_last_step), "rnn"),
    Bug("rnn_only_last_output_backpropagated", "rnn",
        "many-to-many: only the last step's loss term is carried into the hidden layer",
        "classic", _rnn_bug(terms="last"), "rnn"),
    Bug("rnn_Whh_updated_inside_bptt", "rnn",
        "SGD updates Whh inside the BPTT loop, before its old value carries dh back",
        "classic", _rnn_bug(lr=0.1), "rnn"),
    Bug("rnn_dx_ignores_recurrent_path", "rnn",
        "dx_t = dz_t @ Wxh.T with dz_t from step t's own output only",
        "classic", _rnn_bug(dx_recurrent=False), "rnn"),
    Bug("rnn_dh0_zero", "rnn",
        "the gradient for a given h0 is returned as zeros (h0 treated as a constant)",
        "classic", _rnn_bug(dh0_zero=True), "rnn"),
    # classic: MLP
    Bug("mlp_dropped_relu_derivative", "mlp",
        "the ReLU derivative (a > 0) is left out of the backward pass",
        "classic", _mlp_bug(dact=lambda act, a, z: 1.0 if act == "relu" else _mlp_dact(act, a, z)), "mlp"),
    Bug("mlp_derivative_from_preactivation", "mlp",
        "the derivative written for the output a (tanh: 1 - a**2, sigmoid: a * (1 - a)) "
        "applied to the pre-activation z",
        "classic", _mlp_bug(dact=lambda act, a, z: _mlp_dact(act, z, None)), "mlp"),
    Bug("mlp_bias_summed_over_wrong_axis", "mlp",
        "db = G.sum(axis=1): summed over the units instead of the batch",
        "classic", _mlp_bug(db=lambda g: g.sum(axis=1)), "mlp"),
    Bug("mlp_dW_transposed", "mlp",
        "dW = G.T @ a_in: the weight gradient transposed (only the shape of square W fits)",
        "classic", _mlp_bug(dW=lambda a_in, g: g.T @ a_in), "mlp"),
    Bug("mlp_dx_through_activation", "mlp",
        "dx multiplied by an activation derivative of x, though the input has no activation",
        "classic", _mlp_bug(dact_at_input=True), "mlp"),
    # classic: losses (through the MLP)
    Bug("ce_missing_minus_one", "mlp",
        "softmax cross-entropy gradient softmax(z) without the -1 at the label",
        "classic", _mlp_bug(loss=LOSS_BUGS["ce_missing_minus_one"]), "losses"),
    Bug("softmax_over_batch_axis", "mlp",
        "softmax normalised over the batch (axis 0) instead of the classes",
        "classic", _mlp_bug(loss=LOSS_BUGS["softmax_over_batch_axis"]), "losses"),
    Bug("mse_missing_factor_2", "mlp",
        "MSE gradient (pred - y) without the factor 2",
        "classic", _mlp_bug(loss=LOSS_BUGS["mse_missing_factor_2"]), "losses"),
    Bug("mse_missing_mean", "mlp",
        "reduction='mean' loss with the summed loss's gradient (missing 1 / N)",
        "classic", _mlp_bug(loss=LOSS_BUGS["mse_missing_mean"]), "losses"),
    Bug("bce_mean_over_batch_only", "rnn",
        "BCE mean gradient divided by the batch only (seed 003's mean, right for one output), "
        "not by every loss term (batch * T * n_out)",
        "classic", _rnn_bug(loss=LOSS_BUGS["bce_mean_over_batch_only"]), "losses"),
    Bug("bce_wrong_sign", "mlp",
        "BCE gradient y - sigmoid(z): the log-likelihood's ascent direction",
        "classic", _mlp_bug(loss=LOSS_BUGS["bce_wrong_sign"]), "losses"),
]

BY_NAME = {bug.name: bug for bug in BUGS}


class HuntResult(NamedTuple):
    """One bug's outcome: ``result`` is the :class:`crosscheck.VerifyResult`;
    caught when the cross-check disagreed (``not result.ok``)."""
    bug: Bug
    result: object

    @property
    def caught(self):
        return not self.result.ok


def hunt(bugs=None, *, profile=None, max_examples=None, seed=None, progress=None):
    """Run :func:`crosscheck.verify` on each bug (default: all of :data:`BUGS`), comparing
    input gradients too. bugs: Bug objects or names. progress: called as
    ``progress(bug, n_examples)``. Returns a list of :class:`HuntResult`."""
    results = []
    for bug in BUGS if bugs is None else bugs:
        bug = BY_NAME[bug] if isinstance(bug, str) else bug
        tick = None if progress is None else functools.partial(progress, bug)
        result = verify(bug.model, manual=bug.fn, profile=profile, max_examples=max_examples,
                        seed=seed, input_grads=True, progress=tick)
        results.append(HuntResult(bug, result))
    return results


def minimal_case(result):
    """The shrunk failing case in one line: shapes, then options; "" when none."""
    case = result.case
    if case is None:
        return ""
    shapes = " ".join(f"{k}{s}".replace(" ", "") for k, s in case.shapes().items())
    options = " ".join(f"{k}={v}" for k, v in case.plain_options().items()
                       if not str(v).startswith("array"))
    return f"{shapes}; {options}"


def format_table(results):
    """A plain-text table: bug, model, origin, caught/MISSED, examples to failure, time,
    and the minimal case."""
    rows = [("bug", "model", "origin", "verdict", "examples", "time", "minimal case")]
    for r in results:
        res = r.result
        rows.append((r.bug.name, r.bug.part, r.bug.origin, "caught" if r.caught else "MISSED",
                     str(res.examples_to_failure if r.caught else res.examples),
                     f"{res.seconds:.1f}s", minimal_case(res)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
             for row in rows]
    caught = sum(r.caught for r in results)
    lines.append(f"{caught} of {len(results)} bugs caught")
    return "\n".join(line.rstrip() for line in lines)

