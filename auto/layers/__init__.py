"""The layers of ``manual.layers``, written with ``autograd.numpy``: ``forward`` only.

The reference for a hand-written ``backward(params, cache, dout)`` is autograd's
vector-Jacobian product, the gradient of ``sum(dout * forward(params, x, ...))``.
"""
from auto.layers import linear, activation, recurrent, stack, embedding, gru, lstm  # noqa: F401
