"""Contract of the embedding layer (token ids to vectors, a row lookup ``out = W[x]``).

params: ``W (vocab, D)``; x: integer token ids of any leading shape, at least one axis,
none empty, typically ``(batch, time)``, each in ``[0, vocab)`` (bool and float ids are
refused, not cast: a float "id" is almost always a one-hot or real input given by mistake);
out and dout: ``(*x.shape, D)``.
"""
import numpy as np

from modelspec.checks import check_params, in_range, shape_of, shape_text
from modelspec import linear

KEYS = ("W",)


def shapes(params):
    """Expected ``{key: shape}``, read from ``W``; reads only keys and shapes, so it also
    works on a dict traced by autograd."""
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    if "W" not in params or np.ndim(params["W"]) != 2:
        raise ValueError(f"params['W'] must be a 2-D (vocab, D) array; params have keys {list(params)}")
    return {"W": tuple(shape_of(params["W"]))}


def check_ids(x, vocab, name="x"):
    """Return ``x`` as an ``intp`` array of token ids in ``[0, vocab)``, at least one axis and
    none empty; raise TypeError (not integers) or ValueError (shape, range) naming it."""
    ids = np.asarray(x)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids in [0, {vocab}) (params['W'] has "
                        f"{vocab} rows, one a token); got dtype {ids.dtype}")
    if ids.ndim == 0:
        raise ValueError(f"{name} must have at least one axis, (batch, ...) token ids; got a scalar")
    if 0 in ids.shape:
        raise ValueError(f"{name} is empty: shape {shape_text(ids.shape)}")
    if not in_range(ids, 0, vocab - 1):                 # integers: below vocab
        low, high = ids.min(), ids.max()
        raise ValueError(f"{name} holds token ids from {low} to {high}; they must lie in "
                         f"[0, {vocab}), the vocabulary size being params['W'].shape[0] = {vocab}")
    return ids.astype(np.intp, copy=False)


def forward_inputs(params, x):
    """Validate a forward call; return x as ``intp`` token ids."""
    layer = shapes(params)
    check_params(params, layer)
    return check_ids(x, layer["W"][0])


def check_dout(dout, ids_shape, W):
    """The upstream gradient: finite, ``(*x.shape, D)``, of W's dtype (no broadcasting)."""
    return linear.check_dout(dout, tuple(ids_shape) + (shape_of(W)[1],), np.asarray(W).dtype)
