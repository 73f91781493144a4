"""Performance benchmark: hand-written gradients against autograd, PyTorch and JAX.

``python -m benchmarks`` times forward + backward for every parameter of the RNN
(many-to-one, many-to-many, truncated many-to-one k=10, at four shapes), of the LSTM,
GRU and a 2-layer stack of vanilla layers (many-to-one through the sequence network, at
the same shapes) and of an MLP 784-256-256-10, for ``manual/`` (float64 and float32),
``autograd.value_and_grad`` of ``auto/`` and, when they are importable, the equivalent
``torch.nn`` model and ``jax.jit(jax.value_and_grad(...))`` function (float64 and
float32). Contenders are interleaved round-robin and each time is a median; every
contender's gradients are first compared with ours (``crosscheck.compare``) and one that
disagrees is not timed. At two shapes it also measures each contender's peak memory
(:mod:`benchmarks.memory`). The result is a Markdown report (``benchmarks/RESULTS.md`` by
default) with the machine it ran on. See ``python -m benchmarks --help``.

Nothing here is imported by the library, and nothing beyond the project's own
dependencies is required (PyTorch and JAX are optional, each imported only when
installed and not left out with ``--no-torch`` / ``--no-jax``).
"""
