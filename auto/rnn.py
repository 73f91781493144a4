"""The RNN of ``manual.rnn``, written with ``autograd.numpy``: the recurrent layer
(``auto.layers.recurrent``) and a linear output layer (``auto.layers.linear``), plus a loss.

``autograd.grad(loss)`` gives the reference parameter gradients; ``autograd.grad`` with
respect to ``x`` or ``h0`` gives dL/dx and dL/dh0. Truncation: the output at step t reads
the state as the recurrent layer's ``truncated_state`` sees it (the gradient stopped at
h_{t-k}); many-to-one recomputes that window for the last step only.
"""
import autograd.numpy as np

from auto import losses
from auto.layers import linear, recurrent
from auto.values import values
from modelspec import rnn as spec


def logits(params, x, *, h0=None, output="last", truncate=None, activation="tanh"):
    """Logits ``(batch, n_out)`` (output="last") or ``(batch, T, n_out)`` (output="all");
    arguments validated as ``manual.rnn.forward`` validates them (and truncate)."""
    _, _, activation = spec.forward_inputs(values(params), values(x), h0=values(h0), output=output,
                                           activation=activation)
    spec.recurrent.check_truncate(truncate)
    return _logits(params, x, h0, output, truncate, activation)


def _logits(params, x, h0, output, truncate, activation):
    hs = recurrent.states(params, x, h0, activation)
    steps = len(hs) - 1
    head = {"W": params["Wy"], "b": params["by"]}
    terms = [steps] if output == "last" else range(1, steps + 1)
    outs = [linear._forward(head, recurrent.truncated_state(params, x, hs, t, truncate, activation))
            for t in terms]
    return outs[0] if output == "last" else np.stack(outs, axis=1)


def loss(params, x, y, *, loss, output="last", truncate=None, reduction="mean", h0=None,
         activation="tanh", nonlinearity=None):
    """Scalar loss of the RNN; same arguments and meaning as ``manual.rnn.loss_and_grads``."""
    _, y, _, activation = spec.inputs(values(params), values(x), y, loss=loss, output=output,
                                      truncate=truncate, reduction=reduction, h0=values(h0),
                                      activation=activation, nonlinearity=nonlinearity)
    z = _logits(params, x, h0, output, truncate, activation)
    return losses.LOSSES[loss](z, y, reduction)
