"""Grade submissions: load each one, run the hidden suite's checks against it, return results.

The hidden suite is collected by pytest once per process; pytest's run loop is replaced by
one that grades each submission in turn with the collected checks (plugin.run_check).
"""

import os
import secrets
import time
from pathlib import Path

import pytest

from . import contract, messages, plugin, sandbox, tampering
from .checks import TABLE
from .limits import Limits
from .loader import load_submission
from .messages import missing_module_notes
from .plugin import GraderError
from .results import SubmissionResult
from .session import Grading, WorkerHandle, reference_cpu

SUITE = Path(__file__).with_name("suite")
ALL_STAGES = list(contract.STAGES)

__all__ = ["GraderError", "grade", "grade_many", "choose_stages"]


def choose_stages(source, stages):
    """--stage wins; else a course notebook's own stage; else the stage a notebook without
    the course's metadata shows (loader.guess_stage); else every stage."""
    if stages:
        return sorted(set(stages)), False
    if source.stage:
        return [source.stage], True
    if source.guessed_stage:
        return [source.guessed_stage], False
    return list(ALL_STAGES), False


def grade(path, stages=None, limits=None, seed=None, level=None):
    """Grade one submission. level: the sandbox level (default: the strongest available).

    Its worker starts (and runs the cells) while pytest starts and collects the suite: the
    two take about as long, and a single grade waits for both."""
    outcomes = []
    grade_many([path], outcomes.append, stages, limits, seed, level, early=True)
    if isinstance(outcomes[0], GraderError):
        raise outcomes[0]
    return outcomes[0]


def grade_many(paths, on_result, stages=None, limits=None, seed=None, level=None, early=False):
    """Grade submissions one after the other with the hidden suite collected once. Calls
    on_result with a SubmissionResult, or a GraderError when the grader failed on that
    submission, for each path in turn; `paths` may be any iterable, read lazily (a judge
    reads them from its supervisor). An item may be (path, stages): that submission's own
    stages (a class folder's layout gives them), instead of `stages`."""
    loop = _Loop(paths, on_result, stages, limits or Limits(), level or sandbox.choose("auto"))
    if early:
        loop.start_early(paths[0])
    _run_suite(loop, seed if seed is not None else secrets.randbits(32))


class _Loop:
    """pytest's run loop, replaced: grade each submission with the checks collected once."""

    def __init__(self, paths, on_result, stages, limits, level):
        self.paths, self.on_result, self.stages = paths, on_result, stages
        self.limits, self.level = limits, level
        self.early = {}             # path -> (its Submission, its worker, started early)

    def start_early(self, path):
        """Load the submission and start its worker now, in the background, when it will
        be graded at all (a load problem or a tampering sign is found again later)."""
        try:
            source = load_submission(path)
            if source.problem or tampering.screen(source.cells):
                return
            worker = WorkerHandle(source.cells, self.limits, self.level)
            worker.launch()
        except Exception:           # whatever went wrong happens again, and is handled, later
            return
        self.early[path] = (source, worker)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if len({item.stash[plugin.CHECK].id for item in session.items}) != len(TABLE):
            raise GraderError("the hidden suite does not have one check for each row of the table")
        for task in self.paths:
            path, stages = task if isinstance(task, tuple) else (task, self.stages)
            try:
                outcome = self.grade_one(session, path, stages)
            except GraderError as exc:
                outcome = exc
            self.on_result(outcome)
        return True

    def grade_one(self, session, path, stages):
        started = time.monotonic()
        source, worker = self.early.pop(path, (None, None))
        source = source or load_submission(path)
        stages, from_metadata = choose_stages(source, stages)
        result = SubmissionResult(id=source.id, stages=stages, stage_from_metadata=from_metadata,
                                  sandbox=self.level)
        result.notes.extend(source.notes)
        if source.stage_note and not self.stages and not source.problem:
            result.notes.insert(0, source.stage_note)
        if source.problem:
            return self.not_graded(result, messages.LOAD_FAILED.format(reason=source.problem),
                                   "load", [source.problem, *result.notes], started)
        signs = tampering.screen(source.cells)
        if signs:
            return self.tampered(result, started, signs)
        grading = Grading(source, self.limits, self.level, stages, reference_cpu, worker)
        session.config.stash[plugin.GRADING] = grading
        chosen = [item for item in session.items if item.stash[plugin.CHECK].stage in stages]
        results, bugs = {}, []
        try:
            # every chosen check runs, even after a grader bug: pytest tears down what a
            # check set up only when the last one has run
            for item, nextitem in zip(chosen, chosen[1:] + [None]):
                try:
                    check = plugin.run_check(item, nextitem)
                    results[check.id] = check
                except GraderError as exc:
                    bugs.append(str(exc))
        finally:
            grading.close()
            del session.config.stash[plugin.GRADING]
        if bugs:
            raise GraderError("\n".join(bugs))
        result.checks = [results[c.id] for c in TABLE if c.stage in stages]
        if grading.worker.loaded:
            result.notes.extend(missing_module_notes(grading.worker.loaded.get("missing_modules")))
            result.notes.extend(cell_error_notes(grading.worker.loaded["cell_errors"]))
        result.stage_notes = {s: grading.stage_notes[s] for s in stages if grading.stage_notes.get(s)}
        if grading.worker.load_problem:
            result.notes.insert(0, grading.worker.load_problem)
        result.output = grading.worker.output
        if grading.worker.tampered:
            return self.tampered(result, started)
        result.execution_time = time.monotonic() - started
        return result

    def tampered(self, result, started, signs=()):
        """Every check of every stage at 0: nothing the code answered can be trusted."""
        seen = f" (it uses {', '.join(signs)})" if signs else ""
        return self.not_graded(result, messages.TAMPERED, "tampered",
                               [messages.TAMPERED + seen], started)

    @staticmethod
    def not_graded(result, message, kind, notes, started):
        """The result, with a zero for every check of its stages and this reason."""
        graded = SubmissionResult.not_graded(
            result.id, result.stages, message, kind, notes=notes, output=result.output,
            stage_from_metadata=result.stage_from_metadata, sandbox=result.sandbox)
        graded.execution_time = time.monotonic() - started
        return graded


def cell_error_notes(errors, shown=3):
    """The first few cells that raised, each error once; the rest counted."""
    notes, seen = [], set()
    for err in errors:
        if err["error"] in seen:
            continue
        seen.add(err["error"])
        if len(notes) < shown:
            notes.append(f"{err['cell']} raised an error when run: {err['error']}")
    if len(errors) > len(notes):
        notes.append(f"In all, {len(errors)} cells raised an error when run (the checks below "
                     "say what each stage is missing).")
    return notes


def _run_suite(loop, seed):
    args = [str(SUITE), "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:doctest",
            "-p", "no:pastebin", "-p", "no:junitxml", "-p", "no:logging", "-p", "no:warnings",
            # nothing of the suite needs these; unraisableexception collects garbage at exit
            "-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:faulthandler",
            "-p", "no:stepwise",
            "-c", str(SUITE / "pytest.ini"), "--rootdir", str(SUITE), "-s"]
    seeding = _Seed(seed)
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"   # only the suite and this plugin
    try:
        code = pytest.main(args, plugins=[plugin, seeding, loop])
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old
    if code not in (0, 1, 5):
        raise GraderError(f"the hidden suite could not run (pytest exit status {int(code)})")


class _Seed:
    def __init__(self, seed):
        self.seed = seed

    def pytest_configure(self, config):
        config.stash[plugin.SEED] = self.seed
