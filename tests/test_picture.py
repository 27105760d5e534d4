"""solutions/picture.py (copied to assignments/picture.py): pictures of a graph, or text when Graphviz is missing.

The graph is the lecture's neuron with its gradients filled in, built from a minimal node
class: draw_dot only reads .data, .grad, ._prev, ._op and .label, whatever the stage.
"""

import html
import importlib.util
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# The helper lives beside the notebooks that import it, not in a package.
_spec = importlib.util.spec_from_file_location(
    "picture", Path(__file__).resolve().parent.parent / "solutions" / "picture.py")
picture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(picture)


class Node:
    def __init__(self, data, grad, label, children=(), op=""):
        self.data, self.grad, self.label = data, grad, label
        self._prev, self._op = set(children), op


def neuron():
    """o = tanh(x1*w1 + x2*w2 + b), with the lecture's data and gradients."""
    x1, x2 = Node(2.0, -1.5, "x1"), Node(0.0, 0.5, "x2")
    w1, w2 = Node(-3.0, 1.0, "w1"), Node(1.0, 0.0, "w2")
    b = Node(6.8813735870195432, 0.5, "b")
    x1w1 = Node(-6.0, 0.5, "x1*w1", (x1, w1), "*")
    x2w2 = Node(0.0, 0.5, "x2*w2", (x2, w2), "*")
    x1w1x2w2 = Node(-6.0, 0.5, "x1*w1 + x2*w2", (x1w1, x2w2), "+")
    n = Node(0.8813735870195432, 0.4999999999999999, "n", (x1w1x2w2, b), "+")
    o = Node(0.7071067811865476, 1.0, "o", (n,), "tanh")
    return o, [x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o]


def svg_texts(svg):
    """The text of every <text> element, in order, with Graphviz's escapes (&#45;) undone."""
    root = ET.fromstring(svg)
    return [html.unescape(el.text or "").strip() for el in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed here")
def test_does_the_svg_show_every_node_with_its_label_data_and_grad():
    o, nodes = neuron()
    texts = svg_texts(picture.draw_dot(o).pipe(format="svg").decode("utf-8"))
    boxes = [texts[i:i + 3] for i in range(len(texts) - 2)]
    for node in nodes:
        box = [node.label, f"data {node.data:.4f}", f"grad {node.grad:.4f}"]
        assert box in boxes, f"no box {box} in the picture"
    assert "grad -1.5000" in texts          # a minus sign survives the SVG escaping
    for op in ("*", "+", "tanh"):
        assert op in texts


def test_does_draw_dot_without_graphviz_return_the_install_command_and_the_graph_as_text(
        monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))   # an empty folder: no `dot` on PATH
    o, nodes = neuron()
    shown = repr(picture.draw_dot(o))
    assert shown.startswith(picture.INSTALL_HINT)
    assert "sudo apt-get install graphviz" in shown
    for node in nodes:
        assert f"{node.label}" in shown and f"data {node.data:.4f}, grad {node.grad:.4f}" in shown
    assert shown.split("\n")[len(picture.INSTALL_HINT.split("\n"))] == \
        "o = tanh(...): data 0.7071, grad 1.0000"
