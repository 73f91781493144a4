"""The registry: what :class:`crosscheck.Model` accepts and normalizes, its defaults, and
``register``'s rule for names, with a user's own model (``user_model.py``) end to end."""
import numpy as np
import pytest
from hypothesis import strategies as st

import crosscheck
from crosscheck import Case, Model, registry
from crosscheck.registry import always, smooth_unless_truncated_or_relu
from modelspec import table
from tests.crosscheck import user_model
from tests.crosscheck.user_model import CASES, LINREG, loss, loss_and_grads


@pytest.fixture
def own_registry(monkeypatch):
    """A copy of the registry for one test: what it registers or replaces is undone after."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def make(**changes):
    fields = dict(name="linreg", description="a model", manual=loss_and_grads, auto=loss, cases=CASES)
    return Model(**{**fields, **changes})


def with_dx(params, x, y, *, truncate=None, return_input_grads=False):
    """``loss_and_grads`` that also returns the gradient for ``x``."""
    value, grads = loss_and_grads(params, x, y, truncate=truncate)
    if not return_input_grads:
        return value, grads
    r = x @ params["w"] + params["b"] - y
    dr = 2 * r / r.size
    if truncate is not None:
        dr[:-truncate] = 0
    return value, grads, {"x": dr @ params["w"].T}


def forwards_everything(params, x, y, **options):
    return with_dx(params, x, y, **options)


# --- cases: a strategy or a factory, stored as a factory ------------------------------------

def test_a_plain_strategy_becomes_a_factory_of_the_same_strategy_for_every_dtype():
    model = make()
    assert callable(model.cases) and model.cases.strategy is CASES
    assert model.cases(dtype=np.float64) is model.cases(dtype=np.float32)
    assert model.cases(dtype=np.float64, supports=None) is model.cases()


def test_a_factory_is_kept_as_it_is():
    factory = crosscheck.get(table.MLP.name).cases
    assert make(cases=factory).cases is factory


def test_a_plain_strategy_refuses_to_be_restricted():
    with pytest.raises(ValueError, match="model 'linreg' declares no options to restrict.*supports="):
        make().cases(dtype=np.float64, supports={"truncate": (None,)})


def test_a_strategy_that_draws_something_else_than_a_case_is_named():
    model = make(cases=st.just(({"w": np.ones((1, 1))}, (np.ones((1, 1)), np.ones((1, 1))), {})))
    with pytest.raises(TypeError, match="cases must draw crosscheck.Case.*drew a tuple"):
        crosscheck.verify(model, max_examples=2)


# --- every field checked up front, naming it ------------------------------------------------

def no_input_grads(params, x, y):
    return 0.0, {}


BAD_FIELDS = [
    (dict(name=3), TypeError, "name must be a str"),
    (dict(name=" "), ValueError, "name must be a non-empty str; got ' '"),
    (dict(description=None), TypeError, "description must be a str"),
    (dict(manual=None), TypeError, "manual must be a callable"),
    (dict(auto="loss"), TypeError, "auto must be a callable"),
    (dict(cases=42), TypeError, "cases must be a Hypothesis strategy of crosscheck.Case or a factory"),
    (dict(cases=Case({}, (), {})), TypeError, "cases must be a Hypothesis strategy.*got Case"),
    (dict(cases=lambda: CASES), TypeError, "cases must be .* takes no dtype keyword"),
    (dict(arg_names="xy"), TypeError, r"arg_names must be a tuple of non-empty str such as \('x', 'y'\)"),
    (dict(arg_names=("x", 1)), TypeError, "arg_names must be a tuple of non-empty str"),
    (dict(input_grads="x"), TypeError, "input_grads must be a tuple of non-empty str"),
    (dict(manual=no_input_grads, input_grads=("x",)), ValueError,
     "input_grads=.* needs manual to take a return_input_grads keyword, and 'no_input_grads' does not"),
    (dict(examples=Case({}, (), {})), TypeError, "examples must be a tuple of crosscheck.Case; got Case"),
    (dict(examples=(1,)), TypeError, "examples must be a tuple of crosscheck.Case; item 0 is of type int"),
    (dict(options=["truncate"]), TypeError, "options must be a dict"),
    (dict(smooth=True), TypeError, "smooth must be a callable"),
    (dict(kind="loss"), ValueError, "kind must be 'model' or 'layer'; got 'loss'"),
]


@pytest.mark.parametrize("changes, error, message", BAD_FIELDS,
                         ids=[f"{'-'.join(c)}-{i}" for i, (c, _, _) in enumerate(BAD_FIELDS)])
def test_a_bad_field_is_refused_naming_it(changes, error, message):
    with pytest.raises(error, match=message):
        make(**changes)


def test_replace_goes_through_the_same_checks():
    with pytest.raises(ValueError, match="kind must be"):
        make()._replace(kind="loss")
    assert make()._replace(cases=CASES).cases.strategy is CASES


def test_a_missing_field_names_it():
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'cases'"):
        Model("linreg", "a model", loss_and_grads, loss)


# --- input gradients: compared if the hand-written function can return them -----------------

INPUT_GRADS = {
    "no keyword": (dict(), ()),
    "the keyword": (dict(manual=with_dx), ("x",)),
    "**kwargs counts": (dict(manual=forwards_everything), ("x",)),
    "the first data argument": (dict(manual=with_dx, arg_names=("inputs", "targets")), ("inputs",)),
    "turned off": (dict(manual=with_dx, input_grads=()), ()),
    "a list becomes a tuple": (dict(manual=with_dx, input_grads=["x"]), ("x",)),
}


@pytest.mark.parametrize("changes, expected", INPUT_GRADS.values(), ids=INPUT_GRADS)
def test_input_grads_default_to_what_manual_can_return(changes, expected):
    assert make(**changes).input_grads == expected


def test_the_built_in_entries_keep_their_input_grads():
    assert crosscheck.get(table.RNN.name).input_grads == ("x", "h0")
    assert crosscheck.get(table.MLP.name).input_grads == ("x",)
    assert crosscheck.get(table.LINEAR.name).input_grads == ("x",)


# --- smooth: not where the case says truncated or relu ---------------------------------------

SMOOTH = {
    "no options": ({}, True),
    "truncate None": ({"truncate": None}, True),
    "truncate 3": ({"truncate": 3}, False),
    "relu": ({"activation": "relu"}, False),
    "tanh": ({"activation": "tanh", "loss": "mse"}, True),
    "an array option": ({"h0": np.zeros((2, 3)), "truncate": None}, True),
}


@pytest.mark.parametrize("options, smooth", SMOOTH.values(), ids=SMOOTH)
def test_the_default_smooth_reads_the_case(options, smooth):
    case = Case({}, (), options)
    assert smooth_unless_truncated_or_relu(case) is smooth
    assert make().smooth is smooth_unless_truncated_or_relu


# --- the defaults work: a plain strategy, no return_input_grads, a truncate option -----------

def test_a_model_on_the_defaults_agrees_and_finite_differences_skip_truncated_cases():
    result = crosscheck.verify(LINREG, max_examples=20, seed=0)
    assert result.ok, result.summary()
    assert set(result.worst) == {"loss", "w", "b"}           # no dx: manual cannot return it
    assert 0 < result.numeric_examples < result.examples     # finite differences on untruncated cases only


def test_without_the_default_smooth_finite_differences_refuse_the_truncated_gradient():
    result = crosscheck.verify(LINREG._replace(smooth=always), max_examples=20, seed=0)
    assert not result.ok and result.report.worst()[0] == "finite differences"
    assert result.case.options["truncate"] is not None


def test_a_manual_that_returns_input_grads_has_them_compared():
    result = crosscheck.verify(make(manual=with_dx), max_examples=20, seed=0)
    assert result.ok, result.summary()
    assert set(result.worst) == {"loss", "w", "b", "dx"}


def test_a_registered_model_is_verified_by_name(own_registry):
    crosscheck.register(LINREG)
    assert crosscheck.models()[-1] == "linreg" and crosscheck.get("linreg") is LINREG
    assert crosscheck.verify("linreg", max_examples=5, seed=0).ok


# --- names: built-ins are protected, your own are replaced ----------------------------------

def test_a_built_in_name_is_refused_unless_replace(own_registry):
    name = table.MLP.name
    builtin = crosscheck.get(name)
    with pytest.raises(ValueError, match=f"'{name}' is a built-in model; pass replace=True"):
        crosscheck.register(LINREG._replace(name=name))
    assert crosscheck.get(name) is builtin
    crosscheck.register(builtin)                              # the same object again: no change
    mine = crosscheck.register(LINREG._replace(name=name), replace=True)
    assert crosscheck.get(name) is mine and crosscheck.models() == table.names()


def test_your_own_name_registered_again_is_replaced(own_registry):
    crosscheck.register(LINREG)
    again = crosscheck.register(user_model.make_linreg()._replace(name="linreg"))
    assert crosscheck.get("linreg") is again and crosscheck.models().count("linreg") == 1


def test_register_and_get_refuse_other_types():
    with pytest.raises(TypeError, match="register takes a crosscheck.Model; got dict"):
        crosscheck.register(dict(LINREG._asdict()))
    with pytest.raises(TypeError, match=r"must be a registered name \(str\) or a crosscheck.Model; got int"):
        crosscheck.get(3)
