"""The stack of recurrent layers: built from its cells, what truncation and chunking mean,
and bad input named. Its gradients against autograd come from the catalog (property
tests over every cell, depth and direction); PyTorch's num_layers and bidirectional are
in tests/test_torch_stack.py."""
import numpy as np
import pytest

from manual.layers import stack
from modelspec import stack as spec
from modelspec import table

CELLS = spec.CELLS


def _params(cell, layers=2, bidirectional=False, n_in=3, hidden=4, seed=0):
    params = stack.init_params(n_in, hidden, layers, cell=cell, bidirectional=bidirectional, rng=seed)
    rng = np.random.default_rng(seed + 1)
    return {k: v + 0.2 * rng.standard_normal(v.shape) for k, v in params.items()}


def _initial(cell, slots, batch, hidden, rng):
    return {f"{s}0": rng.standard_normal((slots, batch, hidden)) for s in spec.CELL_STATES[cell]}


@pytest.mark.parametrize("cell", CELLS)
def test_one_unidirectional_layer_is_the_cell_itself(cell):
    rng = np.random.default_rng(0)
    params = _params(cell, layers=1)
    own = {k[:-len("_l0")]: v for k, v in params.items()}
    x, initial = rng.standard_normal((2, 5, 3)), _initial(cell, 1, 2, 4, rng)
    module = table.get(cell).manual_module()
    out, cache = stack.forward(params, x, cell=cell, **initial)
    cell_out, cell_cache = module.forward(own, x, **{k: v[0] for k, v in initial.items()})
    np.testing.assert_array_equal(out, cell_out)
    dout = rng.standard_normal(out.shape)
    grads, dx, *dstates = stack.backward(params, cache, dout, truncate=2)
    cell_grads, cell_dx, *cell_dstates = module.backward(own, cell_cache, dout, truncate=2)
    for key, value in cell_grads.items():
        np.testing.assert_allclose(grads[key + "_l0"], value, rtol=1e-12)
    np.testing.assert_allclose(dx, cell_dx, rtol=1e-12)
    for stacked, single in zip(dstates, cell_dstates):
        np.testing.assert_allclose(stacked[0], single, rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_the_reverse_direction_is_the_cell_on_the_reversed_sequence(cell):
    rng = np.random.default_rng(1)
    params = _params(cell, layers=1, bidirectional=True)
    x = rng.standard_normal((2, 4, 3))
    out, cache = stack.forward(params, x, cell=cell)
    reverse = {k[:-len("_l0_reverse")]: v for k, v in params.items() if k.endswith("_reverse")}
    own_out, own_cache = table.get(cell).manual_module().forward(reverse, x[:, ::-1])
    np.testing.assert_allclose(out[:, :, 4:], own_out[:, ::-1], rtol=1e-13)
    np.testing.assert_allclose(cache.h_last[1], own_cache.h_last, rtol=1e-13)   # after reading x_1


@pytest.mark.parametrize("cell", CELLS)
def test_chunks_carried_through_h_last_are_one_pass(cell):
    rng = np.random.default_rng(2)
    params, x = _params(cell), rng.standard_normal((2, 6, 3))
    whole, cache = stack.forward(params, x, cell=cell)
    first, first_cache = stack.forward(params, x[:, :4], cell=cell)
    carried = {"h0": first_cache.h_last, **({"c0": first_cache.c_last} if cell == table.LSTM.name else {})}
    second, second_cache = stack.forward(params, x[:, 4:], cell=cell, **carried)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-12)
    np.testing.assert_allclose(second_cache.h_last, cache.h_last, rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_a_deep_window_is_the_stack_run_on_the_last_k_steps_from_the_held_states(cell):
    rng = np.random.default_rng(3)
    params, x, k = _params(cell, layers=3), rng.standard_normal((2, 7, 3)), 3
    out, cache = stack.forward(params, x, cell=cell)
    dh_last = rng.standard_normal(cache.h_last.shape)
    grads, dx, *dstates = stack.backward(params, cache, None, dh_last=dh_last, truncate=k)
    # the same stack on the last k steps, from every layer's state at T - k taken as given
    held = {f"{s}0": np.stack([c.state_at(7 - k)[s] for c in cache.caches]) for s in spec.CELL_STATES[cell]}
    _, window = stack.forward(params, x[:, 7 - k:], cell=cell, **held)
    window_grads, window_dx, *_ = stack.backward(params, window, None, dh_last=dh_last)
    for key in params:
        np.testing.assert_allclose(grads[key], window_grads[key], rtol=1e-12)
    np.testing.assert_allclose(dx[:, 7 - k:], window_dx, rtol=1e-12)
    assert not dx[:, :7 - k].any() and not any(d.any() for d in dstates)
    # a window of T or more steps: T holds h0 constant, more is full BPTT
    full = stack.backward(params, cache, None, dh_last=dh_last)
    longer = stack.backward(params, cache, None, dh_last=dh_last, truncate=8)
    for key in params:
        np.testing.assert_allclose(longer[0][key], full[0][key], rtol=1e-12)
    assert not stack.backward(params, cache, None, dh_last=dh_last, truncate=7)[2].any()


def test_lower_layers_get_the_gradient_through_their_outputs():
    rng = np.random.default_rng(4)
    params, x = _params(table.RECURRENT.name, layers=2), rng.standard_normal((2, 5, 3))
    out, cache = stack.forward(params, x)
    grads, dx, dh0 = stack.backward(params, cache, rng.standard_normal(out.shape))
    assert np.abs(grads["Wxh_l0"]).min() > 0 and np.abs(dx).min() > 0


@pytest.mark.parametrize("make, call, error, words", [
    (lambda p, x: ({**p, "Wxh_2": p["Wxh_l0"]}, x), "forward", ValueError, "named <cell key>_l<layer>"),
    (lambda p, x: ({k: v for k, v in p.items() if k != "Wxh_l1"}, x), "forward", ValueError, "params['Wxh_l1']"),
    (lambda p, x: ({**p, "Wxh_l1": p["Wxh_l1"][:3]}, x), "forward", ValueError, "must have 4 rows"),
    (lambda p, x: (p, x[..., :2]), "forward", ValueError, "x must have shape (batch, time, 3)"),
    (lambda p, x: (p, x), "cell", ValueError, "cell must be one of"),
    (lambda p, x: (p, x), "c0", ValueError, "c0 is the initial cell state of an LSTM"),
    (lambda p, x: (p, x), "h0", ValueError, "h0 must have shape (2, 2, 4)"),
    (lambda p, x: (p, x), "activation", ValueError, "activation applies to cell 'recurrent' only"),
])
def test_bad_input_is_named(make, call, error, words):
    rng = np.random.default_rng(5)
    params, x = make(_params(table.GRU.name), rng.standard_normal((2, 3, 3)))
    kwargs = {"forward": {}, "cell": {"cell": "transformer"}, "c0": {"c0": np.zeros((2, 2, 4))},
              "h0": {"h0": np.zeros((2, 4))}, "activation": {"activation": "relu"}}[call]
    with pytest.raises(error) as raised:
        stack.forward(params, x, **{"cell": table.GRU.name, **kwargs})
    assert words in str(raised.value), str(raised.value)


@pytest.mark.parametrize("layers, bidirectional, with_dout, words", [
    (1, True, True, "a bidirectional one reads the future"),
    (2, False, True, "a stack of 2 truncates a window"),
])
def test_truncation_it_does_not_define_is_refused(layers, bidirectional, with_dout, words):
    rng = np.random.default_rng(6)
    params = _params(table.RECURRENT.name, layers=layers, bidirectional=bidirectional)
    out, cache = stack.forward(params, rng.standard_normal((2, 4, 3)))
    dout = rng.standard_normal(out.shape) if with_dout else None
    with pytest.raises(ValueError, match=words):
        stack.backward(params, cache, dout, dh_last=np.zeros(cache.h_last.shape), truncate=2)


def test_float32_is_kept():
    rng = np.random.default_rng(7)
    params = {k: v.astype(np.float32) for k, v in _params(table.LSTM.name, bidirectional=True).items()}
    out, cache = stack.forward(params, rng.standard_normal((2, 3, 3)).astype(np.float32), cell=table.LSTM.name)
    grads, dx, dh0, dc0 = stack.backward(params, cache, np.ones_like(out))
    assert out.dtype == dx.dtype == dh0.dtype == dc0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
