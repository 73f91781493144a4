import numpy as np
import pytest

from manual.layers import gru

# float64 agreement of two orders of summation over a few steps: rounding only (about
# 1e-15 relative); 1e-12 leaves a wide margin and any real difference is far above it
TIGHT = dict(rtol=1e-12, atol=1e-14)


def layer_case(steps=6, batch=2, n_in=3, hidden=4, seed=0, dtype=np.float64):
    """GRU parameters of order 1 (non-zero biases, non-orthogonal Whh) and an input."""
    rng = np.random.default_rng(seed)
    params = {"Wxh": rng.uniform(-1, 1, (n_in, 3 * hidden)), "Whh": rng.uniform(-1, 1, (hidden, 3 * hidden)),
              "bxh": rng.uniform(-1, 1, 3 * hidden), "bhh": rng.uniform(-1, 1, 3 * hidden)}
    params = {k: v.astype(dtype) for k, v in params.items()}
    return params, rng.standard_normal((batch, steps, n_in)).astype(dtype), rng


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def assert_same(first, second, **tol):
    (g1, dx1, dh01), (g2, dx2, dh02) = first, second
    assert set(g1) == set(g2)
    for key in g1:
        np.testing.assert_allclose(g1[key], g2[key], err_msg=key, **(tol or TIGHT))
    np.testing.assert_allclose(dx1, dx2, **(tol or TIGHT))
    np.testing.assert_allclose(dh01, dh02, **(tol or TIGHT))


def test_output_is_every_state_of_pytorchs_recurrence_batch_first():
    params, x, rng = layer_case()
    H = 4
    h0 = rng.standard_normal((2, H))
    W_ir, W_iz, W_in = np.split(params["Wxh"], 3, axis=1)
    W_hr, W_hz, W_hn = np.split(params["Whh"], 3, axis=1)
    b_ir, b_iz, b_in = np.split(params["bxh"], 3)
    b_hr, b_hz, b_hn = np.split(params["bhh"], 3)
    h, states = h0, []
    for t in range(x.shape[1]):          # torch.nn.GRU's documented equations, row vectors
        r = sigmoid(x[:, t] @ W_ir + b_ir + h @ W_hr + b_hr)
        z = sigmoid(x[:, t] @ W_iz + b_iz + h @ W_hz + b_hz)
        n = np.tanh(x[:, t] @ W_in + b_in + r * (h @ W_hn + b_hn))
        h = (1 - z) * n + z * h
        states.append(h)
    out, cache = gru.forward(params, x, h0=h0)
    np.testing.assert_allclose(out, np.stack(states, axis=1), rtol=1e-13)
    np.testing.assert_allclose(cache.h_last, h, rtol=1e-13)
    assert np.array_equal(cache.state_at(0)["h"], h0) and np.array_equal(cache.state_at(3)["h"], out[:, 2])


def test_large_preactivations_give_no_overflow_warning():
    params, x, _ = layer_case()
    with np.errstate(over="raise", invalid="raise"):
        out, _ = gru.forward({k: 1000 * v for k, v in params.items()}, x)
    assert np.isfinite(out).all() and np.abs(out).max() <= 1


def test_chunks_carried_through_h_last_equal_one_long_sequence():
    params, x, _ = layer_case(steps=9)
    whole, _ = gru.forward(params, x)
    first, cache = gru.forward(params, x[:, :4])
    second, _ = gru.forward(params, x[:, 4:], h0=cache.h_last)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-14)


@pytest.mark.parametrize("truncate", [None, 1, 3, 6, 8])
def test_dh_last_alone_is_dout_zero_but_at_the_last_state(truncate):
    params, x, rng = layer_case()
    _, cache = gru.forward(params, x, h0=rng.standard_normal((2, 4)))
    g = rng.standard_normal((2, 4))
    dout = np.zeros((2, 6, 4))
    dout[:, -1] = g
    assert_same(gru.backward(params, cache, None, dh_last=g, truncate=truncate),
                gru.backward(params, cache, dout, truncate=truncate))


def test_a_window_of_at_least_t_steps_gives_the_full_bptt_gradients():
    params, x, rng = layer_case()
    _, cache = gru.forward(params, x, h0=rng.standard_normal((2, 4)))
    dout, g = rng.standard_normal((2, 6, 4)), rng.standard_normal((2, 4))
    full = gru.backward(params, cache, dout, dh_last=g)
    assert_same(gru.backward(params, cache, dout, dh_last=g, truncate=7), full)
    # a window of exactly T: the same parameter and input gradients, but the terms at h_T
    # (dout[:, -1] and dh_last) stop short of h0
    grads, dx, dh0 = gru.backward(params, cache, dout, dh_last=g, truncate=6)
    assert_same((grads, dx, full[2]), full)
    without_last = dout.copy()
    without_last[:, -1] = 0
    np.testing.assert_allclose(dh0, gru.backward(params, cache, without_last)[2], **TIGHT)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_truncation_is_each_terms_full_bptt_over_its_own_window(k):
    """The term at h_s under truncate=k is full BPTT over the chunk of steps s-k+1 .. s
    started from h_{s-k} (the state held constant): the sum of one backward per term."""
    params, x, rng = layer_case(steps=5)
    h0 = rng.standard_normal((2, 4))
    _, cache = gru.forward(params, x, h0=h0)
    dout = rng.standard_normal((2, 5, 4))
    grads = {key: np.zeros_like(v) for key, v in params.items()}
    dx, dh0 = np.zeros_like(x), np.zeros_like(h0)
    for s in range(1, 6):
        start = max(0, s - k)
        _, chunk = gru.forward(params, x[:, start:s], h0=cache.hs[start])
        g, dx_chunk, dh_start = gru.backward(params, chunk, None, dh_last=dout[:, s - 1])
        for key in grads:
            grads[key] += g[key]
        dx[:, start:s] += dx_chunk
        if s < k:                        # a window longer than s reaches h0
            dh0 += dh_start
    assert_same(gru.backward(params, cache, dout, truncate=k), (grads, dx, dh0))


def test_backward_is_pure_and_input_grads_false_skips_dx_and_dh0_only():
    params, x, rng = layer_case()
    _, cache = gru.forward(params, x)
    dout, g = rng.standard_normal((2, 6, 4)), rng.standard_normal((2, 4))
    before = dout.copy()
    first = gru.backward(params, cache, dout, dh_last=g, truncate=2)
    again = gru.backward(params, cache, dout, dh_last=g, truncate=2)
    assert np.array_equal(dout, before)
    assert all(np.array_equal(first[0][k], again[0][k]) for k in params)
    grads, dx, dh0 = gru.backward(params, cache, dout, dh_last=g, truncate=2, input_grads=False)
    assert dx is None and dh0 is None
    assert all(np.array_equal(grads[k], first[0][k]) for k in params)


def test_the_cell_interface_is_forward_and_backward_time_major():
    params, x, rng = layer_case()
    h0, dout, g = rng.standard_normal((2, 4)), rng.standard_normal((2, 6, 4)), rng.standard_normal((2, 4))
    out, cache = gru.forward(params, x, h0=h0)
    cell_out, cell_cache = gru._cell_forward(params, x, {"h": h0})
    np.testing.assert_array_equal(cell_out, out)
    grads, dx, dstate0 = gru._cell_backward(params, cell_cache, dout.transpose(1, 0, 2), {"h": g}, 3, True)
    assert gru.STATES == ("h",) and set(dstate0) == {"h"}
    assert_same((grads, dx, dstate0["h"]), gru.backward(params, cache, dout, dh_last=g, truncate=3))
    assert gru._cell_backward(params, cell_cache, None, {"h": g}, None, False)[1:] == (None, None)


def test_float32_stays_float32():
    params, x, rng = layer_case(dtype=np.float32)
    h0 = rng.standard_normal((2, 4)).astype(np.float32)
    out, cache = gru.forward(params, x, h0=h0)
    dout = rng.standard_normal((2, 6, 4)).astype(np.float32)
    for truncate in (None, 2):
        grads, dx, dh0 = gru.backward(params, cache, dout, dh_last=dout[:, 0], truncate=truncate)
        assert {a.dtype for a in (out, cache.hs, cache.gates, cache.ahn, dx, dh0, *grads.values())} \
            == {np.dtype(np.float32)}
    assert gru.forward(params, np.eye(3, dtype=np.int64)[[[0, 1], [2, 2]]])[0].dtype == np.float32


def test_init_params_glorot_input_orthogonal_recurrent_blocks_zero_biases():
    params = gru.init_params(5, 4, rng=0)
    assert {k: v.shape for k, v in params.items()} == {"Wxh": (5, 12), "Whh": (4, 12), "bxh": (12,), "bhh": (12,)}
    assert np.abs(params["Wxh"]).max() <= np.sqrt(6 / (5 + 12))
    for block in np.split(params["Whh"], 3, axis=1):
        np.testing.assert_allclose(block.T @ block, np.eye(4), atol=1e-12)
    assert not np.any(params["bxh"]) and not np.any(params["bhh"])
    again = gru.init_params(5, 4, rng=0)
    assert all(np.array_equal(params[k], again[k]) for k in params)
    assert gru.init_params(2, 3, rng=1, dtype=np.float32)["Whh"].dtype == np.float32
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        gru.init_params(2, 0)


def test_bad_input_is_refused_naming_the_argument():
    params, x, rng = layer_case()
    _, cache = gru.forward(params, x)
    dout = rng.standard_normal((2, 6, 4))
    with pytest.raises(ValueError, match=r"params\['Wxh'\] must be a 2-D \(n_in, 3H\) array.*got shape \(3, 13\)"):
        gru.forward({**params, "Wxh": np.zeros((3, 13))}, x)
    with pytest.raises(ValueError, match="params must have a key 'Wxh'"):
        gru.forward({k: v for k, v in params.items() if k != "Wxh"}, x)
    with pytest.raises(ValueError, match=r"params\['Whh'\] must have shape \(4, 12\)"):
        gru.forward({**params, "Whh": np.zeros((4, 4))}, x)
    with pytest.raises(ValueError, match=r"params\['bhh'\] must have shape \(12,\)"):
        gru.forward({**params, "bhh": np.zeros(4)}, x)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, 3\)"):
        gru.forward(params, x[..., :2])
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 4\)"):
        gru.forward(params, x, h0=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="give dout, dh_last or both; got neither"):
        gru.backward(params, cache, None)
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 6, 4\)"):
        gru.backward(params, cache, dout[:, :1])
    with pytest.raises(ValueError, match=r"dh_last must have shape \(2, 4\)"):
        gru.backward(params, cache, dout, dh_last=dout[:1, 0])
    with pytest.raises(ValueError, match="truncate must be >= 1"):
        gru.backward(params, cache, dout, truncate=0)


def test_the_bug_gallerys_gru_reference_without_a_bug_passes_the_cross_check():
    import crosscheck
    from crosscheck import vjp
    from crosscheck.zoo import gru_bugs
    reference = vjp.manual_vjp(gru.forward, gru_bugs.gru_reference, gru_bugs.INPUT_GRADS, gru_bugs.UPSTREAM)
    result = crosscheck.verify(gru_bugs.GRU, manual=reference, input_grads=True)
    assert result.ok, result.summary()
