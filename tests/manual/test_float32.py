"""float32 end to end: float32 parameters and inputs give float32 results (no silent
upcast anywhere: loss, every gradient, dx, dh0, logits, the cache), and those results
agree with the float64 computation on the same numbers to float32 accuracy.

The tolerance is ``crosscheck.compare``'s float32 default (the error at most
``1e-5 + 1e-3 * max|reference|``): float32 rounds at eps = 1.2e-7, and a gradient here is
a sum of at most a few hundred products carried through a dozen steps, which leaves a
margin of about 100 (observed errors are 1e-7 to 1e-6 relative).
"""
import itertools

import numpy as np
import pytest

import manual
from crosscheck import compare
from tests.helpers import small_rnn
from training import datasets

F32 = np.dtype(np.float32)


def as_dtype(tree, dtype):
    return {k: np.asarray(v, dtype=dtype) for k, v in tree.items()}


def assert_float32(named):
    wrong = {k: np.asarray(v).dtype for k, v in named.items() if np.asarray(v).dtype != F32}
    assert not wrong, f"not float32: {wrong}"


def assert_agree(got32, ref64):
    result = compare(got32, ref64)          # float32 tolerances: got is float32
    assert result.ok, str(result)


def rnn_case(loss, output, h0, seed=0, batch=4, steps=12, n_in=3, hidden=5, n_out=2):
    params, x, rng = small_rnn(n_in, hidden, n_out, batch, steps, seed, whh_range=None,
                               x_dist="uniform")          # the library's orthogonal Whh
    out_shape = (batch, n_out) if output == "last" else (batch, steps, n_out)
    if loss == "cross_entropy":
        y = rng.integers(0, n_out, out_shape[:-1])
    elif loss == "bce":
        y = rng.uniform(0, 1, out_shape)
    else:
        y = rng.standard_normal(out_shape)
    return params, x, y, (rng.uniform(-1, 1, (batch, hidden)) if h0 else None)


RNN_OPTIONS = list(itertools.product(("bce", "cross_entropy", "mse"), ("last", "all"),
                                     (None, 1, 5), ("tanh", "relu"), (False, True)))


@pytest.mark.parametrize("loss, output, truncate, activation, with_h0", RNN_OPTIONS)
def test_rnn_float32_in_float32_out_and_agrees_with_float64(loss, output, truncate,
                                                            activation, with_h0):
    params, x, y, h0 = rnn_case(loss, output, with_h0)
    options = dict(loss=loss, output=output, truncate=truncate, activation=activation,
                   return_input_grads=True)
    params32 = as_dtype(params, np.float32)
    y32 = y if loss == "cross_entropy" else y.astype(np.float32)
    value, grads, inputs = manual.rnn.loss_and_grads(
        params32, x.astype(np.float32), y32, h0=None if h0 is None else h0.astype(np.float32), **options)
    got = {"loss": value, **grads, **{f"d{k}": v for k, v in inputs.items()}}
    assert_float32(got)
    assert set(got) == {"loss", *params, "dx"} | ({"dh0"} if with_h0 else set())

    # the float64 computation on exactly the same (float32-representable) numbers
    params64 = as_dtype(params32, np.float64)
    value64, grads64, inputs64 = manual.rnn.loss_and_grads(
        params64, x.astype(np.float32).astype(np.float64),
        y if loss == "cross_entropy" else y32.astype(np.float64),
        h0=None if h0 is None else h0.astype(np.float32).astype(np.float64), **options)
    ref = {"loss": value64, **grads64, **{f"d{k}": v for k, v in inputs64.items()}}
    assert_agree(got, ref)


@pytest.mark.parametrize("output", ["last", "all"])
def test_rnn_forward_float32_logits_and_cache(output):
    params, x, _, h0 = rnn_case("mse", output, True)
    logits, cache = manual.rnn.forward(as_dtype(params, np.float32), x.astype(np.float32),
                                       h0=h0.astype(np.float32), output=output)
    assert_float32({"logits": logits, "cache.recurrent.x": cache.recurrent.x,
                    "cache.recurrent.hs": cache.recurrent.hs, "h_last": cache.h_last})


def test_rnn_one_hot_integer_tokens_take_the_parameters_dtype():
    params, _, y, _ = rnn_case("bce", "last", False, n_in=4)
    tokens = np.random.default_rng(3).integers(0, 4, (4, 12))
    x = datasets.one_hot(tokens, 4).astype(np.int64)
    value, grads, inputs = manual.rnn.loss_and_grads(as_dtype(params, np.float32), x,
                                                     y.astype(np.float32), loss="bce",
                                                     return_input_grads=True)
    assert_float32({"loss": value, **grads, "dx": inputs["x"]})


MLP_OPTIONS = list(itertools.product(("bce", "cross_entropy", "mse"), ("relu", "tanh", "sigmoid"),
                                     ("mean", "sum")))


@pytest.mark.parametrize("loss, activation, reduction", MLP_OPTIONS)
def test_mlp_float32_in_float32_out_and_agrees_with_float64(loss, activation, reduction):
    rng = np.random.default_rng(1)
    sizes = [6, 8, 7, 3]
    params = manual.mlp.init_params(sizes, rng=rng, init="glorot_uniform")
    for i in range(len(sizes) - 1):
        params[f"b{i}"] = rng.uniform(-0.5, 0.5, sizes[i + 1])
    x = rng.uniform(-2, 2, (10, sizes[0]))
    y = (rng.integers(0, 3, 10) if loss == "cross_entropy" else
         rng.uniform(0, 1, (10, 3)) if loss == "bce" else rng.standard_normal((10, 3)))
    options = dict(loss=loss, activation=activation, reduction=reduction, return_input_grads=True)
    params32, x32 = as_dtype(params, np.float32), x.astype(np.float32)
    y32 = y if loss == "cross_entropy" else y.astype(np.float32)
    value, grads, inputs = manual.mlp.loss_and_grads(params32, x32, y32, **options)
    got = {"loss": value, **grads, "dx": inputs["x"]}
    assert_float32(got)

    out, _ = manual.mlp.forward(params32, x32, activation=activation)
    assert_float32({"out": out})

    value64, grads64, inputs64 = manual.mlp.loss_and_grads(
        as_dtype(params32, np.float64), x32.astype(np.float64),
        y if loss == "cross_entropy" else y32.astype(np.float64), **options)
    assert_agree(got, {"loss": value64, **grads64, "dx": inputs64["x"]})


@pytest.mark.parametrize("name", ["bce", "cross_entropy", "mse"])
def test_losses_keep_float32(name):
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((5, 3)).astype(np.float32)
    y = (rng.integers(0, 3, 5) if name == "cross_entropy" else
         rng.uniform(0, 1, (5, 3)).astype(np.float32))
    for reduction in ("mean", "sum"):
        value, dlogits = manual.losses.loss_and_grad(name, logits, y, reduction)
        assert_float32({"value": value, "dlogits": dlogits})
