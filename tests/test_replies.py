"""The shape of a worker's answers (autograder/replies.py): an answer is read by a check only
when it has exactly the shape of its probe's answer, so the checks compare real numbers."""

import json

import pytest

from autograder import replies
from autograder.harness import Workbench, answer
from autograder.session import ReferenceView

GRAPH = {"probe": "graph", "nodes": [["a", "leaf", 2.0], ["b", "tanh", "a"]], "backward": "b",
         "read": ["a", "b"]}
MODEL = {"probe": "model", "kind": "MLP", "args": [3, [4, 1]], "inputs": [[1.0, 2.0, 3.0]],
         "backward": True}
GRAPH_PREV = {"probe": "graph", "nodes": [["a", "leaf", 2.0], ["b", "leaf", 3.0], ["c", "mul", "a", "b"]],
              "prev": ["c"], "read": ["a", "c"]}
MODEL_NUDGED = {"probe": "model", "kind": "MLP", "args": [2, [2, 1]], "params": [0.1 * i for i in range(9)],
                "set_by": "structure", "inputs": [[1.0, -1.0]], "backward": True, "nudge": 1e-5}
TRAIN = {"probe": "train", "nin": 3, "nouts": [4, 1], "params": [0.1] * 21, "steps": 3, "lr": 0.1,
         "xs": [[1.0, 2.0, 3.0]], "ys": [1.0]}


def honest(request):
    bench = Workbench({})
    bench.names = ReferenceView().bench.names
    reply = answer(bench, dict(request))
    assert reply["ok"], reply
    return json.loads(json.dumps(reply["value"]))


@pytest.mark.parametrize("request_", [GRAPH, GRAPH_PREV, MODEL, MODEL_NUDGED, TRAIN],
                         ids=["graph", "graph_prev", "model", "model_nudged", "train"])
def test_is_an_honest_answer_accepted(request_):
    assert replies.valid(request_, honest(request_))


def test_does_an_honest_answer_say_what_prev_holds_and_where_parameters_sit():
    assert sorted(honest(GRAPH_PREV)["c"]["prev"]) == ["a", "b"]
    assert honest(GRAPH_PREV)["c"]["prev_others"] == 0
    model = honest(MODEL_NUDGED)
    assert model["places"] == list(range(9)) and model["n_structure"] == 9
    out = model["outputs"][0]
    assert len(out["slopes"]) == len(out["grads"]) == 9
    assert all(abs(s - g) < 1e-6 for s, g in zip(out["slopes"], out["grads"]))


def spoiled(value, path):
    """The answer with one item replaced, at `path` (keys and indexes)."""
    value = json.loads(json.dumps(value))
    *inner, last = path[0]
    target = value
    for key in inner:
        target = target[key]
    target[last] = path[1]
    return value


@pytest.mark.parametrize("request_, change", [
    (GRAPH, (["a", "grad"], "1.0")),
    (GRAPH, (["a", "data"], True)),
    (GRAPH, (["a", "is_value"], 1)),
    (GRAPH, (["c"], {"data": 1.0, "grad": 0.0, "is_value": True})),
    (MODEL, (["n_params"], 41.5)),
    (MODEL, (["outputs", 0, "data"], ["0.5"])),
    (MODEL, (["outputs", 0, "grads"], {"a": 1})),
    (MODEL, (["outputs"], [{}] * 101)),
    (MODEL, (["secret"], "an extra key")),
    (GRAPH_PREV, (["c", "prev"], ["a", "not_a_node"])),
    (GRAPH_PREV, (["c", "prev_others"], -1)),
    (MODEL_NUDGED, (["places"], [0, 1, 2.5])),
    (MODEL_NUDGED, (["places"], [-2])),
    (MODEL_NUDGED, (["outputs", 0, "slopes"], "0.1, 0.2")),
    (TRAIN, (["losses"], [1.0] * 2000)),
    (TRAIN, (["losses"], "1, 2, 3")),
    (TRAIN, (["params"], None)),
    (TRAIN, (["returned"], "x" * 1000)),
], ids=["grad_as_text", "data_as_bool", "is_value_as_int", "a_node_nobody_read",
        "a_fractional_count", "outputs_as_text", "grads_as_a_dict", "too_many_outputs",
        "an_extra_key", "prev_names_no_node", "a_negative_count_of_others",
        "a_fractional_place", "a_place_below_minus_one", "slopes_as_text", "too_many_losses", "losses_as_text", "no_params", "a_huge_type_name"])
def test_is_an_answer_of_the_wrong_shape_refused(request_, change):
    assert not replies.valid(request_, spoiled(honest(request_), change))


def test_is_an_answer_to_another_question_refused():
    assert not replies.valid(GRAPH, honest(MODEL))
    assert not replies.valid({"probe": "no such probe"}, {})
