"""``python -m benchmarks.compare_revisions --old DIR``: our gradients before and after a
change, timed interleaved in one process.

``DIR`` is a checkout of the code before the change (``git worktree add DIR <commit>``).
Its ``manual/`` and ``modelspec/`` packages are copied into a temporary directory as
``old_manual`` and ``old_modelspec``, with their absolute imports of ``manual`` and
``modelspec`` rewritten to the copies, so that both revisions live in one process under
different names. For every problem of the benchmark (``benchmarks.run.problems``: every
RNN shape and variant, the recurrent layers through the sequence network, and the MLP)
the old ``loss_and_grads`` of the model (the table entry's manual module, under its old name) and the new one, float64 both, are first
compared (``crosscheck.compare`` on the loss and every gradient, through
``benchmarks.run.check``; a pair that disagrees, or an old function that raises, is not
timed) and then timed round-robin with ``benchmarks.timing.round_robin``, the
benchmark's own interleaving and medians (``--quick``: its quick settings). An option
renamed since (``activation=``, which the old RNN called ``nonlinearity=``) is passed to
the old function under its old name.

Prints a Markdown table (problem, variant, old and new median, new / old, the share of
the CPUs other processes used meanwhile) and the largest ratio; progress goes to stderr.
Exit status 1 when a pair disagrees, 0 otherwise (the times are for reading, not judged).
"""
import argparse
import ast
import importlib
import inspect
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from benchmarks import machine, models, report, run, timing
from benchmarks.__main__ import _shape

PACKAGES = ("manual", "modelspec")       # the packages taken from the old revision
PREFIX = "old_"                          # ... and imported as old_manual, old_modelspec
RENAMED = {"activation": "nonlinearity"}   # option name now: its name in the old revision
TOLERANCE = 0.03                         # "within 3%": the criterion the table is read against


# --------------------------------------------------------------------------- the old packages

def _renamed_package(name):
    return name.split(".")[0] in PACKAGES


def rename_imports(source):
    """``source`` with every absolute import of :data:`PACKAGES` (or of their submodules)
    importing ``old_<package>`` instead, binding the same names as before:
    ``import modelspec`` becomes ``import old_modelspec as modelspec``, ``from manual.losses
    import f`` becomes ``from old_manual.losses import f``. Raises ValueError if an import
    of them is left (nothing else is rewritten: strings and comments stay as they are)."""
    data = source.encode()
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _renamed_package(node.module):
            text = ast.unparse(ast.ImportFrom(module=PREFIX + node.module, names=node.names, level=0))
        elif isinstance(node, ast.Import) and any(_renamed_package(a.name) for a in node.names):
            statements = []
            for a in node.names:
                if not _renamed_package(a.name):
                    statements.append(ast.unparse(ast.Import(names=[a])))
                elif a.asname is not None or "." not in a.name:
                    statements.append(f"import {PREFIX}{a.name} as {a.asname or a.name}")
                else:                                   # import manual.rnn binds manual
                    top = a.name.split(".")[0]
                    statements += [f"import {PREFIX}{a.name}", f"import {PREFIX}{top} as {top}"]
            text = "; ".join(statements)
        else:
            continue
        # AST columns count UTF-8 bytes
        edits.append((starts[node.lineno - 1] + node.col_offset,
                      starts[node.end_lineno - 1] + node.end_col_offset, text.encode()))
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text + data[end:]
    out = data.decode()
    left = [node.lineno for node in ast.walk(ast.parse(out))
            if (isinstance(node, ast.ImportFrom) and node.level == 0 and _renamed_package(node.module))
            or (isinstance(node, ast.Import) and any(_renamed_package(a.name) for a in node.names))]
    if left:
        raise ValueError(f"imports of {', '.join(PACKAGES)} left at lines {left}")
    return out


def copy_old_packages(old_root, into):
    """Copy :data:`PACKAGES` of the checkout ``old_root`` into the directory ``into`` as
    ``old_<package>``, their imports rewritten (:func:`rename_imports`)."""
    for package in PACKAGES:
        source = os.path.join(old_root, package)
        if not os.path.isfile(os.path.join(source, "__init__.py")):
            raise SystemExit(f"{old_root} has no package {package}/ (is it a checkout of this project?)")
        target = os.path.join(into, PREFIX + package)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for folder, _, files in os.walk(target):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, encoding="utf-8") as f:
                        text = rename_imports(f.read())
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)


def import_old_packages(into):
    """Import the copies in ``into``; check that every module of theirs was loaded from
    there and holds no module of the new revision's :data:`PACKAGES`."""
    sys.path.insert(0, into)
    for package in PACKAGES:
        importlib.import_module(PREFIX + package)
    root = os.path.realpath(into)
    for name, module in list(sys.modules.items()):
        if not name.split(".")[0] in {PREFIX + p for p in PACKAGES}:
            continue
        where = os.path.realpath(getattr(module, "__file__", "") or "")
        if not where.startswith(root + os.sep):
            raise RuntimeError(f"{name} was loaded from {where}, not from the copy in {into}")
        for key, value in vars(module).items():
            if inspect.ismodule(value) and _renamed_package(value.__name__):
                raise RuntimeError(f"{name}.{key} is the new revision's {value.__name__}")


def old_function(entry):
    """The old revision's ``loss_and_grads`` of the model ``entry`` (a modelspec.table entry)."""
    return importlib.import_module(PREFIX + entry.manual).loss_and_grads


def old_options(fn, options):
    """``options`` with the names the old ``fn`` takes (see :data:`RENAMED`)."""
    accepted = inspect.signature(fn).parameters
    return {(RENAMED[k] if k in RENAMED and k not in accepted and RENAMED[k] in accepted else k): v
            for k, v in options.items()}


def old_contender(problem):
    """The old ``loss_and_grads`` on ``problem``, float64, as ``models.ours`` builds the new one
    (the model that computes it, ``problem.network``). An old revision without that model
    gives a contender that raises, which the check refuses."""
    try:
        fn = old_function(problem.network)
    except (ImportError, AttributeError) as exc:
        error = exc

        def missing():
            raise error
        return models.Contender("old f64", np.float64, "numpy", missing, missing)
    options = old_options(fn, problem.options)
    params, x, y = problem.cast(np.float64)

    def call():
        return fn(params, x, y, **options)
    return models.Contender("old f64", np.float64, "numpy", call, call)


# --------------------------------------------------------------------------- the comparison

def compare_problem(problem, settings):
    """Check the new against the old on ``problem``, then time both interleaved. Returns
    ``(check_text, {"old": Timing, "new": Timing} or None, share of the CPUs others used)``."""
    old, new = old_contender(problem), models.ours(problem, np.float64)
    ok, text = run.check(old, run._as_dict(*new.result()))     # an old that raises is refused too
    if not ok:
        return text, None, None
    share = machine.CPUShare().start()
    timings = timing.round_robin({"old": (old.call, old.pool), "new": (new.call, new.pool)}, settings)
    return text, timings, share.stop().others


def _revision(path):
    try:
        head = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", path, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return path
    return f"{path} ({head}{' + uncommitted changes' if dirty else ''})"


def markdown(rows, old_root, settings, quick):
    """The table of ``rows`` ``(problem, check_text, timings, others)`` and the largest ratio."""
    out = [f"Old: {_revision(old_root)}; new: {_revision(run.REPO)}. Float64, "
           f"medians of interleaved rounds (benchmarks.timing, {'QUICK' if quick else 'FULL'} settings: "
           f"{settings.min_repeats}-{settings.max_repeats} blocks of at least {settings.min_block:g} s)."
           + (" **`--quick`: a smoke test, not a measurement.**" if quick else ""), ""]
    table, ratios = [], []
    for problem, text, timings, others in rows:
        name = f"{problem.model.name} {problem.label}"
        if timings is None:
            table.append([name, problem.variant, "—", "—", f"not timed: old {text}", "—"])
            continue
        old, new = timings["old"].median, timings["new"].median
        ratios.append((new / old, name, problem.variant))
        table.append([name, problem.variant, report.ms(old), report.ms(new), f"{new / old:.3f}",
                      "?" if others is None else f"{100 * others:.0f}%"])
    out += [report._table(["problem", "variant", "old (ms)", "new (ms)", "new / old",
                           "other processes' CPU"], table), ""]
    if ratios:
        worst, name, variant = max(ratios)
        out.append(f"Largest new / old: **{worst:.3f}** ({name}, {variant}): "
                   + (f"within {100 * TOLERANCE:g}%." if worst <= 1 + TOLERANCE
                      else f"more than {100 * TOLERANCE:g}% slower."))
    return "\n".join(out)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare_revisions",
        description="Time our loss_and_grads before and after a change, interleaved in one process, "
                    "on every problem of the benchmark; print a Markdown table.")
    parser.add_argument("--old", required=True, metavar="DIR",
                        help="a checkout of the code before the change (e.g. a git worktree)")
    parser.add_argument("--quick", action="store_true",
                        help="the benchmark's quick settings: a smoke test, not a measurement")
    parser.add_argument("--shape", action="append", type=_shape, metavar="B,T,F,H",
                        help="time only this RNN shape (batch, time, features, hidden); repeatable")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    old_root = os.path.abspath(args.old)
    if os.path.realpath(old_root) == os.path.realpath(run.REPO):
        raise SystemExit("--old is this checkout: nothing to compare")
    settings = timing.QUICK if args.quick else timing.FULL
    rows = []
    with tempfile.TemporaryDirectory(prefix="compare_revisions_") as into:
        copy_old_packages(old_root, into)
        import_old_packages(into)
        for problem in run.problems(None, args.shape):
            run.log(f"{problem.model.name} {problem.label} {problem.variant}")
            text, timings, others = compare_problem(problem, settings)
            if timings is None:
                run.log(f"  NOT TIMED: the old {text}")
            else:
                busy = "" if others is None else f" (other processes: {100 * others:.0f}% of the CPUs)"
                run.log(f"  old {text}; old {timings['old'].median * 1e3:.4g} ms, "
                        f"new {timings['new'].median * 1e3:.4g} ms{busy}")
            rows.append((problem, text, timings, others))
    print(markdown(rows, old_root, settings, args.quick))
    return 1 if any(timings is None for _, _, timings, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
