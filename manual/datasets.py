"""Small datasets generated locally (nothing is downloaded), deterministic from a seed."""
import numpy as np

# Seeds 000/002: one-hot tokens and the three sentences in a fixed order (seed 000 built them
# with set(permutations(...)), whose order depends on the hash seed).
AS_SOON_AS_VOCAB = {"as": (1, 0), "soon": (0, 1)}
AS_SOON_AS_SENTENCES = (("as", "as", "soon"), ("soon", "as", "as"), ("as", "soon", "as"))
AS_SOON_AS_TARGETS = (0, 0, 1)


def one_hot_sentences(sentences, vocab):
    """Encode token sequences as ``(batch, time, features)`` float64 one-hot arrays."""
    return np.array([[vocab[word] for word in sentence] for sentence in sentences], dtype=np.float64)


def as_soon_as():
    """The seeds' toy task: "as soon as" -> 1, "as as soon" -> 0, "soon as as" -> 0.

    Returns: x ``(3, 3, 2)`` one-hot (``as`` = [1, 0], ``soon`` = [0, 1]) in the order
    as-as-soon, soon-as-as, as-soon-as; y ``(3, 1)`` float64 targets 0, 0, 1.
    """
    x = one_hot_sentences(AS_SOON_AS_SENTENCES, AS_SOON_AS_VOCAB)
    y = np.array(AS_SOON_AS_TARGETS, dtype=np.float64).reshape(-1, 1)
    return x, y
