"""The LSTM's compiled time loops (``compiled.lstm.LOOPS``) against NumPy's
(``manual.layers.lstm.NUMPY_LOOPS``) on the same inputs, either side of ``COMPILED_UP_TO``,
and the layer through ``_cell_forward`` / ``_cell_backward`` with them."""
import numpy as np
import pytest

numba = pytest.importorskip("numba", reason="numba is not installed: the compiled loops untested (pip install -e '.[numba]')")

from compiled import lstm as compiled_lstm  # noqa: E402
from manual.layers import lstm  # noqa: E402

N_IN, BATCH, STEPS = 3, 2, 5
# 3 and COMPILED_UP_TO: a loop is one kernel; COMPILED_UP_TO + 1: BLAS's step GEMM
HIDDEN = (3, compiled_lstm.COMPILED_UP_TO, compiled_lstm.COMPILED_UP_TO + 1)
CASES = [(hidden, dtype) for hidden in HIDDEN for dtype in (np.float64, np.float32)]

# float64: the step GEMMs sum in another order than BLAS (over up to 4H = 132 terms), multiply-
# adds are fused and sigmoid / tanh are a few ulp off NumPy's, so each step differs by a few
# ulp of its largest term; over <= 5 steps with weights of order 1 / sqrt(H) that stays within
# 1e-12 of the largest value, far below any real error. float32: NumPy rounds every operation
# to float32 (the kernels compute sigmoid and tanh in float64 and round once): a few float32
# ulp (1.2e-7) per operation, the same amplification, 1e-5.
RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def _close(got, expected, dtype):
    assert got.dtype == expected.dtype == dtype
    scale = max(np.abs(expected).max(), 1.0)
    np.testing.assert_allclose(got, expected, rtol=0, atol=RTOL[dtype] * scale)


def _layer(hidden, dtype, seed=0):
    """Parameters with pre-activations of order 1 (non-zero biases), x, the initial state and
    the NumPy layer's cache."""
    rng = np.random.default_rng(seed)
    params = {"Wxh": rng.uniform(-1, 1, (N_IN, 4 * hidden)),
              "Whh": rng.uniform(-1, 1, (hidden, 4 * hidden)) * 2 / np.sqrt(hidden),
              "bh": rng.uniform(-0.5, 0.5, 4 * hidden)}
    params = {k: v.astype(dtype) for k, v in params.items()}
    x = rng.standard_normal((BATCH, STEPS, N_IN)).astype(dtype)
    state0 = {s: rng.standard_normal((BATCH, hidden)).astype(dtype) for s in lstm.STATES}
    _, cache = lstm._cell_forward(params, x, state0)
    return params, x, state0, cache, rng


def _backward_inputs(params, cache, rng):
    """What the layer passes the backward loops: WhhT, gates, cs, tanh_c; and upstream
    gradients: dout as the layer gets it, a time-major view of a batch-first array (not
    contiguous), and a gradient at (h_T, c_T)."""
    dtype = cache.hs.dtype
    hidden = cache.hs.shape[2]
    dout_tm = rng.standard_normal((BATCH, STEPS, hidden)).astype(dtype).transpose(1, 0, 2)
    assert not dout_tm.flags.c_contiguous
    dh_T, dc_T = (rng.standard_normal((BATCH, hidden)).astype(dtype) for _ in range(2))
    return (np.ascontiguousarray(params["Whh"].T), cache.gates, cache.cs, cache.tanh_c), dout_tm, dh_T, dc_T


def _da(cache):
    return np.full(cache.gates.shape, np.nan, dtype=cache.gates.dtype)


@pytest.mark.parametrize("hidden, dtype", CASES)
def test_the_forward_steps_give_numpys(hidden, dtype):
    params, _, state0, cache, _ = _layer(hidden, dtype)
    buffers = []
    for loops in (compiled_lstm.LOOPS, lstm.NUMPY_LOOPS):
        # the buffers as _forward leaves them before its loop
        gates = (cache.x.reshape(STEPS * BATCH, N_IN) @ params["Wxh"]).reshape(STEPS, BATCH, -1)
        hs, cs = np.empty_like(cache.hs), np.empty_like(cache.cs)
        hs[0], cs[0] = state0["h"], state0["c"]
        tanh_c = np.empty_like(cache.tanh_c)
        # the compiled ones get a Fortran-order Whh and a strided bh (made contiguous inside)
        Whh = params["Whh"].T.copy().T if loops is compiled_lstm.LOOPS else params["Whh"]
        bh = np.repeat(params["bh"], 2)[::2] if loops is compiled_lstm.LOOPS else params["bh"]
        loops.forward_steps(gates, hs, cs, tanh_c, Whh, bh)
        buffers.append((gates, hs, cs, tanh_c))
    for got, expected in zip(*buffers):
        _close(got, expected, dtype)


@pytest.mark.parametrize("hidden, dtype", CASES)
@pytest.mark.parametrize("to_state0", [True, False])
def test_full_bptt_with_a_gradient_at_every_step_gives_numpys(hidden, dtype, to_state0):
    params, _, _, cache, rng = _layer(hidden, dtype)
    inputs, dout_tm, dh_T, dc_T = _backward_inputs(params, cache, rng)
    dh_T += dout_tm[-1]                          # as the layer passes it
    results = []
    for loops in (compiled_lstm.LOOPS, lstm.NUMPY_LOOPS):
        da = _da(cache)
        dstate = loops.bptt(*inputs, dout_tm, dh_T.copy(), dc_T.copy(), 0, da, to_state0)
        results.append((da,) + dstate)
    (da, dh0, dc0), (ref_da, ref_dh0, ref_dc0) = results
    _close(da, ref_da, dtype)
    if to_state0:
        _close(dh0, ref_dh0, dtype)
        _close(dc0, ref_dc0, dtype)
    else:
        assert dh0 is dc0 is ref_dh0 is ref_dc0 is None


@pytest.mark.parametrize("hidden, dtype", CASES)
def test_bptt_with_a_gradient_at_the_last_state_only_gives_numpys_from_every_first(hidden, dtype):
    params, _, _, cache, rng = _layer(hidden, dtype)
    inputs, _, dh_T, dc_T = _backward_inputs(params, cache, rng)
    for first in range(STEPS):                   # first > 0: truncated, its window ends there
        for to_state0 in (True, False):
            results = []
            for loops in (compiled_lstm.LOOPS, lstm.NUMPY_LOOPS):
                da = _da(cache)
                dstate = loops.bptt(*inputs, None, dh_T.copy(), dc_T.copy(), first, da, to_state0)
                results.append((da[first:],) + dstate)
            (da, dh, dc), (ref_da, ref_dh, ref_dc) = results
            _close(da, ref_da, dtype)
            assert (dh is None) == (dc is None) == (ref_dh is None) == (not to_state0)
            if to_state0:
                _close(dh, ref_dh, dtype)
                _close(dc, ref_dc, dtype)


@pytest.mark.parametrize("hidden, dtype", CASES)
@pytest.mark.parametrize("k", [1, 2, STEPS, STEPS + 2])
def test_the_window_loop_gives_numpys(hidden, dtype, k):
    params, _, _, cache, rng = _layer(hidden, dtype)
    inputs, dout_tm, dh_T, dc_T = _backward_inputs(params, cache, rng)
    results = []
    for loops in (compiled_lstm.LOOPS, lstm.NUMPY_LOOPS):
        da = _da(cache)
        dh0, dc0 = loops.bptt_window(*inputs, dout_tm, dh_T, dc_T, k, da)
        results.append((da, dh0, dc0))
    for got, expected in zip(*results):
        _close(got, expected, dtype)


@pytest.mark.parametrize("hidden, dtype", CASES)
@pytest.mark.parametrize("upstream, truncate", [
    ("dout", None), ("last", None), ("both", None), ("last", 2), ("both", 2), ("dout", STEPS),
    ("both", STEPS + 1)])
def test_the_layer_with_the_compiled_loops_gives_numpys(hidden, dtype, upstream, truncate):
    params, x, state0, cache, rng = _layer(hidden, dtype)
    out, compiled_cache = lstm._cell_forward(params, x, state0, loops=compiled_lstm.LOOPS)
    _close(out, cache.hs[1:].transpose(1, 0, 2), dtype)
    for got, expected in zip(compiled_cache, cache):
        _close(got, expected, dtype)
    _, dout_tm, dh_T, dc_T = _backward_inputs(params, cache, rng)
    dout_tm = None if upstream == "last" else dout_tm
    dlast = {"h": None, "c": None} if upstream == "dout" else {"h": dh_T, "c": dc_T}
    for input_grads in (True, False):
        (grads, dx, dstate0), (ref_grads, ref_dx, ref_dstate0) = (
            lstm._cell_backward(params, cache, dout_tm, dlast, truncate, input_grads, loops=loops)
            for loops in (compiled_lstm.LOOPS, None))
        for key in params:
            _close(grads[key], ref_grads[key], dtype)
        if input_grads:
            _close(dx, ref_dx, dtype)
            for s in lstm.STATES:
                _close(dstate0[s], ref_dstate0[s], dtype)
        else:
            assert dx is dstate0 is ref_dx is ref_dstate0 is None
