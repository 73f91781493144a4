"""PyTorch as an external reference for the stack (``num_layers``, ``bidirectional``) of
every cell, and for the sequence network (``nn.Embedding``, the stack and ``nn.Linear``),
in float64.

Tolerance: 1e-9 of each array's largest value. Both sides sum the same products in
another order over a few steps and layers, so they differ by float64 rounding (about
1e-15 relative per operation, observed below 1e-13); a wrong gradient differs at 1e-3 or
more.
"""
import numpy as np
import pytest

from manual import seqnet
from manual.layers import stack
from modelspec import stack as spec
from modelspec import table

torch = pytest.importorskip("torch", reason="PyTorch is not installed: external-reference tests "
                                            "skipped (pip install torch==2.13.0)")

RTOL = 1e-9
TORCH = {table.RECURRENT.name: "RNN", table.LSTM.name: "LSTM", table.GRU.name: "GRU"}


def _close(ours, theirs, what):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    scale = max(np.abs(theirs).max(), 1e-300)
    assert np.abs(ours - theirs).max() <= RTOL * scale, f"{what}: {np.abs(ours - theirs).max() / scale:.1e}"


def _torch_stack(cell, params, n_in, hidden, layers, bidirectional):
    """The torch module with our parameters: its weights are ours transposed; our one
    bias is its bias_ih (bias_hh zero), the GRU's two biases are its two."""
    module = getattr(torch.nn, TORCH[cell])(n_in, hidden, num_layers=layers, bidirectional=bidirectional,
                                            batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for layer in range(layers):
            for direction in range(1 + bidirectional):
                end = spec.suffix(layer, direction)
                getattr(module, f"weight_ih{end}").copy_(torch.tensor(params[f"Wxh{end}"].T))
                getattr(module, f"weight_hh{end}").copy_(torch.tensor(params[f"Whh{end}"].T))
                bias_ih, bias_hh = ((params[f"bxh{end}"], params[f"bhh{end}"]) if cell == table.GRU.name
                                    else (params[f"bh{end}"], np.zeros_like(params[f"bh{end}"])))
                getattr(module, f"bias_ih{end}").copy_(torch.tensor(bias_ih))
                getattr(module, f"bias_hh{end}").copy_(torch.tensor(bias_hh))
    return module


def _torch_grad(module, end, key, cell):
    name = {"Wxh": "weight_ih", "Whh": "weight_hh", "bh": "bias_ih", "bxh": "bias_ih", "bhh": "bias_hh"}[key]
    grad = getattr(module, f"{name}{end}").grad.numpy()
    return grad.T if key.startswith("W") else grad


@pytest.mark.parametrize("cell", spec.CELLS)
@pytest.mark.parametrize("layers, bidirectional", [(1, True), (2, False), (3, True)])
def test_stack_matches_torch(cell, layers, bidirectional):
    rng = np.random.default_rng(layers + 10 * bidirectional)
    n_in, hidden, batch, steps = 3, 4, 2, 5
    params = {k: v + 0.3 * rng.standard_normal(v.shape)
              for k, v in stack.init_params(n_in, hidden, layers, cell=cell, bidirectional=bidirectional,
                                            rng=0).items()}
    slots = layers * (1 + bidirectional)
    names = spec.CELL_STATES[cell]
    x = rng.standard_normal((batch, steps, n_in))
    initial = {s: rng.standard_normal((slots, batch, hidden)) for s in names}
    out, cache = stack.forward(params, x, cell=cell, **{f"{s}0": v for s, v in initial.items()})
    dout = rng.standard_normal(out.shape)
    dlast = {s: rng.standard_normal((slots, batch, hidden)) for s in names}
    grads, dx, *dstate0 = stack.backward(params, cache, dout, **{f"d{s}_last": v for s, v in dlast.items()})

    module = _torch_stack(cell, params, n_in, hidden, layers, bidirectional)
    tx = torch.tensor(x, requires_grad=True)
    t0 = {s: torch.tensor(v, requires_grad=True) for s, v in initial.items()}
    tout, tlast = module(tx, (t0["h"], t0["c"]) if "c" in names else t0["h"])
    tlast = dict(zip(names, tlast)) if "c" in names else {"h": tlast}
    value = (tout * torch.tensor(dout)).sum() + sum((tlast[s] * torch.tensor(dlast[s])).sum() for s in names)
    value.backward()
    _close(out, tout, "out")
    for s in names:
        _close(getattr(cache, f"{s}_last"), tlast[s], f"{s}_last")
    for key in params:
        cell_key, _, _ = key.partition("_l")
        end = key[len(cell_key):]
        _close(grads[key], _torch_grad(module, end, cell_key, cell), key)
    _close(dx, tx.grad, "dx")
    for s, d0 in zip(names, dstate0):
        _close(d0, t0[s].grad, f"d{s}0")


@pytest.mark.parametrize("cell", spec.CELLS)
def test_seqnet_with_an_embedding_matches_torch(cell):
    rng = np.random.default_rng(3)
    vocab, n_in, hidden, n_out, layers = 6, 3, 4, 3, 2
    params = {k: v + 0.3 * rng.standard_normal(v.shape)
              for k, v in seqnet.init_params(n_in, hidden, n_out, layers, cell=cell, bidirectional=True,
                                             vocab=vocab, rng=0).items()}
    ids, y = rng.integers(0, vocab, (3, 5)), rng.integers(0, n_out, 3)
    value, grads = seqnet.loss_and_grads(params, ids, y, loss="cross_entropy", cell=cell)

    embedding = torch.nn.Embedding(vocab, n_in, dtype=torch.float64)
    head = torch.nn.Linear(2 * hidden, n_out, dtype=torch.float64)
    module = _torch_stack(cell, params, n_in, hidden, layers, True)
    with torch.no_grad():
        embedding.weight.copy_(torch.tensor(params["Wemb"]))
        head.weight.copy_(torch.tensor(params["Wy"].T))
        head.bias.copy_(torch.tensor(params["by"]))
    _, last = module(embedding(torch.tensor(ids)))
    h_n = last[0] if isinstance(last, tuple) else last
    logits = head(torch.cat([h_n[-2], h_n[-1]], dim=1))                 # h_n[-2:], as ours
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=RTOL)
    _close(grads["Wemb"], embedding.weight.grad, "Wemb")
    _close(grads["Wy"], head.weight.grad.numpy().T, "Wy")
    _close(grads["by"], head.bias.grad, "by")
    for key in params:
        if "_l" in key:
            cell_key, _, _ = key.partition("_l")
            _close(grads[key], _torch_grad(module, key[len(cell_key):], cell_key, cell), key)
