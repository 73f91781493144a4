"""Weight initializers in NumPy, deterministic from a seed or ``numpy.random.Generator``.

Each takes ``(rng, shape, dtype=float64)`` and returns a new array; ``rng`` is anything
``numpy.random.default_rng`` accepts (None, an int seed, a Generator).
"""
import numpy as np

import modelspec

# Seed 001's ``alloc_param_pair`` draws weights from N(RND_MEAN, RND_STD) with the
# course's constants RND_MEAN = 0, RND_STD = 0.003, and zero biases.
SEED001_STD = 0.003


def zeros(rng, shape, dtype=np.float64):
    """All zeros (biases)."""
    return np.zeros(shape, dtype=dtype)


def normal(rng, shape, dtype=np.float64, std=SEED001_STD):
    """N(0, std**2), seed 001's initializer."""
    return (np.random.default_rng(rng).standard_normal(shape) * std).astype(dtype)


def glorot_uniform(rng, shape, dtype=np.float64):
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010; Keras' default)."""
    fan_in, fan_out = shape[0], shape[-1]
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(rng).uniform(-limit, limit, size=shape).astype(dtype)


def he_normal(rng, shape, dtype=np.float64):
    """N(0, 2 / fan_in) (He et al., 2015), for ReLU layers."""
    return (np.random.default_rng(rng).standard_normal(shape)
            * np.sqrt(2.0 / shape[0])).astype(dtype)


def orthogonal(rng, shape, dtype=np.float64):
    """A (semi-)orthogonal matrix: QR of a Gaussian matrix with the signs of R's diagonal
    folded into Q, so that Q is uniform over the orthogonal group (Saxe et al., 2014)."""
    rows, cols = shape
    a = np.random.default_rng(rng).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    return (q if rows >= cols else q.T).astype(dtype)


INITIALIZERS = {"zeros": zeros, "normal": normal, "glorot_uniform": glorot_uniform,
                "he_normal": he_normal, "orthogonal": orthogonal}


def get(name):
    """The initializer called ``name`` (a key of ``INITIALIZERS``)."""
    return INITIALIZERS[modelspec.check_option("init", name, tuple(INITIALIZERS))]
