"""The recurrent layer of ``manual.layers.recurrent``, written with ``autograd.numpy``.

Truncation is not a derivative written by hand: the state h_t as seen by the gradient
that arrives at it is recomputed from h_{t-k} with the gradient stopped
(:mod:`auto.layers.recurrence`), so that only h_{t-k+1} .. h_t pass gradient.
"""
import functools

import autograd.numpy as np

from auto.activations import ACTIVATIONS
from auto.layers import recurrence
from auto.values import values
from modelspec import recurrent as spec

STATES = ("h",)


def forward(params, x, *, h0=None, activation="tanh", truncate=None, nonlinearity=None,
            return_last=False):
    """Every state ``(batch, time, H)`` for x ``(batch, time, n_in)``; arguments as
    ``manual.layers.recurrent.forward``. With ``truncate=k``, state t is the one a gradient
    arriving at it sees, whose value is h_t and whose gradient reaches k steps back: the
    VJP of this function is the hand-written truncated backward. ``return_last``: return
    ``(out, {"h": h_T})``, h_T as a gradient arriving at it sees it."""
    _, _, activation = spec.forward_inputs(values(params), values(x), h0=values(h0),
                                           activation=activation, nonlinearity=nonlinearity)
    spec.check_truncate(truncate)
    return recurrence.run(cell(activation), params, x, initial(params, x, h0), truncate, return_last)


def cell(activation="tanh"):
    """The step ``(params, x_t, {"h": h_{t-1}}) -> {"h": h_t}``."""
    return functools.partial(_step, act=ACTIVATIONS[activation])


def _step(params, x_t, state, act):
    return {"h": act(np.dot(x_t, params["Wxh"]) + np.dot(state["h"], params["Whh"]) + params["bh"])}


def initial(params, x, h0=None):
    """The state before step 1: ``{"h": h0}``, zeros when h0 is None."""
    if h0 is None:
        return recurrence.zeros_state(STATES, x, np.shape(params["Whh"])[0], params["Whh"].dtype)
    return {"h": h0}


def states(params, x, h0, activation):
    """Hidden states ``[h_0, h_1, ..., h_T]``, each ``(batch, H)``."""
    return [s["h"] for s in recurrence.states(cell(activation), params, x, initial(params, x, h0))]


def truncated_state(params, x, hs, t, k, activation):
    """h_t as seen by a gradient arriving at it under truncation k (see
    :func:`auto.layers.recurrence.truncated`)."""
    return recurrence.truncated(cell(activation), params, x, [{"h": h} for h in hs], t, k)["h"]
