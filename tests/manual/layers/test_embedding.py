import numpy as np
import pytest
from autograd import grad

import crosscheck
from auto.layers import embedding as auto_embedding
from crosscheck import compare
from manual.layers import embedding
from modelspec import table


def by_definition(ids, dout, vocab):
    """dW by the definition: each position adds its row of dout to its token's row."""
    dW = np.zeros((vocab, dout.shape[-1]), dout.dtype)
    for index in np.ndindex(ids.shape):
        dW[ids[index]] += dout[index]
    return dW


def case(vocab=5, dim=3, shape=(2, 4), seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = embedding.init_params(vocab, dim, rng=rng, dtype=dtype)
    ids = rng.integers(0, vocab, shape)
    return params, ids, rng.standard_normal(shape + (dim,)).astype(dtype)


@pytest.mark.parametrize("shape", [(7,), (2, 4), (2, 3, 4)])
def test_forward_is_the_row_lookup_over_any_leading_axes(shape):
    params, ids, _ = case(shape=shape)
    out, cache = embedding.forward(params, ids)
    assert out.shape == shape + (3,)
    for index in np.ndindex(shape):
        assert np.array_equal(out[index], params["W"][ids[index]])
    assert np.array_equal(cache.ids, ids) and cache.vocab == 5


def test_repeated_tokens_add_up_and_an_unused_token_gets_exactly_zero():
    params, _, dout = case()
    ids = np.array([[0, 3, 3, 1], [3, 0, 4, 0]])          # token 3 three times, token 2 never
    _, cache = embedding.forward(params, ids)
    grads, dids = embedding.backward(params, cache, dout)
    assert dids is None                                     # token ids have no gradient
    np.testing.assert_allclose(grads["W"], by_definition(ids, dout, 5), rtol=1e-15)
    np.testing.assert_allclose(grads["W"][3], dout[0, 1] + dout[0, 2] + dout[1, 0], rtol=1e-15)
    assert np.all(grads["W"][2] == 0.0)


def test_every_id_the_same_token_gets_the_sum_of_all_of_dout():
    params, _, dout = case(vocab=3, shape=(3, 5))
    ids = np.full((3, 5), 1)
    grads, _ = embedding.backward(params, embedding.forward(params, ids)[1], dout)
    np.testing.assert_allclose(grads["W"][1], dout.sum(axis=(0, 1)), rtol=1e-14)
    assert np.all(grads["W"][[0, 2]] == 0.0)


def test_large_case_agrees_with_np_add_at():
    # many ids a token (2000 positions over 40 tokens): the flat bincount is np.add.at's sum
    params, ids, dout = case(vocab=40, dim=16, shape=(20, 100), seed=3)
    grads, _ = embedding.backward(params, embedding.forward(params, ids)[1], dout)
    reference = np.zeros_like(params["W"])
    np.add.at(reference, ids, dout)
    # both sum ~50 terms of order 1 in float64, in different orders: rounding ~1e-15 of the scale
    np.testing.assert_allclose(grads["W"], reference, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("id_dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64])
def test_float32_is_kept_and_any_integer_id_dtype_is_taken(id_dtype):
    params, ids, dout = case(dtype=np.float32)
    out, cache = embedding.forward(params, ids.astype(id_dtype))
    grads, _ = embedding.backward(params, cache, dout)
    assert out.dtype == np.float32 and grads["W"].dtype == np.float32
    # float32 dout summed (in float64, then rounded once): within float32's eps of the definition
    np.testing.assert_allclose(grads["W"], by_definition(ids, dout.astype(np.float64), 5), rtol=1e-6, atol=1e-6)


def test_backward_is_pure():
    params, ids, dout = case()
    _, cache = embedding.forward(params, ids)
    before = (dout.copy(), cache.ids.copy(), params["W"].copy())
    first, _ = embedding.backward(params, cache, dout)
    again, _ = embedding.backward(params, cache, dout)
    assert np.array_equal(first["W"], again["W"])
    assert all(np.array_equal(a, b) for a, b in zip(before, (dout, cache.ids, params["W"])))


def test_autograds_indexing_vjp_accumulates_repeated_ids():
    params, _, dout = case()
    ids = np.array([[1, 1, 1, 1], [4, 1, 4, 1]])
    dW = grad(lambda p: np.sum(dout * auto_embedding.forward(p, ids)))(params)["W"]
    np.testing.assert_allclose(dW, by_definition(ids, dout, 5), rtol=1e-15)


BAD_IDS = [
    ("bool", np.ones((2, 4), dtype=bool), TypeError, "x must hold integer token ids in [0, 5)"),
    ("float", np.ones((2, 4)), TypeError, "got dtype float64"),
    ("float of whole numbers in a list", [[1.0, 2.0]], TypeError, "x must hold integer token ids"),
    ("strings", np.array([["a", "b"]]), TypeError, "x must hold integer token ids"),
    ("object", np.array([[1, None]], dtype=object), TypeError, "got dtype object"),
    ("negative", np.array([[0, -1]]), ValueError, "x holds token ids from -1 to 0; they must lie in [0, 5)"),
    ("vocab", np.array([[0, 5]]), ValueError, "x holds token ids from 0 to 5; they must lie in [0, 5)"),
    ("huge unsigned", np.array([[2 ** 63]], dtype=np.uint64), ValueError, "must lie in [0, 5)"),
    ("empty batch", np.zeros((0, 4), dtype=np.int64), ValueError, "x is empty: shape (0, 4)"),
    ("empty time", np.zeros((2, 0), dtype=np.int64), ValueError, "x is empty: shape (2, 0)"),
    ("scalar", np.int64(1), ValueError, "x must have at least one axis"),
]


@pytest.mark.parametrize("label, x, error, says", BAD_IDS, ids=[b[0] for b in BAD_IDS])
def test_bad_ids_are_refused_by_both_sides_naming_x_and_the_vocabulary(label, x, error, says):
    params, _, _ = case()
    raised = []
    for fn in (embedding.forward, auto_embedding.forward,
               grad(lambda p, x: np.sum(auto_embedding.forward(p, x)))):
        with pytest.raises(error) as info:
            fn(params, x)
        raised.append(str(info.value))
    assert len(set(raised)) == 1 and says in raised[0], raised
    assert "x" in raised[0] and ("5" in raised[0] or "empty" in raised[0] or "axis" in raised[0])


def test_bad_dout_and_params_are_refused():
    params, ids, dout = case()
    _, cache = embedding.forward(params, ids)
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4, 3\)"):
        embedding.backward(params, cache, dout[..., :1])
    with pytest.raises(TypeError, match="dout has dtype float32 but the parameters are float64"):
        embedding.backward(params, cache, dout.astype(np.float32))
    with pytest.raises(ValueError, match=r"params\['W'\] must be a 2-D \(vocab, D\) array"):
        embedding.forward({"W": np.zeros(3)}, ids)
    with pytest.raises(ValueError, match="params must have keys"):
        embedding.forward({**params, "b": np.zeros(3)}, ids)


def test_init_params_is_unit_normal_like_torch_and_seeded():
    params = embedding.init_params(200, 50, rng=0)
    W = params["W"]
    assert set(params) == {"W"} and W.shape == (200, 50) and W.dtype == np.float64
    # 10000 draws of N(0, 1): the mean is within 4 standard errors (0.04), the std within 0.03
    assert abs(W.mean()) < 0.04 and abs(W.std() - 1) < 0.03
    assert np.array_equal(W, embedding.init_params(200, 50, rng=0)["W"])
    assert embedding.init_params(3, 2, rng=1, dtype=np.float32)["W"].dtype == np.float32
    with pytest.raises(ValueError, match="vocab must be >= 1"):
        embedding.init_params(0, 2)
    with pytest.raises(TypeError, match="dim must be an int"):
        embedding.init_params(3, 2.0)


def test_the_zoo_reference_without_a_bug_passes_and_each_bug_is_shown_by_a_pinned_example():
    from crosscheck.zoo import embedding_bugs
    result = crosscheck.verify(table.EMBEDDING.name, manual=embedding_bugs.reference())
    assert result.ok, result.summary()
    model = crosscheck.get(table.EMBEDDING.name)
    for bug in embedding_bugs.BUGS:
        reports = [crosscheck.check_case(model, c, manual=bug.fn) for c in model.examples]
        assert not all(r.ok for r in reports), bug.name


def test_the_reference_backward_is_the_definition():
    from crosscheck.zoo import embedding_bugs
    params, ids, dout = case(shape=(3, 6), seed=5)
    _, cache = embedding.forward(params, ids)
    got, _ = embedding_bugs.reference_backward(params, cache, dout)
    assert compare(got, embedding.backward(params, cache, dout)[0], rtol=1e-14).ok
