"""Which piece of the course code belongs to which stage, and the reference for each piece.

"One stage, one charge": a stage's checks run the student's code for that stage on top of
the reference code of the stages before it, so a mistake costs points only where it lives.
The reference pieces and the stage map (which method is whose work in which stage, read
from the solution regions) come from autograder/reference.py, generated from solutions/.
"""

import ast
import functools
import textwrap
from pathlib import Path

from .reference import GIVEN, STAGE_UNITS

REFERENCE = Path(__file__).with_name("reference.py")

# The names whose student version a stage grades: those its solution regions are in.
STAGE_NAMES = {stage: list(names) for stage, names in STAGE_UNITS.items()}
# What each stage's checks use of the student's classes, besides operators: when one is
# missing but the class has it under another name (`backprop`), the stage says so once.
# Stage 1 reads _prev (check 1.8); stage 3 reads it through the reference backward(), which
# walks the student's outputs.
STAGE_NEEDS = {1: {"Value": {"methods": ["tanh"], "attributes": ["_prev"]}},
               2: {"Value": {"methods": ["backward"]}},
               3: {"Value": {"methods": ["exp", "relu"], "attributes": ["_prev"]}},
               4: {cls: {"methods": ["parameters"]} for cls in STAGE_NAMES[4]},
               5: {}}


@functools.cache
def reference_methods():
    """{class name: {method name: source}} read from the reference module, dedented."""
    text = REFERENCE.read_text()
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)   # once: ast.get_source_segment splits per call

    def segment(item):          # ast.get_source_segment(text, item, padded=True)
        last = lines[item.end_lineno - 1].encode()[:item.end_col_offset].decode()
        return "".join(lines[item.lineno - 1:item.end_lineno - 1]) + last

    methods = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods[node.name] = {item.name: textwrap.dedent(segment(item))
                                  for item in node.body if isinstance(item, ast.FunctionDef)}
    return methods


def _methods(cls, stages):
    ref = reference_methods()[cls]
    names = list(GIVEN.get(cls, [])) if 0 in stages else []
    for stage in stages:
        names += STAGE_UNITS.get(stage, {}).get(cls, [])
    return [ref[name] for name in names]


def stage_setup(stage, variant=""):
    """The worker request that builds the classes a stage's checks run on.

    Stages 1-3 grade methods of Value: the student's class, with the reference methods of
    the earlier stages laid over it in a subclass (so the student's class stays whole).
    Stage 4 grades Neuron/Layer/MLP on the reference Value; stage 5 grades train on the
    reference Value and MLP. The variant "own_add_mul" keeps
    the student's __add__ and __mul__ in stage 3, to check that they accept plain numbers.
    In stage 4 the variants "Neuron", "Layer" and "MLP" grade that class alone, on the
    reference of the other two, so that a mistake in one costs only its own checks; no
    variant grades the three together.
    """
    if stage in (1, 2, 3):
        earlier = list(range(1, stage))
        if variant == "own_add_mul":
            earlier = [s for s in earlier if s != 1]
        classes = [{"name": "Value", "student_base": True, "methods": _methods("Value", earlier),
                    "needs": STAGE_NEEDS[stage]["Value"]}]
        return {"probe": "prepare", "classes": classes, "student_names": []}
    value = {"name": "Value", "student_base": False, "methods": _methods("Value", [0, 1, 2, 3])}
    if stage == 4:
        graded = [variant] if variant else STAGE_NAMES[4]
        nn = [{"name": cls, "student_base": False, "methods": _methods(cls, [4])}
              for cls in STAGE_NAMES[4] if cls not in graded]
        return {"probe": "prepare", "classes": [value, *nn], "student_names": graded,
                "needs": {cls: STAGE_NEEDS[4][cls] for cls in graded}}
    nn = [{"name": cls, "student_base": False, "methods": _methods(cls, [4])}
          for cls in STAGE_NAMES[4]]
    return {"probe": "prepare", "classes": [value, *nn], "student_names": STAGE_NAMES[5]}
