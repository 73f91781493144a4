"""Classic bugs of a stack's hand-written backward pass (see :mod:`crosscheck.zoo.bugs`):
what goes wrong between the layers and the directions, the cells themselves being right.

:func:`stack_reference` is a compact backward of :mod:`manual.layers.stack` over its
cells' ``_cell_backward``, with the hooks a bug swaps (:class:`StackHooks`); with none
swapped it is correct (the tests check it agrees). Each :class:`~crosscheck.zoo.bugs.Bug`
here is checked as the registered stack layer, through its vector-Jacobian product
(:mod:`crosscheck.vjp`), and carries ONE mistake.
"""
import functools
from typing import Callable, NamedTuple

import numpy as np

from crosscheck import vjp
from crosscheck.zoo.bugs import Bug
from manual.layers import stack
from modelspec import stack as spec
from modelspec import table

STACK = table.STACK.name


def _reversed_in_time(g):
    return g[:, ::-1]


class StackHooks(NamedTuple):
    """What a bug swaps. own_time: the reverse direction's upstream gradient put into its
    own time order; back_in_time: its input gradient put back into time order; slot: the
    index of layer l, direction d in h0 / dh_last ``(L * D, batch, H)``; passes_down: the
    gradient at a layer's input is the upstream gradient of the layer below; window: a
    deep stack truncates a window over the last k steps of every layer."""
    own_time: Callable = _reversed_in_time
    back_in_time: Callable = _reversed_in_time
    slot: Callable = lambda layer, direction, layers, directions: layer * directions + direction
    passes_down: bool = True
    window: bool = True


def _backward(params, cache, dout, dlast, truncate, hooks):
    module = table.get(cache.cell).manual_module()
    keys, steps = spec.cell_spec(cache.cell).KEYS, cache.inputs[0].shape[1]
    layers, directions, hidden = cache.layers, cache.directions, cache.h_last.shape[2]
    if hooks.window and truncate is not None and layers > 1 and truncate <= steps:
        activation = getattr(cache.caches[0], "activation", "tanh")
        grads, dx, _ = _backward(params, stack._window(params, cache, truncate, activation), dout,
                                 dlast, None, hooks)
        full = np.zeros(cache.inputs[0].shape)
        full[:, steps - truncate:] = dx
        return grads, full, {s: np.zeros_like(getattr(cache, f"{s}_last")) for s in dlast}
    grads, dstate0 = {}, {s: [None] * (layers * directions) for s in dlast}
    for layer in reversed(range(layers)):
        dbelow = 0.0
        for direction in range(directions):
            slot = hooks.slot(layer, direction, layers, directions)
            part = None if dout is None else dout[:, :, direction * hidden:(direction + 1) * hidden]
            if part is not None and direction:
                part = hooks.own_time(part)
            own = {s: None if v is None else v[slot] for s, v in dlast.items()}
            g, dx, d0 = module._cell_backward(
                spec.layer_params(params, layer, direction, keys), cache.caches[layer * directions + direction],
                None if part is None else np.ascontiguousarray(part.transpose(1, 0, 2)), own, truncate, True)
            grads.update({k + spec.suffix(layer, direction): v for k, v in g.items()})
            dbelow = dbelow + (hooks.back_in_time(dx) if direction else dx)
            for s in dstate0:
                dstate0[s][slot] = d0[s]
        dout = dbelow if hooks.passes_down or layer == 0 else np.zeros_like(dbelow)
    return grads, dout, {s: np.stack(v) for s, v in dstate0.items()}


def stack_reference(params, cache, dout, *, dh_last=None, dc_last=None, truncate=None,
                    input_grads=True, hooks=StackHooks()):
    """The stack's ``backward`` (same arguments and returns), built from ``hooks``."""
    names = spec.CELL_STATES[cache.cell]
    given = {"h": dh_last, "c": dc_last}
    grads, dx, dstate0 = _backward(params, cache, dout, {s: given[s] for s in names}, truncate, hooks)
    return (grads, dx) + tuple(dstate0[s] for s in names)


def _bug(**hooks):
    backward = functools.partial(stack_reference, hooks=StackHooks(**hooks))
    return vjp.manual_vjp(stack.forward, backward, ("x", "h0", "c0"),
                          (vjp.Upstream("dh_last", "h"), vjp.Upstream("dc_last", "c")))


def _identity(g):
    return g


def _direction_major(layer, direction, layers, directions):
    return direction * layers + layer


BUGS = [
    Bug("stack_reverse_gradient_not_reversed", STACK,
        "bidirectional backward feeds the reverse direction its upstream gradient in forward time order",
        "classic", _bug(own_time=_identity), STACK),
    Bug("stack_reverse_dx_not_reversed_back", STACK,
        "the reverse direction's input gradient is added to the layer below without reversing it back",
        "classic", _bug(back_in_time=_identity), STACK),
    Bug("stack_input_gradient_not_passed_down", STACK,
        "a layer's input gradient is not passed down: the layer below sees only its own final-state gradient",
        "classic", _bug(passes_down=False), STACK),
    Bug("stack_state_slots_direction_major", STACK,
        "h0 / dh_last slots indexed direction-major (d * L + l) instead of PyTorch's l * D + d",
        "classic", _bug(slot=_direction_major), STACK),
    Bug("stack_lower_layers_truncated_per_term", STACK,
        "a deep stack's lower layers truncated k steps from where their gradient arrives, not at the window",
        "classic", _bug(window=False), STACK),
]
