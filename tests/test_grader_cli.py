"""The grader's command line (CONTRACT.md sections 3 and 4): exit statuses, --stage, results.json.

Exit status 0 when grading ran, whatever the score; 2 for a usage error. results.json is
Gradescope's schema, its score is the sum of its tests' scores, and no student-facing text
holds the source of a hidden test.
"""

import re

import pytest

import grader_bank as bank
from autograder import messages as M
from autograder.checks import CHECKS
from grader_run import Job, contract_problems, grade_all, run_cli


def text_file(name, text):
    def build(folder):
        path = folder / name
        path.write_text(text)
        return path
    return build


def no_file(folder):
    return folder / "not_handed_in.py"


REFERENCE = lambda folder: text_file("reference.py", bank.reference_text())(folder)  # noqa: E731
JOBS = {
    "missing_file": Job("missing_file", no_file),
    "syntax_error": Job("syntax_error", text_file("broken.py", "class Value:\n    def __init__(self\n")),
    "empty_file": Job("empty_file", text_file("empty.py", "")),
    "not_python": Job("not_python", text_file("answer.txt", "class Value: pass\n")),
    "renamed_value": Job("renamed_value", text_file(
        "renamed.py", bank.apply_edit(bank.reference_text(), "class Value:", "class MyValue:"))),
    # exp's derivative is right at the lecture's input only, so 3.8 passes the lecture's x and
    # fails its random one
    "exp_right_at_the_lecture_input_only": Job("exp_right_at_the_lecture_input_only", text_file(
        "exp.py", bank.apply_edit(
            bank.reference_text(), "self.grad += out.data * out.grad",
            "self.grad += out.data * out.grad * (1 if abs(self.data - 1.7627471740390863) < 1e-9 else 2)")),
        ("--stage", 3)),
    "stages_2_and_4": Job("stages_2_and_4", REFERENCE, ("--stage", 2, "--stage", 4)),
    "stage_1_of_a_stage_1_mistake": Job(
        "stage_1_of_a_stage_1_mistake",
        text_file("m.py", bank.apply_edit(bank.reference_text(), "self.grad += (1 - t**2) * out.grad",
                                          "self.grad += (1 - t**2)")), ("--stage", 1)),
    "stage_3_notebook": Job("stage_3_notebook", text_file(
        "mine.ipynb", bank.notebook_from(bank.reference_text(), stage=3))),
    "stage_3_notebook_with_stage_5": Job("stage_3_notebook_with_stage_5", text_file(
        "mine.ipynb", bank.notebook_from(bank.reference_text(), stage=3)), ("--stage", 5)),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_all("cli", list(JOBS.values()), tmp_path_factory)


@pytest.mark.parametrize("argv, words", [
    (["grade", "x.py", "--json", "RESULTS", "--stage", "9"], "--stage"),
    (["grade", "x.py", "--json", "RESULTS", "--stage", "two"], "--stage"),
    (["grade", "--json", "RESULTS"], "submission"),
    (["grade", "x.py", "--json", "RESULTS", "--test-seconds", "0"], "--test-seconds"),
    (["grade", "x.py", "--json", "RESULTS", "--no-such-option"], "--no-such-option"),
    (["regrade-everything"], "invalid choice"),
    (["grade", "x.py", "--json", "RESULTS", "--jobs", "4"], "--jobs applies to a folder"),
    (["grade", "x.py", "--json", "RESULTS", "--regrade"], "--regrade applies to a folder"),
    (["grade", "x.py", "--json", "RESULTS", "--sandbox", "docker"], "invalid choice: 'docker'"),
    (["grade", "tests", "--out", "OUT", "--jobs", "0"], "--jobs"),
    (["grade", "tests", "--out", "OUT", "--json", "RESULTS"], "--json is for one submission"),
], ids=["stage_9", "stage_two", "no_submission", "zero_seconds", "unknown_option", "unknown_command",
        "jobs_without_out", "regrade_without_out", "unknown_sandbox", "zero_jobs", "json_with_out"])
def test_is_a_usage_error_exit_status_2_with_no_results(tmp_path, argv, words):
    results = tmp_path / "results.json"
    out = tmp_path / "out"
    run = run_cli(*[{"RESULTS": results, "OUT": out}.get(a, a) for a in argv])
    assert run.returncode == 2, run.stderr
    assert "usage:" in run.stderr and words in run.stderr, run.stderr
    assert not results.exists() and not out.exists()


def test_does_the_help_show_only_what_a_user_can_run():
    top, grade = run_cli("--help"), run_cli("grade", "--help")
    assert top.returncode == grade.returncode == 0
    assert "{grade,check}" in top.stdout
    for text in (top.stdout, grade.stdout):
        assert "SUPPRESS" not in text and "_serve" not in text and "judge" not in text
    assert "{auto,strict,bubblewrap,separate-user,limits}" in grade.stdout


@pytest.mark.parametrize("name", list(JOBS))
def test_is_the_exit_status_0_whatever_the_score(graded, name):
    g = graded[name]
    assert not g.error, g.error
    assert g.returncode == 0, g.stderr
    assert g.results is not None


@pytest.mark.parametrize("name, words", [
    ("missing_file", "not_handed_in.py"),
    ("syntax_error", "SyntaxError"),
    ("empty_file", "no code"),
    ("not_python", ".py"),
])
def test_does_a_submission_that_cannot_be_graded_score_0_and_say_why(graded, name, words):
    g = graded[name]
    assert g.score == 0 and len(g.tests()) == len(bank.TABLE)
    assert words in g.results["output"], g.results["output"]
    assert all(t["status"] == "failed" for t in g.tests())


def test_does_a_syntax_error_name_its_line(graded):
    assert "line 2" in graded["syntax_error"].results["output"]


def test_does_a_renamed_class_cost_its_stages_and_say_keep_the_names(graded):
    g = graded["renamed_value"]
    assert [t["number"] for t in g.failed()] == [c.id for s in (1, 2, 3) for c in bank.checks_of(s)]
    for t in g.failed():
        assert M.MISSING_NAME.format(name="Value") in t["output"], t["output"]


def test_does_a_randomized_check_keep_its_input_and_expected_value_to_itself(graded):
    """3.8 passes the lecture's n and fails its random one: no number may be shown for it."""
    g = graded["exp_right_at_the_lecture_input_only"]
    (output,) = [t["output"] for t in g.failed(3) if t["number"] == "3.8"]
    message = output.partition("\n\n")[2]
    assert message and re.findall(r"\d\.\d", message) == [], message


def test_does_stage_narrow_the_grading_to_those_stages(graded):
    g = graded["stages_2_and_4"]
    assert [t["number"] for t in g.tests()] == [c.id for s in (2, 4) for c in bank.checks_of(s)]
    assert g.score == 40


def test_is_a_mistake_graded_alone_in_its_stage(graded):
    g = graded["stage_1_of_a_stage_1_mistake"]
    assert {tag for t in g.tests() for tag in t["tags"] if tag.startswith("stage")} == {"stage1"}
    assert 0 < g.score < 20


def test_does_a_course_notebook_grade_the_stage_its_metadata_names(graded):
    g = graded["stage_3_notebook"]
    assert [t["number"] for t in g.tests()] == [c.id for c in bank.checks_of(3)]
    assert g.score == 20


def test_does_stage_win_over_the_notebook_metadata(graded):
    g = graded["stage_3_notebook_with_stage_5"]
    assert [t["number"] for t in g.tests()] == [c.id for c in bank.checks_of(5)]
    assert g.score == 20


def test_does_every_results_json_follow_the_contract(graded):
    for name, g in graded.items():
        assert contract_problems(g.results) == [], name


def test_does_the_contract_check_catch_a_broken_results_json():
    """The checker itself: a score that is not the sum, a missing tag, a leaked test."""
    points = CHECKS["1.1"].points
    good = {"score": points, "execution_time": 0.1, "output": "", "stdout_visibility": "hidden",
            "tests": [{"name": "1.1 The L example, backpropagated by hand", "number": "1.1",
                       "score": points, "max_score": points, "status": "passed", "output": "ok",
                       "tags": ["stage1"], "visibility": "visible"}]}
    assert contract_problems(good) == []
    assert contract_problems(dict(good, score=points + 1))
    assert contract_problems(dict(good, tests=[dict(good["tests"][0], tags=[])]))
    assert contract_problems(dict(good, output="def test_L_example_by_hand(student):"))
    assert contract_problems({k: v for k, v in good.items() if k != "stdout_visibility"})
