"""Hypothesis settings profiles, chosen by the environment variable ``CROSSCHECK_PROFILE``.

- ``dev`` (default on a workstation): 100 examples a property, random seed, with the
  example database so that a failure found once is replayed first next time;
- ``ci`` (default when ``CI`` is set, as CI does): derandomized, so every run draws the
  same examples; a fixed 60 examples a property; no database and no deadline;
- ``thorough``: 2000 examples a property, for a long run before a release.

Gradient tests have no deadline anywhere: the first call of a test pays for autograd's
tracing and NumPy's BLAS start-up, and a timed property would be flaky on a shared machine.
Hypothesis ships a ``ci`` profile of its own that it loads when ``CI`` is set; the one
registered here replaces it.
"""
import os

from hypothesis import HealthCheck, settings

PROFILES = ("ci", "dev", "thorough")
ENV_VAR = "CROSSCHECK_PROFILE"

_common = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
settings.register_profile("ci", derandomize=True, max_examples=60, database=None, **_common)
settings.register_profile("dev", max_examples=100, **_common)
settings.register_profile("thorough", max_examples=2000, **_common)


def default_profile():
    """The profile named by ``CROSSCHECK_PROFILE``, else ``ci`` under CI, else ``dev``."""
    name = os.environ.get(ENV_VAR) or ("ci" if os.environ.get("CI") else "dev")
    if name not in PROFILES:
        raise ValueError(f"{ENV_VAR} must be one of {', '.join(PROFILES)}; got {name!r}")
    return name


def load(name=None):
    """Load the profile ``name`` (default: :func:`default_profile`) and return its name."""
    name = default_profile() if name is None else name
    if name not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}; got {name!r}")
    settings.load_profile(name)
    return name
