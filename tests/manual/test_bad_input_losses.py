"""Bad input to the losses and activations, both sides: every public callable of
manual.losses, manual.activations, auto.losses and auto.activations refuses it with a
ValueError/TypeError naming the argument and what was expected (rows of BAD_CALLS), and
the documented valid input (lists, ints, bools computed in float64) is accepted."""
import numpy as np
import pytest
from autograd import grad

import auto
import manual
from tests.helpers import BadCall, assert_refused, bad_call_id

ML, MA, AL, AA = manual.losses, manual.activations, auto.losses, auto.activations

Z = np.zeros((2, 3))
Y = np.full((2, 3), 0.5)
LABELS = np.array([0, 2])
FLOAT = "must be a real array of float32 or float64"

# what every array argument refuses: (value, error, words), words after the argument's name
BAD_ARRAYS = [
    (np.zeros(3, np.float16), TypeError, FLOAT),
    (np.zeros(3, complex), TypeError, FLOAT),
    (np.array(["a", "b"]), TypeError, FLOAT),
    (np.array([0.0, np.nan]), ValueError, "contains NaN or inf"),
    (np.array([-np.inf, 0.0]), ValueError, "contains NaN or inf"),
    (np.zeros((2, 0)), ValueError, "is empty (shape (2, 0))"),
]

# the elementwise functions: (target, function, argument name)
ELEMENTWISE = [
    ("manual.losses.sigmoid", ML.sigmoid, "z"),
    ("manual.activations.relu", MA.relu, "z"),
    ("manual.activations.tanh", MA.tanh, "z"),
    ("manual.activations.sigmoid", MA.sigmoid, "z"),
    ("manual.activations.relu_derivative", MA.relu_derivative, "a"),
    ("manual.activations.tanh_derivative", MA.tanh_derivative, "a"),
    ("manual.activations.sigmoid_derivative", MA.sigmoid_derivative, "a"),
    ("auto.activations.relu", AA.relu, "z"),
    ("auto.activations.sigmoid", AA.sigmoid, "z"),
]
MANUAL_ACTIVATIONS = ELEMENTWISE[1:7]

# the losses: (target, function, its name in modelspec.LOSSES, names of logits and y)
LOSSES = [
    ("manual.losses.binary_cross_entropy", ML.binary_cross_entropy, "bce", ("logits", "y")),
    ("manual.losses.softmax_cross_entropy", ML.softmax_cross_entropy, "cross_entropy", ("logits", "labels")),
    ("manual.losses.mean_squared_error", ML.mean_squared_error, "mse", ("pred", "y")),
    ("auto.losses.binary_cross_entropy", AL.binary_cross_entropy, "bce", ("logits", "y")),
    ("auto.losses.softmax_cross_entropy", AL.softmax_cross_entropy, "cross_entropy", ("logits", "labels")),
    ("auto.losses.mean_squared_error", AL.mean_squared_error, "mse", ("pred", "y")),
]
DISPATCH = [("manual.losses.loss_and_grad", ML.loss_and_grad), ("auto.losses.loss", AL.loss)]


def _target(loss, logits=Z):
    return LABELS if loss == "cross_entropy" else np.full(np.shape(logits), 0.5)


def _loss_rows(target, fn, loss, names):
    """Rows for one loss ``fn(logits, y, reduction)``."""
    logits_name, y_name = names
    rows = [BadCall(target, lambda bad=bad: fn(bad, _target(loss, bad if np.ndim(bad) == 2 else Z)), error,
                    f"{logits_name} {words}")
            for bad, error, words in BAD_ARRAYS if not (loss == "cross_entropy" and np.size(bad) == 0)]
    rows += [
        BadCall(target, lambda: fn(Z, _target(loss), "avg"), ValueError, "reduction must be one of 'mean', 'sum'"),
        BadCall(target, lambda: fn(Z, _target(loss), None), ValueError, "reduction must be one of"),
        BadCall(target, lambda: fn(np.zeros(0), np.zeros(0, int) if loss == "cross_entropy" else np.zeros(0)),
                ValueError, f"{logits_name} is empty"),
    ]
    if loss == "cross_entropy":
        rows += [
            BadCall(target, lambda: fn(np.float64(1.0), np.int64(0)), ValueError, "logits must have a class axis"),
            BadCall(target, lambda: fn(Z, np.array([0.0, 1.0])), TypeError, "labels must hold integer class labels"),
            BadCall(target, lambda: fn(Z, np.array([True, False])), TypeError, "labels must hold integer class labels"),
            BadCall(target, lambda: fn(Z, np.array([0, 3])), ValueError, "labels must lie in [0, 3)"),
            BadCall(target, lambda: fn(Z, np.array([-1, 0])), ValueError, "labels must lie in [0, 3)"),
            BadCall(target, lambda: fn(Z, np.array([0, 1, 2])), ValueError, "labels must have shape (2,)"),
            BadCall(target, lambda: fn(Z, np.array([[0], [1]])), ValueError, "labels must have shape (2,)"),
        ]
    else:
        rows += [
            # no broadcasting: a (3,) or (2, 1) target for (2, 3) logits is refused
            BadCall(target, lambda: fn(Z, np.zeros(3)), ValueError, f"{y_name} must have shape (2, 3)"),
            BadCall(target, lambda: fn(Z, np.zeros((2, 1))), ValueError, f"{y_name} must have shape (2, 3)"),
            BadCall(target, lambda: fn(Z, np.full((2, 3), np.nan)), ValueError, f"{y_name} contains NaN or inf"),
            BadCall(target, lambda: fn(Z, np.zeros((2, 3), np.float16)), TypeError, f"{y_name} {FLOAT}"),
            # mixed dtypes: float64 targets for float32 logits are not cast
            BadCall(target, lambda: fn(Z.astype(np.float32), Y), TypeError, f"{y_name} has dtype float64"),
        ]
    if loss == "bce":
        rows += [BadCall(target, lambda: fn(Z, np.full((2, 3), 1.5)), ValueError, "y must lie in [0, 1] for loss='bce'"),
                 BadCall(target, lambda: fn(Z, np.full((2, 3), -0.5)), ValueError, "y must lie in [0, 1]")]
    return rows


def _elementwise_rows(target, fn, name):
    rows = [BadCall(target, lambda bad=bad: fn(bad), error, f"{name} {words}") for bad, error, words in BAD_ARRAYS]
    return rows + [BadCall(target, lambda: fn(7.5j), TypeError, f"{name} {FLOAT}")]


def _out_rows(target, fn, name):
    """``out`` of the manual activations: an ndarray of the input's shape and dtype, writeable."""
    read_only = np.zeros(3)
    read_only.flags.writeable = False
    return [
        BadCall(target, lambda: fn(np.zeros(3), np.zeros(4)), TypeError,
                "out must be None or a float64 ndarray of shape (3,)"),
        BadCall(target, lambda: fn(np.zeros(3), np.zeros(3, np.float32)), TypeError, "out must be None or a float64"),
        BadCall(target, lambda: fn(np.zeros(3, np.float32), np.zeros(3)), TypeError, "out must be None or a float32"),
        BadCall(target, lambda: fn(np.zeros(3), [0.0, 0.0, 0.0]), TypeError, "out must be None or a float64 ndarray"),
        BadCall(target, lambda: fn(np.zeros(3), read_only), ValueError, "out must be writeable"),
    ]


BAD_CALLS = [row for target, fn, name in ELEMENTWISE for row in _elementwise_rows(target, fn, name)]
BAD_CALLS += [row for target, fn, name in MANUAL_ACTIVATIONS for row in _out_rows(target, fn, name)]
BAD_CALLS += [
    # a derivative takes the activation's output: outside its range it is not one
    BadCall("manual.activations.relu_derivative", lambda: MA.relu_derivative(np.array([-0.5, 1.0])),
            ValueError, "a must lie in [0, inf] (an output of relu)"),
    BadCall("manual.activations.tanh_derivative", lambda: MA.tanh_derivative(np.array([0.5, 1.5])),
            ValueError, "a must lie in [-1, 1] (an output of tanh)"),
    BadCall("manual.activations.sigmoid_derivative", lambda: MA.sigmoid_derivative(np.array([-0.1])),
            ValueError, "a must lie in [0, 1] (an output of sigmoid)"),
    BadCall("manual.losses.softmax", lambda: ML.softmax(np.float64(2.0)), ValueError, "logits must have a class axis"),
    BadCall("manual.losses.softmax", lambda: ML.softmax(np.zeros((2, 0))), ValueError, "logits is empty"),
    BadCall("manual.losses.softmax", lambda: ML.softmax(np.array([[1.0, np.inf]])), ValueError,
            "logits contains NaN or inf"),
    BadCall("manual.losses.softmax", lambda: ML.softmax(np.zeros(2, np.float16)), TypeError, f"logits {FLOAT}"),
]
BAD_CALLS += [row for target, fn, loss, names in LOSSES for row in _loss_rows(target, fn, loss, names)]


def _dispatched(fn, loss):
    """``fn(loss, logits, y, reduction)`` as a loss of (logits, y, reduction)."""
    return lambda logits, y, reduction="mean": fn(loss, logits, y, reduction)


for _target_name, _fn in DISPATCH:
    BAD_CALLS += [row for loss in ("bce", "mse")
                  for row in _loss_rows(_target_name, _dispatched(_fn, loss), loss, ("logits", "y"))]
    BAD_CALLS += [
        BadCall(_target_name, lambda f=_fn: f("hinge", Z, Y), ValueError, "loss must be one of 'bce', 'cross_entropy', 'mse'"),
        BadCall(_target_name, lambda f=_fn: f(None, Z, Y), ValueError, "loss must be one of"),
        BadCall(_target_name, lambda f=_fn: f("cross_entropy", Z, np.array([0, 5])), ValueError, "y labels must lie in [0, 3)"),
        BadCall(_target_name, lambda f=_fn: f("cross_entropy", Z, np.array([0.0, 1.0])), TypeError,
                "y must hold integer class labels"),
    ]


@pytest.mark.parametrize("bad", BAD_CALLS, ids=bad_call_id)
def test_refused(bad):
    assert_refused(bad)


# --- what is accepted ------------------------------------------------------------------------

@pytest.mark.parametrize("target, fn, name", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_integer_and_bool_input_is_computed_in_float64(target, fn, name):
    # the issue: manual.losses.sigmoid(np.array([0, 1, -1, 50])) returned int64 [0 0 0 1]
    ints = np.array([0, 1, 0, 50]) if "derivative" not in target else np.array([0, 1, 0, 1])
    got = np.asarray(fn(ints))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, fn(ints.astype(np.float64)))
    np.testing.assert_array_equal(fn(ints.astype(bool)), fn(ints.astype(bool).astype(np.float64)))
    np.testing.assert_array_equal(fn(list(ints)), got)                 # lists as np.asarray reads them


def test_sigmoid_of_integers_is_the_logistic_function():
    z = np.array([0, 1, -1, 50])
    expected = 1 / (1 + np.exp(-z.astype(float)))
    for fn in (ML.sigmoid, MA.sigmoid, AA.sigmoid):
        np.testing.assert_allclose(fn(z), expected, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target, fn, name", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_float_dtype_is_kept_and_the_input_not_modified(target, fn, name, dtype):
    z = np.array([[0.25, 0.0, 0.75]], dtype)
    before = z.copy()
    assert fn(z).dtype == dtype
    np.testing.assert_array_equal(z, before)


@pytest.mark.parametrize("target, fn, name", MANUAL_ACTIVATIONS, ids=[e[0] for e in MANUAL_ACTIVATIONS])
def test_out_is_written_and_may_be_the_input(target, fn, name):
    z = np.array([0.25, 0.0, 0.75])
    expected = fn(z)
    out = np.empty(3)
    assert fn(z, out) is out
    np.testing.assert_array_equal(out, expected)
    assert fn(z, z) is z                                      # in place
    np.testing.assert_array_equal(z, expected)


def test_the_manual_and_autograd_activations_agree():
    z = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(MA.relu(z), AA.relu(z))
    np.testing.assert_allclose(MA.sigmoid(z), AA.sigmoid(z), rtol=1e-15)
    a = MA.sigmoid(z)
    np.testing.assert_allclose(MA.sigmoid_derivative(a), a * (1 - a), rtol=1e-15)
    np.testing.assert_array_equal(MA.relu_derivative(MA.relu(z)), [0, 0, 0, 1, 1])   # 0 at z = 0


@pytest.mark.parametrize("target, fn, loss, names", LOSSES, ids=[e[0] for e in LOSSES])
def test_integer_logits_and_lists_are_computed_in_float64(target, fn, loss, names):
    logits = [[0, 2, -1], [1, 1, 1]]
    y = [2, 0] if loss == "cross_entropy" else [[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]]
    got = fn(logits, y)
    expected = fn(np.array(logits, float), np.array(y))
    assert np.asarray(got[0] if isinstance(got, tuple) else got).dtype == np.float64
    np.testing.assert_equal(got, expected)


@pytest.mark.parametrize("loss", ["bce", "cross_entropy", "mse"])
def test_autograd_losses_check_traced_logits_and_keep_the_gradient(loss):
    logits = np.array([[0.0, 2.0, -1.0], [1.0, 1.0, 1.0]])
    y = LABELS if loss == "cross_entropy" else Y
    fn = dict(bce=AL.binary_cross_entropy, cross_entropy=AL.softmax_cross_entropy, mse=AL.mean_squared_error)[loss]
    np.testing.assert_allclose(grad(fn)(logits, y), ML.loss_and_grad(loss, logits, y)[1], rtol=1e-12)
    with pytest.raises(ValueError, match="logits contains NaN or inf"):
        grad(AL.loss, 1)(loss, np.array([[np.nan, 0.0, 0.0], [0.0, 0.0, 0.0]]), y)
