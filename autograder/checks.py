"""The points table: every check of the hidden suite, its id, stage, points and description.

One id joins a check's test in autograder/suite/, its points here and its line in the
report. Each stage is worth 20 points. The description says what is checked, in a
student's words; it is shown whether the check passes or fails.
"""

from dataclasses import dataclass

from .contract import STAGE_TITLES  # noqa: F401 (the reports import the titles from here)


@dataclass(frozen=True)
class Check:
    id: str
    points: int
    name: str
    description: str
    visibility: str = "visible"

    @property
    def stage(self):
        return int(self.id.split(".")[0])


TABLE = [
    # stage 1: the _backward closures of +, * and tanh, called one at a time
    Check("1.1", 2, "The L example, backpropagated by hand",
          "L = (a*b + c) * f from the lecture: calling _backward on L, d and e in turn gives "
          "every gradient (a 6, b -4, c -2, f 4)."),
    Check("1.2", 2, "The lecture's neuron, backpropagated by hand",
          "o = tanh(x1*w1 + x2*w2 + b): calling _backward from o down gives n 0.5, x1 -1.5, "
          "w1 1.0, x2 0.5, w2 0.0."),
    Check("1.3", 3, "Local derivative of +",
          "a + b on random inputs, with an upstream gradient other than 1, against a "
          "numerical derivative."),
    Check("1.4", 3, "Local derivative of *",
          "a * b on random inputs, with an upstream gradient other than 1, against a "
          "numerical derivative."),
    Check("1.5", 3, "Local derivative of tanh",
          "tanh(a) on random inputs, with an upstream gradient other than 1, against a "
          "numerical derivative."),
    Check("1.6", 3, "Gradients accumulate",
          "For +, * and tanh: an input that already holds a gradient keeps it and gains the "
          "new contribution (+=)."),
    Check("1.7", 2, "The same value on both sides",
          "a + a and a * a: both uses of a send their gradient to a."),
    Check("1.8", 2, "A result remembers its operands",
          "The output of a + b, a * b and a.tanh() holds the Values it was made from in _prev, "
          "so that backward() can reach them."),
    # stage 2: backward() over a whole graph, on the reference _backward closures. The
    # lecture's examples are also run on other inputs, so no check rests on known answers.
    Check("2.1", 2, "backward() on the L example",
          "L.backward() gives the lecture's gradients (a 6, b -4, c -2, f 4, d -2, e -2), and "
          "the right ones for other inputs."),
    Check("2.2", 2, "backward() on the lecture's neuron",
          "o.backward() gives n 0.5, x1 -1.5, w1 1.0, x2 0.5, w2 0.0, and the right gradients "
          "for other inputs."),
    Check("2.3", 2, "The seed gradient",
          "After backward() the output's own grad is 1.0, also for a graph of a single Value."),
    Check("2.4", 2, "A value used twice",
          "b = a + a and c = b + b: a collects the gradient of every use (a.grad 2 and 4)."),
    Check("2.5", 2, "Two paths to the same inputs",
          "a=-2, b=3, d=a*b, e=a+b, f=d*e gives a.grad -3 and b.grad -8, and the right "
          "gradients for other inputs."),
    Check("2.6", 3, "A shared intermediate node",
          "A node reached along two paths has its _backward called once, after it has "
          "received the gradient of both."),
    Check("2.7", 3, "Random graphs",
          "backward() on expressions of random shape and inputs, against numerical derivatives."),
    Check("2.8", 2, "Paths of different lengths",
          "A node used both directly and through a longer path waits for both before passing "
          "its gradient on: the order is a reversed depth-first post-order, not breadth-first "
          "or pre-order."),
    Check("2.9", 2, "A second graph",
          "backward() on a second graph built from the same values (as each training step "
          "does) gives that graph's gradients: nothing is kept from the first call."),
    # stage 3: the rest of the operators, on the reference +, *, tanh and backward(); every
    # expression under an upstream gradient other than 1, then with each input used twice
    Check("3.1", 2, "Plain numbers on the right",
          "a + 2 and a * 2: __add__ and __mul__ wrap an int or float in a Value."),
    Check("3.2", 2, "Plain numbers on the left",
          "2 + a and 2 * a (__radd__, __rmul__): values and gradients, also with a used twice."),
    Check("3.3", 2, "Negation and subtraction",
          "-a, a - b and 2 - a: values and gradients, also with each input used twice."),
    Check("3.4", 3, "Division",
          "a / b and 2 / a: values and gradients, also with each input used twice."),
    Check("3.5", 3, "Powers",
          "a ** k for integer, negative and fractional k, against numerical derivatives, "
          "also with a used twice."),
    Check("3.6", 2, "exp", "exp(a): value and gradient, under an upstream gradient other than 1 "
          "and with a used twice (+=)."),
    Check("3.7", 2, "relu", "relu(a) for positive and negative a: value and gradient, also "
          "with a used twice."),
    Check("3.8", 2, "tanh rebuilt from exp",
          "(e - 1) / (e + 1) with e = (2*n).exp() gives the same value and gradients as tanh."),
    Check("3.9", 2, "micrograd's own tests",
          "The two expressions of micrograd's test suite: y = -20 with x.grad 46, and "
          "g = 24.7041 with a.grad 138.8338, b.grad 645.5773."),
    # stage 4: Neuron, Layer, MLP on the reference Value; each class on the course's own code
    # of the other two, its weights set through .w and .b, so parameters() is judged apart
    Check("4.1", 3, "A neuron's parameters",
          "Neuron(nin) has nin weights in .w and a bias .b; parameters() is w + [b]."),
    Check("4.2", 3, "A neuron's output",
          "With its weights and bias set by hand, the neuron computes tanh(w . x + b)."),
    Check("4.3", 3, "A layer's outputs",
          "Layer(nin, nout), made of the course's Neuron, has nout neurons and returns a list "
          "of their outputs, or the single Value when nout == 1."),
    Check("4.4", 2, "A layer's parameters",
          "Every neuron's parameters, neuron after neuron (made of the course's Neuron)."),
    Check("4.5", 3, "An MLP's shape",
          "MLP(3, [4, 4, 1]), made of the course's Layer, has 3 layers and 41 parameters, "
          "layer after layer."),
    Check("4.6", 3, "An MLP's output",
          "With its weights set by hand, the MLP (made of the course's Layer) computes the same "
          "outputs as the reference."),
    Check("4.7", 3, "Gradients reach every parameter",
          "Your Neuron, Layer and MLP together: backward() on the output gives every weight and "
          "bias its gradient (the slope of the output along it)."),
    # stage 5: train, on the reference Value and MLP
    Check("5.1", 3, "What train returns",
          "train returns a list with one loss per step, as plain numbers."),
    Check("5.2", 3, "The first loss",
          "The loss of step 0 is the sum of squared errors before any update."),
    Check("5.3", 5, "The lecture's training run",
          "MLP(3, [4, 4, 1]) seeded as in the lecture, 20 steps at lr 0.1: every loss "
          "matches (6.0054, 3.2021, ..., 0.0178)."),
    Check("5.4", 4, "Another training run",
          "Random weights, another learning rate: the whole loss trajectory matches."),
    Check("5.5", 5, "The trained parameters",
          "After training, every parameter holds the value gradient descent gives it."),
]

CHECKS = {check.id: check for check in TABLE}


def stage_points(stage):
    return sum(c.points for c in TABLE if c.stage == stage)
