"""A class is a set of students, each with up to five stages: who handed in what.

How a folder of submissions becomes students (`discover`, then `assemble` once graded):

- nbgrader's layout, `submitted/<student>/<assignment>/`: each assignment folder is one
  submission of that student. Pointed at the course folder that holds `submitted/`, the
  grader grades `submitted/`.
- a flat folder whose names carry a student and a stage: `alice_stage1.ipynb`,
  `alice_stage2.zip`, a folder `alice_stage3/`, or a folder `alice/` that holds only stage
  files (`stage1….ipynb`, `stage2/`...). Everything of one student becomes one student.
- anything else is one student per entry, named after the entry (`guido.py`: guido).
- a folder that holds only stage files, given itself, is one student: `grade alice/ --out`.

The stage a name gives (`stageN` in the file, folder or assignment name) is the stage the
submission is graded on: the instructor's layout fixes it, not the file's content. Without
one, the grader reads a course notebook's own stage, or grades all five (or `--stage`).

Each student gets one id, unique in the class (`alice`, `alice (2)`: a second submission of
the same stage, or `alice.zip` beside `alice.py`, is set apart and reported), cleaned to be
one safe folder name: no path separator, no control character, no leading dot.
"""

import csv
import io
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .checks import TABLE, stage_points
from .contract import STAGES
from .loader import COURSE_HELPERS
from .results import SubmissionResult
from .text import clean

SKIP = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
SUFFIXES = (".py", ".ipynb", ".zip")
NBGRADER_MARKERS = ("nbgrader_config.py", "gradebook.db", "source", "release", "autograded")

_STAGE = "stage[ _-]?(" + "|".join(map(str, STAGES)) + ")(?![0-9])"
# `alice_stage1.ipynb`, `alice-stage2`, `Bob Stage 3.zip`: a student, then a stage
STUDENT_STAGE = re.compile(r"^(.+?)[ _.-]+" + _STAGE, re.IGNORECASE)
# `stage1_local_derivatives.ipynb`, `stage2/`: a stage file of one student's folder
STAGE_FIRST = re.compile("^" + _STAGE, re.IGNORECASE)
# an nbgrader assignment or notebook whose name says its stage: `stage1`, `micrograd-stage2`
STAGE_ANYWHERE = re.compile(r"(?:^|[^a-z0-9])" + _STAGE, re.IGNORECASE)

ID_BYTES = 200                   # a folder name holds at most 255 bytes; room for " (12)"


@dataclass(frozen=True)
class Submission:
    """One thing handed in, graded on its own: a file, a folder or a zip."""
    key: str                     # its path in the class folder: unique, names its cache entry
    path: Path
    student: str                 # the student it belongs to, as the layout names them
    stage: int | None            # the stage the layout gives it; None: the file decides
    merges: bool = True          # False: a student of its own (a name without a stage)


@dataclass
class Found:
    """What `discover` found in a class folder."""
    folder: Path                 # the folder graded (a course folder's submitted/)
    submissions: list
    note: str = ""               # how the folder was read, when it is not the obvious way


@dataclass
class Renamed:
    """A student set apart under a new id, because another one has their name."""
    id: str
    name: str
    files: list
    kept_by: list                # the files of the student who keeps the name


@dataclass
class Student:
    id: str
    result: SubmissionResult     # every stage handed in; no stages when nothing was
    submissions: list = field(default_factory=list)

    @property
    def handed_in(self):
        return bool(self.submissions)


@dataclass
class Assembled:
    students: list
    renamed: list
    not_on_roster: list          # ids of students who handed in but are not on the roster


# -- ids ---------------------------------------------------------------------------------------

def clean_id(name):
    """A name as one safe folder name and one clean line: control characters and terminal
    sequences removed, path separators replaced, no leading dot (so never `.` or `..`),
    at most ID_BYTES bytes; "unnamed" when nothing is left."""
    text = " ".join(clean(name, newlines=False).split())
    text = re.sub(r"[/\\]", "_", text).lstrip(". ")
    text = text.encode()[:ID_BYTES].decode(errors="ignore").rstrip()
    return text or "unnamed"


# The class's own outputs sit beside the students' folders in OUTDIR: no id may name one.
CLASS_OUTPUTS = ("gradebook.csv", "report.html", "grader.log", "crosscheck.csv")


class _Ids:
    """Hands out ids unique in the class, also where case does not count (macOS, Windows);
    the names of the class's outputs are taken from the start."""

    def __init__(self):
        self.taken = {name.casefold(): [] for name in CLASS_OUTPUTS}   # held by no file

    def owner(self, sid):
        return self.taken.get(sid.casefold())

    def give(self, base, owner):
        sid, n = base, 1
        while self.owner(sid) is not None:
            n += 1
            sid = f"{base} ({n})"
        self.taken[sid.casefold()] = owner
        return sid


# -- discovery ---------------------------------------------------------------------------------

def _entries(folder):
    """The visible entries of a folder, sorted, without following links: [(name, path, kind)],
    kind "dir", "file" or "other" (a link, a device: the loader refuses it with a reason)."""
    found = []
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.startswith(".") or entry.name in SKIP:
                continue
            if entry.is_symlink():
                kind = "other"
            elif entry.is_dir(follow_symlinks=False):
                kind = "dir"
            elif entry.is_file(follow_symlinks=False):
                kind = "file"
            else:
                kind = "other"
            found.append((entry.name, Path(entry.path), kind))
    return sorted(found)


def _is_code(name, kind):
    return kind == "dir" or name.lower().endswith(SUFFIXES) or kind == "other"


def _code_entries(folder):
    """The entries of a folder that could be handed-in work (no course helper, no notes)."""
    return [(n, p, k) for n, p, k in _entries(folder)
            if _is_code(n, k) and not (k == "file" and n in COURSE_HELPERS)]


def stage_files(folder):
    """[(name, path, stage)] when every entry of the folder is a stage file (`stage1….ipynb`,
    or a folder `stage2/` holding one): the folder is one student's. Empty otherwise: a
    folder `stage1/` holding several notebooks is a stage's folder of a whole class."""
    entries = _code_entries(folder)
    staged = [(n, p, STAGE_FIRST.match(n)) for n, p, _ in entries]
    if not staged or not all(m for _, _, m in staged):
        return []
    if any(k == "dir" and len(_code_entries(p)) > 1 for _, p, k in entries):
        return []
    return [(n, p, int(m.group(1))) for n, p, m in staged]


def _is_nbgrader_student(folder):
    """A student's folder in nbgrader's layout holds assignment folders, not code files."""
    children = _code_entries(folder)
    return bool(children) and all(k == "dir" for _, _, k in children) and any(
        _code_entries(p) for _, p, _ in children)


def _assignment_stage(name, path):
    """The stage of an nbgrader assignment: its name's, else its one notebook's name's."""
    m = STAGE_ANYWHERE.search(name)
    if m:
        return int(m.group(1))
    stages = {int(m.group(1)) for n, _, k in _code_entries(path) if k == "file"
              for m in [STAGE_ANYWHERE.search(n)] if m}
    return stages.pop() if len(stages) == 1 else None


def _course_folder(folder):
    """nbgrader's course folder: the submitted/ folder it holds, or None."""
    submitted = folder / "submitted"
    if not (submitted.is_dir() and not submitted.is_symlink()):
        return None
    if not any(k == "dir" and _is_nbgrader_student(p) for _, p, k in _entries(submitted)):
        return None
    others = [n for n, _, _ in _entries(folder) if n != "submitted"]
    if others and not any((folder / marker).exists() for marker in NBGRADER_MARKERS):
        return None
    return submitted


def discover(folder, out=None, stages=None):
    """Every submission of the class folder, with the student and stage its layout gives.
    With `stages` (--stage), a submission whose layout gives another stage is left out."""
    folder = Path(folder)
    out = Path(out).resolve() if out else None
    note = ""
    submitted = _course_folder(folder)
    if submitted is not None:
        folder, note = submitted, f"nbgrader's course folder: grading {submitted}"
    found = []

    def add(key, path, student, stage, merges=True):
        if stages and stage is not None and stage not in stages:
            return
        found.append(Submission(key, path, student, stage, merges))

    own = stage_files(folder) if submitted is None else []
    if own:     # one student's folder, given itself
        name = folder.resolve().name
        for n, p, stage in own:
            add(n, p, name, stage)
        return Found(folder, found, f"one student's stage files: {name}")
    for name, path, kind in _entries(folder):
        if out is not None and path.resolve() == out:
            continue
        if not _is_code(name, kind):
            continue
        named = STUDENT_STAGE.match(name)
        if kind == "dir" and not named and _is_nbgrader_student(path):
            for assignment, apath, akind in _code_entries(path):
                add(f"{name}/{assignment}", apath, name, _assignment_stage(assignment, apath))
            continue
        if named:
            add(name, path, named.group(1), int(named.group(2)))
            continue
        files = stage_files(path) if kind == "dir" else []
        if files:
            for n, p, stage in files:
                add(f"{name}/{n}", p, name, stage)
            continue
        student = name
        if kind != "dir":
            for suffix in SUFFIXES:
                if name.lower().endswith(suffix):
                    student = name[:-len(suffix)]
        stage = STAGE_FIRST.match(name)     # an assignment notebook handed in as it is named
        add(name, path, student, int(stage.group(1)) if stage else None, merges=False)
    return Found(folder, found, note)


# -- students ------------------------------------------------------------------------------------

def assemble(found, results, roster=None):
    """The class's students from the graded submissions ({key: SubmissionResult}), with the
    roster's students who handed in nothing. A student keeps one submission per stage: one
    that repeats a stage already handed in is set apart as a student of its own, under a
    new id (`alice (2)`), and so is an entry whose id another student already has."""
    groups = {}
    for sub in found.submissions:
        if sub.key in results:
            group = ("name", sub.student) if sub.merges else ("entry", sub.key)
            groups.setdefault(group, []).append(sub)
    candidates = []     # (name, [submission]); a student set apart comes right after its own
    for group, subs in groups.items():
        kept, taken = [], set()
        apart = []
        for sub in subs:
            stages = set(results[sub.key].stages)
            if stages & taken:
                apart.append([sub])
            else:
                kept.append(sub)
                taken |= stages
        candidates.append((subs[0].student, kept))
        candidates += [(subs[0].student, extra) for extra in apart]

    ids, students, renamed = _Ids(), [], []
    for name, subs in candidates:
        base = clean_id(name)
        holder = ids.owner(base)
        sid = ids.give(base, subs)
        if sid != base:
            renamed.append(Renamed(sid, base, [s.key for s in subs], [s.key for s in holder]))
        students.append(Student(sid, merge(sid, [(s, results[s.key]) for s in subs]), subs))

    not_on_roster = []
    if roster is not None:
        listed = {}
        for rid in roster:
            listed.setdefault(clean_id(rid).casefold(), rid)
        by_base = {}
        for st in students:
            by_base.setdefault(st.id.casefold(), st)
        ordered = []
        for key, rid in listed.items():
            st = by_base.get(key)
            if st is None:
                sid = ids.give(clean_id(rid), [])
                st = Student(sid, SubmissionResult(id=sid, stages=[]))
            ordered.append(st)
        renamed_ids = {r.id for r in renamed}
        placed = {id(st) for st in ordered}
        rest = [st for st in students if id(st) not in placed]
        not_on_roster = [st.id for st in rest if st.id not in renamed_ids]
        students = ordered + rest
    return Assembled(students, renamed, not_on_roster)


def merge(sid, graded):
    """One result for a student from the results of their submissions ([(Submission,
    SubmissionResult)], no stage twice): every stage, each with the notes of the file it was
    graded from, and which file that was."""
    if len(graded) == 1:
        return replace(graded[0][1], id=sid)
    order = {c.id: i for i, c in enumerate(TABLE)}
    result = SubmissionResult(id=sid, stages=sorted(s for _, r in graded for s in r.stages))
    for sub, r in graded:
        result.checks += r.checks
        first = min(r.stages)
        for stage in r.stages:
            result.sources[stage] = sub.key
            result.stage_notes[stage] = (list(r.notes) if stage == first else []) \
                + list(r.stage_notes.get(stage, []))
        result.output += r.output
        result.execution_time += r.execution_time
        result.sandbox = result.sandbox or r.sandbox
    result.checks.sort(key=lambda c: order.get(c.id, len(order)))
    result.stage_notes = {s: notes for s, notes in result.stage_notes.items() if notes}
    return result


def class_stages(results, chosen=None):
    """The stages the class is graded on: --stage, else every stage anyone was graded on."""
    if chosen:
        return sorted(set(chosen))
    return sorted({s for r in results for s in r.stages})


def class_max(stages):
    return sum(stage_points(s) for s in stages)


# -- the roster ----------------------------------------------------------------------------------

class RosterError(ValueError):
    pass


def read_roster(path):
    """Student ids from a roster: one id a line; a CSV with an `id` (or `student_id`)
    column, as `nbgrader db student import` takes and `nbgrader export` writes; or what
    `nbgrader db student list` prints. Duplicates once, in the roster's order."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"the roster {path} could not be read ({getattr(exc, 'strerror', None) or exc})")
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and re.match(r"There (is|are) \d+ students? in the database", lines[0]):
        # nbgrader db student list: "alice (Doe, Alice) -- alice@x.org, None"
        ids = [line.split(" (", 1)[0].strip() for line in lines[1:] if " (" in line]
    else:
        rows = list(csv.reader(io.StringIO("\n".join(lines))))
        header = [cell.strip().lower() for cell in rows[0]] if rows else []
        column = next((header.index(name) for name in ("id", "student_id") if name in header), None)
        if column is not None:
            ids = [row[column].strip() for row in rows[1:] if len(row) > column]
        else:
            ids = [line.strip() for line in lines if not line.lstrip().startswith("#")]
    ids = [i for i in dict.fromkeys(ids) if i]
    if not ids:
        raise RosterError(f"the roster {path} lists no student")
    return ids
