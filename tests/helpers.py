"""Shared test helpers."""
import contextlib
import warnings

import numpy as np


@contextlib.contextmanager
def no_float_warnings():
    """Fail on any overflow, invalid operation or division by zero (underflow to 0 is fine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


def small_mlp(sizes=(3, 4, 2), seed=0, dtype=np.float64):
    """A small MLP with weights of order 1 (the library's default init is tiny) and a batch of 5."""
    import manual
    rng = np.random.default_rng(seed)
    params = manual.mlp.init_params(list(sizes), rng=rng, init="glorot_uniform", dtype=dtype)
    params = {k: (v + 0.1 * rng.standard_normal(v.shape)).astype(dtype) for k, v in params.items()}
    x = rng.standard_normal((5, sizes[0])).astype(dtype)
    return params, x, rng
