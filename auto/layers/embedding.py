"""The embedding layer of ``manual.layers.embedding``: ``out = W[x]``. autograd's VJP of
indexing adds the upstream gradient into the indexed rows (``np.add.at``), so a token
used n times gets n terms: the accumulation is autograd's, not written here."""
from auto.values import values
from modelspec import embedding as spec


def forward(params, x):
    """params ``W (vocab, D)``; x integer token ids ``(batch, ...)`` in [0, vocab); returns
    ``(*x.shape, D)``."""
    ids = spec.forward_inputs(values(params), values(x))
    return params["W"][ids]
