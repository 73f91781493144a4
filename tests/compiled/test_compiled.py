"""The compiled recurrent loops (package ``compiled/``, extra ``[numba]``): the fast tanh's
error in ulp, the loops against the NumPy ones on the same buffers (either side of
``COMPILED_UP_TO``), the model's interface and the table without numba. Their gradients are checked against
autograd as the ``rnn_numba`` entry by the cross-check, like every entry."""
import subprocess
import sys

import numpy as np
import pytest

numba = pytest.importorskip("numba", reason="numba is not installed: the compiled loops untested (pip install -e '.[numba]')")

from compiled import recurrent as compiled_loops  # noqa: E402
from compiled import rnn as compiled_rnn  # noqa: E402
from compiled.elementwise import sigmoid, tanh  # noqa: E402
from manual import rnn  # noqa: E402
from manual.layers import recurrent  # noqa: E402
from modelspec import table  # noqa: E402
from tests.helpers import ROOT, small_rnn  # noqa: E402


@numba.njit
def _tanh_all(x, out):
    for i in range(x.size):
        out[i] = tanh(x[i])


@numba.njit
def _sigmoid_all(x, out):
    for i in range(x.size):
        out[i] = sigmoid(x[i])


def _ulps(value, reference):
    """|value - reference| in units of the last place of the reference's dtype (of its
    smallest normal number for references below it)."""
    dtype = reference.dtype
    spacing = np.spacing(np.maximum(np.abs(reference), np.finfo(dtype).tiny)).astype(np.float64)
    return np.abs(value.astype(np.float64) - reference.astype(np.float64)) / spacing


def _arguments(dtype, largest, edges):
    """600,000 arguments of ``dtype`` and their negatives: ordinary, uniform up to
    ``largest`` and log-uniform from the smallest normal number up, plus ``edges``."""
    rng = np.random.default_rng(0)
    tiny = np.finfo(dtype).tiny
    x = np.concatenate([rng.standard_normal(200_000) * 3, rng.uniform(-largest, largest, 200_000),
                        10.0 ** rng.uniform(np.log10(tiny), np.log10(largest), 200_000),
                        edges, [tiny, np.finfo(dtype).smallest_subnormal, 1e-8, 0.5, 1.0, 3.0]])
    x = x.astype(dtype)
    return np.concatenate([x, -x])


def _in_long_double(fn, x):
    """fn computed in long double (x87's 64-bit significand on x86-64 Linux), rounded once
    to x's dtype: a reference far more precise than either dtype."""
    return fn(x.astype(np.longdouble)).astype(x.dtype)


def _special_values(kernel, dtype):
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype=dtype)
    got = np.empty_like(special)
    kernel(special, got)
    return got


# the tanh: a rounded polynomial, 2^n (1 + ...) - 1 losing up to 2 bits, one division:
# measured 3 ulp at most in either dtype; 4 leaves one for a compiler that contracts
# differently. The sigmoid: e^-|x| to about 1 ulp, 1 + e and the division half an ulp
# each: measured 2 ulp; 3 likewise
@pytest.mark.parametrize("dtype, largest, edges", [
    (np.float64, 800.0, [0.17328679513998632, 0.1732867951399863, 20.0, 19.99,
                         0.3465735902799726, 36.7, 37.0, 708.4, 709.8, 744.0, 745.13, 745.2,
                         745.3, 1e308]),
    (np.float32, 120.0, [0.1732868, 9.0, 8.99, 0.3465736, 16.6, 17.0, 87.3, 88.7, 103.0, 103.9,
                         104.0, 104.1, 3e38])])
def test_tanh_and_sigmoid_are_within_a_few_ulp_everywhere_in_either_dtype(dtype, largest, edges):
    x = _arguments(dtype, largest, edges)
    out = np.empty_like(x)
    _tanh_all(x, out)
    assert _ulps(out, _in_long_double(np.tanh, x)).max() <= 4
    _sigmoid_all(x, out)
    expit = _in_long_double(lambda z: np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z))), x)
    assert _ulps(out, expit).max() <= 3
    assert out.dtype == dtype
    got = _special_values(_tanh_all, dtype)
    assert list(got[:4]) == [0.0, 0.0, 1.0, -1.0] and np.isnan(got[4])
    assert np.signbit(got[1]) and not np.signbit(got[0])
    got = _special_values(_sigmoid_all, dtype)
    assert list(got[:4]) == [0.5, 0.5, 1.0, 0.0] and np.isnan(got[4])


def _buffers(batch, steps, hidden, dtype, rng):
    """A state buffer as ``recurrent._forward`` leaves it before its loop: ``hs[0]`` the
    initial state, ``hs[t]`` the input projection of step t."""
    hs = rng.standard_normal((steps + 1, batch, hidden)).astype(dtype)
    Whh = (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(dtype)
    bh = (0.1 * rng.standard_normal(hidden)).astype(dtype)
    return hs, Whh, bh


# float64: the step GEMMs sum in another order than BLAS and the tanh is a few ulp off
# np.tanh, so each step differs by a few ulp of its largest term, carried over <= 12 steps by
# a contraction (|Whh| ~ 1, tanh' <= 1): 1e-12 of the largest value is far above that and
# far below any real error. float32 arithmetic: 1e-5.
RTOL = {np.float64: 1e-12, np.float32: 1e-5}
CASES = [(batch, steps, hidden, activation, dtype)
         for batch, steps, hidden in ((1, 1, 1), (3, 5, 4), (2, 12, 17),
                                      (2, 4, compiled_loops.COMPILED_UP_TO + 1))   # BLAS's GEMM
         for activation in ("tanh", "relu") for dtype in (np.float64, np.float32)]


def _close(a, b, dtype):
    scale = max(np.abs(b).max(), 1.0)
    np.testing.assert_allclose(a, b, rtol=0, atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("batch, steps, hidden, activation, dtype", CASES)
def test_the_compiled_loops_give_the_numpy_loops_results(batch, steps, hidden, activation, dtype):
    rng = np.random.default_rng(hidden)
    hs, Whh, bh = _buffers(batch, steps, hidden, dtype, rng)
    ours, theirs = hs.copy(), hs.copy()
    compiled_loops.LOOPS.forward_steps(ours, Whh.T.copy().T, bh, activation)   # a Fortran-order Whh
    recurrent._forward_steps(theirs, Whh, bh, activation)
    _close(ours, theirs, dtype)
    WhhT = np.ascontiguousarray(Whh.T)
    dout = rng.standard_normal((steps, batch, hidden)).astype(dtype)
    for first in range(steps):                    # a gradient at h_T only, from any window
        for carry in (True, False):
            (dz, dh), (ref_dz, ref_dh) = (
                loops.bptt(WhhT, theirs, dout[-1:], activation, first, carry)
                for loops in (compiled_loops.LOOPS, recurrent.NUMPY_LOOPS))
            _close(dz, ref_dz, dtype)
            assert (dh is None) == (ref_dh is None) == (not carry)
            if carry:
                _close(dh, ref_dh, dtype)
    # a gradient at every step, as the layer's backward passes it: a time-major view of a
    # batch-first array (not contiguous)
    dout_view = np.ascontiguousarray(dout.transpose(1, 0, 2)).transpose(1, 0, 2)
    assert not dout_view.flags.c_contiguous or batch == 1 or steps == 1
    results = [loops.bptt(WhhT, theirs, dout_view, activation, 0)
               for loops in (compiled_loops.LOOPS, recurrent.NUMPY_LOOPS)]
    for got, expected in zip(*results):
        _close(got, expected, dtype)
    for k in range(1, steps + 1):                # a gradient at every step, every window
        for got, expected in zip(compiled_loops.LOOPS.bptt_window(WhhT, theirs, dout_view, activation, k),
                                 recurrent._bptt_window(WhhT, theirs, dout_view, activation, k)):
            assert got.dtype == expected.dtype == dtype
            _close(got, expected, dtype)


def test_the_model_has_the_rnn_interface_and_refuses_what_it_refuses():
    params, x, rng = small_rnn()
    y = rng.uniform(0, 1, (2, 2))
    logits, cache = compiled_rnn.forward(params, x, output="all")
    grads, dx, dh0 = compiled_rnn.backward(params, cache, np.ones_like(logits))
    expected = rnn.backward(params, rnn.forward(params, x, output="all")[1], np.ones_like(logits))
    for got, ref in zip((grads[k] for k in grads), (expected[0][k] for k in grads)):
        _close(got, ref, np.float64)
    with pytest.raises(ValueError, match="truncate"):
        compiled_rnn.loss_and_grads(params, x, y, loss="bce", truncate=0)
    with pytest.raises(TypeError, match="cache"):
        compiled_rnn.backward(params, (1, 2), np.ones_like(logits))


def test_without_numba_the_entry_is_absent_and_asking_for_it_says_what_to_install():
    code = ("import importlib.util as u\n"
            "real = u.find_spec\n"
            "u.find_spec = lambda name, *a: None if name == 'numba' else real(name, *a)\n"
            "from modelspec import table\n"
            "import crosscheck\n"
            f"for name in {[table.RNN_NUMBA.name, table.SEQNET_NUMBA.name]!r}:\n"
            "    assert name not in table.names() + crosscheck.models()\n"
            "from crosscheck import zoo\n"
            "assert all(bug.model in table.names() for bug in zoo.BUGS)\n"
            f"table.get({table.RNN_NUMBA.name!r})\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"ValueError: {table.RNN_NUMBA.name!r} needs the optional package 'numba': "
        "pip install 'backprop-crosscheck[numba]'")


@pytest.mark.parametrize("options", [
    dict(loss="cross_entropy", output="last", truncate=None, activation="tanh"),
    dict(loss="mse", output="all", truncate=None, activation="relu"),
    dict(loss="bce", output="all", truncate=2, activation="tanh")])
def test_above_the_crossover_the_model_agrees_with_autograd(options):
    """The drawn and pinned cases of the cross-check are at most 6 hidden units wide: the
    loops with BLAS's step GEMM (above COMPILED_UP_TO) are checked against autograd here."""
    import crosscheck
    hidden, rng = compiled_loops.COMPILED_UP_TO + 1, np.random.default_rng(5)
    params, x, _ = small_rnn(n_in=2, hidden=hidden, n_out=2, batch=2, steps=4, seed=5)
    params["Whh"] *= 4 / np.sqrt(hidden)         # pre-activations of order 1, not saturated
    y = {"cross_entropy": np.array([0, 1]), "mse": rng.standard_normal((2, 4, 2)),
         "bce": rng.uniform(0, 1, (2, 4, 2))}[options["loss"]]
    case = crosscheck.Case(params, (x, y), dict(options, reduction="mean",
                                                h0=rng.uniform(-1, 1, (2, hidden))))
    model = crosscheck.get(table.RNN_NUMBA.name)
    report = crosscheck.check_case(model, case, input_grads=True)
    assert report.ok, report
    if options["truncate"] is None:
        # and the same case catches a carry with Whh for Whh.T in those loops' full BPTT
        # (per-term windows, truncate < T, run other loops)
        from crosscheck.zoo import compiled_bugs
        buggy = next(bug.fn for bug in compiled_bugs.BUGS if bug.name == "numba_carry_with_Whh")
        assert not crosscheck.check_case(model, case, manual=buggy, input_grads=True).ok


def test_the_example_gets_the_numpy_gradients_and_a_passing_check(monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    import compiled_rnn as example
    difference, speedup, result = example.run(examples=20)
    assert difference < 1e-12 and speedup > 0          # (speed is the benchmark's to measure)
    assert result.ok and result.model == table.RNN_NUMBA.name
    assert "examples agree" in capsys.readouterr().out
    assert example.run_seqnet() < 1e-12                # manual.seqnet's gradients, to rounding
