"""The GRU's compiled time loops (``compiled.gru.LOOPS``) against NumPy's
(``manual.layers.gru.NUMPY_LOOPS``) on the same buffers, either side of ``COMPILED_UP_TO``,
and the layer through its cell interface with either set."""
import numpy as np
import pytest

numba = pytest.importorskip("numba", reason="numba is not installed: the compiled GRU loops untested (pip install -e '.[numba]')")

from compiled import gru as compiled_gru  # noqa: E402
from manual.layers import gru  # noqa: E402

COMPILED, NUMPY = compiled_gru.LOOPS, gru.NUMPY_LOOPS
ABOVE = compiled_gru.COMPILED_UP_TO + 1          # BLAS's step GEMM and the NumPy window loop

# The loops differ from NumPy's in rounding only: the written-out GEMMs sum their up to
# 3H <= 102 products in another order than BLAS (and fuse multiply-adds), and the compiled
# tanh and sigmoid are a few ulp off NumPy's; every step's difference is a few ulp of its
# largest term, typically ~sqrt(3H) ulp, carried over <= 6 steps by a contraction (gates in
# (0, 1), |Whh| ~ 1). float64: 1e-12 of the largest value (~4500 ulp) is far above that and
# far below any real error; float32 arithmetic: 1e-5 (~80 ulp).
TOL = {np.float64: 1e-12, np.float32: 1e-5}
SIZES = [(1, 1, 1), (3, 5, 3), (2, 6, compiled_gru.COMPILED_UP_TO), (2, 4, ABOVE)]   # batch, T, H
DTYPES = [np.float64, np.float32]


def _close(got, expected, dtype):
    assert got.dtype == expected.dtype == dtype and got.shape == expected.shape
    scale = max(np.abs(expected).max(), 1.0)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL[dtype] * scale)


def _buffers(batch, steps, hidden, dtype, seed=0):
    """Whh, bhh and the forward loop's buffers as ``gru._forward`` leaves them before it:
    gates holding ``ax_t`` of every step, ``hs[0] = h_0``, ahn empty."""
    rng = np.random.default_rng(seed)
    Whh = (rng.standard_normal((hidden, 3 * hidden)) / np.sqrt(hidden)).astype(dtype)
    bhh = (0.1 * rng.standard_normal(3 * hidden)).astype(dtype)
    gates = rng.standard_normal((steps, batch, 3 * hidden)).astype(dtype)
    hs = np.empty((steps + 1, batch, hidden), dtype=dtype)
    hs[0] = rng.uniform(-1, 1, (batch, hidden))
    return Whh, bhh, gates, hs, np.empty((steps, batch, hidden), dtype=dtype)


def _backward_inputs(batch, steps, hidden, dtype):
    """A NumPy forward pass's cache (x unused by the loops), WhhT and an upstream gradient
    at every state, time-major as the layer's backward passes it: a view of a batch-first
    array (not contiguous)."""
    Whh, bhh, gates, hs, ahn = _buffers(batch, steps, hidden, dtype)
    NUMPY.forward_steps(gates, hs, ahn, Whh, bhh)
    cache = gru.GRUCache(None, hs, gates, ahn)
    dout = np.random.default_rng(1).standard_normal((batch, steps, hidden)).astype(dtype)
    return cache, np.ascontiguousarray(Whh.T), dout.transpose(1, 0, 2)


def _update_gates(cache, first):
    hidden = cache.hs.shape[2]
    return cache.gates[first:, :, hidden:2 * hidden]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch, steps, hidden", SIZES)
def test_forward_steps_give_numpys_gates_states_and_ahn(batch, steps, hidden, dtype):
    Whh, bhh, *buffers = _buffers(batch, steps, hidden, dtype)
    ours, theirs = [b.copy() for b in buffers], [b.copy() for b in buffers]
    COMPILED.forward_steps(*ours, Whh.T.copy().T, bhh)    # a Fortran-order Whh
    NUMPY.forward_steps(*theirs, Whh, bhh)
    for got, expected in zip(ours, theirs):
        _close(got, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch, steps, hidden", SIZES)
@pytest.mark.parametrize("where", ["every state", "the last state"])
def test_bptt_from_a_gradient_at_every_state_or_the_last(where, batch, steps, hidden, dtype):
    cache, WhhT, dout_tm = _backward_inputs(batch, steps, hidden, dtype)
    if where == "every state":
        assert not dout_tm.flags.c_contiguous or batch == 1 or steps == 1
        dh_out, firsts = dout_tm, [0]
    else:                                        # full, and truncated BPTT from any first step
        dh_out, firsts = dout_tm[-1:], sorted({0, 1, steps - 1} & set(range(steps)))
    for first in firsts:
        _, dah = gru._factors(cache, first)
        for carry_to_first in (True, False):
            (dhs, dh), (ref_dhs, ref_dh) = (
                loops.bptt(WhhT, _update_gates(cache, first), dah, dh_out, carry_to_first)
                for loops in (COMPILED, NUMPY))
            _close(dhs, ref_dhs, dtype)
            assert (dh is None) == (ref_dh is None) == (not carry_to_first)
            if carry_to_first:
                _close(dh, ref_dh, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch, steps, hidden", SIZES)
def test_the_window_loop_for_every_kind_of_window(batch, steps, hidden, dtype):
    cache, WhhT, dout_tm = _backward_inputs(batch, steps, hidden, dtype)
    _, dah = gru._factors(cache, 0)
    for k in sorted({1, 2, steps, steps + 2}):    # one step, two, the whole sequence, longer
        for got, expected in zip(*(loops.bptt_window(WhhT, _update_gates(cache, 0), dah, dout_tm, k)
                                   for loops in (COMPILED, NUMPY))):
            _close(got, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden", [3, ABOVE])   # either side of the crossover
@pytest.mark.parametrize("truncate, every_state, last_state", [
    (None, True, True), (None, False, True), (2, True, False), (2, False, True), (7, True, True)])
def test_the_layer_with_the_compiled_loops_gives_numpys_outputs_and_gradients(
        hidden, truncate, every_state, last_state, dtype):
    batch, steps, n_in = 2, 5, 3
    rng = np.random.default_rng(hidden)
    params = gru.init_params(n_in, hidden, rng=rng, dtype=dtype)
    for key in ("bxh", "bhh"):
        params[key] = (0.1 * rng.standard_normal(3 * hidden)).astype(dtype)
    x = rng.standard_normal((batch, steps, n_in)).astype(dtype)
    state0 = {"h": rng.uniform(-1, 1, (batch, hidden)).astype(dtype)}
    dout_tm = rng.standard_normal((batch, steps, hidden)).astype(dtype).transpose(1, 0, 2)
    dlast = {"h": rng.standard_normal((batch, hidden)).astype(dtype) if last_state else None}
    (out, cache), (ref_out, ref_cache) = (gru._cell_forward(params, x, state0, loops=loops)
                                          for loops in (COMPILED, None))
    _close(out, ref_out, dtype)
    for input_grads in (True, False):
        (grads, dx, dstate0), (ref_grads, ref_dx, ref_dstate0) = (
            gru._cell_backward(params, c, dout_tm if every_state else None, dlast, truncate,
                               input_grads, loops=loops)
            for c, loops in ((cache, COMPILED), (ref_cache, None)))
        assert grads.keys() == ref_grads.keys()
        for key in grads:
            _close(grads[key], ref_grads[key], dtype)
        if input_grads:
            _close(dx, ref_dx, dtype)
            _close(dstate0["h"], ref_dstate0["h"], dtype)
        else:
            assert dx is ref_dx is dstate0 is ref_dstate0 is None
