"""The seeds' RNN: a recurrent layer and a linear output layer, plus a loss (seeds 000-004).

Parameters are a flat dict ``Wxh (n_in, H), Whh (H, H), bh (H,), Wy (H, n_out), by (n_out,)``
and, in the seeds' row-vector convention, for ``x`` of shape ``(batch, time, n_in)``::

    h_t = act(x_t @ Wxh + h_{t-1} @ Whh + bh),   t = 1 .. T,   h_0 = 0 or the given h0
    logits = h_T @ Wy + by                 (output="last": many-to-one)
    logits_t = h_t @ Wy + by, every t      (output="all": many-to-many)

The recurrence is :mod:`manual.layers.recurrent` (``Wxh, Whh, bh``), the output layer
:mod:`manual.layers.linear` (``W = Wy``, ``b = by``).
"""
from typing import NamedTuple

import numpy as np

from manual import init as initializers
from manual.layers import linear, recurrent
from manual.losses import _loss_and_grad_of_model
from modelspec import checks
from modelspec import linear as linear_spec
from modelspec import recurrent as recurrent_spec
from modelspec import rnn as spec


class RNNCache(NamedTuple):
    """What ``backward`` needs: the recurrent layer's cache, the output layer's and the
    output mode ("last" or "all")."""
    recurrent: recurrent.RecurrentCache
    head: linear.LinearCache
    output: str

    @property
    def h_last(self):
        """The final hidden state ``h_T`` ``(batch, H)``: pass it as ``h0`` to carry the state
        into the next chunk of a long sequence."""
        return self.recurrent.h_last


def init_params(n_in, n_hidden, n_out, *, rng=None, dtype=np.float64):
    """Glorot-uniform ``Wxh`` and ``Wy``, orthogonal ``Whh`` (seed 003's choice), zero biases.

    rng: None, an int seed or a Generator. Returns the parameter dict (see module doc).
    """
    for name, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        checks.check_positive_int(name, value)
    rng = checks.check_rng("rng", rng)
    return {**recurrent.init_params(n_in, n_hidden, rng=rng, dtype=dtype),
            "Wy": initializers.glorot_uniform(rng, (n_hidden, n_out), dtype),
            "by": np.zeros(n_out, dtype=dtype)}


def _head(params):
    return {"W": params["Wy"], "b": params["by"]}


def forward(params, x, *, h0=None, output="last", activation="tanh", nonlinearity=None):
    """Forward pass.

    Inputs: params (see module doc); x ``(batch, time, n_in)``, real or one-hot integers;
    h0 ``(batch, H)`` or None for zeros; output "last" or "all"; activation "tanh" or
    "relu" (``nonlinearity`` is its deprecated name).
    Returns: logits ``(batch, n_out)`` ("last") or ``(batch, time, n_out)`` ("all"), and an
    :class:`RNNCache` (``cache.h_last`` is the final state ``(batch, H)``).
    """
    x, h0, activation = spec.forward_inputs(params, x, h0=h0, output=output,
                                            activation=activation, nonlinearity=nonlinearity)
    return _forward(params, x, h0, output, activation)


def _forward(params, x, h0, output, activation, loops=None):
    """:func:`forward` on checked inputs; ``loops``: the recurrent layer's time loops
    (``manual.layers.recurrent.Loops``), None for its NumPy ones."""
    states, state_cache = recurrent._forward(params, x, h0, activation, loops)   # (batch, T, H)
    if output == "last":
        logits, head_cache = linear._forward(_head(params), states[:, -1])
    else:
        # the output layer on the time-major states (T, batch, H), a contiguous block
        logits, head_cache = linear._forward(_head(params), states.transpose(1, 0, 2))
        logits = logits.transpose(1, 0, 2)                                 # (batch, T, n_out)
    return logits, RNNCache(state_cache, head_cache, output)


def backward(params, cache, dlogits, *, truncate=None):
    """Backward pass through time from the upstream gradient ``dlogits``.

    Inputs: params; cache from ``forward``; dlogits of the logits' shape;
    truncate: None for full BPTT, or k >= 1: the loss term at output step t sends its
    gradient back through h_t ... h_{t-k+1} only, h_{t-k} being held constant for that
    term (h_0 included: with k = t, that term gives h0 no gradient).
    Returns: grads (keyed like params), dx ``(batch, time, n_in)``, dh0 ``(batch, H)``.
    """
    return _backward(params, cache, _backward_inputs(params, cache, dlogits, truncate), truncate,
                     input_grads=True)


def _backward_inputs(params, cache, dlogits, truncate):
    """Check a :func:`backward` call; return dlogits as an array of the cache's dtype."""
    checks.check_cache(cache, RNNCache, "manual.rnn.forward")
    recurrent_spec.check_truncate(truncate)
    steps, batch, _ = cache.recurrent.x.shape
    n_out = params["Wy"].shape[1]
    expected = (batch, n_out) if cache.output == "last" else (batch, steps, n_out)
    return linear_spec.check_dout(dlogits, expected, cache.recurrent.hs.dtype, name="dlogits")


def _backward(params, cache, dlogits, truncate, input_grads, loops=None):
    """:func:`backward`; without ``input_grads`` dx and dh0 are not computed (None); loops
    as in :func:`_forward`."""
    if cache.output == "last":
        # the head reads h_T only: its gradient arrives at the last state
        head_grads, dh_last = linear._backward(_head(params), cache.head, dlogits, True)
        grads, dx, dh0 = recurrent._backward(params, cache.recurrent, None, dh_last,
                                             truncate, input_grads, loops)
    else:
        # time-major, as the head saw the states: dstates is (T, batch, H)
        head_grads, dstates = linear._backward(_head(params), cache.head,
                                               dlogits.transpose(1, 0, 2), True)
        grads, dx, dh0 = recurrent._backward(params, cache.recurrent, dstates, None,
                                             truncate, input_grads, loops)
    grads["Wy"], grads["by"] = head_grads["W"], head_grads["b"]
    return grads, dx, dh0


def loss_and_grads(params, x, y, *, loss, output="last", truncate=None, reduction="mean",
                   h0=None, activation="tanh", return_input_grads=False, nonlinearity=None):
    """Loss of the RNN on ``(x, y)`` and its gradient for every parameter.

    Inputs: params; x ``(batch, time, n_in)``; y for logits ``(batch, n_out)`` (output="last")
    or ``(batch, time, n_out)`` (output="all"): floats in [0, 1] for "bce", floats for "mse",
    integer labels without the last axis for "cross_entropy"; loss; output; truncate (see
    :func:`backward`); reduction; h0 ``(batch, H)`` or None; activation "tanh" or "relu"
    (``nonlinearity`` is its deprecated name).
    Returns: (loss, grads) with grads keyed like params; with ``return_input_grads=True``
    also ``{"x": dx}`` (plus ``"h0": dh0`` when h0 is given) as a third item.
    """
    return _loss_and_grads(params, x, y, loss, output, truncate, reduction, h0, activation,
                           return_input_grads, nonlinearity, None)


def _loss_and_grads(params, x, y, loss, output, truncate, reduction, h0, activation,
                    return_input_grads, nonlinearity, loops):
    """:func:`loss_and_grads` with the recurrent layer's time loops ``loops`` (None for the
    NumPy ones)."""
    x, y, h0, activation = spec.inputs(params, x, y, loss=loss, output=output, truncate=truncate,
                                       reduction=reduction, h0=h0, activation=activation,
                                       nonlinearity=nonlinearity)
    logits, cache = _forward(params, x, h0, output, activation, loops)
    value, dlogits = _loss_and_grad_of_model(loss, logits, y, reduction)
    grads, dx, dh0 = _backward(params, cache, dlogits, truncate, return_input_grads, loops)
    if not return_input_grads:
        return value, grads
    return value, grads, ({"x": dx} if h0 is None else {"x": dx, "h0": dh0})
