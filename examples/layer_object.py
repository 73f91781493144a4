"""Check a layer object as it is written: its own parameter names, torch's weight layout,
time-last inputs, gradients kept in a dict on the object, and no initial state.

The recurrent layer below is written here in the manner of numpy-ml's layers: a class whose
``params`` and ``gradients`` are dicts, ``forward(X) -> Y`` and ``backward(dLdY) -> dX``, weights
stored ``(n_out, n_in)`` as PyTorch does (``W_ih`` is our ``Wxh.T``), arrays
``(n_ex, n_features, n_t)`` with time last, and every sequence starting from the zero state.
A few lines of ``supports`` tell ``crosscheck.verify`` how it maps onto this library's
recurrent layer, and it checks the layer against autograd for drawn weights, inputs and
upstream gradients. Then the same with a classic bug, forgetting the gradient carried back
from the next step, which it must catch.

    python examples/layer_object.py [--examples N]

Exits 1 if the correct layer disagrees or the bug gets through.
"""
import argparse
import sys

import numpy as np

import crosscheck


# ----------------------------------------------------------------- the user's code, as written

class VanillaRNN:
    """Elman RNN layer: ``A[:, :, t] = tanh(W_ih @ x_t + W_hh @ a_{t-1} + b)`` per example,
    a_0 = 0. X ``(n_ex, n_in, n_t)`` -> Y ``(n_ex, n_out, n_t)``, every state."""

    def __init__(self, n_in, n_out, seed=0):
        rng = np.random.default_rng(seed)
        bound = 1 / np.sqrt(n_out)
        self.params = {"W_ih": rng.uniform(-bound, bound, (n_out, n_in)),
                       "W_hh": rng.uniform(-bound, bound, (n_out, n_out)),
                       "b": np.zeros(n_out)}
        self.gradients = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache = None

    def forward(self, X):
        W_ih, W_hh, b = self.params["W_ih"], self.params["W_hh"], self.params["b"]
        n_ex, _, n_t = X.shape
        A = np.zeros((n_ex, W_hh.shape[0], n_t + 1), dtype=X.dtype)   # A[..., 0] is a_0
        for t in range(n_t):
            A[:, :, t + 1] = np.tanh(X[:, :, t] @ W_ih.T + A[:, :, t] @ W_hh.T + b)
        self._cache = (X, A)
        return A[:, :, 1:]

    def backward(self, dLdY):
        X, A = self._cache
        W_ih, W_hh = self.params["W_ih"], self.params["W_hh"]
        dX = np.zeros_like(X)
        dA_next = np.zeros_like(A[:, :, 0])
        for t in reversed(range(X.shape[2])):
            dZ = (dLdY[:, :, t] + dA_next) * (1 - A[:, :, t + 1] ** 2)
            self.gradients["W_ih"] += dZ.T @ X[:, :, t]
            self.gradients["W_hh"] += dZ.T @ A[:, :, t]
            self.gradients["b"] += dZ.sum(axis=0)
            dX[:, :, t] = dZ @ W_ih
            dA_next = dZ @ W_hh
        return dX


# ----------------------------------------------------------------- the classic bug

class ForgetsTheCarry(VanillaRNN):
    """Backward through time that drops the gradient coming back from step t + 1: each
    state sees only its own upstream gradient. Right for a sequence of one step."""

    def backward(self, dLdY):
        X, A = self._cache
        W_ih = self.params["W_ih"]
        dX = np.zeros_like(X)
        for t in reversed(range(X.shape[2])):
            dZ = dLdY[:, :, t] * (1 - A[:, :, t + 1] ** 2)        # + dA_next forgotten
            self.gradients["W_ih"] += dZ.T @ X[:, :, t]
            self.gradients["W_hh"] += dZ.T @ A[:, :, t]
            self.gradients["b"] += dZ.sum(axis=0)
            dX[:, :, t] = dZ @ W_ih
        return dX


# ----------------------------------------------------------------- the adapter (9 lines)

def maker(cls):                                 # make(params): a fresh layer holding them
    def make(params):
        layer = cls(params["W_ih"].shape[1], params["W_hh"].shape[0])
        layer.params = params
        return layer
    return make


SUPPORTS = dict(style="object", names={"Wxh": "W_ih", "Whh": "W_hh", "bh": "b", "x": "X"},
                layout={"Wxh": "T", "Whh": "T", "x": (0, 2, 1), "out": (0, 2, 1)},
                fixed={"activation": "tanh", "truncate": None, "h0": None})


def run(cls=VanillaRNN, max_examples=50, seed=0, verbose=True, **options):
    """Verify the layer class (input gradients included; ``options`` go to ``verify``);
    return the VerifyResult."""
    result = crosscheck.verify("recurrent", manual=maker(cls), supports=SUPPORTS, input_grads=True,
                               max_examples=max_examples, seed=seed, **options)
    if verbose:
        print(f"{cls.__name__}: {result.summary()}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50)
    args = parser.parse_args(argv)
    correct = run(VanillaRNN, args.examples)
    buggy = run(ForgetsTheCarry, args.examples)
    ok = correct.ok and not buggy.ok
    print("the layer agrees and the forgotten carry is caught" if ok else "UNEXPECTED VERDICT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
