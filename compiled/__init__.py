"""Hand-written backprop with compiled time loops: the optional extra ``[numba]``.

- :mod:`compiled.rnn`: the seeds' RNN of :mod:`manual.rnn` (the same API, parameters,
  options and checks) whose recurrent layer runs :data:`compiled.recurrent.LOOPS`;
- :mod:`compiled.recurrent`: those loops, a ``manual.layers.recurrent.Loops``;
- :mod:`compiled.kernels`: the numba kernels; :mod:`compiled.tanh`: a vectorisable tanh.

The table's entry ``rnn_numba`` (``modelspec.table.RNN_NUMBA``) registers the model with the
cross-check, against the autograd twin of ``rnn``, and the bug gallery has its bugs
(``crosscheck.zoo.compiled_bugs``). NumPy's loops stay the readable default of ``manual/``.
"""
import importlib.util

if importlib.util.find_spec("numba") is None:
    raise ImportError("the compiled loops need numba: pip install 'backprop-crosscheck[numba]'")
