"""A learner's self-check: grade your own saved stage notebook and read what to fix.

In a terminal:         python -m autograder check stage1_local_derivatives.ipynb
In a notebook cell:    from autograder.selfcheck import check; check("stage1_local_derivatives.ipynb")

The notebook is graded as it is saved on disk, so save it first. Your code runs in a
separate process, exactly as when your instructor grades it.

In Jupyter the report is one compact table under the cell (and `check()` returns nothing, so
no object is echoed after it); elsewhere it is printed as text. A check that cannot run as
asked (no notebook named, a file that is not there, changes not saved, a stage that is not the
notebook's) says so in one sentence, without a traceback and without stopping the kernel.
"""

import ast
import json
import os
import sys
from pathlib import Path

from . import contract
from . import messages as M
from .grade import GraderError, grade
from .loader import load_submission

STAGES = contract.STAGES


class Misuse(Exception):
    """A self-check that cannot run as asked; its text is one sentence for the learner."""


def check(notebook=None, stage=None):
    """Grade the saved notebook and show the report. Returns None: the report is shown (one
    rich element in Jupyter, text elsewhere), never returned to be echoed."""
    try:
        path, result = _checked(notebook, stage)
    except (Misuse, GraderError) as problem:
        print(_sentence(problem))
        return None
    if _kernel() is not None:
        from IPython.display import display

        # one element; its plain-text form is the text report, not an object's repr
        display({"text/html": html_report(result, path), "text/plain": text_report(result, path)},
                raw=True)
    else:
        print(text_report(result, path))
    return None


def command(notebook, stage=None):
    """`python -m autograder check`: the text report; exit status 2 for a misuse, said in one
    sentence on stderr; 1 when the grader itself failed."""
    try:
        path, result = _checked(notebook, stage)
    except (Misuse, GraderError) as problem:
        print(_sentence(problem), file=sys.stderr)
        return 2 if isinstance(problem, Misuse) else 1
    print(text_report(result, path))
    return 0


def _checked(notebook, stage):
    path, stages = what_to_check(notebook, stage)
    return path, grade(path, stages=stages)


def _sentence(problem):
    if isinstance(problem, GraderError):
        return M.SELFCHECK_GRADER_FAILED.format(detail=M.clip(problem, 300))
    return str(problem)


# --------------------------------------------------------------------------------------
# What to check: the notebook and its stage, or the one sentence that says why not
# --------------------------------------------------------------------------------------

def what_to_check(notebook=None, stage=None):
    """(path, [stage] or None for the notebook's own), or Misuse."""
    stage = _stage(stage)
    path = find_notebook(notebook)
    if not path.exists():
        folder = path.parent.resolve() if str(path.parent) != "." else Path.cwd()
        raise Misuse(M.SELFCHECK_NO_FILE.format(name=path.name, folder=folder))
    if path.suffix.lower() == ".ipynb" and _kernel() is not None \
            and _is_this_kernels_notebook(path):
        names = unsaved_names(path, _kernel())
        if names:
            raise Misuse(M.SELFCHECK_UNSAVED.format(name=path.name, names=", ".join(names)))
    if stage is not None and path.is_file():
        own = load_submission(path).stage
        if own is not None and own != stage:
            raise Misuse(M.SELFCHECK_OTHER_STAGE.format(name=path.name, own=own, stage=stage))
    return path, [stage] if stage is not None else None


def _stage(stage):
    if stage is None:
        return None
    text = str(stage).strip()
    if isinstance(stage, bool) or not text.isdigit() or int(text) not in STAGES:
        raise Misuse(M.SELFCHECK_NO_STAGE.format(stage=stage))
    return int(text)


def find_notebook(notebook=None):
    """The notebook to check: the one named, or the one this kernel belongs to."""
    if notebook:
        return Path(notebook).expanduser()
    own = this_kernels_notebook()
    if own is not None and own.exists():
        return own
    raise Misuse(M.SELFCHECK_NAME_IT)


def this_kernels_notebook():
    """The notebook this kernel was started for, when the front end says: JupyterLab and
    Jupyter Server set JPY_SESSION_NAME, VS Code sets __vsc_ipynb_file__."""
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb"):
        return Path(session)
    shell = _kernel()
    vscode = shell.user_ns.get("__vsc_ipynb_file__") if shell is not None else None
    return Path(vscode) if isinstance(vscode, str) and vscode.endswith(".ipynb") else None


def _is_this_kernels_notebook(path):
    own = this_kernels_notebook()
    if own is None:      # the front end does not say: the notebook named is taken to be this one
        return True
    try:
        return own.resolve() == path.resolve()
    except OSError:
        return False


def _kernel():
    """The IPython kernel this runs in (Jupyter, VS Code, nbclient), or None (a terminal, or
    terminal IPython, which cannot show HTML)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


# --------------------------------------------------------------------------------------
# Unsaved changes: the code the kernel last ran for a course name is not in the saved file
# --------------------------------------------------------------------------------------

def unsaved_names(path, shell):
    """The course names whose latest run in this kernel differs from every saved cell."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        saved = {_normal(_text(cell.get("source", ""))) for cell in nb.get("cells", [])
                 if cell.get("cell_type") == "code"}
    except (OSError, ValueError, AttributeError):
        return []      # not a readable notebook: the grader says so in the report
    last_run = {}
    for source in shell.history_manager.input_hist_raw:    # every cell run, in order
        for name in _defines(source):
            last_run[name] = source
    return [name for name in contract.NAMES if name in last_run
            and _normal(last_run[name]) not in saved]


def _text(source):
    return "".join(source) if isinstance(source, list) else str(source)


def _normal(source):
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _defines(source):
    """The course names a cell defines at its top level (def train, class Value...)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):    # magics, or not Python: defines nothing we grade
        return []
    return [node.name for node in tree.body
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in contract.NAMES]


# --------------------------------------------------------------------------------------
# The report: text, and one HTML element for a notebook
# --------------------------------------------------------------------------------------

def text_report(result, path):
    report = result.report()
    return f"{M.SELFCHECK_SAVE_FIRST}\n{report}" if path.suffix.lower() == ".ipynb" else report


def html_report(result, path):
    """The report as one <div>; everything that comes from the submission is escaped."""
    from .render import render

    r = result.bounded()
    return render("html", "selfcheck.html.j2", result=r, stages=r.summaries(), notebook=path.name)
