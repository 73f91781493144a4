"""PyTorch as an external reference for the forward definitions.

``manual/`` and ``auto/`` are written independently, but both follow the same written
definition of each model; if that definition were wrong, they would agree on the wrong
thing. ``torch.nn.RNN``, ``torch.nn.Linear`` and PyTorch's losses are a definition
written by other people: these tests set them to the same weights and compare losses
and gradients. Skipped, saying so, where PyTorch is not installed
(``pip install torch==2.13.0`` installs the CPU build on the project's machines).
"""
import numpy as np
import pytest
from hypothesis import given, settings

import manual
from benchmarks.models import torch_linear_layers, torch_rnn_modules
from crosscheck import compare, strategies

torch = pytest.importorskip("torch", reason="PyTorch is not installed: external-reference tests "
                                            "skipped (pip install torch==2.13.0)")
nn = torch.nn
EXAMPLES = settings(max_examples=40)


def tensor(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def torch_loss(name, logits, y, reduction):
    if name == "bce":
        return nn.functional.binary_cross_entropy_with_logits(logits, tensor(y), reduction=reduction)
    if name == "cross_entropy":
        flat = logits.reshape(-1, logits.shape[-1])
        return nn.functional.cross_entropy(flat, torch.tensor(np.asarray(y).reshape(-1)), reduction=reduction)
    return nn.functional.mse_loss(logits, tensor(y), reduction=reduction)


def assert_agree(ours, theirs):
    result = compare(ours, theirs)
    assert result.ok, str(result)


ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


@EXAMPLES
@given(strategies.mlp_cases())
def test_mlp_matches_torch_linear_layers(case):
    params, (x, y), opt = case.params, case.args, case.options
    value, grads, inputs = manual.mlp.loss_and_grads(params, x, y, return_input_grads=True, **opt)
    layers = torch_linear_layers(torch, params, torch.float64)
    xt = tensor(x, grad=True)
    a = xt
    for layer in layers[:-1]:
        a = ACTIVATIONS[opt["activation"]](layer(a))
    loss = torch_loss(opt["loss"], layers[-1](a), y, opt["reduction"])
    loss.backward()
    theirs = {"loss": loss.detach().numpy(), "dx": xt.grad.numpy()}
    for i, layer in enumerate(layers):
        theirs[f"W{i}"] = layer.weight.grad.numpy().T
        theirs[f"b{i}"] = layer.bias.grad.numpy()
    assert_agree({"loss": value, "dx": inputs["x"], **grads}, theirs)


def torch_rnn_loss_and_grads(params, x, y, *, loss, output, reduction, activation, h0=None):
    rnn, head = torch_rnn_modules(torch, params, activation, torch.float64)
    xt = tensor(x, grad=True)
    h0t = None if h0 is None else tensor(h0[None], grad=True)
    states, _ = rnn(xt, h0t)
    logits = head(states[:, -1] if output == "last" else states)
    value = torch_loss(loss, logits, y, reduction)
    value.backward()
    out = {"loss": value.detach().numpy(), "dx": xt.grad.numpy(),
           "Wxh": rnn.weight_ih_l0.grad.numpy().T, "Whh": rnn.weight_hh_l0.grad.numpy().T,
           "bh": rnn.bias_ih_l0.grad.numpy(), "Wy": head.weight.grad.numpy().T, "by": head.bias.grad.numpy()}
    if h0 is not None:
        out["dh0"] = h0t.grad.numpy()[0]
    return out


@EXAMPLES
@given(strategies.rnn_cases())
def test_rnn_matches_torch_nn_rnn(case):
    opt = {**case.options, "truncate": None}   # torch has no per-term truncation: full BPTT
    params, (x, y) = case.params, case.args
    value, grads, inputs = manual.rnn.loss_and_grads(params, x, y, return_input_grads=True, **opt)
    ours = {"loss": value, **grads, **{f"d{k}": v for k, v in inputs.items()}}
    del opt["truncate"]
    assert_agree(ours, torch_rnn_loss_and_grads(params, x, y, **opt))
