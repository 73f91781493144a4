"""Check a layer this library does not have: its backward against finite differences of
its own forward, with Hypothesis drawing the shapes, parameters, inputs and upstream
gradients and shrinking a disagreement.

:func:`verify_layer` takes the layer as its author wrote it (by default cs231n's
``forward(x, *params) -> (out, cache)``, ``backward(dout, cache) -> (dx, *dparams)``; any
style of :mod:`crosscheck.conventions`), the shapes of its parameters, input and output
(ints and size names such as ``("batch", "n_in")``, or functions of the drawn sizes), and
returns a :class:`crosscheck.VerifyResult` like :func:`crosscheck.verify`. The reference
for each case is the vector-Jacobian product ``d sum(dout * forward(params, x)) / d(params, x)``
by finite differences of the user's own forward (Ridders' extrapolated central
differences), wrapped as an autograd
primitive so that ``verify`` runs unchanged: the check proves that backward is the
derivative of forward, for every drawn upstream gradient. Forward must be smooth at the
drawn points (finite differences straddle a kink such as ReLU's at 0).
"""
import numbers

import numpy as np
from autograd.extend import defvjp, primitive
from hypothesis import strategies as st

from crosscheck import conventions as declared
from crosscheck.registry import Case, Model
from crosscheck.strategies import INPUT_BOUND, WEIGHT_BOUND, float_arrays
from modelspec.checks import check_flag

SIZE_RANGE = (1, 4)

# Ridders' method (Numerical Recipes' dfridr): central differences at steps halving from
# 0.05 to 2.4e-5 (times max(1, |p|)), extrapolated to step 0 in a Richardson
# tableau; the answer is the extrapolation with the smallest error estimate over the whole
# tableau (stopping at the first growth of the estimate, as dfridr does, can stop at a step
# still larger than the scale the function curves on). It keeps about 1e-10 of the scale
# where the function curves on a scale of 1e-3 (a layer norm's 1 / sqrt(var + 1e-5) at
# var = 0), where any one fixed step is off by percents; 24 evaluations an entry.
RIDDERS_START = 0.05
RIDDERS_SHRINK = 2.0
RIDDERS_LEVELS = 12


def _ridders(f, value, idx):
    """``(derivative, error estimate)`` of ``f`` in the entry ``idx`` of ``value`` (restored)."""
    old = value[idx]

    def central(h):
        value[idx] = old + h
        plus = float(f(value))
        value[idx] = old - h
        minus = float(f(value))
        value[idx] = old
        return (plus - minus) / (2 * h)

    h = RIDDERS_START * max(1.0, abs(old))
    shrink2 = RIDDERS_SHRINK ** 2
    table = [[central(h)]]
    best, error = table[0][0], np.inf
    for i in range(1, RIDDERS_LEVELS):
        h /= RIDDERS_SHRINK
        row = [central(h)]
        factor = shrink2
        for j in range(1, i + 1):
            row.append((row[j - 1] * factor - table[i - 1][j - 1]) / (factor - 1))
            factor *= shrink2
            estimate = max(abs(row[j] - row[j - 1]), abs(row[j] - table[i - 1][j - 1]))
            if estimate <= error:
                best, error = row[j], estimate
        table.append(row)
    return best, error


def fd_grad(f, value):
    """``(gradient, error)``: the gradient of the scalar ``f(value)`` by Ridders' extrapolated
    central differences (float64), every entry of ``value``, and each entry's error estimate."""
    value = np.array(value, dtype=np.float64)
    grad, error = np.zeros_like(value), np.zeros_like(value)
    for idx in np.ndindex(value.shape):
        grad[idx], error[idx] = _ridders(f, value, idx)
    return grad, error


# The reference takes the checked gradient where it lies within the finite differences'
# own error: SNAP_ERRORS times Ridders' estimate plus SNAP_FLOOR of the scale of the value
# (1 + |value| + sum |dout|), the rounding that no step avoids. A real bug moves a gradient
# by 1e-3 to 1 of its size; differences inside that bound are not evidence either way.
SNAP_ERRORS = 4.0
SNAP_FLOOR = 1e-9


def fd_reference(value_fn, checked_fn):
    """``auto(params, x, dout)``: the scalar ``value_fn(params, x, dout)`` as an autograd
    primitive whose gradients for ``params`` and ``x`` are finite differences of it, or the
    gradient ``checked_fn`` returns where that lies within the differences' error bound."""
    def bounded(f, at, checked, scale):
        grad, error = fd_grad(f, at)
        if checked is None or np.shape(checked) != grad.shape:
            return grad
        checked = np.asarray(checked, dtype=np.float64)
        within = np.abs(checked - grad) <= SNAP_ERRORS * error + SNAP_FLOOR * scale
        return np.where(within, checked, grad)

    def scale_of(params, x, dout, options):
        return 1.0 + abs(float(value_fn(params, x, dout, **options))) + float(np.sum(np.abs(dout)))

    def checked(params, x, dout, options):
        try:
            _, grads, inputs = checked_fn(params, x, dout, return_input_grads=True, **options)
            return grads, inputs
        except Exception:                 # reported where the checked function is called
            return {}, {}

    @primitive
    def auto(params, x, dout, **options):
        return value_fn(params, x, dout, **options)

    def params_vjp(ans, params, x, dout, **options):
        def grads(g):
            theirs, _ = checked(params, x, dout, options)
            scale = scale_of(params, x, dout, options)
            out = {}
            for key in params:
                def f(v, key=key):
                    return value_fn({**params, key: v}, x, dout, **options)
                out[key] = g * bounded(f, params[key], theirs.get(key), scale)
            return out
        return grads

    def x_vjp(ans, params, x, dout, **options):
        def grad(g):
            _, inputs = checked(params, x, dout, options)
            return g * bounded(lambda v: value_fn(params, v, dout, **options), x, inputs.get("x"),
                               scale_of(params, x, dout, options))
        return grad

    defvjp(auto, params_vjp, x_vjp)
    return auto


def _check_shape(what, shape):
    if callable(shape):
        return shape
    if (not isinstance(shape, (tuple, list)) or not shape
            or not all((isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 1)
                       or (isinstance(d, str) and d) for d in shape)):
        raise TypeError(f"{what} must be a shape: a non-empty tuple of ints >= 1 and size names "
                        f"such as ('batch', 'n_in'), or a function of the drawn sizes; got {shape!r}")
    return tuple(shape)


def _symbols(shapes):
    return sorted({d for s in shapes if not callable(s) for d in s if isinstance(d, str)})


def _resolve(shape, sizes):
    shape = shape(dict(sizes)) if callable(shape) else shape
    return tuple(sizes[d] if isinstance(d, str) else int(d) for d in shape)


def layer_cases(params, x, out, sizes):
    """A factory ``cases(dtype=float64)`` drawing ``Case(params, (x, dout), {})``: each size
    in its range, then every array element by element (parameters in [-1, 1], x and dout
    in [-2, 2], no subnormals: :mod:`crosscheck.strategies`)."""
    @st.composite
    def draw_case(draw):
        drawn = {name: draw(st.integers(low, high)) for name, (low, high) in sizes.items()}
        case_params = {k: draw(float_arrays(_resolve(s, drawn), WEIGHT_BOUND)) for k, s in params.items()}
        case_x = draw(float_arrays(_resolve(x, drawn), INPUT_BOUND))
        dout = draw(float_arrays(_resolve(out, drawn), INPUT_BOUND))
        return Case(case_params, (case_x, dout), {})

    strategy = draw_case()

    def cases(dtype=np.float64, supports=None):
        if np.dtype(dtype) != np.float64:
            raise ValueError("verify_layer checks in float64 only (its reference is finite "
                             f"differences); got dtype {np.dtype(dtype)}")
        if supports is not None:
            raise ValueError("verify_layer draws what its shapes say; narrow the sizes in "
                             "its own supports= instead")
        return strategy
    return cases


def _never(case):
    return False


def _placeholder(params, x, dout, return_input_grads=False, **options):
    raise NotImplementedError


def _size_range(symbol, bounds):
    if isinstance(bounds, numbers.Integral) and not isinstance(bounds, bool):
        bounds = (bounds, bounds)
    if (not isinstance(bounds, (tuple, list)) or len(bounds) != 2
            or not all(isinstance(b, numbers.Integral) and not isinstance(b, bool) for b in bounds)
            or not 1 <= bounds[0] <= bounds[1]):
        raise ValueError(f"supports[{symbol!r}] (a size) must be an int >= 1 or (min, max) with "
                         f"1 <= min <= max; got {bounds!r}")
    return tuple(int(b) for b in bounds)


def verify_layer(manual, *, params, x, out, supports=None, name="your layer",
                 input_grads=True, max_examples=None, seed=None, profile=None, sizes=None,
                 conventions=None):
    """Verify a layer's backward against finite differences of its own forward.

    manual: the layer as :mod:`crosscheck.conventions`' style takes it; by default style
    ``"cs231n"``, ``(forward, backward)`` with ``forward(x, *params)`` (the parameters in the
    order of ``params``) and ``backward(dout, cache) -> (dx, *dparams)``. params:
    ``{name: shape}``; x, out: the input's and the output's shapes. A shape is a tuple of
    ints and size names, or a function ``shape(sizes) -> tuple``. supports: one dict, as
    :func:`crosscheck.verify` takes it: each size name used in a shape, as an int or a
    ``(min, max)`` range (a name not given is drawn from 1 to 4), and the keys saying how
    the layer is written (:mod:`crosscheck.conventions`; the defaults are the cs231n order
    above). input_grads: compare dx too. sizes, conventions: deprecated, merged into
    supports. Returns: :class:`crosscheck.VerifyResult` (model ``name``). Refused by name
    before any case: bad shapes or supports, input_grads not a bool, max_examples/seed/profile
    as :func:`crosscheck.verify` refuses them.
    """
    from crosscheck.check import check_run_arguments, merged_into_supports, verify
    from crosscheck.supports import _is_convention
    check_run_arguments(max_examples, seed, profile, input_grads=check_flag("input_grads", input_grads))
    if not isinstance(params, dict) or not params or not all(isinstance(k, str) and k for k in params):
        raise TypeError(f"params must be a dict {{name: shape}} with str names; got {params!r}")
    params = {k: _check_shape(f"params[{k!r}]", s) for k, s in params.items()}
    x, out = _check_shape("x", x), _check_shape("out", out)
    for old_name, old_value in (("sizes", sizes), ("conventions", conventions)):
        supports = merged_into_supports(supports, old_name, old_value, "verify_layer")
    if supports is not None and not isinstance(supports, dict):
        raise TypeError(f"supports must be a dict of sizes and conventions; got {type(supports).__name__}")
    symbols = _symbols([*params.values(), x, out])
    ranges = {symbol: SIZE_RANGE for symbol in symbols}
    conv = {}
    for key, value in (supports or {}).items():
        if _is_convention(key, value):
            conv[key] = value
        elif key in symbols or any(callable(s) for s in (*params.values(), x, out)):
            ranges[key] = _size_range(key, value)
        else:
            raise ValueError(f"supports has an unknown key {key!r}: not a size of the shapes "
                             f"({', '.join(symbols) or 'none'}) nor one of {', '.join(declared.KEYS)}")
    if conv.setdefault("style", "cs231n") == "cs231n":
        conv.setdefault("call", ("x", *params))
        conv.setdefault("returns", ("dx", *(f"d{k}" for k in params)))
    spec = Model(name, "a layer checked against finite differences of its own forward",
                 _placeholder, _placeholder, layer_cases(params, x, out, ranges),
                 arg_names=("x", "dout"), input_grads=("x",) if input_grads else (),
                 smooth=_never, kind="layer")
    conv = declared.validate(conv, spec)
    declared._check_manual(manual, conv)
    checked = declared._layer_fn(manual, conv, spec)
    reference = fd_reference(declared._layer_fn(manual, conv, spec, value_only=True), checked)
    spec = spec._replace(manual=checked, auto=reference)
    return verify(spec, max_examples=max_examples, seed=seed, profile=profile,
                  input_grads=input_grads, numeric=False)
