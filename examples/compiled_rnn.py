"""The compiled RNN (extra [numba]): the same call as manual.rnn, the same gradients, faster,
and checked against autograd like any other model.

    pip install -e '.[numba]' && python examples/compiled_rnn.py
"""
import time

import numpy as np

import crosscheck
from compiled import rnn as compiled_rnn
from manual import rnn


def run(examples=100):
    """Return ``(largest relative gradient difference, NumPy ms / compiled ms, verify result)``."""
    rng = np.random.default_rng(0)
    params = rnn.init_params(100, 32, 1, rng=rng)
    x = rng.standard_normal((32, 100, 100))
    y = rng.integers(0, 2, (32, 1)).astype(float)

    loss, grads = rnn.loss_and_grads(params, x, y, loss="bce")
    fast_loss, fast_grads = compiled_rnn.loss_and_grads(params, x, y, loss="bce")   # compiles once
    difference = max(np.abs(fast_grads[k] - grads[k]).max() / np.abs(grads[k]).max() for k in grads)

    def ms(fn):
        start = time.perf_counter()
        for _ in range(5):
            fn.loss_and_grads(params, x, y, loss="bce")
        return (time.perf_counter() - start) / 5 * 1e3
    speedup = ms(rnn) / ms(compiled_rnn)

    result = crosscheck.verify("rnn_numba", max_examples=examples, seed=0)
    print(f"largest gradient difference {difference:.1e} (relative), "
          f"{speedup:.1f}x the NumPy loops' speed; {result.summary()}")
    return difference, speedup, result


if __name__ == "__main__":
    run()
