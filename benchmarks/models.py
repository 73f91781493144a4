"""The problems the benchmark times and the contenders that solve them.

A problem is one model (or one recurrent layer with a head), one shape and one set of
options with its data, drawn from a fixed seed. A contender computes the loss and the
gradient of every parameter for it:

- ``ours``: the model's ``manual.<model>.loss_and_grads`` (float64 and, with every array
  cast, float32), and each other installed implementation of it in the table (the compiled
  loops, ``rnn_numba`` and, for the recurrent layers, ``seqnet_numba``: "ours numba");
- ``autograd``: ``autograd.value_and_grad`` of the model's ``auto.<model>.loss``;
- the other libraries (:data:`LIBRARIES`), each optional, imported only when asked for
  and installed, float64 and float32:

  - ``torch``: ``torch.nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (``num_layers`` for a stack) +
    ``nn.Linear`` head (or ``nn.Linear`` layers for the MLP) holding the same weights.
    torch keeps two recurrent biases; for the vanilla and LSTM cells ``bias_ih`` holds ours
    and ``bias_hh`` is zero (their sum is what the recurrence uses), the GRU's two are its
    two. Truncated BPTT is torch's usual idiom: the first T - k steps run under
    ``no_grad`` and the last k start from that (detached) state, which for many-to-one is
    exactly our truncation.
  - ``jax``: ``jax.jit(jax.value_and_grad(loss))`` of a pure function of our parameter
    dict, the recurrence a ``jax.lax.scan``, compiled before anything is timed, every call
    ending in ``block_until_ready``. Truncation: the state at step T - k is computed by a
    first scan and passed through ``jax.lax.stop_gradient``, the last k steps scan from it
    (many-to-one: our gradient). Float64 needs ``jax_enable_x64`` (process-global, set by
    :func:`import_jax`); the float32 contender gets float32 arrays, so it stays float32.

  Many-to-many with truncation k < T (a per-term window, ours and autograd's) has no
  counterpart in either; no problem of the benchmark asks for it.

Each contender has ``call`` (what is timed: forward and backward, gradients for the
parameters only, as a training step needs) and ``result`` (the same computation,
returning ``(loss, {key: gradient})`` as NumPy arrays keyed like our parameters, for the
agreement check).

The models are the entries of ``modelspec.table`` (``Problem.model`` is one); each model
the benchmark covers has its problems in :data:`PROBLEMS`, and everything that loops over
models loops over :data:`PROBLEMS`. A recurrent layer (LSTM, GRU, a stack) is benchmarked
as the sequence network ``manual.seqnet`` holding it with a linear head
(``Problem.via``). Each library's equivalent is in :data:`TORCH` and :data:`JAX`, keyed
by the same entries; every recurrent problem is described once, library-neutrally, by
:func:`recurrence`, which both libraries read.
"""
import dataclasses
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from autograd import value_and_grad

from modelspec import seqnet as seqnet_spec
from modelspec import stack as stack_spec
from modelspec import table

RNN_SHAPES = ((3, 3, 2, 3), (32, 100, 100, 32), (64, 100, 128, 256), (16, 1000, 32, 64))
RNN_VARIANTS = {
    "many-to-one": dict(output="last", truncate=None),
    "many-to-many": dict(output="all", truncate=None),
    "many-to-one, k=10": dict(output="last", truncate=10),
}
# the recurrent layers benchmarked as a sequence network (manual.seqnet, a linear head):
# {entry: (cell, layers)}, each many-to-one at the RNN's shapes
CELLS = {table.LSTM: (table.LSTM.name, 1), table.GRU: (table.GRU.name, 1),
         table.STACK: (table.RECURRENT.name, 2)}
# weight matrices per cell: the 4 (LSTM) or 3 (GRU) gates side by side
GATES = {table.RECURRENT.name: 1, table.LSTM.name: 4, table.GRU.name: 3}
MLP_SIZES = (784, 256, 256, 10)
MLP_BATCH = 128
CEILING_SHAPE = (64, 256, 256)      # (rows, inner, columns) of the single-step GEMM


@dataclass
class Problem:
    model: table.Entry               # what is benchmarked, an entry of modelspec.table (table.RNN, table.LSTM, ...)
    label: str                       # shape and variant, for the report
    params: dict                     # float64
    x: np.ndarray
    y: np.ndarray
    options: dict                    # keyword options of loss_and_grads / auto loss
    flops: int                       # GEMM flops of forward + backward (see *_flops)
    shape: tuple = ()
    variant: str = ""
    via: Optional[table.Entry] = None   # the model that computes it when ``model`` is a layer

    @property
    def network(self):
        """The model entry whose ``loss_and_grads`` (and autograd twin's ``loss``) solve it."""
        return self.via or self.model

    def cast(self, dtype):
        """params, x and y with every float array cast to ``dtype`` (labels stay int)."""
        def c(a):
            return a.astype(dtype) if np.asarray(a).dtype.kind == "f" else a
        return {k: c(v) for k, v in self.params.items()}, c(self.x), c(self.y)


@dataclass
class Contender:
    name: str
    dtype: type
    pool: str                        # whose threads run it: "numpy", "torch" or "jax"
    call: Callable[[], object]
    result: Callable[[], tuple]
    memory: Optional[Callable[[], int]] = None   # its own peak-memory report (benchmarks.memory)


# --------------------------------------------------------------------------- problems

def rnn_problem(shape, variant, seed=0):
    """A tanh RNN ``(batch, time, features, hidden)`` with a 1-output sigmoid + BCE head."""
    batch, steps, n_in, hidden = shape
    rng = np.random.default_rng(seed)
    params = table.RNN.manual_module().init_params(n_in, hidden, 1, rng=rng)   # Glorot, orthogonal Whh
    params["bh"] = rng.uniform(-0.1, 0.1, hidden)
    params["by"] = rng.uniform(-0.1, 0.1, 1)
    x = rng.standard_normal((batch, steps, n_in))
    options = dict(loss="bce", activation="tanh", **RNN_VARIANTS[variant])
    y_shape = (batch, 1) if options["output"] == "last" else (batch, steps, 1)
    y = rng.integers(0, 2, y_shape).astype(np.float64)
    label = f"({batch}, {steps}, {n_in}, {hidden})"
    return Problem(table.RNN, label, params, x, y, options,
                   rnn_flops(shape, options["output"], options["truncate"]), shape, variant)


def cell_problem(entry, shape, seed=0):
    """The recurrent layer ``entry`` (a key of :data:`CELLS`) ``(batch, time, features,
    hidden)``, many-to-one, as ``manual.seqnet``: the cell's stack (its own init: Glorot,
    orthogonal recurrent blocks, the LSTM's forget bias 1), a 1-output head, sigmoid + BCE.
    Every bias gets U(-0.1, 0.1) added, so that no gradient is checked only at zero biases."""
    cell, layers = CELLS[entry]
    batch, steps, n_in, hidden = shape
    rng = np.random.default_rng(seed)
    params = table.SEQNET.manual_module().init_params(n_in, hidden, 1, layers, cell=cell, rng=rng)
    for key in sorted(params):
        if key.startswith("b"):                      # bh, bxh, bhh of each layer, by
            params[key] = params[key] + rng.uniform(-0.1, 0.1, params[key].shape)
    x = rng.standard_normal((batch, steps, n_in))
    y = rng.integers(0, 2, (batch, 1)).astype(np.float64)
    options = dict(loss="bce", cell=cell, output="last", truncate=None)
    variant = "many-to-one" if layers == 1 else f"{layers} layers, many-to-one"
    label = f"({batch}, {steps}, {n_in}, {hidden})"
    flops = rnn_flops(shape, "last", None, gates=GATES[cell], layers=layers)
    return Problem(entry, label, params, x, y, options, flops, shape, variant, via=table.SEQNET)


def rnn_flops(shape, output, truncate, n_out=1, *, gates=1, layers=1):
    """GEMM flops (2 per multiply-add) of forward + backward for the parameters.

    forward: the input projection and the recurrence at every step, and the head;
    backward over the steps that receive a gradient (all T, or the last k when
    many-to-one is truncated): the carry ``dz_t @ Whh.T``, ``dWxh``, ``dWhh``, and the
    head's ``dWy`` and ``dlogits @ Wy.T``. The count is the model's, the same for every
    contender (a contender that recomputes, like autograd's truncation, is not credited).
    ``gates``: weight matrices side by side (LSTM 4, GRU 3), which multiplies every
    recurrence GEMM; ``layers``: a stack, layer l > 0 reading the H states below it and
    sending them a gradient (``da_t @ Wxh.T``).
    """
    batch, steps, n_in, hidden = shape
    heads = steps if output == "all" else 1
    back = steps if truncate is None else min(truncate, steps)
    width = gates * hidden
    forward = backward = 0
    for layer in range(layers):
        reads = n_in if layer == 0 else hidden
        forward += 2 * batch * steps * (reads * width + hidden * width)
        backward += 2 * batch * back * (hidden * width + reads * width + hidden * width)
        if layer > 0:
            backward += 2 * batch * back * width * reads
    forward += 2 * batch * heads * hidden * n_out
    backward += 2 * 2 * batch * heads * hidden * n_out
    return forward + backward


def mlp_problem(seed=0):
    """MLP 784-256-256-10, ReLU, softmax cross-entropy, batch 128 (an MNIST-sized step)."""
    rng = np.random.default_rng(seed)
    params = table.MLP.manual_module().init_params(list(MLP_SIZES), rng=rng, init="he_normal")
    for i in range(len(MLP_SIZES) - 1):
        params[f"b{i}"] = rng.uniform(-0.1, 0.1, MLP_SIZES[i + 1])
    x = rng.uniform(0, 1, (MLP_BATCH, MLP_SIZES[0]))
    y = rng.integers(0, MLP_SIZES[-1], MLP_BATCH)
    options = dict(loss="cross_entropy", activation="relu")
    label = "-".join(map(str, MLP_SIZES)) + f", batch {MLP_BATCH}"
    return Problem(table.MLP, label, params, x, y, options, mlp_flops(MLP_SIZES, MLP_BATCH),
                   (MLP_BATCH,) + MLP_SIZES, "ReLU + softmax CE")


def mlp_flops(sizes, batch):
    """forward ``a @ W`` of every layer; backward ``dW`` of every layer and ``g @ W.T``
    of every layer but the first (the gradient for x is not asked for)."""
    layers = [2 * batch * a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * sum(layers) + sum(layers[1:])


def rnn_problems(shapes=None):
    """Every variant at every shape (default :data:`RNN_SHAPES`), shape by shape."""
    return [rnn_problem(shape, variant) for shape in shapes or RNN_SHAPES for variant in RNN_VARIANTS]


def cell_problems(entry):
    """``shapes -> [Problem]`` for the recurrent layer ``entry``: many-to-one at every shape
    (default :data:`RNN_SHAPES`)."""
    def problems(shapes=None):
        return [cell_problem(entry, shape) for shape in shapes or RNN_SHAPES]
    return problems


def mlp_problems(shapes=None):
    """The one MLP problem (``shapes`` are RNN shapes: the MLP has none to choose)."""
    return [mlp_problem()]


# Each model the benchmark covers and its problems, in the report's order:
# ``PROBLEMS[entry](shapes)`` is a list of :class:`Problem`.
PROBLEMS = {table.RNN: rnn_problems, table.LSTM: cell_problems(table.LSTM),
            table.GRU: cell_problems(table.GRU), table.STACK: cell_problems(table.STACK),
            table.MLP: mlp_problems}


@dataclass(frozen=True)
class Recurrence:
    """A recurrent problem described for the other libraries: its cell (a table name),
    each layer's key suffix (``""`` for the RNN model's ``Wxh``; ``"_l0"``, ``"_l1"``, ...
    for a stack's), the cell's keys and states, the activation of a vanilla cell, output
    ("last" / "all") and truncate."""
    cell: str
    suffixes: tuple
    keys: tuple
    states: tuple
    activation: str
    output: str
    truncate: Optional[int]


def recurrence(problem):
    """The :class:`Recurrence` of a recurrent problem (the RNN model or a sequence
    network over real x), None for any other."""
    options = problem.options
    if problem.network is table.RNN:
        cell, suffixes = table.RECURRENT.name, ("",)
    elif problem.network is table.SEQNET:
        cell = options["cell"]
        layers, directions = stack_spec.structure(seqnet_spec.parts(problem.params)[1])
        if directions != 1:
            raise ValueError("a bidirectional stack is not benchmarked")
        suffixes = tuple(stack_spec.suffix(layer, 0) for layer in range(layers))
    else:
        return None
    return Recurrence(cell, suffixes, stack_spec.cell_spec(cell).KEYS, stack_spec.CELL_STATES[cell],
                      options.get("activation", "tanh"), options.get("output", "last"),
                      options.get("truncate"))


def _window_start(rec, steps):
    """The first step that gets a gradient: 0, or T - k for truncated many-to-one. A
    per-term window (many-to-many, k < T) has no counterpart in torch or JAX."""
    if rec.truncate is None or rec.truncate >= steps:
        return 0
    if rec.output != "last":
        raise ValueError("no per-term truncation (many-to-many, k < T) outside ours and autograd")
    return steps - rec.truncate


def states_and_gradients(problem, dtype=np.float64):
    """Bytes of what a forward + backward cannot do without: every layer's states
    ``(T + 1) * batch * H`` (h, and c for the LSTM) and one gradient per parameter, in
    ``dtype`` (the lower bound of the memory table); None for a problem without states."""
    rec = recurrence(problem)
    if rec is None:
        return None
    batch, steps = problem.x.shape[:2]
    hidden = problem.params["Whh" + rec.suffixes[0]].shape[0]
    states = len(rec.suffixes) * len(rec.states) * (steps + 1) * batch * hidden
    gradients = sum(np.size(v) for v in problem.params.values())
    return (states + gradients) * np.dtype(dtype).itemsize


# --------------------------------------------------------------------------- contenders

def ours(problem, dtype=np.float64, entry=None):
    """Our ``loss_and_grads`` of the problem's network, or of ``entry``, another
    implementation of it (a compiled one, named by its package: "ours numba f64")."""
    params, x, y = problem.cast(dtype)
    fn = (entry or problem.network).manual_module().loss_and_grads
    name = "ours" if entry is None else f"ours {entry.requires}"

    def call():
        return fn(params, x, y, **problem.options)
    return Contender(f"{name} {_short(dtype)}", dtype, "numpy", call, call)


def implementations(problem):
    """The installed table entries that implement the problem's network another way."""
    return [e for e in table.ENTRIES if e.implements == problem.network.name]


def ours_full_bptt(problem, dtype=np.float64):
    """Ours with full BPTT on a truncated problem's data. It is timed in the truncated
    problem's own rounds, so that the cost of truncation is a ratio measured under the same
    conditions; it is not checked against that problem's reference (its gradients are
    full BPTT's, by design not the truncated ones; ``ours`` is checked on the full problem)."""
    full = dataclasses.replace(problem, options={**problem.options, "truncate": None})
    contender = ours(full, dtype)
    return dataclasses.replace(contender, name=f"{contender.name} full")


def autograd(problem):
    value_and_grads = value_and_grad(problem.network.auto_module().loss)

    def call():
        return value_and_grads(problem.params, problem.x, problem.y, **problem.options)
    return Contender("autograd f64", np.float64, "numpy", call, call)


def external(problem, library, module, dtype):
    """The contender of ``library`` (a key of :data:`LIBRARIES`, ``module`` the imported
    library) for ``problem``, or None where the library has no equivalent of its model.
    One that fails to build (or compile) is returned anyway, raising when called, so that
    the agreement check refuses it with the reason."""
    covers, build = LIBRARIES[library]
    if problem.model not in covers:
        return None
    try:
        call, result, memory = build(problem, module, dtype)
    except Exception as exc:                          # refused by the check, not a crash
        error = exc

        def call():
            raise error
        result, memory = call, None
    return Contender(f"{library} {_short(dtype)}", dtype, library, call, result, memory)


def torch_contender(problem, torch, dtype):
    return external(problem, "torch", torch, dtype)


def jax_contender(problem, jax, dtype):
    return external(problem, "jax", jax, dtype)


def ceiling(dtype, rng=0):
    """The single-step GEMM ``(64, 256) @ (256, 256)`` into a preallocated output."""
    m, k, n = CEILING_SHAPE
    rng = np.random.default_rng(rng)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    out = np.empty((m, n), dtype=dtype)

    def call():
        return np.matmul(a, b, out=out)
    return Contender(f"GEMM {_short(dtype)}", dtype, "numpy", call, None)


def ceiling_flops():
    m, k, n = CEILING_SHAPE
    return 2 * m * k * n


def _short(dtype):
    return {np.float64: "f64", np.float32: "f32"}[np.dtype(dtype).type]


def _bce_only(problem):
    if problem.options["loss"] != "bce":
        raise ValueError(f"the recurrent contenders compute sigmoid + BCE; got loss={problem.options['loss']!r}")


# --------------------------------------------------------------------------- torch

def _torch_dtype(torch, dtype):
    return {np.float64: torch.float64, np.float32: torch.float32}[np.dtype(dtype).type]


def _to_torch(torch, array):
    return torch.from_numpy(np.ascontiguousarray(array))


TORCH_CELLS = {table.RECURRENT.name: "RNN", table.LSTM.name: "LSTM", table.GRU.name: "GRU"}
# our cell keys -> torch's parameter names (``<name>_l<layer>``); weights are transposed
_TORCH_NAMES = {"Wxh": "weight_ih", "Whh": "weight_hh", "bh": "bias_ih", "bxh": "bias_ih", "bhh": "bias_hh"}


def torch_recurrent_module(torch, params, cell, suffixes, dtype, nonlinearity="tanh"):
    """``torch.nn.RNN`` / ``LSTM`` / ``GRU`` (``cell`` a table name; ``dtype`` a torch dtype;
    batch-first, ``num_layers = len(suffixes)``) holding the weights of our layers, layer l
    keyed ``<key><suffixes[l]>``: ``weight_ih_l<l> = Wxh.T``, ``weight_hh_l<l> = Whh.T``; the
    GRU's ``bias_ih = bxh``, ``bias_hh = bhh``; the others' one bias ``bias_ih = bh`` with
    ``bias_hh = 0`` (the sum is what the recurrence uses)."""
    n_in, hidden = params["Wxh" + suffixes[0]].shape[0], params["Whh" + suffixes[0]].shape[0]
    options = {"nonlinearity": nonlinearity} if cell == table.RECURRENT.name else {}
    module = getattr(torch.nn, TORCH_CELLS[cell])(n_in, hidden, num_layers=len(suffixes),
                                                   batch_first=True, dtype=dtype, **options)
    with torch.no_grad():
        for layer, end in enumerate(suffixes):
            getattr(module, f"bias_hh_l{layer}").zero_()
            for key in stack_spec.cell_spec(cell).KEYS:
                value = params[key + end]
                getattr(module, f"{_TORCH_NAMES[key]}_l{layer}").copy_(
                    _to_torch(torch, value.T if key.startswith("W") else value))
    return module


def torch_recurrent_grads(module, cell, suffixes):
    """The gradients of :func:`torch_recurrent_module`'s weights keyed like ours (NumPy)."""
    out = {}
    for layer, end in enumerate(suffixes):
        for key in stack_spec.cell_spec(cell).KEYS:
            grad = getattr(module, f"{_TORCH_NAMES[key]}_l{layer}").grad
            out[key + end] = (grad.T if key.startswith("W") else grad).detach().numpy().copy()
    return out


def _torch_head(torch, params, dtype):
    head = torch.nn.Linear(*params["Wy"].shape, dtype=dtype)
    with torch.no_grad():
        head.weight.copy_(_to_torch(torch, params["Wy"].T))
        head.bias.copy_(_to_torch(torch, params["by"]))
    return head


def torch_rnn_modules(torch, params, nonlinearity, dtype):
    """``torch.nn.RNN`` and an ``nn.Linear`` head holding our RNN's weights (``dtype`` a
    torch dtype). torch stores weights ``(fan_out, fan_in)`` and keeps two recurrent
    biases: ``weight_ih = Wxh.T``, ``weight_hh = Whh.T``, ``bias_ih = bh``,
    ``bias_hh = 0`` (the sum is what the recurrence uses), ``head.weight = Wy.T``,
    ``head.bias = by``. Returns ``(rnn, head)``, batch-first."""
    return (torch_recurrent_module(torch, params, table.RECURRENT.name, ("",), dtype, nonlinearity),
            _torch_head(torch, params, dtype))


def torch_linear_layers(torch, params, dtype):
    """One ``nn.Linear`` per layer of our MLP ``W0, b0, ...`` (``weight = W.T``)."""
    layers = []
    for i in range(len(params) // 2):
        layer = torch.nn.Linear(*params[f"W{i}"].shape, dtype=dtype)
        with torch.no_grad():
            layer.weight.copy_(_to_torch(torch, params[f"W{i}"].T))
            layer.bias.copy_(_to_torch(torch, params[f"b{i}"]))
        layers.append(layer)
    return layers


def _torch_sequence(problem, torch, dtype):
    """Any recurrent problem (:func:`recurrence`): the cell's torch module, a head, BCE."""
    F = torch.nn.functional
    rec = recurrence(problem)
    _bce_only(problem)
    tdtype = _torch_dtype(torch, dtype)
    params, x, y = problem.cast(dtype)
    module = torch_recurrent_module(torch, params, rec.cell, rec.suffixes, tdtype, rec.activation)
    head = _torch_head(torch, params, tdtype)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    weights = list(module.parameters()) + list(head.parameters())
    start = _window_start(rec, x.shape[1])

    def step():
        for w in weights:
            w.grad = None
        state0 = None
        if start > 0:
            with torch.no_grad():                       # the state at T - k is held constant
                _, state0 = module(xt[:, :start])
        states, _ = module(xt[:, start:], state0)       # the top layer's h at every step
        logits = head(states[:, -1] if rec.output == "last" else states)
        value = F.binary_cross_entropy_with_logits(logits, yt)
        value.backward()
        return value

    def grads():
        out = torch_recurrent_grads(module, rec.cell, rec.suffixes)
        out.update(Wy=head.weight.grad.T.detach().numpy().copy(), by=head.bias.grad.detach().numpy().copy())
        return out
    return step, grads


def _torch_mlp(problem, torch, dtype):
    F = torch.nn.functional
    tdtype = _torch_dtype(torch, dtype)
    params, x, y = problem.cast(dtype)
    layers = torch_linear_layers(torch, params, tdtype)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    weights = [w for layer in layers for w in layer.parameters()]

    def step():
        for w in weights:
            w.grad = None
        a = xt
        for layer in layers[:-1]:
            a = torch.relu(layer(a))
        value = F.cross_entropy(layers[-1](a), yt)
        value.backward()
        return value

    def grads():
        out = {}
        for i, layer in enumerate(layers):
            out[f"W{i}"] = layer.weight.grad.T.detach().numpy().copy()
            out[f"b{i}"] = layer.bias.grad.detach().numpy().copy()
        return out
    return step, grads


# The torch equivalent of each model: ``TORCH[entry](problem, torch, dtype)`` returns
# ``(step, grads)``: ``step()`` runs forward and backward and returns the loss tensor,
# ``grads()`` the parameter gradients as NumPy arrays keyed like ours.
TORCH = {table.RNN: _torch_sequence, table.LSTM: _torch_sequence, table.GRU: _torch_sequence,
         table.STACK: _torch_sequence, table.MLP: _torch_mlp}


def _build_torch(problem, torch, dtype):
    step, grads = TORCH[problem.model](problem, torch, dtype)

    def result():
        value = step()
        return value.detach().numpy(), grads()
    return step, result, None


# --------------------------------------------------------------------------- JAX

def import_jax():
    """JAX with ``jax_enable_x64`` on (without it every float64 array silently becomes
    float32), or None where it is not installed. The setting is process-global; the
    float32 contenders pass float32 arrays and so compute in float32 all the same."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_recurrent(jax, own, a, state, act):
    return {"h": act(a + state["h"] @ own["Whh"])}


def _jax_lstm(jax, own, a, state, act):
    jnp, sigmoid = jax.numpy, jax.nn.sigmoid
    H = state["h"].shape[-1]
    a = a + state["h"] @ own["Whh"]
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    g, o = jnp.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c = f * state["c"] + i * g
    return {"h": o * jnp.tanh(c), "c": c}


def _jax_gru(jax, own, a, state, act):
    jnp, sigmoid = jax.numpy, jax.nn.sigmoid
    H = state["h"].shape[-1]
    ah = state["h"] @ own["Whh"] + own["bhh"]
    r = sigmoid(a[:, :H] + ah[:, :H])
    z = sigmoid(a[:, H:2 * H] + ah[:, H:2 * H])
    n = jnp.tanh(a[:, 2 * H:] + r * ah[:, 2 * H:])
    return {"h": (1 - z) * n + z * state["h"]}


# one step of each cell: ``(jax, own params, a_t = x_t @ Wxh + input bias, state) -> state``
_JAX_CELLS = {table.RECURRENT.name: _jax_recurrent, table.LSTM.name: _jax_lstm, table.GRU.name: _jax_gru}


def _jax_sequence(problem, jax):
    """The loss ``(params, x, y) -> scalar`` of any recurrent problem (:func:`recurrence`):
    each layer one ``lax.scan`` over its input projection (one GEMM for all steps)."""
    jnp, lax = jax.numpy, jax.lax
    rec = recurrence(problem)
    _bce_only(problem)
    cell = _JAX_CELLS[rec.cell]
    act = {"tanh": jnp.tanh, "relu": lambda z: jnp.where(z > 0, z, 0)}[rec.activation]
    bias = "bxh" if "bxh" in rec.keys else "bh"          # the GRU adds bhh inside the step
    start = _window_start(rec, problem.x.shape[1])

    def run(params, xs, states0):
        lasts = []
        for layer, end in enumerate(rec.suffixes):
            own = {k: params[k + end] for k in rec.keys}

            def step(state, a):
                new = cell(jax, own, a, state, act)
                return new, new["h"]
            last, xs = lax.scan(step, states0[layer], xs @ own["Wxh"] + own[bias])
            lasts.append(last)
        return lasts, xs                               # final states, top layer's h at every step

    def loss(params, x, y):
        xs = jnp.swapaxes(x, 0, 1)                     # time-major (T, batch, n_in)
        zeros = jnp.zeros((x.shape[0], params["Whh" + rec.suffixes[0]].shape[0]), x.dtype)
        states = [{s: zeros for s in rec.states} for _ in rec.suffixes]
        if start > 0:
            states = lax.stop_gradient(run(params, xs[:start], states)[0])   # held constant
            xs = xs[start:]
        lasts, top = run(params, xs, states)
        if rec.output == "last":
            z, target = lasts[-1]["h"] @ params["Wy"] + params["by"], y
        else:
            z, target = top @ params["Wy"] + params["by"], jnp.swapaxes(y, 0, 1)
        return jnp.mean(jnp.logaddexp(0, z) - target * z)
    return loss


def _jax_mlp(problem, jax):
    """The MLP's loss: ReLU as ``where(z > 0, z, 0)`` (derivative 0 at 0, as ours), softmax
    cross-entropy through ``log_softmax``."""
    jnp = jax.numpy
    if problem.options.get("activation", "relu") != "relu" or problem.options["loss"] != "cross_entropy":
        raise ValueError("the JAX MLP computes ReLU + softmax cross-entropy")
    layers = len(problem.params) // 2

    def loss(params, x, y):
        a = x
        for i in range(layers - 1):
            z = a @ params[f"W{i}"] + params[f"b{i}"]
            a = jnp.where(z > 0, z, 0)
        logp = jax.nn.log_softmax(a @ params[f"W{layers - 1}"] + params[f"b{layers - 1}"], axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=-1))
    return loss


# The JAX equivalent of each model: ``JAX[entry](problem, jax)`` returns the pure loss
# ``(params, x, y) -> scalar``, params keyed like ours (so are its gradients).
JAX = {table.RNN: _jax_sequence, table.LSTM: _jax_sequence, table.GRU: _jax_sequence,
       table.STACK: _jax_sequence, table.MLP: _jax_mlp}


def _build_jax(problem, jax, dtype):
    if np.dtype(dtype) == np.float64 and not jax.config.jax_enable_x64:
        raise ValueError("float64 in JAX needs jax_enable_x64 (models.import_jax sets it)")
    fn = jax.jit(jax.value_and_grad(JAX[problem.model](problem, jax)))
    args = jax.device_put(problem.cast(dtype))

    def call():
        return jax.block_until_ready(fn(*args))

    def result():
        value, grads = call()
        return np.asarray(value), {k: np.asarray(v) for k, v in grads.items()}

    def memory():
        """XLA's buffer assignment of the compiled call: its temporaries and outputs."""
        stats = fn.lower(*args).compile().memory_analysis()
        return stats.temp_size_in_bytes + stats.output_size_in_bytes
    call()                                            # compile now, not in a timed call
    return call, result, memory


# Each optional library: ``(the entries it covers, build)``, ``build(problem, module,
# dtype) -> (call, result, memory or None)``; see :func:`external`.
LIBRARIES = {"torch": (TORCH, _build_torch), "jax": (JAX, _build_jax)}


def contenders(problem, libraries=None):
    """Every contender for ``problem``, ours float64 first (the reference of the check).
    ``libraries``: ``{name: imported module}`` of :data:`LIBRARIES` to include (a module
    None is left out)."""
    libraries = {name: module for name, module in (libraries or {}).items() if module is not None}
    out = [ours(problem, np.float64), autograd(problem)]
    for dtype in (np.float64, np.float32):
        if dtype == np.float32:
            out.append(ours(problem, np.float32))
        out += [ours(problem, dtype, entry) for entry in implementations(problem)]
        for name, module in libraries.items():
            contender = external(problem, name, module, dtype)
            if contender is not None:
                out.append(contender)
    return out
