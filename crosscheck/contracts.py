"""What a checked function must do on every case, before its numbers are compared.

:func:`call` runs a hand-written ``fn(params, *args, **options)`` on one case and returns
``(loss, grads, input_grads)``, or raises:

- :class:`UsageError` where the function cannot be checked as it is called: it does not
  accept the case's arguments (its signature), it raises ``NotImplementedError`` (an
  option it does not support: declare what it supports with ``supports=``), or it returns
  something other than ``(loss, grads)`` (``(loss, grads, input_grads)`` when asked for
  input gradients) with ``grads`` a dict of arrays keyed exactly like ``params``;
- :class:`ContractError` where it breaks a rule that no comparison would show: it modifies
  its inputs in place, returns gradients of another dtype than their parameter (float32
  gradients for float64 parameters would otherwise be compared at float32 tolerance),
  returns complex values, answers differently when called twice in a row on the same
  inputs (state kept between calls), or, asked for input gradients, gives other parameter
  gradients when called without them (the path training takes).

Any other exception propagates: the function crashed.
"""
import copy
import inspect
from typing import Mapping

import numpy as np


# Two calls on the same inputs must agree to this relative tolerance of each array's
# scale: the same arithmetic gives the same bits, but a threaded BLAS may sum in another
# order (a few ulps); state kept between calls moves a gradient by its own size.
REPEAT_RTOL = 1e-12


class UsageError(TypeError):
    """The function cannot be checked as called: not a disagreement about numbers (a
    TypeError: the function given is not of the kind the check takes)."""


class ContractError(Exception):
    """The function breaks a rule of a gradient function; ``case`` is the input as it was
    before the call."""

    def __init__(self, message, case=None):
        super().__init__(message)
        self.case = case


def check_signature(fn, params, args, options):
    """Raise :class:`UsageError` unless ``fn(params, *args, **options)`` binds."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):           # a builtin without a signature: just call it
        return
    try:
        signature.bind(params, *args, **options)
    except TypeError as exc:
        raise UsageError(f"the checked function cannot be called as "
                         f"fn(params, {', '.join(['x', 'y'][:len(args)] or ['...'])}, "
                         f"{', '.join(f'{k}=...' for k in options)}): {exc}") from None


def _arrays(case):
    """``{name: array}`` of every array the case passes (parameters, args, array options)."""
    named = {f"params[{k!r}]": v for k, v in case.params.items()}
    named.update({f"argument {i + 1}": a for i, a in enumerate(case.args) if isinstance(a, np.ndarray)})
    named.update({k: v for k, v in case.options.items() if isinstance(v, np.ndarray)})
    return named


def _modified(before, after):
    """A description of the first input array the call changed, or None."""
    for (name, old), new in zip(_arrays(before).items(), _arrays(after).values()):
        if np.shape(old) != np.shape(new) or not np.array_equal(old, new, equal_nan=True):
            where = ""
            if np.shape(old) == np.shape(new):
                index = np.unravel_index(int(np.argmax(np.asarray(old != new))), np.shape(old))
                index = tuple(int(i) for i in index)
                where = (f" (at index {index}: was {_number(np.asarray(old)[index])}, "
                         f"now {_number(np.asarray(new)[index])})")
            return f"{name}{where}"
    return None


def _number(value):
    return f"{complex(value):.10g}" if np.iscomplexobj(value) else f"{float(value):.10g}"


def unpack(result, want_inputs, who="the checked function"):
    """``(loss, grads, input_grads)`` of what ``who`` returned, or a :class:`UsageError`
    naming it unless that is ``(loss, grads)`` (``(loss, grads, input_grads)`` when
    ``want_inputs``) with a real scalar loss and dicts of gradients."""
    expected = "(loss, grads, input_grads)" if want_inputs else "(loss, grads)"
    if not isinstance(result, (tuple, list)) or len(result) != (3 if want_inputs else 2):
        got = (f"a {type(result).__name__} of {len(result)} items"
               if isinstance(result, (tuple, list)) else f"a {type(result).__name__}")
        raise UsageError(f"{who} must return {expected}; got {got}")
    loss, grads = result[0], result[1]
    inputs = result[2] if want_inputs else {}
    if np.ndim(loss) != 0 or np.asarray(loss).dtype.kind not in "fiu":
        raise UsageError(f"{who}'s loss must be a real scalar; got "
                         f"{type(loss).__name__} of shape {np.shape(loss)}")
    for name, value in (("grads", grads), ("input_grads", inputs)):
        if not isinstance(value, Mapping):
            raise UsageError(f"{who}'s {name} must be a dict of arrays; got "
                             f"{type(value).__name__}")
    return loss, dict(grads), dict(inputs)


def _check_keys(grads, params):
    missing = [k for k in params if k not in grads]
    extra = [k for k in grads if k not in params]
    if missing or extra:
        raise UsageError(f"the checked function's grads must have the keys of params "
                         f"{list(params)}; missing {missing}, unexpected {extra}")


def _check_values(named, like):
    """dtype and complex rules: each gradient has the dtype of what it is the gradient of."""
    for key, value in named.items():
        value = np.asarray(value)
        if value.dtype.kind == "c":
            raise ContractError(f"the checked function returned complex values for {key}")
        reference = like.get(key)
        if reference is not None and np.asarray(reference).dtype.kind == "f" \
                and value.dtype != np.asarray(reference).dtype:
            raise ContractError(f"the checked function returned {key} as {value.dtype} for "
                                f"{np.asarray(reference).dtype} input: gradients must keep "
                                f"the dtype of what they are the gradient of")


def call(fn, case, want_inputs, repeat=True):
    """Run ``fn`` on ``case`` under the rules above; return ``(loss, grads, input_grads)``
    (``input_grads`` empty unless ``want_inputs``)."""
    options = dict(case.options, return_input_grads=True) if want_inputs else dict(case.options)
    check_signature(fn, case.params, case.args, options)
    before = copy.deepcopy(case)
    try:
        result = fn(case.params, *case.args, **options)
    except NotImplementedError as exc:
        raise UsageError(f"the checked function does not support this case "
                         f"(NotImplementedError: {exc}); declare what it supports with "
                         f"supports=") from None
    loss, grads, inputs = unpack(result, want_inputs)
    changed = _modified(before, case)
    if changed is not None:
        raise ContractError(f"the checked function modified its input {changed} in place",
                            before)
    _check_keys(grads, case.params)
    input_like = {f"d{name}": value for name, value in zip(("x", "y"), case.args)}
    input_like.update({f"d{k}": v for k, v in case.options.items() if isinstance(v, np.ndarray)})
    _check_values(grads, case.params)
    _check_values({f"d{k}": v for k, v in inputs.items()}, input_like)
    for key, value in inputs.items():
        given = input_like.get(f"d{key}")
        if value is not None and given is not None and np.asarray(given).dtype.kind in "iub":
            raise ContractError(f"the checked function returned a gradient for {key}, which holds "
                                f"integers (token ids or labels): an integer input has no gradient; "
                                f"return None for it", before)
    # the re-calls below test the function's own answers (state kept between calls, the
    # path without input gradients); a function that also checks more on every call (our
    # models' public path, catalog.with_public_path) names as ``again`` the same function
    # without those checks, which the first call has done for this case
    recall = getattr(fn, "again", fn)
    if repeat:
        again = unpack(recall(case.params, *case.args, **options), want_inputs)
        first = {"loss": np.asarray(loss), **grads, **{f"d{k}": v for k, v in inputs.items()}}
        second = {"loss": np.asarray(again[0]), **again[1], **{f"d{k}": v for k, v in again[2].items()}}
        changed = first_difference(first, second)
        if changed is not None:
            raise ContractError("the checked function gave a different answer when called "
                                f"twice in a row on the same inputs (does it keep state "
                                f"between calls?): {changed}", before)
    if want_inputs:
        # the path without input gradients (what training calls) must give the same loss
        # and parameter gradients: code that skips dx there can break what it keeps
        plain = unpack(recall(case.params, *case.args, **dict(case.options)), False)
        changed = first_difference({"loss": np.asarray(loss), **grads},
                                    {"loss": np.asarray(plain[0]), **plain[1]})
        if changed is not None:
            raise ContractError("the checked function gave other parameter gradients without "
                                f"return_input_grads than with it: {changed}", before)
    return loss, grads, inputs


def first_difference(first, second):
    """The first key whose arrays differ by more than :data:`REPEAT_RTOL` of their scale
    (NaN equal to NaN: a function that overflows the same way twice is deterministic)."""
    for key, a in first.items():
        a, b = np.asarray(a), np.asarray(second.get(key))
        if a.shape != b.shape:
            return f"{key} has shape {a.shape}, then {b.shape}"
        if a.dtype == b.dtype and a.dtype.kind in "fiub" and a.tobytes() == b.tobytes():
            continue          # the same bits, the usual case: equal (and allclose is slow)
        finite = np.isfinite(a)
        scale = float(np.max(np.abs(a[finite]), initial=0.0))
        if not np.allclose(b, a, rtol=0.0, atol=REPEAT_RTOL * scale, equal_nan=True):
            index = tuple(int(i) for i in np.unravel_index(
                int(np.argmax(np.abs(np.nan_to_num(b - a, nan=np.inf)))), a.shape))
            return f"{key} at index {index}: {_number(a[index])}, then {_number(b[index])}"
    return None
