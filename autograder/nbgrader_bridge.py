"""nbgrader's graded cells ask the course's judge, which grades the notebook outside the kernel.

In an nbgrader course made by `python -m course.nbgrader_course build`, every check of the
points table (autograder/checks.py) is one graded cell whose hidden test is

    ### BEGIN HIDDEN TESTS
    from autograder.nbgrader_bridge import expect_check; expect_check("1.3")
    ### END HIDDEN TESTS

nbgrader removes the region from the students' copy and puts it back when it autogrades.
`nbgrader autograde` runs a notebook in a fresh kernel whose working folder is
autograded/<student>/<assignment>/, where it has just written the notebook it runs (the
student's cells, the locked cells restored from the gradebook, outputs cleared). The first
graded cell grades that file once, with `python -m autograder grade FILE --stage N` in a
separate process (the student's code runs in the grader's sandbox there, never in the
judge), and keeps the result for the kernel's life; each graded cell then passes or raises
AssertionError with the check's message for the student. nbgrader gives a cell that raises
0 points, one that returns a number that many points, and any other cell full points.

When no notebook of the stage can be found in the working folder (an instructor running
cells by hand somewhere else), the cells the kernel has run (`In`) are graded instead,
without this module's own cells.

A student's code runs in the same kernel before these cells and could replace this module.
nbgrader cannot prevent that; `python -m course.nbgrader_course crosscheck` grades the same
submissions outside any kernel and flags every nbgrader score that is higher.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .checks import CHECKS
from .contract import BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, METADATA_KEY, marker_line

CALL = 'from autograder.nbgrader_bridge import expect_check; expect_check("{id}")'
BEGIN_HIDDEN, END_HIDDEN = marker_line(BEGIN_HIDDEN_TESTS), marker_line(END_HIDDEN_TESTS)
# A cell of ours, as the course builder writes it: comment lines, then the hidden region.
BRIDGE_CELL = re.compile(
    r"\A(?:[ \t]*#[^\n]*\n)*[ \t]*" + re.escape(BEGIN_HIDDEN) + r"[ \t]*\n"
    + re.escape(CALL).replace(re.escape("{id}"), r"\d+\.\d+") + r"[ \t]*\n[ \t]*"
    + re.escape(END_HIDDEN) + r"\s*\Z")
JUDGE_SECONDS = 110          # below the per-cell timeout the course's nbgrader_config.py sets
SANDBOX = os.environ.get("MICROGRAD_SANDBOX", "auto")

_results = {}                # (digest, stage) -> {check id: results.json test entry}, per kernel


class BridgeError(Exception):
    """The judge could not give a result; the cell fails with this message."""


def bridge_cell_source(check_id, comment=""):
    """The source of the graded cell for one check."""
    lines = [f"# {line}" for line in comment.splitlines()] if comment else []
    return "\n".join(lines + [BEGIN_HIDDEN, CALL.format(id=check_id), END_HIDDEN])


def is_bridge_cell(source):
    return bool(BRIDGE_CELL.match(source))


def expect_check(check_id):
    """Pass if the judge passed check `check_id` on this notebook; raise AssertionError with the
    student's message if it failed; return the points when it gave only part of them."""
    __tracebackhide__ = True
    if check_id not in CHECKS:
        raise BridgeError(f"unknown check {check_id!r}: the points table has no such id")
    stage = CHECKS[check_id].stage
    test = judge(stage).get(check_id)
    if test is None:
        raise BridgeError(f"the grader returned no result for check {check_id}")
    if test["status"] == "passed" and test["score"] >= test["max_score"]:
        return None
    # a check the points table hides from students says only that it failed
    shown = test["output"] if CHECKS[check_id].visibility == "visible" else "(details hidden)"
    if test["score"] > 0:
        print(shown)
        return float(test["score"])
    raise AssertionError(f"{test['name']}\n{shown}")


def judge(stage):
    """{check id: test} for this stage of the notebook being graded, computed once per kernel."""
    cells, name = _graded_cells(stage)
    digest = hashlib.sha256(json.dumps([cells, stage]).encode()).hexdigest()
    if (digest, stage) not in _results:
        _results[(digest, stage)] = _run_judge(cells, name, stage)
    return _results[(digest, stage)]


# -- what to grade ----------------------------------------------------------------------------

def _graded_cells(stage):
    """The code cells to grade, as a notebook's cell list, and a file name for the submission."""
    path = find_notebook(stage)
    if path is not None:
        nb = json.loads(path.read_text(encoding="utf-8"))
        return without_bridge(nb)["cells"], path.name
    history = _kernel_history()
    cells = [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
              "execution_count": None} for source in history if not _is_bridge_input(source)]
    return cells, f"stage{stage}_kernel_history.ipynb"


def find_notebook(stage, folder=None):
    """The notebook of this stage in the working folder; the one that matches the kernel's
    history best when there are several."""
    folder = Path(folder or os.getcwd())
    candidates = []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        meta = nb.get("metadata", {}).get(METADATA_KEY, {}) if isinstance(nb, dict) else {}
        if isinstance(meta, dict) and meta.get("stage") == stage:
            candidates.append((path, nb))
    if len(candidates) <= 1:
        return candidates[0][0] if candidates else None
    ran = set(_kernel_history())

    def overlap(item):
        return sum(1 for cell in item[1].get("cells", []) if cell.get("cell_type") == "code"
                   and _text(cell.get("source", "")) in ran)
    return max(candidates, key=overlap)[0]


def without_bridge(nb):
    """The notebook without this module's graded cells (the judge must not run them)."""
    nb = dict(nb)
    nb["cells"] = [cell for cell in nb.get("cells", [])
                   if not (cell.get("cell_type") == "code" and is_bridge_cell(_text(cell.get("source", ""))))]
    return nb


def _kernel_history():
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    if shell is None:
        return []
    return [s for s in shell.user_ns.get("In", [])[1:] if isinstance(s, str) and s.strip()]


def _is_bridge_input(source):
    return "autograder.nbgrader_bridge" in source or "expect_check(" in source


def _text(source):
    return "".join(source) if isinstance(source, list) else source


# -- the judge, in its own process --------------------------------------------------------------

def _run_judge(cells, name, stage):
    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
          "metadata": {METADATA_KEY: {"stage": stage}}}
    with tempfile.TemporaryDirectory(prefix="micrograd-nbgrader-") as folder:
        submission = Path(folder) / name
        submission.write_text(json.dumps(nb), encoding="utf-8")
        results = Path(folder) / "results.json"
        # -I: neither the working folder nor PYTHONPATH can put another `autograder` first
        command = [sys.executable, "-I", "-m", "autograder", "grade", str(submission),
                   "--stage", str(stage), "--json", str(results), "--sandbox", SANDBOX]
        try:
            run = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                                 timeout=JUDGE_SECONDS, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return _failed(stage, f"The grader took more than {JUDGE_SECONDS} s on this notebook "
                                  "and was stopped; nothing was graded.")
        if run.returncode != 0 or not results.exists():
            detail = (run.stderr or run.stdout).strip().splitlines()
            return _failed(stage, "The grader failed on this notebook (not the student's fault): "
                                  + (detail[-1] if detail else f"exit status {run.returncode}"))
        data = json.loads(results.read_text(encoding="utf-8"))
    return {test["number"]: test for test in data.get("tests", [])}


def _failed(stage, message):
    return {c.id: {"name": f"{c.id} {c.name}", "number": c.id, "score": 0, "max_score": c.points,
                   "status": "failed", "output": message}
            for c in CHECKS.values() if c.stage == stage}
