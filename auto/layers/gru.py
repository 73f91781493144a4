"""The gru layer of ``manual.layers.gru`` (PyTorch's GRU), written with ``autograd.numpy``.

A cell is its step (:mod:`auto.layers.recurrence` runs it over the sequence and truncates
by recomputation); no derivative is written here.
"""
import autograd.numpy as np

from auto.activations import _sigmoid as sigmoid   # unchecked, for every step
from auto.layers import recurrence
from auto.values import values
from modelspec import gru as spec

STATES = ("h",)


def forward(params, x, *, h0=None, truncate=None, return_last=False):
    """Every state ``(batch, time, H)`` for x ``(batch, time, n_in)``; arguments as
    ``manual.layers.gru.forward``. With ``truncate=k``, state t is the one a gradient
    arriving at it sees, whose value is h_t and whose gradient reaches k steps back: the
    VJP of this function is the hand-written truncated backward. ``return_last``: return
    ``(out, {"h": h_T})``, h_T as a gradient arriving at it sees it."""
    spec.forward_inputs(values(params), values(x), h0=values(h0))
    spec.check_truncate(truncate)
    return recurrence.run(cell(), params, x, initial(params, x, h0), truncate, return_last)


def cell():
    """The step ``(params, x_t, {"h": h_{t-1}}) -> {"h": h_t}``."""
    return _step


def _step(params, x_t, state):
    h = state["h"]
    hidden = np.shape(h)[1]
    ax = np.dot(x_t, params["Wxh"]) + params["bxh"]
    ah = np.dot(h, params["Whh"]) + params["bhh"]
    r = sigmoid(ax[:, :hidden] + ah[:, :hidden])
    z = sigmoid(ax[:, hidden:2 * hidden] + ah[:, hidden:2 * hidden])
    n = np.tanh(ax[:, 2 * hidden:] + r * ah[:, 2 * hidden:])
    return {"h": (1 - z) * n + z * h}


def initial(params, x, h0=None):
    """The state before step 1: ``{"h": h0}``, zeros when h0 is None."""
    if h0 is None:
        return recurrence.zeros_state(STATES, x, np.shape(params["Whh"])[0], params["Whh"].dtype)
    return {"h": h0}
