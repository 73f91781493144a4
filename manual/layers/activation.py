"""Elementwise activation layer ``out = act(x)``, relu, tanh or sigmoid (cs231n's
``relu_forward`` / ``relu_backward``, for the three activations of ``manual.activations``).

params: none, an empty dict ``{}``; x: any shape, at least one axis; out and dout: x's
shape and dtype (float32 or float64; int/bool x is computed in float64). Backward:
``dx = act'(x) * dout``, the derivative computed from the output ``a = act(x)`` by the
public functions of ``manual.activations`` (ReLU's derivative taken as 0 at x = 0, seed
001's convention; tanh ``1 - a**2``; sigmoid ``a * (1 - a)``).
"""
from typing import NamedTuple

import numpy as np

from manual import activations
from modelspec import activation as spec
from modelspec import checks


class ActivationCache(NamedTuple):
    """a: the layer's output ``act(x)``, x's shape; activation: ``"relu"``, ``"tanh"`` or
    ``"sigmoid"``."""
    a: np.ndarray
    activation: str


def forward(params, x, *, activation="relu"):
    """Inputs: params ``{}`` (no parameters); x ``(batch, ...)``, any shape; activation
    ``"relu"``, ``"tanh"`` or ``"sigmoid"``.
    Returns: out ``(batch, ...)`` of x's shape and float dtype, an :class:`ActivationCache`."""
    out, cache = _forward(params, *spec.forward_inputs(params, x, activation))
    # the cache keeps its own copy of the output: a caller changing out in place (a
    # residual added into it, say) before backward changes nothing
    return out.copy(), cache


def _forward(params, x, activation):
    # in place, in a copy of x, through the public function's out=: the path for an out
    # that is its input (backward writes into a separate buffer: between them, both of
    # its paths are used); the buffer, not the return value, is read
    out = x.copy()
    _public(activation)(out, out=out)
    return out, ActivationCache(out, activation)


def backward(params, cache, dout, *, input_grads=True):
    """Inputs: params ``{}``; cache from :func:`forward`; dout ``(batch, ...)``, any upstream
    gradient dL/dout, of the output's shape and dtype; input_grads: False skips dx.
    Returns: grads ``{}`` (no parameters), dx ``(batch, ...)`` or None."""
    checks.check_cache(cache, ActivationCache, "manual.layers.activation.forward")
    spec.shapes(params)
    dout = spec.check_dout(dout, cache.a.shape, cache.a.dtype)
    return _backward(params, cache, dout, input_grads)


def _public(activation, derivative=False):
    """The public, checked function of ``manual.activations``: ``activation`` (``relu``,
    ...) or its derivative (``relu_derivative``, ...), looked up at each call (so that the
    function checked is the one the module holds)."""
    return getattr(activations, f"{activation}_derivative" if derivative else activation)


def _backward(params, cache, dout, input_grads):
    if not input_grads:
        return {}, None
    # act'(x) from a, written into a fresh buffer through the public function's out= and
    # read from there: a derivative that leaves out unwritten gives the NaN the buffer
    # starts with, which the cross-check reports, not stale memory
    dx = np.full_like(dout, np.nan)
    _public(cache.activation, derivative=True)(cache.a, out=dx)
    dx *= dout
    return {}, dx
