"""The linear layer of ``manual.layers.linear``: ``out = x @ W + b`` over any leading axes."""
import autograd.numpy as np

from auto.values import values
from modelspec import linear as spec


def forward(params, x):
    """params ``W (n_in, n_out)``, ``b (n_out,)``; x ``(batch, ..., n_in)``; returns
    ``(batch, ..., n_out)``."""
    spec.forward_inputs(values(params), values(x))
    return _forward(params, x)


def _forward(params, x):
    return np.dot(x, params["W"]) + params["b"]
