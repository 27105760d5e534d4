"""Build examples/class/, the demo class that `make demo` grades, and examples/README.md.

    .venv/bin/python examples/make_class.py [--assignments DIR] [--reference FILE] [--out DIR]

Nothing in the class is written by hand. Every example is derived from the committed course:

- the reference solution: the course code of autograder/reference.py, as one whole-course
  .py file;
- the five assignment notebooks, untouched: a student who has not started hands them in;
- students' work: an assignment notebook whose stubs are filled with the reference code
  for them, then changed by named edits of the catalogue (course/mistakes.py): a classic
  mistake, a harmless variation, a leftover print, an exploratory cell; and whole-course
  .py files made the same way from the reference. One is handed in as a .zip and one as a
  folder, the way Gradescope uploads arrive.

EXAMPLES is the table of the class: each example's file, the stage it is graded on, what
the student did and the catalogue's entries that make it; the hint the grader should name
and the checks it should fail are those the catalogue gives its mistake.
examples/README.md is written from it, and tests/test_examples.py grades the class and
holds the grader to it.

The output depends only on the inputs, byte for byte. After `make assignments` changes the
course, run this again and commit what changed; an edit whose code is no longer in the
reference stops the script with a message naming the example and the edit.
"""

import argparse
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from autograder.checks import CHECKS, STAGE_TITLES, stage_points  # noqa: E402
from course.edits import EditError, Work, fill_stubs  # noqa: E402
from course.mistakes import Mistake, entry, reference_text  # noqa: E402

ASSIGNMENTS = REPO / "assignments"
REFERENCE = REPO / "autograder" / "reference.py"
CLASS = HERE / "class"
README = HERE / "README.md"

NOTEBOOKS = {1: "stage1_local_derivatives", 2: "stage2_backward", 3: "stage3_operators",
             4: "stage4_neural_net", 5: "stage5_training"}
HELPER = "picture.py"                      # shipped with the assignments; students upload it too
ZIP_TIME = (2024, 3, 1, 12, 0, 0)          # a fixed date in the zip, so the bytes never change


# -- the class -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Example:
    file: str                    # its name in examples/class/
    stage: int | None            # the stage notebook it is made from; None: a whole-course .py
    what: str                    # what the student did, for the README
    form: str = "notebook"       # notebook, untouched, reference, py, zip or folder
    steps: tuple = ()            # ids of the catalogue's entries that make it, in order
    note: str = ""               # a phrase its feedback.md must hold (a cell's error, say)

    @property
    def id(self):
        return re.sub(r"\.(ipynb|py|zip)$", "", self.file)

    @property
    def student(self):
        """Its row in the gradebook: `ada_stage1.ipynb` is student ada's stage 1; a name
        without a student and a stage is a student of its own, named after the file."""
        return re.sub(r"_stage[1-5]$", "", self.id)

    @property
    def entries(self):
        return tuple(entry(step) for step in self.steps)

    @property
    def mistake(self):
        """The catalogue's mistake it shows, if any (one at most)."""
        mistakes = [e for e in self.entries if isinstance(e, Mistake)]
        assert len(mistakes) <= 1, f"{self.file}: one mistake an example"
        return mistakes[0] if mistakes else None

    @property
    def fails(self):
        """The ids of the checks it fails: every check of its stage when untouched."""
        if self.form == "untouched":
            return tuple(c for c in CHECKS if CHECKS[c].stage == self.stage)
        return self.mistake.fails if self.mistake else ()

    @property
    def hint(self):
        """The constant of autograder/messages.py its feedback names."""
        if self.form == "untouched":
            return "NOT_IMPLEMENTED"
        return self.mistake.hint if self.mistake else ""

    @property
    def stages(self):
        """The stages it is graded on: a stage notebook's own, or all five."""
        return [self.stage] if self.stage else list(STAGE_TITLES)

    def score(self, stage=None):
        stages = [stage] if stage else self.stages
        return sum(stage_points(s) for s in stages) - sum(
            CHECKS[c].points for c in self.fails if CHECKS[c].stage in stages)

    @property
    def max_score(self):
        return sum(stage_points(s) for s in self.stages)


EXAMPLES = [
    Example("reference_solution.py", None, "The reference solution, autograder/reference.py.",
            form="reference"),
    *[Example(f"{name}.ipynb", stage, "The assignment notebook, untouched: nothing written yet.",
              form="untouched") for stage, name in NOTEBOOKS.items()],
    # stage 1
    Example("ada_stage1.ipynb", 1, "Correct, in her own words; a debugging print left in, "
            "an exploratory cell.",
            steps=("add_passes_out_grad", "tanh_derivative_from_out", "mul_debug_print", "try_mul")),
    Example("alan_stage1.ipynb", 1, "`=` instead of `+=` in every `_backward`.",
            steps=("every_backward_assigns", "try_mul")),
    Example("barbara_stage1.ipynb", 1, "Forgets `* out.grad` in the `_backward` of `*`.",
            steps=("mul_forgets_upstream",)),
    Example("katherine_stage1.ipynb", 1, "tanh's derivative in terms of the input x: "
            "`1 - x**2` instead of `1 - t**2`.", steps=("tanh_uses_input",)),
    Example("grace_stage1.ipynb", 1, "Correct, but one exploratory cell has a syntax error: "
            "that cell fails to run, the rest still grades.", steps=("typo_cell",),
            note="SyntaxError"),
    # stage 2
    Example("john_stage2.ipynb", 2, "Correct: a topological sort with an explicit stack "
            "instead of recursion.", steps=("topological_sort_on_a_stack", "try_backward")),
    Example("edsger_stage2.ipynb", 2, "Calls `_backward` in topological order, without "
            "`reversed()`.", steps=("not_reversed",)),
    Example("donald_stage2.ipynb", 2, "Forgets the seed: never sets the output's grad to 1.0.",
            steps=("seed_line_left_out", "try_backward_twice")),
    Example("margaret_stage2.ipynb", 2, "Hangs: an index loop in `backward()` that never "
            "moves its index; the notebook's own check cells never finish.",
            steps=("backward_index_never_moves",)),
    # stage 3
    Example("radia_stage3.ipynb", 3, "`__rsub__` backwards: `2 - a` computes `a - 2`.",
            steps=("rsub_operands_swapped", "try_operators")),
    Example("hedy_stage3.ipynb", 3, "relu passes the gradient on for negative inputs too.",
            steps=("relu_passes_every_gradient",)),
    Example("tim_stage3.zip", 3, "Correct, handed in as a .zip; `relu` with `max()`, "
            "`2 / a` as `Value(2) / a`, a `%timeit` cell.", form="zip",
            steps=("relu_with_float_max", "rtruediv_as_value_division", "timeit_magic")),
    # stage 4
    Example("frances_stage4.ipynb", 4, "`Neuron.parameters()` lists the bias first: "
            "`[b] + w`.", steps=("neuron_bias_first", "try_layer")),
    Example("linus_stage4.ipynb", 4, "A Layer returns a list also when `nout == 1`.",
            steps=("layer_list_for_one", "try_mlp")),
    Example("ken_stage4", 4, "Correct, handed in as a folder (with picture.py beside the "
            "notebook); loops instead of `sum()`.", form="folder",
            steps=("neuron_loop_from_bias", "mlp_parameters_loop")),
    # stage 5
    Example("dennis_stage5.ipynb", 5, "The training loop never sets the gradients back to "
            "zero.", steps=("train_never_zeroes", "try_train")),
    Example("bjarne_stage5.ipynb", 5, "The update steps up the gradient: "
            "`p.data += lr * p.grad`.", steps=("train_wrong_sign", "train_prints_loss")),
    # the whole course in one file
    Example("guido_micrograd.py", None, "The whole course in one .py, correct and written "
            "differently: tanh from exp, a stack-based topological sort, `_prev` as a tuple, "
            "a loop in Neuron, grads zeroed after the update; prints at the end.", form="py",
            steps=("tanh_from_exp", "topological_sort_on_a_stack", "prev_as_tuple",
                   "neuron_loop_from_bias", "train_zeroes_after_update", "lecture_at_the_end")),
    Example("anita_micrograd.py", None, "The whole course in one .py; the topological sort "
            "has no visited set, so a node reached along two paths passes its gradient twice.",
            form="py", steps=("topo_without_visited_set",)),
]


# -- building --------------------------------------------------------------------------------

def student_notebook(example, assignments, reference):
    nb = nbformat.read(assignments / f"{NOTEBOOKS[example.stage]}.ipynb", as_version=4)
    work = Work(example.id, notebook=nb)
    work.code = fill_stubs(work.code, reference)
    _apply(example, work)
    return nbformat.writes(nb) + "\n"


def student_text(example, reference):
    work = Work(example.id, text=reference)
    _apply(example, work)
    return work.text


def _apply(example, work):
    for step in example.entries:
        try:
            step.apply(work)
        except EditError as exc:
            raise EditError(f"{example.file}: the edit does not apply: {exc}") from None


def build(assignments=ASSIGNMENTS, reference_file=REFERENCE, out=CLASS):
    """Write every example into `out` (emptied first); return the files written."""
    reference = reference_text(reference_file)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for ex in EXAMPLES:
        target = out / ex.file
        if ex.form == "reference":
            target.write_text(reference)
        elif ex.form == "untouched":
            shutil.copyfile(assignments / ex.file, target)
        elif ex.form == "py":
            target.write_text(student_text(ex, reference))
        elif ex.form == "notebook":
            target.write_text(student_notebook(ex, assignments, reference))
        elif ex.form == "zip":
            inner = f"{NOTEBOOKS[ex.stage]}.ipynb"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                info = zipfile.ZipInfo(inner, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, student_notebook(ex, assignments, reference))
        elif ex.form == "folder":
            target.mkdir()
            (target / f"{NOTEBOOKS[ex.stage]}.ipynb").write_text(
                student_notebook(ex, assignments, reference))
            shutil.copyfile(assignments / HELPER, target / HELPER)
        else:
            raise ValueError(f"{ex.file}: unknown form {ex.form!r}")
    return sorted(p.name for p in out.iterdir())


# -- the README ------------------------------------------------------------------------------

README_TEXT = """\
# The demo class

`examples/class/` is a small class of {count} submissions for trying the grader:
`make demo` grades it. It holds the reference solution, the five assignment notebooks as
a student who has not started would hand them in, and students' work: stage notebooks with
the stubs filled in, some correct and some with one classic mistake, and whole-course `.py`
files; one handed in as a `.zip`, one as a folder.

Nothing in it is written by hand: `examples/make_class.py` derives every example from the
committed `assignments/` and `autograder/reference.py` by named edits (fill the stubs with
the reference code, then, say, `=` instead of `+=`). After `make assignments`, run

    .venv/bin/python examples/make_class.py

and commit what changed. `tests/test_examples.py` grades the class and checks every score
and hint below; this file is written by the same script.

To grade it by hand:

    .venv/bin/python -m autograder grade examples/class --out grades/demo

which writes `grades/demo/<student>/feedback.md` and `results.json`,
`grades/demo/gradebook.csv` and `grades/demo/report.html`.

The grader reads a name like `ada_stage1.ipynb` as student `ada`'s stage 1 (a student's
other stages, `ada_stage2.ipynb`..., would join the same row); a name without a student and
a stage (`guido_micrograd.py`, the assignment notebooks as handed out) is a student of its
own, named after the file. Each student here handed in one file, so most rows show the
other stages as "not submitted", and every total is out of the class's 100 points.

| submission | student | stage | what the student did | score | the hint the feedback names |
|---|---|---|---|---|---|
{rows}

A stage notebook is graded on the stage its name gives (`_stage1`, or the assignment
notebook's own name `stage1_...`; the folder's layout fixes it, not the file); a `.py` file
without a stage in its name on all five. A mistake costs points only in the stage where it lives: every stage's checks run the
student's code for that stage on top of the reference code of the others.
"""


def readme():
    rows = []
    for ex in EXAMPLES:
        stage = str(ex.stage) if ex.stage else "all"
        hint = f"`{ex.hint}`" if ex.hint else (f"({ex.note} noted)" if ex.note else "")
        lost = f" (fails {', '.join(ex.fails)})" if ex.fails and ex.form != "untouched" else ""
        rows.append(f"| `{ex.file}` | {ex.student} | {stage} | {ex.what} | "
                    f"{ex.score()} / {ex.max_score}{lost} | {hint} |")
    return README_TEXT.format(count=len(EXAMPLES), rows="\n".join(rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", type=Path, default=ASSIGNMENTS)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--out", type=Path, default=CLASS)
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    try:
        files = build(args.assignments, args.reference, args.out)
    except EditError as exc:
        print(f"make_class: {exc}", file=sys.stderr)
        return 1
    args.readme.write_text(readme())
    print(f"wrote {len(files)} submissions to {args.out}/ and {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
