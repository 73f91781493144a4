"""Seed 003's RecurrentNetwork setup on a task where truncation matters: truncate=10 vs full BPTT.

Sequences of 30 one-hot tokens over a vocabulary of 8 (training.datasets.token_order): the
label is whether token A comes before token B, and both sit within the first 8 steps;
the other 28 steps are filler. Seed 003 truncates BPTT to the last 10 steps, so its
gradient never reaches the steps that decide the label: the input weights of A and B
(their rows of Wxh) never receive a gradient and keep their random initial values, and
only Whh can learn to read what those early steps happen to leave in h_20. Full BPTT
reaches them.

Setup as seed 003: 32 cells, minibatches of 32 shuffled every epoch from a seed,
orthogonal Whh and Glorot-uniform Wxh and Wy, zero biases, BCE averaged over the batch,
predict = logit > 0; with momentum 0.9 and global-norm clipping at 1 (seed 003 has
neither) so that 30 epochs are enough. 1000 training and 200 validation sequences.

    python examples/truncated_vs_full.py [--epochs N] [--plot PATH | --no-plot]
"""
import sys
import time

import _plotting
from training import datasets
from training.estimators import RNNClassifier

SETTINGS = dict(n_hidden=32, batch_size=32, learning_rate=0.01, momentum=0.9, clip_norm=1.0,
                seed=0)
EPOCHS = 30
METHODS = (("truncated BPTT (last 10 steps)", 10), ("full BPTT", None))


def data():
    """``(x_train (1000, 30, 8), y_train (1000,), x_val (200, 30, 8), y_val (200,))``."""
    x, y = datasets.token_order(1200, length=30, vocab_size=8, window=8, seed=0)
    return x[:1000], y[:1000], x[1000:], y[1000:]


def run(epochs=EPOCHS, verbose=True):
    """Train both ways; return ``{method: (fitted RNNClassifier, seconds)}``."""
    x_train, y_train, x_val, y_val = data()
    print(f"train {x_train.shape}, validation {x_val.shape}; "
          f"{y_train.mean():.0%} of training labels are 1")
    results = {}
    for name, truncate in METHODS:
        print(f"\n== {name}")
        start = time.perf_counter()
        clf = RNNClassifier(truncate=truncate, epochs=epochs, verbose=verbose, **SETTINGS)
        clf.fit(x_train, y_train, validation_data=(x_val, y_val))
        results[name] = (clf, time.perf_counter() - start)
    return results


def main(argv=None):
    p = _plotting.parser(__doc__.splitlines()[0], "truncated_vs_full.png")
    p.add_argument("--epochs", type=_plotting.positive_int, default=EPOCHS,
                   help="epochs for each training (default: %(default)s)")
    args = p.parse_args(argv)
    results = run(args.epochs)
    print(f"\nvalidation accuracy after {args.epochs} epochs")
    for name, (clf, seconds) in results.items():
        print(f"  {name:<32} {clf.history_['val_accuracy'][-1]:6.1%}   ({seconds:.1f} s)")
    if not args.no_plot:
        curves = {}
        for name, (clf, _) in results.items():
            curves[f"{name}: train"] = clf.history_["loss"]
            curves[f"{name}: validation"] = clf.history_["val_loss"]
        _plotting.save_curves(curves, args.plot, ylabel="mean BCE",
                              title="token order: truncated vs full BPTT")
    return 0


if __name__ == "__main__":
    sys.exit(main())
