import numpy as np
import pytest
from autograd import grad

import auto
import manual
from tests.helpers import small_mlp

mlp = manual.mlp


@pytest.mark.parametrize("sizes", [[3, 2], [3, 4, 2], [2, 5, 4, 3, 1]])
def test_init_params_keys_shapes_and_determinism(sizes):
    params = mlp.init_params(sizes, rng=7)
    n_layers = len(sizes) - 1
    assert list(params) == [k for i in range(n_layers) for k in (f"W{i}", f"b{i}")]
    for i in range(n_layers):
        assert params[f"W{i}"].shape == (sizes[i], sizes[i + 1])
        assert params[f"b{i}"].shape == (sizes[i + 1],) and not params[f"b{i}"].any()
    again = mlp.init_params(sizes, rng=7)
    assert all(np.array_equal(params[k], again[k]) for k in params)
    # seed 001's init: N(0, 0.003**2)
    assert np.std(mlp.init_params([200, 200], rng=1)["W0"]) == pytest.approx(0.003, rel=0.02)


def test_forward_backward_shapes_and_cache():
    params, x, _ = small_mlp((3, 4, 5, 2))
    out, cache = mlp.forward(params, x, activation="tanh")
    assert out.shape == (5, 2)
    assert isinstance(cache, mlp.MLPCache) and len(cache.layer_inputs) == 3
    grads, dx = mlp.backward(params, cache, np.ones_like(out))
    assert list(grads) == list(params) and dx.shape == x.shape
    assert all(grads[k].shape == params[k].shape for k in params)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_matches_autograd_including_dx(activation):
    params, x, rng = small_mlp((3, 4, 4, 2))
    y = rng.integers(0, 2, 5)
    value, grads, inputs = mlp.loss_and_grads(params, x, y, loss="cross_entropy",
                                              activation=activation, return_input_grads=True)
    options = dict(loss="cross_entropy", activation=activation)
    assert value == pytest.approx(auto.mlp.loss(params, x, y, **options), rel=1e-14)
    ref = grad(auto.mlp.loss)(params, x, y, **options)
    for key in params:
        np.testing.assert_allclose(grads[key], ref[key], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(inputs["x"], grad(auto.mlp.loss, 1)(params, x, y, **options),
                               rtol=1e-10, atol=1e-14)


def test_relu_kink_derivative_is_zero_at_exact_zero_on_both_sides():
    # zero input and zero bias put every hidden pre-activation at exactly 0
    params = {"W0": np.array([[1.0, -2.0]]), "b0": np.zeros(2),
              "W1": np.array([[1.0], [1.0]]), "b1": np.array([0.5])}
    x, y = np.zeros((3, 1)), np.ones((3, 1))
    _, grads, inputs = mlp.loss_and_grads(params, x, y, loss="mse", return_input_grads=True)
    ref = grad(auto.mlp.loss)(params, x, y, loss="mse")
    for key in ("W0", "b0"):
        assert not grads[key].any() and not ref[key].any(), key
    assert not inputs["x"].any() and not grad(auto.mlp.loss, 1)(params, x, y, loss="mse").any()
    # the output layer still learns: its bias gradient is 2 * mean(0.5 - 1)
    assert grads["b1"][0] == pytest.approx(-1.0) and ref["b1"][0] == pytest.approx(-1.0)


def test_float32_end_to_end():
    params, x, rng = small_mlp(dtype=np.float32)
    y = rng.standard_normal((5, 2)).astype(np.float32)
    value, grads = mlp.loss_and_grads(params, x, y, loss="mse", activation="tanh")
    assert value.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


def test_integer_inputs_are_cast_to_the_parameter_dtype():
    params, _, _ = small_mlp()
    x = np.eye(5, 3, dtype=np.int64)
    value, grads = mlp.loss_and_grads(params, x, np.zeros((5, 2)), loss="mse")
    ref, _ = mlp.loss_and_grads(params, x.astype(float), np.zeros((5, 2)), loss="mse")
    assert value == ref


PARAMS, X, _ = small_mlp()
Y = np.zeros((5, 2))
BAD_CALLS = {
    "x 1-D": (dict(x=X[0]), ValueError, r"x must be 2-D|x must have shape \(batch, 3\)"),
    "x features": (dict(x=X[:, :2]), ValueError, r"x must have shape \(batch, 3\).*W0"),
    "x empty": (dict(x=X[:0], y=Y[:0]), ValueError, "x is empty: its batch axis"),
    "x NaN": (dict(x=np.where(X > 0, np.nan, X)), ValueError, "x contains NaN or inf"),
    "x dtype": (dict(x=X.astype(np.float32)), TypeError, "x has dtype float32 but the parameters are float64"),
    "x strings": (dict(x=X.astype(str)), TypeError, "x must be a real array"),
    "y batch": (dict(y=Y[:4]), ValueError, r"y must have shape \(5, 2\)"),
    "y broadcast": (dict(y=np.zeros(2)), ValueError, r"y must have shape \(5, 2\)"),
    "labels range": (dict(y=np.array([0, 1, 2, 0, 1]), loss="cross_entropy"), ValueError,
                     r"labels must lie in \[0, 2\)"),
    "labels negative": (dict(y=np.array([0, -1, 0, 0, 1]), loss="cross_entropy"), ValueError,
                        r"labels must lie in \[0, 2\)"),
    "bce range": (dict(y=np.full((5, 2), 2.0), loss="bce"), ValueError, r"\[0, 1\]"),
    "params inf": (dict(params={**PARAMS, "b1": np.array([np.inf, 0.0])}), ValueError,
                   r"params\['b1'\] contains NaN or inf"),
    "params bias shape": (dict(params={**PARAMS, "b0": np.zeros(3)}), ValueError,
                          r"params\['b0'\] must have shape \(4,\)"),
    "params chain": (dict(params={**PARAMS, "W1": np.zeros((3, 2))}), ValueError,
                     r"params\['W1'\] must have shape \(4, 2\)"),
    "params missing": (dict(params={"W0": PARAMS["W0"], "b0": PARAMS["b0"], "W1": PARAMS["W1"]}),
                       ValueError, "params"),
    "params mixed dtype": (dict(params={**PARAMS, "b1": PARAMS["b1"].astype(np.float32)}), TypeError,
                           "params mix dtypes"),
    "unknown loss": (dict(loss="hinge"), ValueError, "loss must be one of 'bce', 'cross_entropy', 'mse'"),
    "unknown activation": (dict(activation="gelu"), ValueError, "activation must be one of"),
    "unknown reduction": (dict(reduction="avg"), ValueError, "reduction must be one of"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_input_is_refused_by_both_sides(name):
    changes, error, match = BAD_CALLS[name]
    call = dict(params=PARAMS, x=X, y=Y, loss="mse", activation="relu", reduction="mean")
    call.update(changes)
    params, x, y = call.pop("params"), call.pop("x"), call.pop("y")
    with pytest.raises(error, match=match):
        mlp.loss_and_grads(params, x, y, **call)
    if name in ("x NaN", "x dtype", "x strings", "params inf", "params bias shape",
                "params chain", "params missing", "params mixed dtype", "x empty"):
        return  # auto/ is the traced reference: it checks shapes, options and targets only
    with pytest.raises(error, match=match):
        auto.mlp.loss(params, x, y, **call)


@pytest.mark.parametrize("sizes, match", [([3], "at least 2 entries"), ([3, 0, 2], ">= 1"),
                                          ([3, 2.5], "must be an int")])
def test_init_params_bad_sizes(sizes, match):
    with pytest.raises((ValueError, TypeError), match=match):
        mlp.init_params(sizes)


def test_init_params_unknown_init():
    with pytest.raises(ValueError, match="init must be one of 'normal'"):
        mlp.init_params([2, 2], init="xavier")
