"""LSTM layer over a whole sequence, with hand-written (truncated) BPTT.

params: ``Wxh (n_in, 4H), Whh (H, 4H), bh (4H,)``, the four gates side by side along the
4H axis in PyTorch's order i, f, g, o (input, forget, cell candidate, output). In the
seeds' row-vector convention, for x ``(batch, time, n_in)``::

    a_t = x_t @ Wxh + h_{t-1} @ Whh + bh                      (batch, 4H)
    i = sigmoid(a_t[:, :H])       f = sigmoid(a_t[:, H:2H])
    g = tanh(a_t[:, 2H:3H])       o = sigmoid(a_t[:, 3H:])
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t),          t = 1 .. T,   h_0, c_0 = 0 or the given h0, c0

and the output is every hidden state, ``(batch, time, H)``. Backward takes any upstream
gradient: ``dout`` at every h_t, and/or ``dh_last`` at h_T and ``dc_last`` at c_T.
:func:`init_params` sets the forget gate's bias to ``forget_bias`` (1 by default, the
common choice: the cell state is kept until the gate learns otherwise).

As in ``manual.layers.recurrent``, the states are kept time-major, ``(T + 1, batch, H)``;
the input projection of all steps is one GEMM and the weight gradients are one GEMM each
after the time loop; the loops write into buffers allocated once per call. The three time
loops are module functions, :data:`NUMPY_LOOPS`; the unchecked internals take others with
``loops=`` (``compiled.lstm.LOOPS``, the same loops compiled by numba).
"""
from typing import NamedTuple

import numpy as np

from manual import init
from manual.layers import recurrent
from modelspec import checks
from modelspec import lstm as spec

STATES = ("h", "c")        # the recurrent state: h0, c0 in; dh_last, dc_last / dh0, dc0 in backward


class LSTMCache(NamedTuple):
    """What ``backward`` needs, time-major.

    x: ``(T, batch, n_in)``; hs, cs: ``(T + 1, batch, H)``, ``hs[0] = h_0``, ``hs[t] = h_t``
    (and c likewise); gates: ``(T, batch, 4H)``, i, f, g, o of every step after their
    nonlinearity; tanh_c: ``(T, batch, H)``, tanh(c_t) for t = 1 .. T.
    """
    x: np.ndarray
    hs: np.ndarray
    cs: np.ndarray
    gates: np.ndarray
    tanh_c: np.ndarray

    @property
    def h_last(self):
        """The final hidden state ``h_T`` ``(batch, H)`` (the next chunk's h0)."""
        return self.hs[-1]

    @property
    def c_last(self):
        """The final cell state ``c_T`` ``(batch, H)`` (the next chunk's c0)."""
        return self.cs[-1]

    def state_at(self, t):
        """The state after step t (0 .. T), ``{"h": h_t, "c": c_t}``."""
        return {"h": self.hs[t], "c": self.cs[t]}


def init_params(n_in, hidden, *, rng=None, dtype=np.float64, forget_bias=1.0):
    """Glorot-uniform ``Wxh``, an orthogonal ``(H, H)`` block of ``Whh`` per gate, zero
    biases but the forget gate's, which is ``forget_bias`` (1: keep the cell state at first).

    rng: None, an int seed or a Generator. Returns ``{"Wxh": (n_in, 4H), "Whh": (H, 4H),
    "bh": (4H,)}``.
    """
    checks.check_positive_int("n_in", n_in)
    checks.check_positive_int("hidden", hidden)
    rng, dtype = checks.check_rng("rng", rng), checks.check_float_dtype("dtype", dtype)
    bh = np.zeros(spec.GATES * hidden, dtype=dtype)
    bh[hidden:2 * hidden] = checks.check_real("forget_bias", forget_bias)
    return {"Wxh": init.glorot_uniform(rng, (n_in, spec.GATES * hidden), dtype),
            "Whh": np.concatenate([init.orthogonal(rng, (hidden, hidden), dtype)
                                   for _ in range(spec.GATES)], axis=1),
            "bh": bh}


def forward(params, x, *, h0=None, c0=None):
    """Inputs: params (see module doc); x ``(batch, time, n_in)``, real or one-hot integers;
    h0, c0 ``(batch, H)`` or None for zeros.
    Returns: out ``(batch, time, H)``, every hidden state h_1 .. h_T (a batch-first view of
    the time-major ``cache.hs``), and an :class:`LSTMCache`.
    """
    x, h0, c0 = spec.forward_inputs(params, x, h0=h0, c0=c0)
    return _forward(params, x, h0, c0)


def _sigmoid(z, scratch):
    """sigmoid(z) in place, = exp(min(z, 0)) / (1 + exp(-|z|)): exp only of numbers <= 0,
    so it never overflows. ``scratch``: an array of z's shape to work in."""
    np.abs(z, out=scratch)
    np.negative(scratch, out=scratch)
    np.exp(scratch, out=scratch)
    scratch += 1                                 # 1 + exp(-|z|)
    np.minimum(z, 0, out=z)
    np.exp(z, out=z)                             # exp(min(z, 0)): 1 for z >= 0, exp(z) below
    z /= scratch


def _forward(params, x, h0, c0, loops=None):
    """:func:`forward` on checked inputs; ``loops``: the time loops (``recurrent.Loops``),
    None for this module's NumPy ones (:data:`NUMPY_LOOPS`)."""
    Wxh, Whh, bh = params["Wxh"], params["Whh"], params["bh"]
    batch, steps, n_in = x.shape
    H = Whh.shape[0]
    # x time-major (T, batch, n_in): one GEMM projects every step, and dWxh is one GEMM later
    # a copy (ascontiguousarray would return a view of the caller's x when batch or time is 1)
    xs = np.array(x.transpose(1, 0, 2), order="C")
    # the gate buffer first holds x_t @ Wxh of every step (one GEMM); step t adds
    # h_{t-1} @ Whh + bh and applies the gates' nonlinearities in place
    gates = np.matmul(xs.reshape(steps * batch, n_in), Wxh).reshape(steps, batch, 4 * H)
    hs = np.empty((steps + 1, batch, H), dtype=Wxh.dtype)
    cs = np.empty_like(hs)
    tanh_c = np.empty((steps, batch, H), dtype=Wxh.dtype)
    hs[0] = 0 if h0 is None else h0
    cs[0] = 0 if c0 is None else c0
    (loops or NUMPY_LOOPS).forward_steps(gates, hs, cs, tanh_c, Whh, bh)
    return hs[1:].transpose(1, 0, 2), LSTMCache(xs, hs, cs, gates, tanh_c)


def _forward_steps(gates, hs, cs, tanh_c, Whh, bh):
    """Steps t = 1 .. T in place. On entry ``gates[t-1]`` holds ``x_t @ Wxh`` and ``hs[0]``,
    ``cs[0]`` the initial state; on return ``gates[t-1]`` holds i, f, g, o of step t (after
    their nonlinearities), ``hs[t]``, ``cs[t]`` the states and ``tanh_c[t-1]`` tanh(c_t).

    gates ``(T, batch, 4H)``; hs, cs ``(T + 1, batch, H)``; tanh_c ``(T, batch, H)``;
    Whh ``(H, 4H)``; bh ``(4H,)``.
    """
    steps, batch, H4 = gates.shape
    H = H4 // 4
    recurrent = np.empty((batch, 4 * H), dtype=gates.dtype)   # h_{t-1} @ Whh + bh, every step
    scratch = np.empty((batch, 2 * H), dtype=gates.dtype)
    for t in range(1, steps + 1):
        a = gates[t - 1]
        np.matmul(hs[t - 1], Whh, out=recurrent)
        recurrent += bh
        a += recurrent                           # a_t = x_t @ Wxh + h_{t-1} @ Whh + bh
        _sigmoid(a[:, :2 * H], scratch)          # i, f = sigmoid(a_i), sigmoid(a_f)
        np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])   # g = tanh(a_g)
        _sigmoid(a[:, 3 * H:], scratch[:, :H])   # o = sigmoid(a_o)
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        np.multiply(f, cs[t - 1], out=cs[t])     # c_t = f * c_{t-1} ...
        np.multiply(i, g, out=tanh_c[t - 1])
        cs[t] += tanh_c[t - 1]                   # ... + i * g
        np.tanh(cs[t], out=tanh_c[t - 1])
        np.multiply(o, tanh_c[t - 1], out=hs[t])   # h_t = o * tanh(c_t)


def backward(params, cache, dout, *, dh_last=None, dc_last=None, truncate=None, input_grads=True):
    """Backward pass through time from any upstream gradient.

    Inputs: params; cache from :func:`forward`; dout ``(batch, time, H)``, dL/dh_t at every
    step, or None; dh_last, dc_last ``(batch, H)``, gradients at h_T and c_T (from whatever
    reads the last state), or None; at least one of the three. truncate: None for full
    BPTT, or k >= 1: the gradient arriving at the state of step t (``dout[:, t]``, and
    ``dh_last``/``dc_last`` at step T) flows back through steps t ... t-k+1 only, the
    state (h, c) of step t-k being held constant for it (h0, c0 included: with k = t they
    get no gradient from it). input_grads: False skips dx, dh0 and dc0.
    Returns: grads ``{"Wxh", "Whh", "bh"}``, dx ``(batch, time, n_in)``, dh0 and dc0
    ``(batch, H)`` (None, None, None without input_grads).
    """
    checks.check_cache(cache, LSTMCache, "manual.layers.lstm.forward")
    steps, batch, _ = cache.x.shape
    dout, dh_last, dc_last, truncate = spec.backward_inputs(
        (batch, steps, cache.hs.shape[2]), cache.hs.dtype, dout, dh_last, dc_last, truncate)
    dout_tm = None if dout is None else dout.transpose(1, 0, 2)
    grads, dx, dstate0 = _cell_backward(params, cache, dout_tm, {"h": dh_last, "c": dc_last},
                                        truncate, input_grads)
    return (grads, dx) + ((None, None) if dstate0 is None else (dstate0["h"], dstate0["c"]))


def _cell_forward(params, x, state0, loops=None):
    """The interface every recurrent layer shares (a stack of layers calls it), unchecked:
    state0 ``{"h": (batch, H) or None, "c": (batch, H) or None}``. Returns ``(out, cache)``
    as :func:`forward`. ``loops``: as for :func:`_forward`."""
    return _forward(params, x, state0["h"], state0["c"], loops)


def _cell_backward(params, cache, dout_tm, dlast, truncate, input_grads, loops=None):
    """The interface every recurrent layer shares, unchecked: dout_tm ``(T, batch, H)``
    time-major or None; dlast ``{"h": (batch, H) or None, "c": (batch, H) or None}``, at
    least one gradient given. Returns ``(grads, dx, dstate0)``, dstate0 ``{"h": dh0, "c":
    dc0}`` (dx and dstate0 None without input_grads); what is not asked for is not computed.
    ``loops``: the time loops (``recurrent.Loops``), None for :data:`NUMPY_LOOPS`."""
    xs, hs = cache.x, cache.hs
    loops = loops or NUMPY_LOOPS
    steps, batch, n_in = xs.shape
    H = hs.shape[2]
    WhhT = np.ascontiguousarray(params["Whh"].T)     # contiguous: the step GEMM runs faster
    # the gradient at the state of step T from dh_last / dc_last (ours to add to)
    dh_T, dc_T = (np.zeros((batch, H), dtype=hs.dtype) if dlast[s] is None else dlast[s].copy()
                  for s in STATES)
    da = np.empty((steps, batch, 4 * H), dtype=hs.dtype)   # dL/da_t, the gate pre-activations
    first, to_state0 = 0, input_grads
    if dout_tm is None or truncate is None or truncate > steps:
        if dout_tm is not None:
            dh_T += dout_tm[-1]
        elif truncate is not None:
            # one gradient, at step T: it flows through steps T .. T-k+1 only
            first, to_state0 = max(0, steps - truncate), input_grads and truncate > steps
        dh0, dc0 = loops.bptt(WhhT, cache.gates, cache.cs, cache.tanh_c, dout_tm, dh_T, dc_T, first,
                              da, to_state0)
    else:
        dh0, dc0 = loops.bptt_window(WhhT, cache.gates, cache.cs, cache.tanh_c, dout_tm, dh_T, dc_T,
                                     truncate, da)
    # weight gradients: one GEMM each over the steps that received a gradient,
    # dWxh = sum_t x_t.T @ da_t and dWhh = sum_t h_{t-1}.T @ da_t
    used = steps - first
    da2 = da[first:].reshape(used * batch, 4 * H)
    grads = {"Wxh": xs[first:].reshape(used * batch, n_in).T @ da2,
             "Whh": hs[first:steps].reshape(used * batch, H).T @ da2,
             "bh": da2.sum(axis=0)}
    if not input_grads:
        return grads, None, None
    if dh0 is None:                              # the window ends before step 1: h0, c0 held constant
        dh0, dc0 = np.zeros_like(dh_T), np.zeros_like(dc_T)
    # dx_t = da_t @ Wxh.T, one GEMM, then into the batch-first layout; steps before the
    # window receive no gradient
    dx = np.empty((batch, steps, n_in), dtype=xs.dtype)
    dx[:, :first] = 0
    dx[:, first:] = (da2 @ params["Wxh"].T).reshape(used, batch, n_in).transpose(1, 0, 2)
    return grads, dx, {"h": dh0, "c": dc0}


def _local_derivatives(gates_t, c_prev, tanh_c_t, local, dtanh):
    """What step t's backward multiplies by (no carried gradient in it), computed step by
    step (all steps at once would hold 5 more arrays the size of the states). Writes local
    ``(batch, 4, H)`` and dtanh ``(batch, H)``, with which

        dc_t  = dc (carried) + dh_t * dtanh_t                 (through h_t = o * tanh(c_t))
        da_t  = [dc_t, dc_t, dc_t, dh_t] * local_t            (i, f, g, o)

    gates_t ``(batch, 4H)``: i, f, g, o of step t; c_prev ``(batch, H)``: c_{t-1};
    tanh_c_t ``(batch, H)``: tanh(c_t).
    """
    batch, H = tanh_c_t.shape
    gates = gates_t.reshape(batch, 4, H)
    i, g, o = gates[:, 0], gates[:, 2], gates[:, 3]
    # sigmoid' = s (1 - s), for i, f and o (the g slot is written over below)
    np.subtract(1, gates, out=local)
    local *= gates
    # c_t = f * c_{t-1} + i * g: di = dc * g, df = dc * c_{t-1}, dg = dc * i, g through
    # tanh' = 1 - g**2
    local[:, 0] *= g
    local[:, 1] *= c_prev
    np.multiply(g, g, out=local[:, 2])
    np.subtract(1, local[:, 2], out=local[:, 2])
    local[:, 2] *= i
    # h_t = o * tanh(c_t): do = dh * tanh(c_t), through the output gate's sigmoid
    local[:, 3] *= tanh_c_t
    # dh_t reaches c_t through tanh: dh * o * (1 - tanh(c_t)**2)
    np.multiply(tanh_c_t, tanh_c_t, out=dtanh)
    np.subtract(1, dtanh, out=dtanh)
    dtanh *= o


def _step_back(local_t, dtanh_t, f_t, dh, dc, da):
    """Backprop one step for gradients (dh, dc) at (h_t, c_t), with any leading axes (one
    per carried term): writes da ``(..., batch, 4H)``, dc becomes the gradient at c_{t-1}."""
    H = dh.shape[-1]
    da4 = da.reshape(da.shape[:-1] + (4, H))
    dc += dh * dtanh_t                           # backprop through tanh(c_t) into c_t
    np.multiply(dc[..., None, :], local_t[:, :3], out=da4[..., :3, :])   # i, f, g
    np.multiply(dh, local_t[:, 3], out=da4[..., 3, :])                   # o
    dc *= f_t                                    # carry to c_{t-1} through c_t = f * c_{t-1} + ...


def _bptt(WhhT, gates, cs, tanh_c, dh_out, dh, dc, first, da, to_state0):
    """Carry one (dh, dc) pair from step T back to step first + 1.

    WhhT ``(4H, H)``: ``Whh.T``; gates ``(T, batch, 4H)``, cs ``(T + 1, batch, H)``, tanh_c
    ``(T, batch, H)``: the cache's; dh_out ``(T, batch, H)``: the upstream gradient at every
    h_t (that at h_T already in ``dh``), or None; dh, dc ``(batch, H)``: the gradient at
    (h_T, c_T), modified; da ``(T, batch, 4H)``: dL/da_t is written into ``da[first:]``.
    Returns the gradient at (h_first, c_first), or (None, None) unless ``to_state0`` (and
    then the last carry's GEMM is skipped).
    """
    steps, batch, H = tanh_c.shape
    local = np.empty((batch, 4, H), dtype=da.dtype)
    dtanh = np.empty((batch, H), dtype=da.dtype)
    for t in range(steps, first, -1):
        if dh_out is not None and t < steps:
            dh += dh_out[t - 1]                  # plus the upstream gradient at h_t itself
        _local_derivatives(gates[t - 1], cs[t - 1], tanh_c[t - 1], local, dtanh)
        _step_back(local, dtanh, gates[t - 1, :, H:2 * H], dh, dc, da[t - 1])
        if t > first + 1 or to_state0:
            np.matmul(da[t - 1], WhhT, out=dh)   # carry to h_{t-1}: da_t @ Whh.T
    return (dh, dc) if to_state0 else (None, None)


def _bptt_window(WhhT, gates, cs, tanh_c, dh_out, dh_T, dc_T, k, da):
    """Truncated BPTT with a gradient arriving at every step: the one at step t reaches
    steps t ... t-k+1.

    Each of the (up to) k (dh, dc) pairs whose window covers a step is carried separately,
    so that each can be dropped where its own window ends. WhhT, gates, cs, tanh_c, da: as
    for :func:`_bptt`; dh_out ``(T, batch, H)``, the upstream gradient at every h_t; dh_T,
    dc_T ``(batch, H)``, more gradient at (h_T, c_T) (not modified). Writes da; returns
    (dh0, dc0).
    """
    steps, batch, H4 = da.shape
    H = H4 // 4
    gh = np.zeros((k, batch, H), dtype=da.dtype)   # gh[j], gc[j]: gradient at h_t, c_t of term t + j
    gc = np.zeros_like(gh)
    ga = np.empty((k, batch, H4), dtype=da.dtype)
    local = np.empty((batch, 4, H), dtype=da.dtype)
    dtanh = np.empty((batch, H), dtype=da.dtype)
    for t in range(steps, 0, -1):
        # term t starts here, at step T with dh_last and dc_last
        gh[0], gc[0] = (dh_T + dh_out[t - 1], dc_T) if t == steps else (dh_out[t - 1], 0)
        _local_derivatives(gates[t - 1], cs[t - 1], tanh_c[t - 1], local, dtanh)
        _step_back(local, dtanh, gates[t - 1, :, H:2 * H], gh, gc, ga)
        ga.sum(axis=0, out=da[t - 1])
        # carry every term to step t-1 except term t + k - 1, whose window ends at step t
        np.matmul(ga[:-1].reshape(-1, H4), WhhT, out=gh[1:].reshape(-1, H))
        gc[1:] = gc[:-1]                         # (NumPy copies overlapping slices first)
    return gh[1:].sum(axis=0), gc[1:].sum(axis=0)   # terms 1 .. k-1 reach h_0, c_0


NUMPY_LOOPS = recurrent.Loops(_forward_steps, _bptt, _bptt_window)
"""The LSTM's time loops in NumPy (the readable reference; ``compiled.lstm.LOOPS`` are the
same loops compiled by numba): ``forward_steps(gates, hs, cs, tanh_c, Whh, bh)`` (in place,
:func:`_forward_steps`), ``bptt(WhhT, gates, cs, tanh_c, dh_out, dh, dc, first, da,
to_state0) -> (dh_first, dc_first)`` (:func:`_bptt`) and ``bptt_window(WhhT, gates, cs,
tanh_c, dh_out, dh_T, dc_T, k, da) -> (dh0, dc0)`` (:func:`_bptt_window`), both writing
``da``; each step's local derivatives are computed in the loop from the cache's gates,
cell states and tanh(c_t)."""
