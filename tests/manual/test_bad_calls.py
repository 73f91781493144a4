"""Bad calls of every public function of the layers and models, on both sides: the rows of
the table-driven suite (tests/test_public_api.py counts them) that the contract-generated
table of tests/auto/test_bad_input.py does not reach as written (``init_params``, a
model's own ``forward`` / ``backward``, the autograd twins' ``logits``), one or more each.
"""
import numpy as np
import pytest

import auto
import manual
from manual.layers import activation, embedding, gru, linear, lstm, recurrent, stack
from tests.helpers import BadCall, assert_refused, bad_call_id

from auto.layers import activation as auto_activation  # noqa: E402
from auto.layers import embedding as auto_embedding, gru as auto_gru, linear as auto_linear  # noqa: E402
from auto.layers import lstm as auto_lstm, recurrent as auto_recurrent, stack as auto_stack  # noqa: E402

X3 = np.ones((2, 3, 2))                       # (batch, time, n_in = 2)


def _without_first_key(params):
    return dict(list(params.items())[1:])


def _listed(params):
    return {k: v.tolist() for k, v in params.items()}


MLP = manual.mlp.init_params([2, 3, 2], rng=0)
RNN = manual.rnn.init_params(2, 3, 2, rng=0)
SEQNET = manual.seqnet.init_params(2, 3, 2, rng=0)
LAYERS = {"recurrent": (recurrent, auto_recurrent), "lstm": (lstm, auto_lstm), "gru": (gru, auto_gru)}


def _layer_rows(name, module, twin):
    params = module.init_params(2, 3, rng=0)
    return [
        BadCall(f"manual.layers.{name}.init_params", lambda: module.init_params(0, 3), ValueError, "n_in must be >= 1"),
        BadCall(f"manual.layers.{name}.init_params", lambda: module.init_params(2, 3.5), TypeError, "hidden must be an int"),
        BadCall(f"manual.layers.{name}.forward", lambda: module.forward(_without_first_key(params), X3),
                ValueError, "'Wxh'"),
        BadCall(f"manual.layers.{name}.forward", lambda: module.forward(_listed(params), X3),
                TypeError, "must be a NumPy array"),
        BadCall(f"manual.layers.{name}.forward", lambda: module.forward(params, X3[..., :1]), ValueError,
                "x must have shape (batch, time, 2)"),
        BadCall(f"manual.layers.{name}.backward", lambda: module.backward(params, None, np.ones((2, 3, 3))),
                TypeError, f"cache must be the {type(module.forward(params, X3)[1]).__name__}"),
        BadCall(f"manual.layers.{name}.backward",
                lambda: module.backward(params, module.forward(params, X3)[1], np.full((2, 3, 3), np.nan)),
                ValueError, "dout contains NaN or inf"),
        BadCall(f"auto.layers.{name}.forward", lambda: twin.forward(params, X3[..., :1]), ValueError,
                "x must have shape (batch, time, 2)"),
    ]


LINEAR = {"W": np.ones((2, 3)), "b": np.zeros(3)}
EMBEDDING = embedding.init_params(4, 2, rng=0)
STACK = stack.init_params(2, 3, 2, rng=0)

BAD_CALLS = [row for name, (module, twin) in LAYERS.items() for row in _layer_rows(name, module, twin)] + [
    BadCall("manual.layers.linear.forward", lambda: linear.forward({"W": [[1.0]], "b": [0.0]}, np.ones((2, 1))),
            TypeError, "params['W'] must be a NumPy array"),
    BadCall("manual.layers.linear.backward", lambda: linear.backward(LINEAR, "cache", np.ones((2, 3))),
            TypeError, "cache must be the LinearCache"),
    BadCall("auto.layers.linear.forward", lambda: auto_linear.forward(LINEAR, np.ones((2, 3))), ValueError,
            "x must have shape (batch, ..., 2)"),
    BadCall("manual.layers.activation.forward", lambda: activation.forward(LINEAR, np.ones((2, 3))), ValueError,
            "params must be an empty dict {}: the activation layer has no parameters; got keys ['W', 'b']"),
    BadCall("manual.layers.activation.forward", lambda: activation.forward([], np.ones((2, 3))), TypeError,
            "params must be an empty dict {} (the activation layer has no parameters); got list"),
    BadCall("manual.layers.activation.forward", lambda: activation.forward({}, np.ones((2, 3)), activation="softplus"),
            ValueError, "activation must be one of 'relu', 'tanh', 'sigmoid'; got 'softplus'"),
    BadCall("manual.layers.activation.forward", lambda: activation.forward({}, np.float64(1.0)), ValueError,
            "x must have at least one axis"),
    BadCall("manual.layers.activation.forward", lambda: activation.forward({}, np.ones((2, 0))), ValueError,
            "x is empty: shape (2, 0)"),
    BadCall("manual.layers.activation.forward", lambda: activation.forward({}, np.ones(3, np.float16)), TypeError,
            "x must be a real array of float32 or float64 (or int/bool); got dtype float16"),
    BadCall("manual.layers.activation.backward", lambda: activation.backward({}, linear.forward(LINEAR, X3[0])[1],
                                                                             np.ones((2, 3))),
            TypeError, "cache must be the ActivationCache that manual.layers.activation.forward returns"),
    BadCall("manual.layers.activation.backward", lambda: activation.backward({}, activation.forward({}, X3)[1],
                                                                             np.ones((2, 3))),
            ValueError, "dout must have shape (2, 3, 2)"),
    BadCall("manual.layers.activation.backward", lambda: activation.backward({}, activation.forward({}, X3)[1],
                                                                             np.ones((2, 3, 2), np.float32)),
            TypeError, "dout has dtype float32"),
    BadCall("manual.layers.activation.backward", lambda: activation.backward({"W": np.ones(1)},
                                                                             activation.forward({}, X3)[1], X3),
            ValueError, "params must be an empty dict {}"),
    BadCall("auto.layers.activation.forward", lambda: auto_activation.forward({}, [[1.0, np.nan]], activation="tanh"),
            ValueError, "x contains NaN or inf"),
    BadCall("auto.layers.activation.forward", lambda: auto_activation.forward({}, X3, activation="softplus"),
            ValueError, "activation must be one of 'relu', 'tanh', 'sigmoid'; got 'softplus'"),
    BadCall("manual.layers.embedding.init_params", lambda: embedding.init_params(0, 2), ValueError, "vocab must be >= 1"),
    BadCall("manual.layers.embedding.forward", lambda: embedding.forward(EMBEDDING, np.array([[0, 4]])), ValueError,
            "token ids from 0 to 4"),
    BadCall("manual.layers.embedding.backward", lambda: embedding.backward(EMBEDDING, None, np.ones((1, 2, 2))),
            TypeError, "cache must be the EmbeddingCache"),
    BadCall("auto.layers.embedding.forward", lambda: auto_embedding.forward(EMBEDDING, np.array([[0.5]])), TypeError,
            "integer token ids"),
    BadCall("manual.layers.stack.init_params", lambda: stack.init_params(2, 3, 0), ValueError, "layers must be >= 1"),
    BadCall("manual.layers.stack.init_params", lambda: stack.init_params(2, 3, 1, bidirectional="yes"), TypeError,
            "bidirectional must be True or False"),
    BadCall("manual.layers.stack.init_params", lambda: stack.init_params(2, 3, 1, cell="transformer"), ValueError,
            "cell must be one of"),
    BadCall("manual.layers.stack.forward", lambda: stack.forward(STACK, X3, cell="lstm"), ValueError,
            "params['Wxh_l0']"),
    BadCall("manual.layers.stack.forward", lambda: stack.forward(STACK, X3, h0=np.zeros((1, 2, 3))), ValueError,
            "h0 must have shape (2, 2, 3)"),
    BadCall("manual.layers.stack.backward", lambda: stack.backward(STACK, None, np.ones((2, 3, 3))), TypeError,
            "cache must be the StackCache"),
    BadCall("auto.layers.stack.forward", lambda: auto_stack.forward(STACK, X3, truncate=0), ValueError,
            "truncate must be >= 1"),
    # the models
    BadCall("manual.mlp.init_params", lambda: manual.mlp.init_params([2, 0, 1]), ValueError, ">= 1"),
    BadCall("manual.mlp.forward", lambda: manual.mlp.forward(_listed(MLP), np.ones((2, 2))), TypeError,
            "must be a NumPy array"),
    BadCall("manual.mlp.forward", lambda: manual.mlp.forward(MLP, np.ones((0, 2))), ValueError, "x is empty"),
    BadCall("manual.mlp.backward", lambda: manual.mlp.backward(MLP, "cache", np.ones((2, 2))), TypeError,
            "cache must be the MLPCache"),
    BadCall("manual.mlp.backward", lambda: manual.mlp.backward(MLP, manual.mlp.forward(MLP, np.ones((2, 2)))[1],
                                                               np.ones((2, 2)) * 1j), TypeError, "dout must be a real array"),
    BadCall("manual.mlp.loss_and_grads", lambda: manual.mlp.loss_and_grads(MLP, np.ones((2, 2)), np.zeros((2, 2)),
                                                                           loss="hinge"), ValueError, "loss must be one of"),
    BadCall("manual.rnn.init_params", lambda: manual.rnn.init_params(2, 3, 0), ValueError, "n_out must be >= 1"),
    BadCall("manual.rnn.forward", lambda: manual.rnn.forward(RNN, X3, output="first"), ValueError, "output must be one of"),
    BadCall("manual.rnn.backward", lambda: manual.rnn.backward(RNN, None, np.ones((2, 2))), TypeError,
            "cache must be the RNNCache"),
    BadCall("manual.rnn.backward", lambda: manual.rnn.backward(RNN, manual.rnn.forward(RNN, X3)[1],
                                                               np.full((2, 2), np.inf)), ValueError,
            "dlogits contains NaN or inf"),
    BadCall("manual.rnn.loss_and_grads", lambda: manual.rnn.loss_and_grads(RNN, X3, np.zeros((2, 2)), loss="mse",
                                                                           truncate=0), ValueError, "truncate must be >= 1"),
    BadCall("manual.seqnet.init_params", lambda: manual.seqnet.init_params(2, 3, 0), ValueError, "n_out must be >= 1"),
    BadCall("manual.seqnet.forward", lambda: manual.seqnet.forward(SEQNET, np.array([[0, 1]])), ValueError,
            "need params['Wemb']"),
    BadCall("manual.seqnet.backward", lambda: manual.seqnet.backward(SEQNET, None, np.ones((2, 2))), TypeError,
            "cache must be the SeqNetCache"),
    BadCall("manual.seqnet.loss_and_grads", lambda: manual.seqnet.loss_and_grads(SEQNET, X3, np.zeros((2, 2)), loss="mse",
                                                                                 c0=np.zeros((1, 2, 3))),
            ValueError, "c0 is the initial cell state of an LSTM"),
    BadCall("auto.mlp.logits", lambda: auto.mlp.logits(MLP, np.ones((2, 3))), ValueError, "x must have shape"),
    BadCall("auto.mlp.loss", lambda: auto.mlp.loss(MLP, np.ones((2, 2)), np.zeros((2, 2)), loss="mse",
                                                   reduction="max"), ValueError, "reduction must be one of"),
    BadCall("auto.rnn.logits", lambda: auto.rnn.logits(RNN, np.ones((2, 3, 3))), ValueError, "x must have shape"),
    BadCall("auto.rnn.loss", lambda: auto.rnn.loss(RNN, X3, np.zeros((2, 2)), loss="mse", h0=np.zeros(3)),
            ValueError, "h0 must have shape"),
    BadCall("auto.seqnet.logits", lambda: auto.seqnet.logits(SEQNET, X3, truncate=-1), ValueError,
            "truncate must be >= 1"),
    BadCall("auto.seqnet.loss", lambda: auto.seqnet.loss(SEQNET, X3, np.zeros((2, 2)), loss="mse", cell="gru"),
            ValueError, "missing ['bxh_l0', 'bhh_l0']"),
]


@pytest.mark.parametrize("bad", BAD_CALLS, ids=bad_call_id)
def test_refused(bad):
    assert_refused(bad)


def test_backward_refuses_another_layers_cache():
    params = lstm.init_params(2, 3, rng=0)
    _, cache = recurrent.forward(recurrent.init_params(2, 3, rng=0), X3)
    with pytest.raises(TypeError, match="cache must be the LSTMCache that manual.layers.lstm.forward returns; "
                                        "got RecurrentCache"):
        lstm.backward(params, cache, np.ones((2, 3, 3)))
