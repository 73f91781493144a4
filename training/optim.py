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
import numpy as np

import modelspec
from modelspec import checks


def check_learning_rate(value):
    """Raise unless ``value`` is a finite real number > 0; return it as a float."""
    value = checks.check_real("learning_rate", value)
    if value <= 0:
        raise ValueError(f"learning_rate must be > 0; got {value}")
    return value


def check_momentum(value):
    """Raise unless ``value`` is a real number in [0, 1); return it as a float."""
    value = checks.check_real("momentum", value)
    if not 0 <= value < 1:
        raise ValueError(f"momentum must lie in [0, 1); got {value}")
    return value


def check_clip_norm(value, name="clip_norm"):
    """Raise unless ``value`` is None or a finite real number > 0 (the message names
    ``name``); return it."""
    value = checks.check_real(name, value, allow_none=True)
    if value is not None and value <= 0:
        raise ValueError(f"{name} must be None or > 0; got {value}")
    return value


def minibatches(n, batch_size, rng=None, *, shuffle=True):
    """An iterator over the sample indices of one epoch, ``batch_size`` at a time.

    Inputs: n (number of samples, an int >= 1), batch_size (an int >= 1), rng (None, an
    int >= 0 or a ``numpy.random.Generator``; drawn from only when ``shuffle``), shuffle
    (True or False). They are checked when ``minibatches`` is called, not when the
    iterator is first advanced.
    Yields: int arrays of shape ``(batch_size,)``, the last one ``(n % batch_size,)``
    when that is not 0; together they hold every index in ``range(n)`` exactly once.
    A Generator passed in is advanced, so successive epochs get new orders.
    """
    n = modelspec.check_positive_int("n", n)
    batch_size = modelspec.check_positive_int("batch_size", batch_size)
    shuffle = checks.check_flag("shuffle", shuffle)
    rng = checks.check_rng("rng", rng)
    order = rng.permutation(n) if shuffle else np.arange(n)
    return (order[start:start + batch_size] for start in range(0, n, batch_size))


def _check_grads(grads, dtype=None):
    """``grads`` as a new dict of finite real arrays (lists and integers accepted as
    ``np.asarray`` reads them; complex, float16, NaN and inf refused); with ``dtype``,
    floating arrays must have it."""
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict of arrays; got {type(grads).__name__}")
    return {key: modelspec.real_array(f"grads[{key!r}]", g, dtype=dtype) for key, g in grads.items()}


def _norm(arrays):
    """Euclidean norm of checked arrays taken together. Sums of squares that overflow or
    underflow are redone on the arrays divided by their largest magnitude, so that the
    norm is right for gradients from 1e-200 to 1e200 (it is inf only when it exceeds the
    largest float)."""
    with np.errstate(over="ignore", under="ignore"):
        total = sum(np.sum(np.square(np.asarray(g, dtype=np.float64))) for g in arrays.values())
        if 1e-280 < total < np.inf:
            return float(np.sqrt(total))
        biggest = _largest(arrays)
        if biggest == 0:
            return 0.0
        return biggest * float(np.sqrt(sum(np.sum(np.square(np.asarray(g, dtype=np.float64) / biggest))
                                           for g in arrays.values())))


def _largest(arrays):
    return max((float(np.max(np.abs(g))) for g in arrays.values() if np.size(g)), default=0.0)


def _clip(arrays, max_norm):
    """``(clipped, norm)`` of checked arrays (see :func:`clip_by_global_norm`)."""
    norm = _norm(arrays)
    if max_norm is None or norm <= max_norm:
        return dict(arrays), norm
    scale = max_norm / norm
    if scale > 1e-290:
        return {key: g * scale for key, g in arrays.items()}, norm  # a Python float keeps g's dtype
    # a norm near or above the largest float: scale by the largest entry first
    biggest = _largest(arrays)
    unit = {key: g / biggest for key, g in arrays.items()}
    scale = max_norm / _norm(unit)
    return {key: g * scale for key, g in unit.items()}, norm


def global_norm(grads):
    """Euclidean norm of all gradient arrays taken together, as a Python float.

    grads: a dict of finite real arrays (complex, float16, NaN and inf are refused)."""
    return _norm(_check_grads(grads))


def clip_by_global_norm(grads, max_norm):
    """Scale every gradient by ``max_norm / norm`` when their global norm exceeds ``max_norm``.

    Inputs: grads, a dict of finite real arrays (complex, float16, NaN and inf are refused);
    max_norm, None (no clipping) or a finite real number > 0.
    Returns ``(clipped, norm)``: a new dict (the input is not modified; arrays are returned
    as they are when no clipping is needed) and the global norm before clipping.
    """
    max_norm = check_clip_norm(max_norm, "max_norm")
    return _clip(_check_grads(grads), max_norm)


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

        Inputs: params, a dict of finite float32 or float64 arrays of one dtype; grads, a
        dict with the same keys and, key by key, the same shapes, finite real values of the
        parameters' dtype (integers and lists accepted; NaN, inf, complex, float16 and a
        float64 gradient for float32 parameters refused).
        Sets ``last_grad_norm`` to the global gradient norm before clipping.
        """
        grads = _check_same_structure(params, grads)
        if self.velocity is not None and {k: np.shape(v) for k, v in self.velocity.items()} != \
                {k: np.shape(v) for k, v in params.items()}:
            raise ValueError("params have other keys or shapes than at this SGD's last step; "
                             "call reset() (or use one SGD per training run)")
        grads, self.last_grad_norm = _clip(grads, self.clip_norm)
        if self.momentum:
            if self.velocity is None:
                self.velocity = {key: np.zeros_like(params[key]) for key in params}
            self.velocity = {key: self.momentum * self.velocity[key] + grads[key]
                             for key in params}
            direction = self.velocity
        else:
            direction = grads
        return {key: params[key] - self.learning_rate * direction[key] for key in params}


def _check_params(params):
    """The float dtype of ``params``, a dict of finite float32 or float64 arrays of one dtype."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    return modelspec.check_params(params, {key: np.shape(p) for key, p in params.items()})


def _check_same_structure(params, grads):
    """The checked grads (see :meth:`SGD.step`)."""
    dtype = _check_params(params)
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict of arrays; got {type(grads).__name__}")
    if set(params) != set(grads):
        raise ValueError(f"grads must have the keys of params {sorted(params, key=str)}; "
                         f"got {sorted(grads, key=str)}")
    for key in params:
        if np.shape(grads[key]) != np.shape(params[key]):
            raise ValueError(f"grads[{key!r}] has shape {np.shape(grads[key])} but "
                             f"params[{key!r}] has shape {np.shape(params[key])}")
    return _check_grads(grads, dtype)


def check_same_length(x, y, names=("x", "y")):
    """Raise ValueError unless ``x`` and ``y`` (arrays or lists, one entry per sample)
    have the same, non-zero length on axis 0; return it. ``names``: what to call them."""
    lengths = []
    for name, a in zip(names, (x, y)):
        try:
            if isinstance(a, (str, bytes)):
                raise TypeError
            lengths.append(len(a))
        except TypeError:
            raise ValueError(f"{name} must be an array with one entry per sample; got {a!r}") from None
    nx, ny = lengths
    if nx != ny:
        raise ValueError(f"{names[0]} and {names[1]} must have the same number of samples; "
                         f"got {nx} and {ny}")
    if nx == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty: no samples to train on")
    return nx


def _samples(name, a):
    """``a`` as an array indexed by sample (a list as ``np.asarray`` reads it)."""
    try:
        arr = np.asarray(a)
    except ValueError as exc:
        raise ValueError(f"{name} must be an array (or nested lists of one shape); {exc}") from None
    if arr.dtype.kind == "O":
        raise TypeError(f"{name} must be an array of numbers; got an array of Python objects "
                        f"(ragged lists?)")
    return arr


def train(loss_and_grads, params, x, y, *, epochs, batch_size, optimizer, rng=None,
          shuffle=True, callback=None):
    """Fit ``params`` by minibatch SGD; return ``(params, history)``.

    Inputs:
      loss_and_grads: ``f(params, x_batch, y_batch) -> (loss, grads)``, pure (bind the
        model's options with ``functools.partial`` or a lambda); loss a real scalar, grads
        a dict keyed like params;
      params: dict of finite float32 or float64 arrays of one dtype (not modified; the
        trained copy is returned);
      x, y: arrays (or lists, read as ``np.asarray`` does) indexed by sample on axis 0,
        same length ``n``;
      epochs, batch_size: ints >= 1; a batch_size above n gives one batch per epoch;
      optimizer: an :class:`SGD` (its state carries over between epochs);
      rng: None, an int >= 0 or a Generator for the shuffling; the same seed gives the
        same batches, hence the same training run;
      shuffle: True or False, draw a new sample order every epoch (seed 003's ``gen_batch``);
      callback: None or ``callback(epoch, params, loss)`` after every epoch (epoch counts
        from 0, ``loss`` is that epoch's training loss); returning ``True`` stops training.
    All of them are checked before the first batch; what ``loss_and_grads`` returns is
    checked at every batch (a TypeError naming it when it is not ``(real scalar, dict)``).
    Returns: the trained params and ``{"loss": [...]}``, one training loss per epoch: the
      minibatch losses (each taken before its update, as seed 003 does) averaged with
      weights equal to the minibatch sizes.
    Raises FloatingPointError when a minibatch loss or gradient, or a parameter after a
    step, is NaN or infinite (divergence).
    """
    if not callable(loss_and_grads):
        raise TypeError(f"loss_and_grads must be callable; got {type(loss_and_grads).__name__}")
    if not isinstance(optimizer, SGD):
        raise TypeError(f"optimizer must be a training.optim.SGD; got {type(optimizer).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be None or callable as callback(epoch, params, loss); "
                        f"got {type(callback).__name__}")
    epochs = modelspec.check_positive_int("epochs", epochs)
    batch_size = modelspec.check_positive_int("batch_size", batch_size)
    shuffle = checks.check_flag("shuffle", shuffle)
    rng = checks.check_rng("rng", rng)
    _check_params(params)
    n = check_same_length(x, y)
    x, y = _samples("x", x), _samples("y", y)
    history = {"loss": []}
    for epoch in range(epochs):
        total = 0.0
        for idx in minibatches(n, batch_size, rng, shuffle=shuffle):
            value, grads = _loss_and_grads(loss_and_grads, params, x[idx], y[idx])
            if not np.isfinite(value):
                raise FloatingPointError(
                    f"training diverged: minibatch loss is {value} in epoch {epoch}; "
                    f"lower learning_rate or set clip_norm")
            if not all(np.all(np.isfinite(g)) for g in grads.values()
                       if np.asarray(g).dtype.kind in "fc"):
                raise FloatingPointError(
                    f"training diverged: a gradient holds NaN or inf in epoch {epoch} (the "
                    f"loss is {value}); lower learning_rate or set clip_norm")
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


def _loss_and_grads(fn, params, xb, yb):
    """``fn(params, xb, yb)`` as ``(float loss, grads dict)``; a TypeError naming what
    ``fn`` returned otherwise."""
    out = fn(params, xb, yb)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"loss_and_grads must return a pair (loss, grads); got "
                        f"{type(out).__name__}")
    value, grads = out
    loss = np.asarray(value)
    if loss.ndim != 0 or loss.dtype.kind not in "biuf":
        raise TypeError(f"loss_and_grads must return the loss as a real scalar; got "
                        f"{type(value).__name__} {value!r:.60}")
    if not isinstance(grads, dict):
        raise TypeError(f"loss_and_grads must return grads as a dict keyed like params; got "
                        f"{type(grads).__name__}")
    return float(loss), grads
