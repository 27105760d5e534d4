"""`make lab` starts JupyterLab anywhere, and shows students no nbgrader instructor tool.

Each Lab is started for real, with `make`, in a headless environment (no DISPLAY, no
BROWSER) on a free port, questioned over its HTTP API with the token it prints, then
stopped with its whole process group.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from course import lab

REPO = Path(__file__).resolve().parent.parent
NOBODY = 65534
START_SECONDS = 120     # a loaded machine can take a while to import everything
NOTEBOOKS = sorted(p.name for p in (REPO / "assignments").glob("stage*.ipynb"))
NBGRADER_SERVER_PAGES = ("/formgrader", "/formgraders")   # formgrader, the course list


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def headless_environment(home):
    env = {k: v for k, v in os.environ.items()
           if k not in lab.DISPLAY_VARIABLES and not k.startswith(("JUPYTER", "JPY_", "MAKE"))
           and k != "MFLAGS"}
    env["HOME"] = str(home)     # Jupyter's own files (runtime, settings) go there
    return env


@pytest.fixture
def home():
    """A home folder of its own for the Lab (pytest's tmp_path is closed to other users)."""
    folder = Path(tempfile.mkdtemp(prefix="lab-home-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def running(target, home, tmp_path, user=None, variables=()):
    """A Lab started with `make TARGET` in a headless environment: (base URL, token, log)."""
    port = free_port()
    log_path = tmp_path / f"{target}.log"
    argv = ["make", "-s", "-C", str(REPO), target, *variables,
            f"LAB_OPTIONS=--ServerApp.port={port} --ServerApp.port_retries=0"]
    if user is not None:
        os.chown(home, user, user)
        argv = as_user(user, argv)
    with open(log_path, "w") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   env=headless_environment(home), start_new_session=True)
    try:
        url = re.compile(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)")
        deadline = time.monotonic() + START_SECONDS
        while not url.search(log_path.read_text()):
            assert process.poll() is None, f"the Lab stopped:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"no address after {START_SECONDS} s:\n" \
                                                f"{log_path.read_text()}"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", url.search(log_path.read_text()).group(1), log_path
    finally:
        stop(process)


def stop(process, seconds=30):
    """Stop the Lab and everything it started (make, Python, kernels): its process group,
    politely first."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + seconds
        try:
            os.killpg(process.pid, sig)
            while time.monotonic() < deadline:
                process.poll()                 # reap make, the group's leader
                os.killpg(process.pid, 0)      # raises once no process of the group is left
                time.sleep(0.1)
        except ProcessLookupError:
            return


def get(base, token, path):
    """(status, body) of a GET with the token."""
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""


def nbgrader_extensions(base, token):
    """{name: enabled} of nbgrader's Lab extensions, as the Lab's extension manager lists them."""
    status, body = get(base, token, "/lab/api/extensions")
    assert status == 200
    return {e["name"]: e["enabled"] for e in json.loads(body) if "nbgrader" in e["name"]}


def disabled_in_page(base, token):
    """The extensions the page tells the browser to leave off."""
    status, body = get(base, token, "/lab")
    assert status == 200
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                       body, re.S)
    return json.loads(config.group(1))["disabledExtensions"]


def as_user(user, argv):
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--", *argv]


def can_run_the_venv(user):
    """Whether that user may run the venv's Python (not when it links into a private home,
    as a venv made by root from a Python under /root does)."""
    run = subprocess.run(as_user(user, ["sh", "-c", ".venv/bin/python -c 'import jupyterlab'"]),
                         cwd=REPO, capture_output=True, timeout=60)
    return run.returncode == 0


def users():
    """Who starts the Lab: root (where make setup installs packages), and an ordinary user."""
    if os.geteuid() != 0:
        return [pytest.param("root", id="root", marks=pytest.mark.skip(reason="needs root")),
                pytest.param(None, id="user")]
    return [pytest.param(None, id="root"), pytest.param(NOBODY, id="user")]


@pytest.mark.parametrize("user", users())
def test_does_make_lab_serve_the_notebooks_headless_without_nbgrader_instructor_tools(
        user, home, tmp_path):
    if user is not None and not can_run_the_venv(user):
        pytest.skip("an ordinary user cannot run this .venv's Python on this machine")
    with running("lab", home, tmp_path, user) as (base, token, log):
        status, body = get(base, token, "/api/contents")
        assert status == 200
        names = {item["name"] for item in json.loads(body)["content"]}
        assert set(NOTEBOOKS) <= names and "picture.py" in names and len(NOTEBOOKS) == 5
        assert get(base, "wrong", "/api/contents")[0] == 403    # the token is needed

        extensions = nbgrader_extensions(base, token)
        assert extensions and not any(extensions.values()), extensions
        assert "@jupyter/nbgrader" in disabled_in_page(base, token)
        for page in NBGRADER_SERVER_PAGES:
            assert get(base, token, page)[0] == 404, page
        said = log.read_text()
    assert "open the address it prints (with its token)" in said


def test_does_the_instructors_lab_keep_nbgraders_tools(home, tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    with running("nbgrader-lab", home, tmp_path, variables=[f"NBGRADER_COURSE={course}"]) \
            as (base, token, _):
        extensions = nbgrader_extensions(base, token)
        assert extensions and all(extensions.values()), extensions
        assert "@jupyter/nbgrader" not in disabled_in_page(base, token)
        for page in NBGRADER_SERVER_PAGES:
            assert get(base, token, page)[0] == 200, page


# --------------------------------------------------------------------------------------
# The command, without starting it: --allow-root only as root, --no-browser only headless
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("root, display", [(True, False), (False, True), (True, True), (False, False)])
def test_are_allow_root_and_no_browser_given_only_when_needed(root, display, tmp_path):
    argv, env = lab.command("student", tmp_path, environ={}, root=root, display=display)
    assert ("--allow-root" in argv) == root
    assert ("--no-browser" in argv) == (not display)
    assert f"--notebook-dir={tmp_path}" in argv


@pytest.mark.parametrize("environ, platform, display", [
    ({}, "linux", False), ({"DISPLAY": ":0"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True), ({"BROWSER": "firefox"}, "linux", True),
    ({}, "darwin", True), ({}, "win32", True)])
def test_is_a_display_found_where_a_browser_can_open(environ, platform, display):
    assert lab.has_display(environ, platform) == display


def test_does_only_the_students_lab_read_the_courses_config(tmp_path):
    _, student = lab.command("student", tmp_path, environ={"JUPYTER_CONFIG_PATH": "/theirs"})
    _, instructor = lab.command("instructor", tmp_path, environ={})
    assert student["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(lab.STUDENT_CONFIG), "/theirs"]
    assert "JUPYTER_CONFIG_PATH" not in instructor
