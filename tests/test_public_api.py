"""Every public callable is in the table-driven bad-input suite.

The suite is the ``BAD_CALLS`` lists of the test modules (rows of
:class:`tests.helpers.BadCall`, each run by its own module) plus the contract-generated
table of every layer and model (tests/auto/test_bad_input.py). A public callable is a
function or class defined in a module of ``manual``, ``auto`` or ``training`` whose name
does not start with ``_``, and every name of ``crosscheck.__all__``; one that takes no
argument a user could get wrong, or only values already validated, is listed in
:data:`EXEMPT` with the reason. A new public function without a row fails here.
"""
import importlib
import inspect
import pkgutil

from tests.helpers import ROOT, BadCall

PACKAGES = ("manual", "auto", "training")


def public_callables():
    out = set()
    for package in PACKAGES:
        root = importlib.import_module(package)
        names = [package] + [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]
        for name in names:
            module = importlib.import_module(name)
            out |= {f"{name}.{k}" for k, v in vars(module).items()
                    if not k.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
                    and getattr(v, "__module__", None) == name}
    import crosscheck
    out |= {f"crosscheck.{k}" for k in crosscheck.__all__}
    return out


def bad_call_targets():
    targets = set()
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if "BAD_CALLS" not in path.read_text():
            continue
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        targets |= {bad.target for bad in getattr(module, "BAD_CALLS", ()) if isinstance(bad, BadCall)}
    return targets


def test_every_public_callable_has_a_bad_input_row():
    missing = sorted(public_callables() - bad_call_targets() - set(EXEMPT))
    assert not missing, "public callables with no BAD_CALLS row (add one, or a reason to EXEMPT):\n" + \
        "\n".join(missing)


def test_the_exemptions_are_public_callables():
    assert not set(EXEMPT) - public_callables(), sorted(set(EXEMPT) - public_callables())


_CACHE = "a NamedTuple that forward returns; backward checks that it gets one (tests/manual/test_bad_calls.py)"
_BUILDING_BLOCK = ("an autograd building block of the twins: called on traced values after the public "
                   "function has validated them (auto.layers.recurrence's docstring)")
EXEMPT = {
    "manual.layers.recurrent.Loops": "a NamedTuple of the layer's time loops (NUMPY_LOOPS, compiled.recurrent.LOOPS) "
                                     "that only this project's code passes; the loops run after the layer's checks",
    **{f"{module}.{cache}": _CACHE for module, cache in (
        ("manual.layers.activation", "ActivationCache"),
        ("manual.layers.embedding", "EmbeddingCache"), ("manual.layers.gru", "GRUCache"),
        ("manual.layers.linear", "LinearCache"), ("manual.layers.lstm", "LSTMCache"),
        ("manual.layers.recurrent", "RecurrentCache"), ("manual.layers.stack", "StackCache"),
        ("manual.mlp", "MLPCache"), ("manual.rnn", "RNNCache"), ("manual.seqnet", "SeqNetCache"))},
    **{name: _BUILDING_BLOCK for name in (
        "auto.layers.gru.cell", "auto.layers.gru.initial", "auto.layers.lstm.cell", "auto.layers.lstm.initial",
        "auto.layers.recurrent.cell", "auto.layers.recurrent.initial", "auto.layers.recurrent.states",
        "auto.layers.recurrent.truncated_state", "auto.layers.recurrence.zeros_state",
        "auto.layers.recurrence.states", "auto.layers.recurrence.truncated", "auto.layers.recurrence.run",
        "auto.values.values")},
    "training.estimators.NotFittedError": "an exception class, raised by predict before fit",
}
