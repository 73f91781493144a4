"""Hidden-layer activations and their derivatives, shared by ``manual.mlp`` and
``manual.layers.recurrent``.

``ACTIVATIONS[name](z, out)`` writes ``act(z)`` into ``out`` (which may be ``z`` itself)
and returns it. ``DERIVATIVES[name](a, out=None)`` returns ``act'(z)`` computed from the
activation's output ``a = act(z)``, as in seed 001's ``relu_derv(y) = sign(y)``; ReLU's
derivative is taken as 0 at z = 0 (the seed's choice, kept on purpose; ``auto/`` uses
the same convention). As with NumPy's ufuncs, ``out`` is written when given (the time
loops of ``manual.layers.recurrent`` allocate nothing) and a new array is returned when
it is not: for ReLU a boolean mask, an eighth of the memory of a float array (a fresh
array of a few hundred kB costs more to allocate here than to compute, see
``benchmarks/``).
"""
import numpy as np

from manual.losses import sigmoid as _sigmoid


def relu(z, out):
    return np.maximum(z, 0, out=out)


def tanh(z, out):
    return np.tanh(z, out=out)


def sigmoid(z, out):
    # manual.losses.sigmoid is the stable form (exp of non-positive numbers only)
    np.copyto(out, _sigmoid(z))
    return out


def relu_derivative(a, out=None):
    """1 where a > 0, else 0 (a boolean mask when ``out`` is None)."""
    return np.greater(a, 0, out=out)


def tanh_derivative(a, out=None):
    """1 - a**2."""
    out = np.multiply(a, a, out=out)
    return np.subtract(1, out, out=out)


def sigmoid_derivative(a, out=None):
    """a * (1 - a)."""
    out = np.subtract(1, a, out=out)
    return np.multiply(out, a, out=out)


ACTIVATIONS = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}
DERIVATIVES = {"relu": relu_derivative, "tanh": tanh_derivative,
               "sigmoid": sigmoid_derivative}
