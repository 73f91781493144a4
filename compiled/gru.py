"""The GRU layer's time loops compiled by numba, as a ``manual.layers.recurrent.Loops``.

The same loops as :data:`manual.layers.gru.NUMPY_LOOPS` (``_forward_steps``, ``_carry``,
``_carry_window``), with the same signatures, on the same time-major buffers; everything
around them (checks, the input projection, ``_factors``, the weight gradients) stays
``manual.layers.gru``'s. Use them as ``gru._cell_forward(..., loops=LOOPS)`` and
``gru._cell_backward(..., loops=LOOPS)``. Kernels take C-contiguous arrays: the wrappers
make the inputs so; the buffers written in place (gates, hs, ahn) are ``gru._forward``'s.

Up to :data:`COMPILED_UP_TO` hidden units a whole loop is one kernel, each step's GEMM
written out (``compiled.kernels.matmul_into``) and its elementwise work fused in: a step is then a few
microseconds instead of a dozen NumPy calls of a microsecond or more each. Above it a step's
GEMM is BLAS's (``np.matmul``) and its elementwise work compiled passes (:func:`gates_step`
forward; :func:`gates_gradient` before the GEMM and :func:`carry_step` after it backward).
The crossover is the vanilla layer's (``compiled.recurrent.COMPILED_UP_TO``, 32), measured
again on the GRU's loops alone (per step, T = 50, one BLAS thread, kernel against BLAS's GEMM
with the same passes): the BPTT kernel is 1.3 to 2.4x faster up to 32 units at batch 16
(1.0x at 32 units and batch 32 or 64), 0.8x from 40 and 0.7x at 64; the forward kernel
wins a little further (1.0 to 1.2x at 40 and 48 units, 0.95x at 64).

The truncated-BPTT window loop (a gradient at every step, each of the k live terms carried
on its own) is one kernel up to the crossover too; above it NumPy's ``_carry_window`` runs
(at 32 units and k = 8 the kernel already only ties it: NumPy's k - 1 terms share one GEMM
a step).

Results differ from NumPy's in the last bits: the written-out GEMMs sum in another order
than BLAS and fuse multiply-adds, and :mod:`compiled.elementwise`'s tanh and sigmoid are
a few ulp off NumPy's; over T steps these differences
are carried (and damped: with gates in (0, 1) and moderate weights a step contracts).
"""
import numpy as np

from compiled.kernels import jit, matmul_into
from compiled.recurrent import COMPILED_UP_TO
from compiled.elementwise import sigmoid, tanh
from manual.layers import gru, recurrent


@jit
def gates_step(g, ah, bhh, h_prev, h, ahn):
    """A forward step's elementwise work. g ``(batch, 3H)``: ``ax_t`` on entry, r, z, n on
    return; ah ``(batch, 3H)``: ``h_{t-1} @ Whh``; bhh ``(3H,)``; h_prev ``(batch, H)``;
    h, ahn ``(batch, H)`` written: h_t and ``ah_n = h_{t-1} @ W_hn + b_hn``.

    One loop per array written: a loop writing several arrays is not vectorised (LLVM
    cannot rule out that they overlap, and gives up on checking so many at run time)."""
    batch, hidden = h.shape
    for i in range(batch):
        rz, r, z, n = g[i, :2 * hidden], g[i, :hidden], g[i, hidden:2 * hidden], g[i, 2 * hidden:]
        for j in range(2 * hidden):              # r, z = sigmoid(ax_rz + ah_rz)
            rz[j] = sigmoid(rz[j] + (ah[i, j] + bhh[j]))
        for j in range(hidden):                  # ah_n = h_{t-1} @ W_hn + b_hn
            ahn[i, j] = ah[i, 2 * hidden + j] + bhh[2 * hidden + j]
        for j in range(hidden):                  # n = tanh(ax_n + r * ah_n)
            n[j] = tanh(n[j] + r[j] * ahn[i, j])
        for j in range(hidden):                  # h_t = (1 - z) * n + z * h_{t-1}
            h[i, j] = (h_prev[i, j] - n[j]) * z[j] + n[j]


@jit
def forward_steps(gates, hs, ahn, Whh, bhh):
    """As ``manual.layers.gru._forward_steps``, one kernel: gates ``(T, batch, 3H)``, hs
    ``(T + 1, batch, H)``, ahn ``(T, batch, H)``, Whh ``(H, 3H)``, bhh ``(3H,)``."""
    ah = np.empty(gates.shape[1:], dtype=hs.dtype)
    for t in range(gates.shape[0]):
        matmul_into(hs[t], Whh, ah)              # ah = h_{t-1} @ Whh
        gates_step(gates[t], ah, bhh, hs[t], hs[t + 1], ahn[t])


@jit
def gates_gradient(dh, factors, dah):
    """Backprop to the pre-activations ``ah``: ``dah = dh * factors``, dh broadcast over the
    three gate blocks. dh ``(batch, H)``; factors, dah ``(batch, 3H)``."""
    batch, hidden = dh.shape
    for i in range(batch):
        for gate in range(3):
            for j in range(hidden):
                dah[i, gate * hidden + j] = dh[i, j] * factors[i, gate * hidden + j]


@jit
def carry_step(dh, z, through_whh, dh_prev):
    """The gradient at h_{t-1}: ``dh_prev = z * dh + through_whh`` (the direct path plus the
    path through ``h_{t-1} @ Whh``). All ``(batch, H)``; dh_prev may be dh."""
    batch, hidden = dh.shape
    for i in range(batch):
        for j in range(hidden):
            dh_prev[i, j] = dh[i, j] * z[i, j] + through_whh[i, j]


@jit
def bptt(WhhT, z, dah, dh_out, carry_to_first):
    """As ``manual.layers.gru._carry``, one kernel: WhhT ``(3H, H)``; z ``(T - first, batch,
    H)``; dah ``(T - first, batch, 3H)``; dh_out ``(T, batch, H)`` or ``(1, batch, H)``.
    Returns dhs ``(T - first, batch, H)`` and the gradient at h_first (without
    ``carry_to_first`` the one at h_{first+1}, which the caller drops)."""
    used, batch, hidden = z.shape
    every_step = dh_out.shape[0] == used
    dhs = np.empty_like(z)
    dah_t = np.empty((batch, 3 * hidden), dtype=z.dtype)
    through_whh = np.empty((batch, hidden), dtype=z.dtype)
    dh = dh_out[-1].copy()                       # dL/dh_t, starting at t = T
    for i in range(used - 1, -1, -1):
        if every_step and i < used - 1:
            dh += dh_out[i]                      # plus the upstream gradient at h_t itself
        dhs[i] = dh
        if i > 0 or carry_to_first:
            gates_gradient(dh, dah[i], dah_t)
            matmul_into(dah_t, WhhT, through_whh)    # through ah = h_{t-1} @ Whh + bhh
            carry_step(dh, z[i], through_whh, dh)
    return dhs, dh


@jit
def bptt_window(WhhT, z, dah, dh_out, k):
    """As ``manual.layers.gru._carry_window``, one kernel: the gradient at h_t carried back
    through h_t ... h_{t-k+1} only, each of the (up to) k live terms on its own. z, dh_out
    ``(T, batch, H)``; dah ``(T, batch, 3H)``. Returns dhs ``(T, batch, H)`` and dh0."""
    steps, batch, hidden = dh_out.shape
    dhs = np.empty_like(dh_out)
    g = np.zeros((k, batch, hidden), dtype=dh_out.dtype)   # g[j]: gradient at h_t of term t + j
    g_next = np.zeros_like(g)
    dah_t = np.empty((batch, 3 * hidden), dtype=dh_out.dtype)
    through_whh = np.empty((batch, hidden), dtype=dh_out.dtype)
    for t in range(steps - 1, -1, -1):
        g[0] = dh_out[t]
        dhs[t] = g[0]
        for term in range(1, k):
            dhs[t] += g[term]
        for term in range(k - 1):                # every term but t + k - 1 (its window ends at h_t)
            gates_gradient(g[term], dah[t], dah_t)
            matmul_into(dah_t, WhhT, through_whh)
            carry_step(g[term], z[t], through_whh, g_next[term + 1])
        g, g_next = g_next, g
    dh0 = np.zeros((batch, hidden), dtype=dh_out.dtype)
    for term in range(1, k):                     # terms 1 .. k-1 reach h_0
        dh0 += g[term]
    return dhs, dh0


def _forward_steps(gates, hs, ahn, Whh, bhh):
    """As ``gru._forward_steps``."""
    bhh = np.ascontiguousarray(bhh)
    if hs.shape[2] <= COMPILED_UP_TO:
        return forward_steps(gates, hs, ahn, np.ascontiguousarray(Whh), bhh)
    ah = np.empty(gates.shape[1:], dtype=hs.dtype)
    for t in range(gates.shape[0]):
        np.matmul(hs[t], Whh, out=ah)            # ah = h_{t-1} @ Whh
        gates_step(gates[t], ah, bhh, hs[t], hs[t + 1], ahn[t])


def _carry(WhhT, z, dah, dh_out, carry_to_first=True):
    """As ``gru._carry``."""
    WhhT, z, dah, dh_out = (np.ascontiguousarray(a) for a in (WhhT, z, dah, dh_out))
    if z.shape[2] <= COMPILED_UP_TO:
        dhs, dh = bptt(WhhT, z, dah, dh_out, carry_to_first)
        return dhs, (dh if carry_to_first else None)
    used, batch, hidden = z.shape
    every_step = dh_out.shape[0] == used
    dhs = np.empty_like(z)
    dah_t = np.empty((batch, 3 * hidden), dtype=z.dtype)
    through_whh = np.empty((batch, hidden), dtype=z.dtype)
    dh = dh_out[-1].copy()                       # dL/dh_t, starting at t = T
    for i in range(used - 1, -1, -1):
        if every_step and i < used - 1:
            dh += dh_out[i]                      # plus the upstream gradient at h_t itself
        dhs[i] = dh
        if i > 0 or carry_to_first:
            gates_gradient(dh, dah[i], dah_t)
            np.matmul(dah_t, WhhT, out=through_whh)   # through ah = h_{t-1} @ Whh + bhh
            carry_step(dh, z[i], through_whh, dh)
    return dhs, (dh if carry_to_first else None)


def _carry_window(WhhT, z, dah, dh_out, k):
    """As ``gru._carry_window`` (NumPy's above the crossover)."""
    if z.shape[2] > COMPILED_UP_TO:
        return gru._carry_window(WhhT, z, dah, dh_out, k)
    return bptt_window(*(np.ascontiguousarray(a) for a in (WhhT, z, dah, dh_out)), k)


LOOPS = recurrent.Loops(_forward_steps, _carry, _carry_window)
"""The GRU's time loops compiled: the signatures and results (to rounding) of
:data:`manual.layers.gru.NUMPY_LOOPS`."""
