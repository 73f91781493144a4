"""How the strategies draw arrays (one random word an element, in fixed-length chunks) and
how contracts.call re-calls a function that checks more on its first call."""
import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import crosscheck
import manual
from crosscheck import contracts, strategies
from crosscheck.strategies import Band


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_banded_arrays_reach_every_band_within_bounds(dtype):
    values = []

    @settings(max_examples=30, derandomize=True, database=None)
    @given(strategies.banded_arrays((4, 5), strategies.ACTIVATION_BANDS, dtype))
    def collect(a):
        assert a.shape == (4, 5) and a.dtype == dtype
        values.append(a)

    collect()
    a = np.concatenate([v.ravel() for v in values]).astype(np.float64)
    small = (a != 0) & (np.abs(a) < np.finfo(dtype).tiny)
    assert not small.any()                                              # never subnormal
    assert np.all((np.abs(a) <= 2.0) | ((20.0 <= np.abs(a)) & (np.abs(a) <= 40.0)))
    assert (a == 0).any() and (a <= -20).any() and (a >= 20).any()      # the kink, saturated both ways
    assert ((0 < np.abs(a)) & (np.abs(a) < 2)).mean() > 0.2             # ordinary values
    assert len(np.unique(a[(np.abs(a) < 2) & (a != 0)])) > 40           # elements drawn on their own


def test_integer_arrays_stay_in_range():
    ids = find(strategies.integer_arrays((3, 4), 2, 5), lambda a: np.unique(a).size == 4)
    assert ids.shape == (3, 4) and ids.min() == 2 and ids.max() == 5


def test_shapes_and_values_shrink():
    # a smaller shape keeps the chunks it still draws (the values stay: the shape shrinks
    # far), and every element that does not matter shrinks to 0
    @st.composite
    def sized(draw):
        n = draw(st.integers(1, 40))
        return draw(strategies.banded_arrays(n, [Band(0.0, 1.0)]))

    a = find(sized(), lambda a: a.size >= 3 and np.abs(a).max() > 0.5,
             settings=settings(database=None, max_examples=500, derandomize=True))
    assert a.size <= 4 and np.count_nonzero(a) == 1, a


def test_the_recalls_of_a_function_with_again_skip_its_extra_checks():
    model = crosscheck.get("mlp")
    case = model.examples[0]
    calls = []

    def checked(params, x, y, **options):
        calls.append("first")
        return manual.mlp.loss_and_grads(params, x, y, **options)

    def again(params, x, y, **options):
        calls.append("again")
        return manual.mlp.loss_and_grads(params, x, y, **options)

    checked.again = again
    contracts.call(checked, case, want_inputs=True)
    assert calls == ["first", "again", "again"]          # repeat, then without input gradients
    # our models' public path runs once per case
    assert crosscheck.get("rnn").manual.again is manual.rnn.loss_and_grads
