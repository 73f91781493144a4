"""Bugs of a compiled path (see :mod:`crosscheck.zoo.bugs`): the numba time loops of
:mod:`compiled.recurrent` with one mistake at their interface, checked as the compiled
RNN model (``table.RNN_NUMBA``) like the correct loops. Present when numba is installed.
"""
import functools

import numpy as np

from compiled import kernels, recurrent
from compiled import rnn as compiled_rnn
from crosscheck.zoo.bugs import Bug
from modelspec import table

MODEL = table.RNN_NUMBA.name


def _carry_with_Whh(WhhT, hs, dh_out, activation, first, carry_to_first=True):
    # the written-out carry GEMM indexes Whh[k, j] where Whh.T[k, j] is meant
    return recurrent.LOOPS.bptt(np.ascontiguousarray(WhhT.T), hs, dh_out, activation, first, carry_to_first)


def _tanh_derivative_for_relu(WhhT, hs, dh_out, activation, first, carry_to_first=True):
    # the activation flag is not passed on: relu layers get tanh's derivative 1 - h^2
    dz, dh = kernels.bptt(WhhT, hs, np.ascontiguousarray(dh_out), False, first, carry_to_first)
    return dz, (dh if carry_to_first else None)


def _window_one_step_short(WhhT, hs, dh_out, activation, k):
    # the per-term window of truncated BPTT drops its last step (k - 1 steps, at least 1)
    return recurrent.LOOPS.bptt_window(WhhT, hs, dh_out, activation, max(1, k - 1))


def _forward_without_bias(hs, Whh, bh, activation):
    # the fused step leaves out + bh
    recurrent.LOOPS.forward_steps(hs, Whh, np.zeros_like(bh), activation)


def _bug(**loops):
    return compiled_rnn.with_loops(recurrent.LOOPS._replace(**loops)).loss_and_grads


BUGS = [
    Bug("numba_carry_with_Whh", MODEL,
        "the compiled BPTT's written-out carry GEMM reads Whh where Whh.T is meant",
        "classic", _bug(bptt=_carry_with_Whh), MODEL),
    Bug("numba_relu_gets_tanh_derivative", MODEL,
        "the compiled BPTT is not told the activation: relu layers backprop through 1 - h^2",
        "classic", _bug(bptt=_tanh_derivative_for_relu), MODEL),
    Bug("numba_window_one_step_short", MODEL,
        "the compiled truncated BPTT (a loss at every step) carries each term k - 1 steps, not k",
        "classic", _bug(bptt_window=_window_one_step_short), MODEL),
    Bug("numba_forward_without_bias", MODEL,
        "the compiled forward step leaves out the bias bh",
        "classic", _bug(forward_steps=_forward_without_bias), MODEL),
]
