"""Contract of the elementwise activation layer ``out = act(x)`` (cs231n's ``relu_forward``
and ``relu_backward``, for relu, tanh and sigmoid).

params: none, an empty dict ``{}``; x: any shape with at least one axis, none empty, of
float32 or float64 (kept: with no parameters, the layer's dtype is x's) or int/bool
(computed in float64, as ``manual.activations`` computes them); NaN and inf refused;
activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``; out and dout: x's shape and dtype.
"""
from modelspec.checks import check_option, real_array, shape_of, shape_text
from modelspec import linear

KEYS = ()
ACTIVATIONS = ("relu", "tanh", "sigmoid")


def shapes(params):
    """Expected ``{key: shape}``: none, the layer has no parameters. Raise TypeError unless
    ``params`` is a dict, ValueError unless it is empty; reads only its keys, so it also
    works on a dict traced by autograd."""
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be an empty dict {{}} (the activation layer has no parameters); "
                        f"got {type(params).__name__}")
    if len(params):
        raise ValueError(f"params must be an empty dict {{}}: the activation layer has no parameters; "
                         f"got keys {list(params)}")
    return {}


def check_x(x, name="x"):
    """Raise ValueError unless x has at least one axis and none empty; reads only the shape."""
    shape = shape_of(x)
    if len(shape) == 0:
        raise ValueError(f"{name} must have at least one axis, (batch, ...); got a scalar")
    if 0 in shape:
        raise ValueError(f"{name} is empty: shape {shape_text(shape)}")


def forward_inputs(params, x, activation="relu"):
    """Validate a forward call; return ``(x, activation)``, x as a float array (its own
    float dtype, or float64 for int/bool)."""
    shapes(params)
    activation = check_option("activation", activation, ACTIVATIONS)
    x = real_array("x", x)
    check_x(x)
    return x, activation


def check_dout(dout, out_shape, dtype, name="dout"):
    """The upstream gradient: finite, of the output's shape and dtype (x's; no broadcasting)."""
    return linear.check_dout(dout, out_shape, dtype, name=name)
