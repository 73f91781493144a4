"""The benchmark (``python -m benchmarks``): it runs, refuses a contender whose gradients
disagree before timing it, and counts flops as its report says. No timing is asserted:
speed is measured by the benchmark itself, never by a test."""
import numpy as np
import pytest

from benchmarks import models, run
from tests.helpers import run_module


def test_quick_run_writes_a_report_with_every_table(tmp_path):
    report = tmp_path / "report.md"
    done = run_module("benchmarks", "--quick", "--shape", "3,3,2,3", "--examples", "3",
                      "--output", str(report), timeout=300)
    assert done.returncode == 0, done.stderr
    text = report.read_text()
    for heading in ("## Machine", "## RNN: median time per forward + backward (ms)",
                    "## RNN: ratios", "## Truncated BPTT k=10 against full BPTT",
                    "## MLP: median time", "## GEMM ceiling", "## Cross-check throughput",
                    "## Agreement checks (before timing)"):
        assert heading in text, heading
    assert "`--quick`: a smoke test" in text
    assert "ours f64: k=10 / full (same rounds)" in text
    for variant in models.RNN_VARIANTS:
        assert f"| (3, 3, 2, 3) | {variant} |" in text
    assert "| refused |" not in text and "disagrees:" not in text   # every contender agreed


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


def test_torch_contenders_agree_with_ours_where_torch_is_installed():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: torch contenders untested")
    for problem in (models.rnn_problem((2, 12, 3, 5), "many-to-one, k=10"),
                    models.rnn_problem((2, 6, 3, 5), "many-to-many")):
        reference = _reference(problem)
        for dtype in (np.float64, np.float32):
            ok, text = run.check(models.torch_contender(problem, torch, dtype), reference)
            assert ok, text


def test_the_validation_cost_table_runs():
    from benchmarks import timing, validation
    rows = validation.measure(timing.QUICK)
    assert len(rows) == 4 and all(checked > 0 and unchecked > 0 for _, checked, unchecked in rows)

