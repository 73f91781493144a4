"""Classic bugs of the stack layer's hand-written backward pass (see :mod:`crosscheck.zoo.bugs`).

Each :class:`~crosscheck.zoo.bugs.Bug` here is checked as the registered layer (through its
vector-Jacobian product, :mod:`crosscheck.vjp`) and carries ONE mistake.
"""
BUGS = []
