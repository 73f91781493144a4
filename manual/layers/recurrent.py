"""Vanilla recurrent layer over a whole sequence, with hand-written (truncated) BPTT.

params: ``Wxh (n_in, H), Whh (H, H), bh (H,)``; in the seeds' row-vector convention, for x
``(batch, time, n_in)``::

    h_t = act(x_t @ Wxh + h_{t-1} @ Whh + bh),   t = 1 .. T,   h_0 = 0 or the given h0

and the output is every state, ``(batch, time, H)``. Backward takes any upstream gradient:
``dout`` at every state and/or ``dh_last`` at h_T.

Internally the states are kept time-major, ``(T + 1, batch, H)``, so that each step reads
and writes one contiguous block; the input projection for all steps is one GEMM, and the
weight gradients are one GEMM each after the time loop. The time loops allocate nothing:
every step writes into buffers allocated once per call (``benchmarks/`` measures the result).
"""
from typing import NamedTuple

import numpy as np

from manual import init as initializers
from manual.activations import ACTIVATIONS, DERIVATIVES
from modelspec import checks
from modelspec import recurrent as spec

STATES = ("h",)            # the recurrent state: h0 in, dh_last / dh0 in backward


class RecurrentCache(NamedTuple):
    """What ``backward`` needs, time-major.

    x: ``(T, batch, n_in)``, the input; hs: ``(T + 1, batch, H)``, ``hs[0] = h_0`` and
    ``hs[t] = h_t``; activation as passed to ``forward``.
    """
    x: np.ndarray
    hs: np.ndarray
    activation: str

    @property
    def h_last(self):
        """The final state ``h_T`` ``(batch, H)``: pass it as ``h0`` to carry the state into
        the next chunk of a long sequence."""
        return self.hs[-1]

    def state_at(self, t):
        """The state after step t (0 .. T), ``{"h": h_t}``."""
        return {"h": self.hs[t]}


def init_params(n_in, hidden, *, rng=None, dtype=np.float64):
    """Glorot-uniform ``Wxh``, orthogonal ``Whh`` (seed 003's choice), zero ``bh``.

    rng: None, an int seed or a Generator. Returns ``{"Wxh", "Whh", "bh"}``.
    """
    checks.check_positive_int("n_in", n_in)
    checks.check_positive_int("hidden", hidden)
    rng = checks.check_rng("rng", rng)
    return {"Wxh": initializers.glorot_uniform(rng, (n_in, hidden), dtype),
            "Whh": initializers.orthogonal(rng, (hidden, hidden), dtype),
            "bh": np.zeros(hidden, dtype=dtype)}


def forward(params, x, *, h0=None, activation="tanh", nonlinearity=None):
    """Inputs: params (see module doc); x ``(batch, time, n_in)``, real or one-hot integers;
    h0 ``(batch, H)`` or None for zeros; activation "tanh" or "relu" (``nonlinearity`` is
    its deprecated name).
    Returns: out ``(batch, time, H)``, every state h_1 .. h_T (a batch-first view of the
    time-major ``cache.hs``), and a :class:`RecurrentCache`.
    """
    x, h0, activation = spec.forward_inputs(params, x, h0=h0, activation=activation,
                                            nonlinearity=nonlinearity)
    return _forward(params, x, h0, activation)


def _forward(params, x, h0, activation, loops=None):
    """:func:`forward` on checked inputs; ``loops``: the time loops (:class:`Loops`), None
    for this module's NumPy ones."""
    Wxh, Whh = params["Wxh"], params["Whh"]
    batch, steps, n_in = x.shape
    hidden = Whh.shape[0]
    # x time-major (T, batch, n_in): one GEMM projects every step, and dWxh is one GEMM later
    # a copy (ascontiguousarray would return a view of the caller's x when batch or time is 1)
    xs = np.array(x.transpose(1, 0, 2), order="C")
    # the state buffer first holds the input projection x_t @ Wxh of every step, computed
    # in one GEMM; step t then adds h_{t-1} @ Whh + bh and applies act in place
    hs = np.empty((steps + 1, batch, hidden), dtype=Wxh.dtype)
    hs[0] = 0 if h0 is None else h0
    np.matmul(xs.reshape(steps * batch, n_in), Wxh, out=hs[1:].reshape(steps * batch, hidden))
    (loops or NUMPY_LOOPS).forward_steps(hs, Whh, params["bh"], activation)
    return hs[1:].transpose(1, 0, 2), RecurrentCache(xs, hs, activation)


def _forward_steps(hs, Whh, bh, activation):
    """Steps t = 1 .. T in place: on entry ``hs[t]`` holds ``x_t @ Wxh`` (and ``hs[0]`` the
    initial state), on return ``h_t``. hs ``(T + 1, batch, H)``."""
    act = ACTIVATIONS[activation]
    recurrent = np.empty(hs.shape[1:], dtype=hs.dtype)   # h_{t-1} @ Whh + bh, every step
    for t in range(1, hs.shape[0]):
        np.matmul(hs[t - 1], Whh, out=recurrent)
        recurrent += bh                          # bh added here, in cache: no pass over all of hs
        hs[t] += recurrent                       # z_t = x_t @ Wxh + h_{t-1} @ Whh + bh
        act(hs[t], out=hs[t])                    # h_t = act(z_t)


def backward(params, cache, dout, *, dh_last=None, truncate=None, input_grads=True):
    """Backward pass through time from any upstream gradient.

    Inputs: params; cache from :func:`forward`; dout ``(batch, time, H)``, dL/dh_t at every
    state, or None; dh_last ``(batch, H)``, a gradient at h_T (from whatever reads the last
    state), or None; at least one of the two. truncate: None for full BPTT, or k >= 1: the
    gradient arriving at h_t (``dout[:, t]``, and ``dh_last`` at h_T) flows back through
    h_t ... h_{t-k+1} only, h_{t-k} being held constant for it (h_0 included: with k = t it
    gives h0 no gradient). input_grads: False skips dx and dh0.
    Returns: grads ``{"Wxh", "Whh", "bh"}``, dx ``(batch, time, n_in)``, dh0 ``(batch, H)``
    (None, None without input_grads).
    """
    checks.check_cache(cache, RecurrentCache, "manual.layers.recurrent.forward")
    steps, batch, _ = cache.x.shape
    dout, dh_last, truncate = spec.backward_inputs((batch, steps, cache.hs.shape[2]),
                                                   cache.hs.dtype, dout, dh_last, truncate)
    dout_tm = None if dout is None else dout.transpose(1, 0, 2)
    return _backward(params, cache, dout_tm, dh_last, truncate, input_grads)


def _cell_forward(params, x, state0, activation="tanh", loops=None):
    """The interface every recurrent layer shares (a stack of layers calls it), unchecked:
    state0 ``{"h": (batch, H) or None}``; loops as in :func:`_forward`. Returns
    ``(out, cache)`` as :func:`forward`."""
    return _forward(params, x, state0["h"], activation, loops)


def _cell_backward(params, cache, dout_tm, dlast, truncate, input_grads, loops=None):
    """The interface every recurrent layer shares, unchecked: dout_tm ``(T, batch, H)``
    time-major or None; dlast ``{"h": (batch, H) or None}``; loops as in :func:`_forward`.
    Returns ``(grads, dx, dstate0)``, dstate0 ``{"h": dh0}`` (dx and dstate0 None without
    input_grads)."""
    grads, dx, dh0 = _backward(params, cache, dout_tm, dlast["h"], truncate, input_grads, loops)
    return grads, dx, (None if dh0 is None else {"h": dh0})


def _backward(params, cache, dout_tm, dh_last, truncate, input_grads, loops=None):
    """:func:`backward` with ``dout_tm`` time-major ``(T, batch, H)`` (or None), checked by
    the caller; what is not asked for is not computed: dx and dh0 unless ``input_grads``.
    ``loops``: the time loops (:class:`Loops`), None for this module's NumPy ones."""
    xs, hs = cache.x, cache.hs
    steps, batch, n_in = xs.shape
    hidden = hs.shape[2]
    loops = loops or NUMPY_LOOPS
    activation = cache.activation
    WhhT = np.ascontiguousarray(params["Whh"].T)   # contiguous: the step GEMM runs faster
    if dout_tm is None:
        # a gradient at h_T only (a many-to-one head): one gradient carried back, through
        # h_T ... h_{T-k+1} (a window longer than the sequence is full BPTT)
        first = 0 if truncate is None else max(0, steps - truncate)
        window_ends_at_h0 = truncate is not None and truncate <= steps
        dz, dh0 = loops.bptt(WhhT, hs, dh_last[None], activation, first,
                              input_grads and not window_ends_at_h0)
        if input_grads and window_ends_at_h0:
            dh0 = np.zeros_like(hs[0])           # h_{T-k} (h_0 at most) is held constant
    else:
        if dh_last is not None:
            dout_tm = dout_tm.copy()             # ours to add to: the caller's stays as it is
            dout_tm[-1] += dh_last
        first = 0
        if truncate is not None and truncate <= steps:
            dz, dh0 = loops.bptt_window(WhhT, hs, dout_tm, activation, truncate)
        else:
            dz, dh0 = loops.bptt(WhhT, hs, dout_tm, activation, 0, input_grads)
    # weight gradients: one GEMM each over the steps that received a gradient,
    # dWxh = sum_t x_t.T @ dz_t and dWhh = sum_t h_{t-1}.T @ dz_t
    used = steps - first
    dz2 = dz.reshape(used * batch, hidden)
    grads = {"Wxh": xs[first:].reshape(used * batch, n_in).T @ dz2,
             "Whh": hs[first:steps].reshape(used * batch, hidden).T @ dz2,
             "bh": dz2.sum(axis=0)}
    if not input_grads:
        return grads, None, None
    # dx_t = dz_t @ Wxh.T, one GEMM, then into the batch-first layout; steps before the
    # window receive no gradient
    dx = np.empty((batch, steps, n_in), dtype=xs.dtype)
    dx[:, :first] = 0
    dx[:, first:] = (dz2 @ params["Wxh"].T).reshape(used, batch, n_in).transpose(1, 0, 2)
    return grads, dx, dh0


def _bptt(WhhT, hs, dh_out, activation, first, carry_to_first=True):
    """Carry one gradient from h_T back to h_{first+1}.

    WhhT: ``Whh.T``; hs: ``(T + 1, batch, H)``; dh_out: ``(T, batch, H)``, the upstream
    gradient at every h_t, or ``(1, batch, H)``, at h_T only. Returns dz
    ``(T - first, batch, H)``, the gradient at the pre-activations of steps first+1 .. T,
    and the gradient at h_first (None, and its GEMM skipped, unless ``carry_to_first``).
    """
    dact = DERIVATIVES[activation]
    steps = hs.shape[0] - 1
    every_step = dh_out.shape[0] == steps
    dz = np.empty((steps - first,) + hs.shape[1:], dtype=hs.dtype)
    dact(hs[first + 1:], out=dz)                 # act'(z_t) from h_t, every step at once
    dh_next = dh_out[-1].copy()                  # dL/dh_t, starting at t = T
    for t in range(steps, first, -1):
        if every_step and t < steps:
            dh_next += dh_out[t - 1]             # plus the upstream gradient at h_t itself
        dz_t = dz[t - 1 - first]
        dz_t *= dh_next                          # backprop through the nonlinearity
        if t > first + 1 or carry_to_first:
            np.matmul(dz_t, WhhT, out=dh_next)   # carry to h_{t-1}: dz_t @ Whh.T
    return dz, (dh_next if carry_to_first else None)


def _bptt_window(WhhT, hs, dh_out, activation, k):
    """Truncated BPTT with a gradient arriving at every step: the one at h_t reaches
    h_t ... h_{t-k+1}.

    Each of the (up to) k gradients whose window covers a step is carried separately, so
    that each can be dropped where its own window ends. Returns dz ``(T, batch, H)`` and dh0.
    """
    dact = DERIVATIVES[activation]
    steps, batch, hidden = dh_out.shape
    dz = np.empty((steps, batch, hidden), dtype=hs.dtype)
    g = np.zeros((k, batch, hidden), dtype=hs.dtype)   # g[j]: gradient at h_t of term t + j
    gz = np.empty_like(g)
    deriv = np.empty((batch, hidden), dtype=hs.dtype)
    for t in range(steps, 0, -1):
        g[0] = dh_out[t - 1]
        dact(hs[t], out=deriv)
        np.multiply(g, deriv, out=gz)            # backprop through the nonlinearity, per term
        gz.sum(axis=0, out=dz[t - 1])
        # carry every term to h_{t-1} except term t + k - 1, whose window ends at h_t
        np.matmul(gz[:-1].reshape(-1, hidden), WhhT, out=g[1:].reshape(-1, hidden))
    return dz, g[1:].sum(axis=0)                 # terms 1 .. k-1 reach h_0


class Loops(NamedTuple):
    """A recurrent layer's three time loops: the forward steps, BPTT carrying one gradient
    back, and the per-term window of truncated BPTT. Their signatures are each layer's own;
    this layer's, on the time-major buffers described in the module doc, are
    ``forward_steps(hs, Whh, bh, activation)`` (in place), ``bptt(WhhT, hs, dh_out,
    activation, first, carry_to_first) -> (dz, dh_first)`` and ``bptt_window(WhhT, hs,
    dh_out, activation, k) -> (dz, dh0)``. Each layer's NumPy ones are its
    ``NUMPY_LOOPS``; the optional compiled ones (``compiled.recurrent.LOOPS``, ...) are
    checked as their own entries."""
    forward_steps: object
    bptt: object
    bptt_window: object


NUMPY_LOOPS = Loops(_forward_steps, _bptt, _bptt_window)
