"""Small datasets generated locally (nothing is downloaded), deterministic from a seed."""
import numbers
from collections.abc import Iterable, Mapping

import numpy as np

import modelspec

# Seeds 000/002: one-hot tokens and the three sentences in a fixed order (seed 000 built them
# with set(permutations(...)), whose order depends on the hash seed).
AS_SOON_AS_VOCAB = {"as": (1, 0), "soon": (0, 1)}
AS_SOON_AS_SENTENCES = (("as", "as", "soon"), ("soon", "as", "as"), ("as", "soon", "as"))
AS_SOON_AS_TARGETS = (0, 0, 1)


def one_hot_sentences(sentences, vocab):
    """Encode token sequences as a ``(batch, time, features)`` float64 array.

    Inputs: sentences, a non-empty sequence of sentences, each a sequence of words (not
    a str), all of one length >= 1; vocab, a dict from every word used to its vector, all
    vectors 1-D of one length, finite reals (one-hot in the seeds).
    Unknown words, ragged sentences or vectors, a str where a sequence of words is
    expected, and NaN or inf in a vector raise a ValueError or TypeError naming them.
    """
    if not isinstance(vocab, Mapping) or not vocab:
        raise TypeError(f"vocab must be a non-empty dict from words to vectors; got "
                        f"{type(vocab).__name__} {vocab!r:.60}")
    vectors = {word: modelspec.real_array(f"vocab[{word!r}]", v, ndim=1) for word, v in vocab.items()}
    widths = sorted({v.shape[0] for v in vectors.values()})
    if len(widths) != 1 or widths[0] == 0:
        raise ValueError(f"vocab's vectors must all have one length >= 1; got lengths {widths}")
    if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Iterable):
        raise TypeError(f"sentences must be a sequence of sentences (each a sequence of words); "
                        f"got {type(sentences).__name__}")
    sentences = list(sentences)
    for sentence in sentences:
        if isinstance(sentence, (str, bytes)) or not isinstance(sentence, Iterable):
            raise TypeError(f"each sentence must be a sequence of words, not a "
                            f"{type(sentence).__name__}: {sentence!r:.60}")
    sentences = [list(sentence) for sentence in sentences]
    lengths = sorted({len(sentence) for sentence in sentences})
    if not lengths or lengths[0] == 0:
        raise ValueError("sentences must hold at least one sentence of at least one word")
    if len(lengths) != 1:
        raise ValueError(f"sentences must all have the same number of words; got lengths {lengths}")
    try:
        unknown = {word for sentence in sentences for word in sentence if word not in vectors}
    except TypeError as exc:
        raise TypeError(f"each word of sentences must be a key of vocab (hashable); {exc}") from None
    if unknown:
        raise ValueError(f"sentences hold words that are not in vocab: {sorted(unknown, key=repr)[:5]}")
    return np.array([[vectors[word] for word in sentence] for sentence in sentences],
                    dtype=np.float64)


def as_soon_as():
    """The seeds' toy task: "as soon as" -> 1, "as as soon" -> 0, "soon as as" -> 0.

    Returns: x ``(3, 3, 2)`` one-hot (``as`` = [1, 0], ``soon`` = [0, 1]) in the order
    as-as-soon, soon-as-as, as-soon-as; y ``(3, 1)`` float64 targets 0, 0, 1.
    """
    x = one_hot_sentences(AS_SOON_AS_SENTENCES, AS_SOON_AS_VOCAB)
    y = np.array(AS_SOON_AS_TARGETS, dtype=np.float64).reshape(-1, 1)
    return x, y


# Issue 6: a sequence task where truncation matters, and a regression set for the MLP.

ORDER_TOKEN_A, ORDER_TOKEN_B = 0, 1


def one_hot(tokens, vocab_size):
    """One-hot encode integer tokens: ``(...)`` ints in [0, vocab_size) -> ``(..., vocab_size)``
    float64. vocab_size: an int >= 1; memory is that of the result only.
    Refused: non-integer tokens (floats, bools), tokens out of range, a bad vocab_size."""
    vocab_size = modelspec.check_positive_int("vocab_size", vocab_size)
    tokens = np.asarray(tokens)
    if tokens.dtype.kind not in "iu":
        raise TypeError(f"tokens must be integers; got dtype {tokens.dtype}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(f"tokens must lie in [0, {vocab_size}); "
                         f"got values from {tokens.min()} to {tokens.max()}")
    out = np.zeros(tokens.shape + (vocab_size,), dtype=np.float64)
    np.put_along_axis(out, tokens[..., None].astype(np.intp), 1.0, axis=-1)
    return out


def token_order(n_samples=1000, *, length=30, vocab_size=8, window=8, seed=0, one_hot_x=True):
    """Long sequences whose label is decided early: does token A come before token B?

    Every sequence holds exactly one A (token 0) and one B (token 1), at two distinct
    positions drawn uniformly from the first ``window`` steps; every other step is a
    filler token drawn uniformly from ``2 .. vocab_size - 1``. The label is 1 when A comes
    first, else 0 (each with probability 1/2). With ``window <= length - 10``, a many-to-one
    RNN trained with seed 003's truncation to the last 10 steps gets no gradient at the
    steps that decide the label, while full BPTT does.

    Inputs: n_samples, length (time steps), vocab_size (>= 3), window (2 <= window <= length),
    seed (None, an int >= 0 or a Generator), one_hot_x (True or False).
    Returns: x ``(n_samples, length, vocab_size)`` float64 one-hot (or ``(n_samples, length)``
    int64 tokens when ``one_hot_x=False``), y ``(n_samples,)`` int64 labels in {0, 1}.
    Deterministic from ``seed``.
    """
    n_samples = modelspec.check_positive_int("n_samples", n_samples)
    length = modelspec.check_positive_int("length", length, minimum=2)
    vocab_size = modelspec.check_positive_int("vocab_size", vocab_size, minimum=3)
    window = modelspec.check_positive_int("window", window, minimum=2)
    if window > length:
        raise ValueError(f"window must be <= length ({length}); got {window}")
    one_hot_x = modelspec.checks.check_flag("one_hot_x", one_hot_x)
    rng = modelspec.checks.check_rng("seed", seed)
    tokens = rng.integers(2, vocab_size, size=(n_samples, length))
    # two distinct early positions per row: the first ``2`` of a random permutation of the window
    positions = np.argsort(rng.random((n_samples, window)), axis=1)[:, :2]
    rows = np.arange(n_samples)
    tokens[rows, positions[:, 0]] = ORDER_TOKEN_A
    tokens[rows, positions[:, 1]] = ORDER_TOKEN_B
    y = (positions[:, 0] < positions[:, 1]).astype(np.int64)
    return (one_hot(tokens, vocab_size) if one_hot_x else tokens.astype(np.int64)), y


def friedman1(n_samples=500, *, n_features=5, noise=0.0, seed=0):
    """Friedman's regression problem #1 (Friedman, 1991; scikit-learn's ``make_friedman1``).

    x ~ U[0, 1]^n_features (only the first 5 features matter);
    y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise * N(0, 1), roughly in [0, 30].
    Inputs: n_samples (>= 1), n_features (>= 5), noise (a finite real >= 0), seed (None, an
    int >= 0 or a Generator).
    Returns: x ``(n_samples, n_features)`` float64, y ``(n_samples,)`` float64.
    Deterministic from ``seed``.
    """
    n_samples = modelspec.check_positive_int("n_samples", n_samples)
    n_features = modelspec.check_positive_int("n_features", n_features, minimum=5)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a real number; got {type(noise).__name__}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be finite and >= 0; got {noise!r}")
    rng = modelspec.checks.check_rng("seed", seed)
    x = rng.uniform(size=(n_samples, n_features))
    y = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2
         + 10 * x[:, 3] + 5 * x[:, 4] + noise * rng.standard_normal(n_samples))
    return x, y
