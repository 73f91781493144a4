"""The regimes of the recurrent layers and models, and one pinned example of each.

A bug may show in one regime only: a many-to-many loss with full BPTT, a window shorter
than the sequence, a window of exactly T (the initial state held constant), a window
longer than T (full BPTT again), an initial state given or not, one cell of a stack.
Drawn cases reach some of them late (many-to-many with full BPTT was first drawn at
example 53 of 60), so every regime gets a pinned example, tried first on every run:
``crosscheck run --examples 20`` reaches them all (tests/crosscheck/test_regimes.py).

A regime is ``(where, truncation, initial, cell)``: where the upstream gradient arrives
(a layer: ``"every"`` step, the ``"last"`` states only, or ``"both"``; a model: its
``output``), the truncation class (:func:`truncation`), whether the initial states are
given, and the cell (``None`` for a one-cell entry).
"""
import itertools

import numpy as np

import modelspec
from crosscheck.registry import Case
from modelspec import table

TRUNCATIONS = ("full", "shorter", "equal", "longer")
STEPS = 3                                  # the sequences' length: windows 2, 3 and 4
WINDOW = {"full": None, "shorter": STEPS - 1, "equal": STEPS, "longer": STEPS + 1}
LAYERS = (table.RECURRENT, table.LSTM, table.GRU)
STACKS = (table.STACK, table.SEQNET)
ENTRIES = LAYERS + STACKS + (table.RNN,)
LOSSES = modelspec.LOSSES


def truncation(truncate, steps):
    """"full" (None), "shorter" (k < T), "equal" (k = T) or "longer" (k > T)."""
    if truncate is None:
        return "full"
    return "shorter" if truncate < steps else "equal" if truncate == steps else "longer"


def of(entry, case):
    """The regime of a case of ``entry``."""
    if entry.kind == "model":
        where = case.options["output"]
    else:
        last = any(case.options.get(f"d{s}_last") is not None for s in ("h", "c"))
        where = "last" if case.args[1] is None else "both" if last else "every"
    steps = np.shape(case.args[0])[1]
    initial = case.options.get("h0") is not None
    return where, truncation(case.options.get("truncate"), steps), initial, case.options.get("cell")


def required(entry):
    """Every regime of ``entry`` that a case can be in."""
    wheres = modelspec.rnn.OUTPUTS if entry.kind == "model" else ("every", "last", "both")
    cells = modelspec.stack.CELLS if entry in STACKS else (None,)
    return set(itertools.product(wheres, TRUNCATIONS, (False, True), cells))


def uniform(rng, shape, bound=1.0):
    """An array of ``shape`` uniform in [-bound, bound]."""
    return rng.uniform(-bound, bound, shape)


def like(made, rng):
    """Parameters shaped as ``made`` (what an ``init_params`` returns), each drawn uniform
    in [-1, 1] in its order, the recurrent weights (``Whh...``) in [-0.5, 0.5]."""
    return {k: uniform(rng, np.shape(v), 0.5 if k.startswith("Whh") else 1.0) for k, v in made.items()}


def _target(loss, shape, rng):
    if loss == "cross_entropy":
        return rng.integers(0, shape[-1], shape[:-1])
    return rng.uniform(0, 1, shape) if loss == "bce" else uniform(rng, shape, 2.0)


def _example(entry, where, window, initial, cell, index):
    """One pinned case of ``entry`` in the regime; batch 2, n_in 2, H 3, T = :data:`STEPS`."""
    rng = np.random.default_rng(100 + index)
    batch, n_in, hidden = 2, 2, 3
    truncate = WINDOW[window]
    names = modelspec.stack.CELL_STATES.get(cell or entry.name, ("h",))
    # a deep stack truncates a window for final-state gradients only: one layer otherwise
    layers = 2 if where == "last" or truncate is None else 1
    x = uniform(rng, (batch, STEPS, n_in))
    if entry in LAYERS:
        params = like(entry.manual_module().init_params(n_in, hidden, rng=0), rng)
        slots, options = (batch, hidden), dict(truncate=truncate)
        if entry is table.RECURRENT:
            options["activation"] = "tanh"
    elif entry is table.STACK:
        params = like(entry.manual_module().init_params(n_in, hidden, layers, cell=cell, rng=0), rng)
        slots, options = (layers, batch, hidden), dict(cell=cell, truncate=truncate, activation="tanh")
    else:
        n_out = 2
        if entry is table.RNN:
            params, slots = like(entry.manual_module().init_params(n_in, hidden, n_out, rng=0), rng), (batch, hidden)
            cell_options = dict(activation="tanh")
        else:
            made = entry.manual_module().init_params(n_in, hidden, n_out, layers if where == "last" else 1,
                                                     cell=cell, rng=0)
            params = like(made, rng)
            slots = (layers if where == "last" else 1, batch, hidden)
            cell_options = dict(cell=cell, activation="tanh")
        loss = LOSSES[index % len(LOSSES)]
        options = dict(loss=loss, output=where, truncate=truncate, reduction=("mean", "sum")[index % 2],
                       **cell_options)
        if initial:
            options.update({f"{s}0": uniform(rng, slots) for s in names})
        shape = (batch, n_out) if where == "last" else (batch, STEPS, n_out)
        return Case(params, (x, _target(loss, shape, rng)), options)
    if initial:
        options.update({f"{s}0": uniform(rng, slots) for s in names})
    dout = None if where == "last" else uniform(rng, (batch, STEPS, hidden))
    if where != "every":
        options.update({f"d{s}_last": uniform(rng, slots) for s in names})
    return Case(params, (x, dout), options)


def examples(entry):
    """One pinned case per regime of ``entry``, in a fixed order."""
    return tuple(_example(entry, where, window, initial, cell, index)
                 for index, (where, window, initial, cell) in enumerate(sorted(required(entry), key=str)))
