"""``python -m benchmarks``: parse the options, fix the thread counts, run, write the report.

The BLAS thread count has to be set before NumPy is imported, so this module reads
``--threads`` first, on its own, and imports the benchmark (and with it NumPy) afterwards:
the other options need the benchmark's models (``--only`` chooses among them).
"""
import argparse
import os
import sys


def _shape(text):
    try:
        shape = tuple(int(v) for v in text.split(","))
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected four positive integers B,T,F,H; got {text!r}")
    return shape


class _EarlyParser(argparse.ArgumentParser):
    def error(self, message):          # any mistake is the full parser's to report
        raise ValueError(message)


def early_threads(argv=None):
    """The value of ``--threads`` in ``argv`` if it is a positive integer, else None, read
    without importing NumPy (the full parser, :func:`parse_args`, validates it)."""
    early = _EarlyParser(add_help=False)
    early.add_argument("--threads", type=int)
    try:
        threads = early.parse_known_args(argv)[0].threads
    except ValueError:
        return None
    return threads if threads is not None and threads >= 1 else None


def parse_args(argv=None):
    """The options. Imports the benchmark's models (and NumPy): after :func:`early_threads`."""
    from benchmarks import models
    names = [entry.name for entry in models.PROBLEMS]
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time hand-written gradients against autograd, PyTorch and JAX; write a Markdown report.")
    parser.add_argument("--quick", action="store_true",
                        help="few repeats and examples: a smoke test of the benchmark, not a measurement")
    parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "RESULTS.md"),
                        help="where to write the Markdown report (default: benchmarks/RESULTS.md)")
    parser.add_argument("--only", choices=names,
                        help="time only this model (" + " or ".join(names) + ")")
    parser.add_argument("--shape", action="append", type=_shape, metavar="B,T,F,H",
                        help="time only this shape (batch, time, features, hidden) of the RNN and the "
                             "recurrent layers, and measure the peak memory there; repeatable")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS and PyTorch threads (default: NumPy's BLAS default, "
                             "which PyTorch is then set to match); with 1, JAX's XLA runs "
                             "single-threaded too (else it uses every core)")
    parser.add_argument("--suite", action="store_true",
                        help="also time the whole test suite under the ci profile "
                             "(python -m pytest -n 2) and the README's `crosscheck run`")
    parser.add_argument("--max-busy", type=float, default=0.1, metavar="SHARE",
                        help="time a problem again when other processes used more than this share "
                             "of the CPUs while it was timed (default 0.1)")
    parser.add_argument("--retries", type=int, default=2,
                        help="how many times a problem is timed again on a busy machine (default 2; "
                             "none with --quick)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out even if installed")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory measurements (at (16, 1000, 32, 64) and "
                             "(64, 100, 128, 256), or at the --shape shapes)")
    parser.add_argument("--examples", type=int, default=None,
                        help="examples for the cross-check throughput (default 200, 20 with --quick)")
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    return args


def main(argv=None):
    threads = early_threads(argv)
    if threads is not None:
        if "numpy" in sys.modules:
            print("warning: NumPy was imported before --threads could take effect; "
                  "the BLAS thread count is set at run time instead", file=sys.stderr)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
        if threads == 1:                 # XLA's CPU thread pool: on or off, read when JAX loads
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    args = parse_args(argv)      # imports NumPy: after the environment is set
    from benchmarks import run
    return run.main(args)


if __name__ == "__main__":
    sys.exit(main())
