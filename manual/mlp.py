"""Multi-layer perceptron with hand-written backprop (seed 001, any number of hidden layers).

Parameters are a flat dict ``W0, b0, W1, b1, ...``; the last pair is the linear output
layer, every other pair a hidden layer ``a = act(a_prev @ W + b)``. Weights are
``(fan_in, fan_out)``, biases ``(fan_out,)``.
"""
from typing import NamedTuple

import numpy as np

import modelspec
from manual import init as initializers
from manual.activations import ACTIVATIONS, DERIVATIVES
from manual.losses import _loss_and_grad_of_model


class MLPCache(NamedTuple):
    """What ``backward`` needs: the input of every layer and the hidden activation.

    layer_inputs: ``(x, a_1, ..., a_{L-1})``, ``layer_inputs[l]`` of shape ``(batch, fan_in_l)``;
    ``a_l`` is the output of hidden layer ``l`` (after the activation).
    """
    layer_inputs: tuple
    activation: str


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
        modelspec.check_positive_int("each entry of sizes", s)
    modelspec.check_option("init", init, ("normal", "glorot_uniform", "he_normal"))
    draw = initializers.get(init)
    rng = np.random.default_rng(rng)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"W{i}"] = draw(rng, (fan_in, fan_out), dtype)
        params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)
    return params


def _n_layers(params):
    return len(params) // 2


def forward(params, x, *, activation="relu"):
    """Forward pass.

    Inputs: params (see module doc), x ``(batch, n_in)``, activation of the hidden layers.
    Returns: out ``(batch, n_out)`` (logits of the linear output layer), cache (MLPCache).
    """
    modelspec.check_option("activation", activation, modelspec.ACTIVATIONS)
    shapes = modelspec.mlp_shapes(params)
    dtype = modelspec.check_params(params, shapes)
    x = modelspec.real_array("x", x, ndim=2, dtype=dtype)
    modelspec.check_shape("x", x, (x.shape[0], shapes["W0"][0]))
    return _forward(params, x, activation)


def _forward(params, x, activation):
    act = ACTIVATIONS[activation]
    a, layer_inputs = x, [x]
    last = _n_layers(params) - 1
    for i in range(last):
        z = a @ params[f"W{i}"]
        z += params[f"b{i}"]                     # z = a @ W + b, then a = act(z) in place
        a = act(z, out=z)
        layer_inputs.append(a)
    out = a @ params[f"W{last}"] + params[f"b{last}"]
    return out, MLPCache(tuple(layer_inputs), activation)


def backward(params, cache, dout):
    """Backward pass from the upstream gradient ``dout``.

    Inputs: params, cache from ``forward``, dout ``(batch, n_out)`` = dL/dout.
    Returns: grads (dict with the keys of params, same shapes), dx ``(batch, n_in)``.
    """
    return _backward(params, cache, dout, input_grads=True)


def _backward(params, cache, dout, input_grads):
    """:func:`backward`; with ``input_grads=False`` dx is not computed (None is returned
    in its place), which saves the GEMM of the first layer's size."""
    dact = DERIVATIVES[cache.activation]
    grads = {}
    g = dout                                     # dL/d(output of layer i)
    for i in reversed(range(_n_layers(params))):
        a_in = cache.layer_inputs[i]
        grads[f"W{i}"] = a_in.T @ g
        grads[f"b{i}"] = g.sum(axis=0)
        if i == 0 and not input_grads:
            g = None
            break
        g = g @ params[f"W{i}"].T                # dL/d(input of layer i)
        if i > 0:
            g *= dact(a_in)                      # backprop through the activation of hidden layer i
    return {key: grads[key] for key in params}, g


def loss_and_grads(params, x, y, *, loss, activation="relu", reduction="mean",
                   return_input_grads=False):
    """Loss of the MLP on ``(x, y)`` and its gradient for every parameter.

    Inputs: params, x ``(batch, n_in)``, y (``(batch, n_out)`` floats for "bce"/"mse",
    ``(batch,)`` integer labels for "cross_entropy"), loss, activation, reduction.
    Returns: (loss, grads) with grads keyed like params; with ``return_input_grads=True``
    also ``{"x": dx}`` as a third item.
    """
    x, y = modelspec.mlp_inputs(params, x, y, loss=loss, activation=activation,
                                reduction=reduction)
    out, cache = _forward(params, x, activation)
    value, dout = _loss_and_grad_of_model(loss, out, y, reduction)
    grads, dx = _backward(params, cache, dout, return_input_grads)
    return (value, grads, {"x": dx}) if return_input_grads else (value, grads)
