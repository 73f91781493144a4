"""The activations of ``manual.activations``, written with ``autograd.numpy``."""
import autograd.numpy as np


def relu(z):
    # np.where, not np.maximum: autograd splits the gradient of maximum 0.5/0.5 at a tie,
    # while the project's convention (seed 001's sign(y)) is derivative 0 at z = 0.
    return np.where(z > 0, z, 0.0)


def sigmoid(z):
    # 1 / (1 + e^-z) = exp(-log(1 + e^-z)); logaddexp keeps it finite for any z
    return np.exp(-np.logaddexp(0.0, -z))


ACTIVATIONS = {"relu": relu, "tanh": np.tanh, "sigmoid": sigmoid}
