"""python -m autograder grade SUBMISSION [--json RESULTS.json] [--stage N ...]"""

import argparse
import json
import sys
import time
from pathlib import Path

from . import contract
from . import limits as limits_module


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="Grade micrograd course submissions.")
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="grade one submission, or a folder of submissions with --out")
    g.add_argument("submission", help="a .py file, a .ipynb notebook, a folder holding one, or a .zip")
    g.add_argument("--json", metavar="RESULTS.json", help="also write Gradescope's results.json here")
    g.add_argument("--stage", type=int, action="append", choices=contract.STAGES, metavar="N",
                   help="grade only stage N (repeat for several); default: the notebook's own "
                        "stage, or all five")
    g.add_argument("--seed", type=int, help="seed of the randomized checks (default: fresh each run)")
    g.add_argument("--out", metavar="OUTDIR",
                   help="grade every entry of the folder SUBMISSION; write OUTDIR/<id>/results.json, "
                        "OUTDIR/<id>/feedback.md, OUTDIR/gradebook.csv and OUTDIR/report.html")
    g.add_argument("--jobs", type=positive_int, metavar="N",
                   help="with --out: submissions graded at once (default: the number of cores)")
    g.add_argument("--sandbox", default="auto", choices=("auto", "strict", *sandbox_levels()),
                   help="how to confine the students' code: auto (the strongest this machine "
                        "offers), strict (bubblewrap or fail), or one level by name")
    g.add_argument("--regrade", action="store_true",
                   help="with --out: grade every submission again, also the unchanged ones")
    limits_module.add_arguments(g)
    g.set_defaults(command_parser=g)
    c = commands.add_parser("check", help="a learner's self-check: grade your own stage notebook")
    c.add_argument("notebook", help="your saved stage notebook (or a .py)")
    c.add_argument("--stage", type=int, choices=contract.STAGES, metavar="N",
                   help="the stage to check (default: the notebook's own stage)")
    c.set_defaults(command_parser=c)
    return parser


def sandbox_levels():
    from .sandbox import LEVELS

    return LEVELS


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def usage_problem(args):
    """Options that do not go together, in a sentence; None when they do."""
    if args.command != "grade":
        return None
    if not args.out:
        for option, given in (("--jobs", args.jobs), ("--regrade", args.regrade)):
            if given:
                return (f"{option} applies to a folder of submissions graded with --out OUTDIR; "
                        "one submission is graded by one process")
        return None
    if args.json:
        return ("--json is for one submission; with --out every submission gets "
                "OUTDIR/<id>/results.json")
    if not Path(args.submission).is_dir():
        return f"--out needs a folder of submissions; {args.submission} is not a folder"
    return None


def grade_many(args, limits):
    from .batch import gradebook_table, grade_folder

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
        args.command_parser.error(str(exc))
    problem = usage_problem(args)
    if problem:
        args.command_parser.error(problem)
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
    from .render import preload_in_background

    # the report's templates load while the submission's code runs (the judge mostly waits)
    templates = preload_in_background("text")
    try:
        result = grade(args.submission, stages=args.stage, limits=limits, seed=args.seed,
                       level=args.sandbox)
    except GraderError as exc:
        print(f"The grader failed (this is a bug in the grader, not in the submission):\n{exc}",
              file=sys.stderr)
        return 1
    templates.join()
    print(result.report())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
