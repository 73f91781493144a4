"""Hand-written forward and backward passes in NumPy (no autograd needed): the layers
(``manual.layers``), the losses, and the models composed from them (``mlp``, ``rnn``).

Training (optimizer, estimators, datasets) lives in the ``training`` package."""
from manual import activations, init, layers, losses, mlp, rnn, seqnet  # noqa: F401
