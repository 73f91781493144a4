"""The sequence network of ``manual.seqnet``, written with ``autograd.numpy``: the
embedding (``auto.layers.embedding``), the stack (``auto.layers.stack``, truncation by
stopping the gradient) and a linear output layer (``auto.layers.linear``), plus a loss."""
import autograd.numpy as np

from auto import losses
from auto.layers import embedding, linear, stack
from auto.values import values
from modelspec import seqnet as spec
from modelspec import table


def logits(params, x, *, cell=table.RECURRENT.name, h0=None, c0=None, output="last",
           truncate=None, activation="tanh"):
    """Logits ``(batch, n_out)`` (output="last") or ``(batch, T, n_out)`` (output="all");
    arguments validated as ``manual.seqnet.forward`` validates them (and truncate)."""
    spec.forward_inputs(values(params), values(x), cell=cell, h0=values(h0), c0=values(c0), output=output,
                        activation=activation, truncate=truncate)
    return _logits(params, x, cell, h0, c0, output, truncate, activation)


def _logits(params, x, cell, h0, c0, output, truncate, activation):
    emb, layers, head = spec.parts(params)
    if emb is not None:
        x = embedding.forward(emb, x)
    states, last = stack.forward(layers, x, cell=cell, h0=h0, c0=c0, activation=activation,
                                 truncate=truncate, return_last=True)
    if output == "all":
        return linear._forward(head, states)
    directions = 2 if any(str(k).endswith("_reverse") for k in layers) else 1
    top = np.concatenate([last["h"][-directions + d] for d in range(directions)], axis=1)
    return linear._forward(head, top)


def loss(params, x, y, *, loss, cell=table.RECURRENT.name, output="last", truncate=None,
         reduction="mean", h0=None, c0=None, activation="tanh"):
    """Scalar loss; same arguments and meaning as ``manual.seqnet.loss_and_grads``."""
    _, y, _, activation = spec.inputs(values(params), values(x), y, loss=loss, cell=cell, output=output,
                                      truncate=truncate, reduction=reduction, h0=values(h0),
                                      c0=values(c0), activation=activation)
    z = _logits(params, x, cell, h0, c0, output, truncate, activation)
    return losses.LOSSES[loss](z, y, reduction)
