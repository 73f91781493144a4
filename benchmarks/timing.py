"""Interleaved timing: every contender is timed in turn, round after round, and each
one's time is the median of its rounds.

Interleaving spreads whatever else the machine does (other processes, frequency
changes) over all contenders alike instead of letting it fall on whoever runs while it
happens. Before each timed block the harness makes one untimed call, and when the
previous block ran on another library's threads (NumPy's OpenBLAS against PyTorch's
OpenMP) it first pauses: worker threads keep spinning for a while after a call and slow
the other library's next call (about 2x on a 2-core machine). The untimed call also
brings the contender's data back into cache.
"""
import time
import timeit
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

import numpy as np


@dataclass
class Settings:
    """How long to time. A contender is timed for at least ``min_repeats`` rounds, and for
    more (up to ``max_repeats``) until its timed blocks add up to ``min_total`` seconds;
    a block repeats the call ``number`` times, chosen so that a block lasts ``min_block``
    seconds (at least one call)."""
    min_repeats: int = 3
    max_repeats: int = 15
    min_total: float = 1.0
    min_block: float = 0.05
    pause: float = 0.2
    max_number: int = 2000


FULL = Settings()
QUICK = Settings(min_repeats=1, max_repeats=2, min_total=0.0, min_block=0.01, pause=0.02)


@dataclass
class Timing:
    """One contender's times: ``samples`` holds the seconds per call of every block."""
    number: int
    samples: List[float] = field(default_factory=list)

    @property
    def median(self):
        return float(np.median(self.samples))

    @property
    def spread(self):
        """(min, max) of the block times, seconds per call."""
        return float(np.min(self.samples)), float(np.max(self.samples))


def _calls_per_block(fn, settings):
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    if once >= settings.min_block:
        return 1
    return int(min(settings.max_number, max(1, np.ceil(settings.min_block / max(once, 1e-9)))))


def round_robin(contenders: Dict[str, Tuple[Callable[[], object], str]], settings: Settings,
                progress=None) -> Dict[str, Timing]:
    """Time contenders round-robin; return ``{name: Timing}``.

    contenders: ``{name: (fn, threads)}``, ``fn()`` the call to time and ``threads`` the
    name of the thread pool it runs on ("numpy", "torch"). The starting contender rotates
    from round to round, so that none always runs right after the same neighbour.
    """
    names = list(contenders)
    timings = {name: Timing(_calls_per_block(contenders[name][0], settings)) for name in names}
    last_pool = None
    rounds = 0
    while True:
        pending = [n for n in names if _wants_more(timings[n], settings)]
        if not pending:
            return timings
        shift = rounds % len(pending)
        for name in pending[shift:] + pending[:shift]:
            (fn, pool), timing = contenders[name], timings[name]
            if pool != last_pool:
                time.sleep(settings.pause)
            last_pool = pool
            fn()                                             # untimed: threads and caches settle
            seconds = timeit.Timer(fn).timeit(number=timing.number)   # gc off while timing
            timing.samples.append(seconds / timing.number)
            if progress is not None:
                progress(name, timing)
        rounds += 1


def _wants_more(timing, settings):
    n = len(timing.samples)
    if n < settings.min_repeats:
        return True
    if n >= settings.max_repeats:
        return False
    return sum(timing.samples) * timing.number < settings.min_total
