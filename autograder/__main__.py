"""python -m autograder grade SUBMISSION [--json RESULTS.json] [--stage N ...]
   python -m autograder grade CLASS_FOLDER --out OUTDIR [--roster ROSTER] [--jobs N]
   python -m autograder check NOTEBOOK"""

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
    g.add_argument("submission", help="a .py file, a .ipynb notebook, a folder holding one, or a "
                                      ".zip; a student's folder of stage files (stage1....ipynb, "
                                      "stage2...); with --out, a class folder")
    g.add_argument("--json", metavar="RESULTS.json", help="also write Gradescope's results.json here")
    g.add_argument("--stage", type=int, action="append", choices=contract.STAGES, metavar="N",
                   help="grade only stage N (repeat for several); default: the notebook's own "
                        "stage, or all five")
    g.add_argument("--seed", type=int, help="seed of the randomized checks (default: fresh each run)")
    g.add_argument("--out", metavar="OUTDIR",
                   help="grade the class in the folder SUBMISSION, one student per row (nbgrader's "
                        "submitted/<student>/<assignment>/, or names like <student>_stageN); write "
                        "OUTDIR/gradebook.csv, OUTDIR/report.html and, for each student, "
                        "OUTDIR/<id>/feedback.md and results.json")
    g.add_argument("--roster", metavar="ROSTER",
                   help="with --out: the class's student ids (one a line, or a CSV with an id "
                        "column such as nbgrader's); students who handed in nothing are listed "
                        "as not submitted")
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


def is_student_folder(path):
    """A folder of one student's stage files (stage1....ipynb, stage2/...), more than one."""
    from .students import stage_files

    path = Path(path)
    return path.is_dir() and not path.is_symlink() and len(stage_files(path)) > 1


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
        for option, given in (("--jobs", args.jobs), ("--regrade", args.regrade),
                              ("--roster", args.roster)):
            if given:
                return (f"{option} applies to a folder of submissions graded with --out OUTDIR; "
                        "one submission is graded by one process")
        return None
    if args.json:
        return ("--json is for one submission; with --out every student gets "
                "OUTDIR/<id>/results.json")
    if not Path(args.submission).is_dir():
        return f"--out needs a folder of submissions; {args.submission} is not a folder"
    return None


def grade_many(args, limits, roster):
    from .batch import gradebook_table, grade_folder
    from .render import text_report
    from .text import clean

    started = time.monotonic()
    run = grade_folder(args.submission, args.out, jobs=args.jobs, limits=limits,
                       stages=args.stage, seed=args.seed, regrade=args.regrade,
                       level=args.sandbox, roster=roster)
    seconds = time.monotonic() - started
    if run.note:
        print(f"Read {clean(args.submission, newlines=False)} as {clean(run.note, newlines=False)}.")
        print()
    alone = run.students[0] if len(run.students) == 1 else None
    if alone and alone.handed_in:     # one student: their report, every stage
        print(text_report(alone.result, [s for s in run.stages if s not in alone.result.stages]))
    else:
        print(gradebook_table(run.results, run.stages))
    print()
    for line in class_lines(run):
        print(line)
    unchanged = run.submissions - run.graded
    print(f"Graded {run.graded} submission(s) in {seconds:.1f} s"
          + (f"; {unchanged} unchanged since the last run were not graded again." if unchanged else "."))
    print(f"Feedback for each student: {args.out}/<id>/feedback.md")
    print(f"Gradebook: {args.out}/gradebook.csv    Class report: {args.out}/report.html")
    print(f"Students' code ran in the {args.sandbox} sandbox.")
    return 0


def _names(items):
    from .text import clean

    return ", ".join(clean(i, newlines=False) for i in items)


def class_lines(run):
    """The class in a few lines: students, who handed in nothing, names set apart."""
    from .text import clean

    nothing = [st.id for st in run.students if not st.handed_in]
    some = [st.id for st in run.students if st.handed_in and not set(run.stages) <= set(st.result.stages)]
    lines = [f"{len(run.students)} student(s)"
             + (f"; {len(some)} handed in only some of the stages (the report lists them)" if some else "")
             + "."]
    if nothing:
        lines.append(f"Handed in nothing (not submitted): {_names(nothing)}.")
    lines += class_lines_renamed(run.renamed)
    if run.not_on_roster:
        lines.append(f"Not on the roster: {_names(run.not_on_roster)}.")
    for sid, reason in run.unwritten:
        lines.append(f"The files of {sid} could not be written ({clean(reason, newlines=False)}); "
                     "the gradebook and the report hold their grades.")
    return lines


def class_lines_renamed(renamed):
    """A line for each student set apart under a new id, because another has the name."""
    from .students import CLASS_OUTPUTS

    def why(r):
        if not r.kept_by and r.name.casefold() in {n.casefold() for n in CLASS_OUTPUTS}:
            return f"as {r.name} is the name of one of the class's own files"
        return f"as another student ({_names(r.kept_by) or 'the roster'}) has the name {r.name}"
    return [f"Set apart as {r.id}: {_names(r.files)}, {why(r)}." for r in renamed]


def grade_student_folder(args, limits):
    """One student's folder of stage files, without --out: every stage, one report."""
    from .grade import GraderError, grade_many as grade_each
    from .render import text_report
    from .students import assemble, discover
    from .text import clean

    found = discover(args.submission, stages=args.stage)
    if not found.submissions:
        print(f"{clean(args.submission, newlines=False)} holds no stage file of the stages chosen "
              "with --stage.", file=sys.stderr)
        return 2
    outcomes = []
    grade_each([(sub.path, [sub.stage]) for sub in found.submissions], outcomes.append,
               limits=limits, seed=args.seed, level=args.sandbox)
    bug = next((o for o in outcomes if isinstance(o, GraderError)), None)
    if bug:
        print(f"The grader failed (this is a bug in the grader, not in the submission):\n{bug}",
              file=sys.stderr)
        return 1
    made = assemble(found, {sub.key: o for sub, o in zip(found.submissions, outcomes)})
    print("\n\n".join(text_report(st.result) for st in made.students))
    for line in class_lines_renamed(made.renamed):
        print(line)
    result = made.students[0].result
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2) + "\n")
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
    roster = None
    if getattr(args, "roster", None):
        from .students import RosterError, read_roster

        try:
            roster = read_roster(args.roster)
        except RosterError as exc:
            args.command_parser.error(str(exc))
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
        return grade_many(args, limits, roster)
    if is_student_folder(args.submission):
        return grade_student_folder(args, limits)
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
