"""The recurrent layer of ``manual.layers.recurrent``, written with ``autograd.numpy``.

Truncation is not a derivative written by hand: the state h_t as seen by the gradient
that arrives at it is recomputed from h_{t-k} with the gradient stopped
(``autograd.tracer.getval``), so that only h_{t-k+1} .. h_t pass gradient.
"""
import autograd.numpy as np
from autograd.tracer import getval

from auto.activations import ACTIVATIONS
from auto.values import values
from modelspec import recurrent as spec


def forward(params, x, *, h0=None, activation="tanh", truncate=None, nonlinearity=None):
    """Every state ``(batch, time, H)`` for x ``(batch, time, n_in)``; arguments as
    ``manual.layers.recurrent.forward``. With ``truncate=k``, state t is
    :func:`truncated_state`, whose value is h_t and whose gradient reaches k steps back:
    the VJP of this function is the hand-written truncated backward."""
    _, _, activation = spec.forward_inputs(values(params), values(x), h0=values(h0),
                                           activation=activation, nonlinearity=nonlinearity)
    spec.check_truncate(truncate)
    hs = states(params, x, h0, activation)
    return np.stack([truncated_state(params, x, hs, t, truncate, activation)
                     for t in range(1, len(hs))], axis=1)


def _step(params, x_t, h_prev, act):
    return act(np.dot(x_t, params["Wxh"]) + np.dot(h_prev, params["Whh"]) + params["bh"])


def states(params, x, h0, activation):
    """Hidden states ``[h_0, h_1, ..., h_T]``, each ``(batch, H)``."""
    act = ACTIVATIONS[activation]
    if h0 is None:
        h0 = np.zeros((np.shape(x)[0], np.shape(params["Whh"])[0]), dtype=params["Whh"].dtype)
    hs = [h0]
    for t in range(np.shape(x)[1]):
        hs.append(_step(params, x[:, t], hs[-1], act))
    return hs


def truncated_state(params, x, hs, t, k, activation):
    """h_t as seen by a gradient arriving at it under truncation k: recomputed from h_{t-k}
    with its gradient stopped, so that only h_{t-k+1} .. h_t pass gradient (h_0 itself
    when t < k); ``hs[t]`` itself when k is None."""
    if k is None or t - k < 0:
        return hs[t]
    act = ACTIVATIONS[activation]
    h = getval(hs[t - k])
    for s in range(t - k + 1, t + 1):
        h = _step(params, x[:, s - 1], h, act)
    return h
