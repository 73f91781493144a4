"""A stack of recurrent layers of any cell, any depth, one or two directions, with
hand-written BPTT: PyTorch's ``num_layers`` and ``bidirectional``.

Parameters, shapes and truncation: :mod:`modelspec.stack`. Each layer and direction is one
call of its cell's unchecked interface (``_cell_forward`` / ``_cell_backward``, see
:mod:`manual.layers`); the reverse direction runs on the time-reversed sequence. Backward
goes from the top layer down: the gradient a layer sends to its input is the upstream
gradient of the layer below.
"""
from typing import NamedTuple

import numpy as np

from modelspec import checks
from modelspec import stack as spec
from modelspec import table


class StackCache(NamedTuple):
    """What ``backward`` needs: cell (its name), layers and directions, the input of every
    layer (``inputs[l]``, ``(batch, T, n_in or D * H)``) and every layer's and direction's
    cell cache (``caches[l * D + d]``)."""
    cell: str
    layers: int
    directions: int
    inputs: tuple
    caches: tuple

    def _last(self, name):
        return np.stack([getattr(c, f"{name}_last") for c in self.caches])

    @property
    def h_last(self):
        """Every layer's and direction's final state ``(L * D, batch, H)``: pass it as ``h0``
        to carry the states into the next chunk of a long sequence."""
        return self._last("h")

    @property
    def c_last(self):
        """The final cell states ``(L * D, batch, H)`` of a cell that has them."""
        return self._last("c")


def _cell(cell):
    return table.get(cell).manual_module()


def init_params(n_in, hidden, layers=1, *, cell=table.RECURRENT.name, bidirectional=False,
                rng=None, dtype=np.float64):
    """Each layer's and direction's parameters from its cell's ``init_params``, named as
    :mod:`modelspec.stack` says. rng: None, an int seed or a Generator."""
    checks.check_positive_int("layers", layers)
    directions = 2 if checks.check_flag("bidirectional", bidirectional) else 1
    spec.check_option("cell", cell, spec.CELLS)
    rng = checks.check_rng("rng", rng)
    params = {}
    for layer in range(layers):
        for direction in range(directions):
            own = _cell(spec.check_option("cell", cell, spec.CELLS)).init_params(
                n_in if layer == 0 else directions * hidden, hidden, rng=rng, dtype=dtype)
            params.update({k + spec.suffix(layer, direction): v for k, v in own.items()})
    return params


def forward(params, x, *, cell=table.RECURRENT.name, h0=None, c0=None, activation="tanh"):
    """Inputs: params (see :mod:`modelspec.stack`); x ``(batch, time, n_in)``; cell; h0 (c0)
    ``(L * D, batch, H)`` or None; activation (the vanilla cell's).
    Returns: out ``(batch, time, D * H)`` and a :class:`StackCache` (``h_last``, ``c_last``).
    """
    x, initial, activation, _ = spec.forward_inputs(params, x, cell=cell, h0=h0, c0=c0,
                                                    activation=activation)
    return _forward(params, x, cell, initial, activation)


def _options(cell, activation):
    return {"activation": activation} if cell == table.RECURRENT.name else {}


def _forward(params, x, cell, initial, activation="tanh", loops=None):
    """:func:`forward` on checked inputs; ``loops``: the cell's time loops (its
    ``NUMPY_LOOPS`` when None, or another implementation of them, such as
    ``compiled.lstm.LOOPS``)."""
    module = _cell(cell)
    layers, directions = spec.structure(params)
    keys, options = spec.cell_spec(cell).KEYS, _options(cell, activation)
    inputs, caches = [], []
    for layer in range(layers):
        inputs.append(x.copy() if layer == 0 else x)   # the caller's x copied: _window reruns it
        outs = []
        for direction in range(directions):
            slot = layer * directions + direction
            state0 = {s: None if v is None else v[slot] for s, v in initial.items()}
            seq = x[:, ::-1] if direction else x              # the reverse direction reads x_T first
            out, cache = module._cell_forward(spec.layer_params(params, layer, direction, keys),
                                              seq, state0, **options, loops=loops)
            outs.append(out[:, ::-1] if direction else out)
            caches.append(cache)
        x = outs[0] if directions == 1 else np.concatenate(outs, axis=2)
    return x, StackCache(cell, layers, directions, tuple(inputs), tuple(caches))


def backward(params, cache, dout, *, dh_last=None, dc_last=None, truncate=None, input_grads=True):
    """Backward pass through every layer and direction, top down.

    Inputs: params; cache from :func:`forward`; dout ``(batch, time, D * H)`` or None;
    dh_last (dc_last) ``(L * D, batch, H)``, gradients at the final states, or None; at
    least one given; truncate (see :mod:`modelspec.stack`); input_grads: False skips dx
    and the initial states' gradients.
    Returns: grads (keyed like params), dx ``(batch, time, n_in)``, dh0 (and dc0 for a cell
    with a cell state) ``(L * D, batch, H)``; the input gradients None without input_grads.
    """
    checks.check_cache(cache, StackCache, "manual.layers.stack.forward")
    names = spec.CELL_STATES[cache.cell]
    if dc_last is not None and "c" not in names:
        raise ValueError(f"dc_last is a gradient at an LSTM's final cell state; the {cache.cell} cell has none")
    batch, steps, _ = cache.inputs[0].shape
    hidden = cache.h_last.shape[2]
    given = {"h": dh_last, "c": dc_last}
    dout, dlast, truncate = spec.backward_inputs(
        (batch, steps, cache.directions * hidden), (cache.layers * cache.directions, batch, hidden),
        cache.inputs[0].dtype, dout, {s: given[s] for s in names}, truncate, cache.layers, cache.directions)
    grads, dx, dstate0 = _backward(params, cache, dout, dlast, truncate, input_grads)
    return (grads, dx) + tuple(None if dstate0 is None else dstate0[s] for s in names)


def _window(params, cache, k, activation, loops=None):
    """The caches of the last k steps of every layer, rerun from the states at step T - k
    (held constant): truncation of a stack for gradients at its final states."""
    module, keys = _cell(cache.cell), spec.cell_spec(cache.cell).KEYS
    start = cache.inputs[0].shape[1] - k
    caches = tuple(module._cell_forward(spec.layer_params(params, layer, 0, keys),
                                        cache.inputs[layer][:, start:], c.state_at(start),
                                        **_options(cache.cell, activation), loops=loops)[1]
                   for layer, c in enumerate(cache.caches))          # unidirectional: slot = layer
    return cache._replace(inputs=tuple(x[:, start:] for x in cache.inputs), caches=caches)


def _backward(params, cache, dout, dlast, truncate, input_grads, loops=None):
    """:func:`backward`, unchecked; dstate0 ``{state: (L * D, batch, H)}`` (None without
    input_grads); loops as in :func:`_forward`."""
    steps = cache.inputs[0].shape[1]
    if truncate is not None and cache.layers > 1 and truncate <= steps:
        activation = getattr(cache.caches[0], "activation", "tanh")
        grads, dx, _ = _backward(params, _window(params, cache, truncate, activation, loops), dout,
                                 dlast, None, input_grads, loops)
        if not input_grads:
            return grads, None, None
        full = np.zeros(cache.inputs[0].shape, dtype=dx.dtype)
        full[:, steps - truncate:] = dx                   # steps before the window: no gradient
        zeros = {s: np.zeros_like(v) for s, v in _finals(cache).items()}
        return grads, full, zeros                          # the states at T - k are held constant
    module, keys = _cell(cache.cell), spec.cell_spec(cache.cell).KEYS
    directions, hidden = cache.directions, cache.h_last.shape[2]
    grads, dstate0 = {}, {s: [None] * len(cache.caches) for s in dlast}
    for layer in reversed(range(cache.layers)):
        # every layer below the top must send its input's gradient down
        want_dx = input_grads or layer > 0
        dbelow = None
        for direction in range(directions):
            slot = layer * directions + direction
            part = None if dout is None else dout[:, :, direction * hidden:(direction + 1) * hidden]
            if part is not None and direction:
                part = part[:, ::-1]                       # the reverse direction's own time order
            dout_tm = None if part is None else np.ascontiguousarray(part.transpose(1, 0, 2))
            own = {s: None if v is None else v[slot] for s, v in dlast.items()}
            g, dx, d0 = module._cell_backward(spec.layer_params(params, layer, direction, keys),
                                              cache.caches[slot], dout_tm, own, truncate, want_dx,
                                              loops=loops)
            grads.update({k + spec.suffix(layer, direction): v for k, v in g.items()})
            if want_dx:
                dx = dx[:, ::-1] if direction else dx
                dbelow = dx if dbelow is None else dbelow + dx
            if input_grads:
                for s in dstate0:
                    dstate0[s][slot] = d0[s]
        dout = dbelow
    if not input_grads:
        return grads, None, None
    return grads, dout, {s: np.stack(v) for s, v in dstate0.items()}


def _finals(cache):
    return {s: getattr(cache, f"{s}_last") for s in spec.CELL_STATES[cache.cell]}
