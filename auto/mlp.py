"""The MLP of ``manual.mlp``, written with ``autograd.numpy``: linear layers
(``auto.layers.linear``) with an activation between them, plus a loss.

``autograd.grad(loss)(params, x, y, loss=..., ...)`` gives the reference gradients
(a dict keyed like ``params``); ``autograd.grad(loss, 1)`` gives dL/dx.
"""
from auto import losses
from auto.activations import ACTIVATIONS
from auto.layers import linear
from auto.values import values
from modelspec import mlp as spec


def _layer(params, i):
    return {"W": params[f"W{i}"], "b": params[f"b{i}"]}


def logits(params, x, *, activation="relu"):
    """Output of the linear output layer, ``(batch, n_out)``, for x ``(batch, n_in)``;
    arguments validated as ``manual.mlp.forward`` validates them."""
    spec.forward_inputs(values(params), values(x), activation=activation)
    return _logits(params, x, activation)


def _logits(params, x, activation):
    act = ACTIVATIONS[activation]
    last = spec.n_layers(params) - 1
    a = x
    for i in range(last):
        a = act(linear._forward(_layer(params, i), a))
    return linear._forward(_layer(params, last), a)


def loss(params, x, y, *, loss, activation="relu", reduction="mean"):
    """Scalar loss of the MLP; same arguments and meaning as ``manual.mlp.loss_and_grads``."""
    _, y = spec.inputs(values(params), values(x), y, loss=loss, activation=activation,
                       reduction=reduction)
    return losses.LOSSES[loss](_logits(params, x, activation), y, reduction)
