"""Compare two dicts of gradients key by key and say where they differ and by how much.

Tolerance. A key passes when ``max|g - r| <= atol + rtol * max|r|``: the error is
measured against the scale of the whole reference array, not element by element, so
an entry that is tiny through cancellation does not fail on rounding noise, while any
real bug (wrong sign, missing transpose, wrong index, dropped derivative) moves some
entry by a sizeable fraction of the array's scale. Defaults, by the dtype compared:

- float64: rtol 1e-6. A correct implementation differs from autograd only by rounding:
  eps = 2.2e-16 times a sum over at most a few hundred terms, amplified by the
  conditioning of the formula. The worst case in the strategies is a derivative computed
  from the output of a saturated unit (``1 - tanh(z)**2`` at |z| <= 9 loses about
  eps / 6e-8 = 4e-9 relative), which leaves a margin of 250 below rtol; bugs give 1e-3..1.
- float32: rtol 1e-3 (eps = 1.2e-7 with the same amplification is about 1e-4).
- atol: 1e-12 (float64) or 1e-5 (float32), a floor for arrays whose true value is 0 and
  that one side computes as rounding noise; the strategies' gradients are O(1e-3..1e3).

The relative error reported is ``max|g - r| / max(max|r|, atol / rtol)``: the error in
units of the reference's scale, never infinite (an all-zero reference is measured against
the tolerance's floor). Complex and float16 values fail (a failing key, not an error):
gradients of real parameters are real, and float16 is too coarse for these tolerances.

Refused with a TypeError/ValueError naming the argument: grads or reference not a dict,
a key that is not a str, a value that is not a number or an array of numbers (a string,
None, an object, a ragged list, bools), rtol/atol not None or a finite real number >= 0.
"""
from typing import NamedTuple, Optional

import numpy as np

from modelspec.checks import check_real

DEFAULT_TOLERANCES = {np.dtype(np.float64): (1e-6, 1e-12), np.dtype(np.float32): (1e-3, 1e-5)}


class KeyReport(NamedTuple):
    """How one key compares. ``problem`` is set (and ``ok`` False) for a missing key, an
    extra key, a shape mismatch or a non-finite value; then the error fields are nan."""
    key: str
    ok: bool
    shape: tuple
    max_abs_error: float
    max_rel_error: float      # max_abs_error / max(max|reference|, atol / rtol)
    index: Optional[tuple]    # where the largest absolute error occurs
    value: float              # the checked gradient there
    reference: float          # the reference there
    problem: Optional[str] = None

    def describe(self):
        if self.problem:
            return f"{self.key}: {self.problem}"
        where = "" if self.index is None else f" at index {self.index}"
        return (f"{self.key}{where}: got {self.value:.10g}, expected {self.reference:.10g} "
                f"(abs error {self.max_abs_error:.3g}, relative {self.max_rel_error:.3g})")


class Comparison(NamedTuple):
    """Result of :func:`compare`: ``ok`` and one :class:`KeyReport` per key."""
    ok: bool
    reports: dict

    def failures(self):
        return [r for r in self.reports.values() if not r.ok]

    def worst(self):
        """The failing report with the largest relative error, else None."""
        bad = self.failures()
        return max(bad, key=lambda r: (r.problem is not None, np.nan_to_num(r.max_rel_error, nan=np.inf)),
                   default=None)

    def __str__(self):
        if self.ok:
            return "all keys agree: " + ", ".join(
                f"{k} {r.max_rel_error:.1e}" for k, r in self.reports.items())
        return "disagreement:\n" + "\n".join("  " + r.describe() for r in self.failures())


def check_tolerances(rtol, atol):
    """Raise unless ``rtol`` and ``atol`` are each None (the dtype's default) or a finite
    real number >= 0; return them."""
    return (check_real("rtol", rtol, minimum=0, allow_none=True),
            check_real("atol", atol, minimum=0, allow_none=True))


def _checked_dict(name, values):
    """``{key: ndarray}`` of a dict of numbers or arrays of numbers (int, float, complex:
    the dtype rules are the comparison's), refusing anything else by its key."""
    if not isinstance(values, dict):
        raise TypeError(f"{name} must be a dict of arrays; got {type(values).__name__}")
    out = {}
    for key, value in values.items():
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be str (parameter names); got {key!r} "
                            f"of type {type(key).__name__}")
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):                     # a ragged list
            arr = np.asarray(None)
        if arr.dtype.kind not in "iufc":
            dtype = f" of dtype {arr.dtype}" if arr.dtype.kind != "O" else ""
            raise TypeError(f"{name}[{key!r}] must be an array of numbers (or a number); got "
                            f"{type(value).__name__}{dtype}")
        out[key] = arr
    return out


def tolerances_for(dtype, rtol, atol):
    """``(rtol, atol)``: each given one, else the default for ``dtype`` (float64's for a
    dtype without one)."""
    default_rtol, default_atol = DEFAULT_TOLERANCES.get(np.dtype(dtype), DEFAULT_TOLERANCES[np.dtype(np.float64)])
    return (default_rtol if rtol is None else rtol), (default_atol if atol is None else atol)


def relative_error(max_abs, scale, rtol, atol):
    """``max_abs`` in units of the reference's ``scale``, the tolerance's floor
    ``atol / rtol`` being the smallest scale: finite where the reference is all zeros, and
    <= about rtol when the key passes."""
    unit = max(scale, atol / rtol if rtol > 0 else 0.0)
    return max_abs / unit if unit > 0 else (0.0 if max_abs == 0 else float("inf"))


def compare_arrays(key, got, ref, *, rtol=None, atol=None):
    """Compare one array ``got`` with ``ref``; return a :class:`KeyReport`."""
    got, ref = np.asarray(got), np.asarray(ref)
    nan = float("nan")
    if got.shape != ref.shape:
        return KeyReport(key, False, ref.shape, nan, nan, None, nan, nan,
                         f"shape {got.shape} where the reference has shape {ref.shape}")
    for side, arr in (("value", got), ("reference", ref)):
        if arr.dtype.kind == "c":
            return KeyReport(key, False, ref.shape, nan, nan, None, nan, nan,
                             f"the {side} is complex ({arr.dtype}); gradients of real parameters are real")
        if arr.dtype == np.float16:
            return KeyReport(key, False, ref.shape, nan, nan, None, nan, nan,
                             f"the {side} is float16; compare float32 or float64 gradients")
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(ref))):
        side = "value" if not np.all(np.isfinite(got)) else "reference"
        return KeyReport(key, False, ref.shape, nan, nan, None, nan, nan,
                         f"the {side} contains NaN or inf")
    lowest = got.dtype if got.dtype.kind == "f" and got.dtype.itemsize < ref.dtype.itemsize else ref.dtype
    rtol, atol = tolerances_for(lowest if lowest.kind == "f" else np.float64, rtol, atol)
    if got.size == 0:
        return KeyReport(key, True, ref.shape, 0.0, 0.0, None, nan, nan)
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    flat = int(np.argmax(err))
    index = tuple(int(i) for i in np.unravel_index(flat, err.shape))
    scale = float(np.max(np.abs(ref)))
    max_abs = float(err.flat[flat])
    ok = max_abs <= atol + rtol * scale
    return KeyReport(key, bool(ok), ref.shape, max_abs, relative_error(max_abs, scale, rtol, atol), index,
                     float(got.flat[flat]), float(ref.flat[flat]))


def compare(grads, reference, *, rtol=None, atol=None):
    """Compare a dict of gradients with a reference dict of the same keys.

    Inputs: grads, reference: dicts ``{str: array}`` (numbers and lists of numbers
    allowed, ints too); rtol/atol: None (the dtype's default) or a finite number >= 0, see
    the module doc.
    Returns: :class:`Comparison`. Missing or extra keys, shape mismatches, complex or
    float16 values and NaN/inf are reported as failing keys, never raised; what is not a
    dict of numbers and bad tolerances are refused (TypeError/ValueError) by name.
    """
    grads, reference = _checked_dict("grads", grads), _checked_dict("reference", reference)
    rtol, atol = check_tolerances(rtol, atol)
    reports = {}
    nan = float("nan")
    for key in reference:
        if key not in grads:
            reports[key] = KeyReport(key, False, np.shape(reference[key]), nan, nan, None, nan, nan,
                                     "missing (the reference has it)")
        else:
            reports[key] = compare_arrays(key, grads[key], reference[key], rtol=rtol, atol=atol)
    for key in grads:
        if key not in reference:
            reports[key] = KeyReport(key, False, np.shape(grads[key]), nan, nan, None, nan, nan,
                                     "unexpected key (the reference has no such parameter)")
    return Comparison(all(r.ok for r in reports.values()), reports)
