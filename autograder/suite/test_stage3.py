"""Stage 3: the rest of the operators, on the reference +, *, tanh and backward().

Each expression is checked twice. Multiplied by an upstream factor before backward(), so a
local derivative that forgets out.grad shows; then with each input also added to the result,
so that every input is used twice and a _backward that assigns (=) instead of adding (+=)
shows, in the operators the course gives as primitives (pow, exp, relu) and in any that a
student writes as one (neg, division).

Checks 3.8 and 3.9 combine many operators; when one fails, the hint comes from the first
operator that is wrong on its own (`operator_hint`).
"""

import math

import pytest

from autograder import messages as M
from autograder.expect import Mistake, close, expect, fmt
from autograder.programs import evaluate, numerical_grads
from autograder.session import StudentProblem

UPSTREAM = 2.5
TOLERANCE = dict(rel=1e-5, abs_tol=1e-7)


def scaled(program, output, reuse):
    """`output` times UPSTREAM, as the node "top"; with reuse, each input is first added to
    the output too, so that it is used twice."""
    leaves = [n[0] for n in program if n[1] == "leaf"]
    top, extra = output, []
    if reuse:
        for leaf in leaves:
            extra.append([f"{top}+{leaf}", "add", top, leaf])
            top = f"{top}+{leaf}"
    return program + extra + [["k", "leaf", UPSTREAM], ["top", "mul", top, "k"]], leaves


def run(student, program, read):
    try:
        return student.graph(program, backward="top", read=read)
    except StudentProblem as problem:
        raise problem.with_hint(hint_for_error(problem.message))


def check_expression(student, program, output, what, hints=(), fallback=True):
    """Value and gradients of `output` under an upstream gradient, then with every input
    used twice, against the floats. A failure that none of `hints` explains takes its hint
    from the operators on their own (with fallback)."""
    try:
        _check_expression(student, program, output, what, hints)
    except StudentProblem as problem:
        if problem.hint or not fallback or problem.kind != "error":
            raise    # a crash or a timeout: asking more questions would only repeat it
        raise problem.with_hint(operator_hint(student)[0])
    except Mistake as wrong:
        if wrong.hint or not fallback:
            raise
        raise composed_mistake(student, wrong.message, what) from None


def composed_mistake(student, message, what=""):
    """The failure of an expression, with the hint of the first operator that is wrong on
    its own, and which one that is."""
    hint, where = operator_hint(student)
    if hint and where != what:
        message = f"{message} ({where} on its own is wrong too.)"
    return Mistake(message, hint)


def _check_expression(student, program, output, what, hints):
    plain, leaves = scaled(program, output, reuse=False)
    want_data = evaluate(program)[output]
    want = numerical_grads(plain, "top")
    got = run(student, plain, leaves + [output])
    if not got[output]["is_value"]:
        raise Mistake(f"{what} did not give a Value.", M.NOT_A_VALUE.format(got=fmt(got[output]["data"])))
    if not close(got[output]["data"], want_data, rel=1e-9):
        raise Mistake(f"{what} computes the wrong value.", _first(hints, got, want, "data"))
    wrong = [n for n in leaves if not close(got[n]["grad"], want[n], **TOLERANCE)]
    if wrong:
        at_one = numerical_grads(program, output)   # the gradients under an upstream of 1
        forgot = all(close(got[n]["grad"], at_one[n], **TOLERANCE) and not close(at_one[n], 0.0)
                     for n in wrong)
        raise Mistake(f"{what}: after backward(), the gradient of {', '.join(wrong)} is wrong.",
                      M.FORGOT_UPSTREAM if forgot else _first(hints, got, want, "grad"))
    twice, _ = scaled(program, output, reuse=True)
    want_twice = numerical_grads(twice, "top")
    got = run(student, twice, leaves)
    wrong = [n for n in leaves if not close(got[n]["grad"], want_twice[n], **TOLERANCE)]
    if wrong:
        # used twice, an input that ends with only the operator's own part lost the other one
        lost = all(close(got[n]["grad"], want[n], **TOLERANCE) for n in wrong)
        raise Mistake(f"{what}, with {' and '.join(leaves)} also added to the result (so used "
                      f"twice): after backward(), the gradient of {', '.join(wrong)} is wrong, "
                      "though it is right when used once.", M.REUSED_NODE if lost else None)


def hint_for_error(message):
    """The misconception behind an error a stage-3 expression raised, when it is a known one."""
    if "RecursionError" in message:
        return M.REFLECTED_RECURSION
    if "has no attribute 'data'" in message and ("'int'" in message or "'float'" in message):
        return M.COERCE
    if "unsupported operand type" in message:
        if "'Value' and 'int'" in message or "'Value' and 'float'" in message:
            return M.COERCE
        if "'int' and 'Value'" in message or "'float' and 'Value'" in message:
            return M.REFLECTED
    return None


def _first(hints, got, want, part):
    for test, hint in hints:
        if test(got, want, part):
            return hint
    return None


def leaf(name, x):
    return [name, "leaf", x]


def grads_hint(hint):
    return [(lambda g, w, p: p == "grad", hint)]


# -- the expressions of each operator: (program, output, what, hints) ----------------------------

def numbers_on_the_left(a):
    return [([leaf("a", a), ["out", "add", 2, "a"]], "out", "2 + a", []),
            ([leaf("a", a), ["out", "mul", 3, "a"]], "out", "3 * a", [])]


def negation_and_subtraction(a, b):
    reflected = [(lambda g, w, p: p == "data" and close(g["out"]["data"], a - 2), M.REFLECTED)]
    return [([leaf("a", a), ["out", "neg", "a"]], "out", "-a", []),
            ([leaf("a", a), leaf("b", b), ["out", "sub", "a", "b"]], "out", "a - b", []),
            ([leaf("a", a), ["out", "sub", 2, "a"]], "out", "2 - a", reflected)]


def division(a, b):
    reflected = [(lambda g, w, p: p == "data" and close(g["out"]["data"], a / 2), M.REFLECTED)]
    return [([leaf("a", a), leaf("b", b), ["out", "div", "a", "b"]], "out", "a / b", []),
            ([leaf("a", a), ["out", "div", 2, "a"]], "out", "2 / a", reflected)]


def powers(a):
    return [([leaf("a", a), ["out", "pow", "a", k]], "out", f"a ** {k}", grads_hint(M.POW_RULE))
            for k in (2, 3, -1, 0.5, -1.5)]


def exponential(a):
    return [([leaf("a", a), ["out", "exp", "a"]], "out", "a.exp()", grads_hint(M.EXP_RULE))]


def relu(positive, negative):
    return [([leaf("a", a), ["out", "relu", "a"]], "out",
             f"relu of a {'positive' if a > 0 else 'negative'} a",
             grads_hint(M.RELU_NEGATIVE) if a < 0 else [])
            for a in (positive, negative)]


def every_operator(a=1.37, b=-0.83):
    """One expression of each operator, on inputs of their own: the evidence for a hint. The
    primitives first: the compositions are wrong whenever one they use is."""
    return (powers(a) + exponential(b) + relu(a, b) + numbers_on_the_left(a)
            + negation_and_subtraction(a, b) + division(a, b))


def operator_hint(student):
    """(hint, expression) of the first operator that is wrong on its own in a way a hint
    names; (None, "") when there is none."""
    for program, output, what, hints in every_operator():
        try:
            check_expression(student, program, output, what, hints, fallback=False)
        except (Mistake, StudentProblem) as wrong:
            if wrong.hint:
                return wrong.hint, what
    return None, ""


def check_all(student, cases):
    for program, output, what, hints in cases:
        check_expression(student, program, output, what, hints)


@pytest.mark.check("3.1")
def test_numbers_on_the_right(student, rng):
    a = round(rng.uniform(-3, 3), 3)
    for op, k, f in (("add", 2, lambda x: x + 2), ("mul", 2, lambda x: x * 2),
                     ("add", 0.5, lambda x: x + 0.5), ("mul", -1.5, lambda x: x * -1.5)):
        try:
            got = student.graph([leaf("a", a), ["out", op, "a", k]], read=["out"], variant="own_add_mul")
        except StudentProblem as problem:
            raise problem.with_hint(hint_for_error(problem.message))
        expr = f"a {'+' if op == 'add' else '*'} {k}"
        expect(got["out"]["is_value"] and close(got["out"]["data"], f(a)),
               f"{expr} should be a Value holding {expr} computed on a's data.")


@pytest.mark.check("3.2")
def test_numbers_on_the_left(student, rng):
    check_all(student, numbers_on_the_left(round(rng.uniform(-3, 3), 3)))


@pytest.mark.check("3.3")
def test_negation_and_subtraction(student, rng):
    check_all(student, negation_and_subtraction(round(rng.uniform(-3, 3), 3),
                                                round(rng.uniform(-3, 3), 3)))


@pytest.mark.check("3.4")
def test_division(student, rng):
    a = round(rng.choice([-1, 1]) * rng.uniform(0.5, 3), 3)
    b = round(rng.choice([-1, 1]) * rng.uniform(0.5, 3), 3)
    check_all(student, division(a, b))


@pytest.mark.check("3.5")
def test_powers(student, rng):
    check_all(student, powers(round(rng.uniform(0.5, 2.5), 3)))


@pytest.mark.check("3.6")
def test_exp(student, rng):
    check_all(student, exponential(round(rng.uniform(-2, 2), 3)))


@pytest.mark.check("3.7")
def test_relu(student, rng):
    check_all(student, relu(round(rng.uniform(0.2, 3), 3), round(rng.uniform(-3, -0.2), 3)))


@pytest.mark.check("3.8")
def test_tanh_from_exp(student, rng):
    # the lecture's n first (its numbers may be shown), then a random one (they may not)
    for x, public in ((0.8813735870195432, True), (round(rng.uniform(-1.5, 1.5), 3), False)):
        program = [leaf("x", x), ["two_x", "mul", 2, "x"], ["e", "exp", "two_x"],
                   ["num", "sub", "e", 1], ["den", "add", "e", 1], ["o", "div", "num", "den"]]
        try:
            got = student.graph(program, backward="o", read=["x", "o"])
        except StudentProblem as problem:
            raise problem.with_hint(operator_hint(student)[0])
        where = f"for the lecture's n = {x}" if public else "for another input"
        value = f": it gives {fmt(got['o']['data'])}, tanh gives {fmt(math.tanh(x))}" if public else ""
        if not close(got["o"]["data"], math.tanh(x), rel=1e-9):
            raise composed_mistake(student, f"(e - 1) / (e + 1) with e = (2*n).exp() is not "
                                            f"tanh(n) {where}{value}.")
        want = 1 - math.tanh(x) ** 2
        grad = f" (it is {fmt(got['x']['grad'])}, the direct tanh gives {fmt(want)})" if public else ""
        if not close(got["x"]["grad"], want, rel=1e-6):
            raise composed_mistake(student, f"Through (e - 1) / (e + 1), the gradient of n "
                                            f"differs from the direct tanh's {where}{grad}.")


SANITY = [leaf("x", -4.0), ["x2", "mul", 2, "x"], ["x2p2", "add", "x2", 2], ["z", "add", "x2p2", "x"],
          ["zr", "relu", "z"], ["zx", "mul", "z", "x"], ["q", "add", "zr", "zx"],
          ["zz", "mul", "z", "z"], ["h", "relu", "zz"], ["hq", "add", "h", "q"],
          ["qx", "mul", "q", "x"], ["y", "add", "hq", "qx"]]


def _more_ops():
    p = [leaf("a", -4.0), leaf("b", 2.0), ["c0", "add", "a", "b"], ["ab", "mul", "a", "b"],
         ["b3", "pow", "b", 3], ["d0", "add", "ab", "b3"],
         ["c0p1", "add", "c0", 1], ["c1", "add", "c0", "c0p1"],           # c += c + 1
         ["one_c", "add", 1, "c1"], ["neg_a", "neg", "a"], ["t", "add", "one_c", "neg_a"],
         ["c2", "add", "c1", "t"],                                        # c += 1 + c + (-a)
         ["d0x2", "mul", "d0", 2], ["bpa", "add", "b", "a"], ["r1", "relu", "bpa"],
         ["s1", "add", "d0x2", "r1"], ["d1", "add", "d0", "s1"],          # d += d*2 + (b+a).relu()
         ["d1x3", "mul", 3, "d1"], ["bma", "sub", "b", "a"], ["r2", "relu", "bma"],
         ["s2", "add", "d1x3", "r2"], ["d2", "add", "d1", "s2"],          # d += 3*d + (b-a).relu()
         ["e", "sub", "c2", "d2"], ["f", "pow", "e", 2], ["g0", "div", "f", 2.0],
         ["tenf", "div", 10.0, "f"], ["g", "add", "g0", "tenf"]]         # g += 10.0 / f
    return p


@pytest.mark.check("3.9")
def test_micrograd_tests(student):
    try:
        got = student.graph(SANITY, backward="y", read=["x", "y"])
        more = student.graph(_more_ops(), backward="g", read=["a", "b", "g"])
    except StudentProblem as problem:
        raise problem.with_hint(operator_hint(student)[0])
    if not (close(got["y"]["data"], -20.0) and close(got["x"]["grad"], 46.0)):
        raise composed_mistake(student, f"micrograd's sanity check: y is {fmt(got['y']['data'])} "
                                        f"(expected -20) and x.grad is {fmt(got['x']['grad'])} "
                                        "(expected 46).")
    if not (close(more["g"]["data"], 24.70408163265306, abs_tol=1e-6)
            and close(more["a"]["grad"], 138.83381924198252, abs_tol=1e-6)
            and close(more["b"]["grad"], 645.5772594752186, abs_tol=1e-6)):
        raise composed_mistake(student, f"micrograd's second test: g is {fmt(more['g']['data'])} "
                                        f"(expected 24.7041), a.grad {fmt(more['a']['grad'])} "
                                        f"(expected 138.834), b.grad {fmt(more['b']['grad'])} "
                                        "(expected 645.577).")
