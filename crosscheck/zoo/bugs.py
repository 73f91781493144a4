"""A gallery of realistic backprop bugs that the cross-check must catch.

Each :class:`Bug` is a function with the signature of a registered model's
``loss_and_grads`` (``params, x, y, **options, return_input_grads=False``) carrying ONE
mistake. Most are built from two compact reference implementations
(:mod:`crosscheck.zoo.reference`: ``mlp_reference``, ``rnn_reference``) with one small hook
swapped; the reference with no hook swapped is correct (the tests check it passes like
``manual/`` does). The losses' bugs replace one loss gradient and run through a model (the
MLP, or the RNN for seed 004's softmax and for a mean over many-to-many loss terms).
:data:`BUGS` lists them all, :data:`BY_NAME` by name; :func:`crosscheck.zoo.hunting.hunt` runs
:func:`crosscheck.verify` on every bug.

Origins: ``seed 003`` / ``seed 004`` are the seeds' own bugs
(``/work/shared/seeds/README.md``); ``classic`` are mistakes seen in the wild.
"""
import functools
from typing import Callable, NamedTuple

import numpy as np

from crosscheck.zoo.reference import (MLPHooks, RNNHooks, _mlp_dact, _rnn_dact, _window,
                                      mlp_reference, rnn_reference)
from manual.losses import loss_and_grad, sigmoid, softmax
from modelspec import table

# the models the bugs are checked as, by their names in the one table
MLP, RNN = table.MLP.name, table.RNN.name


class Bug(NamedTuple):
    """One buggy variant.

    name: short id (``crosscheck zoo NAME``); model: the registered model it is checked
    as; description: the mistake, one line; origin: "seed 003", "seed 004" or "classic";
    fn: the buggy ``loss_and_grads``; part: a model's name or "losses" (what is wrong).
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


def _softmax_over_batch_axis(z, y, reduction):
    """Softmax normalised over axis 0; shifted by that axis's maximum, so that the axis is
    its one mistake (no overflow at large logits)."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True) - _onehot(y, z.shape[-1])) * _scale(y.shape, reduction)


LOSS_BUGS = {
    "ce_missing_minus_one": _loss_with(
        "cross_entropy", lambda z, y, r: softmax(z) * _scale(y.shape, r)),
    "softmax_over_batch_axis": _loss_with("cross_entropy", _softmax_over_batch_axis),
    "mse_missing_factor_2": _loss_with("mse", lambda z, y, r: (z - y) * _scale(z.shape, r)),
    "mse_missing_mean": _loss_with("mse", lambda z, y, r: 2 * (z - y)),
    "bce_mean_over_batch_only": _loss_with(
        "bce", lambda z, y, r: (sigmoid(z) - y) * _scale(z.shape[:1], r)),
    "bce_wrong_sign": _loss_with("bce", lambda z, y, r: (y - sigmoid(z)) * _scale(z.shape, r)),
}


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
    Bug("rnn_carry_missing_transpose", RNN,
        "err_to_cell @ Whh where the chain rule needs Whh.T (right only for symmetric Whh)",
        "seed 003", _rnn_bug(carry=lambda dz, Whh: dz @ Whh), RNN),
    # seed 004
    Bug("rnn_dh_from_output_bias", RNN,
        "dh_t = Wy.T @ by: the output bias used where the output gradient belongs",
        "seed 004", _rnn_bug(dh_out=lambda dl, p: np.broadcast_to(p["by"] @ p["Wy"].T, (len(dl),) + p["bh"].shape)),
        RNN),
    Bug("rnn_output_from_preactivation", RNN,
        "forward reads the output from the pre-activation a, backward from h = tanh(a)",
        "seed 004", _rnn_bug(logits_from_z=True), RNN),
    Bug("rnn_every_step_uses_step1_cache", RNN,
        "every step calls RNN_t1.backward: step 1's input, states and target reused",
        "seed 004", _rnn_bug(step=lambda t: 1), RNN),
    Bug("rnn_no_carry_across_steps", RNN,
        "no gradient flows from a step to the step before it (no recursion through Whh)",
        "seed 004", _rnn_bug(carry=lambda dz, Whh: np.zeros_like(dz)), RNN),
    Bug("rnn_dby_sign_reversed", RNN,
        "dby = y_true - yt (and dWy from it): the output layer's gradient has the wrong sign",
        "seed 004", _wrong_sign_output_layer, RNN),
    Bug("softmax_without_max_shift", RNN,
        "exp(z) / sum(exp(z)) overflows for logits > 709: NaN loss and gradient",
        "seed 004", _rnn_bug(loss=_softmax_no_shift_loss), "losses"),
    # classic: RNN
    Bug("rnn_dropped_tanh_derivative", RNN,
        "the tanh derivative 1 - h**2 is left out of the backward step",
        "classic", _rnn_bug(dact=lambda act, h, z: 1.0 if act == "tanh" else _rnn_dact(act, h, z)), RNN),
    Bug("rnn_dWhh_uses_h_t", RNN,
        "dWhh += h_t.T @ dz_t where h_{t-1} belongs",
        "classic", _rnn_bug(h_prev=lambda hs, t: hs[t]), RNN),
    Bug("rnn_dbh_not_summed_over_batch", RNN,
        "dbh takes the first example's dz only (code written for batch 1)",
        "classic", _rnn_bug(db=_bh_first_example), RNN),
    Bug("rnn_truncation_off_by_one", RNN,
        "truncated BPTT runs k + 1 steps back instead of k",
        "classic", _rnn_bug(window=_off_by_one_window), RNN),
    Bug("rnn_truncation_window_from_last_step", RNN,
        "many-to-many truncation cuts every term's gradient at T - k, not at t - k",
        "classic", _rnn_bug(window=_window_from_last_step), RNN),
    Bug("rnn_only_last_output_backpropagated", RNN,
        "many-to-many: only the last step's loss term is carried into the hidden layer",
        "classic", _rnn_bug(terms="last"), RNN),
    Bug("rnn_Whh_updated_inside_bptt", RNN,
        "SGD updates Whh inside the BPTT loop, before its old value carries dh back",
        "classic", _rnn_bug(lr=0.1), RNN),
    Bug("rnn_dx_ignores_recurrent_path", RNN,
        "dx_t = dz_t @ Wxh.T with dz_t from step t's own output only",
        "classic", _rnn_bug(dx_recurrent=False), RNN),
    Bug("rnn_dh0_zero", RNN,
        "the gradient for a given h0 is returned as zeros (h0 treated as a constant)",
        "classic", _rnn_bug(dh0_zero=True), RNN),
    Bug("rnn_gradient_clipping", RNN,
        "min-char-rnn's np.clip(d, -5, 5, out=d) on every parameter gradient inside the "
        "backward pass: wrong wherever an entry exceeds 5",
        "classic", _rnn_bug(clip=5.0), RNN),
    # classic: MLP
    Bug("mlp_dropped_relu_derivative", MLP,
        "the ReLU derivative (a > 0) is left out of the backward pass",
        "classic", _mlp_bug(dact=lambda act, a, z: 1.0 if act == "relu" else _mlp_dact(act, a, z)), MLP),
    Bug("mlp_derivative_from_preactivation", MLP,
        "the derivative written for the output a (tanh: 1 - a**2, sigmoid: a * (1 - a)) "
        "applied to the pre-activation z",
        "classic", _mlp_bug(dact=lambda act, a, z: _mlp_dact(act, z, None)), MLP),
    Bug("mlp_bias_summed_over_wrong_axis", MLP,
        "db = G.sum(axis=1): summed over the units instead of the batch",
        "classic", _mlp_bug(db=lambda g: g.sum(axis=1)), MLP),
    Bug("mlp_dW_transposed", MLP,
        "dW = G.T @ a_in: the weight gradient transposed (only the shape of square W fits)",
        "classic", _mlp_bug(dW=lambda a_in, g: g.T @ a_in), MLP),
    Bug("mlp_dx_through_activation", MLP,
        "dx multiplied by an activation derivative of x, though the input has no activation",
        "classic", _mlp_bug(dact_at_input=True), MLP),
    Bug("mlp_gradient_clipping", MLP,
        "every parameter gradient clipped to [-5, 5] inside the backward pass "
        "(min-char-rnn's habit): wrong wherever an entry exceeds 5",
        "classic", _mlp_bug(clip=5.0), MLP),
    # classic: losses (through the MLP)
    Bug("ce_missing_minus_one", MLP,
        "softmax cross-entropy gradient softmax(z) without the -1 at the label",
        "classic", _mlp_bug(loss=LOSS_BUGS["ce_missing_minus_one"]), "losses"),
    Bug("softmax_over_batch_axis", MLP,
        "softmax normalised over the batch (axis 0) instead of the classes",
        "classic", _mlp_bug(loss=LOSS_BUGS["softmax_over_batch_axis"]), "losses"),
    Bug("mse_missing_factor_2", MLP,
        "MSE gradient (pred - y) without the factor 2",
        "classic", _mlp_bug(loss=LOSS_BUGS["mse_missing_factor_2"]), "losses"),
    Bug("mse_missing_mean", MLP,
        "reduction='mean' loss with the summed loss's gradient (missing 1 / N)",
        "classic", _mlp_bug(loss=LOSS_BUGS["mse_missing_mean"]), "losses"),
    Bug("bce_mean_over_batch_only", RNN,
        "BCE mean gradient divided by the batch only (seed 003's mean, right for one output), "
        "not by every loss term (batch * T * n_out)",
        "classic", _rnn_bug(loss=LOSS_BUGS["bce_mean_over_batch_only"]), "losses"),
    Bug("bce_wrong_sign", MLP,
        "BCE gradient y - sigmoid(z): the log-likelihood's ascent direction",
        "classic", _mlp_bug(loss=LOSS_BUGS["bce_wrong_sign"]), "losses"),
]


def _layer_bugs():
    # the recurrent cells' and the embedding's bugs, each in its own module (they import Bug),
    # and the compiled loops' when their optional package is installed
    from crosscheck.zoo import embedding_bugs, gru_bugs, lstm_bugs, stack_bugs
    modules = [lstm_bugs, gru_bugs, embedding_bugs, stack_bugs]
    if table.RNN_NUMBA in table.ENTRIES:
        from crosscheck.zoo import compiled_bugs
        modules.append(compiled_bugs)
    return [bug for module in modules for bug in module.BUGS]


BUGS += _layer_bugs()
BY_NAME = {bug.name: bug for bug in BUGS}
