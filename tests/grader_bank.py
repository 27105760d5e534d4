"""The tests' names for the catalogue of mistakes and variants (course/mistakes.py) and its
edit engine (course/edits.py).

- MISTAKES: one classic mistake each, as a small edit of the reference solution.
- VARIANTS: correct code written differently, which a fair grader gives every point, by id.
- stub_text(): every graded body replaced by the course's stub, which raises NotImplementedError.
- notebook_from(): the same code as a notebook, one cell per top-level definition.
"""

from autograder.checks import STAGE_TITLES, TABLE
from autograder.contract import STAGES
from course.edits import EditError, apply_edit  # noqa: F401
from course.mistakes import HINTS, MISTAKES, notebook_from, reference_text, stub_text  # noqa: F401
from course.mistakes import VARIANTS as _VARIANTS

STAGES = list(STAGES)
VARIANTS = {variant.id: variant for variant in _VARIANTS}


def checks_of(stage):
    return [c for c in TABLE if c.stage == stage]


def stage_max(stage):
    return sum(c.points for c in checks_of(stage))


# A helper a submission can call to crash: Python's own C stack overflows (a segmentation fault).
CRASH = """import sys


def _crash():
    # Python's own C stack overflows: a segmentation fault
    sys.setrecursionlimit(10 ** 7)
    a, b = [], []
    for _ in range(100_000):
        a, b = [a], [b]
    a == b


"""
