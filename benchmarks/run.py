"""Run the benchmark: check every contender, time them, measure their peak memory at the
memory shapes, measure the cross-check's throughput (and optionally the test suite), and
write the Markdown report."""
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np

import crosscheck
from benchmarks import machine, memory, models, profile_check, report, timing

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class CaseResult:
    problem: models.Problem
    timings: Dict[str, timing.Timing] = field(default_factory=dict)
    checks: Dict[str, str] = field(default_factory=dict)        # name -> "ok ..." or why refused
    refused: Dict[str, str] = field(default_factory=dict)
    others: Optional[float] = None       # share of the machine other processes used meanwhile
    attempts: int = 1
    memory: Dict[str, object] = field(default_factory=dict)   # name -> peak bytes, or why not measured


def log(message):
    print(message, file=sys.stderr, flush=True)


def import_torch(args):
    if args.no_torch:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


def import_jax(args):
    """JAX (float64 enabled, see ``models.import_jax``) unless ``--no-jax`` or not installed."""
    return None if args.no_jax else models.import_jax()


def _as_dict(loss, grads):
    return {"loss": np.asarray(loss), **{k: np.asarray(v) for k, v in grads.items()}}


def check(contender, reference):
    """Compare the contender's loss and gradients with ours (float64); return
    ``(ok, text)``. Tolerances follow the lower of the two dtypes (crosscheck.compare).
    A float32 contender must also return float32 arrays (no silent upcast)."""
    try:
        loss, grads = contender.result()
    except Exception as exc:                          # a contender that cannot run is refused
        return False, f"raised {type(exc).__name__}: {exc}"
    got = _as_dict(loss, grads)
    if contender.dtype == np.float32:
        wrong = sorted(k for k, v in got.items() if v.dtype != np.float32)
        if wrong:
            return False, "returned non-float32 arrays for " + ", ".join(
                f"{k} ({got[k].dtype})" for k in wrong)
    comparison = crosscheck.compare(got, reference)
    if not comparison.ok:
        worst = comparison.worst()
        return False, f"disagrees: {worst.describe()}"
    worst = max(r.max_rel_error for r in comparison.reports.values())
    return True, f"agrees, {worst:.1e}"


BUSY_WAIT = 10.0     # seconds to wait before timing a problem again on a busy machine


def run_case(problem, libraries, settings, max_busy=1.0, retries=0, measure_memory=False):
    """Check and time every contender of ``problem`` (``libraries``: ``{name: module or
    None}``, the optional libraries). Where other processes used more than ``max_busy`` of
    the CPUs meanwhile, time it again (up to ``retries`` more times). With
    ``measure_memory``, then measure every agreeing contender's peak memory."""
    result = CaseResult(problem)
    contenders = models.contenders(problem, libraries)
    reference_loss, reference_grads = contenders[0].result()
    reference = _as_dict(reference_loss, reference_grads)
    result.checks[contenders[0].name] = "reference"
    timed = {contenders[0].name: (contenders[0].call, contenders[0].pool)}
    for c in contenders[1:]:
        ok, text = check(c, reference)
        result.checks[c.name] = text
        if ok:
            timed[c.name] = (c.call, c.pool)
        else:
            result.refused[c.name] = text
            log(f"  REFUSED {c.name}: {text}")
    for dtype in (np.float64, np.float32):           # timed alongside, not checked:
        extras = [models.ceiling(dtype)]             # the GEMM ceiling, and ours without
        if problem.options.get("truncate") is not None:   # truncation on the same data
            extras.append(models.ours_full_bptt(problem, dtype))
        for extra in extras:
            timed[extra.name] = (extra.call, extra.pool)
    for attempt in range(1, retries + 2):
        share = machine.CPUShare().start()
        result.timings = timing.round_robin(timed, settings)
        result.others, result.attempts = share.stop().others, attempt
        line = ", ".join(f"{n} {t.median * 1e3:.3g} ms" for n, t in result.timings.items())
        busy = "" if result.others is None else f" (other processes: {100 * result.others:.0f}% of the CPUs)"
        log(f"  {line}{busy}")
        if result.others is None or result.others <= max_busy or attempt > retries:
            break
        log(f"  the machine was busy; timing this problem again in {BUSY_WAIT:g} s")
        time.sleep(BUSY_WAIT)
    if measure_memory:
        result.memory = peak_memory([c for c in contenders if c.name not in result.refused], libraries)
    return result


def peak_memory(contenders, libraries):
    """``{name: peak bytes}`` of each contender's call (:mod:`benchmarks.memory`), or the
    reason it could not be measured."""
    out = {}
    for c in contenders:
        try:
            out[c.name] = memory.peak(c, libraries)
        except Exception as exc:                      # a method a library version lacks
            out[c.name] = f"{type(exc).__name__}: {exc}"
    text = ", ".join(f"{n} {v / 1e6:.3g} MB" if isinstance(v, int) else f"{n} ({v})" for n, v in out.items())
    log(f"  peak memory: {text}")
    return out


def covered(only=None):
    """The models the benchmark covers (the entries of ``models.PROBLEMS``, in its order);
    ``only``, a model's name, keeps that one."""
    return [entry for entry in models.PROBLEMS if only in (None, entry.name)]


def problems(only=None, shapes=None):
    """Every problem of the covered models (``shapes``: the RNN shapes to time instead of
    the default ones)."""
    return [problem for entry in covered(only) for problem in models.PROBLEMS[entry](shapes)]


@dataclass
class Throughput:
    model: str
    examples: int
    seconds: float
    ok: bool
    numeric_examples: int
    profile: dict = field(default_factory=dict)   # {category: seconds} (profile_check.ORDER)
    profiled_seconds: float = 0.0


def throughput(names, examples):
    """Examples per second of ``crosscheck.verify`` at each model's default strategy
    (the ``ci`` profile's settings, seed 0, ``examples`` examples), then where the time of
    the same run goes (:mod:`benchmarks.profile_check`, a second run under cProfile)."""
    out = []
    for name in names:
        crosscheck.verify(name, max_examples=2, seed=0, profile="ci")   # autograd warm-up
        result = crosscheck.verify(name, max_examples=examples, seed=0, profile="ci")
        seconds, total = profile_check.profile(name, examples)
        out.append(Throughput(name, result.examples, result.seconds, result.ok, result.numeric_examples,
                              seconds, total))
        log(f"  verify({name!r}): {result.examples} examples in {result.seconds:.2f} s, ok={result.ok}")
    return out


@dataclass
class Command:
    command: str
    seconds: float
    returncode: int
    summary: str


def time_command(argv, env_updates, label):
    env = {**os.environ, **env_updates}
    log(f"  running {label} ...")
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [l for l in (proc.stdout + proc.stderr).strip().splitlines() if l.strip()]
    summary = lines[-1].strip("= ") if lines else ""
    log(f"  {label}: {seconds:.1f} s, exit {proc.returncode}: {summary}")
    return Command(label, seconds, proc.returncode, summary)


def suite():
    env_ci = {"CI": "true", "CROSSCHECK_PROFILE": "ci"}
    return [time_command([sys.executable, "-m", "pytest", "-n", "2", "-q"], env_ci,
                         "CI=true CROSSCHECK_PROFILE=ci python -m pytest -n 2"),
            time_command([sys.executable, "-m", "crosscheck", "run"],
                         {"CI": "", "CROSSCHECK_PROFILE": ""}, "crosscheck run")]


def main(args):
    torch = import_torch(args)
    libraries = {"torch": torch, "jax": import_jax(args)}
    if args.threads is not None:
        machine.set_blas_threads(args.threads)
    threads = args.threads or machine.blas_threads() or os.cpu_count()
    if torch is not None:
        torch.set_num_threads(threads)
    settings = timing.QUICK if args.quick else timing.FULL
    examples = args.examples or (20 if args.quick else 200)
    info = machine.describe(torch, libraries["jax"])
    info["load_before"] = os.getloadavg()
    share = machine.CPUShare().start()
    start = time.perf_counter()

    memory_shapes = () if args.no_memory else set(args.shape or memory.SHAPES)
    cases = []
    for problem in problems(args.only, args.shape):
        log(f"{problem.model.name} {problem.label} {problem.variant}")
        cases.append(run_case(problem, libraries, settings, args.max_busy, 0 if args.quick else args.retries,
                              measure_memory=problem.shape in memory_shapes))
    log("cross-check throughput")
    registered = crosscheck.models()
    rates = throughput([e.name for e in covered(args.only) if e.name in registered], examples)
    commands = suite() if args.suite else []

    info["load_after"] = os.getloadavg()
    share.stop()
    info["others"], info["steal"] = share.others, share.steal
    info["seconds"] = time.perf_counter() - start
    info["threads"] = threads
    info["command"] = "python -m benchmarks " + " ".join(sys.argv[1:])
    text = report.markdown(cases, rates, commands, info, settings, quick=args.quick)
    with open(args.output, "w") as f:
        f.write(text)
    log(f"wrote {args.output} ({info['seconds']:.0f} s)")
    refused = [(c.problem.label, c.problem.variant, n) for c in cases for n in c.refused]
    return 1 if refused or not all(r.ok for r in rates) else 0
