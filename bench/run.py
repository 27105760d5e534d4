"""make bench: how fast the grader is on this machine. It measures and prints; it asserts nothing.

    .venv/bin/python bench/run.py [--runs 10] [--class-size 200] [--jobs N] [--nbgrader-n 20]
                                  [--skip-nbgrader] [--keep DIR]

1. Single-submission latency, whole process (`python -m autograder grade ...` as a learner or
   Gradescope runs it): the reference solution as one .py, all five stages; and the stage 1
   solution notebook (its own stage only, the self-check case), also through `check`.
2. Batch throughput: a generated class (70% correct with harmless variations, 20% with a
   classic mistake, 5% hanging in backward(), 5% crashing: os._exit, a segfault through
   ctypes, an exception at import), half stage notebooks and half whole-course .py files,
   graded with `--jobs` = the number of cores; then the same class without the hanging ones.
3. nbgrader side by side: a temporary nbgrader course made from the stage 1 solution
   notebook, N students' submissions (stubs filled correctly or with a mistake), graded by
   `nbgrader autograde` and by this grader on the same submitted/ folder.
4. Where the time goes: one submission graded inside this process, split into the worker's
   start, the time spent waiting for the worker's answers, and the judge's own work.

At the end it prints a Markdown block with the figures, the machine and the command, ready
for docs/benchmarks.md. The submissions are made with the edits of the catalogue of mistakes and
variants (course/mistakes.py), from the committed assignments/ and autograder/reference.py.
"""

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
SOLUTION_STAGE1 = REPO / "solutions" / "stage1_local_derivatives.ipynb"
REFERENCE = REPO / "autograder" / "reference.py"
ASSIGNMENTS = REPO / "assignments"
PICTURE = REPO / "solutions" / "picture.py"
TARGETS = {
    "latency": "<= 0.92 s whole process (the figure before time limits counted CPU time)",
    "selfcheck": "< 1.5 s",
    "batch": ">= 14.2 submissions/s on 2 cores, hanging ones included (2x the 7.1/s before)",
    "hang": "< 0.4 s of a core per hanging submission",
    "nbgrader": ">= 50x faster than nbgrader",
}

sys.path.insert(0, str(REPO))

from autograder.contract import STAGES  # noqa: E402
from course import mistakes  # noqa: E402
from course.edits import EditError, Work, fill_stubs  # noqa: E402
from course.mistakes import reference_text  # noqa: E402


def assignment(stage):
    """The stage's assignment notebook in assignments/ (a path that does not exist if none)."""
    return next(ASSIGNMENTS.glob(f"stage{stage}_*.ipynb"), ASSIGNMENTS / f"stage{stage}_*.ipynb")


def say(text=""):
    print(text, flush=True)


def timed(cmd, cwd=REPO, env=None):
    """Wall-clock seconds of a whole command, and its completed process."""
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        say(f"command failed ({done.returncode}): {shlex.join(map(str, cmd))}\n{done.stdout[-2000:]}"
            f"\n{done.stderr[-2000:]}")
        raise SystemExit(1)
    return seconds, done


def total_line(stdout):
    return next((line.strip() for line in stdout.splitlines() if line.startswith("Total:")), "?")


# -- 1. single-submission latency --------------------------------------------------------------

def latency(tmp, runs):
    ref = tmp / "reference_solution.py"
    ref.write_text(reference_text())
    nb = tmp / SOLUTION_STAGE1.name
    shutil.copyfile(SOLUTION_STAGE1, nb)
    cases = [
        ("reference .py, all five stages", [PY, "-m", "autograder", "grade", str(ref)]),
        ("stage 1 solution notebook (self-check), `grade`", [PY, "-m", "autograder", "grade", str(nb)]),
        ("stage 1 solution notebook (self-check), `check`", [PY, "-m", "autograder", "check", str(nb)]),
        ("interpreter + `import autograder` only (`--help`)", [PY, "-m", "autograder", "--help"]),
    ]
    rows = []
    for label, cmd in cases:
        times, score = [], ""
        for _ in range(runs):
            seconds, done = timed(cmd)
            times.append(seconds)
            score = total_line(done.stdout)
        rows.append({"case": label, "median": statistics.median(times), "max": max(times),
                     "score": score})
        say(f"  {label}: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
            f"({runs} runs; {score})")
    return rows


# -- 2. batch throughput -----------------------------------------------------------------------

def entries(*ids):
    return [mistakes.entry(i) for i in ids]


CORRECT_NOTEBOOK = {
    1: entries("add_passes_out_grad", "tanh_derivative_from_out", "mul_debug_print", "try_mul"),
    2: entries("topological_sort_on_a_stack", "try_backward", "try_backward_twice"),
    3: entries("relu_with_float_max", "rtruediv_as_value_division", "timeit_magic", "try_operators"),
    4: entries("neuron_loop_from_bias", "mlp_parameters_loop", "try_layer", "try_mlp"),
    5: entries("train_zeroes_after_update", "train_prints_loss", "try_train"),
}
CORRECT_PY = entries("tanh_from_exp", "topological_sort_on_a_stack", "prev_as_tuple",
                     "neuron_loop_from_bias", "train_zeroes_after_update", "add_passes_out_grad",
                     "relu_with_float_max", "rtruediv_as_value_division", "mlp_parameters_loop",
                     "train_prints_loss", "lecture_at_the_end")
MISTAKES = {1: entries("every_backward_assigns", "mul_forgets_upstream", "tanh_uses_input"),
            2: entries("not_reversed", "seed_line_left_out", "topo_without_visited_set"),
            3: entries("rsub_operands_swapped", "relu_passes_every_gradient"),
            4: entries("neuron_bias_first", "layer_list_for_one"),
            5: entries("train_never_zeroes", "train_wrong_sign")}
HANG = mistakes.entry("backward_index_never_moves")
CRASHES = entries("exits_at_import", "segfaults_at_import", "raises_at_import")


def _apply_all(work, steps):
    """Apply the steps that fit; a variation that clashes with an earlier one is skipped."""
    for step in steps:
        try:
            step.apply(work)
        except EditError:
            pass


def make_submission(folder, index, kind, rng, reference):
    """One generated submission: a stage notebook (even index) or a whole-course .py (odd)."""
    notebook = index % 2 == 0
    stage = rng.choice(list(STAGES))
    if kind == "buggy":
        stage = rng.choice(list(MISTAKES))
        steps = [rng.choice(MISTAKES[stage])]
    elif kind == "hanging":
        stage, steps = 2, [HANG]
    elif kind == "crashing":
        steps = [CRASHES[index % len(CRASHES)]]
    else:
        pool = CORRECT_NOTEBOOK[stage] if notebook else CORRECT_PY
        steps = rng.sample(pool, rng.randint(0, len(pool)))
    name = f"student{index:03d}_{kind}"
    if notebook:
        nb = nbformat.read(assignment(stage), as_version=4)
        work = Work(name, notebook=nb)
        work.code = fill_stubs(work.code, reference)
        _apply_all(work, steps)
        (folder / f"{name}.ipynb").write_text(nbformat.writes(nb))
    else:
        work = Work(name, text=reference)
        _apply_all(work, steps)
        (folder / f"{name}.py").write_text(work.text)
    return name


def make_class(folder, size, seed=2024):
    """size submissions: 70% correct, 20% buggy, 5% hanging, 5% crashing."""
    folder.mkdir(parents=True)
    reference = reference_text()
    rng = random.Random(seed)
    n_hang = n_crash = round(size * 0.05)
    n_buggy = round(size * 0.20)
    kinds = (["hanging"] * n_hang + ["crashing"] * n_crash + ["buggy"] * n_buggy
             + ["correct"] * (size - n_hang - n_crash - n_buggy))
    rng.shuffle(kinds)
    return {make_submission(folder, i, kind, rng, reference): kind for i, kind in enumerate(kinds)}


def grade_folder(folder, out, jobs):
    cmd = [PY, "-m", "autograder", "grade", str(folder), "--out", str(out), "--jobs", str(jobs),
           "--seed", "1"]
    seconds, done = timed(cmd)
    return seconds, done.stdout


def batch(tmp, size, jobs):
    folder = tmp / f"class{size}"
    kinds = make_class(folder, size)
    counts = {k: sum(1 for v in kinds.values() if v == k) for k in ("correct", "buggy", "hanging", "crashing")}
    say(f"  made {size} submissions: {counts}; "
        f"{sum(1 for p in folder.iterdir() if p.suffix == '.ipynb')} stage notebooks, "
        f"{sum(1 for p in folder.iterdir() if p.suffix == '.py')} whole-course .py files")
    seconds, _ = grade_folder(folder, tmp / f"out{size}", jobs)
    say(f"  graded in {seconds:.1f} s with --jobs {jobs}: {size / seconds:.2f} submissions/s")
    per_kind = {}
    for sid, kind in kinds.items():
        result = json.loads((tmp / f"out{size}" / sid / "results.json").read_text())
        entry = per_kind.setdefault(kind, {"n": 0, "busy": 0.0, "score": 0.0, "max": 0.0})
        entry["n"] += 1
        entry["busy"] += result["execution_time"]
        entry["score"] += result["score"]
        entry["max"] += sum(t["max_score"] for t in result["tests"])
    busy = sum(e["busy"] for e in per_kind.values())
    for kind, e in per_kind.items():
        say(f"    {kind:9s} {e['n']:4d} submissions, {e['busy'] / e['n']:.2f} s each on average "
            f"in a judge, {100 * e['busy'] / busy:.0f}% of all judge time; "
            f"mean score {100 * e['score'] / max(e['max'], 1):.0f}%")
    calm = tmp / f"class{size}-no-hangs"
    calm.mkdir()
    for p in folder.iterdir():
        if kinds[file_id(p)] != "hanging":
            shutil.copy(p, calm / p.name)
    n_calm = sum(1 for _ in calm.iterdir())
    calm_seconds, _ = grade_folder(calm, tmp / f"out{size}-no-hangs", jobs)
    say(f"  without the {counts['hanging']} hanging ones: {n_calm} graded in {calm_seconds:.1f} s: "
        f"{n_calm / calm_seconds:.2f} submissions/s")
    return {"size": size, "jobs": jobs, "seconds": seconds, "rate": size / seconds, "counts": counts,
            "per_kind": per_kind, "busy": busy, "calm_n": n_calm, "calm_seconds": calm_seconds,
            "calm_rate": n_calm / calm_seconds,
            "command": f".venv/bin/python -m autograder grade CLASS --out OUT --jobs {jobs} --seed 1"}


def file_id(path):
    return path.name.rsplit(".", 1)[0]


# -- 3. nbgrader side by side ------------------------------------------------------------------

NBGRADER_MISTAKES = entries("every_backward_assigns", "mul_forgets_upstream", "tanh_uses_input")


def nbgrader_course(root, n):
    """An nbgrader course: source/stage1 from the solution notebook, its release, and n
    students' submissions made from the release notebook."""
    (root / "source" / "stage1").mkdir(parents=True)
    shutil.copyfile(SOLUTION_STAGE1, root / "source" / "stage1" / SOLUTION_STAGE1.name)
    shutil.copyfile(PICTURE, root / "source" / "stage1" / PICTURE.name)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.CourseDirectory.course_id = 'micrograd'\n")
    env = nbgrader_env()
    timed([str(REPO / ".venv" / "bin" / "nbgrader"), "generate_assignment", "stage1", "--force"],
          cwd=root, env=env)
    release = root / "release" / "stage1" / SOLUTION_STAGE1.name
    reference = reference_text()
    rng = random.Random(7)
    mistaken = 0
    for i in range(n):
        nb = nbformat.read(release, as_version=4)
        work = Work(f"student{i:02d}", notebook=nb)
        work.code = fill_stubs(work.code, reference)
        if rng.random() < 0.3:
            rng.choice(NBGRADER_MISTAKES).apply(work)
            mistaken += 1
        target = root / "submitted" / f"student{i:02d}" / "stage1"
        target.mkdir(parents=True)
        (target / SOLUTION_STAGE1.name).write_text(nbformat.writes(nb))
        shutil.copyfile(root / "release" / "stage1" / PICTURE.name, target / PICTURE.name)
    return mistaken


def nbgrader_env():
    """nbgrader runs `alembic` and the kernel from PATH: put the venv's bin first."""
    env = dict(os.environ)
    env["PATH"] = f"{REPO / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def nbgrader_scores(root):
    """Each student's total in nbgrader's gradebook, read with sqlite (no nbgrader import)."""
    with sqlite3.connect(root / "gradebook.db") as db:
        rows = db.execute(
            "select s.student_id, sum(coalesce(g.manual_score, g.auto_score, 0)) "
            "from grade g join submitted_notebook n on g.notebook_id = n.id "
            "join submitted_assignment s on n.assignment_id = s.id group by s.student_id").fetchall()
    return dict(rows)


def side_by_side(tmp, n, jobs):
    root = tmp / "nbgrader-course"
    mistaken = nbgrader_course(root, n)
    nb_seconds, _ = timed([str(REPO / ".venv" / "bin" / "nbgrader"), "autograde", "stage1", "--force"],
                          cwd=root, env=nbgrader_env())
    graded = sorted(p.parent.parent.name for p in (root / "autograded").glob(f"*/stage1/{SOLUTION_STAGE1.name}"))
    say(f"  nbgrader autograde: {len(graded)} notebooks in {nb_seconds:.1f} s "
        f"({nb_seconds / n:.2f} s each)")
    ours_seconds, stdout = grade_folder(root / "submitted", tmp / "ours-on-nbgrader", jobs)
    say(f"  this grader, --jobs {jobs}: {n} notebooks in {ours_seconds:.1f} s "
        f"({ours_seconds / n:.2f} s each)")
    fixed_seconds, stdout = grade_folder(root / "submitted", tmp / "ours-on-nbgrader", jobs)
    say(f"  this grader again on the unchanged folder (nothing to grade: the command's fixed "
        f"cost, the class report included): {fixed_seconds:.1f} s")
    theirs = nbgrader_scores(root)
    ours = {}
    for student in theirs:
        result = json.loads((tmp / "ours-on-nbgrader" / student / "results.json").read_text())
        ours[student] = result["score"]
    agree = sum(1 for s in theirs if (theirs[s] == 4) == (ours[s] == 20))
    say(f"  full marks agree (nbgrader 4/4 vs ours 20/20) for {agree} of {len(theirs)} students "
        f"({mistaken} of them with a stage 1 mistake)")
    marginal = max(ours_seconds - fixed_seconds, 1e-9) / n
    return {"n": n, "jobs": jobs, "nbgrader": nb_seconds, "ours": ours_seconds,
            "ratio": nb_seconds / ours_seconds, "fixed": fixed_seconds, "marginal": marginal,
            "marginal_ratio": (nb_seconds / n) / marginal, "agree": agree, "students": len(theirs),
            "mistaken": mistaken}


# -- 4. where the time goes --------------------------------------------------------------------

def breakdown(tmp, runs=5):
    """grade() inside this process, with the worker's start and answers timed apart."""
    from autograder import grade as grade_module
    from autograder import sandbox
    from autograder import worker as worker_module

    spent = {"start": 0.0, "wait": 0.0}
    Worker = worker_module.Worker
    originals = {name: getattr(Worker, name) for name in ("launch", "finish_start", "request")}

    def timed(name, key):
        def wrapper(self, *args, **kwargs):
            t = time.perf_counter()
            try:
                return originals[name](self, *args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t
        return wrapper

    # a worker starts in two halves (launched before pytest starts, its load report read at
    # the first check): the judge's wait for both is the start's time
    Worker.launch, Worker.finish_start = timed("launch", "start"), timed("finish_start", "start")
    Worker.request = timed("request", "wait")
    level = sandbox.choose("auto")
    cases = [("reference .py, all five stages", tmp / "reference_solution.py", level),
             ("stage 1 solution notebook", tmp / SOLUTION_STAGE1.name, level)]
    stage5 = REPO / "solutions" / "stage5_training.ipynb"
    if stage5.exists():
        shutil.copyfile(stage5, tmp / stage5.name)
        cases.append(("stage 5 solution notebook", tmp / stage5.name, level))
    if level != "limits":
        cases.append(("reference .py, all five stages", tmp / "reference_solution.py", "limits"))
    rows = []
    try:
        grade_module.grade(cases[0][1], seed=1)      # warm: imports, the reference's answers
        for label, path, level in cases:
            label = f"{label} (`{level}` sandbox)"
            spent.update(start=0.0, wait=0.0)
            wall = cpu = 0.0
            for _ in range(runs):
                c, w = time.process_time(), time.perf_counter()
                result = grade_module.grade(path, seed=1, level=level)
                wall += time.perf_counter() - w
                cpu += time.process_time() - c
            row = {"case": label, "wall": wall / runs, "start": spent["start"] / runs,
                   "wait": spent["wait"] / runs, "judge_cpu": cpu / runs, "score": result.score}
            row["judge"] = row["wall"] - row["start"] - row["wait"]
            rows.append(row)
            say(f"  {label}: {row['wall'] * 1000:.0f} ms = worker start and load "
                f"{row['start'] * 1000:.0f} ms + waiting for answers {row['wait'] * 1000:.0f} ms "
                f"+ judge (pytest, comparisons) {row['judge'] * 1000:.0f} ms; judge CPU "
                f"{row['judge_cpu'] * 1000:.0f} ms")
        fixed = pytest_fixed_cost(cases[0][1], runs)
        if fixed is not None:
            say(f"  starting pytest on the hidden suite with nothing to grade (config, plugins, "
                f"collection; once per judge process): {fixed * 1000:.0f} ms")
    finally:
        for name, method in originals.items():
            setattr(Worker, name, method)
    return rows, fixed


def pytest_fixed_cost(path, runs):
    """What starting pytest costs a judge: configuration, plugins and collecting the hidden
    suite, with no submission to grade. A judge pays it once, not per submission (it
    collects the suite once and runs its checks again for each submission). Uses the
    grader's internals; None if they moved."""
    try:
        from autograder import grade as grade_module

        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            grade_module.grade_many([], lambda outcome: None)
            seconds.append(time.perf_counter() - started)
        return statistics.median(seconds)
    except Exception as exc:  # a benchmark of internals: report, do not fail
        say(f"  (pytest's fixed cost not measured: {type(exc).__name__}: {exc})")
        return None


# -- the report --------------------------------------------------------------------------------

def machine():
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from autograder import sandbox

    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", "sandbox": sandbox.choose("auto"),
            "load": load_average()}


def load_average():
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def verdict(met):
    return "met" if met else "**missed**"


def markdown(args, info, lat, bat, side, parts, fixed):
    out = ["```", f"$ {args.command}", "```", "",
           f"Machine: {info['nproc']} cores ({info['cpu']}), Python {info['python']}, "
           f"{info['os']}; students' code in the `{info['sandbox']}` sandbox. Date: {date.today()}. "
           f"Load average (1 min) at the start {info['load']:.2f}, at the end {load_average():.2f}.", ""]
    out += ["### 1. One submission, whole process", "",
            f"{args.runs} runs each; wall-clock time of the whole command, interpreter start included.", "",
            "| case | median | max | result |", "|---|---|---|---|"]
    for r in lat:
        out.append(f"| {r['case']} | {r['median']:.2f} s | {r['max']:.2f} s | {r['score']} |")
    full, nb = lat[0], lat[1]
    out += ["", f"Targets: all five stages {TARGETS['latency']}: {verdict(full['median'] <= 0.92)} "
            f"(median {full['median']:.2f} s); self-check of one stage {TARGETS['selfcheck']}: "
            f"{verdict(nb['max'] < 1.5)} (max {nb['max']:.2f} s).", ""]
    if bat:
        c = bat["counts"]
        out += ["### 2. A class, in parallel", "",
                f"{bat['size']} generated submissions ({c['correct']} correct with harmless variations, "
                f"{c['buggy']} with a classic mistake, {c['hanging']} hanging in backward(), "
                f"{c['crashing']} crashing: os._exit, segfault, exception at import); half stage "
                f"notebooks, half whole-course .py files; `--jobs {bat['jobs']}`.", "",
                "| class | submissions | wall time | submissions/s |", "|---|---|---|---|",
                f"| all | {bat['size']} | {bat['seconds']:.1f} s | {bat['rate']:.2f} |",
                f"| without the hanging ones | {bat['calm_n']} | {bat['calm_seconds']:.1f} s | "
                f"{bat['calm_rate']:.2f} |", "",
                "Judge time per kind of submission (each submission's execution_time, summed):", "",
                "| kind | n | seconds each | share of judge time |", "|---|---|---|---|"]
        for kind, e in bat["per_kind"].items():
            out.append(f"| {kind} | {e['n']} | {e['busy'] / e['n']:.2f} | "
                       f"{100 * e['busy'] / bat['busy']:.0f}% |")
        hang = bat["per_kind"].get("hanging", {"busy": 0.0, "n": 1})
        hang_each = hang["busy"] / max(hang["n"], 1)
        out += ["", f"Target {TARGETS['batch']}: {verdict(bat['rate'] >= 14.2)} "
                f"({bat['rate']:.2f}/s; {bat['calm_rate']:.2f}/s without the hanging ones), on "
                f"{bat['jobs']} jobs.", "",
                f"Target {TARGETS['hang']}: {verdict(hang_each < 0.4)} ({hang_each:.2f} s each in "
                "a judge: the time limits count CPU time, so on a quiet machine a hanging "
                "submission's time in its judge is about the core time it holds).", ""]
    if side:
        out += ["### 3. nbgrader side by side", "",
                f"The stage 1 notebook, {side['n']} students (nbgrader grades one kernel at a "
                f"time, so N is kept small; `--nbgrader-n` changes it). nbgrader runs every cell, "
                "the demonstration cells too; this grader skips cells tagged `demo` and the notebook's own "
                "check cells (its hidden checks test the same things).", "",
                "| grader | wall time | per submission |", "|---|---|---|",
                f"| `nbgrader autograde stage1 --force` | {side['nbgrader']:.1f} s | "
                f"{side['nbgrader'] / side['n']:.2f} s |",
                f"| `python -m autograder grade submitted --out ... --jobs {side['jobs']}` | "
                f"{side['ours']:.1f} s | {side['ours'] / side['n']:.3f} s |", "",
                f"Ratio: {side['ratio']:.1f}x. Target {TARGETS['nbgrader']}: "
                f"{verdict(side['ratio'] >= 50)}. Full marks agree for {side['agree']} of "
                f"{side['students']} students ({side['mistaken']} of them with a stage 1 mistake).", "",
                f"Of this grader's {side['ours']:.1f} s, {side['fixed']:.1f} s is the command's "
                "fixed cost (measured as a second run with nothing left to grade: start, "
                "discovery, gradebook, class report); beyond it each submission costs "
                f"{side['marginal']:.3f} s, {side['marginal_ratio']:.0f}x less than nbgrader's "
                f"{side['nbgrader'] / side['n']:.2f} s.", ""]
    if parts:
        out += ["### 4. Where one submission's time goes (inside one judge process)", "",
                "| submission | total | worker start + load | waiting for answers | judge | judge CPU |",
                "|---|---|---|---|---|---|"]
        for r in parts:
            out.append(f"| {r['case']} | {r['wall'] * 1000:.0f} ms | {r['start'] * 1000:.0f} ms | "
                       f"{r['wait'] * 1000:.0f} ms | {r['judge'] * 1000:.0f} ms | "
                       f"{r['judge_cpu'] * 1000:.0f} ms |")
        out += ["", "judge = the total minus the worker's start and the waits for its answers: "
                "pytest.main over the hidden suite, the comparisons, the reference's answers."]
        if fixed is not None:
            out.append(f"Starting pytest on the hidden suite with nothing to grade (paid once per "
                       f"judge process, and once by a single grade): {fixed * 1000:.0f} ms.")
        out.append("")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Measure the grader; print figures, assert nothing.")
    parser.add_argument("--runs", type=int, default=10, help="runs of each single-submission case (default 10)")
    parser.add_argument("--class-size", type=int, default=200, help="submissions in the batch (default 200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="judges for the batch (default: the number of cores)")
    parser.add_argument("--nbgrader-n", type=int, default=20,
                        help="students in the nbgrader comparison (default 20: nbgrader grades "
                             "one kernel at a time)")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    args.command = shlex.join([".venv/bin/python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])])
    for needed in (SOLUTION_STAGE1, REFERENCE, assignment(1)):
        if not needed.exists():
            say(f"bench: {needed} is missing (run `make assignments`)")
            return 1
    info = machine()
    say(f"Machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, sandbox {info['sandbox']}")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        tmp_ctx = None
        tmp = args.keep
    else:
        tmp_ctx = tempfile.TemporaryDirectory(prefix="micrograd-bench-")
        tmp = Path(tmp_ctx.name)
    try:
        say("\n1. One submission, whole process")
        lat = latency(tmp, args.runs)
        bat = side = None
        if not args.skip_batch:
            say(f"\n2. A class of {args.class_size}, --jobs {args.jobs}")
            bat = batch(tmp, args.class_size, args.jobs)
        if not args.skip_nbgrader:
            say(f"\n3. nbgrader side by side, {args.nbgrader_n} students (nbgrader grades one "
                "kernel at a time, so N is kept small)")
            side = side_by_side(tmp, args.nbgrader_n, args.jobs)
        say("\n4. Where the time goes")
        parts, fixed = breakdown(tmp)
        say("\n" + markdown(args, info, lat, bat, side, parts, fixed))
    finally:
        if tmp_ctx is not None:
            tmp_ctx.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
