"""The sequence network (:mod:`manual.seqnet`) with every cell's time loops compiled by
numba: :data:`LOOPS` holds them, one ``manual.layers.recurrent.Loops`` per cell. The same
parameters, options, checks and results (to rounding); only the loops inside each layer of
the stack differ. Needs the optional extra ``[numba]``.
"""
from types import SimpleNamespace

from compiled import gru, lstm, recurrent
from manual import seqnet
from modelspec import seqnet as spec
from modelspec import table

init_params = seqnet.init_params
SeqNetCache = seqnet.SeqNetCache

LOOPS = {table.RECURRENT.name: recurrent.LOOPS, table.LSTM.name: lstm.LOOPS, table.GRU.name: gru.LOOPS}


def with_loops(loops):
    """:mod:`manual.seqnet`'s ``forward``, ``backward`` and ``loss_and_grads`` (the same
    inputs and returns) with ``loops[cell]`` the time loops of each cell (``loops``: a dict
    keyed by the cells' names, as :data:`LOOPS`)."""
    def of(cell):
        # None for a cell that is not one (the checks then refuse it, as manual.seqnet's do)
        return loops.get(cell) if isinstance(cell, str) else None

    def forward(params, x, *, cell=table.RECURRENT.name, h0=None, c0=None, output="last",
                activation="tanh"):
        """As :func:`manual.seqnet.forward`."""
        x, initial, activation, _, _ = spec.forward_inputs(params, x, cell=cell, h0=h0, c0=c0,
                                                           output=output, activation=activation)
        return seqnet._forward(params, x, cell, initial, output, activation, of(cell))

    def backward(params, cache, dlogits, *, truncate=None):
        """As :func:`manual.seqnet.backward`."""
        cell = getattr(getattr(cache, "stack", None), "cell", None)   # the cache is checked there
        return seqnet._checked_backward(params, cache, dlogits, truncate, of(cell))

    def loss_and_grads(params, x, y, *, loss, cell=table.RECURRENT.name, output="last",
                       truncate=None, reduction="mean", h0=None, c0=None, activation="tanh",
                       return_input_grads=False):
        """As :func:`manual.seqnet.loss_and_grads`."""
        return seqnet._loss_and_grads(params, x, y, loss, cell, output, truncate, reduction, h0, c0,
                                      activation, return_input_grads, of(cell))

    return SimpleNamespace(forward=forward, backward=backward, loss_and_grads=loss_and_grads)


_compiled = with_loops(LOOPS)
forward, backward, loss_and_grads = _compiled.forward, _compiled.backward, _compiled.loss_and_grads
