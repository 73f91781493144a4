"""What each model accepts: option names, array shapes and dtypes.

Both ``manual/`` and ``auto/`` validate their arguments through this module, so the
two sides reject exactly the same bad input with the same message. It holds no maths:
nothing here computes a loss or a derivative, so sharing it cannot hide a gradient bug
in one side behind the same bug in the other.
"""
import numbers

import numpy as np

LOSSES = ("bce", "cross_entropy", "mse")
REDUCTIONS = ("mean", "sum")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


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


def _shape_text(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def real_array(name, a, *, ndim=None, dtype=None):
    """Return ``a`` as a finite real ndarray.

    Integer and bool arrays (one-hot tokens, say) are cast to ``dtype`` (float64 when
    None). A floating array must already have ``dtype`` when one is given: a float64 ``x``
    fed to float32 parameters is refused rather than silently up- or down-cast.
    """
    arr = np.asarray(a)
    if arr.dtype.kind in "biu":
        arr = arr.astype(dtype if dtype is not None else np.float64)
    elif arr.dtype.kind != "f" or arr.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be a real array of float32 or float64 (or int/bool); "
                        f"got dtype {arr.dtype}")
    elif dtype is not None and arr.dtype != dtype:
        raise TypeError(f"{name} has dtype {arr.dtype} but the parameters are {np.dtype(dtype)}; "
                        f"cast one of them so both match")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got shape {_shape_text(arr.shape)}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def check_shape(name, arr, expected):
    """Raise ValueError unless ``arr.shape == expected`` (no broadcasting)."""
    if arr.shape != tuple(expected):
        raise ValueError(f"{name} must have shape {_shape_text(expected)}; "
                         f"got {_shape_text(arr.shape)}")
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
    missing = [k for k in expected_shapes if k not in params]
    extra = [k for k in params if k not in expected_shapes]
    if missing or extra:
        raise ValueError(f"params must have keys {list(expected_shapes)}; "
                         f"missing {missing}, unexpected {extra}")
    dtypes = set()
    for key, shape in expected_shapes.items():
        arr = np.asarray(params[key])
        if arr.dtype not in FLOAT_DTYPES:
            raise TypeError(f"params[{key!r}] must be float32 or float64; got dtype {arr.dtype}")
        check_shape(f"params[{key!r}]", arr, shape)
        if not np.isfinite(arr).all():
            raise ValueError(f"params[{key!r}] contains NaN or inf")
        dtypes.add(arr.dtype)
    if len(dtypes) > 1:
        raise TypeError(f"params mix dtypes {sorted(map(str, dtypes))}; use one float dtype")
    return dtypes.pop() if dtypes else np.dtype(np.float64)


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
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{name} labels must lie in [0, {n_classes}); "
                             f"got values from {labels.min()} to {labels.max()}")
        return labels.astype(np.int64)
    target = real_array(name, y, dtype=dtype)
    check_shape(name, target, out_shape)
    if loss == "bce" and target.size and (target.min() < 0 or target.max() > 1):
        raise ValueError(f"{name} must lie in [0, 1] for loss='bce'; "
                         f"got values from {target.min()} to {target.max()}")
    return target


def mlp_shapes(params):
    """Expected ``{key: shape}`` of an MLP parameter dict ``W0, b0, ..., W{L-1}, b{L-1}``.

    Reads only keys and shapes, so it also works on a dict traced by autograd.
    """
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    n_layers = len(params) // 2
    if n_layers == 0:
        raise ValueError("params must hold at least one layer (W0, b0)")
    shapes = {}
    for i in range(n_layers):
        W = params.get(f"W{i}")
        if W is None or np.ndim(W) != 2:
            raise ValueError(f"params['W{i}'] must be a 2-D (fan_in, fan_out) array; "
                             f"params have keys {list(params)}")
        fan_in = np.shape(W)[0] if i == 0 else shapes[f"W{i - 1}"][1]
        shapes[f"W{i}"] = (fan_in, np.shape(W)[1])
        shapes[f"b{i}"] = (np.shape(W)[1],)
    return shapes


def check_mlp_x(x, shapes):
    """Raise unless x is ``(batch, n_in)`` for ``shapes["W0"] == (n_in, n_1)``; reads only
    the shape, so it also works on an array traced by autograd."""
    n_in = shapes["W0"][0]
    if np.ndim(x) != 2 or np.shape(x)[1] != n_in:
        raise ValueError(f"x must have shape (batch, {n_in}) to match params['W0'] "
                         f"of shape {_shape_text(shapes['W0'])}; got {_shape_text(np.shape(x))}")


def mlp_inputs(params, x, y, *, loss, activation, reduction):
    """Validate an MLP call; return ``(x, y)`` as arrays.

    params: ``W0 (n_in, n_1), b0 (n_1,), ..., W{L-1} (n_{L-1}, n_out), b{L-1} (n_out,)``
    x: ``(batch, n_in)``; y: see :func:`check_target` with output shape ``(batch, n_out)``.
    """
    check_option("loss", loss, LOSSES)
    check_option("activation", activation, ACTIVATIONS)
    check_option("reduction", reduction, REDUCTIONS)
    shapes = mlp_shapes(params)
    dtype = check_params(params, shapes)
    x = real_array("x", x, ndim=2, dtype=dtype)
    check_nonempty("x", x, ("batch",))
    check_mlp_x(x, shapes)
    n_out = shapes[f"W{len(shapes) // 2 - 1}"][1]
    y = check_target(y, (x.shape[0], n_out), loss, dtype)
    return x, y


NONLINEARITIES = ("tanh", "relu")
OUTPUTS = ("last", "all")
RNN_KEYS = ("Wxh", "Whh", "bh", "Wy", "by")


def rnn_shapes(params):
    """Expected ``{key: shape}`` of an RNN parameter dict, read from ``Wxh (n_in, H)`` and
    ``Wy (H, n_out)``: ``Whh (H, H)``, ``bh (H,)``, ``by (n_out,)``.

    Reads only keys and shapes, so it also works on a dict traced by autograd.
    """
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    for key, meaning in (("Wxh", "(n_in, H)"), ("Wy", "(H, n_out)")):
        if key not in params or np.ndim(params[key]) != 2:
            raise ValueError(f"params[{key!r}] must be a 2-D {meaning} array; "
                             f"params have keys {list(params)}")
    n_in, hidden = np.shape(params["Wxh"])
    n_out = np.shape(params["Wy"])[1]
    return {"Wxh": (n_in, hidden), "Whh": (hidden, hidden), "bh": (hidden,),
            "Wy": (hidden, n_out), "by": (n_out,)}


def check_truncate(truncate):
    """``truncate`` is None (full BPTT) or an int >= 1; return it."""
    return None if truncate is None else check_positive_int("truncate", truncate)


def check_rnn_x(x, shapes):
    """Raise unless x is ``(batch, time, n_in)`` with batch, time >= 1; reads only the
    shape, so it also works on an array traced by autograd."""
    n_in = shapes["Wxh"][0]
    shape = np.shape(x)
    if len(shape) != 3 or shape[2] != n_in:
        raise ValueError(f"x must have shape (batch, time, {n_in}) to match params['Wxh'] "
                         f"of shape {_shape_text(shapes['Wxh'])}; got {_shape_text(shape)}")
    for size, axis in zip(shape, ("batch", "time")):
        if size == 0:
            raise ValueError(f"x is empty: its {axis} axis has length 0")


def check_rnn_h0(h0, batch, shapes):
    """Raise unless ``h0`` is None or ``(batch, H)``; reads only the shape."""
    expected = (batch, shapes["Whh"][0])
    if h0 is not None and tuple(np.shape(h0)) != expected:
        raise ValueError(f"h0 must have shape {_shape_text(expected)} (batch, H); "
                         f"got {_shape_text(np.shape(h0))}")


def rnn_output_shape(x_shape, shapes, output):
    """Logits shape: ``(batch, n_out)`` for output="last", ``(batch, time, n_out)`` for "all"."""
    n_out = shapes["Wy"][1]
    return (x_shape[0], n_out) if output == "last" else (x_shape[0], x_shape[1], n_out)


def rnn_forward_inputs(params, x, *, h0, output, nonlinearity):
    """Validate an RNN forward call; return ``(x, h0)`` as arrays of the parameters' dtype.

    params: ``Wxh (n_in, H), Whh (H, H), bh (H,), Wy (H, n_out), by (n_out,)``;
    x: ``(batch, time, n_in)``, real or integer (one-hot tokens); h0: None or ``(batch, H)``.
    """
    check_option("output", output, OUTPUTS)
    check_option("nonlinearity", nonlinearity, NONLINEARITIES)
    shapes = rnn_shapes(params)
    dtype = check_params(params, shapes)
    x = real_array("x", x, ndim=3, dtype=dtype)
    check_rnn_x(x, shapes)
    if h0 is not None:
        h0 = real_array("h0", h0, dtype=dtype)
        check_rnn_h0(h0, x.shape[0], shapes)
    return x, h0


def rnn_inputs(params, x, y, *, loss, output, truncate, reduction, h0, nonlinearity):
    """Validate an RNN loss call; return ``(x, y, h0)``.

    y: see :func:`check_target`, for logits ``(batch, n_out)`` (output="last") or
    ``(batch, time, n_out)`` (output="all").
    """
    check_option("loss", loss, LOSSES)
    check_option("reduction", reduction, REDUCTIONS)
    check_truncate(truncate)
    x, h0 = rnn_forward_inputs(params, x, h0=h0, output=output, nonlinearity=nonlinearity)
    out_shape = rnn_output_shape(x.shape, rnn_shapes(params), output)
    y = check_target(y, out_shape, loss, x.dtype)
    return x, y, h0
