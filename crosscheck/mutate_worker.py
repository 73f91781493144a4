"""Run the cross-check on one mutant, in a process of its own (see :mod:`crosscheck.mutate`).

Run as ``python crosscheck/mutate_worker.py`` (by path, not with ``-m``: ``-m`` would
import the ``crosscheck`` package first, and with it every ``manual`` module, before the
mutant is in place). It reads one JSON job on stdin::

    {"path": file, "module": dotted name, "root": folder for sys.path, "source": the
     mutated text (null: the original), "function": null or a name, "targets": [...],
     "models": ["MODULE:OBJECT", ...], "examples": N or null, "seed": S, "profile": P}

puts a finder first on ``sys.meta_path`` that answers the module's dotted name with the
mutated text (the file on disk is untouched), imports the module, only then imports
``crosscheck`` (whose catalog imports the table's modules, which pick up the mutant: a
mutated ``manual.losses`` is what ``manual.rnn`` imports), registers the ``--model``
objects, and runs ``crosscheck.verify(target, manual=..., input_grads=True)`` for each
target until one kills the mutant, under the profile asked for without its shrink phase.
The checked function is the module's ``function`` when given, else the target's registered one (a model's ``loss_and_grads``, a layer's
``forward``/``backward`` through :func:`crosscheck.vjp.manual_vjp`). It prints one JSON line:
``{"verdict", "target", "examples_to_failure", "error"}``; an exception while importing
the mutant, or anywhere outside ``verify``, is the verdict "crash".
"""
import sys

if __name__ == "__main__":
    del sys.path[0]          # this file's folder: crosscheck/ must not shadow top-level modules

import importlib
import importlib.abc
import importlib.util
import json
import os
import traceback


class _Loader(importlib.abc.Loader):
    """Executes the given source as the module found at ``path``."""

    def __init__(self, path, source):
        self.path, self.source = path, source

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(self.source, self.path, "exec"), module.__dict__)

    def is_package(self, fullname):
        return os.path.basename(self.path) == "__init__.py"


class MutantFinder(importlib.abc.MetaPathFinder):
    """Answers one dotted module name with the mutated source; every other import as usual."""

    def __init__(self, name, path, source):
        self.name, self.path, self.source = name, path, source

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path,
                                                      loader=_Loader(self.path, self.source))


def _one_line(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return " ".join(f"{type(exc).__name__}: {exc}".split()) + where


def _without_shrinking(name):
    """A Hypothesis profile like ``name`` (None: the default one) that does not shrink: a
    mutant needs the verdict and the examples to the first failure, not a minimal case,
    and shrinking would cost more than finding it."""
    from hypothesis import Phase, settings
    from crosscheck import profiles
    base = settings.get_profile(name or profiles.default_profile())
    settings.register_profile("crosscheck-mutate", base,
                              phases=[p for p in base.phases if p != Phase.shrink])
    return "crosscheck-mutate"


def check(job):
    """Run the job (see the module doc); return the answer dict."""
    sys.path[:0] = [job["root"], os.getcwd()]
    if job["source"] is not None:
        sys.meta_path.insert(0, MutantFinder(job["module"], job["path"], job["source"]))
    try:
        module = importlib.import_module(job["module"])
        import crosscheck
        from crosscheck import cli
        for spec in job["models"]:
            cli.load_model(spec)
        fn = getattr(module, job["function"]) if job["function"] else None
    except (Exception, SystemExit) as exc:
        return {"verdict": "crash", "target": None, "examples_to_failure": 0,
                "error": f"while importing: {_one_line(exc)}"}
    profile = _without_shrinking(job["profile"])
    answer = {"verdict": "agree", "target": None, "examples_to_failure": None, "error": None}
    for target in job["targets"]:
        try:
            manual = fn if fn is not None else crosscheck.get(target).manual
            result = crosscheck.verify(target, manual=manual, max_examples=job["examples"], seed=job["seed"],
                                       profile=profile, input_grads=True)
        except Exception as exc:
            return {"verdict": "crash", "target": target, "examples_to_failure": 0, "error": _one_line(exc)}
        answer = {"verdict": result.verdict, "target": target,
                  "examples_to_failure": result.examples_to_failure,
                  "error": None if result.ok else " ".join((result.error or "gradients disagree").split())[:300]}
        if not result.ok:
            break
    return answer


if __name__ == "__main__":
    print(json.dumps(check(json.loads(sys.stdin.read()))), flush=True)
