"""Bad input to every name of ``crosscheck.__all__``: refused with a TypeError/ValueError
naming the argument and what was expected, before any work (the table-driven rows that
tests/test_public_api.py counts), and the valid edge cases next to them."""
import autograd.numpy as anp
import numpy as np
import pytest

import crosscheck
from tests.helpers import BadCall, assert_refused, bad_call_id


def quad(params):
    """A loss of one parameter ``w``: ``sum(w**2)``."""
    return float(np.sum(params["w"] ** 2))


def quad_grads(params):
    return quad(params), {"w": 2 * params["w"]}


def auto_quad(params):
    return anp.sum(params["w"] ** 2)


W = {"w": np.array([1.0, -2.0])}
G = {"a": np.ones(3)}
MLP_CASE = crosscheck.get("mlp").examples[0]
LINREG = crosscheck.Model("bad-input-quad", "sum of squares", quad_grads, auto_quad,
                          crosscheck.get("mlp").cases(), arg_names=())


def _forward(x, W):
    return x @ W, (x, W)


def _backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout


def verify_layer(**overrides):
    arguments = dict(params={"W": ("n_in", "n_out")}, x=("batch", "n_in"), out=("batch", "n_out"))
    return crosscheck.verify_layer((_forward, _backward), **{**arguments, **overrides})


def _never_called(*args, **options):
    raise AssertionError("the function was called although an argument was invalid")


def _row(name, call, error, words):
    return BadCall(f"crosscheck.{name}", call, error, words)


BAD_CALLS = [
    # --- compare: dicts {str: numbers}, tolerances None or finite >= 0
    _row("compare", lambda: crosscheck.compare(G, G, rtol=-1), ValueError, "rtol must be >= 0"),
    _row("compare", lambda: crosscheck.compare(G, G, atol=np.nan), ValueError, "atol must be finite"),
    _row("compare", lambda: crosscheck.compare(G, G, rtol=np.inf), ValueError, "rtol must be finite"),
    _row("compare", lambda: crosscheck.compare(G, G, rtol=True), TypeError, "rtol must be None or a real number"),
    _row("compare", lambda: crosscheck.compare(G, G, atol="1e-6"), TypeError, "atol must be None or a real number"),
    _row("compare", lambda: crosscheck.compare([1.0], G), TypeError, "grads must be a dict of arrays; got list"),
    _row("compare", lambda: crosscheck.compare(G, None), TypeError, "reference must be a dict of arrays"),
    _row("compare", lambda: crosscheck.compare({0: np.ones(3)}, G), TypeError, "grads keys must be str"),
    _row("compare", lambda: crosscheck.compare({"a": "1.0"}, G), TypeError,
         "grads['a'] must be an array of numbers (or a number); got str"),
    _row("compare", lambda: crosscheck.compare(G, {"a": None}), TypeError,
         "reference['a'] must be an array of numbers (or a number); got NoneType"),
    _row("compare", lambda: crosscheck.compare({"a": [[1.0], [1.0, 2.0]]}, G), TypeError,
         "grads['a'] must be an array of numbers"),
    _row("compare", lambda: crosscheck.compare({"a": np.array([True])}, G), TypeError,
         "grads['a'] must be an array of numbers (or a number); got ndarray of dtype bool"),
    # --- numeric_grad: a callable loss, params {str: finite float array}, a real scalar loss
    _row("numeric_grad", lambda: crosscheck.numeric_grad("quad", W), TypeError, "loss_fn must be callable"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(_never_called, [1.0, 2.0]), TypeError,
         "params must be a dict of arrays; got list"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(_never_called, {1: np.ones(2)}), TypeError,
         "params keys must be str"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(_never_called, {"w": np.array([1.0, np.nan])}),
         ValueError, "params['w'] contains NaN or inf"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(_never_called, {"w": np.array([1, 2])}), TypeError,
         "params['w'] must be float32 or float64; got dtype int64"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(_never_called, {"w": np.ones(2, np.float16)}),
         TypeError, "params['w'] must be float32 or float64; got dtype float16"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(_never_called, {"w": np.ones(2, complex)}),
         TypeError, "params['w'] must be float32 or float64; got dtype complex128"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(_never_called, {"w": "1.0"}), TypeError, "params['w']"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(
        _never_called, {"w": np.ones(2), "b": np.ones(2, np.float32)}), TypeError, "params mix dtypes"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(lambda p: p["w"], W), TypeError,
         "loss_fn must return a real scalar loss"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(lambda p: "0.5", W), TypeError,
         "loss_fn must return a real scalar loss"),
    _row("numeric_grad", lambda: crosscheck.numeric_grad(lambda p: np.nan, W), ValueError,
         "loss_fn returned a NaN or inf loss"),
    # --- check_numeric: as numeric_grad, plus manual_fn's (loss, grads) and the tolerances
    _row("check_numeric", lambda: crosscheck.check_numeric(42, W), TypeError, "manual_fn must be callable"),
    _row("check_numeric", lambda: crosscheck.check_numeric(_never_called, None), TypeError,
         "params must be a dict of arrays; got NoneType"),
    _row("check_numeric", lambda: crosscheck.check_numeric(_never_called, {"w": np.array([np.inf])}),
         ValueError, "params['w'] contains NaN or inf"),
    _row("check_numeric", lambda: crosscheck.check_numeric(_never_called, W, rtol=-1e-6), ValueError,
         "rtol must be >= 0"),
    _row("check_numeric", lambda: crosscheck.check_numeric(_never_called, W, atol=np.nan), ValueError,
         "atol must be finite"),
    _row("check_numeric", lambda: crosscheck.check_numeric(quad, W), TypeError,
         "manual_fn must return (loss, grads); got a float"),
    # --- check: two callables, params, tolerances
    _row("check", lambda: crosscheck.check(None, auto_quad, W), TypeError, "manual_fn must be callable"),
    _row("check", lambda: crosscheck.check(_never_called, "auto", W), TypeError, "auto_loss must be callable"),
    _row("check", lambda: crosscheck.check(_never_called, auto_quad, (1.0, 2.0)), TypeError,
         "params must be a dict of arrays; got tuple"),
    _row("check", lambda: crosscheck.check(_never_called, auto_quad, {"w": np.array([np.nan])}), ValueError,
         "params['w'] contains NaN or inf"),
    _row("check", lambda: crosscheck.check(_never_called, auto_quad, W, rtol=-1), ValueError, "rtol must be >= 0"),
    _row("check", lambda: crosscheck.check(_never_called, auto_quad, W, atol=float("inf")), ValueError,
         "atol must be finite"),
    _row("check", lambda: crosscheck.check(lambda p: (1.0, 2.0, 3.0), auto_quad, W), TypeError,
         "manual_fn must return (loss, grads); got a tuple of 3 items"),
    _row("check", lambda: crosscheck.check(lambda p: (np.ones(2), {}), auto_quad, W), TypeError,
         "manual_fn's loss must be a real scalar"),
    # --- check_case: a registered model, a Case, flags, tolerances
    _row("check_case", lambda: crosscheck.check_case("cnn", MLP_CASE), ValueError, "unknown model 'cnn'"),
    _row("check_case", lambda: crosscheck.check_case("mlp", tuple(MLP_CASE)), TypeError,
         "case must be a crosscheck.Case"),
    _row("check_case", lambda: crosscheck.check_case(
        "mlp", MLP_CASE._replace(params={k: v * np.nan for k, v in MLP_CASE.params.items()}),
        manual=_never_called), ValueError, "contains NaN or inf"),
    _row("check_case", lambda: crosscheck.check_case("mlp", MLP_CASE, manual="fn"), TypeError,
         "manual must be callable"),
    _row("check_case", lambda: crosscheck.check_case("mlp", MLP_CASE, numeric="yes"), TypeError,
         "numeric must be True or False"),
    _row("check_case", lambda: crosscheck.check_case("mlp", MLP_CASE, repeat=1), TypeError,
         "repeat must be True or False"),
    _row("check_case", lambda: crosscheck.check_case("mlp", MLP_CASE, input_grads="x"), TypeError,
         "input_grads must be True or False"),
    _row("check_case", lambda: crosscheck.check_case("mlp", MLP_CASE, manual=_never_called, rtol=-1),
         ValueError, "rtol must be >= 0"),
    # --- verify, assert_verified, verify_layer: the run's arguments
    _row("verify", lambda: crosscheck.verify("mlp", manual=42), TypeError, "manual must be the function to check"),
    _row("verify", lambda: crosscheck.verify("cnn"), ValueError, "unknown model 'cnn'"),
    _row("verify", lambda: crosscheck.verify("mlp", max_examples=0), ValueError, "max_examples must be >= 1"),
    _row("verify", lambda: crosscheck.verify("mlp", max_examples=2.0), TypeError,
         "max_examples must be None or an int; got float"),
    _row("verify", lambda: crosscheck.verify("mlp", max_examples=True), TypeError,
         "max_examples must be None or an int; got bool"),
    _row("verify", lambda: crosscheck.verify("mlp", seed=-1), ValueError, "seed must be >= 0"),
    _row("verify", lambda: crosscheck.verify("mlp", seed=True), TypeError, "seed must be None or an int; got bool"),
    _row("verify", lambda: crosscheck.verify("mlp", seed="0"), TypeError, "seed must be None or an int; got str"),
    _row("verify", lambda: crosscheck.verify("mlp", profile="bogus"), ValueError,
         "profile must be one of ci, dev, thorough"),
    _row("verify", lambda: crosscheck.verify("mlp", dtype=np.float16), ValueError,
         "dtype must be float32 or float64; got float16"),
    _row("verify", lambda: crosscheck.verify("mlp", dtype=int), ValueError,
         "dtype must be float32 or float64; got int64"),
    _row("verify", lambda: crosscheck.verify("mlp", dtype="no such dtype"), TypeError,
         "dtype must be float32 or float64; got 'no such dtype'"),
    _row("verify", lambda: crosscheck.verify("mlp", numeric="no"), TypeError, "numeric must be True or False"),
    _row("verify", lambda: crosscheck.verify("mlp", input_grads="x"), TypeError,
         "input_grads must be True or False"),
    _row("verify", lambda: crosscheck.verify("mlp", progress=print.__name__), TypeError,
         "progress must be callable"),
    _row("verify", lambda: crosscheck.verify("mlp", supports=3), TypeError, "supports must be a dict"),
    _row("assert_verified", lambda: crosscheck.assert_verified("mlp", manual=42), TypeError,
         "manual must be the function to check"),
    _row("assert_verified", lambda: crosscheck.assert_verified("mlp", seed=-3), ValueError, "seed must be >= 0"),
    _row("assert_verified", lambda: crosscheck.assert_verified("mlp", max_examples=-1), ValueError,
         "max_examples must be >= 1"),
    _row("assert_verified", lambda: crosscheck.assert_verified("mlp", profile="fast"), ValueError,
         "profile must be one of ci, dev, thorough"),
    _row("assert_verified", lambda: crosscheck.assert_verified("mlp", dtype=np.complex128), ValueError,
         "dtype must be float32 or float64"),
    _row("verify_layer", lambda: verify_layer(params=3), TypeError, "params must be a dict {name: shape}"),
    _row("verify_layer", lambda: verify_layer(x="ab"), TypeError, "x must be a shape"),
    _row("verify_layer", lambda: verify_layer(out=(0, 2)), TypeError, "out must be a shape"),
    _row("verify_layer", lambda: verify_layer(seed=-1), ValueError, "seed must be >= 0"),
    _row("verify_layer", lambda: verify_layer(seed=1.5), TypeError, "seed must be None or an int"),
    _row("verify_layer", lambda: verify_layer(max_examples=0), ValueError, "max_examples must be >= 1"),
    _row("verify_layer", lambda: verify_layer(profile="bogus"), ValueError, "profile must be one of"),
    _row("verify_layer", lambda: verify_layer(input_grads="x"), TypeError, "input_grads must be True or False"),
    _row("verify_layer", lambda: verify_layer(name=""), ValueError, "name must be a non-empty str"),
    _row("verify_layer", lambda: verify_layer(supports=[1]), TypeError, "supports must be a dict"),
    # --- the registry
    _row("get", lambda: crosscheck.get(3), TypeError, "model must be a registered name (str) or a crosscheck.Model"),
    _row("get", lambda: crosscheck.get("cnn"), ValueError, "unknown model 'cnn'; registered models: "),
    _row("models", lambda: crosscheck.models("bogus"), ValueError, "kind must be one of 'layer', 'model'"),
    _row("models", lambda: crosscheck.models(["layer"]), ValueError, "kind must be one of 'layer', 'model'"),
    _row("register", lambda: crosscheck.register({"name": "x"}), TypeError, "register takes a crosscheck.Model"),
    _row("register", lambda: crosscheck.register(LINREG, replace="yes"), TypeError,
         "replace must be True or False"),
    _row("register", lambda: crosscheck.register(LINREG._replace(name="mlp")), ValueError,
         "'mlp' is a built-in model; pass replace=True"),
    _row("Model", lambda: LINREG._replace(name=3), TypeError, "name must be a str"),
    _row("Model", lambda: LINREG._replace(name=" "), ValueError, "name must be a non-empty str"),
    _row("Model", lambda: LINREG._replace(kind="loss"), ValueError, "kind must be 'model' or 'layer'"),
    _row("Model", lambda: LINREG._replace(manual=None), TypeError, "manual must be a callable"),
    _row("Model", lambda: LINREG._replace(cases=[MLP_CASE]), TypeError, "cases must be a Hypothesis strategy"),
    _row("Model", lambda: LINREG._replace(examples=MLP_CASE), TypeError, "examples must be a tuple of crosscheck.Case"),
    _row("Model", lambda: LINREG._replace(arg_names="x"), TypeError, "arg_names must be a tuple of non-empty str"),
    _row("Model", lambda: LINREG._replace(options=[("truncate", (None, 1))]), TypeError, "options must be a dict"),
    _row("Case", lambda: crosscheck.Case([np.ones(2)], (), {}), TypeError, "Case params must be a dict"),
    _row("Case", lambda: crosscheck.Case({0: np.ones(2)}, (), {}), TypeError, "Case params must be a dict keyed by str"),
    _row("Case", lambda: crosscheck.Case({}, np.ones(2), {}), TypeError, "Case args must be a tuple"),
    _row("Case", lambda: crosscheck.Case({}, (), None), TypeError, "Case options must be a dict"),
    _row("Case", lambda: MLP_CASE._replace(options=("loss", "mse")), TypeError, "Case options must be a dict"),
    # --- the result types: made by the library; a missing field is named
    _row("Comparison", lambda: crosscheck.Comparison(True), TypeError,
         "missing 1 required positional argument: 'reports'"),
    _row("KeyReport", lambda: crosscheck.KeyReport("w", True), TypeError,
         "missing 6 required positional arguments: 'shape'"),
    _row("CaseReport", lambda: crosscheck.CaseReport(True), TypeError,
         "missing 2 required positional arguments: 'autograd' and 'numeric'"),
    _row("VerifyResult", lambda: crosscheck.VerifyResult("mlp", True), TypeError,
         "missing 4 required positional arguments: 'examples'"),
]


@pytest.mark.parametrize("bad", BAD_CALLS, ids=bad_call_id)
def test_refused(bad):
    assert_refused(bad)


def test_every_name_of_the_api_has_a_row():
    assert {bad.target.split(".", 1)[1] for bad in BAD_CALLS} == set(crosscheck.__all__)


# --- the valid edge cases next to the refused ones --------------------------------------

def test_zero_tolerances_are_exact_and_identical_arrays_agree_at_any_valid_tolerance():
    assert crosscheck.compare(G, G, rtol=0, atol=0).ok
    assert crosscheck.compare(G, G, rtol=np.float32(0.5), atol=1).ok
    assert not crosscheck.compare({"a": np.ones(3) + 1e-15}, G, rtol=0, atol=0).ok
    zero = crosscheck.compare({"a": np.zeros(2)}, {"a": np.zeros(2)}, rtol=0, atol=0)
    assert zero.ok and zero.reports["a"].max_rel_error == 0.0


def test_lists_ints_and_scalars_compare_as_numbers_while_float16_and_complex_fail_a_key():
    assert crosscheck.compare({"a": [1.0, 2.0], "n": 3}, {"a": np.array([1.0, 2.0]), "n": np.int64(3)}).ok
    half = crosscheck.compare({"a": np.ones(3, np.float16)}, G)
    assert not half.ok and "float16" in half.reports["a"].problem
    assert "complex" in crosscheck.compare(G, {"a": np.ones(3, complex)}).reports["a"].problem


def test_numeric_grad_is_pure_and_checks_the_loss_once_before_the_differences():
    params = {"w": np.array([1.0, -2.0], dtype=np.float32)}
    before = params["w"].copy()
    grads = crosscheck.numeric_grad(quad, params)
    assert np.array_equal(params["w"], before) and params["w"].dtype == np.float32
    np.testing.assert_allclose(grads["w"], [2.0, -4.0], rtol=1e-6)    # float64 differences
    calls = []

    def not_scalar(p):
        calls.append(1)
        return p["w"]
    with pytest.raises(TypeError, match="loss_fn must return a real scalar loss"):
        crosscheck.numeric_grad(not_scalar, W)
    assert len(calls) == 1                                               # refused at the first call
    assert crosscheck.numeric_grad(quad, {}) == {}


def test_the_checks_accept_what_they_document():
    assert crosscheck.check_numeric(quad_grads, W).ok
    assert crosscheck.check(quad_grads, auto_quad, W, rtol=0.0, atol=0.0).ok
    assert crosscheck.check_case("mlp", MLP_CASE, numeric=False, repeat=False, rtol=1e-6).ok
    assert crosscheck.models("layer") and set(crosscheck.models("model")) <= set(crosscheck.models())
    assert crosscheck.Case({}, [1.0], {}).args == (1.0,)


def test_a_usage_error_of_a_checked_function_is_a_type_error():
    from crosscheck import contracts
    assert issubclass(contracts.UsageError, TypeError)
    with pytest.raises(TypeError, match="the checked function must return"):
        crosscheck.check_case("mlp", MLP_CASE, manual=lambda params, x, y, **o: 1.0)
