"""A learner's self-check: grade your own saved stage notebook and read what to fix.

In a terminal:         python -m autograder check stage1_local_derivatives.ipynb
In a notebook cell:    from autograder.selfcheck import check; check("stage1_local_derivatives.ipynb")

The notebook is graded as it is saved on disk, so save it first. Your code runs in a
separate process, exactly as when your instructor grades it.
"""

import os
from pathlib import Path

from .grade import grade

SAVE_FIRST = "Grading the notebook as last saved: save it first (Ctrl+S / Cmd+S) to include your latest changes."


def find_notebook(notebook=None):
    """The notebook to check: the one named, or the one this Jupyter kernel belongs to."""
    if notebook:
        return Path(notebook)
    session = os.environ.get("JPY_SESSION_NAME")   # set by Jupyter for a notebook's kernel
    if session and session.endswith(".ipynb") and Path(session).exists():
        return Path(session)
    raise SystemExit('Name the notebook to check, for example: check("stage1_local_derivatives.ipynb")')


def check(notebook=None, stage=None):
    path = find_notebook(notebook)
    result = grade(path, stages=[stage] if stage else None)
    if path.suffix == ".ipynb":
        print(SAVE_FIRST)
    print(result.report())
    return result
