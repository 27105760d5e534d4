"""Stage 2: backward() over a whole graph, on the reference _backward of +, * and tanh.

The lecture's examples are public: the notebook prints their gradients. So a check that runs
one also runs the same expression under other names, its inputs shifted by this run's random
offsets, and passes only when both are right. Messages show the lecture's numbers, never the
others.

A failed check names the likely mistake from what it measured: the output's own gradient
(the seed), the gradients of the output's inputs (a seed set too late), and for a node used
along two paths, how often and how early it passed its gradient on, read from the gradient of
the input below it (`passes`). Checks whose own graph has no such node ask one more graph
that has two (`order_hint`).
"""

import pytest

from autograder import messages as M
from autograder.expect import Mistake, close, expect, expect_public_grads, fmt
from autograder.programs import (L_EXAMPLE, L_GRADS, NEURON, NEURON_GRADS, contributions, disguise,
                                 evaluate, node_grads, random_graph)

TOLERANCE = dict(rel=1e-5, abs_tol=1e-7)


# -- how a node used along two paths passed its gradient on --------------------------------------

def passes(got, program, output, node, below):
    """How `node` (node = tanh(below), below used nowhere else) passed its gradient on:
    "right"; "none" (its _backward ran while it held no gradient); "early" (before every
    node using it had passed it theirs); "twice"; or "" when the numbers fit none of these.

    below.grad = (1 - node**2) * (the sum of node.grad at each call of node._backward), and
    node.grad grows by one part per user of node: each call saw 0, one part, or all of them."""
    local = 1 - evaluate(program)[node] ** 2
    seen = got[below]["grad"] / local
    parts = list(contributions(program, output, node).values())
    full = sum(parts)
    if close(seen, full, **TOLERANCE):
        return "right"
    if close(seen, 0.0, **TOLERANCE):
        return "none"
    if any(close(seen, part, **TOLERANCE) for part in parts):
        return "early"
    twice = [2 * full] + [full + part for part in parts] + [2 * part for part in parts]
    if any(close(seen, x, **TOLERANCE) for x in twice):
        return "twice"
    return ""


def mistake_of(kinds):
    """The misconception behind the ways the shared nodes of one graph passed their gradient."""
    if "twice" in kinds:
        return M.VISITED_TWICE
    if "early" in kinds:
        return M.TOPO_ORDER
    if "none" in kinds:
        return M.ORDER
    return None


def paths_of_different_lengths(a, b, k1, k2):
    """y and z are each used directly and through a longer path:
    out = (y + z*k2) * (z + y*k1). Whichever input of out a walk takes first, breadth-first
    order and pre-order reach y or z before its longer path has passed it its gradient."""
    return [["a", "leaf", a], ["b", "leaf", b], ["k1", "leaf", k1], ["k2", "leaf", k2],
            ["y", "tanh", "a"], ["z", "tanh", "b"], ["yk", "mul", "y", "k1"],
            ["zk", "mul", "z", "k2"], ["A", "add", "y", "zk"], ["B", "add", "z", "yk"],
            ["out", "mul", "A", "B"]]


SHARED = (("y", "a"), ("z", "b"))    # the shared nodes of that graph, and the input below each

# the graph `order_hint` asks about (its inputs are never shown); `separated` holds for it
DIAGNOSTIC = paths_of_different_lengths(0.8, -0.71, 1.6, 1.4)


def seed_hint(got, program, output):
    """NO_SEED or SEED_LATE, when the output's gradient or its inputs' show it."""
    if not close(got[output]["grad"], 1.0):
        return M.NO_SEED
    node = next(n for n in program if n[0] == output)
    children = [a for a in node[2:] if isinstance(a, str) and a in got]
    if children and all(close(got[c]["grad"], 0.0) for c in children):
        return M.SEED_LATE
    return None


def order_hint(student):
    """The misconception shown by backward() on a graph with two nodes used along paths of
    different lengths; None when it is right there."""
    got = student.graph(DIAGNOSTIC, backward="out", read=[n[0] for n in DIAGNOSTIC])
    return (seed_hint(got, DIAGNOSTIC, "out")
            or mistake_of({passes(got, DIAGNOSTIC, "out", node, below) for node, below in SHARED}))


def hint_for(student, got, program, output, shared=()):
    """The likely mistake behind wrong gradients of backward() from `output`."""
    return (seed_hint(got, program, output)
            or mistake_of({passes(got, program, output, node, below) for node, below in shared})
            or order_hint(student))


def expect_backward(student, program, output, what, shared=()):
    """backward() from output gives every node its gradient (numerical derivatives)."""
    want = node_grads(program, output)
    want[output] = 1.0
    got = student.graph(program, backward=output, read=list(want))
    wrong = [n for n in want if not close(got[n]["grad"], want[n], **TOLERANCE)]
    if wrong:
        raise Mistake(f"{what}: backward() gives {len(wrong)} of its {len(want)} nodes a wrong "
                      "gradient.", hint_for(student, got, program, output, shared))


def lecture_and_other_inputs(student, rng, program, public, output, what, spread=1.0):
    """The lecture's expression with its public numbers, then with other inputs."""
    got = student.graph(program, backward=output, read=[n[0] for n in program])
    expect_public_grads(got, public, lambda wrong: hint_for(student, got, program, output))
    other, names = disguise(program, rng, output, spread)
    expect_backward(student, other, names[output], f"{what} with other inputs")


@pytest.mark.check("2.1")
def test_L_example(student, rng):
    lecture_and_other_inputs(student, rng, L_EXAMPLE, L_GRADS, "L", "The L example")


@pytest.mark.check("2.2")
def test_neuron(student, rng):
    lecture_and_other_inputs(student, rng, NEURON, NEURON_GRADS, "o", "The lecture's neuron",
                             spread=0.5)


@pytest.mark.check("2.3")
def test_seed(student, rng):
    a = round(rng.choice([-1, 1]) * rng.uniform(0.5, 5.0), 3)
    got = student.graph([["a", "leaf", a]], backward="a", read=["a"])
    expect(close(got["a"]["grad"], 1.0),
           f"For a single Value a, a.backward() leaves a.grad = {fmt(got['a']['grad'])}, expected 1.0.",
           M.NO_SEED)
    other, names = disguise(L_EXAMPLE, rng, "L")
    got = student.graph(other, backward=names["L"], read=[names["L"]])
    expect(close(got[names["L"]]["grad"], 1.0),
           f"After L.backward(), L.grad is {fmt(got[names['L']]['grad'])}, expected 1.0.",
           M.NO_SEED)


@pytest.mark.check("2.4")
def test_value_used_twice(student, rng):
    a = round(rng.choice([-1, 1]) * rng.uniform(0.5, 5.0), 3)
    program = [["a", "leaf", a], ["b", "add", "a", "a"]]
    got = student.graph(program, backward="b", read=["a", "b"])
    expect(close(got["a"]["grad"], 2.0),
           f"b = a + a: after b.backward(), a.grad is {fmt(got['a']['grad'])}, expected 2.0.",
           hint_for(student, got, program, "b"))
    program = program + [["c", "add", "b", "b"]]
    got = student.graph(program, backward="c", read=["a", "b", "c"])
    expect(close(got["a"]["grad"], 4.0),
           f"b = a + a, c = b + b: after c.backward(), a.grad is {fmt(got['a']['grad'])}, "
           "expected 4.0.", hint_for(student, got, program, "c"))


TWO_PATHS = [["a", "leaf", -2.0], ["b", "leaf", 3.0], ["d", "mul", "a", "b"],
             ["e", "add", "a", "b"], ["f", "mul", "d", "e"]]


@pytest.mark.check("2.5")
def test_two_paths(student, rng):
    got = student.graph(TWO_PATHS, backward="f", read=["a", "b", "d", "e", "f"])
    expect_public_grads(got, {"a": -3.0, "b": -8.0},
                        lambda wrong: hint_for(student, got, TWO_PATHS, "f"))
    other, names = disguise(TWO_PATHS, rng, "f")
    expect_backward(student, other, names["f"], "d = a*b, e = a+b, f = d*e with other inputs")


@pytest.mark.check("2.6")
def test_shared_intermediate_node(student, rng):
    # y is reached from w along two paths (through u and through v): its _backward must
    # run once, after both have passed their gradient to it.
    for _ in range(2):
        while True:
            a = round(rng.choice([-1, 1]) * rng.uniform(0.3, 1.0), 3)
            program = [["a", "leaf", a], ["y", "tanh", "a"], ["three", "leaf", 3.0],
                       ["one", "leaf", 1.0], ["u", "mul", "y", "three"], ["v", "add", "y", "one"],
                       ["w", "mul", "u", "v"]]
            if separated(program, "w", [("y", "a")]):
                break
        expect_backward(student, program, "w", "In a graph where one node is used along two "
                        "paths", shared=[("y", "a")])


@pytest.mark.check("2.7")
def test_random_graphs(student, rng):
    for size in (6, 10, 14):
        program = random_graph(rng, size)
        expect_backward(student, program, "out", f"On a random expression of {len(program)} nodes")


def separated(program, output, shared):
    """Do the parts of each shared node's gradient differ clearly from each other, from
    zero and from their sum, so that `passes` can tell every case apart?"""
    for node, _ in shared:
        parts = list(contributions(program, output, node).values())
        candidates = [0.0, sum(parts), *parts, 2 * sum(parts), *(sum(parts) + p for p in parts),
                      *(2 * p for p in parts)]
        if any(abs(x - y) < 0.05 * max(1.0, abs(x)) for i, x in enumerate(candidates)
               for y in candidates[i + 1:]):
            return False
    return True


@pytest.mark.check("2.8")
def test_paths_of_different_lengths(student, rng):
    while True:
        a, b = (round(rng.choice([-1, 1]) * rng.uniform(0.2, 1.0), 3) for _ in range(2))
        k1, k2 = (round(rng.choice([-1, 1]) * rng.uniform(0.8, 2.0), 3) for _ in range(2))
        program = paths_of_different_lengths(a, b, k1, k2)
        if separated(program, "out", SHARED):
            break
    expect_backward(student, program, "out", "In a graph where two nodes are each used "
                    "directly and through a longer path", shared=SHARED)


def two_graphs(p, q, r):
    """A first graph L, and a second one, out, built from some of the same values (p, q and
    the first graph's m)."""
    first = [["p", "leaf", p], ["q", "leaf", q], ["r", "leaf", r], ["m", "mul", "p", "q"],
             ["g", "add", "m", "r"], ["L", "mul", "g", "r"]]
    second = [["t", "tanh", "m"], ["u", "mul", "t", "q"], ["out", "add", "u", "p"]]
    return first, second


@pytest.mark.check("2.9")
def test_second_graph(student, rng):
    p, q = (round(rng.choice([-1, 1]) * rng.uniform(0.3, 1.2), 3) for _ in range(2))
    first, second = two_graphs(p, q, round(rng.choice([-1, 1]) * rng.uniform(0.5, 2.0), 3))
    program = first + second
    want = node_grads(program, "out")
    # L.backward(), then the gradients of what out is made of set back to zero (as a
    # training step zeroes its parameters), then out.backward()
    got = student.graph(program, backward="L", grads=[["p", 0.0], ["q", 0.0], ["m", 0.0]],
                        then_backward="out", read=["p", "q", "m", "out"])
    if all(close(got[n]["grad"], want[n], **TOLERANCE) for n in ("p", "q")):
        return
    alone = [n for n in first if n[0] in ("p", "q", "m")] + second
    fresh = student.graph(alone, backward="out", read=["p", "q", "m", "out"])
    right_alone = all(close(fresh[n]["grad"], want[n], **TOLERANCE) for n in ("p", "q"))
    raise Mistake("After backward() on a first graph, backward() on a second graph built from "
                  "some of the same values gives wrong gradients"
                  + (" (on that second graph alone, they are right)." if right_alone else "."),
                  M.STALE_STATE if right_alone else hint_for(student, fresh, alone, "out"))
