"""The problems the benchmark times and the contenders that solve them.

A problem is one model, one shape and one set of options with its data, drawn from a
fixed seed. A contender computes the loss and the gradient of every parameter for it:

- ``ours``: the model's ``manual.<model>.loss_and_grads`` (float64 and, with every array
  cast, float32);
- ``autograd``: ``autograd.value_and_grad`` of the model's ``auto.<model>.loss``;
- ``torch``: ``torch.nn.RNN`` + ``nn.Linear`` head (or ``nn.Linear`` layers for the MLP)
  holding the same weights, float64 and float32. torch keeps two RNN biases; ``bias_ih``
  holds ours and ``bias_hh`` is zero (their sum is what the recurrence uses). Truncated
  BPTT is torch's usual idiom: the first T - k steps run under ``no_grad`` and the last
  k start from that (detached) state, which for many-to-one is exactly our truncation.

Each contender has ``call`` (what is timed: forward and backward, gradients for the
parameters only, as a training step needs) and ``result`` (the same computation,
returning ``(loss, {key: gradient})`` as NumPy arrays keyed like our parameters, for the
agreement check).

The models are the entries of ``modelspec.table`` (``Problem.model`` is one); each model
the benchmark covers has its problems in :data:`PROBLEMS` and its torch equivalent in
:data:`TORCH`, and everything that loops over models loops over :data:`PROBLEMS`.
"""
import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np
from autograd import value_and_grad

from modelspec import table

RNN_SHAPES = ((3, 3, 2, 3), (32, 100, 100, 32), (64, 100, 128, 256), (16, 1000, 32, 64))
RNN_VARIANTS = {
    "many-to-one": dict(output="last", truncate=None),
    "many-to-many": dict(output="all", truncate=None),
    "many-to-one, k=10": dict(output="last", truncate=10),
}
MLP_SIZES = (784, 256, 256, 10)
MLP_BATCH = 128
CEILING_SHAPE = (64, 256, 256)      # (rows, inner, columns) of the single-step GEMM


@dataclass
class Problem:
    model: table.Entry               # the model's entry in modelspec.table (table.RNN, ...)
    label: str                       # shape and variant, for the report
    params: dict                     # float64
    x: np.ndarray
    y: np.ndarray
    options: dict                    # keyword options of loss_and_grads / auto loss
    flops: int                       # GEMM flops of forward + backward (see *_flops)
    shape: tuple = ()
    variant: str = ""

    def cast(self, dtype):
        """params, x and y with every float array cast to ``dtype`` (labels stay int)."""
        def c(a):
            return a.astype(dtype) if np.asarray(a).dtype.kind == "f" else a
        return {k: c(v) for k, v in self.params.items()}, c(self.x), c(self.y)


@dataclass
class Contender:
    name: str
    dtype: type
    pool: str                        # whose threads run it: "numpy" or "torch"
    call: Callable[[], object]
    result: Callable[[], tuple]


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


def rnn_flops(shape, output, truncate, n_out=1):
    """GEMM flops (2 per multiply-add) of forward + backward for the parameters.

    forward: the input projection and the recurrence at every step, and the head;
    backward over the steps that receive a gradient (all T, or the last k when
    many-to-one is truncated): the carry ``dz_t @ Whh.T``, ``dWxh``, ``dWhh``, and the
    head's ``dWy`` and ``dlogits @ Wy.T``. The count is the model's, the same for every
    contender (a contender that recomputes, like autograd's truncation, is not credited).
    """
    batch, steps, n_in, hidden = shape
    heads = steps if output == "all" else 1
    back = steps if truncate is None else min(truncate, steps)
    forward = 2 * batch * steps * (n_in * hidden + hidden * hidden) + 2 * batch * heads * hidden * n_out
    backward = (2 * batch * back * (hidden * hidden + n_in * hidden + hidden * hidden)
                + 2 * 2 * batch * heads * hidden * n_out)
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


def mlp_problems(shapes=None):
    """The one MLP problem (``shapes`` are RNN shapes: the MLP has none to choose)."""
    return [mlp_problem()]


# Each model the benchmark covers and its problems, in the report's order:
# ``PROBLEMS[entry](shapes)`` is a list of :class:`Problem`.
PROBLEMS = {table.RNN: rnn_problems, table.MLP: mlp_problems}


# --------------------------------------------------------------------------- contenders

def ours(problem, dtype=np.float64):
    params, x, y = problem.cast(dtype)
    fn = problem.model.manual_module().loss_and_grads

    def call():
        return fn(params, x, y, **problem.options)
    return Contender(f"ours {_short(dtype)}", dtype, "numpy", call, call)


def ours_full_bptt(problem, dtype=np.float64):
    """Ours with full BPTT on a truncated problem's data. It is timed in the truncated
    problem's own rounds, so that the cost of truncation is a ratio measured under the same
    conditions; it is not checked against that problem's reference (its gradients are
    full BPTT's, by design not the truncated ones; ``ours`` is checked on the full problem)."""
    full = dataclasses.replace(problem, options={**problem.options, "truncate": None})
    contender = ours(full, dtype)
    return dataclasses.replace(contender, name=f"{contender.name} full")


def autograd(problem):
    value_and_grads = value_and_grad(problem.model.auto_module().loss)

    def call():
        return value_and_grads(problem.params, problem.x, problem.y, **problem.options)
    return Contender("autograd f64", np.float64, "numpy", call, call)


def torch_contender(problem, torch, dtype):
    step, grads = TORCH[problem.model](problem, torch, dtype)

    def result():
        value = step()
        return value.detach().numpy(), grads()
    return Contender(f"torch {_short(dtype)}", dtype, "torch", step, result)


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


def _torch_dtype(torch, dtype):
    return {np.float64: torch.float64, np.float32: torch.float32}[np.dtype(dtype).type]


def _to_torch(torch, array):
    return torch.from_numpy(np.ascontiguousarray(array))


def torch_rnn_modules(torch, params, nonlinearity, dtype):
    """``torch.nn.RNN`` and an ``nn.Linear`` head holding our RNN's weights (``dtype`` a
    torch dtype). torch stores weights ``(fan_out, fan_in)`` and keeps two recurrent
    biases: ``weight_ih = Wxh.T``, ``weight_hh = Whh.T``, ``bias_ih = bh``,
    ``bias_hh = 0`` (the sum is what the recurrence uses), ``head.weight = Wy.T``,
    ``head.bias = by``. Returns ``(rnn, head)``, batch-first."""
    nn = torch.nn
    n_in, hidden = params["Wxh"].shape
    rnn = nn.RNN(n_in, hidden, nonlinearity=nonlinearity, batch_first=True, dtype=dtype)
    head = nn.Linear(hidden, params["Wy"].shape[1], dtype=dtype)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(_to_torch(torch, params["Wxh"].T))
        rnn.weight_hh_l0.copy_(_to_torch(torch, params["Whh"].T))
        rnn.bias_ih_l0.copy_(_to_torch(torch, params["bh"]))
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(_to_torch(torch, params["Wy"].T))
        head.bias.copy_(_to_torch(torch, params["by"]))
    return rnn, head


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


def _torch_rnn(problem, torch, dtype):
    F = torch.nn.functional
    tdtype = _torch_dtype(torch, dtype)
    params, x, y = problem.cast(dtype)
    rnn, head = torch_rnn_modules(torch, params, problem.options["activation"], tdtype)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    weights = list(rnn.parameters()) + list(head.parameters())
    output, truncate = problem.options["output"], problem.options["truncate"]
    steps = x.shape[1]
    start = 0 if truncate is None or output != "last" else max(0, steps - truncate)
    if truncate is not None and output != "last" and truncate < steps:
        raise ValueError("torch has no per-term truncation for many-to-many")

    def step():
        for w in weights:
            w.grad = None
        h0 = None
        if start > 0:
            with torch.no_grad():                       # h_{T-k} is held constant
                _, h0 = rnn(xt[:, :start])
        states, _ = rnn(xt[:, start:], h0)
        logits = head(states[:, -1] if output == "last" else states)
        value = F.binary_cross_entropy_with_logits(logits, yt)
        value.backward()
        return value

    def grads():
        g = {"Wxh": rnn.weight_ih_l0.grad.T, "Whh": rnn.weight_hh_l0.grad.T,
             "bh": rnn.bias_ih_l0.grad, "Wy": head.weight.grad.T, "by": head.bias.grad}
        return {k: v.detach().numpy().copy() for k, v in g.items()}
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
TORCH = {table.RNN: _torch_rnn, table.MLP: _torch_mlp}


def contenders(problem, torch=None):
    """Every contender for ``problem``, ours float64 first (the reference of the check)."""
    out = [ours(problem, np.float64), autograd(problem)]
    if torch is not None:
        out.append(torch_contender(problem, torch, np.float64))
    out.append(ours(problem, np.float32))
    if torch is not None:
        out.append(torch_contender(problem, torch, np.float32))
    return out
