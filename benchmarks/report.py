"""The Markdown report of one benchmark run."""
import numpy as np

from benchmarks import memory, models, profile_check

OURS, OURS32 = "ours f64", "ours f32"
OURS_FULL, OURS32_FULL = "ours f64 full", "ours f32 full"   # full BPTT in a truncated problem's rounds
AUTOGRAD, TORCH, TORCH32 = "autograd f64", "torch f64", "torch f32"
JAX, JAX32 = "jax f64", "jax f32"
NUMBA, NUMBA32 = "ours numba f64", "ours numba f32"        # the compiled loops (extra [numba])
GEMM, GEMM32 = "GEMM f64", "GEMM f32"
TIME_COLUMNS = (OURS, NUMBA, AUTOGRAD, TORCH, JAX, OURS32, NUMBA32, TORCH32, JAX32)
OTHERS = (NUMBA, AUTOGRAD, TORCH, JAX, OURS32, NUMBA32, TORCH32, JAX32)   # checked against ours
# the ratio table's columns: (header, slower, faster)
RATIOS = (("autograd / ours", AUTOGRAD, OURS), ("torch f64 / ours", TORCH, OURS),
          ("jax f64 / ours", JAX, OURS), ("torch f32 / ours f64", TORCH32, OURS),
          ("torch f32 / ours f32", TORCH32, OURS32), ("jax f32 / ours f32", JAX32, OURS32),
          ("ours / numba", OURS, NUMBA), ("torch f64 / numba", TORCH, NUMBA),
          ("jax f64 / numba", JAX, NUMBA), ("torch f32 / numba f32", TORCH32, NUMBA32),
          ("jax f32 / numba f32", JAX32, NUMBA32))


def ms(seconds):
    """Milliseconds with about three significant digits and no exponent."""
    v = seconds * 1e3
    for limit, digits in ((100, 0), (10, 1), (1, 2), (0.1, 3)):
        if v >= limit:
            return f"{v:.{digits}f}"
    return f"{v:.4f}"


def ratio(r):
    if r is None:
        return "—"
    return f"{r:.2f}" if r < 10 else (f"{r:.1f}" if r < 100 else f"{r:.0f}")


def _median(case, name):
    t = case.timings.get(name)
    return None if t is None else t.median


def _cell(case, name):
    if name in case.refused:
        return "refused"
    t = _median(case, name)
    return "—" if t is None else ms(t)


def _ratio(case, slower, faster):
    a, b = _median(case, slower), _median(case, faster)
    return None if a is None or b is None else a / b


def gflops(case, name):
    t = _median(case, name)
    return None if t is None else case.problem.flops / t / 1e9


def ceiling_gflops(case, name=GEMM):
    t = _median(case, name)
    return None if t is None else models.ceiling_flops() / t / 1e9


def _throughput_cell(case, name, gemm):
    achieved, ceiling = gflops(case, name), ceiling_gflops(case, gemm)
    if achieved is None or ceiling is None:
        return "—"
    value = f"{achieved:.1f}" if achieved >= 1 else f"{achieved:.2g}"
    return f"{value} ({100 * achieved / ceiling:.0f}%)" if achieved >= 1 else f"{value} (<1%)"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _busy(case):
    if case.others is None:
        return "?"
    text = f"{100 * case.others:.0f}%"
    return text if case.attempts == 1 else f"{text} (attempt {case.attempts})"


def _present(cases, names):
    """The contenders of ``names`` that took part in any of ``cases`` (checked or timed):
    a library left out (not installed, ``--no-jax``) gets no column."""
    return [n for n in names if any(n in c.checks or n in c.timings for c in cases)]


def _time_table(cases):
    names = _present(cases, TIME_COLUMNS)
    header = ["model", "variant"] + [f"{n} (ms)" for n in names] + ["other processes' CPU"]
    return _table(header, [[c.problem.label, c.problem.variant] + [_cell(c, n) for n in names]
                           + [_busy(c)] for c in cases])


def _ratio_table(cases):
    ratios = [r for r in RATIOS if len(_present(cases, r[1:])) == 2]
    header = (["model", "variant"] + [r[0] for r in ratios]
              + ["ours f64 GFLOP/s (% of ceiling)", "ours f32 GFLOP/s (% of ceiling)", "ceiling f64 / f32 GFLOP/s"])
    rows = []
    for c in cases:
        ceilings = [ceiling_gflops(c, n) for n in (GEMM, GEMM32)]
        rows.append([c.problem.label, c.problem.variant]
                    + [ratio(_ratio(c, slower, faster)) for _, slower, faster in ratios]
                    + [_throughput_cell(c, OURS, GEMM), _throughput_cell(c, OURS32, GEMM32),
                       " / ".join("—" if v is None else f"{v:.0f}" for v in ceilings)])
    return _table(header, rows)


def _truncation_table(cases):
    """k=10 against full BPTT. Ours: both timed in the k=10 problem's own rounds. The
    others: the medians of two problems, timed minutes apart (noisier)."""
    full = {c.problem.label: c for c in cases if c.problem.variant == "many-to-one"}
    others = _present(cases, (AUTOGRAD, TORCH, JAX, TORCH32, JAX32))
    rows = []
    for c in cases:
        if c.problem.variant != "many-to-one, k=10":
            continue
        cells = [ratio(_ratio(c, OURS, OURS_FULL)), ratio(_ratio(c, OURS32, OURS32_FULL))]
        f = full.get(c.problem.label)
        for name in others:
            a, b = _median(c, name), None if f is None else _median(f, name)
            cells.append("—" if a is None or b is None else f"{a / b:.2f}")
        rows.append([c.problem.label] + cells)
    header = ["model", "ours f64: k=10 / full (same rounds)", "ours f32: k=10 / full (same rounds)"]
    header += [f"{n}: k=10 / full (separate problems)" for n in others]
    return _table(header, rows)


def _ceiling_table(cases):
    rows = []
    for name in (GEMM, GEMM32):
        values = [ceiling_gflops(c, name) for c in cases if _median(c, name) is not None]
        times = [_median(c, name) for c in cases if _median(c, name) is not None]
        if not values:
            continue
        rows.append([name.split()[1], f"{np.median(times) * 1e6:.1f}",
                     f"{np.median(values):.1f}", f"{min(values):.1f} – {max(values):.1f}"])
    m, k, n = models.CEILING_SHAPE
    return _table(["dtype", f"({m}, {k}) @ ({k}, {n}) median (µs)", "GFLOP/s (median over cases)",
                   "GFLOP/s (range of the per-case medians)"], rows)


def _checks_table(cases):
    names = [n for n in OTHERS if any(n in c.checks for c in cases)]
    rows = [[c.problem.model.name, c.problem.label, c.problem.variant] + [c.checks.get(n, "—") for n in names]
            for c in cases]
    return _table(["model", "shape", "variant"] + names, rows)


def megabytes(value):
    """A peak in MB with about three significant digits, or why it is missing."""
    if value is None:
        return "—"
    if not isinstance(value, int):
        return "failed (below)"
    v = value / 1e6
    return f"{v:.3g}" if v < 1000 else f"{v:.0f}"


def _memory_table(cases):
    measured = [c for c in cases if c.memory]
    names = [n for n in TIME_COLUMNS if any(n in c.memory for c in measured)]
    rows = []
    for c in measured:
        bound = models.states_and_gradients(c.problem)
        rows.append([c.problem.model.name, c.problem.label, c.problem.variant, megabytes(bound)]
                    + [megabytes(c.memory.get(n)) for n in names])
    return _table(["model", "shape", "variant", "states + gradients f64 (lower bound)"] + names, rows)


def _memory_section(cases):
    failed = sorted({f"{n}: {v}" for c in cases for n, v in c.memory.items() if not isinstance(v, int)})
    out = ["## Peak memory of forward + backward (MB)", "",
           "The largest amount of memory one call (forward and backward, the gradients returned) "
           "had allocated at one time beyond what existed before it: the parameters, x and y are "
           "not counted, the gradients it returns are. The lower bound is what no forward + "
           "backward can do without: every layer's states (T + 1) · batch · H (h, and c for the "
           "LSTM) and one gradient per parameter, in float64 (float32: half). Measured once per "
           "contender, after its timing, by:", ""]
    names = {n for c in cases for n in c.memory}
    out += [f"- {who}: {memory.METHODS[pool]}" for who, pool, among in
            (("ours and autograd", "numpy", (OURS, NUMBA, AUTOGRAD, OURS32, NUMBA32)), ("torch", "torch", (TORCH, TORCH32)),
             ("JAX", "jax", (JAX, JAX32))) if names & set(among)]
    out += ["", "The methods differ: tracemalloc and the torch profiler count what was allocated in "
            "the run (torch's only its tensors), JAX's figure is XLA's plan for the compiled call.", "",
            _memory_table(cases), ""]
    if failed:
        out += ["Failed: " + "; ".join(failed) + ".", ""]
    return out


def _model_sections(model, cases):
    """The sections of one model (``model`` an entry of ``modelspec.table``): its times and
    its ratios (under one heading when it has a single problem) and, where some problem
    truncates BPTT, truncation against full BPTT."""
    label = model.name.upper()
    if len(cases) == 1:
        out = [f"## {label}: median time (ms), ratios and throughput", "", _time_table(cases), "",
               _ratio_table(cases), ""]
    else:
        out = [f"## {label}: median time per forward + backward (ms)", "", _time_table(cases), "",
               f"## {label}: ratios (their time / our time: above 1, ours is faster) and throughput", "",
               _ratio_table(cases), ""]
    if any(c.problem.options.get("truncate") is not None for c in cases):
        out += ["## Truncated BPTT k=10 against full BPTT, many-to-one (time ratio)", "",
                "Below 1, truncation is cheaper. Ours is timed with full BPTT on the same "
                "data in the k=10 problem's own interleaved rounds; the other libraries' "
                "ratios divide the medians of the two problems, timed minutes apart on a "
                "machine whose speed drifts, so they are the noisier. At (3, 3, 2, 3) the "
                "window k=10 is longer than the sequence: the same work as full BPTT.", "",
                _truncation_table(cases), ""]
    return out


def markdown(cases, rates, commands, info, settings, quick=False):
    out = ["# Benchmark results", ""]
    out.append(f"`{info['command'].strip()}`, {info['date']}, {info['seconds']:.0f} s."
               + (" **`--quick`: a smoke test with one or two repeats, not a measurement.**" if quick else ""))
    out.append("")
    before, after = info["load_before"], info["load_after"]
    steal, others = info.get("steal"), info.get("others")
    busy = ((others is not None and others > 0.1) or (steal is not None and steal > 0.05)
            or any(c.others is not None and c.others > 0.1 for c in cases))
    out += ["## Machine", "", _table(["", ""], [
        ["CPU", info["cpu"]],
        ["cores", info["cores"]],
        ["load average (1, 5, 15 min)", f"before {before[0]:.2f}, {before[1]:.2f}, {before[2]:.2f}; "
                                        f"after {after[0]:.2f}, {after[1]:.2f}, {after[2]:.2f}"],
        ["CPU used by other processes during the run", "unknown" if others is None else
         f"{100 * others:.0f}% of all CPUs' time (per problem in the time table)"],
        ["CPU time taken by the hypervisor (steal)", "unknown" if steal is None else f"{100 * steal:.1f}%"],
        ["OS", info["os"]],
        ["Python", info["python"]],
        ["NumPy", info["numpy"]],
        ["BLAS", info["blas"]],
        ["autograd", info["autograd"]],
        ["numba", info["numba"]],
        ["PyTorch", info["torch"]],
        ["JAX", info.get("jax", "not installed")],
        ["threads", f"{info['threads']} (NumPy's BLAS and torch.set_num_threads)"],
    ]), ""]
    if busy:
        out += ["**The machine was not idle during this run**: other processes (or the hypervisor) "
                "used a noticeable share of the CPUs, see above and the last column of the time "
                "table. A problem timed while others used more than the `--max-busy` share was "
                "timed again (\"attempt n\"); where the share stayed high, its absolute times "
                "are inflated (two BLAS threads waiting for a busy core slow down by far more "
                "than the share), and the ratios, from interleaved rounds, are the numbers to "
                "read.", ""]
    out += ["## How it is measured", "",
            "Each time is forward + backward for every parameter (a training step: no gradient "
            "for the input), the median over interleaved rounds: within a problem the contenders "
            "take turns, the first one rotating each round; before each timed block there is one "
            "untimed call, and a pause of "
            f"{settings.pause:g} s whenever the previous block ran on the other library's threads "
            "(OpenBLAS and OpenMP workers spin after a call and slow the other library). A block "
            f"repeats the call until it lasts at least {settings.min_block:g} s; a contender gets "
            f"at least {settings.min_repeats} and at most {settings.max_repeats} blocks"
            + (f", more than the least while its blocks add up to less than {settings.min_total:g} s"
               if settings.min_total > 0 else "")
            + ". Before any timing, each "
            "contender's loss and gradients are compared with ours in float64 "
            "(`crosscheck.compare`, float32 tolerances for float32 contenders, which must also "
            "return float32 arrays); a contender that disagrees is not timed.", "",
            "RNN: tanh, `Wxh` Glorot, `Whh` orthogonal, one output with sigmoid + BCE "
            "(mean); x ~ N(0, 1); model = (batch, time, features, hidden). Variants: many-to-one, "
            "many-to-many (a loss term at every step), many-to-one with truncated BPTT k=10 "
            "(gradient through the last 10 steps only). autograd's truncation stops the gradient "
            "at h_{t-k} and recomputes the window from there, so it does more work than full "
            "BPTT; torch's is its usual idiom (the first T-k steps under `no_grad`, the last k "
            "from that state), for many-to-one the same gradient as ours. torch: `nn.RNN` + "
            "`nn.Linear` with our weights (`weight_ih = Wxh.T`, `weight_hh = Whh.T`, "
            "`bias_ih = bh`, `bias_hh = 0`, `head.weight = Wy.T`). \"ours numba\" (where numba "
            "is installed): `compiled.rnn`, the table's `rnn_numba`, the same RNN and code with the "
            "recurrent layer's time loops compiled (up to 32 hidden units a whole loop is one "
            "kernel; above, BLAS's step GEMM and one compiled elementwise pass), compiled by a "
            "first call before anything is checked or timed; for the recurrent layers, "
            "`compiled.seqnet` (`seqnet_numba`), every cell's loops compiled the same way.", "",
            *(["JAX: `jax.jit(jax.value_and_grad(loss))` of a pure function of our parameter dict, "
            "each layer's recurrence a `jax.lax.scan` over its input projection, compiled by a "
            "first call before anything is checked or timed; every call waits for its results "
            "(`block_until_ready`). Float64 runs with `jax_enable_x64` (process-wide), float32 on "
            "float32 arrays. Its truncation computes the state at T-k with a first scan, stops "
            "its gradient (`jax.lax.stop_gradient`) and scans the last k steps from it: for "
            "many-to-one, our gradient. XLA uses its own thread pool (all cores; one with "
            "`--threads 1`).", ""] if _present(cases, (JAX, JAX32)) else []),
            "Recurrent layers (LSTM, GRU, a stack of two vanilla layers): many-to-one through "
            "`manual.seqnet` (the cell's `manual.layers` module in a stack, a linear head of one "
            "output, sigmoid + BCE), autograd on `auto.seqnet`; torch `nn.LSTM` / `nn.GRU` / "
            "`nn.RNN(num_layers=2)` with our weights (the GRU's two biases are its two); JAX the "
            "same cells (PyTorch's gate order i, f, g, o; the GRU's reset gate inside "
            "`h @ W_hn + b_hn`). Each cell's own init (the LSTM's forget bias 1), every bias "
            "shifted by U(-0.1, 0.1). Their GFLOP/s count the gates' GEMMs (4H or 3H wide) and, in "
            "a stack, the gradient each upper layer sends to the one below.", "",
            "GFLOP/s counts the GEMM flops of the model's forward + backward (2 per multiply-add): "
            "input projection, recurrence and head forward; the recurrence carry, dWxh, dWhh and "
            "the head backward over the steps that get a gradient (MLP: every layer's forward "
            "and dW, and g @ W.T for all but the first layer). The **ceiling** is a single "
            "recurrence step's GEMM, `np.matmul` of a (64, 256) by a (256, 256) matrix into a "
            "preallocated output, of the same dtype, timed in the same round robin as the "
            "contenders of each problem: a recurrence has to go step by step, so no step can "
            "beat that GEMM; \"% of ceiling\" is our GFLOP/s over it. It can pass 100% where "
            "the one-shot GEMMs (the input projection of all steps, the weight gradients) "
            "carry much of the work, as with truncation, because a GEMM of 6400 rows runs "
            "faster than one of 64. The ceiling is measured per problem, not once, because "
            "the machine's speed is not constant: on the 2-core VMs this was written on, a "
            "plain GEMM loop in an otherwise idle process drops from about 78 to about 51 "
            "GFLOP/s after some 10 s of sustained load and stays there, so the later, larger "
            "problems run on a slower machine than the first ones; within a problem, "
            "contenders and ceiling share the same conditions.", ""]
    for model in models.PROBLEMS:                  # the models' sections, in the benchmark's order
        group = [c for c in cases if c.problem.model == model]
        if group:
            out += _model_sections(model, group)
    if any(c.memory for c in cases):
        out += _memory_section(cases)
    out += ["## GEMM ceiling", "", _ceiling_table(cases), ""]
    if rates:
        out += ["## Cross-check throughput", "",
                "`crosscheck.verify(model, max_examples=N, seed=0, profile=\"ci\")` at the "
                "model's default strategy: every example compares loss, parameter and input "
                "gradients with autograd, and small smooth ones also with finite differences.", "",
                _table(["model", "examples", "of which with finite differences", "seconds",
                        "examples / s", "all agree"],
                       [[r.model, r.examples, r.numeric_examples, f"{r.seconds:.2f}",
                         f"{r.examples / r.seconds:.0f}", "yes" if r.ok else "**no**"] for r in rates]), ""]
        profiled = [r for r in rates if r.profile]
        if profiled:
            out += ["Where the time goes: the same `verify` once more under cProfile, its time "
                    "split by `benchmarks/profile_check.py` (each category the cumulative time of "
                    "its functions; cProfile slows pure-Python code such as Hypothesis's drawing "
                    "more than NumPy code, so these are shares of the profiled run).", "",
                    _table(["model", "profiled run (s)"] + list(profile_check.ORDER),
                           [[r.model, f"{r.profiled_seconds:.2f}"]
                            + [f"{100 * r.profile[c] / r.profiled_seconds:.0f}%" for c in profile_check.ORDER]
                            for r in profiled]), ""]
    if commands:
        out += ["## Test suite and `crosscheck run`", "",
                _table(["command", "wall time (s)", "exit status", "last line"],
                       [[f"`{c.command}`", f"{c.seconds:.1f}", c.returncode, c.summary] for c in commands]), ""]
    out += ["## Agreement checks (before timing)", "",
            "Each contender against ours in float64: the largest error of any key (loss and "
            "every parameter gradient) relative to the largest entry of our array "
            "(`crosscheck.compare`; tolerance rtol 1e-6 in float64, 1e-3 in float32).", "",
            _checks_table(cases), ""]
    return "\n".join(out)
