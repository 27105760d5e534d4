"""A judge process of a class grading: `python -m autograder.judge FD`.

Started by the supervisor (batch.py), never by hand. Its first line on stdin is its settings
(seed, stages, sandbox level, limits); each later line names one submission, and the stages
to grade it on when the class's layout gives them (else the settings' stages). For each, it
writes one JSON record on descriptor FD: the SubmissionResult, or {"error": ...} when the
grader failed on it (the traceback goes to stderr, the instructor's grader.log). The hidden
suite is collected once for all of them.
"""

import json
import os
import sys
import traceback

from .grade import GraderError, grade_many
from .limits import Limits


def settings_message(seed, stages, level, limits):
    """The first line a judge reads."""
    return {"seed": seed, "stages": stages, "sandbox": level, "limits": limits.to_dict()}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = os.fdopen(int(argv[0]), "w", buffering=1)
    settings = json.loads(sys.stdin.readline())
    tasks = []

    def paths():
        for line in sys.stdin:
            tasks.append(json.loads(line))
            yield tasks[-1]["path"], tasks[-1].get("stages") or settings["stages"]

    def on_result(outcome):
        if isinstance(outcome, GraderError):
            traceback.print_exception(outcome, file=sys.stderr)
            record = {"error": "grader failed"}
        else:
            record = outcome.to_record()
        record["id"] = tasks[-1]["id"]
        out.write(json.dumps(record) + "\n")

    grade_many(paths(), on_result, stages=settings["stages"],
               limits=Limits.from_dict(settings["limits"]), seed=settings["seed"],
               level=settings["sandbox"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
