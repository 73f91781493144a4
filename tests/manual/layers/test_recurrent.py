import numpy as np
import pytest

from manual.layers import recurrent
from tests.helpers import small_rnn


def layer_case(steps=6):
    """The recurrent layer of the shared small RNN: n_in 3, H 4, batch 2."""
    params, x, rng = small_rnn(steps=steps)
    return {k: params[k] for k in ("Wxh", "Whh", "bh")}, x, rng


def test_output_is_every_state_of_the_seed_recurrence_batch_first():
    params, x, _ = layer_case()
    h, states = np.zeros((2, 4)), []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ params["Wxh"] + h @ params["Whh"] + params["bh"])
        states.append(h)
    out, cache = recurrent.forward(params, x)
    np.testing.assert_allclose(out, np.stack(states, axis=1), rtol=1e-14)
    np.testing.assert_allclose(cache.h_last, h, rtol=1e-14)


def test_chunks_carried_through_h_last_equal_one_long_sequence():
    params, x, _ = layer_case(steps=9)
    whole, _ = recurrent.forward(params, x, activation="relu")
    first, cache = recurrent.forward(params, x[:, :4], activation="relu")
    second, _ = recurrent.forward(params, x[:, 4:], h0=cache.h_last, activation="relu")
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-14)


@pytest.mark.parametrize("truncate", [None, 1, 3, 6, 8])
def test_dh_last_alone_is_dout_zero_but_at_the_last_state(truncate):
    params, x, rng = layer_case()
    h0 = rng.standard_normal((2, 4))
    _, cache = recurrent.forward(params, x, h0=h0)
    g = rng.standard_normal((2, 4))
    dout = np.zeros((2, 6, 4))
    dout[:, -1] = g
    last_only = recurrent.backward(params, cache, None, dh_last=g, truncate=truncate)
    every = recurrent.backward(params, cache, dout, truncate=truncate)
    for a, b in zip((last_only[0][k] for k in params), (every[0][k] for k in params)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(last_only[1], every[1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(last_only[2], every[2], rtol=1e-12, atol=1e-15)


def test_backward_is_pure_and_needs_an_upstream_gradient():
    params, x, rng = layer_case()
    _, cache = recurrent.forward(params, x)
    dout, g = rng.standard_normal((2, 6, 4)), rng.standard_normal((2, 4))
    before = dout.copy()
    first = recurrent.backward(params, cache, dout, dh_last=g, truncate=2)
    again = recurrent.backward(params, cache, dout, dh_last=g, truncate=2)
    assert np.array_equal(dout, before)
    assert all(np.array_equal(first[0][k], again[0][k]) for k in params)
    with pytest.raises(ValueError, match="give dout, dh_last or both; got neither"):
        recurrent.backward(params, cache, None)
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 6, 4\)"):
        recurrent.backward(params, cache, dout[:, :1])
    with pytest.raises(ValueError, match=r"dh_last must have shape \(2, 4\)"):
        recurrent.backward(params, cache, dout, dh_last=g[:1])


def test_input_grads_false_skips_dx_and_dh0_only():
    params, x, rng = layer_case()
    _, cache = recurrent.forward(params, x)
    dout = rng.standard_normal((2, 6, 4))
    grads, dx, dh0 = recurrent.backward(params, cache, dout, input_grads=False)
    full, _, _ = recurrent.backward(params, cache, dout)
    assert dx is None and dh0 is None
    assert all(np.array_equal(grads[k], full[k]) for k in params)
