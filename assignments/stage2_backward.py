# Stage 2: Backpropagation through a whole graph
# micrograd_course: stage 2
#
# The code cells of stage2_backward.ipynb, in order, for working in an editor (the
# pictures and demonstrations stay in the notebook). Replace each
# `raise NotImplementedError` with your code, then run `python stage2_backward.py`:
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
        # Stage 2: the body of Value.backward
        raise NotImplementedError("Stage 2 (Backpropagation through a whole graph): Value.backward, not written yet")


# %%
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
e = a*b; e.label = 'e'
d = e + c; d.label = 'd'
f = Value(-2.0, label='f')
L = d * f; L.label = 'L'
L.backward()

for v in [L, d, f, e, c, a, b]:
    print(v.label, v.grad)


# %%
# L.backward() must give the gradients you found by hand in stage 1.
# If you ran the cell above twice, the gradients doubled (section 4 explains why):
# run it once more from the top, it builds L again.
expected = [(L, 1.0), (d, -2.0), (f, 4.0), (e, -2.0), (c, -2.0), (a, 6.0), (b, -4.0)]
assert math.isclose(L.grad, 1.0, abs_tol=1e-9), \
    f"L.grad is {L.grad}, expected 1.0: backward() starts by setting self.grad = 1.0"
for v, want in expected:
    assert math.isclose(v.grad, want, abs_tol=1e-9), \
        (f"{v.label}.grad is {v.grad}, expected {want}: does backward() call _backward on every node, "
         f"once, going from L back to the inputs (topo reversed)?")


# %%
# inputs x1, x2
x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
# weights w1, w2
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
# the neuron's bias
b = Value(6.8813735870195432, label='b')
# n = x1*w1 + x2*w2 + b, then o = tanh(n)
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
o = n.tanh(); o.label = 'o'
o.backward()

for v in [o, n, b, x1w1x2w2, x1w1, x2w2, x1, w1, x2, w2]:
    print(v.label, v.grad)


# %%
# o.backward() must give the neuron's gradients from stage 1 (up to rounding).
# If you ran the cell above twice, run it once more from the top: it builds o again.
expected = [(o, 1.0), (n, 0.5), (b, 0.5), (x1w1x2w2, 0.5), (x1w1, 0.5), (x2w2, 0.5),
            (x1, -1.5), (w1, 1.0), (x2, 0.5), (w2, 0.0)]
for v, want in expected:
    assert math.isclose(v.grad, want, abs_tol=1e-9), \
        (f"{v.label}.grad is {v.grad}, expected {want}: does backward() seed o.grad = 1.0 and "
         f"call _backward on every node once, from o back to the inputs?")


# %%
a = Value(3.0, label='a')
b = a + a; b.label = 'b'
b.backward()
a.grad


# %%
# b = a + a = 2a, so db/da = 2.
assert math.isclose(b.data, 6.0, abs_tol=1e-9), f"b.data is {b.data}, expected 6.0"
assert math.isclose(a.grad, 2.0, abs_tol=1e-9), \
    (f"a.grad is {a.grad}, expected 2.0: a gets a gradient from each side of a + a "
     f"(if it is 1.0, something sets grad with = instead of adding with +=)")


# %%
a = Value(-2.0, label='a')
b = Value(3.0, label='b')
d = a * b; d.label = 'd'
e = a + b; e.label = 'e'
f = d * e; f.label = 'f'
f.backward()
print('a.grad', a.grad)
print('b.grad', b.grad)


# %%
# f = (a*b) * (a + b) with a = -2, b = 3: each input reaches f along two paths.
assert math.isclose(f.data, -6.0, abs_tol=1e-9), f"f.data is {f.data}, expected -6.0"
assert math.isclose(a.grad, -3.0, abs_tol=1e-9), \
    f"a.grad is {a.grad}, expected -3.0 (3 through d, -6 through e): the two paths must add up"
assert math.isclose(b.grad, -8.0, abs_tol=1e-9), \
    f"b.grad is {b.grad}, expected -8.0 (-2 through d, -6 through e): the two paths must add up"


# %%
a = Value(3.0, label='a')
b = a + a; b.label = 'b'
c = b + b; c.label = 'c'
c.backward()
print('b.grad', b.grad)
print('a.grad', a.grad)


# %%
# c = b + b with b = a + a, so c = 4a: dc/db = 2 and dc/da = 4.
assert math.isclose(b.grad, 2.0, abs_tol=1e-9), \
    f"b.grad is {b.grad}, expected 2.0: b gets 1 from each side of b + b"
assert math.isclose(a.grad, 4.0, abs_tol=1e-9), \
    (f"a.grad is {a.grad}, expected 4.0: b must collect its whole gradient before it passes it "
     f"to a, and each pass must add")


# %%
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = a * b; c.label = 'c'

c.backward()
print('one backward():        a.grad', a.grad)
c.backward()
print('a second backward():   a.grad', a.grad)

for v in [a, b, c]:
    v.grad = 0.0
c.backward()
print('zeroed, then one more: a.grad', a.grad)


# %%
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
f = Value(-2.0, label='f')
L = (a*b + c) * f

L.backward()
print('one backward():      a.grad', a.grad)
L.backward()
print('a second backward(): a.grad', a.grad)


# %%
x = Value(0.7, label='x')
y = x * x; y.label = 'y'
s = y * x; s.label = 's'
p = s.tanh(); p.label = 'p'
m = p * y; m.label = 'm'
z = m + x; z.label = 'z'
z.backward()
x.grad


# %%
# dz/dx from backward() against the slope measured with plain numbers.
def g(x):
    return math.tanh(x**3) * x**2 + x

h = 1e-6
slope = (g(0.7 + h) - g(0.7 - h)) / (2 * h)
assert math.isclose(z.data, g(0.7), abs_tol=1e-9), f"z.data is {z.data}, expected {g(0.7)}"
assert math.isclose(x.grad, slope, abs_tol=1e-6), \
    (f"x.grad is {x.grad}, but the measured slope is {slope}: y must collect the gradients from "
     f"both of its uses before it passes its own on (walk topo in reverse)")
