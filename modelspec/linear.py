"""Contract of the linear (affine) layer ``out = x @ W + b``.

params: ``W (n_in, n_out)``, ``b (n_out,)``; x: ``(batch, ..., n_in)`` (any number of
leading axes, at least one, none empty); out and dout: ``(batch, ..., n_out)``.
"""
import numpy as np

from modelspec.checks import check_params, check_shape, real_array, shape_of, shape_text

KEYS = ("W", "b")


def shapes(params):
    """Expected ``{key: shape}``, read from ``W``; reads only keys and shapes, so it also
    works on a dict traced by autograd."""
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    if "W" not in params or np.ndim(params["W"]) != 2:
        raise ValueError(f"params['W'] must be a 2-D (n_in, n_out) array; params have keys {list(params)}")
    n_in, n_out = shape_of(params["W"])
    return {"W": (n_in, n_out), "b": (n_out,)}


def check_x(x, shapes, name="x"):
    """Raise unless x is ``(batch, ..., n_in)`` with no empty axis; reads only the shape."""
    n_in = shapes["W"][0]
    shape = shape_of(x)
    if len(shape) < 2 or shape[-1] != n_in:
        raise ValueError(f"{name} must have shape (batch, ..., {n_in}) to match params['W'] of shape "
                         f"{shape_text(shapes['W'])}; got {shape_text(shape)}")
    if 0 in shape:
        raise ValueError(f"{name} is empty: shape {shape_text(shape)}")


def output_shape(x_shape, shapes):
    return tuple(x_shape[:-1]) + (shapes["W"][1],)


def forward_inputs(params, x):
    """Validate a forward call; return x as an array of the parameters' dtype."""
    layer = shapes(params)
    dtype = check_params(params, layer)
    x = real_array("x", x, dtype=dtype)
    check_x(x, layer)
    return x


def check_dout(dout, out_shape, dtype, name="dout"):
    """The upstream gradient: finite, of the output's shape and dtype (no broadcasting)."""
    dout = real_array(name, dout, dtype=dtype)
    return check_shape(name, dout, out_shape)
