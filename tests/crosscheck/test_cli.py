"""The ``crosscheck`` command, run as a subprocess as a user would."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import crosscheck
from tests.helpers import crosscheck_cli, run_module


def test_list_shows_layers_and_models_and_options():
    done = crosscheck_cli("list")
    assert done.returncode == 0
    layers, models = done.stdout.split("models:")
    assert layers.startswith("layers:") and "linear:" in layers and "recurrent:" in layers
    assert "dh_last: None, (batch, H) array" in layers
    assert "mlp:" in models and "activation: relu, tanh, sigmoid" in models
    assert "rnn:" in models and "output: last, all" in models


def test_run_checks_a_layer_with_drawn_upstream_gradients(tmp_path):
    out = tmp_path / "report.json"
    done = crosscheck_cli("run", "recurrent", "--examples", "15", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recurrent (layer)" in done.stdout
    (layer,) = json.loads(out.read_text())["models"]
    assert layer["ok"] and {"Wxh", "Whh", "bh", "dx"} <= set(layer["worst_relative_error"])


def test_run_agrees_prints_table_and_writes_json(tmp_path):
    out = tmp_path / "report.json"
    done = crosscheck_cli("run", "mlp", "--examples", "15", "--seed", "2", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "worst relative error vs autograd" in done.stdout and "all layers and models agree" in done.stdout
    report = json.loads(out.read_text())
    assert report["ok"] is True and report["seed"] == 2
    (mlp,) = report["models"]
    assert mlp["model"] == "mlp" and mlp["examples"] >= 15 and mlp["failure"] is None
    assert mlp["worst_relative_error"]["W0"] < 1e-6


def test_disagreement_exits_1_with_the_minimal_case(tmp_path):
    out = tmp_path / "report.json"
    done = crosscheck_cli("run", "mlp", "--manual", "tests.crosscheck.buggy_mlp:wrong_sign",
                          "--examples", "50", "--json", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "DISAGREE" in done.stdout and "b0" in done.stdout and "minimal case" in done.stdout
    failure = json.loads(out.read_text())["models"][0]["failure"]
    assert failure["key"] == "b0" and failure["value"] == -failure["reference"]
    assert failure["case"]["options"]["loss"] in ("bce", "cross_entropy", "mse")


@pytest.mark.parametrize("args", [("run", "cnn"), ("run", "--examples", "0"), ("frobnicate",),
                                  ("run", "--profile", "fast"), ("run", "--manual", "nosuchmodule:fn"),
                                  ("run", "--manual", "no-colon")])
def test_usage_errors_exit_2(args):
    done = crosscheck_cli(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error" in done.stderr


def test_console_script_and_module_agree():
    script = Path(sys.executable).with_name("crosscheck")
    if not script.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    done = subprocess.run([str(script), "list"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == crosscheck_cli("list").stdout


# --- your own model: --model MODULE:OBJECT -------------------------------------------------

USER_MODEL = "tests.crosscheck.user_model"


def test_run_model_checks_your_model_alone(tmp_path):
    out = tmp_path / "report.json"
    done = crosscheck_cli("run", "--model", f"{USER_MODEL}:LINREG", "--examples", "15", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "linreg (model): linear regression" in done.stdout and "all layers and models agree" in done.stdout
    (mine,) = json.loads(out.read_text())["models"]
    assert mine["model"] == "linreg" and mine["ok"]
    assert set(mine["worst_relative_error"]) == {"loss", "w", "b"}      # no dx: it cannot return one


def test_run_model_goes_after_the_named_models_and_takes_a_callable(tmp_path):
    out = tmp_path / "report.json"
    done = crosscheck_cli("run", "linear", "--model", f"{USER_MODEL}:make_linreg", "--examples", "5",
                          "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert [m["model"] for m in json.loads(out.read_text())["models"]] == ["linear", "linreg-made"]


def test_run_model_with_manual_finds_the_bug_in_your_function():
    done = crosscheck_cli("run", "--model", f"{USER_MODEL}:LINREG",
                          "--manual", f"{USER_MODEL}:loss_and_grads_wrong_b", "--examples", "20")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "linreg (model)" in done.stdout and "DISAGREE" in done.stdout
    assert "against autograd: b at index" in done.stdout


def test_list_model_lists_your_model_alone():
    done = crosscheck_cli("list", "--model", f"{USER_MODEL}:LINREG")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "models:", "  linreg: linear regression x @ w + b, mean squared error, optionally truncated",
        "    truncate: None, 1, 2, ..."]
    table = crosscheck_cli("list", "--markdown", "mlp", "--model", f"{USER_MODEL}:LINREG").stdout.splitlines()
    assert [row.split("|")[1].strip() for row in table[2:]] == ["`mlp`", "`linreg`"]


def _importable(tmp_path, **modules):
    """Modules ``{name: source}`` written to ``tmp_path``, and the environment that puts
    them on the path."""
    for name, source in modules.items():
        (tmp_path / f"{name}.py").write_text(source)
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    return {"CROSSCHECK_PROFILE": "ci", "PYTHONPATH": path}


MODEL_FAILURES = [
    (("--model", "nosuchmodule:LINREG"), "cannot import --model 'nosuchmodule:LINREG': "
                                         "ModuleNotFoundError: No module named 'nosuchmodule'"),
    (("--model", f"{USER_MODEL}:NOSUCH"), f"module '{USER_MODEL}' has no attribute 'NOSUCH'"),
    (("--model", f"{USER_MODEL}:DESCRIPTION"),
     "is of type str, not a crosscheck.Model or a zero-argument callable"),
    (("--model", f"{USER_MODEL}:loss_and_grads"), "calling it with no arguments raised TypeError"),
    (("--model", USER_MODEL), "--model must look like MODULE:OBJECT"),
    (("--model", "broken:LINREG"), "cannot import --model 'broken:LINREG': SyntaxError: "),
    (("--model", "raising:LINREG"), "cannot import --model 'raising:LINREG': RuntimeError: no data here"),
]
MANUAL_FAILURES = [
    (("mlp", "--manual", "broken:fn"), "cannot import --manual 'broken:fn': SyntaxError: "),
    (("mlp", "--manual", "raising:fn"), "cannot import --manual 'raising:fn': RuntimeError: no data here"),
]
IMPORT_FAILURES = ([("run", *failure) for failure in MODEL_FAILURES + MANUAL_FAILURES]
                   + [("list", *failure) for failure in MODEL_FAILURES])


@pytest.mark.parametrize("command, args, message", IMPORT_FAILURES,
                         ids=[" ".join((command, *args)) for command, args, _ in IMPORT_FAILURES])
def test_an_import_failure_is_a_usage_error_of_one_line(tmp_path, command, args, message):
    env = _importable(tmp_path, broken="def fn(:\n    pass\n", raising="raise RuntimeError('no data here')\n")
    done = run_module("crosscheck", command, *args, env=env, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("crosscheck: error: ") and message in done.stderr


def test_a_built_in_name_from_model_is_a_usage_error(tmp_path):
    source = f"from {USER_MODEL} import LINREG\nCLASH = LINREG._replace(name='mlp')\n"
    env = _importable(tmp_path, clash=source)
    done = run_module("crosscheck", "run", "--model", "clash:CLASH", env=env, timeout=120)
    assert done.returncode == 2 and done.stderr.strip() == (
        "crosscheck: error: --model 'clash:CLASH': 'mlp' is a built-in model; pass replace=True to "
        "replace it, or give your model another name")


@pytest.mark.skipif("verdict" not in crosscheck.VerifyResult._fields,
                    reason="VerifyResult has no verdict yet")
def test_a_function_verify_calls_misused_exits_2():
    done = crosscheck_cli("run", "--model", f"{USER_MODEL}:LINREG", "--manual", f"{USER_MODEL}:loss",
                          "--examples", "5")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("crosscheck: error: linreg: the checked function must return (loss, grads)")


# --- bad arguments: exit 2, one line naming the argument, no traceback, nothing run -------------

def assert_usage_error(done, *words):
    """Exit 2, stderr one ``crosscheck: error:`` line holding ``words``, no traceback, and
    nothing run (no report on stdout)."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("crosscheck: error: "), done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    assert done.stdout == "", done.stdout


BAD_ARGUMENTS = [
    (("run", "mlp", "--examples", "0"), ("--examples", "must be an int >= 1; got 0")),
    (("run", "mlp", "--examples", "-1"), ("--examples", "must be an int >= 1; got -1")),
    (("run", "mlp", "--examples", "2.5"), ("--examples", "must be an int >= 1; got '2.5'")),
    (("zoo", "--examples", "0"), ("--examples", "must be an int >= 1")),
    (("run", "mlp", "--seed", "-1"), ("--seed", "must be an int >= 0; got -1")),
    (("run", "mlp", "--seed", "abc"), ("--seed", "must be an int >= 0; got 'abc'")),
    (("zoo", "--seed", "x"), ("--seed", "must be an int >= 0")),
    (("run", "mlp", "--profile", "bogus"), ("--profile", "invalid choice: 'bogus'", "ci")),
    (("zoo", "--profile", "bogus"), ("--profile", "invalid choice: 'bogus'")),
    (("run", "nosuchmodel"), ("unknown model 'nosuchmodel'; known: ", "mlp")),
    (("list", "nosuchmodel"), ("unknown model 'nosuchmodel'",)),
    (("zoo", "NOTABUG"), ("unknown bug 'NOTABUG'; known: ",)),
    (("run", "mlp", "--manual", "nosuchmodule:fn"), ("cannot import --manual 'nosuchmodule:fn'",
                                                     "ModuleNotFoundError")),
    (("run", "mlp", "--manual", "tests.crosscheck.buggy_mlp:nosuch"), ("--manual", "has no attribute 'nosuch'")),
    (("run", "mlp", "rnn", "--manual", "tests.crosscheck.buggy_mlp:wrong_sign"), ("--manual checks one function",)),
    (("run", "--bogus"), ("unrecognized arguments: --bogus",)),
    (("frobnicate",), ("argument COMMAND: invalid choice: 'frobnicate'",)),
    ((), ("the following arguments are required: COMMAND",)),
]


@pytest.mark.parametrize("args, words", BAD_ARGUMENTS, ids=[" ".join(args) or "no command" for args, _ in BAD_ARGUMENTS])
def test_a_bad_argument_is_one_line_and_exit_2(args, words):
    assert_usage_error(crosscheck_cli(*args, timeout=120), *words)


@pytest.mark.parametrize("command", ["run", "zoo"])
def test_a_json_path_that_cannot_be_written_is_refused_before_anything_runs(tmp_path, command):
    names = ["mlp"] if command == "run" else ["mlp_dW_transposed"]
    missing = tmp_path / "no such folder" / "report.json"
    assert_usage_error(crosscheck_cli(command, *names, "--json", str(missing), timeout=120),
                       "argument --json: must be a file in an existing folder", "does not exist")
    assert_usage_error(crosscheck_cli(command, *names, "--json", str(tmp_path), timeout=120),
                       "argument --json: must be the path of a file to write", "a directory")
    assert_usage_error(crosscheck_cli(command, *names, "--json=", timeout=120), "argument --json", "empty path")
    assert not missing.parent.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["run", "zoo"])
def test_a_bad_profile_variable_is_one_line_naming_it_and_the_profiles(command):
    done = run_module("crosscheck", command, env={"CROSSCHECK_PROFILE": "bogus"}, timeout=120)
    assert_usage_error(done, "CROSSCHECK_PROFILE must be one of ci, dev, thorough; got 'bogus'")


def test_the_profile_option_wins_over_a_bad_profile_variable_and_list_needs_no_profile():
    done = run_module("crosscheck", "run", "mlp", "--profile", "ci", "--examples", "2",
                      env={"CROSSCHECK_PROFILE": "bogus"}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "profile ci" in done.stdout
    assert run_module("crosscheck", "list", env={"CROSSCHECK_PROFILE": "bogus"}, timeout=120).returncode == 0


def test_seed_0_and_a_json_file_in_the_current_folder_are_valid(tmp_path):
    root = str(Path(crosscheck.__file__).parents[1])
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "crosscheck", "run", "linear", "--examples", "1",
                           "--seed", "0", "--json", "out.json"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "CROSSCHECK_PROFILE": "ci", "PYTHONPATH": path})
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((tmp_path / "out.json").read_text())["seed"] == 0
