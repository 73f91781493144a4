"""``crosscheck mutate``: the mutator, one mutant run in its own process, and the command.

The mutants run on the tiny model of ``tests/crosscheck/mutate_fixture.py`` (about a
second a mutant: the process imports NumPy, autograd and Hypothesis).
"""
import ast
import json

import pytest

from crosscheck import cli, mutate
from tests.helpers import ROOT, crosscheck_cli

FIXTURE = "tests/crosscheck/mutate_fixture.py:loss_and_grads"
DEMO = ("--model", "tests.crosscheck.mutate_fixture:DEMO", "--target", "mutate-demo")

SAMPLE = '''"""A docstring: 1 + 2 is not mutated."""
import numpy as np
from modelspec import checks
from modelspec import rnn as spec


def backward(params, x, dout, h0=1.0):
    """Not mutated either: x - 1."""
    checks.check_positive_int("n", x.shape[0] + 1)
    if x.ndim < 2:
        raise ValueError(f"x must be 2-d; got {x.ndim - 1}")
    x = spec.inputs(x, dout * 2)
    g = x.T @ dout
    g = g * 2 - 1
    g += -dout.sum(axis=0, keepdims=True)
    for t in range(3):
        g[t] = g[t] / 2
    np.put_along_axis(g, x, g[-1], axis=1)
    total = np.maximum(g, 0)
    total = np.outer(total, g) + np.empty(3)
    if total is None or t > 1:
        return -g
    return g.transpose(1, 0), True
'''


def _mutants():
    return mutate.mutants(SAMPLE, "sample.py")


def test_the_mutator_makes_every_kind_and_every_mutant_compiles():
    made = _mutants()
    assert {m.kind for m in made} == set(mutate.KINDS)
    assert len({m.id for m in made}) == len(made)
    for m in made:
        compile(m.source, m.location, "exec")
        assert m.source != SAMPLE and m.diff.startswith("--- a/sample.py")
        assert "\n" not in m.description and m.location == f"sample.py:{m.line}:{m.col}"
    described = "\n".join(m.description for m in made)
    for change in ("@ -> *", "- -> +", "* -> /", "minus removed", "minus added", "> -> >=", "is -> is not",
                   "2 -> 1", "[t] -> [t - 1]", "[-1] -> [0]", "axis=0 -> axis=1", "axis=0 -> axis=None",
                   "keepdims=True -> keepdims=False", "keepdims= removed", ".T removed",
                   ".transpose(...) removed", "arguments swapped", "statement deleted", "+= -> =", "True -> False"):
        assert change in described, change


def test_mutants_equivalent_by_construction_are_not_made():
    made = _mutants()
    # np.maximum commutes; minus on a fresh np.empty buffer changes no value
    assert not any(m.line == 19 and m.description == "arguments swapped" for m in made)
    assert any(m.line == 20 and "np.outer(g, total)" in m.source for m in made)
    assert not any(m.line == 20 and "-np.empty" in m.source for m in made)


def test_swapping_the_builtins_max_and_min_is_not_a_mutant():
    made = mutate.mutants("def f(a, b):\n    return max(a, b) - min(a, 1) + divmod(a, b)[0]\n", "s.py")
    swapped = [m.source.split("return ")[1].strip() for m in made if m.kind == "arguments"]
    assert swapped == ["max(a, b) - min(a, 1) + divmod(b, a)[0]"]


def test_docstrings_validation_raise_and_signatures_are_not_mutated():
    lines = {m.line for m in _mutants()}
    # 1: docstring, 7: signature, 8: docstring, 9: checks., 10-11: an if that only raises, 12: spec.
    assert not lines & {1, 7, 8, 9, 10, 11, 12}
    # deleting the first binding of a name is a NameError, not a mutant worth running
    assert not any(m.kind == "delete" and m.line == 13 for m in _mutants())


def test_function_restricts_the_mutants_and_an_unknown_one_is_refused():
    only = mutate.mutants(SAMPLE, "sample.py", function="backward")
    assert only and all(7 <= m.line <= 23 for m in only)
    with pytest.raises(ValueError, match="no function 'forward'"):
        mutate.mutants(SAMPLE, "sample.py", function="forward")


def test_the_replacement_keeps_precedence():
    (m,) = [m for m in mutate.mutants("def f(a, b, c):\n    return c - a * b\n") if "* -> +" in m.description]
    tree = ast.parse(m.source)
    assert ast.unparse(tree.body[0].body[0].value) == "c - (a + b)"


def _fixture_mutant(text):
    source = mutate.resolve(FIXTURE)
    (m,) = [m for m in mutate.mutants((ROOT / source.path).read_text(), source.shown, source.function,
                                      source.module) if text in m.description]
    return source, m


def test_a_wrong_mutant_is_killed_and_an_equivalent_one_survives():
    source, wrong = _fixture_mutant("2 -> 1")
    _, same = _fixture_mutant("`dr = dr.copy()` -> `pass`")
    options = dict(models=[DEMO[1]], examples=10, seed=0, profile="ci", timeout=60)
    killed = mutate.run_mutant(source, wrong.source, ["mutate-demo"], **options)
    assert killed.killed and killed.verdict == "disagree" and killed.examples_to_failure >= 1
    survived = mutate.run_mutant(source, same.source, ["mutate-demo"], **options)
    assert survived.verdict == "agree" and not survived.killed


def test_a_mutant_that_cannot_be_imported_is_a_crash():
    source = mutate.resolve(FIXTURE)
    broken = (ROOT / source.path).read_text().replace("import numpy as np", "import numpy as np\n1 / 0")
    outcome = mutate.run_mutant(source, broken, ["mutate-demo"], models=[DEMO[1]], examples=5, profile="ci")
    assert outcome.verdict == "crash" and "ZeroDivisionError" in outcome.error


def test_the_command_reports_survivors_and_exits_0_only_when_they_are_known_equivalent(tmp_path):
    _, wrong = _fixture_mutant("2 -> 1")
    _, same = _fixture_mutant("`dr = dr.copy()` -> `pass`")
    chosen = ("--mutant", wrong.id, "--mutant", same.id, "--examples", "10", "--jobs", "2")
    out = tmp_path / "mutants.json"
    done = crosscheck_cli("mutate", FIXTURE, *DEMO, *chosen, "--json", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "mutation score: 1/2 = 50.0%" in done.stdout and "1 SURVIVING mutant" in done.stdout
    assert f"-    dr = dr.copy()" in done.stdout                       # the survivor's diff
    assert "[2/2]" in done.stderr and "killed at example" in done.stderr and "SURVIVED" in done.stderr
    report = json.loads(out.read_text())
    assert report["score"] == 0.5 and report["survived"] == 1 and report["ok"] is False
    by_id = {m["id"]: m for m in report["mutants"]}
    assert by_id[wrong.id]["verdict"] == "disagree" and by_id[same.id]["verdict"] == "agree"

    allow = tmp_path / "equivalent.json"
    allow.write_text(json.dumps([{"id": same.id, "reason": "the copy is never written to"}]))
    done = crosscheck_cli("mutate", FIXTURE, *DEMO, *chosen, "--equivalent", str(allow))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mutation score: 1/1 = 100.0%" in done.stdout and "known equivalent" in done.stdout


def test_list_prints_the_mutants_without_running_them():
    done = crosscheck_cli("mutate", FIXTURE, *DEMO, "--list")
    assert done.returncode == 0 and done.stdout.strip().endswith("18 mutants"), done.stdout + done.stderr


@pytest.mark.parametrize("args", [
    ("mutate", "manual/nosuch.py", "--target", "mlp"),
    ("mutate", "manual/losses.py", "--target", "cnn"),
    ("mutate", "manual/losses.py"),                                     # no --target
    ("mutate", "manual/losses.py:nosuch", "--target", "mlp"),
    ("mutate", "no.such.module", "--target", "mlp"),
    ("mutate", "manual/losses.py", "--target", "mlp", "--sample", "0"),
    ("mutate", "manual/losses.py", "--target", "mlp", "--timeout", "-1"),
    ("mutate", "manual/losses.py", "--target", "mlp", "--examples", "x"),
    ("mutate", "manual/losses.py", "--target", "mlp", "--equivalent", "/no/such.json"),
    ("mutate", "manual/losses.py", "--target", "mlp", "--mutant", "mdeadbeef"),
])
def test_usage_errors_exit_2_with_one_line(args, capsys):
    try:
        status = cli.main(list(args))
    except SystemExit as exc:            # argparse's own errors
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("crosscheck: error: ") and err.count("\n") == 1 and "Traceback" not in err
