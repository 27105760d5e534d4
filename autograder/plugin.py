"""The pytest plugin that runs the hidden suite against one submission.

It gives the tests their fixtures (`student`: the submission seen through one stage's
classes; `reference`: the same questions answered by the reference; `rng`: this grading
run's random inputs), keeps only the selected stages, and turns each test's outcome into a
CheckResult. pytest prints nothing: the report is built from these results.
"""

import random

import pytest

from . import messages
from .checks import CHECKS
from .expect import Mistake
from .results import CheckResult
from .session import ReferenceView, StageView, StudentProblem


def check_of(item):
    marker = item.get_closest_marker("check")
    return CHECKS[marker.args[0]] if marker else None


class GradingPlugin:
    def __init__(self, submission, stages, seed):
        self.submission, self.stages, self.seed = submission, stages, seed
        self.results = {}
        self.grader_errors = []
        self._reference = None

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "check(id): the id of the check in autograder/checks.py")

    def pytest_collection_modifyitems(self, session, config, items):
        keep = [item for item in items if check_of(item) and check_of(item).stage in self.stages]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep

    @pytest.fixture
    def student(self, request):
        self.submission.begin_test()
        return StageView(self.submission, check_of(request.node).stage)

    @pytest.fixture
    def reference(self):
        if self._reference is None:
            self._reference = ReferenceView()
        return self._reference

    @pytest.fixture
    def rng(self, request):
        return random.Random(f"{self.seed}:{check_of(request.node).id}")

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
