"""General checks, shared by every contract: option names, ints, real arrays, shapes,
parameter dicts and loss targets. Each raises ``ValueError``/``TypeError`` naming the
argument and what was expected."""
import math
import numbers
import sys
import warnings

import numpy as np

LOSSES = ("bce", "cross_entropy", "mse")
REDUCTIONS = ("mean", "sum")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# arrays up to this many elements are summed, or their extremes found, by Python over
# ``.tolist()``: for so few values that is several times cheaper than a NumPy reduction,
# whose fixed cost (about 2 us) dominates validation at small shapes. (Python's float
# arithmetic never warns or raises either, whatever ``np.errstate`` says.)
SMALL = 64


def all_finite(arr):
    """True when every element of the float array ``arr`` is finite (neither NaN nor inf)."""
    if type(arr) is not np.ndarray:          # a subclass (masked, matrix) keeps its own rules
        return bool(np.isfinite(arr).all())
    if arr.size <= SMALL:
        # exact: a NaN or inf element makes the sum NaN or inf, so a finite sum proves every
        # element finite; a sum that is not (a real NaN/inf, or an overflow of large finite
        # values) is settled element by element below
        if math.isfinite(sum(arr.ravel().tolist())):
            return True
    # exactly np.isfinite(arr).all(), without the reduction's fixed cost: a bool array holds
    # one byte per element, 0 for False
    return b"\0" not in np.isfinite(arr).tobytes()


def in_range(arr, low, high):
    """True when every element of ``arr`` (integers or finite floats) lies in ``[low, high]``
    (so True for an empty ``arr``)."""
    if arr.size == 0:
        return True
    if arr.size <= SMALL and type(arr) is np.ndarray:
        values = arr.ravel().tolist()
        return low <= min(values) and max(values) <= high
    return low <= arr.min() and arr.max() <= high


def check_option(name, value, allowed):
    """Raise ValueError unless ``value`` is one of ``allowed``; return it."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_positive_int(name, value, *, minimum=1):
    """Raise unless ``value`` is an int >= ``minimum`` (bools are refused); return it."""
    # a plain int skips the slower abstract-class check that NumPy integers need
    if type(value) is not int and (isinstance(value, bool)
                                   or not isinstance(value, numbers.Integral)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def shape_of(a):
    """``np.shape(a)``, an ndarray's read directly: np.shape's dispatch costs about 0.3 us, a
    good part of a small call's checks."""
    return a.shape if type(a) is np.ndarray else np.shape(a)


def shape_text(shape):
    """``(3,)``-style text of a shape, as NumPy prints it."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def real_array(name, a, *, ndim=None, dtype=None):
    """Return ``a`` as a finite real ndarray.

    Integer and bool arrays (one-hot tokens, say) are cast to ``dtype`` (float64 when
    None). A floating array must already have ``dtype`` when one is given: a float64 ``x``
    fed to float32 parameters is refused rather than silently up- or down-cast.
    """
    arr = np.asarray(a)
    kind = arr.dtype.kind
    if kind in "biu":
        arr = arr.astype(dtype if dtype is not None else np.float64)
    elif kind != "f" or arr.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be a real array of float32 or float64 (or int/bool); "
                        f"got dtype {arr.dtype}")
    elif dtype is not None and arr.dtype != dtype:
        raise TypeError(f"{name} has dtype {arr.dtype} but the parameters are {np.dtype(dtype)}; "
                        f"cast one of them so both match")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got shape {shape_text(arr.shape)}")
    if not all_finite(arr):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def check_shape(name, arr, expected):
    """Raise ValueError unless ``arr.shape == expected`` (no broadcasting)."""
    if arr.shape != tuple(expected):
        raise ValueError(f"{name} must have shape {shape_text(expected)}; "
                         f"got {shape_text(arr.shape)}")
    return arr


def check_nonempty(name, arr, axes_names):
    """Raise ValueError if any axis of ``arr`` has length 0, naming that axis."""
    for size, axis in zip(arr.shape, axes_names):
        if size == 0:
            raise ValueError(f"{name} is empty: its {axis} axis has length 0")
    return arr


def check_params(params, expected_shapes):
    """Validate a parameter dict against ``{key: shape}``; return the common float dtype.

    The keys must be exactly those expected; every value a finite float32 or float64
    array of the expected shape, all of one dtype.
    """
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    if params.keys() != expected_shapes.keys():       # (as sets: then one is missing or extra)
        missing = [k for k in expected_shapes if k not in params]
        extra = [k for k in params if k not in expected_shapes]
        raise ValueError(f"params must have keys {list(expected_shapes)}; "
                         f"missing {missing}, unexpected {extra}")
    dtype = _plainly_valid(params, expected_shapes)
    if dtype is not None:
        return dtype
    dtypes = {}                              # find and name the problem, key by key
    for key, shape in expected_shapes.items():
        arr = params[key]
        if not isinstance(arr, np.ndarray):   # a list would pass here and fail later
            raise TypeError(f"params[{key!r}] must be a NumPy array of float32 or float64; "
                            f"got {type(arr).__name__}")
        if arr.dtype not in FLOAT_DTYPES:
            raise TypeError(f"params[{key!r}] must be float32 or float64; got dtype {arr.dtype}")
        if arr.shape != shape:                 # (naming the key only when it may be wrong)
            check_shape(f"params[{key!r}]", arr, shape)
        if not all_finite(arr):
            raise ValueError(f"params[{key!r}] contains NaN or inf")
        dtypes[key] = arr.dtype
    if len(set(dtypes.values())) > 1:
        raise TypeError(f"params mix dtypes {sorted(set(map(str, dtypes.values())))} ("
                        + ", ".join(f"{k} {d}" for k, d in dtypes.items()) + "); use one float dtype")
    return next(iter(dtypes.values()), FLOAT_DTYPES[1])               # (float64 when none)


def _plainly_valid(params, expected_shapes):
    """The dtype :func:`check_params` returns when every value is plainly valid, else None.

    Plainly valid: all plain ndarrays of the expected shapes, of one float dtype (one dtype
    object), all elements finite, the small arrays' proved so together: their elements sum
    to a finite number (see :func:`all_finite`). Whatever this does not prove valid, the
    key-by-key checks settle, with the same errors as always.
    """
    dtype, total = None, 0.0
    for key, shape in expected_shapes.items():
        arr = params[key]
        if type(arr) is not np.ndarray or arr.shape != shape:
            return None
        if dtype is None:
            dtype = arr.dtype
            if dtype not in FLOAT_DTYPES:
                return None
        elif arr.dtype is not dtype:
            return None
        if arr.size <= SMALL:
            total += sum(arr.ravel().tolist())
        elif not all_finite(arr):
            return None
    if not math.isfinite(total):
        return None
    return FLOAT_DTYPES[1] if dtype is None else dtype


def check_cache(cache, cache_type, made_by):
    """Raise TypeError unless ``cache`` is the ``cache_type`` that ``made_by`` returns."""
    if not isinstance(cache, cache_type):
        raise TypeError(f"cache must be the {cache_type.__name__} that {made_by} returns; "
                        f"got {type(cache).__name__}")
    return cache


def check_flag(name, value):
    """Raise TypeError unless ``value`` is True or False; return it as a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_target(y, out_shape, loss, dtype, *, name="y"):
    """Validate the target for ``loss`` against network output of shape ``out_shape``.

    - ``"bce"``: real values in [0, 1], shape ``out_shape``;
    - ``"mse"``: real values, shape ``out_shape``;
    - ``"cross_entropy"``: integer class labels in ``[0, out_shape[-1])``, shape ``out_shape[:-1]``.
    Returns the target as an array (float of ``dtype``, or int64 labels).
    """
    check_option("loss", loss, LOSSES)
    if loss == "cross_entropy":
        labels = np.asarray(y)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integer class labels for loss='cross_entropy'; "
                            f"got dtype {labels.dtype}")
        check_shape(name, labels, out_shape[:-1])
        n_classes = out_shape[-1]
        if not in_range(labels, 0, n_classes - 1):           # integers: below n_classes
            raise ValueError(f"{name if name == 'labels' else name + ' labels'} must lie in [0, {n_classes}); "
                             f"got values from {labels.min()} to {labels.max()}")
        return labels.astype(np.int64)
    target = real_array(name, y, dtype=dtype)
    check_shape(name, target, out_shape)
    if loss == "bce" and not in_range(target, 0, 1):
        raise ValueError(f"{name} must lie in [0, 1] for loss='bce'; "
                         f"got values from {target.min()} to {target.max()}")
    return target




def renamed_option(new_name, new_value, old_name, old_value, default):
    """The value of an option that was renamed from ``old_name`` to ``new_name``.

    ``old_value`` None means the old name was not used. Otherwise a DeprecationWarning
    says to use the new name, and its value is taken, unless the new name was also given
    a different, non-default value (a TypeError: one option, two values).
    """
    if old_value is None:
        return new_value
    if new_value != default and new_value != old_value:
        raise TypeError(f"{old_name}= is the old name of {new_name}=; got both "
                        f"({old_name}={old_value!r}, {new_name}={new_value!r}): pass {new_name}= only")
    warnings.warn(f"{old_name}= is deprecated and will be removed; use {new_name}={old_value!r}",
                  DeprecationWarning, stacklevel=_caller_level())
    return old_value


_INTERNAL = ("modelspec", "manual", "auto", "training", "crosscheck")


def _caller_level():
    """The ``stacklevel`` that points a warning at the first frame outside the project's
    packages: the user's call, however deep the check sits."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in _INTERNAL:
        frame, level = frame.f_back, level + 1
    return level


def check_real(name, value, *, minimum=None, allow_none=False):
    """Raise unless ``value`` is a finite real number (bools refused) >= ``minimum``, or
    None where ``allow_none``; return it as a float (or None)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {'None or ' if allow_none else ''}a real number; "
                        f"got {type(value).__name__}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return float(value)


def check_rng(name, value):
    """A ``numpy.random.Generator`` from ``value``: None (fresh entropy), an int >= 0 (a
    seed) or a Generator (returned as it is, so it advances). Anything else (a float, a
    bool, a string, a negative int, a legacy RandomState, ...) raises a TypeError or
    ValueError naming ``name``."""
    if value is None or isinstance(value, np.random.Generator):
        return np.random.default_rng(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be None, an int >= 0 or a numpy.random.Generator; "
                        f"got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be None, an int >= 0 or a numpy.random.Generator; got {value}")
    return np.random.default_rng(int(value))


def check_float_dtype(name, dtype):
    """``dtype`` as a NumPy dtype, float32 or float64; anything else (an integer dtype,
    float16, complex, None, an unknown name) raises TypeError naming ``name``."""
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except (TypeError, ValueError):
        resolved = None
    if resolved is None or resolved not in FLOAT_DTYPES:  # (dtype == None is True for float64)
        shown = repr(dtype) if resolved is None else str(resolved)
        raise TypeError(f"{name} must be float32 or float64; got {shown}")
    return resolved


def nonempty_real_array(name, a):
    """:func:`real_array` (float32/float64 kept, int/bool cast to float64; float16, complex,
    NaN, inf refused) with at least one element: what an elementwise function or a loss
    takes. Raises ValueError ``"<name> is empty (shape ...)"``."""
    arr = real_array(name, a)
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {shape_text(arr.shape)}); "
                         "expected at least one element")
    return arr


def check_loss_inputs(logits, y, loss, reduction, *, names=("logits", "y")):
    """The arguments of a loss, both sides' (``manual.losses``, ``auto.losses``).

    logits: a non-empty real array (:func:`nonempty_real_array`), with a class axis for
    ``"cross_entropy"``; y: checked by :func:`check_target` against the logits' shape;
    reduction: one of :data:`REDUCTIONS`; names: what the messages call logits and y.
    Returns ``(logits, y)`` as arrays.
    """
    check_option("reduction", reduction, REDUCTIONS)
    logits = nonempty_real_array(names[0], logits)
    if logits.ndim == 0 and loss == "cross_entropy":
        raise ValueError(f"{names[0]} must have a class axis (ndim >= 1) for loss='cross_entropy'; "
                         "got a 0-d array")
    return logits, check_target(y, logits.shape, loss, logits.dtype, name=names[1])
