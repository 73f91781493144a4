"""Seed 001's MLP with one hidden layer, then with several (its ``hidden_config``).

ReLU hidden layers, a linear output, zero biases, trained by minibatch SGD
(training.optim, with momentum 0.9; seed 001 uses plain SGD) on the hand-written backprop
of manual.mlp. The data is Friedman #1 regression (training.datasets.friedman1, generated
locally): 1000 training and 200 validation points, targets standardised with the
training set's mean and std, so predicting the mean scores R^2 = 0.

Each network is trained from seed 001's initialisation N(0, 0.003^2) and from He-normal.

    python examples/mlp_hidden_layers.py [--epochs N] [--plot PATH | --no-plot]
"""
import sys
import time

import _plotting
from training import datasets
from training.estimators import MLPRegressor

CONFIGS = (("one hidden layer [32]", (32,)), ("hidden_config [32, 32, 32]", (32, 32, 32)))
INITS = ("normal", "he_normal")  # seed 001's N(0, 0.003^2), then He et al.
SETTINGS = dict(activation="relu", learning_rate=0.01, momentum=0.9, batch_size=32, seed=0)
EPOCHS = 40


def data():
    """``(x_train (1000, 5), y_train (1000,), x_val (200, 5), y_val (200,))``, y standardised."""
    x, y = datasets.friedman1(1200, noise=0.5, seed=0)
    mean, std = y[:1000].mean(), y[:1000].std()
    return x[:1000], (y[:1000] - mean) / std, x[1000:], (y[1000:] - mean) / std


def run(epochs=EPOCHS, verbose=True):
    """Train every (hidden layers, init) pair; return ``{(name, init): (fitted MLPRegressor,
    seconds)}``."""
    x_train, y_train, x_val, y_val = data()
    results = {}
    for name, sizes in CONFIGS:
        for init in INITS:
            print(f"\n== {name}, init={init}")
            start = time.perf_counter()
            reg = MLPRegressor(hidden_layer_sizes=sizes, init=init, epochs=epochs,
                               verbose=verbose, **SETTINGS)
            reg.fit(x_train, y_train, validation_data=(x_val, y_val))
            results[name, init] = (reg, time.perf_counter() - start)
    return results


def main(argv=None):
    p = _plotting.parser(__doc__.splitlines()[0], "mlp_hidden_layers.png")
    p.add_argument("--epochs", type=_plotting.positive_int, default=EPOCHS,
                   help="epochs for each training (default: %(default)s)")
    args = p.parse_args(argv)
    results = run(args.epochs)
    print(f"\nvalidation R^2 after {args.epochs} epochs (1 = perfect, 0 = predicting the mean)")
    for (name, init), (reg, seconds) in results.items():
        print(f"  {name:<28} init={init:<10} R^2 = {reg.history_['val_r2'][-1]:6.3f}   "
              f"({seconds:.1f} s)")
    print("Seed 001's tiny N(0, 0.003^2) weights still train one hidden layer, but through "
          "three layers\nthe signal and its gradient shrink to almost nothing: He-normal "
          "initialisation fixes that.")
    if not args.no_plot:
        curves = {f"{list(dict(CONFIGS)[name])} init={init}": reg.history_["val_loss"]
                  for (name, init), (reg, _) in results.items()}
        _plotting.save_curves(curves, args.plot, ylabel="validation MSE",
                              title="MLP on Friedman #1: validation loss")
    return 0


if __name__ == "__main__":
    sys.exit(main())
