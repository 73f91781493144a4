"""Check hand-written gradients against autograd (and finite differences): one case
with :func:`check`, many Hypothesis-drawn and shrunk cases with :func:`verify`."""
import time
from typing import NamedTuple, Optional

import numpy as np
from autograd import value_and_grad
from hypothesis import Verbosity, example, given, settings
from hypothesis import seed as hypothesis_seed

from crosscheck import registry
from crosscheck.compare import Comparison, compare
from crosscheck.numeric import FD_RTOL, fd_atol, numeric_grad

# Finite differences cost two loss evaluations per scalar parameter; verify asks for
# them only on cases with at most this many parameter entries.
FD_MAX_PARAMETERS = 60


def _auto_value_and_grads(auto_loss, params, args, options, arg_names=(), input_names=()):
    """Autograd's loss, parameter gradients and gradients for the named inputs."""
    wrt = {"params": params}
    for name in input_names:
        if name in arg_names:
            wrt[name] = args[arg_names.index(name)]
        elif isinstance(options.get(name), np.ndarray):
            wrt[name] = options[name]

    def f(w):
        call_args = list(args)
        call_options = dict(options)
        for name, value in w.items():
            if name in arg_names:
                call_args[arg_names.index(name)] = value
            elif name != "params":
                call_options[name] = value
        return auto_loss(w["params"], *call_args, **call_options)

    value, grads = value_and_grad(f)(wrt)
    return value, grads.pop("params"), grads


def _compare_all(loss, grads, input_grads, ref_loss, ref_grads, ref_input_grads, rtol, atol):
    """One comparison over ``loss``, every parameter and ``d<input>`` for each input."""
    got = {"loss": np.asarray(loss), **grads, **{f"d{n}": g for n, g in input_grads.items()}}
    ref = {"loss": np.asarray(ref_loss), **ref_grads,
           **{f"d{n}": g for n, g in ref_input_grads.items()}}
    return compare(got, ref, rtol=rtol, atol=atol)


def check(manual_fn, auto_loss, params, *args, rtol=None, atol=None, **options):
    """Compare ``manual_fn`` with autograd on one case.

    Inputs: ``manual_fn(params, *args, **options) -> (loss, grads)``; ``auto_loss`` with the
    same signature returning the scalar loss, written with ``autograd.numpy``; the case.
    Returns: :class:`crosscheck.Comparison` over the key ``"loss"`` and every parameter.
    """
    loss, grads = manual_fn(params, *args, **options)
    ref_loss, ref_grads, _ = _auto_value_and_grads(auto_loss, params, args, options)
    return _compare_all(loss, grads, {}, ref_loss, ref_grads, {}, rtol, atol)


class CaseReport(NamedTuple):
    """The outcome of one case: manual vs autograd, and autograd vs finite differences
    (``numeric`` is None where finite differences were not taken)."""
    ok: bool
    autograd: Comparison
    numeric: Optional[Comparison]

    def worst(self):
        for comparison, against in ((self.autograd, "autograd"), (self.numeric, "finite differences")):
            if comparison is not None and not comparison.ok:
                return against, comparison.worst()
        return None


def check_case(model, case, *, manual=None, input_grads=None, numeric=True, rtol=None, atol=None):
    """Check one :class:`Case` of a registered model.

    manual: the function to check (default: the model's own ``manual``); input_grads:
    also compare gradients for ``model.input_grads`` (default: only when checking the
    model's own function, which can return them); numeric: add finite differences as a
    third opinion when the case is small and smooth.
    """
    model = registry.get(model)
    fn = model.manual if manual is None else manual
    input_grads = (manual is None) if input_grads is None else input_grads
    names = model.input_grads if input_grads else ()
    if names:
        loss, grads, in_grads = fn(case.params, *case.args, **case.options, return_input_grads=True)
    else:
        (loss, grads), in_grads = fn(case.params, *case.args, **case.options), {}
    ref_loss, ref_grads, ref_in = _auto_value_and_grads(model.auto, case.params, case.args,
                                                        case.options, model.arg_names, names)
    against_auto = _compare_all(loss, grads, in_grads, ref_loss, ref_grads, ref_in, rtol, atol)
    against_fd = None
    n_params = sum(np.size(v) for v in case.params.values())
    if numeric and n_params <= FD_MAX_PARAMETERS and model.smooth(case):
        fd = numeric_grad(model.auto, case.params, *case.args, **case.options)
        lowest = min((np.asarray(v).dtype.itemsize for v in case.params.values()), default=8)
        fd_rtol, fd_abs = (FD_RTOL, fd_atol(ref_loss)) if lowest == 8 else (None, None)
        against_fd = compare(ref_grads, fd, rtol=fd_rtol, atol=fd_abs)
    ok = against_auto.ok and (against_fd is None or against_fd.ok)
    return CaseReport(ok, against_auto, against_fd)


class Disagreement(Exception):
    """Raised inside a Hypothesis run so that it shrinks the case; carries the outcome."""

    def __init__(self, case, report=None, error=None):
        super().__init__(error or "gradients disagree")
        self.case, self.report, self.error = case, report, error


class VerifyResult(NamedTuple):
    """What :func:`verify` found.

    ok: every example agreed. examples: examples run (including shrinking).
    examples_to_failure: how many examples it took to find the first disagreement.
    worst: ``{key: largest relative error}`` over the agreeing examples.
    numeric_examples, worst_numeric: how many examples also had finite differences as a
    third opinion, and the largest relative error of autograd against them.
    case: the shrunk minimal failing :class:`Case`; report: its :class:`CaseReport`;
    error: the exception text where the checked function raised instead of returning.
    """
    model: str
    ok: bool
    examples: int
    examples_to_failure: Optional[int]
    worst: dict
    seconds: float
    case: Optional[registry.Case] = None
    report: Optional[CaseReport] = None
    error: Optional[str] = None
    numeric_examples: int = 0
    worst_numeric: float = 0.0

    def summary(self):
        """A few lines for a person: the verdict, and for a failure the minimal case."""
        if self.ok:
            return f"{self.model}: {self.examples} examples agree (worst relative error " \
                   f"{max(self.worst.values(), default=0.0):.1e}) in {self.seconds:.1f} s"
        arg_names = registry.get(self.model).arg_names if self.model in registry.models() else ("x", "y")
        lines = [f"{self.model}: DISAGREEMENT after {self.examples_to_failure} examples "
                 f"({self.examples} run with shrinking); minimal case:"]
        lines += ["  " + line for line in self.case.describe(arg_names).splitlines()]
        if self.error:
            lines.append(f"  raised: {self.error}")
        else:
            against, worst = self.report.worst()
            lines.append(f"  against {against}: {worst.describe()}")
            comparison = self.report.autograd if against == "autograd" else self.report.numeric
            lines += [f"    also {r.describe()}" for r in comparison.failures() if r.key != worst.key]
        return "\n".join(lines)


def verify(model, *, manual=None, max_examples=None, seed=None, profile=None,
           input_grads=None, numeric=True, dtype=np.float64, progress=None):
    """Run the model's Hypothesis strategy and compare every drawn case with autograd.

    Inputs: model (a registered name or :class:`Model`); manual: a function with the
    signature of ``manual.<model>.loss_and_grads`` to check instead of ours;
    max_examples, seed, profile ("ci", "dev", "thorough"; default: the loaded profile);
    dtype: float64 or float32 for every drawn array (tolerances follow the dtype);
    progress: called with the number of examples run so far.
    Returns: :class:`VerifyResult`; on a disagreement it holds the shrunk minimal case.
    """
    spec = registry.get(model)
    state = {"examples": 0, "first_failure": None, "worst": {}, "fd": 0, "worst_fd": 0.0}

    def body(case):
        state["examples"] += 1
        if progress is not None:
            progress(state["examples"])
        try:
            report = check_case(spec, case, manual=manual, input_grads=input_grads, numeric=numeric)
        except Exception as exc:  # the checked function raised: that is a finding too
            state["first_failure"] = state["first_failure"] or state["examples"]
            raise Disagreement(case, error=f"{type(exc).__name__}: {exc}") from exc
        if not report.ok:
            state["first_failure"] = state["first_failure"] or state["examples"]
            raise Disagreement(case, report)
        for r in report.autograd.reports.values():
            state["worst"][r.key] = max(state["worst"].get(r.key, 0.0), r.max_rel_error)
        if report.numeric is not None:
            state["fd"] += 1
            state["worst_fd"] = max([state["worst_fd"]] + [r.max_rel_error for r in report.numeric.reports.values()])

    base = settings.get_profile(profile) if profile is not None else settings()
    overrides = dict(verbosity=Verbosity.quiet, database=None, report_multiple_bugs=False)
    if max_examples is not None:
        overrides["max_examples"] = max_examples
    test = given(spec.cases(dtype=np.dtype(dtype).type))(body)
    pinned = spec.examples if np.dtype(dtype) == np.float64 else ()  # pinned cases are float64
    for case in reversed(pinned):
        test = example(case)(test)
    test = settings(base, **overrides)(test)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    start = time.perf_counter()
    try:
        test()
    except Disagreement as found:
        return VerifyResult(spec.name, False, state["examples"], state["first_failure"],
                            state["worst"], time.perf_counter() - start,
                            found.case, found.report, found.error, state["fd"], state["worst_fd"])
    return VerifyResult(spec.name, True, state["examples"], None, state["worst"],
                        time.perf_counter() - start, numeric_examples=state["fd"],
                        worst_numeric=state["worst_fd"])
