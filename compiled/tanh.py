"""tanh for compiled loops: within a few ulp of ``np.tanh``, and vectorisable.

``math.tanh`` in a numba loop is a libm call per element (about 20 ns, as NumPy's float64
``np.tanh`` on this kind of CPU), which is most of a recurrent step at small hidden sizes.
This one is one polynomial, one division and selects, so LLVM vectorises the loop around it.
The test (``tests/compiled/test_compiled.py``) measures its error against ``np.tanh`` in ulp.

For a = |x| and y = -2a (so ``tanh(a) = -expm1(y) / (2 + expm1(y))``, no cancellation for
any a): y = n ln2 + r with |r| <= ln2/2 (Cody and Waite), ``expm1(r) = r q(r)`` by its
series, and

    expm1(y) = expm1(r)               for n = 0 (|y| < ln2/2: no rounding of 1 + ...)
    expm1(y) = 2^n (1 + expm1(r)) - 1 for n < 0 (then 2^n (1 + ...) <= 0.71: 1 - that
                                         loses at most 2 bits)

and tanh(x) = copysign(tanh(a), x); |x| >= 20 gives 1 (tanh(20) rounds to 1), NaN stays NaN.
"""
import math

import numba
import numpy as np

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01          # ln 2 = _LN2_HI + _LN2_LO, _LN2_HI n exact
_LN2_LO = 1.90821492927058770002e-10
# q(r) = expm1(r) / r = sum r^k / (k + 1)!, k = 0 .. 13, highest first: for |r| <= ln2/2 the
# first term left out, r^14 / 15!, is below 1e-18 of q
_Q = np.array([1.0 / math.factorial(k + 1) for k in range(13, -1, -1)])
# 2^-(2^b), b = 0 .. 10: 2^n for n in [-2047, 0] as a product over the bits of -n
_POW2 = np.array([2.0 ** -(2 ** b) for b in range(11)])


@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def exp_parts(y, bits):
    """e^y = scale * (1 + em) for y <= 0 with -y < 2^bits ln2 (``bits`` at most 11), both
    exact to rounding: scale = 2^n is a product of powers of two, em = expm1(r) with
    |r| <= ln2/2 (Cody and Waite's reduction, then the series)."""
    n = math.floor(y * _LOG2E + 0.5)
    r = (y - n * _LN2_HI) - n * _LN2_LO
    q = 0.0
    for i in range(_Q.size):
        q = q * r + _Q[i]
    k = int(-n)
    scale = 1.0
    for b in range(bits):
        scale *= _POW2[b] if k & (1 << b) else 1.0
    return scale, r * q


@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def tanh(x):
    if x != x:
        return x
    a = min(abs(x), 20.0)
    scale, em = exp_parts(-2.0 * a, 6)           # n in [-58, 0]: 6 bits
    if scale != 1.0:
        em = scale * (1.0 + em) - 1.0            # expm1(y) = 2^n e^r - 1
    return math.copysign(-em / (2.0 + em), x)
