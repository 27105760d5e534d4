"""The edit engine: how a made-up submission is made from the course's own code.

`Work` is what a student hands in while it is being made: a whole-course .py text, or a stage
notebook whose solution cell `fill_stubs` has filled with the reference code, the way a
student fills the stubs. A `Step` changes it: `Edit` (code inside lines), `Lines` (a run of
whole lines), `Rewrite` (a whole method or function), `AddToClass`, `Append` (a cell of the
student's own).

Edits name code, never comments: each `find` must occur exactly once in the code it is
applied to (comments and docstrings, which change when the reference is regenerated from
solutions/, do not count), so an edit can never silently do nothing.
"""

import ast
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass

import nbformat


class EditError(Exception):
    """An edit that does not apply to the code as it is now."""


# -- finding code, not comments --------------------------------------------------------------

def prose_spans(text):
    """(start, end) offsets of the comments and docstrings of a Python text."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans = [(starts[t.start[0] - 1] + t.start[1], starts[t.end[0] - 1] + t.end[1])
             for t in tokenize.generate_tokens(io.StringIO(text).readline)
             if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            doc = body[0]
            spans.append((starts[doc.lineno - 1] + doc.col_offset,
                          starts[doc.end_lineno - 1] + doc.end_col_offset))
    return spans


def code_occurrences(text, find):
    """Where `find` starts in the code of text: comments and docstrings do not count."""
    spans = prose_spans(text)
    found, at = [], text.find(find)
    while at != -1:
        if not any(a <= at < b for a, b in spans):
            found.append(at)
        at = text.find(find, at + 1)
    return found


def replace_once(text, find, replace):
    """text with `find` replaced; it must occur exactly once in the code."""
    hits = code_occurrences(text, find)
    if len(hits) != 1:
        raise EditError(f"{find!r} occurs {len(hits)} times in the code, not once")
    return text[:hits[0]] + replace + text[hits[0] + len(find):]


def apply_edit(text, find, replace):
    """text with `find` replaced by `replace` in the code; find is a string or a tuple of
    them, applied in turn, each occurring exactly once."""
    return Edit(find, replace).text(text)


def replace_lines(text, find, replace):
    """text with the run of whole lines `find` (written dedented) replaced by `replace`,
    indented as the lines it replaces."""
    want = textwrap.dedent(find).strip("\n").splitlines()
    lines = text.splitlines(keepends=True)
    hits = []
    for i in range(len(lines) - len(want) + 1):
        indent = len(lines[i]) - len(lines[i].lstrip(" "))
        if all(lines[i + k].rstrip("\n")[indent:] == w and
               lines[i + k][:indent].strip() == "" for k, w in enumerate(want)):
            hits.append((i, indent))
    if len(hits) != 1:
        raise EditError(f"the lines {want!r} occur {len(hits)} times, not once")
    i, indent = hits[0]
    new = _indented(replace, indent) if replace.strip() else ""
    return "".join(lines[:i]) + new + "".join(lines[i + len(want):])


def _indented(source, indent):
    return textwrap.indent(textwrap.dedent(source).strip("\n") + "\n", " " * indent,
                           lambda line: line.strip() != "")


def _class(tree, cls):
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    if not classes:
        raise EditError(f"there is no class {cls}")
    return classes[0]


def _definition(tree, cls, name):
    scope = _class(tree, cls).body if cls else tree.body
    for node in scope:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise EditError(f"{cls + '.' if cls else ''}{name} is not defined")


def replace_definition(text, cls, name, source):
    """text with the method cls.name (or the function name, cls "") replaced by `source`."""
    node = _definition(ast.parse(text), cls, name)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    lines = text.splitlines(keepends=True)
    return "".join(lines[:start]) + _indented(source, node.col_offset) + "".join(lines[node.end_lineno:])


def add_to_class(text, cls, source):
    """text with `source` added as the last lines of class cls's body."""
    node = _class(ast.parse(text), cls)
    lines = text.splitlines(keepends=True)
    return "".join(lines[:node.end_lineno]) + _indented(source, node.body[0].col_offset) \
        + "".join(lines[node.end_lineno:])


# -- filling the stubs the way a student does ------------------------------------------------

STUB_COMMENT = re.compile(r"^\s*# (Stage \d+:|YOUR CODE HERE)")


def _key(node):
    """How a block's owner is recognised in another text: its name, or its condition."""
    if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
        return f"{type(node).__name__} {node.name}"
    for part in ("test", "iter", "target"):
        if hasattr(node, part):
            return f"{type(node).__name__} {ast.unparse(getattr(node, part))}"
    return type(node).__name__


def _blocks(body, path=()):
    """Every block of statements with its path from the module: (owner key, field) pairs."""
    yield path, body
    for node in body:
        for part in ("body", "orelse", "finalbody"):
            child = getattr(node, part, None)
            if isinstance(child, list) and child and isinstance(child[0], ast.stmt):
                yield from _blocks(child, path + ((_key(node), part),))


def _is_stub(stmt):
    exc = getattr(stmt, "exc", None)
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(stmt, ast.Raise) and isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _same(a, b):
    return ast.dump(a) == ast.dump(b)


def fill_stubs(cell, reference):
    """The cell with each stub (`raise NotImplementedError` and the comment above it)
    replaced by the reference's code for that place, without the reference's comments.

    A stub is found by its place: the block it stands in (say, the body of `_backward` in
    `Value.__add__`) is found in the reference, and the statements the stub stands for are
    those of the reference's block that the cell does not already give before or after it.
    """
    ref_blocks = {}
    for path, body in _blocks(ast.parse(reference).body):
        ref_blocks.setdefault(path, body)
    lines = cell.splitlines(keepends=True)
    ref_lines = reference.splitlines(keepends=True)
    stubs = [(path, body, i) for path, body in _blocks(ast.parse(cell).body)
             for i, stmt in enumerate(body) if _is_stub(stmt)]
    for path, body, i in sorted(stubs, key=lambda s: -s[1][s[2]].lineno):
        where = " > ".join(key for key, _ in path)
        ref = ref_blocks.get(path)
        before, after = body[:i], body[i + 1:]
        if ref is None or len(ref) <= len(before) + len(after):
            raise EditError(f"the reference has no code for the stub in {where}")
        if not all(map(_same, before, ref[:len(before)])) or \
                not all(map(_same, after, ref[len(ref) - len(after):])):
            raise EditError(f"the code around the stub in {where} differs from the reference")
        wanted = ref[len(before):len(ref) - len(after)]
        code = [line for line in ref_lines[wanted[0].lineno - 1:wanted[-1].end_lineno]
                if not line.lstrip().startswith("#")]
        new = textwrap.indent(textwrap.dedent("".join(code)), " " * body[i].col_offset,
                              lambda line: line.strip() != "")
        first = body[i].lineno - 1
        if first > 0 and STUB_COMMENT.match(lines[first - 1]):
            first -= 1
        lines[first:body[i].end_lineno] = [new]
    return "".join(lines)


class Work:
    """What the student hands in, while it is being made: a notebook or a .py text."""

    def __init__(self, work_id, notebook=None, text=None):
        self.id, self.nb, self.text = work_id, notebook, text
        self.added = 0
        if notebook is not None:
            solution = [i for i, c in enumerate(notebook.cells)
                        if c.metadata.get("nbgrader", {}).get("solution")]
            if len(solution) != 1:
                raise EditError(f"expected one solution cell, found {len(solution)}")
            self.cell = solution[0]
            self.insert_at = self.cell + 1

    @property
    def code(self):
        return self.text if self.nb is None else self.nb.cells[self.cell].source

    @code.setter
    def code(self, value):
        if self.nb is None:
            self.text = value
        else:
            self.nb.cells[self.cell].source = value

    def add_cell(self, source):
        """A cell of the student's own, right after the code cell they filled in (in a .py
        file: at the end)."""
        self.added += 1
        if self.nb is None:
            self.text = self.text.rstrip("\n") + "\n\n\n" + source + "\n"
            return
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f"{self.id.replace('_', '-')}-own-{self.added}"
        self.nb.cells.insert(self.insert_at, cell)
        self.insert_at += 1


# -- the edits ---------------------------------------------------------------------------------

class Step:
    """One change to the student's code: `apply(work)` makes it."""

    def apply(self, work):
        raise NotImplementedError

    def text(self, code):
        """The change made to a whole-course .py text."""
        work = Work("", text=code)
        self.apply(work)
        return work.text


@dataclass(frozen=True)
class Edit(Step):
    """Change code inside lines: each find (a string or a tuple, applied in turn) occurs
    exactly once in the code."""
    find: object
    replace: object

    def apply(self, work):
        finds = self.find if isinstance(self.find, tuple) else (self.find,)
        replaces = self.replace if isinstance(self.replace, tuple) else (self.replace,)
        for f, r in zip(finds, replaces, strict=True):
            work.code = replace_once(work.code, f, r)


@dataclass(frozen=True)
class Lines(Step):
    """Replace a run of whole lines (written dedented), keeping their indentation."""
    find: str
    replace: str

    def apply(self, work):
        work.code = replace_lines(work.code, self.find, self.replace)


@dataclass(frozen=True)
class Rewrite(Step):
    """Write a whole method (or function, cls "") another way."""
    cls: str
    method: str
    source: str

    def apply(self, work):
        work.code = replace_definition(work.code, self.cls, self.method, self.source)


@dataclass(frozen=True)
class AddToClass(Step):
    """Lines added at the end of a class's body."""
    cls: str
    source: str

    def apply(self, work):
        work.code = add_to_class(work.code, self.cls, self.source)


@dataclass(frozen=True)
class Append(Step):
    """A cell of the student's own (written dedented)."""
    source: str

    def apply(self, work):
        work.add_cell(textwrap.dedent(self.source).strip("\n"))
