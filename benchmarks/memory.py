"""Peak memory of one forward + backward (a training step), per contender.

Each number is the largest amount of memory the call had allocated at one time beyond
what existed before it (the parameters, x and y are not counted; the returned gradients
are, as they are alive at the end), measured as each library allows:

- NumPy (ours, autograd): ``tracemalloc``, started just before the call. NumPy reports
  its array buffers to it, and it sees every Python object too (autograd's graph);
  blocks allocated before it started are not counted when freed.
- torch: ``torch.profiler`` with ``profile_memory=True``: its allocator's allocation and
  free events over the call, in time order; the peak of their running sum. Only memory
  torch's CPU allocator hands out (tensors), not the Python objects around them.
- JAX: ``jax.jit(...).lower(...).compile().memory_analysis()``, XLA's buffer assignment of
  the compiled call: its temporary buffers plus its outputs. A plan made at compile time,
  not a measurement of a run, and an upper bound of what is live at once (the temporary
  buffers are one allocation).

The lower bound (:func:`benchmarks.models.states_and_gradients`) is every layer's states
``(T + 1) * batch * H`` (h, and c for the LSTM) and one gradient per parameter.
"""
import gc
import tracemalloc

SHAPES = ((16, 1000, 32, 64), (64, 100, 128, 256))      # the default shapes measured


def _tracemalloc_peak(call):
    call()                                           # whatever is allocated once, first
    gc.collect()
    if tracemalloc.is_tracing():
        raise RuntimeError("tracemalloc is already tracing: the peak would not be the call's own")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return peak - before


def _torch_peak(call, torch):
    from torch.profiler import ProfilerActivity, profile
    call()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        out = call()
    del out
    # allocations (positive) and frees (negative) of the CPU allocator, in time order; a
    # block allocated before the profiler started has no known size and is left out
    events = sorted((e for e in prof.profiler.kineto_results.events() if e.nbytes() != 0),
                    key=lambda e: e.start_ns())
    live = peak = 0
    for e in events:
        live += e.nbytes()
        peak = max(peak, live)
    return peak


def peak(contender, libraries):
    """Peak bytes of one ``contender.call()`` (see the module doc); ``libraries``:
    ``{name: module}`` as :func:`benchmarks.models.contenders` takes them."""
    if contender.memory is not None:
        return contender.memory()
    if contender.pool == "numpy":
        return _tracemalloc_peak(contender.call)
    if contender.pool == "torch":
        return _torch_peak(contender.call, libraries["torch"])
    raise ValueError(f"no way to measure the memory of {contender.name} ({contender.pool})")


METHODS = {
    "numpy": "`tracemalloc` around one call (NumPy reports its buffers to it; Python objects "
             "such as autograd's graph count too)",
    "torch": "`torch.profiler` (`profile_memory=True`): the peak of the running sum of the CPU "
             "allocator's allocations and frees during one call (tensors only)",
    "jax": "`jax.jit(...).lower(...).compile().memory_analysis()`: XLA's temporary buffers plus "
           "the outputs, planned at compile time (not measured in a run)",
}
