"""The stack of ``manual.layers.stack``, written with ``autograd.numpy``: every layer and
direction runs its cell's step (``auto.layers.<cell>.cell()``) over the sequence, the
reverse direction over the time-reversed one.

Truncation is no derivative written by hand (:mod:`modelspec.stack` defines it): one
layer truncates as its cell does (:mod:`auto.layers.recurrence`); a deeper stack reruns
the last k steps of every layer from the states at step T - k with their gradient stopped.
"""
import autograd.numpy as np
from autograd.tracer import getval

from auto.layers import recurrence
from auto.values import values
from modelspec import stack as spec
from modelspec import table


def forward(params, x, *, cell=table.RECURRENT.name, h0=None, c0=None, activation="tanh",
            truncate=None, return_last=False):
    """Every step's output ``(batch, time, D * H)`` for x ``(batch, time, n_in)``; arguments
    as ``manual.layers.stack.forward``, and truncate (see :mod:`modelspec.stack`).
    ``return_last``: also ``{"h": (L * D, batch, H), ...}``, the final states as a gradient
    arriving at them sees them."""
    _, _, activation, (layers, directions, _) = spec.forward_inputs(
        values(params), values(x), cell=cell, h0=values(h0), c0=values(c0), activation=activation)
    truncate = spec.check_truncate(truncate, layers, directions)
    module = table.get(cell).auto_module()
    step = module.cell(**({"activation": activation} if cell == table.RECURRENT.name else {}))
    given = {"h": h0, "c": c0}
    names, keys = spec.CELL_STATES[cell], spec.cell_spec(cell).KEYS

    def initial(own, seq, slot):
        return module.initial(own, seq, **{f"{s}0": None if given[s] is None else given[s][slot]
                                           for s in names})

    # every layer and direction over the whole sequence; one layer truncates as its cell does
    inputs, lasts, seq = [], [], x
    for layer in range(layers):
        inputs.append(seq)
        outs = []
        for direction in range(directions):
            own = spec.layer_params(params, layer, direction, keys)
            reads = seq[:, ::-1] if direction else seq      # the reverse direction reads x_T first
            out, last = recurrence.run(step, own, reads, initial(own, reads, layer * directions + direction),
                                       truncate if layers == 1 else None, True)
            outs.append(out[:, ::-1] if direction else out)
            lasts.append(last)
        seq = outs[0] if directions == 1 else np.concatenate(outs, axis=2)
    steps = np.shape(x)[1]
    if truncate is not None and layers > 1 and truncate <= steps:
        # a window over the last k steps of every layer (unidirectional), rerun bottom up
        # from the states at step T - k with their gradient stopped
        start, below, lasts = steps - truncate, x[:, steps - truncate:], []
        for layer in range(layers):
            own = spec.layer_params(params, layer, 0, keys)
            before = recurrence.states(step, own, inputs[layer][:, :start], initial(own, x, layer))[-1]
            below, last = recurrence.run(step, own, below, {s: getval(v) for s, v in before.items()},
                                         None, True)
            lasts.append(last)
        seq = np.concatenate([getval(seq[:, :start]), below], axis=1)
    last = {s: np.stack([one[s] for one in lasts]) for s in names}
    return (seq, last) if return_last else seq
