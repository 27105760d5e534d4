"""Check your stage notebook with its public check cells, on your own machine.

    python check.py [NOTEBOOK]

Runs the code cells of the notebook as last saved (save it first), in order, in a separate
Python process, the way Jupyter runs them top to bottom, but without the cells that only
draw pictures or plot. Then it tells you which check cells pass and which fail, with their
messages, and which parts are still to write. Only Python's standard library is needed.

These are the notebook's public checks. When your instructor grades the notebook, more
checks run, with other inputs: passing these is a good sign, not a guarantee.

(This file is copied into each student release by course/release.py, as check.py.)
"""

import argparse
import ast
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# The course contract's tag and metadata key (autograder/contract.py), written out: this file
# runs alone on a student's machine. tests/test_contract.py checks that they agree.
DEMO_TAG = "demo"
METADATA_KEY = "micrograd_course"
TIMEOUT_SECONDS = 300

# Runs in the separate process: each cell in one namespace; a cell that raises does not stop
# the cells after it. One JSON line per cell, written as soon as the cell ends.
RUNNER = r"""
import json, sys, traceback
cells = json.load(open(sys.argv[1], encoding="utf-8"))
report = open(sys.argv[2], "w", encoding="utf-8", buffering=1)
namespace = {"__name__": "__main__"}
for cell in cells:
    name = "<cell %d>" % cell["number"]
    try:
        exec(compile(cell["source"], name, "exec"), namespace)
        report.write(json.dumps({"number": cell["number"], "ok": True}) + "\n")
    except BaseException as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        line = next((f.lineno for f in reversed(frames) if f.filename == name), None)
        report.write(json.dumps({"number": cell["number"], "ok": False,
                                 "error": type(exc).__name__, "message": str(exc),
                                 "line": line}) + "\n")
"""


def find_notebook(folder="."):
    found = sorted(Path(folder).glob("stage*.ipynb"))
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise SystemExit(f"Name the notebook to check (stage notebooks here: {names}), "
                         "for example: python check.py stage1_local_derivatives.ipynb")
    return found[0]


def plain_python(source):
    """IPython's %magics and !shell lines do nothing here."""
    lines = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[:len(line) - len(stripped)] + "pass  # " + stripped
        lines.append(line)
    return "\n".join(lines)


def read_cells(path):
    """[{number, source, check, title}] for the code cells that run here."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {})
        if DEMO_TAG in meta.get("tags", []):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        nbgrader = meta.get("nbgrader", {})
        check = bool(nbgrader.get("grade")) and not nbgrader.get("solution")
        cells.append({"number": number, "source": plain_python(source), "check": check,
                      "title": _first_comment(source) or nbgrader.get("grade_id", "")})
    return nb.get("metadata", {}).get(METADATA_KEY, {}), cells


def _first_comment(source):
    for line in source.split("\n"):
        if line.strip().startswith("#"):
            return line.strip().lstrip("#").strip()
    return ""


def stubs(cells):
    """The messages of the `raise NotImplementedError("...")` still in the code: what is left."""
    found = []
    for cell in cells:
        try:
            tree = ast.parse(cell["source"])
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and getattr(node.exc.func, "id", "") == "NotImplementedError":
                args = node.exc.args
                text = args[0].value if args and isinstance(args[0], ast.Constant) else \
                    f"cell {cell['number']}, line {node.lineno}"
                if text not in found:
                    found.append(text)
    return found


def run_cells(path, cells, timeout=TIMEOUT_SECONDS):
    """{cell number: outcome} from running the cells in a separate process; a cell that did
    not finish in time has the outcome {"ok": False, "error": "timeout"}."""
    with tempfile.TemporaryDirectory(prefix="micrograd-check-") as folder:
        given, report = Path(folder) / "cells.json", Path(folder) / "report.jsonl"
        given.write_text(json.dumps(cells), encoding="utf-8")
        report.touch()
        try:
            subprocess.run([sys.executable, "-c", RUNNER, str(given), str(report)],
                           cwd=Path(path).resolve().parent, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        outcomes = {}
        for line in report.read_text(encoding="utf-8").splitlines():
            try:
                outcome = json.loads(line)
            except ValueError:
                continue
            outcomes[outcome["number"]] = outcome
    for cell in cells:
        if cell["number"] not in outcomes:
            outcomes[cell["number"]] = {"ok": False, "error": "timeout", "message": (
                f"did not finish within {timeout} seconds (or Python stopped there): "
                "look for a loop that never ends")}
            break
    return outcomes


def describe(outcome):
    where = f" (line {outcome['line']})" if outcome.get("line") else ""
    message = f": {outcome['message']}" if outcome.get("message") else ""
    return f"{outcome['error']}{where}{message}"


def check(path, timeout=TIMEOUT_SECONDS):
    """Print the report; return the number of public checks that do not pass."""
    meta, cells = read_cells(path)
    outcomes = run_cells(path, cells, timeout)
    title = f", stage {meta['stage']}: {meta.get('title', '')}" if meta.get("stage") else ""
    checks = [c for c in cells if c["check"]]
    passed = [c for c in checks if outcomes.get(c["number"], {}).get("ok")]
    print(f"Self-check of {Path(path).name} as last saved{title}")
    print(f"Public checks: {len(passed)} of {len(checks)} pass.")
    print()
    for cell in checks:
        outcome = outcomes.get(cell["number"])
        label = f"cell {cell['number']}: {cell['title']}"
        if outcome is None:
            print(f"  NOT RUN  {label}  (an earlier cell did not finish)")
        elif outcome["ok"]:
            print(f"  PASS     {label}")
        elif outcome["error"] == "NotImplementedError":
            print(f"  TODO     {label}\n           not implemented yet: {outcome['message']}")
        else:
            print(f"  FAIL     {label}\n           {describe(outcome)}")
    others = [(c, outcomes[c["number"]]) for c in cells
              if not c["check"] and c["number"] in outcomes and not outcomes[c["number"]]["ok"]]
    if others:
        print("\nOther cells that raised an error (a check after them may fail because of it):")
        for cell, outcome in others:
            print(f"  cell {cell['number']}: {describe(outcome)}")
    left = stubs(cells)
    if left:
        print("\nNot implemented yet (replace each `raise NotImplementedError` with your code):")
        for text in left:
            print(f"  - {text}")
    print("\nThese are the notebook's public checks. Your instructor's grader runs more checks, "
          "with other inputs.")
    return len(checks) - len(passed)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python check.py",
                                     description="Check your stage notebook with its public checks.")
    parser.add_argument("notebook", nargs="?", help="your saved stage notebook (default: the "
                                                    "one stage*.ipynb in this folder)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS,
                        help=f"seconds for the whole run (default {TIMEOUT_SECONDS})")
    args = parser.parse_args(argv)
    path = Path(args.notebook) if args.notebook else find_notebook()
    if not path.exists():
        raise SystemExit(f"There is no file {path}.")
    return 1 if check(path, args.timeout) else 0


if __name__ == "__main__":
    sys.exit(main())
