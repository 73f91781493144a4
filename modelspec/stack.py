"""Contract of a stack of recurrent layers: any cell, any depth, one or two directions.

params: for layer l = 0 .. L-1 and each direction, the cell's own parameters with the
suffix ``_l{l}`` (forward) or ``_l{l}_reverse`` (the reversed sequence), as PyTorch names
them: ``Wxh_l0, Whh_l0, bh_l0, Wxh_l0_reverse, ...``. The depth and the directions are read
from the keys. Layer 0 reads x ``(batch, time, n_in)``; layer l > 0 reads the output of the
layer below, ``D * H`` features (D = 2 directions when bidirectional); every layer has the
same H.

cell: one of :data:`CELLS` (table names of recurrent layers); activation: the vanilla
cell's (``"tanh"`` or ``"relu"``), the gated cells take ``"tanh"`` only (their gates have
their own nonlinearities). h0 (and c0, for a cell with a cell state): None (zeros) or
``(L * D, batch, H)``, slot ``l * D + d`` for layer l, direction d (1: reverse), as PyTorch's.

out: ``(batch, time, D * H)``, each direction's state at step t side by side (the reverse
direction's state at step t has read x_T .. x_t); h_last (c_last): ``(L * D, batch, H)``, every
layer's and direction's final state (the reverse direction's after reading x_1).

truncate: None (full BPTT), or k >= 1 for a unidirectional stack. One layer: the cell's
own rule (the gradient arriving at step t flows back k steps). More layers: a window over
the last k steps of every layer, for gradients at the final states only (``dout`` None, what
a many-to-one head sends): the states at step T - k of every layer are held constant, as if
the stack had been run on the last k steps from them. A bidirectional stack reads the
future, so it is not truncated. Chunks through ``h_last`` (passed as the next chunk's
``h0``, ``c0``) work for every stack; for a unidirectional one they are one pass, while a
bidirectional one's reverse direction starts each chunk from the state given, unable to
see the chunks after it.
"""
import functools
import re

import numpy as np

from modelspec import recurrent, table
from modelspec.checks import check_option, check_params, check_shape, real_array, shape_text

# the cells a stack may hold, and the names of their states (h0, c0 / dh_last, dc_last)
CELL_STATES = {table.RECURRENT.name: ("h",), table.LSTM.name: ("h", "c"), table.GRU.name: ("h",)}
CELLS = tuple(CELL_STATES)
_CELL_SPECS = {cell: table.get(cell).spec_module() for cell in CELLS}
_KEY = re.compile(r"^(.+)_l(\d+)(_reverse)?$")


def suffix(layer, direction):
    """``_l{layer}`` for the forward direction (0), ``_l{layer}_reverse`` for the reverse (1)."""
    return f"_l{layer}" + ("_reverse" if direction else "")


def structure(params):
    """``(layers, directions)`` read from the keys; reads only the keys."""
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    found = [_key_parts(str(k)) for k in params]
    if not params or None in found:
        odd = [k for k, parts in zip(params, found) if parts is None]
        raise ValueError("params of a stack are named <cell key>_l<layer>[_reverse] (Wxh_l0, "
                         f"Wxh_l0_reverse, ...); got keys {list(params)}" + (f", {odd} among them" if odd else ""))
    layers = 1 + max(layer for layer, _ in found)
    directions = 2 if any(reverse for _, reverse in found) else 1
    return layers, directions


@functools.lru_cache(maxsize=1024)           # a model has few keys, read at every call
def _key_parts(key):
    """``(layer, reverse)`` of a key ``<cell key>_l<layer>[_reverse]``, or None."""
    match = _KEY.match(key)
    return None if match is None else (int(match.group(2)), match.group(3) is not None)


def layer_params(params, layer, direction, keys):
    """One layer's and direction's parameters under the cell's own ``keys``."""
    end = suffix(layer, direction)
    return {k: params[k + end] for k in keys}


def cell_spec(cell):
    """The contract module of a cell (``modelspec.<cell>``)."""
    return _CELL_SPECS[check_option("cell", cell, CELLS)]


def shapes(params, cell):
    """Expected ``{key: shape}`` for a stack of ``cell``, read from each layer's ``Wxh``."""
    return layout(params, cell)[0]


def layout(params, cell):
    """``(shapes(params, cell), *structure(params))``, the keys read once."""
    spec = cell_spec(cell)
    layers, directions = structure(params)
    out, hidden = {}, None
    for layer in range(layers):
        for direction in range(directions):
            end = suffix(layer, direction)
            key = "Wxh" + end
            if key not in params or np.ndim(params[key]) != 2:
                raise ValueError(f"params['{key}'] must be a 2-D (n_in, gates * H) array; "
                                 f"params have keys {list(params)}")
            try:
                own = spec.shapes({"Wxh": params[key]})
            except ValueError as exc:           # the cell names its own key: name the stack's
                raise ValueError(str(exc).replace("params['Wxh']", f"params['{key}']")) from None
            hidden = hidden or own[spec.KEYS[1]][0]
            if own[spec.KEYS[1]][0] != hidden:
                raise ValueError(f"every layer of a stack has the same H; params['{key}'] of shape "
                                 f"{shape_text(np.shape(params[key]))} says H = "
                                 f"{own[spec.KEYS[1]][0]}, layer 0 H = {hidden}")
            if layer > 0 and own["Wxh"][0] != directions * hidden:
                raise ValueError(f"params['{key}'] must have {directions * hidden} rows (it reads "
                                 f"the layer below, {directions} x H = {hidden}); got shape "
                                 f"{shape_text(np.shape(params[key]))}")
            out.update({k + end: shape for k, shape in own.items()})
    return out, layers, directions


def check_activation(cell, activation, nonlinearity=None):
    """The vanilla cell's activation; the gated cells take ``"tanh"`` only."""
    if cell == table.RECURRENT.name:
        return recurrent.check_activation(activation, nonlinearity)
    if activation != "tanh" or nonlinearity is not None:
        raise ValueError(f"activation applies to cell {table.RECURRENT.name!r} only (the {cell} "
                         f"cell's gates have their own nonlinearities); got {activation!r}")
    return activation


def check_truncate(truncate, layers, directions, every_step=False):
    """``truncate`` for a stack: None, or k >= 1 when unidirectional (and, with more than
    one layer, only for gradients at the final states: ``every_step`` False)."""
    truncate = recurrent.check_truncate(truncate)
    if truncate is not None and directions == 2:
        raise ValueError("truncate applies to a unidirectional stack; a bidirectional one reads the "
                         "future (truncate by cutting the sequence in chunks instead)")
    if truncate is not None and layers > 1 and every_step:
        raise ValueError(f"truncate with a gradient at every step (dout) applies to one layer; a stack of "
                         f"{layers} truncates a window over the last k steps for gradients at the final "
                         "states only (dh_last, with dout None)")
    return truncate


def check_states(name, value, expected, dtype):
    if value is None:
        return None
    value = real_array(name, value, dtype=dtype)
    return check_shape(name, value, expected)


def forward_inputs(params, x, *, cell, h0=None, c0=None, activation="tanh", nonlinearity=None):
    """Validate a forward call; return ``(x, initial, activation, (layers, directions, hidden))``:
    x as an array of the parameters' dtype, initial ``{state name: (L * D, batch, H) or None}``."""
    activation = check_activation(check_option("cell", cell, CELLS), activation, nonlinearity)
    expected, layers, directions = layout(params, cell)
    dtype = check_params(params, expected)
    x = real_array("x", x, ndim=3, dtype=dtype)
    recurrent.check_x(x, {"Wxh": expected["Wxh_l0"]})
    hidden = expected["Whh_l0"][0]
    initial = initial_states(cell, h0, c0, (layers * directions, x.shape[0], hidden), dtype)
    return x, initial, activation, (layers, directions, hidden)


def initial_states(cell, h0, c0, slots, dtype):
    """``{state name: (L * D, batch, H) array or None}`` for ``cell``'s states, checked
    against ``slots``; a c0 for a cell without a cell state is refused."""
    names = CELL_STATES[cell]
    if c0 is not None and "c" not in names:
        raise ValueError(f"c0 is the initial cell state of an LSTM; the {cell} cell has none")
    given = {"h": h0, "c": c0}
    return {s: check_states(f"{s}0", given[s], slots, dtype) for s in names}


def backward_inputs(out_shape, last_shape, dtype, dout, dlast, truncate, layers, directions):
    """Validate a backward call's upstream gradients: dout ``(batch, time, D * H)`` or None,
    dlast ``{state name: (L * D, batch, H) or None}`` (at least one given); return
    ``(dout, dlast, truncate)``."""
    check_truncate(truncate, layers, directions, every_step=dout is not None)
    if dout is None and all(v is None for v in dlast.values()):
        raise ValueError(f"give dout, {', '.join(f'd{s}_last' for s in dlast)} or both; got none")
    if dout is not None:
        dout = check_shape("dout", real_array("dout", dout, dtype=dtype), out_shape)
    dlast = {s: check_states(f"d{s}_last", v, last_shape, dtype) for s, v in dlast.items()}
    return dout, dlast, truncate
