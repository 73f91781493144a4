"""What a checked function supports, and how it is written: ``verify``'s one ``supports=``.

Hand-written code often covers a subset of what a layer or model allows (only
``loss="bce"``, only ``output="last"``, no truncation, no ``h0``, batch 1, short
sequences, one-hot tokens), and is often written in other conventions than ours (other
names, column vectors, token ids, one sequence, cs231n's layer pairs, a ``lossFun`` with
module globals, a layer object). One dict says both, every key optional (a key left out
allows everything and means "as ours"):

What cases to draw:

- each option of the model (``model.options``: ``loss``, ``output``, ``reduction``,
  ``activation``, ...): a list or tuple of allowed values, e.g. ``{"loss": ["bce"]}``;
- ``truncate``: ``"any"``, or a list of ``None`` (full BPTT) and/or window lengths k >= 1;
- ``h0``, ``c0``, ``dh_last``, ``dc_last`` (arrays that are given or not), ``bidirectional``
  (a stack's reverse layers) and ``token_ids`` (a network's x as token ids through an
  embedding): True
  (always), False (never) or ``"either"``;
- sizes, as the model's strategy names them (its ``sizes`` attribute, e.g. ``batch``,
  ``time``, ``n_in``, ``hidden``, ``n_out``, ``depth``, ``leading_axes``, ``axes``): an int, or a
  ``(min, max)`` pair, within the range the strategy draws;
- ``one_hot`` (sequence models): True when x may only be one-hot tokens, False (the
  default) for any real x.

How the function is called (:mod:`crosscheck.conventions` documents each key): ``style``
(``"loss_and_grads"``, ``"cs231n"``, ``"lossFun"``, ``"object"``), ``names``, ``layout``,
``tokens``, ``batch`` (``"single"`` for one sequence; an int or a pair is the size
above), ``step``, ``fixed``, ``call``, ``returns``, ``globals``, ``gradients``,
``methods``. These imply cases too: an option ``fixed`` to one value is drawn with that
value only, ``tokens`` draws one-hot x, ``batch="single"`` batch 1, ``step`` time 1, an
``h0`` in ``call`` always gives h0 (:func:`crosscheck.conventions.implied_supports`); a
key given as well must say the same.

:func:`declare` checks such a dict against a model and splits it into the normalized
restriction (what :func:`validate` returns) and the conventions; the model's strategy,
given the restriction as ``supports=``, draws only cases within it (by construction);
:func:`allows` says whether a given case (a pinned example) is within it. Every unknown
key or value is a TypeError or ValueError naming it, before any case is drawn.
"""
import numbers

import numpy as np

from crosscheck import conventions
from crosscheck.registry import Model, get

TRUNCATE = "truncate"
GIVEN = ("h0", "c0", "dh_last", "dc_last")   # optional arrays: whether the function takes them given
# a stack's or a network's structure, read from the parameters: reverse layers, an embedding
STRUCTURE = {"bidirectional": lambda params: any(str(k).endswith("_reverse") for k in params),
             "token_ids": lambda params: "Wemb" in params}
ONE_HOT = "one_hot"


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _choices(key, value, shown, name):
    """A tuple of allowed values of a plain option, in the model's order."""
    allowed = ", ".join(map(str, shown))
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"supports[{key!r}] must be a list or tuple of values from {allowed}; "
                        f"got {value!r}")
    if not value:
        raise ValueError(f"supports[{key!r}] is empty; give at least one of {allowed}")
    for v in value:
        if not isinstance(v, str) or v not in shown:
            raise ValueError(f"supports[{key!r}] has {v!r}, which {name} does not take; "
                             f"allowed: {allowed}")
    return tuple(v for v in shown if v in value)


def _truncate(value):
    """``"any"``, or a tuple of None and/or window lengths >= 1 (None first, then ascending)."""
    expected = "'any' or a list of None (full BPTT) and/or ints >= 1 (windows of k steps)"
    if isinstance(value, str):
        if value != "any":
            raise ValueError(f"supports['truncate'] must be {expected}; got {value!r}")
        return value
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"supports['truncate'] must be {expected}; got {value!r}")
    if not value:
        raise ValueError(f"supports['truncate'] is empty; it must be {expected}")
    for v in value:
        if v is not None and not _is_int(v):
            raise TypeError(f"supports['truncate'] has {v!r}; it must be {expected}")
        if v is not None and v < 1:
            raise ValueError(f"supports['truncate'] has {v!r}; it must be {expected}")
    windows = sorted({int(v) for v in value if v is not None})
    return ((None,) if None in value else ()) + tuple(windows)


def _given(key, value):
    """True, False or "either"."""
    expected = "True (always given), False (never given) or 'either'"
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if not isinstance(value, str):
        raise TypeError(f"supports[{key!r}] must be {expected}; got {value!r}")
    if value != "either":
        raise ValueError(f"supports[{key!r}] must be {expected}; got {value!r}")
    return value


def _size(key, value, limits, name):
    """A ``(min, max)`` pair of ints within ``limits``."""
    low, high = limits
    expected = f"an int or a (min, max) pair of ints within {low}..{high}"
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_is_int, value)):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"supports[{key!r}] must be {expected}; got {value!r}")
    if pair[0] > pair[1]:
        raise ValueError(f"supports[{key!r}] = {value!r} is not a range: min {pair[0]} > max {pair[1]}")
    if pair[0] < low or pair[1] > high:
        raise ValueError(f"supports[{key!r}] = {value!r} is outside {low}..{high}, the {key} "
                         f"that {name}'s cases are drawn with")
    return pair


def keys(model):
    """Every key ``supports`` may hold for ``model``: its options, then its sizes and flags."""
    model = _model(model)
    return (list(model.options) + list(getattr(model.cases, "sizes", {}))
            + list(getattr(model.cases, "flags", ())))


def _model(model):
    if not isinstance(model, (Model, str)):
        raise TypeError(f"model must be a crosscheck.Model or a registered name; got {type(model).__name__}")
    return get(model)


def validate(model, supports):
    """Check ``supports`` against ``model`` and return it normalized.

    Inputs: model, a registered :class:`crosscheck.Model` (or its name); supports, a dict
    (see the module's docstring) or None (everything).
    Returns: None for None, else a dict of the keys given: options as tuples in the
    model's order, ``truncate`` as "any" or a tuple (None first, then ascending windows),
    ``h0``/``dh_last`` as True, False or "either", sizes as ``(min, max)`` pairs of ints,
    ``one_hot`` as a bool. Raises TypeError or ValueError naming the key and what is
    allowed, before any case is drawn.
    """
    model = _model(model)
    if supports is None:
        return None
    if not isinstance(supports, dict):
        raise TypeError("supports must be a dict (an option or a size -> what your function "
                        f"supports); got {type(supports).__name__}")
    known = keys(model)
    for key in supports:
        if key not in known:
            raise ValueError(f"supports has an unknown key {key!r} for {model.name}; allowed "
                             f"keys: {', '.join(known)} (what cases to draw) and "
                             f"{', '.join(conventions.KEYS)} (how your code is called)")
    sizes = getattr(model.cases, "sizes", {})
    out = {}
    for key, value in supports.items():
        if key == TRUNCATE:
            out[key] = _truncate(value)
        elif key in GIVEN or key in STRUCTURE:
            out[key] = _given(key, value)
        elif key in model.options:
            out[key] = _choices(key, value, tuple(model.options[key]), model.name)
        elif key in sizes:
            out[key] = _size(key, value, sizes[key], model.name)
        elif key == ONE_HOT and isinstance(value, (bool, np.bool_)):
            out[key] = bool(value)
        else:
            raise TypeError(f"supports[{key!r}] must be True (x only one-hot tokens) or False "
                            f"(any real x); got {value!r}")
    return out


def _is_convention(key, value):
    # "batch" is a convention as "single"/"batched", a size as an int or a pair
    return key in conventions.KEYS and (key != "batch" or isinstance(value, str))


def declare(model, supports):
    """Check ``supports`` (see the module's docstring) against ``model`` and split it.

    Returns: ``(allowed, conv)``: allowed, the restriction of the cases as
    :func:`validate` returns it (with what the conventions imply), or None; conv, a
    :class:`crosscheck.conventions.Conventions`, or None when no key describes how the
    function is called. Raises TypeError or ValueError naming the key, before any case
    is drawn.
    """
    model = _model(model)
    if supports is None:
        return None, None
    if not isinstance(supports, dict):
        raise TypeError("supports must be a dict (what your function supports and how it is "
                        f"called, see crosscheck.supports); got {type(supports).__name__}")
    called = {k: v for k, v in supports.items() if _is_convention(k, v)}
    drawn = {k: v for k, v in supports.items() if k not in called}
    conv = conventions.validate(called, model) if called else None
    allowed = validate(model, drawn)
    if conv is not None:
        implied = validate(model, conventions.implied_supports(conv))
        for key, value in implied.items():
            if key in allowed and allowed[key] != value:
                raise ValueError(f"supports[{key!r}] = {drawn[key]!r} contradicts what the "
                                 f"conventions given imply for {key!r}: {value!r}; give one")
        allowed = {**allowed, **implied}
    return allowed or None, conv


# --------------------------------------------------------------------------- allows

def _widths(params):
    # an MLP's layers W0 .. W{n-1}: the output width of each
    return [np.shape(params[f"W{i}"])[1] for i in range(len(params) // 2)]


def _n_out(params):
    for key in ("Wy", "W"):             # the RNN's head, the linear layer
        if key in params:
            return [np.shape(params[key])[1]]
    return _widths(params)[-1:]


# How each size is read from a case of the built-in strategies: (params, x) -> sizes
SIZE_OF = {
    "batch": lambda params, x: [np.shape(x)[0]],
    "time": lambda params, x: [np.shape(x)[1]],
    "n_in": lambda params, x: [np.shape(params["Wemb"])[1] if "Wemb" in params else np.shape(x)[-1]],
    "leading_axes": lambda params, x: [np.ndim(x) - 1],
    "axes": lambda params, x: [np.ndim(x)],
    "depth": lambda params, x: [len(params) // 2 - 1],
    "hidden": lambda params, x: ([np.shape(params["Whh"])[0]] if "Whh" in params
                                 else [np.shape(params["Whh_l0"])[0]] if "Whh_l0" in params
                                 else _widths(params)[:-1]),
    "vocab": lambda params, x: [np.shape(params[k])[0] for k in ("Wemb", "W") if k in params][:1],
    "layers": lambda params, x: [len({str(k).split("_l")[-1].split("_")[0] for k in params
                                      if str(k).startswith("Wxh_l")})],
    "n_out": lambda params, x: _n_out(params),
}


def _is_one_hot(x):
    x = np.asarray(x)
    return bool(np.all((x == 0) | (x == 1)) and np.all(x.sum(axis=-1) == 1))


def allows(case, supports):
    """Whether ``case`` (a :class:`crosscheck.Case`, e.g. a pinned example) is within
    ``supports`` (as :func:`validate` returns it; None allows every case)."""
    if supports is None:
        return True
    params, x = case.params, case.args[0]
    for key, allowed in supports.items():
        value = case.options.get(key)
        if key == TRUNCATE:
            ok = allowed == "any" or value in allowed
        elif key in GIVEN:
            ok = allowed == "either" or (value is not None) == allowed
        elif key in STRUCTURE:
            ok = allowed == "either" or STRUCTURE[key](params) == allowed
        elif key == ONE_HOT:
            ok = not allowed or _is_one_hot(x)
        elif key in SIZE_OF:
            low, high = allowed
            ok = all(low <= size <= high for size in SIZE_OF[key](params, x))
        else:
            ok = isinstance(value, str) and value in allowed
        if not ok:
            return False
    return True
