"""The student release of each stage: exactly the student's files, nothing hidden, a self-check
that works on the untouched notebook and on the solution."""

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.checks import TABLE
from course import release

REPO = Path(__file__).resolve().parent.parent
STAGES = range(1, 6)


def solution_notebook(stage):
    return next((REPO / "solutions").glob(f"stage{stage}_*.ipynb"))


def regions(stage, begin, end):
    """The bodies of the stage's regions between the markers, each as its stripped lines."""
    found = []
    for cell in json.loads(solution_notebook(stage).read_text())["cells"]:
        body, inside = [], False
        for line in "".join(cell["source"]).split("\n"):
            if begin in line:
                inside, body = True, []
            elif end in line:
                inside = False
                lines = normalized("\n".join(body))
                if lines:
                    found.append(lines.split("\n"))
            elif inside:
                body.append(line)
    return found


def normalized(text):
    """Text as stripped lines, one per line, without blank and comment-only lines: neither
    indentation nor layout nor comments hide code."""
    return "\n".join(line.strip() for line in text.split("\n")
                     if line.strip() and not line.strip().startswith("#"))


def shows(text, lines):
    return "\n".join(lines) in text


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("releases")
    built = {}
    for stage in STAGES:
        out, _ = release.build(stage, folder / f"stage{stage}.zip")
        with zipfile.ZipFile(out) as archive:
            built[stage] = {name: archive.read(name) for name in archive.namelist()}
        archive_folder = folder / f"unzipped{stage}"
        with zipfile.ZipFile(out) as archive:
            archive.extractall(archive_folder)
        built[stage]["__folder__"] = archive_folder / f"micrograd-stage{stage}"
    return built


def files(built):
    return {name: data for name, data in built.items() if name != "__folder__"}


def texts(built, cell_types=("code", "markdown", "raw")):
    """Every file's text, normalized: a notebook's cells of these types, any other file whole."""
    found = {}
    for name, data in files(built).items():
        if name.endswith(".ipynb"):
            cells = json.loads(data)["cells"]
            found[name] = normalized("\n".join("".join(c["source"]) for c in cells
                                                 if c["cell_type"] in cell_types))
        else:
            found[name] = normalized(data.decode("utf-8"))
    return found


def code(built):
    """Every file's code: a notebook's code cells (its prose may name a one-line fix on purpose,
    as stage 3 does with `other = Value(other)`), any other file whole."""
    return texts(built, ("code",))


@pytest.mark.parametrize("stage", STAGES)
def test_the_release_holds_exactly_the_students_files(releases, stage):
    notebook = solution_notebook(stage).name
    folder = f"micrograd-stage{stage}"
    assert set(files(releases[stage])) == {
        f"{folder}/{notebook}", f"{folder}/{notebook[:-6]}.py", f"{folder}/picture.py",
        f"{folder}/check.py", f"{folder}/README.md"}
    assert files(releases[stage])[f"{folder}/{notebook}"] == \
        (REPO / "assignments" / notebook).read_bytes()


@pytest.mark.parametrize("stage", STAGES)
def test_no_solution_of_this_stage_or_a_later_one_is_released(releases, stage):
    shown = code(releases[stage])
    for later in range(stage, 6):
        bodies = regions(later, "BEGIN SOLUTION", "END SOLUTION")
        assert bodies
        for body in bodies:
            leaked = [name for name, text in shown.items() if shows(text, body)]
            assert not leaked, f"stage {later}'s solution {body[:2]} is in {leaked}"


@pytest.mark.parametrize("stage", STAGES)
def test_no_hidden_test_is_released(releases, stage):
    shown = texts(releases[stage])
    for any_stage in STAGES:
        for body in regions(any_stage, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert not any(shows(text, body) for text in shown.values()), body[:2]
    assert not any("HIDDEN TESTS" in data.decode() for data in files(releases[stage]).values())


@pytest.mark.parametrize("stage", STAGES)
def test_no_points_table_reference_values_or_grader_file_is_released(releases, stage):
    released = files(releases[stage])
    shown = texts(releases[stage])
    grader_files = {p.read_bytes() for p in (REPO / "autograder").rglob("*.py")}
    for name, data in released.items():
        assert "autograder" not in name and "reference" not in name.lower()
        assert data not in grader_files, name
    for text in shown.values():
        assert "REFERENCE_VALUES" not in text and "TABLE = [" not in text
        assert "from autograder" not in text and "import autograder" not in text
        # the table's lines: ids with names, and its descriptions (but a few words such as
        # 4.4's "Every neuron's parameters, neuron after neuron." are also a docstring)
        assert not any(f"{c.id} {c.name}" in text for c in TABLE)
        assert not any(normalized(c.description) in text for c in TABLE if len(c.description) > 60)
        assert not re.search(r'Check\("\d\.\d", \d', text)


@pytest.mark.parametrize("stage", STAGES)
def test_the_readme_says_what_to_do_and_when_this_stage_is_handed_out(releases, stage):
    text = files(releases[stage])[f"micrograd-stage{stage}/README.md"].decode()
    assert "python check.py" in text and "jupyter lab" in text
    assert f'NotImplementedError("Stage {stage} (' in text
    if stage > 1:
        assert f"after the deadline of stage {stage - 1}" in text


def run_check(folder, notebook=None):
    args = [sys.executable, "check.py"] + ([notebook] if notebook else [])
    return subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("stage", STAGES)
def test_check_reports_the_untouched_stubs_as_not_implemented(releases, stage):
    run = run_check(releases[stage]["__folder__"])
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"Public checks: 0 of [1-9]\d* pass", run.stdout), run.stdout
    assert "Not implemented yet" in run.stdout
    assert f"- Stage {stage} (" in run.stdout
    assert "PASS " not in run.stdout


@pytest.mark.parametrize("stage", STAGES)
def test_check_passes_every_public_check_of_the_solution(releases, stage, tmp_path):
    folder = tmp_path / "mine"
    shutil.copytree(releases[stage]["__folder__"], folder)
    name = solution_notebook(stage).name
    shutil.copyfile(solution_notebook(stage), folder / name)
    run = run_check(folder, name)
    assert run.returncode == 0, run.stdout + run.stderr
    count = int(re.search(r"Public checks: (\d+) of \1 pass", run.stdout).group(1))
    assert count > 0 and run.stdout.count("  PASS ") == count
    assert "Not implemented yet" not in run.stdout and "FAIL" not in run.stdout


@pytest.mark.parametrize("stage", STAGES)
def test_the_leak_checks_see_every_region_of_a_solution_notebook(stage):
    """The comparisons above are able to fail: on the solution notebook they find it all."""
    built = {f"x/{solution_notebook(stage).name}": solution_notebook(stage).read_bytes()}
    for begin, end, shown in (("BEGIN SOLUTION", "END SOLUTION", code(built)),
                              ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", texts(built))):
        bodies = regions(stage, begin, end)
        assert bodies and all(any(shows(t, b) for t in shown.values()) for b in bodies)


def test_does_each_stage_get_its_own_zip_without_overwriting_another(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(release, "DIST", tmp_path / "dist")
    for stage in (2, 3):
        assert release.main(["--stage", str(stage)]) == 0
    said = capsys.readouterr().out
    for stage, notebook in ((2, "stage2_backward.ipynb"), (3, "stage3_operators.ipynb")):
        zip_path = tmp_path / "dist" / f"student-release-stage{stage}.zip"
        assert f"wrote {zip_path}: stage {stage}" in said
        with zipfile.ZipFile(zip_path) as archive:
            assert f"micrograd-stage{stage}/{notebook}" in archive.namelist()
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [
        "student-release-stage2.zip", "student-release-stage3.zip"]


@pytest.mark.parametrize("stage, given", [(1, None), (2, "stage 1"), (3, "stages 1 and 2"),
                                          (4, "stages 1 to 3"), (5, "stages 1 to 4")])
def test_do_the_readme_and_the_command_name_the_earlier_stages_in_plain_words(
        releases, stage, given, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(release, "DIST", tmp_path)
    release.main(["--stage", str(stage)])
    said = capsys.readouterr().out
    readme = files(releases[stage])[f"micrograd-stage{stage}/README.md"].decode()
    for text in (readme, said):
        if given is None:
            assert "reference code of" not in text and "earlier stage" not in text
        else:
            assert re.search(rf"reference code of {given}\b", " ".join(text.split())), text


def test_does_no_guide_say_stages_1_to_1():
    """Not even as "stages 1 to N-1", which reads "stages 1 to 1" for stage 2."""
    guides = [REPO / "README.md", REPO / "course" / "release.py", *sorted((REPO / "docs").glob("*.md"))]
    for guide in guides:
        text = " ".join(guide.read_text(encoding="utf-8").split())
        assert not re.search(r"stages 1 to ([12]\b|N)", text), guide
