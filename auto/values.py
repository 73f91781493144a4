"""The plain values behind autograd's traced arguments, for validation only.

``auto/`` validates its arguments with the same ``modelspec`` checks as ``manual/``, so
both sides refuse the same bad input with the same message. The checks read shapes,
dtypes and finiteness, which they do on the values; the traced arguments are what the
model then computes with, so gradients flow as before.
"""
from autograd.tracer import getval


def values(value):
    """``value`` with every autograd box removed: an array, a dict of arrays, or None."""
    value = getval(value)
    if isinstance(value, dict):
        return {key: getval(v) for key, v in value.items()}
    return value
