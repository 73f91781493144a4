"""Contract of the gru layer (a GRU over a whole sequence, PyTorch's formulation).

params: ``Wxh (n_in, 3H)``, ``Whh (H, 3H)``, ``bxh (3H,)``, ``bhh (3H,)``, the 3H columns
being the gates r, z, n in that order; x: ``(batch, time, n_in)``, real or integer (one-hot
tokens), neither axis empty; h0: None (zeros) or ``(batch, H)``; out and dout:
``(batch, time, H)``, the state at every step; dh_last: None or ``(batch, H)``; truncate:
None (full BPTT) or an int k >= 1. The checks on x, h0, the upstream gradients and
truncate are the recurrent layer's (:mod:`modelspec.recurrent`).
"""
from modelspec.checks import check_params, shape_of, shape_text
from modelspec.recurrent import backward_inputs, check_truncate, state_inputs  # noqa: F401

KEYS = ("Wxh", "Whh", "bxh", "bhh")
GATES = 3                  # r (reset), z (update), n (new), PyTorch's order along 3H


def shapes(params):
    """Expected ``{key: shape}``, read from ``Wxh (n_in, 3H)``; reads only keys and shapes,
    so it also works on a dict traced by autograd."""
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    if "Wxh" not in params:
        raise ValueError(f"params must have a key 'Wxh', the (n_in, 3H) input weights; "
                         f"got keys {list(params)}")
    shape = shape_of(params["Wxh"])
    if len(shape) != 2 or shape[1] % GATES or shape[1] == 0:
        raise ValueError(f"params['Wxh'] must be a 2-D (n_in, 3H) array, 3H a positive multiple "
                         f"of 3 (gates r, z, n); got shape {shape_text(shape)}")
    n_in, gates = shape
    hidden = gates // GATES
    return {"Wxh": (n_in, gates), "Whh": (hidden, gates), "bxh": (gates,), "bhh": (gates,)}


def forward_inputs(params, x, *, h0):
    """Validate a forward call; return ``(x, h0)`` as arrays of the parameters' dtype."""
    layer = shapes(params)
    return state_inputs(x, h0, layer, check_params(params, layer))
