"""PyTorch's ``torch.nn.GRU`` as an external reference for the gru layer's definition.

``manual.layers.gru`` and ``auto.layers.gru`` follow the same written equations; torch's
GRU is the definition the module docstring claims to be, written by other people. Its
layout is the transpose of ours: ``weight_ih_l0`` is ``(3H, n_in)`` = ``Wxh.T``,
``weight_hh_l0`` = ``Whh.T``, ``bias_ih_l0`` = ``bxh``, ``bias_hh_l0`` = ``bhh``, the gates
in the same order r, z, n. Skipped, saying so, where PyTorch is not installed.
"""
import numpy as np
import pytest

from crosscheck import compare
from manual.layers import gru

torch = pytest.importorskip("torch", reason="PyTorch is not installed: external-reference tests "
                                            "skipped (pip install torch==2.13.0)")

# float64 on both sides, a handful of steps: the two differ only by rounding in a different
# order of summation (about 1e-15 relative per step, a few steps, conditioning of order 1),
# so 1e-9 of each array's scale is a wide margin that any difference of definition exceeds
RTOL, ATOL = 1e-9, 1e-14


def tensor(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def torch_gru(params, x, h0, dout, dh_last):
    """Outputs and gradients of ``sum(dout * out) + sum(dh_last * h_n)`` from torch.nn.GRU."""
    n_in, gates = params["Wxh"].shape
    module = torch.nn.GRU(n_in, gates // 3, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(tensor(params["Wxh"].T))
        module.weight_hh_l0.copy_(tensor(params["Whh"].T))
        module.bias_ih_l0.copy_(tensor(params["bxh"]))
        module.bias_hh_l0.copy_(tensor(params["bhh"]))
    xt = tensor(x, grad=True)
    h0t = None if h0 is None else tensor(h0[None], grad=True)   # (layers, batch, H)
    out, h_n = module(xt, h0t)
    (out * tensor(dout)).sum().add((h_n[0] * tensor(dh_last)).sum()).backward()
    found = {"out": out.detach().numpy(), "h_last": h_n.detach().numpy()[0], "dx": xt.grad.numpy(),
             "Wxh": module.weight_ih_l0.grad.numpy().T, "Whh": module.weight_hh_l0.grad.numpy().T,
             "bxh": module.bias_ih_l0.grad.numpy(), "bhh": module.bias_hh_l0.grad.numpy()}
    if h0 is not None:
        found["dh0"] = h0t.grad.numpy()[0]
    return found


SHAPES = [  # batch, time, n_in, H, h0 given
    (1, 1, 1, 1, False), (2, 5, 3, 4, True), (3, 7, 2, 5, False), (4, 3, 6, 2, True)]


@pytest.mark.parametrize("batch, steps, n_in, hidden, with_h0", SHAPES)
def test_gru_matches_torch_nn_gru(batch, steps, n_in, hidden, with_h0):
    rng = np.random.default_rng(batch * 1000 + steps * 10 + hidden)
    params = {"Wxh": rng.uniform(-1, 1, (n_in, 3 * hidden)), "Whh": rng.uniform(-1, 1, (hidden, 3 * hidden)),
              "bxh": rng.uniform(-1, 1, 3 * hidden), "bhh": rng.uniform(-1, 1, 3 * hidden)}
    x = rng.standard_normal((batch, steps, n_in))
    h0 = rng.standard_normal((batch, hidden)) if with_h0 else None
    dout, dh_last = rng.standard_normal((batch, steps, hidden)), rng.standard_normal((batch, hidden))
    out, cache = gru.forward(params, x, h0=h0)
    grads, dx, dh0 = gru.backward(params, cache, dout, dh_last=dh_last)
    ours = {"out": out, "h_last": cache.h_last, "dx": dx, **grads}
    if with_h0:
        ours["dh0"] = dh0
    result = compare(ours, torch_gru(params, x, h0, dout, dh_last), rtol=RTOL, atol=ATOL)
    assert result.ok, str(result)
