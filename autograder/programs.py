"""Expression graphs as data, the lecture's among them, and their derivatives in plain floats.

A program is a list of nodes: ["a", "leaf", 2.0] or ["d", "add", "e", "c"]; an operand is
a node's name or a plain number. The worker evaluates a program with the student's Value;
the judge evaluates it with floats to get numerical derivatives by central differences.
"""

import json
import math

L_EXAMPLE = [
    ["a", "leaf", 2.0], ["b", "leaf", -3.0], ["c", "leaf", 10.0], ["f", "leaf", -2.0],
    ["e", "mul", "a", "b"], ["d", "add", "e", "c"], ["L", "mul", "d", "f"],
]
L_GRADS = {"L": 1.0, "d": -2.0, "f": 4.0, "e": -2.0, "c": -2.0, "a": 6.0, "b": -4.0}
L_ORDER = ["L", "d", "e"]  # the order of the _backward calls when done by hand

NEURON = [
    ["x1", "leaf", 2.0], ["x2", "leaf", 0.0], ["w1", "leaf", -3.0], ["w2", "leaf", 1.0],
    ["b", "leaf", 6.8813735870195432],
    ["x1w1", "mul", "x1", "w1"], ["x2w2", "mul", "x2", "w2"],
    ["x1w1x2w2", "add", "x1w1", "x2w2"], ["n", "add", "x1w1x2w2", "b"], ["o", "tanh", "n"],
]
NEURON_GRADS = {"o": 1.0, "n": 0.5, "b": 0.5, "x1w1x2w2": 0.5, "x1w1": 0.5, "x2w2": 0.5,
                "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}
NEURON_ORDER = ["o", "n", "x1w1x2w2", "x2w2", "x1w1"]

FLOAT_OPS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "sub": lambda a, b: a - b,
    "div": lambda a, b: a / b,
    "pow": lambda a, k: a ** k,
    "neg": lambda a: -a,
    "tanh": math.tanh,
    "exp": math.exp,
    "relu": lambda a: a if a > 0 else 0.0,
}


def names(program):
    return [node[0] for node in program]


def leaves(program):
    return [node[0] for node in program if node[1] == "leaf"]


def evaluate(program, nudge=None):
    """The value of every node, in floats; nudge = (leaf, delta) shifts one input."""
    env = {}
    for node in program:
        name, op, args = node[0], node[1], node[2:]
        if op == "leaf":
            env[name] = args[0] + (nudge[1] if nudge and nudge[0] == name else 0.0)
        else:
            env[name] = FLOAT_OPS[op](*(env[a] if isinstance(a, str) else a for a in args))
    return env


def numerical_grads(program, output, h=1e-6):
    """d output / d leaf for every leaf, by central differences. Every submission of a
    grading run gets the same programs, so each one's are computed once per process."""
    key = json.dumps([program, output, h])
    if key not in _NUMERICAL:
        _NUMERICAL[key] = _numerical_grads(program, output, h)
    return dict(_NUMERICAL[key])


_NUMERICAL = {}


def _numerical_grads(program, output, h):
    grads = {}
    for leaf in leaves(program):
        up = evaluate(program, (leaf, h))[output]
        down = evaluate(program, (leaf, -h))[output]
        grads[leaf] = (up - down) / (2 * h)
    return grads


def parent_op(program, name):
    """The operation that used `name` as an input (its gradient comes from that _backward)."""
    for node in program:
        if node[1] != "leaf" and name in node[2:]:
            return node[1], node[0]
    return None, None


def random_graph(rng, size, ops=("add", "mul", "tanh"), n_leaves=3):
    """A random expression that reuses earlier nodes, so values are used more than once.

    Every leaf is also added into the output directly, so each one has a gradient; a graph
    is redrawn until every value stays moderate and every leaf's gradient through the inner
    graph is clearly non-zero, so a wrong backward cannot pass by luck.
    """
    while True:
        program = [[f"x{i}", "leaf", round(rng.uniform(-1.5, 1.5), 3)] for i in range(n_leaves)]
        for i in range(size):
            op = rng.choice(ops)
            pool = names(program)
            a = rng.choice(pool[-3:] if rng.random() < 0.7 else pool)
            if op in ("tanh", "exp", "relu", "neg"):
                program.append([f"n{i}", op, a])
            else:
                program.append([f"n{i}", op, a, rng.choice(pool)])
        out = program[-1][0]
        for leaf in leaves(program):
            program.append([f"s{leaf}", "add", out, leaf])
            out = f"s{leaf}"
        program[-1][0] = "out"
        values = evaluate(program)
        if max(abs(v) for v in values.values()) > 20:
            continue
        grads = numerical_grads(program, "out")
        if all(abs(g - 1.0) > 0.05 for g in grads.values()):
            return program


def node_grads(program, output, h=1e-6):
    """d output / d node for every node, leaves and intermediate ones: a node is cut loose
    (made a leaf of its own value) to nudge it."""
    values = evaluate(program)
    grads = {}
    for node in program:
        name = node[0]
        if node[1] == "leaf":
            continue
        cut = [[n[0], "leaf", values[n[0]]] if n[0] == name else n for n in program]
        grads[name] = numerical_grads(cut, output, h)[name]
    grads.update(numerical_grads(program, output, h))
    return grads


def contributions(program, output, name, h=1e-6):
    """{user: d output / d name along that use} for each node that uses `name`: the parts
    of name's gradient that its users pass back, each from its own _backward."""
    value = evaluate(program)[name]
    parts = {}
    for node in program:
        if node[1] == "leaf" or name not in node[2:]:
            continue
        copy = f"{name}@{node[0]}"
        split = [[copy, "leaf", value]] + [
            [n[0], n[1], *(copy if a == name else a for a in n[2:])] if n is node else n
            for n in program]
        parts[node[0]] = numerical_grads(split, output, h)[copy]
    return parts


def disguise(program, rng, output, spread=1.0, prefix="v"):
    """The same expression under random names, its inputs shifted by random offsets: the
    lecture's shape without the lecture's published numbers. Returns (program, names),
    names mapping each old name to its new one. Redrawn until every value stays moderate
    and every input's gradient is clearly non-zero."""
    while True:
        picked = rng.sample(range(100, 1000), len(program))
        names = {node[0]: f"{prefix}{n}" for node, n in zip(program, picked)}
        new = []
        for node in program:
            if node[1] == "leaf":
                shift = rng.choice([-1, 1]) * rng.uniform(0.2, spread)
                new.append([names[node[0]], "leaf", round(node[2] + shift, 3)])
            else:
                new.append([names[node[0]], node[1],
                            *(names[a] if isinstance(a, str) else a for a in node[2:])])
        values = evaluate(new)
        if max(abs(v) for v in values.values()) > 50:
            continue
        grads = numerical_grads(new, names[output])
        if all(abs(g) > 0.05 for g in grads.values()):
            return new, names
