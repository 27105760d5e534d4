"""python -m autograder grade SUBMISSION [--json RESULTS.json] [--stage N ...]"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import limits as limits_module


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="Grade micrograd course submissions.")
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="grade one submission, or a folder of submissions with --out")
    g.add_argument("submission", help="a .py file, a .ipynb notebook, a folder holding one, or a .zip")
    g.add_argument("--json", metavar="RESULTS.json", help="also write Gradescope's results.json here")
    g.add_argument("--stage", type=int, action="append", choices=range(1, 6), metavar="N",
                   help="grade only stage N (repeat for several); default: the notebook's own "
                        "stage, or all five")
    g.add_argument("--seed", type=int, help="seed of the randomized checks (default: fresh each run)")
    g.add_argument("--out", metavar="OUTDIR",
                   help="grade every entry of the folder SUBMISSION; write OUTDIR/<id>/results.json, "
                        "OUTDIR/<id>/feedback.md, OUTDIR/gradebook.csv and OUTDIR/report.html")
    g.add_argument("--jobs", type=int, metavar="N", help="submissions graded at once (default: "
                                                         "the number of cores)")
    g.add_argument("--sandbox", default="auto", metavar="LEVEL",
                   help="how to confine the students' code: auto (the strongest this machine "
                        "offers), strict (bubblewrap or fail), bubblewrap, separate-user, limits")
    g.add_argument("--regrade", action="store_true",
                   help="with --out: grade every submission again, also the unchanged ones")
    limits_module.add_arguments(g)
    c = commands.add_parser("check", help="a learner's self-check: grade your own stage notebook")
    c.add_argument("notebook", help="your saved stage notebook (or a .py)")
    c.add_argument("--stage", type=int, choices=range(1, 6), metavar="N",
                   help="the stage to check (default: the notebook's own stage)")
    s = commands.add_parser("_serve", help=argparse.SUPPRESS)  # a judge process of a batch
    s.add_argument("--fd", type=int, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--stage", type=int, action="append")
    s.add_argument("--sandbox", required=True)
    limits_module.add_arguments(s)
    return parser


def serve(args, limits):
    """Grade the submissions named on stdin, one JSON record per line on --fd; the hidden
    suite is collected once for all of them."""
    import traceback

    from .grade import GraderError, grade_many

    out = os.fdopen(args.fd, "w", buffering=1)
    tasks = []

    def paths():
        for line in sys.stdin:
            tasks.append(json.loads(line))
            yield tasks[-1]["path"]

    def on_result(outcome):
        task = tasks[-1]
        if isinstance(outcome, GraderError):
            traceback.print_exception(outcome, file=sys.stderr)
            record = {"error": "grader failed", "id": task["id"]}
        else:
            record = outcome.to_record()
        record["id"] = task["id"]
        out.write(json.dumps(record) + "\n")

    grade_many(paths(), on_result, stages=args.stage, limits=limits, seed=args.seed,
               level=args.sandbox)
    return 0


def grade_many(args, limits):
    from .batch import gradebook_table, grade_folder

    if args.json:
        print("--json is for one submission; with --out every submission gets "
              "OUTDIR/<id>/results.json", file=sys.stderr)
        return 2
    if not Path(args.submission).is_dir():
        print(f"--out needs a folder of submissions; {args.submission} is not a folder", file=sys.stderr)
        return 2
    started = time.monotonic()
    results, graded = grade_folder(args.submission, args.out, jobs=args.jobs, limits=limits,
                                   stages=args.stage, seed=args.seed, regrade=args.regrade,
                                   level=args.sandbox)
    seconds = time.monotonic() - started
    print(gradebook_table(results))
    print()
    print(f"Graded {graded} submission(s) in {seconds:.1f} s"
          + (f"; {len(results) - graded} unchanged since the last run were not graded again." if len(results) > graded else "."))
    print(f"Feedback for each student: {args.out}/<id>/feedback.md")
    print(f"Gradebook: {args.out}/gradebook.csv    Class report: {args.out}/report.html")
    print(f"Students' code ran in the {args.sandbox} sandbox.")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        limits = limits_module.from_arguments(args) if hasattr(args, "test_seconds") else None
    except ValueError as exc:
        parser.error(str(exc))
    if args.command == "_serve":
        return serve(args, limits)
    from .sandbox import SandboxUnavailable, choose

    try:
        args.sandbox = choose(getattr(args, "sandbox", "auto"))
    except SandboxUnavailable as exc:
        print(f"Not grading: {exc}.", file=sys.stderr)
        return 1
    if args.command == "check":
        from .selfcheck import command

        return command(args.notebook, args.stage)
    if args.out:
        return grade_many(args, limits)
    from .grade import GraderError, grade

    try:
        result = grade(args.submission, stages=args.stage, limits=limits, seed=args.seed,
                       level=args.sandbox)
    except GraderError as exc:
        print(f"The grader failed (this is a bug in the grader, not in the submission):\n{exc}",
              file=sys.stderr)
        return 1
    print(result.report())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
