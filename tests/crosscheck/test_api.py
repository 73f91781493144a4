import json

import numpy as np
import pytest
from hypothesis import strategies as st

import crosscheck
import manual
import auto
from crosscheck import Case, Model
from crosscheck.strategies import float_arrays
from tests.helpers import small_mlp, wrong_sign


def mlp_case(seed=0, loss="mse"):
    params, x, rng = small_mlp((3, 4, 2), seed=seed)
    y = rng.standard_normal((5, 2)) if loss == "mse" else rng.integers(0, 2, 5)
    return params, x, y


# --- compare -----------------------------------------------------------------------------

def test_compare_reports_key_index_and_both_values():
    ref = {"W": np.arange(6.0).reshape(2, 3), "b": np.ones(3)}
    got = {"W": ref["W"].copy(), "b": ref["b"].copy()}
    got["W"][1, 2] += 0.5
    result = crosscheck.compare(got, ref)
    assert not result.ok
    report = result.reports["W"]
    assert (report.index, report.value, report.reference) == ((1, 2), 5.5, 5.0)
    assert report.max_abs_error == 0.5 and report.max_rel_error == pytest.approx(0.1)
    assert result.reports["b"].ok and result.worst().key == "W"


def test_compare_reports_missing_extra_shape_and_nan_without_raising():
    ref = {"W": np.zeros((2, 2)), "b": np.zeros(2), "c": np.zeros(1)}
    got = {"W": np.zeros((2, 3)), "b": np.array([np.nan, 0]), "z": np.zeros(1)}
    result = crosscheck.compare(got, ref)
    problems = {k: r.problem for k, r in result.reports.items()}
    assert not result.ok
    assert "shape (2, 3)" in problems["W"] and "NaN" in problems["b"]
    assert "missing" in problems["c"] and "unexpected" in problems["z"]


def test_compare_tolerance_follows_dtype_and_scale():
    ref = {"W": np.array([1e6, 1.0])}
    assert crosscheck.compare({"W": ref["W"] + 1e-2}, ref).ok            # 1e-8 of the scale
    assert not crosscheck.compare({"W": ref["W"] + [0, 10.0]}, ref).ok   # 1e-5 of the scale
    ref32 = {"W": np.array([1.0, 2.0], dtype=np.float32)}
    assert crosscheck.compare({"W": ref32["W"] * np.float32(1 + 1e-4)}, ref32).ok
    assert not crosscheck.compare({"W": ref32["W"] * np.float32(1.01)}, ref32).ok


# --- check -------------------------------------------------------------------------------

def test_check_passes_for_the_library_mlp():
    params, x, y = mlp_case()
    result = crosscheck.check(manual.mlp.loss_and_grads, auto.mlp.loss, params, x, y, loss="mse")
    assert result.ok and set(result.reports) == {"loss", *params}


def wrong_index(params, x, y, **options):
    value, grads = manual.mlp.loss_and_grads(params, x, y, **options)
    grads["W1"] = grads["W1"].copy()
    grads["W1"][2, 1] += 0.1
    return value, grads


def missing_transpose(params, x, y, **options):
    """One hidden layer, backprop with ``W1`` where ``W1.T`` belongs (square W1 only)."""
    out, cache = manual.mlp.forward(params, x, activation=options.get("activation", "relu"))
    value, dout = manual.losses.loss_and_grad(options["loss"], out, y, options.get("reduction", "mean"))
    h = cache.layer_inputs[1]
    dh = (dout @ params["W1"]) * (h > 0)   # bug: W1 instead of W1.T
    return value, {"W0": x.T @ dh, "b0": dh.sum(0), "W1": h.T @ dout, "b1": dout.sum(0)}


@pytest.mark.parametrize("buggy, key, index", [(wrong_sign, "b0", None), (wrong_index, "W1", (2, 1))])
def test_check_names_the_wrong_key_and_index(buggy, key, index):
    params, x, y = mlp_case()
    result = crosscheck.check(buggy, auto.mlp.loss, params, x, y, loss="mse")
    assert not result.ok and [r.key for r in result.failures()] == [key]
    if index is not None:
        assert result.reports[key].index == index


def test_check_catches_a_missing_transpose():
    params, x, y = mlp_case()
    params = {**params, "W1": np.array([[1.0, 0.3], [-0.5, 2.0]]), "b1": np.zeros(2),
              "W0": params["W0"][:, :2], "b0": params["b0"][:2]}
    result = crosscheck.check(missing_transpose, auto.mlp.loss, params, x, y, loss="mse")
    assert {r.key for r in result.failures()} == {"W0", "b0"}


# --- finite differences ------------------------------------------------------------------

def test_numeric_grad_of_a_known_function():
    def f(p, a):
        return np.sum(a * p["w"] ** 3) + np.sin(p["v"]).sum()
    p = {"w": np.array([[1.0, -2.0]]), "v": np.array([0.3, 4.0])}
    a = np.array([[2.0, 0.5]])
    fd = crosscheck.numeric_grad(f, p, a)
    np.testing.assert_allclose(fd["w"], 3 * a * p["w"] ** 2, rtol=1e-9)
    np.testing.assert_allclose(fd["v"], np.cos(p["v"]), rtol=1e-9)


def test_check_numeric_passes_correct_and_catches_wrong():
    params, x, y = mlp_case(loss="cross_entropy")
    options = dict(loss="cross_entropy", activation="tanh")
    assert crosscheck.check_numeric(manual.mlp.loss_and_grads, params, x, y, **options).ok
    result = crosscheck.check_numeric(wrong_index, params, x, y, **options)
    assert [r.key for r in result.failures()] == ["W1"] and result.reports["W1"].index == (2, 1)


# --- verify ------------------------------------------------------------------------------

def test_verify_shrinks_a_wrong_sign_to_a_minimal_case():
    result = crosscheck.verify("mlp", manual=wrong_sign, max_examples=100, seed=1)
    assert not result.ok and result.examples_to_failure <= 100
    against, worst = result.report.worst()
    assert (against, worst.key) == ("autograd", "b0")
    # shrunk: one unit everywhere, batch 1
    assert all(s == (1, 1) or s == (1,) for k, s in result.case.shapes().items() if k != "y")
    assert worst.value == -worst.reference != 0
    assert "b0" in result.summary() and "DISAGREEMENT" in result.summary()


def test_verify_is_reproducible_with_a_seed():
    first = crosscheck.verify("mlp", manual=wrong_index, max_examples=100, seed=3)
    second = crosscheck.verify("mlp", manual=wrong_index, max_examples=100, seed=3)
    assert not first.ok
    assert first.examples_to_failure == second.examples_to_failure
    assert first.case.shapes() == second.case.shapes()


def test_verify_reports_a_function_that_raises():
    def broken(params, x, y, **options):
        raise RuntimeError("boom")
    result = crosscheck.verify("mlp", manual=broken, max_examples=5)
    assert not result.ok and "RuntimeError: boom" in result.error


def test_verify_catches_a_wrong_dx():
    def wrong_dx(params, x, y, return_input_grads=False, **options):
        value, grads, inputs = manual.mlp.loss_and_grads(params, x, y, return_input_grads=True, **options)
        return (value, grads, {"x": 2 * inputs["x"]}) if return_input_grads else (value, grads)
    result = crosscheck.verify("mlp", manual=wrong_dx, input_grads=True, max_examples=100, seed=0)
    assert not result.ok and result.report.worst()[1].key == "dx"


def test_registering_a_model_is_one_entry():
    """A user's own layer: y = x @ w, squared error, checked by the same machinery."""
    def manual_fn(params, x, y, return_input_grads=False):
        r = x @ params["w"] - y
        grads = {"w": 2 * x.T @ r}
        return (np.sum(r ** 2), grads, {"x": 2 * r @ params["w"].T}) if return_input_grads \
            else (np.sum(r ** 2), grads)

    def auto_fn(params, x, y):
        return np.sum((x @ params["w"] - y) ** 2)

    @st.composite
    def cases(draw, dtype=np.float64):
        n = draw(st.integers(1, 4))
        return Case({"w": draw(float_arrays((n, 2), 1.0, dtype))},
                    (draw(float_arrays((3, n), 1.0, dtype)), draw(float_arrays((3, 2), 1.0, dtype))), {})

    model = Model("linear-test", "x @ w with squared error", manual_fn, auto_fn, cases)
    result = crosscheck.verify(model, max_examples=20)
    assert result.ok and result.numeric_examples > 0 and set(result.worst) == {"loss", "w", "dx"}


def test_case_to_json_round_trips():
    params, x, y = mlp_case()
    case = Case(params, (x, y), {"loss": "mse"})
    data = json.loads(json.dumps(case.to_json()))
    assert np.array_equal(np.array(data["params"]["W0"]), params["W0"])
    assert data["options"] == {"loss": "mse"} and np.array_equal(np.array(data["args"]["x"]), x)


def test_unknown_model_is_a_value_error():
    with pytest.raises(ValueError, match="unknown model 'cnn'"):
        crosscheck.verify("cnn")
