import numpy as np
import pytest
from autograd import grad

import crosscheck
from auto.layers import activation as auto_activation
from crosscheck import vjp
from crosscheck.check import check_case
from manual import activations
from manual.layers import activation
from modelspec import table

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def by_formula(name, x):
    """act(x) and act'(x) from their textbook formulas, on x itself (not on the output)."""
    if name == "relu":
        return np.maximum(x, 0), (x > 0).astype(x.dtype)          # derivative 0 at x = 0
    if name == "tanh":
        return np.tanh(x), 1 / np.cosh(x) ** 2
    s = 1 / (1 + np.exp(-x))
    return s, s * (1 - s)


def case(shape=(2, 3, 4), seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.uniform(-3, 3, shape).astype(dtype), rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (2, 1, 3, 2)])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_forward_and_backward_are_the_formulas_over_any_shape(name, shape):
    x, dout = case(shape)
    out, cache = activation.forward({}, x, activation=name)
    value, derivative = by_formula(name, x)
    np.testing.assert_allclose(out, value, rtol=1e-14, atol=1e-15)
    assert cache.activation == name
    grads, dx = activation.backward({}, cache, dout)
    assert grads == {}
    np.testing.assert_allclose(dx, derivative * dout, rtol=1e-12, atol=1e-15)
    assert activation.backward({}, cache, dout, input_grads=False) == ({}, None)


def test_relu_is_the_default_and_its_derivative_at_exactly_zero_is_zero_on_both_sides():
    x = np.array([[0.0, -0.0, 1e-300, -1e-300], [2.0, 0.0, -2.0, 0.5]])
    dout = np.arange(1.0, 9.0).reshape(2, 4)
    out, cache = activation.forward({}, x)
    assert cache.activation == "relu"
    _, dx = activation.backward({}, cache, dout)
    expected = np.array([[0.0, 0.0, 3.0, 0.0], [5.0, 0.0, 0.0, 8.0]])
    np.testing.assert_array_equal(dx, expected)                  # seed 001's sign(y): 0 at 0
    reference = grad(lambda x: np.sum(dout * auto_activation.forward({}, x)))(x)
    np.testing.assert_array_equal(reference, expected)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_saturated_units_have_a_derivative_of_zero_or_next_to_it_and_finite(name):
    x = np.array([-40.0, -20.0, 20.0, 40.0])
    out, cache = activation.forward({}, x, activation=name)
    _, dx = activation.backward({}, cache, np.full(4, 1000.0))
    reference = grad(lambda x: np.sum(1000.0 * auto_activation.forward({}, x, activation=name)))(x)
    assert np.isfinite(out).all() and np.isfinite(dx).all()
    np.testing.assert_allclose(dx, reference, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_float32_stays_float32_and_agrees_with_autograd(name):
    x, dout = case(dtype=np.float32)
    out, cache = activation.forward({}, x, activation=name)
    _, dx = activation.backward({}, cache, dout)
    assert out.dtype == dx.dtype == np.float32
    auto_out = auto_activation.forward({}, x, activation=name)
    reference = grad(lambda x: np.sum(dout * auto_activation.forward({}, x, activation=name)))(x)
    assert auto_out.dtype == np.float32            # (autograd's gradient of np.where is float64)
    np.testing.assert_allclose(out, auto_out, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dx, reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_int_and_bool_x_are_computed_in_float64_on_both_sides(name):
    for x in (np.array([[-2, 0, 3]]), np.array([[True, False, True]])):
        out, cache = activation.forward({}, x, activation=name)
        expected, _ = activation.forward({}, x.astype(np.float64), activation=name)
        assert out.dtype == np.float64 and cache.a.dtype == np.float64
        np.testing.assert_array_equal(out, expected)
        auto_out = auto_activation.forward({}, x, activation=name)
        assert auto_out.dtype == np.float64
        np.testing.assert_allclose(auto_out, out, rtol=1e-15)


def test_changing_out_or_x_after_forward_changes_nothing():
    x, dout = case()
    out, cache = activation.forward({}, x, activation="sigmoid")
    _, before = activation.backward({}, cache, dout)
    out += 1.0                                   # a residual added in place, say
    x *= -1.0
    _, after = activation.backward({}, cache, dout)
    np.testing.assert_array_equal(after, before)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_backward_takes_the_derivative_from_the_public_function_through_its_out(monkeypatch, name):
    public = getattr(activations, f"{name}_derivative")
    calls = []

    def spy(a, out=None):
        calls.append(out)
        return public(a, out=out)

    monkeypatch.setattr(activations, f"{name}_derivative", spy)
    x, dout = case()
    _, cache = activation.forward({}, x, activation=name)
    _, dx = activation.backward({}, cache, dout)
    assert len(calls) == 1 and isinstance(calls[0], np.ndarray) and calls[0] is dx


@pytest.mark.parametrize("function", ["", "_derivative"], ids=["value", "derivative"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_a_public_function_that_leaves_out_unwritten_fails_the_cross_check(monkeypatch, name, function):
    public = getattr(activations, f"{name}{function}")
    # the right numbers, returned in a new array: out is never written
    monkeypatch.setattr(activations, f"{name}{function}", lambda a, out=None: public(a))
    result = crosscheck.verify(table.ACTIVATION.name, max_examples=20, seed=0, profile="ci")
    if function:
        assert result.verdict == "disagree", result.summary()
        against, worst = result.report.worst()
        assert (against, worst.key) == ("autograd", "dx") and "NaN" in worst.problem
    else:       # the output left as x: wrong values, or refused by the derivative (relu's a < 0)
        assert result.verdict in ("disagree", "crash"), result.summary()
    # the first pinned example of that activation shows it
    first = next(i for i, c in enumerate(crosscheck.get(table.ACTIVATION.name).examples)
                 if c.options["activation"] == name)
    assert result.pinned == first and result.examples_to_failure == first + 1


def test_a_wrong_hand_written_derivative_fails_the_cross_check():
    # tanh's derivative written 1 - a instead of 1 - a**2: right only where a is 0
    def backward(params, cache, dout, *, input_grads=True):
        return {}, ((1 - cache.a) * dout if input_grads else None)

    result = crosscheck.verify(table.ACTIVATION.name, manual=vjp.manual_vjp(activation.forward, backward),
                               input_grads=True, max_examples=20, seed=0, profile="ci",
                               supports={"activation": ["tanh"]})
    assert result.verdict in ("disagree", "crash") and result.examples_to_failure <= 3, result.summary()


def test_the_layer_check_compares_dx_and_takes_finite_differences_of_x():
    model = crosscheck.get(table.ACTIVATION.name)
    assert model.input_grads == ("x",) and model.kind == "layer"
    tanh = next(c for c in model.examples if c.options["activation"] == "tanh")
    report = check_case(model, tanh)
    assert report.ok and set(report.autograd.reports) == {"loss", "dx"}
    assert report.numeric is not None and set(report.numeric.reports) == {"dx"}
    kink = next(c for c in model.examples if c.options["activation"] == "relu" and not np.all(c.args[0]))
    assert check_case(model, kink).numeric is None      # no differences across the kink


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_the_in_place_path_of_the_public_functions_is_checked_too(monkeypatch, name):
    # forward calls the activation with out=x itself (a copy of it): the path for an out that
    # overlaps its input. One that computes the answer but never copies it into out must be
    # caught: the output is then x (refused by relu's derivative, which needs a >= 0)
    def broken(fn, z, out):
        if np.may_share_memory(z, out):
            fn(z, None)
            return out
        return fn(z, out)
    monkeypatch.setattr(activations, "_apply", broken)
    result = crosscheck.verify(table.ACTIVATION.name, max_examples=20, seed=0, profile="ci",
                               supports={"activation": [name]})
    assert result.verdict in ("disagree", "crash") and result.examples_to_failure <= 3, result.summary()
