"""The catalogue of students' mistakes and variants.

Every submission the project makes up is the course's own code changed by named edits of the
one edit engine (course/edits.py): the grader's tests (tests/), the demo class
(examples/make_class.py -> examples/class/) and the bench's classes (bench/run.py) all take
their edits from here.

- MISTAKES: one classic mistake each: its id, its stage, its edits, the constant of
  autograder/messages.py whose hint names it, and, where known, the checks it fails.
- HANGS: code that never ends; the grader stops it and says so.
- VARIANTS: correct code written differently, which a fair grader gives every point.
- SCRATCH: cells of a student's own: trying things out, a typo, a %magic, a crash.

Each entry has an id, and applies to a `Work` like any step of the engine: a whole-course
.py text, or the solution cell of a stage notebook filled with the reference code.
`stub_text` writes stubs with the course generator's own stub writer.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import messages
from autograder.contract import METADATA_KEY, STAGE_TITLES
from course import generate
from course.edits import AddToClass, Append, Edit, EditError, Lines, Rewrite, Step

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "autograder" / "reference.py"


def reference_text(path=REFERENCE):
    """The reference solution as a student would hand it in: the course code of
    autograder/reference.py, without the grader's stage map at its end."""
    return generate.course_code_of(Path(path).read_text())


# -- the catalogue's entries -------------------------------------------------------------------

class Entry(Step):
    """A named change: its steps, applied in order."""

    def apply(self, work):
        steps = self.edits if isinstance(self.edits, tuple) else (self.edits,)
        try:
            for step in steps:
                step.apply(work)
        except EditError as exc:
            raise EditError(f"{self.id}: {exc}") from None


@dataclass(frozen=True)
class Mistake(Entry):
    id: str
    stage: int
    edits: object               # a Step, or a tuple of them
    hint: str | None            # the constant of autograder.messages that names it, or None
    what: str = ""              # what the student got wrong, in words
    fails: tuple | None = None  # the checks it fails, where known
    also: tuple = ()            # other hints that rightly name this mistake too
    check: str = ""             # the check whose output must hold the hint (default: any)
    seed: int | None = None     # this entry's seed of the randomized checks (default: the suite's)
    hint_xfail: str = ""        # a known grader problem: the hint is not given
    misleading_xfail: str = ""  # a known grader problem: a hint that names another mistake is given

    @property
    def hint_text(self):
        return getattr(messages, self.hint) if self.hint else None

    @property
    def allowed_hints(self):
        """The texts of the hints that may name this mistake."""
        return {getattr(messages, h) for h in (self.hint, *self.also) if h}


@dataclass(frozen=True)
class Variant(Entry):
    id: str
    edits: object
    what: str = ""
    stage: int | None = None    # the stage whose code it changes; None: several


@dataclass(frozen=True)
class Scratch(Entry):
    """A cell of the student's own, right after the code cell they filled in."""
    id: str
    what: str
    source: str

    @property
    def edits(self):
        return Append(self.source)


# Stage 1: the _backward closures of +, * and tanh
ADD_BACKWARD = ("self.grad += 1.0 * out.grad", "other.grad += 1.0 * out.grad")
MUL_BACKWARD = ("self.grad += other.data * out.grad", "other.grad += self.data * out.grad")
TANH_BACKWARD = "self.grad += (1 - t**2) * out.grad"

BREADTH_FIRST = '''
    def backward(self):
        # breadth-first from the output: each node's _backward as soon as it is dequeued
        from collections import deque
        self.grad = 1.0
        queue, visited = deque([self]), {self}
        while queue:
            node = queue.popleft()
            node._backward()
            for child in node._prev:
                if child not in visited:
                    visited.add(child)
                    queue.append(child)
    '''
PREORDER = '''
    def backward(self):
        # depth-first from the output, each node's _backward as soon as it is reached
        visited = set()
        self.grad = 1.0

        def visit(v):
            if v not in visited:
                visited.add(v)
                v._backward()
                for child in v._prev:
                    visit(child)
        visit(self)
    '''
MODULE_LEVEL_TOPO = '''
    def backward(self):
        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
    '''
MODULE_LEVEL_STATE = """
    # the graph walk's bookkeeping, made once for every call of backward()
    topo = []
    visited = set()
    """
PRIMITIVE_NEGATION_ASSIGNS = '''
    def __neg__(self):
        out = Value(-self.data, (self,), 'neg')

        def _backward():
            self.grad = -1.0 * out.grad
        out._backward = _backward
        return out
    '''
PRIMITIVE_DIVISION_ASSIGNS = '''
    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data / other.data, (self, other), '/')

        def _backward():
            self.grad = (1 / other.data) * out.grad
            other.grad = (-self.data / other.data**2) * out.grad
        out._backward = _backward
        return out
    '''

MISTAKES = [
    # ---- stage 1: the local derivatives of +, * and tanh ---------------------------------
    Mistake("add_assigns", 1,
            Edit(ADD_BACKWARD, ("self.grad = 1.0 * out.grad", "other.grad = 1.0 * out.grad")),
            "OVERWRITES_GRAD", also=("REUSED_NODE",), check="1.6"),
    Mistake("add_assigns_on_a_reused_value", 1,
            Edit(ADD_BACKWARD, ("self.grad = 1.0 * out.grad", "other.grad = 1.0 * out.grad")),
            "REUSED_NODE", also=("OVERWRITES_GRAD",), check="1.7"),
    Mistake("mul_assigns", 1,
            Edit(MUL_BACKWARD, ("self.grad = other.data * out.grad",
                                "other.grad = self.data * out.grad")),
            "OVERWRITES_GRAD", also=("REUSED_NODE",)),
    Mistake("tanh_assigns", 1, Edit(TANH_BACKWARD, "self.grad = (1 - t**2) * out.grad"),
            "OVERWRITES_GRAD"),
    Mistake("every_backward_assigns", 1,
            Edit(ADD_BACKWARD + MUL_BACKWARD + (TANH_BACKWARD,),
                 ("self.grad = 1.0 * out.grad", "other.grad = 1.0 * out.grad",
                  "self.grad = other.data * out.grad", "other.grad = self.data * out.grad",
                  "self.grad = (1 - t**2) * out.grad")),
            "OVERWRITES_GRAD", also=("REUSED_NODE",), what="= instead of += in every _backward",
            fails=("1.6", "1.7")),
    Mistake("add_forgets_upstream", 1, Edit(ADD_BACKWARD, ("self.grad += 1.0", "other.grad += 1.0")),
            "FORGOT_UPSTREAM"),
    Mistake("mul_forgets_upstream", 1,
            Edit(MUL_BACKWARD, ("self.grad += other.data", "other.grad += self.data")),
            "FORGOT_UPSTREAM", what="* without `* out.grad`", fails=("1.1", "1.2", "1.4")),
    Mistake("tanh_forgets_upstream", 1, Edit(TANH_BACKWARD, "self.grad += (1 - t**2)"),
            "FORGOT_UPSTREAM"),
    Mistake("tanh_uses_input", 1, Edit(TANH_BACKWARD, "self.grad += (1 - self.data**2) * out.grad"),
            "TANH_WRONG_INPUT", what="tanh's derivative written with the input x, not t = tanh(x)",
            fails=("1.2", "1.5")),
    Mistake("mul_swapped", 1,
            Edit(MUL_BACKWARD, ("self.grad += self.data * out.grad",
                                "other.grad += other.data * out.grad")),
            "SWAPPED_MUL"),
    Mistake("mul_same_operand", 1,
            Edit("other.grad += self.data * out.grad", "other.grad += other.data * out.grad"),
            "SWAPPED_MUL"),
    Mistake("tanh_forgets_its_operand", 1,
            Edit("Value(t, (self,), 'tanh')", "Value(t, (), 'tanh')"), "PREV_MISSING",
            what="tanh's output does not hold its input in _prev", fails=("1.8",)),
    Mistake("mul_forgets_its_operands", 1,
            Edit("Value(self.data * other.data, (self, other), '*')",
                 "Value(self.data * other.data, _op='*')"), "PREV_MISSING",
            what="the output of * does not hold its operands in _prev", fails=("1.8",)),
    # ---- stage 2: backward() --------------------------------------------------------------
    Mistake("no_seed", 2, Edit("self.grad = 1.0\n", "pass\n"), "NO_SEED"),
    Mistake("seed_line_left_out", 2, Lines("self.grad = 1.0", ""), "NO_SEED",
            what="never sets the output's grad to 1.0",
            fails=("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9")),
    Mistake("seed_zero", 2, Edit("self.grad = 1.0\n", "self.grad = 0.0\n"), "NO_SEED"),
    Mistake("not_reversed", 2, Edit("for node in reversed(topo):", "for node in topo:"), "ORDER",
            what="walks the graph from the leaves: no reversed()",
            fails=("2.1", "2.2", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9")),
    Mistake("preorder_topo", 2,
            Edit(("topo.append(v)", "visited.add(v)"), ("pass", "visited.add(v); topo.append(v)")),
            "ORDER"),
    # seed 2 makes 2.6's shared node positive: then the hint shows whatever order the set of
    # children comes in (see the entry below for a negative one)
    Mistake("no_visited_set", 2, Edit("if v not in visited:", "if True:"), "VISITED_TWICE",
            check="2.6", seed=2),
    Mistake("topo_without_visited_set", 2, Lines("""
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)
        """, """
        for child in v._prev:
            build_topo(child)
        topo.append(v)
        """), "VISITED_TWICE",
            what="builds the order without a visited set: shared nodes come twice",
            fails=("2.6", "2.7", "2.8")),
    Mistake("seed_after_the_walk", 2,
            Edit(("self.grad = 1.0\n", "node._backward()"), ("pass\n", "node._backward(); self.grad = 1.0")),
            "SEED_LATE"),
    # with _prev a tuple the children come in a fixed order, and with seed 11 the shared node
    # y = tanh(-0.239) is negative: its early partial gradient has the other sign, so a.grad
    # comes out SMALLER than expected (the grader once named this mistake only when larger)
    Mistake("breadth_first_backward", 2, Rewrite("Value", "backward", BREADTH_FIRST), "TOPO_ORDER",
            what="calls _backward in breadth-first order from the output", check="2.8"),
    Mistake("preorder_backward", 2, Rewrite("Value", "backward", PREORDER), "TOPO_ORDER",
            what="calls _backward on each node as a depth-first walk first reaches it (pre-order)",
            check="2.8"),
    Mistake("module_level_topo", 2, (Rewrite("Value", "backward", MODULE_LEVEL_TOPO),
                                     Append(MODULE_LEVEL_STATE)), "STALE_STATE",
            what="topo and visited live at module level and are never emptied", fails=("2.9",)),
    Mistake("no_visited_set_shared_node", 2,
            Edit(("if v not in visited:", "self._prev = set(_children)"),
                 ("if True:", "self._prev = tuple(_children)")),
            "VISITED_TWICE", check="2.6", seed=11),
    # ---- stage 3: the rest of the operators ------------------------------------------------
    Mistake("rsub_operands_swapped", 3, Edit("return other + (-self)", "return self - other"),
            "REFLECTED", what="__rsub__ computes self - other", fails=("3.3",)),
    Mistake("rtruediv_operands_swapped", 3, Edit("return other * self**-1", "return self / other"),
            "REFLECTED"),
    Mistake("relu_passes_negative", 3, Edit("(out.data > 0) * out.grad", "1.0 * out.grad"),
            "RELU_NEGATIVE"),
    Mistake("relu_passes_every_gradient", 3,
            Edit("self.grad += (out.data > 0) * out.grad", "self.grad += out.grad"),
            "RELU_NEGATIVE", what="relu passes the gradient on for negative inputs too",
            fails=("3.7", "3.9")),
    Mistake("pow_forgets_upstream", 3,
            Edit("other * self.data**(other - 1) * out.grad", "other * self.data**(other - 1)"),
            "FORGOT_UPSTREAM", also=("POW_RULE",)),
    Mistake("pow_k_x_to_the_k", 3,
            Edit("other * self.data**(other - 1) * out.grad", "other * self.data**other * out.grad"),
            "POW_RULE"),
    Mistake("exp_uses_input", 3,
            Edit("self.grad += out.data * out.grad", "self.grad += self.data * out.grad"),
            "EXP_RULE"),
    Mistake("radd_calls_itself", 3, Edit("return self + other", "return other + self"),
            "REFLECTED_RECURSION"),
    Mistake("radd_left_out", 3, Edit("def __radd__(", "def radd("), "REFLECTED",
            what="no __radd__, so 2 + a has no meaning", check="3.2"),
    Mistake("exp_assigns", 3,
            Edit("self.grad += out.data * out.grad", "self.grad = out.data * out.grad"),
            "REUSED_NODE", what="= instead of += in exp's _backward", fails=("3.6",)),
    Mistake("pow_assigns", 3,
            Edit("self.grad += other * self.data**(other - 1) * out.grad",
                 "self.grad = other * self.data**(other - 1) * out.grad"),
            "REUSED_NODE", what="= instead of += in the _backward of **", check="3.5"),
    Mistake("relu_assigns", 3,
            Edit("self.grad += (out.data > 0) * out.grad", "self.grad = (out.data > 0) * out.grad"),
            "REUSED_NODE", what="= instead of += in relu's _backward", check="3.7"),
    Mistake("neg_assigns", 3, Rewrite("Value", "__neg__", PRIMITIVE_NEGATION_ASSIGNS),
            "REUSED_NODE", what="negation written as an operation of its own, with = in its "
            "_backward", check="3.3"),
    Mistake("div_assigns", 3, Rewrite("Value", "__truediv__", PRIMITIVE_DIVISION_ASSIGNS),
            "REUSED_NODE", what="division written as an operation of its own, with = in its "
            "_backward", check="3.4"),
    Mistake("neg_times_one", 3, Edit("return self * -1", "return self * 1"), None),
    Mistake("sub_adds", 3, Edit("return self + (-other)", "return self + other"), None),
    Mistake("add_no_number_coercion", 3,
            Edit("other = Value(other)\n        out = Value(self.data + other.data",
                 "pass\n        out = Value(self.data + other.data"), "COERCE"),
    Mistake("mul_no_number_coercion", 3,
            Edit("other = Value(other)\n        out = Value(self.data * other.data",
                 "pass\n        out = Value(self.data * other.data"), "COERCE"),
    # ---- stage 4: Neuron, Layer, MLP --------------------------------------------------------
    Mistake("neuron_without_tanh", 4, Edit("return act.tanh()", "return act"), "NEURON_OUTPUT"),
    Mistake("neuron_without_bias", 4, Edit("zip(self.w, x)), self.b)", "zip(self.w, x)))"),
            "NEURON_OUTPUT", also=("NO_GRAPH",)),
    Mistake("neuron_bias_first", 4, Edit("return self.w + [self.b]", "return [self.b] + self.w"),
            "PARAM_ORDER", what="parameters() lists the bias first", fails=("4.1",)),
    Mistake("neuron_parameters_without_bias", 4, Edit("return self.w + [self.b]", "return self.w"),
            "PARAMS_NO_BIAS", what="Neuron.parameters() leaves out the bias b", fails=("4.1",)),
    Mistake("neuron_float_math", 4, Edit("return act.tanh()", "return Value(math.tanh(act.data))"),
            "NO_GRAPH"),
    Mistake("layer_list_for_one", 4,
            Edit("return outs[0] if len(outs) == 1 else outs", "return outs"), "LAYER_SINGLE",
            what="Layer returns a list also when nout == 1", fails=("4.3",)),
    Mistake("layer_repeats_first_neuron", 4,
            Edit("for p in neuron.parameters()]", "for p in self.neurons[0].parameters()]"),
            "PARAM_ORDER"),
    Mistake("mlp_skips_last_layer", 4,
            Edit("for i in range(len(nouts))]", "for i in range(len(nouts) - 1)]"), "MLP_SIZES"),
    Mistake("mlp_every_layer_takes_nin", 4, Edit("[i], ", "[0], "), "MLP_SIZES"),
    Mistake("mlp_feeds_x_to_every_layer", 4, Lines("""
        for layer in self.layers:
            x = layer(x)
        return x
        """, """
        for layer in self.layers:
            out = layer(x)
        return out
        """), "MLP_CHAIN", what="every layer reads the MLP's input x", fails=("4.6",)),
    # ---- stage 5: train ---------------------------------------------------------------------
    Mistake("train_no_zero_grad", 5, Edit("p.grad = 0.0", "pass"), "TRAIN_NOT_ZEROED"),
    Mistake("train_never_zeroes", 5, Lines("""
        for p in model.parameters():
            p.grad = 0.0
        """, ""), "TRAIN_NOT_ZEROED", what="never sets the gradients back to zero",
            fails=("5.3", "5.4", "5.5")),
    Mistake("train_wrong_sign", 5, Edit("p.data -= lr * p.grad", "p.data += lr * p.grad"),
            "TRAIN_SIGN", what="steps up the gradient: p.data += lr * p.grad",
            fails=("5.3", "5.4", "5.5")),
    Mistake("train_mean", 5, Edit("zip(ys, ypred))", "zip(ys, ypred)) / len(xs)"), "TRAIN_MEAN"),
    Mistake("train_loss_after_update", 5,
            Edit("losses.append(loss.data)",
                 "losses.append(sum((yo - yg)**2 for yg, yo in zip(ys, [model(x) for x in xs])).data)"),
            "TRAIN_AFTER_UPDATE"),
    Mistake("train_no_backward", 5, Edit("loss.backward()", "pass"), "TRAIN_NO_BACKWARD"),
    Mistake("train_zeroes_after_backward", 5,
            Edit(("p.grad = 0.0", "loss.backward()"),
                 ("pass", "loss.backward(); [setattr(q, 'grad', 0.0) for q in model.parameters()]")),
            "TRAIN_NO_BACKWARD"),
    Mistake("train_one_step_short", 5, Edit("for _ in range(steps)", "for _ in range(steps - 1)"),
            "TRAIN_RETURNS"),
    Mistake("train_returns_values", 5, Edit("losses.append(loss.data)", "losses.append(loss)"),
            "TRAIN_RETURNS"),
    Mistake("train_ignores_lr", 5, Edit("p.data -= lr * p.grad", "p.data -= 0.1 * p.grad"),
            "TRAIN_LR"),
]

HANGS = [
    Mistake("backward_index_never_moves", 2, Lines("""
        for node in reversed(topo):
            node._backward()
        """, """
        i = len(topo) - 1
        while i >= 0:
            topo[i]._backward()
        """), "TIMEOUT", what="an index loop that never moves its index: backward() never ends",
            fails=("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9")),
]

# Every hint constant of autograder.messages: a student-facing sentence naming a misconception.
HINTS = {name: value for name, value in vars(messages).items()
         if name.isupper() and isinstance(value, str) and "{" not in value
         and name not in ("DURING_LOAD", "DURING_REQUEST", "PROTOCOL", "GRADER_BUG")}


# -- correct code written differently: every point -----------------------------------------------

TANH_EXP_FORMULA = '''
    def tanh(self):
        e2x = math.exp(2 * self.data)
        t = (e2x - 1) / (e2x + 1)
        out = Value(t, (self,), 'tanh')

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out
    '''
ITERATIVE_TOPO = '''
    def backward(self):
        # post-order with an explicit stack instead of recursion
        topo, visited, stack = [], set(), [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                topo.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                for child in node._prev:
                    if child not in visited:
                        stack.append((child, False))
        self.grad = 1
        for node in reversed(topo):
            node._backward()
    '''
LIST_KAHN_TOPO = '''
    def backward(self):
        # Kahn's algorithm with plain lists: slow (O(n^2) look-ups) but correct
        nodes, todo = [], [self]
        while todo:
            v = todo.pop()
            if v not in nodes:
                nodes.append(v)
                todo.extend(v._prev)
        users = [sum(1 for u in nodes if v in u._prev) for v in nodes]
        ready, order = [self], []
        while ready:
            v = ready.pop()
            order.append(v)
            for child in v._prev:
                i = nodes.index(child)
                users[i] -= 1
                if users[i] == 0:
                    ready.append(child)
        self.grad = 1.0
        for node in order:
            node._backward()
    '''
LOOP_NEURON = '''
    def __call__(self, x):
        act = 0
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        act = act + self.b
        return act.tanh()
    '''
LOOP_LAYER_PARAMETERS = '''
    def parameters(self):
        params = []
        for neuron in self.neurons:
            params.extend(neuron.parameters())
        return params
    '''
ZERO_AFTER_UPDATE = '''
    def train(model, xs, ys, steps, lr):
        history = []
        for step in range(steps):
            predictions = [model(x) for x in xs]
            loss = sum([(pred - y) ** 2 for pred, y in zip(predictions, ys)])
            loss.backward()
            for p in model.parameters():
                p.data += -lr * p.grad
                p.grad = 0          # ready for the next step
            history.append(float(loss.data))
        return history
    '''
VALUE_HELPERS = '''
    def sigmoid(self):
        return (1 + (-self).exp()) ** -1

    def describe(self):
        print("Value", self.label, self.data, self.grad)
        return f"{self.label or '?'} = {self.data:.4f}"
    '''
COUNT_NODES = '''
    def count_nodes(v, seen=None):
        """A helper of the student's own."""
        seen = set() if seen is None else seen
        if v not in seen:
            seen.add(v)
            for child in v._prev:
                count_nodes(child, seen)
        return len(seen)


    print("helpers loaded")
    '''
EXPLORATION = '''
    # -- trying it out, as in the lecture ---------------------------------------------------
    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a*b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    L.backward()
    print(L, a.grad, b.grad)
    try:
        from picture import draw_dot
        draw_dot(L)
    except ImportError:
        print("no pictures here")
    random.seed(1337)
    n = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    print(train(n, xs, ys, steps=3, lr=0.1))
    x = Value(1.0)
    '''
PRIMITIVE_DIVISION = '''
    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data / other.data, (self, other), '/')

        def _backward():
            self.grad += (1 / other.data) * out.grad
            other.grad += (-self.data / other.data**2) * out.grad
        out._backward = _backward
        return out
    '''
PRIMITIVE_NEGATION = '''
    def __neg__(self):
        out = Value(-self.data, (self,), 'neg')

        def _backward():
            self.grad += -1.0 * out.grad
        out._backward = _backward
        return out
    '''
BACKWARD_ZEROES_FIRST = '''
    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        for node in topo:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
    '''
STACK_TOPO = '''
    def backward(self):
        # topological order without recursion: a node goes in after all of its children
        topo, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                topo.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1
        for node in topo[::-1]:
            node._backward()
    '''
TANH_FROM_EXP = '''
    def tanh(self):
        x = self.data
        t = (math.exp(2*x) - 1) / (math.exp(2*x) + 1)
        out = Value(t, (self,), 'tanh')

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out
    '''
NEURON_LOOP_FROM_BIAS = '''
    def __call__(self, x):
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act.tanh()
    '''
MLP_PARAMETERS_LOOP = '''
    def parameters(self):
        params = []
        for layer in self.layers:
            params += layer.parameters()
        return params
    '''
TRAIN_ZEROES_AFTER_UPDATE = '''
    def train(model, xs, ys, steps, lr):
        history = []
        for k in range(steps):
            ypred = [model(x) for x in xs]
            loss = sum([(yout - ygt)**2 for ygt, yout in zip(ys, ypred)])
            loss.backward()
            for p in model.parameters():
                p.data += -lr * p.grad
                p.grad = 0.0
            history.append(float(loss.data))
        return history
    '''

VARIANTS = [
    Variant("tanh_exp_formula", Rewrite("Value", "tanh", TANH_EXP_FORMULA), stage=1),
    Variant("iterative_topological_sort", Rewrite("Value", "backward", ITERATIVE_TOPO), stage=2),
    Variant("visited_as_a_list", (Edit("visited = set()", "visited = []"),
                                  Edit("visited.add(v)", "visited.append(v)")), stage=2,
            what="slow but correct: `visited` as a list, O(n) per look-up"),
    Variant("topological_sort_with_lists", Rewrite("Value", "backward", LIST_KAHN_TOPO), stage=2,
            what="slow but correct: Kahn's algorithm over lists, O(n^2)"),
    Variant("grads_as_int", (Edit("self.grad = 0.0", "self.grad = 0"),
                             Edit("self.grad = 1.0\n", "self.grad = 1\n"),
                             Edit("p.grad = 0.0", "p.grad = 0"))),
    Variant("prev_as_tuple", Edit("self._prev = set(_children)", "self._prev = tuple(_children)"),
            what="_prev as a tuple"),
    Variant("prev_as_list", Edit("self._prev = set(_children)", "self._prev = list(_children)")),
    Variant("loops_instead_of_sum", (Rewrite("Neuron", "__call__", LOOP_NEURON),
                                     Rewrite("Layer", "parameters", LOOP_LAYER_PARAMETERS)), stage=4),
    Variant("zero_grads_after_update", Rewrite("", "train", ZERO_AFTER_UPDATE), stage=5),
    Variant("helpers_and_prints", (
        AddToClass("Value", VALUE_HELPERS),
        Edit("self.grad = 1.0\n", "self.grad = 1.0; print('backward from', self)\n"),
        Edit("losses.append(loss.data)", "losses.append(loss.data); print('step loss', loss.data)"),
        Append(COUNT_NODES))),
    Variant("exploration_at_module_level", Append(EXPLORATION)),
    Variant("other_op_names", (Edit("(self, other), '+')", "(self, other), 'add')"),
                               Edit("(self, other), '*')", "(self, other), 'mul')"))),
    Variant("division_as_a_primitive", Rewrite("Value", "__truediv__", PRIMITIVE_DIVISION), stage=3),
    Variant("negation_as_a_primitive", Rewrite("Value", "__neg__", PRIMITIVE_NEGATION), stage=3),
    Variant("backward_zeroes_grads_first", Rewrite("Value", "backward", BACKWARD_ZEROES_FIRST),
            what="backward() that starts from clean gradients: calling it twice gives the same "
                 "result", stage=2),
    Variant("value_with_slots",
            AddToClass("Value", "__slots__ = ('data', 'grad', '_backward', '_prev', '_op', 'label')")),
    Variant("relu_with_max", Edit("Value(0.0 if self.data < 0 else self.data, (self,), 'ReLU')",
                                  "Value(max(0, self.data), (self,), 'ReLU')"), stage=3),
    # stage 1
    Variant("add_passes_out_grad", Edit(ADD_BACKWARD, ("self.grad += out.grad", "other.grad += out.grad")),
            what="`out.grad` instead of `1.0 * out.grad`", stage=1),
    Variant("tanh_derivative_from_out", Edit(TANH_BACKWARD, "self.grad += (1 - out.data**2) * out.grad"),
            what="tanh's derivative from out.data instead of t", stage=1),
    Variant("mul_debug_print",
            Edit(MUL_BACKWARD[1],
                 MUL_BACKWARD[1] + '\n            print("mul backward:", self.grad, other.grad)'),
            what="a debugging print left in *'s _backward", stage=1),
    Variant("tanh_from_exp", Rewrite("Value", "tanh", TANH_FROM_EXP), what="tanh from exp", stage=1),
    # stage 2
    Variant("topological_sort_on_a_stack", Rewrite("Value", "backward", STACK_TOPO),
            what="an explicit stack instead of recursion", stage=2),
    # stage 3
    Variant("rtruediv_as_value_division", Edit("return other * self**-1", "return Value(other) / self"),
            what="2 / a as Value(2) / a", stage=3),
    Variant("relu_with_float_max", Edit("Value(0.0 if self.data < 0 else self.data,",
                                        "Value(max(0.0, self.data),"),
            what="relu with max()", stage=3),
    # stage 4
    Variant("neuron_loop_from_bias", Rewrite("Neuron", "__call__", NEURON_LOOP_FROM_BIAS),
            what="a for loop instead of sum()", stage=4),
    Variant("mlp_parameters_loop", Rewrite("MLP", "parameters", MLP_PARAMETERS_LOOP),
            what="nested loops in MLP.parameters()", stage=4),
    # stage 5
    Variant("train_prints_loss", Edit("losses.append(loss.data)",
                                      "losses.append(loss.data)\n        print(len(losses), loss.data)"),
            what="prints the loss at every step", stage=5),
    Variant("train_zeroes_after_update", Rewrite("", "train", TRAIN_ZEROES_AFTER_UPDATE),
            what="zeroes the gradients after the update", stage=5),
]


# -- cells of a student's own --------------------------------------------------------------------

SCRATCH = [
    Scratch("try_mul", "trying * by hand", """
        # does * give each side the other one's data?
        x = Value(3.0, label='x')
        y = Value(-2.0, label='y')
        z = x * y
        z.grad = 1.0
        z._backward()
        x.grad, y.grad
        """),
    Scratch("typo_cell", "a half-typed cell: a SyntaxError", """
        # a + a should give a.grad == 2
        a = Value(3.0)
        b = a + a
        b.grad = 1.0
        b._backward()
        print("a.grad is" a.grad)
        """),
    Scratch("try_backward", "trying backward() on a small graph", """
        x = Value(0.5, label='x')
        y = (x * x + x).tanh()
        y.backward()
        print(x.grad)
        """),
    Scratch("try_backward_twice", "calling backward() twice, to see what happens", """
        a = Value(2.0)
        b = a * a
        b.backward()
        b.backward()   # what happens the second time?
        print(a.grad)
        """),
    Scratch("try_operators", "trying the new operators", """
        a = Value(4.0)
        print(2 - a, a / 2, 1 / a, a ** 0.5, (-a).relu(), a.exp())
        """),
    Scratch("timeit_magic", "a %timeit magic", """
        %timeit (Value(2.0) ** 3).data
        """),
    Scratch("try_layer", "looking at a layer's output", """
        layer = Layer(2, 3)
        print(layer([1.0, -1.0]))
        print(len(layer.parameters()))
        """),
    Scratch("try_mlp", "looking at an MLP's output", """
        net = MLP(3, [4, 4, 1])
        out = net([2.0, 3.0, -1.0])
        print(out)
        """),
    Scratch("try_train", "a short training run", """
        random.seed(42)
        model = MLP(3, [4, 4, 1])
        print(train(model, xs, ys, steps=5, lr=0.05))
        """),
    Scratch("lecture_at_the_end", "the lecture's example at the end of the file", """
        # -- trying it out ----------------------------------------------------------------
        a = Value(2.0, label='a')
        b = Value(-3.0, label='b')
        c = Value(10.0, label='c')
        L = (a*b + c) * Value(-2.0)
        L.backward()
        print(L, a.grad, b.grad)

        random.seed(1337)
        net = MLP(3, [4, 4, 1])
        xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
        ys = [1.0, -1.0, -1.0, 1.0]
        print(train(net, xs, ys, steps=20, lr=0.1)[-1])
        """),
    # crashes at import: the grader gives a zero with the reason, and goes on
    Scratch("exits_at_import", "os._exit at import", "import os\nos._exit(3)"),
    Scratch("segfaults_at_import", "a segfault: Python's own C stack overflows",
            "import sys\nsys.setrecursionlimit(10 ** 7)\na, b = [], []\nfor _ in range(100_000):\n"
            "    a, b = [a], [b]\na == b"),
    Scratch("raises_at_import", "an exception at import", "moons = open('moons.csv').read()"),
]

CATALOGUE = {entry.id: entry for entry in MISTAKES + HANGS + VARIANTS + SCRATCH}


def entry(entry_id):
    """The catalogue's entry of that id."""
    return CATALOGUE[entry_id]


# -- stubs and notebooks ---------------------------------------------------------------------

def stub_text(text):
    """The reference with the body of every method and function a stage asks for replaced by
    the course's stub, written by the generator's own stub writer: signatures and docstrings
    kept, and `raise NotImplementedError("Stage N (title): <where>, not written yet")`."""
    from autograder.units import STAGE_UNITS

    for stage, names in STAGE_UNITS.items():
        tree = ast.parse(text)
        targets = []
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name in names:
                targets += [item for item in node.body
                            if isinstance(item, ast.FunctionDef) and item.name in names[node.name]]
            elif isinstance(node, ast.FunctionDef) and node.name in names:
                targets.append(node)
        lines = text.splitlines(keepends=True)
        for node in sorted(targets, key=lambda n: -n.lineno):
            has_docstring = ast.get_docstring(node, clean=False) is not None
            first = node.body[0].end_lineno if has_docstring else node.body[0].lineno - 1
            indent = " " * (node.body[0].col_offset)
            lines[first:node.end_lineno] = [indent + generate.PLACEHOLDER + "\n"]
        text = generate.write_stubs("".join(lines), stage, STAGE_TITLES[stage], "stub_text",
                                    "the stubs")
    return text


def notebook_from(text, stage=None):
    """A notebook: a markdown cell, a magic cell, a shell cell, then one cell per definition."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    cells = [nbformat.v4.new_markdown_cell("# My micrograd\nEverything in one notebook."),
             nbformat.v4.new_code_cell("%matplotlib inline"),
             nbformat.v4.new_code_cell("!ls -la /definitely/not/here")]
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        cells.append(nbformat.v4.new_code_cell("".join(lines[start:node.end_lineno]).rstrip("\n")))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if stage:
        nb.metadata[METADATA_KEY] = {"stage": stage, "title": STAGE_TITLES[stage]}
    return nbformat.writes(nb)
