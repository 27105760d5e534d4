"""Results as one typed object: per check, per stage, per submission; with to_json and a report."""

from dataclasses import asdict, dataclass, field, fields

from .checks import STAGE_TITLES


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

    def to_json(self):
        output = self.description if self.passed else f"{self.description}\n\n{self.message}"
        return {"name": f"{self.id} {self.name}", "number": self.id, "score": self.score,
                "max_score": self.points, "status": "passed" if self.passed else "failed",
                "output": output, "tags": [f"stage{self.stage}"], "visibility": self.visibility}


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
    stage_notes: dict = field(default_factory=dict)

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

    def _stage_notes(self, stage):
        # a record read back from JSON has the stages as text
        return self.stage_notes.get(stage) or self.stage_notes.get(str(stage)) or []

    def to_json(self):
        return {
            "score": self.score,
            "execution_time": round(self.execution_time, 3),
            "output": "\n".join(self.notes + [f"Stage {stage}: {note}" for stage in self.stages
                                                for note in self._stage_notes(stage)]),
            "stdout_visibility": "hidden",
            "extra_data": {"sandbox": self.sandbox},
            "tests": [c.to_json() for c in self.checks],
        }

    def to_record(self):
        """Everything, for the batch grader's files and the class report."""
        record = asdict(self)
        record["score"], record["max_score"] = self.score, self.max_score
        return record

    @classmethod
    def from_record(cls, record):
        known = {f.name for f in fields(cls)}
        result = cls(**{k: v for k, v in record.items() if k in known and k != "checks"})
        result.checks = [CheckResult(**c) for c in record.get("checks", [])]
        return result

    def report(self):
        """The per-stage report a student reads on stdout."""
        lines = [f"Submission: {self.id}"]
        if self.stage_from_metadata:
            lines.append(f"This is the course's stage {self.stages[0]} notebook (or its .py): grading stage {self.stages[0]} only.")
        for note in self.notes:
            lines.append(f"Note: {note}")
        for stage in self.stages:
            stage_checks = [c for c in self.checks if c.stage == stage]
            lines.append("")
            lines.append(f"Stage {stage}: {STAGE_TITLES[stage]}    "
                         f"{_pts(self.stage_score(stage))} / {self.stage_max(stage)}")
            for note in self._stage_notes(stage):
                lines.append(_indent(f"Note: {note}", prefix="  "))
            if stage_checks and all(c.kind == "not_implemented" for c in stage_checks):
                lines.append("  Not started yet: every check stopped at a stub that raises "
                             "NotImplementedError.")
                continue
            for c in stage_checks:
                mark = "PASS" if c.passed else "FAIL"
                lines.append(f"  {mark}  {c.id}  {c.name}  ({_pts(c.score)}/{c.points})")
                if not c.passed:
                    lines.append(_indent(f"Checked: {c.description}"))
                    lines.append(_indent(c.message))
        lines.append("")
        lines.append(f"Total: {_pts(self.score)} / {self.max_score}")
        return "\n".join(lines)


def _pts(x):
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _indent(text, width=88, prefix="        "):
    import textwrap

    return "\n".join(textwrap.fill(par, width, initial_indent=prefix, subsequent_indent=prefix)
                     for par in text.split("\n") if par.strip())
