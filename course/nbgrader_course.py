"""Run the course in nbgrader, with the course's own judge behind nbgrader's scores.

    python -m course.nbgrader_course build [COURSE] [--solutions solutions]
    python -m course.nbgrader_course crosscheck [COURSE] [--out DIR] [--grades CSV]
    python -m course.nbgrader_course leaks [COURSE]

`build` lays out an nbgrader course folder (default nbgrader-course/):

  nbgrader_config.py           the settings below; written once, then left to the instructor
  source/stageN/<notebook>     each solution notebook of solutions/, made for nbgrader:
                               - its public check cells become locked cells that grade nothing
                                 (their hidden-test regions removed: the judge's suite replaces
                                 them), so nbgrader's total is the points table's;
                               - one graded cell per check of the stage in autograder/checks.py
                                 (grade_id stageN-check-<id with - for .>, the table's points),
                                 whose hidden test asks the judge (autograder/nbgrader_bridge.py)
  source/stageN/picture.py     the graph-picture helper the notebooks import

The grade_id cannot be the check id itself: nbgrader's manual-grading page looks each cell
up with the jQuery selector "#" + grade_id, and a dot there means a CSS class.

nbgrader_config.py makes `nbgrader generate_assignment` write the course's stubs (the same
"Stage N (title): ..., not written yet" as assignments/), gives each cell enough time for
the judge, and makes `nbgrader generate_feedback` hide the hidden tests: their source and
the tracebacks that would quote it (nbgrader issues #917 and #1363).

`crosscheck` grades nbgrader's submitted/ folder again with `python -m autograder grade`,
outside any Jupyter kernel, compares every student's score on every stage with nbgrader's
exported grades, and flags every nbgrader score that is higher than the judge's: code that
runs in the kernel can tamper with the graded cells, code that the judge runs cannot. It
also checks that no feedback file shows hidden-test source. Exit status 1 when something
is flagged.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.checks import TABLE, stage_points
from autograder.contract import BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, METADATA_KEY
from autograder.nbgrader_bridge import bridge_cell_source
from autograder.text import points
from course.generate import StageStubs

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO_ROOT / "solutions"
PICTURE = SOLUTIONS / "picture.py"
DEFAULT_COURSE = Path("nbgrader-course")
# Text that only a hidden test holds: none of it may reach a student's feedback.
HIDDEN_MARKERS = (BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
HIDDEN_CALL = re.compile(r'expect_check\(\s*["\']\d+\.\d+["\']\s*\)')
CELL_SECONDS = 120     # the first graded cell of a notebook waits for a whole grading run

CONFIG = f'''"""nbgrader settings of the micrograd course (written by `python -m course.nbgrader_course build`).

Run nbgrader from this folder with the course's Python (the repository's .venv), so that
the graded cells can import the grader: `../.venv/bin/nbgrader ...` or `make nbgrader`.
"""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput, ComputeChecksums,
    GetGrades, IncludeHeaderFooter, InstantiateTests, LockCells, SaveCells)

from course.nbgrader_course import CourseStubs, HideHiddenTests

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "micrograd"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# Add your students here or with `nbgrader db student add ID`; autograde adds unknown ones.
# c.CourseDirectory.db_students = [dict(id="alice", first_name="Alice", last_name="Liddell")]

# Each graded cell asks the course's judge; the first one of a notebook waits while the
# judge grades the whole notebook in a separate process (about a second, {CELL_SECONDS} s at most).
c.Execute.timeout = {CELL_SECONDS}

# nbgrader's default steps, with the course's stubs in place of ClearSolutions: students get
# `raise NotImplementedError("Stage N (title): <where>, not written yet")`, as in assignments/.
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, CourseStubs, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme,
    ComputeChecksums, CheckCellMetadata,
]

# Feedback shows no hidden test: not its source, not a traceback that quotes it.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
'''


class CourseError(Exception):
    """Something the instructor must fix; the command prints it without a traceback."""


# -- nbgrader steps, named in nbgrader_config.py ------------------------------------------------

class CourseStubs(StageStubs):
    """The course generator's stubs, as a step of `nbgrader generate_assignment`."""

    def preprocess(self, nb, resources):
        meta = nb.metadata.get(METADATA_KEY, {})
        nbgrader = resources.get("nbgrader", {})
        resources["course_stage"] = meta.get("stage", "?")
        resources["course_title"] = meta.get("title", nbgrader.get("assignment", ""))
        resources["course_path"] = f"source/{nbgrader.get('assignment', '?')}/" \
                                   f"{nbgrader.get('notebook', 'notebook')}.ipynb"
        return super().preprocess(nb, resources)


class HideHiddenTests(NbGraderPreprocessor):
    """For the feedback: take the hidden-test regions out of every cell, and give the graded
    cells' errors as one line (`AssertionError: <message>`) instead of a traceback, which
    would quote the hidden test's source."""

    def preprocess_cell(self, cell, resources, cell_index):
        hidden = hidden_lines(cell.source)
        cell.source = without_hidden(cell.source)
        graded = cell.cell_type == "code" and nbgrader_utils.is_grade(cell)
        for output in cell.get("outputs", []):
            if output.output_type == "error" and (graded or _quotes(output.traceback, hidden)):
                output.traceback = [f"{output.ename}: {output.evalue}"]
            elif output.output_type == "stream" and hidden:
                output.text = _drop_lines(output.text, hidden)
            elif output.output_type in ("execute_result", "display_data") and hidden:
                for mime, value in output.get("data", {}).items():
                    if isinstance(value, str):
                        output.data[mime] = _drop_lines(value, hidden)
        return cell, resources


def hidden_lines(source):
    """The non-blank lines inside hidden-test regions, markers included."""
    lines, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN_TESTS in line:
            inside = True
        if inside and line.strip():
            lines.append(line.strip())
        if END_HIDDEN_TESTS in line:
            inside = False
    return lines


def without_hidden(source):
    """The source with its hidden-test regions (markers included) removed."""
    kept, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN_TESTS in line:
            inside = True
        elif END_HIDDEN_TESTS in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept).rstrip()


def _quotes(traceback, hidden):
    text = _strip_ansi("\n".join(traceback))
    return any(line in text for line in hidden) or shows_hidden(text) is not None


def shows_hidden(text):
    """The hidden-test text that `text` shows (a marker or a bridge call), or None."""
    for marker in HIDDEN_MARKERS:
        if marker in text:
            return marker
    found = HIDDEN_CALL.search(text)
    return found.group(0) if found else None


def _drop_lines(text, hidden):
    return "\n".join(line for line in text.split("\n")
                     if not any(h in _strip_ansi(line) for h in hidden))


def _strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# -- build: solutions/ -> COURSE/source/stageN/ -----------------------------------------------

def grade_id_for(check_id):
    stage, number = check_id.split(".")
    return f"stage{stage}-check-{stage}-{number}"


def course_notebook(nb):
    """A solution notebook made for nbgrader: public checks locked and ungraded, then one graded
    cell per check of the stage."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    stage = nb.metadata[METADATA_KEY]["stage"]
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type == "code" and meta and meta.get("grade") and not meta.get("solution"):
            cell.source = without_hidden(cell.source)
            meta.update(grade=False, locked=True)
            meta.pop("points", None)
    checks = [c for c in TABLE if c.stage == stage]
    nb.cells.append(nbformat.v4.new_markdown_cell(
        f"## Graded checks\n\nThe grader fills in the {len(checks)} cells below when it grades "
        f"your notebook: it runs your code in a separate process and checks it with inputs you "
        f"have not seen. Stage {stage} is worth {stage_points(stage)} points. To see how you "
        f"are doing before you hand in, run the check cells above.",
        id=f"stage{stage}-graded-checks", metadata={}))
    taken = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
    for check in checks:
        gid = grade_id_for(check.id)
        if gid in taken:
            raise CourseError(f"grade_id {gid} is already used in the stage {stage} notebook")
        comment = f"{check.id} {check.name} ({check.points} points): {check.description}"
        cell = nbformat.v4.new_code_cell(bridge_cell_source(check.id, _wrap(comment)), id=gid)
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": gid, "locked": True,
                                     "points": check.points, "schema_version": 3,
                                     "solution": False, "task": False}
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def _wrap(text, width=88):
    import textwrap

    return "\n".join(textwrap.wrap(text, width - 2))


def build(course=DEFAULT_COURSE, solutions=SOLUTIONS):
    """Write COURSE/source/stageN/ and, if missing, COURSE/nbgrader_config.py; return what was
    written, as lines to print."""
    course, solutions = Path(course), Path(solutions)
    paths = sorted(solutions.glob("stage*.ipynb"))
    if not paths:
        raise CourseError(f"{solutions}: no stage notebooks (stage*.ipynb) to build from")
    said = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get(METADATA_KEY)
        if not isinstance(meta, dict) or not isinstance(meta.get("stage"), int):
            raise CourseError(f'{path}: the notebook metadata needs "{METADATA_KEY}": {{"stage": N}}')
        stage = meta["stage"]
        folder = course / "source" / f"stage{stage}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(course_notebook(nb), folder / path.name)
        shutil.copyfile(PICTURE, folder / "picture.py")
        count = sum(1 for c in TABLE if c.stage == stage)
        said.append(f"source/stage{stage}/{path.name}: {count} graded cells, "
                    f"{stage_points(stage)} points")
    config = course / "nbgrader_config.py"
    if config.exists():
        said.append(f"{config} exists: left as it is")
    else:
        config.write_text(CONFIG)
        said.append(f"wrote {config}")
    return said


# -- crosscheck: the judge against nbgrader's gradebook ---------------------------------------

def nbgrader_command():
    """nbgrader, run by this Python (the kernels and the config need the course's packages)."""
    return [sys.executable, "-m", "nbgrader"]


def nbgrader_env():
    """The environment for nbgrader: this Python's bin folder first on PATH, where nbgrader
    finds the `alembic` program that sets up its gradebook."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def export_grades(course, dest):
    """`nbgrader export` into dest; returns dest."""
    run = subprocess.run(nbgrader_command() + ["export", f"--to={Path(dest).resolve()}"],
                         cwd=course, capture_output=True, text=True, env=nbgrader_env())
    if run.returncode != 0:
        raise CourseError(f"nbgrader export failed:\n{run.stderr.strip()}")
    return dest


def read_nbgrader_grades(csv_path):
    """{(student, assignment): raw score} from an `nbgrader export` CSV (which lists every
    student for every assignment, with 0 where nothing was submitted or autograded)."""
    grades = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            grades[(row["student_id"], row["assignment"])] = _number(row.get("raw_score")) or 0.0
    return grades


def read_judge_grades(gradebook_csv):
    """{(student, assignment): score} from `python -m autograder grade --out`'s gradebook.csv:
    one row per student, a column per stage; this course's assignment of stage N is `stageN`.
    A stage not handed in ("not submitted") is left out."""
    grades = {}
    with open(gradebook_csv, newline="") as f:
        for row in csv.DictReader(f):
            for column, cell in row.items():
                if re.fullmatch(r"stage\d", column or "") and _number(cell) is not None:
                    grades[(row["id"], column)] = _number(cell)
    return grades


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def compare(nbgrader, judge, tolerance=1e-6):
    """Rows (student, assignment, nbgrader score, judge score, verdict), and the flagged ones:
    every submission the judge graded, and every nbgrader score above 0 it did not."""
    rows, flagged = [], []
    keys = set(judge) | {key for key, score in nbgrader.items() if score > 0}
    for key in sorted(keys):
        ours, theirs = judge.get(key), nbgrader.get(key)
        if ours is None:
            verdict = "FLAGGED: a score in nbgrader, but no submission in submitted/"
            flagged.append(key)
        elif theirs is None:
            verdict = "not in nbgrader's gradebook (not autograded yet?)"
        elif theirs > ours + tolerance:
            verdict = "FLAGGED: nbgrader gives more than the judge"
            flagged.append(key)
        elif theirs < ours - tolerance:
            verdict = "nbgrader gives less (not autograded yet? a cell's stderr output or timeout?)"
        else:
            verdict = "agree"
        rows.append((*key, theirs, ours, verdict))
    return rows, flagged


def html_text(page):
    """What a reader sees of an HTML page: tags removed (syntax highlighting splits code into
    many tags), entities decoded."""
    import html

    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def leaks(course):
    """Feedback files that show hidden-test text: [(path, what they show)]."""
    found = []
    for path in sorted(Path(course, "feedback").rglob("*.html")):
        shown = shows_hidden(html_text(path.read_text(encoding="utf-8", errors="replace")))
        if shown:
            found.append((path, shown))
    return found


def crosscheck(course, out=None, grades_csv=None, jobs=None, sandbox="auto"):
    """Grade COURSE/submitted with the judge and compare; returns (rows, flagged, leaked)."""
    course = Path(course).resolve()
    submitted = course / "submitted"
    if not submitted.is_dir():
        raise CourseError(f"{submitted} does not exist: collect the submissions first")
    out = Path(out).resolve() if out else course / "crosscheck"
    command = [sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
               "--sandbox", sandbox]
    if jobs:
        command += ["--jobs", str(jobs)]
    run = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        raise CourseError(f"the judge failed:\n{run.stderr.strip()}")
    if grades_csv is None:  # the gradebook as nbgrader exports it
        out.mkdir(parents=True, exist_ok=True)
        grades_csv = export_grades(course, out / "nbgrader_grades.csv")
    rows, flagged = compare(read_nbgrader_grades(grades_csv), read_judge_grades(out / "gradebook.csv"))
    with open(out / "crosscheck.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "nbgrader", "judge", "verdict"])
        writer.writerows(rows)
    return rows, flagged, leaks(course)


def _pts(x):
    return "-" if x is None else points(x)


def crosscheck_report(rows, flagged, leaked, out):
    header = ("student", "assignment", "nbgrader", "judge", "verdict")
    table = [header] + [(s, a, _pts(n), _pts(j), v) for s, a, n, j, v in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table]
    lines.append("")
    if flagged:
        lines.append(f"{len(flagged)} submission(s) score higher in nbgrader than with the judge: "
                     "their code may have tampered with the graded cells in the kernel. Use the "
                     "judge's score, and read the notebook:")
        lines += [f"  {s}/{a}: submitted/{s}/{a}/" for s, a in flagged]
    else:
        lines.append("No nbgrader score is higher than the judge's.")
    if leaked:
        lines.append("Feedback that shows hidden-test text (do not release it):")
        lines += [f"  {path} (contains {marker!r})" for path, marker in leaked]
    lines.append(f"Details: {out}/crosscheck.csv; the judge's feedback: {out}/<student>/feedback.md")
    return "\n".join(lines)


# -- command line -------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course.nbgrader_course",
                                     description="Run the course in nbgrader, with the course's judge.")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="lay out an nbgrader course folder from solutions/")
    b.add_argument("course", nargs="?", default=DEFAULT_COURSE, type=Path)
    b.add_argument("--solutions", default=SOLUTIONS, type=Path)
    x = commands.add_parser("crosscheck", help="grade submitted/ with the judge; flag nbgrader "
                                               "scores higher than the judge's")
    x.add_argument("course", nargs="?", type=Path,
                   help="the course folder (default: this folder if it holds nbgrader_config.py, "
                        "else nbgrader-course)")
    x.add_argument("--out", type=Path, help="where the judge writes (default COURSE/crosscheck)")
    x.add_argument("--grades", type=Path, help="an `nbgrader export` CSV (default: export now)")
    x.add_argument("--jobs", type=int)
    x.add_argument("--sandbox", default="auto")
    lk = commands.add_parser("leaks", help="list feedback files that show hidden-test text")
    lk.add_argument("course", nargs="?", type=Path)
    args = parser.parse_args(argv)
    if args.command != "build" and args.course is None:
        args.course = Path(".") if Path("nbgrader_config.py").exists() else DEFAULT_COURSE
    try:
        if args.command == "build":
            for line in build(args.course, args.solutions):
                print(line)
            print(f"Next: cd {args.course} && source {Path(sys.executable).parent}/activate "
                  "&& nbgrader generate_assignment stage1")
            return 0
        if args.command == "leaks":
            found = leaks(args.course)
            for path, marker in found:
                print(f"{path}: shows {marker!r}")
            print(f"{len(found)} feedback file(s) show hidden-test text.")
            return 1 if found else 0
        rows, flagged, leaked = crosscheck(args.course, args.out, args.grades, args.jobs, args.sandbox)
        print(crosscheck_report(rows, flagged, leaked, args.out or args.course / "crosscheck"))
        return 1 if flagged or leaked else 0
    except CourseError as err:
        print(f"course.nbgrader_course: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
