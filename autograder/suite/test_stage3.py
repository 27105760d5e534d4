"""Stage 3: the rest of the operators, on the reference +, *, tanh and backward().

Each expression is multiplied by an upstream factor before backward(), so a local
derivative that forgets out.grad shows.
"""

import math

import pytest

from autograder import messages as M
from autograder.expect import Mistake, close, expect, fmt
from autograder.programs import evaluate, numerical_grads
from autograder.session import StudentProblem


def check_expression(student, program, output, what, hints=()):
    """Value and gradients of `output`, scaled by an upstream factor, against the floats."""
    scaled = program + [["k", "leaf", 2.5], ["top", "mul", output, "k"]]
    want_data = evaluate(program)[output]
    want = numerical_grads(scaled, "top")
    read = [n[0] for n in program if n[1] == "leaf"] + [output]
    try:
        got = student.graph(scaled, backward="top", read=read)
    except StudentProblem as problem:
        raise problem.with_hint(hint_for_error(problem.message))
    if not got[output]["is_value"]:
        raise Mistake(f"{what} did not give a Value.", M.NOT_A_VALUE.format(got=fmt(got[output]["data"])))
    if not close(got[output]["data"], want_data, rel=1e-9):
        raise Mistake(f"{what} computes the wrong value.", _first(hints, got, want, "data"))
    wrong = [n for n in read[:-1] if not close(got[n]["grad"], want[n], rel=1e-5, abs_tol=1e-7)]
    if wrong:
        raise Mistake(f"{what}: after backward(), the gradient of {', '.join(wrong)} is wrong.",
                      _first(hints, got, want, "grad"))


def hint_for_error(message):
    """The misconception behind an error a stage-3 expression raised, when it is a known one."""
    if "RecursionError" in message:
        return M.REFLECTED_RECURSION
    if "has no attribute 'data'" in message and ("'int'" in message or "'float'" in message):
        return M.COERCE
    return None


def _first(hints, got, want, part):
    for test, hint in hints:
        if test(got, want, part):
            return hint
    return None


def leaf(name, x):
    return [name, "leaf", x]


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
               f"{expr} should be a Value holding {expr} computed on a's data.", M.COERCE)


@pytest.mark.check("3.2")
def test_numbers_on_the_left(student, rng):
    a = round(rng.uniform(-3, 3), 3)
    check_expression(student, [leaf("a", a), ["out", "add", 2, "a"]], "out", "2 + a",
                     [(lambda g, w, p: True, M.REFLECTED)])
    check_expression(student, [leaf("a", a), ["out", "mul", 3, "a"]], "out", "3 * a",
                     [(lambda g, w, p: True, M.REFLECTED)])


@pytest.mark.check("3.3")
def test_negation_and_subtraction(student, rng):
    a, b = round(rng.uniform(-3, 3), 3), round(rng.uniform(-3, 3), 3)
    check_expression(student, [leaf("a", a), ["out", "neg", "a"]], "out", "-a")
    check_expression(student, [leaf("a", a), leaf("b", b), ["out", "sub", "a", "b"]], "out", "a - b")
    reflected = [(lambda g, w, p: p == "data" and close(g["out"]["data"], a - 2), M.REFLECTED)]
    check_expression(student, [leaf("a", a), ["out", "sub", 2, "a"]], "out", "2 - a", reflected)


@pytest.mark.check("3.4")
def test_division(student, rng):
    a = round(rng.choice([-1, 1]) * rng.uniform(0.5, 3), 3)
    b = round(rng.choice([-1, 1]) * rng.uniform(0.5, 3), 3)
    check_expression(student, [leaf("a", a), leaf("b", b), ["out", "div", "a", "b"]], "out", "a / b")
    reflected = [(lambda g, w, p: p == "data" and close(g["out"]["data"], a / 2), M.REFLECTED)]
    check_expression(student, [leaf("a", a), ["out", "div", 2, "a"]], "out", "2 / a", reflected)


@pytest.mark.check("3.5")
def test_powers(student, rng):
    a = round(rng.uniform(0.5, 2.5), 3)
    for k in (2, 3, -1, 0.5, -1.5):
        hints = [(lambda g, w, p: p == "grad", M.POW_RULE)]
        check_expression(student, [leaf("a", a), ["out", "pow", "a", k]], "out", f"a ** {k}", hints)


@pytest.mark.check("3.6")
def test_exp(student, rng):
    a = round(rng.uniform(-2, 2), 3)
    check_expression(student, [leaf("a", a), ["out", "exp", "a"]], "out", "a.exp()",
                     [(lambda g, w, p: p == "grad", M.EXP_RULE)])


@pytest.mark.check("3.7")
def test_relu(student, rng):
    for a in (round(rng.uniform(0.2, 3), 3), round(rng.uniform(-3, -0.2), 3)):
        negative = [(lambda g, w, p: a < 0 and p == "grad", M.RELU_NEGATIVE)]
        check_expression(student, [leaf("a", a), ["out", "relu", "a"]], "out",
                         f"relu of a {'positive' if a > 0 else 'negative'} a", negative)


@pytest.mark.check("3.8")
def test_tanh_from_exp(student, rng):
    # the lecture's n first (its numbers may be shown), then a random one (they may not)
    for x, public in ((0.8813735870195432, True), (round(rng.uniform(-1.5, 1.5), 3), False)):
        program = [leaf("x", x), ["two_x", "mul", 2, "x"], ["e", "exp", "two_x"],
                   ["num", "sub", "e", 1], ["den", "add", "e", 1], ["o", "div", "num", "den"]]
        got = student.graph(program, backward="o", read=["x", "o"])
        where = f"for the lecture's n = {x}" if public else "for another input"
        value = f": it gives {fmt(got['o']['data'])}, tanh gives {fmt(math.tanh(x))}" if public else ""
        expect(close(got["o"]["data"], math.tanh(x), rel=1e-9),
               f"(e - 1) / (e + 1) with e = (2*n).exp() is not tanh(n) {where}{value}.")
        want = 1 - math.tanh(x) ** 2
        grad = f" (it is {fmt(got['x']['grad'])}, the direct tanh gives {fmt(want)})" if public else ""
        expect(close(got["x"]["grad"], want, rel=1e-6),
               f"Through (e - 1) / (e + 1), the gradient of n differs from the direct tanh's "
               f"{where}{grad}.", M.TANH_COMPOSED)


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
    got = student.graph(SANITY, backward="y", read=["x", "y"])
    expect(close(got["y"]["data"], -20.0) and close(got["x"]["grad"], 46.0),
           f"micrograd's sanity check: y is {fmt(got['y']['data'])} (expected -20) and x.grad "
           f"is {fmt(got['x']['grad'])} (expected 46).")
    got = student.graph(_more_ops(), backward="g", read=["a", "b", "g"])
    ok = (close(got["g"]["data"], 24.70408163265306, abs_tol=1e-6)
          and close(got["a"]["grad"], 138.83381924198252, abs_tol=1e-6)
          and close(got["b"]["grad"], 645.5772594752186, abs_tol=1e-6))
    expect(ok, f"micrograd's second test: g is {fmt(got['g']['data'])} (expected 24.7041), a.grad "
               f"{fmt(got['a']['grad'])} (expected 138.834), b.grad {fmt(got['b']['grad'])} "
               "(expected 645.577).")
