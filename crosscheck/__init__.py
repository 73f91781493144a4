"""Cross-check hand-written gradients against autograd and finite differences.

Public API: :func:`compare`, :func:`check`, :func:`check_numeric`, :func:`numeric_grad`,
:func:`verify` (and :func:`assert_verified` for a one-line test in your own suite),
:func:`models`, :func:`register` with :class:`Model` and :class:`Case`. Importing it
registers the project's Hypothesis profiles (:mod:`crosscheck.profiles`), which
``verify`` uses by default.
The registry holds every layer and model of ``modelspec.table`` (:mod:`crosscheck.catalog`);
a layer is checked through its vector-Jacobian product (:mod:`crosscheck.vjp`).
"""
from crosscheck.compare import Comparison, KeyReport, compare
from crosscheck.registry import Case, Model, get, models, register
from crosscheck.numeric import check_numeric, numeric_grad
from crosscheck.check import CaseReport, VerifyResult, assert_verified, check, check_case, verify
from crosscheck import catalog  # noqa: F401  (registers the built-in models)
from crosscheck.fd_layers import verify_layer

__all__ = ["Case", "CaseReport", "Comparison", "KeyReport", "Model", "VerifyResult", "assert_verified", "check",
           "check_case", "check_numeric", "compare", "get", "models", "numeric_grad",
           "register", "verify", "verify_layer"]
