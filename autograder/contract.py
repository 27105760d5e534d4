"""The course contract: the facts that the course notebooks, the generator, the grader, the
nbgrader course and the student release must agree on, each written once.

- the names a submission defines (the student API of CONTRACT.md);
- the stages and their titles;
- how a notebook says which stage it is, and how its .py mirror says it;
- the cell tag of demonstration cells, which the grader does not run;
- nbgrader's region markers: solution regions and hidden tests.

Which method is whose work in which stage is not written here: `make assignments` reads it
from the solution regions of solutions/ into autograder/reference.py (STAGE_UNITS).

Standard library only, and no import of the rest of the grader: anything may import it.
"""

import re

# -- the student API ----------------------------------------------------------------------

CLASSES = ("Value", "Neuron", "Layer", "MLP")
FUNCTIONS = ("train",)
NAMES = CLASSES + FUNCTIONS

# -- the stages -----------------------------------------------------------------------------

STAGE_TITLES = {
    1: "Local derivatives",
    2: "Backpropagation through a whole graph",
    3: "More operators",
    4: "Neuron, Layer, MLP",
    5: "Training",
}
STAGES = tuple(STAGE_TITLES)

# -- what a course notebook carries -------------------------------------------------------

# Notebook metadata: "micrograd_course": {"stage": 3, "title": "More operators"}
METADATA_KEY = "micrograd_course"
# The .py mirror of a stage notebook says its stage in one of its first lines.
MIRROR_STAGE_LINE = "# " + METADATA_KEY + ": stage {stage}"
MIRROR_STAGE_PATTERN = re.compile(
    "^" + re.escape(MIRROR_STAGE_LINE).replace(re.escape("{stage}"),
                                               "(" + "|".join(map(str, STAGES)) + ")") + "$",
    re.MULTILINE)

# Cells that draw, plot or train for show: they grade nothing, the grader does not run them.
DEMO_TAG = "demo"

# nbgrader's region markers, as nbgrader looks for them: anywhere in a line.
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def marker_line(marker):
    """A marker as the course's cells write it, on a line of its own: '### BEGIN SOLUTION'."""
    return f"### {marker}"
