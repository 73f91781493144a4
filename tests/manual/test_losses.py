import numpy as np
import pytest
from autograd import grad

import auto
import manual
from crosscheck import numeric_grad
from tests.helpers import no_float_warnings

L = manual.losses
LOSS_CASES = {
    "bce": (np.array([[0.0, 2.0], [-1.0, 3.0]]), np.array([[1.0, 0.0], [0.5, 1.0]])),
    "cross_entropy": (np.array([[0.0, 2.0, -1.0], [1.0, 1.0, 1.0]]), np.array([2, 0])),
    "mse": (np.array([[0.5, 2.0], [-1.0, 3.0]]), np.array([[1.0, 0.0], [0.5, 1.0]])),
}


def test_closed_forms():
    assert L.binary_cross_entropy(np.zeros((3, 1)), np.ones((3, 1)))[0] == pytest.approx(np.log(2))
    assert L.softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))[0] == pytest.approx(np.log(4))
    value, dpred = L.mean_squared_error(np.array([[3.0]]), np.array([[1.0]]))
    assert value == 4.0 and dpred[0, 0] == 4.0


@pytest.mark.parametrize("name", list(LOSS_CASES))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_matches_finite_differences_and_autograd(name, reduction):
    logits, y = LOSS_CASES[name]
    value, dlogits = L.loss_and_grad(name, logits, y, reduction)
    fd = numeric_grad(lambda p: L.loss_and_grad(name, p["z"], y, reduction), {"z": logits})["z"]
    np.testing.assert_allclose(dlogits, fd, rtol=1e-6, atol=1e-9)
    assert value == pytest.approx(auto.losses.loss(name, logits, y, reduction), rel=1e-14)
    np.testing.assert_allclose(dlogits, grad(auto.losses.loss, 1)(name, logits, y, reduction),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_mean_is_sum_over_number_of_terms(name):
    logits, y = LOSS_CASES[name]
    n_terms = y.size if name == "cross_entropy" else logits.size
    mean, dmean = L.loss_and_grad(name, logits, y, "mean")
    total, dsum = L.loss_and_grad(name, logits, y, "sum")
    assert total == pytest.approx(mean * n_terms)
    np.testing.assert_allclose(dsum, dmean * n_terms)


@pytest.mark.parametrize("name", ["bce", "cross_entropy"])
def test_stable_at_huge_logits(name):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]])
    y = np.array([1, 2]) if name == "cross_entropy" else np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0]])
    with no_float_warnings():
        value, dlogits = L.loss_and_grad(name, logits, y)
        auto_value = auto.losses.loss(name, logits, y)
        auto_grad = grad(auto.losses.loss, 1)(name, logits, y)
    assert np.isfinite(value) and np.all(np.isfinite(dlogits))
    assert value == pytest.approx(auto_value, rel=1e-12)
    np.testing.assert_allclose(dlogits, auto_grad, atol=1e-15)
    # a confidently wrong logit of 1e4 costs about 1e4 (no log(0) = inf)
    assert 1e3 < value < 1e5


def test_float32_stays_float32():
    logits = np.array([[0.5, -2.0]], dtype=np.float32)
    for name, y in [("bce", np.array([[1.0, 0.0]], np.float32)), ("cross_entropy", np.array([1])),
                    ("mse", np.array([[1.0, 0.0]], np.float32))]:
        value, dlogits = L.loss_and_grad(name, logits, y)
        assert value.dtype == np.float32 and dlogits.dtype == np.float32, name


@pytest.mark.parametrize("call, match", [
    (lambda: L.binary_cross_entropy(np.zeros((2, 1)), np.zeros(2)), r"y must have shape \(2, 1\)"),
    (lambda: L.binary_cross_entropy(np.zeros((2, 1)), np.full((2, 1), 1.5)), r"y must lie in \[0, 1\]"),
    (lambda: L.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])), r"labels must lie in \[0, 3\)"),
    (lambda: L.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), "integer class labels"),
    (lambda: L.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])), r"labels must have shape \(2,\)"),
    (lambda: L.mean_squared_error(np.array([[np.nan]]), np.zeros((1, 1))), "pred contains NaN"),
    (lambda: L.mean_squared_error(np.zeros((1, 1)), np.array([[np.inf]])), "y contains NaN or inf"),
    (lambda: L.mean_squared_error(np.zeros((0, 1)), np.zeros((0, 1))), "pred is empty"),
    (lambda: L.mean_squared_error(np.zeros((1, 1)), np.zeros((1, 1)), "avg"), "reduction must be one of"),
    (lambda: L.loss_and_grad("hinge", np.zeros((1, 1)), np.zeros((1, 1))), "loss must be one of"),
])
def test_bad_input_is_refused_with_a_clear_message(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_string_logits_are_a_type_error():
    with pytest.raises(TypeError, match="pred must be a real array"):
        L.mean_squared_error(np.array([["a"]]), np.zeros((1, 1)))
