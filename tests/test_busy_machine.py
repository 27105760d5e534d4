"""Grades do not depend on how busy the machine is.

The classic-mistake bank, the correct variants and the misbehaving bank (code that hangs,
sleeps, crashes, with an honest part beside) are graded as one class twice: once as the
machine is, once with two processes per core spinning beside the grader. Time limits
count the CPU time of the student's code, so waiting for a core must change nothing: every
check of every submission gets the same result both times.
"""

import json
import os
import subprocess
import sys

import pytest

import grader_bank as bank
import test_grader_misbehaving as misbehaving
from course.mistakes import HANGS
from grader_run import REPO, SEED


def build_class(folder):
    folder.mkdir()
    reference = bank.reference_text()
    for mistake in bank.MISTAKES + HANGS:
        (folder / f"mistake_{mistake.id}.py").write_text(mistake.text(reference))
    for variant in bank.VARIANTS.values():
        (folder / f"variant_{variant.id}.py").write_text(variant.text(reference))
    for case in misbehaving.CASES:
        if case.sandbox:
            continue            # needs a sandbox level of its own
        name, content = case.build(reference, case.tag)
        (folder / f"misbehaving_{case.name}{os.path.splitext(name)[1]}").write_text(content)
    # sleeps at every load, then ends its process whenever a Value is made: every check of
    # stages 1-3 reloads it; stages 4 and 5 (the reference's Value) must keep their points
    (folder / "misbehaving_sleeps_then_crashes.py").write_text(
        "import os, time\ntime.sleep(0.3)\n" + reference.replace(
            "        self._backward = lambda: None   # a leaf has nothing to pass back\n",
            "        self._backward = lambda: None\n        os._exit(0)\n", 1))
    return sorted(p.stem for p in folder.iterdir())


def grade_class(folder, out):
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
                          "--jobs", "2", "--seed", str(SEED), *map(str, misbehaving.LIMITS)],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    graded = {}
    for results in out.glob("*/results.json"):
        record = json.loads(results.read_text())
        graded[results.parent.name] = {t["number"]: (t["status"], t["score"]) for t in record["tests"]}
    return graded


class Spinners:
    """Two processes per core that compute without end, for as long as the block runs."""

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                      for _ in range(2 * (os.cpu_count() or 1))]
        return self

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def graded_twice(tmp_path_factory):
    root = tmp_path_factory.mktemp("busy")
    names = build_class(root / "class")
    quiet = grade_class(root / "class", root / "quiet")
    with Spinners():
        busy = grade_class(root / "class", root / "busy")
    return names, quiet, busy


def test_does_every_check_get_the_same_result_beside_two_busy_processes_per_core(graded_twice):
    names, quiet, busy = graded_twice
    assert len(quiet) == len(names) and set(quiet) == set(busy)
    # the class holds what the comparison is about: hangs, sleeps, crashes and honest code
    assert {"mistake_backward_index_never_moves", "misbehaving_loop_at_import",
            "misbehaving_loop_in_backward", "misbehaving_sleeps_then_crashes",
            "misbehaving_input_at_import", "misbehaving_baseline"} <= set(quiet)
    differ = {name: {n: (quiet[name][n], busy[name].get(n)) for n in quiet[name]
                     if quiet[name][n] != busy[name].get(n)}
              for name in quiet if quiet[name] != busy[name]}
    assert differ == {}, differ


def test_does_the_class_hold_timeouts_and_full_marks(graded_twice):
    """The comparison would prove nothing if no submission ran into a limit."""
    _, quiet, _ = graded_twice
    statuses = [status for checks in quiet.values() for status, _ in checks.values()]
    assert statuses.count("failed") > 100 and statuses.count("passed") > 1000
    assert all(s == "passed" for s, _ in quiet["misbehaving_baseline"].values())
    sleeper = quiet["misbehaving_sleeps_then_crashes"]
    assert all(status == "passed" for number, (status, _) in sleeper.items() if number[0] in "45")
    assert all(status == "failed" for number, (status, _) in sleeper.items() if number[0] in "123")


def test_does_code_that_depends_on_addresses_see_the_same_ones_on_every_run(tmp_path):
    """A set of Values (`_prev`) is ordered by the objects' addresses: code whose result
    depends on that order (a wrong backward() often does) must get the same grade every
    time, so the worker runs without address randomisation and with a fixed string hash."""
    path = tmp_path / "order.py"
    path.write_text(
        "class Value:\n"
        "    def __init__(self, data, _children=()):\n"
        "        self.data, self._prev = data, set(_children)\n"
        "top = Value(0.0, [Value(float(i)) for i in range(50)])\n"
        "raise RuntimeError(f'order {[v.data for v in top._prev][:12]} id {id(top)} "
        "hash {hash(\"abc\")}')\n")
    seen = set()
    for _ in range(3):
        run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--stage", "1"],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
        found = [line for line in run.stdout.splitlines() if "RuntimeError: order" in line]
        assert len(found) == 1, run.stdout + run.stderr
        seen.add(found[0])
    assert len(seen) == 1, seen


def test_is_code_that_sleeps_stopped_by_the_wall_clock_backstop(tmp_path):
    """Sleeping uses no CPU time, so the CPU limits never stop it: the wall-clock backstop
    does, and says the code was waiting rather than computing."""
    path = tmp_path / "sleepy.py"
    path.write_text(bank.reference_text().replace(
        "        self.grad = 1.0\n", "        import time; time.sleep(600)\n        self.grad = 1.0\n", 1))
    json_path = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--stage", "2",
                          "--json", str(json_path), "--seed", str(SEED)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    failed = [t for t in json.loads(json_path.read_text())["tests"] if t["status"] == "failed"]
    assert failed, "the sleeping backward() passed"
    assert "most of them spent waiting rather than computing" in failed[0]["output"], failed[0]["output"]
    assert all("an earlier check of this stage was stopped" in t["output"] for t in failed[1:])
