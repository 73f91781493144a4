"""PyTorch's ``torch.nn.LSTM`` as an external reference for the LSTM layer.

``manual.layers.lstm`` and ``auto.layers.lstm`` follow one written definition (gates i, f,
g, o along the 4H axis); ``torch.nn.LSTM`` is the same definition written by other people.
Our layout mapped to torch's explicitly: ``weight_ih_l0 = Wxh.T`` ``(4H, n_in)``,
``weight_hh_l0 = Whh.T`` ``(4H, H)``, ``bias_ih_l0 = bh`` and ``bias_hh_l0 = 0`` (torch adds
two biases where we have one); torch's states ``(h_n, c_n)`` carry a leading
``num_layers`` axis of 1. Compared: the output, h_T and c_T, and the gradients of a random
linear function of all three with respect to every parameter, x, h0 and c0.

Tolerance 1e-9 relative to each array's scale: both sides compute in float64 and differ
only in the order of their sums (torch adds the two biases, fuses the gate GEMMs), which
over a few steps costs a few units of 1e-16 per operation, far below 1e-9; a wrong gate
order or a missing term is off by order 1.
"""
import numpy as np
import pytest

from manual.layers import lstm

torch = pytest.importorskip("torch", reason="PyTorch is not installed: external-reference tests "
                                            "skipped (pip install torch==2.13.0)")
RTOL = 1e-9


def tensor(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def torch_lstm(params):
    """``torch.nn.LSTM`` holding our parameters (float64, batch-first)."""
    n_in, hidden = params["Wxh"].shape[0], params["Whh"].shape[0]
    module = torch.nn.LSTM(n_in, hidden, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(tensor(params["Wxh"].T))
        module.weight_hh_l0.copy_(tensor(params["Whh"].T))
        module.bias_ih_l0.copy_(tensor(params["bh"]))
        module.bias_hh_l0.zero_()
    return module


def assert_close(ours, theirs, name):
    scale = np.abs(theirs).max()
    assert np.abs(ours - theirs).max() <= RTOL * max(scale, 1e-300), name


CASES = [  # (n_in, H, batch, T, initial states given, seed)
    (3, 4, 2, 5, True, 0),
    (3, 4, 2, 5, False, 1),
    (1, 1, 1, 1, True, 2),
    (5, 2, 4, 8, False, 3),
    (2, 6, 3, 3, True, 4),
]


@pytest.mark.parametrize("n_in, hidden, batch, steps, given, seed", CASES)
def test_lstm_matches_torch(n_in, hidden, batch, steps, given, seed):
    rng = np.random.default_rng(seed)
    params = {"Wxh": rng.uniform(-1, 1, (n_in, 4 * hidden)), "Whh": rng.uniform(-1, 1, (hidden, 4 * hidden)),
              "bh": rng.uniform(-1, 1, 4 * hidden)}
    x = rng.standard_normal((batch, steps, n_in))
    h0, c0 = (rng.standard_normal((batch, hidden)) if given else None for _ in range(2))
    dout, dh_last, dc_last = (rng.standard_normal(s) for s in
                              ((batch, steps, hidden), (batch, hidden), (batch, hidden)))

    out, cache = lstm.forward(params, x, h0=h0, c0=c0)
    grads, dx, dh0, dc0 = lstm.backward(params, cache, dout, dh_last=dh_last, dc_last=dc_last)

    module, xt = torch_lstm(params), tensor(x, grad=True)
    states = (tensor(h0[None], grad=True), tensor(c0[None], grad=True)) if given else None
    out_t, (h_n, c_n) = module(xt, states)
    value = ((out_t * tensor(dout)).sum() + (h_n[0] * tensor(dh_last)).sum()
             + (c_n[0] * tensor(dc_last)).sum())
    value.backward()

    assert_close(out, out_t.detach().numpy(), "out")
    assert_close(cache.h_last, h_n[0].detach().numpy(), "h_T")
    assert_close(cache.c_last, c_n[0].detach().numpy(), "c_T")
    assert_close(grads["Wxh"], module.weight_ih_l0.grad.numpy().T, "Wxh")
    assert_close(grads["Whh"], module.weight_hh_l0.grad.numpy().T, "Whh")
    assert_close(grads["bh"], module.bias_ih_l0.grad.numpy(), "bh")
    # torch's second bias gets the same gradient: it enters the pre-activation the same way
    assert_close(grads["bh"], module.bias_hh_l0.grad.numpy(), "bias_hh_l0")
    assert_close(dx, xt.grad.numpy(), "x")
    if given:
        assert_close(dh0, states[0].grad.numpy()[0], "h0")
        assert_close(dc0, states[1].grad.numpy()[0], "c0")


def test_torch_reads_the_same_gate_order():
    # a forget gate shut (bias -1000 on its slice) and an input gate open: c_t = i * g only,
    # in torch as in ours; with the slices swapped, the two would differ
    rng = np.random.default_rng(5)
    params = lstm.init_params(2, 3, rng=rng, forget_bias=-1e3)
    x, c0 = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 3))
    _, cache = lstm.forward(params, x, c0=c0)
    i, g = cache.gates[-1][:, :3], cache.gates[-1][:, 6:9]
    np.testing.assert_allclose(cache.c_last, i * g, rtol=1e-12)
    _, (_, c_n) = torch_lstm(params)(tensor(x), (torch.zeros(1, 2, 3, dtype=torch.float64), tensor(c0[None])))
    assert_close(cache.c_last, c_n[0].detach().numpy(), "c_T")
