"""Where the cross-check's time goes: one ``crosscheck.verify`` under cProfile, its time
split by what the functions do.

- case generation: the model's Hypothesis strategy (the composites of
  ``crosscheck/strategies.py``);
- autograd: ``check._auto_value_and_grads`` (the autograd twin's loss and gradients);
- finite differences: ``numeric.numeric_grad`` (every entry) and
  ``numeric.directional_derivatives`` (along a direction per key);
- checked function: ``contracts.call`` (the hand-written function, the public path of a
  model and the contracts' re-calls);
- comparison: ``compare.compare``;
- other: the rest (Hypothesis's engine, the per-case bookkeeping).

Each category is the cumulative time of its functions; they do not nest. cProfile slows
pure-Python code (Hypothesis's drawing) more than NumPy-heavy code, so the shares are of
the profiled run, not of an unprofiled one.
"""
import cProfile
import pstats
import time

import crosscheck

_STRATEGIES = "crosscheck/strategies.py"
CATEGORIES = {
    "case generation": lambda path, name: path.endswith(_STRATEGIES) and name.endswith("cases"),
    "autograd": lambda path, name: path.endswith("crosscheck/check.py") and name == "_auto_value_and_grads",
    "finite differences": lambda path, name: (path.endswith("crosscheck/numeric.py")
                                              and name in ("numeric_grad", "directional_derivatives")),
    "checked function": lambda path, name: path.endswith("crosscheck/contracts.py") and name == "call",
    "comparison": lambda path, name: path.endswith("crosscheck/compare.py") and name == "compare",
}
ORDER = tuple(CATEGORIES) + ("other",)


def profile(name, examples):
    """``{category: seconds}`` (``ORDER``'s keys) and the total of one profiled
    ``verify(name, max_examples=examples, seed=0, profile="ci")``."""
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    crosscheck.verify(name, max_examples=examples, seed=0, profile="ci")
    profiler.disable()
    total = time.perf_counter() - start
    seconds = dict.fromkeys(ORDER, 0.0)
    for (path, _, function), (_, _, _, cumulative, _) in pstats.Stats(profiler).stats.items():
        for category, matches in CATEGORIES.items():
            if matches(path, function):
                seconds[category] += cumulative
    seconds["other"] = max(0.0, total - sum(seconds.values()))
    return seconds, total
