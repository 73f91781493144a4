"""What checking the arguments costs: a model's ``loss_and_grads`` (which validates every
argument first) against the same work without the checks (its unchecked ``_forward``,
loss and ``_backward``), at the benchmark's smallest shapes, where the checks weigh most.

    python -m benchmarks.validation

Interleaved medians (:mod:`benchmarks.timing`); prints a Markdown table of the time per
call with and without the checks, their difference and its share of the call.
"""
import numpy as np

from benchmarks import models, timing
from modelspec import table
from manual.losses import _loss_and_grad_of_model


def _unchecked(problem):
    """The call ``loss_and_grads`` makes once its arguments are checked."""
    module = problem.model.manual_module()
    options = dict(problem.options)
    if problem.model is table.RNN:
        def call():
            logits, cache = module._forward(problem.params, problem.x, None, options["output"],
                                            options["activation"])
            value, dlogits = _loss_and_grad_of_model(options["loss"], logits, problem.y, "mean")
            return module._backward(problem.params, cache, dlogits, options["truncate"], False)
    else:
        def call():
            logits, cache = module._forward(problem.params, problem.x, options["activation"])
            value, dlogits = _loss_and_grad_of_model(options["loss"], logits, problem.y, "mean")
            return module._backward(problem.params, cache, dlogits, False)
    return call


def measure(settings=timing.FULL):
    """``[(label, checked seconds, unchecked seconds)]`` for the smallest RNN shape (every
    variant) and the MLP."""
    smallest = [models.rnn_problem(models.RNN_SHAPES[0], variant) for variant in models.RNN_VARIANTS]
    out = []
    for problem in smallest + models.mlp_problems():
        fn = problem.model.manual_module().loss_and_grads
        contenders = {"checked": (lambda: fn(problem.params, problem.x, problem.y, **problem.options), "numpy"),
                      "unchecked": (_unchecked(problem), "numpy")}
        times = timing.round_robin(contenders, settings)
        label = f"{problem.model.name} {problem.label} {problem.variant or ''}".strip()
        out.append((label, times["checked"].median, times["unchecked"].median))
    return out


def main():
    print("| problem | with the checks | without | the checks | share |")
    print("|---|---|---|---|---|")
    for label, checked, unchecked in measure():
        cost = checked - unchecked
        print(f"| {label} | {checked * 1e6:.0f} µs | {unchecked * 1e6:.0f} µs | {cost * 1e6:.0f} µs | "
              f"{cost / checked:.0%} |")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
