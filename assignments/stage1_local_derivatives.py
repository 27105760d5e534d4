# Stage 1: Local derivatives
# micrograd_course: stage 1
#
# The code cells of stage1_local_derivatives.ipynb, in order, for working in an editor (the
# pictures and demonstrations stay in the notebook). Replace each
# `raise NotImplementedError` with your code, then run `python stage1_local_derivatives.py`:
# it stops at the first check that does not pass yet. Each `# %%` line starts a
# cell, as in the notebook (editors such as VS Code can run them one at a time).

# %%
import math
import random


# %%
def f(x):
    return 3*x**2 - 4*x + 5

f(3.0)


# %%
h = 0.0001
x = 3.0
(f(x + h) - f(x)) / h


# %%
x = -3.0
print('slope at -3: ', (f(x + h) - f(x)) / h)
x = 2/3
print('slope at 2/3:', (f(x + h) - f(x)) / h)


# %%
h = 0.0001
a, b, c = 2.0, -3.0, 10.0
d1 = a*b + c

d2 = (a + h)*b + c
print('slope with respect to a:', (d2 - d1) / h)
d2 = a*(b + h) + c
print('slope with respect to b:', (d2 - d1) / h)
d2 = a*b + (c + h)
print('slope with respect to c:', (d2 - d1) / h)


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
            # Stage 1: the body of _backward in Value.__add__
            raise NotImplementedError("Stage 1 (Local derivatives): _backward in Value.__add__, not written yet")
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            # out = self * other, so d(out)/d(self) = other and d(out)/d(other) = self.
            # Stage 1: the body of _backward in Value.__mul__
            raise NotImplementedError("Stage 1 (Local derivatives): _backward in Value.__mul__, not written yet")
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), 'tanh')

        def _backward():
            # out = tanh(self), so d(out)/d(self) = 1 - tanh(self)**2 = 1 - t**2.
            # Stage 1: the body of _backward in Value.tanh
            raise NotImplementedError("Stage 1 (Local derivatives): _backward in Value.tanh, not written yet")
        out._backward = _backward
        return out


# %%
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
e = a*b; e.label = 'e'
d = e + c; d.label = 'd'
f = Value(-2.0, label='f')
L = d * f; L.label = 'L'
L


# %%
L.grad = 1.0
L._backward()   # gives d and f their gradients
d._backward()   # gives e and c theirs
e._backward()   # gives a and b theirs

for v in [L, d, f, e, c, a, b]:
    print(v.label, v.grad)


# %%
# The gradients of L = (a*b + c) * f, filled in by hand above.
# If you ran the cell above twice, the gradients doubled: run the cell that builds L again first.
expected = [
    (L, 1.0, "set L.grad = 1.0 before the first _backward call"),
    (d, -2.0, "L = d * f, so dL/dd = f.data: look at __mul__'s _backward"),
    (f, 4.0, "L = d * f, so dL/df = d.data: look at __mul__'s _backward"),
    (e, -2.0, "d = e + c passes d.grad on unchanged: look at __add__'s _backward"),
    (c, -2.0, "d = e + c passes d.grad on unchanged: look at __add__'s _backward"),
    (a, 6.0, "e = a * b, so a gets b.data * e.grad: look at __mul__'s _backward"),
    (b, -4.0, "e = a * b, so b gets a.data * e.grad: look at __mul__'s _backward"),
]
for v, want, hint in expected:
    assert math.isclose(v.grad, want, abs_tol=1e-9), \
        f"{v.label}.grad is {v.grad}, expected {want}: {hint}"


# %%
def L_of(a, b, c, f):
    return (a*b + c) * f

h = 0.001
(L_of(2.0, -3.0 + h, 10.0, -2.0) - L_of(2.0, -3.0, 10.0, -2.0)) / h


# %%
for v in [a, b, c, f]:
    v.data += 0.01 * v.grad

# the forward pass again, with the moved inputs
e = a*b; e.label = 'e'
d = e + c; d.label = 'd'
L = d * f; L.label = 'L'
L.data


# %%
# One step of every input along its gradient must raise L from -8.0 to -7.286496.
# If you ran the cell above more than once, run the cells from the one that builds L again.
assert math.isclose(L.data, -7.286496, abs_tol=1e-6), \
    f"L.data is {L.data}, expected about -7.286496 after one step: check the gradients of a, b, c and f"


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
o


# %%
o.grad = 1.0
o._backward()
n._backward()
x1w1x2w2._backward()
x2w2._backward()
x1w1._backward()

for v in [o, n, b, x1w1x2w2, x1w1, x2w2, x1, w1, x2, w2]:
    print(v.label, v.grad)


# %%
# The neuron's gradients, filled in by hand above.
# If you ran the cell above twice, the gradients doubled: run the cell that builds o again first.
expected = [
    (o, 1.0, "set o.grad = 1.0 before the first _backward call"),
    (n, 0.5, "o = tanh(n), so n gets (1 - o.data**2) * o.grad: look at tanh's _backward"),
    (b, 0.5, "n = x1w1x2w2 + b passes n.grad on unchanged: look at __add__'s _backward"),
    (x1w1x2w2, 0.5, "n = x1w1x2w2 + b passes n.grad on unchanged: look at __add__'s _backward"),
    (x1w1, 0.5, "a sum passes its grad on unchanged: look at __add__'s _backward"),
    (x2w2, 0.5, "a sum passes its grad on unchanged: look at __add__'s _backward"),
    (x1, -1.5, "x1w1 = x1 * w1, so x1 gets w1.data * x1w1.grad: look at __mul__'s _backward"),
    (w1, 1.0, "x1w1 = x1 * w1, so w1 gets x1.data * x1w1.grad: look at __mul__'s _backward"),
    (x2, 0.5, "x2w2 = x2 * w2, so x2 gets w2.data * x2w2.grad: look at __mul__'s _backward"),
    (w2, 0.0, "x2w2 = x2 * w2, so w2 gets x2.data * x2w2.grad, and x2 is 0"),
]
for v, want, hint in expected:
    assert math.isclose(v.grad, want, abs_tol=1e-9), \
        f"{v.label}.grad is {v.grad}, expected {want}: {hint}"


# %%
x = Value(0.5, label='x')
y = x.tanh(); y.label = 'y'
y.grad = 3.0
y._backward()
print('x.grad:  ', x.grad)
print('expected:', 3 * (1 - math.tanh(0.5)**2))


# %%
# Each local derivative is multiplied by out.grad, here 3.0.
x = Value(0.5)
y = x.tanh()
y.grad = 3.0
y._backward()
want = 3.0 * (1 - math.tanh(0.5)**2)
assert math.isclose(x.grad, want, abs_tol=1e-9), \
    f"tanh: x.grad is {x.grad}, expected {want}: multiply 1 - t**2 by out.grad"

p, q = Value(2.0), Value(-4.0)
s = p + q
s.grad = 3.0
s._backward()
assert math.isclose(p.grad, 3.0, abs_tol=1e-9) and math.isclose(q.grad, 3.0, abs_tol=1e-9), \
    f"+: the inputs' grads are {p.grad} and {q.grad}, expected 3.0 and 3.0: multiply 1 by out.grad"

p, q = Value(2.0), Value(-4.0)
m = p * q
m.grad = 3.0
m._backward()
assert math.isclose(p.grad, -12.0, abs_tol=1e-9) and math.isclose(q.grad, 6.0, abs_tol=1e-9), \
    f"*: the inputs' grads are {p.grad} and {q.grad}, expected -12.0 (3 * -4) and 6.0 (3 * 2): multiply by out.grad"

# A Value used twice collects a gradient from each use: += adds, = would overwrite.
a = Value(3.0)
twice = a + a
twice.grad = 1.0
twice._backward()
assert math.isclose(a.grad, 2.0, abs_tol=1e-9), \
    f"a + a: a.grad is {a.grad}, expected 2.0: add to the grad with += instead of setting it with ="
a = Value(3.0)
square = a * a
square.grad = 1.0
square._backward()
assert math.isclose(a.grad, 6.0, abs_tol=1e-9), \
    f"a * a: a.grad is {a.grad}, expected 6.0 (2 * a): add to the grad with += instead of setting it with ="

# Inputs that already hold 0.5 from some other use must keep it and add their new share.
p, q = Value(2.0), Value(-4.0)
p.grad, q.grad = 0.5, 0.5
s = p + q
s.grad = 1.0
s._backward()
assert math.isclose(p.grad, 1.5, abs_tol=1e-9) and math.isclose(q.grad, 1.5, abs_tol=1e-9), \
    f"+: the inputs' grads are {p.grad} and {q.grad}, expected 1.5 and 1.5: keep the 0.5 already there, add with +="
p, q = Value(2.0), Value(-4.0)
p.grad, q.grad = 0.5, 0.5
m = p * q
m.grad = 1.0
m._backward()
assert math.isclose(p.grad, -3.5, abs_tol=1e-9) and math.isclose(q.grad, 2.5, abs_tol=1e-9), \
    f"*: the inputs' grads are {p.grad} and {q.grad}, expected -3.5 and 2.5: keep the 0.5 already there, add with +="
x = Value(0.5)
x.grad = 0.5
y = x.tanh()
y.grad = 1.0
y._backward()
want = 0.5 + (1 - math.tanh(0.5)**2)
assert math.isclose(x.grad, want, abs_tol=1e-9), \
    f"tanh: x.grad is {x.grad}, expected {want}: keep the 0.5 already there, add with +="
