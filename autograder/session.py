"""The live grading of one submission, as the hidden tests see it.

Tests ask for plain data (`student.graph(...)`, `student.model(...)`, `student.train(...)`)
and get numbers back, or a `StudentProblem` that already says, for the student, why there
are none: not implemented yet, an exception with the line it came from, a timeout, a crash.

Three pieces, each with one job:
- `TimeBudget` (budget.py): how much time the student's code may still use, kept twice: in
  CPU time (what the code needs: a busy machine does not change it) and in wall-clock time
  (a generous backstop for code that sleeps or waits);
- `WorkerHandle`: the process that runs the submission's code, started when first needed
  and again after it dies, so one crash costs only the checks it touches;
- `Grading.ask(stage, probe)`: one question to the student's code of one stage, asked once
  per grading (two checks asking the same question share the answer).
"""

import functools
import json
import re
import time

from . import contract, messages, replies, units
from .budget import TimeBudget
from .harness import Workbench, answer
from .worker import Worker, WorkerProblem


class StudentProblem(Exception):
    """The student's code gave no answer to a check; message is for the student."""

    def __init__(self, message, kind):
        super().__init__(message)
        self.message, self.kind, self.hint = message, kind, ""

    def with_hint(self, hint):
        """The same problem, with the misconception a check recognises in it."""
        if hint and not self.hint:
            self.message, self.hint = f"{self.message} {hint}", hint
        return self


class WorkerHandle:
    """The worker of one submission: started when first needed, started again after it dies.

    The first start runs the submission's cells and keeps what they reported (`loaded`); if
    that start fails, nothing of the submission can run and `load_problem` says why.
    """

    def __init__(self, cells, limits, level):
        self.cells, self.limits, self.level = cells, limits, level
        self.worker = None
        self.loaded = None          # the first load's report: {"cell_errors": [...], ...}
        self.load_problem = None    # why the cells could not be run at all, for the student
        self.prepared = None        # (stage, variant) the worker's classes are built for
        self.output = ""            # what the code printed, from the first worker that ended
        self.tampered = False       # the code reached into the driver, or forged its lines

    @property
    def alive(self):
        return self.worker is not None and self.worker.alive

    def start(self, seconds=None, wall_seconds=None):
        """Start a worker and run the cells (within `seconds` of CPU time and `wall_seconds`
        of wall-clock time; default the load limit and its backstop)."""
        self.used = (0.0, 0.0)
        if self.tampered:
            raise StudentProblem(messages.TAMPERED, "tampered")
        if self.load_problem:
            raise StudentProblem(self.load_problem, "load")
        launched, self._launched = self._launched, False
        if not launched:
            self.close()
            self.worker = Worker(self.cells, self.limits, self.level)
        self.prepared = None
        try:
            if not launched:
                self.worker.launch()
            info = self.worker.finish_start(seconds, wall_seconds)
        except WorkerProblem as problem:
            self.used, self.worker = self.worker.used, None
            if problem.kind == "tampered":
                self.tampered = True
                raise StudentProblem(messages.TAMPERED, "tampered") from None
            if self.loaded is None:
                self.load_problem = messages.LOAD_FAILED.format(reason=problem.message)
                raise StudentProblem(self.load_problem, "load") from None
            raise
        self.used = self.worker.used
        if self.loaded is None:
            self.loaded = info

    used = (0.0, 0.0)              # (CPU, wall) seconds of the last start or request

    def request(self, payload, seconds, limit, wall_seconds):
        worker, self.used = self.worker, (0.0, 0.0)
        try:
            reply = worker.request(payload, seconds, messages.DURING_REQUEST, limit, wall_seconds)
        except WorkerProblem:
            self.prepared = None
            raise
        finally:
            self.used = worker.used
            self.tampered = self.tampered or (self.worker is not None and self.worker.forged > 0)
        if "tampered" in reply or self.tampered:
            self.tampered = True
            raise StudentProblem(messages.TAMPERED, "tampered")
        return reply

    _launched = False               # a worker was launched and its load report not read yet

    def launch(self):
        """Start the first worker now and let it run the cells while the judge does other
        work; the next start() reads its load report instead of starting another."""
        self.worker = Worker(self.cells, self.limits, self.level)
        self.worker.launch()
        self._launched = True

    def close(self):
        self._launched = False
        if self.worker is not None:
            self.tampered = self.tampered or self.worker.forged > 0
            self.output = self.output or self.worker.output()
            self.worker.stop()
            self.worker = None



class Grading:
    """One submission under grading: its worker, its time budget, the answers so far."""

    def __init__(self, submission, limits, level, stages, reference_cpu=None, worker=None):
        """reference_cpu(request) -> the CPU seconds the reference code needs to answer it
        (None: unknown), for the check's own limit. worker: a WorkerHandle of these cells
        already launched (WorkerHandle.launch), or None."""
        self.submission, self.limits = submission, limits
        self.reference_cpu = reference_cpu or (lambda request: None)
        self.budget = TimeBudget(stages, limits.test_seconds, limits.submission_seconds)
        self.wall = TimeBudget(stages, limits.backstop(limits.test_seconds),
                               limits.wall_factor * limits.submission_seconds)
        self.worker = worker or WorkerHandle(submission.cells, limits, level)
        self.answers = {}            # question -> the worker's reply, as JSON text
        self.stage_notes = {}        # stage -> what its classes deviate from the contract in

    def view(self, stage):
        """What one check of `stage` holds: this submission, with that stage's classes."""
        self.budget.begin_check()
        self.wall.begin_check()
        return StageView(self, stage)

    def _charge(self, stage):
        cpu, wall = self.worker.used
        self.budget.charge(stage, cpu)
        self.wall.charge(stage, wall)

    def _out_of_time(self, stage):
        """None, or the problem to raise when the stage has no time left in either clock."""
        if self.budget.left(stage) <= 0 or self.wall.left(stage) <= 0:
            return StudentProblem(messages.BUDGET.format(seconds=self.budget.stage_seconds(stage)),
                                  "budget")
        return None

    def close(self):
        self.worker.close()

    def ask(self, stage, probe, variant="", **payload):
        """The student's answer to one question of `stage`. The same question asked again by
        another check gets the same answer without running the code again."""
        if stage in self.budget.stopped:
            # the same code would loop again: a stage stops at its first timeout
            raise StudentProblem(messages.STAGE_STOPPED, "timeout")
        request = dict(payload, probe=probe)
        key = json.dumps([stage, variant, request], sort_keys=True)
        if key not in self.answers:
            self.answers[key] = json.dumps(self._ask(stage, variant, request))
        reply = json.loads(self.answers[key])   # a fresh copy: a check cannot change another's
        if reply.get("ok") is True and replies.valid(request, reply.get("value")):
            return Answer(reply["value"])
        if reply.get("ok") is False:
            raise student_error(reply)
        raise StudentProblem(messages.PROTOCOL, "protocol")

    def _ask(self, stage, variant, payload):
        self._ensure_worker(stage)
        if self.worker.prepared != (stage, variant):
            setup = units.stage_setup(stage, variant)
            reply = self._request(stage, setup)
            if reply.get("ok") is not True:
                raise student_error(reply)
            if not replies.valid(setup, reply.get("value")):
                raise StudentProblem(messages.PROTOCOL, "protocol")
            self.worker.prepared = (stage, variant)
        return self._request(stage, payload)

    def _ensure_worker(self, stage):
        if self.submission.problem:
            raise StudentProblem(messages.LOAD_FAILED.format(reason=self.submission.problem), "load")
        if self.worker.loaded is None:
            self.worker.start()          # the first load has its own limit, charged to no stage
            return
        if self.worker.alive:
            return
        # loading again after a crash counts against the stage's time
        if problem := self._out_of_time(stage):
            raise problem
        try:
            self.worker.start(min(self.limits.load_seconds, self.budget.left(stage)),
                              min(self.limits.backstop(self.limits.load_seconds),
                                  self.wall.left(stage)))
        except WorkerProblem as problem:
            if problem.kind == "timeout":
                self.budget.stop(stage)
            raise StudentProblem(problem.message, problem.kind) from None
        finally:
            self._charge(stage)

    def _request(self, stage, payload):
        if problem := self._out_of_time(stage):
            raise problem
        # the check's own limit follows what the reference needs for the same question
        reference = self.reference_cpu(payload)
        own = (self.limits.test_seconds if reference is None
               else self.limits.check_seconds(reference))
        left = min(own, self.budget.left(stage))
        stage_bound = self.budget.stage_bound(stage) and self.budget.left(stage) < own
        try:
            reply = self.worker.request(payload, left, own,
                                        min(self.limits.backstop(left), self.wall.left(stage)))
            self._note(stage, reply.get("notes"))
            return reply
        except WorkerProblem as problem:
            if problem.kind == "timeout":
                self.budget.stop(stage)
                if stage_bound:
                    raise StudentProblem(messages.STAGE_TIMEOUT.format(
                        seconds=self.budget.stage_seconds(stage)), "timeout") from None
            raise StudentProblem(problem.message, problem.kind) from None
        finally:
            self._charge(stage)


    def _note(self, stage, notes):
        """Keep the sentences for the deviations a reply reports, once per stage."""
        for note in notes[:10] if isinstance(notes, list) else []:
            text = messages.describe_note(note)
            kept = self.stage_notes.setdefault(stage, [])
            if text and text not in kept and len(kept) < 5:
                kept.append(text)


class Answer(dict):
    """A worker's answer. The worker is the student's process, so any part of an answer
    may be missing or of the wrong type: reading one that is raises StudentProblem (the
    code interfered with the grader), never an error of the grader."""

    def __getitem__(self, key):
        try:
            value = super().__getitem__(key)
        except (KeyError, TypeError):
            raise StudentProblem(messages.PROTOCOL, "protocol") from None
        if isinstance(value, dict) and not isinstance(value, Answer):
            return Answer(value)
        if isinstance(value, list):
            return AnswerList(value)
        return value


class AnswerList(list):
    def __getitem__(self, index):
        try:
            value = super().__getitem__(index)
        except (IndexError, TypeError):
            raise StudentProblem(messages.PROTOCOL, "protocol") from None
        return Answer(value) if isinstance(value, dict) else value

    def __iter__(self):
        for value in super().__iter__():
            yield Answer(value) if isinstance(value, dict) else value


def student_error(reply):
    step = messages.clip(reply.get("step", "running a check"), 200)
    error = messages.clip(reply.get("error", "an error"))
    if not isinstance(reply.get("step"), str) or not isinstance(reply.get("error"), str):
        return StudentProblem(messages.PROTOCOL, "protocol")
    if reply.get("not_implemented"):
        return StudentProblem(messages.NOT_IMPLEMENTED.format(where=step), "not_implemented")
    missing = reply.get("missing")
    if isinstance(missing, dict) and _named(missing.get("name")):
        name, kind = missing["name"], missing.get("kind")
        if kind == "not_a_class":
            return StudentProblem(messages.NOT_A_CLASS.format(name=name), "missing")
        if kind in ("method", "attribute") and _named(missing.get("owner")):
            template = messages.MISSING_METHOD if kind == "method" else messages.MISSING_ATTRIBUTE
            return StudentProblem(template.format(name=name, owner=missing["owner"]), "missing")
        template = (messages.MISSING_AFTER_ERRORS if missing.get("after_errors") is True
                    else messages.MISSING_NAME)
        return StudentProblem(template.format(name=name), "missing")
    raised = messages.RAISED.format(where=step[0].upper() + step[1:], error=error)
    module = reply.get("module")
    if isinstance(module, str) and re.fullmatch(r"\.{0,5}[A-Za-z_][A-Za-z0-9_]{0,80}", module):
        return StudentProblem(f"{raised} {messages.NOT_AVAILABLE_USED.format(module=module)}", "error")
    return StudentProblem(raised, "error")


def _named(name):
    return isinstance(name, str) and name in messages.MISSABLE


class StageView:
    """The questions a check of one stage asks the student's code."""

    def __init__(self, grading, stage):
        self.grading, self.stage = grading, stage

    def graph(self, nodes, read, variant="", **run):
        return self.grading.ask(self.stage, "graph", variant, nodes=nodes, read=read, **run)

    def model(self, kind, args, variant="", **request):
        return self.grading.ask(self.stage, "model", variant, kind=kind, args=list(args), **request)

    def train(self, **request):
        return self.grading.ask(self.stage, "train", **request)


_REFERENCE_ANSWERS = {}
_REFERENCE_CPU = {}


@functools.cache
def reference_view():
    """The one ReferenceView of this process (its answers are kept for every submission)."""
    return ReferenceView()


def reference_cpu(request):
    """The CPU seconds the reference code needs to answer `request` (a worker request:
    probe and payload), measured the one time this process computes that answer; None for
    a request the reference does not answer the same way (setting up a stage's classes)."""
    if request.get("probe") in (None, "prepare"):
        return None
    payload = {k: v for k, v in request.items() if k != "probe"}
    try:
        return reference_view().cpu(request["probe"], **payload)
    except Exception:               # a question the reference cannot answer: no own limit
        return None


class ReferenceView:
    """The same questions answered by the reference code, in the judge's own process.

    The reference is trusted code (generated from solutions/); it runs the very probe
    functions the worker runs, so the expected answers mean exactly what the student's do.
    """

    def __init__(self):
        from . import harness, reference

        harness.configure(contract.NAMES)
        self.bench = Workbench({})
        self.bench.names = {name: getattr(reference, name) for name in contract.NAMES}

    def _key(self, probe, payload):
        return json.dumps([probe, self.bench.names["train"].__name__, payload], sort_keys=True)

    def _run(self, probe, **payload):
        # All submissions of one grading run get the same inputs, so the reference's answer
        # to a question is computed once per process, not once per submission; the CPU time
        # that took is kept too, for the limit of the student's code on the same question.
        key = self._key(probe, payload)
        if key not in _REFERENCE_ANSWERS:
            started = time.thread_time()
            reply = answer(self.bench, dict(payload, probe=probe))
            _REFERENCE_CPU[key] = time.thread_time() - started
            if not reply.get("ok"):
                raise RuntimeError(f"the reference failed: {reply}")
            _REFERENCE_ANSWERS[key] = json.dumps(reply["value"])
        return json.loads(_REFERENCE_ANSWERS[key])

    def cpu(self, probe, **payload):
        """The CPU seconds the reference needed to answer this question."""
        key = self._key(probe, payload)
        if key not in _REFERENCE_CPU:
            self._run(probe, **payload)
        return _REFERENCE_CPU[key]

    def graph(self, nodes, read, variant="", **run):
        return self._run("graph", nodes=nodes, read=read, **run)

    def model(self, kind, args, variant="", **request):
        return self._run("model", kind=kind, args=list(args), **request)

    def train(self, **request):
        return self._run("train", **request)

    def train_with(self, train, **request):
        """The reference model trained by another train function (a known mistake)."""
        original = self.bench.names["train"]
        self.bench.names["train"] = train
        try:
            return self._run("train", **request)
        finally:
            self.bench.names["train"] = original
