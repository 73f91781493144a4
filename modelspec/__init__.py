"""What each layer and model accepts (option names, array shapes and dtypes), and the one
table of layers and models.

Both ``manual/`` and ``auto/`` validate their arguments through this package, so the two
sides reject exactly the same bad input with the same message. It holds no maths: nothing
here computes a loss or a derivative, so sharing it cannot hide a gradient bug in one
side behind the same bug in the other.

- :mod:`modelspec.checks`: the general checks (re-exported here);
- one contract per layer and model, beside the name of what it describes:
  :mod:`modelspec.linear`, :mod:`modelspec.activation`, :mod:`modelspec.recurrent`,
  :mod:`modelspec.mlp`, :mod:`modelspec.rnn`;
- :mod:`modelspec.table`: every layer and model, the one list that the cross-check, the
  training code and the benchmark read.
"""
from modelspec.checks import (FLOAT_DTYPES, LOSSES, REDUCTIONS, check_nonempty,  # noqa: F401
                              check_option, check_params, check_positive_int, check_shape,
                              check_target, real_array, renamed_option, shape_text)
from modelspec import linear, activation, recurrent, mlp, rnn, table, stack, embedding, gru, lstm, seqnet  # noqa: F401,E402
