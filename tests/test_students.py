"""A class is a set of students, each with up to five stages (autograder/students.py, batch.py).

The first tests read folder layouts without grading anything (empty files are enough to tell
who handed in what). Then a class of six students, made of the demo class's notebooks, is
graded as nbgrader lays it out (pointing the command at the course folder) and as a flat
folder: one row per student, the same gradebook both ways. Last, a class of hostile names:
every student graded under an id of their own, class outputs where they belong, nothing
written outside OUTDIR, and a student whose folder cannot be written costs only their files.
"""

import csv
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import messages, students
from autograder.checks import STAGE_TITLES, TABLE, stage_points
from autograder.results import CheckResult, SubmissionResult

REPO = Path(__file__).resolve().parent.parent
CLASS = REPO / "examples" / "class"
ASSIGNMENTS = REPO / "assignments"


def _load_make_class():
    spec = importlib.util.spec_from_file_location("make_class", REPO / "examples" / "make_class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_class = _load_make_class()
EXAMPLES = {ex.id: ex for ex in make_class.EXAMPLES}
NOTEBOOKS = make_class.NOTEBOOKS


def touch(root, *paths):
    for p in paths:
        path = root / p
        if p.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
    return root


def layout(found):
    return [(s.key, s.student, s.stage) for s in found.submissions]


# -- ids ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, cleaned", [
    ("alice", "alice"),
    ("../escape", "_escape"),
    ("..", "unnamed"),
    (".hidden", "hidden"),
    ("a/b\\c", "a_b_c"),
    ("new\nline", "new line"),
    ("esc\x1b[2Jape", "escape"),
    ("title\x1b]0;owned\x07", "title"),
    ("bidi\u202eevil", "bidievil"),
    ("   ", "unnamed"),
    ("é" * 300, "é" * 100),
])
def test_is_an_id_one_clean_folder_name(name, cleaned):
    assert students.clean_id(name) == cleaned
    assert len(students.clean_id(name).encode()) <= students.ID_BYTES


# -- layouts --------------------------------------------------------------------------------------

def test_does_nbgrader_s_layout_give_each_assignment_its_student_and_stage(tmp_path):
    touch(tmp_path, "submitted/alice/stage1/stage1_local_derivatives.ipynb",
          "submitted/alice/stage1/timestamp.txt", "submitted/alice/stage2/stage2_backward.ipynb",
          "submitted/bob/ps3/stage3_operators.ipynb", "submitted/bob/extra/mine.ipynb")
    found = students.discover(tmp_path / "submitted")
    assert layout(found) == [("alice/stage1", "alice", 1), ("alice/stage2", "alice", 2),
                             ("bob/extra", "bob", None), ("bob/ps3", "bob", 3)]


def test_is_the_course_folder_read_as_its_submitted_folder(tmp_path):
    touch(tmp_path, "nbgrader_config.py", "source/stage1/stage1_local_derivatives.ipynb",
          "submitted/alice/stage1/stage1_local_derivatives.ipynb", "gradebook.db")
    found = students.discover(tmp_path)
    assert found.folder == tmp_path / "submitted"
    assert "nbgrader" in found.note
    assert layout(found) == [("alice/stage1", "alice", 1)]


def test_do_names_with_a_student_and_a_stage_make_one_student(tmp_path):
    touch(tmp_path, "alice_stage1.ipynb", "alice_stage2.zip", "alice-stage3/",
          "alice-stage3/stage3_operators.ipynb", "bob/stage1_local_derivatives.ipynb",
          "bob/stage2/stage2_backward.ipynb", "bob/picture.py", "guido.py", "ken/mine.ipynb",
          "stage4_neural_net.ipynb", "notes.txt", ".hidden.py", "__MACOSX/")
    found = students.discover(tmp_path)
    assert layout(found) == [
        ("alice-stage3", "alice", 3), ("alice_stage1.ipynb", "alice", 1),
        ("alice_stage2.zip", "alice", 2), ("bob/stage1_local_derivatives.ipynb", "bob", 1),
        ("bob/stage2", "bob", 2), ("guido.py", "guido", None), ("ken", "ken", None),
        ("stage4_neural_net.ipynb", "stage4_neural_net", 4)]
    assert [s.merges for s in found.submissions][-3:] == [False, False, False]


def test_is_a_folder_of_one_student_s_stage_files_one_student(tmp_path):
    folder = touch(tmp_path / "carol", "stage1_local_derivatives.ipynb", "stage2_backward.py",
                   "stage4/stage4_neural_net.ipynb", "picture.py")
    found = students.discover(folder)
    assert layout(found) == [("stage1_local_derivatives.ipynb", "carol", 1),
                             ("stage2_backward.py", "carol", 2), ("stage4", "carol", 4)]


def test_is_a_folder_of_stage_folders_each_holding_a_class_not_one_student(tmp_path):
    touch(tmp_path, "stage1/alice.ipynb", "stage1/bob.ipynb", "stage2/alice.ipynb")
    assert students.stage_files(tmp_path) == []


def test_does_stage_leave_out_what_the_layout_gives_another_stage(tmp_path):
    touch(tmp_path, "alice_stage1.ipynb", "alice_stage2.ipynb", "whole.py")
    assert layout(students.discover(tmp_path, stages=[2])) == [
        ("alice_stage2.ipynb", "alice", 2), ("whole.py", "whole", None)]


def test_is_the_output_folder_inside_the_class_folder_left_out(tmp_path):
    touch(tmp_path, "alice.py", "grades/gradebook.csv")
    assert layout(students.discover(tmp_path, out=tmp_path / "grades")) == [("alice.py", "alice", None)]


def test_does_the_content_hash_read_no_link_and_no_fifo(tmp_path):
    import os

    from autograder.batch import content_digest

    outside = tmp_path / "outside.py"
    outside.write_text("secret = 1\n")
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "mine.py").write_text("x = 1\n")
    (folder / "link.py").symlink_to(outside)
    os.mkfifo(folder / "pipe.py")        # reading it would block for ever
    before = content_digest(folder), content_digest(folder / "link.py")
    outside.write_text("secret = 2\n")
    assert (content_digest(folder), content_digest(folder / "link.py")) == before
    (folder / "mine.py").write_text("x = 2\n")
    assert content_digest(folder) != before[0]


def test_is_a_stage_outside_the_class_empty_and_one_not_handed_in_not_submitted(tmp_path):
    from autograder.batch import write_gradebook

    write_gradebook(tmp_path / "g.csv", [graded_on("ann", [1]), graded_on("bo", [2])], stages=[1, 2])
    with open(tmp_path / "g.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1:] == [["ann", "20", "not submitted", "", "", "", "20", "40"],
                        ["bo", "not submitted", "20", "", "", "", "20", "40"]]


# -- students from graded submissions ---------------------------------------------------------

def graded_on(sid, stages, score_share=1.0):
    result = SubmissionResult(id=sid, stages=list(stages), notes=[f"note of {sid}"])
    for c in TABLE:
        if c.stage in stages:
            result.checks.append(CheckResult(id=c.id, name=c.name, stage=c.stage, points=c.points,
                                             score=c.points * score_share, passed=score_share == 1,
                                             description=c.description))
    return result


def assembled(tmp_path, files, stages_of, roster=None):
    touch(tmp_path, *files)
    found = students.discover(tmp_path)
    results = {s.key: graded_on(s.key, stages_of(s)) for s in found.submissions}
    return students.assemble(found, results, roster)


def test_does_each_student_get_an_id_of_their_own(tmp_path):
    made = assembled(tmp_path, ["alice.py", "alice.zip", "Alice_stage1.ipynb", "bob_stage1.ipynb",
                                "bob_stage1.zip", "bob_stage2.py"],
                     lambda s: [s.stage] if s.stage else [1, 2, 3, 4, 5])
    ids = [st.id for st in made.students]
    assert ids == ["Alice", "alice (2)", "alice (3)", "bob", "bob (2)"]
    assert len({i.casefold() for i in ids}) == len(ids), "unique also where case does not count"
    files = {st.id: [s.key for s in st.submissions] for st in made.students}
    assert files["bob"] == ["bob_stage1.ipynb", "bob_stage2.py"], "one student, two stages"
    assert files["bob (2)"] == ["bob_stage1.zip"], "a second stage 1 is set apart"
    assert [(r.id, r.files, r.kept_by) for r in made.renamed] == [
        ("alice (2)", ["alice.py"], ["Alice_stage1.ipynb"]),
        ("alice (3)", ["alice.zip"], ["Alice_stage1.ipynb"]),
        ("bob (2)", ["bob_stage1.zip"], ["bob_stage1.ipynb", "bob_stage2.py"])]


def test_does_a_student_s_result_hold_every_stage_with_its_file(tmp_path):
    made = assembled(tmp_path, ["carol_stage4.ipynb", "carol_stage1.ipynb"], lambda s: [s.stage])
    (carol,) = made.students
    r = carol.result
    assert r.id == "carol" and r.stages == [1, 4]
    assert [c.id for c in r.checks] == [c.id for c in TABLE if c.stage in (1, 4)]
    assert r.sources == {1: "carol_stage1.ipynb", 4: "carol_stage4.ipynb"}
    assert r.stage_notes == {1: ["note of carol_stage1.ipynb"], 4: ["note of carol_stage4.ipynb"]}
    assert r.score == stage_points(1) + stage_points(4)


def test_does_the_roster_add_who_handed_in_nothing_in_its_order(tmp_path):
    made = assembled(tmp_path, ["bob_stage1.ipynb", "zed_stage1.ipynb", "alice_stage1.ipynb"],
                     lambda s: [s.stage], roster=["carol", "alice", "bob", "../escape"])
    assert [st.id for st in made.students] == ["carol", "alice", "bob", "_escape", "zed"]
    assert [st.handed_in for st in made.students] == [False, True, True, False, True]
    assert made.students[0].result.stages == []
    assert made.not_on_roster == ["zed"]


@pytest.mark.parametrize("text", [
    "alice\nbob\n\ncarol\nalice\n",
    "id,first_name,last_name,email\nalice,A,Doe,a@x\nbob,B,Roe,b@x\ncarol,C,Poe,\n",
    "student_id,last_name,assignment,raw_score\nalice,Doe,stage1,3\nalice,Doe,stage2,\n"
    "bob,Roe,stage1,0\ncarol,Poe,stage1,\n",
    "There are 3 students in the database:\nalice (Doe, Alice) -- a@x, None\n"
    "bob (None, None) -- None, None\ncarol (Poe, C) -- None, None\n",
], ids=["one_a_line", "nbgrader_import_csv", "nbgrader_export_csv", "nbgrader_db_student_list"])
def test_is_a_roster_read_in_each_form(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    assert students.read_roster(path) == ["alice", "bob", "carol"]


def test_is_an_unreadable_or_empty_roster_a_usage_error(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "empty.csv").write_text("id\n")
    for roster in ("missing.csv", "empty.csv"):
        run = cli("grade", tmp_path / "class", "--out", tmp_path / "out", "--roster", tmp_path / roster)
        assert run.returncode == 2 and "roster" in run.stderr, run.stderr
        assert not (tmp_path / "out").exists()
    run = cli("grade", tmp_path / "class", "--roster", tmp_path / "empty.csv")
    assert run.returncode == 2 and "--roster applies to a folder" in run.stderr


# -- a class of six students, graded -----------------------------------------------------------

# Each student's notebook for each stage: an example of the demo class (its score is known).
HANDED_IN = {
    "alice": {1: "ada_stage1", 2: "john_stage2", 3: "radia_stage3", 4: "ken_stage4", 5: "dennis_stage5"},
    "bob": {1: "alan_stage1", 2: "edsger_stage2", 3: "hedy_stage3", 4: "frances_stage4",
            5: "bjarne_stage5"},
    "carol": {1: "barbara_stage1", 2: "donald_stage2", 4: "linus_stage4"},     # three stages
    "dave": {s: name for s, name in NOTEBOOKS.items()},                          # untouched
    "erin": {1: "katherine_stage1", 2: "john_stage2", 3: "radia_stage3", 4: "linus_stage4",
             5: "bjarne_stage5"},
}
ROSTER = ["alice", "bob", "carol", "dave", "erin", "frank"]                     # frank: nothing


def notebook_of(example_id):
    ex = EXAMPLES[example_id]
    path = CLASS / ex.file
    return path / f"{NOTEBOOKS[ex.stage]}.ipynb" if path.is_dir() else path


def expected_cell(student, stage):
    example = HANDED_IN.get(student, {}).get(stage)
    return str(EXAMPLES[example].score(stage)) if example else "not submitted"


def cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def grade(folder, out, *extra):
    run = cli("grade", folder, "--out", out, "--jobs", "2", "--seed", "1", *extra)
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    return run.stdout


def read_gradebook(out):
    with open(out / "gradebook.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    """The class as nbgrader's course folder and as a flat folder, each graded once."""
    root = tmp_path_factory.mktemp("six")
    course, flat = root / "course", root / "flat"
    touch(course, "nbgrader_config.py", "source/")
    for student, stages in HANDED_IN.items():
        for stage, example in stages.items():
            name = f"{NOTEBOOKS[stage]}.ipynb"
            folder = course / "submitted" / student / f"stage{stage}"
            folder.mkdir(parents=True)
            shutil.copy(notebook_of(example), folder / name)
            if student == "carol":      # <student>/stageN..., with the course's picture helper
                (flat / "carol").mkdir(parents=True, exist_ok=True)
                shutil.copy(notebook_of(example), flat / "carol" / name)
                shutil.copy(ASSIGNMENTS / "picture.py", flat / "carol" / "picture.py")
            else:                       # <student>_stageN.ipynb
                flat.mkdir(exist_ok=True)
                shutil.copy(notebook_of(example), flat / f"{student}_stage{stage}.ipynb")
    (course / "roster.csv").write_text("id,first_name,last_name,email\n"
                                       + "".join(f"{s},,,\n" for s in ROSTER))
    (root / "roster.txt").write_text("\n".join(ROSTER) + "\n")
    stdout = {"course": grade(course, root / "out-course", "--roster", course / "roster.csv"),
              "flat": grade(flat, root / "out-flat", "--roster", root / "roster.txt")}
    return {"root": root, "course": course, "flat": flat, "stdout": stdout,
            "out": {"course": root / "out-course", "flat": root / "out-flat"}}


def test_is_the_course_folder_graded_through_its_submitted_folder(six):
    assert "nbgrader's course folder" in six["stdout"]["course"]
    assert re.search(r"Graded 23 submission", six["stdout"]["course"])


def test_does_the_gradebook_have_one_row_per_student_with_every_stage(six):
    rows = read_gradebook(six["out"]["course"])
    assert [row["id"] for row in rows] == ROSTER
    for row in rows:
        cells = [row[f"stage{s}"] for s in STAGE_TITLES]
        assert cells == [expected_cell(row["id"], s) for s in STAGE_TITLES], row["id"]
        assert float(row["total"]) == sum(EXAMPLES[e].score(s)
                                          for s, e in HANDED_IN.get(row["id"], {}).items())
        assert row["max"] == "100"


def test_does_a_flat_folder_give_the_same_gradebook(six):
    assert (six["out"]["flat"] / "gradebook.csv").read_bytes() == \
        (six["out"]["course"] / "gradebook.csv").read_bytes()


def test_does_the_report_count_students_and_who_misses_which_stage(six):
    page = (six["out"]["course"] / "report.html").read_text()
    cards = dict((label, value) for value, label in
                 re.findall(r'<span class="big">([^<]*)</span>([^<]*)</div>', page))
    assert cards["students"] == "6" and cards["handed in nothing"] == "1"
    assert cards["handed in every stage"] == "4"
    assert "<title>Class report: 6 students</title>" in page
    section = page[page.index('<section id="handed-in"'):page.index('<section id="scores"')]
    rows = re.findall(r'<tr><td class="num">(\d)</td><td>[^<]*</td><td class="num">(\d) of 6</td>'
                      r'<td class="ids">(.*?)</td></tr>', section)
    missing = {int(stage): (int(n), re.sub(r"<[^>]+>", "", who)) for stage, n, who in rows}
    assert missing == {1: (5, "frank"), 2: (5, "frank"), 3: (4, "carol, frank"),
                       4: (5, "frank"), 5: (4, "carol, frank")}
    assert 'href="carol/feedback.md"' in page and 'href="frank/' not in page
    # each stage's distribution counts the students who handed it in (the SVG keeps its text)
    scores = page[page.index('<section id="scores"'):page.index('<section id="checks"')]
    for stage, (n, _) in missing.items():
        assert re.search(rf"Stage {stage}: [^<]*</text>\s*<text[^>]*>mean [0-9.]+ of 20, {n} handed in<",
                         scores), stage


def test_does_a_student_s_feedback_hold_every_stage_they_handed_in(six):
    out = six["out"]["course"]
    text = (out / "carol" / "feedback.md").read_text()
    headings = re.findall(r"^## Stage (\d)", text, re.M)
    assert headings == ["1", "2", "4"]
    assert messages.NOT_HANDED_IN.format(stages="stages 3 and 5") in text
    total = sum(int(expected_cell("carol", stage)) for stage in (1, 2, 4))
    assert f"**Total: {total} / 100**" in text
    assert messages.GRADED_FROM.format(file="carol/stage4") in text
    results = json.loads((out / "carol" / "results.json").read_text())
    assert {t["tags"][0] for t in results["tests"]} == {"stage1", "stage2", "stage4"}
    assert results["score"] == total
    assert not (out / "frank").exists(), "nothing handed in, nothing written"
    outputs = {".grading-cache.json", "gradebook.csv", "grader.log", "report.html"}
    names = {p.name for p in out.iterdir()}
    assert outputs <= names and all((out / n / "feedback.md").is_file() for n in names - outputs)


def test_is_an_unchanged_class_not_graded_again_but_a_changed_stage_is(six, tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    shutil.copytree(six["course"], course)
    shutil.copytree(six["out"]["course"], out)
    assert re.search(r"Graded 0 submission.*23 unchanged", grade(course, out))
    # carol hands in stage 2 again, now correct: only that submission is graded again
    shutil.copy(notebook_of("john_stage2"),
                course / "submitted" / "carol" / "stage2" / "stage2_backward.ipynb")
    stdout = grade(course, out, "--roster", course / "roster.csv")
    assert re.search(r"Graded 1 submission", stdout)
    carol = next(row for row in read_gradebook(out) if row["id"] == "carol")
    assert carol["stage2"] == "20" and carol["stage1"] == expected_cell("carol", 1)


def test_is_one_student_s_folder_graded_in_one_command_as_one_report(six, tmp_path):
    folder = six["course"] / "submitted" / "carol"
    stdout = grade(folder, tmp_path / "out")
    assert "one student's stage files: carol" in stdout
    assert re.findall(r"^Stage (\d):", stdout, re.M) == ["1", "2", "4"]
    total = sum(int(expected_cell("carol", stage)) for stage in (1, 2, 4))
    assert f"Total: {total} / 60" in stdout
    assert [row["id"] for row in read_gradebook(tmp_path / "out")] == ["carol"]
    # and without --out: the same report, and results.json with --json
    run = cli("grade", folder, "--seed", "1", "--json", tmp_path / "carol.json")
    assert run.returncode == 0, run.stderr
    assert re.findall(r"^Stage (\d):", run.stdout, re.M) == ["1", "2", "4"]
    results = json.loads((tmp_path / "carol.json").read_text())
    assert results["score"] == total and len(results["tests"]) == len(
        [c for c in TABLE if c.stage in (1, 2, 4)])


# -- hostile names -------------------------------------------------------------------------------

HOSTILE_FILES = ["alice.py", "gradebook.csv.py", "report.html.py", "grader.log.py", "students.py",
                 '=HYPERLINK("x","y").py', "new\nline.py", "esc\x1b[2Jape.py",
                 "title\x1b]0;owned\x07.py", "back\\slash.py", "@SUM(A1).py"]
# a file named like a class output gets an id of its own: the class's names are taken
HOSTILE_IDS = ["alice", "gradebook.csv (2)", "report.html (2)", "grader.log (2)", "students",
               '=HYPERLINK("x","y")', "new line", "escape", "title", "back_slash", "@SUM(A1)"]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
            for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    folder, out = root / "class", root / "out"
    folder.mkdir()
    reference = (REPO / "autograder" / "reference.py").read_text()
    for name in HOSTILE_FILES:
        (folder / name).write_text(reference)
    with zipfile.ZipFile(folder / "alice.zip", "w") as z:     # the untouched stage 1 notebook
        z.write(ASSIGNMENTS / "stage1_local_derivatives.ipynb", "stage1_local_derivatives.ipynb")
    # yan hands in her stage 1 notebook as stage 2: the layout, not the notebook, says stage 2
    shutil.copy(notebook_of("ada_stage1"), folder / "yan_stage2.ipynb")
    shutil.copy(notebook_of("ada_stage1"), folder / "bob_stage1.ipynb")
    (root / "roster.txt").write_text("alice\nbob\nyan\n../escape\n..\n.hidden\n")
    # bob's folder cannot be made: a file is in its place (root ignores permission bits)
    out.mkdir(parents=True)
    (out / "bob").write_text("in the way")
    before = tree(root)
    stdout = grade(folder, out, "--roster", root / "roster.txt")
    return {"root": root, "folder": folder, "out": out, "stdout": stdout, "before": before}


def test_is_every_hostile_name_graded_under_an_id_of_its_own(hostile):
    rows = {row["id"]: row for row in read_gradebook(hostile["out"])}
    neutral = {"'" + i if i[0] in "=@" else i: i for i in HOSTILE_IDS}
    for cell, sid in neutral.items():
        assert rows[cell]["total"] == "100", sid
    assert rows["alice (2)"]["stage1"] == "0" and rows["alice (2)"]["total"] == "0"
    assert rows["yan"]["stage2"] != "not submitted" and rows["yan"]["stage1"] == "not submitted"
    assert rows["bob"]["stage1"] == "20"
    for sid in ("_escape", "unnamed", "hidden"):      # the roster's, cleaned: handed in nothing
        assert [rows[sid][f"stage{s}"] for s in STAGE_TITLES] == ["not submitted"] * 5
    assert len(rows) == len(HOSTILE_IDS) + 3 + 3


def test_are_the_class_outputs_written_and_nothing_outside_outdir(hostile):
    out, root = hostile["out"], hostile["root"]
    for name in ("gradebook.csv", "report.html", "grader.log", ".grading-cache.json"):
        assert (out / name).is_file(), name
    after = tree(root)
    outside = {k: v for k, v in after.items() if not k.startswith("out/") and k != "out"}
    assert outside == {k: v for k, v in hostile["before"].items()
                       if not k.startswith("out/") and k != "out"}
    ids = set(HOSTILE_IDS) | {"alice (2)", "yan", "bob"}
    for path in out.rglob("*"):
        parts = path.relative_to(out).parts
        assert parts[0] in ("gradebook.csv", "report.html", "grader.log", ".grading-cache.json",
                            *ids), parts
        assert len(parts) <= 2 and not any(CONTROL.search(p) for p in parts), parts
    for sid in HOSTILE_IDS + ["alice (2)", "yan"]:
        assert sorted(p.name for p in (out / sid).iterdir()) == [
            "feedback.md", "results.json"], sid
    yan = json.loads((out / "yan" / "results.json").read_text())
    assert {t["tags"][0] for t in yan["tests"]} == {"stage2"}


def test_are_collisions_and_unwritten_files_reported_and_the_run_goes_on(hostile):
    stdout, page = hostile["stdout"], (hostile["out"] / "report.html").read_text()
    assert "Set apart as alice (2): alice.zip" in stdout
    assert "The files of bob could not be written" in stdout
    assert (hostile["out"] / "bob").read_text() == "in the way"
    section = page[page.index('<section id="names"'):page.index('<section id="gradebook"')]
    assert "alice (2)" in section and "alice.zip" in section
    assert re.search(r"<td class=\"ids\">bob</td><td>files not written</td>", section)
    assert ("Set apart as gradebook.csv (2): gradebook.csv.py, as gradebook.csv is the name of "
            "one of the class's own files") in stdout
    assert ">students</a></td><td>not on the roster</td>" in section


def test_are_the_outputs_free_of_control_characters_and_formulas(hostile):
    out = hostile["out"]
    assert not CONTROL.search(hostile["stdout"].replace("\n", ""))
    assert not CONTROL.search((out / "report.html").read_text().replace("\n", ""))
    with open(out / "gradebook.csv", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows:
        for cell in row:
            assert not CONTROL.search(cell) and not cell.startswith(("=", "+", "-", "@")), row
