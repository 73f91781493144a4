"""Hand-written forward and backward passes in NumPy (no autograd needed)."""
from manual import datasets, init, losses, mlp, rnn  # noqa: F401
