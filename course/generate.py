"""Make the students' assignments from the solution notebooks (what `make assignments` runs).

    python -m course.generate [SOURCE] [TARGET] [--reference PATH]

Reads SOURCE (default solutions/) and writes, nbgrader-style, one folder from another:

  TARGET/stageN_<name>.ipynb  each stage notebook with its solution regions replaced by stubs,
                              hidden tests removed, outputs cleared, given cells locked;
  TARGET/stageN_<name>.py     the same notebook's code cells (demo cells left out) as one file,
                              for students who work in an editor;
  TARGET/picture.py           the graph-picture helper the notebooks import, copied from
                              solutions/picture.py (its one hand-edited copy);
  --reference                 the complete reference code for the grader (default
                              autograder/reference.py), from the stage 5 solution notebook,
                              and the stage map: which method is whose work in which stage,
                              read from the solution regions of every stage.

Nothing else from SOURCE is copied. Before writing anything, the course code is checked to
agree across the stages (stage N+1 gives stage N's code unchanged). The output depends only on
the input, byte for byte, so a test can regenerate and compare with the committed copies.

A notebook that breaks a convention (nested or unterminated regions, a region outside a
solution cell, missing metadata) is refused: the message names the file, the cell and the
problem, and the command exits with status 1.

Each step below is a small function or an nbgrader preprocessor, testable alone; `build` runs
them in the order of NOTEBOOK_STEPS and OUTPUT_STEPS.
"""

import argparse
import ast
import difflib
import json
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions, LockCells
from traitlets import Dict

from autograder.contract import (BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, CLASSES, DEMO_TAG,
                                 END_HIDDEN_TESTS, END_SOLUTION, FUNCTIONS, METADATA_KEY,
                                 MIRROR_STAGE_LINE, NAMES, STAGE_TITLES, marker_line)

REPO_ROOT = Path(__file__).resolve().parent.parent
PICTURE = REPO_ROOT / "solutions" / "picture.py"
DEFAULT_REFERENCE = REPO_ROOT / "autograder" / "reference.py"

# The names of the student API (autograder/contract.py): the course code.
COURSE_CLASSES, COURSE_FUNCTIONS, COURSE_NAMES = CLASSES, FUNCTIONS, NAMES
# Stage 3 teaches __add__ and __mul__ to accept plain numbers: the one change a later stage
# makes to code an earlier stage gave.
COERCION_STAGE = 3
COERCED_METHODS = ("Value.__add__", "Value.__mul__")
COERCION_TEST = "not isinstance(other, Value)"

REFERENCE_HEADER = f'''"""The course's reference code: {", ".join(NAMES[:-1])} and {NAMES[-1]}, complete.

Generated from solutions/ by `make assignments`; do not edit.
The grader compares submissions with this module.
"""
'''

# nbgrader's markers (autograder/contract.py); nbgrader finds a marker anywhere in a line,
# and so do we.
BEGIN_HIDDEN, END_HIDDEN = BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS

# What a solution region becomes before we know where it is; replaced by the final stub.
PLACEHOLDER = 'raise NotImplementedError("course.generate: stub placeholder")'


class CourseError(Exception):
    """A problem in the course notebooks that the author must fix; the CLI prints it, no traceback."""


@dataclass(frozen=True)
class Stage:
    """One solution notebook as read: its file, its stage and title, its cells."""

    path: Path
    number: int
    title: str
    nb: nbformat.NotebookNode

    @property
    def stem(self):
        return self.path.stem


# --------------------------------------------------------------------------------------
# Where a problem is: "solutions/stage2_backward.ipynb, cell 3 (grade_id stage2-value)"
# --------------------------------------------------------------------------------------

def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell_place(path, index, cell):
    gid = grade_id(cell)
    return f"{path}, cell {index}" + (f" (grade_id {gid})" if gid else " (no grade_id)")


def is_demo(cell):
    return DEMO_TAG in cell.get("metadata", {}).get("tags", [])


def marker_lines(source, begin, end):
    """(line number, 'begin'/'end') for every marker line, counting from 1."""
    found = []
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            found.append((number, "begin"))
        elif end in line:
            found.append((number, "end"))
    return found


def explain_region_error(source, begin, end, what):
    """Say which line is wrong, after nbgrader refused a region (its message has no line)."""
    depth, opened = 0, None
    for number, kind in marker_lines(source, begin, end):
        if kind == "begin":
            if depth:
                return (f"nested {what} regions: the '{marker_line(begin)}' on line {number} is "
                        f"inside the region opened on line {opened}; close that one with "
                        f"'{marker_line(end)}' first")
            depth, opened = 1, number
        else:
            depth = 0
    if depth:
        return (f"unterminated {what} region: the '{marker_line(begin)}' on line {opened} has "
                f"no '{marker_line(end)}' after it")
    return None


# --------------------------------------------------------------------------------------
# Step: read a solution notebook and its course metadata
# --------------------------------------------------------------------------------------

def read_stage(path):
    """The notebook at path, with its stage and title checked; cell ids made deterministic."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CourseError(f"{path}: not a readable notebook: {err}") from None
    # nbformat invents random ids for cells that lack one; give them stable ones instead,
    # so that the output is the same on every run.
    if raw.get("nbformat") == 4 and raw.get("nbformat_minor", 0) >= 5:
        for index, cell in enumerate(raw.get("cells", [])):
            cell.setdefault("id", grade_id(cell) or f"cell-{index}")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several types for a malformed notebook
        raise CourseError(f"{path}: not a valid nbformat 4 notebook: {err}") from None

    meta = nb.metadata.get(METADATA_KEY)
    expected = re.match(r"stage(\d+)_", path.name)
    if not isinstance(meta, dict) or not isinstance(meta.get("stage"), int) \
            or not isinstance(meta.get("title"), str) or not meta["title"].strip():
        raise CourseError(
            f'{path}: the notebook metadata needs "{METADATA_KEY}": '
            f'{{"stage": N, "title": "..."}} (the stubs and the grader read it); found {meta!r}')
    if expected and int(expected.group(1)) != meta["stage"]:
        raise CourseError(
            f'{path}: the file name says stage {expected.group(1)} but the metadata '
            f'"{METADATA_KEY}" says stage {meta["stage"]}')
    # The grader names the stages without reading solutions/: the titles live in the contract.
    if meta["stage"] not in STAGE_TITLES:
        raise CourseError(f"{path}: the course has no stage {meta['stage']}; its stages and "
                          "their titles are those of autograder/contract.py")
    if meta["title"] != STAGE_TITLES[meta["stage"]]:
        raise CourseError(
            f'{path}: the notebook metadata "{METADATA_KEY}" titles stage {meta["stage"]} '
            f'{meta["title"]!r}, the course contract (autograder/contract.py) '
            f'{STAGE_TITLES[meta["stage"]]!r}: change one of them to match the other')
    check_grade_ids(path, meta["stage"], nb)
    return Stage(path=path, number=meta["stage"], title=meta["title"], nb=nb)


def check_grade_ids(path, stage, nb):
    """Every nbgrader cell has a unique grade_id of the form stageN-... (the grader keys on it)."""
    seen = {}
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if not meta or not (meta.get("solution") or meta.get("grade") or meta.get("locked")):
            continue
        gid = meta.get("grade_id")
        if not gid:
            raise CourseError(f"{cell_place(path, index, cell)}: an nbgrader cell needs a grade_id")
        if not gid.startswith(f"stage{stage}-"):
            raise CourseError(
                f"{cell_place(path, index, cell)}: grade_id must start with 'stage{stage}-'")
        if gid in seen:
            raise CourseError(
                f"{cell_place(path, index, cell)}: grade_id {gid} is already used by cell {seen[gid]}")
        seen[gid] = index


# --------------------------------------------------------------------------------------
# Steps on each notebook: nbgrader's preprocessors, with errors that name the cell
# --------------------------------------------------------------------------------------

def _quiet_log():
    """nbgrader logs a refused cell's whole source before raising; our message says enough."""
    log = logging.getLogger("course.generate.nbgrader")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


class StageStubs(ClearSolutions):
    """nbgrader's ClearSolutions, with a stub that names the stage and where the work goes.

    nbgrader finds each region, refuses nested and unterminated ones and regions outside
    solution cells, and puts a one-line placeholder at the region's indentation; then each
    placeholder becomes two lines:

        # Stage 1: the body of _backward in Value.__add__
        raise NotImplementedError("Stage 1 (Local derivatives): _backward in Value.__add__, not written yet")
    """

    code_stub = Dict(dict(python=PLACEHOLDER), help="The placeholder each region becomes first")

    def preprocess(self, nb, resources):
        resources.setdefault("course_path", "notebook")
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        place = cell_place(resources["course_path"], cell_index, cell)
        source = cell.source
        if cell.cell_type == "code" and nbgrader_utils.is_solution(cell) \
                and self.begin_solution_delimeter not in source:
            raise CourseError(
                f"{place}: a solution cell without a '{marker_line(BEGIN_SOLUTION)}' region; "
                "nbgrader would replace the whole cell, signature and docstring included. Mark the part "
                "the student writes, or make it a given cell (\"solution\": false)")
        try:
            cell, resources = super().preprocess_cell(cell, resources, cell_index)
        except RuntimeError as err:
            problem = explain_region_error(source, BEGIN_SOLUTION, END_SOLUTION, "solution")
            if "non-solution cell" in str(err):
                problem = ("a solution region in a cell that is not a solution cell: set "
                           '"solution": true in the cell\'s nbgrader metadata, or remove the markers')
            raise CourseError(f"{place}: {problem or err}") from None
        if cell.cell_type == "code" and PLACEHOLDER in cell.source:
            cell.source = write_stubs(cell.source, resources["course_stage"],
                                      resources["course_title"], place,
                                      f"cell {grade_id(cell) or cell_index}")
        return cell, resources


class HiddenTestsRemover(ClearHiddenTests):
    """nbgrader's ClearHiddenTests; its refusals name the notebook and the cell."""

    def preprocess_cell(self, cell, resources, cell_index):
        source = cell.source
        try:
            cell, resources = super().preprocess_cell(cell, resources, cell_index)
        except RuntimeError as err:
            problem = explain_region_error(source, BEGIN_HIDDEN, END_HIDDEN, "hidden-test")
            if "non-grade cell" in str(err):
                problem = ('a hidden-test region in a cell that is not a graded cell: set '
                           '"grade": true in the cell\'s nbgrader metadata, or remove the markers')
            place = cell_place(resources.get("course_path", "notebook"), cell_index, cell)
            raise CourseError(f"{place}: {problem or err}") from None
        if cell.source != source:
            cell.source = cell.source.rstrip()
        return cell, resources


def _enclosing(tree):
    """For every statement: (the def/class chain around it, the block holding it, its position)."""
    found = {}

    def visit(node, chain):
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for position, child in enumerate(block):
                found[id(child)] = (chain, node, field, position)
                inner = chain + [child] if isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else chain
                visit(child, inner)
    visit(tree, [])
    return found


def describe_place(chain):
    """'Value.__add__', '_backward in Value.__add__', 'train', from the enclosing defs."""
    names, first_function = [], None
    for index, node in enumerate(chain):
        names.append(node.name)
        if first_function is None and not isinstance(node, ast.ClassDef):
            first_function = index
    if first_function is None or first_function == len(chain) - 1:
        return ".".join(names)
    outer = ".".join(names[:first_function + 1])
    return " in ".join(reversed(names[first_function + 1:])) + f" in {outer}"


def _has_docstring(block):
    return bool(block) and isinstance(block[0], ast.Expr) \
        and isinstance(block[0].value, ast.Constant) and isinstance(block[0].value.value, str)


def describe_task(parent, field, position, place, lines):
    """What the student writes, e.g. 'the body of _backward in Value.__add__'."""
    block = getattr(parent, field)
    start = 1 if _has_docstring(block) and isinstance(
        parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else 0
    alone = len(block) - start == 1
    last = position == len(block) - 1
    if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if alone:
            return f"the body of {place}"
        if last:
            return f"the rest of {place}"
    elif not isinstance(parent, ast.Module) and field == "body" and alone:
        header = lines[parent.lineno - 1].strip()
        return f"the body of `{header}` in {place}"
    return f"the missing lines in {place}"


def _string_literal(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_stubs(source, stage, title, place, cell_name):
    """Turn every placeholder line into the two-line stub that names the stage and the place."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise CourseError(
            f"{place}: with its solution regions taken out the cell is not valid Python "
            f"(line {err.lineno}: {err.msg}); a region must hold whole statements") from None
    lines = source.split("\n")
    enclosing = _enclosing(tree)
    stubs = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and ast.get_source_segment(source, node) == PLACEHOLDER:
            chain, parent, field, position = enclosing[id(node)]
            where = describe_place(chain) if chain else cell_name
            what = describe_task(parent, field, position, where, lines)
            message = f"Stage {stage} ({title}): {where}, not written yet"
            stubs[node.lineno] = (f"# Stage {stage}: {what}",
                                  f"raise NotImplementedError({_string_literal(message)})")
    out = []
    for number, line in enumerate(lines, start=1):
        if number in stubs:
            indent = line[:len(line) - len(line.lstrip())]
            out.extend(indent + stub_line for stub_line in stubs[number])
        else:
            out.append(line)
    return "\n".join(out)


def release_notebook(stage):
    """The student's notebook: stubs, no hidden tests, no outputs, given cells locked."""
    nb = nbformat.from_dict(json.loads(json.dumps(stage.nb)))  # a deep copy, as plain nodes
    resources = {"course_path": str(stage.path), "course_stage": stage.number,
                 "course_title": stage.title}
    log = _quiet_log()
    for step in RELEASE_STEPS:
        nb, resources = step(log=log).preprocess(nb, resources)
    return nb


class ClearCellOutputs(ClearOutput):
    """nbgrader's ClearOutput, which also drops the run timings nbclient records."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.remove_metadata_fields = {"collapsed", "scrolled", "execution"}


# The release of one notebook, in order: what `nbgrader generate_assignment` does to it,
# minus the gradebook and checksums, which this course does not use.
RELEASE_STEPS = (StageStubs, HiddenTestsRemover, ClearCellOutputs, LockCells)


def notebook_text(nb):
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


# --------------------------------------------------------------------------------------
# Step: the .py mirror of a released notebook
# --------------------------------------------------------------------------------------

def python_lines(source):
    """A cell's source as plain Python: IPython magics and shell escapes become comments."""
    out = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[:len(line) - len(stripped)] + "# (notebook only) " + stripped
        out.append(line)
    return "\n".join(out)


def code_cells(nb):
    """The sources of the code cells the grader runs: not demo cells, not empty ones."""
    return [python_lines(cell.source).rstrip() for cell in nb.cells
            if cell.cell_type == "code" and not is_demo(cell) and cell.source.strip()]


def python_mirror(stage, released):
    header = (
        f"# Stage {stage.number}: {stage.title}\n"
        f"{MIRROR_STAGE_LINE.format(stage=stage.number)}\n"
        f"#\n"
        f"# The code cells of {stage.stem}.ipynb, in order, for working in an editor (the\n"
        f"# pictures and demonstrations stay in the notebook). Replace each\n"
        f"# `raise NotImplementedError` with your code, then run `python {stage.stem}.py`:\n"
        f"# it stops at the first check that does not pass yet. Each `# %%` line starts a\n"
        f"# cell, as in the notebook (editors such as VS Code can run them one at a time).\n"
    )
    return header + "\n" + "\n\n".join(f"# %%\n{cell}\n" for cell in code_cells(released))


# --------------------------------------------------------------------------------------
# Step: the grader's reference code, from the last stage's solution notebook
# --------------------------------------------------------------------------------------

def without_markers(source):
    """Solution code as given code: the region markers removed, the region bodies kept."""
    return "\n".join(line for line in source.split("\n")
                     if BEGIN_SOLUTION not in line and END_SOLUTION not in line)


def _parse(stage, index, cell, source):
    try:
        return ast.parse(source)
    except SyntaxError as err:
        raise CourseError(f"{cell_place(stage.path, index, cell)}: not valid Python "
                          f"(line {err.lineno}: {err.msg})") from None


def _segment(source, node):
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "\n".join(source.split("\n")[first - 1:node.end_lineno])


def course_definitions(stage):
    """{name: source} for the course's classes and functions; the last definition wins,
    as when the notebook runs. Also the top-level imports, in order."""
    definitions, imports = {}, []
    for index, cell in enumerate(stage.nb.cells):
        if cell.cell_type != "code" or is_demo(cell):
            continue
        source = without_markers(python_lines(cell.source))
        for node in _parse(stage, index, cell, source).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append((node, _segment(source, node)))
            elif isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in COURSE_NAMES:
                definitions[node.name] = (node, _segment(source, node))
    return definitions, imports


def reference_code(stage):
    """Top-level imports the course code uses, then Value, Neuron, Layer, MLP and train."""
    definitions, imports = course_definitions(stage)
    missing = [name for name in COURSE_NAMES if name not in definitions]
    if missing:
        raise CourseError(f"{stage.path}: the reference code is built from this notebook, "
                          f"which does not define {', '.join(missing)}")
    ordered = [definitions[name] for name in COURSE_NAMES]
    used = {n.id for node, _ in ordered for n in ast.walk(node) if isinstance(n, ast.Name)}
    kept_imports = []
    for node, text in imports:
        bound = {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        if bound & used and text not in kept_imports:
            kept_imports.append(text)
    code = REFERENCE_HEADER + "\n" + "\n".join(kept_imports) + "\n\n\n" \
        + "\n\n\n".join(text for _, text in ordered) + "\n"
    compile(code, "reference.py", "exec")
    return code


# --------------------------------------------------------------------------------------
# Step: the stage map, read from the solution regions, for the grader
# --------------------------------------------------------------------------------------

# The first line of the stage map in the reference module; the course code is all above it.
STAGE_MAP_START = "# Which course code is whose work in which stage"
STAGE_MAP_HEADER = f"""

{STAGE_MAP_START}, as the solution regions of solutions/ say:
# a method (or function) belongs to the first stage whose notebook has a solution region in
# it; GIVEN holds the methods of the course classes that no stage asks for. The grader
# (autograder/units.py) reads both, so moving an operator to another stage is one edit in
# the notebooks and `make assignments`.
"""
MAP_WIDTH = 96


def region_owners(stage):
    """(name, method) of every solution region of a stage notebook, in order and once each:
    ('Value', '__add__') for a region anywhere in Value.__add__ (its _backward too),
    ('train', None) for one in train. A region outside the course code is nobody's."""
    owners = []
    for index, cell in enumerate(stage.nb.cells):
        if cell.cell_type != "code" or is_demo(cell) or BEGIN_SOLUTION not in cell.source:
            continue
        source = python_lines(cell.source)
        tree = _parse(stage, index, cell, source)
        for line, kind in marker_lines(source, BEGIN_SOLUTION, END_SOLUTION):
            owner = _owner(tree, line) if kind == "begin" else None
            if owner and owner not in owners:
                owners.append(owner)
    return owners


def _owner(tree, line):
    def holds(node):
        return isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
            and node.lineno <= line <= node.end_lineno

    for node in filter(holds, tree.body):
        if node.name not in COURSE_NAMES:
            return None
        if isinstance(node, ast.ClassDef):
            method = next(filter(holds, node.body), None)
            return node.name, method.name if method and not isinstance(method, ast.ClassDef) else None
        return node.name, None
    return None


def stage_map(stages):
    """({stage: {name: [methods]}}, {class: [given methods]}) from the solution regions.

    A method is the work of the first stage with a region in it: stage 3's regions in
    __add__ and __mul__ (plain numbers as operands) leave them stage 1's."""
    units, taken = {}, set()
    for stage in sorted(stages, key=lambda s: s.number):
        for name, method in region_owners(stage):
            if (name, method) in taken:
                continue
            taken.add((name, method))
            methods = units.setdefault(stage.number, {}).setdefault(name, [])
            if method:
                methods.append(method)
    definitions, _ = course_definitions(max(stages, key=lambda s: s.number))
    given = {}
    for name in COURSE_CLASSES:
        if name not in definitions:
            continue
        asked = {m for per_stage in units.values() for m in per_stage.get(name, [])}
        methods = [item.name for item in definitions[name][0].body
                   if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and item.name not in asked]
        if methods:
            given[name] = methods
    return units, given


def _list_text(items, column):
    """["a", "b", ...] as code that starts at column, wrapped under its first item."""
    lines = [" " * column + "["]
    for index, item in enumerate(items):
        piece = json.dumps(item) + ("," if index < len(items) - 1 else "")
        if not lines[-1].endswith("[") and len(lines[-1]) + 1 + len(piece) + 3 > MAP_WIDTH:
            lines.append(" " * (column + 1) + piece)
        else:
            lines[-1] += ("" if lines[-1].endswith("[") else " ") + piece
    return "\n".join(lines)[column:] + "]"


def _names_text(names, column):
    """{"Neuron": [...], "Layer": [...]} as code that starts at column, one name a line."""
    entries = []
    for index, (name, methods) in enumerate(names.items()):
        key = json.dumps(name) + ": "
        entries.append((" " * (column + 1) if index else "") + key
                       + _list_text(methods, column + 1 + len(key)))
    return "{" + ",\n".join(entries) + "}"


def stage_map_code(stages):
    """GIVEN and STAGE_UNITS as Python, for the end of the reference module."""
    units, given = stage_map(stages)
    rows = "".join(f"    {number}: {_names_text(names, len(f'    {number}: '))},\n"
                   for number, names in units.items())
    return (STAGE_MAP_HEADER + f"GIVEN = {_names_text(given, len('GIVEN = '))}\n"
            + "STAGE_UNITS = {\n" + rows + "}\n")


def course_code_of(reference):
    """The course code of a reference module's text: everything above its stage map."""
    end = reference.find("\n\n" + STAGE_MAP_START)
    return reference if end == -1 else reference[:end]


def reference_module(stages):
    """autograder/reference.py: the last stage's reference code, then the stage map."""
    code = reference_code(stages[-1]) + stage_map_code(stages)
    compile(code, "reference.py", "exec")
    return code


# --------------------------------------------------------------------------------------
# Step: the course code agrees across the stages
# --------------------------------------------------------------------------------------

def course_functions(stage):
    """{'Value.__add__': source, ..., 'train': source}: every method of the course classes
    and every course function, markers removed, dedented to compare like with like."""
    definitions, _ = course_definitions(stage)
    functions = {}
    for name, (node, text) in definitions.items():
        if isinstance(node, ast.ClassDef):
            lines = text.split("\n")
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    first = min([item.lineno] + [d.lineno for d in item.decorator_list])
                    body = lines[first - node.lineno:item.end_lineno - node.lineno + 1]
                    functions[f"{name}.{item.name}"] = _dedent(body)
        else:
            functions[name] = _dedent(text.split("\n"))
    return functions


def _dedent(lines):
    indent = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join(line[indent:].rstrip() for line in lines).rstrip()


def without_coercion(source):
    """A method's source with its `if not isinstance(other, Value):` block taken out."""
    tree = ast.parse(source)
    function = tree.body[0]
    lines = source.split("\n")
    for node in function.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == COERCION_TEST:
            del lines[node.lineno - 1:node.end_lineno]
            break
    return "\n".join(lines)


def check_consistency(stages):
    """Stage N+1 gives stage N's code unchanged: every course function and method of stage N
    appears with the same source in stage N+1 (its solution regions now given code), except
    __add__ and __mul__, which gain the int/float coercion in stage 3."""
    problems = []
    ordered = sorted(stages, key=lambda s: s.number)
    for before, after in zip(ordered, ordered[1:]):
        old, new = course_functions(before), course_functions(after)
        for name, source in old.items():
            if name not in new:
                problems.append(f"{after.path} does not define {name}, which "
                                f"{before.path.name} defines")
                continue
            theirs = new[name]
            if after.number == COERCION_STAGE and name in COERCED_METHODS:
                theirs = without_coercion(theirs)
            if theirs != source:
                diff = "\n".join(difflib.unified_diff(
                    source.split("\n"), theirs.split("\n"), before.path.name, after.path.name,
                    lineterm="", n=1))
                problems.append(f"{after.path} changes {name} from {before.path.name}; a later "
                                f"stage gives the earlier stages' code unchanged:\n{diff}")
    if problems:
        raise CourseError("the course code disagrees across stages:\n" + "\n".join(problems))


# --------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------

def read_course(source):
    paths = sorted(Path(source).glob("stage*.ipynb"))
    if not paths:
        raise CourseError(f"{source}: no stage notebooks (stage*.ipynb) to generate from")
    stages = [read_stage(path) for path in paths]
    numbers = [stage.number for stage in stages]
    if len(set(numbers)) != len(numbers):
        raise CourseError(f"{source}: two notebooks claim the same stage: {numbers}")
    return sorted(stages, key=lambda s: s.number)


def build(source):
    """Everything the generator writes, in memory: ({file name in the target: text}, reference).

    Nothing is written until every step has succeeded."""
    stages = read_course(source)
    check_consistency(stages)
    files = {}
    for stage in stages:
        released = release_notebook(stage)
        files[f"{stage.stem}.ipynb"] = notebook_text(released)
        files[f"{stage.stem}.py"] = python_mirror(stage, released)
    files["picture.py"] = PICTURE.read_text(encoding="utf-8")
    return files, reference_module(stages)


def write_outputs(files, reference, target, reference_path):
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(files.items()):
        (target / name).write_bytes(text.encode("utf-8"))
    reference_path = Path(reference_path)
    reference_path.parent.mkdir(parents=True, exist_ok=True)
    reference_path.write_bytes(reference.encode("utf-8"))
    ignored = {"__pycache__", ".ipynb_checkpoints"}
    return sorted(p.name for p in target.iterdir() if p.name not in files and p.name not in ignored)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m course.generate",
        description="Make the students' assignments (stubs, public checks) and the grader's "
                    "reference code from the solution notebooks.")
    parser.add_argument("source", nargs="?", default="solutions", type=Path,
                        help="folder of solution notebooks (default: solutions)")
    parser.add_argument("target", nargs="?", default="assignments", type=Path,
                        help="folder the assignments are written to (default: assignments)")
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                        help="where the grader's reference code goes "
                             "(default: autograder/reference.py in the repository)")
    args = parser.parse_args(argv)
    try:
        files, reference = build(args.source)
    except CourseError as err:
        print(f"course.generate: {err}", file=sys.stderr)
        return 1
    strays = write_outputs(files, reference, args.target, args.reference)
    print(f"wrote {len(files)} files to {args.target}/ and the reference code to {args.reference}")
    for name in strays:
        print(f"warning: {args.target / name} was not written by the generator; delete it if "
              "it is left over", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
