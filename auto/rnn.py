"""The RNN of ``manual.rnn`` as a loss written with ``autograd.numpy``.

``autograd.grad(loss)`` gives the reference parameter gradients; ``autograd.grad`` with
respect to ``x`` or ``h0`` gives dL/dx and dL/dh0. Truncation is not a derivative written
by hand: for each loss term the state h_{t-k} is replaced by its value with the gradient
stopped (``autograd.tracer.getval``), and the k steps after it are recomputed from there.
"""
import autograd.numpy as np
from autograd.tracer import getval

import modelspec
from auto import losses


def relu(z):
    # np.where: derivative 0 at z = 0, the project's convention (np.maximum would give 0.5)
    return np.where(z > 0, z, 0.0)


NONLINEARITIES = {"tanh": np.tanh, "relu": relu}


def _step(params, x_t, h_prev, act):
    return act(np.dot(x_t, params["Wxh"]) + np.dot(h_prev, params["Whh"]) + params["bh"])


def states(params, x, h0=None, *, nonlinearity="tanh"):
    """Hidden states ``[h_0, h_1, ..., h_T]``, each ``(batch, H)``, for x ``(batch, T, n_in)``."""
    act = NONLINEARITIES[nonlinearity]
    if h0 is None:
        h0 = np.zeros((np.shape(x)[0], np.shape(params["Whh"])[0]), dtype=params["Whh"].dtype)
    hs = [h0]
    for t in range(np.shape(x)[1]):
        hs.append(_step(params, x[:, t], hs[-1], act))
    return hs


def _truncated_state(params, x, hs, t, k, act):
    """h_t as seen by the loss term at step t: recomputed from h_{t-k} with its gradient
    stopped, so that only h_{t-k+1} .. h_t pass gradient (h_0 itself when t < k)."""
    if k is None or t - k < 0:
        return hs[t]
    h = getval(hs[t - k])
    for s in range(t - k + 1, t + 1):
        h = _step(params, x[:, s - 1], h, act)
    return h


def logits(params, x, *, h0=None, output="last", truncate=None, nonlinearity="tanh"):
    """Logits ``(batch, n_out)`` (output="last") or ``(batch, T, n_out)`` (output="all")."""
    act = NONLINEARITIES[nonlinearity]
    hs = states(params, x, h0, nonlinearity=nonlinearity)
    steps = len(hs) - 1
    terms = [steps] if output == "last" else range(1, steps + 1)
    outs = [np.dot(_truncated_state(params, x, hs, t, truncate, act), params["Wy"]) + params["by"]
            for t in terms]
    return outs[0] if output == "last" else np.stack(outs, axis=1)


def loss(params, x, y, *, loss, output="last", truncate=None, reduction="mean", h0=None,
         nonlinearity="tanh"):
    """Scalar loss of the RNN; same arguments and meaning as ``manual.rnn.loss_and_grads``."""
    modelspec.check_option("output", output, modelspec.OUTPUTS)
    modelspec.check_option("nonlinearity", nonlinearity, modelspec.NONLINEARITIES)
    modelspec.check_truncate(truncate)
    shapes = modelspec.rnn_shapes(params)
    modelspec.check_rnn_x(x, shapes)
    modelspec.check_rnn_h0(h0, np.shape(x)[0], shapes)
    z = logits(params, x, h0=h0, output=output, truncate=truncate, nonlinearity=nonlinearity)
    return losses.loss(loss, z, y, reduction)
