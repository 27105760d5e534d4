"""Grade a folder of submissions in parallel: results, feedback, gradebook, class report.

    python -m autograder grade FOLDER --out OUTDIR [--jobs N] [--regrade]

A supervisor (this process) keeps N judge processes busy (`python -m autograder.judge`),
each grading one submission at a time in its own worker. Nothing of a student's runs in the
supervisor or in a judge; but a hostile submission can still signal the judge that started
its worker, so a judge that dies or stops answering costs only the submission it was
grading: that one gets a zero with an explanation and a fresh judge takes over.
"""

import hashlib
import json
import os
import secrets
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import feedback, render, report, sandbox
from .limits import Limits
from .channel import Closed, LineReader, LineTooLong
from .loader import MAX_FILE_BYTES, submission_id
from .results import GradebookRow, SubmissionResult

SKIP = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
CACHE = ".grading-cache.json"
JUDGE_KILLED = ("The grader process handling this submission was killed while it ran "
                "(the code signalled or stopped its parent process). Nothing was graded.")
GRADER_FAILED = ("The grader failed on this submission (a bug in the grader, not in the "
                 "submission); the details are in grader.log. Nothing was graded.")
JUDGE_STUCK = ("The grader process handling this submission stopped answering, so it was "
               "stopped. Nothing was graded.")


# -- what is a submission in FOLDER -----------------------------------------------------------

def discover(folder, out=None):
    """[(id, path)]: every entry of FOLDER; nbgrader's submitted/<student>/<assignment>/ too."""
    folder = Path(folder)
    out = Path(out).resolve() if out else None
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIP or entry.resolve() == out:
            continue
        if entry.is_dir() and _is_nbgrader_student(entry):
            for assignment in sorted(p for p in entry.iterdir() if p.is_dir() and p.name not in SKIP
                                     and not p.name.startswith(".")):
                found.append((f"{entry.name}/{assignment.name}", assignment))
        elif entry.is_dir() or entry.suffix.lower() in (".py", ".ipynb", ".zip"):
            found.append((submission_id(entry), entry))
    return found


def _is_nbgrader_student(folder):
    """A student's folder in nbgrader's layout holds assignment folders, not code files."""
    children = [p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in SKIP]
    return bool(children) and all(p.is_dir() for p in children) and any(
        q.suffix == ".ipynb" for p in children for q in p.iterdir())


def content_digest(path):
    """A hash of what a submission holds, so an unchanged one is not graded again."""
    h = hashlib.sha256()
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode())
        size = p.stat().st_size
        h.update(str(size).encode())
        if size <= MAX_FILE_BYTES:
            h.update(p.read_bytes())
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
        """Hand over one submission; False when the judge can no longer take it."""
        self.task, self.deadline = task, time.monotonic() + seconds
        return self._send({"id": task[0], "path": str(task[1])})

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

    chosen, _ = choose_stages(load_submission(task[1]), stages)
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
    allowance = limits.load_seconds + limits.submission_seconds + 30

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

def grade_folder(folder, out, jobs=None, limits=None, stages=None, seed=None, regrade=False,
                 progress=True, level=None):
    limits = limits or Limits()
    seed = seed if seed is not None else secrets.randbits(32)
    jobs = jobs or os.cpu_count() or 1
    level = level or sandbox.choose("auto")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = discover(folder, out)
    fingerprint = grader_fingerprint(limits, [stages, level])
    cache = _read_cache(out, fingerprint) if not regrade else {}
    records, todo = {}, []
    for sid, path in entries:
        digest = content_digest(path)
        cached = cache.get(sid)
        if cached and cached["digest"] == digest and (out / sid / "results.json").exists():
            records[sid] = cached["record"]
        else:
            todo.append((sid, path, digest))

    from tqdm import tqdm

    if todo:
        # matplotlib takes half a second to import: do it while the judges grade, so that
        # the class report is written sooner once the last submission is done
        threading.Thread(target=report.load_plotting, daemon=True).start()
    bar = tqdm(total=len(todo), unit="submission", desc="grading", file=sys.stderr,
               disable=not progress or not todo, dynamic_ncols=True)
    digests = {sid: d for sid, _, d in todo}

    def on_result(task, record):
        if "checks" not in record:
            record = _failed_record(task, GRADER_FAILED, stages, "grader_error")
        record["id"] = task[0]
        records[task[0]] = record
        write_submission(out, SubmissionResult.from_record(record))
        cache[task[0]] = {"digest": digests[task[0]], "record": record}
        bar.update(1)

    with open(out / "grader.log", "ab") as log:
        run_judges([(sid, path) for sid, path, _ in todo], jobs, limits, seed, stages, level, log,
                   on_result)
    bar.close()
    _write_cache(out, fingerprint, {sid: cache[sid] for sid, _ in entries if sid in cache})
    ordered = [SubmissionResult.from_record(records[sid]) for sid, _ in entries if sid in records]
    write_gradebook(out / "gradebook.csv", ordered)
    report.write_report(out / "report.html", ordered)
    return ordered, len(todo)


def write_submission(out, result):
    folder = out / result.id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    (folder / "feedback.md").write_text(feedback.markdown(result))


def write_gradebook(path, results):
    """gradebook.csv: one row per result."""
    render.write_gradebook_csv(path, [GradebookRow.of(r) for r in results])


def _read_cache(out, fingerprint):
    try:
        data = json.loads((out / CACHE).read_text())
    except (OSError, ValueError):
        return {}
    return data.get("entries", {}) if data.get("grader") == fingerprint else {}


def _write_cache(out, fingerprint, entries):
    (out / CACHE).write_text(json.dumps({"grader": fingerprint, "entries": entries}))


def gradebook_table(results):
    """The gradebook as aligned text, for the terminal."""
    return render.gradebook_table([GradebookRow.of(r) for r in results])
