"""Check a min-char-rnn-style ``lossFun`` as it is written: one sequence of token ids,
column vectors, the weights as module globals, the gradients returned in a row.

The character-level RNN below is written here in the style of Karpathy's min-char-rnn
(``Wxh (H, V)``, ``hs[t] = tanh(Wxh @ x_t + Whh @ hs[t-1] + bh)``, softmax cross-entropy summed
over the steps). A few lines of ``supports`` tell ``crosscheck.verify`` how it maps onto
this library's RNN (one sequence, one-hot inputs, an output at every step, summed
cross-entropy, transposed weights, biases ``(n, 1)``), and it checks ``lossFun`` against
autograd on drawn weights, sequences and initial states. Then the same with min-char-rnn's
own last lines, ``np.clip(dparam, -5, 5, out=dparam)`` inside ``lossFun``: what it returns is
then no longer the gradient, and the check says so.

    python examples/min_char_rnn.py [--examples N]

Exits 1 if the correct lossFun disagrees or the clipped one gets through.
"""
import argparse
import sys

import numpy as np

import crosscheck

# ----------------------------------------------------------------- the user's code, as written

hidden_size, vocab_size = 16, 8
rng = np.random.default_rng(0)
Wxh = rng.standard_normal((hidden_size, vocab_size)) * 0.01   # input to hidden
Whh = rng.standard_normal((hidden_size, hidden_size)) * 0.01  # hidden to hidden
Why = rng.standard_normal((vocab_size, hidden_size)) * 0.01   # hidden to output
bh = np.zeros((hidden_size, 1))                                # hidden bias
by = np.zeros((vocab_size, 1))                                 # output bias


def lossFun(inputs, targets, hprev):
    """inputs, targets: lists of integer token ids; hprev: the initial state (H, 1).
    Returns the loss, the gradients of the model parameters and the last hidden state."""
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((Wxh.shape[1], 1))                  # one-hot column of token inputs[t]
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        ys[t] = Why @ hs[t] + by                              # unnormalized log probabilities
        shifted = ys[t] - np.max(ys[t])                       # no overflow at any logit size
        ps[t] = np.exp(shifted) / np.sum(np.exp(shifted))
        loss += np.log(np.sum(np.exp(shifted))) - shifted[targets[t], 0]   # -log ps[t][target]
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1                                   # backprop into y
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dhnext                              # backprop into h
        dhraw = (1 - hs[t] * hs[t]) * dh                      # backprop through tanh
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


# ----------------------------------------------------------------- min-char-rnn's clipping

def lossFun_clipped(inputs, targets, hprev):
    """min-char-rnn's own lossFun ends by clipping its gradients "to mitigate exploding
    gradients": a training trick, and no longer the gradient of the loss."""
    loss, *grads, h = lossFun(inputs, targets, hprev)
    for dparam in grads:
        np.clip(dparam, -5, 5, out=dparam)
    return (loss, *grads, h)


# ----------------------------------------------------------------- the adapter (6 lines)

SUPPORTS = dict(
    style="lossFun", globals=sys.modules[__name__], call=("inputs", "targets", "hprev"),
    returns=("loss", "dWxh", "dWhh", "dWhy", "dbh", "dby", None),
    names={"x": "inputs", "y": "targets", "h0": "hprev", "Wy": "Why"}, layout="column",
    tokens="list", batch="single", fixed=dict(loss="cross_entropy", output="all", reduction="sum",
                                              activation="tanh", truncate=None))


def run(fn=lossFun, max_examples=50, seed=0, verbose=True, **options):
    """Verify ``fn`` as the library's RNN (``options`` go to ``verify``); return the
    :class:`crosscheck.VerifyResult`."""
    result = crosscheck.verify("rnn", manual=fn, supports=SUPPORTS, max_examples=max_examples, seed=seed, **options)
    if verbose:
        print(f"{fn.__name__}: {result.summary()}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50)
    args = parser.parse_args(argv)
    correct = run(lossFun, args.examples)
    clipped = run(lossFun_clipped, args.examples)
    ok = correct.ok and not clipped.ok
    print("lossFun agrees and the clipped gradients are caught" if ok else "UNEXPECTED VERDICT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
