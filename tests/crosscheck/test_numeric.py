"""Finite differences along random directions (``crosscheck.numeric``): the directions,
the differences, their comparison at the documented bound, check_case's fast path and its
fallback to every entry, and bad input to each (refused by name before any work)."""
import numpy as np
import pytest

import crosscheck
from crosscheck import Case, numeric
from tests.crosscheck.user_model import LINREG
from tests.helpers import BadCall, assert_refused, bad_call_id

W = {"w": np.array([1.0, -2.0])}


def _never_called(*args, **options):
    raise AssertionError("the function was called although an argument was invalid")


def test_directional_derivatives_of_a_known_function():
    def f(p, a):
        return np.sum(a * p["w"] ** 3) + np.sin(p["v"]).sum()
    p = {"w": np.array([[1.0, -2.0]]), "v": np.array([0.3, 4.0]), "e": np.zeros((0, 2))}
    a = np.array([[2.0, 0.5]])
    directions = numeric.random_directions(p)
    assert all(np.isclose(np.linalg.norm(u), 1.0) for k, u in directions.items() if k != "e")
    along = numeric.directional_derivatives(f, p, directions, a)
    assert np.isclose(along["w"], np.vdot(3 * a * p["w"] ** 2, directions["w"]), rtol=1e-9, atol=0)
    assert np.isclose(along["v"], np.vdot(np.cos(p["v"]), directions["v"]), rtol=1e-9, atol=0)
    assert along["e"] == 0.0
    assert p["w"].tolist() == [[1.0, -2.0]]          # the arrays are left as they were


def test_compare_directional_catches_one_wrong_entry_anywhere_at_the_documented_bound():
    # numeric's module doc: one wrong entry of a 60-entry key is caught once its error
    # exceeds 2 sqrt(60) rtol max|r|, wherever it is; the correct gradient passes
    r = {"W": np.random.default_rng(1).standard_normal((6, 10))}
    u = numeric.random_directions(r)
    exact = {"W": float(np.vdot(r["W"], u["W"]))}
    assert numeric.compare_directional(r, r, u, exact, rtol=1e-5, atol=0.0).ok
    delta = 1.01 * 2 * np.sqrt(60) * 1e-5 * np.max(np.abs(r["W"]))
    for index in np.ndindex(6, 10):
        wrong = r["W"].copy()
        wrong[index] += delta
        report = numeric.compare_directional({"W": wrong}, r, u, exact, rtol=1e-5, atol=0.0).reports["W"]
        assert not report.ok and report.index is None and report.max_rel_error > 1e-5


def test_compare_directional_catches_swapped_entries():
    # a wrong index swaps two entries: equal and opposite errors, which random signs of
    # equal magnitude would cancel half of the time
    r = {"W": np.arange(1.0, 10.0).reshape(3, 3)}
    u = numeric.random_directions(r)
    exact = {"W": float(np.vdot(r["W"], u["W"]))}
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        wrong = r["W"].copy()
        wrong[i, j], wrong[j, i] = r["W"][j, i], r["W"][i, j]
        assert not numeric.compare_directional({"W": wrong}, r, u, exact).ok


def test_check_case_differences_along_directions_and_every_entry_when_they_disagree():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    # everything agrees: one number per key, along a direction
    report = crosscheck.check_case(LINREG, Case(params, (x, y), {"truncate": None}))
    assert report.ok and set(report.numeric.reports) == {"w", "b"}
    assert all(r.index is None for r in report.numeric.reports.values())
    # truncated, both sides agree on a gradient that is not the loss's: finite
    # differences of every entry say where (a model that claims such cases smooth)
    claims_smooth = LINREG._replace(smooth=lambda case: True)
    report = crosscheck.check_case(claims_smooth, Case(params, (x, y), {"truncate": 1}))
    assert not report.ok and report.autograd.ok and not report.numeric.ok
    against, worst = report.worst()
    assert against == "finite differences" and worst.index is not None
    assert report.references["finite differences"][worst.key].shape == params[worst.key].shape
    assert "finite differences" in report.describe()


BAD_CALLS = [
    BadCall("crosscheck.numeric.random_directions", lambda: numeric.random_directions([1.0]), TypeError,
            "params must be a dict of arrays; got list"),
    BadCall("crosscheck.numeric.random_directions", lambda: numeric.random_directions(W, seed=-1), ValueError,
            "seed must be None, an int >= 0"),
    BadCall("crosscheck.numeric.random_directions", lambda: numeric.random_directions(W, seed=0.5), TypeError,
            "seed must be None, an int >= 0"),
    BadCall("crosscheck.numeric.directional_derivatives",
            lambda: numeric.directional_derivatives(_never_called, W, [np.ones(2)]), TypeError,
            "directions must be a dict"),
    BadCall("crosscheck.numeric.directional_derivatives",
            lambda: numeric.directional_derivatives(_never_called, W, {"v": np.ones(2)}), ValueError,
            "directions must have the keys of params ['w']"),
    BadCall("crosscheck.numeric.directional_derivatives",
            lambda: numeric.directional_derivatives(_never_called, W, {"w": np.ones(3)}), ValueError,
            "directions['w'] must have the shape of params['w'], (2,); got (3,)"),
    BadCall("crosscheck.numeric.directional_derivatives",
            lambda: numeric.directional_derivatives(_never_called, W, {"w": np.array([1, 0])}), TypeError,
            "directions['w'] must be a float ndarray; got ndarray of dtype int64"),
    BadCall("crosscheck.numeric.directional_derivatives",
            lambda: numeric.directional_derivatives(_never_called, W, {"w": np.array([np.nan, 0.0])}),
            ValueError, "directions['w'] contains NaN or inf"),
    BadCall("crosscheck.numeric.directional_derivatives",
            lambda: numeric.directional_derivatives("quad", W, {"w": np.ones(2)}), TypeError,
            "loss_fn must be callable"),
    BadCall("crosscheck.numeric.compare_directional",
            lambda: numeric.compare_directional(W, W, {"w": np.ones(2)}, {"w": "0.5"}), TypeError,
            "derivatives['w'] must be a real number"),
    BadCall("crosscheck.numeric.compare_directional",
            lambda: numeric.compare_directional(W, W, {"w": np.ones(2)}, [0.5]), TypeError,
            "derivatives must be a dict; got list"),
    BadCall("crosscheck.numeric.compare_directional",
            lambda: numeric.compare_directional(W, W, {}, {"w": 0.5}), ValueError,
            "derivatives['w'] has no counterpart in directions"),
    BadCall("crosscheck.numeric.compare_directional",
            lambda: numeric.compare_directional({"w": np.ones(3)}, W, {"w": np.ones(2)}, {"w": 0.5}), ValueError,
            "grads, reference and directions must have one shape at 'w'"),
    BadCall("crosscheck.numeric.compare_directional",
            lambda: numeric.compare_directional(W, W, {"w": np.ones(2)}, {"w": 0.5}, rtol=-1), ValueError,
            "rtol must be >= 0"),
]


@pytest.mark.parametrize("bad", BAD_CALLS, ids=bad_call_id)
def test_bad_input_is_refused_by_name(bad):
    assert_refused(bad)
