"""Shared test helpers: written once here, imported by the tests that need them."""
import ast
import contextlib
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def no_float_warnings():
    """Fail on any overflow, invalid operation or division by zero (underflow to 0 is fine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


# --- models and their parameters -----------------------------------------------------------

def small_mlp(sizes=(3, 4, 2), seed=0, dtype=np.float64):
    """A small MLP with weights of order 1 (the library's default init is tiny) and a batch of 5."""
    import manual
    rng = np.random.default_rng(seed)
    params = manual.mlp.init_params(list(sizes), rng=rng, init="glorot_uniform", dtype=dtype)
    params = {k: (v + 0.1 * rng.standard_normal(v.shape)).astype(dtype) for k, v in params.items()}
    x = rng.standard_normal((5, sizes[0])).astype(dtype)
    return params, x, rng


def small_rnn(n_in=3, hidden=4, n_out=2, batch=2, steps=6, seed=0, *, whh_range=0.7,
              x_dist="normal"):
    """RNN parameters of order 1 (non-zero biases) and a real input ``(batch, steps, n_in)``.

    whh_range: Whh redrawn uniform in [-whh_range, whh_range] (non-symmetric), or None to
    keep the library's orthogonal Whh; x_dist: "normal" (standard normal) or "uniform" (in
    [-1, 1]). Returns ``(params, x, rng)``, rng to draw targets and h0 from.
    """
    import manual
    rng = np.random.default_rng(seed)
    params = manual.rnn.init_params(n_in, hidden, n_out, rng=rng)
    if whh_range is not None:
        params["Whh"] = rng.uniform(-whh_range, whh_range, (hidden, hidden))
    params["bh"], params["by"] = rng.uniform(-0.5, 0.5, hidden), rng.uniform(-0.5, 0.5, n_out)
    shape = (batch, steps, n_in)
    x = rng.standard_normal(shape) if x_dist == "normal" else rng.uniform(-1, 1, shape)
    return params, x, rng


def seed000_params():
    """Seed 000's weights: ``np.random.seed(230907)`` and its draw order."""
    state = np.random.get_state()
    try:
        np.random.seed(230907)
        Wxh, Whh = np.random.randn(2, 3), np.random.randn(3, 3)
        Bh, Wy, By = np.random.randn(1, 1), np.random.randn(3, 1), np.random.randn(1, 1)
    finally:
        np.random.set_state(state)
    # seed 000 adds the (1, 1) bias Bh to every hidden unit
    return {"Wxh": Wxh, "Whh": Whh, "bh": np.full(3, Bh.item()), "Wy": Wy, "by": By.reshape(1)}


# --- a deliberately wrong gradient -------------------------------------------------------

def wrong_sign(params, x, y, **options):
    """The MLP's gradients with ``b0``'s sign reversed (also run by the CLI tests as
    ``--manual tests.crosscheck.buggy_mlp:wrong_sign``)."""
    import manual
    value, grads = manual.mlp.loss_and_grads(params, x, y, **options)
    return value, {**grads, "b0": -grads["b0"]}


# --- commands, run as a user would --------------------------------------------------------

def run_module(module, *args, timeout=600, env=None):
    """``python -m module args`` in a subprocess from the repository root, with this
    interpreter; env: variables set on top of the current environment. Returns the
    ``CompletedProcess``, stdout and stderr captured as text."""
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def crosscheck_cli(*args, timeout=600):
    """``python -m crosscheck args`` under the ``ci`` profile."""
    return run_module("crosscheck", *args, timeout=timeout, env={"CROSSCHECK_PROFILE": "ci"})


# --- bad input: one row of the table-driven suite ----------------------------------------------

class BadCall(NamedTuple):
    """One invalid call of a public callable. target: its dotted name
    (``"manual.losses.sigmoid"``; what tests/test_public_api.py counts); call: a function of no
    arguments making the call; error: ValueError or TypeError; words: what the message must
    hold (the argument's name and what was expected)."""
    target: str
    call: Callable
    error: type
    words: str


def bad_call_id(bad):
    return f"{bad.target}:{bad.words[:40]}"


def assert_refused(bad):
    """The call raises ``bad.error`` (exactly that type or a subclass) naming ``bad.words``."""
    import pytest
    with pytest.raises(bad.error) as raised:
        bad.call()
    assert bad.words in str(raised.value), f"{bad.target}: {raised.value!r} does not say {bad.words!r}"


# --- the one table: where a layer's or a model's name is spelled ----------------------------

# Calls that select a registered layer or model by name: a name given as their first
# argument is a lookup of that entry (``get`` with one argument only: ``options.get(key,
# default)`` reads an option).
ENTRY_LOOKUPS = ("get", "verify", "assert_verified", "check_case", "Entry", "register", "model_of")


def option_names():
    """Every option name of the registered layers and models (``activation``, ``loss``, ...)."""
    import crosscheck
    return {option for name in crosscheck.models() for option in crosscheck.get(name).options}


def names_spelled(source, names, options=()):
    """``[(line, name)]``: each string constant of the Python ``source`` that is one of
    ``names`` (the table's). A name that is also an option name (in ``options``: the
    ``activation`` layer and the ``activation=`` option of every recurrent layer and model)
    is an option where the string is a dict key, a subscript or an argument of a call,
    other than the first of an entry lookup (:data:`ENTRY_LOOKUPS`); there it is not counted.
    """
    tree = ast.parse(source)
    as_option = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            as_option |= {id(key) for key in node.keys if key is not None}
        elif isinstance(node, ast.Subscript):
            as_option.add(id(node.slice))
        elif isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            lookup = func in ENTRY_LOOKUPS and not (func == "get" and len(node.args) > 1)
            as_option |= {id(arg) for arg in node.args[1 if lookup else 0:]}
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
                  and not (node.value in options and id(node) in as_option))
