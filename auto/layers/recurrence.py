"""What the autograd twins of the recurrent layers share: a cell's step run over a
sequence, and truncation by recomputation with the gradient stopped.

A cell is its ``step(params, x_t, state) -> state``, a state being a dict of arrays
(``{"h": h}`` for the vanilla RNN and the GRU, ``{"h": h, "c": c}`` for the LSTM). No
derivative is written here: truncation recomputes the state a gradient arrives at from
the state k steps earlier with its gradient stopped (``autograd.tracer.getval``), so that
only the last k steps pass gradient; this is the hand-written layers' ``truncate=k``.
"""
import autograd.numpy as np
from autograd.tracer import getval


def zeros_state(names, x, hidden, dtype):
    """A zero state ``{name: (batch, hidden)}`` for each of ``names``."""
    return {name: np.zeros((np.shape(x)[0], hidden), dtype=dtype) for name in names}


def states(step, params, x, state0):
    """``[s_0, s_1, ..., s_T]`` for x ``(batch, T, n_in)``: s_0 = state0, s_t = step(params, x_t, s_{t-1})."""
    out = [state0]
    for t in range(np.shape(x)[1]):
        out.append(step(params, x[:, t], out[-1]))
    return out


def truncated(step, params, x, all_states, t, k):
    """s_t as a gradient arriving at it sees it under truncation k (None: ``all_states[t]``):
    recomputed from s_{t-k} with its gradient stopped (s_0 itself when t < k)."""
    if k is None or t - k < 0:
        return all_states[t]
    state = {name: getval(value) for name, value in all_states[t - k].items()}
    for s in range(t - k + 1, t + 1):
        state = step(params, x[:, s - 1], state)
    return state


def run(step, params, x, state0, truncate=None, return_last=False):
    """Every h_t ``(batch, T, H)`` as a gradient arriving at it sees it (truncation k: k
    steps back); with ``return_last`` also the final state ``{name: (batch, H)}`` as a
    gradient arriving at it sees it."""
    all_states = states(step, params, x, state0)
    seen = [truncated(step, params, x, all_states, t, truncate) for t in range(1, len(all_states))]
    out = np.stack([s["h"] for s in seen], axis=1)
    return (out, seen[-1]) if return_last else out
