"""Linear (affine) layer ``out = x @ W + b`` over any leading axes (seed 001's layer).

params: ``W (n_in, n_out)``, ``b (n_out,)``; x: ``(batch, ..., n_in)``; out and dout:
``(batch, ..., n_out)``. Backward, from seed 001: ``dW = x.T @ dout``,
``db = sum(dout)`` over the leading axes, ``dx = dout @ W.T``.
"""
from typing import NamedTuple

import numpy as np

from modelspec import checks
from modelspec import linear as spec


class LinearCache(NamedTuple):
    """x: the layer's input ``(batch, ..., n_in)``."""
    x: np.ndarray


def forward(params, x):
    """Inputs: params ``W (n_in, n_out)``, ``b (n_out,)``; x ``(batch, ..., n_in)``.
    Returns: out ``(batch, ..., n_out)``, a :class:`LinearCache`."""
    # the cache holds a copy of x: a caller changing x before backward changes nothing
    return _forward(params, spec.forward_inputs(params, x).copy())


def _forward(params, x):
    out = x @ params["W"]
    out += params["b"]                           # in place: one array allocated, not two
    return out, LinearCache(x)


def backward(params, cache, dout, *, input_grads=True):
    """Inputs: params; cache from :func:`forward`; dout ``(batch, ..., n_out)``, any
    upstream gradient dL/dout; input_grads: False skips dx (one GEMM).
    Returns: grads ``{"W": (n_in, n_out), "b": (n_out,)}``, dx ``(batch, ..., n_in)`` or None.
    """
    checks.check_cache(cache, LinearCache, "manual.layers.linear.forward")
    x = cache.x
    dout = spec.check_dout(dout, x.shape[:-1] + (params["W"].shape[1],), x.dtype)
    return _backward(params, cache, dout, input_grads)


def _backward(params, cache, dout, input_grads):
    W, x = params["W"], cache.x
    if x.ndim == 2:
        grads = {"W": x.T @ dout, "b": dout.sum(axis=0)}
        return grads, (dout @ W.T if input_grads else None)
    # every leading axis is a batch axis: flatten them to one GEMM each
    x2, dout2 = x.reshape(-1, W.shape[0]), dout.reshape(-1, W.shape[1])
    grads = {"W": x2.T @ dout2, "b": dout2.sum(axis=0)}
    if not input_grads:
        return grads, None
    return grads, (dout2 @ W.T).reshape(dout.shape[:-1] + (W.shape[0],))
