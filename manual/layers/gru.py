"""GRU layer over a whole sequence (PyTorch's formulation), with hand-written (truncated) BPTT.

params: ``Wxh (n_in, 3H), Whh (H, 3H), bxh (3H,), bhh (3H,)``, the 3H columns holding the
gates r (reset), z (update) and n (new) in that order, as ``torch.nn.GRU`` does. In the
seeds' row-vector convention, for x ``(batch, time, n_in)`` and t = 1 .. T::

    ax = x_t @ Wxh + bxh,   ah = h_{t-1} @ Whh + bhh        (each [r | z | n] blocks)
    r = sigmoid(ax_r + ah_r)
    z = sigmoid(ax_z + ah_z)
    n = tanh(ax_n + r * ah_n)                 the reset gate multiplies h_{t-1} @ W_hn + b_hn
    h_t = (1 - z) * n + z * h_{t-1},          h_0 = 0 or the given h0

Two biases because ``bhh_n`` sits inside ``r * (...)`` (for r and z they only add). This is
``torch.nn.GRU(n_in, H, batch_first=True)`` with ``weight_ih_l0 = Wxh.T``,
``weight_hh_l0 = Whh.T``, ``bias_ih_l0 = bxh``, ``bias_hh_l0 = bhh``
(``tests/test_torch_gru.py``). The output is every state, ``(batch, time, H)``; backward
takes any upstream gradient: ``dout`` at every state and/or ``dh_last`` at h_T.

Backward: every gradient of step t is the gradient dh_t arriving at h_t times a factor
made of that step's forward values, so the factors are computed for all steps at once;
the time loop only carries dh back (one GEMM a step: the path through ``h_{t-1} @ Whh``,
plus the direct path ``z * dh``); the gates' gradients, the weight gradients and dx are
then a few GEMMs over all steps. Internally everything is time-major ``(T, batch, ...)``.

The time loops are module functions bundled as :data:`NUMPY_LOOPS` (a
``manual.layers.recurrent.Loops``); the unchecked internals take ``loops=None`` (these) or
another set with the same signatures (``compiled.gru.LOOPS``, the numba-compiled ones).
"""
from typing import NamedTuple

import numpy as np

from manual import init as initializers
from manual.activations import _sigmoid as sigmoid   # unchecked, for the time loop
from manual.layers import recurrent
from modelspec import checks
from modelspec import gru as spec

STATES = ("h",)            # the recurrent state: h0 in, dh_last / dh0 in backward


class GRUCache(NamedTuple):
    """What ``backward`` needs, time-major.

    x: ``(T, batch, n_in)``, the input; hs: ``(T + 1, batch, H)``, ``hs[0] = h_0`` and
    ``hs[t] = h_t``; gates: ``(T, batch, 3H)``, r, z and n of every step; ahn:
    ``(T, batch, H)``, ``h_{t-1} @ W_hn + b_hn`` (what r multiplies).
    """
    x: np.ndarray
    hs: np.ndarray
    gates: np.ndarray
    ahn: np.ndarray

    @property
    def h_last(self):
        """The final state ``h_T`` ``(batch, H)``: pass it as ``h0`` to carry the state into
        the next chunk of a long sequence."""
        return self.hs[-1]

    def state_at(self, t):
        """The state after step t (0 .. T), ``{"h": h_t}``."""
        return {"h": self.hs[t]}


def init_params(n_in, hidden, *, rng=None, dtype=np.float64):
    """Glorot-uniform ``Wxh``, ``Whh`` of three orthogonal ``(H, H)`` blocks (one a gate),
    zero biases. rng: None, an int seed or a Generator. Returns the parameter dict."""
    checks.check_positive_int("n_in", n_in)
    checks.check_positive_int("hidden", hidden)
    rng = checks.check_rng("rng", rng)
    gates = spec.GATES * hidden
    return {"Wxh": initializers.glorot_uniform(rng, (n_in, gates), dtype),
            "Whh": np.concatenate([initializers.orthogonal(rng, (hidden, hidden), dtype)
                                   for _ in range(spec.GATES)], axis=1),
            "bxh": np.zeros(gates, dtype=dtype), "bhh": np.zeros(gates, dtype=dtype)}


def forward(params, x, *, h0=None):
    """Inputs: params (see module doc); x ``(batch, time, n_in)``, real or one-hot integers;
    h0 ``(batch, H)`` or None for zeros.
    Returns: out ``(batch, time, H)``, every state h_1 .. h_T (a batch-first view of the
    time-major ``cache.hs``), and a :class:`GRUCache`.
    """
    x, h0 = spec.forward_inputs(params, x, h0=h0)
    return _forward(params, x, h0)


def _forward(params, x, h0, loops=None):
    """:func:`forward` on checked inputs; ``loops``: the time loops (see :data:`NUMPY_LOOPS`),
    None for this module's NumPy ones."""
    Wxh, Whh = params["Wxh"], params["Whh"]
    batch, steps, n_in = x.shape
    hidden = Whh.shape[0]
    # a copy (ascontiguousarray would return a view of the caller's x when batch or time is 1)
    xs = np.array(x.transpose(1, 0, 2), order="C")
    # the input projection of every step in one GEMM: ax_t = x_t @ Wxh + bxh; step t then
    # turns ax_t into its gates r, z, n in place
    gates = (xs.reshape(steps * batch, n_in) @ Wxh).reshape(steps, batch, 3 * hidden)
    gates += params["bxh"]
    hs = np.empty((steps + 1, batch, hidden), dtype=Wxh.dtype)
    hs[0] = 0 if h0 is None else h0
    ahn = np.empty((steps, batch, hidden), dtype=Wxh.dtype)
    (loops or NUMPY_LOOPS).forward_steps(gates, hs, ahn, Whh, params["bhh"])
    return hs[1:].transpose(1, 0, 2), GRUCache(xs, hs, gates, ahn)


def _forward_steps(gates, hs, ahn, Whh, bhh):
    """Steps t = 1 .. T in place. gates ``(T, batch, 3H)``: ``ax_t`` of every step on entry,
    its r, z, n on return; hs ``(T + 1, batch, H)``: ``hs[0] = h_0`` on entry, h_t written to
    ``hs[t]``; ahn ``(T, batch, H)``: ``h_{t-1} @ W_hn + b_hn`` written (for backward)."""
    batch, hidden = hs.shape[1:]
    ah = np.empty((batch, 3 * hidden), dtype=hs.dtype)
    reset = np.empty((batch, hidden), dtype=hs.dtype)
    for t in range(gates.shape[0]):
        g = gates[t]
        rz, r, z, n = g[:, :2 * hidden], g[:, :hidden], g[:, hidden:2 * hidden], g[:, 2 * hidden:]
        np.matmul(hs[t], Whh, out=ah)
        ah += bhh                                # ah = h_{t-1} @ Whh + bhh
        rz += ah[:, :2 * hidden]
        sigmoid(rz, out=rz)                      # r, z = sigmoid(ax_rz + ah_rz)
        ahn[t] = ah[:, 2 * hidden:]
        np.multiply(r, ahn[t], out=reset)
        n += reset
        np.tanh(n, out=n)                        # n = tanh(ax_n + r * ah_n)
        h = hs[t + 1]
        np.subtract(hs[t], n, out=h)
        h *= z
        h += n                                   # h_t = (1 - z) * n + z * h_{t-1}


def backward(params, cache, dout, *, dh_last=None, truncate=None, input_grads=True):
    """Backward pass through time from any upstream gradient.

    Inputs: params; cache from :func:`forward`; dout ``(batch, time, H)``, dL/dh_t at every
    state, or None; dh_last ``(batch, H)``, a gradient at h_T, or None; at least one of the
    two. truncate: None for full BPTT, or k >= 1: the gradient arriving at h_t
    (``dout[:, t]``, and ``dh_last`` at h_T) flows back through h_t ... h_{t-k+1} only,
    h_{t-k} being held constant for it (h_0 included: with k = t it gives h0 no gradient).
    input_grads: False skips dx and dh0.
    Returns: grads ``{"Wxh", "Whh", "bxh", "bhh"}``, dx ``(batch, time, n_in)``, dh0
    ``(batch, H)`` (None, None without input_grads).
    """
    checks.check_cache(cache, GRUCache, "manual.layers.gru.forward")
    steps, batch, _ = cache.x.shape
    dout, dh_last, truncate = spec.backward_inputs((batch, steps, cache.hs.shape[2]),
                                                   cache.hs.dtype, dout, dh_last, truncate)
    dout_tm = None if dout is None else dout.transpose(1, 0, 2)
    return _backward(params, cache, dout_tm, dh_last, truncate, input_grads)


def _cell_forward(params, x, state0, loops=None):
    """The interface every recurrent layer shares (a stack of layers calls it), unchecked:
    state0 ``{"h": (batch, H) or None}``; loops as :func:`_forward`'s. Returns
    ``(out, cache)`` as :func:`forward`."""
    return _forward(params, x, state0["h"], loops)


def _cell_backward(params, cache, dout_tm, dlast, truncate, input_grads, loops=None):
    """The interface every recurrent layer shares, unchecked: dout_tm ``(T, batch, H)``
    time-major or None; dlast ``{"h": (batch, H) or None}``; loops as :func:`_backward`'s.
    Returns ``(grads, dx, dstate0)``, dstate0 ``{"h": dh0}`` (dx and dstate0 None without
    input_grads)."""
    grads, dx, dh0 = _backward(params, cache, dout_tm, dlast["h"], truncate, input_grads, loops)
    return grads, dx, (None if dh0 is None else {"h": dh0})


def _backward(params, cache, dout_tm, dh_last, truncate, input_grads, loops=None):
    """:func:`backward` with ``dout_tm`` time-major ``(T, batch, H)`` (or None), checked by
    the caller; dx and dh0 only if ``input_grads``. ``loops``: the time loops (see
    :data:`NUMPY_LOOPS`), None for this module's NumPy ones."""
    xs, hs = cache.x, cache.hs
    steps, batch, n_in = xs.shape
    hidden = hs.shape[2]
    loops = loops or NUMPY_LOOPS
    WhhT = np.ascontiguousarray(params["Whh"].T)
    if dout_tm is None:
        # a gradient at h_T only: one gradient carried back through h_T ... h_{T-k+1}
        first = 0 if truncate is None else max(0, steps - truncate)
        window_ends_at_h0 = truncate is not None and truncate <= steps
        dax, dah = _factors(cache, first)
        dhs, dh0 = loops.bptt(WhhT, cache.gates[first:, :, hidden:2 * hidden], dah, dh_last[None],
                               input_grads and not window_ends_at_h0)
        if input_grads and window_ends_at_h0:
            dh0 = np.zeros_like(hs[0])           # h_{T-k} (h_0 at most) is held constant
    else:
        if dh_last is not None:
            dout_tm = dout_tm.copy()             # ours to add to: the caller's stays as it is
            dout_tm[-1] += dh_last
        first = 0
        dax, dah = _factors(cache, 0)
        z = cache.gates[:, :, hidden:2 * hidden]
        if truncate is not None and truncate <= steps:
            dhs, dh0 = loops.bptt_window(WhhT, z, dah, dout_tm, truncate)
        else:
            dhs, dh0 = loops.bptt(WhhT, z, dah, dout_tm, input_grads)
    # the gates' pre-activation gradients: dh_t times each step's factors, all steps at once
    used = steps - first
    for d in (dax, dah):
        d.reshape(used, batch, 3, hidden)[...] *= dhs[:, :, None, :]
    dax2, dah2 = dax.reshape(used * batch, 3 * hidden), dah.reshape(used * batch, 3 * hidden)
    # weight gradients: one GEMM each over the steps that received a gradient
    grads = {"Wxh": xs[first:].reshape(used * batch, n_in).T @ dax2,
             "Whh": hs[first:steps].reshape(used * batch, hidden).T @ dah2,
             "bxh": dax2.sum(axis=0), "bhh": dah2.sum(axis=0)}
    if not input_grads:
        return grads, None, None
    # dx_t = dax_t @ Wxh.T, one GEMM; steps before the window receive no gradient
    dx = np.empty((batch, steps, n_in), dtype=xs.dtype)
    dx[:, :first] = 0
    dx[:, first:] = (dax2 @ params["Wxh"].T).reshape(used, batch, n_in).transpose(1, 0, 2)
    return grads, dx, dh0


def _factors(cache, first):
    """d(pre-activations)/dh_t of steps first+1 .. T, ``(T - first, batch, 3H)`` each:
    ``dax`` for ``ax = x_t @ Wxh + bxh`` and ``dah`` for ``ah = h_{t-1} @ Whh + bhh`` (the
    same but for the n block, which r multiplies)."""
    hidden = cache.hs.shape[2]
    g = cache.gates[first:]
    r, z, n = g[..., :hidden], g[..., hidden:2 * hidden], g[..., 2 * hidden:]
    dax = np.empty_like(g)
    dr, dz, dn = dax[..., :hidden], dax[..., hidden:2 * hidden], dax[..., 2 * hidden:]
    np.multiply(1 - z, 1 - n * n, out=dn)        # backprop through h = (1 - z) * n + ..., then tanh
    np.multiply(dn * cache.ahn[first:], r * (1 - r), out=dr)   # through r * ah_n, then sigmoid
    np.multiply(cache.hs[first:-1] - n, z * (1 - z), out=dz)   # through z * (h_{t-1} - n), then sigmoid
    dah = dax.copy()
    dah[..., 2 * hidden:] *= r                   # ah_n reaches n only through r * ah_n
    return dax, dah


def _carry(WhhT, z, dah, dh_out, carry_to_first=True):
    """Carry one gradient from h_T back to h_{first+1} (``first = T - len(z)``).

    z: ``(T - first, batch, H)``, the update gates of those steps; dah: their factors (see
    :func:`_factors`); dh_out: ``(T, batch, H)``, the upstream gradient at every h_t, or
    ``(1, batch, H)``, at h_T only. Returns dhs ``(T - first, batch, H)``, the gradient at
    h_{first+1} .. h_T, and the gradient at h_first (None unless ``carry_to_first``).
    """
    used, batch, hidden = z.shape
    every_step = dh_out.shape[0] == used
    dhs = np.empty_like(z)
    dah_t = np.empty((batch, 3, hidden), dtype=z.dtype)
    through_whh = np.empty((batch, hidden), dtype=z.dtype)
    dh = dh_out[-1].copy()                       # dL/dh_t, starting at t = T
    for i in range(used - 1, -1, -1):
        if every_step and i < used - 1:
            dh += dh_out[i]                      # plus the upstream gradient at h_t itself
        dhs[i] = dh
        if i > 0 or carry_to_first:
            np.multiply(dh[:, None, :], dah[i].reshape(batch, 3, hidden), out=dah_t)
            np.matmul(dah_t.reshape(batch, 3 * hidden), WhhT, out=through_whh)
            dh *= z[i]                           # the direct path: h_t = ... + z * h_{t-1}
            dh += through_whh                    # plus the path through ah = h_{t-1} @ Whh + bhh
    return dhs, (dh if carry_to_first else None)


def _carry_window(WhhT, z, dah, dh_out, k):
    """Truncated BPTT with a gradient arriving at every step: the one at h_t reaches
    h_t ... h_{t-k+1}.

    Each of the (up to) k gradients whose window covers a step is carried separately, so
    that each can be dropped where its own window ends. Returns dhs ``(T, batch, H)``, the
    gradient at every h_t, and dh0.
    """
    steps, batch, hidden = dh_out.shape
    dhs = np.empty_like(dh_out)
    g = np.zeros((k, batch, hidden), dtype=dh_out.dtype)   # g[j]: gradient at h_t of term t + j
    dah_g = np.empty((k - 1, batch, 3, hidden), dtype=dh_out.dtype)
    carried = np.empty((k - 1, batch, hidden), dtype=dh_out.dtype)
    for t in range(steps - 1, -1, -1):
        g[0] = dh_out[t]
        g.sum(axis=0, out=dhs[t])
        # carry every term to h_{t-1} except term t + k - 1, whose window ends at h_t
        np.multiply(g[:-1, :, None, :], dah[t].reshape(batch, 3, hidden), out=dah_g)
        np.matmul(dah_g.reshape(-1, 3 * hidden), WhhT, out=carried.reshape(-1, hidden))
        g[:-1] *= z[t]                           # the direct path, z * h_{t-1}
        carried += g[:-1]                        # plus the path through h_{t-1} @ Whh
        g[1:] = carried
    return dhs, g[1:].sum(axis=0)                # terms 1 .. k-1 reach h_0


NUMPY_LOOPS = recurrent.Loops(_forward_steps, _carry, _carry_window)
"""The GRU's time loops in NumPy, on the time-major buffers of :func:`_forward` and
:func:`_backward`: ``forward_steps(gates, hs, ahn, Whh, bhh)`` (in place, see
:func:`_forward_steps`), ``bptt(WhhT, z, dah, dh_out, carry_to_first=True) -> (dhs,
dh_first)`` (:func:`_carry`) and ``bptt_window(WhhT, z, dah, dh_out, k) -> (dhs, dh0)``
(:func:`_carry_window`). ``compiled.gru.LOOPS`` has the same signatures."""
