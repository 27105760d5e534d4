"""Grade a class folder in parallel: results, feedback, gradebook, class report.

    python -m autograder grade FOLDER --out OUTDIR [--jobs N] [--regrade] [--roster FILE]

students.py reads the folder as students and their submissions; each submission is graded
on its own (on the stage the folder's layout gives it), then each student's submissions
make one result: one row of the gradebook, one feedback.md with every stage handed in.

A supervisor (this process) keeps N judge processes busy (`python -m autograder.judge`),
each grading one submission at a time in its own worker. Nothing of a student's runs in the
supervisor or in a judge; but a hostile submission can still signal the judge that started
its worker, so a judge that dies or stops answering costs only the submission it was
grading: that one gets a zero with an explanation and a fresh judge takes over.

What it writes in OUTDIR: gradebook.csv, report.html, grader.log and .grading-cache.json
for the class; <id>/results.json and <id>/feedback.md for each student who handed something
in. A student's id is one clean folder name (students.clean_id) that is never the name of a
class output (students.CLASS_OUTPUTS are taken ids), so no id can name a class output or a
place outside OUTDIR.
"""

import hashlib
import json
import os
import secrets
import selectors
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import feedback, render, report, sandbox, students
from .limits import Limits
from .channel import Closed, LineReader, LineTooLong
from .loader import MAX_FILE_BYTES
from .results import GradebookRow, SubmissionResult

CACHE = ".grading-cache.json"
JUDGE_KILLED = ("The grader process handling this submission was killed while it ran "
                "(the code signalled or stopped its parent process). Nothing was graded.")
GRADER_FAILED = ("The grader failed on this submission (a bug in the grader, not in the "
                 "submission); the details are in grader.log. Nothing was graded.")
JUDGE_STUCK = ("The grader process handling this submission stopped answering, so it was "
               "stopped. Nothing was graded.")


# -- what is a submission, and has it changed ---------------------------------------------------

def discover(folder, out=None, stages=None):
    """students.discover: every submission of the class folder, with its student and stage."""
    return students.discover(folder, out, stages)


def content_digest(path):
    """A hash of what a submission holds, so an unchanged one is not graded again. Links are
    not followed (a link is hashed as the text of its target) and only regular files are
    read: nothing outside the submission is read, and no fifo can block."""
    h = hashlib.sha256()
    path = Path(path)

    def add(p, label):
        h.update(os.fsencode(label) + b"\0")
        try:
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                h.update(b"link " + os.fsencode(os.readlink(p)))
            elif not stat.S_ISREG(st.st_mode):
                h.update(f"special {stat.S_IFMT(st.st_mode)}".encode())
            else:
                h.update(str(st.st_size).encode())
                if st.st_size <= MAX_FILE_BYTES:
                    fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                    with os.fdopen(fd, "rb") as f:
                        h.update(f.read(MAX_FILE_BYTES + 1))
        except OSError as exc:
            h.update(f"unreadable {exc.errno}".encode())

    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):       # a link to a folder is not walked
            dirs.sort()
            linked = [d for d in dirs if os.path.islink(os.path.join(root, d))]
            for name in sorted(files + linked):
                p = os.path.join(root, name)
                add(p, os.path.relpath(p, path))
    else:
        add(path, path.name)
    return h.hexdigest()


def grader_fingerprint(limits, stages):
    """Results stay valid while the grader, its limits and the stage choice stay the same."""
    h = hashlib.sha256(json.dumps([limits.__dict__, stages]).encode())
    here = Path(__file__).parent
    for p in sorted(here.rglob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()


# -- the judges -------------------------------------------------------------------------------

MAX_RECORD_BYTES = 8_000_000    # a judge's record of one submission (results.json is ~50 kB)


class Judge:
    """One judge process (`python -m autograder.judge`) and the submission it is grading."""

    def __init__(self, settings, log):
        read_end, write_end = os.pipe()
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.judge", str(write_end)],
                                     stdin=subprocess.PIPE, stdout=log, stderr=log,
                                     pass_fds=(write_end,), start_new_session=True)
        os.close(write_end)
        self.records = LineReader(read_end, MAX_RECORD_BYTES)
        self.task, self.deadline = None, None
        self._send(settings)

    def give(self, task, seconds):
        """Hand over one submission (key, path, stages: None for the judge's own choice);
        False when the judge can no longer take it."""
        self.task, self.deadline = task, time.monotonic() + seconds
        return self._send({"id": task[0], "path": str(task[1]), "stages": task[2]})

    def _send(self, message):
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def kill(self):
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for closer in (self.proc.stdin.close, lambda: os.close(self.records.fd)):
            try:
                closer()
            except OSError:
                pass


def _failed_record(task, message, stages, kind="crashed"):
    """A zero for every check of the stages it would have been graded on, with the reason."""
    from .grade import choose_stages
    from .loader import load_submission

    chosen, _ = choose_stages(load_submission(task[1]), task[2] or stages)
    return SubmissionResult.not_graded(task[0], chosen, message, kind).to_record()


def run_judges(tasks, jobs, limits, seed, stages, level, log, on_result):
    """Keep `jobs` judges busy until every task has a record; call on_result(task, record).

    A judge ends each task in one of three ways: it answered (its record), it died (the
    submission killed it) or it stopped answering (past its allowance). Either of the last
    two costs only that submission: it gets a zero with the reason, and a fresh judge takes
    the next task.
    """
    from .judge import settings_message

    settings = settings_message(seed, stages, level, limits)
    queue = list(tasks)
    judges, sel = [], selectors.DefaultSelector()
    # a judge gets the submission's own limits, plus room to start and to load the suite
    allowance = limits.wall_seconds + 30

    def start_judge():
        judge = Judge(settings, log)
        sel.register(judge.records.fd, selectors.EVENT_READ, judge)
        judges.append(judge)
        feed(judge)

    def feed(judge):
        judge.task = None
        if queue and not judge.give(queue.pop(0), allowance):
            replace(judge, JUDGE_KILLED)

    def answered(judge, record):
        on_result(judge.task, record)
        feed(judge)

    def replace(judge, reason):
        """The judge died or is stuck: its task scores zero with the reason, and a fresh
        judge takes the next task."""
        if judge.task:
            on_result(judge.task, _failed_record(judge.task, reason, stages))
        sel.unregister(judge.records.fd)
        judges.remove(judge)
        judge.kill()
        if queue:
            start_judge()

    for _ in range(min(jobs, len(queue))):
        start_judge()
    while any(j.task for j in judges):
        for key, _ in sel.select(timeout=0.5):
            judge = key.data
            try:
                records = judge.records.available()
            except (Closed, LineTooLong):     # the judge died: its submission killed it
                replace(judge, JUDGE_KILLED)
                continue
            for record in records:
                if judge.task:
                    answered(judge, record)
        now = time.monotonic()
        for judge in [j for j in judges if j.task and now > j.deadline]:
            replace(judge, JUDGE_STUCK)
    for judge in list(judges):
        sel.unregister(judge.records.fd)
        judge.kill()


# -- the command ------------------------------------------------------------------------------

@dataclass
class ClassRun:
    """What grading a class folder made: its students and what to tell the instructor."""
    students: list                   # students.Student, in the gradebook's order
    stages: list                     # the class's stages
    graded: int                      # submissions graded this run (the others were unchanged)
    submissions: int                 # submissions in the folder
    renamed: list = field(default_factory=list)
    not_on_roster: list = field(default_factory=list)
    unwritten: list = field(default_factory=list)     # [(id, reason)]
    note: str = ""                   # how the folder was read (a course folder, one student)

    @property
    def results(self):
        return [st.result for st in self.students]


def grade_folder(folder, out, jobs=None, limits=None, stages=None, seed=None, regrade=False,
                 progress=True, level=None, roster=None):
    """Grade every submission of the class folder (the unchanged ones from the cache), make
    one result per student, write every output. roster: student ids (students.read_roster)."""
    limits = limits or Limits()
    seed = seed if seed is not None else secrets.randbits(32)
    jobs = jobs or os.cpu_count() or 1
    level = level or sandbox.choose("auto")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    found = discover(folder, out, stages)
    fingerprint = grader_fingerprint(limits, [stages, level])
    cache = _read_cache(out, fingerprint) if not regrade else {}
    records, todo, digests = {}, [], {}
    for sub in found.submissions:
        digests[sub.key] = content_digest(sub.path)
        task_stages = [sub.stage] if sub.stage else None
        cached = cache.get(sub.key)
        if cached and cached.get("digest") == digests[sub.key] and cached.get("stages") == task_stages:
            records[sub.key] = cached["record"]
        else:
            todo.append((sub.key, sub.path, task_stages))

    from tqdm import tqdm

    if todo:
        # matplotlib takes half a second to import: do it while the judges grade, so that
        # the class report is written sooner once the last submission is done
        threading.Thread(target=report.load_plotting, daemon=True).start()
    bar = tqdm(total=len(todo), unit="submission", desc="grading", file=sys.stderr,
               disable=not progress or not todo, dynamic_ncols=True)

    def on_result(task, record):
        if "checks" not in record:
            record = _failed_record(task, GRADER_FAILED, stages, "grader_error")
        record["id"] = task[0]
        records[task[0]] = record
        cache[task[0]] = {"digest": digests[task[0]], "stages": task[2], "record": record}
        bar.update(1)

    with open(out / "grader.log", "ab") as log:
        run_judges(todo, jobs, limits, seed, stages, level, log, on_result)
    bar.close()
    _write_cache(out, fingerprint, {sub.key: cache[sub.key] for sub in found.submissions
                                    if sub.key in cache})
    results = {key: SubmissionResult.from_record(record) for key, record in records.items()}
    made = students.assemble(found, results, roster)
    run = ClassRun(made.students, students.class_stages([st.result for st in made.students], stages),
                   len(todo), len(found.submissions), made.renamed, made.not_on_roster,
                   note=found.note)
    for student in run.students:
        if student.handed_in:
            try:
                write_student(out, student, run.stages)
            except OSError as exc:      # this student's files only: the class goes on
                run.unwritten.append((student.id, exc.strerror or str(exc)))
    write_gradebook(out / "gradebook.csv", run.results, run.stages)
    report.write_report(out / "report.html", run.results, stages=run.stages, renamed=run.renamed,
                        not_on_roster=run.not_on_roster, unwritten=run.unwritten)
    return run


def student_folder(out, sid):
    """OUTDIR/<id>/: the id is a clean folder name that names no class output
    (students.clean_id, students.CLASS_OUTPUTS)."""
    return Path(out) / sid


def write_student(out, student, class_stages=()):
    """<id>/results.json (every check of every stage handed in, Gradescope's format) and
    <id>/feedback.md; a file that would not change is not written."""
    folder = student_folder(out, student.id)
    folder.mkdir(parents=True, exist_ok=True)
    missing = [s for s in class_stages if s not in student.result.stages]
    _write_if_changed(folder / "results.json", json.dumps(student.result.to_json(), indent=2) + "\n")
    _write_if_changed(folder / "feedback.md", feedback.markdown(student.result, missing))


def _write_if_changed(path, text):
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    path.write_text(text, encoding="utf-8")


def write_gradebook(path, results, stages=None):
    """gradebook.csv: one row per student (one result each), out of the class's maximum."""
    stages = students.class_stages(results, stages)
    render.write_gradebook_csv(path, [GradebookRow.of(r, stages) for r in results])


def _read_cache(out, fingerprint):
    try:
        data = json.loads((out / CACHE).read_text())
    except (OSError, ValueError):
        return {}
    return data.get("entries", {}) if data.get("grader") == fingerprint else {}


def _write_cache(out, fingerprint, entries):
    (out / CACHE).write_text(json.dumps({"grader": fingerprint, "entries": entries}))


def gradebook_table(results, stages=None):
    """The gradebook as aligned text, for the terminal."""
    stages = students.class_stages(results, stages)
    return render.gradebook_table([GradebookRow.of(r, stages) for r in results])
