"""The two compact reference implementations the bugs are built from, and their hooks.

:func:`mlp_reference` and :func:`rnn_reference` compute a model's loss and gradients the
plain way (layer by layer; one loss term at a time carried back through time), with each
step that a bug may change behind a hook (:class:`MLPHooks`, :class:`RNNHooks`). With the
default hooks (none swapped) they are correct: they pass the cross-check like ``manual/``.
"""
from typing import Callable, NamedTuple, Optional

import numpy as np

import modelspec
from manual.losses import loss_and_grad, sigmoid


def _clipped(grads, clip):
    """min-char-rnn's ``for d in [dWxh, ...]: np.clip(d, -5, 5, out=d)`` with 5 = ``clip``
    (no clipping when None)."""
    if clip is not None:
        for d in grads.values():
            np.clip(d, -clip, clip, out=d)
    return grads


# --------------------------------------------------------------------------- MLP

_MLP_ACT = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": sigmoid}


def _mlp_dact(activation, a, z):
    """Derivative of the activation at pre-activation z, from its output a = act(z)."""
    return {"relu": lambda: (a > 0) * 1.0, "tanh": lambda: 1 - a * a,
            "sigmoid": lambda: a * (1 - a)}[activation]()


class MLPHooks(NamedTuple):
    """The pieces a bug may swap. loss: like ``loss_and_grad``; dact(activation, a, z);
    dW(a_in, g) and db(g): one layer's weight and bias gradients; dact_at_input: also
    multiply dx by an activation derivative (there is none at the input); clip: every
    parameter gradient clipped to [-clip, clip] before it is returned."""
    loss: Callable = loss_and_grad
    dact: Callable = _mlp_dact
    dW: Callable = lambda a_in, g: a_in.T @ g
    db: Callable = lambda g: g.sum(axis=0)
    dact_at_input: bool = False
    clip: Optional[float] = None


def mlp_reference(params, x, y, *, loss, activation="relu", reduction="mean",
                  return_input_grads=False, hooks=MLPHooks()):
    """The MLP's loss and gradients, layer by layer (seed 001's backprop), with ``hooks``.

    x ``(batch, n_in)``; returns like ``manual.mlp.loss_and_grads``.
    """
    x, y = modelspec.mlp.inputs(params, x, y, loss=loss, activation=activation, reduction=reduction)
    layers = len(params) // 2
    a, inputs, zs = x, [x], [None]      # inputs[i]: input of layer i; zs[i]: its pre-activation
    for i in range(layers - 1):
        z = a @ params[f"W{i}"] + params[f"b{i}"]
        a = _MLP_ACT[activation](z)
        zs.append(z)
        inputs.append(a)
    out = a @ params[f"W{layers - 1}"] + params[f"b{layers - 1}"]
    value, g = hooks.loss(loss, out, y, reduction)
    grads = {}
    for i in reversed(range(layers)):
        grads[f"W{i}"], grads[f"b{i}"] = hooks.dW(inputs[i], g), hooks.db(g)
        g = g @ params[f"W{i}"].T
        if i > 0:
            g = g * hooks.dact(activation, inputs[i], zs[i])
        elif hooks.dact_at_input:
            g = g * _mlp_dact(activation, inputs[0], None)
    grads = _clipped({k: grads[k] for k in params}, hooks.clip)
    return (value, grads, {"x": g}) if return_input_grads else (value, grads)


# --------------------------------------------------------------------------- RNN

_RNN_ACT = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}


def _rnn_dact(activation, h, z):
    return 1 - h * h if activation == "tanh" else (h > 0) * 1.0


def _window(s, k, steps):
    """Truncation: the loss term at h_s reaches h_s .. h_{stop+1}; returns (stop, reaches h0)."""
    if k is None or k > s:
        return 0, True
    return s - k, False


class RNNHooks(NamedTuple):
    """The pieces a bug may swap (see :func:`rnn_reference`).

    loss; logits_from_z: forward reads the output from the pre-activation;
    dh_out(dlogits_t, params): output gradient at h_t; terms: "every" (each output step
    sends a gradient) or "last"; window(s, k, T) -> (stop, reaches_h0); step(t): which
    step's cache step t reads; dact(activation, h, z); h_prev(hs, t): the state dWhh
    pairs with step t; db(dz); carry(dz, Whh): gradient at h_{t-1}; lr: Whh updated by
    ``lr * dWhh_t`` inside the loop, before the carry; dx_recurrent: dx includes the
    gradient carried from later steps; dh0_zero: dh0 returned as zeros; clip: every
    parameter gradient clipped to [-clip, clip] before it is returned.
    """
    loss: Callable = loss_and_grad
    logits_from_z: bool = False
    dh_out: Callable = lambda dl, p: dl @ p["Wy"].T
    terms: str = "every"
    window: Callable = _window
    step: Callable = lambda t: t
    dact: Callable = _rnn_dact
    h_prev: Callable = lambda hs, t: hs[t - 1]
    db: Callable = lambda dz: dz.sum(axis=0)
    carry: Callable = lambda dz, Whh: dz @ Whh.T
    lr: float = 0.0
    dx_recurrent: bool = True
    dh0_zero: bool = False
    clip: Optional[float] = None


def rnn_reference(params, x, y, *, loss, output="last", truncate=None, reduction="mean",
                  h0=None, activation="tanh", return_input_grads=False, hooks=RNNHooks()):
    """The RNN's loss and gradients, one loss term at a time carried back through time.

    x ``(batch, T, n_in)``; the loss term read at h_s (every s for output="all", s = T for
    "last") is carried back through h_s ... h_{s-k+1} (truncate=k) or to h_0 (None).
    Returns like ``manual.rnn.loss_and_grads``.
    """
    x, y, h0, activation = modelspec.rnn.inputs(params, x, y, loss=loss, output=output,
                                                truncate=truncate, reduction=reduction, h0=h0,
                                                activation=activation)
    Wxh, Whh, Wy = params["Wxh"], params["Whh"], params["Wy"]
    batch, steps, _ = x.shape
    xs = x.transpose(1, 0, 2)                                    # (T, batch, n_in)
    hs = [np.zeros((batch, Whh.shape[0])) if h0 is None else h0]
    zs = [None]
    for t in range(steps):
        zs.append(xs[t] @ Wxh + hs[-1] @ Whh + params["bh"])
        hs.append(_RNN_ACT[activation](zs[-1]))
    read = zs if hooks.logits_from_z else hs
    if output == "last":
        logits = read[steps] @ Wy + params["by"]
    else:
        logits = np.stack([read[t] @ Wy + params["by"] for t in range(1, steps + 1)], axis=1)
    value, dl = hooks.loss(loss, logits, y, reduction)
    dls = {steps: dl} if output == "last" else {t: dl[:, t - 1] for t in range(1, steps + 1)}
    grads = {"Wxh": np.zeros_like(Wxh), "Whh": np.zeros_like(Whh),
             "bh": np.zeros_like(params["bh"]),
             "Wy": sum(hs[t].T @ d for t, d in dls.items()),
             "by": sum(d.sum(axis=0) for d in dls.values())}
    dxs, dh0 = np.zeros_like(xs), np.zeros_like(hs[0])
    Whh_now = Whh
    for s in sorted(dls, reverse=True)[:1 if hooks.terms == "last" else None]:
        stop, reaches_h0 = hooks.window(s, truncate, steps)
        dh = hooks.dh_out(dls.get(hooks.step(s), dls[s]), params)
        for t in range(s, stop, -1):
            c = hooks.step(t)
            dz = dh * hooks.dact(activation, hs[c], zs[c])
            grads["Wxh"] += xs[c - 1].T @ dz
            grads["Whh"] += hooks.h_prev(hs, c).T @ dz
            grads["bh"] += hooks.db(dz)
            if hooks.dx_recurrent or t == s:
                dxs[c - 1] += dz @ Wxh.T
            if hooks.lr:
                Whh_now = Whh_now - hooks.lr * (hs[c - 1].T @ dz)
            dh = hooks.carry(dz, Whh_now)
        if reaches_h0:
            dh0 += dh
    grads = _clipped(grads, hooks.clip)
    if not return_input_grads:
        return value, grads
    in_grads = {"x": dxs.transpose(1, 0, 2)}
    if h0 is not None:
        in_grads["h0"] = np.zeros_like(dh0) if hooks.dh0_zero else dh0
    return value, grads, in_grads
