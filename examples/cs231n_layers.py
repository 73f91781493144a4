"""Check cs231n-style layer functions as they are written: ``*_forward(...) -> (out, cache)``
and ``*_backward(dout, cache) -> (dx, ..., dparams)``, positional parameters, no dicts.

The layers below are written here in that style (a vanilla RNN step, the RNN over a
sequence, an affine layer). A few lines of ``supports`` tell ``crosscheck.verify`` how
they map onto this library's recurrent and linear layers, and it checks them against
autograd for drawn inputs, parameters and upstream gradients. Then the same with one
classic bug, the carry to the previous state without ``Wh``'s transpose, which it must catch.

    python examples/cs231n_layers.py [--examples N]

Exits 1 if the correct layers disagree or the bug gets through.
"""
import argparse
import sys

import numpy as np

import crosscheck


# ----------------------------------------------------------------- the user's code, as written

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One step: x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> next_h (N, H)."""
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dz = dnext_h * (1 - next_h ** 2)          # through tanh, from its output
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, prev_h.T @ dz, dz.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b, step_forward=rnn_step_forward):
    """The whole sequence: x (N, T, D), h0 (N, H) -> h (N, T, H), every hidden state."""
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]), dtype=x.dtype)
    prev_h, caches = h0, []
    for t in range(T):
        prev_h, cache = step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(cache)
    return h, caches


def rnn_backward(dh, cache, step_backward=rnn_step_backward):
    """dh (N, T, H), the upstream gradient at every state -> dx, dh0, dWx, dWh, db."""
    x0, _, Wx, Wh, _ = cache[0]
    N, T, _ = dh.shape
    dx = np.zeros((N, T, x0.shape[1]), dtype=dh.dtype)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0], dtype=dh.dtype)
    dprev_h = np.zeros_like(dh[:, 0])
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = step_backward(dh[:, t] + dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def affine_forward(x, w, b):
    """x (N, d_1, ..., d_k) flattened to (N, D); w (D, M); b (M,)."""
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


# ----------------------------------------------------------------- the classic bug

def rnn_step_backward_missing_transpose(dnext_h, cache):
    """The carry to the previous state as dz @ Wh instead of dz @ Wh.T: the shapes fit
    (Wh is square), so nothing complains, and the gradient is wrong for every Wh that is not
    symmetric."""
    dx, _, dWx, dWh, db = rnn_step_backward(dnext_h, cache)
    x, prev_h, Wx, Wh, next_h = cache
    return dx, (dnext_h * (1 - next_h ** 2)) @ Wh, dWx, dWh, db


def rnn_backward_missing_transpose(dh, cache):
    return rnn_backward(dh, cache, step_backward=rnn_step_backward_missing_transpose)


# ----------------------------------------------------------------- the adapter (6 lines)

RNN = dict(style="cs231n", names={"Wxh": "Wx", "Whh": "Wh", "bh": "b"},
           call=("x", "h0", "Wx", "Wh", "b"), returns=("dx", "dh0", "dWx", "dWh", "db"),
           fixed={"activation": "tanh", "truncate": None})   # tanh, full BPTT, h0 always given
STEP = dict(RNN, step=True)                                   # one step: the case's T = 1
AFFINE = dict(style="cs231n", names={"W": "w"}, call=("x", "w", "b"), returns=("dx", "dw", "db"),
              leading_axes=1)                 # affine_forward flattens every axis after the batch


def checks(bug=False):
    """``{label: (entry, (forward, backward), supports)}``: every layer as written, or the
    two recurrent checks with the bug in the step's backward."""
    if bug:
        return {"rnn_step": ("recurrent", (rnn_step_forward, rnn_step_backward_missing_transpose), STEP),
                "rnn": ("recurrent", (rnn_forward, rnn_backward_missing_transpose), RNN)}
    return {"rnn_step": ("recurrent", (rnn_step_forward, rnn_step_backward), STEP),
            "rnn": ("recurrent", (rnn_forward, rnn_backward), RNN),
            "affine": ("linear", (affine_forward, affine_backward), AFFINE)}


def run(bug=False, max_examples=50, seed=0, verbose=True, labels=None, **options):
    """Verify every layer (or those of ``labels``; input gradients included; ``options`` go to
    ``verify``); return ``{label: VerifyResult}``."""
    results = {}
    for label, (entry, manual, supports) in checks(bug).items():
        if labels is not None and label not in labels:
            continue
        results[label] = crosscheck.verify(entry, manual=manual, supports=supports, input_grads=True,
                                           max_examples=max_examples, seed=seed, **options)
        if verbose:
            print(f"{'with the bug' if bug else 'as written'}: {label}: {results[label].summary()}")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50)
    args = parser.parse_args(argv)
    correct = run(bug=False, max_examples=args.examples)
    # the bug over whole sequences (the tests check the single step too); shrinking the
    # disagreement to a minimal case takes most of the time
    buggy = run(bug=True, max_examples=args.examples, labels=("rnn",))
    ok = all(r.ok for r in correct.values()) and not buggy["rnn"].ok
    print("the correct layers agree and the missing transpose is caught" if ok else "UNEXPECTED VERDICT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
