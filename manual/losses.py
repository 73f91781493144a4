"""Losses on logits, each returning ``(value, dlogits)``.

``reduction="mean"`` averages over all loss terms (every element for ``bce`` and
``mse``, every label for ``cross_entropy``), as PyTorch does; ``"sum"`` adds them.
All three are stable for logits of any finite size: no ``exp`` of a positive number
is ever taken, and the mean divides every term by N before adding them, so the sum
cannot overflow where the mean does not. Value and gradient are finite and right in
float32 and float64 (``M = np.finfo(dtype).max``, N terms) while the true value is:

- ``bce``: ``|z| <= M`` for "mean" (a term is at most ``|z| + log 2``), ``M / (2N)`` for "sum";
- ``cross_entropy``: every row's ``max(z) - min(z) <= M`` (e.g. ``|z| <= M / 2``) for
  "mean" (a term is at most that spread plus ``log(classes)``), ``M / (2N)`` for "sum";
- ``mse``: ``|z - y| <= sqrt(M) / 2`` for "mean" (``(z - y)**2`` itself overflows past
  ``sqrt(M)``), ``sqrt(M / N) / 2`` for "sum".

Dividing first costs one rounding per term (at most half an ulp of the term, below the
summation's own error), except that terms under N times the smallest normal number
(``N * 1.2e-38`` in float32, ``N * 2.2e-308`` in float64) become subnormal and keep an
absolute error of half the smallest subnormal each.

Every public function takes array-likes: float32 and float64 are kept (value and gradient
in that dtype), int and bool logits are computed in float64; float16, complex, NaN, inf
and empty arrays are refused (ValueError/TypeError naming the argument).
"""
import numpy as np

import modelspec
from modelspec import checks


def _reduce(terms, reduction):
    """Return ``(value, scale)``: the reduced loss and the factor each term's gradient gets."""
    if reduction == "sum":
        return terms.sum(), 1.0
    # each term divided by N before the sum: no overflow where the mean itself is finite
    return (terms / terms.size).sum(), 1.0 / terms.size


_checked = checks.check_loss_inputs     # the losses' arguments, shared with auto.losses


def sigmoid(z):
    """Logistic function ``1 / (1 + exp(-z))``, stable for any finite ``z``.

    Inputs: z, any shape, at least one element: float32/float64, or int/bool (computed in
    float64); NaN, inf, float16 and complex refused.
    Returns: an array of z's shape and float dtype.
    """
    return _sigmoid(checks.nonempty_real_array("z", z))


def _sigmoid(z, out=None):
    """:func:`sigmoid` of a float array, unchecked, into ``out`` if given: exp only of
    non-positive numbers, so it never overflows."""
    e = np.exp(-np.abs(z))
    return np.divide(np.where(z >= 0, 1, e), 1 + e, out=out)


def binary_cross_entropy(logits, y, reduction="mean"):
    """Binary cross-entropy of ``sigmoid(logits)`` against targets ``y`` in [0, 1].

    Inputs: logits (any shape, at least one element), y (same shape, no broadcasting)
    real in [0, 1], reduction "mean" | "sum"; see the module doc for dtypes.
    Returns: value (scalar of the logits' dtype), dlogits (shape of logits).
    """
    return _binary_cross_entropy(*_checked(logits, y, "bce", reduction), reduction)


def _binary_cross_entropy(logits, y, reduction):
    # log(1 + e^z) - y z, written so that no exp overflows
    terms = np.logaddexp(0, logits) - y * logits
    value, scale = _reduce(terms, reduction)
    return value, ((_sigmoid(logits) - y) * scale).astype(logits.dtype, copy=False)


def softmax(logits):
    """Softmax over the last axis, shifted by the row maximum so that ``exp`` never overflows.

    Inputs: logits ``(..., classes)``, at least one dimension and one element:
    float32/float64, or int/bool (computed in float64); NaN, inf, float16, complex refused.
    Returns: probabilities of the logits' shape and float dtype, each row summing to 1.
    """
    logits = checks.nonempty_real_array("logits", logits)
    if logits.ndim == 0:
        raise ValueError("logits must have a class axis (logits.ndim >= 1); got a 0-d array")
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits, labels, reduction="mean"):
    """Cross-entropy of ``softmax(logits)`` against integer class labels.

    Inputs: logits (..., classes), at least one dimension and one element; labels (...)
    integers in [0, classes) (floats and bools refused); reduction "mean" | "sum".
    Returns: value (scalar of the logits' dtype), dlogits (..., classes).
    """
    return _softmax_cross_entropy(*_checked(logits, labels, "cross_entropy", reduction,
                                            names=("logits", "labels")), reduction)


def _softmax_cross_entropy(logits, labels, reduction):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp_shifted = np.exp(shifted)
    norm = exp_shifted.sum(axis=-1, keepdims=True)
    picked = np.take_along_axis(shifted, labels[..., None], axis=-1)[..., 0]
    value, scale = _reduce(np.log(norm[..., 0]) - picked, reduction)
    # d/dz of -log softmax(z)[label] is softmax(z) - onehot(label); softmax(z) is
    # exp_shifted / norm, the same numbers softmax() computes
    dlogits = exp_shifted
    dlogits /= norm
    np.put_along_axis(dlogits, labels[..., None],
                      np.take_along_axis(dlogits, labels[..., None], axis=-1) - 1, axis=-1)
    return value, dlogits * dlogits.dtype.type(scale)


def mean_squared_error(pred, y, reduction="mean"):
    """Squared error ``(pred - y)**2`` reduced over all elements.

    Inputs: pred (any shape, at least one element), y (same shape, no broadcasting)
    real; reduction "mean" | "sum"; see the module doc for dtypes.
    Returns: value (scalar of pred's dtype), dpred (shape of pred).
    """
    return _mean_squared_error(*_checked(pred, y, "mse", reduction, names=("pred", "y")),
                               reduction)


def _mean_squared_error(pred, y, reduction):
    diff = pred - y
    value, scale = _reduce(diff * diff, reduction)
    return value, diff * pred.dtype.type(2 * scale)


LOSSES = {"bce": binary_cross_entropy, "cross_entropy": softmax_cross_entropy,
          "mse": mean_squared_error}

# The same losses without the argument checks, for callers that have made them
_UNCHECKED = {"bce": _binary_cross_entropy, "cross_entropy": _softmax_cross_entropy,
              "mse": _mean_squared_error}


def loss_and_grad(name, logits, y, reduction="mean"):
    """The loss called ``name`` (one of ``modelspec.LOSSES``): ``(value, dlogits)`` as that
    loss returns them, its arguments checked as it checks them (``y`` holds the labels for
    ``"cross_entropy"``)."""
    modelspec.check_option("loss", name, modelspec.LOSSES)
    return _UNCHECKED[name](*_checked(logits, y, name, reduction), reduction)


def _loss_and_grad_of_model(name, logits, y, reduction):
    """:func:`loss_and_grad` for ``manual.mlp`` and ``manual.rnn``, whose
    ``modelspec.*_inputs`` has already checked the loss name, the reduction and ``y``
    against the shape of these logits: only the logits, computed by the model, are still
    checked (an overflowing network raises the same "logits contains NaN or inf")."""
    return _UNCHECKED[name](modelspec.real_array("logits", logits), y, reduction)
