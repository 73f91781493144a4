"""The seeds' RNN (:mod:`manual.rnn`) with the recurrent layer's time loops compiled by numba
(:data:`compiled.recurrent.LOOPS`): the same parameters, options, checks and results (to
rounding), faster at small hidden sizes. Needs the optional extra ``[numba]``.
"""
from types import SimpleNamespace

from compiled.recurrent import LOOPS
from manual import rnn
from modelspec import rnn as spec

init_params = rnn.init_params
RNNCache = rnn.RNNCache


def with_loops(loops):
    """:mod:`manual.rnn`'s ``forward``, ``backward`` and ``loss_and_grads`` (the same inputs
    and returns) with the recurrent layer's time loops ``loops``
    (``manual.layers.recurrent.Loops``)."""
    def forward(params, x, *, h0=None, output="last", activation="tanh", nonlinearity=None):
        """As :func:`manual.rnn.forward`."""
        x, h0, activation = spec.forward_inputs(params, x, h0=h0, output=output,
                                                activation=activation, nonlinearity=nonlinearity)
        return rnn._forward(params, x, h0, output, activation, loops)

    def backward(params, cache, dlogits, *, truncate=None):
        """As :func:`manual.rnn.backward`."""
        return rnn._backward(params, cache, rnn._backward_inputs(params, cache, dlogits, truncate),
                             truncate, True, loops)

    def loss_and_grads(params, x, y, *, loss, output="last", truncate=None, reduction="mean",
                       h0=None, activation="tanh", return_input_grads=False, nonlinearity=None):
        """As :func:`manual.rnn.loss_and_grads`."""
        return rnn._loss_and_grads(params, x, y, loss, output, truncate, reduction, h0,
                                   activation, return_input_grads, nonlinearity, loops)

    return SimpleNamespace(forward=forward, backward=backward, loss_and_grads=loss_and_grads)


_compiled = with_loops(LOOPS)
forward, backward, loss_and_grads = _compiled.forward, _compiled.backward, _compiled.loss_and_grads
