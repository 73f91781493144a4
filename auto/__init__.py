"""The same layers, losses and models as ``manual``, written with ``autograd.numpy``.

No derivative is written by hand here and nothing is imported from ``manual``:
gradients come from ``autograd.grad``.
"""
from auto import activations, layers, losses, mlp, rnn, seqnet  # noqa: F401
