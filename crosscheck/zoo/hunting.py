"""Running the cross-check on the bugs: :func:`hunt`, and its results as a table."""
import functools
from typing import NamedTuple

from crosscheck.check import verify
from crosscheck.registry import get
from crosscheck.zoo.bugs import BUGS, BY_NAME, Bug


class HuntResult(NamedTuple):
    """One bug's outcome: ``result`` is the :class:`crosscheck.VerifyResult`;
    caught when the cross-check disagreed (``not result.ok``)."""
    bug: Bug
    result: object

    @property
    def caught(self):
        return not self.result.ok


def hunt(bugs=None, *, profile=None, max_examples=None, seed=None, progress=None):
    """Run :func:`crosscheck.verify` on each bug (default: all of :data:`BUGS`), comparing
    input gradients too. bugs: Bug objects or names. progress: called as
    ``progress(bug, n_examples)``. Returns a list of :class:`HuntResult`."""
    results = []
    for bug in BUGS if bugs is None else bugs:
        bug = BY_NAME[bug] if isinstance(bug, str) else bug
        tick = None if progress is None else functools.partial(progress, bug)
        result = verify(bug.model, manual=bug.fn, profile=profile, max_examples=max_examples,
                        seed=seed, input_grads=True, progress=tick)
        results.append(HuntResult(bug, result))
    return results


def minimal_case(result):
    """The shrunk failing case in one line: shapes, then options; "" when none."""
    case = result.case
    if case is None:
        return ""
    arg_names = get(result.model).arg_names              # a layer's second argument is dout
    absent = {name for name, arg in zip(arg_names, case.args) if arg is None}
    shapes = " ".join(f"{k}{s}".replace(" ", "") for k, s in case.shapes(arg_names).items()
                      if k not in absent)
    options = " ".join(f"{k}={v}" for k, v in case.plain_options().items()
                       if not str(v).startswith("array"))
    return f"{shapes}; {options}"


def format_table(results):
    """A plain-text table: bug, model, origin, caught/MISSED, examples to failure, time,
    and the minimal case."""
    rows = [("bug", "model", "origin", "verdict", "examples", "time", "minimal case")]
    for r in results:
        res = r.result
        rows.append((r.bug.name, r.bug.part, r.bug.origin, "caught" if r.caught else "MISSED",
                     str(res.examples_to_failure if r.caught else res.examples),
                     f"{res.seconds:.1f}s", minimal_case(res)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
             for row in rows]
    caught = sum(r.caught for r in results)
    lines.append(f"{caught} of {len(results)} bugs caught")
    return "\n".join(line.rstrip() for line in lines)

