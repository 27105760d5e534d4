"""Pictures of a computation graph: every Value as a box with its label, data and grad.

    from picture import draw_dot
    draw_dot(L)          # in a notebook cell: the picture appears below it

Works with the Value of any stage: it only reads .data, .grad, ._prev, ._op and .label.
Drawing needs Graphviz's `dot` program; without it you get the install command and a text
outline of the same graph instead of a traceback.
"""

import shutil

INSTALL_HINT = (
    "The graph picture needs Graphviz's 'dot' program, which is not installed.\n"
    "Install it with:  sudo apt-get install graphviz   (macOS: brew install graphviz;\n"
    "conda: conda install graphviz), then restart the kernel. Meanwhile, here is the graph as text:"
)


def trace(root):
    """All the nodes and edges that lead to root: (set of Values, set of (child, parent))."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges


def _record(v):
    label = getattr(v, "label", "") or ""
    return f"{{ {label} | data {v.data:.4f} | grad {v.grad:.4f} }}"


def draw_dot(root, format="svg", rankdir="LR"):
    """A picture of the graph that produced root; each operation is a small circle.

    rankdir "LR" draws left to right (inputs on the left), "TB" top to bottom.
    Returns a graphviz.Digraph, which a notebook shows inline; or, when Graphviz is not
    installed, a TextGraph that prints the install command and the graph as text.
    """
    assert rankdir in ("LR", "TB"), "rankdir is 'LR' (left to right) or 'TB' (top to bottom)"
    if shutil.which("dot") is None:
        return TextGraph(root)

    from graphviz import Digraph

    dot = Digraph(format=format, graph_attr={"rankdir": rankdir})
    nodes, edges = trace(root)
    for n in sorted(nodes, key=id):
        uid = str(id(n))
        # a box for every value: its label, its data and its grad
        dot.node(name=uid, label=_record(n), shape="record")
        if n._op:
            # a circle for the operation that made it, pointing at the box
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        # each input points at the operation of the value it helped make
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


class TextGraph:
    """The graph as indented text: what draw_dot shows when Graphviz is missing."""

    def __init__(self, root):
        self.root = root

    def lines(self):
        out, seen = [], set()

        def walk(v, depth):
            name = getattr(v, "label", "") or "(no label)"
            made = f" = {v._op}(...)" if v._op else ""
            again = " (shown above)" if id(v) in seen else ""
            out.append(f"{'    ' * depth}{name}{made}: data {v.data:.4f}, grad {v.grad:.4f}{again}")
            if id(v) not in seen:
                seen.add(id(v))
                for child in v._prev:
                    walk(child, depth + 1)
        walk(self.root, 0)
        return out

    def __repr__(self):
        return "\n".join([INSTALL_HINT, *self.lines()])
