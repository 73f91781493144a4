"""Conventions: backprop checked as its author wrote it (crosscheck.conventions), and layers
we do not have, against finite differences of their own forward (crosscheck.fd_layers).

The validation table, round trips of every conversion, the three worked examples
(cs231n layer functions, a min-char-rnn lossFun, a layer object) agreeing as written and
catching their injected bug, and a layer norm checked against its own forward."""
import sys

import numpy as np
import pytest
from hypothesis import Phase, settings

import crosscheck
import manual
from crosscheck import conventions, fd_layers, supports
from crosscheck.contracts import UsageError
from tests.helpers import ROOT

# A disagreement is found in a few examples and shrinking it takes ten times as long: the
# tests of "the bug is caught" skip the shrink phase (the examples, run as scripts, shrink).
NO_SHRINK = "conventions-tests-no-shrink"
settings.register_profile(NO_SHRINK, settings.get_profile("ci"), phases=(Phase.explicit, Phase.generate))

RNN_CALL = dict(style="cs231n", names={"Wxh": "Wx", "Whh": "Wh", "bh": "b"},
                call=("x", "h0", "Wx", "Wh", "b"), returns=("dx", "dh0", "dWx", "dWh", "db"))
LOSSFUN = dict(style="lossFun", call=("x", "y", "h0"), globals=lambda params: None,
               returns=("loss", "dWxh", "dWhh", "dWy", "dbh", "dby"))


def _pair():
    return (lambda *args: None, lambda dout, cache: None)


def _fn(*args, **kwargs):
    return None


# ======================================================================== validation

# (entry, manual, conventions, exception, words the message must hold)
BAD = [
    ("rnn", _fn, ["style"], TypeError, "must be a dict"),
    ("rnn", _fn, {"colour": "red"}, ValueError, "unknown conventions key(s) ['colour']; the keys are style, names"),
    ("rnn", _fn, {"style": "keras"}, ValueError, "must be one of loss_and_grads, cs231n, lossFun, object; got 'keras'"),
    ("rnn", _fn, {"globals": sys}, ValueError, "supports['globals'] applies to style 'lossFun' only"),
    ("recurrent", _pair(), dict(RNN_CALL, gradients="grads"), ValueError, "'gradients'] applies to style 'object'"),
    ("rnn", _fn, {"names": {"Wxh": 3}}, TypeError, "maps our names to yours"),
    ("rnn", _fn, {"names": [("Wxh", "U")]}, TypeError, "supports['names'] must be a dict"),
    ("rnn", _fn, {"names": {"Wxh": "W", "Whh": "W"}}, ValueError, "the same name ['W']"),
    ("rnn", _fn, {"names": {"Wq": "W"}}, ValueError, "supports['names'] names ['Wq'], which 'rnn' does not have"),
    ("rnn", _fn, {"layout": "fortran"}, ValueError, "must be one of row, column, torch or a dict"),
    ("rnn", _fn, {"layout": ["column"]}, TypeError, "must be one of row, column, torch or a dict"),
    ("rnn", _fn, {"layout": {"Wxh": "flip"}}, ValueError, "['Wxh'] must be one of same, T, column, row"),
    ("rnn", _fn, {"layout": {"x": (0, 2, 2)}}, ValueError, "must order 0 .. 2 once each"),
    ("rnn", _fn, {"layout": {"x": (0, 1.5)}}, TypeError, "or a tuple of axes such as (0, 2, 1)"),
    ("rnn", _fn, {"layout": {"Wq": "T"}}, ValueError, "supports['layout'] names ['Wq']"),
    ("rnn", _fn, {"tokens": "ids"}, ValueError, "must be False, True or 'list'; got 'ids'"),
    ("rnn", _fn, {"tokens": 1}, ValueError, "must be False, True or 'list'; got 1"),
    ("rnn", _fn, {"batch": 1}, ValueError, "supports['batch'] must be one of batched, single; got 1"),
    ("recurrent", _fn, {"step": "yes"}, TypeError, "supports['step'] must be True or False"),
    ("rnn", _fn, {"step": True}, ValueError, "is for a layer checked one time step at a time; 'rnn' is a model"),
    ("rnn", _fn, {"fixed": {"dropout": 0.5}}, ValueError, "['dropout'], which are not options of 'rnn'"),
    ("rnn", _fn, {"fixed": "tanh"}, TypeError, "supports['fixed'] must be a dict"),
    ("recurrent", _pair(), dict(RNN_CALL, call="x h0"), TypeError, "supports['call'] must be a tuple of non-empty str"),
    ("recurrent", _pair(), dict(RNN_CALL, call=("x", "x", "Wx", "Wh", "b")), ValueError, "names ['x'] more than once"),
    ("recurrent", _pair(), dict(RNN_CALL, call=("x", "h0", "Wx", "Wh", "bias")), ValueError, "supports['call'] names ['bias']"),
    ("recurrent", _pair(), dict(RNN_CALL, call=("x", "h0", "Wx", "Wh")), ValueError, "must pass every parameter to forward; ['b'] missing"),
    ("recurrent", _pair(), dict(RNN_CALL, returns=("dx", "dh0", "dWx", "dWh")), ValueError, "gives no gradient for ['b']"),
    ("recurrent", _pair(), dict(RNN_CALL, returns=("dx", "dh0", "dWx", "dWh", "bias_grad")), ValueError, "entries are 'd<name>'"),
    ("recurrent", _pair(), dict(RNN_CALL, returns=("loss", "dx", "dh0", "dWx", "dWh", "db")), ValueError, "lists gradients only"),
    ("recurrent", _pair(), {"style": "cs231n", "call": ("x",)}, ValueError, "style 'cs231n' needs supports['returns']"),
    ("recurrent", _pair(), dict(RNN_CALL, fixed={"h0": None}), ValueError, "supports['fixed'] and supports['call'] both name ['h0']"),
    ("rnn", _pair(), RNN_CALL, ValueError, "'cs231n' is for a layer; 'rnn' is a model"),
    ("recurrent", _fn, LOSSFUN, ValueError, "'lossFun' is for a model; 'recurrent' is a layer"),
    ("rnn", _fn, dict(LOSSFUN, returns=("dWxh", "dWhh", "dWy", "dbh", "dby")), ValueError, "must name 'loss'"),
    ("rnn", _fn, {k: v for k, v in LOSSFUN.items() if k != "globals"}, ValueError, "supports['globals'] is needed"),
    ("rnn", _fn, dict(LOSSFUN, globals=42), TypeError, "must be the module holding the parameters"),
    ("recurrent", _fn, {"style": "object", "call": ("x", "Wxh")}, ValueError, "name inputs and their gradients only"),
    ("recurrent", _fn, {"style": "object", "methods": ("forward",)}, ValueError, "must name two methods"),
    ("recurrent", _fn, {"style": "object", "gradients": ""}, TypeError, "the layer's gradient dict attribute"),
    ("rnn", None, {"layout": "column"}, ValueError, "pass it as manual="),
    ("recurrent", _fn, RNN_CALL, TypeError, "checks a (forward, backward) pair"),
    ("recurrent", (_fn,), {"style": "object"}, TypeError, "style 'object' checks make(params)"),
]


@pytest.mark.parametrize("entry, fn, declared, error, words", BAD,
                         ids=[f"{i}-{row[4][:30]}" for i, row in enumerate(BAD)])
def test_a_bad_declaration_is_refused_before_any_case_with_a_message_naming_it(entry, fn, declared, error, words):
    with pytest.raises(error) as raised:
        conventions.wrap(fn, declared, entry)
    assert words in str(raised.value), str(raised.value)


def test_good_declarations_of_every_style_pass_and_fill_their_defaults():
    conv = conventions.validate({"style": "object", "names": {"x": "X"}}, "recurrent")
    assert (conv.call, conv.returns, conv.gradients, conv.methods) == (("X",), ("dX",), "gradients",
                                                                       ("forward", "backward"))
    assert conventions.validate({}, "mlp") == conventions.Conventions()
    assert conventions.validate(dict(RNN_CALL, step=True), "recurrent").step
    # an MLP's parameters depend on its depth: their names are checked per case, not up front
    assert conventions.validate({"names": {"W7": "weights7"}, "layout": "torch"}, "mlp").names == {"W7": "weights7"}


def test_verify_refuses_a_bad_declaration_before_drawing():
    with pytest.raises(ValueError, match="supports has an unknown key 'layuot' for mlp"):
        crosscheck.verify("mlp", manual=manual.mlp.loss_and_grads, supports={"layuot": "row"})


# ======================================================================== conversions

TRANSFORMS = [("same", (2, 3)), ("T", (2, 3)), ("column", (4,)), ("column", (2, 3)),
              ("row", (4,)), ("row", (2, 3)), ((0, 2, 1), (2, 3, 4)), ((2, 0, 1), (2, 3, 4))]
EXPECTED = {("column", (4,)): (4, 1), ("column", (2, 3)): (3, 2), ("row", (4,)): (1, 4),
            ("T", (2, 3)): (3, 2), ((0, 2, 1), (2, 3, 4)): (2, 4, 3), ((2, 0, 1), (2, 3, 4)): (4, 2, 3)}


@pytest.mark.parametrize("transform, shape", TRANSFORMS)
def test_each_layout_transform_has_the_shape_it_documents_and_inverts_exactly(transform, shape):
    ours = np.random.default_rng(0).standard_normal(shape)
    theirs = conventions.apply(transform, ours)
    assert theirs.shape == EXPECTED.get((transform, shape), shape)
    np.testing.assert_array_equal(conventions.invert(transform, theirs, shape), ours)


def test_a_gradient_of_another_shape_is_passed_on_for_the_comparison_to_report():
    wrong = np.zeros((3, 3))
    assert conventions.invert("column", wrong, (3,)) is not None
    assert conventions.invert("column", wrong, (3,)).shape == (3, 3)


def test_column_and_torch_layouts_round_trip_every_parameter_of_the_rnn():
    params = manual.rnn.init_params(3, 4, 2, rng=0)
    for layout, shapes in (("column", {"U": (4, 3), "W": (4, 4), "b": (4, 1), "V": (2, 4), "c": (2, 1)}),
                           ("torch", {"U": (4, 3), "W": (4, 4), "b": (4,), "V": (2, 4), "c": (2,)})):
        conv = conventions.validate({"layout": layout, "names": dict(zip(params, "UWbVc"))}, "rnn")
        theirs = conventions.params_to_theirs(params, conv)
        assert {k: v.shape for k, v in theirs.items()} == shapes
        back = conventions.grads_to_ours({k: v.copy() for k, v in theirs.items()}, params, conv)
        assert set(back) == set(params)
        for key in params:
            np.testing.assert_array_equal(back[key], params[key])


def test_a_missing_gradient_names_the_users_name():
    params = manual.rnn.init_params(3, 4, 2, rng=0)
    conv = conventions.validate({"names": {"Wy": "Why"}}, "rnn")
    grads = conventions.params_to_theirs(params, conv)
    del grads["Why"]
    with pytest.raises(UsageError, match=r"give no gradient for \['Why'\]"):
        conventions.grads_to_ours(grads, params, conv)


def test_one_sequence_of_token_ids_in_column_layout_and_back():
    conv = conventions.validate({"tokens": "list", "batch": "single", "layout": "column"}, "rnn")
    ids = np.array([[2, 0, 1, 1]])
    x = np.eye(3)[ids]                                         # (1, 4, 3) one-hot
    assert conventions.input_to_theirs("x", x, conv) == [2, 0, 1, 1]
    assert conventions.input_to_theirs("y", np.array([[1, 1, 0, 2]]), conv) == [1, 1, 0, 2]
    h0 = np.array([[0.5, -1.0]])
    assert conventions.input_to_theirs("h0", h0, conv).shape == (2, 1)   # a column (H, 1)
    dh0 = np.array([[3.0], [4.0]])
    np.testing.assert_array_equal(conventions.input_to_ours("h0", dh0, (1, 2), conv), [[3.0, 4.0]])


def test_a_time_step_and_time_last_axes_round_trip():
    x = np.random.default_rng(1).standard_normal((3, 1, 2))
    step = conventions.validate(dict(RNN_CALL, step=True), "recurrent")
    assert conventions.input_to_theirs("x", x, step, time_axis=True).shape == (3, 2)
    np.testing.assert_array_equal(conventions.input_to_ours("x", x[:, 0], x.shape, step, time_axis=True), x)
    time_last = conventions.validate({"style": "object", "layout": {"x": (0, 2, 1)}}, "recurrent")
    theirs = conventions.input_to_theirs("x", x, time_last)
    assert theirs.shape == (3, 2, 1)
    np.testing.assert_array_equal(conventions.input_to_ours("x", theirs, x.shape, time_last), x)


def test_tokens_need_one_hot_input():
    conv = conventions.validate({"tokens": True}, "rnn")
    with pytest.raises(NotImplementedError, match="is not one-hot"):
        conventions.input_to_theirs("x", np.full((1, 2, 3), 0.5), conv)


def test_implied_supports():
    declared = dict(RNN_CALL, step=True, fixed={"activation": "tanh", "truncate": None})
    assert conventions.implied_supports(declared) == {"activation": ["tanh"], "truncate": [None],
                                                      "h0": True, "time": 1}
    assert conventions.implied_supports({"style": "object", "fixed": {"h0": None}, "tokens": True,
                                         "batch": "single"}) == {"h0": False, "one_hot": True, "batch": 1}


# ======================================================================== verify, end to end

NAMES = {"Wxh": "U", "Whh": "W", "bh": "b", "Wy": "V", "by": "c"}


def _column_rnn(transpose_back=True):
    """Our RNN behind a column-vector interface with its own names: what a user has."""
    def loss_and_grads(params, x, y, *, h0=None, return_input_grads=False, **options):
        ours = {k: (params[v][:, 0] if v in "bc" else params[v].T) for k, v in NAMES.items()}
        result = manual.rnn.loss_and_grads(ours, x, y, h0=None if h0 is None else h0.T,
                                           return_input_grads=return_input_grads, **options)
        grads = {v: (result[1][k].T if v not in "bc" and transpose_back else
                     result[1][k].reshape(params[v].shape)) for k, v in NAMES.items()}
        if not return_input_grads:
            return result[0], grads
        inputs = {k: (g.T if k == "h0" else g) for k, g in result[2].items()}
        return result[0], grads, inputs
    return loss_and_grads


def test_a_column_layout_function_with_its_own_names_agrees_input_gradients_included():
    result = crosscheck.verify("rnn", manual=_column_rnn(), supports={"names": NAMES, "layout": "column"},
                               input_grads=True, max_examples=25, seed=0)
    assert result.ok, result.summary()


def test_the_same_function_returning_untransposed_weight_gradients_is_caught():
    result = crosscheck.verify("rnn", manual=_column_rnn(transpose_back=False), profile=NO_SHRINK,
                               supports={"names": NAMES, "layout": "column"}, max_examples=25, seed=0)
    assert result.verdict == "disagree", result.summary()


def test_an_option_the_declaration_does_not_cover_is_a_usage_error_naming_it():
    make = lambda params: None  # noqa: E731  (never called: the case is refused first)
    result = crosscheck.verify("recurrent", manual=make, supports={"style": "object"},
                               max_examples=5, seed=0)
    assert result.verdict == "usage", result.summary()
    assert "supports={'fixed': {'activation': ...}}" in result.error


def _layer_object():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import layer_object
    finally:
        sys.path.remove(str(ROOT / "examples"))
    return layer_object


def test_what_the_conventions_fix_is_all_that_is_drawn():
    layer_object = _layer_object()
    result = crosscheck.verify("recurrent", manual=layer_object.maker(layer_object.VanillaRNN),
                               supports=layer_object.SUPPORTS, max_examples=30, seed=0)
    assert result.ok and result.examples >= 30, result.summary()   # and a pinned example
    allowed, _ = supports.declare("recurrent", layer_object.SUPPORTS)
    assert (allowed["activation"], allowed["truncate"], allowed["h0"]) == (("tanh",), (None,), False)


def test_the_deprecated_conventions_argument_is_merged_into_supports():
    layer_object = _layer_object()
    supports = dict(layer_object.SUPPORTS)
    style = supports.pop("style")
    make = layer_object.maker(layer_object.VanillaRNN)
    with pytest.warns(DeprecationWarning, match="put its keys in supports="):
        result = crosscheck.verify("recurrent", manual=make, supports=supports,
                                   conventions={"style": style}, max_examples=5, seed=0)
    assert result.ok, result.summary()
    with pytest.raises(TypeError, match=r"supports and the deprecated conventions both give \['style'\]"):
        crosscheck.verify("recurrent", manual=make, supports=layer_object.SUPPORTS,
                          conventions={"style": style})


# ======================================================================== the worked examples

@pytest.fixture
def examples(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    import cs231n_layers
    import layer_object
    import min_char_rnn
    return {"cs231n": cs231n_layers, "lossFun": min_char_rnn, "object": layer_object}


def _adapter_lines(module, first, last):
    """Lines of the example between two markers (its adapter), blank lines left out."""
    text = open(module.__file__).read()
    block = text[text.index(first):text.index(last)]
    return [line for line in block.splitlines()[1:] if line.strip()]


@pytest.mark.parametrize("name, last", [("cs231n", "\n\ndef checks"), ("lossFun", "\n\ndef run"),
                                        ("object", "\n\ndef run")])
def test_each_examples_adapter_is_at_most_ten_lines(examples, name, last):
    lines = _adapter_lines(examples[name], "the adapter (", last)
    assert len(lines) <= 10, "\n".join(lines)
    assert f"the adapter ({len(lines)} lines)" in open(examples[name].__file__).read()


def test_cs231n_layers_agree_as_written_and_the_missing_transpose_is_caught(examples):
    module = examples["cs231n"]
    correct = module.run(bug=False, verbose=False)
    assert all(r.ok for r in correct.values()), {k: r.summary() for k, r in correct.items()}
    buggy = module.run(bug=True, verbose=False, profile=NO_SHRINK)
    for label in ("rnn_step", "rnn"):
        assert buggy[label].verdict == "disagree", buggy[label].summary()
    assert buggy["rnn_step"].report.worst()[1].key == "dh0"       # the step's carry is dprev_h


def test_min_char_rnn_lossFun_agrees_as_written_and_clipping_is_caught(examples):
    module = examples["lossFun"]
    correct = module.run(module.lossFun, verbose=False)
    assert correct.ok, correct.summary()
    clipped = module.run(module.lossFun_clipped, verbose=False, profile=NO_SHRINK)
    assert clipped.verdict == "disagree", clipped.summary()
    assert module.Wxh.shape == (module.hidden_size, module.vocab_size)   # its globals are restored


def test_layer_object_agrees_as_written_and_the_forgotten_carry_is_caught(examples):
    module = examples["object"]
    correct = module.run(module.VanillaRNN, verbose=False)
    assert correct.ok, correct.summary()
    buggy = module.run(module.ForgetsTheCarry, verbose=False, profile=NO_SHRINK)
    assert buggy.verdict == "disagree" and buggy.case.args[0].shape[1] > 1, buggy.summary()


# ======================================================================== finite differences

def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, gamma, std)


def layernorm_backward(dout, cache):
    xhat, gamma, std = cache
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True) - xhat * (dxhat * xhat).mean(axis=1, keepdims=True)) / std
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def layernorm_backward_constant_statistics(dout, cache):
    """The classic mistake: the mean and variance treated as constants in dx."""
    xhat, gamma, std = cache
    return dout * gamma / std, (dout * xhat).sum(axis=0), dout.sum(axis=0)


LAYERNORM = dict(params={"gamma": ("D",), "beta": ("D",)}, x=("N", "D"), out=("N", "D"))


def test_a_layer_we_do_not_have_agrees_with_finite_differences_of_its_own_forward():
    result = fd_layers.verify_layer((layernorm_forward, layernorm_backward), **LAYERNORM,
                                    max_examples=40, seed=0)
    assert result.ok, result.summary()


def test_a_layer_norm_with_constant_statistics_is_caught():
    result = fd_layers.verify_layer((layernorm_forward, layernorm_backward_constant_statistics),
                                    **LAYERNORM, max_examples=40, seed=0, profile=NO_SHRINK)
    assert result.verdict == "disagree" and result.report.worst()[1].key == "dx", result.summary()
    assert result.case.args[0].shape[1] >= 2                  # one feature has no mean to miss


def test_finite_differences_are_accurate_where_a_fixed_step_is_not():
    # x / sqrt(x**2 + 1e-5) curves on a scale of 3e-3 around 0
    value = np.array([0.0, 1e-3, 1.0])
    grad, error = fd_layers.fd_grad(lambda v: np.sum(v / np.sqrt(v ** 2 + 1e-5)), value)
    exact = 1e-5 / (value ** 2 + 1e-5) ** 1.5
    np.testing.assert_allclose(grad, exact, rtol=1e-8, atol=1e-10)          # of a scale of 316


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(params={"W": "n_in"}, x=("N", "n_in"), out=("N",)), TypeError, "params['W'] must be a shape"),
    (dict(params={"W": ("n",)}, x=(), out=("n",)), TypeError, "x must be a shape"),
    (dict(params={"W": ("n",)}, x=("n",), out=("n",), supports={"n": (0, 3)}), ValueError, "supports['n'] (a size) must be an int >= 1 or (min, max)"),
    (dict(params={"W": ("n",)}, x=("n",), out=("n",), supports={"m": 3}), ValueError, "unknown key 'm': not a size of the shapes (n)"),
    (dict(params={"W": ("n",)}, x=("n",), out=("n",), supports=[("n", 3)]), TypeError, "supports must be a dict of sizes and conventions"),
    (dict(params=[], x=("n",), out=("n",)), TypeError, "params must be a dict"),
])
def test_verify_layer_refuses_bad_shapes(kwargs, error, words):
    with pytest.raises(error) as raised:
        fd_layers.verify_layer((layernorm_forward, layernorm_backward), **kwargs)
    assert words in str(raised.value)
