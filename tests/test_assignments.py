"""The committed assignments/ and autograder/reference.py: up to date, and no answers in them."""

import re
from pathlib import Path

import nbformat
import pytest

from course import generate

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
ASSIGNMENTS = REPO / "assignments"
REFERENCE = REPO / "autograder" / "reference.py"
STAGES = {1: "stage1_local_derivatives", 2: "stage2_backward", 3: "stage3_operators",
          4: "stage4_neural_net", 5: "stage5_training"}
EXPECTED_FILES = sorted([f"{name}.{ext}" for name in STAGES.values() for ext in ("ipynb", "py")]
                        + ["picture.py"])
# Left behind by running things in assignments/, ignored by git.
IGNORED = {"__pycache__", ".ipynb_checkpoints"}


@pytest.fixture(autouse=True)
def _needs_solutions():
    if not any(SOLUTIONS.glob("stage*.ipynb")):
        pytest.skip("solutions/ holds no stage notebooks yet")


def assignment_files():
    return sorted(p.name for p in ASSIGNMENTS.iterdir() if p.name not in IGNORED)


def test_does_make_assignments_reproduce_the_committed_files(tmp_path):
    target, reference = tmp_path / "assignments", tmp_path / "reference.py"
    assert generate.main([str(SOLUTIONS), str(target), "--reference", str(reference)]) == 0
    stale = [name for name in sorted(p.name for p in target.iterdir())
             if not (ASSIGNMENTS / name).exists()
             or (ASSIGNMENTS / name).read_bytes() != (target / name).read_bytes()]
    assert stale == [], f"assignments/ is out of date ({', '.join(stale)}): run `make assignments`"
    assert REFERENCE.exists() and REFERENCE.read_bytes() == reference.read_bytes(), \
        "autograder/reference.py is out of date: run `make assignments`"


def test_are_only_the_generated_files_in_assignments():
    assert assignment_files() == EXPECTED_FILES


def test_is_no_file_from_solutions_copied_to_assignments():
    """Only the notebooks (made into assignments) and the picture helper go across."""
    others = {p.name for p in SOLUTIONS.iterdir()
              if p.suffix != ".ipynb" and p != generate.PICTURE and p.name not in IGNORED}
    assert others & set(assignment_files()) == set()


# --------------------------------------------------------------------------------------
# No answers: solution regions and hidden tests
# --------------------------------------------------------------------------------------

def regions(source, begin, end):
    """(lines inside the regions, lines outside them) of one cell, stripped."""
    inside, outside, depth = [], [], False
    for line in source.split("\n"):
        if begin in line:
            depth = True
        elif end in line:
            depth = False
        else:
            (inside if depth else outside).append(line.strip())
    return inside, outside


def region_lines(nb, begin, end):
    inside, outside = [], []
    for cell in nb.cells:
        cell_in, cell_out = regions(cell.source, begin, end)
        inside += cell_in
        outside += cell_out
    return inside, outside


def is_trivial(line):
    """Blank, or too common to tell anything: a bracket, `return out`, `pass`, ..."""
    return re.fullmatch(r"[\s()\[\]{},:]*|return out|return|pass|else:|try:", line) is not None


def assignment_lines(stem):
    nb = nbformat.read(ASSIGNMENTS / f"{stem}.ipynb", as_version=4)
    lines = {line.strip() for cell in nb.cells for line in cell.source.split("\n")}
    lines |= {line.strip() for line in (ASSIGNMENTS / f"{stem}.py").read_text().split("\n")}
    return lines


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_is_no_line_of_a_stage_solution_in_that_stage_assignment(stage):
    stem = STAGES[stage]
    nb = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
    inside, outside = region_lines(nb, generate.BEGIN_SOLUTION, generate.END_SOLUTION)
    secret = {line for line in inside if not is_trivial(line)} - set(outside)
    assert secret, f"solutions/{stem}.ipynb has no solution region"
    leaked = sorted(secret & assignment_lines(stem))
    assert leaked == [], f"assignments/{stem} shows lines of its solution: {leaked}"


def test_is_no_hidden_test_anywhere_in_the_assignments():
    inside, outside = [], []
    for stem in STAGES.values():
        nb = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
        cell_in, cell_out = region_lines(nb, generate.BEGIN_HIDDEN, generate.END_HIDDEN)
        inside += cell_in
        outside += cell_out
    secret = {line for line in inside if not is_trivial(line)} - set(outside)
    assert secret, "the solution notebooks have no hidden tests"
    shown = set()
    for stem in STAGES.values():
        shown |= assignment_lines(stem)
    shown |= {line.strip() for line in (ASSIGNMENTS / "picture.py").read_text().split("\n")}
    leaked = sorted(secret & shown)
    assert leaked == [], f"hidden-test lines in assignments/: {leaked}"
    for name in assignment_files():
        text = (ASSIGNMENTS / name).read_text()
        assert generate.BEGIN_HIDDEN not in text and generate.BEGIN_SOLUTION not in text, name
