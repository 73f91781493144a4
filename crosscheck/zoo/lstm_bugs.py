"""Classic bugs of the lstm layer's hand-written backward pass (see :mod:`crosscheck.zoo.bugs`).

Each :class:`~crosscheck.zoo.bugs.Bug` here is checked as the registered layer (through its
vector-Jacobian product, :mod:`crosscheck.vjp`) and carries ONE mistake: the compact
reference backward :func:`lstm_reference` (one upstream gradient term at a time, carried
back through its window, every gate recomputed from the cache's x and states) with one
hook of :class:`LSTMHooks` swapped. With no hook swapped it is correct
(``tests/manual/layers/test_lstm.py`` checks that it passes).
"""
import functools
from typing import Callable, NamedTuple

import numpy as np

from crosscheck import vjp
from crosscheck.zoo.bugs import Bug
from crosscheck.zoo.reference import _window
from manual.layers import lstm
from manual.losses import sigmoid
from modelspec import table

LSTM = table.LSTM.name
INPUT_NAMES = ("x", "h0", "c0")
UPSTREAM = (vjp.Upstream("dh_last", "h"), vjp.Upstream("dc_last", "c"))


class LSTMHooks(NamedTuple):
    """The pieces a bug may swap (see :func:`lstm_reference`).

    order: which slot of the 4H axis backward takes each of i, f, g, o from (and writes
    its gradient to); dsigmoid(s, a): a gate's sigmoid derivative from its value s and
    pre-activation a; dtanh_c(c, tanh_c): tanh'(c_t); do(dh, c, tanh_c): the gradient at
    the output gate; dc_from_h: c_t receives dh_t * o * tanh'(c_t); df(dc, c_prev, g): the
    gradient at the forget gate; carry_c(dc, f): the gradient at c_{t-1}; dc_last: used;
    dc0_zero: dc0 returned as zeros; cut_c: truncation also stops the gradient at c
    where the window ends (else only h is cut, and dc flows on to c_0).
    """
    order: tuple = (0, 1, 2, 3)
    dsigmoid: Callable = lambda s, a: s * (1 - s)
    dtanh_c: Callable = lambda c, tanh_c: 1 - tanh_c * tanh_c
    do: Callable = lambda dh, c, tanh_c: dh * tanh_c
    dc_from_h: bool = True
    df: Callable = lambda dc, c_prev, g: dc * c_prev
    carry_c: Callable = lambda dc, f: dc * f
    dc_last: bool = True
    dc0_zero: bool = False
    cut_c: bool = True


def lstm_reference(params, cache, dout, *, dh_last=None, dc_last=None, truncate=None,
                   input_grads=True, hooks=LSTMHooks()):
    """The LSTM layer's backward pass the plain way, with ``hooks``; arguments and returns
    as ``manual.layers.lstm.backward``. The term at step s (``dout[:, s-1]``, and
    ``dh_last``/``dc_last`` at T) is carried back through steps s .. s-k+1 (truncate=k)."""
    Wxh, Whh, bh = params["Wxh"], params["Whh"], params["bh"]
    xs, hs, cs = cache.x, cache.hs, cache.cs
    steps, batch, _ = xs.shape
    zeros = np.zeros_like(hs[0])
    terms = {s: [dout[:, s - 1], zeros] for s in range(1, steps + 1)} if dout is not None else {}
    last = terms.setdefault(steps, [zeros, zeros])
    last[0] = last[0] + (0 if dh_last is None else dh_last)
    last[1] = last[1] + (0 if dc_last is None or not hooks.dc_last else dc_last)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dxs, dh0, dc0 = np.zeros_like(xs), zeros.copy(), zeros.copy()
    for s, (dh, dc) in terms.items():
        stop, reaches_0 = _window(s, truncate, steps)
        for t in range(s, stop if hooks.cut_c else 0, -1):
            if t <= stop:
                dh = np.zeros_like(dh)           # past the window (only when c is not cut)
            a = np.split(xs[t - 1] @ Wxh + hs[t - 1] @ Whh + bh, 4, axis=1)
            act = [sigmoid(a[0]), sigmoid(a[1]), np.tanh(a[2]), sigmoid(a[3])]
            i, f, g, o = (act[k] for k in hooks.order)
            ai, af, ag, ao = (a[k] for k in hooks.order)
            tanh_c = np.tanh(cs[t])
            # h_t = o * tanh(c_t)
            do = hooks.do(dh, cs[t], tanh_c)
            if hooks.dc_from_h:
                dc = dc + dh * o * hooks.dtanh_c(cs[t], tanh_c)
            # c_t = f * c_{t-1} + i * g, then each gate's nonlinearity
            da = [None] * 4
            for k, d in zip(hooks.order, (dc * g * hooks.dsigmoid(i, ai),
                                          hooks.df(dc, cs[t - 1], g) * hooks.dsigmoid(f, af),
                                          dc * i * (1 - g * g),
                                          do * hooks.dsigmoid(o, ao))):
                da[k] = d
            da = np.concatenate(da, axis=1)
            grads["Wxh"] += xs[t - 1].T @ da
            grads["Whh"] += hs[t - 1].T @ da
            grads["bh"] += da.sum(axis=0)
            dxs[t - 1] += da @ Wxh.T
            dh, dc = da @ Whh.T, hooks.carry_c(dc, f)
        if reaches_0 or not hooks.cut_c:
            dh0, dc0 = dh0 + dh, dc0 + dc
    if not input_grads:
        return grads, None, None, None
    return grads, dxs.transpose(1, 0, 2), dh0, (np.zeros_like(dc0) if hooks.dc0_zero else dc0)


def _bug(**hooks):
    backward = functools.partial(lstm_reference, hooks=LSTMHooks()._replace(**hooks))
    return vjp.manual_vjp(lstm.forward, backward, INPUT_NAMES, UPSTREAM)


REFERENCE = _bug()              # no hook swapped: correct


BUGS = [
    Bug("lstm_no_cell_carry", LSTM,
        "the cell-state carry dc_{t-1} = dc_t * f is left out: dc reaches no earlier step",
        "classic", _bug(carry_c=lambda dc, f: np.zeros_like(dc)), LSTM),
    Bug("lstm_tanh_derivative_at_c", LSTM,
        "dh reaches c_t through 1 - c**2 where tanh's derivative 1 - tanh(c)**2 belongs",
        "classic", _bug(dtanh_c=lambda c, tanh_c: 1 - c * c), LSTM),
    Bug("lstm_i_f_swapped_in_backward", LSTM,
        "forward packs the gates i, f, g, o; backward unpacks (and repacks) them as f, i, g, o",
        "classic", _bug(order=(1, 0, 2, 3)), LSTM),
    Bug("lstm_output_gate_without_tanh", LSTM,
        "the output gate's gradient dh * c where h = o * tanh(c) needs dh * tanh(c)",
        "classic", _bug(do=lambda dh, c, tanh_c: dh * c), LSTM),
    Bug("lstm_dc_missing_dh_path", LSTM,
        "dc_t is only the carried gradient: dh_t * o * (1 - tanh(c_t)**2) from the same step is not added",
        "classic", _bug(dc_from_h=False), LSTM),
    Bug("lstm_sigmoid_derivative_from_preactivation", LSTM,
        "the gates' sigmoid derivative s * (1 - s) applied to the pre-activations a",
        "classic", _bug(dsigmoid=lambda s, a: a * (1 - a)), LSTM),
    Bug("lstm_forget_gate_gradient_copied", LSTM,
        "df = dc * g, copied from di = dc * g, where c_t = f * c_{t-1} + i * g needs dc * c_{t-1}",
        "classic", _bug(df=lambda dc, c_prev, g: dc * g), LSTM),
    Bug("lstm_dc_last_ignored", LSTM,
        "the gradient at the last cell state (dc_last) is dropped: only dh_last is carried back",
        "classic", _bug(dc_last=False), LSTM),
    Bug("lstm_dc0_zero", LSTM,
        "the gradient for a given c0 is returned as zeros (c0 treated as a constant)",
        "classic", _bug(dc0_zero=True), LSTM),
    Bug("lstm_truncation_cuts_h_not_c", LSTM,
        "truncated BPTT stops the gradient at h where the window ends but lets dc flow on "
        "(h detached, c not)",
        "classic", _bug(cut_c=False), LSTM),
]
