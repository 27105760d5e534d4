"""Stage 1: the _backward closures of +, * and tanh, each called by hand, one at a time.

The student's Value is used as it is; backward() is never called, so these checks do not
depend on stage 2. Each property has its own check: the local derivative under an upstream
gradient other than 1 (1.3-1.5), accumulation into a gradient already there (1.6) and from
both uses of one value (1.7), the operands kept in _prev (1.8). The accumulation checks
compare the student's code with itself, so a wrong local derivative costs only its own check.
"""

import math

import pytest

from autograder import messages as M
from autograder.expect import Mistake, close, expect_public_grads
from autograder.programs import L_EXAMPLE, L_GRADS, L_ORDER, NEURON, NEURON_GRADS, NEURON_ORDER, parent_op

OP_WORDS = {"add": "+", "mul": "*", "tanh": "tanh"}


def blame(program):
    """A hint naming the operation whose _backward produced the first wrong gradient."""
    def hint(wrong):
        name = wrong[0].split(".grad")[0]
        op, out = parent_op(program, name)
        if op:
            return (f"{name} gets its gradient from the _backward of {OP_WORDS[op]} "
                    f"(the one that made {out}): look there.")
        return None
    return hint


@pytest.mark.check("1.1")
def test_L_example_by_hand(student):
    got = student.graph(L_EXAMPLE, grads=[["L", 1.0]], local=L_ORDER, read=list(L_GRADS))
    expect_public_grads(got, L_GRADS, blame(L_EXAMPLE))


@pytest.mark.check("1.2")
def test_neuron_by_hand(student):
    got = student.graph(NEURON, grads=[["o", 1.0]], local=NEURON_ORDER, read=list(NEURON_GRADS))
    expect_public_grads(got, NEURON_GRADS, blame(NEURON))


def upstream(rng):
    return rng.choice([-1, 1]) * rng.uniform(1.5, 3.0)


def one_op(student, op, a, b, g, start=(0.0, 0.0), same=False, prev=False):
    """out = a op b (or op(a), or a op a when same), with a.grad, b.grad starting at `start`,
    out.grad = g, then out._backward(); with prev, what out._prev holds (the operator is
    still used whole, _backward too, so that a stub earns nothing)."""
    nodes = [["a", "leaf", a]] + ([["b", "leaf", b]] if b is not None and not same else [])
    other = "a" if same else "b"
    nodes.append(["out", op, "a", other] if b is not None else ["out", op, "a"])
    leaves = [n[0] for n in nodes[:-1]]
    grads = [[n, s] for n, s in zip(leaves, start)] + [["out", g]]
    if prev:
        return student.graph(nodes, grads=grads, local=["out"], prev=["out"], read=["out"])
    return student.graph(nodes, grads=grads, local=["out"], read=[n[0] for n in nodes])


def local_check(student, rng, op, derivative, diagnose):
    for _ in range(3):
        a, b = rng.uniform(-2, 2), (rng.uniform(-2, 2) if op != "tanh" else None)
        g = upstream(rng)
        got = one_op(student, op, a, b, g)
        for name, x in (("a", a), ("b", b)):
            if x is None:
                continue
            want = g * derivative(name, a, b)
            if not close(got[name]["grad"], want, rel=1e-6, abs_tol=1e-9):
                raise Mistake(f"After out = {_expr(op)} and out._backward(), {name}.grad is wrong.",
                              diagnose(name, got[name]["grad"], a, b, g))


def _expr(op, same=False):
    if same:
        return {"add": "a + a", "mul": "a * a"}[op]
    return {"add": "a + b", "mul": "a * b", "tanh": "a.tanh()"}[op]


def _numeric(op):
    h = 1e-6

    def derivative(name, a, b):
        f = {"add": lambda x, y: x + y, "mul": lambda x, y: x * y,
             "tanh": lambda x, y: math.tanh(x)}[op]
        if name == "a":
            return (f(a + h, b) - f(a - h, b)) / (2 * h)
        return (f(a, b + h) - f(a, b - h)) / (2 * h)
    return derivative


def _forgot_upstream(got, want_at_one):
    return close(got, want_at_one, rel=1e-5, abs_tol=1e-7)


@pytest.mark.check("1.3")
def test_add_local_derivative(student, rng):
    def diagnose(name, got, a, b, g):
        if _forgot_upstream(got, 1.0):
            return M.FORGOT_UPSTREAM
        return None
    local_check(student, rng, "add", _numeric("add"), diagnose)


@pytest.mark.check("1.4")
def test_mul_local_derivative(student, rng):
    def diagnose(name, got, a, b, g):
        other, same = (b, a) if name == "a" else (a, b)
        if _forgot_upstream(got, other):
            return M.FORGOT_UPSTREAM
        if close(got, g * same, rel=1e-5):
            return M.SWAPPED_MUL
        return None
    local_check(student, rng, "mul", _numeric("mul"), diagnose)


@pytest.mark.check("1.5")
def test_tanh_local_derivative(student, rng):
    def diagnose(name, got, a, b, g):
        t = math.tanh(a)
        if _forgot_upstream(got, 1 - t * t):
            return M.FORGOT_UPSTREAM
        if close(got, g * (1 - a * a), rel=1e-5):
            return M.TANH_WRONG_INPUT
        return None
    local_check(student, rng, "tanh", _numeric("tanh"), diagnose)


@pytest.mark.check("1.6")
def test_gradients_accumulate(student, rng):
    # Whatever the student's local derivative is (1.3-1.5 judge it), an input that already
    # holds a gradient must end with that gradient plus the very same contribution.
    for op in ("add", "mul", "tanh"):
        a, b = rng.uniform(-2, 2), (rng.uniform(-2, 2) if op != "tanh" else None)
        g, before = upstream(rng), (rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0))
        fresh = one_op(student, op, a, b, g)
        got = one_op(student, op, a, b, g, start=before)
        for i, name in enumerate(["a", "b"] if b is not None else ["a"]):
            part = fresh[name]["grad"]
            if close(part, 0.0):
                raise Mistake(f"out = {_expr(op)} passed no gradient at all to {name} when "
                              "out._backward() ran, so no accumulation can be seen.")
            if not close(got[name]["grad"], before[i] + part, rel=1e-6):
                hint = M.OVERWRITES_GRAD if close(got[name]["grad"], part, rel=1e-6) else None
                raise Mistake(f"{name}.grad held a gradient before out = {_expr(op)} passed its "
                              "own back; afterwards it should hold the sum of both, and it "
                              "does not.", hint)


@pytest.mark.check("1.7")
def test_same_value_on_both_sides(student, rng):
    # a + a must give a the gradient of both uses: what a + b gives a and b together.
    for op in ("add", "mul"):
        a, g = rng.uniform(0.5, 2.0), upstream(rng)
        apart = one_op(student, op, a, a, g)
        parts = (apart["a"]["grad"], apart["b"]["grad"])
        got = one_op(student, op, a, a, g, same=True)["a"]["grad"]
        if not close(got, parts[0] + parts[1], rel=1e-6):
            hint = M.REUSED_NODE if any(close(got, p, rel=1e-6) for p in parts) else None
            raise Mistake(f"For out = {_expr(op, same=True)}, a.grad after out._backward() "
                          f"is not the sum of what the two sides of {_expr(op)} receive.", hint)


@pytest.mark.check("1.8")
def test_result_remembers_its_operands(student, rng):
    for op, same in (("add", False), ("mul", False), ("tanh", False), ("add", True)):
        a = rng.uniform(0.5, 2.0)
        b = None if op == "tanh" else a if same else rng.uniform(-2, 2)
        got = one_op(student, op, a, b, 1.0, same=same, prev=True)["out"]
        want = {"a"} if same or op == "tanh" else {"a", "b"}
        expr = _expr(op, same)
        if not got["is_value"]:
            raise Mistake(f"out = {expr} is not a Value.")
        held = set(got["prev"])
        if not want <= held:
            missing = " and ".join(sorted(want - held))
            raise Mistake(f"For out = {expr}, out._prev does not hold {missing}.", M.PREV_MISSING)
        if held != want or got["prev_others"]:
            raise Mistake(f"For out = {expr}, out._prev holds more than the Values out was "
                          "made from.")
