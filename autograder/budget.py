"""How much time a submission's code may still use: pure bookkeeping, no clock, no process.

Two limits apply to every piece of the student's code that runs during a check:
- each check may use `test_seconds` in all (its requests and the reloads it causes);
- each stage has a share of `submission_seconds`: an equal part of what the stages before it
  left unused, fixed when the stage starts. One stage's checks, crashes and reloads included,
  cannot starve the stages after it, and time a stage does not use flows forward.
A stage whose code ran past a limit once is stopped: its other checks would run the same code.
"""


class TimeBudget:
    def __init__(self, stages, test_seconds, submission_seconds):
        self.stages = sorted(stages)
        self.test_seconds, self.submission_seconds = test_seconds, submission_seconds
        self.spent = 0.0              # by every check so far
        self.test_spent = 0.0         # by the check being run
        self.share = {}               # stage -> its share, fixed when the stage starts
        self.stage_spent = {}
        self.stopped = set()          # stages whose code ran past a limit

    def begin_check(self):
        self.test_spent = 0.0

    def stage_seconds(self, stage):
        """The stage's share: what is left, split equally between it and the stages after it."""
        if stage not in self.share:
            later = [s for s in self.stages if s >= stage] or [stage]
            self.share[stage] = (self.submission_seconds - self.spent) / len(later)
        return self.share[stage]

    def left(self, stage):
        return min(self.test_seconds - self.test_spent,
                   self.stage_seconds(stage) - self.stage_spent.get(stage, 0.0))

    def stage_bound(self, stage):
        """True when the stage's share, not the check's own limit, is what runs out first."""
        return self.test_seconds - self.test_spent > self.left(stage)

    def charge(self, stage, seconds):
        self.spent += seconds
        self.test_spent += seconds
        self.stage_spent[stage] = self.stage_spent.get(stage, 0.0) + seconds

    def stop(self, stage):
        self.stopped.add(stage)
