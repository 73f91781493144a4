"""The losses of ``manual.losses``, written with ``autograd.numpy`` and returning the value only.

Gradients come from ``autograd.grad``. The forms are chosen so that autograd's own
derivative rules are exact and stable: ``logaddexp`` rather than ``abs`` (whose
autograd derivative ``g * x / |x|`` underflows at subnormal ``x``), a max-shifted
log-sum-exp for the softmax, and a mean that divides every term by N before the sum
(no overflow where the mean itself is finite; the bounds and the rounding it costs are
in ``manual.losses``).

The public losses and :func:`loss` check their arguments as ``manual.losses`` does
(``modelspec.checks.check_loss_inputs``: same dtypes, shapes, ranges, messages); plain
int/bool logits are computed in float64. ``LOSSES`` holds them unchecked, for the models.
"""
import autograd.numpy as np

import modelspec
from auto.values import values
from modelspec import checks


def _traced_or(plain, arg):
    # the traced argument when it is one (gradients flow through it), else its checked array
    return arg if values(arg) is not arg else plain


def _checked_array(name, z):
    """``z`` checked by ``modelspec.checks.nonempty_real_array`` (on its value if traced)."""
    return _traced_or(checks.nonempty_real_array(name, values(z)), z)


def _checked(logits, y, loss, reduction, names=("logits", "y")):
    plain, y = checks.check_loss_inputs(values(logits), y, loss, reduction, names=names)
    return _traced_or(plain, logits), y


def _reduce(terms, reduction):
    # the mean divides each term by N before the sum: it cannot overflow where the mean does not
    return np.sum(terms) if reduction == "sum" else np.sum(terms / np.size(terms))


def _binary_cross_entropy(logits, y, reduction):
    # -y log s - (1-y) log(1-s) = log(1 + e^z) - y z
    return _reduce(np.logaddexp(0.0, logits) - y * logits, reduction)


def _softmax_cross_entropy(logits, labels, reduction):
    # the shift by the row maximum cancels in the loss: taken as a constant, it needs no
    # gradient (autograd's gradient of max would turn float32 into float64)
    shifted = logits - np.max(values(logits), axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    onehot = labels[..., None] == np.arange(logits.shape[-1])
    return _reduce(-np.sum(log_probs * onehot, axis=-1), reduction)


def _mean_squared_error(pred, y, reduction):
    return _reduce((pred - y) ** 2, reduction)


LOSSES = {"bce": _binary_cross_entropy, "cross_entropy": _softmax_cross_entropy,
          "mse": _mean_squared_error}


def binary_cross_entropy(logits, y, reduction="mean"):
    """Mean (or sum) of ``-y log sigmoid(z) - (1 - y) log(1 - sigmoid(z))`` over all elements.
    logits any shape, y its shape in [0, 1]."""
    return _binary_cross_entropy(*_checked(logits, y, "bce", reduction), reduction)


def softmax_cross_entropy(logits, labels, reduction="mean"):
    """Mean (or sum) over labels of ``-log softmax(logits)[label]``: logits
    ``(..., classes)``, labels ``(...)`` integers in [0, classes)."""
    return _softmax_cross_entropy(*_checked(logits, labels, "cross_entropy", reduction,
                                            names=("logits", "labels")), reduction)


def mean_squared_error(pred, y, reduction="mean"):
    """Mean (or sum) of ``(pred - y)**2`` over all elements; y of pred's shape."""
    return _mean_squared_error(*_checked(pred, y, "mse", reduction, names=("pred", "y")), reduction)


def loss(name, logits, y, reduction="mean"):
    """The loss called ``name`` (one of ``modelspec.LOSSES``) of traced ``logits``, its
    arguments checked as ``manual.losses.loss_and_grad`` checks them (``y`` against the
    logits' shape, no broadcasting, and the loss's range)."""
    modelspec.check_option("loss", name, modelspec.LOSSES)
    return LOSSES[name](*_checked(logits, y, name, reduction), reduction)
