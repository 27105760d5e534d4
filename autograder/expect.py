"""Comparisons for the hidden tests: floats with tolerances, failures as student sentences."""

import math


class Mistake(AssertionError):
    """A check failed; `message` says what went wrong and the likely misconception."""

    def __init__(self, what, hint=None):
        super().__init__(what)
        self.hint = hint or ""
        self.message = what if not hint else f"{what} {hint}"


def close(got, want, rel=1e-6, abs_tol=1e-9):
    """True when got is a real number near want. Only plain ints and floats count."""
    if type(got) not in (int, float) or type(want) not in (int, float):
        return False
    if math.isnan(want):
        return math.isnan(got)
    return math.isclose(got, want, rel_tol=rel, abs_tol=abs_tol)


def all_close(got, want, rel=1e-6, abs_tol=1e-9):
    return (isinstance(got, list) and isinstance(want, list) and len(got) == len(want)
            and all(close(g, w, rel, abs_tol) for g, w in zip(got, want)))


def fmt(x):
    return f"{x:.6g}" if type(x) in (int, float) else repr(x)


def expect(condition, what, hint=None):
    __tracebackhide__ = True
    if not condition:
        raise Mistake(what, hint)


def expect_public_grads(got, want, hint_for=None):
    """Fixed lecture numbers may be shown: say which gradients differ and by how much."""
    __tracebackhide__ = True
    wrong = [f"{name}.grad is {fmt(got[name]['grad'])}, expected {fmt(value)}"
             for name, value in want.items() if not close(got[name]["grad"], value)]
    if wrong:
        hint = hint_for(wrong) if hint_for else None
        raise Mistake("; ".join(wrong) + ".", hint)
