"""Declaring what a checked function supports: bad declarations are refused by name, the
strategies draw only within a declaration (by construction), and ``allows`` tells which
pinned examples are within it."""
import numpy as np
import pytest
from hypothesis import given, seed, settings

import crosscheck
from crosscheck import supports
from modelspec import table

# --- a declaration refused: (model, supports, error, what the message must say) ------------

BAD = [
    ("rnn", ["loss"], TypeError, ["supports must be a dict", "got list"]),
    ("rnn", {"lstm_cells": 3}, ValueError,
     ["unknown key 'lstm_cells' for rnn", "allowed keys: loss, output, reduction, activation, "
      "truncate, h0, batch, time, n_in, hidden, n_out, one_hot (what cases to draw) and style, "
      "names, layout"]),
    ("mlp", {"time": 3}, ValueError, ["unknown key 'time' for mlp", "depth"]),
    ("mlp", {"one_hot": True}, ValueError, ["unknown key 'one_hot' for mlp"]),
    ("linear", {"loss": ["mse"]}, ValueError, ["unknown key 'loss' for linear", "leading_axes"]),
    ("rnn", {"loss": ["hinge"]}, ValueError, ["supports['loss']", "'hinge'", "bce, cross_entropy, mse"]),
    ("rnn", {"loss": "bce"}, TypeError, ["supports['loss'] must be a list or tuple", "bce, cross_entropy, mse"]),
    ("rnn", {"loss": []}, ValueError, ["supports['loss'] is empty", "bce, cross_entropy, mse"]),
    ("rnn", {"output": ["last", "first"]}, ValueError, ["supports['output']", "'first'", "last, all"]),
    ("mlp", {"activation": ["softplus"]}, ValueError, ["supports['activation']", "relu, tanh, sigmoid"]),
    ("mlp", {"reduction": [None]}, ValueError, ["supports['reduction']", "mean, sum"]),
    ("rnn", {"truncate": [0]}, ValueError, ["supports['truncate'] has 0", "ints >= 1"]),
    ("rnn", {"truncate": [True]}, TypeError, ["supports['truncate'] has True", "'any'"]),
    ("rnn", {"truncate": [2.0]}, TypeError, ["supports['truncate'] has 2.0"]),
    ("rnn", {"truncate": 10}, TypeError, ["supports['truncate'] must be 'any' or a list"]),
    ("rnn", {"truncate": "all"}, ValueError, ["supports['truncate'] must be 'any'", "'all'"]),
    ("rnn", {"truncate": []}, ValueError, ["supports['truncate'] is empty"]),
    ("rnn", {"h0": "yes"}, ValueError, ["supports['h0']", "True (always given), False (never given) or 'either'"]),
    ("rnn", {"h0": 1}, TypeError, ["supports['h0']", "'either'"]),
    ("recurrent", {"dh_last": None}, TypeError, ["supports['dh_last']", "'either'"]),
    ("rnn", {"batch": 0}, ValueError, ["supports['batch'] = 0 is outside 1..6"]),
    ("rnn", {"batch": 32}, ValueError, ["supports['batch'] = 32 is outside 1..6"]),
    ("rnn", {"time": (5, 2)}, ValueError, ["supports['time']", "min 5 > max 2"]),
    ("rnn", {"time": (1, 11)}, ValueError, ["supports['time']", "outside 1..10"]),
    ("rnn", {"hidden": (1, 2, 3)}, TypeError, ["supports['hidden']", "(min, max) pair of ints within 1..6"]),
    ("rnn", {"n_out": 2.0}, TypeError, ["supports['n_out']", "an int or a (min, max) pair"]),
    ("rnn", {"n_in": True}, TypeError, ["supports['n_in']"]),
    ("mlp", {"depth": 5}, ValueError, ["supports['depth'] = 5 is outside 0..4"]),
    ("linear", {"leading_axes": (0, 2)}, ValueError, ["supports['leading_axes']", "outside 1..3"]),
    ("rnn", {"one_hot": "yes"}, TypeError, ["supports['one_hot'] must be True", "False"]),
    # how the function is called: the same dict, checked by crosscheck.conventions
    ("rnn", {"layout": "fortran"}, ValueError, ["supports['layout'] must be one of row, column, torch"]),
    ("rnn", {"batch": "one"}, ValueError, ["supports['batch'] must be one of batched, single; got 'one'"]),
    ("rnn", {"style": "cs231n"}, ValueError, ["style 'cs231n' needs supports['call'] and supports['returns']"]),
    ("rnn", {"fixed": {"truncate": None}, "truncate": [None, 3]}, ValueError,
     ["supports['truncate'] = [None, 3] contradicts what the conventions given imply", "(None,)"]),
    ("rnn", {"batch": "single", "tokens": True, "one_hot": False}, ValueError,
     ["supports['one_hot'] = False contradicts"]),
]


@pytest.mark.parametrize("name, declared, error, says", BAD,
                         ids=[f"{b[0]}-{next(iter(b[1]), 'list') if isinstance(b[1], dict) else 'list'}-{i}"
                              for i, b in enumerate(BAD)])
def test_a_bad_declaration_is_refused_naming_the_key_and_what_is_allowed(name, declared, error, says):
    with pytest.raises(error) as raised:
        supports.declare(crosscheck.get(name), declared)
    for text in says:
        assert text in str(raised.value), str(raised.value)


def test_the_model_must_be_a_registered_model():
    with pytest.raises(TypeError, match="model must be a crosscheck.Model"):
        supports.validate(42, {})
    with pytest.raises(ValueError, match="unknown model 'transformer'"):
        supports.validate("transformer", {})


def test_a_declaration_is_normalized():
    declared = {"loss": ["mse", "bce", "mse"], "truncate": [5, None, 2, 5], "batch": 2,
                "time": [2, 4], "h0": "either", "one_hot": True}
    assert supports.validate(crosscheck.get("rnn"), declared) == {
        "loss": ("bce", "mse"), "truncate": (None, 2, 5), "batch": (2, 2), "time": (2, 4),
        "h0": "either", "one_hot": True}
    assert supports.validate(crosscheck.get("rnn"), {"truncate": "any", "h0": False}) == {
        "truncate": "any", "h0": False}
    assert supports.validate("rnn", None) is None
    assert supports.validate("rnn", {}) == {}


def test_one_dict_is_split_into_what_is_drawn_and_how_the_code_is_called():
    declared = {"names": {"x": "inputs"}, "layout": "column", "batch": "single", "tokens": "list",
                "fixed": {"truncate": None, "h0": None}, "time": (2, 5), "loss": ["cross_entropy"]}
    allowed, conv = supports.declare("rnn", declared)
    assert allowed == {"time": (2, 5), "loss": ("cross_entropy",), "truncate": (None,), "h0": False,
                       "one_hot": True, "batch": (1, 1)}
    assert (conv.names, conv.layout, conv.batch, conv.tokens) == ({"x": "inputs"}, "column", "single", "list")
    assert supports.declare("rnn", {"batch": 2}) == ({"batch": (2, 2)}, None)      # an int: a size
    assert supports.declare("rnn", {"truncate": [None], "fixed": {"truncate": None}})[0] == {"truncate": (None,)}
    assert supports.declare("rnn", None) == (None, None)
    assert supports.declare("rnn", {}) == (None, None)


# --- what each layer and model draws under a declaration --------------------------------------

RESTRICTIONS = {
    "linear": [dict(leading_axes=1, batch=3, n_in=2, n_out=(1, 2)),
               dict(leading_axes=(2, 3), n_in=(5, 8))],
    "activation": [dict(activation=["relu"], axes=1, batch=(2, 3)),
                   dict(activation=["tanh", "sigmoid"], axes=(3, 4), batch=1)],
    "recurrent": [dict(activation=["tanh"], truncate=[2], h0=True, dh_last=False, batch=(2, 3),
                       time=5, one_hot=True, n_in=4, hidden=2),
                  dict(activation=["relu"], truncate=[None], h0=False, dh_last=True, time=(1, 3),
                       hidden=(4, 6))],
    "mlp": [dict(loss=["cross_entropy"], activation=["tanh", "sigmoid"], reduction=["mean"],
                 batch=4, depth=1, n_in=(2, 3), hidden=5, n_out=3),
            dict(loss=["bce", "mse"], activation=["relu"], reduction=["sum"], depth=0, n_out=1)],
    "rnn": [dict(loss=["bce"], output=["last"], truncate=[None], h0=False, batch=1, time=(2, 4),
                 one_hot=True, reduction=["sum"], activation=["relu"], n_in=3, hidden=(2, 3), n_out=1),
            dict(loss=["cross_entropy", "mse"], output=["all"], truncate=[None, 3], h0=True,
                 n_out=(2, 3))],
    "lstm": [dict(truncate=[2], h0=True, c0=False, dh_last=False, batch=(2, 3), time=5, one_hot=True,
                  n_in=4, hidden=2),
             dict(truncate=[None], h0=False, c0=True, dc_last=True, time=(1, 3), hidden=(3, 4))],
    "gru": [dict(truncate=[2], h0=True, dh_last=False, batch=(2, 3), time=5, one_hot=True, n_in=4, hidden=2),
            dict(truncate=[None], h0=False, dh_last=True, time=(1, 3), hidden=(3, 4))],
    "embedding": [dict(vocab=1, n_out=(2, 3), batch=(1, 2), time=4),
                  dict(vocab=(5, 6), n_out=4)],
    "stack": [dict(cell=["lstm"], layers=2, bidirectional=True, h0=True, c0=False, batch=2, time=(2, 3),
                   hidden=2, n_in=1),
              dict(cell=["gru", "recurrent"], bidirectional=False, truncate=[2], dh_last=True,
                   layers=(1, 2), time=(3, 5))],
    "seqnet": [dict(cell=["gru"], token_ids=True, vocab=(2, 3), output=["last"], loss=["cross_entropy"],
                    bidirectional=True, layers=2, h0=True),
               dict(cell=["lstm"], token_ids=False, truncate=[2], output=["all"], layers=1, c0=True, n_out=1,
                    reduction=["sum"])],
}

# another implementation of an entry (the compiled RNN) is drawn from that entry's strategy
RESTRICTIONS.update({e.name: RESTRICTIONS[e.implements] for e in table.ENTRIES if e.implements})


def _mlp_widths(params):
    return [params[f"W{i}"].shape[1] for i in range(len(params) // 2)]


# each size of a case, read here independently of crosscheck.supports
SIZES = {
    "batch": lambda c: [c.args[0].shape[0]],
    "time": lambda c: [c.args[0].shape[1]],
    "n_in": lambda c: ([c.args[0].shape[-1]] if c.args[0].dtype.kind == "f" else
                       [c.params["Wemb"].shape[1]] if "Wemb" in c.params else []),
    "leading_axes": lambda c: [c.args[0].ndim - 1],
    "axes": lambda c: [c.args[0].ndim],
    "depth": lambda c: [len(c.params) // 2 - 1],
    "hidden": lambda c: ([c.params["Whh"].shape[0]] if "Whh" in c.params else [c.params["Whh_l0"].shape[0]]
                         if "Whh_l0" in c.params else _mlp_widths(c.params)[:-1]),
    "layers": lambda c: [sum(k.startswith("Wxh_l") and not k.endswith("_reverse") for k in c.params)],
    "vocab": lambda c: [c.params[k].shape[0] for k in ("Wemb", "W") if k in c.params][:1],
    "n_out": lambda c: ([c.params["Wy"].shape[1]] if "Wy" in c.params else [c.params["W"].shape[1]]
                        if "W" in c.params else _mlp_widths(c.params)[-1:]),
}


def _one_hot(x):
    return set(np.unique(x)) <= {0.0, 1.0} and bool(np.all(x.sum(axis=-1) == 1))


def holds(case, key, declared):
    """Whether ``case`` satisfies one declared ``key`` (as written in RESTRICTIONS)."""
    value = case.options.get(key)
    if key in ("h0", "c0", "dh_last", "dc_last"):
        return (value is not None) == declared
    if key == "bidirectional":
        return any(k.endswith("_reverse") for k in case.params) == declared
    if key == "token_ids":
        return ("Wemb" in case.params) == declared
    if key == "one_hot":
        return not declared or _one_hot(case.args[0])
    if key in SIZES:
        low, high = (declared, declared) if isinstance(declared, int) else declared
        return all(low <= size <= high for size in SIZES[key](case))
    return value in declared            # an option, truncate included


CASES = [(name, i) for name in RESTRICTIONS for i in range(len(RESTRICTIONS[name]))]


def test_every_layer_and_model_has_restrictions_here():
    assert set(RESTRICTIONS) == set(crosscheck.models())


@pytest.mark.parametrize("name, which", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_drawn_cases_stay_within_the_declaration_and_are_valid(name, which):
    model, declared = crosscheck.get(name), RESTRICTIONS[name][which]
    normalized = supports.validate(model, declared)
    drawn = []

    @settings(max_examples=40, derandomize=True, database=None, deadline=None)
    @given(model.cases(supports=normalized))
    def draw(case):
        for key, value in declared.items():
            assert holds(case, key, value), (key, value, case.describe(model.arg_names))
        assert supports.allows(case, normalized)
        model.manual(case.params, *case.args, **case.options)    # a valid call
        drawn.append(case)

    draw()
    assert len(drawn) >= 40


@pytest.mark.parametrize("name", list(RESTRICTIONS))
def test_an_empty_declaration_draws_what_none_draws(name):
    model = crosscheck.get(name)

    def draws(declared):
        out = []

        @seed(0)
        @settings(max_examples=20, database=None, deadline=None)
        @given(model.cases(supports=declared))
        def draw(case):
            out.append(case.to_json(model.arg_names))

        draw()
        return out

    assert draws(supports.validate(model, {})) == draws(None)


# --- allows: which pinned examples a declaration keeps --------------------------------------

@pytest.mark.parametrize("name, which", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_allows_agrees_with_each_restriction_on_the_pinned_examples(name, which):
    model, declared = crosscheck.get(name), RESTRICTIONS[name][which]
    normalized = supports.validate(model, declared)
    for case in model.examples:
        expected = all(holds(case, key, value) for key, value in declared.items())
        assert supports.allows(case, normalized) == expected, case.describe(model.arg_names)


def _exactly(model, case):
    """A declaration that holds exactly this case, and one per key that excludes it."""
    exact, excluding = {}, {}
    for key, shown in model.options.items():
        value = case.options.get(key)
        if key in ("h0", "c0", "dh_last", "dc_last"):
            exact[key], excluding[key] = value is not None, value is None
        elif key == "truncate":
            exact[key], excluding[key] = [value], [1 if value is None else None]
        else:
            exact[key] = [value]
            others = [v for v in shown if v != value]
            if others:
                excluding[key] = others
    for key, (low, high) in model.cases.sizes.items():
        sizes = SIZES[key](case)
        if sizes:
            exact[key] = (min(sizes), max(sizes))
            if max(sizes) < high:
                excluding[key] = (max(sizes) + 1, high)
            elif min(sizes) > low:
                excluding[key] = (low, min(sizes) - 1)
    if "one_hot" in model.cases.flags:
        exact["one_hot"] = _one_hot(case.args[0])
        if not exact["one_hot"]:
            excluding["one_hot"] = True
    for flag in set(model.cases.flags) & {"bidirectional", "token_ids"}:
        exact[flag] = holds(case, flag, True)
        excluding[flag] = not exact[flag]
    return exact, excluding


@pytest.mark.parametrize("name", list(RESTRICTIONS))
def test_allows_keeps_a_pinned_example_declared_exactly_and_drops_it_when_one_key_excludes_it(name):
    model = crosscheck.get(name)
    assert model.examples
    for case in model.examples:
        assert supports.allows(case, None) and supports.allows(case, supports.validate(model, {}))
        exact, excluding = _exactly(model, case)
        assert supports.allows(case, supports.validate(model, exact)), exact
        assert excluding
        for key, value in excluding.items():
            declared = supports.validate(model, {**exact, key: value})
            assert not supports.allows(case, declared), (key, value)
