"""The pytest plugin that runs the hidden suite's checks against one submission.

Public pytest API only: fixtures, hooks, markers and stashes. The run loop (grade.py) puts
the live grading of a submission in `config.stash[GRADING]` and calls `run_check` for each
check of the stages graded; `run_check` runs pytest's own test protocol for that item and
returns its CheckResult. The fixtures give the tests what they ask for:
- `student`: the submission seen through one stage's classes (session.StageView);
- `reference`: the same questions answered by the reference code;
- `rng`, `stage_rng`: this grading run's random inputs, per check and per stage.

A check fails the way checks fail (a `Mistake`, a `StudentProblem`) inside the call; the
wrapper around the call turns that into the check's result, so pytest never formats a
traceback for it. Anything else that goes wrong, in a test or a fixture, is the grader's own
bug: pytest's full report of it is kept for the instructor's log.
"""

import random

import pytest

from . import messages
from .checks import CHECKS
from .expect import Mistake
from .results import CheckResult
from .session import StudentProblem, reference_view

GRADING = pytest.StashKey()     # config.stash: the session.Grading of the submission graded
SEED = pytest.StashKey()        # config.stash: the seed of this run's random inputs
CHECK = pytest.StashKey()       # item.stash: the row of the points table the item checks
OUTCOME = pytest.StashKey()     # item.stash: the CheckResult of the item's last run
BUGS = pytest.StashKey()        # item.stash: pytest's reports of the grader's own failures


class GraderError(Exception):
    """The grader itself failed (not the submission): exit status 1."""


def check_of(item):
    marker = item.get_closest_marker("check")
    return CHECKS.get(marker.args[0]) if marker and marker.args else None


def run_check(item, nextitem):
    """Run one check against the grading in config.stash; return its CheckResult."""
    item.stash[BUGS] = []
    if OUTCOME in item.stash:
        del item.stash[OUTCOME]
    item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
    if item.stash[BUGS]:
        raise GraderError("\n".join(item.stash[BUGS]))
    if OUTCOME not in item.stash:
        raise GraderError(f"check {item.stash[CHECK].id} ended without a result")
    return item.stash[OUTCOME]


def _result(check, passed, message="", kind="", hint=""):
    return CheckResult(id=check.id, name=check.name, stage=check.stage, points=check.points,
                       score=check.points if passed else 0, passed=passed,
                       description=check.description, message=message, kind=kind,
                       hint=messages.hint_name(hint), visibility=check.visibility)


# -- hooks ------------------------------------------------------------------------------------

def pytest_configure(config):
    config.addinivalue_line("markers", "check(id): the id of the check in autograder/checks.py")


def pytest_collection_modifyitems(session, config, items):
    """Only the items that name a row of the points table are checks."""
    kept = []
    for item in items:
        check = check_of(item)
        if check is not None:
            item.stash[CHECK] = check
            kept.append(item)
    items[:] = kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    check = item.stash[CHECK]
    try:
        yield
    except Mistake as exc:
        item.stash[OUTCOME] = _result(check, False, exc.message, "mistake", exc.hint)
    except StudentProblem as exc:
        item.stash[OUTCOME] = _result(check, False, exc.message, exc.kind, exc.hint)
    else:
        item.stash[OUTCOME] = _result(check, True)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:   # only the grader's own failures reach pytest's reports
        check = item.stash[CHECK]
        item.stash[BUGS].append(f"{check.id} ({report.when}): {report.longreprtext}")
    return report


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture
def student(request):
    return request.config.stash[GRADING].view(request.node.stash[CHECK].stage)


@pytest.fixture
def reference():
    return reference_view()


@pytest.fixture
def rng(request):
    """This check's random inputs: the same for every submission of a grading run."""
    return random.Random(f"{request.config.stash[SEED]}:{request.node.stash[CHECK].id}")


@pytest.fixture
def stage_rng(request):
    """Random inputs shared by the checks of a stage that look at one run."""
    return random.Random(f"{request.config.stash[SEED]}:stage {request.node.stash[CHECK].stage}")
