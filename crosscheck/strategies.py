"""Hypothesis strategies that draw valid cases by construction (no ``assume``).

Values are bounded and finite, never NaN or subnormal (autograd's derivative rules go
wrong at subnormals), and every element of an array is drawn on its own
(``fill=nothing()``), so that matrices are not mostly one repeated value: a missing
transpose needs a non-symmetric matrix to show.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import modelspec
from crosscheck.registry import Case

# Weights in [-1, 1] and inputs in [-2, 2]: with at most 8 units a layer, a tanh or sigmoid
# pre-activation stays within |z| <= 8 * 1 * 1 + 1 = 9, where the derivative computed from
# the unit's output (1 - a**2) still holds 8 significant digits (see crosscheck.compare).
WEIGHT_BOUND = 1.0
INPUT_BOUND = 2.0


def floats(bound, dtype=np.float64):
    """Finite, non-subnormal floats in [-bound, bound] representable in ``dtype``."""
    bound = float(np.dtype(dtype).type(bound))      # the nearest bound that dtype represents
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False, width=np.dtype(dtype).itemsize * 8)


def float_arrays(shape, bound, dtype=np.float64):
    """Arrays of ``shape`` whose every element is drawn from :func:`floats`."""
    return arrays(dtype, shape, elements=floats(bound, dtype), fill=st.nothing())


def targets(loss, out_shape, dtype=np.float64):
    """Targets that fit ``loss`` for network output of ``out_shape`` (see modelspec.check_target)."""
    if loss == "cross_entropy":
        return arrays(np.int64, out_shape[:-1], elements=st.integers(0, out_shape[-1] - 1),
                      fill=st.nothing())
    if loss == "bce":
        return arrays(dtype, out_shape, elements=st.floats(0, 1, allow_subnormal=False,
                                                           width=np.dtype(dtype).itemsize * 8),
                      fill=st.nothing())
    return float_arrays(out_shape, INPUT_BOUND, dtype)


@st.composite
def mlp_cases(draw, dtype=np.float64, max_depth=4, max_width=8, max_batch=8):
    """MLP cases: 0..max_depth hidden layers, widths and batch 1..8, every loss,
    activation and reduction."""
    depth = draw(st.integers(0, max_depth))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=depth + 2, max_size=depth + 2))
    batch = draw(st.integers(1, max_batch))
    options = dict(loss=draw(st.sampled_from(modelspec.LOSSES)),
                   activation=draw(st.sampled_from(modelspec.mlp.ACTIVATIONS)),
                   reduction=draw(st.sampled_from(modelspec.REDUCTIONS)))
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"W{i}"] = draw(float_arrays((fan_in, fan_out), WEIGHT_BOUND, dtype))
        params[f"b{i}"] = draw(float_arrays((fan_out,), WEIGHT_BOUND, dtype))
    x = draw(float_arrays((batch, sizes[0]), INPUT_BOUND, dtype))
    y = draw(targets(options["loss"], (batch, sizes[-1]), dtype))
    return Case(params, (x, y), options)


@st.composite
def linear_cases(draw, dtype=np.float64, max_lead=3, max_size=4, max_width=8):
    """Linear layer cases: 1 to 3 leading axes of 1-4 (the batch first), n_in and n_out
    1-8, and an upstream gradient dout of the output's shape."""
    lead = tuple(draw(st.lists(st.integers(1, max_size), min_size=1, max_size=max_lead)))
    n_in, n_out = draw(st.integers(1, max_width)), draw(st.integers(1, max_width))
    params = {"W": draw(float_arrays((n_in, n_out), WEIGHT_BOUND, dtype)),
              "b": draw(float_arrays((n_out,), WEIGHT_BOUND, dtype))}
    x = draw(float_arrays(lead + (n_in,), INPUT_BOUND, dtype))
    dout = draw(float_arrays(lead + (n_out,), INPUT_BOUND, dtype))
    return Case(params, (x, dout), {})


def _truncations(steps):
    # four regimes, each drawn a quarter of the time: full BPTT, a window shorter than T
    # (the gradient is cut inside the sequence; 1 when T = 1), exactly T (h_0 held
    # constant) and longer than T (full BPTT again)
    return (st.none() | st.integers(1, max(1, steps - 1)) | st.just(steps)
            | st.integers(steps + 1, steps + 2))


def _recurrent_part(draw, dtype, max_batch, max_time, max_in, max_hidden):
    """What the recurrent layer and the RNN share: ``(params, x, options)`` with
    Wxh, Whh, bh, x real or one-hot, activation, truncate and (half the time) h0.

    n_in and H are drawn independently, so Wxh is mostly non-square, and every element
    of Whh is drawn on its own, so it is almost never symmetric: a missing transpose
    changes the result.
    """
    batch, steps = draw(st.integers(1, max_batch)), draw(st.integers(1, max_time))
    n_in, hidden = draw(st.integers(1, max_in)), draw(st.integers(1, max_hidden))
    options = dict(truncate=draw(_truncations(steps)),
                   activation=draw(st.sampled_from(modelspec.recurrent.ACTIVATIONS)))
    params = {"Wxh": draw(float_arrays((n_in, hidden), WEIGHT_BOUND, dtype)),
              # |Whh| <= 1/sqrt(H) keeps a ReLU recurrence from growing faster than about
              # sqrt(H) per step, so ten steps stay far from overflow in float32
              "Whh": draw(float_arrays((hidden, hidden), WEIGHT_BOUND / np.sqrt(hidden), dtype)),
              "bh": draw(float_arrays((hidden,), WEIGHT_BOUND, dtype))}
    if draw(st.booleans()):
        tokens = draw(arrays(np.int64, (batch, steps), elements=st.integers(0, n_in - 1),
                             fill=st.nothing()))
        x = np.eye(n_in, dtype=dtype)[tokens]
    else:
        x = draw(float_arrays((batch, steps, n_in), INPUT_BOUND, dtype))
    if draw(st.booleans()):
        options["h0"] = draw(float_arrays((batch, hidden), WEIGHT_BOUND, dtype))
    return params, x, options


@st.composite
def recurrent_cases(draw, dtype=np.float64, max_batch=6, max_time=10, max_in=5, max_hidden=6):
    """Recurrent layer cases: the RNN's shapes, activations, truncations and h0, with an
    upstream gradient at every state (dout ``(batch, time, H)``), at the last state only
    (``dh_last``, dout None: what a many-to-one head sends), or both."""
    params, x, options = _recurrent_part(draw, dtype, max_batch, max_time, max_in, max_hidden)
    batch, steps, _ = x.shape
    hidden = params["Whh"].shape[0]
    where = draw(st.sampled_from(("every", "last", "both")))
    dout = None if where == "last" else draw(float_arrays((batch, steps, hidden), INPUT_BOUND, dtype))
    if where != "every":
        options["dh_last"] = draw(float_arrays((batch, hidden), INPUT_BOUND, dtype))
    return Case(params, (x, dout), options)


@st.composite
def rnn_cases(draw, dtype=np.float64, max_batch=6, max_time=10, max_in=5, max_hidden=6, max_out=3):
    """RNN cases: batch 1-6, time 1-10, n_in 1-5, H 1-6, n_out 1-3; both outputs, every
    loss, both reductions and activations; truncate None or 1 .. time + 2; with and
    without h0; x real or one-hot tokens (the seeds' encoding); see :func:`_recurrent_part`.
    """
    params, x, part = _recurrent_part(draw, dtype, max_batch, max_time, max_in, max_hidden)
    batch, steps, _ = x.shape
    hidden, n_out = params["Whh"].shape[0], draw(st.integers(1, max_out))
    options = dict(loss=draw(st.sampled_from(modelspec.LOSSES)),
                   output=draw(st.sampled_from(modelspec.rnn.OUTPUTS)),
                   truncate=part.pop("truncate"),
                   reduction=draw(st.sampled_from(modelspec.REDUCTIONS)), **part)
    params["Wy"] = draw(float_arrays((hidden, n_out), WEIGHT_BOUND, dtype))
    params["by"] = draw(float_arrays((n_out,), WEIGHT_BOUND, dtype))
    out_shape = (batch, n_out) if options["output"] == "last" else (batch, steps, n_out)
    y = draw(targets(options["loss"], out_shape, dtype))
    return Case(params, (x, y), options)
