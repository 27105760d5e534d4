"""Grade one submission: load it, run the hidden suite against it, return a SubmissionResult."""

import os
import secrets
import time
from pathlib import Path

from . import sandbox
from .checks import TABLE
from .limits import Limits
from .loader import load_submission
from .messages import missing_module_notes
import pytest
from _pytest.runner import runtestprotocol

from .plugin import GradingPlugin, PlainReports, check_of
from .results import CheckResult, SubmissionResult
from .session import Submission

SUITE = Path(__file__).with_name("suite")
ALL_STAGES = [1, 2, 3, 4, 5]


class GraderError(Exception):
    """The grader itself failed (not the submission): exit status 1."""


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
    """Grade one submission. level: the sandbox level (default: the strongest available)."""
    outcomes = []
    grade_many([path], outcomes.append, stages, limits, seed, level)
    if isinstance(outcomes[0], GraderError):
        raise outcomes[0]
    return outcomes[0]


def grade_many(paths, on_result, stages=None, limits=None, seed=None, level=None):
    """Grade submissions one after the other in one pytest session: the hidden suite is
    collected once, and its checks run again for each submission. Calls on_result with a
    SubmissionResult, or a GraderError when the grader failed on that submission, for each
    path in turn; `paths` may be any iterable, read lazily (a judge reads them from stdin)."""
    limits = limits or Limits()
    level = level or sandbox.choose("auto")
    seed = seed if seed is not None else secrets.randbits(32)
    plugin = GradingPlugin(None, seed)
    _run_suite(plugin, _Loop(plugin, paths, on_result, stages, limits, level))


class _Loop:
    """pytest's run loop, replaced: grade each submission with the items collected once."""

    def __init__(self, plugin, paths, on_result, stages, limits, level):
        self.plugin, self.paths, self.on_result, self.stages = plugin, paths, on_result, stages
        self.limits, self.level = limits, level

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if len({check_of(item).id for item in session.items}) != len(TABLE):
            raise GraderError("the hidden suite does not have one check for each row of the table")
        for path in self.paths:
            try:
                outcome = self.grade_one(session.items, path)
            except GraderError as exc:
                outcome = exc
            self.on_result(outcome)
        return True

    def grade_one(self, items, path):
        started = time.monotonic()
        source = load_submission(path)
        stages, from_metadata = choose_stages(source, self.stages)
        result = SubmissionResult(id=source.id, stages=stages, stage_from_metadata=from_metadata,
                                  sandbox=self.level)
        result.notes.extend(source.notes)
        if source.stage_note and not self.stages and not source.problem:
            result.notes.insert(0, source.stage_note)
        if source.problem:
            result.notes.insert(0, source.problem)
            result.checks = [_not_graded(c, source.problem) for c in TABLE if c.stage in stages]
            result.execution_time = time.monotonic() - started
            return result
        submission = Submission(source, self.limits, self.level, stages)
        plugin = self.plugin
        plugin.submission, plugin.results, plugin.grader_errors = submission, {}, []
        chosen = [item for item in items if check_of(item).stage in stages]
        try:
            for i, item in enumerate(chosen):
                item._initrequest()   # a fresh fixture request each time the check runs
                runtestprotocol(item, nextitem=chosen[i + 1] if i + 1 < len(chosen) else None,
                                log=False)
        finally:
            submission.close()
        if plugin.grader_errors:
            raise GraderError("\n".join(plugin.grader_errors))
        missing = [c.id for c in TABLE if c.stage in stages and c.id not in plugin.results]
        if missing:
            raise GraderError(f"checks without a result: {', '.join(missing)}")
        result.checks = [plugin.results[c.id] for c in TABLE if c.stage in stages]
        if submission.load_info:
            result.notes.extend(missing_module_notes(submission.load_info.get("missing_modules")))
            result.notes.extend(cell_error_notes(submission.load_info["cell_errors"]))
        result.stage_notes = {s: submission.stage_notes[s] for s in stages if submission.stage_notes.get(s)}
        if submission.load_problem:
            result.notes.insert(0, submission.load_problem)
        result.output = submission.output
        result.execution_time = time.monotonic() - started
        return result


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


def _not_graded(check, reason):
    return CheckResult(id=check.id, name=check.name, stage=check.stage, points=check.points,
                       score=0, passed=False, description=check.description,
                       message=f"Not graded: {reason}", kind="load", visibility=check.visibility)


def _run_suite(plugin, loop):
    args = [str(SUITE), "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:doctest",
            "-p", "no:pastebin", "-p", "no:junitxml", "-p", "no:logging", "-p", "no:warnings",
            "-c", str(SUITE / "pytest.ini"), "--rootdir", str(SUITE), "-s"]
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"   # only the suite and this plugin
    try:
        code = pytest.main(args, plugins=[plugin, PlainReports(), loop])
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old
    if code not in (0, 1, 5):
        raise GraderError(f"the hidden suite could not run (pytest exit status {int(code)})")
