"""Check hand-written gradients against autograd (and finite differences): one case
with :func:`check`, many Hypothesis-drawn and shrunk cases with :func:`verify`.

:func:`verify` tells four outcomes apart (``VerifyResult.verdict``): ``"agree"``;
``"disagree"``, a gradient differs (shrunk to a minimal case); ``"crash"``, the checked
function raised (shrunk too); ``"usage"``, it cannot be checked as called (its signature,
its return structure, an unsupported option: see :mod:`crosscheck.contracts`; reported at
once, not shrunk); ``"contract"``, it breaks a rule no comparison shows (modifies its
inputs, returns another dtype or complex values, answers differently when called twice;
reported at once with the input as it was before the call).
"""
import numbers
import time
import traceback
import warnings
from typing import NamedTuple, Optional

import numpy as np
from autograd import value_and_grad
from hypothesis import Verbosity, example, given, settings
from hypothesis import seed as hypothesis_seed

from crosscheck import contracts, profiles, registry
from crosscheck.compare import Comparison, check_tolerances, compare
from crosscheck.numeric import (FD_RTOL, check_callable, check_param_dict, compare_directional,
                                directional_derivatives, fd_atol, numeric_grad, random_directions)
from modelspec.checks import check_flag

# Finite differences of every entry, which a disagreement is reported with, cost two loss
# evaluations per entry; verify asks for finite differences only on cases with at most
# this many entries.
FD_MAX_PARAMETERS = 60


def _substituted(args, options, arg_names, given):
    """``(args, options)`` with each of ``given`` (``{name: value}``) in its place: a data
    argument at its position in ``arg_names``, else an option."""
    call_args, call_options = list(args), dict(options)
    for name, value in given.items():
        if name in arg_names:
            call_args[arg_names.index(name)] = value
        else:
            call_options[name] = value
    return call_args, call_options


def _auto_value_and_grads(auto_loss, params, args, options, arg_names=(), input_names=()):
    """Autograd's loss, parameter gradients and gradients for the named inputs."""
    wrt = {"params": params}
    for name in input_names:
        if name in arg_names:
            if np.asarray(args[arg_names.index(name)]).dtype.kind in "biu":
                continue                   # integers (token ids) have no gradient
            wrt[name] = args[arg_names.index(name)]
        elif isinstance(options.get(name), np.ndarray):
            wrt[name] = options[name]

    def f(w):
        call_args, call_options = _substituted(args, options, arg_names,
                                               {k: v for k, v in w.items() if k != "params"})
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
    same signature returning the scalar loss, written with ``autograd.numpy``; the case:
    params a dict ``{str: finite float32/float64 ndarray}`` of one dtype; rtol/atol None or
    finite numbers >= 0. Refused by name (TypeError/ValueError) before any call: functions
    that are not callable, bad params or tolerances; after the call, a manual_fn that does
    not return ``(loss, grads)`` with a real scalar loss (TypeError).
    Returns: :class:`crosscheck.Comparison` over the key ``"loss"`` and every parameter.
    """
    check_callable("manual_fn", manual_fn, "manual_fn(params, *args, **options) -> (loss, grads)")
    check_callable("auto_loss", auto_loss, "auto_loss(params, *args, **options) -> scalar, "
                                           "written with autograd.numpy")
    check_param_dict(params)
    check_tolerances(rtol, atol)
    loss, grads, _ = contracts.unpack(manual_fn(params, *args, **options), False, "manual_fn")
    ref_loss, ref_grads, _ = _auto_value_and_grads(auto_loss, params, args, options)
    return _compare_all(loss, grads, {}, ref_loss, ref_grads, {}, rtol, atol)


class CaseReport(NamedTuple):
    """The outcome of one case: the checked gradients against autograd, and against finite
    differences (``numeric``, None where they were not taken). ``references`` holds the
    arrays behind both (``{"autograd": {...}, "finite differences": {...}}``), so that a
    disagreement can show all three values at its index (where everything agreed, the
    finite differences may be one number per key, along a random direction: see
    :func:`check_case`)."""
    ok: bool
    autograd: Comparison
    numeric: Optional[Comparison]
    references: dict = {}

    def worst(self):
        """``(against, KeyReport)`` of the worst failing key, autograd's first; or None."""
        for comparison, against in ((self.autograd, "autograd"), (self.numeric, "finite differences")):
            if comparison is not None and not comparison.ok:
                return against, comparison.worst()
        return None

    def describe(self, report=None):
        """One line on a failing key: yours, autograd's and the finite differences' values
        at the index of the largest error, with the errors."""
        against, report = self.worst() if report is None else report
        if report.problem:
            return f"against {against}: {report.describe()}"
        values = [f"yours {report.value:.10g}"]
        for name, arrays in self.references.items():
            if report.key in arrays and report.index is not None:
                values.append(f"{name} {float(np.asarray(arrays[report.key])[report.index]):.10g}")
        return (f"against {against}: {report.key} at index {report.index}: " + ", ".join(values)
                + f" (abs error {report.max_abs_error:.3g}, relative {report.max_rel_error:.3g})")


def _float_inputs(case, in_grads, arg_names):
    """``{name: array}`` of the inputs whose gradients were returned (``in_grads``) and
    that are float arrays: data arguments (``x``) or array options (``h0``)."""
    given = {**dict(zip(arg_names, case.args)), **case.options}
    return {name: given[name] for name in in_grads
            if isinstance(given.get(name), np.ndarray) and given[name].dtype.kind == "f"}


def _differenced_loss(auto_loss, case, arg_names, inputs=False):
    """The autograd twin's loss on ``case`` as a function of the arrays finite differences
    move: ``loss(params)``, or with ``inputs`` ``loss({name: array})`` for inputs (data
    arguments or array options) put in their places; every float array of the case in
    float64, as :func:`crosscheck.numeric.numeric_grad` takes them."""
    def wide(value):
        return value.astype(np.float64) if isinstance(value, np.ndarray) and value.dtype.kind == "f" else value
    args, options = [wide(a) for a in case.args], {k: wide(v) for k, v in case.options.items()}
    params = {k: wide(v) for k, v in case.params.items()}
    if not inputs:
        return lambda p: auto_loss(p, *args, **options)

    def loss(given):
        call_args, call_options = _substituted(args, options, arg_names, given)
        return auto_loss(params, *call_args, **call_options)

    return loss


def check_case(model, case, *, manual=None, input_grads=None, numeric=True, rtol=None, atol=None,
               repeat=True):
    """Check one :class:`Case` of a registered model.

    manual: the function to check (default: the model's own ``manual``); input_grads:
    also compare gradients for ``model.input_grads`` (default: only when checking the
    model's own function, which can return them); numeric: add finite differences as a
    third opinion when the case is small and smooth (of the parameters; of the compared
    inputs when the case has no parameters): along one random direction per key where
    the gradients agree with autograd and those agree (``report.numeric`` has a number
    per key, no index), else of every entry (a disagreement's index and values); repeat:
    call the function twice and require the same answer. Raises
    :class:`crosscheck.contracts.UsageError` (a TypeError) or
    :class:`~crosscheck.contracts.ContractError` (see there); what the checked function
    raises otherwise propagates. Refused by name before any call: an unknown model, a case
    that is not a :class:`Case` or whose params are not a dict of finite float arrays of one
    dtype, manual not None or callable, input_grads not None/bool, numeric or repeat not
    bools, rtol/atol not None or finite numbers >= 0.
    """
    model = registry.get(model)
    if not isinstance(case, registry.Case):
        raise TypeError(f"case must be a crosscheck.Case(params, args, options); got {type(case).__name__}")
    check_param_dict(case.params)
    if manual is not None:
        check_callable("manual", manual, "the function to check, fn(params, *args, **options) -> (loss, grads)")
    if input_grads is not None:
        check_flag("input_grads", input_grads)
    check_flag("numeric", numeric)
    check_flag("repeat", repeat)
    check_tolerances(rtol, atol)
    fn = model.manual if manual is None else manual
    input_grads = (manual is None) if input_grads is None else input_grads
    names = model.input_grads if input_grads else ()
    loss, grads, in_grads = contracts.call(fn, case, bool(names), repeat=repeat)
    ref_loss, ref_grads, ref_in = _auto_value_and_grads(model.auto, case.params, case.args,
                                                        case.options, model.arg_names, names)
    against_auto = _compare_all(loss, grads, in_grads, ref_loss, ref_grads, ref_in, rtol, atol)
    references = {"autograd": {"loss": ref_loss, **ref_grads,
                               **{f"d{n}": g for n, g in ref_in.items()}}}
    against_fd = None
    n_params = sum(np.size(v) for v in case.params.values())
    # what finite differences are taken of: the parameters, or, for a case with none (an
    # activation layer), the inputs whose gradients are compared
    differenced = case.params if n_params else _float_inputs(case, in_grads, model.arg_names)
    if (numeric and differenced and sum(np.size(v) for v in differenced.values()) <= FD_MAX_PARAMETERS
            and model.smooth(case)):
        loss_fn = _differenced_loss(model.auto, case, model.arg_names, inputs=not n_params)
        prefix = "" if n_params else "d"        # input gradients are keyed d<name>
        if n_params:
            checked, reference = grads, ref_grads
        else:
            checked = {f"d{name}": in_grads[name] for name in differenced}
            reference = {f"d{name}": ref_in[name] for name in differenced}
        lowest = min(np.asarray(v).dtype.itemsize for v in differenced.values())
        fd_rtol, fd_abs = (FD_RTOL, fd_atol(ref_loss)) if lowest == 8 else (None, None)
        if against_auto.ok:
            # the fast path: one difference per key, along a random direction
            directions = random_directions(differenced)
            along = directional_derivatives(loss_fn, differenced, directions)
            directions = {prefix + k: u for k, u in directions.items()}
            along = {prefix + k: d for k, d in along.items()}
            against_fd = compare_directional(checked, reference, directions, along, rtol=fd_rtol, atol=fd_abs)
            references["finite differences"] = {k: np.asarray(d) for k, d in along.items()}
        if against_fd is None or not against_fd.ok:
            # every entry: a disagreement is reported at its index, with all three values;
            # the checked gradients themselves against the third opinion: where they agree
            # with autograd and autograd does not agree with finite differences, the
            # report still shows the user's value
            fd = {prefix + k: g for k, g in numeric_grad(loss_fn, differenced).items()}
            against_fd = compare(checked, fd, rtol=fd_rtol, atol=fd_abs)
            references["finite differences"] = fd
    ok = against_auto.ok and (against_fd is None or against_fd.ok)
    return CaseReport(ok, against_auto, against_fd, references)


VERDICTS = ("agree", "disagree", "crash", "usage", "contract")


class Disagreement(Exception):
    """Raised inside a Hypothesis run so that it shrinks the case; carries the outcome."""

    def __init__(self, case, report=None, error=None):
        super().__init__(error or "gradients disagree")
        self.case, self.report, self.error = case, report, error


class _Cut(BaseException):
    """Ends shrinking that has run past its time budget, with the smallest failure so far."""

    def __init__(self, found):
        super().__init__("shrinking stopped")
        self.found = found


# Shrinking a failure is cut short after this many seconds: the smallest failing case
# found by then is reported (a slow checked function can make shrinking take minutes).
SHRINK_SECONDS = 60.0


class _Stop(BaseException):
    """Ends a Hypothesis run at once, without shrinking (a BaseException, which Hypothesis
    passes through): a usage error or a broken contract is not made smaller by shrinking."""

    def __init__(self, verdict, case, message, drawn):
        super().__init__(message)
        self.verdict, self.case, self.message, self.drawn = verdict, case, message, drawn


def _crash_text(exc):
    """The exception's last line, and where in the checked code it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno}, in {frames[-1].name})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


class VerifyResult(NamedTuple):
    """What :func:`verify` found.

    ok: every example agreed. verdict: "agree", "disagree", "crash", "usage" or "contract"
    (see the module doc). examples: examples run (including shrinking).
    examples_to_failure: how many examples it took to find the first failure.
    worst: ``{key: largest relative error}`` over the agreeing examples.
    numeric_examples, worst_numeric: how many examples also had finite differences as a
    third opinion, and the largest relative error of the checked gradients against them.
    case: the failing :class:`Case` (shrunk for "disagree" and "crash"; as given, before
    the call, for "contract"); pinned: the index of the pinned example it is, or None;
    report: its :class:`CaseReport`; error: the message of a crash, usage error or broken
    contract; shrink_cut: shrinking ran past :data:`SHRINK_SECONDS` and was stopped, the
    case being the smallest failure found by then.
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
    verdict: str = "agree"
    pinned: Optional[int] = None
    shrink_cut: bool = False

    def _case_lines(self, heading):
        arg_names = registry.get(self.model).arg_names if self.model in registry.models() else ("x", "y")
        lines = [heading]
        lines += ["  " + line for line in self.case.describe(arg_names).splitlines()]
        return lines

    def summary(self):
        """A few lines for a person: the verdict and what it rests on."""
        if self.ok:
            return f"{self.model}: {self.examples} examples agree (worst relative error " \
                   f"{max(self.worst.values(), default=0.0):.1e}) in {self.seconds:.1f} s"
        if self.verdict == "usage":
            return (f"{self.model}: USAGE ERROR at example {self.examples_to_failure} (not a "
                    f"disagreement; nothing was shrunk): {self.error}")
        cut = f", stopped after {SHRINK_SECONDS:.0f} s" if self.shrink_cut else ""
        where = (f"pinned example {self.pinned} (tried as written, not shrunk):" if self.pinned is not None
                 else f"minimal case ({self.examples} examples run with shrinking{cut}):")
        if self.verdict == "contract":
            which = "" if self.pinned is None else f" (pinned example {self.pinned})"
            lines = self._case_lines(f"{self.model}: CONTRACT BROKEN at example {self.examples_to_failure}"
                                     f"{which}: {self.error}; the input as it was before the call:")
            return "\n".join(lines)
        title = "CRASH" if self.verdict == "crash" else "DISAGREEMENT"
        lines = self._case_lines(f"{self.model}: {title} after {self.examples_to_failure} examples; {where}")
        if self.verdict == "crash":
            lines.append(f"  raised: {self.error}")
        else:
            lines.append("  " + self.report.describe())
            against, worst = self.report.worst()
            comparison = self.report.autograd if against == "autograd" else self.report.numeric
            lines += [f"    also {r.describe()}" for r in comparison.failures() if r.key != worst.key]
        return "\n".join(lines)


def check_run_arguments(max_examples=None, seed=None, profile=None, input_grads=None, numeric=True,
                        progress=None):
    """The arguments of a Hypothesis run, refused by name: max_examples None or an int >= 1;
    seed None or an int >= 0 (bools refused); profile None or a registered profile name;
    input_grads None or a bool; numeric a bool; progress None or callable."""
    for name, value, minimum in (("max_examples", max_examples, 1), ("seed", seed, 0)):
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be None or an int; got {type(value).__name__}")
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}; got {value}")
    if profile is not None:
        try:
            settings.get_profile(profile)
        except Exception:
            raise ValueError(f"profile must be one of {', '.join(profiles.PROFILES)} (or a Hypothesis "
                             f"profile you registered); got {profile!r}") from None
    if input_grads is not None:
        check_flag("input_grads", input_grads)
    check_flag("numeric", numeric)
    if progress is not None:
        check_callable("progress", progress, "progress(examples_so_far)")


def _check_verify_arguments(manual, max_examples, seed, profile, dtype, input_grads, numeric, progress):
    if manual is not None and not callable(manual):
        raise TypeError(f"manual must be the function to check, fn(params, *args, **options) "
                        f"-> (loss, grads); got {type(manual).__name__}")
    check_run_arguments(max_examples, seed, profile, input_grads, numeric, progress)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64; got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    return dtype


def merged_into_supports(supports, old_name, old_value, where="verify"):
    """``supports`` with a deprecated argument that now lives in it merged in (a
    DeprecationWarning); a key given in both is a TypeError."""
    if old_value is None:
        return supports
    if not isinstance(old_value, dict):
        raise TypeError(f"{old_name} must be a dict; got {type(old_value).__name__}")
    both = sorted(set(old_value) & set(supports or {}), key=str)
    if both:
        raise TypeError(f"supports and the deprecated {old_name} both give {both}; pass supports= only")
    warnings.warn(f"{where}({old_name}=...) is deprecated and will be removed; put its keys in "
                  "supports=, the one argument for what your code supports and how it is written",
                  DeprecationWarning, stacklevel=3)
    return {**(supports or {}), **old_value}


def verify(model, *, manual=None, max_examples=None, seed=None, profile=None,
           input_grads=None, numeric=True, dtype=np.float64, progress=None, supports=None,
           conventions=None):
    """Run the model's Hypothesis strategy and compare every drawn case with autograd.

    Inputs: model (a registered name or :class:`Model`); manual: a function with the
    signature of ``manual.<model>.loss_and_grads`` to check instead of ours (or, with
    ``supports`` naming another style, what that style takes); max_examples, seed;
    profile: "ci", "dev", "thorough" (default: ``CROSSCHECK_PROFILE``, else "ci" under
    ``CI``, else "dev"; see :mod:`crosscheck.profiles`: no deadline, no health check for
    slow code); dtype: float64 or float32 for every drawn array (tolerances follow the
    dtype); progress: called with the number of examples run so far; supports: one dict
    saying what the checked function supports (options and sizes: cases are drawn inside
    it, and pinned examples outside it are skipped) and how it is written (names,
    layouts, call style: each case is converted before the call and the gradients back
    after it); see :mod:`crosscheck.supports`. conventions: deprecated, the same keys as
    ``supports``, merged into it.
    Returns: :class:`VerifyResult`; on a disagreement or crash it holds the shrunk minimal case.
    """
    spec = registry.get(model)
    supports = merged_into_supports(supports, "conventions", conventions)
    from crosscheck import supports as declared
    allowed, conv = declared.declare(spec, supports)
    # with conventions, manual may be a (forward, backward) pair or a factory: wrap checks it
    dtype = _check_verify_arguments(manual if conv is None else None, max_examples, seed,
                                    profile, dtype, input_grads, numeric, progress)
    cases = spec.cases(dtype=dtype.type)                      # a user's factory may take only dtype
    pinned = spec.examples if dtype == np.float64 else ()   # pinned cases are float64
    if allowed is not None:
        cases = spec.cases(dtype=dtype.type, supports=allowed)
        pinned = tuple(case for case in pinned if declared.allows(case, allowed))
    if conv is not None:
        from crosscheck import conventions as declared_conventions
        manual = declared_conventions.wrap(manual, conv, spec)
    state = {"examples": 0, "first_failure": None, "worst": {}, "fd": 0, "worst_fd": 0.0,
             "best": None, "found_at": None}

    def found(failure):
        """Remember a failure (during shrinking each is smaller than the last) and return it."""
        state["first_failure"] = state["first_failure"] or state["examples"]
        state["found_at"] = state["found_at"] or time.perf_counter()
        state["best"] = failure
        return failure

    def body(case):
        if state["best"] is not None and time.perf_counter() - state["found_at"] > SHRINK_SECONDS:
            raise _Cut(state["best"])
        state["examples"] += 1
        if progress is not None:
            progress(state["examples"])
        try:
            report = check_case(spec, case, manual=manual, input_grads=input_grads, numeric=numeric)
        except contracts.UsageError as exc:
            raise _Stop("usage", case, str(exc), case) from None
        except contracts.ContractError as exc:
            raise _Stop("contract", exc.case or case, str(exc), case) from None
        except Exception as exc:  # the checked function raised: that is a finding too
            raise found(Disagreement(case, error=_crash_text(exc))) from exc
        if not report.ok:
            raise found(Disagreement(case, report))
        for r in report.autograd.reports.values():
            state["worst"][r.key] = max(state["worst"].get(r.key, 0.0), r.max_rel_error)
        if report.numeric is not None:
            state["fd"] += 1
            state["worst_fd"] = max([state["worst_fd"]] + [r.max_rel_error for r in report.numeric.reports.values()])

    base = settings.get_profile(profile or profiles.default_profile())
    overrides = dict(verbosity=Verbosity.quiet, database=None, report_multiple_bugs=False)
    if max_examples is not None:
        overrides["max_examples"] = max_examples
    test = given(cases)(body)
    for case in reversed(pinned):
        test = example(case)(test)
    test = settings(base, **overrides)(test)
    if seed is not None:
        test = hypothesis_seed(seed)(test)

    def which_pinned(case):
        return next((i for i, c in enumerate(pinned) if c is case), None)

    start = time.perf_counter()
    try:
        test()
    except _Stop as stop:
        return VerifyResult(spec.name, False, state["examples"], state["examples"], state["worst"],
                            time.perf_counter() - start, stop.case, None, stop.message,
                            state["fd"], state["worst_fd"], stop.verdict, which_pinned(stop.drawn))
    except (Disagreement, _Cut) as end:
        failure = end.found if isinstance(end, _Cut) else end
        return VerifyResult(spec.name, False, state["examples"], state["first_failure"],
                            state["worst"], time.perf_counter() - start,
                            failure.case, failure.report, failure.error, state["fd"], state["worst_fd"],
                            "crash" if failure.error else "disagree", which_pinned(failure.case),
                            isinstance(end, _Cut))
    return VerifyResult(spec.name, True, state["examples"], None, state["worst"],
                        time.perf_counter() - start, numeric_examples=state["fd"],
                        worst_numeric=state["worst_fd"])


def assert_verified(model, *, manual=None, **options):
    """:func:`verify`, as one line of a pytest test in your own suite: raise
    ``AssertionError`` with :meth:`VerifyResult.summary` unless everything agrees.

    ``options`` are :func:`verify`'s (``supports``, ``max_examples``, ``dtype``, ...); the
    profile follows ``CROSSCHECK_PROFILE`` and ``CI`` like everywhere else. Returns the
    :class:`VerifyResult`.
    """
    result = verify(model, manual=manual, **options)
    if not result.ok:
        raise AssertionError(result.summary())
    return result
