"""A tiny model for the tests of ``crosscheck mutate``: least squares ``mean((x @ w - y)**2)``
with a hand-written gradient that has one known-equivalent mutant (deleting
``dr = dr.copy()`` changes nothing) and many that are plainly wrong (``2 * r`` -> ``1 * r``).

The tests run ``crosscheck mutate tests/crosscheck/mutate_fixture.py:loss_and_grads
--model tests.crosscheck.mutate_fixture:DEMO --target mutate-demo``.
"""
import autograd.numpy as anp
import numpy as np
from hypothesis import strategies as st

import crosscheck
from crosscheck.strategies import float_arrays


def loss_and_grads(params, x, y):
    """The loss and its hand-written gradient for ``w``."""
    r = x @ params["w"] - y
    dr = 2 * r / r.size
    dr = dr.copy()                     # deleting this line is an equivalent mutant
    return np.mean(r * r), {"w": x.T @ dr}


def loss(params, x, y):
    """The same loss for autograd."""
    return anp.mean((x @ params["w"] - y) ** 2)


@st.composite
def _cases(draw):
    n_in, batch = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    params = {"w": draw(float_arrays((n_in, 1), 1.0))}
    return crosscheck.Case(params, (draw(float_arrays((batch, n_in), 2.0)),
                                    draw(float_arrays((batch, 1), 2.0))), {})


DEMO = crosscheck.Model("mutate-demo", "least squares, for the tests of crosscheck mutate",
                        loss_and_grads, loss, _cases())
