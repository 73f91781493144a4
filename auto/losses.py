"""The losses of ``manual.losses``, written with ``autograd.numpy`` and returning the value only.

Gradients come from ``autograd.grad``. The forms are chosen so that autograd's own
derivative rules are exact and stable: ``logaddexp`` rather than ``abs`` (whose
autograd derivative ``g * x / |x|`` underflows at subnormal ``x``), and a max-shifted
log-sum-exp for the softmax.
"""
import autograd.numpy as np

import modelspec


def _reduce(terms, reduction):
    return np.sum(terms) if reduction == "sum" else np.mean(terms)


def binary_cross_entropy(logits, y, reduction="mean"):
    """Mean (or sum) of ``-y log sigmoid(z) - (1 - y) log(1 - sigmoid(z))`` over all elements."""
    # -y log s - (1-y) log(1-s) = log(1 + e^z) - y z
    return _reduce(np.logaddexp(0.0, logits) - y * logits, reduction)


def softmax_cross_entropy(logits, labels, reduction="mean"):
    """Mean (or sum) over labels of ``-log softmax(logits)[label]``; labels are integers."""
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    onehot = labels[..., None] == np.arange(logits.shape[-1])
    return _reduce(-np.sum(log_probs * onehot, axis=-1), reduction)


def mean_squared_error(pred, y, reduction="mean"):
    """Mean (or sum) of ``(pred - y)**2`` over all elements."""
    return _reduce((pred - y) ** 2, reduction)


LOSSES = {"bce": binary_cross_entropy, "cross_entropy": softmax_cross_entropy,
          "mse": mean_squared_error}


def loss(name, logits, y, reduction="mean"):
    """The loss called ``name`` (one of ``modelspec.LOSSES``) of traced ``logits``.

    ``y`` is checked against the logits' shape (no broadcasting) and the loss's range.
    """
    modelspec.check_option("loss", name, modelspec.LOSSES)
    modelspec.check_option("reduction", reduction, modelspec.REDUCTIONS)
    y = modelspec.check_target(y, np.shape(logits), name, logits.dtype)
    return LOSSES[name](logits, y, reduction)
