"""Mutation testing of the project's own hand-written gradients: every module of ``manual/``
against the checks that reach it (``crosscheck mutate``, one file at a time, as one run).

    python -m mutation                      # every mutant of manual/ (about 20 min on 2 cores)
    python -m mutation --sample 40          # CI's fixed sample (seed 0)
    python -m mutation --json mutation.json # every mutant, its verdict and diff

Each file of :data:`PLAN` is mutated with :func:`crosscheck.mutate.mutants`; each mutant
runs the checks of that file's targets in a subprocess (:func:`crosscheck.mutate.run_mutant`)
until one fails. The known equivalent mutants are ``mutation/equivalent.json``
(``{"id", "reason"}``; the README lists them): they are left out of the score and of the
exit status, which is 1 when any other mutant survives.
"""
import argparse
import ast
import json
import sys
import time
from pathlib import Path

from crosscheck import mutate, profiles
from modelspec import table

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = Path(__file__).resolve().parent / "equivalent.json"
MANUAL = mutate.Source(str(ROOT / "manual"), "manual", str(ROOT), None)    # what a report names

def _layer(entry):
    return f"manual/layers/{entry.name}.py"


# the models of manual/ (not another implementation of one, such as the compiled RNN)
_models = [e.name for e in table.ENTRIES if e.kind == "model" and e.implements is None]
_through_models = [table.RNN.name, table.SEQNET.name]          # the models built on a recurrent layer
_stack, _seqnet = table.STACK.name, table.SEQNET.name

# file of manual/ -> the checks that reach it, the most direct (and cheapest) first: a
# mutant is killed by the first that fails. What a layer shares with the models built on
# it is checked through them too.
PLAN = {
    _layer(table.RECURRENT): [table.RECURRENT.name, _stack, *_through_models],
    _layer(table.LSTM): [table.LSTM.name, _stack, _seqnet],
    _layer(table.GRU): [table.GRU.name, _stack, _seqnet],
    _layer(table.LINEAR): [table.LINEAR.name, *_models],
    _layer(table.EMBEDDING): [table.EMBEDDING.name, _seqnet],
    _layer(table.ACTIVATION): [table.ACTIVATION.name],
    _layer(table.STACK): [_stack, _seqnet],
    **{f"manual/{model}.py": [model] for model in _models},
    "manual/losses.py": _models,
    "manual/activations.py": [table.ACTIVATION.name, table.MLP.name, table.RECURRENT.name, *_through_models,
                              table.LSTM.name, table.GRU.name, _stack],
}

# Functions of manual/ left out, with why: no gradient check can judge them.
OUT_OF_REACH = {
    "init_params": "the initialisers (and manual/init.py, left out of PLAN): a changed scale or "
                   "seed of the random starting weights leaves every gradient right; "
                   "tests/manual/test_init.py checks them",
    "softmax": "probabilities for training's predict_proba: a value that no loss or gradient "
               "calls (the cross-entropy computes its own); tests/manual/test_losses.py checks it",
}


def _out_of_reach_lines(text):
    """The line numbers of ``text`` inside a function of :data:`OUT_OF_REACH`."""
    return {line for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef) and node.name in OUT_OF_REACH
            for line in range(node.lineno, node.end_lineno + 1)}


def _plan_mutants():
    """``[(Source, targets, Mutant)]`` over every file of :data:`PLAN`, in its order."""
    out = []
    for path, targets in PLAN.items():
        source = mutate.resolve(str(ROOT / path))
        text = Path(source.path).read_text()
        skip = _out_of_reach_lines(text)
        out += [(source, targets, m) for m in mutate.mutants(text, path, None, source.module)
                if m.line not in skip]
    return out


def _function_at(text, line):
    """The name of the innermost function of ``text`` around ``line`` (None: module level)."""
    found = None
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef) and node.lineno <= line <= node.end_lineno:
            if found is None or node.lineno > found.lineno:
                found = node
    return None if found is None else found.name


def equivalent_table():
    """The README's table of the known equivalent mutants: id, where, the change, why."""
    reasons = mutate.load_equivalent(EQUIVALENT)
    rows = ["| mutant | where | change | why it changes no gradient |", "|---|---|---|---|"]
    for source, _, m in _plan_mutants():
        if m.id in reasons:
            text = Path(source.path).read_text()
            where = f"`{m.path}` `{_function_at(text, m.line)}`"
            before, after = (t.splitlines()[m.line - 1].split("  #")[0].strip() for t in (text, m.source))
            change = f"`{before}` -> `{after}`".replace("|", "\\|")
            rows.append(f"| `{m.id}` | {where} | {change} | {reasons[m.id]} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, metavar="K", help="a fixed random sample of K mutants (--seed)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample and of Hypothesis (default 0)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a mutant may take (default 120)")
    parser.add_argument("--file", action="append", default=[], help="only this file of the plan (repeatable)")
    parser.add_argument("--mutant", action="append", default=[], metavar="ID",
                        help="only the mutant with this id (repeatable)")
    parser.add_argument("--json", metavar="PATH", help="write every mutant, its verdict and diff to PATH")
    parser.add_argument("--markdown", action="store_true",
                        help="print the README's table of the known equivalent mutants and stop")
    args = parser.parse_args(argv)
    if args.markdown:
        print(equivalent_table())
        return 0
    unknown = sorted(set(args.file) - set(PLAN))
    if unknown:
        parser.error(f"--file {unknown[0]!r} is not in the plan; known: {', '.join(PLAN)}")
    if args.sample is not None and args.sample < 1 or args.jobs < 1 or args.seed < 0:
        parser.error("--sample and --jobs must be >= 1, --seed >= 0")
    profile = profiles.load()
    equivalent = mutate.load_equivalent(EQUIVALENT)
    made = [t for t in _plan_mutants() if not args.file or t[0].shown in args.file
            or str(Path(t[0].path).relative_to(ROOT)) in args.file]
    if args.mutant:
        missing = sorted(set(args.mutant) - {m.id for _, _, m in made})
        if missing:
            parser.error(f"no mutant {missing[0]!r} in the plan")
        made = [t for t in made if t[2].id in args.mutant]
    chosen = mutate.sampled(made, args.sample, args.seed)
    print(f"python -m mutation: {len(chosen)} of {len(made)} mutants of manual/, profile {profile}, "
          f"seed {args.seed}, {args.jobs} at once", flush=True)
    start = time.perf_counter()

    def progress(i, n, mutant, outcome):
        print(mutate.progress_line(i, n, mutant, outcome), file=sys.stderr, flush=True)

    results = mutate.run_each(chosen, jobs=args.jobs, progress=progress, seed=args.seed, profile=profile,
                              timeout=args.timeout)
    targets = tuple(dict.fromkeys(t for _, ts, _ in chosen for t in ts))
    report = mutate.Report(MANUAL, targets, results, equivalent, len(made), time.perf_counter() - start)
    print(mutate.format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(profile, args.seed, None), indent=1))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
