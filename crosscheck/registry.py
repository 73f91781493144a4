"""The registry of layers and models that the cross-check knows.

A layer or model is one :class:`Model` entry: its hand-written ``loss_and_grads``, its autograd
loss, and a Hypothesis strategy of :class:`Case` objects. Everything else (property
tests, ``verify``, the ``crosscheck`` command, the bug gallery) works from that entry,
so adding a model never copies test machinery.
"""
from typing import Callable, NamedTuple

import numpy as np


class Case(NamedTuple):
    """One call: ``fn(params, *args, **options)``.

    params: dict of parameter arrays; args: positional data (``(x, y)`` for every
    built-in model); options: keyword options (strings, ints, None, or arrays like ``h0``).
    """
    params: dict
    args: tuple
    options: dict

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
    return True


class Model(NamedTuple):
    """One registered model.

    manual: ``loss_and_grads(params, *args, **options, return_input_grads=False)``.
    auto: ``loss(params, *args, **options)``, traceable by autograd.
    cases: ``cases(dtype=np.float64)`` -> a Hypothesis strategy of :class:`Case`.
    arg_names: names of the positional data arguments.
    input_grads: inputs (an arg name or an array option) whose gradients are compared too.
    examples: pinned cases every run tries first (edge cases: exact zeros, T=1, ...).
    options: ``{option: allowed values}``, for ``crosscheck list``.
    smooth: ``smooth(case)`` is True where the loss is differentiable in the ordinary sense
        at the drawn point and the gradient is its true gradient (no ReLU kinks, no
        truncation), so finite differences are a fair third opinion.
    kind: "model" (a loss of its output), or "layer": then ``manual`` and ``auto`` are the
        layer's vector-Jacobian product (:mod:`crosscheck.vjp`) and the second positional
        argument is the upstream gradient ``dout``.
    """
    name: str
    description: str
    manual: Callable
    auto: Callable
    cases: Callable
    arg_names: tuple = ("x", "y")
    input_grads: tuple = ("x",)
    examples: tuple = ()
    options: dict = {}
    smooth: Callable = always
    kind: str = "model"


_REGISTRY = {}


def register(model):
    """Add ``model`` to the registry (replacing one of the same name); return it."""
    if not isinstance(model, Model):
        raise TypeError(f"register takes a crosscheck.Model; got {type(model).__name__}")
    _REGISTRY[model.name] = model
    return model


def models(kind=None):
    """Names of the registered layers and models, in registration order; ``kind``
    "layer" or "model" keeps one kind."""
    return [name for name, m in _REGISTRY.items() if kind is None or m.kind == kind]


def get(name):
    """The registered :class:`Model` called ``name`` (a Model is returned as it is)."""
    if isinstance(name, Model):
        return name
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered models: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]
