"""The seeds' published numbers and algorithms, reproduced by the library."""
import numpy as np
import pytest

import auto
import manual
from autograd import grad
from tests.helpers import seed000_params
from training import datasets


def test_as_soon_as_dataset_is_deterministic():
    x, y = datasets.as_soon_as()
    as_, soon = [1.0, 0.0], [0.0, 1.0]
    np.testing.assert_array_equal(x, [[as_, as_, soon], [soon, as_, as_], [as_, soon, as_]])
    np.testing.assert_array_equal(y, [[0.0], [0.0], [1.0]])
    assert x.shape == (3, 3, 2) and x.dtype == np.float64


def test_seed000_forward_prediction_and_loss():
    params = seed000_params()
    x, y = datasets.as_soon_as()            # x[0] is "as as soon", target 0
    logits, _ = manual.rnn.forward(params, x[:1])
    assert manual.losses.sigmoid(logits).item() == pytest.approx(0.57238818, abs=5e-9)
    value, _ = manual.rnn.loss_and_grads(params, x[:1], y[:1], loss="bce", reduction="sum")
    # The published 0.8495394526507959 is -log(1 - sigmoid(z)); we compute the same loss
    # as log(1 + e^z) - y z (stable for any z), which rounds differently in the last
    # place: a 2-ulp relative tolerance (4.4e-16) states exactly that.
    assert value == pytest.approx(0.8495394526507959, rel=4.5e-16, abs=0)
    assert auto.rnn.loss(params, x[:1], y[:1], loss="bce", reduction="sum") == pytest.approx(
        0.8495394526507959, rel=4.5e-16, abs=0)


def seed003_backprop(params, x, y, window=10):
    """Seed 003's ``forpass`` + ``backprop`` loop, with its one bug fixed (``w1h.T``).

    Many-to-one tanh RNN, sigmoid output, mean BCE over the batch; the error at the last
    step flows back through the last ``window`` steps only.
    """
    w1x, w1h, b1, w2, b2 = (params[k] for k in ("Wxh", "Whh", "bh", "Wy", "by"))
    m = len(x)
    hs = [np.zeros((m, w1h.shape[0]))]
    seq = np.swapaxes(x, 0, 1)
    for x_t in seq:
        hs.append(np.tanh(x_t @ w1x + hs[-1] @ w1h + b1))
    a = 1 / (1 + np.exp(-(hs[-1] @ w2 + b2)))
    err = -(y - a)
    grads = {"Wy": hs[-1].T @ err / m, "by": np.sum(err, axis=0) / m}
    w1h_grad = w1x_grad = b1_grad = 0
    err_to_cell = err @ w2.T * (1 - hs[-1] ** 2)
    for x_t, h in zip(seq[::-1][:window], hs[:-1][::-1][:window]):
        w1h_grad = w1h_grad + h.T @ err_to_cell
        w1x_grad = w1x_grad + x_t.T @ err_to_cell
        b1_grad = b1_grad + np.sum(err_to_cell, axis=0)
        err_to_cell = err_to_cell @ w1h.T * (1 - h ** 2)   # the seed has w1h: missing .T
    grads.update(Wxh=w1x_grad / m, Whh=w1h_grad / m, bh=b1_grad / m)
    return grads


def test_truncate_10_on_30_steps_is_seed003_algorithm_and_not_full_bptt():
    rng = np.random.default_rng(3)
    batch, steps, n_in, hidden = 4, 30, 5, 6
    params = manual.rnn.init_params(n_in, hidden, 1, rng=rng)
    params["Whh"] = rng.uniform(-0.6, 0.6, (hidden, hidden))   # non-symmetric, so .T matters
    params["bh"], params["by"] = rng.uniform(-0.5, 0.5, hidden), rng.uniform(-0.5, 0.5, 1)
    x = np.eye(n_in)[rng.integers(0, n_in, (batch, steps))]    # one-hot tokens
    y = rng.integers(0, 2, (batch, 1)).astype(float)
    expected = seed003_backprop(params, x, y)
    options = dict(loss="bce", output="last", reduction="mean")
    _, truncated = manual.rnn.loss_and_grads(params, x, y, truncate=10, **options)
    reference = grad(auto.rnn.loss)(params, x, y, truncate=10, **options)
    _, full = manual.rnn.loss_and_grads(params, x, y, **options)
    for key in params:
        # float64 sums of at most 30 * 6 terms of order 1: agreement to 1e-12 relative
        scale = np.abs(expected[key]).max()
        np.testing.assert_allclose(truncated[key], expected[key], rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(reference[key], expected[key], rtol=0, atol=1e-12 * scale)
    # the 20 earliest steps matter for full BPTT, so the recurrent gradients differ
    for key in ("Wxh", "Whh", "bh"):
        assert np.abs(full[key] - truncated[key]).max() > 1e-6 * np.abs(full[key]).max(), key
