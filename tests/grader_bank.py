"""Submissions for the grader's tests, each made from the reference solution at test time.

- MISTAKES: one classic mistake each, as a small edit of autograder/reference.py.
- VARIANTS: correct code written differently, which a fair grader gives every point.
- stub_text(): every graded body replaced by a stub that raises NotImplementedError.
- notebook_from(): the same code as a notebook, one cell per top-level definition.

Edits name code, never comments, so they keep applying when the reference is regenerated
from solutions/ with other comments. Each `find` must occur exactly once in the text it is
applied to: an edit can never silently do nothing.
"""

import ast
import io
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import messages as M
from autograder.checks import STAGE_TITLES, TABLE
from autograder.units import STAGE_UNITS

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "autograder" / "reference.py"
STAGES = [1, 2, 3, 4, 5]


def reference_text():
    return REFERENCE.read_text()


# --------------------------------------------------------------------------------------
# Edits
# --------------------------------------------------------------------------------------

class EditError(AssertionError):
    pass


def prose_spans(text):
    """(start, end) character spans of the comments and docstrings of a Python text."""
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))

    def at(line, col):
        return offsets[line - 1] + col

    spans = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            spans.append((at(*tok.start), at(*tok.end)))
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            doc = body[0]
            spans.append((at(doc.lineno, doc.col_offset), at(doc.end_lineno, doc.end_col_offset)))
    return spans


def code_occurrences(text, find):
    """Where `find` starts in the code of text: comments and docstrings do not count."""
    spans = prose_spans(text)
    found, start = [], text.find(find)
    while start != -1:
        if not any(a <= start < b for a, b in spans):
            found.append(start)
        start = text.find(find, start + 1)
    return found


def apply_edit(text, find, replace):
    """text with `find` replaced by `replace` in the code; find is a string or a tuple of them,
    applied in turn. Each must occur exactly once in the code (comments and docstrings, which
    change when the reference is regenerated, are left alone)."""
    finds = find if isinstance(find, tuple) else (find,)
    replaces = replace if isinstance(replace, tuple) else (replace,)
    assert len(finds) == len(replaces), "an edit needs as many replacements as finds"
    for f, r in zip(finds, replaces):
        found = code_occurrences(text, f)
        if len(found) != 1:
            raise EditError(f"{f!r} occurs {len(found)} times in the reference's code, not once")
        text = text[:found[0]] + r + text[found[0] + len(f):]
    return text


def _definition(tree, cls, name):
    scope = tree.body
    if cls:
        scope = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls).body
    for node in scope:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise EditError(f"{cls + '.' if cls else ''}{name} is not defined in the reference")


def replace_definition(text, cls, name, source):
    """text with the whole method cls.name (or function name) replaced by `source`."""
    lines = text.splitlines(keepends=True)
    node = _definition(ast.parse(text), cls, name)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    indent = " " * node.col_offset
    new = textwrap.indent(textwrap.dedent(source).strip("\n") + "\n", indent)
    return "".join(lines[:start]) + new + "".join(lines[node.end_lineno:])


def add_to_class(text, cls, source):
    """text with `source` added as the last lines of class cls's body."""
    lines = text.splitlines(keepends=True)
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.ClassDef) and n.name == cls)
    indent = " " * node.body[0].col_offset
    new = textwrap.indent(textwrap.dedent(source).strip("\n") + "\n", indent)
    return "".join(lines[:node.end_lineno]) + new + "".join(lines[node.end_lineno:])


# --------------------------------------------------------------------------------------
# The bank of mistakes: (id, stage, find, replace, hint)
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mistake:
    id: str
    stage: int
    find: object                # str, or a tuple of str applied in turn
    replace: object
    hint: str | None            # the text of a constant of autograder.messages, or None
    also: tuple = ()            # other hints that rightly name this mistake too
    check: str = ""             # the check whose output must hold the hint (default: any)
    seed: int | None = None     # this entry's seed of the randomized checks (default: the suite's)
    hint_xfail: str = ""        # a known grader problem: the hint is not given
    misleading_xfail: str = ""  # a known grader problem: a hint that names another mistake is given

    def text(self, reference):
        return apply_edit(reference, self.find, self.replace)

    @property
    def allowed_hints(self):
        return {h for h in (self.hint, *self.also) if h}


ADD_BACKWARD = ("self.grad += 1.0 * out.grad", "other.grad += 1.0 * out.grad")
MUL_BACKWARD = ("self.grad += other.data * out.grad", "other.grad += self.data * out.grad")
TANH_BACKWARD = "self.grad += (1 - t**2) * out.grad"


MISTAKES = [
    # ---- stage 1: the local derivatives of +, * and tanh ---------------------------------
    Mistake("add_assigns", 1, ADD_BACKWARD,
            ("self.grad = 1.0 * out.grad", "other.grad = 1.0 * out.grad"),
            M.OVERWRITES_GRAD, also=(M.REUSED_NODE,), check="1.6"),
    Mistake("add_assigns_on_a_reused_value", 1, ADD_BACKWARD,
            ("self.grad = 1.0 * out.grad", "other.grad = 1.0 * out.grad"),
            M.REUSED_NODE, also=(M.OVERWRITES_GRAD,), check="1.7"),
    Mistake("mul_assigns", 1, MUL_BACKWARD,
            ("self.grad = other.data * out.grad", "other.grad = self.data * out.grad"),
            M.OVERWRITES_GRAD, also=(M.REUSED_NODE,)),
    Mistake("tanh_assigns", 1, TANH_BACKWARD, "self.grad = (1 - t**2) * out.grad",
            M.OVERWRITES_GRAD),
    Mistake("add_forgets_upstream", 1, ADD_BACKWARD, ("self.grad += 1.0", "other.grad += 1.0"),
            M.FORGOT_UPSTREAM),
    Mistake("mul_forgets_upstream", 1, MUL_BACKWARD,
            ("self.grad += other.data", "other.grad += self.data"), M.FORGOT_UPSTREAM),
    Mistake("tanh_forgets_upstream", 1, TANH_BACKWARD, "self.grad += (1 - t**2)",
            M.FORGOT_UPSTREAM),
    Mistake("tanh_uses_input", 1, TANH_BACKWARD, "self.grad += (1 - self.data**2) * out.grad",
            M.TANH_WRONG_INPUT),
    Mistake("mul_swapped", 1, MUL_BACKWARD,
            ("self.grad += self.data * out.grad", "other.grad += other.data * out.grad"),
            M.SWAPPED_MUL),
    Mistake("mul_same_operand", 1, "other.grad += self.data * out.grad",
            "other.grad += other.data * out.grad", M.SWAPPED_MUL),
    # ---- stage 2: backward() --------------------------------------------------------------
    Mistake("no_seed", 2, "self.grad = 1.0\n", "pass\n", M.NO_SEED),
    Mistake("seed_zero", 2, "self.grad = 1.0\n", "self.grad = 0.0\n", M.NO_SEED),
    Mistake("not_reversed", 2, "for node in reversed(topo):", "for node in topo:", M.ORDER),
    Mistake("preorder_topo", 2, ("topo.append(v)", "visited.add(v)"),
            ("pass", "visited.add(v); topo.append(v)"), M.ORDER),
    # seed 2 makes 2.6's shared node positive: then the hint shows whatever order the set of
    # children comes in (see the entry below for a negative one)
    Mistake("no_visited_set", 2, "if v not in visited:", "if True:", M.VISITED_TWICE,
            check="2.6", seed=2),
    Mistake("seed_after_the_walk", 2, ("self.grad = 1.0\n", "node._backward()"),
            ("pass\n", "node._backward(); self.grad = 1.0"), M.SEED_LATE),
    # with _prev a tuple the children come in a fixed order, and with seed 11 the shared node
    # y = tanh(-0.239) is negative: its early partial gradient has the other sign, so a.grad
    # comes out SMALLER than expected (the grader once named this mistake only when larger)
    Mistake("no_visited_set_shared_node", 2,
            ("if v not in visited:", "self._prev = set(_children)"),
            ("if True:", "self._prev = tuple(_children)"), M.VISITED_TWICE, check="2.6", seed=11),
    # ---- stage 3: the rest of the operators ------------------------------------------------
    Mistake("rsub_operands_swapped", 3, "return other + (-self)", "return self - other",
            M.REFLECTED),
    Mistake("rtruediv_operands_swapped", 3, "return other * self**-1", "return self / other",
            M.REFLECTED),
    Mistake("relu_passes_negative", 3, "(out.data > 0) * out.grad", "1.0 * out.grad",
            M.RELU_NEGATIVE),
    Mistake("pow_forgets_upstream", 3, "other * self.data**(other - 1) * out.grad",
            "other * self.data**(other - 1)", M.POW_RULE, also=(M.TANH_COMPOSED,)),
    Mistake("pow_k_x_to_the_k", 3, "other * self.data**(other - 1) * out.grad",
            "other * self.data**other * out.grad", M.POW_RULE, also=(M.TANH_COMPOSED,)),
    Mistake("exp_uses_input", 3, "self.grad += out.data * out.grad",
            "self.grad += self.data * out.grad", M.EXP_RULE, also=(M.TANH_COMPOSED,)),
    Mistake("radd_calls_itself", 3, "return self + other", "return other + self",
            M.REFLECTED_RECURSION, also=(M.TANH_COMPOSED,)),
    Mistake("neg_times_one", 3, "return self * -1", "return self * 1", None),
    Mistake("sub_adds", 3, "return self + (-other)", "return self + other", None),
    Mistake("add_no_number_coercion", 3,
            "other = Value(other)\n        out = Value(self.data + other.data",
            "pass\n        out = Value(self.data + other.data", M.COERCE),
    Mistake("mul_no_number_coercion", 3,
            "other = Value(other)\n        out = Value(self.data * other.data",
            "pass\n        out = Value(self.data * other.data", M.COERCE),
    # ---- stage 4: Neuron, Layer, MLP --------------------------------------------------------
    Mistake("neuron_without_tanh", 4, "return act.tanh()", "return act", M.NEURON_OUTPUT),
    Mistake("neuron_without_bias", 4, "zip(self.w, x)), self.b)", "zip(self.w, x)))",
            M.NEURON_OUTPUT, also=(M.NO_GRAPH,)),
    Mistake("neuron_bias_first", 4, "return self.w + [self.b]", "return [self.b] + self.w",
            M.PARAM_ORDER),
    Mistake("neuron_float_math", 4, "return act.tanh()", "return Value(math.tanh(act.data))",
            M.NO_GRAPH),
    Mistake("layer_list_for_one", 4, "return outs[0] if len(outs) == 1 else outs", "return outs",
            M.LAYER_SINGLE),
    Mistake("layer_repeats_first_neuron", 4, "for p in neuron.parameters()]",
            "for p in self.neurons[0].parameters()]", M.PARAM_ORDER),
    Mistake("mlp_skips_last_layer", 4, "for i in range(len(nouts))]",
            "for i in range(len(nouts) - 1)]", M.MLP_SIZES),
    Mistake("mlp_every_layer_takes_nin", 4, "[i], ", "[0], ", M.MLP_SIZES),
    # ---- stage 5: train ---------------------------------------------------------------------
    Mistake("train_no_zero_grad", 5, "p.grad = 0.0", "pass", M.TRAIN_NOT_ZEROED),
    Mistake("train_wrong_sign", 5, "p.data -= lr * p.grad", "p.data += lr * p.grad", M.TRAIN_SIGN),
    Mistake("train_mean", 5, "zip(ys, ypred))", "zip(ys, ypred)) / len(xs)", M.TRAIN_MEAN),
    Mistake("train_loss_after_update", 5, "losses.append(loss.data)",
            "losses.append(sum((yo - yg)**2 for yg, yo in zip(ys, [model(x) for x in xs])).data)",
            M.TRAIN_AFTER_UPDATE),
    Mistake("train_no_backward", 5, "loss.backward()", "pass", M.TRAIN_NO_BACKWARD),
    Mistake("train_zeroes_after_backward", 5, ("p.grad = 0.0", "loss.backward()"),
            ("pass", "loss.backward(); [setattr(q, 'grad', 0.0) for q in model.parameters()]"),
            M.TRAIN_NO_BACKWARD),
    Mistake("train_one_step_short", 5, "for _ in range(steps)", "for _ in range(steps - 1)",
            M.TRAIN_RETURNS),
    Mistake("train_returns_values", 5, "losses.append(loss.data)", "losses.append(loss)",
            M.TRAIN_RETURNS),
    Mistake("train_ignores_lr", 5, "p.data -= lr * p.grad", "p.data -= 0.1 * p.grad", M.TRAIN_LR),
]

# Every hint constant of autograder.messages: a student-facing sentence naming a misconception.
HINTS = {name: value for name, value in vars(M).items()
         if name.isupper() and isinstance(value, str) and "{" not in value
         and name not in ("DURING_LOAD", "DURING_REQUEST", "PROTOCOL", "GRADER_BUG")}


# --------------------------------------------------------------------------------------
# Correct code written differently: every point
# --------------------------------------------------------------------------------------

def _tanh_exp_formula(text):
    return replace_definition(text, "Value", "tanh", '''
        def tanh(self):
            e2x = math.exp(2 * self.data)
            t = (e2x - 1) / (e2x + 1)
            out = Value(t, (self,), 'tanh')

            def _backward():
                self.grad += (1 - t**2) * out.grad
            out._backward = _backward
            return out
        ''')


def _iterative_topo(text):
    return replace_definition(text, "Value", "backward", '''
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
        ''')


def _int_grads(text):
    text = apply_edit(text, "self.grad = 0.0", "self.grad = 0")
    text = apply_edit(text, "self.grad = 1.0\n", "self.grad = 1\n")
    return apply_edit(text, "p.grad = 0.0", "p.grad = 0")


def _loop_neuron(text):
    text = replace_definition(text, "Neuron", "__call__", '''
        def __call__(self, x):
            act = 0
            for wi, xi in zip(self.w, x):
                act = act + wi * xi
            act = act + self.b
            return act.tanh()
        ''')
    return replace_definition(text, "Layer", "parameters", '''
        def parameters(self):
            params = []
            for neuron in self.neurons:
                params.extend(neuron.parameters())
            return params
        ''')


def _zero_after_update(text):
    return replace_definition(text, "", "train", '''
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
        ''')


def _helpers_and_prints(text):
    text = add_to_class(text, "Value", '''
        def sigmoid(self):
            return (1 + (-self).exp()) ** -1

        def describe(self):
            print("Value", self.label, self.data, self.grad)
            return f"{self.label or '?'} = {self.data:.4f}"
        ''')
    text = apply_edit(text, "self.grad = 1.0\n", "self.grad = 1.0; print('backward from', self)\n")
    text = apply_edit(text, "losses.append(loss.data)",
                      "losses.append(loss.data); print('step loss', loss.data)")
    return text + textwrap.dedent('''

        def count_nodes(v, seen=None):
            """A helper of the student's own."""
            seen = set() if seen is None else seen
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    count_nodes(child, seen)
            return len(seen)


        print("helpers loaded")
        ''')


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


def _exploration(text):
    return text + EXPLORATION


def _prev_as(kind):
    return lambda text: apply_edit(text, "self._prev = set(_children)",
                                   f"self._prev = {kind}(_children)")


def _other_op_names(text):
    text = apply_edit(text, "(self, other), '+')", "(self, other), 'add')")
    return apply_edit(text, "(self, other), '*')", "(self, other), 'mul')")


def _primitive_division(text):
    return replace_definition(text, "Value", "__truediv__", '''
        def __truediv__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data / other.data, (self, other), '/')

            def _backward():
                self.grad += (1 / other.data) * out.grad
                other.grad += (-self.data / other.data**2) * out.grad
            out._backward = _backward
            return out
        ''')


def _backward_zeroes_first(text):
    """backward() that starts from clean gradients: calling it twice gives the same result."""
    return replace_definition(text, "Value", "backward", '''
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
        ''')


def _slots(text):
    return add_to_class(text, "Value", "__slots__ = ('data', 'grad', '_backward', '_prev', '_op', 'label')")


def _relu_with_max(text):
    return apply_edit(text, "Value(0.0 if self.data < 0 else self.data, (self,), 'ReLU')",
                      "Value(max(0, self.data), (self,), 'ReLU')")


VARIANTS = {
    "tanh_exp_formula": _tanh_exp_formula,
    "iterative_topological_sort": _iterative_topo,
    "grads_as_int": _int_grads,
    "prev_as_tuple": _prev_as("tuple"),
    "prev_as_list": _prev_as("list"),
    "loops_instead_of_sum": _loop_neuron,
    "zero_grads_after_update": _zero_after_update,
    "helpers_and_prints": _helpers_and_prints,
    "exploration_at_module_level": _exploration,
    "other_op_names": _other_op_names,
    "division_as_a_primitive": _primitive_division,
    "backward_zeroes_grads_first": _backward_zeroes_first,
    "value_with_slots": _slots,
    "relu_with_max": _relu_with_max,
}


# --------------------------------------------------------------------------------------
# Stubs and notebooks
# --------------------------------------------------------------------------------------

def stage_of(cls, name):
    for stage, units in STAGE_UNITS.items():
        if (cls or name) in units and (not cls or name in units[cls]):
            return stage
    return None


def stub_text(text):
    """The reference with every graded body replaced by a stub that raises, as the course does."""
    tree = ast.parse(text)
    targets = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            targets += [(node.name, item) for item in node.body if isinstance(item, ast.FunctionDef)]
        elif isinstance(node, ast.FunctionDef):
            targets.append(("", node))
    lines = text.splitlines(keepends=True)
    for cls, node in sorted(targets, key=lambda t: -t[1].lineno):
        stage = stage_of(cls, node.name)
        if stage is None:
            continue
        where = f"{cls}.{node.name}" if cls else node.name
        indent = " " * (node.col_offset + 4)
        header = f"def {node.name}({ast.unparse(node.args)}):"
        body = (f"{indent}# Stage {stage}: the body of {where}\n"
                f'{indent}raise NotImplementedError("Stage {stage} ({STAGE_TITLES[stage]}): '
                f'{where}, not written yet")\n')
        first = node.lineno - 1
        lines[first:node.end_lineno] = [" " * node.col_offset + header + "\n", body]
    return "".join(lines)


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
        nb.metadata.micrograd_course = {"stage": stage, "title": STAGE_TITLES[stage]}
    return nbformat.writes(nb)


def checks_of(stage):
    return [c for c in TABLE if c.stage == stage]


def stage_max(stage):
    return sum(c.points for c in checks_of(stage))
