"""Results as one typed object: per check, per stage, per submission; with to_json and a report.

Whatever a student's code sends, a result leaves this module bounded and clean: every exit
(to_json, to_record, the renderings) goes through `bounded()`, which removes control
characters and cuts what the student's code can make long (messages, notes, printed output).
"""

from dataclasses import asdict, dataclass, field, fields, replace

from . import messages
from .checks import TABLE
from .contract import STAGE_TITLES
from .text import clean, clean_clip, clip

# What a student's code can make long, cut so that results.json stays under 1 MB even when
# every character takes JSON's longest escape (12 bytes, "\ud83d\ude00"): 38 checks of
# (description + message) and the notes come to about 0.7 MB at most (tests/test_outputs.py).
MESSAGE_CHARS = 1000       # a check's message, a note, a stage note
MAX_NOTES = 20             # notes on the whole submission, and on one stage
OUTPUT_CHARS = 8000        # what the code printed (the worker keeps 4000 bytes of it)
SOURCE_CHARS = 300         # the name of the file a stage was graded from


@dataclass
class CheckResult:
    id: str
    name: str
    stage: int
    points: int
    score: float
    passed: bool
    description: str
    message: str = ""          # what went wrong, for the student (empty when passed)
    kind: str = ""             # "mistake", "not_implemented", "error", "timeout", "crashed", ...
    hint: str = ""             # name of the misconception hint in messages.py, if one matched
    visibility: str = "visible"

    def bounded(self):
        return replace(self, name=clean(self.name), description=clean(self.description),
                       message=clean_clip(self.message, MESSAGE_CHARS), kind=clean(self.kind),
                       hint=clean(self.hint), visibility=clean(self.visibility))

    def to_json(self):
        c = self.bounded()
        output = c.description if c.passed else f"{c.description}\n\n{c.message}"
        return {"name": f"{c.id} {c.name}", "number": c.id, "score": c.score,
                "max_score": c.points, "status": "passed" if c.passed else "failed",
                "output": output, "tags": [f"stage{c.stage}"], "visibility": c.visibility}


@dataclass(frozen=True)
class StageSummary:
    """One stage of one result, worked out once for every rendering."""
    stage: int
    title: str
    score: float
    max: int
    checks: list
    passed: list
    failed: list
    not_started: bool          # every check stopped at a stub that raises NotImplementedError
    notes: list                # sentences for the student about this stage
    source: str = ""           # the file it was graded from, when a student handed in several


@dataclass
class SubmissionResult:
    id: str
    stages: list
    checks: list = field(default_factory=list)
    notes: list = field(default_factory=list)      # loading notes and cell errors, for the student
    output: str = ""                               # what the code printed, for the instructor
    execution_time: float = 0.0
    stage_from_metadata: bool = False
    sandbox: str = ""                              # how the code was confined
    stage_notes: dict = field(default_factory=dict)  # stage -> sentences for the student
    sources: dict = field(default_factory=dict)    # stage -> the file it was graded from, when
                                                   # a student's stages come from several files

    @classmethod
    def not_graded(cls, id, stages, message, kind, **fields):
        """A zero for every check of the stages, each with the message saying why (a file
        that could not be loaded, a grader process that was killed...). The notes default to
        the message alone."""
        fields.setdefault("notes", [message])
        result = cls(id=id, stages=list(stages), **fields)
        result.checks = [CheckResult(id=c.id, name=c.name, stage=c.stage, points=c.points,
                                     score=0, passed=False, description=c.description,
                                     message=message, kind=kind, visibility=c.visibility)
                         for c in TABLE if c.stage in result.stages]
        return result

    @property
    def score(self):
        return sum(c.score for c in self.checks)

    @property
    def max_score(self):
        return sum(c.points for c in self.checks)

    def stage_score(self, stage):
        return sum(c.score for c in self.checks if c.stage == stage)

    def stage_max(self, stage):
        return sum(c.points for c in self.checks if c.stage == stage)

    def summaries(self):
        """A StageSummary for each stage graded, in order."""
        out = []
        for stage in self.stages:
            checks = [c for c in self.checks if c.stage == stage]
            out.append(StageSummary(
                stage=stage, title=STAGE_TITLES[stage], score=sum(c.score for c in checks),
                max=sum(c.points for c in checks), checks=checks,
                passed=[c for c in checks if c.passed], failed=[c for c in checks if not c.passed],
                not_started=bool(checks) and all(c.kind == "not_implemented" for c in checks),
                notes=list(self.stage_notes.get(stage, [])), source=self.sources.get(stage, "")))
        return out

    def bounded(self):
        """A copy without control characters, with the student-made text cut to its bound.
        The id is kept as it is: it names the submission's files (renderings clean it)."""
        return replace(
            self, checks=[c.bounded() for c in self.checks], notes=_bounded_notes(self.notes),
            output=clean_clip(self.output, OUTPUT_CHARS),
            stage_notes={int(stage): _bounded_notes(notes)
                         for stage, notes in self.stage_notes.items()},
            sources={int(stage): clean_clip(name, SOURCE_CHARS) for stage, name in self.sources.items()})

    def to_json(self):
        r = self.bounded()
        return {
            "score": r.score,
            "execution_time": round(r.execution_time, 3),
            "output": "\n".join(r.notes + [f"Stage {stage}: {clip(note, 300)}" for stage in r.stages
                                             for note in r.stage_notes.get(stage, [])[:5]]),
            "stdout_visibility": "hidden",
            "extra_data": {"sandbox": r.sandbox},
            "tests": [c.to_json() for c in r.checks],
        }

    def to_record(self):
        """Everything, for the batch grader's files and the class report."""
        r = self.bounded()
        record = asdict(r)
        record["score"], record["max_score"] = r.score, r.max_score
        return record

    @classmethod
    def from_record(cls, record):
        known = {f.name for f in fields(cls)}
        result = cls(**{k: v for k, v in record.items() if k in known and k != "checks"})
        result.checks = [CheckResult(**c) for c in record.get("checks", [])]
        # JSON keys are strings: {"2": [...]} in the file is stage 2
        result.stage_notes = {int(stage): list(notes) for stage, notes in result.stage_notes.items()}
        result.sources = {int(stage): str(name) for stage, name in result.sources.items()}
        return result

    def report(self):
        """The per-stage report a student reads on stdout."""
        from .render import text_report

        return text_report(self)


@dataclass(frozen=True)
class GradebookRow:
    """One line of the gradebook: one student, their points on each stage they handed in,
    total and max. With the class's stages, the max is the same for every student (the
    points of every stage of the class) and a stage not handed in is "not submitted"."""
    id: str
    stages: dict               # stage -> points, for the stages graded
    total: float
    max: float
    not_submitted: tuple = ()  # stages of the class this student handed nothing in for

    @classmethod
    def of(cls, result, class_stages=None):
        graded = {s.stage: s.score for s in result.summaries()}
        if class_stages is None:
            return cls(id=result.id, stages=graded, total=result.score, max=result.max_score)
        return cls(id=result.id, stages=graded, total=result.score,
                   max=sum(c.points for c in TABLE if c.stage in class_stages),
                   not_submitted=tuple(s for s in class_stages if s not in graded))


def _bounded_notes(notes):
    notes = list(notes)
    if len(notes) > MAX_NOTES:
        left_out = len(notes) - (MAX_NOTES - 1)
        notes = notes[:MAX_NOTES - 1] + [messages.MORE_NOTES.format(count=left_out)]
    return [clean_clip(note, MESSAGE_CHARS) for note in notes]
