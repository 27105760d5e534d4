"""A submission under grading, as the hidden tests see it.

Tests ask for plain data (`student.graph(...)`, `student.model(...)`, `student.train(...)`)
and get numbers back, or a `StudentProblem` that already says, for the student, why there
are none: not implemented yet, an exception with the line it came from, a timeout, a crash.
A worker that dies is replaced for the next check, so one crash costs only the checks it
touches.
"""

import json
import re
import time

from . import messages, units
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


class Submission:
    def __init__(self, source, limits, level="limits", stages=(1, 2, 3, 4, 5)):
        self.source, self.limits, self.level = source, limits, level
        # each stage has its share of the submission's time, an equal part of what is left
        # when it starts: what one stage's checks use, reloads after its crashes included,
        # cannot starve the stages after it, and time a stage does not use flows forward
        self.stages = list(stages)
        self.stage_budget = {}
        self.timed_out = set()       # stages whose code ran past a limit once already
        self.stage_spent = {}
        self.stage = None
        self.worker = None
        self.load_info = None        # what running the cells reported, the first time
        self.load_problem = None     # why the cells could not be run at all
        self.prepared = None         # (stage, variant) the worker's classes are built for
        self.spent = 0.0             # seconds used by checks so far
        self.test_spent = 0.0
        self.output = ""
        self.answers = {}            # question -> the worker's reply, as JSON text
        self.stage_notes = {}        # stage -> what it found that deviates from the contract

    def begin_test(self):
        self.test_spent = 0.0

    def close(self):
        if self.worker is not None:
            self.output = self.output or self.worker.output()
            self.worker.stop()
            self.worker = None

    def ensure_loaded(self):
        """Run the cells in a worker, once, unless that already failed."""
        if self.source.problem:
            raise StudentProblem(messages.LOAD_FAILED.format(reason=self.source.problem), "load")
        if self.load_problem:
            raise StudentProblem(self.load_problem, "load")
        if self.worker is not None and self.worker.alive:
            return
        if self.worker is not None:
            self.output = self.output or self.worker.output()
            self.worker.stop()
        self.worker = Worker(self.source.cells, self.limits, self.level)
        self.prepared = None
        restart = self.load_info is not None
        started = time.monotonic()
        try:
            if restart:
                # loading again after a crash counts against the stage's time
                left = self._left()
                if left <= 0:
                    raise StudentProblem(messages.BUDGET.format(seconds=self.stage_seconds), "budget")
                info = self.worker.start(min(self.limits.load_seconds, left))
            else:
                info = self.worker.start()
        except WorkerProblem as problem:
            self.worker = None
            if restart:
                if problem.kind == "timeout":
                    self.timed_out.add(self.stage)
                raise StudentProblem(problem.message, problem.kind)
            self.load_problem = messages.LOAD_FAILED.format(reason=problem.message)
            raise StudentProblem(self.load_problem, "load")
        finally:
            if restart:
                self._charge(time.monotonic() - started)
        if self.load_info is None:
            self.load_info = info

    @property
    def stage_seconds(self):
        if self.stage not in self.stage_budget:
            later = [s for s in self.stages if s >= self.stage] or [self.stage]
            self.stage_budget[self.stage] = (self.limits.submission_seconds - self.spent) / len(later)
        return self.stage_budget[self.stage]

    def _left(self):
        return min(self.limits.test_seconds - self.test_spent,
                   self.stage_seconds - self.stage_spent.get(self.stage, 0.0))

    def _charge(self, seconds):
        self.spent += seconds
        self.test_spent += seconds
        self.stage_spent[self.stage] = self.stage_spent.get(self.stage, 0.0) + seconds

    def run(self, stage, probe, variant="", **payload):
        """The student's answer to one question. The same question asked again by another
        check of the stage gets the same answer without running the code again."""
        self.stage = stage
        if stage in self.timed_out:
            # the same code would loop again: a stage stops at its first timeout
            raise StudentProblem(messages.STAGE_STOPPED, "timeout")
        key = json.dumps([stage, variant, probe, payload], sort_keys=True)
        if key not in self.answers:
            self.answers[key] = json.dumps(self._ask(stage, variant, dict(payload, probe=probe)))
        reply = json.loads(self.answers[key])   # a fresh copy: a check cannot change another's
        if reply.get("ok") is True and isinstance(reply.get("value"), dict):
            return Answer(reply["value"])
        if reply.get("ok") is False:
            raise student_error(reply)
        raise StudentProblem(messages.PROTOCOL, "protocol")

    def _ask(self, stage, variant, payload):
        self.ensure_loaded()
        if self.prepared != (stage, variant):
            reply = self._request(units.stage_setup(stage, variant))
            if not reply.get("ok"):
                raise student_error(reply)
            self.prepared = (stage, variant)
        return self._request(payload)

    def _request(self, payload):
        left = self._left()
        if left <= 0:
            raise StudentProblem(messages.BUDGET.format(seconds=self.stage_seconds), "budget")
        started = time.monotonic()
        stage_bound = self.limits.test_seconds - self.test_spent > left
        try:
            reply = self.worker.request(payload, left, messages.DURING_REQUEST,
                                        self.limits.test_seconds)
            self._note(reply.get("notes"))
            return reply
        except WorkerProblem as problem:
            self.prepared = None
            if problem.kind == "timeout":
                self.timed_out.add(self.stage)
            if problem.kind == "timeout" and stage_bound:
                raise StudentProblem(messages.STAGE_TIMEOUT.format(seconds=self.stage_seconds),
                                     "timeout")
            raise StudentProblem(problem.message, problem.kind)
        finally:
            self._charge(time.monotonic() - started)


    def _note(self, notes):
        """Keep the sentences for the deviations a reply reports, once per stage."""
        for note in notes[:10] if isinstance(notes, list) else []:
            text = messages.describe_note(note)
            kept = self.stage_notes.setdefault(self.stage, [])
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
        template = messages.MISSING_AFTER_ERRORS if missing.get("after_errors") is True else messages.MISSING_NAME
        return StudentProblem(template.format(name=name), "missing")
    raised = messages.RAISED.format(where=step[0].upper() + step[1:], error=error)
    module = reply.get("module")
    if isinstance(module, str) and re.fullmatch(r"\.{0,5}[A-Za-z_][A-Za-z0-9_]{0,80}", module):
        return StudentProblem(f"{raised} {messages.NOT_AVAILABLE_USED.format(module=module)}", "error")
    return StudentProblem(raised, "error")


# the names a worker's reply may say are missing: the contract's, and what its checks use
CONTRACT_NAMES = {"Value", "Neuron", "Layer", "MLP", "train", "backward", "tanh", "exp", "relu",
                  "parameters", "_prev"}


def _named(name):
    return isinstance(name, str) and name in CONTRACT_NAMES


class StageView:
    """What a test of one stage holds: the submission, with that stage's classes."""

    def __init__(self, submission, stage):
        self.submission, self.stage = submission, stage

    def graph(self, nodes, read, variant="", **run):
        return self.submission.run(self.stage, "graph", variant, nodes=nodes, read=read, **run)

    def model(self, kind, args, **request):
        return self.submission.run(self.stage, "model", kind=kind, args=list(args), **request)

    def train(self, **request):
        return self.submission.run(self.stage, "train", **request)


_REFERENCE_ANSWERS = {}


class ReferenceView:
    """The same questions answered by the reference code, in the judge's own process.

    The reference is trusted code (generated from solutions/); it runs the very probe
    functions the worker runs, so the expected answers mean exactly what the student's do.
    """

    def __init__(self):
        from . import reference

        self.bench = Workbench({})
        self.bench.names = {name: getattr(reference, name)
                            for name in ("Value", "Neuron", "Layer", "MLP", "train")}

    def _run(self, probe, **payload):
        # All submissions of one grading run get the same inputs, so the reference's answer
        # to a question is computed once per process, not once per submission.
        key = json.dumps([probe, self.bench.names["train"].__name__, payload], sort_keys=True)
        if key not in _REFERENCE_ANSWERS:
            reply = answer(self.bench, dict(payload, probe=probe))
            if not reply.get("ok"):
                raise RuntimeError(f"the reference failed: {reply}")
            _REFERENCE_ANSWERS[key] = json.dumps(reply["value"])
        return json.loads(_REFERENCE_ANSWERS[key])

    def graph(self, nodes, read, variant="", **run):
        return self._run("graph", nodes=nodes, read=read, **run)

    def model(self, kind, args, **request):
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
