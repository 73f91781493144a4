"""What the benchmark ran on: CPU, cores, load, NumPy and its BLAS, PyTorch, JAX, date.

The OpenBLAS that NumPy loads is asked for its configuration and thread count through
its own C functions (found in the process's memory map), which is what ``threadpoolctl``
does; when that fails the report says "unknown" rather than guessing.
"""
import ctypes
import datetime
import os
import platform
from importlib import metadata

import numpy as np


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, else the platform's processor string."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores():
    """(logical CPUs, CPUs this process may run on)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return os.cpu_count(), usable


class CPUShare:
    """How busy the machine was, apart from this process, between ``start()`` and ``stop()``.

    From /proc/stat (all CPUs) and ``os.times()`` (this process and its children):
    ``others`` is the CPU time other processes used as a share of all the CPUs' time,
    ``steal`` the share the hypervisor took. None where /proc/stat is unavailable.
    """

    def __init__(self):
        self.others = self.steal = None

    @staticmethod
    def _snapshot():
        try:
            with open("/proc/stat") as f:
                ticks = [int(v) for v in f.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        t = os.times()
        return ticks, t.user + t.system + t.children_user + t.children_system

    def start(self):
        self._start = self._snapshot()
        return self

    def stop(self):
        end = self._snapshot()
        if self._start is None or end is None:
            return self
        (a, own_a), (b, own_b) = self._start, end
        d = [y - x for x, y in zip(a, b)]
        total = sum(d)
        if total <= 0:
            return self
        hz = os.sysconf("SC_CLK_TCK")
        busy = sum(d[i] for i in (0, 1, 2, 5, 6))      # user nice system irq softirq
        self.others = max(0.0, busy / hz - (own_b - own_a)) / (total / hz)
        self.steal = d[7] / total
        return self


class _OpenBLAS:
    """The OpenBLAS library NumPy loaded, if it can be found; its prefix differs by build
    (``openblas_``, ``scipy_openblas_`` with a ``64_`` suffix for 64-bit integers)."""

    PREFIXES = ("scipy_openblas_", "openblas_")
    SUFFIXES = ("64_", "")

    def __init__(self):
        self.lib = None
        try:
            with open("/proc/self/maps") as f:
                paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
        except OSError:
            paths = set()
        for path in sorted(paths):
            try:
                self.lib = ctypes.CDLL(path)
                if self._function("get_num_threads") is not None:
                    self.path = path
                    return
            except OSError:
                continue
        self.lib = None

    def _function(self, name):
        if self.lib is None:
            return None
        for prefix in self.PREFIXES:
            for suffix in self.SUFFIXES:
                fn = getattr(self.lib, f"{prefix}{name}{suffix}", None)
                if fn is not None:
                    return fn
        return None

    def get_num_threads(self):
        fn = self._function("get_num_threads")
        return None if fn is None else int(fn())

    def set_num_threads(self, n):
        fn = self._function("set_num_threads")
        if fn is None:
            return False
        fn(ctypes.c_int(n))                     # int in every build's C signature
        return True

    def text(self, name):
        fn = self._function(name)
        if fn is None:
            return None
        fn.restype = ctypes.c_char_p
        value = fn()
        return value.decode().strip() if value else None


_openblas = None


def openblas():
    global _openblas
    if _openblas is None:
        _openblas = _OpenBLAS()
    return _openblas


def blas_threads():
    """Threads NumPy's BLAS uses (None if it cannot be asked)."""
    return openblas().get_num_threads()


def set_blas_threads(n):
    """Set NumPy's BLAS threads at run time; False where the library cannot be reached."""
    return openblas().set_num_threads(n)


def blas_description():
    """One line: the BLAS NumPy was built with, its configuration and kernel, and threads."""
    name = "unknown BLAS"
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{deps.get('name', 'unknown')} {deps.get('version', '')}".strip()
    except Exception:  # older NumPy: no mode="dicts"
        pass
    lib = openblas()
    threads = lib.get_num_threads()
    parts = [name, lib.text("get_config"), lib.text("get_corename") and f"kernel {lib.text('get_corename')}",
             f"{threads} thread{'s' if threads != 1 else ''}" if threads is not None else "threads unknown"]
    return "; ".join(" ".join(p.split()) for p in parts if p)


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def describe(torch=None, jax=None):
    """A dict of what the report prints about the machine and the software."""
    logical, usable = cores()
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": f"{logical} logical CPUs ({usable} usable by this process)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_description(),
        "autograd": _version("autograd") or "unknown",
        "numba": _version("numba") or "not installed (no compiled contender)",
        "torch": "not installed" if torch is None else
                 f"{torch.__version__}, {torch.get_num_threads()} thread(s)",
        "jax": "not installed or left out (--no-jax)" if jax is None else
               f"{jax.__version__} (jaxlib {_version('jaxlib') or 'unknown'}), {jax.default_backend()}, "
               "float64 enabled, XLA's own thread pool"
               + (" (single-threaded)" if "xla_cpu_multi_thread_eigen=false" in os.environ.get("XLA_FLAGS", "") else ""),
        "os": f"{platform.system()} {platform.release()}",
    }
    return info
