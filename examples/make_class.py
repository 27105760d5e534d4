"""Build examples/class/, the demo class that `make demo` grades, and examples/README.md.

    .venv/bin/python examples/make_class.py [--assignments DIR] [--reference FILE] [--out DIR]

Nothing in the class is written by hand. Every example is derived from the committed course:

- the reference solution: autograder/reference.py, as one whole-course .py file;
- the five assignment notebooks, untouched: a student who has not started hands them in;
- students' work: an assignment notebook whose stubs are filled with the reference code
  for them, then changed by named edits: a classic mistake, a harmless variation, a
  leftover print, an exploratory cell; and whole-course .py files made the same way from
  the reference. One is handed in as a .zip and one as a folder, the way Gradescope
  uploads arrive.

EXAMPLES is the table of the class: each example's file, the stage it is graded on, what
the student got wrong, the hint the grader should name and the checks it should fail.
examples/README.md is written from it, and tests/test_examples.py grades the class and
holds the grader to it.

The output depends only on the inputs, byte for byte. After `make assignments` changes the
course, run this again and commit what changed; an edit whose code is no longer in the
reference stops the script with a message naming the example and the edit.
"""

import argparse
import ast
import io
import re
import shutil
import sys
import textwrap
import tokenize
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from autograder.checks import CHECKS, STAGE_TITLES, stage_points  # noqa: E402

ASSIGNMENTS = REPO / "assignments"
REFERENCE = REPO / "autograder" / "reference.py"
CLASS = HERE / "class"
README = HERE / "README.md"

NOTEBOOKS = {1: "stage1_local_derivatives", 2: "stage2_backward", 3: "stage3_operators",
             4: "stage4_neural_net", 5: "stage5_training"}
HELPER = "picture.py"                      # shipped with the assignments; students upload it too
ZIP_TIME = (2024, 3, 1, 12, 0, 0)          # a fixed date in the zip, so the bytes never change


class EditError(Exception):
    """An edit that does not apply to the course as it is now."""


# -- finding code, not comments --------------------------------------------------------------

def _prose_spans(text):
    """(start, end) offsets of the comments and docstrings of a Python text."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans = [(starts[t.start[0] - 1] + t.start[1], starts[t.end[0] - 1] + t.end[1])
             for t in tokenize.generate_tokens(io.StringIO(text).readline)
             if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            doc = body[0]
            spans.append((starts[doc.lineno - 1] + doc.col_offset,
                          starts[doc.end_lineno - 1] + doc.end_col_offset))
    return spans


def replace_once(text, find, replace):
    """text with `find` replaced; it must occur exactly once in the code (comments and
    docstrings do not count), so an edit can never silently do nothing."""
    spans = _prose_spans(text)
    hits, at = [], text.find(find)
    while at != -1:
        if not any(a <= at < b for a, b in spans):
            hits.append(at)
        at = text.find(find, at + 1)
    if len(hits) != 1:
        raise EditError(f"{find!r} occurs {len(hits)} times in the code, not once")
    return text[:hits[0]] + replace + text[hits[0] + len(find):]


def replace_lines(text, find, replace):
    """text with the run of whole lines `find` (written dedented) replaced by `replace`,
    indented as the lines it replaces."""
    want = textwrap.dedent(find).strip("\n").splitlines()
    lines = text.splitlines(keepends=True)
    hits = []
    for i in range(len(lines) - len(want) + 1):
        indent = len(lines[i]) - len(lines[i].lstrip(" "))
        if all(lines[i + k].rstrip("\n")[indent:] == w and
               lines[i + k][:indent].strip() == "" for k, w in enumerate(want)):
            hits.append((i, indent))
    if len(hits) != 1:
        raise EditError(f"the lines {want!r} occur {len(hits)} times, not once")
    i, indent = hits[0]
    new = textwrap.indent(textwrap.dedent(replace).strip("\n") + "\n", " " * indent,
                          lambda line: line.strip() != "") if replace.strip() else ""
    return "".join(lines[:i]) + new + "".join(lines[i + len(want):])


def _definition(tree, cls, name):
    scope = tree.body
    if cls:
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
        if not classes:
            raise EditError(f"there is no class {cls}")
        scope = classes[0].body
    for node in scope:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise EditError(f"{cls + '.' if cls else ''}{name} is not defined")


def replace_definition(text, cls, name, source):
    """text with the method cls.name (or the function name) replaced by `source`."""
    node = _definition(ast.parse(text), cls, name)
    lines = text.splitlines(keepends=True)
    new = textwrap.indent(textwrap.dedent(source).strip("\n") + "\n", " " * node.col_offset,
                          lambda line: line.strip() != "")
    return "".join(lines[:node.lineno - 1]) + new + "".join(lines[node.end_lineno:])


# -- filling the stubs the way a student does ------------------------------------------------

STUB_COMMENT = re.compile(r"^\s*# (Stage \d+:|YOUR CODE HERE)")


def _key(node):
    """How a block's owner is recognised in another text: its name, or its condition."""
    if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
        return f"{type(node).__name__} {node.name}"
    for part in ("test", "iter", "target"):
        if hasattr(node, part):
            return f"{type(node).__name__} {ast.unparse(getattr(node, part))}"
    return type(node).__name__


def _blocks(body, path=()):
    """Every block of statements with its path from the module: (owner key, field) pairs."""
    yield path, body
    for node in body:
        for part in ("body", "orelse", "finalbody"):
            child = getattr(node, part, None)
            if isinstance(child, list) and child and isinstance(child[0], ast.stmt):
                yield from _blocks(child, path + ((_key(node), part),))


def _is_stub(stmt):
    exc = getattr(stmt, "exc", None)
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(stmt, ast.Raise) and isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _same(a, b):
    return ast.dump(a) == ast.dump(b)


def fill_stubs(cell, reference):
    """The cell with each stub (`raise NotImplementedError` and the comment above it)
    replaced by the reference's code for that place, without the reference's comments.

    A stub is found by its place: the block it stands in (say, the body of `_backward` in
    `Value.__add__`) is found in the reference, and the statements the stub stands for are
    those of the reference's block that the cell does not already give before or after it.
    """
    ref_blocks = {}
    for path, body in _blocks(ast.parse(reference).body):
        ref_blocks.setdefault(path, body)
    lines = cell.splitlines(keepends=True)
    ref_lines = reference.splitlines(keepends=True)
    stubs = [(path, body, i) for path, body in _blocks(ast.parse(cell).body)
             for i, stmt in enumerate(body) if _is_stub(stmt)]
    for path, body, i in sorted(stubs, key=lambda s: -s[1][s[2]].lineno):
        where = " > ".join(key for key, _ in path)
        ref = ref_blocks.get(path)
        before, after = body[:i], body[i + 1:]
        if ref is None or len(ref) <= len(before) + len(after):
            raise EditError(f"the reference has no code for the stub in {where}")
        if not all(map(_same, before, ref[:len(before)])) or \
                not all(map(_same, after, ref[len(ref) - len(after):])):
            raise EditError(f"the code around the stub in {where} differs from the reference")
        wanted = ref[len(before):len(ref) - len(after)]
        code = [line for line in ref_lines[wanted[0].lineno - 1:wanted[-1].end_lineno]
                if not line.lstrip().startswith("#")]
        new = textwrap.indent(textwrap.dedent("".join(code)), " " * body[i].col_offset,
                              lambda line: line.strip() != "")
        first = body[i].lineno - 1
        if first > 0 and STUB_COMMENT.match(lines[first - 1]):
            first -= 1
        lines[first:body[i].end_lineno] = [new]
    return "".join(lines)


# -- the named edits -------------------------------------------------------------------------
# Each edit has a name (the README and the tests speak of it) and applies to the student's
# own code: the filled solution cell of a notebook, or the whole text of a .py file.

class Step:
    """A named edit: `name` says what it changes, `apply(work)` changes it."""

    def apply(self, work):
        raise NotImplementedError


@dataclass(frozen=True)
class Edit(Step):
    """Change code inside lines: each find (a string or a tuple) occurs exactly once."""
    name: str
    find: object
    replace: object

    def apply(self, work):
        finds = self.find if isinstance(self.find, tuple) else (self.find,)
        replaces = self.replace if isinstance(self.replace, tuple) else (self.replace,)
        for f, r in zip(finds, replaces, strict=True):
            work.code = replace_once(work.code, f, r)


@dataclass(frozen=True)
class Lines(Step):
    """Replace a run of whole lines (written dedented), keeping their indentation."""
    name: str
    find: str
    replace: str

    def apply(self, work):
        work.code = replace_lines(work.code, self.find, self.replace)


@dataclass(frozen=True)
class Rewrite(Step):
    """Write a whole method (or function) another way."""
    name: str
    cls: str
    method: str
    source: str

    def apply(self, work):
        work.code = replace_definition(work.code, self.cls, self.method, self.source)


@dataclass(frozen=True)
class Scratch(Step):
    """A cell of the student's own, right after the code cell they filled in (in a .py file:
    at the end)."""
    name: str
    source: str

    def apply(self, work):
        work.add_cell(textwrap.dedent(self.source).strip("\n"))


class Work:
    """What the student hands in, while it is being made: a notebook or a .py text."""

    def __init__(self, example_id, notebook=None, text=None):
        self.id, self.nb, self.text = example_id, notebook, text
        self.added = 0
        if notebook is not None:
            solution = [i for i, c in enumerate(notebook.cells)
                        if c.metadata.get("nbgrader", {}).get("solution")]
            if len(solution) != 1:
                raise EditError(f"expected one solution cell, found {len(solution)}")
            self.cell = solution[0]
            self.insert_at = self.cell + 1

    @property
    def code(self):
        return self.text if self.nb is None else self.nb.cells[self.cell].source

    @code.setter
    def code(self, value):
        if self.nb is None:
            self.text = value
        else:
            self.nb.cells[self.cell].source = value

    def add_cell(self, source):
        self.added += 1
        if self.nb is None:
            self.text = self.text.rstrip("\n") + "\n\n\n" + source + "\n"
            return
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f"{self.id.replace('_', '-')}-own-{self.added}"
        self.nb.cells.insert(self.insert_at, cell)
        self.insert_at += 1


# Stage 1: the _backward closures of +, * and tanh
ADD_BACKWARD = ("self.grad += 1.0 * out.grad", "other.grad += 1.0 * out.grad")
MUL_BACKWARD = ("self.grad += other.data * out.grad", "other.grad += self.data * out.grad")
TANH_BACKWARD = "self.grad += (1 - t**2) * out.grad"

ASSIGNS_GRADS = Edit("= instead of += in every _backward",
                     ADD_BACKWARD + MUL_BACKWARD + (TANH_BACKWARD,),
                     ("self.grad = 1.0 * out.grad", "other.grad = 1.0 * out.grad",
                      "self.grad = other.data * out.grad", "other.grad = self.data * out.grad",
                      "self.grad = (1 - t**2) * out.grad"))
MUL_FORGETS_UPSTREAM = Edit("* without `* out.grad`", MUL_BACKWARD,
                            ("self.grad += other.data", "other.grad += self.data"))
TANH_OF_INPUT = Edit("tanh's derivative written with the input x, not t = tanh(x)",
                     TANH_BACKWARD, "self.grad += (1 - self.data**2) * out.grad")
ADD_WITHOUT_ONE = Edit("`out.grad` instead of `1.0 * out.grad`", ADD_BACKWARD,
                       ("self.grad += out.grad", "other.grad += out.grad"))
TANH_FROM_OUT = Edit("tanh's derivative from out.data instead of t", TANH_BACKWARD,
                     "self.grad += (1 - out.data**2) * out.grad")
MUL_DEBUG_PRINT = Edit("a debugging print left in *'s _backward", MUL_BACKWARD[1],
                       MUL_BACKWARD[1] + '\n            print("mul backward:", self.grad, other.grad)')

# Stage 2: backward()
NOT_REVERSED = Edit("walks the graph from the leaves: no reversed()",
                    "for node in reversed(topo):", "for node in topo:")
NO_SEED = Lines("never sets the output's grad to 1.0", "self.grad = 1.0", "")
ENDLESS_LOOP = Lines("an index loop that never moves its index: backward() never ends", """
    for node in reversed(topo):
        node._backward()
    """, """
    i = len(topo) - 1
    while i >= 0:
        topo[i]._backward()
    """)
NO_VISITED = Lines("builds the order without a visited set: shared nodes come twice", """
    if v not in visited:
        visited.add(v)
        for child in v._prev:
            build_topo(child)
        topo.append(v)
    """, """
    for child in v._prev:
        build_topo(child)
    topo.append(v)
    """)
ITERATIVE_TOPO = Rewrite("an explicit stack instead of recursion", "Value", "backward", '''
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
    ''')

# Stage 3: the other operators
RSUB_BACKWARDS = Edit("__rsub__ computes self - other", "return other + (-self)", "return self - other")
RELU_PASSES_NEGATIVE = Edit("relu passes the gradient on for negative inputs too",
                            "self.grad += (out.data > 0) * out.grad", "self.grad += out.grad")
RTRUEDIV_AS_VALUE = Edit("2 / a as Value(2) / a", "return other * self**-1",
                         "return Value(other) / self")
RELU_WITH_MAX = Edit("relu with max()", "Value(0.0 if self.data < 0 else self.data,",
                     "Value(max(0.0, self.data),")

# Stage 4: Neuron, Layer, MLP
BIAS_FIRST = Edit("parameters() lists the bias first", "return self.w + [self.b]",
                  "return [self.b] + self.w")
LAYER_ALWAYS_LIST = Edit("Layer returns a list also when nout == 1",
                         "return outs[0] if len(outs) == 1 else outs", "return outs")
NEURON_LOOP = Rewrite("a for loop instead of sum()", "Neuron", "__call__", '''
    def __call__(self, x):
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act.tanh()
    ''')
MLP_PARAMETERS_LOOP = Rewrite("nested loops in MLP.parameters()", "MLP", "parameters", '''
    def parameters(self):
        params = []
        for layer in self.layers:
            params += layer.parameters()
        return params
    ''')

# Stage 5: train
NEVER_ZEROES = Lines("never sets the gradients back to zero", """
    for p in model.parameters():
        p.grad = 0.0
    """, "")
WRONG_SIGN = Edit("steps up the gradient: p.data += lr * p.grad",
                  "p.data -= lr * p.grad", "p.data += lr * p.grad")
PRINTS_LOSS = Edit("prints the loss at every step", "losses.append(loss.data)",
                   "losses.append(loss.data)\n        print(len(losses), loss.data)")

# Whole course: correct code written differently
TANH_EXP_FORM = Rewrite("tanh from exp", "Value", "tanh", '''
    def tanh(self):
        x = self.data
        t = (math.exp(2*x) - 1) / (math.exp(2*x) + 1)
        out = Value(t, (self,), 'tanh')

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out
    ''')
PREV_AS_TUPLE = Edit("_prev as a tuple", "self._prev = set(_children)", "self._prev = tuple(_children)")
ZERO_AFTER_UPDATE = Rewrite("zeroes the gradients after the update", "", "train", '''
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
    ''')


# Exploratory cells, as students leave them
TRY_MUL = Scratch("trying * by hand", """
    # does * give each side the other one's data?
    x = Value(3.0, label='x')
    y = Value(-2.0, label='y')
    z = x * y
    z.grad = 1.0
    z._backward()
    x.grad, y.grad
    """)
TYPO_CELL = Scratch("a half-typed cell: a SyntaxError", """
    # a + a should give a.grad == 2
    a = Value(3.0)
    b = a + a
    b.grad = 1.0
    b._backward()
    print("a.grad is" a.grad)
    """)
TRY_BACKWARD = Scratch("trying backward() on a small graph", """
    x = Value(0.5, label='x')
    y = (x * x + x).tanh()
    y.backward()
    print(x.grad)
    """)
TRY_BACKWARD_TWICE = Scratch("calling backward() twice, to see what happens", """
    a = Value(2.0)
    b = a * a
    b.backward()
    b.backward()   # what happens the second time?
    print(a.grad)
    """)
TRY_OPERATORS = Scratch("trying the new operators", """
    a = Value(4.0)
    print(2 - a, a / 2, 1 / a, a ** 0.5, (-a).relu(), a.exp())
    """)
TIMEIT_MAGIC = Scratch("a %timeit magic", """
    %timeit (Value(2.0) ** 3).data
    """)
TRY_LAYER = Scratch("looking at a layer's output", """
    layer = Layer(2, 3)
    print(layer([1.0, -1.0]))
    print(len(layer.parameters()))
    """)
TRY_MLP = Scratch("looking at an MLP's output", """
    net = MLP(3, [4, 4, 1])
    out = net([2.0, 3.0, -1.0])
    print(out)
    """)
TRY_TRAIN = Scratch("a short training run", """
    random.seed(42)
    model = MLP(3, [4, 4, 1])
    print(train(model, xs, ys, steps=5, lr=0.05))
    """)
LECTURE_AT_THE_END = Scratch("the lecture's example at the end of the file", """
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
    """)


# -- the class -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Example:
    file: str                    # its name in examples/class/
    stage: int | None            # the stage notebook it is made from; None: a whole-course .py
    what: str                    # what the student did, for the README
    form: str = "notebook"       # notebook, untouched, reference, py, zip or folder
    steps: tuple = ()            # the named edits, in order
    fails: tuple = ()            # ids of the checks it fails
    hint: str = ""               # the constant of autograder/messages.py its feedback names
    note: str = ""               # a phrase its feedback.md must hold (a cell's error, say)

    @property
    def id(self):
        return re.sub(r"\.(ipynb|py|zip)$", "", self.file)

    @property
    def stages(self):
        """The stages it is graded on: a stage notebook's own, or all five."""
        return [self.stage] if self.stage else list(STAGE_TITLES)

    def score(self, stage=None):
        stages = [stage] if stage else self.stages
        return sum(stage_points(s) for s in stages) - sum(
            CHECKS[c].points for c in self.fails if CHECKS[c].stage in stages)

    @property
    def max_score(self):
        return sum(stage_points(s) for s in self.stages)


EXAMPLES = [
    Example("reference_solution.py", None, "The reference solution, autograder/reference.py.",
            form="reference"),
    *[Example(f"{name}.ipynb", stage, "The assignment notebook, untouched: nothing written yet.",
              form="untouched", fails=tuple(c for c in CHECKS if CHECKS[c].stage == stage),
              hint="NOT_IMPLEMENTED") for stage, name in NOTEBOOKS.items()],
    # stage 1
    Example("ada_stage1.ipynb", 1, "Correct, in her own words; a debugging print left in, "
            "an exploratory cell.", steps=(ADD_WITHOUT_ONE, TANH_FROM_OUT, MUL_DEBUG_PRINT, TRY_MUL)),
    Example("alan_stage1.ipynb", 1, "`=` instead of `+=` in every `_backward`.",
            steps=(ASSIGNS_GRADS, TRY_MUL), fails=("1.6", "1.7"), hint="OVERWRITES_GRAD"),
    Example("barbara_stage1.ipynb", 1, "Forgets `* out.grad` in the `_backward` of `*`.",
            steps=(MUL_FORGETS_UPSTREAM,), fails=("1.1", "1.2", "1.4", "1.6", "1.7"),
            hint="FORGOT_UPSTREAM"),
    Example("katherine_stage1.ipynb", 1, "tanh's derivative in terms of the input x: "
            "`1 - x**2` instead of `1 - t**2`.", steps=(TANH_OF_INPUT,),
            fails=("1.2", "1.5", "1.6"), hint="TANH_WRONG_INPUT"),
    Example("grace_stage1.ipynb", 1, "Correct, but one exploratory cell has a syntax error: "
            "that cell fails to run, the rest still grades.", steps=(TYPO_CELL,),
            note="SyntaxError"),
    # stage 2
    Example("john_stage2.ipynb", 2, "Correct: a topological sort with an explicit stack "
            "instead of recursion.", steps=(ITERATIVE_TOPO, TRY_BACKWARD)),
    Example("edsger_stage2.ipynb", 2, "Calls `_backward` in topological order, without "
            "`reversed()`.", steps=(NOT_REVERSED,),
            fails=("2.1", "2.2", "2.4", "2.5", "2.6", "2.7"), hint="ORDER"),
    Example("donald_stage2.ipynb", 2, "Forgets the seed: never sets the output's grad to 1.0.",
            steps=(NO_SEED, TRY_BACKWARD_TWICE),
            fails=("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"), hint="NO_SEED"),
    Example("margaret_stage2.ipynb", 2, "Hangs: an index loop in `backward()` that never "
            "moves its index; the notebook's own check cells never finish.",
            steps=(ENDLESS_LOOP,), fails=("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"),
            hint="TIMEOUT"),
    # stage 3
    Example("radia_stage3.ipynb", 3, "`__rsub__` backwards: `2 - a` computes `a - 2`.",
            steps=(RSUB_BACKWARDS, TRY_OPERATORS), fails=("3.3",), hint="REFLECTED"),
    Example("hedy_stage3.ipynb", 3, "relu passes the gradient on for negative inputs too.",
            steps=(RELU_PASSES_NEGATIVE,), fails=("3.7", "3.9"), hint="RELU_NEGATIVE"),
    Example("tim_stage3.zip", 3, "Correct, handed in as a .zip; `relu` with `max()`, "
            "`2 / a` as `Value(2) / a`, a `%timeit` cell.", form="zip",
            steps=(RELU_WITH_MAX, RTRUEDIV_AS_VALUE, TIMEIT_MAGIC)),
    # stage 4
    Example("frances_stage4.ipynb", 4, "`Neuron.parameters()` lists the bias first: "
            "`[b] + w`.", steps=(BIAS_FIRST, TRY_LAYER),
            fails=("4.1", "4.2", "4.3", "4.6", "4.7"), hint="PARAM_ORDER"),
    Example("linus_stage4.ipynb", 4, "A Layer returns a list also when `nout == 1`.",
            steps=(LAYER_ALWAYS_LIST, TRY_MLP), fails=("4.3", "4.6"), hint="LAYER_SINGLE"),
    Example("ken_stage4", 4, "Correct, handed in as a folder (with picture.py beside the "
            "notebook); loops instead of `sum()`.", form="folder",
            steps=(NEURON_LOOP, MLP_PARAMETERS_LOOP)),
    # stage 5
    Example("dennis_stage5.ipynb", 5, "The training loop never sets the gradients back to "
            "zero.", steps=(NEVER_ZEROES, TRY_TRAIN), fails=("5.3", "5.4", "5.5"),
            hint="TRAIN_NOT_ZEROED"),
    Example("bjarne_stage5.ipynb", 5, "The update steps up the gradient: "
            "`p.data += lr * p.grad`.", steps=(WRONG_SIGN, PRINTS_LOSS),
            fails=("5.3", "5.4", "5.5"), hint="TRAIN_SIGN"),
    # the whole course in one file
    Example("guido_micrograd.py", None, "The whole course in one .py, correct and written "
            "differently: tanh from exp, a stack-based topological sort, `_prev` as a tuple, "
            "a loop in Neuron, grads zeroed after the update; prints at the end.", form="py",
            steps=(TANH_EXP_FORM, ITERATIVE_TOPO, PREV_AS_TUPLE, NEURON_LOOP, ZERO_AFTER_UPDATE,
                   LECTURE_AT_THE_END)),
    Example("anita_micrograd.py", None, "The whole course in one .py; the topological sort "
            "has no visited set, so a node reached along two paths passes its gradient twice.",
            form="py", steps=(NO_VISITED,), fails=("2.6", "2.7"), hint="VISITED_TWICE"),
]


# -- building --------------------------------------------------------------------------------

def student_notebook(example, assignments, reference):
    nb = nbformat.read(assignments / f"{NOTEBOOKS[example.stage]}.ipynb", as_version=4)
    work = Work(example.id, notebook=nb)
    work.code = fill_stubs(work.code, reference)
    for step in example.steps:
        _apply(step, work, example)
    return nbformat.writes(nb) + "\n"


def student_text(example, reference):
    work = Work(example.id, text=reference)
    for step in example.steps:
        _apply(step, work, example)
    return work.text


def _apply(step, work, example):
    try:
        step.apply(work)
    except EditError as exc:
        raise EditError(f"{example.file}: the edit {step.name!r} does not apply: {exc}") from None


def build(assignments=ASSIGNMENTS, reference_file=REFERENCE, out=CLASS):
    """Write every example into `out` (emptied first); return the files written."""
    reference = Path(reference_file).read_text()
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for ex in EXAMPLES:
        target = out / ex.file
        if ex.form == "reference":
            target.write_text(reference)
        elif ex.form == "untouched":
            shutil.copyfile(assignments / ex.file, target)
        elif ex.form == "py":
            target.write_text(student_text(ex, reference))
        elif ex.form == "notebook":
            target.write_text(student_notebook(ex, assignments, reference))
        elif ex.form == "zip":
            inner = f"{NOTEBOOKS[ex.stage]}.ipynb"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                info = zipfile.ZipInfo(inner, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, student_notebook(ex, assignments, reference))
        elif ex.form == "folder":
            target.mkdir()
            (target / f"{NOTEBOOKS[ex.stage]}.ipynb").write_text(
                student_notebook(ex, assignments, reference))
            shutil.copyfile(assignments / HELPER, target / HELPER)
        else:
            raise ValueError(f"{ex.file}: unknown form {ex.form!r}")
    return sorted(p.name for p in out.iterdir())


# -- the README ------------------------------------------------------------------------------

README_TEXT = """\
# The demo class

`examples/class/` is a small class of {count} submissions for trying the grader:
`make demo` grades it. It holds the reference solution, the five assignment notebooks as
a student who has not started would hand them in, and students' work: stage notebooks with
the stubs filled in, some correct and some with one classic mistake, and whole-course `.py`
files; one handed in as a `.zip`, one as a folder.

Nothing in it is written by hand: `examples/make_class.py` derives every example from the
committed `assignments/` and `autograder/reference.py` by named edits (fill the stubs with
the reference code, then, say, `=` instead of `+=`). After `make assignments`, run

    .venv/bin/python examples/make_class.py

and commit what changed. `tests/test_examples.py` grades the class and checks every score
and hint below; this file is written by the same script.

To grade it by hand:

    .venv/bin/python -m autograder grade examples/class --out grades/demo

which writes `grades/demo/<id>/feedback.md`, `results.json` and `grades/demo/gradebook.csv`.

| submission | stage | what the student did | score | the hint the feedback names |
|---|---|---|---|---|
{rows}

A stage notebook is graded on its own stage (its metadata says which); a `.py` file on all
five. A mistake costs points only in the stage where it lives: every stage's checks run the
student's code for that stage on top of the reference code of the others.
"""


def readme():
    rows = []
    for ex in EXAMPLES:
        stage = str(ex.stage) if ex.stage else "all"
        hint = f"`{ex.hint}`" if ex.hint else (f"({ex.note} noted)" if ex.note else "")
        lost = f" (fails {', '.join(ex.fails)})" if ex.fails and ex.form != "untouched" else ""
        rows.append(f"| `{ex.file}` | {stage} | {ex.what} | {ex.score()} / {ex.max_score}{lost} "
                    f"| {hint} |")
    return README_TEXT.format(count=len(EXAMPLES), rows="\n".join(rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", type=Path, default=ASSIGNMENTS)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--out", type=Path, default=CLASS)
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    try:
        files = build(args.assignments, args.reference, args.out)
    except EditError as exc:
        print(f"make_class: {exc}", file=sys.stderr)
        return 1
    args.readme.write_text(readme())
    print(f"wrote {len(files)} submissions to {args.out}/ and {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
