"""A gallery of realistic backprop bugs that the cross-check must catch (see
:mod:`crosscheck.zoo.bugs`), and :func:`hunt`, which runs :func:`crosscheck.verify` on them.

Modules: :mod:`~crosscheck.zoo.reference` (two compact reference implementations, with the
hooks a bug swaps; correct when none is swapped), :mod:`~crosscheck.zoo.bugs` (the bugs:
:data:`BUGS`, :data:`BY_NAME`), :mod:`~crosscheck.zoo.hunting` (:func:`hunt` and the table of
its results).
"""
from crosscheck.zoo.reference import MLPHooks, RNNHooks, mlp_reference, rnn_reference
from crosscheck.zoo.bugs import BUGS, BY_NAME, LOSS_BUGS, Bug
from crosscheck.zoo.hunting import HuntResult, format_table, hunt, minimal_case

__all__ = ["BUGS", "BY_NAME", "Bug", "HuntResult", "LOSS_BUGS", "MLPHooks", "RNNHooks",
           "format_table", "hunt", "minimal_case", "mlp_reference", "rnn_reference"]
