"""Build the Gradescope autograder zip (what `make gradescope` runs).

    python -m course.gradescope [--out dist/gradescope-autograder.zip] [--stage N ...]

The zip follows Gradescope's specification, with at its root:

  setup.sh             run once, as root, on Gradescope's Ubuntu image: Python 3.11+,
                       bubblewrap, a venv with the grader's pinned packages, uid 65534
  run_autograder       run for every submission: grades $AUTOGRADER_ROOT/submission and
                       always leaves $AUTOGRADER_ROOT/results/results.json
  grade_submission.py  run_autograder's Python side: `python -m autograder grade ... --json`
                       in a separate process, and a zero with the reason if that fails
  requirements.txt     the grader's packages, pinned as in pyproject.toml
  config.json          the stages to grade, fixed by the instructor: --stage N (one zip per
                       stage's assignment), all five by default; never what the submission says
  autograder/          the grader: its checks, points table, hidden suite and reference code

Nothing of solutions/, assignments/ or the course generator goes in. The zip depends only on
its inputs: its entries carry a fixed date, so two builds of the same tree are identical.
"""

import argparse
import json
import sys
import tomllib
import zipfile
from pathlib import Path

from autograder.contract import STAGES

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().with_name("gradescope")
GRADER = REPO_ROOT / "autograder"
DEFAULT_OUT = REPO_ROOT / "dist" / "gradescope-autograder.zip"
# What `python -m autograder grade` imports beyond the standard library: pytest runs the
# hidden suite; IPython turns notebook magics into plain Python; nbformat reads notebooks
# older than format 4.
GRADER_PACKAGES = ("pytest", "ipython", "nbformat", "jinja2", "markupsafe")
EXECUTABLE = ("setup.sh", "run_autograder")
FIXED_DATE = (2020, 1, 1, 0, 0, 0)


def requirements(pyproject=REPO_ROOT / "pyproject.toml"):
    """The grader's packages with the pins of pyproject.toml, one per line."""
    pins = tomllib.loads(Path(pyproject).read_text())["project"]["dependencies"]
    chosen = [pin for pin in pins if pin.split("==")[0].strip().lower() in GRADER_PACKAGES]
    missing = set(GRADER_PACKAGES) - {pin.split("==")[0].strip().lower() for pin in chosen}
    if missing:
        raise SystemExit(f"pyproject.toml does not pin {', '.join(sorted(missing))}")
    return "# The grader's packages, pinned as in the course's pyproject.toml\n" + \
        "\n".join(sorted(chosen, key=str.lower)) + "\n"


def grader_files():
    """{name in the zip: path} for the grader package, without caches."""
    return {f"autograder/{p.relative_to(GRADER).as_posix()}": p
            for p in sorted(GRADER.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def contents(stages=()):
    """{name in the zip: bytes}. stages: those to grade (default: all five)."""
    files = {name: (TEMPLATES / name).read_bytes()
             for name in ("setup.sh", "run_autograder", "grade_submission.py")}
    files["requirements.txt"] = requirements().encode()
    files["config.json"] = (json.dumps({"stages": sorted(set(stages or STAGES))}) + "\n").encode()
    for name, path in grader_files().items():
        files[name] = path.read_bytes()
    return files


def build(out=DEFAULT_OUT, stages=()):
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    files = contents(stages)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name in EXECUTABLE else 0o644) << 16
            archive.writestr(info, files[name])
    return out, files


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course.gradescope",
                                     description="Build the Gradescope autograder zip.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"the zip to write (default {DEFAULT_OUT.relative_to(REPO_ROOT)})")
    parser.add_argument("--stage", type=int, action="append", default=[], choices=STAGES,
                        metavar="N", help="grade stage N (repeat for several): the stage of "
                                          "the assignment; default: all five. A submission "
                                          "never chooses its stages")
    args = parser.parse_args(argv)
    out, files = build(args.out, args.stage)
    graded = ", ".join(map(str, sorted(set(args.stage or STAGES))))
    print(f"wrote {out} ({len(files)} files, {out.stat().st_size // 1024} kB); stages graded: {graded}")
    print("Upload it in Gradescope: assignment > Configure Autograder > Zip file upload.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
