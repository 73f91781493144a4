"""Hand-written forward and backward passes in NumPy (no autograd needed), and training
with them: ``optim`` (minibatch SGD shared by every model) and ``estimators``
(fit / predict / score classes)."""
from manual import activations, datasets, estimators, init, losses, mlp, optim, rnn  # noqa: F401
