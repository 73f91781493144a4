"""The one table of layers and models.

Everything that loops over layers or models (the cross-check's registry, the training
code, the benchmark, the ``crosscheck`` command, the README's table) reads :data:`ENTRIES`;
no other module spells a layer's or a model's name. An entry names where its three parts
live, by convention:

- the hand-written side: ``manual.layers.<name>`` (a layer) or ``manual.<name>`` (a model);
- its autograd twin: ``auto.layers.<name>`` or ``auto.<name>``;
- its contract: ``modelspec.<name>``.

An entry may also be another implementation of one of them (:data:`RNN_NUMBA` and
:data:`SEQNET_NUMBA`, compiled): it is checked like the others against the twin of the
entry it implements. :data:`ENTRIES` holds those whose optional package is installed.

Modules are imported only when asked for (:meth:`Entry.manual_module`, ...), so reading
the table imports neither NumPy-heavy code nor autograd.
"""
import importlib
import importlib.util
from typing import NamedTuple

KINDS = ("layer", "model")


class Entry(NamedTuple):
    """One layer or model: its name, "layer" or "model", and one line on what it is.

    Another implementation of an entry's maths (a compiled one) names its hand-written
    ``module``, the entry it ``implements`` (whose autograd twin, contract and checks it
    shares) and the optional package it ``requires``.
    """
    name: str
    kind: str
    description: str
    module: str = None
    implements: str = None
    requires: str = None

    @property
    def manual(self):
        """Module path of the hand-written forward and backward passes."""
        if self.module is not None:
            return self.module
        return f"manual.layers.{self.name}" if self.kind == "layer" else f"manual.{self.name}"

    @property
    def twin(self):
        """The name whose autograd twin and contract this entry has: its own, or the one
        it implements."""
        return self.implements or self.name

    @property
    def auto(self):
        """Module path of the autograd twin."""
        return f"auto.layers.{self.twin}" if self.kind == "layer" else f"auto.{self.twin}"

    @property
    def spec(self):
        """Module path of the contract (what the layer or model accepts)."""
        return f"modelspec.{self.twin}"

    def manual_module(self):
        return importlib.import_module(self.manual)

    def auto_module(self):
        """The autograd twin (imports autograd)."""
        return importlib.import_module(self.auto)

    def spec_module(self):
        return importlib.import_module(self.spec)


LINEAR = Entry("linear", "layer", "affine layer out = x @ W + b over any leading axes")
ACTIVATION = Entry("activation", "layer",
                   "elementwise activation out = act(x): relu, tanh or sigmoid, any shape (no parameters)")
RECURRENT = Entry("recurrent", "layer",
                  "vanilla RNN layer over a sequence, tanh or relu, h0, full and truncated BPTT, "
                  "any upstream gradient at every state and the last")
LSTM = Entry("lstm", "layer",
             "LSTM layer over a sequence: input, forget, cell, output gates, h0 and c0, full and "
             "truncated BPTT, any upstream gradient at every state and the last h and c")
GRU = Entry("gru", "layer",
            "GRU layer over a sequence (PyTorch's formulation, reset gate inside W_hn), h0, full "
            "and truncated BPTT, any upstream gradient at every state and the last")
EMBEDDING = Entry("embedding", "layer",
                  "token ids (batch, time) to vectors, a gradient accumulated over repeated tokens")
STACK = Entry("stack", "layer",
              "stacked recurrent layers of any cell, any depth, one or two directions (PyTorch's "
              "num_layers and bidirectional), full BPTT, truncated when unidirectional")
MLP = Entry("mlp", "model", "multi-layer perceptron, 0-4 hidden layers (seed 001)")
RNN = Entry("rnn", "model",
            "vanilla RNN, full and truncated BPTT, many-to-one and many-to-many (seeds 000-004)")
SEQNET = Entry("seqnet", "model",
               "sequence network: token ids through an embedding or real x, a stack of any cell "
               "(recurrent, lstm, gru), depth and direction, a linear head; many-to-one and many-to-many")

RNN_NUMBA = Entry("rnn_numba", "model",
                  "the rnn model with the recurrent layer's time loops compiled by numba "
                  "(optional extra [numba]; above 32 hidden units a step's GEMM is BLAS's)",
                  module="compiled.rnn", implements=RNN.name, requires="numba")
SEQNET_NUMBA = Entry("seqnet_numba", "model",
                     "the seqnet model with every cell's time loops (recurrent, lstm, gru) compiled "
                     "by numba (optional extra [numba])",
                     module="compiled.seqnet", implements=SEQNET.name, requires="numba")

ALL_ENTRIES = (LINEAR, ACTIVATION, RECURRENT, LSTM, GRU, EMBEDDING, STACK, MLP, RNN, SEQNET,
               RNN_NUMBA, SEQNET_NUMBA)
# the entries whose optional package is installed
ENTRIES = tuple(e for e in ALL_ENTRIES
                if e.requires is None or importlib.util.find_spec(e.requires) is not None)


def names(kind=None):
    """Names of the entries, in table order; ``kind`` "layer" or "model" keeps one kind."""
    return [e.name for e in ENTRIES if kind is None or e.kind == kind]


def get(name):
    """The entry called ``name`` (an :class:`Entry` is returned as it is)."""
    if isinstance(name, Entry):
        return name
    for entry in ALL_ENTRIES:
        if entry.name == name:
            if entry not in ENTRIES:
                raise ValueError(f"{name!r} needs the optional package {entry.requires!r}: "
                                 f"pip install 'backprop-crosscheck[{entry.requires}]'")
            return entry
    raise ValueError(f"unknown layer or model {name!r}; known: {', '.join(names())}")
