"""The benchmark (``python -m benchmarks``): it runs, refuses a contender whose gradients
disagree before timing it, and counts flops as its report says; every contender of the
optional libraries (torch, JAX) agrees with ours on every kind of problem. No timing is
asserted: speed is measured by the benchmark itself, never by a test."""
import json
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import memory, models, run
from modelspec import table
from tests.helpers import ROOT, run_module

SMALL = (2, 12, 3, 5)          # (batch, time, features, hidden): k=10 truncates, T > k


def _small_problems():
    """One problem of every kind the benchmark times, at a small shape: every RNN variant,
    every recurrent layer, the MLP."""
    return [problem for entry in models.PROBLEMS for problem in models.PROBLEMS[entry]([SMALL])]


def _id(problem):
    return f"{problem.model.name}-{problem.variant}"


def test_quick_run_writes_a_report_with_every_table(tmp_path):
    report = tmp_path / "report.md"
    done = run_module("benchmarks", "--quick", "--shape", "3,3,2,3", "--examples", "3",
                      "--output", str(report), timeout=300)
    assert done.returncode == 0, done.stderr
    text = report.read_text()
    for heading in ("## Machine", "## RNN: median time per forward + backward (ms)",
                    "## RNN: ratios", "## Truncated BPTT k=10 against full BPTT",
                    "## MLP: median time", "## GEMM ceiling", "## Cross-check throughput",
                    "## Peak memory of forward + backward (MB)", "## Agreement checks (before timing)"):
        assert heading in text, heading
    for entry in models.CELLS:                       # one problem each: time and ratios together
        assert f"## {entry.name.upper()}: median time (ms), ratios and throughput" in text, entry.name
        assert f"| {entry.name} | (3, 3, 2, 3) |" in text       # its memory and agreement rows
    assert "`--quick`: a smoke test" in text
    assert "ours f64: k=10 / full (same rounds)" in text
    for variant in models.RNN_VARIANTS:
        assert f"| (3, 3, 2, 3) | {variant} |" in text
    assert "| refused |" not in text and "disagrees:" not in text   # every contender agreed
    assert "failed (below)" not in text                             # every peak memory measured


def test_bad_shape_is_a_usage_error():
    done = run_module("benchmarks", "--shape", "3,3,2", timeout=60)
    assert done.returncode == 2 and "expected four positive integers B,T,F,H" in done.stderr


def _reference(problem):
    loss, grads = models.ours(problem).result()
    return run._as_dict(loss, grads)


def test_a_contender_with_a_wrong_gradient_or_an_upcast_is_refused():
    problem = models.rnn_problem((2, 4, 3, 5), "many-to-one")
    reference = _reference(problem)
    good = models.ours(problem, np.float32)
    ok, text = run.check(good, reference)
    assert ok and text.startswith("agrees"), text

    def transposed_Whh():
        loss, grads = models.ours(problem).result()
        return loss, {**grads, "Whh": grads["Whh"].T}

    wrong = models.Contender("wrong", np.float64, "numpy", transposed_Whh, transposed_Whh)
    ok, text = run.check(wrong, reference)
    assert not ok and text.startswith("disagrees: Whh")

    def upcast():
        loss, grads = good.result()
        return loss, {k: v.astype(np.float64) for k, v in grads.items()}

    ok, text = run.check(models.Contender("upcast", np.float32, "numpy", upcast, upcast), reference)
    assert not ok and "returned non-float32 arrays" in text


@pytest.mark.parametrize("variant", list(models.RNN_VARIANTS))
def test_rnn_flops_count_the_gemms_of_the_model(variant):
    batch, steps, n_in, hidden = shape = (2, 12, 3, 5)
    options = models.RNN_VARIANTS[variant]
    back = steps if options["truncate"] is None else options["truncate"]
    heads = steps if options["output"] == "all" else 1
    mac = (batch * steps * (n_in * hidden + hidden * hidden)          # input projection, recurrence
           + batch * heads * hidden                                   # head (n_out = 1)
           + batch * back * (2 * hidden * hidden + n_in * hidden)     # carry, dWhh, dWxh
           + 2 * batch * heads * hidden)                              # dWy, dlogits @ Wy.T
    assert models.rnn_flops(shape, options["output"], options["truncate"]) == 2 * mac


@pytest.mark.parametrize("entry", list(models.CELLS), ids=[e.name for e in models.CELLS])
def test_recurrent_layer_flops_count_their_gates_and_layers(entry):
    cell, layers = models.CELLS[entry]
    batch, steps, n_in, hidden = SMALL
    width = models.GATES[cell] * hidden
    mac = batch * (hidden + 2 * hidden)                              # head forward, dWy and dlogits @ Wy.T
    for layer in range(layers):
        reads = n_in if layer == 0 else hidden
        mac += batch * steps * (reads * width + hidden * width)       # input projection, recurrence
        mac += batch * steps * (hidden * width + reads * width + hidden * width)   # carry, dWxh, dWhh
        mac += batch * steps * width * reads if layer > 0 else 0       # the gradient to the layer below
    assert models.cell_problem(entry, SMALL).flops == 2 * mac


@pytest.mark.parametrize("problem", _small_problems(), ids=_id)
def test_torch_contenders_agree_with_ours_where_torch_is_installed(problem):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: torch contenders untested")
    reference = _reference(problem)
    for dtype in (np.float64, np.float32):
        ok, text = run.check(models.torch_contender(problem, torch, dtype), reference)
        assert ok, text


@pytest.mark.parametrize("problem", _small_problems(), ids=_id)
def test_jax_contenders_agree_with_ours_where_jax_is_installed(problem):
    pytest.importorskip("jax", reason="JAX is not installed: JAX contenders untested (pip install jax)")
    jax = models.import_jax()
    reference = _reference(problem)
    for dtype in (np.float64, np.float32):        # float32 stays float32 with x64 on (run.check)
        contender = models.jax_contender(problem, jax, dtype)
        ok, text = run.check(contender, reference)
        assert ok, f"{contender.name}: {text}"
        assert contender.memory() > 0              # XLA's plan of the compiled call


def test_jax_truncation_is_ours_not_full_bptt():
    pytest.importorskip("jax", reason="JAX is not installed: JAX contenders untested (pip install jax)")
    jax = models.import_jax()
    truncated = models.rnn_problem(SMALL, "many-to-one, k=10")
    full = _reference(models.rnn_problem(SMALL, "many-to-one"))
    ok, text = run.check(models.jax_contender(truncated, jax, np.float64), full)
    assert not ok and text.startswith("disagrees"), text     # the same data, full BPTT's gradient differs


def test_a_contender_that_cannot_be_built_is_refused_not_a_crash():
    problem = models.rnn_problem(SMALL, "many-to-one")
    contender = models.external(problem, "torch", object(), np.float64)   # no torch.nn: building raises
    ok, text = run.check(contender, _reference(problem))
    assert not ok and text.startswith("raised AttributeError"), text


def test_no_optional_library_is_imported_unless_asked_for():
    # with --no-jax and --no-torch neither is imported, even where installed, and the
    # benchmark's own modules import neither
    code = ("import sys, json; from benchmarks.__main__ import parse_args; from benchmarks import run; "
            "args = parse_args(['--no-jax', '--no-torch']); "
            "found = [run.import_jax(args), run.import_torch(args)]; "
            "print(json.dumps([found == [None, None], 'jax' in sys.modules, 'torch' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, False, False]


def test_states_and_gradients_is_the_lower_bound_the_report_states():
    batch, steps, n_in, hidden = SMALL
    head = hidden + 1
    rnn = models.rnn_problem(SMALL, "many-to-one")
    assert models.states_and_gradients(rnn) == 8 * ((steps + 1) * batch * hidden
                                                    + n_in * hidden + hidden * hidden + hidden + head)
    lstm = models.cell_problem(table.LSTM, SMALL)
    assert models.states_and_gradients(lstm, np.float32) == 4 * (2 * (steps + 1) * batch * hidden
                                                                 + 4 * (n_in * hidden + hidden * hidden + hidden)
                                                                 + head)
    stack = models.cell_problem(table.STACK, SMALL)
    assert models.states_and_gradients(stack) == 8 * (2 * (steps + 1) * batch * hidden
                                                      + (n_in + hidden + 1) * hidden
                                                      + (2 * hidden + 1) * hidden + head)
    assert models.states_and_gradients(models.mlp_problem()) is None


def test_ours_peak_memory_holds_at_least_the_gradients_it_returns():
    problem = models.cell_problem(table.GRU, SMALL)
    gradients = sum(v.nbytes for v in problem.params.values())
    assert memory.peak(models.ours(problem), {}) >= gradients


def test_the_validation_cost_table_runs():
    from benchmarks import timing, validation
    rows = validation.measure(timing.QUICK)
    assert len(rows) == 4 and all(checked > 0 and unchecked > 0 for _, checked, unchecked in rows)

