"""sigmoid for compiled loops: within a few ulp of ``1 / (1 + exp(-x))``, and vectorisable.

As :mod:`compiled.tanh`: ``math.exp`` in a numba loop is a libm call per element, which LLVM
does not vectorise; this one is the same polynomial (:func:`compiled.tanh.exp_parts`), one
division and selects. With a = |x| and e = e^-a (never above 1, so nothing overflows)::

    sigmoid(x) = 1 / (1 + e)   for x >= 0
    sigmoid(x) = e / (1 + e)   for x < 0

e is exact to rounding down to the subnormals (a is clamped at 745.2, where e^-a is below
half the smallest subnormal number and rounds to 0), so there is no cancellation anywhere.
NaN stays NaN; sigmoid(inf) = 1, sigmoid(-inf) = 0. The test
(``tests/compiled/test_compiled.py``) measures its error in ulp against an extended-precision
reference.
"""
import math

import numba

from compiled.tanh import exp_parts


@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def sigmoid(x):
    if x != x:
        return x
    scale, em = exp_parts(-min(abs(x), 745.2), 11)   # n in [-1075, 0]: 11 bits
    e = scale * (1.0 + em)                           # e^-|x|
    return (e if x < 0.0 else 1.0) / (1.0 + e)
