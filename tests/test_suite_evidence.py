"""The evidence the hidden checks read a hint from, asked without grading anything.

A hint is given only when the numbers show its mistake: how often and how early a node used
along two paths passed its gradient on (stage 2), where the Values that parameters() lists
sit among a model's weights and biases (stage 4). These tests feed the readers made-up
measurements of each mistake and ask whether they name it, and nothing for right ones.
"""

import importlib.util
import warnings
from pathlib import Path

import pytest

from autograder import messages as M
from autograder.programs import contributions, evaluate

SUITE = Path(__file__).resolve().parent.parent / "autograder" / "suite"


def suite_module(name):
    spec = importlib.util.spec_from_file_location(f"hidden_{name}", SUITE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():    # the `check` mark is the judge's plugin's to register
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        spec.loader.exec_module(module)
    return module


stage2 = suite_module("test_stage2")
stage4 = suite_module("test_stage4")


def test_can_the_diagnostic_graph_tell_every_way_of_passing_a_gradient_apart():
    assert stage2.separated(stage2.DIAGNOSTIC, "out", stage2.SHARED)


def gradient_below(program, node, calls):
    """What the input below `node` holds when node._backward ran with node.grad = each of
    `calls` in turn (node = tanh(input))."""
    below = next(n[2] for n in program if n[0] == node)
    return {below: {"grad": (1 - evaluate(program)[node] ** 2) * sum(calls)}}


@pytest.mark.parametrize("name, calls", [
    ("right", lambda p1, p2: [p1 + p2]),
    ("right", lambda p1, p2: [0.0, p1 + p2]),          # once too early with nothing: harmless
    ("none", lambda p1, p2: [0.0]),
    ("early", lambda p1, p2: [p1]),
    ("early", lambda p1, p2: [p2]),
    ("twice", lambda p1, p2: [p1, p1 + p2]),
    ("twice", lambda p1, p2: [p1 + p2, p1 + p2]),
    ("twice", lambda p1, p2: [p2, p2]),
])
def test_does_passes_tell_how_a_shared_node_passed_its_gradient(name, calls):
    program = stage2.DIAGNOSTIC
    for node, below in stage2.SHARED:
        p1, p2 = contributions(program, "out", node).values()
        got = gradient_below(program, node, calls(p1, p2))
        assert stage2.passes(got, program, "out", node, below) == name


@pytest.mark.parametrize("kinds, hint", [
    ({"right"}, None), ({"right", "early"}, M.TOPO_ORDER), ({"none"}, M.ORDER),
    ({"early", "twice"}, M.VISITED_TWICE), ({"right", ""}, None)])
def test_does_each_way_of_passing_a_gradient_name_its_mistake(kinds, hint):
    assert stage2.mistake_of(kinds) == hint


@pytest.mark.parametrize("places, sizes, hint", [
    ([0, 1, 2, 3], [3, 1], None),
    ([0, 1, 2], [3, 1], M.PARAMS_NO_BIAS),                        # w, without b
    ([3, 0, 1, 2], [3, 1], M.PARAM_ORDER),                        # [b] + w
    ([0, 1, 3, 4, 6, 7], [2, 3], M.PARAMS_NO_BIAS),               # a layer of neurons without b
    ([0, 1, 2, 0, 1, 2], [2, 2], M.PARAM_ORDER),                  # the first neuron twice
    ([0, 1, -1], [2, 1], None),                                   # something else entirely
])
def test_does_a_parameters_list_name_its_mistake(places, sizes, hint):
    assert stage4.parameters_hint(places, sizes) == hint
