# Stage 4: Neuron, Layer, MLP
# micrograd_course: stage 4
#
# The code cells of stage4_neural_net.ipynb, in order, for working in an editor (the
# pictures and demonstrations stay in the notebook). Replace each
# `raise NotImplementedError` with your code, then run `python stage4_neural_net.py`:
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


# %%
class Neuron:
    """tanh(w . x + b): nin weights and a bias, each a Value that training can adjust."""

    def __init__(self, nin):
        """nin weights, then a bias: each a Value(random.uniform(-1, 1)), drawn in that order."""
        # Stage 4: the body of Neuron.__init__
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): Neuron.__init__, not written yet")

    def __call__(self, x):
        """The neuron's output for the inputs x: tanh(sum(w_i * x_i) + b)."""
        # Stage 4: the body of Neuron.__call__
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): Neuron.__call__, not written yet")

    def parameters(self):
        """The weights, then the bias: w + [b]."""
        # Stage 4: the body of Neuron.parameters
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): Neuron.parameters, not written yet")


class Layer:
    """nout neurons, each looking at the same nin inputs."""

    def __init__(self, nin, nout):
        """nout neurons, each with nin inputs."""
        # Stage 4: the body of Layer.__init__
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): Layer.__init__, not written yet")

    def __call__(self, x):
        """A list with every neuron's output, or the single output when nout == 1."""
        # Stage 4: the body of Layer.__call__
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): Layer.__call__, not written yet")

    def parameters(self):
        """Every neuron's parameters, neuron after neuron."""
        # Stage 4: the body of Layer.parameters
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): Layer.parameters, not written yet")


class MLP:
    """Layers in a row: nin inputs, then one layer for each size in nouts."""

    def __init__(self, nin, nouts):
        """One layer for each size in nouts: sizes [nin] + nouts, each layer reading the one before."""
        # Stage 4: the body of MLP.__init__
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): MLP.__init__, not written yet")

    def __call__(self, x):
        """Feed x through every layer in turn."""
        # Stage 4: the body of MLP.__call__
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): MLP.__call__, not written yet")

    def parameters(self):
        """Every layer's parameters, layer after layer."""
        # Stage 4: the body of MLP.parameters
        raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): MLP.parameters, not written yet")


# %%
# A neuron: nin weights, then a bias, all Values drawn from random.uniform(-1, 1)
n = Neuron(3)
assert len(n.w) == 3, f"Neuron(3).w should hold 3 weights, got {len(n.w)}"
assert all(isinstance(wi, Value) for wi in n.w), "every weight in .w should be a Value"
assert isinstance(n.b, Value), "the bias .b should be a Value"
params = n.parameters()
assert len(params) == 4, f"Neuron(3).parameters() should hold 3 weights and 1 bias, 4 Values; got {len(params)}"
assert all(p is wi for p, wi in zip(params, n.w)), "a neuron's parameters() should start with its weights, in order"
assert params[-1] is n.b, "the last of a neuron's parameters() should be its bias .b"
assert all(-1 <= p.data <= 1 for p in params), "weights and bias should start between -1 and 1: random.uniform(-1, 1)"

random.seed(5)
drawn = [random.uniform(-1, 1) for _ in range(4)]
random.seed(5)
n = Neuron(3)
assert [p.data for p in n.parameters()] == drawn, (
    "with the same seed, the weights should be the first 3 numbers from random.uniform(-1, 1) "
    "and the bias the 4th: draw the weights first, then the bias")


# %%
# A neuron computes tanh(w . x + b): set its weights by hand and compare with math.tanh
n = Neuron(2)
n.w[0].data, n.w[1].data, n.b.data = -3.0, 1.0, 6.8813735870195432   # the lecture's neuron
out = n([2.0, 0.0])
assert isinstance(out, Value), "calling a Neuron should return a Value"
expected = math.tanh(-3.0 * 2.0 + 1.0 * 0.0 + 6.8813735870195432)
assert abs(out.data - expected) < 1e-12, (
    f"with w = [-3.0, 1.0], b = 6.8813735870195432 and x = [2.0, 0.0], the neuron should give "
    f"tanh(w . x + b) = {expected}, got {out.data}: is the bias added, and tanh applied at the end?")
out.backward()
assert abs(n.w[0].grad - 1.0) < 1e-9, f"in the lecture's neuron, w1.grad should be 1.0, got {n.w[0].grad}"
assert abs(n.w[1].grad - 0.0) < 1e-9, f"in the lecture's neuron, w2.grad should be 0.0, got {n.w[1].grad}"
assert abs(n.b.grad - 0.5) < 1e-9, f"in the lecture's neuron, b.grad should be 0.5, got {n.b.grad}"


# %%
# A layer: nout neurons on the same inputs; a list of outputs, or one Value when nout == 1
x = [2.0, 3.0, -1.0]
layer = Layer(3, 4)
assert len(layer.neurons) == 4, f"Layer(3, 4).neurons should hold 4 neurons, got {len(layer.neurons)}"
outs = layer(x)
assert isinstance(outs, list), f"Layer(3, 4) should return a list of 4 Values, got {type(outs).__name__}"
assert len(outs) == 4 and all(isinstance(o, Value) for o in outs), "Layer(3, 4) should return a list of 4 Values"
for i, (o, neuron) in enumerate(zip(outs, layer.neurons)):
    assert abs(o.data - neuron(x).data) < 1e-12, f"output {i} of the layer should be what its neuron {i} gives on the same inputs"
params = layer.parameters()
assert len(params) == 16, f"Layer(3, 4).parameters() should hold 4 neurons x (3 weights + 1 bias) = 16 Values, got {len(params)}"
assert all(p is q for p, q in zip(params, [p for neuron in layer.neurons for p in neuron.parameters()])), (
    "a layer's parameters() should list its neurons' parameters, neuron after neuron")

single = Layer(3, 1)(x)
assert isinstance(single, Value), (
    f"Layer(3, 1) should return its one output as a Value, not a list of one (got {type(single).__name__})")


# %%
# An MLP: layers in a row, sizes [nin] + nouts, 41 parameters for MLP(3, [4, 4, 1])
model = MLP(3, [4, 4, 1])
assert len(model.layers) == 3, f"MLP(3, [4, 4, 1]) should have 3 layers, got {len(model.layers)}"
assert [len(layer.neurons) for layer in model.layers] == [4, 4, 1], "the layers of MLP(3, [4, 4, 1]) should have 4, 4 and 1 neurons"
assert [len(layer.neurons[0].w) for layer in model.layers] == [3, 4, 4], (
    "the layers of MLP(3, [4, 4, 1]) should take 3, 4 and 4 inputs: layer i has sizes[i] inputs")
params = model.parameters()
assert len(params) == 41, f"MLP(3, [4, 4, 1]) should have 41 parameters, got {len(params)}"
assert all(p is q for p, q in zip(params, [p for layer in model.layers for p in layer.parameters()])), (
    "an MLP's parameters() should list its layers' parameters, layer after layer")
out = model([2.0, 3.0, -1.0])
assert isinstance(out, Value), f"MLP(3, [4, 4, 1]) should return a single Value, got {type(out).__name__}"


# %%
# The seeded network: random.seed(1337) immediately before MLP(3, [4, 4, 1])
random.seed(1337)
model = MLP(3, [4, 4, 1])
out = model([2.0, 3.0, -1.0])
assert abs(out.data - 0.42767811248845455) < 1e-12, (
    f"with random.seed(1337) right before MLP(3, [4, 4, 1]), model([2.0, 3.0, -1.0]) should be "
    f"0.42767811248845455, got {out.data}. Check the order of the random draws (each neuron: its "
    "weights, then its bias; neurons and layers in order) and that every layer, the last one too, uses tanh")


# %%
# backward() through the whole MLP: every parameter's grad against a central difference
random.seed(7)
model = MLP(3, [4, 4, 1])
x = [2.0, 3.0, -1.0]
out = model(x)
out.backward()
h = 1e-6
for i, p in enumerate(model.parameters()):
    original = p.data
    p.data = original + h
    up = model(x).data
    p.data = original - h
    down = model(x).data
    p.data = original
    numerical = (up - down) / (2 * h)
    assert abs(p.grad - numerical) < 1e-6, (
        f"parameter {i} of 41: its .grad is {p.grad:.8f}, but nudging it shows the output moves at "
        f"a rate of {numerical:.8f}. Is every weight and bias part of the graph that builds the output?")
