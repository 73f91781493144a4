"""The LSTM layer's time loops compiled by numba, as a ``manual.layers.recurrent.Loops``.

The same three loops as :mod:`manual.layers.lstm` (:data:`~manual.layers.lstm.NUMPY_LOOPS`:
``forward_steps``, ``bptt``, ``bptt_window``), with the same signatures, on the same
time-major buffers; everything around them (checks, the input projection, the weight
gradients) is ``manual.layers.lstm``'s.

Up to :data:`COMPILED_UP_TO` hidden units a whole loop is one kernel: each step's GEMM
written out (row-major ``i, k, j`` order, which LLVM vectorises over j) and the step's
elementwise work fused in (:func:`cell_step`, :func:`step_back`). Above it a step's GEMM is
BLAS's (``np.matmul``) and its elementwise work one compiled pass, the same :func:`cell_step`
/ :func:`step_back`; the window loop of truncated BPTT (a gradient at every step) is NumPy's
there. The crossover is ``compiled.recurrent``'s, 32, which holds here too: on the loops
alone (T = 100, one BLAS thread), the kernel against BLAS's step GEMM ran 1.6x (forward)
and 1.5x (BPTT) as fast at (batch, H) = (8, 32), 1.15x both at (8, 64); at (32, 32) 1.14x
forward and 0.89x BPTT, and from (32, 48) BLAS's won both.

Results differ from the NumPy loops in the last bits: the written-out GEMMs sum in another
order than BLAS, the bias is added in another order, multiply-adds are fused, and
:mod:`compiled.elementwise`'s sigmoid and tanh are a few ulp off NumPy's.
"""
import numpy as np

from compiled.kernels import jit, matmul_into
from compiled.recurrent import COMPILED_UP_TO
from compiled.elementwise import sigmoid, tanh
from manual.layers import lstm, recurrent


@jit
def cell_step(a, recurrent_part, bh, c_prev, c, tanh_c, h):
    """One step's elementwise work, one pass over each row: a_t = a + recurrent_part + bh,
    then the gates (written over a: i, f, g, o), c_t, tanh(c_t) and h_t.

    a ``(batch, 4H)``, on entry ``x_t @ Wxh``; recurrent_part ``(batch, 4H)``, ``h_{t-1} @
    Whh``; bh ``(4H,)``; c_prev, c, tanh_c, h ``(batch, H)``, c_{t-1} in, the others out.
    A loop per kind of gate, each from 0: one loop for all four gates ran 2.3 to 3.8 times
    slower (batch 32, H 32 and 64), and a loop over ``range(2H, 3H)`` was not vectorised.
    """
    batch, H = h.shape
    for n in range(batch):
        for j in range(2 * H):                   # i, f = sigmoid(a_i), sigmoid(a_f)
            a[n, j] = sigmoid(a[n, j] + recurrent_part[n, j] + bh[j])
        for j in range(H):                       # g = tanh(a_g)
            a[n, 2 * H + j] = tanh(a[n, 2 * H + j] + recurrent_part[n, 2 * H + j] + bh[2 * H + j])
        for j in range(H):                       # o = sigmoid(a_o)
            a[n, 3 * H + j] = sigmoid(a[n, 3 * H + j] + recurrent_part[n, 3 * H + j]
                                      + bh[3 * H + j])
        for j in range(H):                       # c_t = f c_{t-1} + i g, h_t = o tanh(c_t)
            c[n, j] = a[n, H + j] * c_prev[n, j] + a[n, j] * a[n, 2 * H + j]
            tanh_c[n, j] = tanh(c[n, j])
            h[n, j] = a[n, 3 * H + j] * tanh_c[n, j]


@jit
def forward_steps(gates, hs, cs, tanh_c, Whh, bh):
    """As ``manual.layers.lstm._forward_steps``, each step's GEMM written out: steps
    t = 1 .. T in place. gates ``(T, batch, 4H)``, on entry ``x_t @ Wxh``, on return i, f,
    g, o; hs, cs ``(T + 1, batch, H)``, ``hs[0]``, ``cs[0]`` the initial state; tanh_c
    ``(T, batch, H)``; Whh ``(H, 4H)``; bh ``(4H,)``; all C-contiguous."""
    steps, batch, H4 = gates.shape
    recurrent_part = np.empty((batch, H4), dtype=gates.dtype)
    for t in range(1, steps + 1):
        matmul_into(hs[t - 1], Whh, recurrent_part)            # h_{t-1} @ Whh
        cell_step(gates[t - 1], recurrent_part, bh, cs[t - 1], cs[t], tanh_c[t - 1], hs[t])


@jit
def step_back(gates_t, c_prev, tanh_c_t, dh, dc, da_t):
    """As ``manual.layers.lstm._step_back`` with its ``_local_derivatives`` fused in:
    backprop one step for the gradient (dh, dc) at (h_t, c_t). Writes da_t ``(batch, 4H)``,
    dL/da_t; dc becomes the gradient at c_{t-1} (dh is left as it is). gates_t ``(batch,
    4H)``, i, f, g, o; c_prev ``(batch, H)``, c_{t-1}; tanh_c_t ``(batch, H)``; dh, dc
    ``(batch, H)``. The local derivatives in the NumPy loop's order of operations.
    (Short loops: one loop doing it all ran half as fast.)"""
    batch, H = dh.shape
    for n in range(batch):
        for j in range(H):                       # through tanh(c_t) into c_t
            tanh_c = tanh_c_t[n, j]
            dc[n, j] += dh[n, j] * ((1 - tanh_c * tanh_c) * gates_t[n, 3 * H + j])
        for j in range(H):                       # i: c_t = f c_{t-1} + i g, through sigmoid
            i = gates_t[n, j]
            da_t[n, j] = dc[n, j] * ((1 - i) * i * gates_t[n, 2 * H + j])
        for j in range(H):                       # f
            f = gates_t[n, H + j]
            da_t[n, H + j] = dc[n, j] * ((1 - f) * f * c_prev[n, j])
        for j in range(H):                       # g, through tanh
            g = gates_t[n, 2 * H + j]
            da_t[n, 2 * H + j] = dc[n, j] * ((1 - g * g) * gates_t[n, j])
        for j in range(H):                       # o: through h_t = o tanh(c_t)
            o = gates_t[n, 3 * H + j]
            da_t[n, 3 * H + j] = dh[n, j] * ((1 - o) * o * tanh_c_t[n, j])
            dc[n, j] *= gates_t[n, H + j]        # carry to c_{t-1}: times f


@jit
def bptt(WhhT, gates, cs, tanh_c, dh_out, dh, dc, first, da, to_state0):
    """As ``manual.layers.lstm._bptt``, each step's GEMM written out: carry (dh, dc) from
    step T back to step first + 1, writing ``da[first:]``. dh_out ``(T, batch, H)``, or
    ``(0, batch, H)`` for none; the others as there, C-contiguous. Returns the gradient at
    (h_first, c_first) (unless ``to_state0`` the last carry is skipped and the first is the
    gradient at h_{first+1}: the caller drops it)."""
    steps = da.shape[0]
    every_step = dh_out.shape[0] > 0
    for t in range(steps, first, -1):
        if every_step and t < steps:
            dh += dh_out[t - 1]                  # plus the upstream gradient at h_t itself
        step_back(gates[t - 1], cs[t - 1], tanh_c[t - 1], dh, dc, da[t - 1])
        if t > first + 1 or to_state0:
            matmul_into(da[t - 1], WhhT, dh)    # carry to h_{t-1}: da_t @ Whh.T
    return dh, dc


@jit
def bptt_window(WhhT, gates, cs, tanh_c, dh_out, dh_T, dc_T, k, da):
    """As ``manual.layers.lstm._bptt_window``, each step's GEMMs written out: the gradient
    at step t reaches steps t ... t-k+1, each of the (up to) k live terms carried on its own.
    Writes da; returns (dh0, dc0). The arguments as there, C-contiguous."""
    steps, batch, H4 = da.shape
    H = H4 // 4
    # term s (the gradient arriving at step s) is kept in slot s % k while its window lasts:
    # at step t that of term t + k (whose window ended at step t + 1) is free for term t
    gh = np.zeros((k, batch, H), dtype=da.dtype)   # gh[s % k], gc[s % k]: term s at h_t, c_t
    gc = np.zeros_like(gh)
    ga = np.empty((batch, H4), dtype=da.dtype)     # dL/da_t of one term
    for t in range(steps, 0, -1):
        # term t starts here, at step T with dh_last and dc_last
        gh[t % k] = dh_out[t - 1]
        gc[t % k] = 0.0
        if t == steps:
            gh[t % k] += dh_T
            gc[t % k] = dc_T
        da[t - 1] = 0.0
        for s in range(t, min(t + k, steps + 1)):
            step_back(gates[t - 1], cs[t - 1], tanh_c[t - 1], gh[s % k], gc[s % k], ga)
            da[t - 1] += ga
            # carry to step t-1 every term but t + k - 1, whose window ends at step t (its
            # slot is term t-1's at the next step)
            if s < t + k - 1:
                matmul_into(ga, WhhT, gh[s % k])
    dh0, dc0 = np.zeros_like(dh_T), np.zeros_like(dc_T)
    for s in range(1, min(k, steps + 1)):        # terms 1 .. k-1 reach h_0, c_0
        dh0 += gh[s % k]
        dc0 += gc[s % k]
    return dh0, dc0


def _forward_steps(gates, hs, cs, tanh_c, Whh, bh):
    bh = np.ascontiguousarray(bh)
    if hs.shape[2] <= COMPILED_UP_TO:
        return forward_steps(gates, hs, cs, tanh_c, np.ascontiguousarray(Whh), bh)
    recurrent_part = np.empty(gates.shape[1:], dtype=gates.dtype)
    for t in range(1, hs.shape[0]):
        np.matmul(hs[t - 1], Whh, out=recurrent_part)                    # h_{t-1} @ Whh
        cell_step(gates[t - 1], recurrent_part, bh, cs[t - 1], cs[t], tanh_c[t - 1], hs[t])


def _contiguous(*arrays):
    return tuple(np.ascontiguousarray(a) for a in arrays)


def _bptt(WhhT, gates, cs, tanh_c, dh_out, dh, dc, first, da, to_state0):
    steps = da.shape[0]
    WhhT, gates, cs, tanh_c, dh, dc = _contiguous(WhhT, gates, cs, tanh_c, dh, dc)
    dh_out = np.empty((0,) + dh.shape, dh.dtype) if dh_out is None else np.ascontiguousarray(dh_out)
    if dh.shape[1] <= COMPILED_UP_TO:
        dh, dc = bptt(WhhT, gates, cs, tanh_c, dh_out, dh, dc, first, da, bool(to_state0))
        return (dh, dc) if to_state0 else (None, None)
    for t in range(steps, first, -1):
        if dh_out.shape[0] and t < steps:
            dh += dh_out[t - 1]                  # plus the upstream gradient at h_t itself
        step_back(gates[t - 1], cs[t - 1], tanh_c[t - 1], dh, dc, da[t - 1])
        if t > first + 1 or to_state0:
            np.matmul(da[t - 1], WhhT, out=dh)   # carry to h_{t-1}: da_t @ Whh.T
    return (dh, dc) if to_state0 else (None, None)


def _bptt_window(WhhT, gates, cs, tanh_c, dh_out, dh_T, dc_T, k, da):
    if dh_T.shape[1] > COMPILED_UP_TO:
        return lstm._bptt_window(WhhT, gates, cs, tanh_c, dh_out, dh_T, dc_T, k, da)
    return bptt_window(*_contiguous(WhhT, gates, cs, tanh_c, dh_out, dh_T, dc_T), k, da)


LOOPS = recurrent.Loops(_forward_steps, _bptt, _bptt_window)
"""The LSTM's time loops compiled (:data:`manual.layers.lstm.NUMPY_LOOPS`'s signatures):
``forward_steps(gates, hs, cs, tanh_c, Whh, bh)`` in place; ``bptt(WhhT, gates, cs,
tanh_c, dh_out, dh, dc, first, da, to_state0) -> (dh_first, dc_first)`` and
``bptt_window(WhhT, gates, cs, tanh_c, dh_out, dh_T, dc_T, k, da) -> (dh0, dc0)``, both
writing da. The buffers they write (gates, hs, cs, tanh_c; da) must be C-contiguous, as the
layer allocates them; the others may be any layout (made contiguous here)."""
