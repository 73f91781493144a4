"""Multi-layer perceptron (seed 001, any number of hidden layers): linear layers
(:mod:`manual.layers.linear`) with an activation between them, plus a loss.

Parameters are a flat dict ``W0, b0, W1, b1, ...``; the last pair is the linear output
layer, every other pair a hidden layer ``a = act(a_prev @ W + b)``. Weights are
``(fan_in, fan_out)``, biases ``(fan_out,)``.
"""
from typing import NamedTuple

import numpy as np

from manual import init as initializers
from manual.activations import ACTIVATIONS, DERIVATIVES
from manual.layers import linear
from manual.losses import _loss_and_grad_of_model
from modelspec import checks
from modelspec import linear as linear_spec
from modelspec import mlp as spec


class MLPCache(NamedTuple):
    """What ``backward`` needs: one :class:`~manual.layers.linear.LinearCache` per layer
    and the hidden layers' activation."""
    layers: tuple
    activation: str

    @property
    def layer_inputs(self):
        """``(x, a_1, ..., a_{L-1})``: the input of every layer, ``(batch, fan_in_l)``;
        ``a_l`` is the output of hidden layer ``l`` (after the activation)."""
        return tuple(layer.x for layer in self.layers)


def init_params(sizes, *, rng=None, init="normal", dtype=np.float64):
    """Parameters for layer sizes ``[n_in, *hidden, n_out]``.

    init: ``"normal"`` (seed 001: N(0, 0.003**2)), ``"glorot_uniform"`` or ``"he_normal"``
    for the weights; biases are zero. rng: None, an int seed or a Generator.
    Returns ``{"W0": (n_in, n_1), "b0": (n_1,), ..., "W{L-1}": (n_{L-1}, n_out), "b{L-1}": (n_out,)}``.
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must be [n_in, *hidden, n_out] with at least 2 entries; got {sizes}")
    for s in sizes:
        checks.check_positive_int("each entry of sizes", s)
    checks.check_option("init", init, ("normal", "glorot_uniform", "he_normal"))
    draw = initializers.get(init)
    rng = checks.check_rng("rng", rng)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"W{i}"] = draw(rng, (fan_in, fan_out), dtype)
        params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)
    return params


def _layer(params, i):
    """Layer i's parameters under the linear layer's names."""
    return {"W": params[f"W{i}"], "b": params[f"b{i}"]}


def forward(params, x, *, activation="relu"):
    """Forward pass.

    Inputs: params (see module doc), x ``(batch, n_in)``, activation of the hidden layers.
    Returns: out ``(batch, n_out)`` (logits of the linear output layer), cache (MLPCache).
    """
    # the cache holds a copy of x: a caller changing x before backward changes nothing
    return _forward(params, spec.forward_inputs(params, x, activation=activation).copy(), activation)


def _forward(params, x, activation):
    act = ACTIVATIONS[activation]
    a, caches = x, []
    last = spec.n_layers(params) - 1
    for i in range(last):
        z, cache = linear._forward(_layer(params, i), a)
        a = act(z, out=z)                        # a = act(z), in place
        caches.append(cache)
    out, cache = linear._forward(_layer(params, last), a)
    caches.append(cache)
    return out, MLPCache(tuple(caches), activation)


def backward(params, cache, dout):
    """Backward pass from the upstream gradient ``dout``.

    Inputs: params, cache from ``forward``, dout ``(batch, n_out)`` = dL/dout.
    Returns: grads (dict with the keys of params, same shapes), dx ``(batch, n_in)``.
    """
    checks.check_cache(cache, MLPCache, "manual.mlp.forward")
    x = cache.layers[0].x
    dout = linear_spec.check_dout(dout, (x.shape[0], params[f"W{spec.n_layers(params) - 1}"].shape[1]),
                                  x.dtype)
    return _backward(params, cache, dout, input_grads=True)


def _backward(params, cache, dout, input_grads):
    """:func:`backward`; with ``input_grads=False`` dx is not computed (None is returned
    in its place), which saves the GEMM of the first layer's size."""
    dact = DERIVATIVES[cache.activation]
    grads = {}
    g = dout                                     # dL/d(output of layer i)
    for i in reversed(range(len(cache.layers))):
        layer_grads, g = linear._backward(_layer(params, i), cache.layers[i], g,
                                          input_grads=i > 0 or input_grads)
        grads[f"W{i}"], grads[f"b{i}"] = layer_grads["W"], layer_grads["b"]
        if i > 0:
            g *= dact(cache.layers[i].x)         # backprop through hidden layer i's activation
    return {key: grads[key] for key in params}, g


def loss_and_grads(params, x, y, *, loss, activation="relu", reduction="mean",
                   return_input_grads=False):
    """Loss of the MLP on ``(x, y)`` and its gradient for every parameter.

    Inputs: params, x ``(batch, n_in)``, y (``(batch, n_out)`` floats for "bce"/"mse",
    ``(batch,)`` integer labels for "cross_entropy"), loss, activation, reduction.
    Returns: (loss, grads) with grads keyed like params; with ``return_input_grads=True``
    also ``{"x": dx}`` as a third item.
    """
    x, y = spec.inputs(params, x, y, loss=loss, activation=activation, reduction=reduction)
    out, cache = _forward(params, x, activation)
    value, dout = _loss_and_grad_of_model(loss, out, y, reduction)
    grads, dx = _backward(params, cache, dout, return_input_grads)
    return (value, grads, {"x": dx}) if return_input_grads else (value, grads)
