import numpy as np
import pytest

from manual.layers import linear


def test_2d_input_is_seed_001s_layer():
    rng = np.random.default_rng(1)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    out, cache = linear.forward(params, x)
    np.testing.assert_allclose(out, x @ params["W"] + params["b"], rtol=1e-14)
    grads, dx = linear.backward(params, cache, dout)
    # seed 001: G_w = x.T @ G, G_b = sum(G, axis=0), G_x = G @ w.T
    np.testing.assert_allclose(grads["W"], x.T @ dout, rtol=1e-14)
    np.testing.assert_allclose(grads["b"], dout.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(dx, dout @ params["W"].T, rtol=1e-14)
    assert linear.backward(params, cache, dout, input_grads=False)[1] is None


def test_linear_over_leading_axes_is_one_gemm_per_gradient():
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    x, dout = rng.standard_normal((4, 5, 3)), rng.standard_normal((4, 5, 2))
    out, cache = linear.forward(params, x)
    np.testing.assert_allclose(out, np.einsum("bti,io->bto", x, params["W"]) + params["b"], rtol=1e-14)
    grads, dx = linear.backward(params, cache, dout)
    np.testing.assert_allclose(grads["W"], np.einsum("bti,bto->io", x, dout), rtol=1e-13)
    np.testing.assert_allclose(grads["b"], dout.sum(axis=(0, 1)), rtol=1e-13)
    np.testing.assert_allclose(dx, dout @ params["W"].T, rtol=1e-13)
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 5, 2\)"):
        linear.backward(params, cache, dout[:, :, :1])
