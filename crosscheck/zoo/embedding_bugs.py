"""Classic bugs of the embedding layer's hand-written backward pass (see :mod:`crosscheck.zoo.bugs`).

Each :class:`~crosscheck.zoo.bugs.Bug` here is checked as the registered layer (through its
vector-Jacobian product, :mod:`crosscheck.vjp`) and carries ONE mistake: one hook of
:func:`reference_backward` swapped. The reference with no hook swapped is correct (the
tests check that it passes like ``manual/``): it pairs each position's id with its row of
dout and adds the rows one by one, in a plain loop, as the definition says.
"""
from typing import Callable, NamedTuple

import numpy as np

from crosscheck import vjp
from crosscheck.zoo.bugs import Bug
from manual.layers import embedding
from modelspec import embedding as spec
from modelspec import table

EMBEDDING = table.EMBEDDING.name


def _pairs(ids, dout):
    """Every position's id and its row of dout, both flattened in the same (batch-major) order."""
    return ids.reshape(-1), dout.reshape(-1, dout.shape[-1])


def _add_rows(dW, ids, rows):
    """dW[v] += each row whose id is v, one at a time: repeats add up."""
    for v, row in zip(ids, rows):
        dW[v] += row


class EmbeddingHooks(NamedTuple):
    """The pieces a bug may swap. pairs(ids, dout) -> (ids ``(N,)``, rows ``(N, D)``);
    accumulate(dW, ids, rows): add the rows into dW in place."""
    pairs: Callable = _pairs
    accumulate: Callable = _add_rows


def reference_backward(params, cache, dout, hooks=EmbeddingHooks()):
    """The embedding's backward by the definition, with ``hooks``; arguments and returns as
    ``manual.layers.embedding.backward``."""
    dout = spec.check_dout(dout, cache.ids.shape, params["W"])
    dW = np.zeros_like(params["W"])
    hooks.accumulate(dW, *hooks.pairs(cache.ids, dout))
    return {"W": dW}, None


def reference(hooks=EmbeddingHooks()):
    """The layer's vector-Jacobian product (:func:`crosscheck.vjp.manual_vjp`) with ``hooks``:
    what a :class:`Bug` checks; with no hook swapped, the correct reference."""
    def backward(params, cache, dout):
        return reference_backward(params, cache, dout, hooks)
    return vjp.manual_vjp(embedding.forward, backward, (), ())


def _fancy_assignment(dW, ids, rows):
    dW[ids] = rows                       # a repeated index keeps one row: the last write wins


def _mean_over_occurrences(dW, ids, rows):
    _add_rows(dW, ids, rows)
    counts = np.bincount(ids, minlength=dW.shape[0])
    dW /= np.maximum(counts, 1)[:, None]


def _time_major_rows(ids, dout):
    return ids.reshape(-1), dout.transpose(1, 0, 2).reshape(-1, dout.shape[-1])


def _features_summed_for_bincount(dW, ids, rows):
    # np.bincount takes 1-D weights only, so the features were summed first
    dW += np.bincount(ids, weights=rows.sum(axis=1), minlength=dW.shape[0])[:, None]


BUGS = [
    Bug("embedding_dW_fancy_assignment", EMBEDDING,
        "dW[ids] = dout: fancy assignment keeps one occurrence of a repeated token, not their sum",
        "classic", reference(EmbeddingHooks(accumulate=_fancy_assignment)), EMBEDDING),
    Bug("embedding_dW_mean_over_occurrences", EMBEDDING,
        "each row of dW divided by its token's count: the mean over occurrences, not the sum",
        "classic", reference(EmbeddingHooks(accumulate=_mean_over_occurrences)), EMBEDDING),
    Bug("embedding_dout_flattened_time_major", EMBEDDING,
        "ids flattened batch-major, dout time-major (a transpose too many): rows go to other tokens",
        "classic", reference(EmbeddingHooks(pairs=_time_major_rows)), EMBEDDING),
    Bug("embedding_dW_features_summed", EMBEDDING,
        "np.bincount with dout summed over the feature axis (1-D weights): every column of a row alike",
        "classic", reference(EmbeddingHooks(accumulate=_features_summed_for_bincount)), EMBEDDING),
]
