"""Weight initializers in NumPy, deterministic from a seed or ``numpy.random.Generator``.

Each takes ``(rng, shape, dtype=float64)`` and returns a new array of that shape and dtype.
rng: None, an int >= 0 or a Generator (advanced by the draw); shape: an int or a tuple of
ints >= 1 (the weight's ``(fan_in, ..., fan_out)``; ``orthogonal`` takes exactly two);
dtype: float32 or float64. Anything else (an integer dtype, which would round the weights
to 0, float16, a 0 in the shape, a float seed) raises a TypeError or ValueError naming
the argument, before anything is drawn.
"""
import numbers

import numpy as np

import modelspec
from modelspec import checks

# Seed 001's ``alloc_param_pair`` draws weights from N(RND_MEAN, RND_STD) with the
# course's constants RND_MEAN = 0, RND_STD = 0.003, and zero biases.
SEED001_STD = 0.003


def _inputs(rng, shape, dtype, *, min_ndim=0, ndim=None):
    """The checked ``(Generator, shape tuple, dtype)`` of an initializer's arguments."""
    rng = checks.check_rng("rng", rng)
    if isinstance(shape, numbers.Integral) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a tuple of ints; got {type(shape).__name__}") from None
    for size in shape:
        checks.check_positive_int("each entry of shape", size)
    if ndim is not None and len(shape) != ndim:
        raise ValueError(f"shape must have {ndim} entries; got {shape}")
    if len(shape) < min_ndim:
        raise ValueError(f"shape must have at least {min_ndim} entry (fan_in, ..., fan_out); got {shape}")
    return rng, tuple(int(s) for s in shape), checks.check_float_dtype("dtype", dtype)


def zeros(rng, shape, dtype=np.float64):
    """All zeros (biases); rng is checked but not drawn from."""
    _, shape, dtype = _inputs(rng, shape, dtype)
    return np.zeros(shape, dtype=dtype)


def normal(rng, shape, dtype=np.float64, std=SEED001_STD):
    """N(0, std**2), seed 001's initializer; std a finite real >= 0."""
    rng, shape, dtype = _inputs(rng, shape, dtype)
    std = checks.check_real("std", std, minimum=0)
    return (rng.standard_normal(shape) * std).astype(dtype)


def glorot_uniform(rng, shape, dtype=np.float64):
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010; Keras' default);
    fan_in = shape[0], fan_out = shape[-1]."""
    rng, shape, dtype = _inputs(rng, shape, dtype, min_ndim=1)
    fan_in, fan_out = shape[0], shape[-1]
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def he_normal(rng, shape, dtype=np.float64):
    """N(0, 2 / fan_in) (He et al., 2015), for ReLU layers; fan_in = shape[0]."""
    rng, shape, dtype = _inputs(rng, shape, dtype, min_ndim=1)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])).astype(dtype)


def orthogonal(rng, shape, dtype=np.float64):
    """A (semi-)orthogonal ``(rows, cols)`` matrix: QR of a Gaussian matrix with the signs
    of R's diagonal folded into Q, so that Q is uniform over the orthogonal group (Saxe et
    al., 2014)."""
    rng, (rows, cols), dtype = _inputs(rng, shape, dtype, ndim=2)
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    return (q if rows >= cols else q.T).astype(dtype)


INITIALIZERS = {"zeros": zeros, "normal": normal, "glorot_uniform": glorot_uniform,
                "he_normal": he_normal, "orthogonal": orthogonal}


def get(name):
    """The initializer called ``name`` (a key of ``INITIALIZERS``)."""
    return INITIALIZERS[modelspec.check_option("init", name, tuple(INITIALIZERS))]
