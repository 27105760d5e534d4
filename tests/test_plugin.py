"""The hidden suite runs through pytest's public API only (autograder/plugin.py, grade.py).

The judge collects the suite once and runs each check's pytest protocol again for every
submission; a check's result comes back to the caller. These tests would fail if the judge
reached into pytest's private modules, if re-running a collected check lost its fixtures,
or if a failure of the grader itself passed for a student's mistake.
"""

import re
from pathlib import Path

import pytest

from autograder import grade as grading
from autograder import session
from autograder.checks import TABLE

REPO = Path(__file__).resolve().parent.parent
PRIVATE = re.compile(r"_pytest|_initrequest")


def test_does_no_module_of_the_grader_or_the_course_use_pytests_private_api():
    used = [f"{path.relative_to(REPO)}:{n}" for folder in ("autograder", "course")
            for path in sorted((REPO / folder).rglob("*.py"))
            for n, line in enumerate(path.read_text().splitlines(), 1) if PRIVATE.search(line)]
    assert used == []


def test_is_pytest_pinned_to_the_version_the_judge_was_tested_with():
    pinned = re.search(r'"pytest==([\d.]+)"', (REPO / "pyproject.toml").read_text())
    assert pinned and pinned.group(1) == pytest.__version__


def test_does_every_check_run_again_with_fresh_fixtures_for_each_submission(tmp_path):
    reference = REPO / "autograder" / "reference.py"
    stub = tmp_path / "stub.py"
    stub.write_text("class Value:\n    pass\n")
    outcomes = []
    grading.grade_many([reference, stub, reference], outcomes.append, stages=[1, 4], seed=5,
                       level="limits")
    first, nothing, again = outcomes
    ids = [c.id for c in TABLE if c.stage in (1, 4)]
    assert [c.id for c in first.checks] == ids == [c.id for c in again.checks]
    assert first.score == again.score == first.max_score == 40
    assert nothing.score == 0 and all(not c.passed for c in nothing.checks)
    assert [c.to_json() for c in first.checks] == [c.to_json() for c in again.checks]


def test_is_a_failure_of_the_grader_itself_reported_as_such_and_not_as_a_mistake(monkeypatch):
    def broken(self, probe, **payload):
        raise KeyError("a bug in the reference view")

    monkeypatch.setattr(session.ReferenceView, "_run", broken)
    with pytest.raises(grading.GraderError) as failure:
        grading.grade(REPO / "autograder" / "reference.py", stages=[4], seed=5, level="limits")
    # the instructor gets pytest's full report, naming each broken check
    assert "4.3" in str(failure.value) and "a bug in the reference view" in str(failure.value)
    # and the judge is still usable afterwards: pytest's fixtures were torn down properly
    monkeypatch.undo()
    result = grading.grade(REPO / "autograder" / "reference.py", stages=[4], seed=5, level="limits")
    assert result.score == 20
