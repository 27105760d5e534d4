"""The learner's self-check (autograder/selfcheck.py), run where learners run it: in a real
Jupyter kernel (nbclient), and in a terminal.

In a notebook it shows one rich element and echoes no object; each misuse is one plain
sentence, never a traceback or a SystemExit.
"""

import ast
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import messages as M
from autograder.checks import TABLE

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = "stage1_local_derivatives.ipynb"
README_LINE = f'from autograder.selfcheck import check; check("{NOTEBOOK}")'
# alan wrote = instead of += in every _backward: checks 1.6 and 1.7 fail, the others pass
ALAN = REPO / "examples" / "class" / "alan_stage1.ipynb"
HOSTILE = "<script>alert('hi')</script> & <b>bold</b>"


def run_cells(sources, folder, env=None):
    """Run the cells in a fresh kernel whose working directory is folder, and whose
    environment is env (default: this process's); the cells run."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=dict(os.environ) if env is None else env)
    return nb.cells


def saved_notebook(folder, extra_cell=None):
    """alan's stage 1 notebook saved as the learner's, optionally with one more code cell."""
    nb = nbformat.read(ALAN, as_version=4)
    if extra_cell:
        nb.cells.append(nbformat.v4.new_code_cell(extra_cell))
    nbformat.write(nb, folder / NOTEBOOK)
    return nb


class Elements(HTMLParser):
    """The top-level elements of an HTML fragment, and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.top, self.text = 0, [], []

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.top.append(tag)
        self.depth += 1

    def handle_endtag(self, tag):
        self.depth -= 1

    def handle_data(self, data):
        if self.depth == 0 and data.strip():
            self.top.append("text")
        self.text.append(data)


def parsed(fragment):
    parser = Elements()
    parser.feed(fragment)
    parser.close()
    return parser.top, " ".join(" ".join(parser.text).split())


def only_display(cell):
    """The cell's single output, which must be a display (no echoed value, no print)."""
    kinds = [out.output_type for out in cell.outputs]
    assert kinds == ["display_data"], [out.get("text", out.get("evalue")) for out in cell.outputs]
    return cell.outputs[0].data


def only_sentence(cell):
    """The cell's single output, which must be one printed line (no traceback)."""
    assert [out.output_type for out in cell.outputs] == ["stream"], cell.outputs
    assert cell.outputs[0].name == "stdout"
    text = cell.outputs[0].text
    assert text.count("\n") == 1 and text.endswith("\n") and "Traceback" not in text
    return text.strip()


# --------------------------------------------------------------------------------------
# The report in a notebook
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def learners_kernel(tmp_path_factory):
    """One kernel (each costs seconds) for the README's line and for check() without a name,
    started as Jupyter Server starts a notebook's kernel: JPY_SESSION_NAME names the notebook."""
    assert README_LINE in (REPO / "README.md").read_text()
    folder = tmp_path_factory.mktemp("learner")
    # a cell of the learner's that fails with text a browser would read as HTML
    saved_notebook(folder, f"raise AssertionError({HOSTILE!r})")
    session = dict(os.environ, JPY_SESSION_NAME=str(folder / NOTEBOOK))
    readme, unnamed = run_cells([README_LINE, "from autograder.selfcheck import check; check()"],
                                folder, env=session)
    return {"readme line": readme, "check()": unnamed}


@pytest.fixture
def readme_line_in_a_kernel(learners_kernel):
    return learners_kernel["readme line"]


def test_is_the_report_one_element_and_no_echoed_object(readme_line_in_a_kernel):
    data = only_display(readme_line_in_a_kernel)
    top, _ = parsed(data["text/html"])
    assert top == ["div"]
    plain = data["text/plain"]
    assert "object" not in plain and "SubmissionResult" not in plain and not plain.startswith("<")
    assert "Stage 1: Local derivatives" in plain and "Total: 15 / 20" in plain


def test_does_the_report_say_passed_or_failed_with_marks_and_the_hint(readme_line_in_a_kernel):
    html = only_display(readme_line_in_a_kernel)["text/html"]
    _, text = parsed(html)
    stage1 = len([c for c in TABLE if c.stage == 1])
    assert text.count("\u2714 passed") == stage1 - 2 and text.count("\u2718 failed") == 2
    assert re.search(r"\u2718 failed 1\.6 Gradients accumulate", text)
    assert " ".join(M.OVERWRITES_GRAD.split()) in text
    assert "Total: 15 / 20" in text


def test_is_everything_from_the_submission_escaped(readme_line_in_a_kernel):
    html = only_display(readme_line_in_a_kernel)["text/html"]
    assert "<script" not in html and "<b>bold" not in html
    _, text = parsed(html)
    assert HOSTILE in text     # shown as the learner's text, not run as markup


def test_does_check_find_the_notebook_its_kernel_belongs_to(learners_kernel):
    _, text = parsed(only_display(learners_kernel["check()"])["text/html"])
    assert f"Self-check of {NOTEBOOK}" in text and "Total: 15 / 20" in text


# --------------------------------------------------------------------------------------
# Misuses: one sentence each
# --------------------------------------------------------------------------------------

def value_cell(nb):
    """The saved notebook's cell that defines Value."""
    return next(c.source for c in nb.cells if c.cell_type == "code"
                and any(isinstance(n, ast.ClassDef) and n.name == "Value"
                        for n in ast.parse(c.source).body))


def test_does_each_misuse_get_one_sentence_and_no_traceback(tmp_path):
    nb = saved_notebook(tmp_path)
    edited = value_cell(nb).replace("self.grad = 0.0", "self.grad = 0.0  # edited, not saved")
    assert edited != value_cell(nb)
    # Ctrl+S: the file as Jupyter writes it (nbformat's layout), written with json because
    # importing nbformat in the kernel costs seconds (it loads jsonschema)
    save = (f"import json; nb = json.load(open({NOTEBOOK!r}))\n"
            f"for cell in nb['cells']:\n"
            f"    if ''.join(cell['source']) == {value_cell(nb)!r}:\n"
            f"        cell['source'] = {edited!r}.splitlines(keepends=True)\n"
            f"text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False)\n"
            f"open({NOTEBOOK!r}, 'w').write(text + '\\n')")
    cells = run_cells([
        "from autograder.selfcheck import check",
        "check()",
        'check("stage1_local_derivative.ipynb")',
        f'check("{NOTEBOOK}", stage=3)',
        f'check("{NOTEBOOK}", stage=9)',
        edited,                     # the learner edits Value and runs the cell...
        f'check("{NOTEBOOK}")',     # ... and checks before saving
        save,                       # saved now
        f'check("{NOTEBOOK}")',
    ], tmp_path, env={k: v for k, v in os.environ.items() if k != "JPY_SESSION_NAME"})
    assert only_sentence(cells[1]) == M.SELFCHECK_NAME_IT
    assert only_sentence(cells[2]) == M.SELFCHECK_NO_FILE.format(
        name="stage1_local_derivative.ipynb", folder=tmp_path.resolve())
    assert only_sentence(cells[3]) == M.SELFCHECK_OTHER_STAGE.format(
        name=NOTEBOOK, own=1, stage=3)
    assert only_sentence(cells[4]) == M.SELFCHECK_NO_STAGE.format(stage=9)
    assert only_sentence(cells[6]) == M.SELFCHECK_UNSAVED.format(name=NOTEBOOK, names="Value")
    only_display(cells[8])          # once saved, the report
    assert not any(out.output_type == "error" for cell in cells for out in cell.outputs)


# --------------------------------------------------------------------------------------
# Outside Jupyter: text
# --------------------------------------------------------------------------------------

def test_does_check_print_the_text_report_outside_jupyter(tmp_path):
    saved_notebook(tmp_path)
    run = subprocess.run([sys.executable, "-c", README_LINE.replace("check(", "r = check(")
                          + "; print('returned', repr(r))"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(M.SELFCHECK_SAVE_FIRST + "\n")
    assert "  FAIL  1.6  Gradients accumulate  (0/3)" in run.stdout
    assert run.stdout.rstrip().endswith("Total: 15 / 20\nreturned None")


@pytest.mark.parametrize("args, sentence", [
    (["nope.ipynb"], M.SELFCHECK_NO_FILE.format(name="nope.ipynb", folder="{folder}")),
    ([NOTEBOOK, "--stage", "2"], M.SELFCHECK_OTHER_STAGE.format(name=NOTEBOOK, own=1, stage=2)),
])
def test_does_the_check_command_say_a_misuse_in_one_sentence_with_status_2(tmp_path, args, sentence):
    saved_notebook(tmp_path)
    run = subprocess.run([sys.executable, "-m", "autograder", "check", *args], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == sentence.format(folder=tmp_path.resolve()) + "\n"
