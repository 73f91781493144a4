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
    options=dict(loss=modelspec.LOSSES, activation=modelspec.ACTIVATIONS,
                 reduction=modelspec.REDUCTIONS),
    smooth=lambda case: case.options["activation"] != "relu",
))
