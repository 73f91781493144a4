"""Layers with hand-written backprop, one module each (``modelspec.table`` lists them).

Every layer has ``forward(params, x, ...) -> (out, cache)`` and
``backward(params, cache, dout, ...) -> (grads, dx, ...)`` for any upstream gradient
``dout`` of the output's shape, with ``grads`` keyed like ``params``. Both validate their
arguments (``modelspec``); models, which validate once for the whole call, use the
unchecked ``_forward`` / ``_backward`` beside them.

A recurrent layer (``recurrent``, and any cell a stack of layers can hold) also has:
``STATES``, the names of its state (``("h",)``, ``("h", "c")`` for the LSTM), given as
``h0``/``c0`` to ``forward`` and as ``dh_last``/``dc_last`` to ``backward``, which returns
``(grads, dx, dh0[, dc0])``; a cache with ``h_last`` (``c_last``) and ``state_at(t)``
(``{"h": h_t, ...}``, t = 0 .. T); and the unchecked pair with dict states,
``_cell_forward(params, x, state0, **options) -> (out, cache)`` and
``_cell_backward(params, cache, dout_tm, dlast, truncate, input_grads) -> (grads, dx,
dstate0)`` (``dout_tm`` time-major ``(T, batch, H)`` or None).
"""
from manual.layers import linear, activation, recurrent, stack, embedding, gru, lstm  # noqa: F401
