"""The built-in models, one registry entry each."""
import numpy as np

import manual
import auto
import modelspec
from crosscheck import strategies
from crosscheck.registry import Case, Model, register


def _mlp_kink_example():
    # every hidden pre-activation is exactly 0 (zero input, zero bias): the ReLU kink,
    # where both sides must take the derivative as 0 (seed 001's convention)
    params = {"W0": np.array([[0.5, -1.0, 0.25]]), "b0": np.zeros(3),
              "W1": np.array([[1.0], [-0.5], [0.75]]), "b1": np.array([0.1])}
    return Case(params, (np.zeros((2, 1)), np.array([[0.3], [-0.2]])),
                dict(loss="mse", activation="relu", reduction="mean"))


MLP = register(Model(
    name="mlp",
    description="multi-layer perceptron, 0-4 hidden layers (seed 001)",
    manual=manual.mlp.loss_and_grads,
    auto=auto.mlp.loss,
    cases=strategies.mlp_cases,
    examples=(_mlp_kink_example(),),
    options=dict(loss=modelspec.LOSSES, activation=modelspec.mlp.ACTIVATIONS,
                 reduction=modelspec.REDUCTIONS),
    smooth=lambda case: case.options["activation"] != "relu",
))


def _rnn_params(n_in, hidden, n_out, seed=0):
    rng = np.random.default_rng(seed)
    return {"Wxh": rng.uniform(-1, 1, (n_in, hidden)), "Whh": rng.uniform(-0.5, 0.5, (hidden, hidden)),
            "bh": rng.uniform(-1, 1, hidden), "Wy": rng.uniform(-1, 1, (hidden, n_out)),
            "by": rng.uniform(-1, 1, n_out)}


def _rnn_examples():
    rng = np.random.default_rng(1)
    kink = _rnn_params(2, 3, 1)
    kink["bh"] = np.zeros(3)
    return (
        # T = 1, batch 1: the shortest sequence
        Case(_rnn_params(2, 3, 2), (rng.uniform(-1, 1, (1, 1, 2)), np.array([1])),
             dict(loss="cross_entropy", output="last", truncate=None, reduction="mean",
                  activation="tanh")),
        # truncation window = T (h_0 held constant) on a many-to-many net with h0 given
        Case(_rnn_params(3, 4, 2), (rng.uniform(-1, 1, (2, 4, 3)), rng.uniform(0, 1, (2, 4, 2))),
             dict(loss="bce", output="all", truncate=4, reduction="sum", activation="tanh",
                  h0=rng.uniform(-1, 1, (2, 4)))),
        # zero input, zero bias, zero h0: every pre-activation of step 1 is exactly 0,
        # the ReLU kink, where both sides take the derivative as 0
        Case(kink, (np.zeros((2, 3, 2)), np.array([[0.5], [-0.5]])),
             dict(loss="mse", output="last", truncate=None, reduction="mean", activation="relu")),
        _rnn_large_logits_example(),
        # ReLU with a given h0, a window shorter than T on a many-to-many net, under a mean
        # BCE over 2 outputs: "mean" divides by batch * T * n_out, not by the batch (seed
        # 003's mean). Drawn cases need all of that at once, which 60 examples may not reach.
        Case(_rnn_params(2, 3, 2, seed=4),
             (rng.uniform(-1, 1, (3, 4, 2)), rng.uniform(0, 1, (3, 4, 2))),
             dict(loss="bce", output="all", truncate=2, reduction="mean", activation="relu",
                  h0=rng.uniform(-1, 1, (3, 3)))),
    )


def _rnn_large_logits_example():
    # seed 004's many-to-many softmax net with logits near +-1600: exp(z) without the max
    # shift overflows (exp(710) = inf), which the drawn cases (|logit| <= ~20) never reach
    params = {"Wxh": np.array([[4.0, -3.0], [-2.0, 5.0]]), "Whh": np.array([[0.5, -0.25], [0.1, 0.3]]),
              "bh": np.array([0.1, -0.2]), "Wy": np.array([[800.0, -800.0, 0.0], [0.0, 800.0, -800.0]]),
              "by": np.array([0.5, 0.0, -0.5])}
    x = np.eye(2)[np.array([[0, 1, 1], [1, 0, 0]])]                 # one-hot tokens (2, 3, 2)
    return Case(params, (x, np.array([[0, 2, 1], [1, 0, 2]])),
                dict(loss="cross_entropy", output="all", truncate=2, reduction="mean",
                     activation="tanh"))


RNN = register(Model(
    name="rnn",
    description="vanilla RNN, full and truncated BPTT, many-to-one and many-to-many (seeds 000-004)",
    manual=manual.rnn.loss_and_grads,
    auto=auto.rnn.loss,
    cases=strategies.rnn_cases,
    input_grads=("x", "h0"),
    examples=_rnn_examples(),
    options=dict(loss=modelspec.LOSSES, output=modelspec.rnn.OUTPUTS, truncate=("None", "1, 2, ..."),
                 reduction=modelspec.REDUCTIONS, activation=modelspec.recurrent.ACTIVATIONS,
                 h0=("None", "(batch, H) array")),
    # finite differences see the true gradient: no ReLU kinks, and no truncation shorter
    # than the sequence (a longer window is full BPTT)
    smooth=lambda case: case.options["activation"] == "tanh" and (
        case.options["truncate"] is None or case.options["truncate"] > case.args[0].shape[1]),
))
