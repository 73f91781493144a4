"""The sequence network: an optional embedding, a stack of recurrent layers (any cell,
any depth, one or two directions) and a linear output layer, plus a loss.

Parameters, shapes, options and truncation: :mod:`modelspec.seqnet`. It is the layers
of :mod:`manual.layers` in a row: ``embedding`` (token ids to vectors), ``stack`` and
``linear``; backward runs them in reverse, the stack receiving the head's gradient at
its top layer's final states (output="last") or at every step (output="all").
"""
from typing import NamedTuple, Optional

import numpy as np

from manual import init as initializers
from manual.layers import embedding, linear, stack
from manual.losses import _loss_and_grad_of_model
from modelspec import checks
from modelspec import linear as linear_spec
from modelspec import seqnet as spec
from modelspec import stack as stack_spec
from modelspec import table


class SeqNetCache(NamedTuple):
    """The layers' caches (``embedding`` None for real x) and the output mode."""
    embedding: Optional[embedding.EmbeddingCache]
    stack: stack.StackCache
    head: linear.LinearCache
    output: str

    @property
    def h_last(self):
        """Every layer's and direction's final state ``(L * D, batch, H)``: pass it as
        ``h0`` to carry the states into the next chunk of a long sequence."""
        return self.stack.h_last

    @property
    def c_last(self):
        """The final cell states ``(L * D, batch, H)`` (LSTM)."""
        return self.stack.c_last


def init_params(n_in, hidden, n_out, layers=1, *, cell=table.RECURRENT.name, bidirectional=False,
                vocab=None, rng=None, dtype=np.float64):
    """The stack's parameters from its cells' ``init_params``, a Glorot-uniform head and
    zero ``by``; with ``vocab``, an embedding ``Wemb (vocab, n_in)`` from N(0, 1) in front.
    rng: None, an int seed or a Generator."""
    checks.check_positive_int("n_out", n_out)
    rng = checks.check_rng("rng", rng)
    params = {} if vocab is None else {spec.EMBEDDING: embedding.init_params(vocab, n_in, rng=rng, dtype=dtype)["W"]}
    params.update(stack.init_params(n_in, hidden, layers, cell=cell, bidirectional=bidirectional,
                                    rng=rng, dtype=dtype))
    width = (2 if bidirectional else 1) * hidden
    params.update({"Wy": initializers.glorot_uniform(rng, (width, n_out), dtype),
                   "by": np.zeros(n_out, dtype=dtype)})
    return params


def forward(params, x, *, cell=table.RECURRENT.name, h0=None, c0=None, output="last",
            activation="tanh"):
    """Inputs: params; x token ids ``(batch, time)`` (with ``Wemb``) or ``(batch, time, n_in)``;
    cell; h0 (c0) ``(L * D, batch, H)`` or None; output "last" or "all"; activation.
    Returns: logits ``(batch, n_out)`` or ``(batch, time, n_out)``, and a :class:`SeqNetCache`.
    """
    x, initial, activation, _, _ = spec.forward_inputs(params, x, cell=cell, h0=h0, c0=c0,
                                                       output=output, activation=activation)
    return _forward(params, x, cell, initial, output, activation)


def _top(states_last, directions):
    """The top layer's final states, directions side by side: ``(batch, D * H)``."""
    return np.concatenate(list(states_last[-directions:]), axis=1)


def _forward(params, x, cell, initial, output, activation, loops=None):
    """:func:`forward` on checked inputs; ``loops``: the cell's time loops, as
    ``manual.layers.stack._forward`` takes them (None for the NumPy ones)."""
    emb, layers, head = spec.parts(params)
    ecache = None
    if emb is not None:
        x, ecache = embedding._forward(emb, x)                   # (batch, time, n_in)
    states, scache = stack._forward(layers, x, cell, initial, activation, loops)
    reads = _top(scache.h_last, scache.directions) if output == "last" else states
    logits, hcache = linear._forward(head, reads)
    return logits, SeqNetCache(ecache, scache, hcache, output)


def backward(params, cache, dlogits, *, truncate=None):
    """Backward pass from the upstream gradient ``dlogits`` (the logits' shape); truncate
    as :mod:`modelspec.seqnet` says.
    Returns: grads (keyed like params), dx ``(batch, time, n_in)`` (None for token ids) and
    dh0 (and dc0 for an LSTM) ``(L * D, batch, H)``, as ``manual.rnn.backward`` returns them."""
    return _checked_backward(params, cache, dlogits, truncate, None)


def _checked_backward(params, cache, dlogits, truncate, loops):
    """:func:`backward` with the cell's time loops ``loops`` (None for the NumPy ones)."""
    checks.check_cache(cache, SeqNetCache, "manual.seqnet.forward")
    batch, steps = cache.stack.inputs[0].shape[:2]
    n_out = params["Wy"].shape[1]
    expected = (batch, n_out) if cache.output == "last" else (batch, steps, n_out)
    dlogits = linear_spec.check_dout(dlogits, expected, cache.stack.inputs[0].dtype, name="dlogits")
    stack_spec.check_truncate(truncate, cache.stack.layers, cache.stack.directions,
                              every_step=cache.output == "all")
    grads, inputs = _backward(params, cache, dlogits, truncate, True, loops)
    return (grads, inputs["x"]) + tuple(inputs[f"{s}0"] for s in stack_spec.CELL_STATES[cache.stack.cell])


def _backward(params, cache, dlogits, truncate, input_grads, loops=None):
    """Gradients for every parameter and, with ``input_grads``, ``{"x": dx (real x only),
    "h0": ..., "c0": ...}`` (the initial states' for every state, given or not); loops as in
    :func:`_forward`."""
    emb, layers, head = spec.parts(params)
    scache = cache.stack
    head_grads, dreads = linear._backward(head, cache.head, dlogits, True)
    names = stack_spec.CELL_STATES[scache.cell]
    dlast = {s: None for s in names}
    dout = dreads
    if cache.output == "last":
        # the head read the top layer's final states: the gradient arrives there only
        hidden, directions = scache.h_last.shape[2], scache.directions
        dlast["h"] = np.zeros_like(scache.h_last)
        dlast["h"][-directions:] = dreads.reshape(-1, directions, hidden).transpose(1, 0, 2)
        dout = None
    grads, dx, dstate0 = stack._backward(layers, scache, dout, dlast, truncate,
                                         input_grads or emb is not None, loops)
    grads.update({"Wy": head_grads["W"], "by": head_grads["b"]})
    if emb is not None:
        grads[spec.EMBEDDING] = embedding._backward(emb, cache.embedding, dx)[0]["W"]
        dx = None                                                 # token ids have no gradient
    if not input_grads:
        return grads, None
    return grads, {"x": dx, **{f"{s}0": v for s, v in dstate0.items()}}


def loss_and_grads(params, x, y, *, loss, cell=table.RECURRENT.name, output="last", truncate=None,
                   reduction="mean", h0=None, c0=None, activation="tanh", return_input_grads=False):
    """Loss of the network on ``(x, y)`` and its gradient for every parameter.

    Inputs: params; x; y for the logits (see :func:`modelspec.check_target`); loss; cell;
    output; truncate (:mod:`modelspec.seqnet`); reduction; h0 (c0) or None; activation.
    Returns: (loss, grads) keyed like params; with ``return_input_grads=True`` also
    ``{"x": dx}`` (real x only) plus ``"h0"`` / ``"c0"`` for the initial states given.
    """
    return _loss_and_grads(params, x, y, loss, cell, output, truncate, reduction, h0, c0, activation,
                           return_input_grads, None)


def _loss_and_grads(params, x, y, loss, cell, output, truncate, reduction, h0, c0, activation,
                    return_input_grads, loops):
    """:func:`loss_and_grads` with the cell's time loops ``loops`` (None for the NumPy ones)."""
    x, y, initial, activation = spec.inputs(params, x, y, loss=loss, cell=cell, output=output,
                                            truncate=truncate, reduction=reduction, h0=h0, c0=c0,
                                            activation=activation)
    logits, cache = _forward(params, x, cell, initial, output, activation, loops)
    value, dlogits = _loss_and_grad_of_model(loss, logits, y, reduction)
    grads, inputs = _backward(params, cache, dlogits, truncate, return_input_grads, loops)
    if not return_input_grads:
        return value, grads
    given = {"x": spec.EMBEDDING not in params, "h0": h0 is not None, "c0": c0 is not None}
    return value, grads, {k: v for k, v in inputs.items() if given[k]}
