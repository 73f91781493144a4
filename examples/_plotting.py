"""What the examples share: the ``--plot``/``--no-plot`` flags and the optional loss-curve PNG.

matplotlib is the optional extra ``pip install -e '.[plot]'``. Without it the examples run
the same and say that no figure was drawn. Figures go to the path given by ``--plot``,
by default into a ``backprop-examples`` folder of the system's temporary directory, so
that running an example never writes into the repository.
"""
import argparse
import tempfile
from pathlib import Path


def default_png(name):
    """``<tmp>/backprop-examples/<name>``: where a figure goes when ``--plot`` is not given."""
    return Path(tempfile.gettempdir()) / "backprop-examples" / name


def parser(description, png_name):
    """An ``argparse.ArgumentParser`` with ``--plot PATH`` (default :func:`default_png`)
    and ``--no-plot``; the caller adds its own arguments."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--plot", type=Path, default=default_png(png_name), metavar="PATH",
                   help="where to save the loss-curve PNG (needs matplotlib; default: %(default)s)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    return p


def positive_int(text):
    """argparse type: an int >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1; got {value}")
    return value


def save_curves(curves, path, *, title, ylabel="loss"):
    """Plot ``{label: [value per epoch]}`` as lines into the PNG ``path`` (its folder is
    created) and print where it went. Return the path, or None (with a message) when
    matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed, so no loss-curve PNG was drawn "
              "(pip install -e '.[plot]' adds it)")
        return None
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"loss curves saved to {path}")
    return path
