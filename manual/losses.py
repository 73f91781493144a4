"""Losses on logits, each returning ``(value, dlogits)``.

``reduction="mean"`` averages over all loss terms (every element for ``bce`` and
``mse``, every label for ``cross_entropy``), as PyTorch does; ``"sum"`` adds them.
All three are stable for logits of any finite size: no ``exp`` of a positive number
is ever taken, so logits of magnitude 1e4 give finite values and gradients.
"""
import numpy as np

import modelspec


def _reduce(terms, reduction):
    """Return ``(value, scale)``: the reduced loss and the factor each term's gradient gets."""
    if reduction == "sum":
        return terms.sum(), 1.0
    return terms.mean(), 1.0 / terms.size


def sigmoid(z):
    """Logistic function, stable for any finite ``z`` (``exp`` only of non-positive numbers)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def binary_cross_entropy(logits, y, reduction="mean"):
    """Binary cross-entropy of ``sigmoid(logits)`` against targets ``y`` in [0, 1].

    Inputs: logits (any shape), y (same shape), reduction "mean" | "sum".
    Returns: value (scalar of the logits' dtype), dlogits (shape of logits).
    """
    return _binary_cross_entropy(*_checked(logits, y, "bce", reduction), reduction)


def _binary_cross_entropy(logits, y, reduction):
    # log(1 + e^z) - y z, written so that no exp overflows
    terms = np.logaddexp(0, logits) - y * logits
    value, scale = _reduce(terms, reduction)
    return value, ((sigmoid(logits) - y) * scale).astype(logits.dtype, copy=False)


def softmax(logits):
    """Softmax over the last axis, shifted by the row maximum so that ``exp`` never overflows."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits, labels, reduction="mean"):
    """Cross-entropy of ``softmax(logits)`` against integer class labels.

    Inputs: logits (..., classes), labels (...) integers in [0, classes), reduction.
    Returns: value (scalar), dlogits (..., classes).
    """
    return _softmax_cross_entropy(*_checked(logits, labels, "cross_entropy", reduction), reduction)


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

    Inputs: pred (any shape), y (same shape), reduction.
    Returns: value (scalar), dpred (shape of pred).
    """
    return _mean_squared_error(*_checked(pred, y, "mse", reduction), reduction)


def _mean_squared_error(pred, y, reduction):
    diff = pred - y
    value, scale = _reduce(diff * diff, reduction)
    return value, diff * pred.dtype.type(2 * scale)


LOSSES = {"bce": binary_cross_entropy, "cross_entropy": softmax_cross_entropy,
          "mse": mean_squared_error}

# The same losses without the argument checks, for callers that have made them
_UNCHECKED = {"bce": _binary_cross_entropy, "cross_entropy": _softmax_cross_entropy,
              "mse": _mean_squared_error}


def _checked(logits, y, loss, reduction):
    modelspec.check_option("reduction", reduction, modelspec.REDUCTIONS)
    logits = modelspec.real_array("logits", logits)
    if logits.size == 0:
        raise ValueError(f"logits is empty (shape {logits.shape}); a loss needs at least one term")
    if logits.ndim == 0 and loss == "cross_entropy":
        raise ValueError("logits must have a class axis for loss='cross_entropy'")
    return logits, modelspec.check_target(y, logits.shape, loss, logits.dtype)


def loss_and_grad(name, logits, y, reduction="mean"):
    """Dispatch to the loss called ``name`` (one of ``modelspec.LOSSES``)."""
    modelspec.check_option("loss", name, modelspec.LOSSES)
    return LOSSES[name](logits, y, reduction)


def _loss_and_grad_of_model(name, logits, y, reduction):
    """:func:`loss_and_grad` for ``manual.mlp`` and ``manual.rnn``, whose
    ``modelspec.*_inputs`` has already checked the loss name, the reduction and ``y``
    against the shape of these logits: only the logits, computed by the model, are still
    checked (an overflowing network raises the same "logits contains NaN or inf")."""
    return _UNCHECKED[name](modelspec.real_array("logits", logits), y, reduction)
