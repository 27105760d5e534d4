"""The assignment generator (course/generate.py) on small notebooks built here.

These pass whatever state solutions/ is in: each test writes the notebooks it needs.
"""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import generate
from course.generate import CourseError

REPO = Path(__file__).resolve().parent.parent

TITLES = {1: "Local derivatives", 2: "Backpropagation through a whole graph",
          3: "More operators", 4: "Neuron, Layer, MLP", 5: "Training"}
NAMES = {1: "stage1_local_derivatives", 2: "stage2_backward", 3: "stage3_operators",
         4: "stage4_neural_net", 5: "stage5_training"}


# --------------------------------------------------------------------------------------
# Building notebooks
# --------------------------------------------------------------------------------------

def nbgrader_cell(source, grade_id, *, solution=False, grade=False, locked=False, **extra):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata.nbgrader = dict(grade_id=grade_id, solution=solution, grade=grade,
                                  locked=locked, schema_version=3, **extra)
    return cell


def given(source, grade_id):
    return nbgrader_cell(source, grade_id, locked=True)


def solution(source, grade_id):
    return nbgrader_cell(source, grade_id, solution=True)


def check(source, grade_id):
    return nbgrader_cell(source, grade_id, grade=True, locked=True, points=1)


def demo(source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata.tags = ["demo"]
    return cell


def plain(source):
    return nbformat.v4.new_code_cell(source)


def write_notebook(folder, stage, cells, metadata=True):
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if metadata:
        nb.metadata.micrograd_course = {"stage": stage, "title": TITLES[stage]}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Stage {stage}: {TITLES[stage]}"), *cells]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{NAMES[stage]}.ipynb"
    nbformat.write(nb, path)
    return path


def released(path):
    """The student's notebook the generator makes from the notebook at path."""
    return generate.release_notebook(generate.read_stage(path))


# Course code shaped like the real course's: a region in a nested _backward, a whole method
# body, a region after an assert, a region in an `if`, a top-level function.
VALUE_STAGE3 = '''\
class Value:
    """A scalar that remembers the operation and the inputs that produced it."""

    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        if not isinstance(other, Value):
            ### BEGIN SOLUTION
            other = Value(other)
            ### END SOLUTION
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            # out = self + other, so d(out)/d(self) = 1 and d(out)/d(other) = 1.
            ### BEGIN SOLUTION
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
            ### END SOLUTION
        out._backward = _backward
        return out

    def backward(self):
        """Fill in .grad of every Value this one depends on."""
        ### BEGIN SOLUTION
        topo, visited = [], set()

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
        ### END SOLUTION

    def __pow__(self, other):
        """self ** other, for a plain number other: d/dx x**k = k * x**(k-1)."""
        assert isinstance(other, (int, float)), "only int or float powers are supported"
        ### BEGIN SOLUTION
        out = Value(self.data**other, (self,), f'**{other}')

        def _backward():
            self.grad += other * self.data**(other - 1) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION'''

HIDDEN_CHECK = '''\
x = Value(2.0)
y = x + x
y.backward()
assert abs(x.grad - 2.0) < 1e-9, "x + x: x.grad must be 2.0"
### BEGIN HIDDEN TESTS
z = Value(-3.0)
secret_hidden_line = (z + z)
assert secret_hidden_line.data == -6.0
### END HIDDEN TESTS'''


def stage3_notebook(folder):
    return write_notebook(folder, 3, [
        given("import math\nimport random", "stage3-setup"),
        solution(VALUE_STAGE3, "stage3-value"),
        check(HIDDEN_CHECK, "stage3-check-add"),
        demo("from picture import draw_dot\ndraw_dot(Value(1.0) + Value(2.0))"),
    ])


# A whole (tiny) course: stage k adds one method to Value with a region; the last stage also
# defines every name of the contract, so the reference code can be built from it.
def tiny_value(stage, through):
    methods = []
    for k in range(1, through + 1):
        body = f"        return Value(self.data * {k + 1})"
        if k == stage:
            body = f"        ### BEGIN SOLUTION\n{body}\n        ### END SOLUTION"
        methods.append(f'    def times{k + 1}(self):\n        """{k + 1} * self."""\n{body}\n')
    return ('class Value:\n    """A number."""\n\n    def __init__(self, data):\n'
            '        self.data = data\n\n' + "\n".join(methods))


TINY_NN = '''\
class Neuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]


class Layer:
    pass


class MLP:
    pass


def helper_for_checks():
    return 42


def train(model, xs, ys, steps, lr):
    """Gradient descent."""
    return [float(step) for step in range(steps)]'''


def tiny_course(folder, stages=(1, 2)):
    paths = []
    for stage in stages:
        paths.append(write_notebook(folder, stage, [
            given("import math\nimport random\nimport json", f"stage{stage}-setup"),
            solution(tiny_value(stage, stage), f"stage{stage}-value"),
            given(TINY_NN, f"stage{stage}-nn"),
            check(f"assert Value(1.0).times{stage + 1}().data == {stage + 1}\n"
                  "### BEGIN HIDDEN TESTS\nassert Value(2.0).times2().data == 4\n"
                  "### END HIDDEN TESTS", f"stage{stage}-check"),
            demo("from picture import draw_dot"),
        ]))
    return paths


def refusal(path):
    with pytest.raises(CourseError) as caught:
        released(path)
    return str(caught.value)


# --------------------------------------------------------------------------------------
# Refusing broken notebooks
# --------------------------------------------------------------------------------------

def test_is_a_nested_solution_region_refused_naming_the_file_and_cell(tmp_path):
    path = write_notebook(tmp_path, 1, [
        given("import math", "stage1-setup"),
        solution("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n"
                 "    ### END SOLUTION\n    ### END SOLUTION", "stage1-f"),
    ])
    message = refusal(path)
    assert str(path) in message
    assert "cell 2 (grade_id stage1-f)" in message
    assert "nested solution regions" in message and "line 3" in message


def test_is_an_unterminated_solution_region_refused_naming_the_file_and_cell(tmp_path):
    path = write_notebook(tmp_path, 1, [
        solution("def f():\n    ### BEGIN SOLUTION\n    return 1", "stage1-f"),
    ])
    message = refusal(path)
    assert str(path) in message and "cell 1 (grade_id stage1-f)" in message
    assert "unterminated solution region" in message and "line 2" in message


def test_is_an_unterminated_hidden_tests_region_refused_naming_the_file_and_cell(tmp_path):
    path = write_notebook(tmp_path, 1, [
        check("assert True\n### BEGIN HIDDEN TESTS\nassert 1 + 1 == 2", "stage1-check"),
    ])
    message = refusal(path)
    assert str(path) in message and "cell 1 (grade_id stage1-check)" in message
    assert "unterminated hidden-test region" in message


def test_is_a_nested_hidden_tests_region_refused(tmp_path):
    path = write_notebook(tmp_path, 1, [
        check("### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS\nassert True\n"
              "### END HIDDEN TESTS\n### END HIDDEN TESTS", "stage1-check"),
    ])
    assert "nested hidden-test regions" in refusal(path)


def test_is_a_solution_region_outside_a_solution_cell_refused(tmp_path):
    path = write_notebook(tmp_path, 1, [
        given("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "stage1-f"),
    ])
    message = refusal(path)
    assert "cell 1 (grade_id stage1-f)" in message
    assert "not a solution cell" in message


def test_is_a_hidden_tests_region_outside_a_graded_cell_refused(tmp_path):
    path = write_notebook(tmp_path, 1, [
        given("### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS", "stage1-f"),
    ])
    assert "not a graded cell" in refusal(path)


def test_is_a_solution_cell_without_a_region_refused_instead_of_wiped(tmp_path):
    path = write_notebook(tmp_path, 1, [solution("def f():\n    return 1", "stage1-f")])
    message = refusal(path)
    assert "cell 1 (grade_id stage1-f)" in message
    assert "without a '### BEGIN SOLUTION' region" in message


def test_is_a_notebook_without_course_metadata_refused(tmp_path):
    path = write_notebook(tmp_path, 1, [given("import math", "stage1-setup")], metadata=False)
    with pytest.raises(CourseError, match="micrograd_course"):
        generate.read_stage(path)


def test_is_a_title_other_than_the_contracts_refused(tmp_path):
    path = write_notebook(tmp_path, 3, [given("import math", "stage3-setup")])
    nb = nbformat.read(path, 4)
    nb.metadata.micrograd_course.title = "Operators"
    nbformat.write(nb, path)
    with pytest.raises(CourseError, match="titles stage 3 'Operators', the course contract "
                                          r"\(autograder/contract.py\) 'More operators'"):
        generate.read_stage(path)


def test_is_a_grade_id_of_another_stage_refused(tmp_path):
    path = write_notebook(tmp_path, 2, [given("import math", "stage1-setup")])
    with pytest.raises(CourseError, match="must start with 'stage2-'"):
        generate.read_stage(path)


def test_does_the_command_print_the_problem_and_exit_1_without_a_traceback(tmp_path):
    source = tmp_path / "solutions"
    write_notebook(source, 1, [
        solution("def f():\n    ### BEGIN SOLUTION\n    return 1", "stage1-f"),
    ])
    run = subprocess.run(
        [sys.executable, "-m", "course.generate", str(source), str(tmp_path / "out"),
         "--reference", str(tmp_path / "reference.py")],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "stage1_local_derivatives.ipynb, cell 1 (grade_id stage1-f)" in run.stderr
    assert "unterminated solution region" in run.stderr


def test_does_a_refused_course_write_nothing(tmp_path):
    source = tmp_path / "solutions"
    tiny_course(source)
    write_notebook(source, 3, [solution("def f():\n    ### BEGIN SOLUTION\n", "stage3-f")])
    status = generate.main([str(source), str(tmp_path / "out"),
                            "--reference", str(tmp_path / "reference.py")])
    assert status == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "reference.py").exists()


# --------------------------------------------------------------------------------------
# The stubs
# --------------------------------------------------------------------------------------

def cell_source(nb, grade_id):
    return next(c.source for c in nb.cells if generate.grade_id(c) == grade_id)


def test_does_a_stub_keep_the_signature_docstring_comments_and_indentation(tmp_path):
    value = cell_source(released(stage3_notebook(tmp_path)), "stage3-value")
    assert '    def __pow__(self, other):\n' \
           '        """self ** other, for a plain number other: d/dx x**k = k * x**(k-1)."""\n' \
           '        assert isinstance(other, (int, float)), "only int or float powers are supported"\n' \
           '        # Stage 3: the rest of Value.__pow__\n' \
           '        raise NotImplementedError("Stage 3 (More operators): Value.__pow__, not written yet")' \
           in value
    assert '        def _backward():\n' \
           '            # out = self + other, so d(out)/d(self) = 1 and d(out)/d(other) = 1.\n' \
           '            # Stage 3: the body of _backward in Value.__add__\n' \
           '            raise NotImplementedError("Stage 3 (More operators): _backward in Value.__add__, not written yet")\n' \
           '        out._backward = _backward\n' \
           '        return out' in value


@pytest.mark.parametrize("comment, message", [
    ("# Stage 3: the body of `if not isinstance(other, Value):` in Value.__add__",
     "Stage 3 (More operators): Value.__add__, not written yet"),
    ("# Stage 3: the body of _backward in Value.__add__",
     "Stage 3 (More operators): _backward in Value.__add__, not written yet"),
    ("# Stage 3: the body of Value.backward",
     "Stage 3 (More operators): Value.backward, not written yet"),
    ("# Stage 3: the rest of Value.__pow__",
     "Stage 3 (More operators): Value.__pow__, not written yet"),
])
def test_does_each_stub_say_what_to_write_and_where(tmp_path, comment, message):
    value = cell_source(released(stage3_notebook(tmp_path)), "stage3-value")
    lines = [line.strip() for line in value.split("\n")]
    assert lines[lines.index(comment) + 1] == f'raise NotImplementedError("{message}")'


def test_does_a_stub_in_a_top_level_function_name_the_function(tmp_path):
    path = write_notebook(tmp_path, 5, [solution(
        'def train(model, xs, ys, steps, lr):\n    """Gradient descent."""\n'
        '    ### BEGIN SOLUTION\n    return []\n    ### END SOLUTION', "stage5-train")])
    assert cell_source(released(path), "stage5-train") == (
        'def train(model, xs, ys, steps, lr):\n    """Gradient descent."""\n'
        '    # Stage 5: the body of train\n'
        '    raise NotImplementedError("Stage 5 (Training): train, not written yet")')


def test_does_a_stub_in_a_method_of_a_later_class_name_the_class(tmp_path):
    path = write_notebook(tmp_path, 4, [solution(
        "class Neuron:\n    def __init__(self, nin):\n        ### BEGIN SOLUTION\n"
        "        self.w = []\n        ### END SOLUTION", "stage4-nn")])
    assert 'raise NotImplementedError("Stage 4 (Neuron, Layer, MLP): Neuron.__init__, not written yet")' \
        in cell_source(released(path), "stage4-nn")


def test_does_calling_a_stub_raise_NotImplementedError_naming_the_stage(tmp_path):
    nb = released(stage3_notebook(tmp_path))
    namespace = {}
    exec(cell_source(nb, "stage3-setup") + "\n" + cell_source(nb, "stage3-value"), namespace)
    Value = namespace["Value"]
    with pytest.raises(NotImplementedError, match=r"^Stage 3 \(More operators\): Value.__add__"):
        Value(1.0) + 2
    with pytest.raises(NotImplementedError, match=r"^Stage 3 \(More operators\): Value.__pow__"):
        Value(1.0) ** 2
    out = Value(1.0) + Value(2.0)   # the code the stage gives still runs
    assert out.data == 3.0


def test_is_the_given_code_left_exactly_as_written(tmp_path):
    path = stage3_notebook(tmp_path)
    source = nbformat.read(path, 4)
    nb = released(path)
    assert [c.source for c in nb.cells if c.cell_type == "markdown"] == \
        [c.source for c in source.cells if c.cell_type == "markdown"]
    assert cell_source(nb, "stage3-setup") == "import math\nimport random"


# --------------------------------------------------------------------------------------
# Hidden tests, outputs, metadata
# --------------------------------------------------------------------------------------

def test_are_hidden_tests_removed_and_the_public_asserts_kept(tmp_path):
    checks = cell_source(released(stage3_notebook(tmp_path)), "stage3-check-add")
    assert "secret_hidden_line" not in checks and "HIDDEN TESTS" not in checks
    assert checks.endswith('assert abs(x.grad - 2.0) < 1e-9, "x + x: x.grad must be 2.0"')


def test_are_outputs_and_execution_counts_cleared(tmp_path):
    path = stage3_notebook(tmp_path)
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = 7
            cell.outputs = [nbformat.v4.new_output("stream", text="hello\n")]
            cell.metadata.execution = {"iopub.status.busy": "2024-01-01T00:00:00Z"}
    nbformat.write(nb, path)
    for cell in released(path).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "execution" not in cell.metadata


def test_does_the_course_metadata_survive(tmp_path):
    nb = released(stage3_notebook(tmp_path))
    assert nb.metadata.micrograd_course == {"stage": 3, "title": "More operators"}
    assert nb.metadata.kernelspec.name == "python3"
    grade_ids = [generate.grade_id(c) for c in nb.cells]
    assert grade_ids == [None, "stage3-setup", "stage3-value", "stage3-check-add", None]
    assert nb.cells[-1].metadata.tags == ["demo"]


def test_are_given_and_check_cells_locked_and_the_solution_cell_editable(tmp_path):
    nb = released(stage3_notebook(tmp_path))
    setup, value, checks = nb.cells[1], nb.cells[2], nb.cells[3]
    assert setup.metadata.editable is False and setup.metadata.deletable is False
    assert checks.metadata.editable is False
    assert value.metadata.get("editable", True) is True and value.metadata.deletable is False


# --------------------------------------------------------------------------------------
# The .py mirror
# --------------------------------------------------------------------------------------

def test_does_the_python_file_hold_the_code_cells_without_demo_cells(tmp_path):
    path = stage3_notebook(tmp_path)
    stage = generate.read_stage(path)
    text = generate.python_mirror(stage, generate.release_notebook(stage))
    assert text.startswith("# Stage 3: More operators\n")
    assert "stage3_operators.ipynb" in text.split("\n\n")[0]
    assert "draw_dot" not in text and "HIDDEN" not in text and "BEGIN SOLUTION" not in text
    assert 'raise NotImplementedError("Stage 3 (More operators): Value.__pow__, not written yet")' in text
    assert text.index("import math") < text.index("class Value") < text.index("x = Value(2.0)")
    compile(text, "stage3_operators.py", "exec")


def test_does_the_python_file_run_the_given_code_and_stop_at_the_first_stub(tmp_path):
    source = tmp_path / "solutions"
    stage3_notebook(source)
    stage = generate.read_stage(source / "stage3_operators.ipynb")
    text = generate.python_mirror(stage, generate.release_notebook(stage))
    script = tmp_path / "stage3_operators.py"
    script.write_text(text)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().endswith(
        "NotImplementedError: Stage 3 (More operators): Value.backward, not written yet")


def test_are_magics_in_code_cells_commented_out_in_the_python_file(tmp_path):
    path = write_notebook(tmp_path, 1, [given("%matplotlib inline\nimport math", "stage1-setup")])
    stage = generate.read_stage(path)
    text = generate.python_mirror(stage, generate.release_notebook(stage))
    assert "\n# (notebook only) %matplotlib inline\nimport math\n" in text


# --------------------------------------------------------------------------------------
# The whole run: which files, byte for byte
# --------------------------------------------------------------------------------------

def run_generator(source, target, reference):
    assert generate.main([str(source), str(target), "--reference", str(reference)]) == 0


def test_are_only_the_notebooks_python_files_and_picture_written(tmp_path):
    source = tmp_path / "solutions"
    tiny_course(source)
    (source / "answers.csv").write_text("secret,1\n")
    (source / "helper.py").write_text("SECRET = 1\n")
    (source / "stage1_local_derivatives.ipynb.bak").write_text("{}")
    run_generator(source, tmp_path / "out", tmp_path / "reference.py")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "picture.py", "stage1_local_derivatives.ipynb", "stage1_local_derivatives.py",
        "stage2_backward.ipynb", "stage2_backward.py"]
    assert (tmp_path / "out" / "picture.py").read_bytes() == (REPO / "solutions" / "picture.py").read_bytes()


def test_is_a_second_run_byte_identical_even_without_cell_ids(tmp_path):
    source = tmp_path / "solutions"
    for path in tiny_course(source):
        raw = json.loads(path.read_text())
        for cell in raw["cells"]:
            del cell["id"]
        path.write_text(json.dumps(raw))
    run_generator(source, tmp_path / "one", tmp_path / "one.py")
    run_generator(source, tmp_path / "two", tmp_path / "two.py")
    for one in sorted((tmp_path / "one").iterdir()):
        assert one.read_bytes() == (tmp_path / "two" / one.name).read_bytes(), one.name
    assert (tmp_path / "one.py").read_bytes() == (tmp_path / "two.py").read_bytes()


# --------------------------------------------------------------------------------------
# The reference code
# --------------------------------------------------------------------------------------

def test_does_the_reference_code_keep_the_used_imports_and_course_definitions_only(tmp_path):
    source = tmp_path / "solutions"
    tiny_course(source)
    run_generator(source, tmp_path / "out", tmp_path / "reference.py")
    text = (tmp_path / "reference.py").read_text()
    assert "Generated from solutions/ by `make assignments`; do not edit." in text
    assert "import random" in text                 # Neuron uses it
    assert "import json" not in text and "import math" not in text   # nothing uses them
    assert "helper_for_checks" not in text and "assert" not in text and "draw_dot" not in text
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text
    namespace = {}
    exec(compile(text, "reference.py", "exec"), namespace)
    assert namespace["Value"](1.0).times3().data == 3.0      # the stage 2 solution, complete
    assert namespace["train"](None, [], [], steps=2, lr=0.1) == [0.0, 1.0]


def test_does_the_reference_end_with_the_stage_map_of_the_solution_regions(tmp_path):
    source = tmp_path / "solutions"
    tiny_course(source, stages=(1, 2))
    run_generator(source, tmp_path / "out", tmp_path / "reference.py")
    namespace = {}
    exec(compile((tmp_path / "reference.py").read_text(), "reference.py", "exec"), namespace)
    # stage 1's region is in times2, stage 2's in times3; the rest is given
    assert namespace["STAGE_UNITS"] == {1: {"Value": ["times2"]}, 2: {"Value": ["times3"]}}
    assert namespace["GIVEN"] == {"Value": ["__init__"], "Neuron": ["__init__"]}


def test_does_a_method_belong_to_the_first_stage_with_a_region_in_it():
    if not any((REPO / "solutions").glob("stage*.ipynb")):
        pytest.skip("solutions/ holds no stage notebooks yet")
    units, _ = generate.stage_map(generate.read_course(REPO / "solutions"))
    # stage 3 has regions in __add__ and __mul__ too (plain numbers as operands)
    assert units[1] == {"Value": ["__add__", "__mul__", "tanh"]}
    assert "__add__" not in units[3]["Value"] and "relu" in units[3]["Value"]
    assert units[5] == {"train": []}


def test_does_the_stage_map_follow_the_regions_when_one_is_taken_out(tmp_path):
    """relu's region taken out of stage 3's notebook: relu is given in every stage."""
    if not any((REPO / "solutions").glob("stage*.ipynb")):
        pytest.skip("solutions/ holds no stage notebooks yet")
    source = tmp_path / "solutions"
    source.mkdir()
    for path in (REPO / "solutions").glob("stage*.ipynb"):
        text = path.read_text()
        if path.name.startswith("stage3_"):
            nb = nbformat.reads(text, 4)
            cell = next(c for c in nb.cells if "def relu(self):" in c.source)
            before, relu = cell.source.split("def relu(self):")
            region = relu[relu.index("### BEGIN SOLUTION"):relu.index("### END SOLUTION") + 16]
            body = region.split("\n")[1:-1]
            relu = relu.replace(region, "\n".join(body).strip(), 1)
            cell.source = before + "def relu(self):" + relu
            text = nbformat.writes(nb)
        (source / path.name).write_text(text)
    units, given = generate.stage_map(generate.read_course(source))
    assert "relu" not in units[3]["Value"] and "exp" in units[3]["Value"]
    assert given["Value"] == ["__init__", "__repr__", "relu"]
    run_generator(source, tmp_path / "out", tmp_path / "reference.py")
    assert '"__pow__", "exp"]},' in (tmp_path / "reference.py").read_text()


def test_is_a_last_stage_missing_a_course_name_refused(tmp_path):
    path = write_notebook(tmp_path, 5, [given("class Value:\n    pass", "stage5-value")])
    with pytest.raises(CourseError, match="does not define Neuron, Layer, MLP, train"):
        generate.reference_code(generate.read_stage(path))


# --------------------------------------------------------------------------------------
# The course code agrees across stages
# --------------------------------------------------------------------------------------

def test_does_a_consistent_course_pass_the_agreement_check(tmp_path):
    paths = tiny_course(tmp_path, stages=(1, 2, 3))
    generate.check_consistency([generate.read_stage(p) for p in paths])


def test_is_a_later_stage_changing_earlier_code_refused_with_a_diff(tmp_path):
    paths = tiny_course(tmp_path)
    nb = nbformat.read(paths[1], 4)
    nb.cells[2].source = nb.cells[2].source.replace("self.data * 2", "2 * self.data")
    nbformat.write(nb, paths[1])
    with pytest.raises(CourseError) as caught:
        generate.check_consistency([generate.read_stage(p) for p in paths])
    message = str(caught.value)
    assert "stage2_backward.ipynb changes Value.times2 from stage1_local_derivatives.ipynb" in message
    assert "-    return Value(self.data * 2)" in message
    assert "+    return Value(2 * self.data)" in message


def test_is_a_later_stage_dropping_a_method_refused(tmp_path):
    paths = tiny_course(tmp_path)
    nb = nbformat.read(paths[1], 4)
    nb.cells[2].source = tiny_value(2, 2).replace("def times2", "def twice")
    nbformat.write(nb, paths[1])
    with pytest.raises(CourseError, match="does not define Value.times2"):
        generate.check_consistency([generate.read_stage(p) for p in paths])


ADD = '''\
class Value:
    def __init__(self, data):
        self.data = data

    def __add__(self, other):
{coercion}        out = Value(self.data + other.data)
        return out'''
COERCION = ("        if not isinstance(other, Value):\n            ### BEGIN SOLUTION\n"
            "            other = Value(other)\n            ### END SOLUTION\n")


@pytest.mark.parametrize("stage, accepted", [(3, True), (4, False)])
def test_may_only_stage_3_add_the_number_coercion_to_add(tmp_path, stage, accepted):
    before = write_notebook(tmp_path, stage - 1, [given(ADD.format(coercion=""), f"stage{stage - 1}-v")])
    after = write_notebook(tmp_path, stage, [solution(ADD.format(coercion=COERCION), f"stage{stage}-v")])
    stages = [generate.read_stage(before), generate.read_stage(after)]
    if accepted:
        generate.check_consistency(stages)
    else:
        with pytest.raises(CourseError, match="changes Value.__add__"):
            generate.check_consistency(stages)


def test_is_another_change_to_add_in_stage_3_refused(tmp_path):
    before = write_notebook(tmp_path, 2, [given(ADD.format(coercion=""), "stage2-v")])
    changed = ADD.format(coercion=COERCION).replace("return out", "return out  # changed")
    after = write_notebook(tmp_path, 3, [solution(changed, "stage3-v")])
    with pytest.raises(CourseError, match="changes Value.__add__"):
        generate.check_consistency([generate.read_stage(before), generate.read_stage(after)])
