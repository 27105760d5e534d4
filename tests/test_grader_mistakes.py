"""The bank of classic mistakes: each costs points in its own stage only, and is named.

Each submission is the reference solution with one small edit (course/mistakes.py). The
"one stage, one charge" rule: a stage's checks run the student's code of that stage on the
reference code of the others, so a mistake loses points where it lives and nowhere else.
"""

import pytest

import grader_bank as bank
from autograder import messages
from course import mistakes
from grader_run import SEED, Job, contract_problems, grade_all

MISTAKES = {m.id: m for m in bank.MISTAKES}


def _job(mistake):
    def build(folder):
        path = folder / f"{mistake.id}.py"
        path.write_text(mistake.text(bank.reference_text()))
        return path
    return Job(mistake.id, build, seed=mistake.seed if mistake.seed is not None else SEED)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_all("mistakes", [_job(m) for m in bank.MISTAKES], tmp_path_factory, batch=True)


def params(marker_field=None):
    out = []
    for m in bank.MISTAKES:
        reason = getattr(m, marker_field) if marker_field else ""
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(m.id, marks=marks, id=m.id))
    return out


def test_is_the_bank_large_and_spread_over_every_stage():
    assert len(MISTAKES) == len(bank.MISTAKES) >= 25, "mistake ids must be unique"
    for stage in bank.STAGES:
        assert sum(m.stage == stage for m in bank.MISTAKES) >= 4, f"stage {stage}"


def test_is_every_id_of_the_catalogue_its_own():
    entries = mistakes.MISTAKES + mistakes.HANGS + mistakes.VARIANTS + mistakes.SCRATCH
    assert len(mistakes.CATALOGUE) == len(entries)
    named = {h for m in mistakes.MISTAKES + mistakes.HANGS for h in (m.hint, *m.also) if h}
    assert {h for h in named if not hasattr(messages, h)} == set()


def test_does_every_named_hint_exist_in_messages():
    for m in bank.MISTAKES:
        for hint in m.allowed_hints:
            assert hint in bank.HINTS.values(), m.id


@pytest.mark.parametrize("mistake_id", params())
def test_does_each_edit_change_the_code_exactly_once(mistake_id):
    mistake = MISTAKES[mistake_id]
    reference = bank.reference_text()
    text = mistake.text(reference)   # raises unless every find occurs exactly once in the code
    assert text != reference
    compile(text, f"{mistake_id}.py", "exec")


@pytest.mark.parametrize("mistake_id", params())
def test_does_the_mistake_cost_points_in_its_own_stage(graded, mistake_id):
    g = graded[mistake_id]
    assert not g.error and g.returncode == 0, g.error or g.stderr
    stage = MISTAKES[mistake_id].stage
    assert g.stage_score(stage) < g.stage_max(stage)


@pytest.mark.parametrize("mistake_id", params())
def test_does_every_other_stage_keep_full_points(graded, mistake_id):
    g = graded[mistake_id]
    assert not g.error and g.returncode == 0, g.error or g.stderr
    stage = MISTAKES[mistake_id].stage
    lost = {s: [t["number"] for t in g.failed(s)] for s in bank.STAGES if s != stage}
    assert lost == {s: [] for s in lost}, f"checks failed outside stage {stage}: {lost}"
    for s in lost:
        assert g.stage_score(s) == g.stage_max(s) == bank.stage_max(s)


@pytest.mark.parametrize("mistake_id", [m.id for m in bank.MISTAKES if m.fails is not None])
def test_does_a_mistake_fail_exactly_the_checks_the_catalogue_names(graded, mistake_id):
    failed = sorted(t["number"] for t in graded[mistake_id].failed())
    assert failed == sorted(MISTAKES[mistake_id].fails)


@pytest.mark.parametrize("mistake_id", params("hint_xfail"))
def test_does_a_failed_check_name_the_misconception(graded, mistake_id):
    mistake, g = MISTAKES[mistake_id], graded[mistake_id]
    if mistake.hint is None:
        pytest.skip("no hint in messages.py names this mistake")
    failed = [t for t in g.failed(mistake.stage) if not mistake.check or t["number"] == mistake.check]
    assert failed, f"check {mistake.check} did not fail"
    assert any(mistake.hint_text in t["output"] for t in failed), [t["output"] for t in failed]


@pytest.mark.parametrize("mistake_id", params("misleading_xfail"))
def test_is_no_hint_for_another_mistake_given(graded, mistake_id):
    mistake, g = MISTAKES[mistake_id], graded[mistake_id]
    given = {name for name, text in bank.HINTS.items()
             for t in g.failed() if text in t["output"]}
    allowed = {name for name, text in bank.HINTS.items() if text in mistake.allowed_hints}
    assert given <= allowed, f"hints given: {sorted(given)}; hints that fit: {sorted(allowed)}"


def hints_given(g, stage=None):
    return {name for name in messages.MISCONCEPTIONS
            for t in g.failed(stage) if getattr(messages, name) in t["output"]}


@pytest.mark.parametrize("hint", messages.MISCONCEPTIONS)
def test_is_every_hint_given_for_its_mistake_and_not_for_a_neighbour(graded, hint):
    """A hint comes from the mistake it names, and a mistake of the same stage that it does
    not name fails checks without it."""
    named = [m for m in bank.MISTAKES if m.hint == hint and not m.hint_xfail]
    assert named, f"no mistake of the catalogue is named by {hint}"
    assert any(hint in hints_given(graded[m.id], m.stage) for m in named), \
        f"{hint} is not given for {[m.id for m in named]}"
    stage = named[0].stage
    neighbours = [m for m in bank.MISTAKES if m.stage == stage and hint not in (m.hint, *m.also)
                  and not m.misleading_xfail and graded[m.id].failed(stage)]
    assert neighbours, f"no other mistake of stage {stage} to hold {hint} to"
    assert all(hint not in hints_given(graded[m.id]) for m in neighbours), \
        [m.id for m in neighbours if hint in hints_given(graded[m.id])]


def test_does_each_hint_constant_name_a_misconception():
    """MISCONCEPTIONS lists hint constants of messages.py, each a plain sentence."""
    for name in messages.MISCONCEPTIONS:
        text = getattr(messages, name)
        assert isinstance(text, str) and "{" not in text and text[-1] in ".?", name
    assert len(set(messages.MISCONCEPTIONS)) == len(messages.MISCONCEPTIONS)


@pytest.mark.parametrize("mistake_id", params())
def test_does_the_score_add_up_and_say_what_failed(graded, mistake_id):
    g = graded[mistake_id]
    assert g.score == sum(t["score"] for t in g.tests())
    for t in g.failed():
        assert t["score"] == 0
        description, _, message = t["output"].partition("\n\n")
        assert description and message.strip(), t


def test_does_every_results_json_follow_the_contract(graded):
    for name, g in graded.items():
        assert g.returncode == 0, f"{name}: exit status {g.returncode}"
        assert contract_problems(g.results) == [], name
