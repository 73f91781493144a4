"""Twenty examples reach every regime of every recurrent layer and model: each output
mode (or where the upstream gradient arrives) x full BPTT / a window shorter than T /
equal to T / longer than T x initial states given or not x each cell (crosscheck.regimes)."""
import numpy as np
import pytest

import crosscheck
from crosscheck import regimes
from crosscheck.registry import Case


@pytest.mark.parametrize("entry", regimes.ENTRIES, ids=[e.name for e in regimes.ENTRIES])
def test_twenty_examples_reach_every_regime(entry):
    model = crosscheck.get(entry.name)
    seen = set()

    def recording(params, *args, **options):
        seen.add(regimes.of(entry, Case(params, args, {k: v for k, v in options.items()
                                                       if k != "return_input_grads"})))
        return model.manual(params, *args, **options)

    result = crosscheck.verify(model, manual=recording, max_examples=20, seed=0, profile="ci")
    assert result.ok, result.summary()
    assert regimes.required(entry) <= seen, sorted(regimes.required(entry) - seen, key=str)


def test_the_truncation_classes():
    assert [regimes.truncation(k, 3) for k in (None, 2, 3, 4)] == list(regimes.TRUNCATIONS)
    assert np.all([regimes.truncation(1, t) == "shorter" for t in (2, 5)])
