import numpy as np
import pytest
from autograd import grad

import auto
import manual
from tests.helpers import small_rnn

rnn = manual.rnn


def test_init_params_shapes_orthogonal_whh_and_determinism():
    params = rnn.init_params(3, 5, 2, rng=4)
    assert {k: v.shape for k, v in params.items()} == {
        "Wxh": (3, 5), "Whh": (5, 5), "bh": (5,), "Wy": (5, 2), "by": (2,)}
    np.testing.assert_allclose(params["Whh"] @ params["Whh"].T, np.eye(5), atol=1e-12)
    assert not params["bh"].any() and not params["by"].any()
    limit = np.sqrt(6 / (3 + 5))                                       # Glorot uniform
    assert np.abs(params["Wxh"]).max() <= limit
    again = rnn.init_params(3, 5, 2, rng=4)
    assert all(np.array_equal(params[k], again[k]) for k in params)


def test_forward_is_the_seed_recurrence():
    params, x, _ = small_rnn()
    h = np.zeros((2, 4))
    outs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ params["Wxh"] + h @ params["Whh"] + params["bh"])
        outs.append(h @ params["Wy"] + params["by"])
    last, cache = rnn.forward(params, x)
    every, _ = rnn.forward(params, x, output="all")
    np.testing.assert_allclose(last, outs[-1], rtol=1e-14)
    np.testing.assert_allclose(every, np.stack(outs, axis=1), rtol=1e-14)
    np.testing.assert_allclose(cache.h_last, h, rtol=1e-14)
    assert isinstance(cache, rnn.RNNCache)


def test_chunks_carried_through_h_last_equal_one_long_sequence():
    params, x, _ = small_rnn(steps=9)
    whole, _ = rnn.forward(params, x, output="all")
    first, cache = rnn.forward(params, x[:, :4], output="all")
    second, _ = rnn.forward(params, x[:, 4:], output="all", h0=cache.h_last)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-14)


@pytest.mark.parametrize("output", ["last", "all"])
def test_truncate_at_least_time_gives_full_bptt_parameter_gradients(output):
    params, x, rng = small_rnn(steps=5)
    y = rng.uniform(0, 1, (2, 2) if output == "last" else (2, 5, 2))
    h0 = rng.standard_normal((2, 4))
    options = dict(loss="bce", output=output, h0=h0, return_input_grads=True)
    _, full, full_in = rnn.loss_and_grads(params, x, y, **options)
    for k in (5, 6, 50):
        _, grads, inputs = rnn.loss_and_grads(params, x, y, truncate=k, **options)
        for key in params:
            np.testing.assert_allclose(grads[key], full[key], rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(inputs["x"], full_in["x"], rtol=1e-13, atol=1e-16)
        # h_{t-k} is held constant: with k = T the last term stops at h_0
        if k > 5:
            np.testing.assert_allclose(inputs["h0"], full_in["h0"], rtol=1e-13, atol=1e-16)
    _, _, at_t = rnn.loss_and_grads(params, x, y, truncate=5, **options)
    if output == "last":
        assert not at_t["h0"].any()
    else:
        assert np.abs(at_t["h0"] - full_in["h0"]).max() > 1e-8


def test_truncate_window_reaches_exactly_k_steps_back():
    params, x, rng = small_rnn(steps=7)
    y = rng.uniform(0, 1, (2, 2))
    for k in (1, 3):
        _, _, inputs = rnn.loss_and_grads(params, x, y, loss="bce", truncate=k,
                                          return_input_grads=True)
        dx = inputs["x"]
        assert not dx[:, : 7 - k].any()                 # steps before the window: no gradient
        assert np.all(np.abs(dx[:, 7 - k:]).sum(axis=(0, 2)) > 0)


@pytest.mark.parametrize("output", ["last", "all"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("truncate", [None, 1, 3])
# With a window shorter than the sequence no loss term reaches h0 (many-to-one, or k = 1
# many-to-many): the loss is independent of h0 by design and autograd says so.
@pytest.mark.filterwarnings("ignore:Output seems independent of input:UserWarning")
def test_matches_autograd_with_h0(output, activation, truncate):
    params, x, rng = small_rnn()
    h0 = rng.standard_normal((2, 4))
    y = rng.integers(0, 2, (2,) if output == "last" else (2, 6))
    options = dict(loss="cross_entropy", output=output, truncate=truncate,
                   activation=activation, h0=h0)
    value, grads, inputs = rnn.loss_and_grads(params, x, y, return_input_grads=True, **options)
    assert value == pytest.approx(auto.rnn.loss(params, x, y, **options), rel=1e-14)
    ref = grad(auto.rnn.loss)(params, x, y, **options)
    ref_dx = grad(auto.rnn.loss, 1)(params, x, y, **options)
    ref_dh0 = grad(lambda h: auto.rnn.loss(params, x, y, **{**options, "h0": h}))(h0)
    for got, want in [*((grads[k], ref[k]) for k in params), (inputs["x"], ref_dx),
                      (inputs["h0"], ref_dh0)]:
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    reaches_h0 = truncate is None or (output == "all" and truncate > 1)
    assert np.any(inputs["h0"] != 0) == reaches_h0


def test_nonlinearity_is_the_deprecated_name_of_activation():
    params, x, rng = small_rnn()
    y = rng.uniform(0, 1, (2, 2))
    value, grads = rnn.loss_and_grads(params, x, y, loss="bce", activation="relu")
    with pytest.warns(DeprecationWarning, match="nonlinearity= is deprecated"):
        old_value, old_grads = rnn.loss_and_grads(params, x, y, loss="bce", nonlinearity="relu")
    assert old_value == value and all(np.array_equal(old_grads[k], grads[k]) for k in params)
    with pytest.raises(TypeError, match="nonlinearity= is the old name of activation="):
        rnn.loss_and_grads(params, x, y, loss="bce", activation="relu", nonlinearity="tanh")


def test_input_grads_name_h0_only_when_given():
    params, x, rng = small_rnn()
    _, _, inputs = rnn.loss_and_grads(params, x, rng.uniform(0, 1, (2, 2)), loss="bce",
                                      return_input_grads=True)
    assert set(inputs) == {"x"}


def test_backward_returns_dh0_of_batch_by_hidden():
    params, x, _ = small_rnn()
    logits, cache = rnn.forward(params, x, output="all")
    grads, dx, dh0 = rnn.backward(params, cache, np.ones_like(logits))
    assert list(grads) == list(params) and dx.shape == x.shape and dh0.shape == (2, 4)


BAD_CALLS = [
    (dict(x=np.zeros((2, 3))), ValueError, "x must be 3-D"),
    (dict(x=np.zeros((2, 6, 4))), ValueError, r"x must have shape \(batch, time, 3\)"),
    (dict(x=np.zeros((2, 0, 3))), ValueError, "time axis has length 0"),
    (dict(x=np.zeros((0, 6, 3))), ValueError, "batch axis has length 0"),
    (dict(x=np.full((2, 6, 3), np.nan)), ValueError, "x contains NaN or inf"),
    (dict(x=np.zeros((2, 6, 3), dtype=np.float32)), TypeError, "x has dtype float32"),
    (dict(h0=np.zeros((2, 3))), ValueError, r"h0 must have shape \(2, 4\)"),
    (dict(h0=np.zeros(4)), ValueError, r"h0 must have shape \(2, 4\)"),
    (dict(y=np.zeros((2, 6, 2))), ValueError, r"y must have shape \(2, 2\)"),
    (dict(output="all"), ValueError, r"y must have shape \(2, 6, 2\)"),
    (dict(loss="cross_entropy", y=np.array([0, 2])), ValueError, r"labels must lie in \[0, 2\)"),
    (dict(loss="cross_entropy", y=np.zeros((2, 2), dtype=int)), ValueError, r"y must have shape \(2,\)"),
    (dict(y=np.full((2, 2), 1.5)), ValueError, r"y must lie in \[0, 1\]"),
    (dict(truncate=0), ValueError, "truncate must be >= 1"),
    (dict(truncate=2.5), TypeError, "truncate must be an int"),
    (dict(output="first"), ValueError, "output must be one of 'last', 'all'"),
    (dict(activation="sigmoid"), ValueError, "activation must be one of 'tanh', 'relu'"),
    (dict(loss="hinge"), ValueError, "loss must be one of"),
    (dict(reduction="max"), ValueError, "reduction must be one of"),
]


@pytest.mark.parametrize("change, error, message", BAD_CALLS)
def test_bad_input_is_refused_with_a_clear_error(change, error, message):
    params, x, _ = small_rnn()
    call = dict(x=x, y=np.full((2, 2), 0.5), loss="bce", output="last", truncate=None, h0=None)
    call.update(change)
    with pytest.raises(error, match=message):
        rnn.loss_and_grads(params, **call)


@pytest.mark.parametrize("change, message", [
    (dict(x=np.zeros((2, 6, 4))), r"x must have shape \(batch, time, 3\)"),
    (dict(h0=np.zeros((2, 3))), r"h0 must have shape \(2, 4\)"),
    (dict(y=np.zeros((2, 6, 2))), r"y must have shape \(2, 2\)"),
    (dict(truncate=0), "truncate must be >= 1"),
    (dict(output="first"), "output must be one of"),
])
def test_auto_refuses_the_same_bad_input(change, message):
    params, x, _ = small_rnn()
    call = dict(x=x, y=np.full((2, 2), 0.5), loss="bce", output="last", truncate=None, h0=None)
    call.update(change)
    with pytest.raises(ValueError, match=message):
        auto.rnn.loss(params, **call)


def test_bad_params_and_dlogits():
    params, x, _ = small_rnn()
    with pytest.raises(ValueError, match=r"params\['Whh'\] must have shape \(4, 4\)"):
        rnn.forward({**params, "Whh": np.zeros((4, 3))}, x)
    with pytest.raises(ValueError, match="params must have keys"):
        rnn.forward({k: v for k, v in params.items() if k != "by"}, x)
    logits, cache = rnn.forward(params, x)
    with pytest.raises(ValueError, match=r"dlogits must have shape \(2, 2\)"):
        rnn.backward(params, cache, np.ones((2, 6, 2)))
