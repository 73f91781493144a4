"""The ``crosscheck`` command.

    crosscheck run [MODEL ...] [--model MODULE:OBJECT ...] [--examples N] [--seed S]
                   [--profile ci|dev|thorough] [--json PATH] [--manual MODULE:FUNCTION]
    crosscheck zoo [NAME ...] [--examples N] [--seed S] [--profile ci|dev|thorough] [--json PATH]
    crosscheck list [MODEL ...] [--model MODULE:OBJECT ...] [--markdown]
    crosscheck mutate SOURCE[:FUNCTION] --target NAME [--target NAME ...] [--examples N] [--seed S]
                   [--profile ...] [--timeout SECONDS] [--sample K] [--jobs J]
                   [--equivalent FILE] [--json PATH] [--list]   (see crosscheck.mutate)

``--model pkg.module:OBJECT`` imports OBJECT (a :class:`crosscheck.Model`, or a
zero-argument callable returning one) with the current directory on the path, registers
it and runs or lists it: alone, or after the MODELs named (none named and no ``--model``:
every registered layer and model).

Exit status: 0 when everything agrees (for ``zoo``: every bug is caught), 1 on any
disagreement, crash or contract violation (for ``zoo``: any bug missed), 2 on a usage
error, printed as one line and found before anything runs: a bad argument (``--examples``
not an int >= 1, ``--seed`` not an int >= 0, an unknown profile, MODEL or bug, a ``--json``
PATH that is a directory or whose folder does not exist or is not writable), a bad
``$CROSSCHECK_PROFILE``, a ``--model`` or ``--manual`` that cannot be imported; or a check
that ``verify`` reports as misused.
"""
import argparse
import importlib
import json
import os
import sys
from pathlib import Path

import crosscheck
from crosscheck import profiles


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad argument reported as one line (exit 2) instead of the usage
    block: the subcommands' parsers are of this class too."""

    def error(self, message):
        self.exit(2, f"crosscheck: error: {' '.join(message.split())}\n")


def _count(text):
    """``--examples``: an int >= 1."""
    return _int_at_least(text, 1)


def _seed(text):
    """``--seed``: an int >= 0."""
    return _int_at_least(text, 0)


def _int_at_least(text, minimum):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int >= {minimum}; got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be an int >= {minimum}; got {value}")
    return value


def _json_path(text):
    """``--json``: a file in an existing folder (checked before anything runs)."""
    path = Path(text)
    if not text or path.is_dir():
        raise argparse.ArgumentTypeError(f"must be the path of a file to write; got {text!r}, "
                                         f"{'an empty path' if not text else 'a directory'}")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"must be a file in an existing folder; the folder "
                                         f"{str(folder)!r} of {text!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"must be a file in a folder you can write to; "
                                         f"{str(folder)!r} is not writable")
    return text


def _parser():
    parser = _Parser(
        prog="crosscheck",
        description="Prove hand-written gradients against autograd and finite differences "
                    "on Hypothesis-drawn random cases.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    run = commands.add_parser("run", help="verify layers and models and print a report")
    run.add_argument("models", nargs="*", metavar="MODEL",
                     help="layers and models to verify (default: all, or only the --model ones; "
                          "see 'crosscheck list')")
    _add_model_option(run, "verify")
    _add_run_options(run)
    run.add_argument("--manual", metavar="MODULE:FUNCTION",
                     help="check this function (signature of manual.<model>.loss_and_grads) "
                          "instead of the library's own; needs exactly one model")
    run.add_argument("--json", metavar="PATH", type=_json_path,
                     help="also write the results as JSON to PATH")
    zoo = commands.add_parser("zoo", help="run the cross-check on the gallery of buggy gradients")
    zoo.add_argument("bugs", nargs="*", metavar="NAME", help="bugs to hunt (default: all)")
    _add_run_options(zoo)
    zoo.add_argument("--json", metavar="PATH", type=_json_path,
                     help="also write the results as JSON to PATH")
    listing = commands.add_parser("list", help="list the registered layers and models and their options")
    listing.add_argument("models", nargs="*", metavar="MODEL",
                         help="layers and models to list (default: all, or only the --model ones)")
    _add_model_option(listing, "list")
    listing.add_argument("--markdown", action="store_true", help="as the Markdown table of the README")
    from crosscheck import mutate
    mutate.add_parser(commands)
    return parser


def _add_model_option(parser, verb):
    parser.add_argument("--model", action="append", default=[], metavar="MODULE:OBJECT",
                        help=f"import your own crosscheck.Model (or a zero-argument callable returning "
                             f"one) from MODULE, register it and {verb} it; may be repeated")


def _add_run_options(parser):
    parser.add_argument("--examples", type=_count, metavar="N",
                        help="examples per model, >= 1 (default: the profile's)")
    parser.add_argument("--seed", type=_seed, metavar="S",
                        help="Hypothesis seed, >= 0 (default: the profile's)")
    parser.add_argument("--profile", choices=profiles.PROFILES,
                        help=f"Hypothesis profile (default: ${profiles.ENV_VAR}, else ci under CI, else dev)")


class Progress:
    """A one-line counter on a terminal (stderr); silent when stderr is not a terminal."""

    def __init__(self, label, stream=sys.stderr):
        self.label, self.stream = label, stream
        self.live = stream.isatty()

    def __call__(self, n):
        if self.live and (n < 10 or n % 5 == 0):
            self.stream.write(f"\r  {self.label}: {n} examples ...")
            self.stream.flush()

    def done(self):
        if self.live:
            self.stream.write("\r" + " " * (len(self.label) + 30) + "\r")
            self.stream.flush()


def _failure_json(result):
    if result.ok:
        return None
    out = {"case": result.case.to_json(crosscheck.get(result.model).arg_names), "error": result.error}
    if result.report is not None:
        against, worst = result.report.worst()
        out.update(against=against, key=worst.key, index=worst.index, value=worst.value,
                   reference=worst.reference, max_abs_error=worst.max_abs_error,
                   max_rel_error=worst.max_rel_error, problem=worst.problem)
    return out


def result_json(result):
    """A JSON-ready dict of one :class:`crosscheck.VerifyResult`."""
    return {"model": result.model, "ok": result.ok, "examples": result.examples,
            "examples_to_failure": result.examples_to_failure, "seconds": round(result.seconds, 3),
            "worst_relative_error": result.worst, "numeric_examples": result.numeric_examples,
            "worst_numeric_relative_error": result.worst_numeric, "failure": _failure_json(result)}


def _print_result(result, out):
    verdict = {"agree": "agree", "disagree": "DISAGREE", "crash": "CRASH",
               "contract": "CONTRACT BROKEN", "usage": "USAGE ERROR"}[result.verdict]
    model = crosscheck.get(result.model)
    print(f"\n{result.model} ({model.kind}): {model.description}", file=out)
    print(f"  {result.examples} examples, {result.seconds:.1f} s: {verdict}", file=out)
    if result.worst:
        print(f"  {'key':<8} worst relative error vs autograd", file=out)
        for key, err in result.worst.items():
            print(f"  {key:<8} {err:.1e}", file=out)
    if result.numeric_examples:
        print(f"  finite differences on {result.numeric_examples} small smooth examples: "
              f"yours within {result.worst_numeric:.1e} of them", file=out)
    if not result.ok:
        print("  " + result.summary().replace("\n", "\n  "), file=out)


def _one_line(exc):
    """``Type: message`` of an exception, on one line."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def load_object(spec, option="--manual", what="FUNCTION"):
    """Import ``MODULE:NAME`` and return the object, the current directory on the path (as
    for ``python -m``). Anything that goes wrong (no such module, a syntax error or an
    exception while importing, no such attribute) is a :class:`UsageError` of one line."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UsageError(f"{option} must look like MODULE:{what}; got {spec!r}")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # the user's module: any failure is theirs to fix
        raise UsageError(f"cannot import {option} {spec!r}: {_one_line(exc)}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UsageError(f"cannot load {option} {spec!r}: module {module_name!r} has no "
                         f"attribute {attr!r}") from None


def load_function(spec):
    """The function of ``--manual MODULE:FUNCTION`` (see :func:`load_object`)."""
    fn = load_object(spec)
    if not callable(fn):
        raise UsageError(f"--manual {spec!r} is of type {type(fn).__name__}, not a function")
    return fn


def load_model(spec):
    """The :class:`crosscheck.Model` of ``--model MODULE:OBJECT``, registered: OBJECT is a
    Model or a zero-argument callable returning one. Every failure is a :class:`UsageError`."""
    obj = load_object(spec, "--model", "OBJECT")
    if not isinstance(obj, crosscheck.Model) and callable(obj):
        try:
            obj = obj()
        except Exception as exc:
            raise UsageError(f"--model {spec!r}: calling it with no arguments raised "
                             f"{_one_line(exc)}") from exc
        if not isinstance(obj, crosscheck.Model):
            raise UsageError(f"--model {spec!r} returned a value of type {type(obj).__name__}, "
                             f"not a crosscheck.Model")
    elif not isinstance(obj, crosscheck.Model):
        raise UsageError(f"--model {spec!r} is of type {type(obj).__name__}, not a crosscheck.Model or "
                         f"a zero-argument callable returning one")
    try:
        return crosscheck.register(obj)
    except ValueError as exc:
        raise UsageError(f"--model {spec!r}: {exc}") from exc


def selected(args):
    """The names to run or list: each ``--model`` imported and registered; the MODELs named,
    then the ``--model`` ones; with neither, every registered layer and model."""
    own = [load_model(spec).name for spec in args.model]
    names = list(dict.fromkeys([*args.models, *own])) or crosscheck.models()
    for name in names:
        if name not in crosscheck.models():
            raise UsageError(f"unknown model {name!r}; known: {', '.join(crosscheck.models())}")
    return names


def _profile(args):
    """The profile of ``--profile``, else of ``$CROSSCHECK_PROFILE`` (a bad value of the
    variable is a :class:`UsageError` naming it); checked before anything is imported or run."""
    try:
        return args.profile or profiles.default_profile()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def run(args, out=sys.stdout):
    profile = _profile(args)
    names = selected(args)
    manual_fn = None
    if args.manual:
        if len(names) != 1:
            raise UsageError("--manual checks one function: name exactly one MODEL or --model")
        manual_fn = load_function(args.manual)
    profiles.load(profile)
    print(f"crosscheck run: profile {profile}"
          + (f", seed {args.seed}" if args.seed is not None else "")
          + (f", {args.examples} examples a model" if args.examples else ""), file=out)
    results = []
    for name in names:
        progress = Progress(name)
        result = crosscheck.verify(name, manual=manual_fn, max_examples=args.examples,
                                   seed=args.seed, profile=profile, progress=progress)
        progress.done()
        if getattr(result, "verdict", None) == "usage":
            raise UsageError(f"{name}: {result.error or result.summary()}")
        _print_result(result, out)
        results.append(result)
    ok = all(r.ok for r in results)
    total = sum(r.seconds for r in results)
    print(f"\n{'all layers and models agree' if ok else 'DISAGREEMENT found'} "
          f"({sum(r.examples for r in results)} examples, {total:.1f} s)", file=out)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"profile": profile, "seed": args.seed, "ok": ok,
                       "models": [result_json(r) for r in results]}, fh, indent=2)
    return 0 if ok else 1


def _options_text(model):
    return "; ".join(f"{option}: {', '.join(map(str, values))}" for option, values in model.options.items())


def markdown_table(names=None):
    """The registered layers and models (default: all) as a Markdown table (the README's)."""
    rows = ["| name | kind | what it is | checked with | options |", "|---|---|---|---|---|"]
    for name in names or crosscheck.models():
        model = crosscheck.get(name)
        public = getattr(model.manual, "public_path", False)     # catalog.with_public_path
        checked = ("`backward` for a drawn upstream gradient `" + ", ".join(model.arg_names[1:]) + "`"
                   if model.kind == "layer" else "`loss_and_grads` on a drawn loss"
                   + (", and `forward` + `backward` on its gradient" if public else ""))
        rows.append(f"| `{name}` | {model.kind} | {model.description} | {checked} | "
                    f"{_options_text(model) or '—'} |")
    return "\n".join(rows)


def list_models(args, out=sys.stdout):
    chosen = selected(args)
    if args.markdown:
        print(markdown_table(chosen), file=out)
        return 0
    for kind in ("layer", "model"):
        names = [name for name in chosen if crosscheck.get(name).kind == kind]
        if names:
            print(f"{kind}s:", file=out)
        for name in names:
            model = crosscheck.get(name)
            print(f"  {name}: {model.description}", file=out)
            for option, values in model.options.items():
                print(f"    {option}: {', '.join(map(str, values))}", file=out)
    return 0


def run_zoo(args, out=sys.stdout):
    from crosscheck import zoo
    unknown = [name for name in args.bugs if name not in zoo.BY_NAME]
    if unknown:
        raise UsageError(f"unknown bug {unknown[0]!r}; known: {', '.join(zoo.BY_NAME)}")
    profile = profiles.load(_profile(args))
    print(f"crosscheck zoo: profile {profile}"
          + (f", seed {args.seed}" if args.seed is not None else "")
          + (f", {args.examples} examples a bug" if args.examples else ""), file=out)
    bars = {}

    def progress(bug, n):
        bars.setdefault(bug.name, Progress(bug.name))(n)

    results = zoo.hunt(args.bugs or None, profile=profile, max_examples=args.examples, seed=args.seed,
                       progress=progress)
    for bar in bars.values():
        bar.done()
    print(zoo.format_table(results), file=out)
    ok = all(r.caught for r in results)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"profile": profile, "seed": args.seed, "ok": ok,
                       "bugs": [{"name": r.bug.name, "model": r.bug.model, "part": r.bug.part,
                                 "origin": r.bug.origin, "description": r.bug.description,
                                 "caught": r.caught, **result_json(r.result)}
                                for r in results]}, fh, indent=2)
    return 0 if ok else 1


def run_mutate(args, out=sys.stdout):
    from crosscheck import mutate
    return mutate.command(args, out)


COMMANDS = {"run": run, "zoo": run_zoo, "list": list_models, "mutate": run_mutate}


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"crosscheck: error: {exc}", file=sys.stderr)
        return 2
