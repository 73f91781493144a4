"""A layer checked as a model: its backward pass for any upstream gradient is the
gradient of one scalar, the vector-Jacobian product ``sum(dout * forward(params, x, ...))``.

:func:`manual_vjp` turns a hand-written layer (``forward(params, x, ...) -> (out, cache)``,
``backward(params, cache, dout, ...) -> (grads, dx, ...)``) into a function with the
signature of a model's ``loss_and_grads``: its "loss" is that scalar and its gradients are
what ``backward`` returns for ``dout``. :func:`auto_vjp` turns the layer's autograd twin
(``forward(params, x, ...) -> out``) into the scalar itself, whose gradient autograd takes.
With ``dout`` drawn by Hypothesis, the backward pass is proven for every upstream
gradient, not only the one a loss makes. Everything else (``verify``, shrinking, finite
differences, the command) treats a layer like a model.

Options are routed by name: each goes to whichever of ``forward`` and ``backward`` takes a
keyword of that name (``truncate`` is a backward option of the hand-written recurrent
layer and a forward option of its twin, which truncates by stopping the gradient).
Further upstream gradients (the recurrent layer's ``dh_last``, the gradient at the last
state; an LSTM's ``dc_last`` at its last cell state) are options paired with the final state
they are for: the hand-written cache holds it as ``cache.<state>_last``, and the autograd
twin returns it when called with ``return_last=True``, as ``(out, {state: value})``.
"""
import inspect
from typing import NamedTuple

import numpy as np

from modelspec import linear as linear_spec


class Upstream(NamedTuple):
    """An upstream gradient given as an option: ``name`` (``"dh_last"``), and ``state``
    (``"h"``), the final state it is the gradient for: ``cache.h_last`` on the hand-written
    side, ``last["h"]`` of the twin's ``forward(..., return_last=True) -> (out, last)``."""
    name: str
    state: str


def keywords(fn):
    return {p.name for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def _route(options, names, fn_name):
    unknown = sorted(set(options) - set().union(*names.values()))
    if unknown:
        raise TypeError(f"{fn_name} got unexpected options {unknown}")
    return {part: {k: v for k, v in options.items() if k in keys} for part, keys in names.items()}


def _value(xp, out, last, dout, options, upstream):
    value = 0.0 if dout is None else xp.sum(dout * out)
    for extra in upstream:
        if options.get(extra.name) is not None:
            value = value + xp.sum(options[extra.name] * last[extra.state])
    return value


def manual_vjp(forward, backward, input_names=("x",), upstream=()):
    """``fn(params, x, dout, **options, return_input_grads=False)`` for a hand-written layer.

    Returns ``(sum(dout * out) + ..., grads)``; with ``return_input_grads=True`` also
    ``{"x": dx, ...}`` named by ``input_names`` (the items ``backward`` returns after
    grads), leaving out an input that is an option not given (``h0=None``).
    """
    names = {"forward": keywords(forward) - {"params", "x"},
             "backward": keywords(backward) - {"params", "cache", "dout"}}

    def fn(params, x, dout, return_input_grads=False, **options):
        routed = _route(options, names, "the layer")
        out, cache = forward(params, x, **routed["forward"])
        extra = {"input_grads": return_input_grads} if "input_grads" in names["backward"] else {}
        grads, *inputs = backward(params, cache, dout, **routed["backward"], **extra)
        last = {extra.state: getattr(cache, f"{extra.state}_last") for extra in upstream
                if options.get(extra.name) is not None}
        value = _value(np, out, last, dout, options, upstream)
        if not return_input_grads:
            return value, grads
        return value, grads, {name: g for name, g in zip(input_names, inputs)
                              if name == "x" or options.get(name) is not None}
    return fn


def auto_vjp(forward, upstream=()):
    """``f(params, x, dout, **options)``: the scalar ``sum(dout * forward(params, x, ...))``
    (plus each upstream option's term) of a layer written with ``autograd.numpy``.

    The upstream gradients are checked against the output as the hand-written backward
    checks them (``modelspec.linear.check_dout``): no broadcasting on either side.
    """
    import autograd.numpy as anp
    from auto.values import values
    names = {"forward": keywords(forward) - {"params", "x"}, "upstream": {u.name for u in upstream}}

    def f(params, x, dout, **options):
        routed = _route(options, names, "the layer")["forward"]
        out, last = forward(params, x, **routed, return_last=True) if upstream else (forward(params, x, **routed), {})
        shape, dtype = np.shape(out), values(out).dtype
        given = [u.name for u in upstream if options.get(u.name) is not None]
        if dout is None and upstream and not given:
            raise ValueError(f"give dout, {', '.join(u.name for u in upstream)} or both; got neither")
        if dout is not None or not upstream:
            linear_spec.check_dout(values(dout), shape, dtype)
        for extra in upstream:
            if options.get(extra.name) is not None:
                linear_spec.check_dout(values(options[extra.name]), np.shape(last[extra.state]),
                                       dtype, name=extra.name)
        return _value(anp, out, last, dout, options, upstream)
    return f
