"""What the grader accepts as a submission, on the reference solution and on untouched stubs.

The reference scores every point as a .py file, as a notebook (one cell per definition,
with a markdown cell, a magic and a shell escape that must be skipped), as a folder holding
the .py and as a .zip of that folder. Stubs that raise NotImplementedError score 0 and say
"Not implemented yet", without a traceback. Each untouched assignment notebook grades its
own stage only, and so does its .py mirror.
"""

import json
import shutil
import zipfile

import nbformat
import pytest

import grader_bank as bank
from autograder import messages as M
from autograder.loader import load_submission
from grader_run import REPO, Job, contract_problems, grade_all

ASSIGNMENTS = REPO / "assignments"
STAGE_NOTEBOOKS = {1: "stage1_local_derivatives.ipynb", 2: "stage2_backward.ipynb",
                   3: "stage3_operators.ipynb", 4: "stage4_neural_net.ipynb",
                   5: "stage5_training.ipynb"}
NOT_IMPLEMENTED = M.NOT_IMPLEMENTED.split(":")[0]      # "Not implemented yet"


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def as_py(folder):
    return write(folder, "reference.py", bank.reference_text())


def as_notebook(folder):
    return write(folder, "reference.ipynb", bank.notebook_from(bank.reference_text()))


def as_folder(folder):
    inner = folder / "submission"          # Gradescope puts the upload in a folder
    inner.mkdir()
    write(inner, "my_micrograd.py", bank.reference_text())
    return inner


def as_zip(folder):
    path = folder / "my_micrograd.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("my_micrograd/my_micrograd.py", bank.reference_text())
    return path


def stubs(folder):
    return write(folder, "stubs.py", bank.stub_text(bank.reference_text()))


def assignment(name):
    def build(folder):
        return shutil.copy(ASSIGNMENTS / name, folder / name)
    return build


def mirror(notebook):
    """The .py mirror the generator writes beside each stage notebook."""
    return notebook.replace(".ipynb", ".py")


FORMS = {"py": as_py, "ipynb": as_notebook, "folder": as_folder, "zip": as_zip}
FILES = {s: [n for n in (name, mirror(name)) if (ASSIGNMENTS / n).exists()]
         for s, name in STAGE_NOTEBOOKS.items()}
READY = [(s, n) for s, names in FILES.items() for n in names]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    # the .py and the stubs by a process each, so that the report the command prints is read
    # for a traceback on a passing and on a failing file; the others in a class folder,
    # where no_traceback reads their feedback.md instead
    jobs = [Job(f"reference_{form}", build, alone=form == "py") for form, build in FORMS.items()]
    jobs += [Job("stubs", stubs, alone=True)]
    jobs += [Job(f"assignment_{name}", assignment(name)) for _, name in READY]
    return grade_all("submissions", jobs, tmp_path_factory, batch=True)


def no_traceback(g):
    """Nothing a student or the instructor reads shows a traceback: results.json, and the
    printed report (or, graded in a class folder, feedback.md and the grader's log)."""
    for text in g.outputs() + [g.stdout, g.stderr]:
        assert "Traceback" not in text and 'File "' not in text, text


@pytest.mark.parametrize("form", list(FORMS))
def test_does_the_reference_score_every_point(graded, form):
    g = graded[f"reference_{form}"]
    assert not g.error and g.returncode == 0, g.error or g.stderr
    assert [t["number"] for t in g.failed()] == []
    assert g.score == 100 == sum(t["max_score"] for t in g.tests())
    assert [t["number"] for t in g.tests()] == [c.id for c in bank.TABLE]


def test_are_magics_shell_escapes_and_markdown_skipped_in_a_notebook(graded):
    notebook = json.loads(bank.notebook_from(bank.reference_text()))
    sources = ["".join(c["source"]) for c in notebook["cells"]]
    assert any(s.startswith("%matplotlib") for s in sources) and any(s.startswith("!ls") for s in sources)
    assert any(c["cell_type"] == "markdown" for c in notebook["cells"])
    assert graded["reference_ipynb"].results["output"] == "", "no cell should have raised"


def test_is_the_report_of_the_py_file_clean(graded):
    g = graded["reference_py"]
    assert g.results["output"] == ""
    no_traceback(g)


def test_do_stubs_score_0_and_say_not_implemented_yet(graded):
    g = graded["stubs"]
    assert not g.error and g.returncode == 0, g.error or g.stderr
    assert g.score == 0 and len(g.tests()) == len(bank.TABLE)
    for t in g.tests():
        assert t["status"] == "failed"
        assert NOT_IMPLEMENTED in t["output"], t["output"]
    no_traceback(g)


def test_does_every_stub_raise_naming_its_stage():
    text = bank.stub_text(bank.reference_text())
    compile(text, "stubs.py", "exec")
    for stage, title in bank.STAGE_TITLES.items():
        assert f'raise NotImplementedError("Stage {stage} ({title}): ' in text
    assert "self.grad = 0.0" in text            # the given __init__ is kept


@pytest.mark.skipif(not READY, reason="assignments/ holds no stage notebook yet")
@pytest.mark.parametrize("stage, name", [(s, n) for s, n in STAGE_NOTEBOOKS.items()]
                         + [(s, mirror(n)) for s, n in STAGE_NOTEBOOKS.items()])
def test_does_an_untouched_assignment_grade_only_its_own_stage_and_score_0(graded, stage, name):
    if (stage, name) not in READY:
        pytest.skip(f"assignments/{name} does not exist yet")
    g = graded[f"assignment_{name}"]
    assert not g.error and g.returncode == 0, g.error or g.stderr
    assert [t["number"] for t in g.tests()] == [c.id for c in bank.checks_of(stage)]
    assert all(t["tags"] == [f"stage{stage}"] for t in g.tests())
    assert g.score == 0
    for t in g.tests():
        assert NOT_IMPLEMENTED in t["output"], t["output"]
    no_traceback(g)


def test_is_one_training_run_looked_at_by_several_checks_run_once(tmp_path):
    """Checks 5.1, 5.2, 5.4 and 5.5 look at one run from random weights and 5.3 at the
    lecture's: the student's train() runs twice in all, and every check still scores."""
    from autograder.grade import grade

    text = bank.reference_text().replace(
        "def train(model, xs, ys, steps, lr):\n",
        "def train(model, xs, ys, steps, lr):\n    print('train() called')\n", 1)
    assert "print('train() called')" in text
    result = grade(write(tmp_path, "counted.py", text), stages=[5], seed=7)
    assert result.score == result.max_score == 20
    assert result.output.count("train() called") == 2


def _graded_cell(source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "stage2-check-x", "points": 1, "schema_version": 3}
    return cell


def test_are_the_notebooks_own_check_cells_left_out_unless_they_define_code(tmp_path):
    """The notebook's check cells only assert what the hidden checks test again: they are
    not run (a training run or a loop the student's code never leaves costs nothing), and
    the note says so. A check cell changed to hold a definition is run all the same."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        _graded_cell("while True:\n    pass"),
        _graded_cell("def helper():\n    return 2"),
    ])
    path = tmp_path / "mine.ipynb"
    path.write_text(nbformat.writes(nb))
    source = load_submission(path)
    assert [c["source"] for c in source.cells] == ["x = 1", "def helper():\n    return 2"]
    assert any("1 check cell(s) of the notebook were not run" in n for n in source.notes)
