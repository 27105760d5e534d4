"""Correct code written differently gets every point.

CONTRACT.md section 1 lists what a fair grader does not care about: the tanh formula, a
recursive or iterative topological sort, grad as int or float, _prev as set, tuple or list,
_op strings, sum() or a loop, where train zeroes the grads as long as each step uses fresh
gradients, extra methods or helpers, print statements, exploratory code around the
definitions. Each variant here is the reference solution rewritten in one of those ways.
"""

import pytest

import grader_bank as bank
from grader_run import Job, contract_problems, grade_all


def _job(variant):
    def build(folder):
        path = folder / f"{variant.id}.py"
        path.write_text(variant.text(bank.reference_text()))
        return path
    return Job(variant.id, build)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_all("variants", [_job(v) for v in bank.VARIANTS.values()], tmp_path_factory,
                     batch=True)


def test_are_there_at_least_six_variants():
    assert len(bank.VARIANTS) >= 6


@pytest.mark.parametrize("name", list(bank.VARIANTS))
def test_does_each_variant_really_differ_from_the_reference_and_compile(name):
    reference = bank.reference_text()
    text = bank.VARIANTS[name].text(reference)
    assert text != reference
    compile(text, f"{name}.py", "exec")


@pytest.mark.parametrize("name", list(bank.VARIANTS))
def test_does_a_correct_but_different_submission_get_every_point(graded, name):
    g = graded[name]
    assert not g.error and g.returncode == 0, g.error or g.stderr
    failed = {t["number"]: t["output"] for t in g.failed()}
    assert failed == {}
    assert g.score == 100


@pytest.mark.parametrize("name", list(bank.VARIANTS))
def test_is_nothing_reported_against_a_correct_variant(graded, name):
    """No note about errors in the cells: the exploratory code and the prints all ran."""
    assert "raised" not in graded[name].results["output"]


def test_does_every_results_json_follow_the_contract(graded):
    for name, g in graded.items():
        assert g.returncode == 0, f"{name}: exit status {g.returncode}"
        assert contract_problems(g.results) == [], name
