"""Contract of the LSTM layer (one LSTM over a whole sequence).

params: ``Wxh (n_in, 4H)``, ``Whh (H, 4H)``, ``bh (4H,)``, the gates in PyTorch's order
i, f, g, o along the 4H axis; x: ``(batch, time, n_in)``, real or integer (one-hot tokens),
neither axis empty; h0, c0: None (zeros) or ``(batch, H)``; out and dout: ``(batch, time,
H)``, the hidden state at every step; dh_last, dc_last: None or ``(batch, H)``, gradients
at the last hidden and cell state (from whatever reads them); truncate: None (full BPTT)
or an int k >= 1.
"""
from modelspec import linear, recurrent
from modelspec.checks import check_params, real_array, shape_of, shape_text

KEYS = ("Wxh", "Whh", "bh")
GATES = 4                  # i, f, g, o
check_truncate = recurrent.check_truncate


def shapes(params):
    """Expected ``{key: shape}``, read from ``Wxh (n_in, 4H)``; reads only keys and shapes,
    so it also works on a dict traced by autograd."""
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    shape = shape_of(params["Wxh"]) if "Wxh" in params else ()
    if len(shape) != 2 or shape[1] % GATES or shape[1] == 0:
        raise ValueError(f"params['Wxh'] must be a 2-D (n_in, 4H) array, H >= 1, the gates i, f, g, o "
                         f"side by side; got {shape_text(shape) if shape else 'none'} "
                         f"(params have keys {list(params)})")
    n_in, hidden = shape[0], shape[1] // GATES
    return {"Wxh": (n_in, GATES * hidden), "Whh": (hidden, GATES * hidden), "bh": (GATES * hidden,)}


def forward_inputs(params, x, *, h0, c0):
    """Validate a forward call; return ``(x, h0, c0)``, arrays of the parameters' dtype
    (h0, c0 None when not given)."""
    layer = shapes(params)
    dtype = check_params(params, layer)
    x, h0 = recurrent.state_inputs(x, h0, layer, dtype)
    if c0 is not None:
        c0 = real_array("c0", c0, dtype=dtype)
        recurrent.check_state("c0", c0, x.shape[0], layer)
    return x, h0, c0


def backward_inputs(out_shape, dtype, dout, dh_last, dc_last, truncate):
    """Validate a backward call's upstream gradients; return ``(dout, dh_last, dc_last,
    truncate)``.

    dout: ``(batch, time, H)`` or None (no gradient at any state but the last); dh_last,
    dc_last: None or ``(batch, H)``; at least one of the three must be given.
    """
    check_truncate(truncate)
    if dout is None and dh_last is None and dc_last is None:
        raise ValueError("give dout, dh_last, dc_last or several of them; got none")
    if dout is not None:
        dout = linear.check_dout(dout, out_shape, dtype)
    last = (out_shape[0], out_shape[2])
    if dh_last is not None:
        dh_last = linear.check_dout(dh_last, last, dtype, name="dh_last")
    if dc_last is not None:
        dc_last = linear.check_dout(dc_last, last, dtype, name="dc_last")
    return dout, dh_last, dc_last, truncate
