"""verify tells a disagreement, a crash, a usage error and a broken contract apart, and
its reports say what happened: whose value, which reference, pinned or shrunk."""
import subprocess
import sys

import numpy as np
import pytest

import crosscheck
import manual
from crosscheck import contracts
from tests.helpers import ROOT


def _mlp(transform):
    """A function like manual.mlp.loss_and_grads whose (loss, grads) pass through ``transform``."""
    def fn(params, x, y, **options):
        return transform(params, *manual.mlp.loss_and_grads(params, x, y, **options))
    return fn


def _verify(fn, **options):
    return crosscheck.verify("mlp", manual=fn, max_examples=30, seed=0, **options)


@pytest.mark.parametrize("fn, says", [
    (_mlp(lambda p, v, g: (v, tuple(g.values()))), "grads must be a dict of arrays; got tuple"),
    (_mlp(lambda p, v, g: g), "must return (loss, grads); got a dict"),
    (_mlp(lambda p, v, g: (v, g, {})), "must return (loss, grads); got a tuple of 3 items"),
    (_mlp(lambda p, v, g: (np.ones(2), g)), "loss must be a real scalar"),
    (_mlp(lambda p, v, g: (v, {k: g[k] for k in list(g)[1:]})), "missing ['W0']"),
    (lambda params, x, y, *, loss: manual.mlp.loss_and_grads(params, x, y, loss=loss),
     "unexpected keyword argument 'activation'"),
    (lambda params, x, y, **options: (_ for _ in ()).throw(NotImplementedError("only mse")),
     "does not support this case (NotImplementedError: only mse); declare what it supports"),
])
def test_a_usage_error_is_reported_at_once_and_not_as_a_disagreement(fn, says):
    result = _verify(fn)
    assert (result.ok, result.verdict, result.report) == (False, "usage", None)
    assert result.examples == result.examples_to_failure <= 2      # not shrunk
    assert says in result.error and "USAGE ERROR" in result.summary()
    assert "DISAGREEMENT" not in result.summary()


def _in_place(params, value, grads):
    params["W0"] -= 0.1 * grads["W0"]                 # an SGD step inside the gradient function
    return value, grads


calls = {"n": 0}


def _accumulating(params, value, grads):
    calls["n"] += 1
    return value, {k: g * calls["n"] for k, g in grads.items()}


@pytest.mark.parametrize("fn, says", [
    (_mlp(_in_place), "modified its input params['W0']"),
    (_mlp(lambda p, v, g: (v, {k: a.astype(np.float32) for k, a in g.items()})),
     "returned W0 as float32 for float64 input"),
    (_mlp(lambda p, v, g: (v, {**g, "b0": g["b0"] + 0j})), "returned complex values for b0"),
    (_mlp(_accumulating), "different answer when called twice in a row"),
])
def test_a_broken_contract_is_reported_with_the_input_as_it_was(fn, says):
    result = _verify(fn)
    assert (result.ok, result.verdict) == (False, "contract") and says in result.error
    assert "CONTRACT BROKEN" in result.summary() and "before the call" in result.summary()
    if says.startswith("modified"):
        # the case shown is the original: the gradient function's SGD step is not in it
        before = result.case
        value, grads = manual.mlp.loss_and_grads(before.params, *before.args, **before.options)
        assert not np.array_equal(before.params["W0"] - 0.1 * grads["W0"], before.params["W0"])


def test_float32_gradients_for_float32_input_are_fine():
    assert crosscheck.verify("mlp", max_examples=10, seed=0, dtype=np.float32).ok


def test_a_crash_is_shrunk_and_names_the_exception_and_where():
    def crashes(params, x, y, **options):
        if x.shape[0] > 1:
            raise IndexError("only batch 1")
        return manual.mlp.loss_and_grads(params, x, y, **options)
    result = _verify(crashes)
    assert (result.ok, result.verdict) == (False, "crash")
    assert result.case.args[0].shape[0] == 2                      # shrunk to the smallest failing batch
    assert result.error.startswith("IndexError: only batch 1 (at ") and "in crashes" in result.error
    assert "CRASH" in result.summary()


def test_a_failing_pinned_example_is_named_as_pinned_not_as_a_minimal_case():
    result = _verify(_mlp(lambda p, v, g: (v, {**g, "b1": -g["b1"]})))
    assert result.verdict == "disagree" and result.pinned == 0
    assert "pinned example 0 (tried as written, not shrunk)" in result.summary()
    assert "minimal case" not in result.summary()


def test_a_disagreement_shows_yours_autograd_and_finite_differences():
    scaled = _mlp(lambda p, v, g: (v, {**g, "W0": 1.5 * g["W0"]}))
    result = crosscheck.verify("mlp", manual=scaled, max_examples=60, seed=0)
    assert result.verdict == "disagree"
    worst = result.report.worst()[1]
    line = result.report.describe()
    assert f"yours {worst.value:.10g}" in line and f"autograd {worst.reference:.10g}" in line
    if result.report.numeric is not None:
        assert "finite differences" in line


def test_against_finite_differences_the_value_shown_is_the_users():
    # finite differences are compared with the checked function's own gradients, so a
    # failure against them shows the user's value, not autograd's
    model = crosscheck.get("mlp")
    case = model.examples[0]._replace(options=dict(loss="mse", activation="tanh", reduction="mean"))
    scaled = _mlp(lambda p, v, g: (v, {**g, "b0": 1.5 * g["b0"]}))
    report = crosscheck.check_case(model, case, manual=scaled)
    assert report.numeric is not None and set(report.references) == {"autograd", "finite differences"}
    fd = report.numeric.reports["b0"]
    _, grads = scaled(case.params, *case.args, **case.options)
    assert not fd.ok and fd.value == grads["b0"][fd.index]
    assert np.isclose(fd.reference, report.references["finite differences"]["b0"][fd.index])
    assert "finite differences" in report.describe() and "yours" in report.describe()


def test_a_passing_report_has_no_inf_or_nan():
    result = crosscheck.verify("mlp", max_examples=40, seed=0)
    assert result.ok and np.isfinite(result.worst_numeric)
    assert all(np.isfinite(v) for v in result.worst.values())
    assert "inf" not in result.summary() and "nan" not in result.summary()
    zero = crosscheck.compare({"g": np.array([1e-20])}, {"g": np.zeros(1)})
    assert zero.ok and np.isfinite(zero.reports["g"].max_rel_error)


def test_complex_values_never_pass_a_comparison():
    result = crosscheck.compare({"v": np.array([1 + 5j])}, {"v": np.array([1.0])})
    assert not result.ok and "complex" in result.reports["v"].problem


def test_bad_arguments_to_verify_are_refused_before_any_case():
    with pytest.raises(TypeError, match="manual must be the function to check.*got int"):
        crosscheck.verify("mlp", manual=42)
    with pytest.raises(ValueError, match="max_examples must be >= 1"):
        crosscheck.verify("mlp", max_examples=0)
    with pytest.raises(ValueError, match="profile must be one of ci, dev, thorough"):
        crosscheck.verify("mlp", profile="bogus")
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        crosscheck.verify("mlp", dtype=np.float16)


def test_assert_verified_is_a_one_line_property_test():
    assert crosscheck.assert_verified("mlp", max_examples=5, seed=0).ok
    with pytest.raises(AssertionError, match="DISAGREEMENT"):
        crosscheck.assert_verified("mlp", manual=_mlp(lambda p, v, g: (v, {**g, "b0": -g["b0"]})),
                                   max_examples=20, seed=0)


def _run_pytest_on(path, **env):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                          cwd=path.parent, capture_output=True, text=True, timeout=600,
                          env={"PATH": "", "PYTHONPATH": str(ROOT), **env})


def test_the_example_test_file_runs_in_a_users_suite_under_the_profile_ci_chooses():
    # run from its own folder, as a user's suite would: no conftest of ours, only `import crosscheck`
    example = ROOT / "examples" / "test_your_backprop.py"
    done = _run_pytest_on(example, CI="true")
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    refused = _run_pytest_on(example, CROSSCHECK_PROFILE="bogus")      # the variable is read
    assert refused.returncode == 1 and "CROSSCHECK_PROFILE must be one of ci, dev, thorough; got 'bogus'" \
        in refused.stdout, refused.stdout[-3000:]


def test_a_plain_import_gives_the_project_profiles_no_deadline_and_dev_works():
    code = ("import time, crosscheck, manual\n"
            "def slow(params, x, y, **options):\n"
            "    time.sleep(0.25)\n"
            "    return manual.mlp.loss_and_grads(params, x, y, **options)\n"
            "r = crosscheck.verify('mlp', manual=slow, max_examples=2, profile='dev')\n"
            "print(r.verdict)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PATH": "", "CROSSCHECK_PROFILE": ""})
    assert done.returncode == 0 and done.stdout.strip() == "agree", done.stderr[-2000:]


def test_contracts_call_checks_the_signature_before_calling():
    called = []

    def fn(params, x):
        called.append(1)
    case = crosscheck.get("mlp").examples[0]
    with pytest.raises(contracts.UsageError, match="cannot be called as"):
        contracts.call(fn, case, want_inputs=False)
    assert not called


def test_the_path_without_input_gradients_is_compared_too():
    def skips_wrongly(params, x, y, return_input_grads=False, **options):
        out = manual.mlp.loss_and_grads(params, x, y, return_input_grads=return_input_grads, **options)
        if return_input_grads:
            return out
        return out[0], {**out[1], "b0": 2 * out[1]["b0"]}     # the training path is wrong

    def crashes_without(params, x, y, return_input_grads=False, **options):
        if not return_input_grads:
            raise KeyError("W0")
        return manual.mlp.loss_and_grads(params, x, y, return_input_grads=True, **options)

    result = crosscheck.verify("mlp", manual=skips_wrongly, input_grads=True, max_examples=5, seed=0)
    assert result.verdict == "contract" and "without return_input_grads" in result.error, result.summary()
    result = crosscheck.verify("mlp", manual=crashes_without, input_grads=True, max_examples=5, seed=0)
    assert result.verdict == "crash" and "KeyError" in result.error, result.summary()


def test_shrinking_is_cut_short_after_its_budget_and_the_smallest_failure_so_far_reported(monkeypatch):
    import importlib
    import time
    monkeypatch.setattr(importlib.import_module("crosscheck.check"), "SHRINK_SECONDS", 0.5)

    def slow_and_wrong(params, x, y, **options):
        time.sleep(0.02)
        loss, grads = manual.mlp.loss_and_grads(params, x, y, **options)
        return loss, {**grads, "b0": grads["b0"] + 1.0}

    start = time.perf_counter()
    # tanh only: the pinned (ReLU) example is skipped, so the failure is drawn and shrunk
    result = crosscheck.verify("mlp", manual=slow_and_wrong, max_examples=50, seed=0, profile="ci",
                               supports={"activation": ["tanh"]})
    assert result.verdict == "disagree" and result.shrink_cut, result.summary()
    assert "stopped after" in result.summary() and result.report.worst()[1].key == "b0"
    assert time.perf_counter() - start < 20
