"""The vanilla recurrent layer's time loops compiled by numba, as a
``manual.layers.recurrent.Loops``.

Everything around the loops (checks, the input projection, the weight gradients) is
``manual.layers.recurrent``'s. Up to :data:`COMPILED_UP_TO` hidden units a whole loop is one
compiled kernel (:mod:`compiled.kernels`, the step GEMMs written out); above it a step's GEMM
is BLAS's (``np.matmul``, faster there) and its elementwise work one compiled pass. The
crossover was measured on the loops alone (per step, (batch, H) = (16, 16) to (64, 128)):
the written-out GEMM wins up to about 32 hidden units, BLAS's from 64.
"""
import numpy as np

from compiled import kernels
from manual.layers import recurrent

COMPILED_UP_TO = 32    # hidden units


def _relu(activation):
    return activation == "relu"


def _forward_steps(hs, Whh, bh, activation):
    relu = _relu(activation)
    if hs.shape[2] <= COMPILED_UP_TO:
        return kernels.forward_steps(hs, np.ascontiguousarray(Whh), bh, relu)
    recurrent_part = np.empty(hs.shape[1:], dtype=hs.dtype)
    for t in range(1, hs.shape[0]):
        np.matmul(hs[t - 1], Whh, out=recurrent_part)
        kernels.activate(hs[t], recurrent_part, bh, relu)    # h_t = act(z_t)


def _bptt(WhhT, hs, dh_out, activation, first, carry_to_first=True):
    relu, dh_out = _relu(activation), np.ascontiguousarray(dh_out)
    if hs.shape[2] <= COMPILED_UP_TO:
        dz, dh = kernels.bptt(WhhT, hs, dh_out, relu, first, carry_to_first)
        return dz, (dh if carry_to_first else None)
    # NumPy's _bptt with each step's elementwise work one compiled pass: 1.1x faster than it
    # on the backward pass alone (many-to-one, hidden 64 to 256)
    steps = hs.shape[0] - 1
    every_step = dh_out.shape[0] == steps
    dz = np.empty((steps - first,) + hs.shape[1:], dtype=hs.dtype)
    dh = dh_out[-1].copy()                       # dL/dh_t, starting at t = T
    for t in range(steps, first, -1):
        if every_step and t < steps:
            dh += dh_out[t - 1]                  # plus the upstream gradient at h_t itself
        kernels.backprop_activation(dh, hs[t], dz[t - 1 - first], relu)
        if t > first + 1 or carry_to_first:
            np.matmul(dz[t - 1 - first], WhhT, out=dh)   # carry to h_{t-1}: dz_t @ Whh.T
    return dz, (dh if carry_to_first else None)


def _bptt_window(WhhT, hs, dh_out, activation, k):
    if hs.shape[2] > COMPILED_UP_TO:
        return recurrent._bptt_window(WhhT, hs, dh_out, activation, k)
    return kernels.bptt_window(WhhT, hs, np.ascontiguousarray(dh_out), _relu(activation), k)


LOOPS = recurrent.Loops(_forward_steps, _bptt, _bptt_window)
