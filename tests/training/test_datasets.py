"""training/datasets.py: the seeds' toy task, the token-order sequence task, Friedman #1."""
import numpy as np
import pytest

from training import datasets


def test_as_soon_as_fixed_order_and_targets():
    x, y = datasets.as_soon_as()
    assert x.shape == (3, 3, 2) and x.dtype == np.float64
    np.testing.assert_array_equal(x[0], [[1, 0], [1, 0], [0, 1]])  # as as soon
    np.testing.assert_array_equal(x[1], [[0, 1], [1, 0], [1, 0]])  # soon as as
    np.testing.assert_array_equal(x[2], [[1, 0], [0, 1], [1, 0]])  # as soon as
    np.testing.assert_array_equal(y, [[0.0], [0.0], [1.0]])


# -------------------------------------------------------------------------- token_order

def test_token_order_shapes_and_one_hot():
    x, y = datasets.token_order(200, length=30, vocab_size=8, seed=1)
    assert x.shape == (200, 30, 8) and x.dtype == np.float64
    assert y.shape == (200,) and y.dtype == np.int64
    assert set(np.unique(x)) == {0.0, 1.0}
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)


def test_token_order_tokens_match_one_hot():
    x, _ = datasets.token_order(50, seed=3)
    tokens, _ = datasets.token_order(50, seed=3, one_hot_x=False)
    assert tokens.shape == (50, 30) and tokens.dtype == np.int64
    np.testing.assert_array_equal(datasets.one_hot(tokens, 8), x)


@pytest.mark.parametrize("length,window,vocab_size", ((30, 8, 8), (12, 12, 3), (5, 2, 4)))
def test_token_order_label_is_a_before_b_in_the_window(length, window, vocab_size):
    tokens, y = datasets.token_order(300, length=length, window=window, vocab_size=vocab_size,
                                     seed=0, one_hot_x=False)
    a = tokens == datasets.ORDER_TOKEN_A
    b = tokens == datasets.ORDER_TOKEN_B
    np.testing.assert_array_equal(a.sum(axis=1), 1)
    np.testing.assert_array_equal(b.sum(axis=1), 1)
    pos_a, pos_b = a.argmax(axis=1), b.argmax(axis=1)
    assert pos_a.max() < window and pos_b.max() < window
    np.testing.assert_array_equal(y, (pos_a < pos_b).astype(np.int64))
    fillers = tokens[~(a | b)]
    assert fillers.min() >= 2 and fillers.max() < vocab_size


def test_token_order_decisive_steps_lie_outside_seed003_truncation_window():
    tokens, _ = datasets.token_order(500, seed=0, one_hot_x=False)
    decisive = np.isin(tokens, (datasets.ORDER_TOKEN_A, datasets.ORDER_TOKEN_B))
    assert not decisive[:, -10:].any()


def test_token_order_balanced_and_varied():
    tokens, y = datasets.token_order(2000, seed=0, one_hot_x=False)
    assert 0.45 < y.mean() < 0.55
    assert len({row.tobytes() for row in tokens}) == 2000
    # every position of the window is used by A and by B
    assert set((tokens == 0).argmax(axis=1)) == set(range(8))
    assert set((tokens == 1).argmax(axis=1)) == set(range(8))


def test_token_order_deterministic_from_seed():
    x1, y1 = datasets.token_order(100, seed=7)
    x2, y2 = datasets.token_order(100, seed=7)
    x3, _ = datasets.token_order(100, seed=8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("kwargs,exc,match", (
    ({"n_samples": 0}, ValueError, "n_samples must be >= 1"),
    ({"n_samples": 10.0}, TypeError, "n_samples must be an int"),
    ({"vocab_size": 2}, ValueError, "vocab_size must be >= 3"),
    ({"window": 1}, ValueError, "window must be >= 2"),
    ({"window": 31}, ValueError, r"window must be <= length \(30\)"),
    ({"length": 1}, ValueError, "length must be >= 2"),
))
def test_token_order_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        datasets.token_order(**kwargs)


def test_one_hot_bad_tokens():
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, 3\)"):
        datasets.one_hot(np.array([0, 3]), 3)
    with pytest.raises(TypeError, match="tokens must be integers"):
        datasets.one_hot(np.array([0.0, 1.0]), 3)


# ---------------------------------------------------------------------------- friedman1

def test_friedman1_formula_without_noise():
    x, y = datasets.friedman1(300, n_features=7, seed=2)
    assert x.shape == (300, 7) and y.shape == (300,)
    assert x.min() >= 0 and x.max() < 1
    expected = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2
                + 10 * x[:, 3] + 5 * x[:, 4])
    np.testing.assert_allclose(y, expected)
    assert 0 <= y.min() and y.max() <= 30


def test_friedman1_noise_and_determinism():
    x1, y1 = datasets.friedman1(200, noise=1.0, seed=4)
    x2, y2 = datasets.friedman1(200, noise=1.0, seed=4)
    x3, y3 = datasets.friedman1(200, noise=0.0, seed=4)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(x1, x3)  # the noise is drawn after x
    assert 0.8 < np.std(y1 - y3) < 1.2


@pytest.mark.parametrize("kwargs,exc,match", (
    ({"n_features": 4}, ValueError, "n_features must be >= 5"),
    ({"noise": -1.0}, ValueError, "noise must be finite and >= 0"),
    ({"noise": float("nan")}, ValueError, "noise must be finite and >= 0"),
    ({"noise": "high"}, TypeError, "noise must be a real number"),
    ({"n_samples": 0}, ValueError, "n_samples must be >= 1"),
))
def test_friedman1_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        datasets.friedman1(**kwargs)
