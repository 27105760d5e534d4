"""Numbers that a message puts side by side are shown alike: "3.20215 ... expected 3.2021"
looks like two different numbers when they are the same one."""

import re
from pathlib import Path

import pytest

from autograder.checks import TABLE
from autograder.grade import grade

CLASS = Path(__file__).resolve().parent.parent / "examples" / "class"
NUMBER = re.compile(r"-?\d+\.\d+")


@pytest.fixture(scope="module")
def lecture_run_messages():
    """Check 5.3's message for two students whose training run goes wrong."""
    messages = {}
    for name in ("bjarne_stage5.ipynb", "dennis_stage5.ipynb"):
        result = grade(CLASS / name, seed=1)
        messages[name] = next(c for c in result.checks if c.id == "5.3").message
    return messages


def test_does_the_lecture_run_show_the_students_and_the_expected_losses_alike(lecture_run_messages):
    description = next(c.description for c in TABLE if c.id == "5.3")
    lecture = NUMBER.findall(description.rsplit("(", 1)[1])   # "... every loss matches (…)."
    assert lecture == ["6.0054", "3.2021", "0.0178"]
    for message in lecture_run_messages.values():
        got, expected = re.search(r"gives losses (.*?); expected (.*?)\. ", message).groups()
        assert NUMBER.findall(expected) == lecture      # as the description shows them
        assert [len(n.split(".")[1]) for n in NUMBER.findall(got)] == [4, 4, 4], message


def test_does_a_wrong_run_show_where_it_leaves_the_lecture(lecture_run_messages):
    got = re.search(r"gives losses (.*?);", lecture_run_messages["bjarne_stage5.ipynb"]).group(1)
    assert got == "6.0054, 8.4509, ..., 15.9473"   # stepping up the gradient: the loss grows
