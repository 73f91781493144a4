"""Minibatch stochastic gradient descent, shared by every model.

The gradient functions (``manual.mlp.loss_and_grads``, ``manual.rnn.loss_and_grads``,
autograd's gradient of an ``auto`` loss) stay pure: parameters in, ``(loss, grads)`` out.
This module owns everything that changes parameters:

- :func:`minibatches`: the sample indices of one epoch, shuffled from a seed;
- :class:`SGD`: one update ``p <- p - learning_rate * v`` with optional momentum and
  optional clipping of the gradients' global norm (over all parameters together);
- :func:`train`: the epoch loop tying the two together.

Parameters and gradients are dicts of arrays with the same keys and shapes.
"""
import numbers

import numpy as np

import modelspec


def _check_real(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    return float(value)


def check_learning_rate(value):
    """Raise unless ``value`` is a finite real number > 0; return it as a float."""
    value = _check_real("learning_rate", value)
    if value <= 0:
        raise ValueError(f"learning_rate must be > 0; got {value}")
    return value


def check_momentum(value):
    """Raise unless ``value`` is a real number in [0, 1); return it as a float."""
    value = _check_real("momentum", value)
    if not 0 <= value < 1:
        raise ValueError(f"momentum must lie in [0, 1); got {value}")
    return value


def check_clip_norm(value):
    """Raise unless ``value`` is None or a finite real number > 0; return it."""
    if value is None:
        return None
    value = _check_real("clip_norm", value)
    if value <= 0:
        raise ValueError(f"clip_norm must be None or > 0; got {value}")
    return value


def minibatches(n, batch_size, rng=None, *, shuffle=True):
    """Yield the sample indices of one epoch, ``batch_size`` at a time.

    Inputs: n (number of samples, >= 1), batch_size (>= 1), rng (None, an int seed or a
    ``numpy.random.Generator``; used only when ``shuffle``), shuffle.
    Yields: int arrays of shape ``(batch_size,)``, the last one ``(n % batch_size,)``
    when that is not 0; together they hold every index in ``range(n)`` exactly once.
    A Generator passed in is advanced, so successive epochs get new orders.
    """
    n = modelspec.check_positive_int("n", n)
    batch_size = modelspec.check_positive_int("batch_size", batch_size)
    order = np.random.default_rng(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def global_norm(grads):
    """Euclidean norm of all gradient arrays taken together, as a Python float."""
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(g, dtype=np.float64)))
                             for g in grads.values())))


def clip_by_global_norm(grads, max_norm):
    """Scale every gradient by ``max_norm / norm`` when their global norm exceeds ``max_norm``.

    Returns ``(clipped, norm)``: a new dict (the input is not modified; arrays are returned
    as they are when no clipping is needed) and the global norm before clipping.
    """
    max_norm = check_clip_norm(max_norm)
    norm = global_norm(grads)
    if max_norm is None or norm <= max_norm:
        return dict(grads), norm
    scale = max_norm / norm
    return {key: g * scale for key, g in grads.items()}, norm  # a Python float keeps g's dtype


class SGD:
    """Stochastic gradient descent with optional momentum and global-norm clipping.

    One :meth:`step` does, for every parameter key ``k`` (PyTorch's formulation)::

        g = clip(grads)[k]          # all grads scaled by clip_norm / ||grads|| if that is < 1
        v[k] = momentum * v[k] + g  # v starts at 0; with momentum = 0, v = g
        params[k] - learning_rate * v[k]

    ``step`` returns a new dict and leaves ``params`` and ``grads`` untouched; the
    velocities ``v`` are the optimizer's state (attribute ``velocity``), cleared by
    :meth:`reset`. Use one SGD object per training run.
    """

    def __init__(self, learning_rate, momentum=0.0, clip_norm=None):
        self.learning_rate = check_learning_rate(learning_rate)
        self.momentum = check_momentum(momentum)
        self.clip_norm = check_clip_norm(clip_norm)
        self.velocity = None
        self.last_grad_norm = None

    def __repr__(self):
        return (f"SGD(learning_rate={self.learning_rate!r}, momentum={self.momentum!r}, "
                f"clip_norm={self.clip_norm!r})")

    def reset(self):
        """Forget the velocities (the next step starts from v = 0)."""
        self.velocity = None
        self.last_grad_norm = None

    def step(self, params, grads):
        """Return the parameters after one update (a new dict; inputs are not modified).

        Inputs: params and grads, dicts with the same keys and, key by key, the same shapes.
        Sets ``last_grad_norm`` to the global gradient norm before clipping.
        """
        _check_same_structure(params, grads)
        grads, self.last_grad_norm = clip_by_global_norm(grads, self.clip_norm)
        if self.momentum:
            if self.velocity is None:
                self.velocity = {key: np.zeros_like(params[key]) for key in params}
            self.velocity = {key: self.momentum * self.velocity[key] + grads[key]
                             for key in params}
            direction = self.velocity
        else:
            direction = grads
        return {key: params[key] - self.learning_rate * direction[key] for key in params}


def _check_same_structure(params, grads):
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise TypeError(f"params and grads must be dicts of arrays; got "
                        f"{type(params).__name__} and {type(grads).__name__}")
    if set(params) != set(grads):
        raise ValueError(f"grads must have the keys of params {sorted(params)}; "
                         f"got {sorted(grads)}")
    for key in params:
        if np.shape(grads[key]) != np.shape(params[key]):
            raise ValueError(f"grads[{key!r}] has shape {np.shape(grads[key])} but "
                             f"params[{key!r}] has shape {np.shape(params[key])}")


def check_same_length(x, y, names=("x", "y")):
    """Raise ValueError unless ``x`` and ``y`` have the same (non-zero) length on axis 0."""
    for name, a in zip(names, (x, y)):
        if np.ndim(a) == 0:
            raise ValueError(f"{name} must be an array with one entry per sample; got {a!r}")
    nx, ny = len(x), len(y)
    if nx != ny:
        raise ValueError(f"{names[0]} and {names[1]} must have the same number of samples; "
                         f"got {nx} and {ny}")
    if nx == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty: no samples to train on")
    return nx


def train(loss_and_grads, params, x, y, *, epochs, batch_size, optimizer, rng=None,
          shuffle=True, callback=None):
    """Fit ``params`` by minibatch SGD; return ``(params, history)``.

    Inputs:
      loss_and_grads: ``f(params, x_batch, y_batch) -> (loss, grads)``, pure (bind the
        model's options with ``functools.partial`` or a lambda);
      params: dict of arrays (not modified; the trained copy is returned);
      x, y: arrays indexed by sample on axis 0, same length ``n``;
      epochs, batch_size: ints >= 1; a batch_size above n gives one batch per epoch;
      optimizer: an :class:`SGD` (its state carries over between epochs);
      rng: None, an int seed or a Generator for the shuffling; the same seed gives the
        same batches, hence the same training run;
      shuffle: draw a new sample order every epoch (seed 003's ``gen_batch``);
      callback: ``callback(epoch, params, loss)`` after every epoch (epoch counts from 0,
        ``loss`` is that epoch's training loss); returning ``True`` stops training.
    Returns: the trained params and ``{"loss": [...]}``, one training loss per epoch: the
      minibatch losses (each taken before its update, as seed 003 does) averaged with
      weights equal to the minibatch sizes.
    Raises FloatingPointError when a minibatch loss, or a parameter after a step, is NaN or
    infinite (divergence).
    """
    if not callable(loss_and_grads):
        raise TypeError(f"loss_and_grads must be callable; got {type(loss_and_grads).__name__}")
    if not isinstance(optimizer, SGD):
        raise TypeError(f"optimizer must be a training.optim.SGD; got {type(optimizer).__name__}")
    epochs = modelspec.check_positive_int("epochs", epochs)
    batch_size = modelspec.check_positive_int("batch_size", batch_size)
    n = check_same_length(x, y)
    rng = np.random.default_rng(rng)
    history = {"loss": []}
    for epoch in range(epochs):
        total = 0.0
        for idx in minibatches(n, batch_size, rng, shuffle=shuffle):
            value, grads = loss_and_grads(params, x[idx], y[idx])
            value = float(value)
            if not np.isfinite(value):
                raise FloatingPointError(
                    f"training diverged: minibatch loss is {value} in epoch {epoch}; "
                    f"lower learning_rate or set clip_norm")
            total += value * len(idx)
            params = optimizer.step(params, grads)
            if not all(np.all(np.isfinite(p)) for p in params.values()):
                raise FloatingPointError(
                    f"training diverged: the parameters hold NaN or inf after a step in "
                    f"epoch {epoch}; lower learning_rate or set clip_norm")
        history["loss"].append(total / n)
        if callback is not None and callback(epoch, params, history["loss"][-1]) is True:
            break
    return params, history
