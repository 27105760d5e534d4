"""Build what a student downloads for one stage (what `make release STAGE=N` runs).

    python -m course.release [--stage N] [--out dist/student-release-stageN.zip]

The zip holds one folder, micrograd-stageN/, with exactly:

  stageN_<name>.ipynb   the stage's assignment notebook, from assignments/
  stageN_<name>.py      the same code cells, for working in an editor
  picture.py            the graph-picture helper the notebook imports
  check.py              the self-check: runs the notebook's cells (not the pictures) in a
                        separate process and says which public check cells fail, and why
  README.md             how to open the notebook, what to fill in, how to self-check

Nothing else: no solution, no hidden test, no points table, no grader. Everything comes from
assignments/ (generated from solutions/ by `make assignments`) and course/; this script never
reads solutions/, and of the grader it reads only the course contract
(autograder/contract.py): the notebook metadata key and the stages.

By design, stage N's notebook gives the reference code of every stage before it (so a mistake
in one stage never blocks the next): release stage N only after the deadline of stage N-1.
Each stage has its own zip, so building one stage never overwrites another's.
"""

import argparse
import json
import sys
import zipfile
from pathlib import Path

from autograder.contract import METADATA_KEY, STAGES

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = REPO_ROOT / "assignments"
CHECK = Path(__file__).resolve().with_name("student_check.py")
DIST = REPO_ROOT / "dist"
FIXED_DATE = (2020, 1, 1, 0, 0, 0)

README = """# micrograd, stage {stage}: {title}

This folder holds stage {stage} of the micrograd course:

- `{notebook}`: the notebook to work in;
- `{mirror}`: the same code, if you prefer an editor to Jupyter;
- `picture.py`: draws the graph behind a Value (the notebook imports it);
- `check.py`: checks your notebook with its public check cells.

## Open the notebook

With Python 3.11 or newer:

```
python -m pip install jupyterlab matplotlib graphviz
jupyter lab {notebook}
```

(VS Code and Google Colab open it too.) The pictures also need Graphviz's `dot` program
(`sudo apt-get install graphviz`, or `brew install graphviz`); without it they print a text
version and everything else works.

## What to fill in

Read from the top and run each cell in order. Every place you write code raises
`NotImplementedError("Stage {stage} ({title}): ...")` and says where it is; replace that line
(and the comment above it) with your code. Keep the names and signatures as they are: the
grader calls them. The check cells under your code use the lecture's numbers and tell you at
once what is off. {given}

## Check your work

Save the notebook, then, in this folder:

```
python check.py
```

It runs your notebook's cells (not the pictures) in a separate Python process and lists
which check cells pass, which fail and why, and which stubs are still to write. It needs
nothing but Python. These are the public checks: when your instructor grades the notebook,
more checks run, with inputs you have not seen.

## Hand in

`{notebook}` (or `{mirror}`, if you worked in the editor), as your instructor asks.
"""

GIVEN_FIRST = "Everything you need is in this notebook."
GIVEN_LATER = ("The notebook starts from the reference code of {earlier} (a complete "
               "`Value` class and so on), so a mistake in an earlier stage never blocks this "
               "one. That is why this stage is handed out after the deadline of stage {prev}.")


def default_out(stage):
    """dist/student-release-stageN.zip: one zip per stage."""
    return DIST / f"student-release-stage{stage}.zip"


def earlier_stages(stage):
    """The stages before this one, in words: "stage 1", "stages 1 and 2", "stages 1 to 4"."""
    if stage < 2:
        raise ValueError("stage 1 has no earlier stage")
    if stage == 2:
        return "stage 1"
    if stage == 3:
        return "stages 1 and 2"
    return f"stages 1 to {stage - 1}"


def stage_files(stage, assignments=ASSIGNMENTS):
    """(notebook, .py mirror) of the stage in assignments/."""
    notebooks = sorted(Path(assignments).glob(f"stage{stage}_*.ipynb"))
    if len(notebooks) != 1:
        raise SystemExit(f"{assignments}: expected one stage{stage}_*.ipynb, found "
                         f"{[p.name for p in notebooks]}; run `make assignments`")
    notebook = notebooks[0]
    mirror = notebook.with_suffix(".py")
    if not mirror.exists():
        raise SystemExit(f"{mirror} is missing; run `make assignments`")
    return notebook, mirror


def readme(stage, notebook, mirror):
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    title = meta.get(METADATA_KEY, {}).get("title", f"stage {stage}")
    given = GIVEN_FIRST if stage == 1 else GIVEN_LATER.format(earlier=earlier_stages(stage),
                                                              prev=stage - 1)
    return README.format(stage=stage, title=title, notebook=notebook.name, mirror=mirror.name,
                         given=given)


def contents(stage, assignments=ASSIGNMENTS):
    """{name in the zip: bytes}, every name under micrograd-stageN/."""
    notebook, mirror = stage_files(stage, assignments)
    folder = f"micrograd-stage{stage}"
    return {
        f"{folder}/{notebook.name}": notebook.read_bytes(),
        f"{folder}/{mirror.name}": mirror.read_bytes(),
        f"{folder}/picture.py": (Path(assignments) / "picture.py").read_bytes(),
        f"{folder}/check.py": CHECK.read_bytes(),
        f"{folder}/README.md": readme(stage, notebook, mirror).encode(),
    }


def build(stage=1, out=None, assignments=ASSIGNMENTS):
    out = Path(out) if out else default_out(stage)
    out.parent.mkdir(parents=True, exist_ok=True)
    files = contents(stage, assignments)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return out, files


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course.release",
                                     description="Build the student download of one stage.")
    parser.add_argument("--stage", type=int, default=1, choices=STAGES, metavar="N",
                        help="the stage to release (default 1)")
    parser.add_argument("--out", type=Path,
                        help="the zip to write (default dist/student-release-stageN.zip)")
    args = parser.parse_args(argv)
    out, files = build(args.stage, args.out)
    print(f"wrote {out}: stage {args.stage}, {len(files)} files:")
    for name in sorted(files):
        print(f"  {name}")
    if args.stage > 1:
        print(f"Stage {args.stage}'s notebook gives the reference code of "
              f"{earlier_stages(args.stage)}: hand it out after the deadline of stage "
              f"{args.stage - 1}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
