"""The strategies reach the cases that matter, within the ``ci`` profile's budget."""
import numpy as np
import pytest
from hypothesis import given, settings

from crosscheck import strategies

REACHES = {
    # a missing transpose of Whh only shows on a non-symmetric Whh, one of Wxh on n_in != H
    "non-symmetric Whh, n_in != H": lambda c: c.params["Whh"].shape[0] > 1
        and not np.allclose(c.params["Whh"], c.params["Whh"].T)
        and c.params["Wxh"].shape[0] != c.params["Wxh"].shape[1],
    "one-hot tokens": lambda c: set(np.unique(c.args[0])) <= {0.0, 1.0}
        and np.all(c.args[0].sum(axis=-1) == 1) and c.args[0].shape[-1] > 1,
    "T = 1, batch 1": lambda c: c.args[0].shape[:2] == (1, 1),
    "truncate shorter than time, many-to-many": lambda c: c.options["output"] == "all"
        and c.options["truncate"] is not None and 1 < c.options["truncate"] < c.args[0].shape[1],
    "truncate = time": lambda c: c.options["truncate"] == c.args[0].shape[1] > 1,
    "truncate > time": lambda c: c.options["truncate"] is not None
        and c.options["truncate"] > c.args[0].shape[1],
    "h0 given, relu": lambda c: "h0" in c.options and c.options["activation"] == "relu",
    "batch != hidden": lambda c: c.args[0].shape[0] != c.params["Whh"].shape[0] > 1,
}


def test_rnn_strategy_reaches_every_case_that_matters_within_60_examples():
    seen = set()

    @settings(max_examples=60, derandomize=True, database=None)
    @given(strategies.rnn_cases())
    def draw(case):
        seen.update(name for name, holds in REACHES.items() if holds(case))

    draw()
    assert seen == set(REACHES), f"never drawn: {sorted(set(REACHES) - seen)}"


@settings(max_examples=50, database=None)
@given(strategies.rnn_cases(dtype=np.float32))
def test_rnn_cases_are_valid_by_construction(case):
    x, y = case.args
    batch, steps, n_in = x.shape
    assert 1 <= batch <= 6 and 1 <= steps <= 10 and 1 <= n_in <= 5
    assert all(v.dtype == np.float32 and np.all(np.isfinite(v)) for v in case.params.values())
    assert x.dtype == np.float32
    truncate = case.options["truncate"]
    assert truncate is None or 1 <= truncate <= steps + 2


def _logits_and_largest_gradient(name, case):
    import manual
    model = getattr(manual, name)
    options = {k: v for k, v in case.options.items() if k in ("output", "activation", "h0")}
    logits, _ = model.forward(case.params, case.args[0], **options)
    _, grads = model.loss_and_grads(case.params, *case.args, **case.options)
    return logits, max(np.abs(g).max() for g in grads.values())


MAGNITUDES = {
    # what code that clips its gradients (min-char-rnn: np.clip(d, -5, 5)) gets wrong
    "a parameter gradient above 5": lambda logits, largest, loss: largest > 5,
    "a logit in the hundreds": lambda logits, largest, loss: np.any((100 < np.abs(logits)) & (np.abs(logits) < 709)),
    # where exp(logit) overflows: a softmax without the max shift gives NaN
    "cross-entropy with a logit beyond 709": lambda logits, largest, loss:
        loss == "cross_entropy" and (logits.max() > 709 or np.any(logits.max(axis=-1) < -745)),
    "ordinary logits (|logit| < 20)": lambda logits, largest, loss: np.abs(logits).max() < 20,
}


@pytest.mark.parametrize("name", ["rnn", "mlp"])
def test_model_strategies_reach_large_gradients_and_logits_within_60_examples(name):
    seen = set()
    cases = {"rnn": strategies.rnn_cases, "mlp": strategies.mlp_cases}[name]

    @settings(max_examples=60, derandomize=True, database=None, deadline=None)
    @given(cases())
    def draw(case):
        logits, largest = _logits_and_largest_gradient(name, case)
        seen.update(k for k, holds in MAGNITUDES.items() if holds(logits, largest, case.options["loss"]))

    draw()
    assert seen == set(MAGNITUDES), f"never drawn: {sorted(set(MAGNITUDES) - seen)}"


@pytest.mark.parametrize("cases", [strategies.linear_cases, strategies.recurrent_cases])
def test_layer_strategies_draw_large_upstream_gradients(cases):
    largest = []

    @settings(max_examples=60, derandomize=True, database=None, deadline=None)
    @given(cases())
    def draw(case):
        dout = [a for a in (case.args[1], case.options.get("dh_last")) if a is not None]
        largest.append(max(np.abs(a).max() for a in dout))

    draw()
    assert max(largest) > 100 and min(largest) <= 2
