"""The activations of ``manual.activations``, written with ``autograd.numpy``.

``relu(z)`` and ``sigmoid(z)`` take what ``manual.activations`` takes (traced or plain):
z of any shape with at least one element, float32/float64 (kept) or int/bool (computed
in float64); float16, complex, NaN, inf and empty arrays are refused. ``ACTIVATIONS``
holds the same functions unchecked (and ``np.tanh``), for the models' and layers' steps.
"""
import autograd.numpy as np

from auto.losses import _checked_array


def _relu(z):
    # np.where, not np.maximum: autograd splits the gradient of maximum 0.5/0.5 at a tie,
    # while the project's convention (seed 001's sign(y)) is derivative 0 at z = 0.
    return np.where(z > 0, z, 0.0)


def _sigmoid(z):
    # 1 / (1 + e^-z) = exp(-log(1 + e^-z)); logaddexp keeps it finite for any z
    return np.exp(-np.logaddexp(0.0, -z))


def relu(z):
    """``max(z, 0)``, derivative 0 at z = 0. Returns an array of z's shape."""
    return _relu(_checked_array("z", z))


def sigmoid(z):
    """``1 / (1 + exp(-z))``, finite for any finite z. Returns an array of z's shape."""
    return _sigmoid(_checked_array("z", z))


ACTIVATIONS = {"relu": _relu, "tanh": np.tanh, "sigmoid": _sigmoid}
