"""python -m autograder grade SUBMISSION [--json RESULTS.json] [--stage N ...]"""

import argparse
import json
import sys
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
    limits_module.add_arguments(g)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        limits = limits_module.from_arguments(args)
    except ValueError as exc:
        parser.error(str(exc))
    from .grade import GraderError, grade

    try:
        result = grade(args.submission, stages=args.stage, limits=limits, seed=args.seed)
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
