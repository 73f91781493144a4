"""Every public call path of manual/ that returns a gradient is compared by a registered check.

A public function of a ``manual`` module (defined there, name without ``_``) either
returns a gradient or is listed in :data:`NOT_GRADIENTS` with what it returns instead; a
new public function is a gradient function until listed. Each gradient function must be
called while the registered checks run (``crosscheck.verify`` of every entry, traced with
``sys.setprofile``), and a public path that goes wrong must fail its check.
"""
import importlib
import inspect
import pkgutil
import sys

import numpy as np
import pytest

import crosscheck
import manual
from modelspec import table

NOT_GRADIENTS = {
    # forward passes and values: no gradient returned
    "forward": "the forward pass: (out, cache)",
    "relu": "the activation's value", "tanh": "the activation's value",
    "sigmoid": "the activation's value", "softmax": "probabilities",
    # initialisers: random starting weights (tests/manual/test_init.py)
    "init_params": "initial parameters", "zeros": "an initialiser", "normal": "an initialiser",
    "glorot_uniform": "an initialiser", "he_normal": "an initialiser", "orthogonal": "an initialiser",
    "get": "an initialiser by name",
}


def public_functions():
    """``{"module.name": function}`` of every public function defined in a manual module."""
    out = {}
    names = ["manual"] + [m.name for m in pkgutil.walk_packages(manual.__path__, "manual.")]
    for name in names:
        module = importlib.import_module(name)
        out.update({f"{name}.{k}": v for k, v in vars(module).items()
                    if not k.startswith("_") and inspect.isfunction(v) and v.__module__ == name})
    return out


def gradient_functions():
    return {k: v for k, v in public_functions().items() if k.rsplit(".", 1)[1] not in NOT_GRADIENTS}


def test_every_public_function_of_manual_is_classified():
    names = {k.rsplit(".", 1)[1] for k in public_functions()}
    assert names - set(NOT_GRADIENTS) >= {"backward", "loss_and_grads"}
    assert not set(NOT_GRADIENTS) - names, "NOT_GRADIENTS lists a function manual/ no longer has"


def test_every_public_gradient_function_is_reached_by_a_registered_check():
    wanted = {fn.__code__: name for name, fn in gradient_functions().items()}
    reached = set()

    def tracer(frame, event, arg):
        if event == "call" and frame.f_code in wanted:
            reached.add(wanted[frame.f_code])

    sys.setprofile(tracer)
    try:
        results = [crosscheck.verify(name, max_examples=20, seed=0, profile="ci") for name in table.names()]
    finally:
        sys.setprofile(None)
    assert all(r.ok for r in results), [r.summary() for r in results if not r.ok]
    assert set(wanted.values()) - reached == set()


def _wrong_backward(module, how):
    backward = module.backward

    def wrong(params, cache, dout, **options):
        grads, *inputs = backward(params, cache, dout, **options)
        if how == "dx is None":
            return (grads, None, *inputs[1:])
        return ({**grads, "by" if "by" in grads else "b0": 2 * grads.get("by", grads.get("b0"))}, *inputs)
    return wrong


@pytest.mark.parametrize("how", ["dx is None", "a bias gradient doubled"])
@pytest.mark.parametrize("name", table.names("model"))
def test_a_wrong_public_backward_fails_its_model_check(monkeypatch, name, how):
    module = table.get(name).manual_module()
    monkeypatch.setattr(module, "backward", _wrong_backward(module, how))
    result = crosscheck.verify(name, max_examples=5, seed=0, profile="ci")
    assert result.verdict == "crash" and "the public path" in result.error, result.summary()
    # a pinned example shows it (seqnet's first reads token ids: no dx; mlp's first is the
    # ReLU kink, where every hidden unit is off and the doubled gradient of b0 is 0)
    assert result.examples_to_failure <= 2


@pytest.mark.parametrize("loss", ["bce", "cross_entropy", "mse"])
def test_a_wrong_public_loss_fails_the_model_checks(monkeypatch, loss):
    from manual import losses
    right = losses.LOSSES[loss]
    monkeypatch.setitem(losses.LOSSES, loss, lambda z, y, reduction="mean": (right(z, y, reduction)[0],
                                                                          np.zeros_like(z)))
    result = crosscheck.verify(table.MLP.name, max_examples=20, seed=0, profile="ci",
                               supports={"loss": [loss]})
    assert result.verdict == "crash" and "the public path" in result.error and loss in result.error


def test_a_cache_that_holds_the_callers_x_fails_the_check(monkeypatch):
    # our layers and models copy x into the cache: a caller changing x between forward and
    # backward changes nothing. A forward that keeps the caller's array must be caught.
    from crosscheck import catalog
    from manual import mlp
    from manual.layers import linear
    monkeypatch.setattr(linear, "forward", lambda params, x: linear._forward(params, np.asarray(x)))
    result = crosscheck.verify(catalog.model_of(table.LINEAR), max_examples=5, seed=0, profile="ci")
    assert result.verdict == "disagree" and result.examples_to_failure == 1, result.summary()
    monkeypatch.setattr(mlp, "forward", lambda params, x, activation="relu": mlp._forward(params, x, activation))
    result = crosscheck.verify(table.MLP.name, max_examples=5, seed=0, profile="ci")
    assert result.verdict == "crash" and "the public path" in result.error, result.summary()


def test_a_gradient_returned_for_token_ids_breaks_the_contract():
    from manual import seqnet

    def fn(params, x, y, return_input_grads=False, **options):
        out = seqnet.loss_and_grads(params, x, y, return_input_grads=return_input_grads, **options)
        if return_input_grads and out[2].get("x") is None:        # ids: the gradient at the embedding
            out[2]["x"] = np.zeros(np.shape(x) + (params["Wemb"].shape[1],))
        return out
    result = crosscheck.verify(table.SEQNET.name, manual=fn, input_grads=True, max_examples=5, seed=0,
                               profile="ci")
    assert result.verdict == "contract" and "integer input has no gradient" in result.error, result.summary()


def test_a_public_backward_that_returns_a_gradient_for_token_ids_fails(monkeypatch):
    from manual import seqnet
    backward = seqnet.backward

    def wrong(params, cache, dlogits, **options):
        grads, dx, *states = backward(params, cache, dlogits, **options)
        return (grads, np.zeros(1) if dx is None else dx, *states)
    monkeypatch.setattr(seqnet, "backward", wrong)
    result = crosscheck.verify(table.SEQNET.name, max_examples=5, seed=0, profile="ci")
    assert result.verdict == "crash" and "token ids" in result.error, result.summary()
