"""Vanilla RNN with hand-written backprop through time, full or truncated (seeds 000-004).

Parameters are a flat dict ``Wxh (n_in, H), Whh (H, H), bh (H,), Wy (H, n_out), by (n_out,)``
and, in the seeds' row-vector convention, for ``x`` of shape ``(batch, time, n_in)``::

    h_t = act(x_t @ Wxh + h_{t-1} @ Whh + bh),   t = 1 .. T,   h_0 = 0 or the given h0
    logits = h_T @ Wy + by                 (output="last": many-to-one)
    logits_t = h_t @ Wy + by, every t      (output="all": many-to-many)

Internally the states are kept time-major, ``(T + 1, batch, H)``, so that each step reads
and writes one contiguous block; the input projection for all steps is one GEMM, and the
weight gradients are one GEMM each after the time loop. The time loops allocate nothing:
every step writes into buffers allocated once per call (``benchmarks/`` measures the result).
"""
from typing import NamedTuple

import numpy as np

import modelspec
from manual import init as initializers
from manual.activations import ACTIVATIONS, DERIVATIVES
from manual.losses import _loss_and_grad_of_model


class RNNCache(NamedTuple):
    """What ``backward`` needs, time-major.

    x: ``(T, batch, n_in)``, the input; hs: ``(T + 1, batch, H)``, ``hs[0] = h_0`` and
    ``hs[t] = h_t``; output and nonlinearity as passed to ``forward``.
    """
    x: np.ndarray
    hs: np.ndarray
    output: str
    nonlinearity: str

    @property
    def h_last(self):
        """The final hidden state ``h_T`` ``(batch, H)``: pass it as ``h0`` to carry the state
        into the next chunk of a long sequence."""
        return self.hs[-1]


def init_params(n_in, n_hidden, n_out, *, rng=None, dtype=np.float64):
    """Glorot-uniform ``Wxh`` and ``Wy``, orthogonal ``Whh`` (seed 003's choice), zero biases.

    rng: None, an int seed or a Generator. Returns the parameter dict (see module doc).
    """
    for name, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        modelspec.check_positive_int(name, value)
    rng = np.random.default_rng(rng)
    return {"Wxh": initializers.glorot_uniform(rng, (n_in, n_hidden), dtype),
            "Whh": initializers.orthogonal(rng, (n_hidden, n_hidden), dtype),
            "bh": np.zeros(n_hidden, dtype=dtype),
            "Wy": initializers.glorot_uniform(rng, (n_hidden, n_out), dtype),
            "by": np.zeros(n_out, dtype=dtype)}


def forward(params, x, *, h0=None, output="last", nonlinearity="tanh"):
    """Forward pass.

    Inputs: params (see module doc); x ``(batch, time, n_in)``, real or one-hot integers;
    h0 ``(batch, H)`` or None for zeros; output "last" or "all"; nonlinearity "tanh" or "relu".
    Returns: logits ``(batch, n_out)`` ("last") or ``(batch, time, n_out)`` ("all"), and an
    :class:`RNNCache` (``cache.h_last`` is the final state ``(batch, H)``).
    """
    x, h0 = modelspec.rnn_forward_inputs(params, x, h0=h0, output=output,
                                         nonlinearity=nonlinearity)
    return _forward(params, x, h0, output, nonlinearity)


def _forward(params, x, h0, output, nonlinearity):
    """The forward pass on validated input."""
    Wxh, Whh, Wy = params["Wxh"], params["Whh"], params["Wy"]
    batch, steps, n_in = x.shape
    hidden = Whh.shape[0]
    act = ACTIVATIONS[nonlinearity]
    # x time-major (T, batch, n_in): one GEMM projects every step, and dWxh is one GEMM later
    xs = np.ascontiguousarray(x.transpose(1, 0, 2))
    # the state buffer first holds the input projection x_t @ Wxh of every step, computed
    # in one GEMM; step t then adds h_{t-1} @ Whh + bh and applies act in place
    hs = np.empty((steps + 1, batch, hidden), dtype=Wxh.dtype)
    hs[0] = 0 if h0 is None else h0
    np.matmul(xs.reshape(steps * batch, n_in), Wxh, out=hs[1:].reshape(steps * batch, hidden))
    bh = params["bh"]
    recurrent = np.empty((batch, hidden), dtype=hs.dtype)   # h_{t-1} @ Whh + bh, every step
    for t in range(1, steps + 1):
        np.matmul(hs[t - 1], Whh, out=recurrent)
        recurrent += bh                          # bh added here, in cache: no pass over all of hs
        hs[t] += recurrent                       # z_t = x_t @ Wxh + h_{t-1} @ Whh + bh
        act(hs[t], out=hs[t])                    # h_t = act(z_t)
    if output == "last":
        logits = hs[steps] @ Wy + params["by"]
    else:
        logits = (hs[1:] @ Wy + params["by"]).transpose(1, 0, 2)    # (batch, T, n_out)
    return logits, RNNCache(xs, hs, output, nonlinearity)


def backward(params, cache, dlogits, *, truncate=None):
    """Backward pass through time from the upstream gradient ``dlogits``.

    Inputs: params; cache from ``forward``; dlogits of the logits' shape;
    truncate: None for full BPTT, or k >= 1: the loss term at output step t sends its
    gradient back through h_t ... h_{t-k+1} only, h_{t-k} being held constant for that
    term (h_0 included: with k = t, that term gives h0 no gradient).
    Returns: grads (keyed like params), dx ``(batch, time, n_in)``, dh0 ``(batch, H)``.
    """
    modelspec.check_truncate(truncate)
    return _backward(params, cache, dlogits, truncate, input_grads=True, h0_grad=True)


def _backward(params, cache, dlogits, truncate, input_grads, h0_grad):
    """:func:`backward`; what is not asked for is not computed and comes back as None:
    dx unless ``input_grads`` (one GEMM the size of the input projection), dh0 unless
    ``h0_grad`` (the last step's carry). ``truncate`` has been checked by the caller."""
    xs, hs = cache.x, cache.hs
    steps, batch, n_in = xs.shape
    hidden = hs.shape[2]
    Wy = params["Wy"]
    if cache.output == "last":
        modelspec.check_shape("dlogits", dlogits, (batch, Wy.shape[1]))
        dWy = hs[steps].T @ dlogits
        dby = dlogits.sum(axis=0)
        dh_out = (dlogits @ Wy.T)[None]                             # reaches h_T only
    else:
        modelspec.check_shape("dlogits", dlogits, (batch, steps, Wy.shape[1]))
        dl = dlogits.transpose(1, 0, 2).reshape(steps * batch, -1)  # time-major
        dWy = hs[1:].reshape(steps * batch, hidden).T @ dl
        dby = dl.sum(axis=0)
        dh_out = (dl @ Wy.T).reshape(steps, batch, hidden)
    dact = DERIVATIVES[cache.nonlinearity]
    WhhT = np.ascontiguousarray(params["Whh"].T)   # contiguous: the step GEMM runs faster
    if truncate is not None and truncate <= steps and cache.output == "all":
        dz, dh0 = _bptt_window(WhhT, hs, dh_out, dact, truncate)
        first = 0
    else:
        # one gradient carried back: full BPTT, or the single loss term of many-to-one
        # through h_T ... h_{T-k+1} (a window longer than the sequence is full BPTT)
        first = 0 if truncate is None else max(0, steps - truncate)
        window_ends_at_h0 = truncate is not None and truncate <= steps
        dz, dh0 = _bptt(WhhT, hs, dh_out, dact, first, h0_grad and not window_ends_at_h0)
        if h0_grad and window_ends_at_h0:
            dh0 = np.zeros_like(hs[0])           # h_{T-k} (h_0 at most) is held constant
    # weight gradients: one GEMM each over the steps that received a gradient,
    # dWxh = sum_t x_t.T @ dz_t and dWhh = sum_t h_{t-1}.T @ dz_t
    used = steps - first
    dz2 = dz.reshape(used * batch, hidden)
    grads = {"Wxh": xs[first:].reshape(used * batch, n_in).T @ dz2,
             "Whh": hs[first:steps].reshape(used * batch, hidden).T @ dz2,
             "bh": dz2.sum(axis=0), "Wy": dWy, "by": dby}
    if not input_grads:
        return grads, None, None
    # dx_t = dz_t @ Wxh.T, one GEMM, then into the batch-first layout; steps before the
    # window receive no gradient
    dx = np.empty((batch, steps, n_in), dtype=xs.dtype)
    dx[:, :first] = 0
    dx[:, first:] = (dz2 @ params["Wxh"].T).reshape(used, batch, n_in).transpose(1, 0, 2)
    return grads, dx, dh0


def _bptt(WhhT, hs, dh_out, dact, first, carry_to_first=True):
    """Carry one gradient from h_T back to h_{first+1}.

    WhhT: ``Whh.T``; hs: ``(T + 1, batch, H)``; dh_out: ``(T, batch, H)``, the gradient
    from the output at every h_t, or ``(1, batch, H)``, at h_T only. Returns dz
    ``(T - first, batch, H)``, the gradient at the pre-activations of steps first+1 .. T,
    and the gradient at h_first (None, and its GEMM skipped, unless ``carry_to_first``).
    """
    steps = hs.shape[0] - 1
    every_step = dh_out.shape[0] == steps
    dz = np.empty((steps - first,) + hs.shape[1:], dtype=hs.dtype)
    dh_next = dh_out[-1].copy()                  # dL/dh_t, starting at t = T
    for t in range(steps, first, -1):
        if every_step and t < steps:
            dh_next += dh_out[t - 1]             # plus the output's own gradient at h_t
        dz_t = dz[t - 1 - first]
        dact(hs[t], out=dz_t)                    # act'(z_t) from h_t
        dz_t *= dh_next                          # backprop through the nonlinearity
        if t > first + 1 or carry_to_first:
            np.matmul(dz_t, WhhT, out=dh_next)   # carry to h_{t-1}: dz_t @ Whh.T
    return dz, (dh_next if carry_to_first else None)


def _bptt_window(WhhT, hs, dh_out, dact, k):
    """Truncated BPTT with a loss term at every step: term t reaches h_t ... h_{t-k+1}.

    Each of the (up to) k terms whose window covers a step is carried separately, so that
    each can be dropped where its own window ends. Returns dz ``(T, batch, H)`` and dh0.
    """
    steps, batch, hidden = dh_out.shape
    dz = np.empty_like(dh_out)
    g = np.zeros((k, batch, hidden), dtype=hs.dtype)   # g[j]: gradient at h_t of term t + j
    gz = np.empty_like(g)
    deriv = np.empty((batch, hidden), dtype=hs.dtype)
    for t in range(steps, 0, -1):
        g[0] = dh_out[t - 1]
        dact(hs[t], out=deriv)
        np.multiply(g, deriv, out=gz)            # backprop through the nonlinearity, per term
        gz.sum(axis=0, out=dz[t - 1])
        # carry every term to h_{t-1} except term t + k - 1, whose window ends at h_t
        np.matmul(gz[:-1].reshape(-1, hidden), WhhT, out=g[1:].reshape(-1, hidden))
    return dz, g[1:].sum(axis=0)                 # terms 1 .. k-1 reach h_0


def loss_and_grads(params, x, y, *, loss, output="last", truncate=None, reduction="mean",
                   h0=None, nonlinearity="tanh", return_input_grads=False):
    """Loss of the RNN on ``(x, y)`` and its gradient for every parameter.

    Inputs: params; x ``(batch, time, n_in)``; y for logits ``(batch, n_out)`` (output="last")
    or ``(batch, time, n_out)`` (output="all"): floats in [0, 1] for "bce", floats for "mse",
    integer labels without the last axis for "cross_entropy"; loss; output; truncate (see
    :func:`backward`); reduction; h0 ``(batch, H)`` or None; nonlinearity.
    Returns: (loss, grads) with grads keyed like params; with ``return_input_grads=True``
    also ``{"x": dx}`` (plus ``"h0": dh0`` when h0 is given) as a third item.
    """
    x, y, h0 = modelspec.rnn_inputs(params, x, y, loss=loss, output=output, truncate=truncate,
                                    reduction=reduction, h0=h0, nonlinearity=nonlinearity)
    logits, cache = _forward(params, x, h0, output, nonlinearity)
    value, dlogits = _loss_and_grad_of_model(loss, logits, y, reduction)
    grads, dx, dh0 = _backward(params, cache, dlogits, truncate, return_input_grads,
                               h0_grad=return_input_grads and h0 is not None)
    if not return_input_grads:
        return value, grads
    return value, grads, ({"x": dx} if h0 is None else {"x": dx, "h0": dh0})
