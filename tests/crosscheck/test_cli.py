"""The ``crosscheck`` command, run as a subprocess as a user would."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import crosscheck_cli


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
