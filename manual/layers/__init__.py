"""Layers with hand-written backprop, one module each (``modelspec.table`` lists them).

Every layer has ``forward(params, x, ...) -> (out, cache)`` and
``backward(params, cache, dout, ...) -> (grads, dx, ...)`` for any upstream gradient
``dout`` of the output's shape, with ``grads`` keyed like ``params``. Both validate their
arguments (``modelspec``); models, which validate once for the whole call, use the
unchecked ``_forward`` / ``_backward`` beside them.
"""
from manual.layers import linear, recurrent  # noqa: F401
