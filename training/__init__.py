"""Training the hand-written models: minibatch SGD (``optim``), scikit-learn-style
estimators (``estimators``) and small generated datasets (``datasets``).

Built on ``manual`` (the gradients) and ``modelspec`` (the checks and the one table of
models); autograd is imported only for ``gradients="auto"``.
"""
from training import datasets, estimators, optim  # noqa: F401
