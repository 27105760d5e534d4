"""The course's reference code: Value, Neuron, Layer, MLP and train, complete.

Generated from solutions/ by `make assignments`; do not edit.
The grader compares submissions with this module.
"""

import math
import random


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
            other = Value(other)
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
            other = Value(other)
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
        return self + other

    def __rmul__(self, other):
        """other * self, when other is a plain number."""
        return self * other

    def __neg__(self):
        """-self, which is self * -1."""
        return self * -1

    def __sub__(self, other):
        """self - other, which is self + (-other)."""
        return self + (-other)

    def __rsub__(self, other):
        """other - self, when other is a plain number: other + (-self)."""
        return other + (-self)

    def __truediv__(self, other):
        """self / other, which is self * other**-1."""
        return self * other**-1

    def __rtruediv__(self, other):
        """other / self, when other is a plain number: other * self**-1."""
        return other * self**-1

    def __pow__(self, other):
        """self ** other, for a plain number other: d/dx x**k = k * x**(k-1)."""
        assert isinstance(other, (int, float)), "only int or float powers are supported"
        out = Value(self.data**other, (self,), f'**{other}')

        def _backward():
            self.grad += other * self.data**(other - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        """e ** self: its derivative is itself, d/dx e**x = e**x."""
        out = Value(math.exp(self.data), (self,), 'exp')

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def relu(self):
        """max(0, self): the derivative is 1 where self > 0 and 0 where self < 0."""
        out = Value(0.0 if self.data < 0 else self.data, (self,), 'ReLU')

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out


class Neuron:
    """tanh(w . x + b): nin weights and a bias, each a Value that training can adjust."""

    def __init__(self, nin):
        """nin weights, then a bias: each a Value(random.uniform(-1, 1)), drawn in that order."""
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        """The neuron's output for the inputs x: tanh(sum(w_i * x_i) + b)."""
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        """The weights, then the bias: w + [b]."""
        return self.w + [self.b]


class Layer:
    """nout neurons, each looking at the same nin inputs."""

    def __init__(self, nin, nout):
        """nout neurons, each with nin inputs."""
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x):
        """A list with every neuron's output, or the single output when nout == 1."""
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        """Every neuron's parameters, neuron after neuron."""
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    """Layers in a row: nin inputs, then one layer for each size in nouts."""

    def __init__(self, nin, nouts):
        """One layer for each size in nouts: sizes [nin] + nouts, each layer reading the one before."""
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        """Feed x through every layer in turn."""
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        """Every layer's parameters, layer after layer."""
        return [p for layer in self.layers for p in layer.parameters()]


def train(model, xs, ys, steps, lr):
    """Full-batch gradient descent; returns the loss of every step, before its update.

    Each step: predict every x, loss = sum((prediction - y)**2), zero every parameter's
    grad, loss.backward(), then p.data -= lr * p.grad for every parameter.
    """
    losses = []
    for _ in range(steps):
        # forward pass: how far is every prediction from its target?
        ypred = [model(x) for x in xs]
        loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))

        # backward pass: gradients accumulate, so start each step from zero
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()

        # update: a small step against the gradient lowers the loss
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses


# Which course code is whose work in which stage, as the solution regions of solutions/ say:
# a method (or function) belongs to the first stage whose notebook has a solution region in
# it; GIVEN holds the methods of the course classes that no stage asks for. The grader
# (autograder/units.py) reads both, so moving an operator to another stage is one edit in
# the notebooks and `make assignments`.
GIVEN = {"Value": ["__init__", "__repr__"]}
STAGE_UNITS = {
    1: {"Value": ["__add__", "__mul__", "tanh"]},
    2: {"Value": ["backward"]},
    3: {"Value": ["__radd__", "__rmul__", "__neg__", "__sub__", "__rsub__", "__truediv__",
                  "__rtruediv__", "__pow__", "exp", "relu"]},
    4: {"Neuron": ["__init__", "__call__", "parameters"],
        "Layer": ["__init__", "__call__", "parameters"],
        "MLP": ["__init__", "__call__", "parameters"]},
    5: {"train": []},
}
