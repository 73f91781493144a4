"""A test file of your own suite: one-line property tests of hand-written backprop.

Copy it next to your code. Each test is one call to ``crosscheck.assert_verified``: it
draws the cases of one of crosscheck's models (sizes, values, initial states) within what
your function supports, compares your gradients with autograd's and, on small smooth
cases, with finite differences, and fails with crosscheck's report (the shrunk case, the
key, the index, your value and the reference's). The budget follows
``CROSSCHECK_PROFILE`` (``dev``, ``ci``, ``thorough``), else ``ci`` when ``CI`` is set, as
CI services do, else ``dev``; nothing else to configure (no deadline, no health check
for slow code).

    python -m pytest examples/test_your_backprop.py
    CROSSCHECK_PROFILE=thorough python -m pytest examples/test_your_backprop.py

The functions below stand for your code: a many-to-one RNN written by hand, and the
same function with min-char-rnn's gradient clipping, which the second test shows being
caught (it expects the AssertionError, so this file passes).
"""
import numpy as np
import pytest

import crosscheck


def my_rnn_loss_and_grads(params, x, y, h0=None):
    """Many-to-one tanh RNN, a sigmoid output and binary cross-entropy averaged over every
    output. params: Wxh (n_in, H), Whh (H, H), bh (H,), Wy (H, n_out), by (n_out,);
    x (batch, time, n_in); y (batch, n_out) in [0, 1]; h0 (batch, H) or None (zeros).
    Returns (loss, grads) with grads keyed like params."""
    Wxh, Whh, bh, Wy, by = (params[k] for k in ("Wxh", "Whh", "bh", "Wy", "by"))
    hs = [np.zeros((x.shape[0], Whh.shape[0]), x.dtype) if h0 is None else h0]
    for t in range(x.shape[1]):
        hs.append(np.tanh(x[:, t] @ Wxh + hs[-1] @ Whh + bh))
    z = hs[-1] @ Wy + by
    loss = np.mean(np.logaddexp(0, z) - y * z)
    dz = (0.5 * (1 + np.tanh(z / 2)) - y) / z.size           # sigmoid(z) - y, per output
    grads = {"Wxh": np.zeros_like(Wxh), "Whh": np.zeros_like(Whh), "bh": np.zeros_like(bh),
             "Wy": hs[-1].T @ dz, "by": dz.sum(axis=0)}
    dh = dz @ Wy.T
    for t in reversed(range(x.shape[1])):
        da = dh * (1 - hs[t + 1] ** 2)                         # backprop through tanh
        grads["Wxh"] += x[:, t].T @ da
        grads["Whh"] += hs[t].T @ da
        grads["bh"] += da.sum(axis=0)
        dh = da @ Whh.T
    return loss, grads


def my_clipped_rnn_loss_and_grads(params, x, y, h0=None):
    """The same with min-char-rnn's last lines: no longer the gradient of the loss."""
    loss, grads = my_rnn_loss_and_grads(params, x, y, h0)
    return loss, {k: np.clip(g, -5, 5) for k, g in grads.items()}


# What the function implements of crosscheck's "rnn" (crosscheck list shows its options):
# fixed options are the ones it does not take; h0 it takes, as a keyword.
MY_RNN = {"fixed": {"loss": "bce", "output": "last", "reduction": "mean",
                    "activation": "tanh", "truncate": None}}


def test_my_rnn_gradients():
    crosscheck.assert_verified("rnn", manual=my_rnn_loss_and_grads, supports=MY_RNN)


def test_clipped_gradients_fail_with_the_report():
    with pytest.raises(AssertionError, match="rnn: DISAGREEMENT"):
        crosscheck.assert_verified("rnn", manual=my_clipped_rnn_loss_and_grads, supports=MY_RNN)
