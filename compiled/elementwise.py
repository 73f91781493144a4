"""tanh and sigmoid for compiled loops, float64 and float32: within a few ulp, vectorisable.

``math.tanh`` or ``math.exp`` in a numba loop is a libm call per element (NumPy's float64
``np.tanh`` costs about 20 ns an element on this kind of CPU), which is most of a recurrent
step at small hidden sizes. These are one polynomial, one division, a table lookup and
selects, so LLVM vectorises the loop around them: about 2 ns an element in float64 and 1
in float32 on an Intel Xeon with AVX-512 (whose NumPy tanh, using AVX-512, is as fast in
float64, 1.7 to 2 ns, and faster in float32, 0.4); on an AMD EPYC with AVX2 only, measured
before the table below replaced a product over the bits of -n, about 4 and 2.
Each computes in its argument's precision (a float32 loop runs twice as many lanes); the
tests (``tests/compiled/test_compiled.py``) measure their errors in ulp of that precision.

Both rest on e^y = 2^n (1 + expm1(r)) for y <= 0: y = n ln2 + r with |r| <= ln2/2 (Cody and
Waite's reduction, ln2 split in two so that n ln2_hi is exact), ``expm1(r) = r q(r)`` by
its series (14 terms in float64, 8 in float32) and 2^n read from a table of 2^-k, exact
(k up to what the sigmoid's clamp needs: 1076 entries in float64, 151 in float32). A product
over the bits of -n made a loop around the sigmoid (11 bits) about 5x slower on an AVX-512
Xeon; the lookup is a gather, vectorised there (a CPU with AVX2 only was not measured).

- tanh: for a = |x| and y = -2a, ``tanh(a) = -expm1(y) / (2 + expm1(y))`` (no cancellation
  for any a), with expm1(y) = expm1(r) for n = 0 and 2^n (1 + expm1(r)) - 1 for n < 0
  (then 2^n (1 + ...) <= 0.71: 1 - that loses at most 2 bits); tanh(x) = copysign(tanh(a),
  x). |x| is clamped where tanh rounds to 1 (20 in float64, 9 in float32).
- sigmoid: with e = e^-|x| (never above 1, so nothing overflows), 1 / (1 + e) for x >= 0
  and e / (1 + e) for x < 0; e is exact to rounding down to the subnormals (|x| is clamped
  where e^-|x| rounds to 0: 745.2 in float64, 104 in float32), so nothing cancels.

NaN stays NaN; tanh(+-inf) = +-1, sigmoid(inf) = 1, sigmoid(-inf) = 0. Called outside
compiled code, :func:`tanh` and :func:`sigmoid` are NumPy's.

For developers: numba's on-disk cache (``cache=True``) is keyed by each kernel's own source
file, so a kernel in another module that inlines these keeps its old machine code after an
edit here. Delete ``compiled/__pycache__`` after changing this file.
"""
import math
import warnings
from typing import NamedTuple

import numba
import numpy as np
from numba import types
from numba.core.errors import NumbaIRAssumptionWarning
from numba.extending import overload

# Numba inlines these into the loops (inline="always": LLVM then vectorises them) and, when
# it rebuilds the loop's SSA form, notes that the inlined variables were not in the loop's
# scope: a pedantic check of its own, about names only. Silenced for these variables alone.
warnings.filterwarnings("ignore", message=r"variable '_implementations__locals__",
                        category=NumbaIRAssumptionWarning)


class _Precision(NamedTuple):
    """One float type's constants: ln 2 = ln2_hi + ln2_lo (ln2_hi with trailing zero bits,
    so n ln2_hi is exact), the series' terms, and each function's clamp."""
    ftype: type
    ln2_hi: float
    ln2_lo: float
    terms: int
    tanh_clamp: float
    sigmoid_clamp: float


# float64: fdlibm's ln2 split; the first term left out, r^14 / 15!, is below 1e-18 of q
FLOAT64 = _Precision(np.float64, 6.93147180369123816490e-01, 1.90821492927058770002e-10, 14,
                     20.0, 745.2)
# float32: an 8-term series (r^8 / 9! below 2e-9 of q) and the float32 ln2 split
FLOAT32 = _Precision(np.float32, 0.693145751953125, 1.428606765330187045e-06, 8, 9.0, 104.0)


def _implementations(p):
    """tanh and sigmoid in the precision ``p``: every constant of its float type, so that
    numba keeps the arithmetic in it."""
    f = p.ftype
    log2e, ln2_hi, ln2_lo = f(1.4426950408889634), f(p.ln2_hi), f(p.ln2_lo)
    q_coefficients = np.array([1.0 / math.factorial(k + 1) for k in range(p.terms - 1, -1, -1)],
                              dtype=f)                     # q(r) = sum r^k / (k + 1)!, highest first
    # 2^-k for 0 <= k <= -n, n >= round(-sigmoid_clamp log2(e)) (tanh's n is never lower);
    # exact, or 0 past the subnormals as the product of the factors was
    exponents = np.arange(int(p.sigmoid_clamp * math.log2(math.e) + 0.5) + 1)
    powers_of_two = np.ldexp(np.ones(exponents.size, dtype=f), -exponents)
    zero, half, one, two = f(0), f(0.5), f(1), f(2)
    tanh_clamp, sigmoid_clamp = f(p.tanh_clamp), f(p.sigmoid_clamp)

    @numba.njit(error_model="numpy", fastmath={"contract"})
    def exp_parts(y):
        """e^y = scale * (1 + em) for -sigmoid_clamp <= y <= 0."""
        n = np.floor(y * log2e + half)
        r = (y - n * ln2_hi) - n * ln2_lo
        q = zero
        for i in range(q_coefficients.size):
            q = q * r + q_coefficients[i]
        return powers_of_two[int(-n)], r * q

    def tanh(x):
        scale, em = exp_parts(-two * min(abs(x), tanh_clamp))
        if scale != one:
            em = scale * (one + em) - one        # expm1(y) = 2^n e^r - 1
        t = math.copysign(-em / (two + em), x)
        return x if x != x else t

    def sigmoid(x):
        a = abs(x)
        kept = sigmoid_clamp if a > sigmoid_clamp else a   # NaN stays NaN
        safe = a if a <= sigmoid_clamp else sigmoid_clamp   # NaN becomes the clamp
        scale, em = exp_parts(-safe)
        e = scale * (one + em)                   # e^-|x|
        s = (e if x < zero else one) / (one + e)
        # NaN in, NaN out by arithmetic (kept - kept is 0 or NaN): with a select on x != x
        # here LLVM did not vectorise the loop around it (seen on an AVX-512 Xeon: 4x slower)
        return s + (kept - kept)

    return tanh, sigmoid


_BY_TYPE = {types.float64: _implementations(FLOAT64), types.float32: _implementations(FLOAT32)}
_OPTIONS = dict(inline="always", jit_options={"error_model": "numpy", "fastmath": {"contract"}})


def tanh(x):
    """tanh of a float64 or float32 scalar in compiled code (NumPy's ``np.tanh`` outside it)."""
    return np.tanh(x)


def sigmoid(x):
    """1 / (1 + e^-x) of a float64 or float32 scalar in compiled code (NumPy outside it)."""
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def _of(x, which):
    """The implementation for x's float type: float32's for float32, float64's otherwise
    (an integer or float16 argument is computed in float64)."""
    return _BY_TYPE.get(x, _BY_TYPE[types.float64])[which]


@overload(tanh, **_OPTIONS)
def _tanh(x):
    return _of(x, 0)


@overload(sigmoid, **_OPTIONS)
def _sigmoid(x):
    return _of(x, 1)
