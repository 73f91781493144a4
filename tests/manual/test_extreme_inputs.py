"""Extreme valid input gives the right answer.

- Every loss, both reductions, float32 and float64, at logits up to the bounds that
  manual.losses states (M = np.finfo(dtype).max, N terms): value and gradient finite and
  equal to the exact answer (computed in rationals), manual and autograd alike.
- Every layer and model of the table with batch 1, time 1, every width 1: the cross-check
  (manual against autograd and finite differences) on drawn cases of those sizes.
- The recurrent layers and models at T = 5000 (H = 2, batch 1): finite, and equal to the
  same sequence run in chunks carried through h_last (c_last) and their gradients.
- A forward's cache holds no view of the caller's x: changing x before backward changes
  no gradient (it did for the recurrent layers when batch or time was 1).
"""
from fractions import Fraction

import numpy as np
import pytest
from autograd import grad

import auto
import crosscheck
import manual
import modelspec
from manual.layers import activation, embedding, linear, stack
from modelspec import table
from tests.helpers import no_float_warnings

LOSS_NAMES = ("bce", "cross_entropy", "mse")
DTYPES = (np.float32, np.float64)
N = 6                                   # loss terms of every case below


def _bound(name, dtype, reduction):
    """The largest |logit| (|z - y| for mse) at which manual.losses promises a finite value."""
    top = float(np.finfo(dtype).max)
    per_term = {"bce": top, "cross_entropy": top / 2, "mse": np.sqrt(top) / 2}[name]
    # a sum of N terms is itself finite only below M: each term gets M / (2N) (sqrt for mse)
    return per_term if reduction == "mean" else per_term / (np.sqrt(2 * N) if name == "mse" else 2 * N)


def _case(name, dtype, reduction):
    """Logits at the bound, signs and targets chosen so that most terms are as large as the
    bound allows (confidently wrong) and some are 0 (confidently right)."""
    b = _bound(name, dtype, reduction)
    if name == "cross_entropy":
        logits = np.array([[b, -b, 0], [-b, b, b], [0, 0, 0], [b, -b, -b], [b, b, -b], [-b, 0, b]], dtype)
        return logits, np.array([1, 0, 2, 0, 2, 2])
    logits = (b * np.array([[1, -1, 1], [-1, 0.5, -0.5]])).astype(dtype)
    y = np.array([[0, 1, 0.5], [0, 1, 1]], dtype) if name == "bce" else np.array([[0, 0, 0], [0, 0, 0.25]], dtype)
    return logits, y


def _exact(name, logits, y, reduction):
    """Value and gradient in rationals (logits that large: exp(-|z|) is below any ulp)."""
    q = [[Fraction(float(v)) for v in row] for row in np.atleast_2d(logits)]
    if name == "cross_entropy":
        terms, grads = [], []
        for row, label in zip(q, y):
            top = max(row)
            rest = sum(np.exp(float(v - top)) for v in row)         # >= 1, no overflow
            terms.append(top + Fraction(np.log(rest)) - row[label])
            probs = [np.exp(float(v - top)) / rest for v in row]
            grads.append([Fraction(p) - (k == label) for k, p in enumerate(probs)])
    else:
        t = [[Fraction(float(v)) for v in row] for row in y]
        if name == "bce":      # log(1 + e^z) - y z = max(z, 0) - y z; sigmoid(z) is 0 or 1
            terms = [max(z, 0) - yy * z for zr, yr in zip(q, t) for z, yy in zip(zr, yr)]
            grads = [[(1 if z > 0 else 0) - yy for z, yy in zip(zr, yr)] for zr, yr in zip(q, t)]
        else:
            terms = [(z - yy) ** 2 for zr, yr in zip(q, t) for z, yy in zip(zr, yr)]
            grads = [[2 * (z - yy) for z, yy in zip(zr, yr)] for zr, yr in zip(q, t)]
    scale = Fraction(1, len(terms)) if reduction == "mean" else 1
    return float(sum(terms) * scale), np.array([[float(g * scale) for g in row] for row in grads])


@pytest.mark.parametrize("reduction", modelspec.REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_losses_at_the_overflow_bound_are_finite_and_exact(name, dtype, reduction):
    logits, y = _case(name, dtype, reduction)
    with no_float_warnings():
        value, dlogits = manual.losses.loss_and_grad(name, logits, y, reduction)
        auto_value = auto.losses.loss(name, logits, y, reduction)
        auto_grad = grad(auto.losses.loss, 1)(name, logits, y, reduction)
    exact, exact_grad = _exact(name, logits, y, reduction)
    # the value is at least a quarter of the bound, so the case does test the bound
    assert exact > _bound(name, dtype, reduction) / 4
    # a few roundings of each term (log-sum-exp, the division by N, the sum of 6 terms)
    rtol = float(8 * np.finfo(dtype).eps)
    for v, g in ((value, dlogits), (auto_value, auto_grad)):
        assert np.asarray(v).dtype == dtype and g.dtype == dtype
        assert np.isfinite(v) and np.isfinite(g).all()
        assert float(v) == pytest.approx(exact, rel=rtol)
        np.testing.assert_allclose(g, exact_grad, rtol=rtol, atol=0)
    assert float(value) == pytest.approx(float(auto_value), rel=rtol)


@pytest.mark.parametrize("name, logits, y, expected", [
    # the cases: the mean overflowed before it divided
    ("bce", np.array([1e38, -1e38, 1e38], np.float32), np.array([0, 0, 1], np.float32), 1e38 / 3),
    ("cross_entropy", np.array([[1e38, -1e38], [-1e38, 1e38]], np.float32), np.array([1, 0]), 2e38),
    ("bce", np.tile([1e307, -1e307], 50), np.zeros(100), 5e306),
])
def test_the_mean_does_not_overflow_before_it_divides(name, logits, y, expected):
    with no_float_warnings():
        value, dlogits = manual.losses.loss_and_grad(name, logits, y)
        auto_value = auto.losses.loss(name, logits, y)
    rtol = float(4 * np.finfo(logits.dtype).eps)
    assert float(value) == pytest.approx(expected, rel=rtol)
    assert float(auto_value) == pytest.approx(expected, rel=rtol)
    assert np.isfinite(dlogits).all()


def test_a_sum_past_the_largest_float_is_inf_as_it_should_be():
    # the true value 2e38 + 2e38 is above float32's max: the sum may overflow, the mean not
    logits, y = np.array([2e38, 2e38], np.float32), np.zeros(2, np.float32)
    with np.errstate(over="ignore"):
        assert np.isinf(manual.losses.loss_and_grad("bce", logits, y, "sum")[0])
    assert float(manual.losses.loss_and_grad("bce", logits, y, "mean")[0]) == pytest.approx(2e38, rel=1e-7)


# --- extreme shapes: batch 1, time 1, every width 1 -----------------------------------------------

WIDTHS = ("n_in", "hidden", "n_out", "vocab")
EXTREMES = {"batch 1": ("batch",), "time 1": ("time",), "width 1": WIDTHS,
            "all 1": ("batch", "time") + WIDTHS}


def _pinned(name, extreme):
    """The sizes of ``name``'s strategy that ``extreme`` sets to 1 (linear and mlp have no time)."""
    return {key: 1 for key in EXTREMES[extreme] if key in crosscheck.get(name).cases.sizes}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, extreme", [(n, e) for n in table.names() for e in EXTREMES if _pinned(n, e)])
def test_extreme_shapes_agree_with_autograd(name, extreme, dtype):
    result = crosscheck.verify(name, supports=_pinned(name, extreme), max_examples=6, seed=0, dtype=dtype)
    assert result.ok, result.summary()


# --- long sequences: T = 5000, H = 2, batch 1 --------------------------------------------------------

T, CHUNK, H = 5000, 1250, 2


def _params(made, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(-0.5, 0.5, np.shape(v)) for k, v in made.items()}


def _layer(name):
    """(module, params, forward options, state names) of a recurrent layer, n_in 2."""
    if name == table.STACK.name:
        made = stack.init_params(2, H, 2, cell=table.LSTM.name, rng=0)
        return stack, _params(made), dict(cell=table.LSTM.name), ("h", "c")
    module = table.get(name).manual_module()
    return module, _params(module.init_params(2, H, rng=0)), {}, module.STATES


def _run(module, params, x, dout, dlast, opts, states, chunk):
    """Forward chunk by chunk, each from the last one's final states; backward from the
    last chunk to the first, each chunk's initial-state gradients the earlier chunk's
    upstream ones. Returns out, grads, dx, {state: its initial gradient}, final states."""
    caches, outs, state = [], [], {}
    for start in range(0, x.shape[1], chunk):
        out, cache = module.forward(params, x[:, start:start + chunk], **opts,
                                    **{f"{s}0": v for s, v in state.items()})
        state = {s: getattr(cache, f"{s}_last") for s in states}
        caches.append(cache)
        outs.append(out)
    final, grads, dxs = state, {}, []
    for k in reversed(range(len(caches))):
        part = None if dout is None else dout[:, k * chunk:(k + 1) * chunk]
        g, dx, *d0 = module.backward(params, caches[k], part, **{f"d{s}_last": dlast[s] for s in states})
        dlast = dict(zip(states, d0))
        grads = {key: grads.get(key, 0) + v for key, v in g.items()}
        dxs.insert(0, dx)
    return np.concatenate(outs, axis=1), grads, np.concatenate(dxs, axis=1), dlast, final


LONG_LAYERS = (table.RECURRENT.name, table.LSTM.name, table.GRU.name, table.STACK.name)


@pytest.mark.parametrize("name", LONG_LAYERS)
def test_a_long_sequence_equals_the_same_sequence_in_chunks(name):
    module, params, opts, states = _layer(name)
    rng = np.random.default_rng(1)
    x, dout = rng.uniform(-1, 1, (1, T, 2)), rng.uniform(-1, 1, (1, T, H))
    with no_float_warnings():
        out, cache = module.forward(params, x, **opts)
        last = {s: rng.uniform(-1, 1, getattr(cache, f"{s}_last").shape) for s in states}
        whole = _run(module, params, x, dout, last, opts, states, T)
        chunked = _run(module, params, x, dout, last, opts, states, CHUNK)
    np.testing.assert_array_equal(whole[0], out)
    for a, b in zip(whole, chunked):
        a, b = (a, b) if isinstance(a, dict) else ({"": a}, {"": b})
        for key in a:
            assert np.isfinite(a[key]).all()
            # the same steps in the same order; only the input GEMM's blocking may differ
            np.testing.assert_allclose(a[key], b[key], rtol=1e-12, atol=1e-14, err_msg=f"{name} {key}")


def _head_by_hand(params, h_top, y):
    """A linear head on the final top state and an MSE (sum): value, head gradients, dh_top."""
    logits = h_top @ params["Wy"] + params["by"]
    value, dlogits = manual.losses.mean_squared_error(logits, y, "sum")
    return value, {"Wy": h_top.T @ dlogits, "by": dlogits.sum(axis=0)}, dlogits @ params["Wy"].T


@pytest.mark.parametrize("name", [table.RNN.name, table.SEQNET.name])
def test_a_long_sequence_through_a_model_equals_its_layers_in_chunks(name):
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-1, 1, (1, T, 2)), rng.uniform(-1, 1, (1, 1))
    if name == table.RNN.name:
        params = _params(manual.rnn.init_params(2, H, 1, rng=0))
        module, opts, states, slot = table.RECURRENT.manual_module(), {}, ("h",), None
    else:
        params = _params(manual.seqnet.init_params(2, H, 1, 2, cell=table.GRU.name, rng=0))
        module, opts, states, slot = stack, dict(cell=table.GRU.name), ("h",), -1
    module_of_model = table.get(name).manual_module()
    with no_float_warnings():
        value, grads, inputs = module_of_model.loss_and_grads(
            params, x, y, loss="mse", output="last", reduction="sum", return_input_grads=True,
            **({} if slot is None else opts))
        layer_params = {k: v for k, v in params.items() if k not in ("Wy", "by")}
        # the layer's final state, the head by hand, then the layer's backward in chunks
        h_last = module.forward(layer_params, x, **opts)[1].h_last
        h_top = h_last if slot is None else h_last[slot]
        expected_value, head, dh_top = _head_by_hand(params, h_top, y)
        dh_last = dh_top if slot is None else np.zeros_like(h_last)
        if slot is not None:
            dh_last[slot] = dh_top
        _, layer_grads, dx, _, _ = _run(module, layer_params, x, None, {"h": dh_last}, opts, states, CHUNK)
    assert value == pytest.approx(expected_value, rel=1e-12)
    expected = {**layer_grads, **head}
    assert set(grads) == set(expected)
    for key in grads:
        assert np.isfinite(grads[key]).all()
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-12, atol=1e-14, err_msg=key)
    np.testing.assert_allclose(inputs["x"], dx, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", LONG_LAYERS)
def test_a_long_truncated_backward_is_finite_and_sees_only_its_window(name):
    # truncate = 3 with a gradient at the last states only: dx is zero before T - 3
    module, params, opts, states = _layer(name)
    x = np.random.default_rng(3).uniform(-1, 1, (1, T, 2))
    with no_float_warnings():
        _, cache = module.forward(params, x, **opts)
        last = {f"d{s}_last": np.ones_like(getattr(cache, f"{s}_last")) for s in states}
        grads, dx, *_ = module.backward(params, cache, None, truncate=3, **last)
    assert all(np.isfinite(g).all() for g in grads.values())
    assert not dx[:, :T - 3].any() and dx[:, T - 3:].any()


# --- the cache holds no view of the caller's x -------------------------------------------------

def _nudged(x):
    """x changed in place: token ids to another token (vocab >= 2 below), reals by 1."""
    if x.dtype.kind in "iu":
        x ^= 1
    else:
        x += 1.0


def _model_case(name):
    """(forward, backward, params, x, backward options) of an entry with batch 1, time 2."""
    rng = np.random.default_rng(4)
    x_seq = rng.uniform(-1, 1, (1, 2, 2))
    cells = {table.RECURRENT.name, table.LSTM.name, table.GRU.name}
    if name in cells:
        module = table.get(name).manual_module()
        return module, _params(module.init_params(2, 3, rng=0)), x_seq, {}
    if name == table.STACK.name:
        # two layers truncated (a gradient at the final states only): the backward reruns
        # the window from the cached input
        return stack, _params(stack.init_params(2, 3, 2, rng=0)), x_seq, dict(truncate=1, dh_last=np.ones((2, 1, 3)))
    if name == table.LINEAR.name:
        return linear, {"W": rng.uniform(-1, 1, (2, 3)), "b": rng.uniform(-1, 1, 3)}, x_seq[0], {}
    if name == table.EMBEDDING.name:
        return embedding, _params(embedding.init_params(4, 3, rng=0)), np.array([[0, 2]]), {}
    if name == table.ACTIVATION.name:
        return activation, {}, x_seq[0], {}
    if name == table.MLP.name:
        return manual.mlp, _params(manual.mlp.init_params([2, 3, 1], rng=0)), x_seq[0, :1], {}
    if name == table.RNN.name:
        return manual.rnn, _params(manual.rnn.init_params(2, 3, 1, rng=0)), x_seq, {}
    return manual.seqnet, _params(manual.seqnet.init_params(2, 3, 1, vocab=4, rng=0)), np.array([[0, 2]]), {}


@pytest.mark.parametrize("name", table.names())
@pytest.mark.parametrize("time", [1, 2])
def test_changing_x_after_forward_changes_no_gradient(name, time):
    module, params, x, options = _model_case(name)
    if x.ndim == 3 or (x.ndim == 2 and x.dtype.kind in "iu"):
        x = np.array(x[:, :time])
    out, cache = module.forward(params, x)
    dout = None if "dh_last" in options else np.ones_like(out)
    before = _gradients(module.backward(params, cache, dout, **options))
    _nudged(x)
    after = _gradients(module.backward(params, cache, dout, **options))
    assert set(after) == set(before) and "dx" in before
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def _gradients(returned):
    """The parameter gradients and dx (None for token ids) of what a backward returns."""
    grads, dx, *_ = returned
    return {**grads, "dx": dx}
