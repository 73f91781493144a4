"""Classic bugs of the gru layer's hand-written backward pass (see :mod:`crosscheck.zoo.bugs`).

Each :class:`~crosscheck.zoo.bugs.Bug` here is checked as the registered layer (through its
vector-Jacobian product, :mod:`crosscheck.vjp`) and carries ONE mistake. They are built
from :func:`gru_reference`, a compact backward pass (one upstream gradient term at a time,
carried back through its own window) with each step a bug may change behind a hook
(:class:`GRUHooks`); with no hook swapped it is correct (``tests/manual/layers/test_gru.py``
checks it passes like ``manual/`` does). The forward pass is ``manual.layers.gru.forward``.
"""
import functools
from typing import Callable, NamedTuple

import numpy as np

from crosscheck import vjp
from crosscheck.zoo.bugs import Bug, _window_from_last_step
from crosscheck.zoo.reference import _window
from manual.layers import gru
from modelspec import gru as spec
from modelspec import table

GRU = table.GRU.name
INPUT_GRADS = ("x", "h0")
UPSTREAM = (vjp.Upstream("dh_last", "h"),)


def _update(dh, z, n, h_prev):
    """h = (1 - z) * n + z * h_prev: the gradients at n, at z and the direct one at h_prev."""
    return dh * (1 - z), dh * (h_prev - n), dh * z


def _reset_inside(dn_pre, r, h_prev, ahn, Whn):
    """PyTorch's n = tanh(ax_n + r * (h_prev @ W_hn + b_hn)): returns the gradients at r,
    at h_prev through this block, at W_hn and at b_hn."""
    dahn = dn_pre * r
    return dn_pre * ahn, dahn @ Whn.T, h_prev.T @ dahn, dahn.sum(axis=0)


def _reset_outside(dn_pre, r, h_prev, ahn, Whn):
    """The other GRU (Cho et al., 2014), n = tanh(ax_n + (r * h_prev) @ W_hn + b_hn)."""
    drh = dn_pre @ Whn.T
    return drh * h_prev, drh * r, (r * h_prev).T @ dn_pre, dn_pre.sum(axis=0)


def _rz_through_h(dr_pre, dz_pre):
    """The gradient at ah's r and z blocks (h_prev @ Whh_rz + bhh_rz)."""
    return np.concatenate([dr_pre, dz_pre], axis=-1)


class GRUHooks(NamedTuple):
    """The pieces a bug may swap: update(dh, z, n, h_prev) -> (dn, dz, dh_prev direct);
    n_block(dn_pre, r, h_prev, ahn, W_hn) -> (dr, dh_prev through W_hn, dW_hn, db_hn);
    rz_through_h(dr_pre, dz_pre) -> the gradient at ah_r, ah_z; window(s, k, T) -> (stop,
    reaches h0), the steps s .. stop+1 that term s goes back through."""
    update: Callable = _update
    n_block: Callable = _reset_inside
    rz_through_h: Callable = _rz_through_h
    window: Callable = _window


def gru_reference(params, cache, dout, *, dh_last=None, truncate=None, input_grads=True,
                  hooks=GRUHooks()):
    """``manual.layers.gru.backward``, written the plain way: each upstream gradient term
    (``dout[:, s - 1]`` at h_s, ``dh_last`` at h_T) carried back step by step through
    h_s ... h_{stop+1} (``hooks.window``). Returns ``(grads, dx, dh0)``."""
    xs, hs, gates, ahn = cache
    steps, batch, _ = xs.shape
    hidden = hs.shape[2]
    dout, dh_last, truncate = spec.backward_inputs((batch, steps, hidden), hs.dtype, dout,
                                                   dh_last, truncate)
    Wxh, Whh = params["Wxh"], params["Whh"]
    terms = [] if dout is None else [(s, dout[:, s - 1]) for s in range(1, steps + 1)]
    terms += [] if dh_last is None else [(steps, dh_last)]
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dxs, dh0 = np.zeros_like(xs), np.zeros_like(hs[0])
    for s, dh in terms:
        stop, reaches_h0 = hooks.window(s, truncate, steps)
        for t in range(s, stop, -1):
            h_prev = hs[t - 1]
            r, z, n = (gates[t - 1][:, i * hidden:(i + 1) * hidden] for i in range(3))
            dn, dz, dh_direct = hooks.update(dh, z, n, h_prev)
            dn_pre = dn * (1 - n * n)                        # through tanh
            dr, dh_n, dWhn, dbhn = hooks.n_block(dn_pre, r, h_prev, ahn[t - 1], Whh[:, 2 * hidden:])
            dr_pre, dz_pre = dr * r * (1 - r), dz * z * (1 - z)   # through the sigmoids
            dax = np.concatenate([dr_pre, dz_pre, dn_pre], axis=-1)
            dah_rz = hooks.rz_through_h(dr_pre, dz_pre)
            grads["Wxh"] += xs[t - 1].T @ dax
            grads["bxh"] += dax.sum(axis=0)
            grads["Whh"] += np.concatenate([h_prev.T @ dah_rz, dWhn], axis=1)
            grads["bhh"] += np.concatenate([dah_rz.sum(axis=0), dbhn])
            dxs[t - 1] += dax @ Wxh.T
            dh = dh_direct + dah_rz @ Whh[:, :2 * hidden].T + dh_n
        if reaches_h0:
            dh0 += dh
    if not input_grads:
        return grads, None, None
    return grads, dxs.transpose(1, 0, 2), dh0


def _gru_bug(name, description, **hooks):
    backward = functools.partial(gru_reference, hooks=GRUHooks()._replace(**hooks))
    return Bug(name, GRU, description, "classic",
               vjp.manual_vjp(gru.forward, backward, INPUT_GRADS, UPSTREAM), GRU)


def _dr_from_h_prev(dn_pre, r, h_prev, ahn, Whn):
    return (dn_pre * h_prev,) + _reset_inside(dn_pre, r, h_prev, ahn, Whn)[1:]


def _dbhn_without_r(dn_pre, r, h_prev, ahn, Whn):
    return _reset_inside(dn_pre, r, h_prev, ahn, Whn)[:3] + (dn_pre.sum(axis=0),)


BUGS = [
    _gru_bug("gru_update_gate_convention_swapped",
             "backward written for h = z * n + (1 - z) * h_prev while forward is PyTorch's "
             "(1 - z) * n + z * h_prev: z and 1 - z swapped",
             update=lambda dh, z, n, h_prev: (dh * z, dh * (n - h_prev), dh * (1 - z))),
    _gru_bug("gru_direct_carry_forgotten",
             "dh_prev gets only the path through Whh, not the direct z * dh",
             update=lambda dh, z, n, h_prev: _update(dh, z, n, h_prev)[:2] + (0.0,)),
    _gru_bug("gru_reset_outside_Whn",
             "backward of n = tanh(ax_n + (r * h_prev) @ W_hn) (Cho et al.) while forward is "
             "PyTorch's r * (h_prev @ W_hn + b_hn)",
             n_block=_reset_outside),
    _gru_bug("gru_dr_without_ahn",
             "dr = dn_pre * h_prev where r multiplies ah_n = h_prev @ W_hn + b_hn",
             n_block=_dr_from_h_prev),
    _gru_bug("gru_dbhh_n_missing_r",
             "dbhh's n block sums dn_pre, without the reset gate's factor r",
             n_block=_dbhn_without_r),
    _gru_bug("gru_r_not_through_Whh",
             "r treated as a function of x only: no gradient into Whh's and bhh's r blocks "
             "nor through them to h_prev",
             rz_through_h=lambda dr_pre, dz_pre: _rz_through_h(np.zeros_like(dr_pre), dz_pre)),
    _gru_bug("gru_truncation_window_from_last_step",
             "truncation cuts every step's gradient at T - k, not at t - k",
             window=_window_from_last_step),
]
