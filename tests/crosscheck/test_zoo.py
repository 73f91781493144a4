"""The bug gallery: every buggy gradient is caught under the ci profile (derandomized,
60 examples), while the gallery's own reference implementations, with no bug, pass the same check."""
from collections import Counter

import numpy as np
import pytest

import crosscheck
import manual
from crosscheck import zoo
from tests.helpers import crosscheck_cli


@pytest.mark.parametrize("bug", zoo.BUGS, ids=[bug.name for bug in zoo.BUGS])
def test_bug_is_caught(bug):
    (found,) = zoo.hunt([bug], profile="ci")
    assert found.caught, f"{bug.name} was missed in {found.result.examples} examples"
    result = found.result
    assert result.case is not None and result.examples_to_failure >= 1
    # a real disagreement, not a crash of the buggy function
    assert result.error is None, result.error
    assert not result.report.ok


# The bugs left to the drawn cases: each shows on about a third of them or more (a smooth
# activation, cross-entropy, batch > 1, BCE), so 60 examples find it with a wide margin.
FOUND_BY_DRAWS = {"mlp_derivative_from_preactivation", "mlp_dx_through_activation",
                  "ce_missing_minus_one", "softmax_over_batch_axis", "bce_wrong_sign",
                  "mlp_gradient_clipping"}

# Bugs that only large numbers show: gradients above 5 (clipping inside backward, as
# min-char-rnn does) and logits beyond 709 (a softmax without the max shift). The drawn
# cases must find them on their own, pinned examples aside.
NEEDS_LARGE_NUMBERS = ("rnn_gradient_clipping", "mlp_gradient_clipping", "softmax_without_max_shift")


def _examples_to_catch(bug, seed, max_examples=60):
    """How many drawn cases (no pinned ones, no shrinking) it takes to catch ``bug``; None
    if ``max_examples`` do not."""
    from hypothesis import Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    model = crosscheck.get(bug.model)
    seen = []

    @hypothesis_seed(seed)
    @settings(max_examples=max_examples, phases=[Phase.generate], database=None, deadline=None)
    @given(model.cases())
    def draw(case):
        seen.append(case)
        report = crosscheck.check_case(model, case, manual=bug.fn, input_grads=True, numeric=False)
        assert report.ok

    try:
        draw()
    except AssertionError:
        return len(seen)
    return None


@pytest.mark.parametrize("name", NEEDS_LARGE_NUMBERS)
def test_drawn_cases_alone_find_the_bugs_of_large_numbers(name):
    counts = [_examples_to_catch(zoo.BY_NAME[name], seed) for seed in range(5)]
    assert None not in counts, f"{name}: examples to catch it, by seed: {counts}"


@pytest.mark.parametrize("bug", [b for b in zoo.BUGS if b.name not in FOUND_BY_DRAWS],
                         ids=[b.name for b in zoo.BUGS if b.name not in FOUND_BY_DRAWS])
def test_bug_is_caught_by_a_pinned_example(bug):
    """Which drawn case comes when shifts with unrelated code (Hypothesis mixes literals from
    the loaded modules into its draws), so a bug that needs a rare combination (a mean BCE
    over several outputs, a window shorter than T, logits > 709) is caught by a pinned
    example, whatever the draws."""
    model = crosscheck.get(bug.model)
    reports = [crosscheck.check_case(model, case, manual=bug.fn, input_grads=True)
               for case in model.examples]
    assert not all(report.ok for report in reports), f"no pinned {bug.model} example shows {bug.name}"


@pytest.mark.parametrize("model, reference", [("mlp", zoo.mlp_reference), ("rnn", zoo.rnn_reference)])
def test_references_without_a_bug_pass(model, reference):
    result = crosscheck.verify(model, manual=reference, input_grads=True)
    assert result.ok, result.summary()


def test_the_stack_reference_without_a_bug_passes():
    from crosscheck.zoo import stack_bugs
    result = crosscheck.verify(stack_bugs.STACK, manual=stack_bugs._bug(), input_grads=True)
    assert result.ok, result.summary()


def test_gallery_covers_mlp_rnn_losses_and_the_seeds():
    assert len(zoo.BUGS) >= 20
    assert len(zoo.BY_NAME) == len(zoo.BUGS)              # names are unique
    parts = Counter(bug.part for bug in zoo.BUGS)
    assert parts["mlp"] >= 4 and parts["rnn"] >= 10 and parts["losses"] >= 5
    assert {bug.model for bug in zoo.BUGS} <= set(crosscheck.models())
    origins = Counter(bug.origin for bug in zoo.BUGS)
    assert set(origins) == {"seed 003", "seed 004", "classic"}
    # seeds/README.md lists 1 bug for seed 003 and 6 for seed 004
    assert origins["seed 003"] >= 1 and origins["seed 004"] >= 6
    for bug in zoo.BUGS:
        assert bug.description and "\n" not in bug.description


def test_softmax_without_shift_is_caught_as_nan_on_large_logits():
    (found,) = zoo.hunt(["softmax_without_max_shift"])
    worst = found.result.report.autograd.worst()
    assert "NaN or inf" in worst.problem
    case = found.result.case
    logits, _ = manual.rnn.forward(case.params, case.args[0], output=case.options["output"],
                                   activation=case.options["activation"])
    assert np.abs(logits).max() > 710                     # beyond exp's float64 range


def test_format_table_lists_every_bug_with_its_minimal_case():
    results = zoo.hunt(["mlp_dW_transposed", "rnn_dh0_zero"])
    table = zoo.format_table(results)
    assert "mlp_dW_transposed" in table and "rnn_dh0_zero" in table
    assert table.count(" caught ") == 2 and "2 of 2 bugs caught" in table
    assert "h0(" in table.splitlines()[2] and "output=" in table.splitlines()[2]


def test_cli_zoo_named_bug_exits_0():
    done = crosscheck_cli("zoo", "rnn_carry_missing_transpose", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rnn_carry_missing_transpose" in done.stdout and "1 of 1 bugs caught" in done.stdout


def test_cli_zoo_unknown_bug_exits_2():
    done = crosscheck_cli("zoo", "no_such_bug", timeout=300)
    assert done.returncode == 2
    assert "unknown bug 'no_such_bug'" in done.stderr
