"""The sequence network: the seeds' RNN as its simplest case, the embedding as a lookup in
front of the stack, the many-to-one head reading each direction's final state, and its
contract. Its gradients against autograd come from the catalog; PyTorch in
tests/test_torch_stack.py."""
import numpy as np
import pytest

import manual
from manual import seqnet
from modelspec import table

RNN_KEYS = {"Wxh_l0": "Wxh", "Whh_l0": "Whh", "bh_l0": "bh", "Wy": "Wy", "by": "by"}


def _params(layers=1, bidirectional=False, vocab=None, cell=table.RECURRENT.name, seed=0):
    params = seqnet.init_params(3, 4, 2, layers, cell=cell, bidirectional=bidirectional, vocab=vocab, rng=seed)
    rng = np.random.default_rng(seed + 1)
    return {k: v + 0.2 * rng.standard_normal(v.shape) for k, v in params.items()}


@pytest.mark.parametrize("options", [
    dict(loss="bce", output="last", truncate=None),
    dict(loss="cross_entropy", output="all", truncate=2, reduction="sum"),
    dict(loss="mse", output="last", truncate=3, activation="relu"),
])
def test_one_vanilla_layer_is_the_seeds_rnn(options):
    rng = np.random.default_rng(0)
    params = _params()
    x, h0 = rng.standard_normal((3, 5, 3)), rng.standard_normal((1, 3, 4))
    shape = (3, 2) if options["output"] == "last" else (3, 5, 2)
    y = rng.integers(0, 2, shape[:-1]) if options["loss"] == "cross_entropy" else rng.uniform(0, 1, shape)
    value, grads, inputs = seqnet.loss_and_grads(params, x, y, h0=h0, return_input_grads=True, **options)
    rnn_params = {RNN_KEYS[k]: v for k, v in params.items()}
    rnn_value, rnn_grads, rnn_inputs = manual.rnn.loss_and_grads(rnn_params, x, y, h0=h0[0],
                                                                 return_input_grads=True, **options)
    assert value == pytest.approx(rnn_value, rel=1e-14)
    for key, name in RNN_KEYS.items():
        np.testing.assert_allclose(grads[key], rnn_grads[name], rtol=1e-12)
    np.testing.assert_allclose(inputs["x"], rnn_inputs["x"], rtol=1e-12)
    np.testing.assert_allclose(inputs["h0"][0], rnn_inputs["h0"], rtol=1e-12)


def test_the_embedding_is_a_lookup_in_front_whose_gradient_gathers_dx_per_token():
    rng = np.random.default_rng(1)
    params = _params(layers=2, vocab=5, cell=table.GRU.name)
    ids = np.array([[0, 3, 3, 1], [3, 3, 2, 0]])                 # token 3 four times, 4 never
    y = rng.uniform(0, 1, (2, 2))
    value, grads = seqnet.loss_and_grads(params, ids, y, loss="bce", cell=table.GRU.name)
    real = {k: v for k, v in params.items() if k != "Wemb"}
    x = params["Wemb"][ids]
    real_value, real_grads, inputs = seqnet.loss_and_grads(real, x, y, loss="bce", cell=table.GRU.name,
                                                           return_input_grads=True)
    assert value == pytest.approx(real_value, rel=1e-14)
    for key in real:
        np.testing.assert_allclose(grads[key], real_grads[key], rtol=1e-12)
    expected = np.zeros_like(params["Wemb"])
    np.add.at(expected, ids, inputs["x"])
    np.testing.assert_allclose(grads["Wemb"], expected, rtol=1e-12)
    assert not grads["Wemb"][4].any()
    assert seqnet.loss_and_grads(params, ids, y, loss="bce", cell=table.GRU.name,
                                 return_input_grads=True)[2] == {}      # token ids have no gradient


def test_many_to_one_reads_each_directions_final_state():
    rng = np.random.default_rng(2)
    params = _params(layers=2, bidirectional=True, cell=table.LSTM.name)
    x = rng.standard_normal((2, 4, 3))
    logits, cache = seqnet.forward(params, x, cell=table.LSTM.name)
    top = np.concatenate([cache.h_last[2], cache.h_last[3]], axis=1)       # h_n[-2:], PyTorch's
    np.testing.assert_allclose(logits, top @ params["Wy"] + params["by"], rtol=1e-13)
    states, _ = manual.layers.stack.forward({k: v for k, v in params.items() if "_l" in k}, x,
                                            cell=table.LSTM.name)
    np.testing.assert_allclose(top[:, :4], states[:, -1, :4], rtol=1e-13)  # forward: h_T
    np.testing.assert_allclose(top[:, 4:], states[:, 0, 4:], rtol=1e-13)   # reverse: after x_1


@pytest.mark.parametrize("params, x, options, error, words", [
    (_params(bidirectional=True), np.zeros((2, 3, 3)), dict(truncate=2), ValueError, "reads the future"),
    (_params(layers=2), np.zeros((2, 3, 3)), dict(truncate=2, output="all"), ValueError,
     "a stack of 2 truncates a window"),
    (_params(vocab=5), np.array([[0, 5]]), {}, ValueError, "token ids from 0 to 5"),
    (_params(vocab=5), np.zeros((2, 3, 3)), {}, TypeError, "integer token ids"),
    (_params(), np.zeros((2, 3, 3)), dict(cell=table.GRU.name), ValueError, "params['Wxh_l0']"),
    (_params(), np.zeros((2, 3, 3)), dict(c0=np.zeros((1, 2, 4))), ValueError, "c0 is the initial cell state"),
    ({k: v for k, v in _params().items() if k != "by"}, np.zeros((2, 3, 3)), {}, ValueError, "missing ['by']"),
])
def test_bad_input_is_named(params, x, options, error, words):
    y = np.zeros((x.shape[0], 2))
    with pytest.raises(error) as raised:
        seqnet.loss_and_grads(params, x, y, loss="mse", **options)
    assert words in str(raised.value), str(raised.value)
