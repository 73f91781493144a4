"""Both sides refuse the same bad input with the same error.

The table of bad inputs is generated from the contracts (``modelspec.<name>.shapes`` for
the parameters, the registry's options for the options) and a valid pinned case of every
registered layer and model: each bad input goes to the hand-written side and to the
autograd side (called directly and under ``autograd.grad``, where the arguments are
traced), and all three must raise the same ``ValueError``/``TypeError`` with the same
message, naming what is wrong.
"""
import inspect

import numpy as np
import pytest
from autograd import grad

import auto
import crosscheck
from crosscheck import vjp
from modelspec import table


def _base(model):
    """The pinned case with the most array options (h0, dh_last, ...)."""
    return max(model.examples, key=lambda c: sum(isinstance(v, np.ndarray) for v in c.options.values()))


def _with(case, params=None, args=None, options=None):
    return crosscheck.Case(case.params if params is None else params,
                           case.args if args is None else args,
                           case.options if options is None else options)


def _array_mutations(value):
    """(label, bad value) pairs for a float array."""
    bad = [("NaN", np.where(np.arange(value.size).reshape(value.shape) == 0, np.nan, value)),
           ("inf", np.where(np.arange(value.size).reshape(value.shape) == 0, np.inf, value)),
           ("complex", value.astype(np.complex128)),
           ("float16", value.astype(np.float16)),
           ("float32 among float64", value.astype(np.float32)),
           ("an extra axis", value[..., None]),
           ("one more entry on the last axis", np.concatenate([value, value[..., :1]], axis=-1))]
    if value.ndim >= 1 and value.shape[-1] > 1:
        bad.append(("broadcastable (1,) last axis", value[..., :1]))
    return bad


def _named_by_refusal(name, case, arg_name, value):
    """What the refusal of a bad data argument must name: the argument, or, where a layer's
    forward still takes the bad x (an elementwise layer takes any shape and either float
    dtype), the upstream gradient ``dout``, which no longer fits the output."""
    model, entry = crosscheck.get(name), table.get(name)
    if entry.kind != "layer" or arg_name != model.arg_names[0]:
        return arg_name
    forward = entry.manual_module().forward
    keys = vjp.keywords(forward)
    try:
        forward(case.params, value, **{k: v for k, v in case.options.items() if k in keys})
    except (ValueError, TypeError):
        return arg_name
    return model.arg_names[1]


def bad_inputs():
    """(id, model name, case, what the message must name) for every bad input."""
    out = []
    for name in crosscheck.models():
        model = crosscheck.get(name)
        case = _base(model)
        contract_shapes = table.get(name).spec_module().shapes
        needs = inspect.signature(contract_shapes).parameters     # a stack's shapes need its cell
        shapes = contract_shapes(case.params, **{k: v for k, v in case.options.items() if k in needs})
        for key in shapes:
            params = {k: v for k, v in case.params.items() if k != key}
            out.append((f"{name}-params-missing-{key}", name, _with(case, params=params), key))
            # a wrong weight may be reported through another key whose shape it sets, or,
            # when it is still a valid layer (an embedding's one W), through the upstream
            # gradient that no longer fits it
            for label, value in _array_mutations(case.params[key]):
                out.append((f"{name}-params[{key}]-{label}", name,
                            _with(case, params={**case.params, key: value}),
                            ("params", "dout") if len(shapes) == 1 else "params"))
        out.append((f"{name}-params-extra-key", name,
                    _with(case, params={**case.params, "extra": np.zeros(1)}), "extra"))
        for position, arg_name in enumerate(model.arg_names):
            arg = case.args[position]
            if arg is None or np.asarray(arg).dtype.kind not in "f":
                continue
            for label, value in _array_mutations(np.asarray(arg)):
                args = list(case.args)
                args[position] = value
                out.append((f"{name}-{arg_name}-{label}", name, _with(case, args=tuple(args)),
                            _named_by_refusal(name, case, arg_name, value)))
        x = case.args[0]
        empty = np.zeros((0,) + x.shape[1:], dtype=x.dtype)
        out.append((f"{name}-x-empty-batch", name, _with(case, args=(empty,) + case.args[1:]), "x"))
        for option, value in case.options.items():
            if isinstance(value, np.ndarray):
                for label, bad in _array_mutations(value):
                    out.append((f"{name}-{option}-{label}", name,
                                _with(case, options={**case.options, option: bad}), option))
            elif isinstance(value, str):
                out.append((f"{name}-{option}-unknown", name,
                            _with(case, options={**case.options, option: "bogus"}), option))
        if "truncate" in model.options:
            for label, bad in (("zero", 0), ("negative", -1), ("float", 1.5), ("bool", True)):
                out.append((f"{name}-truncate-{label}", name,
                            _with(case, options={**case.options, "truncate": bad}), "truncate"))
    return out


BAD = bad_inputs()


def _raised(fn, case):
    with pytest.raises((ValueError, TypeError)) as info:
        fn(case.params, *case.args, **case.options)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("name, case, names", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_both_sides_refuse_the_same_bad_input_with_the_same_message(name, case, names):
    model = crosscheck.get(name)
    manual = _raised(model.manual, case)
    assert _raised(model.auto, case) == manual
    assert _raised(grad(model.auto), case) == manual
    names = (names,) if isinstance(names, str) else names
    assert any(n in manual[1] for n in names), f"the message names none of {names}: {manual[1]}"


def test_the_table_covers_every_registered_entry_and_kind_of_bad_input():
    names = {b[1] for b in BAD}
    assert names == set(crosscheck.models()) == set(table.names())
    assert len(BAD) > 150


def test_the_cases_the_issue_found_are_refused_by_auto():
    """auto used to broadcast or answer where manual refused."""
    rng = np.random.default_rng(0)
    mlp = {"W0": rng.standard_normal((3, 4)), "b0": np.zeros(4), "W1": rng.standard_normal((4, 1)),
           "b1": np.zeros(1)}
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    for b0 in (np.zeros(1), np.zeros((5, 4))):
        with pytest.raises(ValueError, match=r"params\['b0'\] must have shape \(4,\)"):
            auto.mlp.loss({**mlp, "b0": b0}, x, y, loss="mse")
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        auto.mlp.loss(mlp, np.where(x > 1, np.inf, x), y, loss="mse")
    with pytest.raises(TypeError, match="x has dtype float32 but the parameters are float64"):
        auto.mlp.loss(mlp, x.astype(np.float32), y, loss="mse")
    rnn = {"Wxh": rng.standard_normal((2, 3)), "Whh": rng.standard_normal((3, 3)), "bh": np.zeros(3),
           "Wy": rng.standard_normal((3, 2)), "by": np.zeros((2, 1))}
    with pytest.raises(ValueError, match=r"params\['by'\] must have shape \(2,\)"):
        auto.rnn.loss(rnn, rng.standard_normal((4, 5, 2)), rng.uniform(0, 1, (4, 2)), loss="bce")
