"""A model of a user's own, registered the documented way: linear regression
``pred = x @ w + b`` with a mean squared error, written by hand and for autograd.

It is what the defaults of :class:`crosscheck.Model` are for: its cases are a plain
Hypothesis strategy (not a factory), its hand-written function takes no
``return_input_grads`` keyword, and its option ``truncate=k`` lets only the last ``k``
rows of the batch send gradient (the others are held constant, as truncated BPTT holds
early steps), so on those cases the gradient is by design not the loss's true gradient.
The CLI tests run it as ``crosscheck run --model tests.crosscheck.user_model:LINREG``,
and check :func:`loss_and_grads_wrong_b` against it with ``--manual``.
"""
import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval
from hypothesis import strategies as st

import crosscheck
from crosscheck.strategies import float_arrays


def loss_and_grads(params, x, y, *, truncate=None):
    """Loss and hand-written gradients for ``w`` and ``b``; ``truncate=k``: only the last
    ``k`` rows send gradient."""
    r = x @ params["w"] + params["b"] - y
    dr = 2 * r / r.size
    if truncate is not None:
        dr[:-truncate] = 0
    return np.mean(r ** 2), {"w": x.T @ dr, "b": dr.sum(0)}


def loss(params, x, y, *, truncate=None):
    """The same loss for autograd, the rows before the window held constant."""
    pred = x @ params["w"] + params["b"]
    if truncate is not None:
        start = max(len(y) - truncate, 0)
        pred = anp.concatenate([getval(pred[:start]), pred[start:]])
    return anp.mean((pred - y) ** 2)


@st.composite
def _draw(draw):
    n_in, n_out, batch = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 5))
    params = {"w": draw(float_arrays((n_in, n_out), 1.0)), "b": draw(float_arrays((n_out,), 1.0))}
    x, y = draw(float_arrays((batch, n_in), 2.0)), draw(float_arrays((batch, n_out), 2.0))
    return crosscheck.Case(params, (x, y), {"truncate": draw(st.sampled_from([None, 1, 2, 3]))})


CASES = _draw()   # a plain strategy of Case

DESCRIPTION = "linear regression x @ w + b, mean squared error, optionally truncated"

LINREG = crosscheck.Model("linreg", DESCRIPTION, loss_and_grads, loss, CASES,
                          options={"truncate": ("None", "1, 2, ...")})


def loss_and_grads_wrong_b(params, x, y, *, truncate=None):
    """A bug to catch: ``b``'s gradient with the sign reversed."""
    value, grads = loss_and_grads(params, x, y, truncate=truncate)
    return value, {**grads, "b": -grads["b"]}


def make_linreg():
    """The same model, made when called (``--model`` takes a zero-argument callable too)."""
    return crosscheck.Model("linreg-made", DESCRIPTION, loss_and_grads, loss, CASES)
