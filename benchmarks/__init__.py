"""Performance benchmark: hand-written gradients against autograd and PyTorch.

``python -m benchmarks`` times forward + backward for every parameter of the RNN
(many-to-one, many-to-many, truncated many-to-one k=10, at four shapes) and of an MLP
784-256-256-10, for ``manual/`` (float64 and float32), ``autograd.value_and_grad`` of
``auto/`` and, when it is importable, the equivalent ``torch.nn`` model (float64 and
float32). Contenders are interleaved round-robin and each time is a median; every
contender's gradients are first compared with ours (``crosscheck.compare``) and one that
disagrees is not timed. The result is a Markdown report (``benchmarks/RESULTS.md`` by
default) with the machine it ran on. See ``python -m benchmarks --help``.

Nothing here is imported by the library, and nothing beyond the project's own
dependencies is required (PyTorch is optional).
"""
