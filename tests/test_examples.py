"""The demo class in examples/class/: each example gets the score and the hint it is there to show.

The class is graded once per test session, the way `make demo` grades it, by the command line
in a subprocess; the tests read the files it writes. The expected outcome of every example
(its stage, the checks it fails, the hint its feedback names) comes from the table in
examples/make_class.py, which also writes examples/README.md.
"""

import csv
import importlib.util
import json
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import messages
from autograder.checks import CHECKS, STAGE_TITLES

REPO = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO / "examples"
CLASS = EXAMPLES_DIR / "class"
ASSIGNMENTS = REPO / "assignments"


def _load_make_class():
    spec = importlib.util.spec_from_file_location("make_class", EXAMPLES_DIR / "make_class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_class = _load_make_class()
EXAMPLES = {ex.id: ex for ex in make_class.EXAMPLES}
MISTAKES = [ex for ex in make_class.EXAMPLES if ex.hint and ex.form != "untouched"]
UNTOUCHED = [ex for ex in make_class.EXAMPLES if ex.form == "untouched"]


def grade_class(folder, out, *extra):
    """Run the batch grader as `make demo` does; return its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
         "--jobs", "2", "--seed", "1", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"the grader failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def graded_count(stdout):
    found = re.search(r"Graded (\d+) submission", stdout)
    assert found, f"the grader did not say how many it graded:\n{stdout}"
    return int(found.group(1))


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    stdout = grade_class(CLASS, out)
    return out, stdout


def student_folder(out, example):
    return out / example.student


def results(graded, example):
    return json.loads((student_folder(graded[0], example) / "results.json").read_text())


def feedback(graded, example):
    return (student_folder(graded[0], example) / "feedback.md").read_text()


def stage_scores(result):
    scores = {}
    for test in result["tests"]:
        stage = CHECKS[test["number"]].stage
        scores[stage] = scores.get(stage, 0) + test["score"]
    return scores


def literal_parts(template):
    """The fixed text of a message: the pieces between its {placeholders}."""
    return [text for text, *_ in string.Formatter().parse(template) if text.strip()]


def example_ids(examples):
    return [ex.id for ex in examples]


# -- the class is what the generator makes ----------------------------------------------------

def test_is_the_committed_class_what_make_class_writes_today(tmp_path):
    if not any(ASSIGNMENTS.glob("stage*.ipynb")):
        pytest.skip("assignments/ holds no stage notebooks yet")
    out, readme = tmp_path / "class", tmp_path / "README.md"
    assert make_class.main(["--out", str(out), "--readme", str(readme)]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(CLASS).as_posix() for p in CLASS.rglob("*") if p.is_file())
    assert written == committed
    stale = [name for name in written if (out / name).read_bytes() != (CLASS / name).read_bytes()]
    assert stale == [], f"examples/class is out of date ({', '.join(stale)}): " \
                        "run .venv/bin/python examples/make_class.py"
    assert readme.read_text() == (EXAMPLES_DIR / "README.md").read_text()


def test_does_the_class_cover_a_dozen_mistakes_and_every_form():
    assert len(MISTAKES) >= 12
    assert {ex.form for ex in make_class.EXAMPLES} == {
        "reference", "untouched", "notebook", "py", "zip", "folder"}


# -- every example's score --------------------------------------------------------------------

def test_was_every_example_graded_as_one_student(graded):
    with open(graded[0] / "gradebook.csv") as f:
        rows = {row["id"]: row for row in csv.DictReader(f)}
    assert sorted(rows) == sorted(ex.student for ex in EXAMPLES.values())
    assert graded_count(graded[1]) == len(EXAMPLES)
    for ex in EXAMPLES.values():    # one file each: the other stages of the class not handed in
        row = rows[ex.student]
        assert [s for s in STAGE_TITLES if row[f"stage{s}"] == "not submitted"] == \
            [s for s in STAGE_TITLES if s not in ex.stages], ex.student
        assert float(row["total"]) == ex.score() and row["max"] == "100"


@pytest.mark.parametrize("example", make_class.EXAMPLES, ids=example_ids(make_class.EXAMPLES))
def test_does_each_example_fail_exactly_its_expected_checks(graded, example):
    result = results(graded, example)
    failed = sorted(t["number"] for t in result["tests"] if t["status"] != "passed")
    assert failed == sorted(example.fails)
    assert result["score"] == example.score()


@pytest.mark.parametrize("example", make_class.EXAMPLES, ids=example_ids(make_class.EXAMPLES))
def test_is_each_example_graded_on_its_own_stage_only(graded, example):
    tags = {tag for t in results(graded, example)["tests"] for tag in t["tags"]}
    assert tags == {f"stage{s}" for s in example.stages}


def test_does_the_reference_get_full_marks(graded):
    result = results(graded, EXAMPLES["reference_solution"])
    assert stage_scores(result) == {s: 20 for s in STAGE_TITLES}
    assert all(t["status"] == "passed" for t in result["tests"])


@pytest.mark.parametrize("example", UNTOUCHED, ids=example_ids(UNTOUCHED))
def test_does_an_untouched_assignment_score_zero_as_not_implemented(graded, example):
    result = results(graded, example)
    assert stage_scores(result) == {example.stage: 0}
    assert all("Not implemented yet" in t["output"] for t in result["tests"])
    assert "Not started yet" in feedback(graded, example)


@pytest.mark.parametrize("example", MISTAKES, ids=example_ids(MISTAKES))
def test_does_a_mistake_cost_points_only_in_its_own_stage(graded, example):
    lost = {CHECKS[c].stage for c in example.fails}
    assert len(lost) == 1
    scores = stage_scores(results(graded, example))
    assert {s for s, score in scores.items() if score < 20} == lost


@pytest.mark.parametrize("example", MISTAKES, ids=example_ids(MISTAKES))
def test_does_the_feedback_name_the_matching_hint(graded, example):
    text = feedback(graded, example)
    template = getattr(messages, example.hint)
    missing = [part for part in literal_parts(template) if part not in text]
    assert missing == [], f"feedback.md of {example.id} lacks messages.{example.hint}"


def test_does_the_feedback_report_the_cell_that_did_not_run(graded):
    noted = [ex for ex in make_class.EXAMPLES if ex.note]
    assert noted
    for example in noted:
        assert example.note in feedback(graded, example)
        assert results(graded, example)["score"] == example.score()


def test_do_the_feedback_files_and_the_report_hold_no_hidden_test_source(graded):
    """What students and instructors read of the class: no line of the hidden suite."""
    suite_lines = {line.strip() for path in (REPO / "autograder" / "suite").glob("*.py")
                   for line in path.read_text().splitlines() if len(line.strip()) > 30}
    assert suite_lines, "the hidden suite should be there to compare with"
    pages = {ex.id: feedback(graded, ex) for ex in make_class.EXAMPLES}
    pages["report.html"] = (graded[0] / "report.html").read_text()
    leaked = {name: line for name, text in pages.items() for line in suite_lines | {"def test_"}
              if line in text}
    assert not leaked, leaked


# -- re-grading -------------------------------------------------------------------------------

def test_does_a_second_run_on_an_unchanged_class_grade_nothing(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded[0], out)
    stdout = grade_class(CLASS, out)
    assert graded_count(stdout) == 0
    assert f"{len(EXAMPLES)} unchanged" in stdout


def test_is_only_the_changed_submission_graded_again(graded, tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(CLASS, folder)
    shutil.copytree(graded[0], out)
    # guido hands in again, now with anita's mistake: only his file is graded again, and
    # only his files are written again (a student's unchanged files are left as they are)
    guido, anita = EXAMPLES["guido_micrograd"], EXAMPLES["anita_micrograd"]
    (folder / guido.file).write_text((CLASS / anita.file).read_text() + "\n# one more try\n")

    def written():
        return {sid: (student_folder(out, ex) / "results.json").stat().st_mtime_ns
                for sid, ex in EXAMPLES.items()}

    before = written()
    stdout = grade_class(folder, out)
    assert graded_count(stdout) == 1
    after = written()
    assert [sid for sid in EXAMPLES if after[sid] != before[sid]] == ["guido_micrograd"]
    assert results((out, stdout), guido)["score"] == anita.score()
