"""Learners' files: the reference solution handed in the way self-learners hand in their own
micrograd, each made from autograder/reference.py by small edits at test time.

- CORRECT: right code in the shape a learner's repository has it (imports of numpy,
  matplotlib or a helper file of their own, plots and training at import, a notebook
  exported by nbconvert, a Value without `label`, operators in a base class, super(), a
  dataclass, __slots__, another constructor, CRLF, a BOM, a notebook without the course's
  metadata). Each scores every point of the stages it implements.
- RENAMED: right code under a name the contract does not use (backprop, Multilayer_Perceptron,
  _parents) or a Layer that always returns a list. Each loses the checks that need the name,
  no other, and the stage says once what it found.

Edits name code, never comments (see grader_bank.apply_edit): each must apply exactly once.
"""

import ast
import re
import textwrap
from dataclasses import dataclass, field

import nbformat

from autograder import messages as M
from autograder.checks import TABLE
from course.edits import add_to_class, apply_edit, replace_definition
from course.mistakes import reference_text

ALL = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class LearnerFile:
    name: str
    file: str                    # the file name it is handed in as
    build: object                # reference text -> the file's text (str) or bytes
    stages: tuple = ALL          # the stages graded (the notebook's own, or all five)
    lost: dict = field(default_factory=dict)    # stage -> the checks its deviation costs
    notes: tuple = ()            # words the submission-wide notes must hold
    stage_note: tuple = ()       # words the note at the top of each stage in `lost` must hold
    check_says: str = ""         # what each lost check's output must hold
    raises: bool = False         # the notes rightly say that a statement raised an error


# --------------------------------------------------------------------------------------
# Pieces of a learner's file
# --------------------------------------------------------------------------------------

def top_level(text):
    """The source of each top-level statement of text, decorators included."""
    lines = text.splitlines(keepends=True)
    parts = []
    for node in ast.parse(text).body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        parts.append("".join(lines[start:node.end_lineno]).rstrip("\n"))
    return parts


def value_class(text):
    return next(p for p in top_level(text) if p.startswith("class Value"))


PLOTS = '''

# -- pictures, as in the lecture ------------------------------------------------------
xs = np.arange(-5, 5, 0.2)
plt.plot(xs, np.tanh(xs)); plt.grid(); plt.show()
a = Value(2.0); b = Value(-3.0)
L = a * b + a
L.backward()
print("L", L, "a.grad", a.grad)
plt.figure(figsize=(4, 4))
plt.scatter([p.data for p in MLP(2, [3, 1]).parameters()], [0] * 13)
'''


def numpy_and_matplotlib(ref):
    return "import numpy as np\nimport matplotlib.pyplot as plt\n" + ref + PLOTS


def local_helper(ref):
    return ("from graph import draw_dot, trace\n" + ref
            + "\nx = Value(1.0); y = (x * 2 + 1).tanh()\ny.backward()\ndraw_dot(y)\nprint(x.grad)\n")


def nbconvert_export(ref):
    """What `jupyter nbconvert --to script` writes: a shebang, markdown as comments, each
    code cell under `# In[n]:`, magics as get_ipython() calls; the first cell imports numpy
    and matplotlib beside math and random."""
    cells = ["get_ipython().run_line_magic('matplotlib', 'inline')\nimport math\n"
             "import numpy as np\nimport matplotlib.pyplot as plt\nimport random",
             "get_ipython().system('pip install graphviz')"]
    cells += [p for p in top_level(ref) if not p.startswith(('"""', "import"))]
    cells.append("n = MLP(3, [4, 4, 1])\nxs = np.array([[2.0, 3.0, -1.0]])\n"
                 "display(n(xs[0].tolist()))")
    out = "#!/usr/bin/env python\n# coding: utf-8\n\n# # My micrograd\n# \n# Following the lecture.\n\n"
    for i, cell in enumerate(cells, start=1):
        out += f"# In[{i}]:\n\n\n{cell}\n\n\n"
    return out


def no_label(ref):
    """micrograd's own engine.py: Value(data, _children=(), _op='') has no label."""
    ref = apply_edit(ref, "def __init__(self, data, _children=(), _op='', label=''):",
                     "def __init__(self, data, _children=(), _op=''):")
    return apply_edit(ref, "        self.label = label\n", "")


def operators_in_a_base_class(ref):
    """Every operator and backward() in a base class; Value keeps __init__ and __repr__."""
    cls = value_class(ref)
    tree = ast.parse(cls).body[0]
    lines = cls.splitlines(keepends=True)
    own, inherited = [], []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            part = "".join(lines[node.lineno - 1:node.end_lineno])
            (own if node.name in ("__init__", "__repr__") else inherited).append(part)
    base = "class Operators:\n    \"\"\"What every Value can do.\"\"\"\n\n" + "\n".join(inherited)
    value = "class Value(Operators):\n" + "\n".join(own)
    return ref.replace(cls, base.rstrip("\n") + "\n\n\n" + value.rstrip("\n"))


def super_init(ref):
    """Value's __init__ calls super().__init__() of a base class that holds data and grad."""
    ref = ref.replace("class Value:", "class Node:\n    def __init__(self, data):\n"
                                      "        self.data = data\n        self.grad = 0.0\n\n\n"
                                      "class Value(Node):", 1)
    return replace_definition(ref, "Value", "__init__", '''
        def __init__(self, data, _children=(), _op='', label=''):
            super().__init__(data)
            self._backward = lambda: None
            self._prev = set(_children)
            self._op = _op
            self.label = label
        ''')


def training_at_import(ref):
    return ref + textwrap.dedent('''

        random.seed(1337)
        model = MLP(3, [4, 4, 1])
        xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
        ys = [1.0, -1.0, -1.0, 1.0]
        losses = train(model, xs, ys, steps=20, lr=0.05)
        print("loss from", losses[0], "to", losses[-1])
        ''')


def crlf(ref):
    return ref.replace("\n", "\r\n").encode()


def bom(ref):
    return b"\xef\xbb\xbf" + ref.encode()


CONSTRUCTION = re.compile(r"Value\((.+?), \((self(?:, other)?),?\), ('[^']*'|f'[^']*')\)")


def constructions(ref, replace, count=6):
    """ref with every `Value(data, (children), op)` of the operators rewritten."""
    new, n = CONSTRUCTION.subn(replace, ref)
    assert n == count, f"{n} constructions of a Value found, expected {count}"
    return new


def dataclass_value(ref):
    """A dataclass whose fields are data, grad, _prev, _op, label: an operator's output is
    made with keywords, since the second field is grad."""
    ref = constructions(ref, r"Value(\1, _prev={\2}, _op=\3)")
    ref = ref.replace("import math\n", "import math\nfrom dataclasses import dataclass, field\n", 1)
    ref = ref.replace("class Value:", "@dataclass(eq=False)\nclass Value:", 1)
    return replace_definition(ref, "Value", "__init__", '''
        data: float
        grad: float = 0.0
        _prev: set = field(default_factory=set)
        _op: str = ''
        label: str = ''

        def __post_init__(self):
            self._backward = lambda: None
        ''')


def other_argument_order(ref):
    """Value(data, _op='', _children=()): op before children, and positional."""
    ref = apply_edit(ref, "def __init__(self, data, _children=(), _op='', label=''):",
                     "def __init__(self, data, _op='', _children=(), label=''):")
    return constructions(ref, r"Value(\1, \3, (\2,))")


def keyword_only(ref):
    """Value(data, *, children=(), op=''): everything but data keyword-only."""
    ref = apply_edit(ref, ("def __init__(self, data, _children=(), _op='', label=''):",
                           "self._prev = set(_children)", "self._op = _op"),
                     ("def __init__(self, data, *, children=(), op='', label=''):",
                      "self._prev = set(children)", "self._op = op"))
    return constructions(ref, r"Value(\1, children=(\2,), op=\3)")


def slots_and_a_property(ref):
    """__slots__, and data behind a property that checks it is a number."""
    ref = add_to_class(ref, "Value", '''
        __slots__ = ('_data', 'grad', '_backward', '_prev', '_op', 'label')

        @property
        def data(self):
            return self._data

        @data.setter
        def data(self, x):
            if not isinstance(x, (int, float)):
                raise TypeError(f"a Value holds a number, not {type(x).__name__}")
            self._data = x
        ''')
    return ref


def get_ipython_calls(ref):
    """A .py with magics as get_ipython() calls, a magic and a shell escape as typed in a
    notebook, and IPython's display(), without cell markers."""
    return ("%matplotlib inline\n!pip install graphviz\n"
            "get_ipython().run_line_magic('load_ext', 'autoreload')\n" + ref
            + "\ndisplay(Value(3.0))\nget_ipython().run_cell_magic('time', '', 'x = 1')\n")


def stage3_notebook(ref):
    """The stage-3 notebook's code (imports, Value, a check), pasted into a new notebook:
    no course metadata, no markdown."""
    parts = [p for p in top_level(ref) if p.startswith(("import", "class Value"))]
    cells = [nbformat.v4.new_code_cell("\n".join(p for p in parts if p.startswith("import")))]
    cells.append(nbformat.v4.new_code_cell(value_class(ref)))
    cells.append(nbformat.v4.new_code_cell("a = Value(2.0)\nb = (a ** 2 / 4 - 1).exp()\n"
                                           "b.backward()\nprint(a.grad)"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(nb)


def pasted_files(ref):
    """engine.py and nn.py pasted into one file, each with its own imports: the import of
    Value from the package leaves the Value defined above it alone."""
    ref = ref.replace("class Neuron:", "import random\nfrom micrograd.engine import Value\n\n\n"
                                       "class Neuron:", 1)
    return ref.replace("def train(", "from micrograd.nn import MLP, Neuron\n\n\ndef train(", 1)


def python2_print_in_the_demo(ref):
    """Demo code in Python 2: that statement is a syntax error, the rest runs."""
    return ref + '\nx = Value(3.0)\nprint "x is", x\ny = x * 2\ny.backward()\n'


def numpy_in_tanh(ref):
    """tanh computed with numpy: the one method that uses it fails, where it is used."""
    return "import numpy as np\n" + apply_edit(ref, "t = math.tanh(self.data)",
                                              "t = float(np.tanh(self.data))")


def numpy_in_the_class_body(ref):
    """The class statement itself uses numpy: Value is never defined."""
    return "import numpy as np\n" + add_to_class(ref, "Value", "zero = np.float64(0.0)")


# --------------------------------------------------------------------------------------
# Renamed: right code under another name
# --------------------------------------------------------------------------------------

def rename_backward(new):
    return lambda ref: apply_edit(ref, "def backward(self):", f"def {new}(self):")


def rename_mlp(ref):
    return apply_edit(ref, "class MLP:", "class Multilayer_Perceptron:")


def rename_prev(ref):
    return apply_edit(ref, ("self._prev = set(_children)", "for child in v._prev:"),
                      ("self._parents = set(_children)", "for child in v._parents:"))


def constructor_needs_children(ref):
    return apply_edit(ref, "def __init__(self, data, _children=(), _op='', label=''):",
                      "def __init__(self, data, _children, _op, label=''):")


def layer_returns_a_list(ref):
    return apply_edit(ref, "return outs[0] if len(outs) == 1 else outs", "return outs")


STAGE_3_BACKPROPAGATES = ["3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9"]
STAGE_2 = [c.id for c in TABLE if c.stage == 2]      # every check of stage 2 calls backward()

CORRECT = [
    LearnerFile("numpy_matplotlib_and_plots", "micrograd.py", numpy_and_matplotlib,
                notes=("numpy is not available to the grader", "matplotlib is not available")),
    LearnerFile("local_helper_import", "engine.py", local_helper,
                notes=("graph is not available to the grader", "not the files beside it")),
    LearnerFile("nbconvert_export", "micrograd_lecture.py", nbconvert_export,
                notes=("numpy is not available to the grader",)),
    LearnerFile("no_label", "engine.py", no_label),
    LearnerFile("operators_in_a_base_class", "value.py", operators_in_a_base_class),
    LearnerFile("super_init", "value.py", super_init),
    LearnerFile("training_at_import", "micrograd.py", training_at_import),
    LearnerFile("crlf_line_ends", "micrograd.py", crlf),
    LearnerFile("byte_order_mark", "micrograd.py", bom),
    LearnerFile("dataclass_value", "micrograd.py", dataclass_value),
    LearnerFile("other_argument_order", "micrograd.py", other_argument_order),
    LearnerFile("keyword_only_arguments", "micrograd.py", keyword_only),
    LearnerFile("slots_and_a_property", "micrograd.py", slots_and_a_property),
    LearnerFile("magics_without_markers", "micrograd.py", get_ipython_calls),
    LearnerFile("pasted_files_with_their_imports", "micrograd.py", pasted_files,
                notes=("micrograd is not available to the grader",)),
    LearnerFile("python2_print_in_the_demo", "micrograd.py", python2_print_in_the_demo,
                notes=("SyntaxError",), raises=True),
    LearnerFile("notebook_named_stage3", "stage3_operators.ipynb", stage3_notebook, stages=(3,),
                notes=("Graded stage 3 only", "--stage N")),
    LearnerFile("notebook_named_neutrally", "my_micrograd.ipynb", stage3_notebook, stages=(3,),
                notes=("Graded stage 3 only", "--stage N")),
]

RENAMED = [
    LearnerFile("backward_named_backprop", "micrograd.py", rename_backward("backprop"),
                lost={2: STAGE_2}, stage_note=("backprop()", "backward()"),
                check_says="backward()"),
    LearnerFile("backward_named_back_prop", "micrograd.py", rename_backward("back_prop"),
                lost={2: STAGE_2}, stage_note=("back_prop()", "backward()"),
                check_says="backward()"),
    # 4.5-4.7 build an MLP; the Neuron and Layer checks do not need it, nor does stage 5
    # (it trains the reference MLP)
    LearnerFile("mlp_named_multilayer_perceptron", "micrograd.py", rename_mlp,
                lost={4: ["4.5", "4.6", "4.7"]},
                stage_note=("Multilayer_Perceptron", "MLP"),
                check_says=M.MISSING_NAME.format(name="MLP")),
    # the student's backward() walks _parents, and so do the grader's outputs in stage 2;
    # stage 3 backpropagates through the student's operators with the reference backward(),
    # which walks _prev (3.1 only adds and multiplies numbers, without backward())
    LearnerFile("prev_named_parents", "micrograd.py", rename_prev,
                lost={1: ["1.8"], 3: STAGE_3_BACKPROPAGATES}, stage_note=("_parents", "_prev"),
                check_says="_prev"),
    # 4.3 calls Layers of one neuron, 4.6 MLPs whose last layer has one (4.7 sums the
    # outputs, a list or not, and backpropagates)
    LearnerFile("layer_always_returns_a_list", "micrograd.py", layer_returns_a_list,
                lost={4: ["4.3"]}, stage_note=("returns a list",),
                check_says=M.LAYER_SINGLE),
    # a Value that cannot be made from a number alone: every check that makes one, in the
    # stages that use the student's Value
    LearnerFile("constructor_needs_its_children", "micrograd.py", constructor_needs_children,
                lost={1: "all", 2: "all", 3: "all"}, stage_note=("Value(2.0) raised TypeError",
                                                              "Value(data)")),
    # numpy where it is used: only the checks that call tanh (1.2 the lecture's neuron,
    # 1.5 tanh, 1.6 accumulation over +, * and tanh); stages 2-5 use the reference tanh
    LearnerFile("numpy_used_in_tanh", "micrograd.py", numpy_in_tanh,
                lost={1: ["1.2", "1.5", "1.6", "1.8"]}, notes=("numpy is not available",),
                check_says=M.NOT_AVAILABLE_USED.format(module="numpy")),
    LearnerFile("numpy_in_the_class_body", "micrograd.py", numpy_in_the_class_body,
                lost={1: "all", 2: "all", 3: "all"}, notes=("numpy is not available", "line "),
                check_says=M.MISSING_AFTER_ERRORS.format(name="Value")),
]

BANK = CORRECT + RENAMED


def text_of(case):
    return case.build(reference_text())
