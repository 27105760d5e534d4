"""Submissions that loop, exit, crash, flood the output, lie about equality or wait for input.

Each gets no point it did not earn, the grader exits 0 within its limits and says what
happened in plain words, and no process of the submission is left running afterwards.
(A later issue builds the full bank of hostile submissions; these are the basic ones.)
"""

import hashlib
import functools
from dataclasses import dataclass

import nbformat
import pytest

import grader_bank as bank
from autograder import messages as M
from autograder.limits import Limits
from grader_run import Job, contract_problems, grade_all, processes_named, tag_snippet

# Small limits, so that a submission that hangs costs seconds, not minutes.
LIMITS = ("--test-seconds", 1, "--load-seconds", 2, "--submission-seconds", 10)
# A case may take the time its hang is allowed (`hangs`) plus a few times what grading the
# plain reference takes in the same session (the "baseline" case): the bound follows the
# machine's load instead of guessing it.
SLACK_TIMES, SLACK_SECONDS = 3, 3.0

WEIRD = '''
class Weird:
    """Equal to everything."""
    __eq__ = lambda self, other: True
    __hash__ = object.__hash__
'''
LIAR = '''
class Liar(float):
    """A float that claims to equal anything."""
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __hash__ = float.__hash__
'''


@dataclass
class Case:
    name: str
    build: object                  # (reference text, tag) -> (file name, file content)
    lose: dict                     # stage -> the checks that must fail (None: every check)
    says: tuple                    # words every failed check's output (or the notes) must hold
    hangs: float = 0.0             # seconds of its limits the case is expected to use up
    args: tuple = LIMITS
    notes_say: tuple = ()          # words the submission-wide output must hold
    full: bool = True              # every check not in `lose` keeps its points
    sandbox: str = ""              # a sandbox level this case needs (skipped where it cannot run)
    known: str = ""                # a known grader problem with the message: why it is wrong

    @property
    def tag(self):
        return "mg" + hashlib.sha1(self.name.encode()).hexdigest()[:10]


def py(text_of):
    return lambda ref, tag: ("submission.py", tag_snippet(tag) + text_of(ref))


def notebook(*cells_of):
    """A notebook whose cells are: the tag, then each of cells_of(ref) in order."""
    def build(ref, tag):
        cells = [nbformat.v4.new_code_cell(tag_snippet(tag))]
        for make in cells_of:
            cells += [nbformat.v4.new_code_cell(c) for c in make(ref)]
        return "submission.ipynb", nbformat.writes(nbformat.v4.new_notebook(cells=cells))
    return build


def definitions(ref):
    """The reference, one cell per top-level definition."""
    nb = nbformat.reads(bank.notebook_from(ref), 4)
    return [c.source for c in nb.cells if c.cell_type == "code" and not c.source.startswith(("%", "!"))]


def before_neuron(ref):
    """The definition cells before class Neuron, and from it on."""
    cells = definitions(ref)
    at = next(i for i, c in enumerate(cells) if c.startswith("class Neuron"))
    return cells[:at], cells[at:]


def edit(find, replace, before="", after=""):
    return lambda ref: before + bank.apply_edit(ref, find, replace) + after


SEGFAULT_IN_EXP = edit("out = Value(math.exp(self.data)",
                       "_crash(); out = Value(math.exp(self.data)", before=bank.CRASH)
ALL = None
CASES = [
    Case("baseline", py(lambda ref: ref), lose={}, says=()),
    # stopped at --cell-seconds: the definitions before the loop stand and earn their points
    Case("loop_at_import", py(lambda ref: ref + "\nwhile True:\n    pass\n"),
         lose={}, says=(), notes_say=("ran too long",), hangs=1),
    # the cells after a stopped cell share 0.1 s of CPU time, so twenty more looping cells
    # cost about 0.3 s, not the load limit, and the definitions after them still count
    Case("loops_in_many_cells",
         notebook(lambda ref: before_neuron(ref)[0], lambda ref: ["while True:\n    pass"] * 21,
                  lambda ref: before_neuron(ref)[1]),
         lose={}, says=(), notes_say=("ran too long", "just the time to define"), hangs=1.5,
         args=("--test-seconds", 1, "--load-seconds", 3, "--submission-seconds", 10)),
    Case("loop_in_backward",
         py(edit("self.grad = 1.0\n", "self.grad = 1.0; spin_forever()\n",
                 after="\n\ndef spin_forever():\n    while True:\n        pass\n")),
         lose={2: ALL}, says=("loop",),
         args=("--test-seconds", 1, "--load-seconds", 2, "--submission-seconds", 20), hangs=7 * 1),
    # a .py runs statement by statement: the definitions after sys.exit() still count
    Case("sys_exit_at_import", py(lambda ref: "import sys\nsys.exit(0)\n" + ref),
         lose={}, says=(), notes_say=("SystemExit",)),
    Case("sys_exit_in_a_cell",
         notebook(lambda ref: before_neuron(ref)[0], lambda ref: ["import sys\nsys.exit(0)"],
                  lambda ref: before_neuron(ref)[1]),
         lose={}, says=(), notes_say=("SystemExit",)),
    Case("sys_exit_in_a_method",
         py(edit("t = math.tanh(self.data)", "t = math.tanh(self.data); sys.exit(0)",
                 before="import sys\n")),
         lose={1: ["1.2", "1.5", "1.6", "1.8"]}, says=("SystemExit", "sys.exit(0)")),
    Case("os_exit_in_a_method",
         py(edit("self.grad = 1.0\n", "self.grad = 1.0; os._exit(0)\n", before="import os\n")),
         lose={2: ALL}, says=("ended the Python process", "os._exit()")),
    Case("segfault_in_a_method", py(SEGFAULT_IN_EXP), lose={3: ["3.6", "3.8"]},
         says=("crashed", "segmentation fault"),
         args=LIMITS + ("--sandbox", "limits")),
    # under bubblewrap the worker's process is bwrap, which reports its child's death by
    # SIGSEGV as exit status 128 + 11: still a crash, not a call to exit()
    Case("segfault_in_a_method_bubblewrap", py(SEGFAULT_IN_EXP), lose={3: ["3.6", "3.8"]},
         says=("crashed", "segmentation fault"),
         args=LIMITS + ("--sandbox", "bubblewrap"), sandbox="bubblewrap"),
    Case("prints_50_megabytes",
         py(lambda ref: ref + "\nfor _ in range(50_000):\n    print('x' * 1000)\n"),
         lose={}, says=()),
    Case("writes_50_megabytes_to_stdout",
         py(lambda ref: ref + "\nimport os\nos.write(1, b'x' * 50_000_000)\n"),
         lose={}, says=()),
    Case("weird_equal_to_everything_as_grad",
         py(edit("self.grad += (1 - t**2) * out.grad", "self.grad = Weird()", after=WEIRD)),
         lose={1: ["1.2", "1.5", "1.6"]}, says=("Weird",)),
    Case("weird_equal_to_everything_as_data",
         py(edit("Value(math.exp(self.data), (self,), 'exp')", "Value(Weird(), (self,), 'exp')",
                 after=WEIRD)),
         lose={3: ["3.6", "3.8"]}, says=("Weird",)),
    Case("float_that_equals_everything_as_grad",
         py(edit("other.grad += self.data * out.grad", "other.grad = Liar(12345.0)", after=LIAR)),
         lose={1: ["1.1", "1.2", "1.4", "1.6", "1.7"]}, says=(".grad",)),
    Case("float_that_equals_everything_as_loss",
         py(edit("losses.append(loss.data)", "losses.append(Liar(-1.0))", after=LIAR)),
         lose={5: ["5.2", "5.3", "5.4"]}, says=()),
    Case("input_at_import",
         notebook(lambda ref: ["name = input('What is your name? ')"], definitions),
         lose={}, says=(), notes_say=("EOFError",)),
    Case("forks_a_sleeper",
         py(lambda ref: ref + "\nimport os, time\nif os.fork() == 0:\n    time.sleep(600)\n"
                              "    os._exit(0)\n"),
         lose={}, says=()),
]
CASE = {c.name: c for c in CASES}


@functools.cache
def available(level):
    from autograder.sandbox import SandboxUnavailable, choose

    try:
        return choose(level) == level
    except SandboxUnavailable:
        return False


def _job(case):
    def build(folder):
        name, content = case.build(bank.reference_text(), case.tag)
        path = folder / name
        path.write_text(content)
        return path
    return Job(case.name, build, case.args, tag=case.tag)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    cases = [c for c in CASES if not c.sandbox or available(c.sandbox)]
    return grade_all("misbehaving", [_job(c) for c in cases], tmp_path_factory)


def params(known=False):
    out = []
    for case in CASES:
        marks = []
        if case.sandbox:
            marks.append(pytest.mark.skipif(f"not available({case.sandbox!r})",
                                            reason=f"the {case.sandbox} sandbox cannot run here"))
        if known and case.known:
            marks.append(pytest.mark.xfail(strict=True, reason=case.known))
        out.append(pytest.param(case.name, marks=marks, id=case.name))
    return out


names = pytest.mark.parametrize("name", params())


@names
def test_does_the_grader_exit_0_within_its_limits(graded, name):
    g = graded[name]
    assert not g.error, g.error
    assert g.returncode == 0, g.stderr
    assert g.results is not None
    baseline = max(graded["baseline"].seconds, 0.5)
    bound = CASE[name].hangs + SLACK_TIMES * baseline + SLACK_SECONDS
    assert g.seconds < bound, f"{g.seconds:.1f} s, the reference took {baseline:.1f} s"


@names
def test_is_no_point_given_that_was_not_earned(graded, name):
    case, g = CASE[name], graded[name]
    for stage in bank.STAGES:
        failed = sorted(t["number"] for t in g.failed(stage))
        if stage in case.lose:
            want = [c.id for c in bank.checks_of(stage)] if case.lose[stage] is ALL else case.lose[stage]
            assert set(want) <= set(failed), f"stage {stage}: failed {failed}"
            if case.full:
                assert failed == sorted(want), f"stage {stage}: failed {failed}, expected {want}"
        elif case.full:
            assert failed == [], f"stage {stage}: failed {failed}"


@pytest.mark.parametrize("name", params(known=True))
def test_does_the_message_say_what_happened(graded, name):
    case, g = CASE[name], graded[name]
    for t in g.failed():
        for words in case.says:
            assert words in t["output"], t["output"]
        assert "Traceback" not in t["output"]
        assert M.GRADER_BUG not in t["output"]
    for words in case.notes_say:
        assert words in g.results["output"], g.results["output"]


@names
def test_is_no_process_of_the_submission_left_running(graded, name):
    g = graded[name]
    assert g.seen, "the submission's process was never seen: the check below would prove nothing"
    assert g.running == [], f"still running: {g.running}"
    assert processes_named(CASE[name].tag) == []


def test_does_a_timeout_name_the_limit_it_broke(graded):
    """Not the time that was left for the request (it once said 'more than 0.488948 seconds')."""
    failed = graded["loop_in_backward"].failed(2)
    # the first check stops at its own limit and names it (the reference needs far less
    # than the floor for that small graph); the stage stops there, and its other checks
    # say why they did not run
    floor = Limits().check_floor_seconds
    assert f"it computed for more than {floor:.2g} second" in failed[0]["output"], failed[0]["output"]
    for t in failed[1:]:
        assert "an earlier check of this stage was stopped" in t["output"], t["output"]


def test_is_the_flood_of_output_kept_out_of_results_json(graded):
    for name in ("prints_50_megabytes", "writes_50_megabytes_to_stdout"):
        g = graded[name]
        assert g.score == 100
        assert len(g.stdout) < 100_000
        assert "xxxxxxxxxx" not in "".join(g.outputs())


def test_does_every_results_json_follow_the_contract(graded):
    for name, g in graded.items():
        assert g.returncode == 0, f"{name}: exit status {g.returncode}"
        assert contract_problems(g.results) == [], name
