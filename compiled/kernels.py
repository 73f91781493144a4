"""The vanilla recurrent layer's time loops, compiled by numba.

The same loops as :mod:`manual.layers.recurrent` (``_forward_steps``, ``_bptt``,
``_bptt_window``), on the same time-major buffers, with each step's GEMM written out
(:func:`matmul_into`, also the LSTM's and GRU's) and the elementwise work of a step in the
same kernel: at small hidden sizes a step is then a few microseconds instead of a few
NumPy calls of a few microseconds each. For large hidden sizes, where BLAS's GEMM wins,
:func:`activate` and :func:`backprop_activation` are a step's elementwise work in one pass.
``relu`` selects the activation (tanh otherwise). Summation order differs from BLAS and the
tanh from NumPy's by a few ulp, so results differ from the NumPy loops in the last bits.
"""
import numba
import numpy as np

from compiled.elementwise import tanh

# every compiled kernel's options (the LSTM's and the GRU's too): cached on disk, NumPy's
# floating-point errors (inf and NaN, no exceptions), multiply-adds fused
jit = numba.njit(cache=True, error_model="numpy", fastmath={"contract"})


@jit
def matmul_into(a, b, out, accumulate=False):
    """``out = a @ b`` (or ``out += a @ b`` with ``accumulate``) written out, rows in
    ``i, k, j`` order (vectorised over j), two rows of a and four rows of b a pass: each
    load of b serves two rows of out (1.15x to 1.4x faster than one row of a a pass at 16 to
    64 hidden units), and each load and store of out four rows of b (1.2 to 2x faster than
    one). Every cell's step GEMM. a ``(m, n)``, b ``(n, p)``, out ``(m, p)``, C-contiguous."""
    m, n = a.shape
    p = b.shape[1]
    if not accumulate:
        out[:] = 0.0
    for i in range(0, m - 1, 2):
        r0, r1 = out[i], out[i + 1]
        k = 0
        while k + 4 <= n:
            a00, a01, a02, a03 = a[i, k], a[i, k + 1], a[i, k + 2], a[i, k + 3]
            a10, a11, a12, a13 = a[i + 1, k], a[i + 1, k + 1], a[i + 1, k + 2], a[i + 1, k + 3]
            b0, b1, b2, b3 = b[k], b[k + 1], b[k + 2], b[k + 3]
            for j in range(p):
                v0, v1, v2, v3 = b0[j], b1[j], b2[j], b3[j]
                r0[j] += a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3
                r1[j] += a10 * v0 + a11 * v1 + a12 * v2 + a13 * v3
            k += 4
        for k in range(k, n):                    # the last n % 4 rows of b
            a0k, a1k = a[i, k], a[i + 1, k]
            for j in range(p):
                r0[j] += a0k * b[k, j]
                r1[j] += a1k * b[k, j]
    if m % 2:                                    # the last row of an odd m
        row = out[m - 1]
        for k in range(n):
            a_k = a[m - 1, k]
            for j in range(p):
                row[j] += a_k * b[k, j]


@jit
def forward_steps(hs, Whh, bh, relu):
    """Steps t = 1 .. T in place: on entry ``hs[t]`` holds ``x_t @ Wxh`` (t >= 1) and
    ``hs[0]`` the initial state; on return ``hs[t] = act(hs[t] + h_{t-1} @ Whh + bh)``.

    hs ``(T + 1, batch, H)``, Whh ``(H, H)``, bh ``(H,)``, C-contiguous.
    """
    steps, batch, hidden = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    for t in range(1, steps + 1):
        matmul_into(hs[t - 1], Whh, hs[t], True)  # z_t = x_t @ Wxh + h_{t-1} @ Whh ...
        for i in range(batch):
            z = hs[t, i]
            if relu:
                for j in range(hidden):
                    v = z[j] + bh[j]              # ... + bh
                    z[j] = 0.0 if v < 0.0 else v  # NaN stays NaN, as np.maximum
            else:
                for j in range(hidden):
                    z[j] = tanh(z[j] + bh[j])


@jit
def activate(z, recurrent, bh, relu):
    """``z = act(z + recurrent + bh)`` in place, one pass: a step of the loops whose GEMM
    is BLAS's (large hidden sizes). z, recurrent ``(batch, H)``; bh ``(H,)``."""
    batch, hidden = z.shape
    for i in range(batch):
        for j in range(hidden):
            v = z[i, j] + recurrent[i, j] + bh[j]
            if relu:
                z[i, j] = 0.0 if v < 0.0 else v
            else:
                z[i, j] = tanh(v)


@jit
def backprop_activation(dh, h, dz, relu):
    """``dz = dh * act'(z)``, from ``h = act(z)``, one pass. All ``(batch, H)``."""
    batch, hidden = dh.shape
    for i in range(batch):
        for j in range(hidden):
            if relu:
                dz[i, j] = dh[i, j] if h[i, j] > 0.0 else 0.0
            else:
                dz[i, j] = dh[i, j] * (1.0 - h[i, j] * h[i, j])   # backprop through tanh


@jit
def _backprop_step(dh, h, WhhT, dz, dh_prev, relu, carry):
    """One step back: ``dz = dh * act'(z)`` from ``h = act(z)``, then (if carry)
    ``dh_prev = dz @ Whh.T``. dh, h, dz, dh_prev ``(batch, H)``; WhhT ``(H, H)``."""
    backprop_activation(dh, h, dz, relu)
    if carry:
        matmul_into(dz, WhhT, dh_prev, False)


@jit
def bptt(WhhT, hs, dh_out, relu, first, carry_to_first):
    """As ``manual.layers.recurrent._bptt``: carry one gradient from h_T back to
    h_{first+1}. dh_out ``(T, batch, H)`` (a gradient at every state) or ``(1, batch, H)``
    (at h_T only). Returns dz ``(T - first, batch, H)`` and the gradient at h_first (without
    ``carry_to_first`` the last step is not carried and this is the gradient at h_{first+1}:
    the caller drops it)."""
    steps = hs.shape[0] - 1
    every_step = dh_out.shape[0] == steps
    dz = np.empty((steps - first, hs.shape[1], hs.shape[2]), dtype=hs.dtype)
    dh = dh_out[-1].copy()                       # dL/dh_t, starting at t = T
    dh_prev = np.zeros_like(dh)
    for t in range(steps, first, -1):
        if every_step and t < steps:
            dh += dh_out[t - 1]                  # plus the upstream gradient at h_t itself
        carry = t > first + 1 or carry_to_first
        _backprop_step(dh, hs[t], WhhT, dz[t - 1 - first], dh_prev, relu, carry)
        if carry:
            dh, dh_prev = dh_prev, dh
    return dz, dh


@jit
def bptt_window(WhhT, hs, dh_out, relu, k):
    """As ``manual.layers.recurrent._bptt_window``: a gradient at every step, the one at h_t
    carried back through h_t ... h_{t-k+1} only, each of the (up to) k live terms on its
    own. Returns dz ``(T, batch, H)`` and dh0."""
    steps, batch, hidden = dh_out.shape
    dz = np.empty((steps, batch, hidden), dtype=hs.dtype)
    g = np.zeros((k, batch, hidden), dtype=hs.dtype)   # g[j]: gradient at h_t of term t + j
    g_next = np.zeros_like(g)
    gz = np.empty((batch, hidden), dtype=hs.dtype)
    for t in range(steps, 0, -1):
        g[0] = dh_out[t - 1]
        dz[t - 1] = 0.0
        for term in range(k):
            # every term but t + k - 1 (whose window ends at h_t) carried to h_{t-1}
            carry = term < k - 1
            _backprop_step(g[term], hs[t], WhhT, gz, g_next[min(term + 1, k - 1)], relu, carry)
            dz[t - 1] += gz
        g, g_next = g_next, g
    dh0 = np.zeros((batch, hidden), dtype=hs.dtype)
    for term in range(1, k):                     # terms 1 .. k-1 reach h_0
        dh0 += g[term]
    return dz, dh0
