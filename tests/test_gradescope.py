"""The Gradescope autograder zip, run as Gradescope runs it, under a temporary root.

Each run gets a fresh root laid out as Gradescope's (<root>/source from the zip,
<root>/submission, <root>/submission_metadata.json, <root>/results), runs setup.sh and then
<root>/run_autograder with AUTOGRADER_ROOT=<root>. setup.sh runs with
MICROGRAD_SKIP_INSTALL=1: apt-get, the venv and pip are skipped here and the repository's
.venv is used; the rest of it (the unprivileged user, the permissions, the sandbox probe)
runs as on Gradescope. Every results.json is checked against the JSON schema of
course/gradescope/results.schema.json.
"""

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder.checks import TABLE, stage_points
from course import gradescope

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "course" / "gradescope" / "results.schema.json").read_text())
VENV = Path(sys.executable).parent.parent
SKIPPED = (f"setup.sh here: apt-get, venv creation and pip install skipped "
           f"(MICROGRAD_SKIP_INSTALL=1), using {VENV}")
REFERENCE_HEADER = "The course's reference code"


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zips")
    every, _ = gradescope.build(folder / "gradescope-autograder.zip")
    zips = {"every": every}
    for stage in (1, 2, 3):
        zips[f"stage{stage}"], _ = gradescope.build(
            folder / f"gradescope-autograder-stage{stage}.zip", stages=[stage])
    return zips


def environment(root, venv=VENV, **extra):
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), MICROGRAD_VENV=str(venv),
               MICROGRAD_SKIP_INSTALL="1")
    env.update(extra)
    return env


def gradescope_run(root, zip_path, files, venv=VENV, **env):
    """Lay out a fresh Gradescope root, run setup.sh and run_autograder (both with this venv;
    env: more variables for run_autograder); the results and run_autograder's stdout."""
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):   # zipfile does not restore modes
        (root / "source" / name).chmod(0o755)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source",
                           env=environment(root, venv),
                           capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "MICROGRAD_SKIP_INSTALL=1" in setup.stdout
    print(SKIPPED.replace(str(VENV), str(venv)))
    (root / "run_autograder").write_bytes((root / "source" / "run_autograder").read_bytes())
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    (root / "submission_metadata.json").write_text(json.dumps(
        {"id": 1, "created_at": "2024-01-01T00:00:00", "assignment": {"title": "micrograd"},
         "users": [{"email": "student@example.edu", "name": "A Student"}]}))
    run = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True,
                         text=True, env=environment(root, venv, **env), timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert results["stdout_visibility"] == "hidden"
    return results, run.stdout


def notebook(path, edit=None):
    """A solution or assignment notebook as a student hands it in; edit changes solution lines."""
    nb = json.loads(Path(path).read_text())
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        lines, inside = [], False
        for line in text.split("\n"):
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN" in line
                continue
            lines.append(edit(line) if inside and edit else line)
        cell["source"] = "\n".join(lines)
    return nb


def first_cell(nb, source):
    """The notebook with a cell of the student's first (its error is the first one reported)."""
    nb["cells"].insert(0, {"cell_type": "code", "id": "extra", "metadata": {}, "outputs": [],
                           "execution_count": None, "source": source})
    return json.dumps(nb).encode()


def stage_tests(results):
    return sorted({t["tags"][0] for t in results["tests"]})


# -- the zip ------------------------------------------------------------------------------------

def test_the_zip_holds_gradescopes_two_scripts_and_the_grader_only(zips):
    with zipfile.ZipFile(zips["every"]) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        pins = archive.read("requirements.txt").decode()
    grader = {f"autograder/{p.relative_to(REPO / 'autograder').as_posix()}"
              for p in (REPO / "autograder").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert names == grader | {"setup.sh", "run_autograder", "grade_submission.py",
                              "requirements.txt", "config.json"}
    assert {"autograder/reference.py", "autograder/checks.py", "autograder/suite/test_stage1.py"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    project = (REPO / "pyproject.toml").read_text()
    for line in pins.splitlines()[1:]:
        assert f'"{line}"' in project      # the same pins as the course's own


def test_two_builds_of_the_same_tree_are_identical(tmp_path):
    first, _ = gradescope.build(tmp_path / "a.zip")
    second, _ = gradescope.build(tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()


# -- run_autograder -----------------------------------------------------------------------------

def test_the_reference_solution_gets_every_point(zips, tmp_path):
    code = (REPO / "autograder" / "reference.py").read_bytes()
    results, out = gradescope_run(tmp_path, zips["every"], {"micrograd.py": code})
    assert results["score"] == sum(c.points for c in TABLE) == 100
    assert all(t["status"] == "passed" for t in results["tests"])
    assert [t["visibility"] for t in results["tests"]] == [c.visibility for c in TABLE]
    assert results["extra_data"]["sandbox"] in ("bubblewrap", "separate-user")
    assert f"the grader in {tmp_path / 'source' / 'autograder'}" in out   # the zip's grader


def test_a_solution_notebook_is_graded_on_its_assignments_stage(zips, tmp_path):
    nb = notebook(REPO / "solutions" / "stage3_operators.ipynb")
    results, _ = gradescope_run(tmp_path, zips["stage3"], {"stage3_operators.ipynb":
                                                           json.dumps(nb).encode()})
    assert stage_tests(results) == ["stage3"] and results["score"] == stage_points(3)


def test_is_the_stage_the_instructors_whatever_the_submission_says_of_itself(zips, tmp_path):
    """A .py that says it is stage 1's, or a stage 1 notebook, handed in for stage 3: graded
    on stage 3; in the zip for every stage, on all five."""
    code = "# micrograd_course: stage 1\n" + (REPO / "autograder" / "reference.py").read_text()
    nb = notebook(REPO / "solutions" / "stage1_local_derivatives.ipynb")
    results, _ = gradescope_run(tmp_path / "py3", zips["stage3"], {"mine.py": code.encode()})
    assert stage_tests(results) == ["stage3"]
    results, _ = gradescope_run(tmp_path / "nb3", zips["stage3"],
                                {"stage1_local_derivatives.ipynb": json.dumps(nb).encode()})
    assert stage_tests(results) == ["stage3"] and results["score"] == 0
    results, _ = gradescope_run(tmp_path / "py_all", zips["every"], {"mine.py": code.encode()})
    assert stage_tests(results) == ["stage1", "stage2", "stage3", "stage4", "stage5"]
    assert results["score"] == 100


def test_an_untouched_stub_gets_zero(zips, tmp_path):
    stub = (REPO / "assignments" / "stage1_local_derivatives.ipynb").read_bytes()
    results, _ = gradescope_run(tmp_path, zips["stage1"], {"stage1_local_derivatives.ipynb": stub})
    assert stage_tests(results) == ["stage1"] and results["score"] == 0
    assert all("NotImplementedError" in t["output"] or "Not implemented" in t["output"]
               for t in results["tests"])


def test_a_classic_mistake_gets_part_of_its_stage(zips, tmp_path):
    nb = notebook(REPO / "solutions" / "stage1_local_derivatives.ipynb",
                  lambda line: line.replace("+=", "="))
    results, _ = gradescope_run(tmp_path, zips["stage1"], {"stage1_local_derivatives.ipynb":
                                                           json.dumps(nb).encode()})
    assert stage_tests(results) == ["stage1"]
    assert 0 < results["score"] < stage_points(1)
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert any("+=" in t["output"] for t in failed)


def hostile_run(zip_path, root, venv=VENV, **env):
    """A stage 1 stub with a first cell that tries to read the grader's reference code, to write
    results.json (also from a process that outlives the grader), to change the grader, and
    prints a forged results.json; returns its results."""
    forged = json.dumps({"score": 1000, "tests": []})
    hostile = f'''
import os, time
ROOT = {str(root)!r}
try:
    stolen = open(ROOT + "/source/autograder/reference.py").read()
except Exception as exc:
    stolen = "nothing (" + type(exc).__name__ + ")"
def forge():
    try:
        with open(ROOT + "/results/results.json", "w") as f:
            f.write({forged!r})
        return "wrote it"
    except Exception as exc:
        return "could not (" + type(exc).__name__ + ")"
wrote = forge()
try:
    with open(ROOT + "/source/autograder/checks.py", "a") as f:
        f.write("TABLE = []")
except Exception:
    pass
try:
    if os.fork() == 0:          # a process that outlives the grader and forges again
        os.setsid()
        for _ in range(30):
            forge()
            time.sleep(0.1)
        os._exit(0)
except OSError:
    pass
print({forged!r})
raise RuntimeError("STOLEN " + stolen[:200] + " RESULTS " + wrote)
'''
    stub = json.loads((REPO / "assignments" / "stage1_local_derivatives.ipynb").read_text())
    data = first_cell(stub, hostile)
    results, _ = gradescope_run(root, zip_path, {"stage1_local_derivatives.ipynb": data}, venv,
                                **env)
    time.sleep(1.0)                   # room for a surviving process to forge the results
    assert json.loads((root / "results" / "results.json").read_text()) == results
    with zipfile.ZipFile(zip_path) as archive:          # the grader's files are untouched
        assert all((root / "source" / name).read_bytes() == archive.read(name)
                   for name in archive.namelist())
    text = json.dumps(results)
    assert "STOLEN nothing (" in results["output"]            # it tried, and read nothing
    assert "RESULTS could not (" in results["output"]         # it tried, and wrote nothing
    assert REFERENCE_HEADER not in text and "def backward" not in text
    assert results["score"] == 0 and stage_tests(results) == ["stage1"]
    assert len(results["tests"]) == sum(1 for c in TABLE if c.stage == 1)
    return results


def test_a_hostile_submission_cannot_read_the_grader_or_change_its_score(zips, tmp_path):
    results = hostile_run(zips["stage1"], tmp_path)
    assert results["extra_data"]["sandbox"] in ("bubblewrap", "separate-user")


@pytest.fixture(scope="module")
def system_venv(tmp_path_factory):
    """A venv on the system's own Python (as on Gradescope: /usr/bin/python3.x, which uid 65534
    can run), seeing this venv's packages through a .pth file: the separate-user sandbox works
    with it even where this venv's Python lives in a folder only root may enter."""
    if os.geteuid() != 0:
        pytest.skip("the separate-user sandbox needs root")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = Path("/usr/bin") / version
    if not system.exists():
        pytest.skip(f"no {system} to build a system venv on")
    venv = tmp_path_factory.mktemp("system-venv") / "venv"
    made = subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"{system} cannot make a venv: {made.stderr.strip()[-200:]}")
    site = venv / "lib" / version / "site-packages"
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "course-venv.pth").write_text("\n".join(ours) + "\n")
    return venv


def test_as_uid_65534_a_hostile_submission_meets_closed_folders(zips, tmp_path, system_venv):
    """Where bubblewrap cannot run (Gradescope's container, probably), the code runs as uid
    65534, and only the permissions that setup.sh and run_autograder set keep it out."""
    results = hostile_run(zips["stage1"], tmp_path, system_venv, MICROGRAD_SANDBOX="separate-user")
    assert results["extra_data"]["sandbox"] == "separate-user"
    assert "STOLEN nothing (PermissionError)" in results["output"]
    assert "RESULTS could not (PermissionError)" in results["output"]


def test_as_uid_65534_the_reference_solution_gets_every_point(zips, tmp_path, system_venv):
    code = (REPO / "autograder" / "reference.py").read_bytes()
    results, _ = gradescope_run(tmp_path, zips["every"], {"micrograd.py": code}, system_venv,
                                MICROGRAD_SANDBOX="separate-user")
    assert results["extra_data"]["sandbox"] == "separate-user" and results["score"] == 100




def test_an_empty_upload_gets_a_zero_and_the_reason(zips, tmp_path):
    results, _ = gradescope_run(tmp_path, zips["every"], {})
    assert results["score"] == 0 and "Nothing was uploaded" in results["output"]


def test_a_corrupt_notebook_gets_a_zero_and_the_reason(zips, tmp_path):
    results, _ = gradescope_run(tmp_path, zips["every"], {"stage1.ipynb": b'{"cells": [oops'})
    assert results["score"] == 0 and "JSON is broken" in results["output"]
    assert all(t["status"] == "failed" for t in results["tests"])


def test_a_grader_that_runs_out_of_time_still_leaves_results(zips, tmp_path):
    stub = (REPO / "assignments" / "stage2_backward.ipynb").read_bytes()
    results, out = gradescope_run(tmp_path, zips["stage2"], {"stage2_backward.ipynb": stub},
                                  MICROGRAD_GRADE_SECONDS="0.01")
    assert results["score"] == 0 and "was stopped" in results["output"]
    assert stage_tests(results) == ["stage2"]          # the zip's stages, each check at zero
    assert "took more than" in out


def test_a_grader_that_cannot_start_still_leaves_results(zips, tmp_path):
    results, out = gradescope_run(tmp_path, zips["every"], {"a.py": b"x = 1\n"},
                                  MICROGRAD_VENV=str(tmp_path / "no-such-venv"))
    assert results["score"] == 0 and "could not run" in results["output"]
    assert "no results.json" in out


def test_a_zip_for_one_stage_grades_a_py_on_that_stage_only(zips, tmp_path):
    code = (REPO / "autograder" / "reference.py").read_bytes()
    results, _ = gradescope_run(tmp_path, zips["stage2"], {"micrograd.py": code})
    assert stage_tests(results) == ["stage2"] and results["score"] == stage_points(2)


def test_only_root_can_enter_the_grader_and_the_results(zips, tmp_path):
    stub = (REPO / "assignments" / "stage1_local_derivatives.ipynb").read_bytes()
    gradescope_run(tmp_path, zips["every"], {"s.ipynb": stub})
    for folder in ("source", "results"):
        mode = (tmp_path / folder).stat().st_mode & 0o777
        assert mode == 0o700, (folder, oct(mode))
    assert (tmp_path / "submission_metadata.json").stat().st_mode & 0o077 == 0
