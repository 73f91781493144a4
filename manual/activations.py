"""Hidden-layer activations and their derivatives, shared by ``manual.mlp`` and
``manual.layers.recurrent``.

Public functions (checked): ``relu(z, out=None)``, ``tanh``, ``sigmoid`` return ``act(z)``;
``relu_derivative(a, out=None)``, ``tanh_derivative``, ``sigmoid_derivative`` return
``act'(z)`` computed from the activation's output ``a = act(z)``, as in seed 001's
``relu_derv(y) = sign(y)``; ReLU's derivative is taken as 0 at z = 0 (the seed's choice,
kept on purpose; ``auto/`` uses the same convention).

What they take: z (or a) any shape with at least one element, float32/float64 (kept) or
int/bool (computed in float64, as ``manual.losses`` computes integer logits); float16,
complex, NaN, inf and empty arrays are refused, and ``a`` must lie in the activation's
range (ReLU ``a >= 0``, tanh ``[-1, 1]``, sigmoid ``[0, 1]``). ``out``: None (a new array
is returned) or an ndarray of z's shape and float dtype to write into, z itself allowed.

``ACTIVATIONS[name](z, out)`` and ``DERIVATIVES[name](a, out=None)`` are the same
functions unchecked, for the time loops of ``manual.layers.recurrent`` (which allocate
nothing: ``out`` is written, never overlapping the input: the sigmoid derivative reads a
after writing out) and ``manual.mlp``; ``DERIVATIVES["relu"]`` without ``out``
returns a boolean mask, an eighth of the memory of a float array (a fresh array of a few
hundred kB costs more to allocate here than to compute, see ``benchmarks/``).
"""
import numpy as np

from manual.losses import _sigmoid as _stable_sigmoid
from modelspec import checks


def _checked(name, z, out, low=None, high=None, what=None):
    """``(z, out)`` checked: z as a float array (see the module doc) within [low, high] (an
    output of ``what``), out an array of its shape and dtype (a new one when None)."""
    z = checks.nonempty_real_array(name, z)
    if (low is not None and z.min() < low) or (high is not None and z.max() > high):
        raise ValueError(f"{name} must lie in [{low}, {'inf' if high is None else high}] (an output "
                         f"of {what}); got values from {z.min()} to {z.max()}")
    if out is None:
        return z, np.empty_like(z)
    if not isinstance(out, np.ndarray) or out.dtype != z.dtype or out.shape != z.shape:
        raise TypeError(f"out must be None or a {z.dtype} ndarray of shape {checks.shape_text(z.shape)} "
                        f"(the dtype and shape of {name}); got "
                        + (f"{out.dtype} {checks.shape_text(out.shape)}" if isinstance(out, np.ndarray)
                           else type(out).__name__))
    if not out.flags.writeable:
        raise ValueError("out must be writeable")
    return z, out


def _apply(fn, z, out):
    """``fn(z, out)``, right also when out overlaps z (``sigmoid_derivative`` writes 1 - a
    into out before it reads a again): then through a new array."""
    if np.may_share_memory(z, out):
        np.copyto(out, fn(z, None))
        return out
    return fn(z, out)


# --- unchecked: ACTIVATIONS and DERIVATIVES ----------------------------------------------

def _relu(z, out):
    return np.maximum(z, 0, out=out)


def _tanh(z, out):
    return np.tanh(z, out=out)


def _sigmoid(z, out):
    # the stable form of manual.losses (exp of non-positive numbers only)
    return _stable_sigmoid(z, out=out)


def _relu_derivative(a, out=None):
    # 1 where a > 0, else 0 (a boolean mask when out is None)
    return np.greater(a, 0, out=out)


def _tanh_derivative(a, out=None):
    # 1 - a**2
    out = np.multiply(a, a, out=out)
    return np.subtract(1, out, out=out)


def _sigmoid_derivative(a, out=None):
    # a * (1 - a)
    out = np.subtract(1, a, out=out)
    return np.multiply(out, a, out=out)


ACTIVATIONS = {"relu": _relu, "tanh": _tanh, "sigmoid": _sigmoid}
DERIVATIVES = {"relu": _relu_derivative, "tanh": _tanh_derivative,
               "sigmoid": _sigmoid_derivative}


# --- public, checked -----------------------------------------------------------------------

def relu(z, out=None):
    """``max(z, 0)``. Inputs: z (see the module doc), out. Returns: an array of z's shape."""
    return _apply(_relu, *_checked("z", z, out))


def tanh(z, out=None):
    """``tanh(z)``. Inputs: z (see the module doc), out. Returns: an array of z's shape."""
    return _apply(_tanh, *_checked("z", z, out))


def sigmoid(z, out=None):
    """``1 / (1 + exp(-z))``, stable for any finite z. Inputs: z (see the module doc), out.
    Returns: an array of z's shape."""
    return _apply(_sigmoid, *_checked("z", z, out))


def relu_derivative(a, out=None):
    """1 where ``a > 0``, else 0, as a float array. Inputs: a = relu(z), >= 0; out.
    Returns: an array of a's shape and float dtype."""
    return _apply(_relu_derivative, *_checked("a", a, out, 0, None, "relu"))


def tanh_derivative(a, out=None):
    """``1 - a**2``. Inputs: a = tanh(z), in [-1, 1]; out. Returns: an array of a's shape."""
    return _apply(_tanh_derivative, *_checked("a", a, out, -1, 1, "tanh"))


def sigmoid_derivative(a, out=None):
    """``a * (1 - a)``. Inputs: a = sigmoid(z), in [0, 1]; out. Returns: an array of a's shape."""
    return _apply(_sigmoid_derivative, *_checked("a", a, out, 0, 1, "sigmoid"))
