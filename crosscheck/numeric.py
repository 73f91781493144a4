"""Central finite differences: the third opinion, independent of both hand-written
and automatic differentiation.

Step and tolerance are set by scale. For a parameter entry p the step is
``h = eps**(1/3) * max(1, |p|)`` (about 6e-6 for |p| <= 1), which balances the central
difference's truncation error O(h**2 f''') against its rounding error O(eps |f| / h);
both are then about ``eps**(2/3) ~ 4e-11`` times the scale of f. Differences are always
taken in float64, whatever the dtype of the function's arguments.

Along random directions (:func:`directional_derivatives`, the cross-check's fast path):
one central difference per key, of the loss moved along a unit vector ``u`` over that
key's entries, estimates ``g . u`` with the same step rule and the same error terms, in
2 evaluations per key instead of 2 per entry (PyTorch's ``gradcheck(fast_mode=True)``
makes the same trade, pytorch/pytorch#53876). :func:`compare_directional` accepts a key
when ``|g . u - fd| <= atol + rtol * max|r|``, the per-entry criterion with ``r`` the
reference gradient. Each entry of u has a random sign and a magnitude drawn from [1, 2]
before the normalisation, so ``|u_i| >= 1 / (2 sqrt(size))``: an error ``delta`` in one
entry moves ``g . u`` by at least ``|delta| / (2 sqrt(size))``, and is caught whenever
``|delta| > 2 sqrt(size) * rtol * max|r|`` (1.5e-4 of the scale at 60 entries, against
1e-5 entry by entry; a real bug moves an entry by 1e-3 of it or more). Errors in several
entries cancel only if their weighted sum is near zero, which random magnitudes make
unlikely (where random signs alone would cancel two swapped entries half of the time).
"""
import numpy as np

from crosscheck import contracts
from crosscheck.compare import (Comparison, KeyReport, _checked_dict, check_tolerances, compare, relative_error,
                                tolerances_for)
from modelspec.checks import check_real, check_rng
from modelspec.checks import check_params

EPS = np.finfo(np.float64).eps
STEP = EPS ** (1 / 3)
# Relative tolerance of an FD comparison: truncation and rounding errors are ~1e-10 of the
# scale; 1e-5 leaves room for curvature (f''' up to 1e5 times f') while any real bug moves
# a gradient entry by far more.
FD_RTOL = 1e-5


def _as_float64(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    return value


def check_callable(name, fn, what):
    """Raise TypeError unless ``fn`` is callable; return it."""
    if not callable(fn):
        raise TypeError(f"{name} must be callable: {what}; got {type(fn).__name__}")
    return fn


def check_param_dict(params):
    """Raise unless ``params`` is a dict ``{str: finite float32/float64 ndarray}`` of one
    dtype (any shapes); return the dtype."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    for key in params:
        if not isinstance(key, str):
            raise TypeError(f"params keys must be str (parameter names); got {key!r} "
                            f"of type {type(key).__name__}")
    return check_params(params, {k: getattr(v, "shape", ()) for k, v in params.items()})


def _scalar_loss(value, name):
    """The float loss of ``value`` (a real scalar, or a tuple whose first item is one)."""
    loss = value[0] if isinstance(value, tuple) and value else value
    if isinstance(loss, (bool, np.bool_)) or np.ndim(loss) != 0 or np.asarray(loss).dtype.kind not in "iuf":
        raise TypeError(f"{name} must return a real scalar loss (or a tuple whose first item is one); "
                        f"got {type(loss).__name__} of shape {np.shape(loss)}")
    return float(loss)


def _check_directions(directions, params):
    """Raise unless ``directions`` is a dict with the keys of ``params``, each a finite
    float ndarray of its parameter's shape."""
    if not isinstance(directions, dict):
        raise TypeError(f"directions must be a dict {{key: array shaped like params[key]}}; "
                        f"got {type(directions).__name__}")
    if set(directions) != set(params):
        raise ValueError(f"directions must have the keys of params {sorted(params)}; "
                         f"got {sorted(map(repr, directions))}")
    for key, u in directions.items():
        if not isinstance(u, np.ndarray) or u.dtype.kind != "f":
            dtype = f" of dtype {u.dtype}" if isinstance(u, np.ndarray) else ""
            raise TypeError(f"directions[{key!r}] must be a float ndarray; got {type(u).__name__}{dtype}")
        if u.shape != np.shape(params[key]):
            raise ValueError(f"directions[{key!r}] must have the shape of params[{key!r}], "
                             f"{np.shape(params[key])}; got {u.shape}")
        if not np.all(np.isfinite(u)):
            raise ValueError(f"directions[{key!r}] contains NaN or inf")


def _differenced(loss_fn, params, args, options, directions=None):
    """``(f, params)``: ``f(p)`` the float loss of ``loss_fn(p, *args, **options)`` with
    every float array in float64, and a float64 copy of params to move; refused (see
    :func:`numeric_grad`, and ``directions`` if given: :func:`directional_derivatives`)
    before any difference is taken."""
    check_callable("loss_fn", loss_fn, "loss_fn(params, *args, **options) -> scalar")
    check_param_dict(params)
    if directions is not None:
        _check_directions(directions, params)
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    args = tuple(_as_float64(a) for a in args)
    options = {k: _as_float64(v) for k, v in options.items()}

    def f(p):
        return _scalar_loss(loss_fn(p, *args, **options), "loss_fn")

    if params and not np.isfinite(f(params)):
        raise ValueError("loss_fn returned a NaN or inf loss at params; finite differences need a finite loss")
    return f, params


def numeric_grad(loss_fn, params, *args, **options):
    """Central-difference gradient of ``loss_fn(params, *args, **options)`` for every parameter.

    Inputs: loss_fn returning a real scalar (or a tuple whose first item is the scalar, as
    ``loss_and_grads`` does); params: dict ``{str: array}`` of finite float32 or float64
    arrays of one dtype (lists, ints, float16, complex, NaN/inf refused by key).
    Returns: dict keyed like params, float64 arrays of the same shapes.
    A loss_fn that is not callable, or whose loss at ``params`` is not a real scalar
    (TypeError) or is NaN/inf (ValueError), is refused before any difference is taken.
    """
    f, params = _differenced(loss_fn, params, args, options)
    grads = {}
    for key, value in params.items():
        g = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            h = STEP * max(1.0, abs(old))
            value[idx] = old + h
            f_plus = f(params)
            value[idx] = old - h
            f_minus = f(params)
            value[idx] = old
            g[idx] = (f_plus - f_minus) / (2 * h)
        grads[key] = g
    return grads


def random_directions(arrays, seed=0):
    """``{key: u}``: a unit vector (2-norm 1) shaped like each of ``arrays``, its entries
    of random sign and of magnitudes within a factor 2 of each other (see the module doc),
    from ``seed`` (an int >= 0, fixed so that a report can be reproduced, or a Generator);
    zeros for an empty array. arrays as :func:`numeric_grad`'s params (refused by key)."""
    check_param_dict(arrays)
    rng = check_rng("seed", seed)
    directions = {}
    for key, value in arrays.items():
        shape = np.shape(value)
        u = rng.choice([-1.0, 1.0], shape) * rng.uniform(1.0, 2.0, shape)
        norm = np.linalg.norm(u)
        directions[key] = u / norm if norm > 0 else u
    return directions


def directional_derivatives(loss_fn, params, directions, *args, **options):
    """Central difference of ``loss_fn(params, *args, **options)`` along one direction per key.

    Inputs: loss_fn and params as :func:`numeric_grad` takes them; directions: ``{key: u}``
    for every key of params, each u shaped like its parameter (unit vectors: see
    :func:`random_directions`). Only that key's array moves, by ``h * u`` with
    ``h = STEP * max(1, max|p|)`` as for one entry.
    Returns: ``{key: float}``, the derivative along u (0 for an empty array).
    Refused before the loss is evaluated: as :func:`numeric_grad`, and directions that are
    not a dict of finite float arrays with params' keys and shapes.
    """
    f, params = _differenced(loss_fn, params, args, options, directions)
    derivatives = {}
    for key, value in params.items():
        if value.size == 0:
            derivatives[key] = 0.0
            continue
        old = value.copy()
        h = STEP * max(1.0, float(np.max(np.abs(old))))
        value[...] = old + h * directions[key]
        f_plus = f(params)
        value[...] = old - h * directions[key]
        f_minus = f(params)
        value[...] = old
        derivatives[key] = (f_plus - f_minus) / (2 * h)
    return derivatives


def compare_directional(grads, reference, directions, derivatives, *, rtol=None, atol=None):
    """Compare ``grads`` along ``directions`` with finite differences along them.

    Inputs: grads, reference (autograd's gradients, which set each key's scale):
    ``{key: array}`` with the keys of derivatives; directions: ``{key: u}``; derivatives:
    :func:`directional_derivatives`' result; rtol/atol: None (the dtype's default, see
    :mod:`crosscheck.compare`) or numbers >= 0.
    Returns: a :class:`crosscheck.compare.Comparison` whose :class:`KeyReport` per key has
    value ``g . u``, reference the finite difference, no index, and relative error
    ``|g . u - fd| / max(max|r|, atol / rtol)``, as :func:`crosscheck.compare.compare`
    measures an entry (see the module doc).
    Refused by name (TypeError/ValueError): grads or reference not dicts of numbers,
    derivatives not a dict of real numbers, a key of derivatives missing from grads,
    reference or directions or with another shape there, bad rtol/atol.
    """
    rtol, atol = check_tolerances(rtol, atol)
    grads, reference = _checked_dict("grads", grads), _checked_dict("reference", reference)
    for name, value in (("directions", directions), ("derivatives", derivatives)):
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict; got {type(value).__name__}")
    for key, derivative in derivatives.items():
        check_real(f"derivatives[{key!r}]", derivative)
        shapes = {name: np.shape(given[key]) for name, given in
                  (("grads", grads), ("reference", reference), ("directions", directions)) if key in given}
        if len(shapes) < 3:
            missing = sorted({"grads", "reference", "directions"} - set(shapes))
            raise ValueError(f"derivatives[{key!r}] has no counterpart in {', '.join(missing)}")
        if len(set(shapes.values())) > 1:
            raise ValueError(f"grads, reference and directions must have one shape at {key!r}; got {shapes}")
    reports = {}
    for key, derivative in derivatives.items():
        g, r = grads[key], reference[key]
        key_rtol, key_atol = tolerances_for(g.dtype, rtol, atol)
        value = float(np.vdot(g.astype(np.float64), directions[key]))
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        error = abs(value - derivative)
        reports[key] = KeyReport(key, bool(error <= key_atol + key_rtol * scale), r.shape, error,
                                 relative_error(error, scale, key_rtol, key_atol), None, value, float(derivative))
    return Comparison(all(r.ok for r in reports.values()), reports)


def fd_atol(loss_value):
    """Absolute floor for an FD comparison: ten times the rounding error eps*|f|/h."""
    return 10 * EPS * max(1.0, abs(float(loss_value))) / STEP


def check_numeric(manual_fn, params, *args, rtol=None, atol=None, **options):
    """Compare the gradients of ``manual_fn`` with finite differences of its own loss.

    For a hand-written ``manual_fn(params, *args, **options) -> (loss, grads)`` that has
    no autograd twin. Returns a :class:`crosscheck.compare.Comparison` of the grads
    against the finite differences. Not meaningful at a kink (ReLU at exactly 0): there
    the one-sided slopes differ and no step size helps. params as :func:`numeric_grad`
    takes them; rtol/atol: None or finite numbers >= 0; all refused by name before any call.
    """
    check_callable("manual_fn", manual_fn, "manual_fn(params, *args, **options) -> (loss, grads)")
    check_param_dict(params)
    check_tolerances(rtol, atol)
    value, grads, _ = contracts.unpack(manual_fn(params, *args, **options), False, "manual_fn")
    reference = numeric_grad(manual_fn, params, *args, **options)
    if all(np.asarray(g).dtype == np.float64 for g in grads.values()):
        rtol = FD_RTOL if rtol is None else rtol
        atol = fd_atol(value) if atol is None else atol
    # float32 gradients: compare's float32 defaults, whose rounding dominates FD's error
    return compare(grads, reference, rtol=rtol, atol=atol)
