"""Bugs of a compiled path (see :mod:`crosscheck.zoo.bugs`): the numba time loops of
:mod:`compiled.recurrent` with one mistake at their interface, checked as the compiled
RNN model (``table.RNN_NUMBA``) like the correct loops, and the LSTM's and GRU's
(:mod:`compiled.lstm`, :mod:`compiled.gru`) checked as the compiled sequence network
(``table.SEQNET_NUMBA``). Present when numba is installed.
"""
import functools

import numpy as np

from compiled import gru, kernels, lstm, recurrent
from compiled import rnn as compiled_rnn
from compiled import seqnet as compiled_seqnet
from crosscheck.zoo.bugs import Bug
from modelspec import table

MODEL, SEQNET = table.RNN_NUMBA.name, table.SEQNET_NUMBA.name


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


def _lstm_forward_without_bias(gates, hs, cs, tanh_c, Whh, bh):
    # the compiled step leaves out + bh
    lstm.LOOPS.forward_steps(gates, hs, cs, tanh_c, Whh, np.zeros_like(bh))


def _lstm_forget_with_c_t(WhhT, gates, cs, tanh_c, dh_out, dh, dc, first, da, to_state0):
    # off by one in the cell states: df = dc * c_t, where c_t = f * c_{t-1} + i * g means c_{t-1}
    return lstm.LOOPS.bptt(WhhT, gates, np.concatenate([cs[1:], cs[-1:]]), tanh_c, dh_out, dh, dc,
                           first, da, to_state0)


def _lstm_window_one_step_short(WhhT, gates, cs, tanh_c, dh_out, dh_T, dc_T, k, da):
    return lstm.LOOPS.bptt_window(WhhT, gates, cs, tanh_c, dh_out, dh_T, dc_T, max(1, k - 1), da)


def _gru_forward_without_bhh(gates, hs, ahn, Whh, bhh):
    # the compiled step leaves out + bhh (bxh is added before the loop)
    gru.LOOPS.forward_steps(gates, hs, ahn, Whh, np.zeros_like(bhh))


def _gru_carry_without_direct_path(WhhT, z, dah, dh_out, carry_to_first=True):
    # h_t = (1 - z) * n + z * h_{t-1}: the direct path z * dh to h_{t-1} left out
    return gru.LOOPS.bptt(WhhT, np.zeros_like(z), dah, dh_out, carry_to_first)


def _seqnet_bug(cell, **loops):
    return compiled_seqnet.with_loops(
        {**compiled_seqnet.LOOPS, cell: compiled_seqnet.LOOPS[cell]._replace(**loops)}).loss_and_grads


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
    Bug("numba_lstm_forward_without_bias", SEQNET,
        "the compiled LSTM step leaves out the bias bh",
        "classic", _seqnet_bug(table.LSTM.name, forward_steps=_lstm_forward_without_bias), SEQNET),
    Bug("numba_lstm_forget_with_c_t", SEQNET,
        "the compiled LSTM BPTT takes the forget gate's derivative with c_t where c_{t-1} belongs",
        "classic", _seqnet_bug(table.LSTM.name, bptt=_lstm_forget_with_c_t), SEQNET),
    Bug("numba_lstm_window_one_step_short", SEQNET,
        "the compiled LSTM truncated BPTT (a loss at every step) carries each term k - 1 steps, not k",
        "classic", _seqnet_bug(table.LSTM.name, bptt_window=_lstm_window_one_step_short), SEQNET),
    Bug("numba_gru_forward_without_bhh", SEQNET,
        "the compiled GRU step leaves out the recurrent bias bhh",
        "classic", _seqnet_bug(table.GRU.name, forward_steps=_gru_forward_without_bhh), SEQNET),
    Bug("numba_gru_carry_without_direct_path", SEQNET,
        "the compiled GRU BPTT drops the direct path z * dh from h_t to h_{t-1}",
        "classic", _seqnet_bug(table.GRU.name, bptt=_gru_carry_without_direct_path), SEQNET),
]
