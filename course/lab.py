"""Start JupyterLab for students or for the instructor (what `make lab` and `make nbgrader-lab` run).

    python -m course.lab student [FOLDER] [JUPYTER LAB OPTIONS...]      (default assignments/)
    python -m course.lab instructor [FOLDER] [JUPYTER LAB OPTIONS...]   (default nbgrader-course/)

It starts wherever `make setup` works:
- as root (containers, cloud machines), where Jupyter refuses to start without --allow-root;
  the option is given only then;
- without a display (a server, a container, a terminal over SSH), where Jupyter would look
  for a browser and might start a text one in the terminal: --no-browser, and Jupyter prints
  the address to open, with its token.

The students' Lab does not show nbgrader's instructor tools (formgrader, Create Assignment,
the course list...): the folder student-lab/ beside this file, put first on
JUPYTER_CONFIG_PATH for that Lab only, turns off nbgrader's Lab extension
(labconfig/page_config.json) and its server extensions (jupyter_server_config.json). Nothing
is installed or changed elsewhere: the instructor's Lab, and any `jupyter lab` started by
hand, keep them.
"""

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STUDENT_CONFIG = Path(__file__).resolve().with_name("student-lab")
DEFAULT_FOLDERS = {"student": REPO_ROOT / "assignments", "instructor": REPO_ROOT / "nbgrader-course"}
# Where a browser can be opened: a desktop system, a graphical session, or a browser named
# by the user (BROWSER is what Python's webbrowser module, and so Jupyter, follows).
DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")


def has_display(environ=None, platform=None):
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform == "darwin" or platform.startswith(("win", "cygwin")):
        return True
    return any(environ.get(name) for name in DISPLAY_VARIABLES)


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def command(who, folder, options=(), environ=None, root=None, display=None):
    """(argv, environment) that start the Lab for who ("student" or "instructor") on folder."""
    environ = dict(os.environ if environ is None else environ)
    root = is_root() if root is None else root
    display = has_display(environ) if display is None else display
    argv = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}"]
    if root:
        argv.append("--allow-root")
    if not display:
        argv.append("--no-browser")
    argv.extend(options)
    # the venv's programs first: nbgrader runs some (alembic) from the formgrader
    environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environ.get("PATH", "")])
    if who == "student":
        environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            p for p in (str(STUDENT_CONFIG), environ.get("JUPYTER_CONFIG_PATH", "")) if p)
    return argv, environ


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m course.lab", description="Start JupyterLab for students or the instructor.",
        epilog="Other options are passed on to `jupyter lab` (for example --port=8890).")
    parser.add_argument("who", choices=("student", "instructor"),
                        help="student: without nbgrader's instructor tools; instructor: with them")
    parser.add_argument("folder", nargs="?", type=Path,
                        help="the folder to open (default: assignments/ for students, "
                             "nbgrader-course/ for the instructor)")
    args, options = parser.parse_known_args(argv)
    folder = (args.folder or DEFAULT_FOLDERS[args.who]).resolve()
    if not folder.is_dir():
        hint = " (make nbgrader builds it)" if args.who == "instructor" else ""
        print(f"There is no folder {folder}{hint}.", file=sys.stderr)
        return 2
    argv, environ = command(args.who, folder, options)
    where = "JupyterLab on " + str(folder)
    if "--no-browser" in argv:
        where += ": no display here, so open the address it prints (with its token) in a browser"
    print(where, flush=True)
    os.chdir(folder)       # nbgrader's formgrader looks for nbgrader_config.py where it starts
    os.execve(argv[0], argv, environ)


if __name__ == "__main__":
    sys.exit(main())
