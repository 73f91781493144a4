"""The property suite: one harness for every registered model (no copy per model).

Each test runs the model's Hypothesis strategy under the loaded profile (``ci`` in CI:
derandomized, fixed example count) through ``crosscheck.verify``: loss, every parameter
gradient and the input gradients agree with autograd, and on small smooth cases
autograd agrees with central finite differences.
"""
import numpy as np
import pytest
from hypothesis import settings

import crosscheck


@pytest.mark.parametrize("name", crosscheck.models())
def test_manual_matches_autograd(name):
    result = crosscheck.verify(name)
    assert result.ok, result.summary()
    assert result.examples >= settings().max_examples
    assert result.numeric_examples > 0, "no case was small and smooth enough for finite differences"


@pytest.mark.parametrize("name", crosscheck.models())
def test_float32_matches_autograd(name):
    result = crosscheck.verify(name, dtype=np.float32)
    assert result.ok, result.summary()
