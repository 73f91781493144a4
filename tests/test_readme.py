"""The README's Python snippets run as written, in order, and print what their comments say.

Every ```python block is run in one namespace from the repository's root, as a reader
pastes them into one session, except:
- a block whose first line is ``# FILE.py`` is written to FILE.py in a scratch folder on
  the path (the README's "mymodels.py"), then imported by the blocks after it;
- a block whose first line is ``# examples/FILE.py`` is an excerpt: its other lines must
  appear, in order and as written, in that file (which the tests run).
A ``print(...)  # VALUE`` line whose comment is one literal (True, agree, 1.0, ...) or
several separated by spaces must print exactly that.
"""
import contextlib
import io
import re
import sys

from tests.helpers import ROOT

BLOCK = re.compile(r"```python\n(.*?)```", re.S)
FILE = re.compile(r"# ([\w/]+\.py)\s*$")
# a comment that is only literals: True, False, words, numbers
LITERALS = re.compile(r"^(?:[\w.+-]+|\[[^\]]*\])(?: (?:[\w.+-]+|\[[^\]]*\]))*$")


def _blocks():
    return BLOCK.findall((ROOT / "README.md").read_text())


def _expected_prints(code):
    """The literal each print line's comment promises, in order (None: no promise)."""
    out = []
    for line in code.splitlines():
        if line.startswith("print("):
            comment = line.partition("  #")[2].strip()
            out.append(comment if comment and LITERALS.match(comment) else None)
    return out


def test_every_python_block_runs_as_written(tmp_path, monkeypatch):
    from crosscheck import registry
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))   # the README registers one
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT))
    namespace = {"__name__": "readme"}
    blocks = _blocks()
    assert len(blocks) >= 8
    for number, code in enumerate(blocks, 1):
        first = code.splitlines()[0]
        name = FILE.match(first)
        if name and name.group(1).startswith("examples/"):
            text = (ROOT / name.group(1)).read_text()
            for chunk in code.split("\n\n\n")[0:]:
                chunk = "\n".join(line for line in chunk.splitlines() if line != first)
                assert chunk.strip() in text, f"block {number} is not an excerpt of {name.group(1)}:\n{chunk}"
            continue
        if name:
            (tmp_path / name.group(1)).write_text(code)
            continue
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"README.md block {number}", "exec"), namespace)
        lines = printed.getvalue().splitlines()
        promised = _expected_prints(code)
        if len(lines) == len(promised):
            for line, promise in zip(lines, promised):
                if promise is not None:
                    assert line == promise, f"block {number} printed {line!r}, its comment says {promise!r}"
        else:
            assert all(p is None for p in promised), f"block {number} printed {lines!r}"
    for module in ("mymodels", "examples", "examples.cs231n_layers"):
        sys.modules.pop(module, None)
