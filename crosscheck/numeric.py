"""Central finite differences: the third opinion, independent of both hand-written
and automatic differentiation.

Step and tolerance are set by scale. For a parameter entry p the step is
``h = eps**(1/3) * max(1, |p|)`` (about 6e-6 for |p| <= 1), which balances the central
difference's truncation error O(h**2 f''') against its rounding error O(eps |f| / h);
both are then about ``eps**(2/3) ~ 4e-11`` times the scale of f. Differences are always
taken in float64, whatever the dtype of the function's arguments.
"""
import numpy as np

from crosscheck import contracts
from crosscheck.compare import check_tolerances, compare
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


def numeric_grad(loss_fn, params, *args, **options):
    """Central-difference gradient of ``loss_fn(params, *args, **options)`` for every parameter.

    Inputs: loss_fn returning a real scalar (or a tuple whose first item is the scalar, as
    ``loss_and_grads`` does); params: dict ``{str: array}`` of finite float32 or float64
    arrays of one dtype (lists, ints, float16, complex, NaN/inf refused by key).
    Returns: dict keyed like params, float64 arrays of the same shapes.
    A loss_fn that is not callable, or whose loss at ``params`` is not a real scalar
    (TypeError) or is NaN/inf (ValueError), is refused before any difference is taken.
    """
    check_callable("loss_fn", loss_fn, "loss_fn(params, *args, **options) -> scalar")
    check_param_dict(params)
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    args = tuple(_as_float64(a) for a in args)
    options = {k: _as_float64(v) for k, v in options.items()}

    def f(p):
        return _scalar_loss(loss_fn(p, *args, **options), "loss_fn")

    if params and not np.isfinite(f(params)):
        raise ValueError("loss_fn returned a NaN or inf loss at params; finite differences need a finite loss")
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
