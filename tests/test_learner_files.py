"""Learners' own files, graded as handed in (tests/learner_bank.py).

A correct file in a learner's shape (numpy and matplotlib imported and plotted with, a helper
file of their own imported, an nbconvert export, no `label`, operators in a base class,
super(), a dataclass, another constructor, CRLF, a BOM, a notebook without the course's
metadata...) scores every point of the stages it implements, and what the grader could not
run is said once, in one line. A file that calls a name of the contract otherwise loses
the checks that need that name, no other, and the stage says once, at its top, what it
found and what the course calls it. Graded through the command line, as a learner runs it.
"""

import json
import re

import nbformat
import pytest

import learner_bank as bank
from autograder.checks import TABLE
from autograder.loader import load_submission
from course.mistakes import reference_text
from grader_run import Job, contract_problems, grade_all

CASES = {case.name: case for case in bank.BANK}
CORRECT = [case.name for case in bank.CORRECT]
RENAMED = [case.name for case in bank.RENAMED]
SAYS_ITS_STAGE = ["notebook_named_stage3", "notebook_named_neutrally"]
# the files whose tests read the report the command line prints: graded by a process each
PRINTED = {n for n in RENAMED if CASES[n].stage_note} | set(SAYS_ITS_STAGE)


def checks_of(stage):
    return [c.id for c in TABLE if c.stage == stage]


def lost(case):
    return {stage: checks_of(stage) if ids == "all" else ids for stage, ids in case.lost.items()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    # the files are made here, one after the other: Python 3.11.7's ast is not safe to use
    # from two threads at once, and grade_all builds its jobs in threads
    texts = {case.name: bank.text_of(case) for case in bank.BANK}

    def job(case):
        def build(folder):
            path = folder / case.file
            data = texts[case.name]
            path.write_bytes(data if isinstance(data, bytes) else data.encode())
            return path
        return Job(case.name, build, alone=case.name in PRINTED)
    return grade_all("learner", [job(case) for case in bank.BANK], tmp_path_factory, batch=True)


def stage_report(stdout, stage):
    """The lines of the printed report under the heading of `stage`."""
    section = stdout.split(f"\nStage {stage}: ", 1)[1]
    return re.split(r"\nStage \d: |\nTotal: ", section)[0]


def test_is_the_bank_large_and_varied():
    assert len(bank.CORRECT) >= 12
    assert len(CASES) == len(bank.BANK), "the names of the bank's files must be unique"
    renamed = {name for case in bank.RENAMED for name in case.stage_note}
    assert {"backward()", "MLP", "_prev", "returns a list"} <= renamed


@pytest.mark.parametrize("name", list(CASES))
def test_is_each_file_a_real_edit_of_the_reference(name):
    case, reference = CASES[name], reference_text()
    data = bank.text_of(case)
    assert data != (reference.encode() if isinstance(data, bytes) else reference)
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    if case.file.endswith(".ipynb"):
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        assert "micrograd_course" not in nb.metadata
        for cell in nb.cells:
            compile(cell.source, name, "exec")
    elif name not in ("magics_without_markers", "python2_print_in_the_demo"):
        compile(text, case.file, "exec")


@pytest.mark.parametrize("name", CORRECT)
def test_does_a_correct_learner_file_score_every_point_of_its_stages(graded, name):
    case, g = CASES[name], graded[name]
    assert not g.error and g.returncode == 0, g.error or g.stderr
    assert {t["tags"][0] for t in g.tests()} == {f"stage{s}" for s in case.stages}
    assert {t["number"]: t["output"] for t in g.failed()} == {}
    assert g.score == 20 * len(case.stages)


@pytest.mark.parametrize("name", CORRECT)
def test_is_what_could_not_run_said_once_in_one_line(graded, name):
    case, g = CASES[name], graded[name]
    notes = g.results["output"].splitlines()
    for words in case.notes:
        assert len([n for n in notes if words in n]) == 1, notes
    if not case.raises:
        assert not [n for n in notes if "raised" in n], notes
    assert "not defined" not in g.results["output"]


@pytest.mark.parametrize("name", RENAMED)
def test_does_a_renamed_file_lose_only_what_the_name_costs(graded, name):
    case, g = CASES[name], graded[name]
    assert not g.error and g.returncode == 0, g.error or g.stderr
    want = lost(case)
    for stage in bank.ALL:
        assert sorted(t["number"] for t in g.failed(stage)) == sorted(want.get(stage, [])), stage
    assert g.score == 100 - sum(c.points for c in TABLE if c.id in sum(want.values(), []))


@pytest.mark.parametrize("name", [n for n in RENAMED if CASES[n].stage_note])
def test_does_the_stage_say_once_at_its_top_what_it_found(graded, name):
    case, g = CASES[name], graded[name]
    for stage in case.lost:
        report = stage_report(g.stdout, stage)
        first_check = re.search(r"^  (PASS|FAIL) ", report, re.MULTILINE).start()
        top = " ".join(report[:first_check].split())
        assert top.count("Note: ") == 1, report
        for words in case.stage_note:
            assert words in top, report
        assert f"Stage {stage}: " in g.results["output"]
    for stage in set(bank.ALL) - set(case.lost):
        assert "Note: " not in stage_report(g.stdout, stage)


@pytest.mark.parametrize("name", [n for n in RENAMED if CASES[n].check_says])
def test_does_each_lost_check_say_why(graded, name):
    case, g = CASES[name], graded[name]
    for t in g.failed():
        assert case.check_says in t["output"], t["output"]


def test_does_the_command_line_say_which_stage_it_graded(graded):
    for name in SAYS_ITS_STAGE:
        assert "Note: Graded stage 3 only" in graded[name].stdout


def test_does_every_results_json_follow_the_contract(graded):
    for name, g in graded.items():
        assert g.returncode == 0, f"{name}: exit status {g.returncode}"
        assert contract_problems(g.results) == [], name


# ---------------------------------------------------------------------------------------
# The loader alone: cells and stages
# ---------------------------------------------------------------------------------------

def test_does_an_nbconvert_export_keep_its_cells_and_their_lines(tmp_path):
    path = tmp_path / "lecture.py"
    text = bank.nbconvert_export(reference_text())
    path.write_text(text)
    source = load_submission(path)
    lines = text.splitlines()
    assert len(source.cells) == text.count("# In[") + 1
    for cell in source.cells:
        first = cell.get("line", 1)
        assert cell["source"].splitlines()[0] == lines[first - 1]
        assert not cell.get("statements")


def test_does_a_py_without_markers_run_statement_by_statement(tmp_path):
    path = tmp_path / "engine.py"
    path.write_text(reference_text())
    (cell,) = load_submission(path).cells
    assert cell["statements"] is True and cell["source"] == reference_text()


def notebook(folder, name, *cells, markdown=()):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown]
                                  + [nbformat.v4.new_code_cell(c) for c in cells])
    path = folder / name
    path.write_text(nbformat.writes(nb))
    return path


VALUE = "class Value:\n    def __init__(self, data):\n        self.data = data\n"


@pytest.mark.parametrize("name, cells, markdown, stage, says", [
    ("alice_stage3.ipynb", [VALUE], [], 3, "its name (alice_stage3.ipynb)"),
    ("Stage 4 - my work.ipynb", [VALUE], [], 4, "its name"),
    ("mine.ipynb", [VALUE], ["# Stage 2: Backpropagation through a whole graph"], 2,
     "its headings"),
    ("mine.ipynb", [VALUE + "    # Stage 5: the body of train\n"], [], 5, "its headings"),
    ("mine.ipynb", [VALUE + "    def backward(self):\n        pass\n"], [], 2, "its code"),
    ("mine.ipynb", [VALUE + "    def exp(self):\n        pass\n"], [], 3, "its code"),
    ("mine.ipynb", [VALUE, "class Neuron:\n    pass\n"], [], 4, "its code"),
    # every stage's code, or no stage shown: all five, and only the second says so
    ("mine.ipynb", [VALUE, "class MLP:\n    pass\n", "def train():\n    pass\n"], [], None, ""),
    ("mine.ipynb", ["x = 1"], ["## Stage 1", "## Stage 2"], None, "all five stages"),
])
def test_does_a_notebook_without_metadata_get_its_stage(tmp_path, name, cells, markdown, stage, says):
    source = load_submission(notebook(tmp_path, name, *cells, markdown=markdown))
    assert source.stage is None and source.guessed_stage == stage
    assert (says in source.stage_note) if says else source.stage_note == ""
    if stage:
        assert "--stage N" in source.stage_note


def test_does_a_course_notebooks_metadata_still_win(tmp_path):
    path = notebook(tmp_path, "stage3_operators.ipynb", VALUE)
    nb = json.loads(path.read_text())
    nb["metadata"]["micrograd_course"] = {"stage": 1}
    path.write_text(json.dumps(nb))
    source = load_submission(path)
    assert source.stage == 1 and source.guessed_stage is None and source.stage_note == ""


# ---------------------------------------------------------------------------------------
# The worker's loading alone (harness.load uses the standard library only; these run trusted
# snippets in the test's own process)
# ---------------------------------------------------------------------------------------

def load(source, **cell):
    from autograder import harness

    return harness.load([dict({"name": "mine.py", "source": source}, **cell)], 1.0)


def test_does_a_syntax_error_cost_only_its_own_statement():
    namespace, errors, missing = load("a = 1\nprint 'demo'\nb = 2\n", statements=True)
    assert namespace["a"] == 1 and namespace["b"] == 2 and missing == []
    assert len(errors) == 1 and "SyntaxError" in errors[0]["error"]
    assert "line 2 of mine.py" in errors[0]["error"]


def test_does_a_failed_import_let_the_rest_of_its_notebook_cell_run():
    namespace, errors, missing = load("import math\nimport no_such_numpy as np, random\n"
                                      "from no_such_helper import draw_dot\nx = math.pi\n")
    assert errors == [] and namespace["x"] == namespace["math"].pi
    assert namespace["random"].__name__ == "random"
    assert [(m["module"], m["line"]) for m in missing] == [("no_such_numpy", 2),
                                                            ("no_such_helper", 3)]


def test_does_using_a_missing_module_fail_where_it_is_used_and_only_there():
    namespace, errors, missing = load("import no_such_numpy as np\n"
                                      "def f(x):\n    return np.tanh(x)\n"
                                      "def g(x):\n    return x + 1\n"
                                      "f(1)\n", statements=True)
    assert errors == [] and namespace["g"](1) == 2
    assert missing[0]["used"] == [{"cell": "mine.py", "line": 3}]
    with pytest.raises(ModuleNotFoundError, match="no_such_numpy"):
        namespace["f"](1)


def test_does_a_guarded_import_keep_its_own_fallback():
    namespace, errors, missing = load("try:\n    import no_such_numpy as np\n"
                                      "except ImportError:\n    np = None\n", statements=True)
    assert namespace["np"] is None and errors == [] and missing == []


def test_does_a_cell_further_down_its_file_keep_the_files_line_numbers():
    namespace, errors, missing = load("x = 1\ndef f():\n    return 1 / 0\nf()\n", line=40)
    assert "line 42 of mine.py, in f" in errors[0]["error"]
