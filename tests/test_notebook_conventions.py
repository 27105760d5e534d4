"""The solution notebooks follow CONTRIBUTING.md, which the generator and the grader rely on."""

import ast
from pathlib import Path

import nbformat
import pytest

from course import generate

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
# The table in CONTRIBUTING.md.
TABLE = {1: ("stage1_local_derivatives", "Local derivatives"),
         2: ("stage2_backward", "Backpropagation through a whole graph"),
         3: ("stage3_operators", "More operators"),
         4: ("stage4_neural_net", "Neuron, Layer, MLP"),
         5: ("stage5_training", "Training")}


def notebook(stage):
    if not any(SOLUTIONS.glob("stage*.ipynb")):
        pytest.skip("solutions/ holds no stage notebooks yet")
    path = SOLUTIONS / f"{TABLE[stage][0]}.ipynb"
    assert path.exists(), f"solutions/{path.name} is missing"
    return path.name, nbformat.read(path, as_version=4)


def nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def defined_names(cell):
    """The course names a code cell defines at top level (markers and magics removed)."""
    try:
        tree = ast.parse(generate.without_markers(generate.python_lines(cell.source)))
    except SyntaxError:
        return set()
    return {node.name for node in tree.body
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in generate.COURSE_NAMES}


def public_lines(source):
    """A check cell's lines outside its hidden-test region: what the student sees."""
    hidden = False
    for line in source.split("\n"):
        if generate.BEGIN_HIDDEN in line:
            hidden = True
        elif generate.END_HIDDEN in line:
            hidden = False
        elif not hidden:
            yield line


stages = pytest.mark.parametrize("stage", sorted(TABLE))


def test_are_there_exactly_the_five_stage_notebooks():
    if not any(SOLUTIONS.glob("stage*.ipynb")):
        pytest.skip("solutions/ holds no stage notebooks yet")
    assert sorted(p.name for p in SOLUTIONS.glob("*.ipynb")) == \
        sorted(f"{name}.ipynb" for name, _ in TABLE.values())


@stages
def test_does_the_metadata_give_the_stage_and_title_of_the_table(stage):
    name, nb = notebook(stage)
    assert nb.metadata.get("micrograd_course") == {"stage": stage, "title": TABLE[stage][1]}, name


@stages
def test_does_every_nbgrader_cell_have_a_unique_grade_id_of_its_stage(stage):
    name, nb = notebook(stage)
    ids = [nbgrader(cell).get("grade_id") for cell in nb.cells if nbgrader(cell)]
    assert all(gid and gid.startswith(f"stage{stage}-") for gid in ids), (name, ids)
    assert len(ids) == len(set(ids)), (name, ids)


@stages
def test_is_all_course_code_in_given_or_solution_cells_and_never_in_demo_cells(stage):
    name, nb = notebook(stage)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not defined_names(cell):
            continue
        meta = nbgrader(cell)
        place = f"{name} cell {index} ({meta.get('grade_id')})"
        assert not generate.is_demo(cell), f"{place}: course code in a demo cell"
        assert meta.get("solution") or meta.get("locked"), f"{place}: course code in a plain cell"
        assert not meta.get("grade"), f"{place}: course code in a check cell"


@stages
def test_is_the_value_class_one_whole_cell(stage):
    name, nb = notebook(stage)
    cells = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and "Value" in defined_names(cell)]
    assert len(cells) == 1, f"{name}: Value is defined in cells {cells}"


@stages
def test_are_given_cells_locked_and_check_cells_graded_and_locked(stage):
    name, nb = notebook(stage)
    for index, cell in enumerate(nb.cells):
        meta = nbgrader(cell)
        if not meta:
            continue
        place = f"{name} cell {index} ({meta.get('grade_id')})"
        if meta.get("grade"):
            assert meta.get("locked") and not meta.get("solution"), place
            assert meta.get("points", 0) > 0, f"{place}: a check cell with no points"
        elif not meta.get("solution"):
            assert meta.get("locked"), f"{place}: a given cell that is not locked"


@stages
def test_does_every_public_assert_tell_the_student_what_to_look_at(stage):
    name, nb = notebook(stage)
    bare = []
    for index, cell in enumerate(nb.cells):
        if not nbgrader(cell).get("grade"):
            continue
        public = "\n".join(public_lines(cell.source))
        for node in ast.walk(ast.parse(public)):
            if isinstance(node, ast.Assert) and node.msg is None:
                bare.append(f"cell {index} ({nbgrader(cell)['grade_id']}) line {node.lineno}")
    assert bare == [], f"{name}: asserts without a message: {bare}"


@stages
def test_does_the_stage_have_solution_regions_in_its_solution_cells(stage):
    name, nb = notebook(stage)
    cells = [cell for cell in nb.cells if generate.BEGIN_SOLUTION in cell.source]
    assert cells, f"{name}: no solution region"
    assert all(nbgrader(cell).get("solution") for cell in cells), name
