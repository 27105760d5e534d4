"""Grade one submission: load it, run the hidden suite against it, return a SubmissionResult."""

import os
import secrets
import time
from pathlib import Path

from . import sandbox
from .checks import TABLE
from .limits import Limits
from .loader import load_submission
from .plugin import GradingPlugin
from .results import CheckResult, SubmissionResult
from .session import Submission

SUITE = Path(__file__).with_name("suite")
ALL_STAGES = [1, 2, 3, 4, 5]


class GraderError(Exception):
    """The grader itself failed (not the submission): exit status 1."""


def choose_stages(source, stages):
    """--stage wins; else a course notebook's own stage; else every stage."""
    if stages:
        return sorted(set(stages)), False
    if source.stage:
        return [source.stage], True
    return list(ALL_STAGES), False


def grade(path, stages=None, limits=None, seed=None, level=None):
    """Grade one submission. level: the sandbox level (default: the strongest available)."""
    started = time.monotonic()
    limits = limits or Limits()
    level = level or sandbox.choose("auto")
    seed = seed if seed is not None else secrets.randbits(32)
    source = load_submission(path)
    stages, from_metadata = choose_stages(source, stages)
    result = SubmissionResult(id=source.id, stages=stages, stage_from_metadata=from_metadata,
                              sandbox=level)
    result.notes.extend(source.notes)
    submission = Submission(source, limits, level, stages)
    if source.problem:
        result.notes.insert(0, source.problem)
        result.checks = [_not_graded(c, source.problem) for c in TABLE if c.stage in stages]
    else:
        plugin = GradingPlugin(submission, stages, seed)
        try:
            _run_suite(plugin)
        finally:
            submission.close()
        if plugin.grader_errors:
            raise GraderError("\n".join(plugin.grader_errors))
        missing = [c.id for c in TABLE if c.stage in stages and c.id not in plugin.results]
        if missing:
            raise GraderError(f"checks without a result: {', '.join(missing)}")
        result.checks = [plugin.results[c.id] for c in TABLE if c.stage in stages]
        if submission.load_info:
            result.notes.extend(cell_error_notes(submission.load_info["cell_errors"]))
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


def _run_suite(plugin):
    import pytest

    args = [str(SUITE), "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:doctest",
            "-p", "no:pastebin", "-p", "no:junitxml", "-p", "no:logging", "-p", "no:warnings",
            "-c", str(SUITE / "pytest.ini"), "--rootdir", str(SUITE), "-s"]
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"   # only the suite and this plugin
    try:
        code = pytest.main(args, plugins=[plugin])
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old
    if code not in (0, 1, 5):
        raise GraderError(f"the hidden suite could not run (pytest exit status {int(code)})")
