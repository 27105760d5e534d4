"""Grade the Gradescope submission with the course's grader; always write results.json.

run_autograder runs this as root, with the grader's venv:

    $AUTOGRADER_ROOT/micrograd-venv/bin/python $AUTOGRADER_ROOT/source/grade_submission.py

It runs `python -m autograder grade $AUTOGRADER_ROOT/submission --json ... --sandbox auto`
in a separate process: the grader runs each student's code in its own sandboxed worker
(bubblewrap where it works, else as the unprivileged uid 65534), and this script only reads
the grader's results.json, checks its shape and puts it where Gradescope looks. If the
grader fails, stops answering or writes nothing usable, the student gets a results.json
with score 0 and the reason; the details go to stdout, which only the instructor sees.

Environment: AUTOGRADER_ROOT (default /autograder), MICROGRAD_SANDBOX (default auto),
MICROGRAD_GRADE_SECONDS (default 540: Gradescope stops an autograder after 600 s).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
SANDBOX = os.environ.get("MICROGRAD_SANDBOX", "auto")
SECONDS = float(os.environ.get("MICROGRAD_GRADE_SECONDS", "540"))

NOTHING_UPLOADED = "Nothing was uploaded: hand in your stage notebook (.ipynb) or a .py file."
GRADER_FAILED = ("The grader failed on this submission (a problem with the autograder, not "
                 "with your work), so nothing was graded. Your instructor can see the details.")
GRADER_TOO_SLOW = ("Grading took more than {seconds:g} seconds and was stopped, so nothing was "
                   "graded. Does your code loop without end when it is imported?")


def configured_stages():
    """The stages this autograder grades: the instructor's config.json, never what the
    submission says of itself; every stage if the file cannot be read."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from autograder.contract import STAGES

    try:
        stages = json.loads((HERE / "config.json").read_text())["stages"]
        if stages and all(stage in STAGES for stage in stages):
            return sorted(set(stages))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return list(STAGES)


def failed(reason, started, stages):
    """A results.json with score 0 and the reason, and a zero for every check of the stages."""
    tests = []
    try:
        sys.path.insert(0, str(HERE))
        from autograder.checks import TABLE

        tests = [{"name": f"{c.id} {c.name}", "number": c.id, "score": 0, "max_score": c.points,
                  "status": "failed", "output": f"{c.description}\n\nNot graded: {reason}",
                  "tags": [f"stage{c.stage}"], "visibility": c.visibility}
                 for c in TABLE if c.stage in stages]
    except Exception as exc:  # the grader's own files are broken: say so, score 0 anyway
        print(f"grade_submission: could not read the points table: {exc!r}")
    return {"score": 0, "execution_time": round(time.monotonic() - started, 3), "output": reason,
            "stdout_visibility": "hidden", "tests": tests}


def well_formed(results):
    """Is this a results.json Gradescope accepts, with a score that is the sum of its tests?"""
    if not isinstance(results, dict) or not isinstance(results.get("tests"), list):
        return False
    numbers = (int, float)
    for test in results["tests"]:
        if not isinstance(test, dict) or not isinstance(test.get("score"), numbers) \
                or not isinstance(test.get("max_score"), numbers):
            return False
    return isinstance(results.get("score"), numbers) and \
        abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-6


def grade(started):
    stages = configured_stages()
    submission = ROOT / "submission"
    if not submission.is_dir() or not any(submission.iterdir()):
        return failed(NOTHING_UPLOADED, started, stages)
    work = Path(tempfile.mkdtemp(prefix="micrograd-gradescope-"))   # mode 700: root only
    try:
        out = work / "results.json"
        command = [sys.executable, "-m", "autograder", "grade", str(submission),
                   "--json", str(out), "--sandbox", SANDBOX]
        for stage in stages:
            command += ["--stage", str(stage)]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work),
               "PYTHONPATH": str(HERE)}
        import autograder   # the same package the command below runs: this folder's

        print(f"grade_submission: the grader in {Path(autograder.__file__).parent}")
        print("grade_submission:", " ".join(command))
        try:
            run = subprocess.run(command, cwd=HERE, env=env, capture_output=True, text=True,
                                 timeout=SECONDS, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            print(f"grade_submission: the grader took more than {SECONDS:g} s")
            return failed(GRADER_TOO_SLOW.format(seconds=SECONDS), started, stages)
        print(run.stdout)
        if run.stderr.strip():
            print("grade_submission: the grader's stderr:\n" + run.stderr[-20000:])
        if run.returncode != 0 or not out.exists():
            print(f"grade_submission: the grader ended with status {run.returncode}")
            return failed(GRADER_FAILED, started, stages)
        try:
            results = json.loads(out.read_text())
        except ValueError as exc:
            print(f"grade_submission: the grader's results.json is not JSON: {exc}")
            return failed(GRADER_FAILED, started, stages)
        if not well_formed(results):
            print("grade_submission: the grader's results.json is malformed")
            return failed(GRADER_FAILED, started, stages)
        results["execution_time"] = round(time.monotonic() - started, 3)
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write(results):
    folder = ROOT / "results"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "results.json.part"
    partial.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(partial, folder / "results.json")


def main():
    started = time.monotonic()
    try:
        results = grade(started)
    except Exception:
        import traceback

        traceback.print_exc(file=sys.stdout)
        results = failed(GRADER_FAILED, started, configured_stages())
    write(results)
    print(f"grade_submission: score {results['score']}, {len(results['tests'])} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
