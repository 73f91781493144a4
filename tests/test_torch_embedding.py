"""``torch.nn.Embedding`` as an external reference for the embedding layer: the same weight,
the same token ids (repeated ones included), the output and the gradient of a random
linear function ``sum(C * out)`` of the output with respect to the weight.

Tolerance 1e-12 relative to each array's scale: the lookup copies rows exactly, and each
row of the weight's gradient is a sum of the same float64 terms (the rows of C at the
positions holding that token) on both sides, only perhaps added in another order: a few
ulps of the sum (2.2e-16 each), far below 1e-12 for the tens of terms summed here.
"""
import numpy as np
import pytest
from hypothesis import given, settings

from crosscheck import compare, strategies
from manual.layers import embedding

torch = pytest.importorskip("torch", reason="PyTorch is not installed: external-reference tests "
                                            "skipped (pip install torch==2.13.0)")
RTOL = 1e-12


def theirs(W, ids, C, sparse=False):
    """torch's output and dL/dW for L = sum(C * out); torch stores the weight as ours, (vocab, D)."""
    layer = torch.nn.Embedding(*W.shape, dtype=torch.float64, sparse=sparse)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(W))
    out = layer(torch.from_numpy(np.asarray(ids, dtype=np.int64)))
    (out * torch.from_numpy(C)).sum().backward()
    dW = layer.weight.grad.to_dense() if sparse else layer.weight.grad
    return out.detach().numpy(), dW.numpy()


def assert_matches_torch(W, ids, C, sparse=False):
    out, cache = embedding.forward({"W": W}, ids)
    grads, _ = embedding.backward({"W": W}, cache, C)
    out_t, dW_t = theirs(W, ids, C, sparse)
    result = compare({"out": out, "W": grads["W"]}, {"out": out_t, "W": dW_t}, rtol=RTOL, atol=0.0)
    assert result.ok, str(result)


SHAPES = [  # (vocab, D, ids shape, how the ids are drawn)
    (1, 3, (2, 5), "all"),           # vocab 1: every id is token 0
    (7, 4, (3, 6), "one"),           # every id the same token
    (10, 8, (4, 25), "few"),         # 100 ids over 3 tokens: each repeated ~33 times, 7 unused
    (50, 16, (8, 30), "all"),
    (30, 5, (240,), "all"),          # one leading axis
    (12, 3, (2, 3, 4), "few"),       # three leading axes
]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("vocab, dim, shape, draw", SHAPES)
def test_output_and_weight_gradient_match_torch(vocab, dim, shape, draw, sparse):
    rng = np.random.default_rng(vocab * 100 + dim)
    W = embedding.init_params(vocab, dim, rng=rng)["W"]
    high = {"all": vocab, "one": 1, "few": min(3, vocab)}[draw]
    ids = rng.integers(0, high, shape) + (vocab - high) // 2
    C = rng.standard_normal(shape + (dim,))
    assert_matches_torch(W, ids, C, sparse)


@settings(max_examples=40)
@given(strategies.embedding_cases())
def test_drawn_cases_match_torch(case):
    assert_matches_torch(case.params["W"], *case.args)
