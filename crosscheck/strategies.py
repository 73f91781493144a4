"""Hypothesis strategies that draw valid cases by construction (no ``assume``).

Values are bounded and finite, never NaN or subnormal (autograd's derivative rules go
wrong at subnormals), and every element of an array is drawn on its own (its own random
32-bit word, :func:`banded_arrays`), so that matrices are not mostly one repeated value: a
missing transpose needs a non-symmetric matrix to show.

Every strategy takes ``supports``: None (draw everything) or a dict normalized by
:func:`crosscheck.supports.validate` (the options, sizes and input kinds a checked function
supports), and then draws only what it allows, by construction (``sampled_from`` of the
allowed values, integer ranges), never by filtering. The sizes a strategy draws, and so
the sizes ``supports`` may narrow, are its ``sizes`` attribute: ``{name: (min, max)}``;
its ``flags`` attribute names the yes/no keys it honours (``one_hot``).
"""
import functools
import itertools
import numbers
from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

import modelspec
from modelspec import table
from crosscheck.registry import Case

# Weights in [-1, 1] and inputs in [-2, 2]: with at most 8 units a layer, a tanh or sigmoid
# pre-activation stays within |z| <= 8 * 1 * 1 + 1 = 9, where the derivative computed from
# the unit's output (1 - a**2) still holds 8 significant digits (see crosscheck.compare).
WEIGHT_BOUND = 1.0
INPUT_BOUND = 2.0

# Magnitudes beyond the ordinary, so that drawn cases show what only large numbers show:
# parameter gradients above 5 (code that clips them inside its backward pass, as
# min-char-rnn does with np.clip(d, -5, 5)) and logits beyond 709, where exp overflows (a
# softmax without the max shift). A model's output layer and its MSE targets are drawn
# element by element (:func:`magnitude_arrays`): each element is ordinary ([-1, 1], targets
# [-2, 2]) or, with either sign, m / 2 to m times that, for each m below equally often:
# - output weights, m = 100: logits in the hundreds, gradients of everything below up to
#   100 times larger. Not more: central finite differences lose about 1e-11 * (output
#   weight)**2 relative near a softmax tie (1e-7 at 100; 1.1e-5 was found at 1000, over
#   their 1e-5).
# - output biases, m = 2000: |bias| >= 1000, so a logit usually lies beyond exp's range
#   (709) whatever the hidden units add (tests/crosscheck/test_strategies.py asserts it is
#   reached); a bias moves the logits without curvature, so finite differences do not mind it.
# - MSE targets, m = 30 and 1000.
# Per element rather than one scale per case, because Hypothesis spends most of a run on
# small changes to earlier cases: a per-case choice stays as it was, while every changed
# element can take a magnitude of its own. A layer's backward pass is linear in its upstream
# gradient, so there one drawn scale per case does as well (:func:`dout_scales`). Every
# loss is stable at any finite logit, so correct code still agrees in float32 (max 3e38)
# within crosscheck.compare's tolerances, which are relative to each array's scale.
OUTPUT_WEIGHT_MAGNITUDES = (100.0,)
OUTPUT_BIAS_MAGNITUDES = (2000.0,)
TARGET_MAGNITUDES = (30.0, 1000.0)
DOUT_SCALES = (30.0, 1000.0)


def dout_scales():
    """A layer's upstream gradient scale s, dout in [-2s, 2s]: 1 half the time, else one of
    :data:`DOUT_SCALES`."""
    return st.just(1.0) | st.sampled_from(DOUT_SCALES)


def floats(bound, dtype=np.float64):
    """Finite, non-subnormal floats in [-bound, bound] representable in ``dtype``."""
    bound = float(np.dtype(dtype).type(bound))      # the nearest bound that dtype represents
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False, width=np.dtype(dtype).itemsize * 8)


# How array elements are drawn. One Hypothesis choice per element (``arrays(...,
# elements=st.floats(...))``) cost most of a run's time: the engine's bookkeeping of each
# choice dwarfs the gradient check of a small case. Instead every element is one random
# 32-bit word, and the words come in chunks of CHUNK_WORDS, each chunk one ``st.binary``
# choice of fixed length. Fixed-length chunks keep Hypothesis's shrinking as it was: a
# smaller shape draws fewer chunks and the ones it keeps are the same choices (a
# bytes choice of another length would not fit the recorded one and be replaced by zeros);
# a chunk shrinks towards zero bytes, i.e. elements towards 0 (and integers towards their
# lowest value), element by element.
CHUNK_WORDS = 8
_CHUNK_BYTES = 4 * CHUNK_WORDS
_FRACTION_BITS = 23


class Band(NamedTuple):
    """Where an element may lie: ``[low, high]``, or with either sign when ``signed``
    (``Band(0, b, True)`` is [-b, b]; ``Band(0, 0, False)`` exactly 0)."""
    low: float
    high: float
    signed: bool = True


def _words(draw, count):
    """``count`` independent uint32 words (as int64), drawn as fixed-length chunks (see above)."""
    chunks = [draw(_CHUNK) for _ in range(-(-count // CHUNK_WORDS))]
    return np.frombuffer(b"".join(chunks), dtype=">u4")[:count].astype(np.int64)


_CHUNK = st.binary(min_size=_CHUNK_BYTES, max_size=_CHUNK_BYTES)


def _shape(shape):
    return (int(shape),) if isinstance(shape, numbers.Integral) else tuple(int(n) for n in shape)


def banded_arrays(shape, bands, dtype=np.float64):
    """Arrays of ``shape`` whose every element is drawn on its own from one of ``bands``
    (:class:`Band`, each equally likely: the word's top byte picks it, so shrinking goes
    to the first), uniform in it (23 bits; 0 at the word 0), with a random sign where the
    band is signed. Never subnormal: a nonzero magnitude is at least ``high / 2**23``."""
    return _banded_arrays(_shape(shape), tuple(bands), np.dtype(dtype))


# One strategy object per distinct (shape, bands, dtype), as for integer_arrays: Hypothesis
# validates and labels every new strategy object it draws from, which cost more than the
# drawing itself when a case made a new one for each of its arrays.
@functools.lru_cache(maxsize=None)
@st.composite
def _banded_arrays(draw, shape, bands, dtype):
    words = _words(draw, int(np.prod(shape)))
    low, high = (np.array(column, dtype=np.float64) for column in list(zip(*bands))[:2])
    signed = np.array([band.signed for band in bands])
    band = ((words >> 24) * len(bands)) >> 8
    fraction = ((words >> 1) & (2 ** _FRACTION_BITS - 1)) / (2 ** _FRACTION_BITS - 1)
    value = low[band] + fraction * (high[band] - low[band])
    value = np.where((words & 1).astype(bool) & signed[band], -value, value)
    return value.astype(dtype).reshape(shape)


def integer_arrays(shape, low, high):
    """int64 arrays of ``shape``, every element drawn on its own from ``low .. high``
    (shrinking towards ``low``)."""
    return _integer_arrays(_shape(shape), int(low), int(high))


@functools.lru_cache(maxsize=None)
@st.composite
def _integer_arrays(draw, shape, low, high):
    return (low + _words(draw, int(np.prod(shape))) % (high - low + 1)).reshape(shape)


def float_arrays(shape, bound, dtype=np.float64):
    """Arrays of ``shape`` whose every element is drawn on its own, uniform in
    [-bound, bound] (:func:`banded_arrays`)."""
    return banded_arrays(shape, [Band(0.0, bound)], dtype)


def magnitude_arrays(shape, bound, magnitudes, dtype=np.float64):
    """Arrays of ``shape`` whose every element is drawn on its own: from [-bound, bound],
    or, with either sign, from [m * bound / 2, m * bound] for one m of ``magnitudes``
    (each choice equally likely)."""
    return banded_arrays(shape, [Band(0.0, bound)] + [Band(m * bound / 2, m * bound) for m in magnitudes],
                         dtype)


def targets(loss, out_shape, dtype=np.float64):
    """Targets that fit ``loss`` for network output of ``out_shape`` (see modelspec.check_target);
    MSE targets from :func:`magnitude_arrays` at :data:`TARGET_MAGNITUDES`."""
    if loss == "cross_entropy":
        return integer_arrays(out_shape[:-1], 0, out_shape[-1] - 1)
    if loss == "bce":
        return banded_arrays(out_shape, [Band(0.0, 1.0, signed=False)], dtype)
    return magnitude_arrays(out_shape, INPUT_BOUND, TARGET_MAGNITUDES, dtype)


# --------------------------------------------------------------------------- supports

def _allowed(supports, key, default):
    """What ``supports`` allows for ``key``: ``default`` when it says nothing about it."""
    return default if supports is None or key not in supports else supports[key]


def _choice(supports, key, values):
    """One of the ``values`` of option ``key`` that ``supports`` allows."""
    return st.sampled_from(_allowed(supports, key, values))


def _size(supports, key, sizes):
    """An int in the range of ``key``: ``sizes[key]``, or what ``supports`` narrows it to."""
    low, high = _allowed(supports, key, sizes[key])
    return st.integers(low, high)


def _given(supports, key):
    """Whether an optional array (``h0``, ``dh_last``) is given: True, False or either."""
    allowed = _allowed(supports, key, "either")
    return st.booleans() if allowed == "either" else st.just(allowed)


def _declares(sizes, flags=()):
    """Mark a strategy with the sizes and flags that ``supports`` may restrict."""
    def mark(strategy):
        strategy.sizes, strategy.flags = sizes, flags
        return strategy
    return mark


# --------------------------------------------------------------------------- strategies

MLP_SIZES = dict(batch=(1, 8), depth=(0, 4), n_in=(1, 8), hidden=(1, 8), n_out=(1, 8))


@_declares(MLP_SIZES)
@st.composite
def mlp_cases(draw, dtype=np.float64, supports=None):
    """MLP cases: 0-4 hidden layers (``depth``), n_in, every hidden width and n_out 1-8,
    batch 1-8, every loss, activation and reduction; the output layer's W and b (and MSE
    targets) from :func:`magnitude_arrays`. x ``(batch, n_in)``."""
    depth = draw(_size(supports, "depth", MLP_SIZES))
    sizes = [draw(_size(supports, "n_in", MLP_SIZES))]
    sizes += draw(st.lists(_size(supports, "hidden", MLP_SIZES), min_size=depth, max_size=depth))
    sizes.append(draw(_size(supports, "n_out", MLP_SIZES)))
    batch = draw(_size(supports, "batch", MLP_SIZES))
    options = dict(loss=draw(_choice(supports, "loss", modelspec.LOSSES)),
                   activation=draw(_choice(supports, "activation", modelspec.mlp.ACTIVATIONS)),
                   reduction=draw(_choice(supports, "reduction", modelspec.REDUCTIONS)))
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i < depth:
            params[f"W{i}"] = draw(float_arrays((fan_in, fan_out), WEIGHT_BOUND, dtype))
            params[f"b{i}"] = draw(float_arrays((fan_out,), WEIGHT_BOUND, dtype))
        else:                                           # the output layer
            params[f"W{i}"] = draw(magnitude_arrays((fan_in, fan_out), WEIGHT_BOUND,
                                                    OUTPUT_WEIGHT_MAGNITUDES, dtype))
            params[f"b{i}"] = draw(magnitude_arrays((fan_out,), WEIGHT_BOUND,
                                                    OUTPUT_BIAS_MAGNITUDES, dtype))
    x = draw(float_arrays((batch, sizes[0]), INPUT_BOUND, dtype))
    y = draw(targets(options["loss"], (batch, sizes[-1]), dtype))
    return Case(params, (x, y), options)


LINEAR_SIZES = dict(leading_axes=(1, 3), batch=(1, 4), n_in=(1, 8), n_out=(1, 8))


@_declares(LINEAR_SIZES)
@st.composite
def linear_cases(draw, dtype=np.float64, supports=None):
    """Linear layer cases: 1 to 3 leading axes (``leading_axes``), the first the batch
    (1-4), the others 1-4; n_in and n_out 1-8; an upstream gradient dout of the output's
    shape at a drawn :func:`dout_scales`."""
    axes = draw(_size(supports, "leading_axes", LINEAR_SIZES))
    lead = (draw(_size(supports, "batch", LINEAR_SIZES)),)
    lead += tuple(draw(st.lists(st.integers(1, 4), min_size=axes - 1, max_size=axes - 1)))
    n_in, n_out = draw(_size(supports, "n_in", LINEAR_SIZES)), draw(_size(supports, "n_out", LINEAR_SIZES))
    params = {"W": draw(float_arrays((n_in, n_out), WEIGHT_BOUND, dtype)),
              "b": draw(float_arrays((n_out,), WEIGHT_BOUND, dtype))}
    x = draw(float_arrays(lead + (n_in,), INPUT_BOUND, dtype))
    dout = draw(float_arrays(lead + (n_out,), INPUT_BOUND * draw(dout_scales()), dtype))
    return Case(params, (x, dout), {})


ACTIVATION_SIZES = dict(axes=(1, 4), batch=(1, 4))
# Saturated inputs: |x| in [20, 40], where sigmoid and tanh are 1 (or 0, -1) or next to it
# in either dtype and their derivatives (nearly) 0. Not between about 5 and 20: there a
# float32 derivative taken from the output (1 - a**2, a * (1 - a)) keeps few digits of its
# own small size (a = tanh(6) holds 1 - a**2 = 2.5e-5 to 0.2%), so with a large dout a
# correct float32 layer fails rtol 1e-3 of a reference no larger than itself; above 20
# both sides are below float32's atol. Not beyond 40: autograd's tanh derivative
# 1 / cosh(x)**2 overflows float32 at 45.
SATURATED = (20.0, 40.0)


# An activation's input element: ordinary (in [-2, 2]), exactly 0 (ReLU's kink) or
# saturated (:data:`SATURATED`, either sign), each a third of the time.
ACTIVATION_BANDS = (Band(0.0, INPUT_BOUND), Band(0.0, 0.0, signed=False), Band(*SATURATED))


@_declares(ACTIVATION_SIZES)
@st.composite
def activation_cases(draw, dtype=np.float64, supports=None):
    """Activation layer cases: relu, tanh or sigmoid; no parameters; x of 1 to 4 axes
    (``axes``), the first the batch (1-4), the others 1-3, every element drawn by
    :data:`ACTIVATION_BANDS` (ordinary, exactly 0, saturated); an upstream gradient dout
    of x's shape at a drawn :func:`dout_scales`."""
    activation = draw(_choice(supports, "activation", modelspec.activation.ACTIVATIONS))
    axes = draw(_size(supports, "axes", ACTIVATION_SIZES))
    shape = (draw(_size(supports, "batch", ACTIVATION_SIZES)),)
    shape += tuple(draw(st.lists(st.integers(1, 3), min_size=axes - 1, max_size=axes - 1)))
    x = draw(banded_arrays(shape, ACTIVATION_BANDS, dtype))
    dout = draw(float_arrays(shape, INPUT_BOUND * draw(dout_scales()), dtype))
    return Case({}, (x, dout), dict(activation=activation))


def _truncations(steps, supports):
    # four regimes, each drawn a quarter of the time: full BPTT, a window shorter than T
    # (the gradient is cut inside the sequence: 2 .. T-1, so that some carry is cut, or 1
    # when T <= 2), exactly T (h_0 held constant) and longer than T (full BPTT again); or
    # one of the windows supports allows
    allowed = _allowed(supports, "truncate", "any")
    if allowed != "any":
        return st.sampled_from(allowed)
    shorter = st.integers(2, steps - 1) if steps > 2 else st.just(1)
    return st.none() | shorter | st.just(steps) | st.integers(steps + 1, steps + 2)


RECURRENT_SIZES = dict(batch=(1, 6), time=(1, 10), n_in=(1, 5), hidden=(1, 6))


def _recurrent_shape(draw, supports, sizes):
    """The recurrent part's sizes, ``{name: int}`` for every key of ``sizes``, and whether
    x is one-hot and h0 given; drawn before any array, like every discrete choice (Hypothesis
    fills the choices drawn late in a large case with their simplest values more often)."""
    shape = {key: draw(_size(supports, key, sizes)) for key in sizes}
    shape["one_hot"] = _allowed(supports, "one_hot", False) or draw(st.booleans())
    shape["h0"] = draw(_given(supports, "h0"))
    return shape


def _recurrent_arrays(draw, dtype, shape):
    """The RNN's recurrent part: ``(params, x, h0)`` with Wxh, Whh, bh
    (:func:`_cell_arrays`), x real or one-hot tokens and h0 (or None) for the sizes of
    ``shape``."""
    batch, hidden = shape["batch"], shape["hidden"]
    params = _cell_arrays(draw, table.RECURRENT.name, shape["n_in"], hidden, dtype)
    x = _sequence(draw, shape, dtype)
    h0 = draw(float_arrays((batch, hidden), WEIGHT_BOUND, dtype)) if shape["h0"] else None
    return params, x, h0


def _sequence(draw, shape, dtype):
    """x ``(batch, time, n_in)``: one-hot tokens when ``shape["one_hot"]``, else real."""
    batch, steps, n_in = (shape[k] for k in ("batch", "time", "n_in"))
    if shape["one_hot"]:
        tokens = draw(integer_arrays((batch, steps), 0, n_in - 1))
        return np.eye(n_in, dtype=dtype)[tokens]
    return draw(float_arrays((batch, steps, n_in), INPUT_BOUND, dtype))


def _upstream(supports, states):
    """Which upstream gradients a recurrent layer's case gives, as ``(dout, *d<state>_last)``
    flags: every combination with at least one that ``supports`` allows."""
    given = {"either": (False, True), True: (True,), False: (False,)}
    return [(dout,) + last for dout in (True, False)
            for last in itertools.product(*(given[_allowed(supports, f"d{s}_last", "either")] for s in states))
            if dout or any(last)]


def cell_cases(cell, sizes):
    """The strategy of a recurrent layer (``cell``, a table name): sizes in ``sizes``;
    its parameters shaped as its ``init_params`` makes them (:func:`_cell_arrays`);
    truncate None or 1 .. time + 2 (:func:`_truncations`); the vanilla cell's activations;
    every initial state given or not, each on its own; x real or one-hot; upstream
    gradients at every state (dout ``(batch, time, H)``) and/or at the last of each state
    (``dh_last``, ``dc_last``; dout None is what a many-to-one head sends), at least one,
    at a drawn :func:`dout_scales`."""
    states = modelspec.stack.CELL_STATES[cell]

    @_declares(sizes, flags=("one_hot",))
    @st.composite
    def cases(draw, dtype=np.float64, supports=None):
        shape = _recurrent_shape(draw, supports, sizes)
        given = {s: shape["h0"] if s == "h" else draw(_given(supports, f"{s}0")) for s in states}
        options = dict(truncate=draw(_truncations(shape["time"], supports)))
        if cell == table.RECURRENT.name:
            options["activation"] = draw(_choice(supports, "activation", modelspec.recurrent.ACTIVATIONS))
        dout_given, *last_given = draw(st.sampled_from(_upstream(supports, states)))
        bound = INPUT_BOUND * draw(dout_scales())
        batch, hidden = shape["batch"], shape["hidden"]
        params = _cell_arrays(draw, cell, shape["n_in"], hidden, dtype)
        x = _sequence(draw, shape, dtype)
        for s in states:
            if given[s]:
                options[f"{s}0"] = draw(float_arrays((batch, hidden), WEIGHT_BOUND, dtype))
        dout = draw(float_arrays((batch, shape["time"], hidden), bound, dtype)) if dout_given else None
        for s, last in zip(states, last_given):
            if last:
                options[f"d{s}_last"] = draw(float_arrays((batch, hidden), bound, dtype))
        return Case(params, (x, dout), options)
    return cases


def _cell_arrays(draw, cell, n_in, hidden, dtype):
    """One recurrent layer's parameters for ``cell``, shaped as its ``init_params`` makes
    them, every element drawn on its own (n_in and H independent: Wxh is mostly
    non-square, Whh almost never symmetric, so a missing transpose shows). The recurrent
    weights lie within 1/sqrt(H): that keeps a ReLU recurrence from growing faster than
    about sqrt(H) per step, so ten steps stay far from overflow in float32."""
    shapes = _cell_shapes(cell, n_in, hidden)
    return {k: draw(float_arrays(shape, WEIGHT_BOUND / (np.sqrt(hidden) if k.startswith("Whh") else 1), dtype))
            for k, shape in shapes.items()}


@functools.lru_cache(maxsize=None)
def _cell_shapes(cell, n_in, hidden):
    """``{key: shape}`` of one layer of ``cell`` (an ``init_params`` makes arrays: once)."""
    return {k: v.shape for k, v in table.get(cell).manual_module().init_params(n_in, hidden, rng=0).items()}


recurrent_cases = cell_cases(table.RECURRENT.name, RECURRENT_SIZES)


RNN_SIZES = dict(RECURRENT_SIZES, n_out=(1, 3))


@_declares(RNN_SIZES, flags=("one_hot",))
@st.composite
def rnn_cases(draw, dtype=np.float64, supports=None):
    """RNN cases: batch 1-6, time 1-10, n_in 1-5, H 1-6, n_out 1-3; both outputs, every
    loss, both reductions and activations; truncate None or 1 .. time + 2; with and
    without h0; x real or one-hot tokens (the seeds' encoding); Wy, by (and MSE targets)
    from :func:`magnitude_arrays`; see :func:`_recurrent_arrays`.
    """
    shape = _recurrent_shape(draw, supports, RNN_SIZES)
    options = dict(loss=draw(_choice(supports, "loss", modelspec.LOSSES)),
                   output=draw(_choice(supports, "output", modelspec.rnn.OUTPUTS)),
                   truncate=draw(_truncations(shape["time"], supports)),
                   reduction=draw(_choice(supports, "reduction", modelspec.REDUCTIONS)),
                   activation=draw(_choice(supports, "activation", modelspec.recurrent.ACTIVATIONS)))
    n_out = shape["n_out"]
    head = {"Wy": draw(magnitude_arrays((shape["hidden"], n_out), WEIGHT_BOUND,
                                        OUTPUT_WEIGHT_MAGNITUDES, dtype)),
            "by": draw(magnitude_arrays((n_out,), WEIGHT_BOUND, OUTPUT_BIAS_MAGNITUDES, dtype))}
    params, x, h0 = _recurrent_arrays(draw, dtype, shape)
    params.update(head)
    if h0 is not None:
        options["h0"] = h0
    out_shape = (shape["batch"], n_out) if options["output"] == "last" else x.shape[:2] + (n_out,)
    y = draw(targets(options["loss"], out_shape, dtype))
    return Case(params, (x, y), options)


# --------------------------------------------------------------------------- lstm, gru

# the gated cells: smaller than the vanilla cell's sizes (four and three times the GEMMs)
CELL_SIZES = dict(batch=(1, 4), time=(1, 6), n_in=(1, 4), hidden=(1, 4))
lstm_cases = cell_cases(table.LSTM.name, CELL_SIZES)
gru_cases = cell_cases(table.GRU.name, CELL_SIZES)


# --------------------------------------------------------------------------- embedding

EMBEDDING_SIZES = dict(vocab=(1, 6), n_out=(1, 4), batch=(1, 4), time=(1, 6))


@_declares(EMBEDDING_SIZES)
@st.composite
def embedding_cases(draw, dtype=np.float64, supports=None):
    """Embedding layer cases: vocab 1-6, D (``n_out``, the output width) 1-4, token ids
    ``(batch, time)``, batch 1-4, time 1-6, and an upstream gradient dout ``(batch, time,
    D)`` at a drawn :func:`dout_scales`. The ids come from a drawn run of ``used`` consecutive tokens
    (1 .. vocab; 1 about half the time: every id the same token), so that tokens repeat
    (their gradients must add up) and tokens outside the run are unused (their rows'
    gradients must be exactly 0)."""
    vocab, dim = draw(_size(supports, "vocab", EMBEDDING_SIZES)), draw(_size(supports, "n_out", EMBEDDING_SIZES))
    batch, steps = draw(_size(supports, "batch", EMBEDDING_SIZES)), draw(_size(supports, "time", EMBEDDING_SIZES))
    used = draw(st.just(1) | st.integers(1, vocab))
    first = draw(st.integers(0, vocab - used))
    ids = draw(integer_arrays((batch, steps), first, first + used - 1))
    params = {"W": draw(float_arrays((vocab, dim), WEIGHT_BOUND, dtype))}
    dout = draw(float_arrays((batch, steps, dim), INPUT_BOUND * draw(dout_scales()), dtype))
    return Case(params, (ids, dout), {})


# --------------------------------------------------------------------------- stacks

STACK_SIZES = dict(batch=(1, 3), time=(1, 5), n_in=(1, 3), hidden=(1, 3), layers=(1, 3))


@_declares(STACK_SIZES, flags=("bidirectional",))
@st.composite
def stack_cases(draw, dtype=np.float64, supports=None):
    """Stack cases: every cell, 1-3 layers, one or two directions, batch 1-3, time 1-5,
    n_in 1-3, H 1-3; initial states given or not; upstream gradients at every step
    (dout), at the final states (dh_last, and dc_last for a cell state) or both, at a drawn
    :func:`dout_scales`; truncate None, or for a unidirectional stack as
    :func:`_truncations` draws it (with more than one layer, for final-state gradients only)."""
    cell = draw(_choice(supports, "cell", modelspec.stack.CELLS))
    shape = {key: draw(_size(supports, key, STACK_SIZES)) for key in STACK_SIZES}
    bidirectional = draw(_given(supports, "bidirectional"))
    directions, layers, hidden, batch = 1 + bidirectional, shape["layers"], shape["hidden"], shape["batch"]
    names = modelspec.stack.CELL_STATES[cell]
    truncate = None if bidirectional else draw(_truncations(shape["time"], supports))
    wheres = {"either": ("every", "last", "both"), True: ("last", "both"),
              False: ("every",)}[_allowed(supports, "dh_last", "either")]
    if truncate is not None and layers > 1:
        wheres = ("last",)                # a window over every layer: final-state gradients only
    where = draw(st.sampled_from(wheres))
    options = dict(cell=cell, truncate=truncate,
                   activation=draw(_choice(supports, "activation", modelspec.recurrent.ACTIVATIONS))
                   if cell == table.RECURRENT.name else "tanh")
    bound = INPUT_BOUND * draw(dout_scales())
    params = {}
    for layer in range(layers):
        for direction in range(directions):
            own = _cell_arrays(draw, cell, shape["n_in"] if layer == 0 else directions * hidden, hidden, dtype)
            params.update({k + modelspec.stack.suffix(layer, direction): v for k, v in own.items()})
    x = draw(float_arrays((batch, shape["time"], shape["n_in"]), INPUT_BOUND, dtype))
    slots = (layers * directions, batch, hidden)
    for name in names:
        if draw(_given(supports, f"{name}0")):
            options[f"{name}0"] = draw(float_arrays(slots, WEIGHT_BOUND, dtype))
    dout = None if where == "last" else draw(float_arrays((batch, shape["time"], directions * hidden),
                                                            bound, dtype))
    if where != "every":
        last = draw(st.sampled_from([names[:1], names[1:], names] if len(names) > 1 else [names]))
        for name in last:
            options[f"d{name}_last"] = draw(float_arrays(slots, bound, dtype))
    return Case(params, (x, dout), options)


SEQNET_SIZES = dict(STACK_SIZES, layers=(1, 2), n_out=(1, 3), vocab=(1, 5))


@_declares(SEQNET_SIZES, flags=("bidirectional", "token_ids"))
@st.composite
def seqnet_cases(draw, dtype=np.float64, supports=None):
    """Sequence network cases: every cell, 1-2 layers, one or two directions, token ids
    through an embedding (vocab 1-5) or real x, the sizes of :func:`stack_cases`, n_out
    1-3; both outputs, every loss and reduction; truncate as :mod:`modelspec.seqnet` allows
    it (never bidirectional; many-to-many with one layer only); initial states given or
    not; the head (and MSE targets) from :func:`magnitude_arrays`."""
    cell = draw(_choice(supports, "cell", modelspec.stack.CELLS))
    shape = {key: draw(_size(supports, key, SEQNET_SIZES)) for key in SEQNET_SIZES}
    allowed = _allowed(supports, "truncate", "any")
    untruncated = allowed == "any" or None in allowed          # a bidirectional stack needs None
    bidirectional = draw(_given(supports, "bidirectional")) if untruncated else False
    embedded = draw(_given(supports, "token_ids"))
    output = draw(_choice(supports, "output", modelspec.rnn.OUTPUTS))
    layers = shape["layers"] if output == "last" or untruncated else 1
    can_truncate = not bidirectional and (output == "last" or layers == 1)
    options = dict(loss=draw(_choice(supports, "loss", modelspec.LOSSES)), cell=cell, output=output,
                   truncate=draw(_truncations(shape["time"], supports)) if can_truncate else None,
                   reduction=draw(_choice(supports, "reduction", modelspec.REDUCTIONS)),
                   activation=draw(_choice(supports, "activation", modelspec.recurrent.ACTIVATIONS))
                   if cell == table.RECURRENT.name else "tanh")
    directions, hidden, batch, steps = 1 + bidirectional, shape["hidden"], shape["batch"], shape["time"]
    n_in, n_out = shape["n_in"], shape["n_out"]
    params = {}
    if embedded:
        params["Wemb"] = draw(float_arrays((shape["vocab"], n_in), WEIGHT_BOUND, dtype))
    for layer in range(layers):
        for direction in range(directions):
            own = _cell_arrays(draw, cell, n_in if layer == 0 else directions * hidden, hidden, dtype)
            params.update({k + modelspec.stack.suffix(layer, direction): v for k, v in own.items()})
    params["Wy"] = draw(magnitude_arrays((directions * hidden, n_out), WEIGHT_BOUND,
                                         OUTPUT_WEIGHT_MAGNITUDES, dtype))
    params["by"] = draw(magnitude_arrays((n_out,), WEIGHT_BOUND, OUTPUT_BIAS_MAGNITUDES, dtype))
    if embedded:
        x = draw(integer_arrays((batch, steps), 0, shape["vocab"] - 1))
    else:
        x = draw(float_arrays((batch, steps, n_in), INPUT_BOUND, dtype))
    for name in modelspec.stack.CELL_STATES[cell]:
        if draw(_given(supports, f"{name}0")):
            options[f"{name}0"] = draw(float_arrays((layers * directions, batch, hidden), WEIGHT_BOUND, dtype))
    out_shape = (batch, n_out) if output == "last" else (batch, steps, n_out)
    return Case(params, (x, draw(targets(options["loss"], out_shape, dtype))), options)

