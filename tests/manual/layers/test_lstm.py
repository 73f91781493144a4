import numpy as np
import pytest

import auto.layers.lstm as auto_lstm
from manual.layers import lstm
from tests.helpers import no_float_warnings

N_IN, H, BATCH = 3, 4, 2


def layer_case(steps=6, seed=0, dtype=np.float64):
    """LSTM parameters of order 1 (every bias non-zero, Whh not orthogonal), x, h0, c0."""
    rng = np.random.default_rng(seed)
    params = {"Wxh": rng.uniform(-1, 1, (N_IN, 4 * H)), "Whh": rng.uniform(-0.7, 0.7, (H, 4 * H)),
              "bh": rng.uniform(-0.5, 0.5, 4 * H)}
    params = {k: v.astype(dtype) for k, v in params.items()}
    x = rng.standard_normal((BATCH, steps, N_IN)).astype(dtype)
    h0, c0 = (rng.standard_normal((BATCH, H)).astype(dtype) for _ in range(2))
    return params, x, h0, c0, rng


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_output_is_every_hidden_state_with_gates_in_pytorch_order():
    params, x, h0, c0, _ = layer_case()
    h, c, states = h0, c0, []
    for t in range(x.shape[1]):
        a = x[:, t] @ params["Wxh"] + h @ params["Whh"] + params["bh"]
        i, f, g, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        states.append(h)
    out, cache = lstm.forward(params, x, h0=h0, c0=c0)
    np.testing.assert_allclose(out, np.stack(states, axis=1), rtol=1e-13)
    np.testing.assert_allclose(cache.h_last, h, rtol=1e-13)
    np.testing.assert_allclose(cache.c_last, c, rtol=1e-13)
    assert set(cache.state_at(0)) == {"h", "c"} == set(lstm.STATES)
    np.testing.assert_array_equal(cache.state_at(0)["c"], c0)
    np.testing.assert_array_equal(cache.state_at(6)["h"], cache.h_last)


def test_missing_initial_states_are_zeros():
    params, x, h0, c0, _ = layer_case()
    zeros = np.zeros((BATCH, H))
    np.testing.assert_array_equal(lstm.forward(params, x)[0], lstm.forward(params, x, h0=zeros, c0=zeros)[0])
    np.testing.assert_array_equal(lstm.forward(params, x, c0=c0)[0],
                                  lstm.forward(params, x, h0=zeros, c0=c0)[0])


def test_chunks_carried_through_h_last_and_c_last_equal_one_long_sequence():
    params, x, h0, c0, _ = layer_case(steps=9)
    whole, _ = lstm.forward(params, x, h0=h0, c0=c0)
    first, cache = lstm.forward(params, x[:, :4], h0=h0, c0=c0)
    second, _ = lstm.forward(params, x[:, 4:], h0=cache.h_last, c0=cache.c_last)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-14)


def test_sigmoid_never_overflows_and_saturates_exactly():
    # pre-activations of +-1000 (exp(1000) overflows): the sigmoid gates are exactly 0 or 1
    params, x, h0, c0, _ = layer_case()
    params = {**params, "Wxh": np.zeros_like(params["Wxh"]),
              "bh": np.where(np.arange(4 * H) % 2, 1e3, -1e3)}
    with no_float_warnings():
        out, cache = lstm.forward(params, x, c0=c0)
        lstm.backward(params, cache, np.ones_like(out), dc_last=np.ones_like(c0))
    gates = cache.gates[..., np.r_[0:2 * H, 3 * H:4 * H]]
    np.testing.assert_array_equal(gates, np.broadcast_to(np.arange(3 * H) % 2, gates.shape))


def _grads(params, cache, *upstream, **options):
    grads, dx, dh0, dc0 = lstm.backward(params, cache, *upstream, **options)
    return [grads[k] for k in ("Wxh", "Whh", "bh")] + [dx, dh0, dc0]


def _assert_same(a, b):
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("upstream", ["dout", "last"])
def test_a_window_longer_than_the_sequence_is_full_bptt(upstream):
    params, x, h0, c0, rng = layer_case()
    _, cache = lstm.forward(params, x, h0=h0, c0=c0)
    dout = rng.standard_normal((BATCH, 6, H)) if upstream == "dout" else None
    last = dict(dh_last=rng.standard_normal((BATCH, H)), dc_last=rng.standard_normal((BATCH, H)))
    full = _grads(params, cache, dout, **last)
    for k in (7, 50):
        _assert_same(_grads(params, cache, dout, **last, truncate=k), full)


def test_a_window_of_exactly_t_steps_holds_h0_and_c0_constant_for_the_last_state_gradient():
    params, x, h0, c0, rng = layer_case()
    _, cache = lstm.forward(params, x, h0=h0, c0=c0)
    last = dict(dh_last=rng.standard_normal((BATCH, H)), dc_last=rng.standard_normal((BATCH, H)))
    full, window = _grads(params, cache, None, **last), _grads(params, cache, None, **last, truncate=6)
    _assert_same(window[:4], full[:4])                    # every step is inside the window
    assert np.abs(full[4:]).min() > 0 and not window[4].any() and not window[5].any()


@pytest.mark.parametrize("truncate", [1, 3])
def test_a_short_window_reaches_only_its_last_steps(truncate):
    params, x, h0, c0, rng = layer_case()
    _, cache = lstm.forward(params, x, h0=h0, c0=c0)
    dx = _grads(params, cache, None, dc_last=rng.standard_normal((BATCH, H)), truncate=truncate)[3]
    assert not dx[:, :6 - truncate].any() and np.abs(dx[:, 6 - truncate:]).min() > 0


@pytest.mark.parametrize("truncate", [None, 1, 3, 6, 8])
def test_dh_last_alone_is_dout_zero_but_at_the_last_state(truncate):
    params, x, h0, c0, rng = layer_case()
    _, cache = lstm.forward(params, x, h0=h0, c0=c0)
    g, dc = rng.standard_normal((BATCH, H)), rng.standard_normal((BATCH, H))
    dout = np.zeros((BATCH, 6, H))
    dout[:, -1] = g
    _assert_same(_grads(params, cache, None, dh_last=g, dc_last=dc, truncate=truncate),
                 _grads(params, cache, dout, dc_last=dc, truncate=truncate))


@pytest.mark.parametrize("truncate", [None, 2, 6])
def test_the_backward_pass_is_linear_in_the_upstream_gradients(truncate):
    # the window bookkeeping carries each term on its own: their sum must be the whole
    params, x, h0, c0, rng = layer_case()
    _, cache = lstm.forward(params, x, h0=h0, c0=c0)
    dout, dh, dc = rng.standard_normal((BATCH, 6, H)), rng.standard_normal((BATCH, H)), rng.standard_normal((BATCH, H))
    parts = [_grads(params, cache, dout, truncate=truncate),
             _grads(params, cache, None, dh_last=dh, truncate=truncate),
             _grads(params, cache, None, dc_last=dc, truncate=truncate)]
    whole = _grads(params, cache, dout, dh_last=dh, dc_last=dc, truncate=truncate)
    _assert_same([a + b + c for a, b, c in zip(*parts)], whole)


def test_the_cell_interface_is_forward_and_backward_with_dict_states():
    params, x, h0, c0, rng = layer_case()
    out, cache = lstm._cell_forward(params, x, {"h": h0, "c": c0})
    np.testing.assert_array_equal(out, lstm.forward(params, x, h0=h0, c0=c0)[0])
    dout, dc = rng.standard_normal((BATCH, 6, H)), rng.standard_normal((BATCH, H))
    grads, dx, dstate0 = lstm._cell_backward(params, cache, dout.transpose(1, 0, 2),
                                             {"h": None, "c": dc}, 2, True)
    _assert_same([grads[k] for k in params] + [dx, dstate0["h"], dstate0["c"]],
                 _grads(params, cache, dout, dc_last=dc, truncate=2))


def test_the_autograd_twin_returns_the_last_state_as_the_cache_holds_it():
    params, x, h0, c0, _ = layer_case()
    out, last = auto_lstm.forward(params, x, h0=h0, c0=c0, return_last=True)
    ours, cache = lstm.forward(params, x, h0=h0, c0=c0)
    np.testing.assert_allclose(out, ours, rtol=1e-13)
    np.testing.assert_allclose(last["h"], cache.h_last, rtol=1e-13)
    np.testing.assert_allclose(last["c"], cache.c_last, rtol=1e-13)
    assert auto_lstm.STATES == lstm.STATES
    state = auto_lstm.cell()(params, x[:, 0], auto_lstm.initial(params, x))
    np.testing.assert_allclose(state["c"], lstm.forward(params, x[:, :1])[1].c_last, rtol=1e-13)


def test_backward_is_pure_and_needs_an_upstream_gradient():
    params, x, h0, c0, rng = layer_case()
    _, cache = lstm.forward(params, x)
    dout, g = rng.standard_normal((BATCH, 6, H)), rng.standard_normal((BATCH, H))
    before, cached = dout.copy(), [a.copy() for a in cache]
    first = _grads(params, cache, dout, dh_last=g, dc_last=g, truncate=2)
    again = _grads(params, cache, dout, dh_last=g, dc_last=g, truncate=2)
    assert np.array_equal(dout, before) and all(np.array_equal(a, b) for a, b in zip(cache, cached))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    with pytest.raises(ValueError, match="give dout, dh_last, dc_last or several of them; got none"):
        lstm.backward(params, cache, None)
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 6, 4\)"):
        lstm.backward(params, cache, dout[:, :1])
    with pytest.raises(ValueError, match=r"dc_last must have shape \(2, 4\)"):
        lstm.backward(params, cache, dout, dc_last=g[:1])
    with pytest.raises(ValueError, match="truncate must be >= 1"):
        lstm.backward(params, cache, dout, truncate=0)


def test_bad_inputs_are_named():
    params, x, h0, c0, _ = layer_case()
    with pytest.raises(ValueError, match=r"params\['Wxh'\] must be a 2-D \(n_in, 4H\) array"):
        lstm.forward({**params, "Wxh": params["Wxh"][:, :-1]}, x)
    with pytest.raises(ValueError, match=r"params\['Whh'\] must have shape \(4, 16\)"):
        lstm.forward({**params, "Whh": params["Whh"][:, :4]}, x)
    with pytest.raises(ValueError, match=r"c0 must have shape \(2, 4\)"):
        lstm.forward(params, x, c0=c0[:1])
    with pytest.raises(TypeError, match="c0 has dtype float32 but the parameters are float64"):
        lstm.forward(params, x, c0=c0.astype(np.float32))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, 3\)"):
        lstm.forward(params, x[..., :2])
    for side in (lstm.forward, auto_lstm.forward):
        with pytest.raises(ValueError, match="h0 contains NaN or inf"):
            side(params, x, h0=np.full_like(h0, np.nan))


def test_input_grads_false_skips_dx_dh0_and_dc0_only():
    params, x, h0, c0, rng = layer_case()
    _, cache = lstm.forward(params, x, h0=h0, c0=c0)
    dout = rng.standard_normal((BATCH, 6, H))
    grads, dx, dh0, dc0 = lstm.backward(params, cache, dout, truncate=3, input_grads=False)
    full = lstm.backward(params, cache, dout, truncate=3)[0]
    assert dx is None and dh0 is None and dc0 is None
    assert all(np.array_equal(grads[k], full[k]) for k in params)


def test_float32_stays_float32():
    params, x, h0, c0, rng = layer_case(dtype=np.float32)
    out, cache = lstm.forward(params, x, h0=h0, c0=c0)
    grads, dx, dh0, dc0 = lstm.backward(params, cache, np.ones_like(out), dc_last=c0, truncate=2)
    assert {a.dtype for a in [out, cache.c_last, dx, dh0, dc0, *grads.values()]} == {np.dtype(np.float32)}


def test_init_params_glorot_orthogonal_blocks_and_forget_bias():
    params = lstm.init_params(5, 3, rng=0)
    assert {k: v.shape for k, v in params.items()} == {"Wxh": (5, 12), "Whh": (3, 12), "bh": (12,)}
    assert np.abs(params["Wxh"]).max() <= np.sqrt(6 / (5 + 12))
    for k in range(4):
        block = params["Whh"][:, 3 * k:3 * (k + 1)]
        np.testing.assert_allclose(block @ block.T, np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(params["bh"], np.r_[np.zeros(3), np.ones(3), np.zeros(6)])
    assert not lstm.init_params(5, 3, rng=0, forget_bias=0.0)["bh"].any()
    assert lstm.init_params(2, 2, rng=1, dtype=np.float32)["Whh"].dtype == np.float32
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        lstm.init_params(2, 0)


def test_the_bug_gallerys_reference_backward_without_a_bug_passes():
    import crosscheck
    from crosscheck.zoo import lstm_bugs
    from modelspec import table
    result = crosscheck.verify(table.LSTM.name, manual=lstm_bugs.REFERENCE, input_grads=True)
    assert result.ok, result.summary()
