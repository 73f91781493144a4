"""The strategies reach the cases that matter, within the ``ci`` profile's budget."""
import numpy as np
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
