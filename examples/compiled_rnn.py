"""The compiled RNN (extra [numba]): the same call as manual.rnn, the same gradients, faster,
and checked against autograd like any other model; and the compiled sequence network, the
same call as manual.seqnet for any cell (an LSTM here).

    pip install -e '.[numba]' && python examples/compiled_rnn.py
"""
import time

import numpy as np

import crosscheck
from compiled import rnn as compiled_rnn
from compiled import seqnet as compiled_seqnet
from manual import rnn, seqnet


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


def run_seqnet():
    """Return the largest relative gradient difference between manual.seqnet and
    compiled.seqnet for a 2-layer LSTM."""
    rng = np.random.default_rng(1)
    params = seqnet.init_params(10, 16, 3, layers=2, cell="lstm", rng=rng)
    x = rng.standard_normal((8, 20, 10))
    labels = rng.integers(0, 3, 8)

    loss, grads = seqnet.loss_and_grads(params, x, labels, loss="cross_entropy", cell="lstm")
    fast_loss, fast_grads = compiled_seqnet.loss_and_grads(params, x, labels, loss="cross_entropy",
                                                           cell="lstm")
    difference = max(np.abs(fast_grads[k] - grads[k]).max() / np.abs(grads[k]).max() for k in grads)
    print(f"2-layer LSTM: largest gradient difference {difference:.1e} (relative)")
    return difference


if __name__ == "__main__":
    run()
    run_seqnet()
