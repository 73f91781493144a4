"""Who imports whom: ``manual`` needs only NumPy, ``crosscheck`` never pulls in ``training``,
and ``training`` names no model by a string of its own (it reads ``modelspec.table``).

The import checks run in a fresh interpreter, so that what this test session has already
imported cannot hide an import.
"""
import os
import pathlib
import subprocess
import sys

from modelspec import table
from tests.helpers import names_spelled, option_names

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _run(code):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_crosscheck_does_not_import_training():
    out = _run("import sys\n"
               "import crosscheck\n"
               "print(sorted(m for m in sys.modules\n"
               "             if m == 'training' or m.startswith('training.')))\n")
    assert out.strip() == "[]"


def test_manual_and_training_work_without_autograd_and_hypothesis():
    """``import manual`` with autograd and Hypothesis blocked, then training with the
    hand-written gradients; only ``gradients="auto"`` asks for autograd, by name."""
    out = _run("import sys\n"
               "sys.modules['autograd'] = None\n"
               "sys.modules['hypothesis'] = None\n"
               "import numpy as np\n"
               "import manual\n"
               "print('after manual:', sorted(m for m in sys.modules if m.split('.')[0] in\n"
               "      ('auto', 'training', 'crosscheck')))\n"
               "params = manual.rnn.init_params(2, 3, 1, rng=0)\n"
               "x = np.eye(2)[[[0, 1, 0]]]\n"
               "loss, grads = manual.rnn.loss_and_grads(params, x, np.ones((1, 1)), loss='bce')\n"
               "assert np.isfinite(loss) and sorted(grads) == sorted(params)\n"
               "import training\n"
               "x, y = training.datasets.as_soon_as()\n"
               "training.estimators.RNNClassifier(n_hidden=3, epochs=2).fit(x, y)\n"
               "try:\n"
               "    training.estimators.RNNClassifier(epochs=1, gradients='auto').fit(x, y)\n"
               "except ImportError as exc:\n"
               "    print(exc)\n")
    assert "after manual: []" in out
    assert "gradients='auto' needs autograd" in out


def test_training_spells_no_model_name():
    """Every model is reached through ``modelspec.table``: no string in ``training/`` is a
    layer's or a model's name."""
    names, options = set(table.names()), option_names()
    for path in sorted((ROOT / "training").glob("*.py")):
        # a name that is also an option ("activation") counts where it is not that option
        found = names_spelled(path.read_text(), names, options)
        assert not found, f"{path.name} spells a table name: {found}"
