"""Running the grader's command line on many submissions, once per test session.

A test module describes its submissions as a set of Jobs and asks for all of their results at
once. The results of a set are computed once per session, even under pytest-xdist: the first
worker that asks grades the set while holding a lock, and stores the results in the session's
shared temporary folder, where the other worker reads them.

A grader process of its own costs a submission about a second of CPU (the interpreter,
pytest collecting the hidden suite, the reference's answers). A set whose tests read only
results.json is graded in batches instead (`grade_all(..., batch=True)`): its submissions go
into class folders, one per seed and options, each graded by one `grade FOLDER --out OUT`,
which pays those costs once per judge and then a fraction of a second per submission.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARALLEL = 2
SEED = 20240611          # the randomized checks' inputs, fixed so that the suite is repeatable


@dataclass
class Job:
    """One grader run: `build(folder)` writes the submission into folder and returns its path."""
    name: str
    build: object
    args: tuple = ()
    seed: int | None = SEED
    tag: str = ""        # the process name the submission gives itself (see tag_snippet)
    alone: bool = False  # graded by a process of its own even in a batched set: its test
                         # reads what that process printed


@dataclass
class Graded:
    name: str
    returncode: int
    seconds: float | None         # None when graded in a batch (the batch's time is shared)
    results: dict | None          # results.json, or None when the grader wrote none
    stdout: str                   # in a batch: the student's feedback.md
    stderr: str                   # in a batch: the batch's, with its grader.log
    seen: list = field(default_factory=list)       # PIDs of the submission's processes
    running: list = field(default_factory=list)    # those still running after the grader ended
    error: str = ""                                # why the submission could not be built

    @property
    def score(self):
        return self.results["score"]

    def tests(self, stage=None):
        return [t for t in self.results["tests"] if stage is None or f"stage{stage}" in t["tags"]]

    def stage_score(self, stage):
        return sum(t["score"] for t in self.tests(stage))

    def stage_max(self, stage):
        return sum(t["max_score"] for t in self.tests(stage))

    def failed(self, stage=None):
        return [t for t in self.tests(stage) if t["status"] == "failed"]

    def outputs(self):
        """Every text a student reads in results.json."""
        return [self.results["output"]] + [t["output"] for t in self.results["tests"]]


def grade_command(path, json_path, *args, seed=SEED):
    command = [sys.executable, "-m", "autograder", "grade", str(path), "--json", str(json_path)]
    if seed is not None:
        command += ["--seed", str(seed)]
    return command + [str(a) for a in args]


def run_cli(*args, timeout=120):
    """The grader's command line, from the repository root, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------------------
# Finding a submission's processes
#
# The worker may run in a PID namespace that shows only a tmpfs and its own folder (the
# bubblewrap sandbox), so a submission cannot tell us its PID or write it anywhere we can
# read. It can rename its own process, though (prctl PR_SET_NAME, 15 characters), and that
# name is visible in /proc from outside the sandbox, whatever the sandbox level.
# --------------------------------------------------------------------------------------

def tag_snippet(tag):
    """Code that names the process running it `tag` (inherited by any process it forks)."""
    assert len(tag) <= 15
    return f"open('/proc/self/comm', 'w').write({tag!r})  # the process's name\n"


def processes_named(tag):
    """PIDs of the live (not zombie) processes named tag."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if Path(entry.path, "comm").read_text().strip() != tag:
                continue
            state = Path(entry.path, "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


class Watcher:
    """Notes every PID named tag while a grader runs; afterwards, which ones are still alive."""

    def __init__(self, tag):
        self.tag, self.seen, self._stop = tag, set(), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            self.seen.update(processes_named(self.tag))
            self._stop.wait(0.05)

    def __enter__(self):
        if self.tag:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.tag:
            self._stop.set()
            self._thread.join()

    def left_running(self, grace=1.0):
        """PIDs named tag still alive after `grace` seconds (a killed process takes a moment)."""
        if not self.tag:
            return []
        deadline = time.monotonic() + grace
        while True:
            alive = processes_named(self.tag)
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.05)


# --------------------------------------------------------------------------------------
# Grading a set of jobs once per session
# --------------------------------------------------------------------------------------

def _build(job, root):
    """The path job.build returns, or a Graded that says why it could not be built."""
    folder = root / job.name
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return Path(job.build(folder))
    except Exception as exc:    # reported by the tests of this job, not by the whole set
        return Graded(job.name, -1, 0.0, None, "", "", error=f"{type(exc).__name__}: {exc}")


def _grade(job, root, path=None):
    """One grader process for the job (built first unless path is given)."""
    path = path or _build(job, root)
    if isinstance(path, Graded):
        return path
    json_path = root / job.name / "results.json"
    started = time.monotonic()
    with Watcher(job.tag) as watcher:
        run = subprocess.run(grade_command(path, json_path, *job.args, seed=job.seed), cwd=REPO,
                             capture_output=True, text=True, timeout=300)
        seconds = time.monotonic() - started
    results = json.loads(json_path.read_text()) if json_path.exists() else None
    return Graded(job.name, run.returncode, seconds, results, run.stdout[-20000:],
                  run.stderr[-20000:], sorted(watcher.seen), watcher.left_running())


@contextmanager
def _locked(path):
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_CACHE = {}


def shared_folder(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def grade_all(set_name, jobs, tmp_path_factory, batch=False):
    """{job name: Graded} for every job of the set, graded once per test session.

    batch: grade the jobs in class folders (see _batches) where that gives the same
    results.json as a process of their own; for sets whose tests read results.json only."""
    if set_name in _CACHE:
        return _CACHE[set_name]
    root = shared_folder(tmp_path_factory) / f"graded-{set_name}"
    root.mkdir(parents=True, exist_ok=True)
    store = root / "graded.json"
    with _locked(root.with_suffix(".lock")):
        if store.exists():
            graded = {name: Graded(**record) for name, record in json.loads(store.read_text()).items()}
        else:
            graded = _grade_set(jobs, root, batch)
            store.write_text(json.dumps({name: asdict(g) for name, g in graded.items()}))
    _CACHE[set_name] = graded
    return graded


def _grade_set(jobs, root, batch):
    graded, built = {}, {}
    for job in jobs:        # one after the other: ast (used by builds) is not thread-safe
        if batch and not (job.tag or job.alone):
            outcome = _build(job, root)
            if isinstance(outcome, Graded):
                graded[job.name] = outcome
            else:
                built[job.name] = outcome
    batches, alone = _batches([(job, built[job.name]) for job in jobs if job.name in built], root)
    alone += [job for job in jobs if job.name not in graded and job.name not in built]
    # several batches run side by side with one judge each (a judge's start is paid once
    # per batch); a batch on its own gets two
    judges = PARALLEL if len(batches) == 1 else 1
    tasks = [lambda b=b: _grade_batch(b, judges) for b in batches]
    tasks += [lambda job=job: [_grade(job, root, built.get(job.name))] for job in alone]
    with ThreadPoolExecutor(PARALLEL) as pool:
        for done in pool.map(lambda task: task(), tasks):
            graded.update((g.name, g) for g in done)
    return {job.name: graded[job.name] for job in jobs}


# --------------------------------------------------------------------------------------
# Grading in batches
#
# Each job's submission is copied into a class folder under a neutral id (s0, s1...) that
# no layout reads a stage or a student from: a .py or .ipynb file in a zip of its own (so
# that it keeps its name, which may name a stage, without the class layout reading it), a
# zip or a folder as it is. A job is put in a batch only when the grader loads the copy
# exactly as it loads the original (same cells, stage, notes; loader.load_submission only
# reads the files), so that the batch grades it as the command for one submission does:
# the checks' random inputs come from the seed and the check, not from the submission or
# the process. `--stage N` alone becomes the layout's stage (`s3_stage2.zip`) when the
# submission's loader gives no stage note: the command shows that note only without
# --stage, and a class folder only without a layout stage. Groups too small to pay for
# a batch's own start (its supervisor and judge, the class report) are graded alone.
# --------------------------------------------------------------------------------------

MIN_BATCH = 3


def _place(path, folder, name):
    """Copy the submission at path into folder as the entry `name` (+ .zip for a file);
    None when a class folder would not hold it as it is."""
    from autograder.students import stage_files

    if path.is_symlink():
        return None
    if path.is_file() and path.suffix.lower() in (".py", ".ipynb"):
        entry = folder / f"{name}.zip"
        with zipfile.ZipFile(entry, "w") as archive:
            archive.write(path, path.name)
    elif path.is_file() and path.suffix.lower() == ".zip":
        entry = shutil.copyfile(path, folder / f"{name}.zip")
    elif path.is_dir() and all(p.is_file() and not p.is_symlink() for p in path.iterdir()) \
            and not stage_files(path):
        entry = shutil.copytree(path, folder / name)
    else:
        return None
    return Path(entry)


def _loads_the_same(original, copy):
    from autograder.loader import load_submission

    mine, theirs = asdict(load_submission(original)), asdict(load_submission(copy))
    del mine["id"], theirs["id"]
    return mine == theirs


def _layout_stage(args, path):
    """(the other options, N) when args hold `--stage N` once and the layout may give N."""
    from autograder.loader import load_submission

    args = [str(a) for a in args]
    if args.count("--stage") != 1:
        return tuple(args), None
    at = args.index("--stage")
    if load_submission(path).stage_note:
        return tuple(args), None
    return tuple(args[:at] + args[at + 2:]), int(args[at + 1])


def _batches(built, root):
    """[(seed, options, [(job, entry in the class folder, student id)])] and the jobs
    graded alone."""
    groups, alone = {}, []
    for n, (job, path) in enumerate(built):
        args, stage = _layout_stage(job.args, path)
        groups.setdefault((job.seed, args), []).append((n, job, path, stage))
    batches = []
    for number, ((seed, args), members) in enumerate(groups.items()):
        if len(members) < MIN_BATCH:
            alone += [job for _, job, _, _ in members]
            continue
        folder = root / f"batch-{number}" / "class"
        folder.mkdir(parents=True)
        batch = []
        for n, job, path, stage in members:
            sid = f"s{n}"
            entry = _place(path, folder, f"{sid}_stage{stage}" if stage else sid)
            if entry is None or not _loads_the_same(path, entry):
                if entry is not None:
                    (shutil.rmtree if entry.is_dir() else os.remove)(entry)
                alone.append(job)
                continue
            batch.append((job, entry, sid))
        if batch:
            batches.append((seed, args, batch))
    return batches, alone


def _grade_batch(batch, judges):
    """Grade a batch's class folder with one command; a Graded for each of its jobs."""
    from autograder import batch as batch_module

    seed, args, members = batch
    folder = members[0][1].parent
    out = folder.parent / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
               "--jobs", str(judges), *args]
    if seed is not None:
        command += ["--seed", str(seed)]
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                         timeout=120 + 30 * len(members))
    log = out / "grader.log"
    stderr = run.stderr[-20000:] + (log.read_text()[-20000:] if log.exists() else "")
    graded = []
    for job, _, sid in members:
        results_path, feedback = out / sid / "results.json", out / sid / "feedback.md"
        results = json.loads(results_path.read_text()) if results_path.exists() else None
        returncode = run.returncode
        if results and batch_module.GRADER_FAILED in results["output"]:
            returncode = 1    # what the command for one submission exits with when it fails
        graded.append(Graded(job.name, returncode, None, results,
                             feedback.read_text() if feedback.exists() else "", stderr))
    return graded


# --------------------------------------------------------------------------------------
# The results.json contract (CONTRACT.md section 4)
# --------------------------------------------------------------------------------------

# Text that only the hidden suite's source holds: none of it may reach a student.
HIDDEN_SOURCE = ("def test_", "student.graph(", "student.model(", "student.train(",
                 "reference.model(", "reference.train", "@pytest", "import pytest",
                 "pytest.mark", "Traceback", "autograder/suite", "test_stage", "check_expression(",
                 "expect(", "Mistake(")
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def contract_problems(results):
    """What in a results.json breaks CONTRACT.md section 4 (an empty list when nothing does)."""
    from autograder.checks import CHECKS

    problems = []

    def need(condition, what):
        if not condition:
            problems.append(what)

    top = {"score", "execution_time", "output", "stdout_visibility", "tests"}
    need(top <= set(results), f"top-level keys missing: {sorted(top - set(results))}")
    if problems:
        return problems
    need(isinstance(results["score"], (int, float)), "score is not a number")
    need(isinstance(results["execution_time"], (int, float)) and results["execution_time"] >= 0,
         "execution_time is not a number of seconds")
    need(isinstance(results["output"], str), "output is not text")
    need(results["stdout_visibility"] in VISIBILITY, "stdout_visibility is not a Gradescope value")
    need(isinstance(results["tests"], list) and results["tests"], "tests is not a non-empty list")
    keys = {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}
    for t in results["tests"]:
        if not keys <= set(t):
            problems.append(f"test {t.get('number')} lacks {sorted(keys - set(t))}")
            continue
        check = CHECKS.get(t["number"])
        need(check is not None, f"test number {t['number']!r} is not a check of checks.py")
        if check is None:
            continue
        where = f"test {t['number']}"
        need(isinstance(t["name"], str) and check.name in t["name"], f"{where}: name {t['name']!r}")
        need(t["max_score"] == check.points, f"{where}: max_score {t['max_score']} != {check.points}")
        need(t["score"] in (0, t["max_score"]), f"{where}: score {t['score']} is partial")
        need(t["status"] == ("passed" if t["score"] == t["max_score"] else "failed"),
             f"{where}: status {t['status']!r} with score {t['score']}")
        need(isinstance(t["tags"], list) and f"stage{check.stage}" in t["tags"],
             f"{where}: tags {t['tags']} lack stage{check.stage}")
        need(t["visibility"] in VISIBILITY, f"{where}: visibility {t['visibility']!r}")
        need(isinstance(t["output"], str) and t["output"].strip(), f"{where}: no output")
    numbers = [t.get("number") for t in results["tests"]]
    need(len(numbers) == len(set(numbers)), "a check appears twice")
    need(results["score"] == sum(t.get("score", 0) for t in results["tests"]),
         "score is not the sum of the tests' scores")
    for text in [results["output"]] + [t.get("output", "") for t in results["tests"]]:
        for fragment in HIDDEN_SOURCE:
            need(fragment not in text, f"a student reads hidden source {fragment!r}: {text[:200]!r}")
    return problems
