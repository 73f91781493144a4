"""Check backprop as its author wrote it: declare how the function differs from ours.

``crosscheck.verify(name, manual=..., supports={...})`` checks a hand-written gradient that
follows other conventions than this library's: other parameter names, transposed weights,
column vectors, token ids instead of one-hot rows, one sequence instead of a batch,
cs231n's ``forward``/``backward`` functions, a ``lossFun`` reading its weights from module
globals, or a layer object. The keys below are the part of ``supports`` (see
:mod:`crosscheck.supports`) that says how the function is called; :func:`wrap` validates
them before any case is drawn, then for each drawn case converts the inputs to the user's
conventions, calls the user's code and converts what it returns back to ours (gradients
keyed like our parameters, in our shapes), so that everything else (autograd, finite
differences, shrinking, the report) is unchanged. The minimal failing case is reported in
our names and layout. What these keys imply about the cases (:func:`implied_supports`) is
drawn without being said twice.

The keys (every key optional but ``call``/``returns`` where a style needs them). Keys of
``names``, ``layout`` and ``fixed`` are **our** names; ``call`` and ``returns`` spell the
**user's** names (ours renamed by ``names``), as their code does.

``style`` -- how the function is called and what it returns:

- ``"loss_and_grads"`` (default): ours, ``fn(params, x, y, **options) -> (loss, grads)`` for a
  model (``fn(params, x, dout, **options)`` for a layer), ``(loss, grads, input_grads)``
  when called with ``return_input_grads=True``; params, grads and input grads keyed by
  the user's names. Options not in ``fixed`` are passed as keywords under the user's names.
- ``"cs231n"`` (a layer): ``manual=(forward, backward)``; ``forward(*call) -> (out, cache)``
  with the arguments named by ``call`` in that order (parameters and inputs);
  ``backward(dout, cache)`` returns the gradients named by ``returns`` in that order
  (``("dx", "dh0", "dWx", "dWh", "db")``). Its "loss" is ``sum(dout * out)``; a gradient
  arriving at the last state only (``dh_last``) is added into ``dout`` at that state.
- ``"lossFun"`` (a model): ``manual=fn``, ``fn(*call)`` with the data named by ``call``
  (``("inputs", "targets", "hprev")`` after ``names``) and any parameter named there;
  every parameter *not* in ``call`` is set, before each call, on ``globals``: a module or
  any object (attributes set under the user's names, restored after the call) or a
  callable ``setter(params)``. It returns the items named by ``returns``: ``"loss"``, a
  ``"d<name>"`` for each parameter (and any input), ``None`` for an item to ignore
  (``("loss", "dWxh", "dWhh", "dWhy", "dbh", "dby", None)``).
- ``"object"`` (a layer): ``manual=make``, ``make(params) -> layer`` building the layer
  object from the parameters (user's names and layout); ``layer.forward(*call)`` (``call``
  default ``("x",)``, data only) returns the output, ``layer.backward(dout)`` returns what
  ``returns`` names (default ``("dx",)``), and the parameter gradients are read from the
  dict attribute ``gradients`` (default ``"gradients"``, keyed by the user's names).
  ``methods`` renames ``("forward", "backward")``. A fresh object is made for every call.

``names`` -- ``{our name: theirs}`` for parameters (``{"Wxh": "Wx", "Whh": "Wh", "bh": "b"}``)
and inputs (``{"x": "inputs", "y": "targets", "h0": "hprev"}``); unnamed ones keep ours.

``layout`` -- how arrays are laid out, as a preset or per array:

- ``"row"`` (default, ours): row vectors, ``x @ W``, weights ``(n_in, n_out)``, biases ``(n,)``;
- ``"column"``: column vectors, ``W @ x``: every parameter and ``h0`` as a column: a matrix
  transposed, a vector ``(n,)`` as ``(n, 1)`` (so ``h0`` of one sequence is ``(H, 1)``);
- ``"torch"``: weights stored ``(n_out, n_in)`` as PyTorch does (every matrix parameter
  transposed), biases ``(n,)``;
- a dict ``{our name: transform}`` over parameters, inputs (``x``, ``y``, ``h0``, ...) and, for
  a layer, ``"out"`` (its output and the upstream gradient ``dout``); a transform is
  ``"same"``, ``"T"`` (transposed), ``"column"`` (``(n,)`` as ``(n, 1)``, a matrix transposed),
  ``"row"`` (``(n,)`` as ``(1, n)``) or a tuple of axes (``(0, 2, 1)``: time last).

The user's gradients come back through the inverse transform when they have the shape the
transform gives; any other shape is passed on unchanged, so that the comparison reports it.

``tokens`` -- ``False`` (default): x as drawn (real or one-hot); ``True``: x given as integer
token ids, ``(batch, time)`` (``(time,)`` for one sequence); ``"list"``: the same as Python
lists, and cross-entropy targets (integer labels) as lists too. Cases are then drawn with
one-hot x; there is no gradient for x.

``batch`` -- ``"batched"`` (default): the batch axis first, as ours; ``"single"``: one
sequence, the batch axis (of length 1) removed from every input, output and their
gradients (cases of batch 1; an int or a ``(min, max)`` pair for ``batch`` is a size instead).

``step`` -- (a layer) ``True``: the function is one time step: the case's time axis (axis 1
of ``x``, ``dout`` and the output, of length 1) is removed (cases of time 1).

``fixed`` -- ``{our option: value}``: what the user's code implements for an option it does
not take (``{"activation": "tanh", "truncate": None}``; ``{"h0": None}`` for code that
always starts from zeros). Cases are drawn with that value only (a pinned example with
another is skipped). Every option of a case that the style does not pass
(see each style; ``dh_last`` is folded into ``dout``) must be fixed.

``call``, ``returns``, ``globals``, ``gradients``, ``methods`` -- see the styles.

:func:`implied_supports` gives what a declaration implies about the cases (the fixed
options, ``one_hot``, ``batch``, ``time``, ``h0``); ``verify`` draws only such cases. Bad keys, values and types are a ValueError or TypeError naming the key and what is
allowed; a declaration that does not fit a case (a name it does not know, a gradient
``returns`` does not give) is a :class:`crosscheck.contracts.UsageError`, reported at once.
"""
import numbers
import types
from typing import NamedTuple, Optional

import numpy as np

from crosscheck import contracts, registry
from modelspec import table

STYLES = ("loss_and_grads", "cs231n", "lossFun", "object")
LAYOUTS = ("row", "column", "torch")
TRANSFORMS = ("same", "T", "column", "row")
BATCHES = ("batched", "single")
TOKENS = (False, True, "list")

# the keys each style reads, and the kind of entry ("layer", "model") it applies to
_COMMON = ("style", "names", "layout", "tokens", "batch", "step", "fixed")
_STYLE_KEYS = {
    "loss_and_grads": _COMMON,
    "cs231n": _COMMON + ("call", "returns"),
    "lossFun": _COMMON + ("call", "returns", "globals"),
    "object": _COMMON + ("call", "returns", "gradients", "methods"),
}
_STYLE_KIND = {"cs231n": "layer", "object": "layer", "lossFun": "model"}
KEYS = ("style", "names", "layout", "tokens", "batch", "step", "fixed", "call", "returns",
        "globals", "gradients", "methods")
_MANUAL = {
    "loss_and_grads": "a function fn(params, x, y, **options) -> (loss, grads)",
    "cs231n": "a (forward, backward) pair of functions",
    "lossFun": "the function lossFun(*call) -> (loss, *grads, ...)",
    "object": "make(params) -> layer object with forward/backward",
}


class Conventions(NamedTuple):
    """A validated declaration (see the module doc); built by :func:`validate`."""
    style: str = "loss_and_grads"
    names: dict = {}
    layout: object = "row"
    tokens: object = False
    batch: str = "batched"
    step: bool = False
    fixed: dict = {}
    call: Optional[tuple] = None
    returns: Optional[tuple] = None
    globals: object = None
    gradients: str = "gradients"
    methods: tuple = ("forward", "backward")
    inverse: dict = {}                 # the user's name -> ours (names= inverted)

    def theirs(self, name):
        """The user's name for our ``name``."""
        return self.names.get(name, name)

    def ours(self, name):
        """Our name for the user's ``name``."""
        return self.inverse.get(name, name)


# ------------------------------------------------------------------------ validation

def _str_tuple(key, value, allow_none=False):
    ok = (isinstance(value, (tuple, list)) and not isinstance(value, str)
          and all((item is None and allow_none) or (isinstance(item, str) and item) for item in value))
    if not ok:
        what = "non-empty str or None" if allow_none else "non-empty str"
        raise TypeError(f"supports[{key!r}] must be a tuple of {what}; got {value!r}")
    items = [item for item in value if item is not None]
    duplicates = sorted({item for item in items if items.count(item) > 1})
    if duplicates:
        raise ValueError(f"supports[{key!r}] names {duplicates} more than once; got {tuple(value)!r}")
    return tuple(value)


def _str_dict(key, value):
    if not isinstance(value, dict) or not all(isinstance(k, str) and k for k in value):
        raise TypeError(f"supports[{key!r}] must be a dict keyed by our names (non-empty str); "
                        f"got {value!r}")
    return dict(value)


def _check_transform(name, transform):
    if isinstance(transform, str):
        if transform not in TRANSFORMS:
            raise ValueError(f"supports['layout'][{name!r}] must be one of {', '.join(TRANSFORMS)} "
                             f"or a tuple of axes such as (0, 2, 1); got {transform!r}")
        return transform
    if (isinstance(transform, (tuple, list)) and transform
            and all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in transform)):
        if sorted(transform) != list(range(len(transform))):
            raise ValueError(f"supports['layout'][{name!r}]: a tuple of axes must order "
                             f"0 .. {len(transform) - 1} once each; got {tuple(transform)!r}")
        return tuple(int(a) for a in transform)
    raise TypeError(f"supports['layout'][{name!r}] must be one of {', '.join(TRANSFORMS)} or a "
                    f"tuple of axes such as (0, 2, 1); got {transform!r}")


def _known_names(spec):
    """``(params, inputs, options)``: our names the entry ``spec`` knows, from its arg names,
    declared options and pinned examples; params from its contract's ``KEYS``
    (``modelspec.<name>.KEYS``), None where there is none (an MLP's keys follow its depth;
    a model registered by a user)."""
    params = None
    for entry in table.ENTRIES:
        if entry.name == spec.name:
            keys = getattr(entry.spec_module(), "KEYS", None)
            params = None if keys is None else set(keys)
    inputs = set(spec.arg_names) | set(spec.input_grads)
    options = set(spec.options) | {k for case in spec.examples for k in case.options}
    if spec.kind == "layer":
        inputs |= {"out"}
    return params, inputs, options


def validate(conventions, spec=None):
    """Check a ``conventions`` dict (see the module doc) and return :class:`Conventions`.

    spec: the registered entry (a name or :class:`crosscheck.Model`) it is for, to check the
    style fits its kind and the names it knows. Raises TypeError (a wrong type) or
    ValueError (an unknown key or value), naming the key and what is allowed.
    """
    if isinstance(conventions, Conventions):
        if spec is not None:
            _check_against(conventions, registry.get(spec))
        return conventions
    if not isinstance(conventions, dict):
        raise TypeError(f"conventions must be a dict (keys: {', '.join(KEYS)}); got "
                        f"{type(conventions).__name__}")
    unknown = sorted(set(conventions) - set(KEYS), key=str)
    if unknown:
        raise ValueError(f"unknown conventions key(s) {unknown}; the keys are {', '.join(KEYS)}")
    style = conventions.get("style", "loss_and_grads")
    if style not in STYLES:
        raise ValueError(f"supports['style'] must be one of {', '.join(STYLES)}; got {style!r}")
    foreign = [k for k in conventions if k not in _STYLE_KEYS[style]]
    if foreign:
        users = {k: [s for s in STYLES if k in _STYLE_KEYS[s]] for k in foreign}
        raise ValueError("; ".join(f"supports[{k!r}] applies to style {' or '.join(map(repr, s))} only"
                                   for k, s in users.items()) + f", not to {style!r}")
    out = {"style": style}
    if "names" in conventions:
        names = _str_dict("names", conventions["names"])
        if not all(isinstance(v, str) and v for v in names.values()):
            raise TypeError(f"supports['names'] maps our names to yours (non-empty str); got {names!r}")
        clash = sorted({v for v in names.values() if list(names.values()).count(v) > 1})
        if clash:
            raise ValueError(f"supports['names'] gives two of our names the same name {clash}")
        out["names"] = names
        out["inverse"] = {v: k for k, v in names.items()}
    if "layout" in conventions:
        layout = conventions["layout"]
        if isinstance(layout, str):
            if layout not in LAYOUTS:
                raise ValueError(f"supports['layout'] must be one of {', '.join(LAYOUTS)} or a dict "
                                 f"{{our name: transform}}; got {layout!r}")
        elif isinstance(layout, dict):
            layout = {name: _check_transform(name, t) for name, t in _str_dict("layout", layout).items()}
        else:
            raise TypeError(f"supports['layout'] must be one of {', '.join(LAYOUTS)} or a dict "
                            f"{{our name: transform}}; got {type(layout).__name__}")
        out["layout"] = layout
    if "tokens" in conventions:
        tokens = conventions["tokens"]
        if not any(tokens is t or (isinstance(tokens, str) and tokens == t) for t in TOKENS):
            raise ValueError(f"supports['tokens'] must be False, True or 'list'; got {tokens!r}")
        out["tokens"] = tokens
    if "batch" in conventions:
        if conventions["batch"] not in BATCHES:
            raise ValueError(f"supports['batch'] must be one of {', '.join(BATCHES)}; "
                             f"got {conventions['batch']!r}")
        out["batch"] = conventions["batch"]
    if "step" in conventions:
        if not isinstance(conventions["step"], bool):
            raise TypeError(f"supports['step'] must be True or False; got {conventions['step']!r}")
        out["step"] = conventions["step"]
    if "fixed" in conventions:
        out["fixed"] = _str_dict("fixed", conventions["fixed"])
    for key in ("call", "returns"):
        if key in conventions:
            out[key] = _str_tuple(key, conventions[key], allow_none=(key == "returns"))
    if style in ("cs231n", "lossFun"):
        missing = [k for k in ("call", "returns") if k not in out]
        if missing:
            raise ValueError(f"style {style!r} needs {' and '.join(f'supports[{k!r}]' for k in missing)}: the order of "
                             f"{'the arguments' if 'call' in missing else 'what it returns'}")
    if "returns" in out:
        _check_returns(style, out["returns"])
    if "globals" in conventions:
        target = conventions["globals"]
        if target is None or isinstance(target, (str, bytes, numbers.Number, dict)):
            raise TypeError(f"supports['globals'] must be the module holding the parameters (or "
                            f"any object whose attributes they are) or a setter(params); got "
                            f"{type(target).__name__}")
        out["globals"] = target
    if "gradients" in conventions:
        if not isinstance(conventions["gradients"], str) or not conventions["gradients"]:
            raise TypeError(f"supports['gradients'] must be the name of the layer's gradient "
                            f"dict attribute (str); got {conventions['gradients']!r}")
        out["gradients"] = conventions["gradients"]
    if "methods" in conventions:
        methods = _str_tuple("methods", conventions["methods"])
        if len(methods) != 2:
            raise ValueError(f"supports['methods'] must name two methods, (forward, backward); "
                             f"got {methods!r}")
        out["methods"] = methods
    conv = Conventions(**out)
    both = sorted(set(conv.fixed) & {conv.ours(e) for e in conv.call or ()})
    if both:
        raise ValueError(f"supports['fixed'] and supports['call'] both name {both}: an option your code "
                         f"takes is passed (call), one it does not take is fixed (fixed)")
    if conv.style == "object":             # default: forward(x), backward(dout) -> dx
        conv = conv._replace(call=conv.call or (conv.theirs("x"),),
                             returns=conv.returns or ("d" + conv.theirs("x"),))
    if spec is not None:
        _check_against(conv, registry.get(spec))
    return conv


def _check_returns(style, returns):
    if style == "lossFun" and "loss" not in returns:
        raise ValueError(f"supports['returns'] of style 'lossFun' must name 'loss' where the "
                         f"loss is; got {returns!r}")
    if style != "lossFun" and "loss" in returns:
        raise ValueError(f"supports['returns'] of style {style!r} lists gradients only (the "
                         f"value checked is sum(dout * out)); got {returns!r}")
    bad = [r for r in returns if r is not None and r != "loss" and not (r.startswith("d") and len(r) > 1)]
    if bad:
        raise ValueError(f"supports['returns'] entries are 'd<name>' (a gradient), 'loss' or "
                         f"None (ignored); got {bad}")


def _check_against(conv, spec):
    """The declaration against the entry: the style fits its kind, and where the entry's
    parameters are known (its contract's ``KEYS``), every name is one of its."""
    kind = _STYLE_KIND.get(conv.style)
    if kind is not None and spec.kind != kind:
        raise ValueError(f"supports['style'] {conv.style!r} is for a {kind}; {spec.name!r} is a "
                         f"{spec.kind}")
    if conv.step and spec.kind != "layer":
        raise ValueError(f"supports['step'] is for a layer checked one time step at a time; "
                         f"{spec.name!r} is a {spec.kind}")
    params, inputs, options = _known_names(spec)
    if options:
        bad = sorted(k for k in conv.fixed if k not in options)
        if bad:
            raise ValueError(f"supports['fixed'] names {bad}, which are not options of "
                             f"{spec.name!r}; its options are {sorted(options)}")
    if params is None:
        return                               # parameters vary (an MLP's depth): checked per case
    known = params | inputs | options
    layout = conv.layout if isinstance(conv.layout, dict) else {}
    for key, mapping in (("names", conv.names), ("layout", layout)):
        bad = sorted(k for k in mapping if k not in known)
        if bad:
            raise ValueError(f"supports[{key!r}] names {bad}, which {spec.name!r} does not have; "
                             f"our names are {sorted(known)}")
    theirs = {conv.theirs(n): n for n in known}
    data = inputs | options
    for key in ("call", "returns"):
        entries = [e for e in (getattr(conv, key) or ()) if e not in (None, "loss")]
        bad = [e for e in entries if (e[1:] if key == "returns" else e) not in theirs]
        if bad:
            raise ValueError(f"supports[{key!r}] names {bad}, which are none of "
                             f"{sorted(theirs)} (our names, renamed by names=)")
    if conv.style == "loss_and_grads":
        return
    if conv.style == "object":
        bad = [e for e in conv.call if theirs[e] not in data]
        bad += [e for e in conv.returns if e is not None and theirs[e[1:]] not in data]
        if bad:
            raise ValueError(f"supports['call'] and ['returns'] of style 'object' name inputs and their "
                             f"gradients only (the parameters live in the layer); got {bad}")
        return
    returned = {e[1:] for e in conv.returns if e not in (None, "loss")}
    missing = sorted(conv.theirs(p) for p in params if conv.theirs(p) not in returned)
    if missing:
        raise ValueError(f"supports['returns'] gives no gradient for {missing}: it must list "
                         f"'d<name>' for every parameter")
    absent = sorted(conv.theirs(p) for p in params if conv.theirs(p) not in conv.call)
    if conv.style == "cs231n" and absent:
        raise ValueError(f"supports['call'] must pass every parameter to forward; {absent} missing")
    if conv.style == "lossFun" and absent and conv.globals is None:
        raise ValueError(f"supports['globals'] is needed: parameters {absent} are not in call= "
                         f"and are set on it (the module holding them, or a setter(params))")
    if conv.theirs(spec.arg_names[0]) not in conv.call:
        raise ValueError(f"supports['call'] must pass the input {conv.theirs(spec.arg_names[0])!r}; "
                         f"got {conv.call!r}")


# ------------------------------------------------------------------------ conversions

def transform_of(conv, name, is_param):
    """The transform applied to our array ``name`` (see the module doc's layout)."""
    layout = conv.layout
    if isinstance(layout, dict):
        return layout.get(name, "same")
    if layout == "column" and (is_param or name == "h0"):
        return "column"
    if layout == "torch" and is_param:
        return "T"
    return "same"


def apply(transform, value):
    """Our array in the user's layout under ``transform`` (a view where possible)."""
    if transform == "same" or value is None:
        return value
    value = np.asarray(value)
    if transform == "T":
        return value.T
    if transform == "column":
        if value.ndim == 1:
            return value[:, None]
        if value.ndim == 2:
            return value.T
        raise contracts.UsageError(f"layout 'column' applies to vectors and matrices; got an array "
                                   f"of shape {value.shape}")
    if transform == "row":
        return value[None, :] if value.ndim == 1 else value
    if len(transform) != value.ndim:
        raise contracts.UsageError(f"layout axes {transform} need a {len(transform)}-D array; got "
                                   f"shape {value.shape}")
    return np.transpose(value, transform)


def invert(transform, value, our_shape):
    """The user's gradient back in our layout: the inverse of ``apply`` when ``value`` has the
    shape ``apply`` gives for an array of ``our_shape``; otherwise ``value`` unchanged."""
    value = np.asarray(value)
    if transform == "same":
        return value
    expected = apply(transform, np.empty(our_shape)).shape
    if value.shape != tuple(expected):
        return value
    if transform in ("column", "row") and len(our_shape) == 1:
        return value.reshape(our_shape)
    if transform in ("T", "column"):
        return value.T
    if transform == "row":
        return value
    return np.transpose(value, np.argsort(transform))


def params_to_theirs(params, conv):
    """Our parameters under the user's names and layout."""
    return {conv.theirs(k): apply(transform_of(conv, k, True), v) for k, v in params.items()}


def grads_to_ours(grads, params, conv, what="the gradients"):
    """The user's gradients (keyed by their names) keyed like ``params``, in our layout.
    A parameter without a gradient is a UsageError; an extra key is passed on (compared,
    and reported, as an unexpected key)."""
    missing = [conv.theirs(k) for k in params if conv.theirs(k) not in grads]
    if missing:
        raise contracts.UsageError(f"{what} give no gradient for {missing} (supports['names']: "
                                   f"{_names_text(conv, params)}); got keys {sorted(grads, key=str)}")
    out = {k: invert(transform_of(conv, k, True), grads[conv.theirs(k)], np.shape(v))
           for k, v in params.items()}
    theirs = {conv.theirs(k) for k in params}
    out.update({conv.ours(k): v for k, v in grads.items() if k not in theirs})
    return out


def _names_text(conv, params):
    return ", ".join(f"{k} -> {conv.theirs(k)}" for k in params)


def _one_hot_ids(x):
    x = np.asarray(x)
    if not (np.all((x == 0) | (x == 1)) and np.all(x.sum(axis=-1) == 1)):
        raise NotImplementedError("supports['tokens'] gives x as token ids, and this case's x is "
                                  "not one-hot")
    return np.argmax(x, axis=-1)


def _take_axis(name, value, axis, what):
    if np.shape(value)[axis] != 1:
        raise NotImplementedError(f"supports {what}: {name} must have length 1 on axis {axis}; "
                                  f"got shape {np.shape(value)}")
    return np.asarray(value)[(slice(None),) * axis + (0,)]      # a view: in-place changes show


def input_to_theirs(name, value, conv, *, time_axis=False):
    """One of our data arrays (``x``, ``y``, ``h0``, ``dout``, ...) in the user's conventions:
    the time step taken (``step``, for arrays with a time axis), token ids (x),
    the batch axis removed (``batch="single"``), the layout, lists (``tokens="list"``)."""
    if value is None or isinstance(value, (str, numbers.Number)):
        return value                     # an option passed in call=, not an array
    if conv.step and time_axis:
        value = _take_axis(name, value, 1, "{'step': True}")
    if name == "x" and conv.tokens is not False:
        value = _one_hot_ids(value)
    if conv.batch == "single":
        value = _take_axis(name, value, 0, "{'batch': 'single'}")
    value = apply(transform_of(conv, name, False), value)
    if conv.tokens == "list" and np.asarray(value).dtype.kind in "iu":
        value = np.asarray(value).tolist()
    return value


def input_to_ours(name, value, our_shape, conv, *, time_axis=False):
    """The inverse of :func:`input_to_theirs` for a gradient (or output) of ``name``, of our
    shape ``our_shape``; a gradient of another shape is passed on unchanged."""
    value = np.asarray(value)
    shape = tuple(our_shape)
    inner = shape
    if conv.step and time_axis:
        inner = inner[:1] + inner[2:]
    if conv.batch == "single":
        inner = inner[1:]
    value = invert(transform_of(conv, name, False), value, inner)
    if value.shape != inner:
        return value
    if conv.batch == "single":
        value = value[None]
    if conv.step and time_axis:
        value = np.expand_dims(value, 1)
    return value


# ------------------------------------------------------------------------ options

def _array_options(spec):
    """Our options that are optional input arrays (``h0``; None: not given)."""
    return set(spec.input_grads) - set(spec.arg_names)


def _upstream(spec):
    """The layer's extra upstream gradients (``crosscheck.vjp.Upstream``), by entry name."""
    from crosscheck import catalog
    for entry, check in catalog.CHECKS.items():
        if entry.name == spec.name:
            return tuple(check.get("upstream", ()))
    return ()


def _same(value, fixed):
    if value is None or fixed is None:
        return value is None and fixed is None
    if isinstance(value, np.ndarray) or isinstance(fixed, np.ndarray):
        return False
    try:
        return bool(value == fixed)
    except Exception:
        return False


def _split_options(options, conv, spec, upstream, call_inputs, keywords):
    """Check every option of a case against the declaration; return ``(positional,
    keyword, folded)``: inputs passed by position (ours: value), options passed as keywords
    (the user's name: value), and upstream gradients to fold into dout."""
    positional, keyword, folded = {}, {}, {}
    arrays = _array_options(spec)
    for name, value in options.items():
        if name in conv.fixed:
            if not _same(value, conv.fixed[name]):
                raise NotImplementedError(f"supports['fixed'] = {{{name!r}: {conv.fixed[name]!r}}} "
                                          f"(what your code implements), and this case has {name}="
                                          f"{_short(value)}")
        elif name in upstream and not keywords:
            if value is not None:
                folded[name] = value
        elif name in call_inputs and value is not None:
            positional[name] = value
        elif name in call_inputs:
            _not_given(conv, name)
        elif keywords:
            keyword[conv.theirs(name)] = value
        elif value is None and name in arrays:
            continue
        else:
            raise contracts.UsageError(
                f"the case has option {name}={_short(value)}, which your {conv.style}-style code "
                f"does not take: declare what it implements with supports={{'fixed': {{{name!r}: ...}}}}"
                + (" or pass it in supports['call']" if conv.style in ("cs231n", "lossFun") else ""))
    for name in sorted(set(call_inputs) & arrays - set(options)):
        _not_given(conv, name)
    return positional, keyword, folded


def _not_given(conv, name):
    raise NotImplementedError(f"your code always takes {conv.theirs(name)!r} (call=), and this case "
                              f"has no {name}; draw it always with supports={{{name!r}: True}}")


def _short(value):
    return f"array{np.shape(value)}" if isinstance(value, np.ndarray) else repr(value)


# ------------------------------------------------------------------------ the call

def _returned(result, names, what):
    """``{name: item}`` of a returned tuple against the declared ``returns`` (None: ignored)."""
    if len(names) == 1 and not (isinstance(result, tuple) and len(result) == 1):
        result = (result,)
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = (f"{len(result)} items" if isinstance(result, (tuple, list))
               else f"a {type(result).__name__}")
        raise contracts.UsageError(f"{what} returned {got}; supports['returns'] lists {len(names)}: "
                                   f"{names!r}")
    return {name: item for name, item in zip(names, result) if name is not None}


def _resolve_call(conv, params, known_inputs):
    """Each entry of ``call`` as ``("param" | "input", our name)``."""
    out = []
    for entry in conv.call:
        name = conv.ours(entry)
        if name in params:
            out.append(("param", name))
        elif name in known_inputs:
            out.append(("input", name))
        else:
            raise contracts.UsageError(f"supports['call'] names {entry!r}, which is neither a "
                                       f"parameter ({_names_text(conv, params)}) nor an input "
                                       f"({', '.join(conv.theirs(n) for n in sorted(known_inputs))})")
    return out


def _input_grads(conv, results, inputs, spec, want, what, time_axes=()):
    """Our ``{input: gradient}`` from the user's ``{"d<theirs>": array}`` for the inputs
    given (x, and each array option that is not None)."""
    if not want:
        return {}
    if conv.tokens is not False:
        raise contracts.UsageError("x is given as token ids (supports['tokens']), so there is no "
                                   "gradient for it to compare: leave input_grads off")
    out = {}
    for name in spec.input_grads:
        if inputs.get(name) is None:
            continue
        key = "d" + conv.theirs(name)
        if key not in results:
            raise contracts.UsageError(f"input gradients were asked for, and {what} gives no {key!r} "
                                       f"(supports['returns']); leave input_grads off or return it")
        out[name] = input_to_ours(name, results[key], np.shape(inputs[name]), conv,
                                  time_axis=name in time_axes)
    return out


class _Globals:
    """Sets parameters on a module or object (restored afterwards) or calls a setter."""

    def __init__(self, target):
        self.target = target

    def __call__(self, values, fn, *args):
        target = self.target
        if callable(target) and not isinstance(target, (types.ModuleType, type)):
            target(values)
            return fn(*args)
        missing = object()
        old = {k: getattr(target, k, missing) for k in values}
        try:
            for k, v in values.items():
                setattr(target, k, v)
            return fn(*args)
        finally:
            for k, v in old.items():
                if v is missing:
                    delattr(target, k)
                else:
                    setattr(target, k, v)


def _model_fn(manual, conv, spec):
    data_names = set(spec.arg_names) | _array_options(spec)

    def fn(params, x, y, return_input_grads=False, **options):
        if conv.style == "loss_and_grads":
            _, keyword, _ = _split_options(options, conv, spec, (), (), keywords=True)
            inputs = {spec.arg_names[0]: x, **{k: options.get(k) for k in _array_options(spec)}}
            for name in _array_options(spec):
                if conv.theirs(name) in keyword:
                    keyword[conv.theirs(name)] = input_to_theirs(name, keyword[conv.theirs(name)], conv)
            extra = {"return_input_grads": True} if return_input_grads else {}
            result = manual(params_to_theirs(params, conv), input_to_theirs(spec.arg_names[0], x, conv),
                            input_to_theirs(spec.arg_names[1], y, conv), **keyword, **extra)
            loss, grads, theirs_inputs = _unpack(result, return_input_grads)
            grads = grads_to_ours(grads, params, conv, "the returned grads")
            results = {"d" + k: v for k, v in theirs_inputs.items()}
            return _finish(loss, grads, _input_grads(conv, results, inputs, spec, return_input_grads,
                                                     "the returned input_grads"), return_input_grads)
        # lossFun: positional data, parameters in call= or on globals=
        call_inputs = {conv.ours(e) for e in conv.call} & (data_names | set(options))
        positional, _, _ = _split_options(options, conv, spec, (), call_inputs, keywords=False)
        inputs = {spec.arg_names[0]: x, spec.arg_names[1]: y, **positional}
        theirs_params = params_to_theirs(params, conv)
        args = [theirs_params[conv.theirs(name)] if kind == "param"
                else input_to_theirs(name, inputs[name], conv)
                for kind, name in _resolve_call(conv, params, data_names | set(positional))]
        rest = {k: v for k, v in theirs_params.items() if k not in conv.call}
        if rest and conv.globals is None:
            raise contracts.UsageError(f"parameters {sorted(rest)} are not in supports['call'] and "
                                       f"supports['globals'] does not say where to set them")
        result = _Globals(conv.globals)(rest, manual, *args) if rest else manual(*args)
        results = _returned(result, conv.returns, "lossFun")
        loss = results.pop("loss")
        grads = grads_to_ours({k[1:]: v for k, v in results.items() if conv.ours(k[1:]) in params},
                              params, conv, "returns=")
        return _finish(loss, grads, _input_grads(conv, results, inputs, spec, return_input_grads,
                                                 "lossFun"), return_input_grads)
    return fn


def _unpack(result, want_inputs):
    """``(loss, grads, input_grads)`` of a loss_and_grads-style result; its shape is checked
    again, in our names, by :mod:`crosscheck.contracts`."""
    size = 3 if want_inputs else 2
    if not isinstance(result, (tuple, list)) or len(result) != size:
        raise contracts.UsageError(f"the checked function must return "
                                   f"{'(loss, grads, input_grads)' if want_inputs else '(loss, grads)'}; "
                                   f"got {_kind(result)}")
    for name, value in zip(("grads", "input_grads"), result[1:]):
        if not hasattr(value, "keys"):
            raise contracts.UsageError(f"the checked function's {name} must be a dict of arrays; "
                                       f"got {_kind(value)}")
    return result[0], dict(result[1]), dict(result[2]) if want_inputs else {}


def _finish(loss, grads, input_grads, want):
    return (loss, grads, input_grads) if want else (loss, grads)


def _layer_fn(manual, conv, spec, value_only=False):
    """Our ``manual_vjp``-style function for a layer under ``conv``; with ``value_only`` the
    value ``sum(dout * out)`` alone, from the user's forward (backward is not called)."""
    upstream = {u.name: u for u in _upstream(spec)}
    x_name, dout_name = spec.arg_names[0], spec.arg_names[1]
    time_axes = (x_name, dout_name, "out")
    data_names = {x_name} | _array_options(spec)

    def fn(params, x, dout, return_input_grads=False, **options):
        if conv.style == "loss_and_grads":
            _, keyword, _ = _split_options(options, conv, spec, upstream, (), keywords=True)
            for name in list(keyword):
                if isinstance(keyword[name], np.ndarray):
                    keyword[name] = input_to_theirs(conv.ours(name), keyword[name], conv)
            extra = {"return_input_grads": True} if return_input_grads else {}
            result = manual(params_to_theirs(params, conv), input_to_theirs(x_name, x, conv, time_axis=True),
                            input_to_theirs("out", dout, conv, time_axis=True), **keyword, **extra)
            if value_only:
                return result[0]
            value, grads, theirs_inputs = _unpack(result, return_input_grads)
            inputs = {x_name: x, **{k: options.get(k) for k in _array_options(spec)}}
            results = {"d" + k: v for k, v in theirs_inputs.items()}
            return _finish(value, grads_to_ours(grads, params, conv, "the returned grads"),
                           _input_grads(conv, results, inputs, spec, return_input_grads,
                                        "the returned input_grads", time_axes), return_input_grads)
        call_inputs = {conv.ours(e) for e in conv.call} & (data_names | set(options))
        positional, _, folded = _split_options(options, conv, spec, upstream, call_inputs, keywords=False)
        inputs = {x_name: x, **positional}
        theirs_params = params_to_theirs(params, conv)
        if conv.style == "cs231n":
            forward, backward = manual
            args = [theirs_params[conv.theirs(name)] if kind == "param"
                    else input_to_theirs(name, inputs[name], conv, time_axis=name in time_axes)
                    for kind, name in _resolve_call(conv, params, data_names | set(positional))]
            result = forward(*args)
            if not isinstance(result, tuple) or len(result) != 2:
                raise contracts.UsageError(f"forward must return (out, cache) (style "
                                           f"'cs231n'); got {_kind(result)}")
            out_theirs, cache = result

            def run_backward(dout_theirs):
                return _returned(backward(dout_theirs, cache), conv.returns, "backward"), None
        else:
            layer = manual(theirs_params)
            forward_name, backward_name = conv.methods
            args = [input_to_theirs(name, inputs[name], conv, time_axis=name in time_axes)
                    for kind, name in _resolve_call(conv, {}, data_names | set(positional))]
            out_theirs = getattr(layer, forward_name)(*args)

            def run_backward(dout_theirs):
                results = _returned(getattr(layer, backward_name)(dout_theirs), conv.returns, "backward")
                grads = getattr(layer, conv.gradients, None)
                if not hasattr(grads, "keys"):
                    raise contracts.UsageError(f"the layer's {conv.gradients!r} attribute must be a dict "
                                               f"of gradients after backward; got {_kind(grads)}")
                return results, dict(grads)
        out_shape = np.shape(x)[:-1] + _out_tail(out_theirs, conv, x)
        out = input_to_ours("out", out_theirs, out_shape, conv, time_axis=True)
        full = np.zeros_like(out) if dout is None else np.array(dout, dtype=np.result_type(dout, out))
        for name, value in folded.items():
            if upstream[name].state != "h":      # only h_T is part of the output, at its last step
                raise contracts.UsageError(f"{name} is a gradient at the final {upstream[name].state}, "
                                           f"which is not in the output that dout is for; declare "
                                           f"supports={{{name!r}: False}}")
            full[:, -1] += value
        value = np.sum(full * out)
        if value_only:
            return value
        results, grads = run_backward(input_to_theirs("out", full, conv, time_axis=True))
        if grads is None:
            grads = {k[1:]: v for k, v in results.items() if conv.ours(k[1:]) in params}
        grads = grads_to_ours(grads, params, conv, "backward" if conv.style == "cs231n"
                              else f"the layer's {conv.gradients!r}")
        return _finish(value, grads, _input_grads(conv, results, inputs, spec, return_input_grads,
                                                  "backward", time_axes), return_input_grads)
    return fn


def _out_tail(out_theirs, conv, x):
    """The output's last axis (its features), read from the user's output: our output has
    the input's leading axes and its own feature count."""
    shape = np.shape(out_theirs)
    transform = transform_of(conv, "out", False)
    if isinstance(transform, tuple):
        shape = tuple(np.array(shape)[np.argsort(transform)]) if len(shape) == len(transform) else shape
    elif transform in ("T", "column") and len(shape) >= 2:
        shape = shape[::-1]
    return tuple(shape[-1:])


def _kind(value):
    return f"a {type(value).__name__}" + (f" of {len(value)} items" if isinstance(value, tuple) else "")


# ------------------------------------------------------------------------ public

def _check_manual(manual, conv):
    if manual is None:
        raise ValueError(f"supports['style'] {conv.style!r} describes the function you check: pass it as manual= "
                         f"({_MANUAL[conv.style]})")
    if conv.style == "cs231n":
        if not (isinstance(manual, (tuple, list)) and len(manual) == 2 and all(map(callable, manual))):
            raise TypeError(f"style 'cs231n' checks a (forward, backward) pair: manual=(forward, "
                            f"backward); got {_kind(manual)}")
    elif not callable(manual):
        raise TypeError(f"style {conv.style!r} checks {_MANUAL[conv.style]}; got {_kind(manual)}")


def wrap(manual, conventions, spec):
    """The function ``verify`` checks for ``manual`` written under ``conventions``: our
    signature for the entry ``spec`` (a model's ``loss_and_grads``, a layer's
    :func:`crosscheck.vjp.manual_vjp`), converting each case to the user's conventions and
    what comes back to ours. Validates everything first (see :func:`validate`)."""
    spec = registry.get(spec)
    conv = validate(conventions, spec)
    _check_manual(manual, conv)
    fn = (_layer_fn if spec.kind == "layer" else _model_fn)(manual, conv, spec)
    fn.__name__ = f"{getattr(manual, '__name__', type(manual).__name__)}_under_conventions"
    fn.conventions = conv
    return fn


def implied_supports(conventions):
    """What a declaration implies about the cases, as keys of ``supports`` (see
    :mod:`crosscheck.supports`, whose :func:`~crosscheck.supports.declare` adds it): each
    fixed option's one value (``h0`` fixed None: never given), ``h0`` always given when
    ``call`` passes it, ``one_hot`` for ``tokens``, ``batch`` 1 for one sequence, ``time`` 1
    for one step."""
    conv = conventions if isinstance(conventions, Conventions) else validate(conventions)
    supports = {}
    for name, value in conv.fixed.items():
        supports[name] = False if value is None and name in ("h0", "dh_last") else [value]
    for entry in conv.call or ():
        if conv.ours(entry) == "h0":
            supports["h0"] = True
    if conv.tokens is not False:
        supports["one_hot"] = True
    if conv.batch == "single":
        supports["batch"] = 1
    if conv.step:
        supports["time"] = 1
    return supports
