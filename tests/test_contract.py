"""The course contract is written once, in autograder/contract.py, and every part reads it.

The names of the student API, the stage titles, the notebook metadata key, the `demo` cell
tag and nbgrader's markers: the generator, the grader, the nbgrader course and the student
release take them from the contract module, and no other module writes them out. The stage
map (which method is whose work in which stage) is generated from the solution regions.
"""

import ast
import json
from pathlib import Path

import pytest

from autograder import contract, units
from course import generate, student_check

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
CONTRACT = REPO / "autograder" / "contract.py"
GENERATED = {REPO / "autograder" / "reference.py"}      # written by `make assignments`
SOURCES = sorted(path for folder in ("autograder", "course", "examples", "bench")
                 for path in (REPO / folder).rglob("*.py")
                 if path != CONTRACT and path not in GENERATED and "class" not in path.parts)
# The modules that must take the contract from autograder/contract.py.
READERS = ["course/generate.py", "course/nbgrader_course.py", "course/release.py",
           "autograder/loader.py", "autograder/nbgrader_bridge.py", "autograder/checks.py",
           "autograder/messages.py"]
# course/student_check.py runs alone on a student's machine (the release ships it as
# check.py): it writes the tag and the key out, and test_does_the_students_check_agree...
# below holds it to the contract.
STANDALONE = {("course/student_check.py", contract.DEMO_TAG),
              ("course/student_check.py", contract.METADATA_KEY)}
# Tables keyed by the names, not lists of them: what learners call each name instead
# (harness.ALIASES), the sentence for a Layer or an MLP that returns a list of one
# (messages.LIST_OF_ONE). test_are_the_tables_keyed_by_the_contracts_names holds them to it.
PER_NAME_TABLES = {("autograder/harness.py", "Value Neuron Layer MLP train"),
                   ("autograder/messages.py", "Layer MLP")}
NOT_YET_WIRED = set()


def _docstrings(tree):
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            found.add(id(body[0].value))
    return found


def _strings(nodes):
    return [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def restatements(text, where):
    """What a module's text writes out of the contract: (where, the fact) for each."""
    tree = ast.parse(text)
    docs = _docstrings(tree)
    found = set()
    exact = {contract.METADATA_KEY, contract.DEMO_TAG, *contract.STAGE_TITLES.values()}
    inside = (contract.METADATA_KEY, contract.BEGIN_SOLUTION, contract.END_SOLUTION,
              contract.BEGIN_HIDDEN_TESTS, contract.END_HIDDEN_TESTS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            found |= {(where, fact) for fact in exact if node.value == fact}
            found |= {(where, fact) for fact in inside if fact in node.value}
            if all(name in node.value for name in contract.NAMES):
                found.add((where, " ".join(contract.NAMES)))
        elements = []
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            elements = _strings(node.elts)
        elif isinstance(node, ast.Dict):
            elements = _strings(node.keys)
        named = [name for name in contract.NAMES if name in elements]
        if len(named) >= 2:
            found.add((where, " ".join(contract.NAMES) if len(named) == len(contract.NAMES)
                       else " ".join(named)))
    return found


def test_is_every_fact_of_the_contract_written_in_the_contract_module_only():
    found = set().union(*(restatements(path.read_text(), path.relative_to(REPO).as_posix())
                          for path in SOURCES))
    assert found - STANDALONE - PER_NAME_TABLES - NOT_YET_WIRED == set(), \
        "write these in autograder/contract.py and import them from there"
    assert NOT_YET_WIRED <= found, "a module now reads the contract: remove it from NOT_YET_WIRED"


def test_does_the_scan_find_a_restatement():
    """The scan above is not blind: it finds each kind of fact it looks for."""
    sample = ('KEY = "micrograd_course"\nTAG = "demo"\nTITLE = "More operators"\n'
              'END = "### END HIDDEN TESTS"\nNAMES = ["Neuron", "Layer", "MLP"]\n'
              'def f():\n    """demo"""\n')
    found = {fact for _, fact in restatements(sample, "sample.py")}
    assert found == {"micrograd_course", "demo", "More operators", "END HIDDEN TESTS",
                     "Neuron Layer MLP"}


@pytest.mark.parametrize("module", READERS)
def test_does_the_module_import_the_contract(module):
    tree = ast.parse((REPO / module).read_text())
    imports = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imports & {"autograder.contract", "contract"}, module


def test_do_the_generator_and_the_grader_use_the_contracts_values():
    from autograder import checks, loader, messages, nbgrader_bridge
    from course import nbgrader_course, release

    assert generate.COURSE_NAMES == contract.NAMES
    assert (generate.METADATA_KEY, generate.DEMO_TAG) == (contract.METADATA_KEY, contract.DEMO_TAG)
    assert (loader.METADATA_KEY, loader.DEMO_TAG) == (contract.METADATA_KEY, contract.DEMO_TAG)
    assert nbgrader_course.METADATA_KEY == release.METADATA_KEY == contract.METADATA_KEY
    assert checks.STAGE_TITLES is contract.STAGE_TITLES
    assert nbgrader_bridge.BEGIN_HIDDEN == "### " + contract.BEGIN_HIDDEN_TESTS
    assert ", ".join(contract.NAMES) in messages.MISSING_NAME


def test_does_the_students_check_agree_with_the_contract():
    assert student_check.DEMO_TAG == contract.DEMO_TAG
    assert student_check.METADATA_KEY == contract.METADATA_KEY


def test_are_the_contracts_markers_the_ones_nbgrader_looks_for():
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    solutions, hidden = ClearSolutions(), ClearHiddenTests()
    assert (solutions.begin_solution_delimeter, solutions.end_solution_delimeter) == \
        (contract.BEGIN_SOLUTION, contract.END_SOLUTION)
    assert (hidden.begin_test_delimeter, hidden.end_test_delimeter) == \
        (contract.BEGIN_HIDDEN_TESTS, contract.END_HIDDEN_TESTS)


def test_does_the_mirror_stage_line_name_a_stage_and_nothing_else():
    for stage in contract.STAGES:
        line = contract.MIRROR_STAGE_LINE.format(stage=stage)
        assert contract.MIRROR_STAGE_PATTERN.search(f"# Stage {stage}\n{line}\n").group(1) == str(stage)
    assert contract.MIRROR_STAGE_PATTERN.search(contract.MIRROR_STAGE_LINE.format(stage=6)) is None
    assert contract.MIRROR_STAGE_PATTERN.search(contract.MIRROR_STAGE_LINE.format(stage=12)) is None


# -- the stage map ----------------------------------------------------------------------------

def regions_by_stage():
    """{stage: [(name, method)]} read from the solution notebooks here, independently of the
    generator: for each '### BEGIN SOLUTION' line, the course class or function around it
    and the method of that class."""
    found = {}
    for path in sorted(SOLUTIONS.glob("stage*.ipynb")):
        nb = json.loads(path.read_text())
        owners = found.setdefault(nb["metadata"][contract.METADATA_KEY]["stage"], [])
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or contract.BEGIN_SOLUTION not in source:
                continue
            tree = ast.parse(source)
            for number, line in enumerate(source.split("\n"), start=1):
                if contract.BEGIN_SOLUTION not in line:
                    continue
                top = next(n for n in tree.body if n.lineno <= number <= n.end_lineno)
                method = next((m.name for m in getattr(top, "body", [])
                               if isinstance(m, ast.FunctionDef) and isinstance(top, ast.ClassDef)
                               and m.lineno <= number <= m.end_lineno), None)
                owners.append((top.name, method))
    return found


def test_is_the_graders_stage_map_what_the_solution_regions_say():
    if not any(SOLUTIONS.glob("stage*.ipynb")):
        pytest.skip("solutions/ holds no stage notebooks yet")
    first_stage = {}
    for stage, owners in sorted(regions_by_stage().items()):
        for owner in owners:
            first_stage.setdefault(owner, stage)
    graded = {(name, method or None): stage for stage, names in units.STAGE_UNITS.items()
              for name, methods in names.items() for method in (methods or [None])}
    assert graded == first_stage
    # every method of a course class is either some stage's work or given in every stage
    reference = ast.parse((REPO / "autograder" / "reference.py").read_text())
    for node in reference.body:
        if isinstance(node, ast.ClassDef):
            methods = {m.name for m in node.body if isinstance(m, ast.FunctionDef)}
            given = set(units.GIVEN.get(node.name, []))
            assert methods - given == {m for (n, m) in graded if n == node.name}, node.name


def test_does_a_stage_grade_the_names_its_regions_are_in():
    assert units.STAGE_NAMES == {1: ["Value"], 2: ["Value"], 3: ["Value"],
                                 4: ["Neuron", "Layer", "MLP"], 5: ["train"]}


def test_are_the_tables_keyed_by_the_contracts_names():
    from autograder import harness, messages

    assert set(contract.NAMES) <= set(harness.ALIASES)
    assert set(messages.LIST_OF_ONE) <= set(contract.CLASSES)
