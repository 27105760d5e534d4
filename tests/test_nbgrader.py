"""The course in nbgrader: a whole cycle in a temporary course, from the solutions to the grades.

One cycle (about a minute: nbgrader starts a kernel per notebook) is shared by the tests of
this file, also across pytest-xdist workers: build the course, generate_assignment stage1 and
stage2 (one run for both), three students hand both in (alice: the solution; bob: a classic
mistake; carol: the untouched stubs) and mallory hands in stage 1: the stubs, and a cell that
swaps the bridge for a no-op (one kernel less: each costs 3-5 s). Then autograde (both stages
in one run), generate_feedback (stage 1) and the cross-check, whose own `nbgrader export` gives
the grades the tests read. Each nbgrader command is a process that spends seconds importing
nbgrader, so the cycle runs as few as the tests need, and the cross-check runs in this process.
"""

import contextlib
import fcntl
import io
import json
import os
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.checks import TABLE, stage_points
from autograder.nbgrader_bridge import CALL, find_notebook, is_bridge_cell, without_bridge
from course import nbgrader_course as nc

REPO = Path(__file__).resolve().parent.parent
STAGES = ("stage1", "stage2")
HONEST = ("alice", "bob", "carol")
STUDENTS = HONEST + ("mallory",)
TAMPER = ('import sys, types\n'
          'fake = types.ModuleType("autograder.nbgrader_bridge")\n'
          'fake.expect_check = lambda *args: None\n'
          'sys.modules["autograder.nbgrader_bridge"] = fake\n')
# the classic mistake of each stage, made inside the solution regions
MISTAKES = {
    "stage1": lambda line: line.replace("+=", "="),                       # = instead of +=
    "stage2": lambda line: line.replace("reversed(topo)", "topo"),         # output last
}


def nbgrader(course, *args):
    run = subprocess.run(nc.nbgrader_command() + list(args), cwd=course, capture_output=True,
                         text=True, env=nc.nbgrader_env(), timeout=300)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
    return run


def solution_body(source):
    """A solution cell as the student finishes it: the markers gone, the region kept."""
    return "\n".join(line for line in source.split("\n")
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def student_notebook(course, stage, who):
    """What a student hands in, made from nbgrader's release of the stage."""
    name = next((course / "source" / stage).glob("*.ipynb")).name
    release = json.loads((course / "release" / stage / name).read_text())
    source = json.loads((course / "source" / stage / name).read_text())
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
                 for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if not meta.get("solution") or who in ("carol", "mallory"):
            continue
        lines, inside = [], False
        for line in solutions[meta["grade_id"]].split("\n"):
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN" in line
                continue
            if inside and who == "bob":
                line = MISTAKES[stage](line)
            if line is not None:
                lines.append(line)
        cell["source"] = "\n".join(lines)
    if who == "mallory":
        first = next(i for i, c in enumerate(nb["cells"])
                     if c["metadata"].get("nbgrader", {}).get("solution"))
        nb["cells"].insert(first + 1, {"cell_type": "code", "id": "mine", "metadata": {},
                                       "outputs": [], "execution_count": None, "source": TAMPER})
    return name, nb


def run_cycle(course):
    timings = {}

    def timed(label, fn, *args, **kwargs):
        import time

        started = time.monotonic()
        result = fn(*args, **kwargs)
        timings[label] = round(time.monotonic() - started, 1)
        return result

    timed("build", nc.build, course)
    # nbgrader matches the assignment name as a file glob: both stages in one process
    every_stage = "stage[" + "".join(stage[-1] for stage in STAGES) + "]"
    timed("generate_assignment stage1 and stage2", nbgrader, course, "generate_assignment",
          every_stage)
    for stage in STAGES:
        for who in STUDENTS if stage == "stage1" else HONEST:
            name, nb = student_notebook(course, stage, who)
            folder = course / "submitted" / who / stage
            folder.mkdir(parents=True)
            (folder / name).write_text(json.dumps(nb, indent=1))
    timed("autograde stage1 and stage2", nbgrader, course, "autograde", every_stage)
    timed("generate_feedback stage1", nbgrader, course, "generate_feedback", "stage1")
    # the command's own code, run here: a new Python would import nbgrader again; without
    # --grades it exports nbgrader's gradebook to crosscheck/nbgrader_grades.csv, which the
    # tests read as nbgrader's grades
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = timed("crosscheck (with nbgrader export)", nc.main, ["crosscheck", str(course)])
    return {"timings": timings, "crosscheck_status": status,
            "crosscheck_output": out.getvalue(), "crosscheck_errors": err.getvalue()}


@pytest.fixture(scope="session")
def cycle(tmp_path_factory):
    """The cycle, run once for all pytest-xdist workers (the first one runs it, under a lock)."""
    base = tmp_path_factory.getbasetemp()
    # under pytest-xdist each worker's folder sits in the run's own folder, shared by all
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "nbgrader-cycle"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "cycle.json"
        if not done.exists():
            course = shared / "course"
            info = run_cycle(course)
            info["course"] = str(course)
            done.write_text(json.dumps(info))
        info = json.loads(done.read_text())
    print("nbgrader cycle timings (s):", info["timings"])
    info["course"] = Path(info["course"])
    return info


def nbgrader_grades(course):
    return nc.read_nbgrader_grades(nbgrader_export(course))


def nbgrader_export(course):
    """The CSV that `nbgrader export` wrote for the cross-check."""
    return course / "crosscheck" / "nbgrader_grades.csv"


def judge_grades(course):
    return nc.read_judge_grades(course / "crosscheck" / "gradebook.csv")


# -- the course folder --------------------------------------------------------------------------

def test_each_check_of_the_table_is_one_graded_cell_with_its_points(tmp_path):
    nc.build(tmp_path)
    for stage in range(1, 6):
        path = next((tmp_path / "source" / f"stage{stage}").glob("*.ipynb"))
        nb = nbformat.read(path, as_version=4)
        graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        checks = [c for c in TABLE if c.stage == stage]
        assert [c.metadata.nbgrader.grade_id for c in graded] == \
               [nc.grade_id_for(c.id) for c in checks]
        assert [c.metadata.nbgrader.points for c in graded] == [c.points for c in checks]
        assert sum(c.metadata.nbgrader.points for c in graded) == stage_points(stage)
        for cell, check in zip(graded, checks):
            assert CALL.format(id=check.id) in cell.source and is_bridge_cell(cell.source)
            assert "." not in cell.metadata.nbgrader.grade_id   # formgrader's "#" + grade_id
        assert (path.parent / "picture.py").exists()


def test_public_check_cells_are_locked_ungraded_and_without_hidden_tests(tmp_path):
    nc.build(tmp_path)
    solution = nbformat.read(REPO / "solutions" / "stage1_local_derivatives.ipynb", as_version=4)
    public = {c.metadata.nbgrader.grade_id for c in solution.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    built = nbformat.read(tmp_path / "source" / "stage1" / "stage1_local_derivatives.ipynb",
                          as_version=4)
    cells = [c for c in built.cells if c.metadata.get("nbgrader", {}).get("grade_id") in public]
    assert len(cells) == len(public) > 0
    for cell in cells:
        assert cell.metadata.nbgrader["locked"] and not cell.metadata.nbgrader["grade"]
        assert "points" not in cell.metadata.nbgrader
        assert "HIDDEN TESTS" not in cell.source


def test_the_judge_skips_the_bridge_cells_and_finds_the_stage_notebook(tmp_path):
    nc.build(tmp_path)
    folder = tmp_path / "source" / "stage2"
    assert find_notebook(2, folder).name == "stage2_backward.ipynb"
    assert find_notebook(1, folder) is None
    nb = json.loads(next(folder.glob("*.ipynb")).read_text())
    kept = without_bridge(nb)["cells"]
    assert len(nb["cells"]) - len(kept) == sum(1 for c in TABLE if c.stage == 2)
    assert not any("nbgrader_bridge" in "".join(c["source"]) for c in kept)


# -- the cycle ----------------------------------------------------------------------------------

def test_release_gives_the_course_stubs_and_no_hidden_test(cycle):
    course = cycle["course"]
    released = nbformat.read(course / "release" / "stage1" / "stage1_local_derivatives.ipynb", 4)
    ours = nbformat.read(REPO / "assignments" / "stage1_local_derivatives.ipynb", 4)
    code = [c.source for c in released.cells if c.cell_type == "code"]
    theirs = [c.source for c in ours.cells if c.cell_type == "code"]
    assert code[:len(theirs)] == theirs
    assert all("expect_check" not in text and "HIDDEN" not in text for text in code)
    assert 'raise NotImplementedError("Stage 1 (Local derivatives): ' in "\n".join(code)


def test_nbgrader_total_is_the_points_table(cycle):
    with open(nbgrader_export(cycle["course"])) as f:
        rows = list(__import__("csv").DictReader(f))
    for stage in STAGES:
        assert {float(r["max_score"]) for r in rows if r["assignment"] == stage} == \
               {float(stage_points(int(stage[-1])))}


def test_nbgrader_scores_equal_the_judge_for_every_honest_student_and_stage(cycle):
    theirs, ours = nbgrader_grades(cycle["course"]), judge_grades(cycle["course"])
    for stage in STAGES:
        for who in HONEST:
            assert theirs[(who, stage)] == ours[(who, stage)], (who, stage)
        assert ours[("alice", stage)] == stage_points(int(stage[-1]))
        assert 0 < ours[("bob", stage)] < ours[("alice", stage)]
        assert ours[("carol", stage)] == 0


def test_a_failed_check_says_why_in_the_autograded_notebook(cycle):
    nb = nbformat.read(cycle["course"] / "autograded" / "bob" / "stage1" /
                       "stage1_local_derivatives.ipynb", 4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"
              and c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("stage1-check-1-")]
    assert errors and all(e.ename == "AssertionError" for e in errors)
    assert any("+=" in e.evalue for e in errors)


def test_feedback_shows_no_hidden_test(cycle):
    course = cycle["course"]
    pages = sorted((course / "feedback").rglob("*.html"))
    assert len(pages) == len(STUDENTS)
    for page in pages:
        text = nc.html_text(page.read_text())
        assert "HIDDEN TESTS" not in text, page
        assert not re.search(r'expect_check\(\s*"\d', text), page
        assert "Graded checks" in text
    assert nc.leaks(course) == []


def test_the_leak_check_sees_hidden_tests_in_a_plain_html_export(cycle):
    from nbconvert import HTMLExporter

    nb = nbformat.read(cycle["course"] / "autograded" / "bob" / "stage1" /
                       "stage1_local_derivatives.ipynb", 4)
    page, _ = HTMLExporter().from_notebook_node(nb)
    assert nc.shows_hidden(nc.html_text(page))


def test_crosscheck_flags_the_student_who_tampered_in_the_kernel(cycle):
    course = cycle["course"]
    theirs, ours = nbgrader_grades(course), judge_grades(course)
    assert theirs[("mallory", "stage1")] == stage_points(1)   # inflated
    assert ours[("mallory", "stage1")] == 0
    assert cycle["crosscheck_status"] == 1, cycle["crosscheck_errors"]
    flagged = [line for line in cycle["crosscheck_output"].splitlines() if "FLAGGED" in line]
    assert [line.split()[:2] for line in flagged] == [["mallory", "stage1"]]
    assert "mallory/stage1: submitted/mallory/stage1/" in cycle["crosscheck_output"]


def test_the_bridge_falls_back_to_the_kernel_history_without_a_notebook_file(tmp_path):
    """Cells run in a kernel whose folder holds no notebook: the judge grades what ran."""
    from nbclient import NotebookClient

    nc.build(tmp_path / "course")
    source = nbformat.read(tmp_path / "course" / "source" / "stage1" /
                           "stage1_local_derivatives.ipynb", 4)
    cells = [c for c in source.cells if c.cell_type == "code"
             and "demo" not in c.metadata.get("tags", [])
             and not c.metadata.get("nbgrader", {}).get("grade")]
    for cell in cells:
        cell.source = solution_body(cell.source)
    mistake = next(c for c in cells if "class Value" in c.source)
    mistake.source = mistake.source.replace("self.grad += (1 - t**2) * out.grad",
                                            "self.grad += (1 - t**2)")
    graded = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    nb = nbformat.v4.new_notebook(cells=cells + graded, metadata=source.metadata)
    empty = tmp_path / "empty"
    empty.mkdir()
    NotebookClient(nb, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(empty)}}).execute()
    failed = {c.metadata.nbgrader.grade_id for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")
              and any(o.output_type == "error" for o in c.outputs)}
    from autograder.grade import grade

    script = tmp_path / "same_cells.py"
    script.write_text("\n\n".join(c.source for c in cells))
    judged = grade(script, stages=[1])
    assert failed == {nc.grade_id_for(c.id) for c in judged.checks if not c.passed}
    assert nc.grade_id_for("1.5") in failed and len(failed) < len(graded)
