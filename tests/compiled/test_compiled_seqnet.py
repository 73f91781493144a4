"""The sequence network with compiled loops (``compiled.seqnet``, the entry ``seqnet_numba``):
above the loops' crossover, where the cross-check's drawn cases (at most 6 hidden units) do
not reach, its gradients against autograd for every cell; and its checks are
``manual.seqnet``'s."""
import numpy as np
import pytest

pytest.importorskip("numba", reason="numba is not installed: the compiled loops untested (pip install -e '.[numba]')")

import crosscheck  # noqa: E402
from compiled import recurrent as compiled_loops  # noqa: E402
from compiled import seqnet as compiled_seqnet  # noqa: E402
from manual import seqnet  # noqa: E402
from modelspec import table  # noqa: E402

CELLS = (table.RECURRENT.name, table.LSTM.name, table.GRU.name)


def _case(cell, hidden, layers, bidirectional, output, truncate, seed):
    """A seqnet case on real x, pre-activations of order 1 (not saturated), h0 (and c0) given."""
    rng = np.random.default_rng(seed)
    batch, steps, n_in, n_out = 2, 5, 3, 2
    params = seqnet.init_params(n_in, hidden, n_out, layers, cell=cell, bidirectional=bidirectional,
                                rng=rng)
    for key in params:
        if key.startswith("b"):                   # no gradient checked only at zero biases
            params[key] = params[key] + rng.uniform(-0.1, 0.1, params[key].shape)
    slots = layers * (2 if bidirectional else 1)
    states = {"h0": rng.uniform(-1, 1, (slots, batch, hidden))}
    if cell == table.LSTM.name:
        states["c0"] = rng.uniform(-1, 1, (slots, batch, hidden))
    x = rng.standard_normal((batch, steps, n_in))
    y = rng.integers(0, n_out, (batch,) if output == "last" else (batch, steps))
    options = dict(loss="cross_entropy", cell=cell, output=output, truncate=truncate,
                   reduction="mean", activation="tanh", **states)
    return crosscheck.Case(params, (x, y), options)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers, bidirectional, output, truncate", [
    (1, False, "last", None), (1, False, "all", 2), (2, True, "all", None), (2, False, "last", 3)])
def test_above_the_crossover_every_cell_agrees_with_autograd(cell, layers, bidirectional, output, truncate):
    hidden = compiled_loops.COMPILED_UP_TO + 1   # BLAS's step GEMM and one compiled pass a step
    case = _case(cell, hidden, layers, bidirectional, output, truncate, seed=layers)
    report = crosscheck.check_case(crosscheck.get(table.SEQNET_NUMBA.name), case, input_grads=True)
    assert report.ok, report


@pytest.mark.parametrize("cell", CELLS)
def test_the_results_are_manual_seqnets_to_rounding_on_both_sides_of_the_crossover(cell):
    for hidden in (4, compiled_loops.COMPILED_UP_TO + 1):
        case = _case(cell, hidden, 2, False, "all", None, seed=hidden)
        x, y = case.args
        want = seqnet.loss_and_grads(case.params, x, y, **case.options, return_input_grads=True)
        got = compiled_seqnet.loss_and_grads(case.params, x, y, **case.options, return_input_grads=True)
        # float64, a few ulp of tanh and sigmoid and another summation order over 5 steps
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        for key in want[1]:
            np.testing.assert_allclose(got[1][key], want[1][key], rtol=1e-10, atol=1e-13, err_msg=key)
        for key in want[2]:
            np.testing.assert_allclose(got[2][key], want[2][key], rtol=1e-10, atol=1e-13, err_msg=key)


def test_its_checks_are_manual_seqnets():
    case = _case(table.LSTM.name, 3, 1, False, "last", None, seed=0)
    x, y = case.args
    bad_calls = [dict(cell="lstmm"), dict(cell=["lstm"]), dict(truncate=0), dict(output="every")]
    for bad in bad_calls:
        options = {**case.options, **bad}
        with pytest.raises((ValueError, TypeError)) as want:
            seqnet.loss_and_grads(case.params, x, y, **options)
        with pytest.raises((ValueError, TypeError)) as got:
            compiled_seqnet.loss_and_grads(case.params, x, y, **options)
        assert (got.type, str(got.value)) == (want.type, str(want.value))
    options = {k: v for k, v in case.options.items() if k not in ("loss", "truncate", "reduction")}
    logits, cache = compiled_seqnet.forward(case.params, x, **options)
    with pytest.raises(TypeError, match="cache"):
        compiled_seqnet.backward(case.params, (1, 2), np.ones_like(logits))
    with pytest.raises(ValueError, match="dlogits"):
        compiled_seqnet.backward(case.params, cache, np.ones((1, 1)))
