"""The registry of layers and models that the cross-check knows.

A layer or model is one :class:`Model` entry: its hand-written ``loss_and_grads``, its autograd
loss, and a Hypothesis strategy of :class:`Case` objects. Everything else (property
tests, ``verify``, the ``crosscheck`` command, the bug gallery) works from that entry,
so adding a model never copies test machinery.

Your own model is the same one entry: ``register(Model(name, description, manual, auto,
cases))``. :class:`Model` checks its fields when it is made and fills in defaults that
work: ``cases`` may be a plain strategy, input gradients are compared only if ``manual``
can return them, and finite differences are skipped where a case says the gradient is
truncated or crosses a ReLU kink.
"""
import inspect
from typing import Callable, NamedTuple

import numpy as np
from hypothesis.strategies import SearchStrategy

from modelspec import table
from modelspec.checks import check_flag, check_option



class _CaseFields(NamedTuple):
    params: dict
    args: tuple
    options: dict


class Case(_CaseFields):
    """One call: ``fn(params, *args, **options)``.

    params: dict of parameter arrays keyed by str; args: positional data, a tuple (a list
    is taken as one) (``(x, y)`` for every built-in model); options: dict of keyword
    options keyed by str (strings, ints, None, or arrays like ``h0``). A field of another
    type is a TypeError naming it (the arrays themselves are the checked function's to
    refuse). ``_replace`` goes through the same checks.
    """
    __slots__ = ()

    def __new__(cls, params, args, options):
        for field, value in (("params", params), ("options", options)):
            if not isinstance(value, dict):
                raise TypeError(f"Case {field} must be a dict keyed by str; got {type(value).__name__}")
            bad = next((k for k in value if not isinstance(k, str)), None)
            if bad is not None:
                raise TypeError(f"Case {field} must be a dict keyed by str; got key {bad!r}")
        if not isinstance(args, (tuple, list)):
            raise TypeError(f"Case args must be a tuple of the positional data (x, y, ...); "
                            f"got {type(args).__name__}")
        return super().__new__(cls, params, tuple(args), options)

    def _replace(self, **changes):
        return Case(**{**self._asdict(), **changes})

    def shapes(self, arg_names=("x", "y")):
        """``{name: shape}`` for every array in the case (parameters first)."""
        out = {k: tuple(np.shape(v)) for k, v in self.params.items()}
        out.update({n: tuple(np.shape(a)) for n, a in zip(arg_names, self.args)})
        out.update({k: tuple(np.shape(v)) for k, v in self.options.items() if isinstance(v, np.ndarray)})
        return out

    def plain_options(self):
        """The options that are not arrays (arrays are summarised by their shape)."""
        return {k: (f"array{tuple(v.shape)}" if isinstance(v, np.ndarray) else v)
                for k, v in self.options.items()}

    def describe(self, arg_names=("x", "y"), *, values=True, max_values=40):
        """A readable account: shapes, options and, for small arrays, their values."""
        lines = ["options: " + ", ".join(f"{k}={v!r}" for k, v in self.plain_options().items())]
        lines.append("shapes:  " + ", ".join(f"{k} {s}" for k, s in self.shapes(arg_names).items()))
        if values:
            named = {**self.params, **dict(zip(arg_names, self.args)),
                     **{k: v for k, v in self.options.items() if isinstance(v, np.ndarray)}}
            for k, v in named.items():
                v = np.asarray(v)
                if v.size <= max_values:
                    lines.append(f"  {k} = {np.array2string(v, precision=6, separator=', ', max_line_width=100)}"
                                 .replace("\n", "\n      "))
        return "\n".join(lines)

    def to_json(self, arg_names=("x", "y")):
        """A JSON-ready dict holding every array as nested lists."""
        def plain(v):
            return np.asarray(v).tolist() if isinstance(v, (np.ndarray, np.generic)) else v
        return {"params": {k: plain(v) for k, v in self.params.items()},
                "args": {n: plain(a) for n, a in zip(arg_names, self.args)},
                "options": {k: plain(v) for k, v in self.options.items()}}


def always(case):
    """A ``smooth`` for a model whose every case is smooth: finite differences always apply."""
    return True


def smooth_unless_truncated_or_relu(case):
    """The default ``smooth``: False where the case itself says its gradient is not the
    loss's true gradient at that point, True otherwise.

    Not smooth: an option ``truncate`` that is not None (truncated backpropagation holds
    some terms constant by design) and any option whose value is the string ``"relu"``
    (a kink, where finite differences straddle two slopes).
    """
    if case.options.get("truncate") is not None:
        return False
    return not any(isinstance(value, str) and value == "relu" for value in case.options.values())


def _takes_keyword(fn, keyword, unreadable):
    """Whether ``fn`` can be called with ``keyword=...`` (``**kwargs`` counts);
    ``unreadable`` where Python cannot read its signature."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return unreadable
    return any(p.kind is p.VAR_KEYWORD
               or (p.name == keyword and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
               for p in parameters)


def accepts_input_grads(fn):
    """Whether ``fn`` takes a ``return_input_grads`` keyword (a ``**kwargs`` counts: it is
    assumed to pass the keyword on to a function that honours it)."""
    return _takes_keyword(fn, "return_input_grads", unreadable=False)


def _require_case(value):
    if not isinstance(value, Case):
        raise TypeError(f"cases must draw crosscheck.Case(params, args, options); drew a "
                        f"{type(value).__name__}")
    return value


def strategy_factory(strategy, name="this model"):
    """A plain Hypothesis strategy of :class:`Case` as a factory ``cases(dtype=..., **restrictions)``.

    The factory returns the same strategy whatever ``dtype`` it is asked for: a plain
    strategy draws what it draws (float64 in practice), so a model that should be checked
    in float32 too passes a factory instead. A model given as a plain strategy declares no
    options that a caller could restrict: a restriction such as ``supports=...`` that is
    not None is refused with a ValueError (None is ignored). The strategy is kept as the
    factory's ``strategy`` attribute.
    """
    checked = strategy.map(_require_case)

    def cases(dtype=np.float64, **restrictions):
        given = {key: value for key, value in restrictions.items() if value is not None}
        if given:
            asked = ", ".join(f"{key}={value!r}" for key, value in given.items())
            raise ValueError(f"model {name!r} declares no options to restrict (its cases is a plain "
                             f"Hypothesis strategy, not a factory); got {asked}")
        return checked

    cases.strategy = strategy
    return cases


def _cases_factory(cases, name):
    if isinstance(cases, SearchStrategy):
        return strategy_factory(cases, name)
    if not callable(cases):
        raise TypeError(f"cases must be a Hypothesis strategy of crosscheck.Case or a factory "
                        f"cases(dtype=...) returning one; got {type(cases).__name__}")
    if not _takes_keyword(cases, "dtype", unreadable=True):
        raise TypeError(f"cases must be a Hypothesis strategy of crosscheck.Case or a factory "
                        f"cases(dtype=...) returning one; got {getattr(cases, '__name__', cases)!r}, "
                        f"a callable that takes no dtype keyword")
    return cases


def _str_tuple(value, field, example):
    if (isinstance(value, str) or not isinstance(value, (tuple, list))
            or not all(isinstance(item, str) and item for item in value)):
        raise TypeError(f"{field} must be a tuple of non-empty str such as {example}; got {value!r}")
    return tuple(value)


def _callable(value, field, what):
    if not callable(value):
        raise TypeError(f"{field} must be a callable, {what}; got {type(value).__name__}")
    return value


class _Fields(NamedTuple):
    name: str
    description: str
    manual: Callable
    auto: Callable
    cases: Callable
    arg_names: tuple
    input_grads: tuple
    examples: tuple
    options: dict
    smooth: Callable
    kind: str


class Model(_Fields):
    """One registered layer or model; its fields are checked and normalized when it is made.

    name: a non-empty str, the name ``verify`` and ``crosscheck run`` know it by.
    description: one line on what it is (``crosscheck list``).
    manual: ``loss_and_grads(params, *args, **options) -> (loss, grads)``; if it takes a
        ``return_input_grads`` keyword, with it True it returns ``(loss, grads, {input: grad})``.
    auto: ``loss(params, *args, **options)``, traceable by autograd.
    cases: a Hypothesis strategy of :class:`Case`, or a factory ``cases(dtype=np.float64)``
        returning one; stored as a factory. A plain strategy is used for every dtype, so it
        is float64-only (see :func:`strategy_factory`); to be checked in float32 a model
        passes a factory that draws arrays of the dtype it is given.
    arg_names: names of the positional data arguments (default ``("x", "y")``).
    input_grads: inputs (an arg name or an array option) whose gradients are compared too.
        Default (None): automatic, stored as ``arg_names[:1]`` (the first data argument,
        ``("x",)``) if ``manual`` takes a ``return_input_grads`` keyword (``**kwargs``
        counts; see :func:`accepts_input_grads`), else ``()``, parameter gradients only.
        Given explicitly and non-empty, ``manual`` must take that keyword (ValueError).
    examples: pinned cases every run tries first (edge cases: exact zeros, T=1, ...).
    options: ``{option: allowed values}``, for ``crosscheck list``.
    smooth: ``smooth(case)`` is True where the loss is differentiable in the ordinary sense
        at the drawn point and the gradient is its true gradient, so finite differences are
        a fair third opinion. Default: :func:`smooth_unless_truncated_or_relu` (False for a
        ``truncate`` option that is not None and for an option value ``"relu"``).
    kind: "model" (a loss of its output), or "layer": then ``manual`` and ``auto`` are the
        layer's vector-Jacobian product (:mod:`crosscheck.vjp`) and the second positional
        argument is the upstream gradient ``dout``.

    A bad field is a TypeError (wrong type) or ValueError (wrong value) naming it.
    ``_replace`` goes through the same checks.
    """
    __slots__ = ()

    def __new__(cls, name, description, manual, auto, cases, arg_names=("x", "y"), input_grads=None,
                examples=(), options=None, smooth=smooth_unless_truncated_or_relu, kind="model"):
        if not isinstance(name, str):
            raise TypeError(f"name must be a str; got {type(name).__name__}")
        if not name.strip():
            raise ValueError(f"name must be a non-empty str; got {name!r}")
        if not isinstance(description, str):
            raise TypeError(f"description must be a str; got {type(description).__name__}")
        if kind not in table.KINDS:
            raise ValueError(f"kind must be 'model' or 'layer'; got {kind!r}")
        _callable(manual, "manual", "loss_and_grads(params, *args, **options) -> (loss, grads)")
        _callable(auto, "auto", "loss(params, *args, **options) written with autograd.numpy")
        _callable(smooth, "smooth", "smooth(case) -> bool")
        arg_names = _str_tuple(arg_names, "arg_names", "('x', 'y')")
        if input_grads is None:
            input_grads = arg_names[:1] if accepts_input_grads(manual) else ()
        else:
            input_grads = _str_tuple(input_grads, "input_grads", "('x',) or ()")
            if input_grads and not accepts_input_grads(manual):
                raise ValueError(f"input_grads={input_grads} needs manual to take a return_input_grads "
                                 f"keyword, and {getattr(manual, '__name__', manual)!r} does not; leave "
                                 f"input_grads out (or pass ()) to compare parameter gradients only")
        if isinstance(examples, Case) or not isinstance(examples, (tuple, list)):
            raise TypeError(f"examples must be a tuple of crosscheck.Case; got {type(examples).__name__}")
        for i, case in enumerate(examples):
            if not isinstance(case, Case):
                raise TypeError(f"examples must be a tuple of crosscheck.Case; item {i} is of type "
                                f"{type(case).__name__}")
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise TypeError(f"options must be a dict {{option: allowed values}}; "
                            f"got {type(options).__name__}")
        return super().__new__(cls, name, description, manual, auto, _cases_factory(cases, name),
                               arg_names, input_grads, tuple(examples), dict(options), smooth, kind)

    def _replace(self, **changes):
        """A new Model with ``changes``, checked like any other. ``input_grads`` is kept as
        stored: with a new ``manual``, pass ``input_grads=None`` to have it worked out again."""
        return Model(**{**self._asdict(), **changes})


_REGISTRY = {}


def register(model, *, replace=False):
    """Add ``model`` (a :class:`Model`) to the registry and return it.

    A built-in name (an entry of ``modelspec.table``: the library's own layers and models)
    is refused with a ValueError unless ``replace=True``, so that nothing replaces the
    library's own check by accident. Any other name registered before is replaced: the
    latest registration wins, so registering a model again (a notebook cell run twice, a
    module that registers at import and is then named to ``crosscheck --model``) is harmless.
    """
    if not isinstance(model, Model):
        raise TypeError(f"register takes a crosscheck.Model; got {type(model).__name__}")
    check_flag("replace", replace)
    existing = _REGISTRY.get(model.name)
    if (existing is not None and existing is not model and not replace
            and model.name in table.names()):
        raise ValueError(f"{model.name!r} is a built-in {existing.kind}; pass replace=True to "
                         f"replace it, or give your model another name")
    _REGISTRY[model.name] = model
    return model


def models(kind=None):
    """Names of the registered layers and models, in registration order; ``kind``
    "layer" or "model" keeps one kind (anything else is a ValueError)."""
    if kind is not None:
        check_option("kind", kind, table.KINDS)
    return [name for name, m in _REGISTRY.items() if kind is None or m.kind == kind]


def get(name):
    """The registered :class:`Model` called ``name`` (a Model is returned as it is)."""
    if isinstance(name, Model):
        return name
    if not isinstance(name, str):
        raise TypeError(f"model must be a registered name (str) or a crosscheck.Model; "
                        f"got {type(name).__name__}")
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered models: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]
