"""Stage 2: backward() over a whole graph, on the reference _backward of +, * and tanh."""

import pytest

from autograder import messages as M
from autograder.expect import Mistake, close, expect, expect_public_grads, fmt
from autograder.programs import L_EXAMPLE, L_GRADS, NEURON, NEURON_GRADS, numerical_grads, random_graph


def diagnose(got, want, output, children=()):
    """Which classic backward() mistake do these gradients look like?

    children: the output's direct inputs, when read. They get their gradient from the
    output's own _backward, which runs first in any order that ends at the inputs; so if
    they got nothing while the output holds 1.0, the seed came too late."""
    if not close(got[output]["grad"], 1.0):
        return M.NO_SEED
    if children and all(close(got[n]["grad"], 0.0) for n in children):
        return M.SEED_LATE
    ratios = [got[n]["grad"] / w for n, w in want.items()
              if abs(w) > 1e-9 and type(got[n]["grad"]) in (int, float)]
    if any(close(got[n]["grad"], 0.0) for n, w in want.items() if abs(w) > 1e-9):
        return M.ORDER
    if any(r > 1.0 + 1e-6 for r in ratios):
        return M.VISITED_TWICE
    return None


def backward_check(student, program, want, output):
    got = student.graph(program, backward=output, read=list(want))
    children = next(node[2:] for node in program if node[0] == output)
    expect_public_grads(got, want, lambda wrong: diagnose(got, want, output, children))


@pytest.mark.check("2.1")
def test_L_example(student):
    backward_check(student, L_EXAMPLE, L_GRADS, "L")


@pytest.mark.check("2.2")
def test_neuron(student):
    backward_check(student, NEURON, NEURON_GRADS, "o")


@pytest.mark.check("2.3")
def test_seed(student):
    got = student.graph([["a", "leaf", 3.0]], backward="a", read=["a"])
    expect(close(got["a"]["grad"], 1.0),
           f"For a single Value a, a.backward() leaves a.grad = {fmt(got['a']['grad'])}, expected 1.0.",
           M.NO_SEED)
    got = student.graph(L_EXAMPLE, backward="L", read=["L"])
    expect(close(got["L"]["grad"], 1.0),
           f"After L.backward(), L.grad is {fmt(got['L']['grad'])}, expected 1.0.", M.NO_SEED)


@pytest.mark.check("2.4")
def test_value_used_twice(student):
    got = student.graph([["a", "leaf", 3.0], ["b", "add", "a", "a"]], backward="b", read=["a", "b"])
    expect(close(got["a"]["grad"], 2.0),
           f"b = a + a with a = 3.0: after b.backward(), a.grad is {fmt(got['a']['grad'])}, "
           "expected 2.0.", M.REUSED_NODE if close(got["a"]["grad"], 1.0) else None)
    got = student.graph([["a", "leaf", 3.0], ["b", "add", "a", "a"], ["c", "add", "b", "b"]],
                        backward="c", read=["a"])
    expect(close(got["a"]["grad"], 4.0),
           f"b = a + a, c = b + b: after c.backward(), a.grad is {fmt(got['a']['grad'])}, "
           "expected 4.0.", M.REUSED_NODE if got["a"]["grad"] in (1.0, 2.0) else None)


@pytest.mark.check("2.5")
def test_two_paths(student):
    program = [["a", "leaf", -2.0], ["b", "leaf", 3.0], ["d", "mul", "a", "b"],
               ["e", "add", "a", "b"], ["f", "mul", "d", "e"]]
    got = student.graph(program, backward="f", read=["a", "b", "d", "e", "f"])
    want = {"a": -3.0, "b": -8.0}
    expect_public_grads(got, want, lambda wrong: diagnose(got, want, "f", ("d", "e")))


@pytest.mark.check("2.6")
def test_shared_intermediate_node(student, rng):
    # y is reached from w along two paths (through u and through v): its _backward must
    # run once, after both have passed their gradient to it.
    for _ in range(2):
        a = round(rng.uniform(-1.0, 1.0), 3)
        program = [["a", "leaf", a], ["y", "tanh", "a"], ["three", "leaf", 3.0],
                   ["one", "leaf", 1.0], ["u", "mul", "y", "three"], ["v", "add", "y", "one"],
                   ["w", "mul", "u", "v"]]
        got = student.graph(program, backward="w", read=["a", "y", "u", "v", "w"])
        want = numerical_grads(program, "w")
        if not close(got["a"]["grad"], want["a"], rel=1e-5, abs_tol=1e-7):
            # the seed is right and gradients arrive, yet the one node reached along two
            # paths passes on a wrong one: it ran its _backward too early or twice
            hint = diagnose(got, {"a": want["a"]}, "w", ("u", "v")) or M.VISITED_TWICE
            if hint == M.ORDER and not close(got["a"]["grad"], 0.0):
                hint = M.VISITED_TWICE
            raise Mistake("In a graph where one node is used along two paths, the gradient "
                          "of the input below it is wrong.", hint)


@pytest.mark.check("2.7")
def test_random_graphs(student, rng):
    for size in (6, 10, 14):
        program = random_graph(rng, size)
        want = numerical_grads(program, "out")
        children = [a for a in program[-1][2:] if isinstance(a, str)]
        got = student.graph(program, backward="out", read=sorted(set(want) | set(children)) + ["out"])
        wrong = [n for n in want if not close(got[n]["grad"], want[n], rel=1e-5, abs_tol=1e-7)]
        if wrong:
            raise Mistake(f"On a random expression of {len(program)} nodes, backward() gave "
                          f"{len(wrong)} of its {len(want)} inputs a wrong gradient.",
                          diagnose(got, want, "out", children))
