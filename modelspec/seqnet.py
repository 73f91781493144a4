"""Contract of the sequence network: an optional embedding, a stack of recurrent layers
(any cell, any depth, one or two directions) and a linear output layer, plus a loss.

params: ``Wemb (vocab, n_in)`` when x are token ids (the embedding front end; absent for
real x); the stack's (:mod:`modelspec.stack`: ``Wxh_l0, Whh_l0, ...``); ``Wy (D * H, n_out)``,
``by (n_out,)``. x: token ids ``(batch, time)`` with ``Wemb``, else ``(batch, time, n_in)``.
output "last" (many-to-one): the head reads the top layer's final states, its directions
side by side (PyTorch's ``h_n[-D:]``), logits ``(batch, n_out)``; "all" (many-to-many): the
head reads the stack's output at every step, logits ``(batch, time, n_out)``.
truncate: as the stack's: with output="last", a window over the last k steps of every
layer; with output="all", one unidirectional layer only (the per-term rule); never for a
bidirectional stack. y: see :func:`modelspec.check_target` for those logits.
"""
import numpy as np

from modelspec import embedding, stack
from modelspec.checks import (LOSSES, REDUCTIONS, check_option, check_params, check_target, real_array,
                              shape_of)
from modelspec.rnn import OUTPUTS
from modelspec import recurrent

EMBEDDING, HEAD = "Wemb", ("Wy", "by")


def parts(params):
    """``(embedding params or None, stack params, head params)`` under each layer's own keys."""
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    missing = [k for k in HEAD if k not in params]
    if missing:
        raise ValueError(f"params must have the output layer's {list(HEAD)}; missing {missing} "
                         f"(keys: {list(params)})")
    emb = {"W": params[EMBEDDING]} if EMBEDDING in params else None
    layers = {k: v for k, v in params.items() if k not in HEAD and k != EMBEDDING}
    return emb, layers, {"W": params["Wy"], "b": params["by"]}


def shapes(params, cell):
    """Expected ``{key: shape}``, read from ``Wemb``, each layer's ``Wxh`` and ``Wy``."""
    return _layout(params, cell)[0]


def _layout(params, cell):
    """``(shapes, layers, directions)``, the keys read once (:func:`modelspec.stack.layout`)."""
    emb, layers, _ = parts(params)
    out, depth, directions = stack.layout(layers, cell)
    width = directions * out["Whh_l0"][0]
    if emb is not None:
        vocab = embedding.shapes(emb)["W"][0]
        out = {EMBEDDING: (vocab, out["Wxh_l0"][0]), **out}
    if np.ndim(params["Wy"]) != 2:
        raise ValueError(f"params['Wy'] must be a 2-D (D * H, n_out) array; got {np.ndim(params['Wy'])}-D")
    n_out = shape_of(params["Wy"])[1]
    out.update({"Wy": (width, n_out), "by": (n_out,)})
    return out, depth, directions


def output_shape(x_shape, shapes, output):
    n_out = shapes["Wy"][1]
    return (x_shape[0], n_out) if output == "last" else (x_shape[0], x_shape[1], n_out)


def forward_inputs(params, x, *, cell, h0=None, c0=None, output="last", activation="tanh",
                   truncate=None):
    """Validate a forward call; return ``(x, initial, activation, structure, shapes)``: x as
    token ids or an array of the parameters' dtype, the initial states as
    :func:`modelspec.stack.forward_inputs` returns them."""
    check_option("output", output, OUTPUTS)
    activation = stack.check_activation(check_option("cell", cell, stack.CELLS), activation)
    model, layers, directions = _layout(params, cell)
    dtype = check_params(params, model)
    stack.check_truncate(truncate, layers, directions, every_step=output == "all")
    if EMBEDDING in params:
        x = embedding.check_ids(x, model[EMBEDDING][0])
        if x.ndim != 2:
            raise ValueError(f"x must be (batch, time) token ids for the embedding; got {x.ndim}-D")
        lead = x.shape
    else:
        if np.ndim(x) == 2:
            raise ValueError(f"x of shape {np.shape(x)} reads as (batch, time) token ids, which need "
                             f"params['{EMBEDDING}'] (an embedding); without it x is (batch, time, n_in)")
        x = real_array("x", x, ndim=3, dtype=dtype)
        recurrent.check_x(x, {"Wxh": model["Wxh_l0"]})
        lead = x.shape[:2]
    hidden = model["Whh_l0"][0]
    initial = stack.initial_states(cell, h0, c0, (layers * directions, lead[0], hidden), dtype)
    return x, initial, activation, (layers, directions, hidden), model


def inputs(params, x, y, *, loss, cell, output, truncate, reduction, h0, c0, activation):
    """Validate a loss call; return ``(x, y, initial, activation)``."""
    check_option("loss", loss, LOSSES)
    check_option("reduction", reduction, REDUCTIONS)
    x, initial, activation, _, model = forward_inputs(params, x, cell=cell, h0=h0, c0=c0, output=output,
                                                      activation=activation, truncate=truncate)
    y = check_target(y, output_shape(x.shape, model, output), loss, params["Wy"].dtype)
    return x, y, initial, activation
