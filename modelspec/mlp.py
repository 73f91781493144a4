"""Contract of the multi-layer perceptron: linear layers, an activation between them.

params: ``W0 (n_in, n_1), b0 (n_1,), ..., W{L-1} (n_{L-1}, n_out), b{L-1} (n_out,)``;
x: ``(batch, n_in)``; activation of the hidden layers: "relu", "tanh" or "sigmoid";
y: see :func:`modelspec.check_target` for output ``(batch, n_out)``.
"""
import numpy as np

from modelspec.checks import (LOSSES, REDUCTIONS, check_nonempty, check_option, check_params,
                              check_target, real_array, shape_of, shape_text)

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def n_layers(params):
    """How many layers the keys ``W0, b0, ...`` describe: one more than the highest index,
    so that a missing ``W1`` or ``b1`` is reported as missing, not miscounted."""
    indices = [int(k[1:]) for k in params if k[:1] in ("W", "b") and k[1:].isdigit()]
    return 1 + max(indices) if indices else 0


def shapes(params):
    """Expected ``{key: shape}`` of ``W0, b0, ..., W{L-1}, b{L-1}``, read from the weights.

    Reads only keys and shapes, so it also works on a dict traced by autograd.
    """
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    count = n_layers(params)
    if count == 0:
        raise ValueError("params must hold at least one layer (W0, b0)")
    out = {}
    for i in range(count):
        W = params.get(f"W{i}")
        if W is None or np.ndim(W) != 2:
            raise ValueError(f"params['W{i}'] must be a 2-D (fan_in, fan_out) array; "
                             f"params have keys {list(params)}")
        shape = shape_of(W)
        fan_in = shape[0] if i == 0 else out[f"W{i - 1}"][1]
        out[f"W{i}"] = (fan_in, shape[1])
        out[f"b{i}"] = (shape[1],)
    return out




def check_x(x, shapes):
    """Raise unless x is ``(batch, n_in)`` for ``shapes["W0"] == (n_in, n_1)``; reads only
    the shape."""
    n_in = shapes["W0"][0]
    if np.ndim(x) != 2 or shape_of(x)[1] != n_in:
        raise ValueError(f"x must have shape (batch, {n_in}) to match params['W0'] "
                         f"of shape {shape_text(shapes['W0'])}; got {shape_text(np.shape(x))}")


def forward_inputs(params, x, *, activation):
    """Validate a forward call; return x as an array of the parameters' dtype."""
    return _forward_inputs(params, x, activation)[0]


def _forward_inputs(params, x, activation):
    check_option("activation", activation, ACTIVATIONS)
    layers = shapes(params)
    dtype = check_params(params, layers)
    x = real_array("x", x, ndim=2, dtype=dtype)
    check_nonempty("x", x, ("batch",))
    check_x(x, layers)
    return x, layers


def inputs(params, x, y, *, loss, activation, reduction):
    """Validate a loss call; return ``(x, y)`` as arrays."""
    check_option("loss", loss, LOSSES)
    check_option("reduction", reduction, REDUCTIONS)
    x, layers = _forward_inputs(params, x, activation)
    n_out = layers[f"W{len(layers) // 2 - 1}"][1]     # the last layer's: layers holds W{i}, b{i}
    y = check_target(y, (x.shape[0], n_out), loss, x.dtype)
    return x, y
