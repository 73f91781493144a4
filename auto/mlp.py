"""The MLP of ``manual.mlp`` as a loss written with ``autograd.numpy``.

``autograd.grad(loss)(params, x, y, loss=..., ...)`` gives the reference gradients
(a dict keyed like ``params``); ``autograd.grad(loss, 1)`` gives dL/dx.
"""
import autograd.numpy as np

import modelspec
from auto import losses


def relu(z):
    # np.where, not np.maximum: autograd splits the gradient of maximum 0.5/0.5 at a tie,
    # while the project's convention (seed 001's sign(y)) is derivative 0 at z = 0.
    return np.where(z > 0, z, 0.0)


def sigmoid(z):
    # 1 / (1 + e^-z) = exp(-log(1 + e^-z)); logaddexp keeps it finite for any z
    return np.exp(-np.logaddexp(0.0, -z))


ACTIVATIONS = {"relu": relu, "tanh": np.tanh, "sigmoid": sigmoid}


def logits(params, x, *, activation="relu"):
    """Output of the linear output layer, ``(batch, n_out)``, for x ``(batch, n_in)``."""
    act = ACTIVATIONS[activation]
    n_layers = len(params) // 2
    a = x
    for i in range(n_layers - 1):
        a = act(np.dot(a, params[f"W{i}"]) + params[f"b{i}"])
    return np.dot(a, params[f"W{n_layers - 1}"]) + params[f"b{n_layers - 1}"]


def loss(params, x, y, *, loss, activation="relu", reduction="mean"):
    """Scalar loss of the MLP; same arguments and meaning as ``manual.mlp.loss_and_grads``."""
    modelspec.check_option("loss", loss, modelspec.LOSSES)
    modelspec.check_option("activation", activation, modelspec.ACTIVATIONS)
    modelspec.check_mlp_x(x, modelspec.mlp_shapes(params))
    return losses.loss(loss, logits(params, x, activation=activation), y, reduction)
