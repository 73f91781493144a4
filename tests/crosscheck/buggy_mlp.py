"""A deliberately wrong MLP gradient, for the CLI tests (``--manual``)."""
from tests.helpers import wrong_sign  # noqa: F401  (run as tests.crosscheck.buggy_mlp:wrong_sign)
