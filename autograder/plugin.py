"""The pytest plugin that runs the hidden suite against one submission.

It gives the tests their fixtures (`student`: the submission seen through one stage's
classes; `reference`: the same questions answered by the reference; `rng` and `stage_rng`:
this grading run's random inputs, per check and per stage) and turns each test's outcome
into a CheckResult. pytest prints nothing: the report is built from these results.
"""

import random

import pytest
from _pytest.reports import TestReport

from . import messages
from .checks import CHECKS
from .expect import Mistake
from .results import CheckResult
from .session import ReferenceView, StageView, StudentProblem


def check_of(item):
    marker = item.get_closest_marker("check")
    return CHECKS[marker.args[0]] if marker else None


class GradingPlugin:
    """The fixtures and the result of each check; which checks run for a submission is
    chosen by the run loop in grade.py (the suite is collected once, all stages)."""

    def __init__(self, submission, seed):
        self.submission, self.seed = submission, seed
        self.results = {}
        self.grader_errors = []
        self._reference = None
        self.check = None     # the check being run

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "check(id): the id of the check in autograder/checks.py")

    def pytest_collection_modifyitems(self, session, config, items):
        items[:] = [item for item in items if check_of(item)]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        # the fixtures read the check from here: asking for pytest's `request` costs more
        self.check = check_of(item)

    @pytest.fixture
    def student(self):
        self.submission.begin_test()
        return StageView(self.submission, self.check.stage)

    @pytest.fixture
    def reference(self):
        if self._reference is None:
            self._reference = ReferenceView()
        return self._reference

    @pytest.fixture
    def rng(self):
        """This check's random inputs: the same for every submission of a grading run."""
        return random.Random(f"{self.seed}:{self.check.id}")

    @pytest.fixture
    def stage_rng(self):
        """Random inputs shared by the checks of a stage that look at one run."""
        return random.Random(f"{self.seed}:stage {self.check.stage}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        check = check_of(item)
        if check is None or (report.when == "call" and report.passed is False and call.excinfo is None):
            return
        if report.when == "setup" and report.passed:
            return
        if report.when == "teardown" and (report.passed or check.id in self.results):
            return
        passed, message, kind, hint = report.passed, "", "", ""
        if call.excinfo is not None:
            exc = call.excinfo.value
            if isinstance(exc, Mistake):
                message, kind, hint = exc.message, "mistake", messages.hint_name(exc.hint)
            elif isinstance(exc, StudentProblem):
                message, kind, hint = exc.message, exc.kind, messages.hint_name(exc.hint)
            else:
                message, kind = messages.GRADER_BUG, "grader_error"
                self.grader_errors.append(f"{check.id}: {call.excinfo.exconly()}\n{report.longreprtext}")
        self.results[check.id] = CheckResult(
            id=check.id, name=check.name, stage=check.stage, points=check.points,
            score=check.points if passed else 0, passed=passed, description=check.description,
            message=message, kind=kind, hint=hint, visibility=check.visibility)


class PlainReports:
    """A check that failed the way checks fail (a Mistake, a StudentProblem) gets a plain
    report: pytest's own formats the traceback with the suite's source, which nobody reads
    here and which costs more than the check itself. Anything else, a grader bug above all,
    keeps pytest's full report."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        exc = call.excinfo.value if call.excinfo is not None else None
        if not isinstance(exc, (Mistake, StudentProblem)):
            return None
        return TestReport(item.nodeid, item.location, {}, "failed", exc.message, call.when,
                          duration=call.duration, start=call.start, stop=call.stop)
