"""Hand-written backprop with compiled time loops: the optional extra ``[numba]``.

- :mod:`compiled.rnn`: the seeds' RNN of :mod:`manual.rnn` (the same API, parameters,
  options and checks) whose recurrent layer runs :data:`compiled.recurrent.LOOPS`;
- :mod:`compiled.seqnet`: the sequence network of :mod:`manual.seqnet` whose stack runs
  each cell's compiled loops (:data:`compiled.seqnet.LOOPS`);
- the loops, one module per cell, each a ``manual.layers.recurrent.Loops`` with the
  signatures of that layer's ``NUMPY_LOOPS``: :mod:`compiled.recurrent` (its kernels in
  :mod:`compiled.kernels`), :mod:`compiled.lstm`, :mod:`compiled.gru`;
- :mod:`compiled.elementwise`: vectorisable tanh and sigmoid, float64 and float32.

The table's entries ``rnn_numba`` and ``seqnet_numba`` (``modelspec.table.RNN_NUMBA``,
``SEQNET_NUMBA``) register the models with the cross-check, against the autograd twins of
``rnn`` and ``seqnet``, and the bug gallery has their bugs (``crosscheck.zoo.compiled_bugs``).
NumPy's loops stay the readable default of ``manual/``.
"""
import importlib.util

if importlib.util.find_spec("numba") is None:
    raise ImportError("the compiled loops need numba: pip install 'backprop-crosscheck[numba]'")
