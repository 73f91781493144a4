"""Initializers of manual/init.py: shapes, dtypes, determinism, and their defining properties."""
import numpy as np
import pytest

from manual import init

RANDOM = ("normal", "glorot_uniform", "he_normal", "orthogonal")
SHAPES = ((3, 3), (2, 5), (7, 4), (1, 1))


@pytest.mark.parametrize("name", tuple(init.INITIALIZERS))
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", (np.float32, np.float64))
def test_shape_and_dtype(name, shape, dtype):
    w = init.get(name)(0, shape, dtype)
    assert w.shape == shape
    assert w.dtype == dtype
    assert np.all(np.isfinite(w))


@pytest.mark.parametrize("name", tuple(init.INITIALIZERS))
def test_default_dtype_is_float64(name):
    assert init.get(name)(0, (3, 2)).dtype == np.float64


@pytest.mark.parametrize("name", RANDOM)
def test_same_int_seed_gives_same_array(name):
    draw = init.get(name)
    np.testing.assert_array_equal(draw(1234, (4, 3)), draw(1234, (4, 3)))


@pytest.mark.parametrize("name", RANDOM)
def test_different_seeds_give_different_arrays(name):
    draw = init.get(name)
    assert not np.array_equal(draw(1, (4, 3)), draw(2, (4, 3)))


@pytest.mark.parametrize("name", RANDOM)
def test_generator_is_used_and_advanced(name):
    draw = init.get(name)
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    first_a, first_b = draw(a, (4, 3)), draw(b, (4, 3))
    np.testing.assert_array_equal(first_a, first_b)
    # the Generator's stream moves on: the next draw is new, and the same for both
    second_a, second_b = draw(a, (4, 3)), draw(b, (4, 3))
    assert not np.array_equal(first_a, second_a)
    np.testing.assert_array_equal(second_a, second_b)


@pytest.mark.parametrize("name", RANDOM)
def test_int_seed_equals_generator_from_that_seed(name):
    draw = init.get(name)
    np.testing.assert_array_equal(draw(99, (5, 2)), draw(np.random.default_rng(99), (5, 2)))


def test_zeros_ignores_rng():
    np.testing.assert_array_equal(init.zeros(None, (2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(init.zeros(5, (4,)), np.zeros(4))


@pytest.mark.parametrize("shape", ((2, 3), (30, 10), (100, 100), (1, 50)))
def test_glorot_uniform_within_bounds(shape):
    limit = np.sqrt(6.0 / (shape[0] + shape[-1]))
    w = init.glorot_uniform(0, shape)
    assert np.all(np.abs(w) <= limit)


def test_glorot_uniform_fills_its_interval():
    shape = (200, 300)
    limit = np.sqrt(6.0 / 500)
    w = init.glorot_uniform(3, shape)
    assert w.max() > 0.99 * limit and w.min() < -0.99 * limit
    # variance of U(-a, a) is a**2 / 3 = 2 / (fan_in + fan_out)
    assert w.var() == pytest.approx(2.0 / 500, rel=0.02)
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize("shape", ((3, 3), (32, 32), (7, 4), (4, 7), (1, 5), (5, 1)))
@pytest.mark.parametrize("dtype,tol", ((np.float64, 1e-12), (np.float32, 1e-5)))
def test_orthogonal_rows_or_columns_are_orthonormal(shape, dtype, tol):
    q = init.orthogonal(11, shape, dtype)
    rows, cols = shape
    gram = q.T @ q if rows >= cols else q @ q.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=tol)


def test_orthogonal_square_preserves_norms():
    q = init.orthogonal(0, (16, 16))
    v = np.random.default_rng(1).standard_normal((5, 16))
    np.testing.assert_allclose(np.linalg.norm(v @ q, axis=1), np.linalg.norm(v, axis=1))
    np.testing.assert_allclose(np.abs(np.linalg.det(q)), 1.0)


def test_orthogonal_is_not_biased_to_positive_diagonal():
    # the sign correction makes Q uniform (Haar) rather than leaning on QR's sign convention
    diagonals = np.array([np.diag(init.orthogonal(s, (4, 4))) for s in range(200)])
    frac_negative = (diagonals < 0).mean()
    assert 0.35 < frac_negative < 0.65


def test_he_normal_scale():
    fan_in = 400
    w = init.he_normal(0, (fan_in, 300))
    assert w.std() == pytest.approx(np.sqrt(2.0 / fan_in), rel=0.02)
    assert abs(w.mean()) < 0.01 * np.sqrt(2.0 / fan_in)


def test_normal_is_seed001_scale():
    w = init.normal(0, (300, 300))
    assert init.SEED001_STD == 0.003
    assert w.std() == pytest.approx(0.003, rel=0.02)
    assert init.normal(0, (300, 300), std=0.5).std() == pytest.approx(0.5, rel=0.02)


def test_get_unknown_name_raises_naming_the_argument():
    with pytest.raises(ValueError, match="init must be one of"):
        init.get("xavier")
