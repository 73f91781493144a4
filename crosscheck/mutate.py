"""Mutation testing of hand-written gradients: how many small bugs does the cross-check catch?

``crosscheck mutate SOURCE --target NAME`` makes first-order mutants of SOURCE (a module
of hand-written backprop: one small change each, the kind of slip a person makes when
deriving a gradient by hand), runs :func:`crosscheck.verify` on each in a subprocess with a
time limit, and reports the mutation score, every surviving mutant as a diff and how many
examples it took to kill the others.

Why a mutator of our own. mutmut, cosmic-ray and mutatest are built around a test suite:
each mutant is written into the package on disk (or into its caches) and a test command
(pytest) is run against it, with the outcome a pass/fail of that command. Here the "test"
is one call, ``verify(target, ...)``, whose result we need in detail (the verdict, the
examples to the first failure), on mutants aimed at numerical code (``@``, ``.T``,
``axis=``, ``keepdims=``, ``out=``, time indices) that those tools do not make; and a
mutant written over the working tree would race with everyone else editing it. So this
module is a small AST mutator (:func:`mutants`), and each mutant is loaded in its own
process by :mod:`crosscheck.mutate_worker` (run by path) without touching the file on disk.

The mutations (``Mutant.kind``):

- ``operator``: ``+ -`` swapped, ``*`` to ``/`` or ``+``, ``/`` to ``*``, ``@`` to ``*``,
  ``**`` to ``*``; the same in augmented assignments (``+=`` to ``-=``, ...); the operands
  of ``-``, ``/``, ``@`` swapped;
- ``sign``: a unary minus removed; one added in front of an assigned or returned
  arithmetic value;
- ``compare``: ``<`` to ``<=``/``>``, ``>`` to ``>=``/``<``, ``<=`` to ``<``, ``>=`` to ``>``,
  ``==``/``!=`` and ``is``/``is not`` flipped;
- ``constant``: numbers 0 to 1, 1 to 0, 2 to 1, any other k to k + 1; ``True``/``False`` flipped;
- ``index``: an integer index k to k + 1 (``[-1]`` to ``[0]``), a loop variable of
  ``range(...)`` used as an index ``[t]`` to ``[t - 1]``;
- ``keyword``: ``axis=0`` to ``1``/``None`` (and back), ``keepdims`` flipped, an ``axis``,
  ``keepdims`` or ``out`` keyword removed;
- ``transpose``: ``.T``, ``.transpose(...)``, ``np.transpose(...)`` removed;
- ``arguments``: the two positional arguments of a two-argument call swapped;
- ``delete``: a statement replaced by ``pass``: an augmented assignment, a call made for its
  effect (``np.put_along_axis(...)``), an assignment into an array or attribute, or one
  that rebinds a name bound before it in the same function (a first binding deleted is a
  NameError at once, which says nothing about the check);
- ``assign``: ``x += v`` to ``x = v``.

Not mutated: docstrings and strings, function signatures and annotations, ``raise`` and
``assert`` statements, the test of an ``if`` whose body only raises, and statements that
call into the input validation (``spec.``/``checks.``, any name imported from
``modelspec``): a mutant there changes which inputs are refused or the error message, not a
gradient, and the cross-check draws valid inputs only.

Each mutant runs as ``python crosscheck/mutate_worker.py``; killed means any verdict
but "agree" (``disagree``, ``crash`` when the mutated code raises, ``usage``/``contract``
when it breaks what verify expects of the call), or ``timeout`` (counted apart).
"""
import ast
import difflib
import hashlib
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple, Optional

_WORKER = Path(__file__).with_name("mutate_worker.py")
KINDS = ("operator", "sign", "compare", "constant", "index", "keyword", "transpose", "arguments",
         "delete", "assign")

_BINOP_SWAPS = {ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div, ast.Add),
                ast.Div: (ast.Mult,), ast.MatMult: (ast.Mult,), ast.Pow: (ast.Mult,),
                ast.FloorDiv: (ast.Div,)}
_AUG_SWAPS = {ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,)}
_NONCOMMUTATIVE = (ast.Sub, ast.Div, ast.MatMult)
_COMPARE_FLIPS = {ast.Lt: (ast.LtE, ast.Gt), ast.Gt: (ast.GtE, ast.Lt), ast.LtE: (ast.Lt,),
                  ast.GtE: (ast.Gt,), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
                  ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,)}
_REMOVABLE_KEYWORDS = ("axis", "keepdims", "out")
_VALIDATION_ROOTS = {"spec", "checks", "modelspec"}
# an expression replaced inside one of these needs parentheses to keep its meaning
_TIGHT_PARENTS = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.Attribute, ast.Await)
_LOOSE_NODES = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr)


class Mutant(NamedTuple):
    """One first-order mutant of a module.

    id: stable across edits elsewhere in the file (a hash of the function, the changed
    text and the change); kind: one of :data:`KINDS`; path, line, col (1-based) of the
    change; description: one line; source: the whole mutated module; diff: unified diff
    against the original.
    """
    id: str
    kind: str
    path: str
    line: int
    col: int
    description: str
    source: str
    diff: str

    @property
    def location(self):
        return f"{self.path}:{self.line}:{self.col}"


def _short(text, width=60):
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _change(old, new, width=60, context=20):
    """``old`` and ``new`` on one line each, cut down around where they differ when long."""
    old, new = " ".join(old.split()), " ".join(new.split())
    if max(len(old), len(new)) <= width:
        return old, new
    p = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    s = 0
    while s < min(len(old), len(new)) - p and old[-1 - s] == new[-1 - s]:
        s += 1
    start = max(0, p - context)

    def cut(text):
        end = min(len(text), len(text) - s + context)
        return _short(("..." if start else "") + text[start:end] + ("..." if end < len(text) else ""), 80)
    return cut(old), cut(new)


def _number(node):
    """The value of a numeric literal (``-1`` included), else None; bools are not numbers."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _axis_alternatives(node):
    """``axis=0`` -> 1, None; any other int -> 0, None; None -> 0; a tuple -> None."""
    if isinstance(node, ast.Constant) and node.value is None:
        return (0,)
    if isinstance(node, ast.Tuple):
        return (None,)
    k = _number(node)
    if not isinstance(k, int):
        return ()
    return (1, None) if k == 0 else (0, None)


def _literal(value):
    return ast.parse(repr(value), mode="eval").body


def _next_constant(k):
    """0 -> 1, 1 -> 0, 2 -> 1, k -> k + 1, keeping int or float."""
    new = {0: 1, 1: 0, 2: 1}.get(k, k + 1)
    return type(k)(new)


_ALLOCATIONS = ("empty", "empty_like", "zeros", "zeros_like")
# commutative calls: NumPy's ufuncs, np.may_share_memory, and the builtins max and min
_COMMUTATIVE = ("add", "multiply", "maximum", "minimum", "logaddexp", "hypot", "may_share_memory", "max", "min")


def _call_name(call):
    """``multiply`` for ``np.multiply(...)``: the called attribute's or name's last part."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class _Collector(ast.NodeVisitor):
    """Walks a module and records its mutation sites: ``(node, replacement text, kind,
    description, enclosing function, original text)``."""

    def __init__(self, text_of, validators, function=None):
        self.text_of, self.validators, self.function = text_of, validators, function
        self.sites = []
        self.scope = []            # qualified name of the enclosing function
        self.bound = [set()]       # names bound so far in each enclosing function
        self.loop_vars = set()     # loop variables of range(...) (integer indices)
        self.parents = {}

    # -- where not to look ------------------------------------------------------------
    def _in_scope(self):
        if self.function is None:
            return True
        name = ".".join(self.scope)
        return name == self.function or name.startswith(self.function + ".")

    def _validates(self, node):
        return any(isinstance(n, ast.Call) and _root_name(n.func) in self.validators
                   for n in ast.walk(node))

    def generic_visit(self, node):
        for child in ast.iter_child_nodes(node):
            self.parents[child] = node
        super().generic_visit(node)

    def visit_FunctionDef(self, node):
        # the signature (defaults, annotations) and decorators are not mutated
        self.scope.append(node.name)
        self.bound.append({a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)})
        for stmt in node.body:
            self.parents[stmt] = node
            self.visit(stmt)
        self.bound.pop()
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.scope.append(node.name)
        for stmt in node.body:
            if not isinstance(stmt, ast.AnnAssign):          # NamedTuple fields
                self.parents[stmt] = node
                self.visit(stmt)
        self.scope.pop()

    def visit_Raise(self, node):
        pass

    visit_Assert = visit_Import = visit_ImportFrom = visit_Raise
    visit_JoinedStr = visit_Global = visit_Nonlocal = visit_Raise

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant):              # a docstring or a bare string
            return
        if self._validates(node):
            return
        if isinstance(node.value, ast.Call):
            self._delete(node)
        self.generic_visit(node)

    def visit_If(self, node):
        raises_only = all(isinstance(s, ast.Raise) for s in node.body) and not node.orelse
        if not raises_only:
            if not self._validates(node.test):
                self.parents[node.test] = node
                self.visit(node.test)
            for stmt in node.body + node.orelse:
                self.parents[stmt] = node
                self.visit(stmt)

    def visit_For(self, node):
        it = node.iter
        while isinstance(it, ast.Call) and _root_name(it.func) == "reversed" and it.args:
            it = it.args[0]
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" \
                and isinstance(node.target, ast.Name):
            self.loop_vars.add(node.target.id)
        self._bind(node.target)
        self.generic_visit(node)

    def _bind(self, target):
        self.bound[-1] |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}

    def visit_Assign(self, node):
        if self._validates(node):
            self._bind_all(node)
            return
        names = [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Store)]
        stores_into = any(isinstance(t, (ast.Subscript, ast.Attribute)) for t in node.targets)
        if stores_into or (names and all(n in self.bound[-1] for n in names)):
            self._delete(node)
        if len(node.targets) == 1 and self._arithmetic(node.value):
            self._add(node.value, ast.UnaryOp(ast.USub(), node.value), "sign", "minus added")
        self._bind_all(node)
        self.generic_visit(node)

    def _bind_all(self, node):
        for target in node.targets:
            self._bind(target)

    def visit_AugAssign(self, node):
        if self._validates(node):
            return
        self._delete(node)
        for op in _AUG_SWAPS.get(type(node.op), ()):
            self._add(node, ast.AugAssign(node.target, op(), node.value), "operator",
                      f"{_OPS[type(node.op)]}= -> {_OPS[op]}=")
        self._add(node, ast.Assign([node.target], node.value, lineno=node.lineno), "assign",
                  f"{_OPS[type(node.op)]}= -> =")
        if self._arithmetic(node.value):
            self._add(node.value, ast.UnaryOp(ast.USub(), node.value), "sign", "minus added")
        self.generic_visit(node)

    def visit_Return(self, node):
        if node.value is not None and not self._validates(node):
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for value in values:
                if self._arithmetic(value):
                    self._add(value, ast.UnaryOp(ast.USub(), value), "sign", "minus added")
            self.generic_visit(node)

    @staticmethod
    def _arithmetic(node):
        # a buffer's allocation is no value: minus on np.empty (overwritten) or np.zeros
        # (-0 == 0) changes nothing, so those mutants are not made
        return isinstance(node, ast.BinOp) or (
            isinstance(node, ast.Call) and _root_name(node.func) in ("np", "numpy")
            and _call_name(node) not in _ALLOCATIONS)

    # -- expressions ------------------------------------------------------------------
    def visit_BinOp(self, node):
        for op in _BINOP_SWAPS.get(type(node.op), ()):
            self._add(node, ast.BinOp(node.left, op(), node.right), "operator",
                      f"{_OPS[type(node.op)]} -> {_OPS[op]}")
        if isinstance(node.op, _NONCOMMUTATIVE):
            self._add(node, ast.BinOp(node.right, node.op, node.left), "operator", "operands swapped")
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if _number(node) is not None:                   # a literal -k: one number
            if not self._is_index(node) and not self._is_keyword_value(node):
                self._add(node, node.operand, "sign", "minus removed")
                self._constant(node)
            return
        if isinstance(node.op, ast.USub):
            self._add(node, node.operand, "sign", "minus removed")
        self.generic_visit(node)

    def visit_Compare(self, node):
        for i, op in enumerate(node.ops):
            for new in _COMPARE_FLIPS.get(type(op), ()):
                ops = list(node.ops)
                ops[i] = new()
                self._add(node, ast.Compare(node.left, ops, node.comparators), "compare",
                          f"{_OPS[type(op)]} -> {_OPS[new]}")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, bool):
            if not self._is_keyword_value(node):
                self._add(node, _literal(not node.value), "constant", f"{node.value} -> {not node.value}")
        elif _number(node) is not None and not self._is_index(node) and not self._is_keyword_value(node):
            self._constant(node)

    def _constant(self, node):
        k = _number(node)
        new = _next_constant(k)
        self._add(node, _literal(new), "constant", f"{k!r} -> {new!r}")

    def _is_index(self, node):
        parent = self.parents.get(node)
        if isinstance(parent, ast.Tuple) and isinstance(self.parents.get(parent), ast.Subscript):
            return self.parents[parent].slice is parent
        return isinstance(parent, ast.Subscript) and parent.slice is node

    def _is_keyword_value(self, node):
        parent = self.parents.get(node)
        return isinstance(parent, ast.keyword) and parent.arg in ("axis", "keepdims")

    def visit_Subscript(self, node):
        indices = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for index in indices:
            self.parents[index] = node.slice if isinstance(node.slice, ast.Tuple) else node
            k = _number(index)
            if isinstance(k, int):
                self._add(index, _literal(k + 1), "index", f"[{k}] -> [{k + 1}]")
            elif isinstance(index, ast.Name) and index.id in self.loop_vars:
                self._add(index, ast.BinOp(index, ast.Sub(), ast.Constant(1)), "index",
                          f"[{index.id}] -> [{index.id} - 1]")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr == "T" and isinstance(node.ctx, ast.Load):
            self._add(node, node.value, "transpose", ".T removed")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "transpose":
            if _root_name(func) in ("np", "numpy") and node.args:
                self._add(node, node.args[0], "transpose", "np.transpose removed")
            elif _root_name(func) not in ("np", "numpy"):
                self._add(node, func.value, "transpose", ".transpose(...) removed")
        for i, kw in enumerate(node.keywords):
            if kw.arg == "axis":
                for new in _axis_alternatives(kw.value):
                    self._keyword(node, i, _literal(new), f"axis={self.text_of(kw.value)} -> axis={new}")
            elif kw.arg == "keepdims" and isinstance(kw.value, ast.Constant):
                self._keyword(node, i, _literal(not kw.value.value),
                              f"keepdims={kw.value.value} -> keepdims={not kw.value.value}")
            if kw.arg in _REMOVABLE_KEYWORDS:
                keywords = node.keywords[:i] + node.keywords[i + 1:]
                self._add(node, ast.Call(func, node.args, keywords), "keyword", f"{kw.arg}= removed")
        args = node.args
        # swapping the arguments of a commutative call (np.multiply, max, ...) changes nothing
        if len(args) == 2 and not any(isinstance(a, ast.Starred) for a in args) \
                and ast.dump(args[0]) != ast.dump(args[1]) and _call_name(node) not in _COMMUTATIVE:
            self._add(node, ast.Call(func, [args[1], args[0]], node.keywords), "arguments",
                      "arguments swapped")
        self.generic_visit(node)

    def _keyword(self, call, i, value, description):
        keywords = list(call.keywords)
        keywords[i] = ast.keyword(keywords[i].arg, value)
        self._add(call, ast.Call(call.func, call.args, keywords), "keyword", description)

    # -- recording --------------------------------------------------------------------
    def _delete(self, stmt):
        self._add(stmt, None, "delete", "statement deleted")

    def _add(self, node, new, kind, description):
        if not self._in_scope():
            return
        if new is None:
            text = "pass"
        else:
            text = ast.unparse(ast.fix_missing_locations(new))
            parent = self.parents.get(node)
            tight = isinstance(parent, _TIGHT_PARENTS) or (
                isinstance(parent, ast.Subscript) and parent.value is node) or (
                isinstance(parent, ast.Call) and parent.func is node)
            if tight and isinstance(new, _LOOSE_NODES):
                text = f"({text})"
        old = self.text_of(node)
        shown_old, shown_new = _change(old, text)
        self.sites.append((node, text, kind, f"{kind}: {description}: `{shown_old}` -> `{shown_new}`",
                           ".".join(self.scope) or "<module>", old))


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**",
        ast.FloorDiv: "//", ast.Lt: "<", ast.Gt: ">", ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "==",
        ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not"}


def _validators(tree):
    """Names whose calls validate input: ``spec``, ``checks``, and anything imported from
    ``modelspec`` (a module or a function)."""
    names = set(_VALIDATION_ROOTS)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "modelspec":
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names
                      if a.name.split(".")[0] == "modelspec"}
    return names


def _functions(tree, prefix=""):
    """Qualified names of the functions and methods defined in ``tree``."""
    names = set()
    for node in getattr(tree, "body", ()):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = prefix + node.name
            if not isinstance(node, ast.ClassDef):
                names.add(name)
            names |= _functions(node, name + ".")
    return names


def mutants(source, path="<string>", function=None, module=None):
    """Every first-order mutant of ``source`` (a module's text), in source order.

    path: shown in locations and diffs; function: a top-level function (or
    ``Class.method``) to restrict the mutants to (ValueError if there is none); module: the
    dotted name that goes into the ids (default: path). Mutants that do not compile, or
    whose code is the original's or an earlier mutant's, are left out.
    Returns a list of :class:`Mutant`.
    """
    tree = ast.parse(source)
    if function is not None and function not in _functions(tree):
        raise ValueError(f"{path} defines no function {function!r}")
    data = source.encode()
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def span(node):
        return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset

    def text_of(node):
        a, b = span(node)
        return data[a:b].decode()

    collector = _Collector(text_of, _validators(tree), function)
    collector.visit(tree)
    seen = {ast.dump(tree)}
    counts = {}
    out = []
    original_lines = source.splitlines(keepends=True)
    for node, text, kind, description, scope, old in collector.sites:
        a, b = span(node)
        new_source = (data[:a] + text.encode() + data[b:]).decode()
        try:
            new_tree = ast.parse(new_source)
            compile(new_tree, path, "exec")
        except SyntaxError:
            continue
        dumped = ast.dump(new_tree)
        if dumped in seen:
            continue
        seen.add(dumped)
        key = (module or path, scope, " ".join(old.split()), description)
        counts[key] = counts.get(key, 0) + 1
        digest = hashlib.sha1(repr((*key, counts[key])).encode()).hexdigest()[:8]
        diff = "".join(difflib.unified_diff(original_lines, new_source.splitlines(keepends=True),
                                            f"a/{path}", f"b/{path}", n=1))
        out.append(Mutant(f"m{digest}", kind, path, node.lineno, node.col_offset + 1,
                          description, new_source, diff))
    return out


# ----------------------------------------------------------------------------- running

class Source(NamedTuple):
    """What to mutate: ``path`` (the file), ``module`` (its dotted name), ``root`` (the
    folder to put on sys.path to import it) and ``function`` (None: the whole module, and
    each target's own registered function is checked; a name: only that function is
    mutated, and it is the function checked)."""
    path: str
    module: str
    root: str
    function: Optional[str]

    @property
    def shown(self):
        """The path as shown in reports: relative to the current folder when inside it."""
        try:
            return os.path.relpath(self.path)
        except ValueError:
            return self.path


def resolve(spec):
    """``PATH.py`` or ``dotted.module``, optionally ``:FUNCTION``, as a :class:`Source`.
    Raises ValueError (one line) when it is not an importable Python file."""
    where, _, function = spec.partition(":")
    if not where:
        raise ValueError(f"SOURCE must be a file.py or a dotted module, optionally :FUNCTION; got {spec!r}")
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = Path(where).resolve()
        if not path.is_file() or path.suffix != ".py":
            raise ValueError(f"SOURCE {where!r} is not a Python file")
        parts, folder = [path.stem], path.parent
        while (folder / "__init__.py").is_file():
            parts.insert(0, folder.name)
            folder = folder.parent
        if parts[-1] == "__init__":
            parts.pop()
        return Source(str(path), ".".join(parts), str(folder), function or None)
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        found = importlib.util.find_spec(where)
    except (ImportError, ValueError) as exc:
        raise ValueError(f"cannot find module {where!r}: {exc}") from None
    if found is None or not found.origin or not found.origin.endswith(".py"):
        raise ValueError(f"cannot find the Python file of module {where!r}")
    folder = Path(found.origin).resolve().parent
    for _ in range(where.count(".") + (found.origin.endswith("__init__.py"))):
        folder = folder.parent
    return Source(str(Path(found.origin).resolve()), where, str(folder), function or None)


class Outcome(NamedTuple):
    """One mutant's run: verdict ("agree" = survived, "disagree", "crash", "usage",
    "contract", "timeout"), the target that killed it (or the last one run),
    examples_to_failure (None when it survived or timed out), seconds, error (one line)."""
    verdict: str
    target: Optional[str]
    examples_to_failure: Optional[int]
    seconds: float
    error: Optional[str] = None

    @property
    def killed(self):
        return self.verdict != "agree"


def run_mutant(source, mutated, targets, *, models=(), examples=None, seed=0, profile=None,
               timeout=60.0):
    """Run the cross-check of every target on one mutant (``mutated`` the module's text;
    None runs the original) in a fresh ``python crosscheck/mutate_worker.py``, stopping at
    the first target that kills it. Returns an :class:`Outcome`."""
    job = {"path": source.path, "module": source.module, "root": source.root,
           "function": source.function, "source": mutated, "targets": list(targets),
           "models": list(models), "examples": examples, "seed": seed, "profile": profile}
    start = time.perf_counter()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run([sys.executable, str(_WORKER)], input=json.dumps(job),
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return Outcome("timeout", None, None, time.perf_counter() - start, f"no answer in {timeout:g} s")
    seconds = time.perf_counter() - start
    for line in reversed(done.stdout.splitlines()):
        try:
            answer = json.loads(line)
        except ValueError:
            continue
        if isinstance(answer, dict) and "verdict" in answer:
            return Outcome(answer["verdict"], answer.get("target"), answer.get("examples_to_failure"),
                           seconds, answer.get("error"))
    tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return Outcome("crash", None, 0, seconds, f"the worker died: {tail}")


class Report(NamedTuple):
    """A mutation run: the mutants run with their outcomes, the allowlist used
    (``{id: reason}``), how many mutants were made in all, seconds."""
    source: Source
    targets: tuple
    results: list          # [(Mutant, Outcome)]
    equivalent: dict
    total_made: int
    seconds: float

    def survivors(self, allowed=False):
        """Survivors outside the allowlist (``allowed=True``: those inside it)."""
        return [(m, o) for m, o in self.results if not o.killed and (m.id in self.equivalent) == allowed]

    @property
    def killed(self):
        return [(m, o) for m, o in self.results if o.killed]

    @property
    def score(self):
        """killed / (run - allowlisted equivalent survivors); None when nothing counts."""
        counted = len(self.results) - len(self.survivors(allowed=True))
        return len(self.killed) / counted if counted else None

    def examples_to_kill(self):
        return sorted(o.examples_to_failure for _, o in self.killed if o.examples_to_failure is not None)

    @property
    def ok(self):
        return not self.survivors()

    def to_json(self, profile, seed, examples):
        kills = self.examples_to_kill()
        return {"source": self.source.shown, "module": self.source.module, "function": self.source.function,
                "targets": list(self.targets), "profile": profile, "seed": seed, "examples": examples,
                "mutants_made": self.total_made, "mutants_run": len(self.results),
                "killed": len(self.killed), "verdicts": self.verdict_counts(),
                "equivalent": len(self.survivors(allowed=True)), "survived": len(self.survivors()),
                "score": self.score, "median_examples_to_kill": statistics.median(kills) if kills else None,
                "seconds": round(self.seconds, 1), "ok": self.ok,
                "mutants": [{"id": m.id, "kind": m.kind, "location": m.location, "description": m.description,
                             "verdict": o.verdict, "killed": o.killed, "target": o.target,
                             "examples_to_failure": o.examples_to_failure, "seconds": round(o.seconds, 2),
                             "error": o.error, "equivalent": self.equivalent.get(m.id),
                             "diff": m.diff} for m, o in self.results]}

    def verdict_counts(self):
        counts = {}
        for _, o in self.results:
            counts[o.verdict] = counts.get(o.verdict, 0) + 1
        return counts


def progress_line(i, n, mutant, outcome):
    """``[12/536] killed at example 2 (disagree, mlp) manual/losses.py:63:5 operator: ...``"""
    if outcome.verdict == "agree":
        what = "SURVIVED"
    elif outcome.verdict == "timeout":
        what = "killed by timeout"
    else:
        what = f"killed at example {outcome.examples_to_failure} ({outcome.verdict}, {outcome.target})"
    return f"[{i}/{n}] {what}  {mutant.location}  {_short(mutant.description, 90)}"


def sampled(made, k, seed):
    """A seeded sample of ``k`` of ``made``, in their order (all of them when ``k`` is None
    or at least ``len(made)``)."""
    if k is None or k >= len(made):
        return list(made)
    picked = set(random.Random(seed).sample(range(len(made)), k))
    return [m for i, m in enumerate(made) if i in picked]


def run_each(items, *, jobs=1, progress=None, **options):
    """Run ``items`` (``[(source, targets, mutant)]``, sources and targets may differ from
    one mutant to the next) with :func:`run_mutant` and ``options`` (models, examples, seed,
    profile, timeout), ``jobs`` at a time. progress: called as ``progress(i, n, mutant,
    outcome)`` after each, in order. Returns ``[(mutant, outcome)]`` in the items' order."""
    def one(item):
        source, targets, mutant = item
        return run_mutant(source, mutant.source, targets, **options)

    results = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for i, (item, outcome) in enumerate(zip(items, pool.map(one, items)), 1):
            results.append((item[2], outcome))
            if progress is not None:
                progress(i, len(items), item[2], outcome)
    return results


def run(source, targets, made=None, *, models=(), examples=None, seed=0, profile=None, timeout=60.0,
        sample=None, jobs=1, equivalent=None, progress=None):
    """Run the mutants ``made`` of ``source`` (a :class:`Source`; None: all of its
    :func:`mutants`), or a seeded sample of ``sample`` of them, each with :func:`run_mutant`,
    ``jobs`` at a time. progress: called as ``progress(i, n, mutant, outcome)`` after each.
    Returns a :class:`Report`."""
    start = time.perf_counter()
    if made is None:
        made = mutants(Path(source.path).read_text(), source.shown, source.function, source.module)
    results = run_each([(source, targets, m) for m in sampled(made, sample, seed)], jobs=jobs,
                       progress=progress, models=models, examples=examples, seed=seed,
                       profile=profile, timeout=timeout)
    return Report(source, tuple(targets), results, dict(equivalent or {}), len(made),
                  time.perf_counter() - start)


def format_report(report):
    """The score, the verdicts, the examples it took to kill, every survivor as a diff."""
    counts = report.verdict_counts()
    lines = []
    score = report.score
    allowed = report.survivors(allowed=True)
    counted = len(report.results) - len(allowed)
    lines.append(f"mutation score: {len(report.killed)}/{counted}"
                 + (f" = {100 * score:.1f}%" if score is not None else "")
                 + f" ({len(report.results)} mutants run of {report.total_made} made; "
                 + ", ".join(f"{counts[v]} {v}" for v in ("disagree", "crash", "usage", "contract", "timeout")
                             if v in counts)
                 + f"; {len(allowed)} known equivalent; {len(report.survivors())} survived; "
                   f"{report.seconds:.0f} s)")
    kills = report.examples_to_kill()
    if kills:
        def at(q):
            return kills[min(len(kills) - 1, int(q * len(kills)))]
        lines.append(f"examples to kill: median {statistics.median(kills):g}, 90th percentile {at(0.9)}, "
                     f"max {kills[-1]}; killed at example 1: {kills.count(1)}, 2-5: "
                     f"{sum(2 <= k <= 5 for k in kills)}, 6-20: {sum(6 <= k <= 20 for k in kills)}, "
                     f"over 20: {sum(k > 20 for k in kills)}")
    for m, _ in allowed:
        lines.append(f"known equivalent {m.id} {m.location}: {report.equivalent[m.id]}")
    survivors = report.survivors()
    if survivors:
        lines.append(f"\n{len(survivors)} SURVIVING mutant{'s' * (len(survivors) != 1)} (not in --equivalent):")
    for m, _ in survivors:
        lines.append(f"\n{m.id}  {m.location}  {m.description}\n{m.diff.rstrip()}")
    return "\n".join(lines)


def load_equivalent(path):
    """The allowlist of ``--equivalent FILE``: a JSON list of ``{"id": ..., "reason": ...}``.
    Returns ``{id: reason}``; raises ValueError (one line) on anything else."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read --equivalent {path!r}: {' '.join(str(exc).split())}") from None
    if not isinstance(data, list) or not all(
            isinstance(e, dict) and isinstance(e.get("id"), str) and isinstance(e.get("reason"), str)
            for e in data):
        raise ValueError(f"--equivalent {path!r} must be a JSON list of {{\"id\": ..., \"reason\": ...}}")
    return {e["id"]: e["reason"] for e in data}


# ----------------------------------------------------------------------------- the command

USAGE = ("crosscheck mutate SOURCE[:FUNCTION] --target NAME [--target NAME ...] [--model MODULE:OBJECT ...] "
         "[--examples N] [--seed S] [--profile ci|dev|thorough] [--timeout SECONDS] [--sample K] "
         "[--jobs J] [--equivalent FILE] [--json PATH] [--list]")


def _positive_float(text):
    import argparse
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0; got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0; got {text!r}")
    return value


def add_parser(commands):
    """The ``mutate`` subcommand's parser (``commands`` is the command's subparsers)."""
    from crosscheck import cli, profiles
    parser = commands.add_parser(
        "mutate", help="mutation-test a hand-written gradient: how many small bugs does the check catch?",
        description="Make first-order mutants of SOURCE (a file.py or a dotted module; with :FUNCTION only "
                    "that function is mutated and it is the function checked), run the cross-check of "
                    "each --target on each in a subprocess, and report the mutation score, the examples "
                    "it took to kill, and every surviving mutant as a diff. Exit 0 when every mutant is "
                    "killed or listed in --equivalent, 1 otherwise, 2 on a usage error (or when the "
                    "unmutated SOURCE does not pass).")
    parser.add_argument("source", metavar="SOURCE[:FUNCTION]",
                        help="the hand-written gradient to mutate: manual/losses.py, manual.losses, "
                             "or mymodule.py:loss_and_grads")
    parser.add_argument("--target", action="append", required=True, metavar="NAME",
                        help="a registered layer or model whose check runs on each mutant (repeatable: "
                             "a mutant is killed by the first that fails); its checked function must be "
                             "in SOURCE or import it, unless SOURCE names a FUNCTION")
    parser.add_argument("--model", action="append", default=[], metavar="MODULE:OBJECT",
                        help="register your own crosscheck.Model first (in every mutant's process too)")
    parser.add_argument("--examples", type=cli._count, metavar="N",
                        help="examples per target and mutant, >= 1 (default: the profile's)")
    parser.add_argument("--seed", type=cli._seed, default=0, metavar="S",
                        help="Hypothesis seed, and the seed of --sample, >= 0 (default 0: runs repeat)")
    parser.add_argument("--profile", choices=profiles.PROFILES,
                        help=f"Hypothesis profile (default: ${profiles.ENV_VAR}, else ci under CI, else dev)")
    parser.add_argument("--timeout", type=_positive_float, default=60.0, metavar="SECONDS",
                        help="time limit per mutant (default 60); a mutant over it is killed by timeout")
    parser.add_argument("--sample", type=cli._count, metavar="K",
                        help="run a fixed random sample of K mutants (drawn with --seed)")
    parser.add_argument("--jobs", type=cli._count, default=1, metavar="J",
                        help="mutants run at once (default 1)")
    parser.add_argument("--equivalent", metavar="FILE",
                        help='JSON list of {"id": ..., "reason": ...}: known-equivalent mutants, left out '
                             "of the score and of the exit status")
    parser.add_argument("--json", metavar="PATH", type=cli._json_path,
                        help="also write every mutant, its verdict and diff as JSON to PATH")
    parser.add_argument("--mutant", action="append", default=[], metavar="ID",
                        help="run only the mutant with this id (repeatable; ids as --list shows them)")
    parser.add_argument("--list", action="store_true", help="list the mutants (id, place, change) and stop")
    return parser


def command(args, out=sys.stdout, err=sys.stderr):
    """``crosscheck mutate``: see :func:`add_parser`. Returns the exit status; a usage error
    is a :class:`crosscheck.cli.UsageError`."""
    from crosscheck import cli, models, profiles
    profile = cli._profile(args)
    try:
        source = resolve(args.source)
        made = mutants(Path(source.path).read_text(), source.shown, source.function, source.module)
        equivalent = load_equivalent(args.equivalent) if args.equivalent else {}
    except (ValueError, SyntaxError, OSError) as exc:
        raise cli.UsageError(" ".join(str(exc).split())) from None
    for spec in args.model:
        cli.load_model(spec)
    for name in args.target:
        if name not in models():
            raise cli.UsageError(f"unknown target {name!r}; known: {', '.join(models())}")
    targets = list(dict.fromkeys(args.target))
    unknown = sorted(set(args.mutant) - {m.id for m in made})
    if unknown:
        raise cli.UsageError(f"no mutant {unknown[0]!r} of {source.shown} (see --list)")
    total_made = len(made)
    made = [m for m in made if m.id in args.mutant] if args.mutant else made
    if args.list:
        for m in made:
            print(f"{m.id}  {m.location}  {m.description}", file=out)
        print(f"{len(made)} mutants", file=out)
        return 0
    profiles.load(profile)
    run_options = dict(models=args.model, examples=args.examples, seed=args.seed, profile=profile,
                       timeout=args.timeout)
    baseline = run_mutant(source, None, targets, **run_options)
    if baseline.killed:
        raise cli.UsageError(f"the unmutated {source.shown} does not pass the check of "
                             f"{baseline.target or ', '.join(targets)} ({baseline.verdict}: {baseline.error}); "
                             f"mutation testing needs a check that passes")
    n = min(args.sample or len(made), len(made))
    print(f"crosscheck mutate {source.shown}{':' + source.function if source.function else ''}: "
          f"{n} of {total_made} mutants, targets {', '.join(targets)}; profile {profile}, seed {args.seed}"
          + (f", {args.examples} examples a target" if args.examples else "")
          + f", timeout {args.timeout:g} s; the original agrees ({baseline.seconds:.1f} s)", file=out, flush=True)

    def progress(i, total, mutant, outcome):
        print(progress_line(i, total, mutant, outcome), file=err, flush=True)

    report = run(source, targets, made, models=args.model, examples=args.examples, seed=args.seed, profile=profile,
                 timeout=args.timeout, sample=args.sample, jobs=args.jobs, equivalent=equivalent,
                 progress=progress)
    print(format_report(report), file=out)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report.to_json(profile, args.seed, args.examples), fh, indent=2)
    return 0 if report.ok else 1
