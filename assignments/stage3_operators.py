# Stage 3: More operators
# micrograd_course: stage 3
#
# The code cells of stage3_operators.ipynb, in order, for working in an editor (the
# pictures and demonstrations stay in the notebook). Replace each
# `raise NotImplementedError` with your code, then run `python stage3_operators.py`:
# it stops at the first check that does not pass yet. Each `# %%` line starts a
# cell, as in the notebook (editors such as VS Code can run them one at a time).

# %%
import math
import random


# %%
class Value:
    """A scalar that remembers the operation and the inputs that produced it."""

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0                 # d(output)/d(self); 0 means "no effect yet"
        self._backward = lambda: None   # a leaf has nothing to pass back
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):
        if not isinstance(other, Value):
            # Stage 3: the body of `if not isinstance(other, Value):` in Value.__add__
            raise NotImplementedError("Stage 3 (More operators): Value.__add__, not written yet")
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            # out = self + other, so d(out)/d(self) = 1 and d(out)/d(other) = 1.
            # Chain rule: multiply each local derivative by out.grad, and add (+=) it,
            # because a value used in several places collects a gradient from each.
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        if not isinstance(other, Value):
            # Stage 3: the body of `if not isinstance(other, Value):` in Value.__mul__
            raise NotImplementedError("Stage 3 (More operators): Value.__mul__, not written yet")
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            # out = self * other, so d(out)/d(self) = other and d(out)/d(other) = self.
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), 'tanh')

        def _backward():
            # out = tanh(self), so d(out)/d(self) = 1 - tanh(self)**2 = 1 - t**2.
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        """Fill in .grad of every Value this one depends on: d(self)/d(node) for each node."""
        # Order the graph so that every node comes after all the nodes it was made from.
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)

        # d(self)/d(self) = 1: the seed. Then go one node at a time, from the output back
        # to the leaves, and apply the chain rule with each node's own _backward.
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()

    # The rest of the operators. Only pow, exp and relu carry calculus;
    # the others are compositions of operators that already know their derivatives.
    def __radd__(self, other):
        """other + self, when other is a plain number."""
        # Stage 3: the body of Value.__radd__
        raise NotImplementedError("Stage 3 (More operators): Value.__radd__, not written yet")

    def __rmul__(self, other):
        """other * self, when other is a plain number."""
        # Stage 3: the body of Value.__rmul__
        raise NotImplementedError("Stage 3 (More operators): Value.__rmul__, not written yet")

    def __neg__(self):
        """-self, which is self * -1."""
        # Stage 3: the body of Value.__neg__
        raise NotImplementedError("Stage 3 (More operators): Value.__neg__, not written yet")

    def __sub__(self, other):
        """self - other, which is self + (-other)."""
        # Stage 3: the body of Value.__sub__
        raise NotImplementedError("Stage 3 (More operators): Value.__sub__, not written yet")

    def __rsub__(self, other):
        """other - self, when other is a plain number: other + (-self)."""
        # Stage 3: the body of Value.__rsub__
        raise NotImplementedError("Stage 3 (More operators): Value.__rsub__, not written yet")

    def __truediv__(self, other):
        """self / other, which is self * other**-1."""
        # Stage 3: the body of Value.__truediv__
        raise NotImplementedError("Stage 3 (More operators): Value.__truediv__, not written yet")

    def __rtruediv__(self, other):
        """other / self, when other is a plain number: other * self**-1."""
        # Stage 3: the body of Value.__rtruediv__
        raise NotImplementedError("Stage 3 (More operators): Value.__rtruediv__, not written yet")

    def __pow__(self, other):
        """self ** other, for a plain number other: d/dx x**k = k * x**(k-1)."""
        assert isinstance(other, (int, float)), "only int or float powers are supported"
        # Stage 3: the rest of Value.__pow__
        raise NotImplementedError("Stage 3 (More operators): Value.__pow__, not written yet")

    def exp(self):
        """e ** self: its derivative is itself, d/dx e**x = e**x."""
        # Stage 3: the body of Value.exp
        raise NotImplementedError("Stage 3 (More operators): Value.exp, not written yet")

    def relu(self):
        """max(0, self): the derivative is 1 where self > 0 and 0 where self < 0."""
        # Stage 3: the body of Value.relu
        raise NotImplementedError("Stage 3 (More operators): Value.relu, not written yet")


# %%
# A plain number on either side of + and *
a = Value(3.0)
out = a + 1
assert isinstance(out, Value), "Value(3.0) + 1 should give a Value: in __add__, wrap a plain number in Value(other)"
out.backward()
assert abs(out.data - 4.0) < 1e-12, f"Value(3.0) + 1 should have data 4.0, got {out.data}"
assert abs(a.grad - 1.0) < 1e-12, f"in a + 1, a.grad should be 1.0, got {a.grad}"

a = Value(3.0)
out = 1 + a
assert isinstance(out, Value), "1 + Value(3.0) should give a Value: look at __radd__"
out.backward()
assert abs(out.data - 4.0) < 1e-12, f"1 + Value(3.0) should have data 4.0, got {out.data}: look at __radd__"
assert abs(a.grad - 1.0) < 1e-12, f"in 1 + a, a.grad should be 1.0, got {a.grad}: look at __radd__"

a = Value(3.0)
out = 2 * a
assert isinstance(out, Value), "2 * Value(3.0) should give a Value: look at __rmul__"
out.backward()
assert abs(out.data - 6.0) < 1e-12, f"2 * Value(3.0) should have data 6.0, got {out.data}: look at __rmul__"
assert abs(a.grad - 2.0) < 1e-12, f"in 2 * a, a.grad should be 2.0, got {a.grad}: look at __rmul__"

a = Value(3.0)
out = a * 2
assert isinstance(out, Value), "Value(3.0) * 2 should give a Value: in __mul__, wrap a plain number in Value(other)"
out.backward()
assert abs(out.data - 6.0) < 1e-12, f"Value(3.0) * 2 should have data 6.0, got {out.data}"
assert abs(a.grad - 2.0) < 1e-12, f"in a * 2, a.grad should be 2.0, got {a.grad}"


# %%
# Negation and subtraction: -a = a * (-1), a - b = a + (-b), 3 - a = 3 + (-a)
a = Value(3.0)
out = -a
out.backward()
assert abs(out.data - (-3.0)) < 1e-12, f"-Value(3.0) should have data -3.0, got {out.data}: look at __neg__"
assert abs(a.grad - (-1.0)) < 1e-12, f"in -a, a.grad should be -1.0, got {a.grad}: look at __neg__"

a, b = Value(5.0), Value(2.0)
out = a - b
out.backward()
assert abs(out.data - 3.0) < 1e-12, f"Value(5.0) - Value(2.0) should have data 3.0, got {out.data}: look at __sub__"
assert abs(a.grad - 1.0) < 1e-12, f"in a - b, a.grad should be 1.0, got {a.grad}: look at __sub__"
assert abs(b.grad - (-1.0)) < 1e-12, f"in a - b, b.grad should be -1.0, got {b.grad}: look at __sub__"

a = Value(5.0)
out = 3 - a
assert isinstance(out, Value), "3 - Value(5.0) should give a Value: look at __rsub__"
out.backward()
assert abs(out.data - (-2.0)) < 1e-12, (
    f"3 - Value(5.0) should have data -2.0, got {out.data}: "
    "__rsub__ computes other - self, with the plain number first")
assert abs(a.grad - (-1.0)) < 1e-12, f"in 3 - a, a.grad should be -1.0, got {a.grad}: look at __rsub__"


# %%
# Division: a / b = a * b**-1 and 2 / a = 2 * a**-1
a, b = Value(6.0), Value(3.0)
out = a / b
out.backward()
assert abs(out.data - 2.0) < 1e-12, f"Value(6.0) / Value(3.0) should have data 2.0, got {out.data}: look at __truediv__"
assert abs(a.grad - 1 / 3) < 1e-12, f"in a / b, a.grad should be 1/b = 0.3333..., got {a.grad}: look at __truediv__"
assert abs(b.grad - (-2 / 3)) < 1e-12, (
    f"in a / b, b.grad should be -a/b**2 = -0.6666..., got {b.grad}: "
    "look at __truediv__, and at __pow__ with a negative power")

a = Value(4.0)
out = 2 / a
assert isinstance(out, Value), "2 / Value(4.0) should give a Value: look at __rtruediv__"
out.backward()
assert abs(out.data - 0.5) < 1e-12, (
    f"2 / Value(4.0) should have data 0.5, got {out.data}: "
    "__rtruediv__ computes other / self, with the plain number first")
assert abs(a.grad - (-0.125)) < 1e-12, f"in 2 / a, a.grad should be -2/a**2 = -0.125, got {a.grad}: look at __rtruediv__"


# %%
# Power with a plain-number exponent: d/dx x**k = k * x**(k-1)
a = Value(2.0)
out = a ** 3
out.backward()
assert abs(out.data - 8.0) < 1e-12, f"Value(2.0) ** 3 should have data 8.0, got {out.data}: look at __pow__"
assert abs(a.grad - 12.0) < 1e-12, f"in a ** 3, a.grad should be 3 * a**2 = 12.0, got {a.grad}: look at __pow__'s _backward"

a = Value(2.0)
out = a ** -1
out.backward()
assert abs(out.data - 0.5) < 1e-12, f"Value(2.0) ** -1 should have data 0.5, got {out.data}: look at __pow__"
assert abs(a.grad - (-0.25)) < 1e-12, f"in a ** -1, a.grad should be -1 * a**-2 = -0.25, got {a.grad}: look at __pow__'s _backward"

a = Value(4.0)
out = a ** 0.5
out.backward()
assert abs(out.data - 2.0) < 1e-12, f"Value(4.0) ** 0.5 should have data 2.0, got {out.data}: look at __pow__"
assert abs(a.grad - 0.25) < 1e-12, f"in a ** 0.5, a.grad should be 0.5 * a**-0.5 = 0.25, got {a.grad}: look at __pow__'s _backward"


# %%
# exp: d/dx e**x = e**x
a = Value(1.0)
out = a.exp()
out.backward()
assert abs(out.data - math.e) < 1e-12, f"Value(1.0).exp() should have data e = {math.e}, got {out.data}: look at exp"
assert abs(a.grad - math.e) < 1e-12, f"in a.exp(), a.grad should be e**a = {math.e}, got {a.grad}: look at exp's _backward"

a = Value(0.0)
out = a.exp()
out.backward()
assert abs(out.data - 1.0) < 1e-12, f"Value(0.0).exp() should have data 1.0, got {out.data}"
assert abs(a.grad - 1.0) < 1e-12, f"in a.exp() at a = 0, a.grad should be 1.0, got {a.grad}"


# %%
# relu: max(0, x), slope 1 for x > 0 and 0 for x < 0
a = Value(3.0)
out = a.relu()
out.backward()
assert abs(out.data - 3.0) < 1e-12, f"Value(3.0).relu() should have data 3.0, got {out.data}: a positive input passes through"
assert abs(a.grad - 1.0) < 1e-12, f"in a.relu() at a = 3.0, a.grad should be 1.0, got {a.grad}: look at relu's _backward"

a = Value(-2.0)
out = a.relu()
out.backward()
assert abs(out.data) < 1e-12, f"Value(-2.0).relu() should have data 0.0, got {out.data}: a negative input becomes 0"
assert abs(a.grad) < 1e-12, (
    f"in a.relu() at a = -2.0, a.grad should be 0.0, got {a.grad}: "
    "where relu is flat, no gradient goes back")


# %%
# micrograd's "sanity check" test
x = Value(-4.0)
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
assert abs(y.data - (-20.0)) < 1e-6, f"y should be -20.0, got {y.data}: check the forward pass of +, * and relu with plain numbers"
assert abs(x.grad - 46.0) < 1e-6, f"x.grad should be 46.0, got {x.grad}: check the backward of each operator, and that gradients add up (+=)"


# %%
# micrograd's "more ops" test
a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
g.backward()
assert abs(g.data - 24.70408163265306) < 1e-6, f"g should be 24.70408163265306, got {g.data}: check the forward pass of each operator"
assert abs(a.grad - 138.83381924198252) < 1e-6, f"a.grad should be 138.83381924198252, got {a.grad}: check the backward of each operator"
assert abs(b.grad - 645.5772594752186) < 1e-6, f"b.grad should be 645.5772594752186, got {b.grad}: check the backward of each operator"


# %%
# The lecture's neuron twice: once with n.tanh(), once with tanh built from exp and division
def lecture_neuron():
    """The leaves x1, x2, w1, w2, b and n = x1*w1 + x2*w2 + b."""
    x1, x2 = Value(2.0, label='x1'), Value(0.0, label='x2')
    w1, w2 = Value(-3.0, label='w1'), Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    return [x1, x2, w1, w2, b], x1*w1 + x2*w2 + b

direct_leaves, direct_n = lecture_neuron()
direct_o = direct_n.tanh()
direct_o.backward()

leaves, n = lecture_neuron()
two_n = 2 * n
e = two_n.exp()
e_minus_1 = e - 1
e_plus_1 = e + 1
o = e_minus_1 / e_plus_1
o.backward()

assert abs(o.data - direct_o.data) < 1e-12, f"(e - 1) / (e + 1) should equal tanh(n) = {direct_o.data}, got {o.data}"
assert abs(n.grad - direct_n.grad) < 1e-9, f"n.grad should be {direct_n.grad} as with n.tanh(), got {n.grad}"
for leaf, direct_leaf in zip(leaves, direct_leaves):
    assert abs(leaf.grad - direct_leaf.grad) < 1e-9, (
        f"{leaf.label}.grad should be {direct_leaf.grad} as with n.tanh(), got {leaf.grad}")
assert abs(two_n.grad - 0.25) < 1e-9, f"(2*n).grad should be 0.25, got {two_n.grad}: look at exp's _backward"
assert abs(e.grad - 0.04289321881345247) < 1e-9, (
    f"e.grad should be 0.04289321881345247, got {e.grad}: e is used twice, its two gradients add up")
assert abs(e_minus_1.grad - 0.1464466094067262) < 1e-9, (
    f"(e - 1).grad should be 0.1464466094067262 = 1/(e + 1), got {e_minus_1.grad}: look at __truediv__")
assert abs(e_plus_1.grad - (-0.10355339059327374)) < 1e-9, (
    f"(e + 1).grad should be -0.10355339059327374 = -(e - 1)/(e + 1)**2, got {e_plus_1.grad}: "
    "look at __truediv__ and __pow__")


# %%
# Every new operator against a central difference, under an upstream gradient other than 1
h = 1e-6

def check_against_numerical(expr, on_values, on_floats, inputs, upstream):
    """Compare d(upstream * f)/d(input) from backward() with (f(x + h) - f(x - h)) / 2h."""
    args = [Value(x) for x in inputs]
    out = on_values(*args) * Value(upstream)
    out.backward()
    for i, arg in enumerate(args):
        up, down = list(inputs), list(inputs)
        up[i] += h
        down[i] -= h
        numerical = upstream * (on_floats(*up) - on_floats(*down)) / (2 * h)
        assert abs(arg.grad - numerical) < 1e-5 * max(1.0, abs(numerical)), (
            f"{expr} at {inputs}, with a gradient of {upstream} arriving from above: "
            f"the gradient for {'xy'[i]} should be about {numerical:.6f} (central difference), "
            f"but .grad is {arg.grad:.6f}. Look at the backward of the operators behind {expr}: "
            "does each one multiply by out.grad?")

cases = [
    # (expression, the function on Values, the same function on floats, the inputs)
    ("x + 1", lambda x: x + 1, lambda x: x + 1, [1.5]),
    ("1 + x", lambda x: 1 + x, lambda x: 1 + x, [1.5]),
    ("2 * x", lambda x: 2 * x, lambda x: 2 * x, [1.5]),
    ("x * 2", lambda x: x * 2, lambda x: x * 2, [1.5]),
    ("-x", lambda x: -x, lambda x: -x, [1.5]),
    ("x - y", lambda x, y: x - y, lambda x, y: x - y, [1.5, -0.7]),
    ("3 - x", lambda x: 3 - x, lambda x: 3 - x, [1.5]),
    ("x / y", lambda x, y: x / y, lambda x, y: x / y, [1.5, -0.7]),
    ("2 / x", lambda x: 2 / x, lambda x: 2 / x, [1.5]),
    ("x ** 3", lambda x: x ** 3, lambda x: x ** 3, [1.5]),
    ("x ** -1", lambda x: x ** -1, lambda x: x ** -1, [1.5]),
    ("x ** 0.5", lambda x: x ** 0.5, lambda x: x ** 0.5, [1.5]),
    ("x.exp()", lambda x: x.exp(), math.exp, [0.7]),
    ("x.relu()", lambda x: x.relu(), lambda x: max(0.0, x), [1.3]),
    ("x.relu()", lambda x: x.relu(), lambda x: max(0.0, x), [-0.8]),
]
for expr, on_values, on_floats, inputs in cases:
    check_against_numerical(expr, on_values, on_floats, inputs, upstream=3.0)
