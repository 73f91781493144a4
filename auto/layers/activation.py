"""The activation layer of ``manual.layers.activation``: ``out = act(x)``, relu, tanh or
sigmoid, with the activations of ``auto.activations`` (ReLU's derivative 0 at x = 0, the
stable sigmoid); autograd takes every derivative."""

from auto.activations import ACTIVATIONS      # written with autograd.numpy
from auto.values import values
from modelspec import activation as spec


def forward(params, x, *, activation="relu"):
    """params ``{}`` (no parameters); x ``(batch, ...)``, any shape; activation ``"relu"``,
    ``"tanh"`` or ``"sigmoid"``; returns x's shape, of x's float dtype (int/bool x: float64)."""
    checked, activation = spec.forward_inputs(values(params), values(x), activation)
    # a traced x is what gradients flow through; plain int/bool x is taken as the contract
    # casts it (float64), as manual/ computes it
    return ACTIVATIONS[activation](x if values(x) is not x else checked)
