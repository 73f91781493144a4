"""Contract of the RNN model: a recurrent layer and a linear output layer (the seeds').

params: ``Wxh (n_in, H), Whh (H, H), bh (H,)`` (the recurrent layer, see
:mod:`modelspec.recurrent`) and ``Wy (H, n_out), by (n_out,)`` (the output layer);
output: "last" (many-to-one, logits ``(batch, n_out)``) or "all" (many-to-many, logits
``(batch, time, n_out)``); y: see :func:`modelspec.check_target` for those logits.
"""
import numpy as np

from modelspec.checks import LOSSES, REDUCTIONS, check_option, check_params, check_target, shape_of
from modelspec import recurrent

OUTPUTS = ("last", "all")
ACTIVATIONS = recurrent.ACTIVATIONS
KEYS = recurrent.KEYS + ("Wy", "by")


def shapes(params):
    """Expected ``{key: shape}``, read from ``Wxh (n_in, H)`` and ``Wy (H, n_out)``.

    Reads only keys and shapes, so it also works on a dict traced by autograd.
    """
    out = recurrent.shapes(params)
    if "Wy" not in params or np.ndim(params["Wy"]) != 2:
        raise ValueError(f"params['Wy'] must be a 2-D (H, n_out) array; params have keys {list(params)}")
    hidden, n_out = out["Whh"][0], shape_of(params["Wy"])[1]
    out.update({"Wy": (hidden, n_out), "by": (n_out,)})
    return out


def output_shape(x_shape, shapes, output):
    """Logits shape: ``(batch, n_out)`` for output="last", ``(batch, time, n_out)`` for "all"."""
    n_out = shapes["Wy"][1]
    return (x_shape[0], n_out) if output == "last" else (x_shape[0], x_shape[1], n_out)


def forward_inputs(params, x, *, h0, output, activation, nonlinearity=None):
    """Validate a forward call; return ``(x, h0, activation)``, x and h0 as arrays of the
    parameters' dtype."""
    return _forward_inputs(params, x, h0, output, activation, nonlinearity)[:3]


def _forward_inputs(params, x, h0, output, activation, nonlinearity):
    check_option("output", output, OUTPUTS)
    activation = recurrent.check_activation(activation, nonlinearity)
    model = shapes(params)
    x, h0 = recurrent.state_inputs(x, h0, model, check_params(params, model))
    return x, h0, activation, model


def inputs(params, x, y, *, loss, output, truncate, reduction, h0, activation, nonlinearity=None):
    """Validate a loss call; return ``(x, y, h0, activation)``."""
    check_option("loss", loss, LOSSES)
    check_option("reduction", reduction, REDUCTIONS)
    recurrent.check_truncate(truncate)
    x, h0, activation, model = _forward_inputs(params, x, h0, output, activation, nonlinearity)
    y = check_target(y, output_shape(x.shape, model, output), loss, x.dtype)
    return x, y, h0, activation
