"""The LSTM layer of ``manual.layers.lstm``, written with ``autograd.numpy``.

Gates i, f, g, o side by side along the 4H axis (PyTorch's order); truncation by
recomputation with the gradient stopped (:mod:`auto.layers.recurrence`), no derivative
written by hand.
"""
import autograd.numpy as np

from auto.activations import _sigmoid as sigmoid   # unchecked, for every step
from auto.layers import recurrence
from auto.values import values
from modelspec import lstm as spec

STATES = ("h", "c")


def forward(params, x, *, h0=None, c0=None, truncate=None, return_last=False):
    """Every hidden state ``(batch, time, H)`` for x ``(batch, time, n_in)``; arguments as
    ``manual.layers.lstm.forward``. With ``truncate=k``, state t is the one a gradient
    arriving at it sees, whose gradient reaches k steps back: the VJP of this function is
    the hand-written truncated backward. ``return_last``: return ``(out, {"h": h_T, "c":
    c_T})``, the final state as a gradient arriving at it sees it."""
    spec.forward_inputs(values(params), values(x), h0=values(h0), c0=values(c0))
    spec.check_truncate(truncate)
    return recurrence.run(cell(), params, x, initial(params, x, h0, c0), truncate, return_last)


def cell():
    """The step ``(params, x_t, {"h": h_{t-1}, "c": c_{t-1}}) -> {"h": h_t, "c": c_t}``."""
    return _step


def _step(params, x_t, state):
    H = np.shape(params["Whh"])[0]
    a = np.dot(x_t, params["Wxh"]) + np.dot(state["h"], params["Whh"]) + params["bh"]
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = f * state["c"] + i * g
    return {"h": o * np.tanh(c), "c": c}


def initial(params, x, h0=None, c0=None):
    """The state before step 1: ``{"h": h0, "c": c0}``, zeros for either that is None."""
    zeros = recurrence.zeros_state(STATES, x, np.shape(params["Whh"])[0], params["Whh"].dtype)
    return {"h": zeros["h"] if h0 is None else h0, "c": zeros["c"] if c0 is None else c0}
