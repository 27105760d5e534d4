"""What `make setup` and `make demo` print.

`make setup` runs here in a scratch copy of the Makefile with stand-ins for Python, apt-get
and id that make the noise real installers make (pip's warnings, apt's debconf notes): one
line per step, and an installer's output only when its step fails.
"""

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STEPS = ["Creating .venv/ with Python 3.11.9...",
         "Installing the pinned packages into .venv/ (a few minutes the first time)...",
         "Registering the notebooks' Python kernel..."]
PIP_NOISE = "WARNING: Location 'file:///nowhere/simple/' is ignored: it is neither a file nor a directory."
APT_NOISE = "debconf: delaying package configuration, since apt-utils is not installed"

FAKE_PYTHON = f"""#!/bin/sh
case "$*" in
  --version) echo "Python 3.11.9"; exit 0 ;;
  "-m venv "*) mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit ;;
esac
echo "{PIP_NOISE}" >&2
echo "Requirement already satisfied: ..."
if [ "$2" = pip ] && [ -n "$FAIL_PIP" ]; then
  echo "ERROR: No matching distribution found for graphviz==0.21" >&2; exit 1
fi
"""
FAKE_APT = f"""#!/bin/sh
echo "$*" >> "$APT_LOG"
echo "{APT_NOISE}" >&2
if [ "$1" = install ] && [ -n "$FAIL_APT" ]; then
  echo "E: Unable to locate package $4" >&2; exit 100
fi
"""


def executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def scratch(tmp_path):
    """A folder with the Makefile and its setup script, and a PATH of only the basic tools."""
    folder = tmp_path / "course"
    (folder / "course").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "course/setup_step.sh"):
        shutil.copy(REPO / name, folder / name)
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("sh", "make", "mktemp", "cat", "rm", "touch", "mkdir", "cp"):
        (tools / tool).symlink_to(shutil.which(tool))
    executable(tools / "id", '#!/bin/sh\necho "$FAKE_UID"\n')
    executable(tmp_path / "python", FAKE_PYTHON)
    return folder, tools


def setup(scratch, programs=("dot", "chromium", "bwrap"), uid=0, failing=()):
    """Run `make setup` with the programs named installed, the others missing, and pip or
    apt-get failing if named in failing."""
    folder, tools = scratch
    for name in programs:
        executable(tools / name, "#!/bin/sh\n")
    executable(tools / "apt-get", FAKE_APT)
    env = {"PATH": str(tools), "FAKE_UID": str(uid), "APT_LOG": str(folder / "apt.log"),
           **{f"FAIL_{name.upper()}": "1" for name in failing}}
    run = subprocess.run(["make", "-s", "setup", f"PYTHON={folder.parent / 'python'}"],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    apt_calls = (folder / "apt.log").read_text().splitlines() if (folder / "apt.log").exists() else []
    return run, run.stdout + run.stderr, apt_calls


def test_does_setup_print_one_line_per_step_and_no_installer_noise(scratch):
    run, said, _ = setup(scratch)
    assert run.returncode == 0, said
    assert said.splitlines() == STEPS


def test_does_a_failing_step_show_its_installers_output(scratch):
    run, said, _ = setup(scratch, failing=["pip"])
    assert run.returncode != 0
    assert said.startswith("\n".join(STEPS[:2]) + "\n")
    assert PIP_NOISE in said and "No matching distribution found for graphviz==0.21" in said
    assert "this step failed: Installing the pinned packages" in said
    assert STEPS[2] not in said
    assert not (scratch[0] / ".venv" / ".installed").exists()    # the next run tries again


def test_does_root_install_the_missing_programs_in_one_line_each(scratch):
    run, said, apt_calls = setup(scratch, programs=("dot",), uid=0)
    assert run.returncode == 0, said
    assert said.splitlines() == STEPS + [
        "Installing Chromium (the browser that tests the class report)...",
        "Installing bubblewrap (the grader's strongest sandbox)..."]
    assert APT_NOISE not in said
    assert apt_calls == ["install -y -q chromium", "install -y -q bubblewrap"]


def test_does_a_failing_apt_get_show_its_output_after_refreshing_the_package_lists(scratch):
    run, said, apt_calls = setup(scratch, programs=("dot", "chromium"), uid=0, failing=["apt"])
    assert run.returncode != 0
    assert said.startswith("\n".join(STEPS) + "\nInstalling bubblewrap")
    assert APT_NOISE in said and "E: Unable to locate package bubblewrap" in said
    assert "this step failed: Installing bubblewrap" in said
    assert apt_calls == ["install -y -q bubblewrap", "update -q", "install -y -q bubblewrap"]


def test_does_a_user_get_the_command_to_install_a_missing_program(scratch):
    run, said, apt_calls = setup(scratch, programs=("chromium", "bwrap"), uid=1000)
    assert run.returncode == 0, said
    assert said.splitlines() == STEPS + [
        "Graphviz's 'dot' program (it draws the graph pictures) is not installed: the "
        "pictures print as text.",
        "Install it with:  sudo apt-get install graphviz   (macOS: brew install graphviz)"]
    assert apt_calls == []


# --------------------------------------------------------------------------------------
# make demo: it ends by saying which rows are the untouched notebooks and where the report is
# --------------------------------------------------------------------------------------

def untouched_in_the_class():
    """The example class's notebooks that are the assignment notebooks byte for byte."""
    return sorted(p.stem for p in (REPO / "assignments").glob("stage*.ipynb")
                  if (REPO / "examples" / "class" / p.name).exists()
                  and (REPO / "examples" / "class" / p.name).read_bytes() == p.read_bytes())


def test_does_make_demo_end_with_the_untouched_rows_and_the_report(tmp_path):
    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "MFLAGS"}
    run = subprocess.run(["make", "-s", "demo", f"DEMO_OUT={out}"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    untouched = untouched_in_the_class()
    assert len(untouched) == 5
    rows, report = run.stdout.rstrip().splitlines()[-2:]
    named = re.match(r"The rows (.*) are the assignment notebooks handed in untouched: ", rows)
    assert named and named.group(1).split(", ") == untouched
    for name in untouched:    # each is a row of the gradebook printed above, with no points
        assert re.search(rf"^{name}\s.*\s0/100$", run.stdout, re.M), name
    assert report == f"Open the class report in a browser: {out}/report.html"
    assert (out / "report.html").exists()
    plan = subprocess.run(["make", "-n", "demo"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60).stdout
    assert "-m autograder grade examples/class --out grades/demo\n" in plan   # by default
