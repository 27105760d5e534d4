"""The time budget of one submission (autograder/budget.py), with numbers: each check has its
limit, each stage an equal share of what the stages before it left, and nothing else."""

from autograder.budget import TimeBudget


def test_is_each_stage_given_an_equal_share_of_the_time_left_when_it_starts():
    budget = TimeBudget([1, 2, 3, 4], test_seconds=5, submission_seconds=8)
    assert budget.stage_seconds(1) == 2.0
    budget.charge(1, 0.5)
    # stage 1 left 1.5 s unused: it flows forward, split between stages 2, 3 and 4
    assert budget.stage_seconds(2) == 2.5
    budget.charge(2, 2.5)
    assert budget.stage_seconds(3) == 2.5
    assert budget.stage_seconds(2) == 2.5    # a share is fixed once the stage has started


def test_does_a_check_stop_at_its_own_limit_or_its_stage_share_whichever_comes_first():
    budget = TimeBudget([1, 2], test_seconds=1.0, submission_seconds=10)
    budget.begin_check()
    assert budget.left(1) == 1.0 and not budget.stage_bound(1)
    budget.charge(1, 0.75)
    assert budget.left(1) == 0.25
    for _ in range(5):                      # more checks: each starts with its own full second
        budget.begin_check()
        budget.charge(1, 0.75)
    budget.begin_check()
    assert budget.left(1) == 0.5 and budget.stage_bound(1)   # 5 - 6 * 0.75: the share runs out first
    budget.charge(1, 0.5)
    assert budget.left(1) <= 0
    assert budget.stage_seconds(2) == 5.0    # stage 1 used its share; stage 2 keeps its own


def test_does_a_stage_that_was_stopped_stay_stopped_and_leave_the_others_alone():
    budget = TimeBudget([1, 2, 3], test_seconds=1, submission_seconds=9)
    budget.stop(2)
    assert budget.stopped == {2}
    assert budget.left(3) == 1 and budget.left(1) == 1


def test_is_a_single_stage_given_the_whole_time():
    budget = TimeBudget([5], test_seconds=1, submission_seconds=10)
    assert budget.stage_seconds(5) == 10


def test_does_a_checks_cpu_limit_follow_what_the_reference_needs():
    from autograder.limits import Limits

    limits = Limits()
    assert limits.check_seconds(0.001) == 0.1             # the floor
    assert abs(limits.check_seconds(0.02) - 0.4) < 1e-9   # 20 times the reference
    assert limits.check_seconds(0.3) == 1.0               # at most --test-seconds
    assert limits.backstop(0.1) == 2.0                    # the wall-clock backstop: 10x + 1 s


def test_does_the_limits_table_in_docs_security_md_give_every_option_its_real_default():
    import re
    from dataclasses import fields
    from pathlib import Path

    from autograder.limits import Limits

    doc = (Path(__file__).resolve().parent.parent / "docs" / "security.md").read_text()
    rows = dict(re.findall(r"^\| `--([a-z-]+)` \| ([\d.  ]+) \|", doc, re.MULTILINE))
    for f in fields(Limits):
        option = f.name.replace("_", "-")
        assert option in rows, f"--{option} is missing from docs/security.md's table"
        assert float(rows[option].replace(" ", "").replace(" ", "")) == f.default, option
