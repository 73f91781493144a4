"""Contract of the recurrent layer (a vanilla RNN over a whole sequence).

params: ``Wxh (n_in, H)``, ``Whh (H, H)``, ``bh (H,)``; x: ``(batch, time, n_in)``, real or
integer (one-hot tokens), neither axis empty; h0: None (zeros) or ``(batch, H)``;
activation: "tanh" or "relu"; out and dout: ``(batch, time, H)``, the state at every step;
dh_last: None or ``(batch, H)``, a gradient at the last state (from whatever reads it);
truncate: None (full BPTT) or an int k >= 1.
"""
import numpy as np

from modelspec.checks import (check_option, check_params, check_positive_int, real_array,
                              renamed_option, shape_of, shape_text)
from modelspec import linear

ACTIVATIONS = ("tanh", "relu")
KEYS = ("Wxh", "Whh", "bh")


def shapes(params):
    """Expected ``{key: shape}``, read from ``Wxh (n_in, H)``; reads only keys and shapes,
    so it also works on a dict traced by autograd."""
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    if "Wxh" not in params or np.ndim(params["Wxh"]) != 2:
        raise ValueError(f"params['Wxh'] must be a 2-D (n_in, H) array; params have keys {list(params)}")
    n_in, hidden = shape_of(params["Wxh"])
    return {"Wxh": (n_in, hidden), "Whh": (hidden, hidden), "bh": (hidden,)}


def check_activation(activation, nonlinearity=None):
    """The activation, under its one name across models (``nonlinearity=`` is the old one)."""
    activation = renamed_option("activation", activation, "nonlinearity", nonlinearity, "tanh")
    return check_option("activation", activation, ACTIVATIONS)


def check_truncate(truncate):
    """``truncate`` is None (full BPTT) or an int >= 1; return it."""
    return None if truncate is None else check_positive_int("truncate", truncate)


def check_x(x, shapes):
    """Raise unless x is ``(batch, time, n_in)`` with batch, time >= 1; reads only the shape."""
    n_in = shapes["Wxh"][0]
    shape = shape_of(x)
    if len(shape) != 3 or shape[2] != n_in:
        raise ValueError(f"x must have shape (batch, time, {n_in}) to match params['Wxh'] "
                         f"of shape {shape_text(shapes['Wxh'])}; got {shape_text(shape)}")
    if 0 in shape:
        for size, axis in zip(shape, ("batch", "time")):
            if size == 0:
                raise ValueError(f"x is empty: its {axis} axis has length 0")


def check_state(name, h, batch, shapes):
    """Raise unless ``h`` is None or ``(batch, H)``; reads only the shape."""
    expected = (batch, shapes["Whh"][0])
    if h is not None and tuple(shape_of(h)) != expected:
        raise ValueError(f"{name} must have shape {shape_text(expected)} (batch, H); "
                         f"got {shape_text(np.shape(h))}")


def state_inputs(x, h0, shapes, dtype):
    """Validate x and h0 of a layer or a model built on it, whose parameters the caller
    has checked (``shapes``, ``dtype``); return ``(x, h0)`` as arrays of that dtype."""
    x = real_array("x", x, ndim=3, dtype=dtype)
    check_x(x, shapes)
    if h0 is not None:
        h0 = real_array("h0", h0, dtype=dtype)
        check_state("h0", h0, x.shape[0], shapes)
    return x, h0


def forward_inputs(params, x, *, h0, activation, nonlinearity=None):
    """Validate a forward call; return ``(x, h0, activation)``."""
    activation = check_activation(activation, nonlinearity)
    layer = shapes(params)
    x, h0 = state_inputs(x, h0, layer, check_params(params, layer))
    return x, h0, activation


def backward_inputs(out_shape, dtype, dout, dh_last, truncate):
    """Validate a backward call's upstream gradients; return ``(dout, dh_last, truncate)``.

    dout: ``(batch, time, H)`` or None (no gradient at any state but the last);
    dh_last: None or ``(batch, H)``; at least one of the two must be given.
    """
    check_truncate(truncate)
    if dout is None and dh_last is None:
        raise ValueError("give dout, dh_last or both; got neither")
    if dout is not None:
        dout = linear.check_dout(dout, out_shape, dtype)
    if dh_last is not None:
        dh_last = linear.check_dout(dh_last, (out_shape[0], out_shape[2]), dtype, name="dh_last")
    return dout, dh_last, truncate
