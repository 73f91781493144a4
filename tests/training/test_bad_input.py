"""Bad input to training.optim, training.estimators, training.datasets and manual.init:
refused before any work, with a ValueError/TypeError naming the argument and what was
expected; and the extreme valid inputs next to them give the right answer."""
import functools
import tracemalloc

import numpy as np
import pytest

import manual
from manual import init
from manual.layers import embedding, gru, lstm, recurrent, stack
from modelspec import table
from training import datasets, optim
from training.estimators import (MLPClassifier, MLPRegressor, NotFittedError, RNNClassifier,
                                 loss_and_grads_fn, model_entry)
from tests.helpers import BadCall, assert_refused, bad_call_id

RNG_WORDS = "rng must be None, an int >= 0 or a numpy.random.Generator"
SEED_WORDS = "seed must be None, an int >= 0 or a numpy.random.Generator"
DTYPE_WORDS = "dtype must be float32 or float64"


def _xy(n=20, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, 3))
    return x, (x[:, 0] > 0).astype(np.int64)


@functools.lru_cache(maxsize=None)
def _classifier():
    x, y = _xy()
    return MLPClassifier(hidden_layer_sizes=(4,), epochs=1).fit(x, y)


@functools.lru_cache(maxsize=None)
def _regressor():
    x, _ = _xy()
    return MLPRegressor(hidden_layer_sizes=(4,), epochs=1).fit(x, x[:, 0])


def _fit_classifier(y=None, **hyper):
    x, labels = _xy()
    return MLPClassifier(**{"hidden_layer_sizes": (4,), "epochs": 1, **hyper}).fit(
        x, labels if y is None else y)


def _fit_rnn(**hyper):
    x, y = datasets.as_soon_as()
    return RNNClassifier(**{"n_hidden": 4, "epochs": 1, **hyper}).fit(x, y)


def _train(**kwargs):
    args = {"loss_and_grads": functools.partial(manual.mlp.loss_and_grads, loss="mse"),
            "params": manual.mlp.init_params([2, 1], rng=0), "x": np.ones((4, 2)),
            "y": np.ones((4, 1)), "epochs": 2, "batch_size": 2, "optimizer": optim.SGD(0.1)}
    return optim.train(**{**args, **kwargs})


def _step(params=None, grads=None, **sgd):
    params = {"w": np.ones(2)} if params is None else params
    return optim.SGD(0.1, **sgd).step(params, {"w": np.ones(2)} if grads is None else grads)


G = {"w": np.ones(2)}
NAN, INF = float("nan"), float("inf")

BAD_CALLS = [
    # ------------------------------------------------------------------ manual.init
    *[row for name in ("zeros", "normal", "glorot_uniform", "he_normal", "orthogonal")
      for row in (
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(0, (3, 3), np.int64),
                  TypeError, f"{DTYPE_WORDS}; got int64"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(0, (3, 3), np.float16),
                  TypeError, f"{DTYPE_WORDS}; got float16"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(0, (3, 3), "foo"),
                  TypeError, f"{DTYPE_WORDS}; got 'foo'"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(0, (0, 3)),
                  ValueError, "each entry of shape must be >= 1; got 0"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(0, (2.0, 3)),
                  TypeError, "each entry of shape must be an int; got float"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(0, "3x3"),
                  TypeError, "each entry of shape must be an int; got str"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(0, None),
                  TypeError, "shape must be an int or a tuple of ints; got NoneType"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)("a", (3, 3)),
                  TypeError, f"{RNG_WORDS}; got str"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(1.5, (3, 3)),
                  TypeError, f"{RNG_WORDS}; got float"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(True, (3, 3)),
                  TypeError, f"{RNG_WORDS}; got bool"),
          BadCall(f"manual.init.{name}", lambda name=name: getattr(init, name)(-1, (3, 3)),
                  ValueError, f"{RNG_WORDS}; got -1"),
          BadCall(f"manual.init.{name}",
                  lambda name=name: getattr(init, name)(np.random.RandomState(0), (3, 3)),
                  TypeError, f"{RNG_WORDS}; got RandomState"),
      )],
    BadCall("manual.init.he_normal", lambda: init.he_normal(0, ()), ValueError,
            "shape must have at least 1 entry"),
    BadCall("manual.init.glorot_uniform", lambda: init.glorot_uniform(0, ()), ValueError,
            "shape must have at least 1 entry"),
    BadCall("manual.init.orthogonal", lambda: init.orthogonal(0, (3,)), ValueError,
            "shape must have 2 entries; got (3,)"),
    BadCall("manual.init.orthogonal", lambda: init.orthogonal(0, (2, 3, 4)), ValueError,
            "shape must have 2 entries; got (2, 3, 4)"),
    BadCall("manual.init.normal", lambda: init.normal(0, (2, 2), std=NAN), ValueError,
            "std must be finite; got nan"),
    BadCall("manual.init.normal", lambda: init.normal(0, (2, 2), std=-1.0), ValueError,
            "std must be >= 0; got -1.0"),
    BadCall("manual.init.normal", lambda: init.normal(0, (2, 2), std="big"), TypeError,
            "std must be a real number; got str"),
    BadCall("manual.init.get", lambda: init.get("uniform"), ValueError,
            "init must be one of 'zeros', 'normal'"),
    BadCall("manual.init.get", lambda: init.get(None), ValueError, "init must be one of"),
    # every rng and dtype of the models' and layers' init_params (the "every rng")
    BadCall("manual.mlp.init_params", lambda: manual.mlp.init_params([2, 3], rng="a"),
            TypeError, f"{RNG_WORDS}; got str"),
    BadCall("manual.mlp.init_params", lambda: manual.mlp.init_params([2, 3], rng=0, dtype=np.int32),
            TypeError, f"{DTYPE_WORDS}; got int32"),
    BadCall("manual.mlp.init_params",
            lambda: manual.mlp.init_params([2, 3], rng=0, dtype=np.float16),
            TypeError, f"{DTYPE_WORDS}; got float16"),
    BadCall("manual.rnn.init_params", lambda: manual.rnn.init_params(2, 3, 1, rng=1.5),
            TypeError, f"{RNG_WORDS}; got float"),
    BadCall("manual.rnn.init_params", lambda: manual.rnn.init_params(2, 3, 1, dtype=int),
            TypeError, f"{DTYPE_WORDS}; got int64"),
    BadCall("manual.seqnet.init_params", lambda: manual.seqnet.init_params(2, 3, 1, rng=-2),
            ValueError, f"{RNG_WORDS}; got -2"),
    BadCall("manual.seqnet.init_params",
            lambda: manual.seqnet.init_params(2, 3, 1, vocab=5, dtype=np.int64),
            TypeError, f"{DTYPE_WORDS}; got int64"),
    BadCall("manual.layers.recurrent.init_params", lambda: recurrent.init_params(2, 3, rng="x"),
            TypeError, f"{RNG_WORDS}; got str"),
    BadCall("manual.layers.lstm.init_params", lambda: lstm.init_params(2, 3, rng=[1, 2]),
            TypeError, f"{RNG_WORDS}; got list"),
    BadCall("manual.layers.lstm.init_params", lambda: lstm.init_params(2, 3, dtype="foo"),
            TypeError, f"{DTYPE_WORDS}; got 'foo'"),
    BadCall("manual.layers.lstm.init_params", lambda: lstm.init_params(2, 3, forget_bias=NAN),
            ValueError, "forget_bias must be finite; got nan"),
    BadCall("manual.layers.gru.init_params", lambda: gru.init_params(2, 3, rng=True),
            TypeError, f"{RNG_WORDS}; got bool"),
    BadCall("manual.layers.embedding.init_params", lambda: embedding.init_params(5, 2, rng=0.5),
            TypeError, f"{RNG_WORDS}; got float"),
    BadCall("manual.layers.stack.init_params", lambda: stack.init_params(2, 3, 2, rng="seed"),
            TypeError, f"{RNG_WORDS}; got str"),

    # ------------------------------------------------------------------ training.optim
    BadCall("training.optim.check_learning_rate", lambda: optim.check_learning_rate(0),
            ValueError, "learning_rate must be > 0; got 0.0"),
    BadCall("training.optim.check_learning_rate", lambda: optim.check_learning_rate(INF),
            ValueError, "learning_rate must be finite"),
    BadCall("training.optim.check_learning_rate", lambda: optim.check_learning_rate(True),
            TypeError, "learning_rate must be a real number; got bool"),
    BadCall("training.optim.check_momentum", lambda: optim.check_momentum(1.0), ValueError,
            "momentum must lie in [0, 1); got 1.0"),
    BadCall("training.optim.check_momentum", lambda: optim.check_momentum("0.9"), TypeError,
            "momentum must be a real number; got str"),
    BadCall("training.optim.check_clip_norm", lambda: optim.check_clip_norm(-1), ValueError,
            "clip_norm must be None or > 0; got -1.0"),
    BadCall("training.optim.check_clip_norm", lambda: optim.check_clip_norm(NAN), ValueError,
            "clip_norm must be finite"),
    BadCall("training.optim.check_same_length",
            lambda: optim.check_same_length(np.ones(3), np.ones(2)), ValueError,
            "x and y must have the same number of samples; got 3 and 2"),
    BadCall("training.optim.check_same_length", lambda: optim.check_same_length(3.0, [1]),
            ValueError, "x must be an array with one entry per sample; got 3.0"),
    BadCall("training.optim.check_same_length", lambda: optim.check_same_length([], []),
            ValueError, "x and y are empty: no samples to train on"),
    BadCall("training.optim.minibatches", lambda: optim.minibatches(0, 4), ValueError,
            "n must be >= 1; got 0"),  # raised by the call itself, not by the first next()
    BadCall("training.optim.minibatches", lambda: optim.minibatches(10, 2.0), TypeError,
            "batch_size must be an int; got float"),
    BadCall("training.optim.minibatches", lambda: optim.minibatches(10, 2, "a"), TypeError,
            f"{RNG_WORDS}; got str"),
    BadCall("training.optim.minibatches", lambda: optim.minibatches(10, 2, shuffle="no"),
            TypeError, "shuffle must be True or False; got 'no'"),
    BadCall("training.optim.global_norm", lambda: optim.global_norm([1.0, 2.0]), TypeError,
            "grads must be a dict of arrays; got list"),
    BadCall("training.optim.global_norm", lambda: optim.global_norm({"w": [1.0, NAN]}),
            ValueError, "grads['w'] contains NaN or inf"),
    BadCall("training.optim.global_norm", lambda: optim.global_norm({"w": np.ones(2, np.float16)}),
            TypeError, "grads['w'] must be a real array of float32 or float64"),
    BadCall("training.optim.clip_by_global_norm", lambda: optim.clip_by_global_norm(G, 0),
            ValueError, "max_norm must be None or > 0; got 0.0"),
    BadCall("training.optim.clip_by_global_norm", lambda: optim.clip_by_global_norm(G, "1"),
            TypeError, "max_norm must be None or a real number; got str"),
    BadCall("training.optim.clip_by_global_norm",
            lambda: optim.clip_by_global_norm({"w": np.array([1.0, NAN])}, 1.0),
            ValueError, "grads['w'] contains NaN or inf"),
    BadCall("training.optim.clip_by_global_norm",
            lambda: optim.clip_by_global_norm({"w": np.array([1.0, -INF])}, 1.0),
            ValueError, "grads['w'] contains NaN or inf"),
    BadCall("training.optim.clip_by_global_norm",
            lambda: optim.clip_by_global_norm({"w": np.array([1j])}, 1.0),
            TypeError, "grads['w'] must be a real array of float32 or float64 (or int/bool); "
                       "got dtype complex128"),
    BadCall("training.optim.SGD", lambda: optim.SGD(-0.1), ValueError,
            "learning_rate must be > 0"),
    BadCall("training.optim.SGD", lambda: optim.SGD(0.1, momentum=NAN), ValueError,
            "momentum must be finite"),
    BadCall("training.optim.SGD", lambda: optim.SGD(0.1, clip_norm=0), ValueError,
            "clip_norm must be None or > 0"),
    BadCall("training.optim.SGD", lambda: _step(grads={"w": np.array([NAN, 1.0])}), ValueError,
            "grads['w'] contains NaN or inf"),
    BadCall("training.optim.SGD", lambda: _step(grads={"w": np.array([INF, 1.0])}, clip_norm=1.0),
            ValueError, "grads['w'] contains NaN or inf"),
    BadCall("training.optim.SGD", lambda: _step(grads={"w": np.array([1j, 1.0])}), TypeError,
            "grads['w'] must be a real array of float32 or float64"),
    BadCall("training.optim.SGD", lambda: _step(grads={"w": np.ones(2, np.float16)}), TypeError,
            "grads['w'] must be a real array of float32 or float64 (or int/bool); got dtype float16"),
    BadCall("training.optim.SGD", lambda: _step(params={"w": np.ones(2, np.float32)}), TypeError,
            "grads['w'] has dtype float64 but the parameters are float32"),
    BadCall("training.optim.SGD", lambda: _step(params={"w": np.ones(2, np.int64)}), TypeError,
            "params['w'] must be float32 or float64; got dtype int64"),
    BadCall("training.optim.SGD", lambda: _step(params={"w": np.array([NAN, 1.0])}), ValueError,
            "params['w'] contains NaN or inf"),
    BadCall("training.optim.SGD", lambda: _step(grads=[1.0, 1.0]), TypeError,
            "grads must be a dict of arrays; got list"),
    BadCall("training.optim.SGD", lambda: _step(grads={"v": np.ones(2)}), ValueError,
            "grads must have the keys of params ['w']; got ['v']"),
    BadCall("training.optim.SGD", lambda: _step(grads={"w": np.ones((2, 1))}), ValueError,
            "grads['w'] has shape (2, 1) but params['w'] has shape (2,)"),
    BadCall("training.optim.SGD",
            lambda: (lambda opt: [opt.step(G, G), opt.step({"w": np.ones(3)}, {"w": np.ones(3)})])(
                optim.SGD(0.1, momentum=0.9)),
            ValueError, "params have other keys or shapes than at this SGD's last step; call reset()"),
    BadCall("training.optim.train", lambda: _train(callback=42), TypeError,
            "callback must be None or callable"),
    BadCall("training.optim.train", lambda: _train(loss_and_grads=lambda p, x, y: None), TypeError,
            "loss_and_grads must return a pair (loss, grads); got NoneType"),
    BadCall("training.optim.train", lambda: _train(loss_and_grads=lambda p, x, y: (None, {})),
            TypeError, "loss_and_grads must return the loss as a real scalar; got NoneType"),
    BadCall("training.optim.train",
            lambda: _train(loss_and_grads=lambda p, x, y: (np.ones(2), {})),
            TypeError, "loss_and_grads must return the loss as a real scalar; got ndarray"),
    BadCall("training.optim.train", lambda: _train(loss_and_grads=lambda p, x, y: (1.0, [1.0])),
            TypeError, "loss_and_grads must return grads as a dict keyed like params; got list"),
    BadCall("training.optim.train", lambda: _train(loss_and_grads="mse"), TypeError,
            "loss_and_grads must be callable; got str"),
    BadCall("training.optim.train", lambda: _train(optimizer=0.1), TypeError,
            "optimizer must be a training.optim.SGD; got float"),
    BadCall("training.optim.train", lambda: _train(rng=1.5), TypeError, f"{RNG_WORDS}; got float"),
    BadCall("training.optim.train", lambda: _train(shuffle=None), TypeError,
            "shuffle must be True or False; got None"),
    BadCall("training.optim.train", lambda: _train(epochs=0), ValueError, "epochs must be >= 1"),
    BadCall("training.optim.train", lambda: _train(batch_size=True), TypeError,
            "batch_size must be an int; got bool"),
    BadCall("training.optim.train", lambda: _train(params=[np.ones(2)]), TypeError,
            "params must be a dict of arrays; got list"),
    BadCall("training.optim.train", lambda: _train(params={"W0": np.ones((2, 1), int)}),
            TypeError, "params['W0'] must be float32 or float64; got dtype int64"),
    BadCall("training.optim.train", lambda: _train(x=[[1.0], [1.0, 2.0], [1.0], [1.0]]),
            ValueError, "x must be an array (or nested lists of one shape)"),
    BadCall("training.optim.train", lambda: _train(y=np.ones((3, 1))), ValueError,
            "x and y must have the same number of samples; got 4 and 3"),

    # ------------------------------------------------------------------ training.datasets
    BadCall("training.datasets.one_hot", lambda: datasets.one_hot([1], 0), ValueError,
            "vocab_size must be >= 1; got 0"),
    BadCall("training.datasets.one_hot", lambda: datasets.one_hot([1], 2.5), TypeError,
            "vocab_size must be an int; got float"),
    BadCall("training.datasets.one_hot", lambda: datasets.one_hot([1], "8"), TypeError,
            "vocab_size must be an int; got str"),
    BadCall("training.datasets.one_hot", lambda: datasets.one_hot([0.0, 1.0], 3), TypeError,
            "tokens must be integers; got dtype float64"),
    BadCall("training.datasets.one_hot", lambda: datasets.one_hot([True], 3), TypeError,
            "tokens must be integers; got dtype bool"),
    BadCall("training.datasets.one_hot", lambda: datasets.one_hot([0, 3], 3), ValueError,
            "tokens must lie in [0, 3); got values from 0 to 3"),
    BadCall("training.datasets.one_hot", lambda: datasets.one_hot([-1], 3), ValueError,
            "tokens must lie in [0, 3)"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences([["as", "late"]], datasets.AS_SOON_AS_VOCAB),
            ValueError, "sentences hold words that are not in vocab: ['late']"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences([["as"], ["as", "soon"]], datasets.AS_SOON_AS_VOCAB),
            ValueError, "sentences must all have the same number of words; got lengths [1, 2]"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences(["as soon as"], datasets.AS_SOON_AS_VOCAB),
            TypeError, "each sentence must be a sequence of words, not a str"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences("as soon", datasets.AS_SOON_AS_VOCAB),
            TypeError, "sentences must be a sequence of sentences"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences([], datasets.AS_SOON_AS_VOCAB),
            ValueError, "sentences must hold at least one sentence of at least one word"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences([["as"]], ["as"]),
            TypeError, "vocab must be a non-empty dict from words to vectors; got list"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences([["a", "b"]], {"a": (1, 0), "b": (0, 0, 1)}),
            ValueError, "vocab's vectors must all have one length >= 1; got lengths [2, 3]"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences([["a"]], {"a": (NAN, 0.0)}),
            ValueError, "vocab['a'] contains NaN or inf"),
    BadCall("training.datasets.one_hot_sentences",
            lambda: datasets.one_hot_sentences([[["a"]]], {"a": (1, 0)}),
            TypeError, "each word of sentences must be a key of vocab (hashable)"),
    # as_soon_as takes no argument: Python's own refusal names the function
    BadCall("training.datasets.as_soon_as", lambda: datasets.as_soon_as(3), TypeError,
            "as_soon_as() takes 0 positional arguments"),
    BadCall("training.datasets.token_order", lambda: datasets.token_order(10, seed="a"),
            TypeError, f"{SEED_WORDS}; got str"),
    BadCall("training.datasets.token_order", lambda: datasets.token_order(10, seed=-1),
            ValueError, f"{SEED_WORDS}; got -1"),
    BadCall("training.datasets.token_order", lambda: datasets.token_order(10, one_hot_x="no"),
            TypeError, "one_hot_x must be True or False; got 'no'"),
    BadCall("training.datasets.token_order", lambda: datasets.token_order(0), ValueError,
            "n_samples must be >= 1; got 0"),
    BadCall("training.datasets.token_order", lambda: datasets.token_order(10, window=40),
            ValueError, "window must be <= length (30); got 40"),
    BadCall("training.datasets.friedman1", lambda: datasets.friedman1(10, seed=1.5), TypeError,
            f"{SEED_WORDS}; got float"),
    BadCall("training.datasets.friedman1", lambda: datasets.friedman1(10, noise=INF), ValueError,
            "noise must be finite and >= 0; got inf"),
    BadCall("training.datasets.friedman1", lambda: datasets.friedman1(10, n_features=4),
            ValueError, "n_features must be >= 5; got 4"),

    # ------------------------------------------------------------------ training.estimators
    BadCall("training.estimators.model_entry", lambda: model_entry("linear"), ValueError,
            f"model must be one of {', '.join(map(repr, table.names('model')))}; got 'linear'"),
    BadCall("training.estimators.model_entry", lambda: model_entry(None), ValueError,
            "model must be one of"),
    BadCall("training.estimators.loss_and_grads_fn", lambda: loss_and_grads_fn("mlp", "numeric"),
            ValueError, "gradients must be one of 'manual', 'auto'; got 'numeric'"),
    BadCall("training.estimators.loss_and_grads_fn", lambda: loss_and_grads_fn("cnn", "manual"),
            ValueError, "model must be one of"),
    BadCall("training.estimators.loss_and_grads_fn",
            lambda: loss_and_grads_fn("mlp", "manual", loss="mse", truncate=3),
            TypeError, "unexpected keyword argument 'truncate'"),
    BadCall("training.estimators.NotFittedError", lambda: MLPClassifier().score(*_xy()),
            NotFittedError, "this MLPClassifier is not fitted yet; call fit(x, y) first"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(hidden_layer_sizes=0),
            ValueError, "hidden_layer_sizes must be >= 1; got 0"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(hidden_layer_sizes="32"),
            TypeError, "hidden_layer_sizes must be an int or a sequence of ints; got str"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(hidden_layer_sizes=(4, 0)),
            ValueError, "each entry of hidden_layer_sizes must be >= 1; got 0"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(seed="a"), TypeError,
            f"{SEED_WORDS}; got str"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(seed=2.0), TypeError,
            f"{SEED_WORDS}; got float"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(verbose="no"), TypeError,
            "verbose must be True or False; got 'no'"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(init="orthogonal"),
            ValueError, "init must be one of 'normal', 'glorot_uniform', 'he_normal'"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(y=[1, "a"] * 10),
            TypeError, "y must hold class labels of one kind, all numbers or all strings; "
                       "got number, str"),
    BadCall("training.estimators.MLPClassifier",
            lambda: _fit_classifier(y=np.array([1, "a"] * 10, dtype=object)),
            TypeError, "y must hold class labels of one kind, all numbers or all strings"),
    BadCall("training.estimators.MLPClassifier",
            lambda: _fit_classifier(y=np.array([None, 1] * 10, dtype=object)),
            TypeError, "y must hold class labels of one kind, all numbers or all strings; "
                       "got NoneType, number"),
    BadCall("training.estimators.MLPClassifier", lambda: _fit_classifier(y=np.arange(20) + 0j),
            TypeError, "y must hold class labels (integers, finite floats or strings); "
                       "got dtype complex128"),
    BadCall("training.estimators.MLPClassifier",
            lambda: _fit_classifier(y=np.where(_xy()[1], NAN, 0.0)),
            ValueError, "y contains NaN or inf"),
    BadCall("training.estimators.MLPClassifier", lambda: _classifier().score(
        _xy()[0], np.where(_xy()[1], NAN, 0.0)), ValueError, "y contains NaN or inf"),
    BadCall("training.estimators.MLPClassifier", lambda: _classifier().score(
        _xy()[0], np.where(_xy()[1], INF, 0.0)), ValueError, "y contains NaN or inf"),
    BadCall("training.estimators.MLPClassifier", lambda: _classifier().score(
        _xy()[0], _xy()[1].astype(str)), TypeError,
        "y holds string labels but the classes at fit are numbers: [0, 1]"),
    BadCall("training.estimators.MLPClassifier", lambda: _classifier().score(
        _xy()[0], _xy()[1] + 5), ValueError, "y holds labels not seen in y at fit: [5, 6]"),
    BadCall("training.estimators.MLPClassifier", lambda: _classifier().score(
        _xy()[0], _xy()[1] * 0.5), ValueError, "y holds labels not seen in y at fit: [0.5]"),
    BadCall("training.estimators.MLPClassifier", lambda: _classifier().score(
        _xy()[0], [0, "1"] * 10), TypeError, "y must hold class labels of one kind"),
    BadCall("training.estimators.MLPClassifier", lambda: _classifier().predict(_xy()[0][:, :2]),
            ValueError, "x has 2 features (last axis) but this MLPClassifier was fitted with 3"),
    BadCall("training.estimators.MLPClassifier",
            lambda: _classifier().predict_proba(_xy()[0].astype(np.float16)),
            TypeError, "x must be a real array of float32 or float64"),
    BadCall("training.estimators.MLPRegressor", lambda: MLPRegressor(hidden_layer_sizes=0).fit(
        *_xy()), ValueError, "hidden_layer_sizes must be >= 1; got 0"),
    BadCall("training.estimators.MLPRegressor", lambda: MLPRegressor(seed=-3).fit(*_xy()),
            ValueError, f"{SEED_WORDS}; got -3"),
    BadCall("training.estimators.MLPRegressor", lambda: MLPRegressor(loss="mae").fit(*_xy()),
            ValueError, "loss must be one of 'mse'; got 'mae'"),
    BadCall("training.estimators.MLPRegressor", lambda: _regressor().score(
        _xy()[0], np.full(20, NAN)), ValueError, "y contains NaN or inf"),
    BadCall("training.estimators.MLPRegressor", lambda: _regressor().score(
        _xy()[0], np.ones((20, 2))), ValueError, "y has 2 targets; y at fit had 1"),
    BadCall("training.estimators.MLPRegressor", lambda: MLPRegressor().fit(
        _xy()[0], _xy()[1].astype(str)), TypeError, "y must be a real array"),
    BadCall("training.estimators.RNNClassifier", lambda: _fit_rnn(seed=True), TypeError,
            f"{SEED_WORDS}; got bool"),
    BadCall("training.estimators.RNNClassifier", lambda: _fit_rnn(truncate=0), ValueError,
            "truncate must be >= 1"),
    BadCall("training.estimators.RNNClassifier", lambda: _fit_rnn(verbose=None), TypeError,
            "verbose must be True or False; got None"),
    BadCall("training.estimators.RNNClassifier", lambda: RNNClassifier(epochs=1).fit(*_xy()),
            ValueError, "x must be 3-D; got shape (20, 3)"),
]


@pytest.mark.parametrize("bad", BAD_CALLS, ids=bad_call_id)
def test_refused(bad):
    assert_refused(bad)


# ------------------------------------------------------------------ valid extremes and rules

def test_one_hot_of_a_large_vocabulary_allocates_only_its_output():
    vocab = 50_000
    tracemalloc.start()
    try:
        out = datasets.one_hot(np.array([0, 17, vocab - 1]), vocab)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (3, vocab) and out.dtype == np.float64
    assert out.sum() == 3 and out[0, 0] == out[1, 17] == out[2, vocab - 1] == 1.0
    assert peak < 3 * 2**20, f"one_hot of 3 tokens peaked at {peak / 2**20:.1f} MiB"


def test_one_hot_any_shape_and_empty():
    tokens = np.array([[0, 2], [1, 1]])
    np.testing.assert_array_equal(datasets.one_hot(tokens, 3), np.eye(3)[tokens])
    assert datasets.one_hot(np.zeros(0, dtype=int), 4).shape == (0, 4)


def test_minibatches_refuses_when_called_not_when_iterated():
    with pytest.raises(ValueError, match="n must be >= 1"):
        optim.minibatches(0, 4)  # no next(): the call itself refuses


def test_rng_accepts_none_int_numpy_int_and_generator():
    a = init.normal(np.int64(3), (4,))
    np.testing.assert_array_equal(a, init.normal(3, (4,)))
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(init.normal(rng, (4,)), a)
    assert not np.array_equal(init.normal(rng, (4,)), a)  # a Generator advances
    assert init.normal(None, (4,)).shape == (4,)


def test_clipping_huge_and_tiny_gradients_is_right():
    huge = {"a": np.full(4, 1e200), "b": np.array([1e200])}
    clipped, norm = optim.clip_by_global_norm(huge, 1.0)
    assert norm == pytest.approx(np.sqrt(5) * 1e200)
    assert optim.global_norm(clipped) == pytest.approx(1.0)
    beyond = {"a": np.full(4, 1e308)}            # the norm itself exceeds the largest float
    clipped, norm = optim.clip_by_global_norm(beyond, 2.0)
    assert norm == np.inf
    np.testing.assert_allclose(clipped["a"], np.full(4, 1.0))
    assert optim.global_norm({"a": np.array([3e-200, 4e-200])}) == pytest.approx(5e-200)
    assert optim.global_norm({}) == 0.0


def test_sgd_step_takes_lists_and_ints_as_gradients_and_modifies_nothing():
    params, grads = {"w": np.ones(2)}, {"w": [1, 2]}
    new = optim.SGD(0.5, momentum=0.5, clip_norm=10.0).step(params, grads)
    np.testing.assert_allclose(new["w"], [0.5, 0.0])
    np.testing.assert_array_equal(params["w"], [1.0, 1.0])
    assert grads == {"w": [1, 2]}


def test_train_takes_lists_and_non_finite_gradients_diverge():
    _, history = _train(x=np.ones((4, 2)).tolist(), y=[[1.0]] * 4)
    assert len(history["loss"]) == 2

    def nan_grads(params, xb, yb):
        return 0.5, {key: np.full_like(p, np.nan) for key, p in params.items()}

    with pytest.raises(FloatingPointError, match="a gradient holds NaN or inf in epoch 0"):
        _train(loss_and_grads=nan_grads)


def test_classifier_seed_generator_and_string_labels():
    x, y = _xy()
    labels = np.where(y == 1, "yes", "no")
    clf = MLPClassifier(hidden_layer_sizes=(4,), epochs=2, seed=np.random.default_rng(0))
    assert clf.fit(x, list(labels)).classes_.tolist() == ["no", "yes"]
    assert 0.0 <= clf.score(x, labels[:, None]) <= 1.0
    assert clf.score(x, labels.tolist()) == clf.score(x, labels)
    numbers = _classifier()
    assert numbers.score(x, y.astype(float)) == numbers.score(x, y)  # 0.0 and 1.0 are classes 0, 1


def test_init_params_keep_their_seeded_values():
    """check_rng gives the same draws as np.random.default_rng did: same int seed, same weights."""
    params = manual.mlp.init_params([3, 4], rng=5, init="glorot_uniform")
    limit = np.sqrt(6.0 / 7)
    np.testing.assert_array_equal(params["W0"], np.random.default_rng(5).uniform(-limit, limit, (3, 4)))
