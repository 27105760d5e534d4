"""The limits a worker runs under, in one place: each with its type, default and help text.

Time limits count CPU time: what the student's code needs, whatever else the machine is
doing (a busy machine makes code wait for a core, not use more of one). Each has a
wall-clock backstop `wall_factor` times as long (plus a second), for code that sleeps or
waits. A check's own limit follows the work: `reference_multiple` times the CPU time the
reference code needs for the same question, at least `check_floor_seconds`, at most
`test_seconds`.

The defaults are far above what a correct submission needs (the reference solution's cells
load in about 0.05 s and all five stages are checked in about 0.1 s, in a few megabytes),
and low enough that a class with a few runaway submissions is still graded quickly.
"""

from dataclasses import dataclass, field, fields


def _limit(default, help):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Limits:
    test_seconds: float = _limit(1.0, "CPU seconds one check may use, at most")
    reference_multiple: float = _limit(20.0, "a check may use this many times the CPU time "
                                             "the reference code needs for it")
    check_floor_seconds: float = _limit(0.1, "CPU seconds any check may use, however little "
                                             "the reference code needs")
    cell_seconds: float = _limit(0.25, "CPU seconds one cell may use while the submission "
                                      "loads; a slower cell is stopped, and the cells after "
                                      "it share 0.1 s, enough to define functions and classes")
    load_seconds: float = _limit(3.0, "CPU seconds to run the submission's cells before any check")
    submission_seconds: float = _limit(10.0, "CPU seconds for the whole submission's checks, "
                                              "shared equally by the stages graded")
    wall_factor: float = _limit(10.0, "code that sleeps or waits is stopped after this many "
                                      "times its CPU-time limit in wall-clock time, plus a second")
    memory_mb: int = _limit(512, "address space of the process that runs the student's code, in MB")
    output_bytes: int = _limit(1_000_000, "bytes of printed output kept; the rest is dropped")
    disk_mb: int = _limit(64, "space for the files the student's code writes, in MB "
                              "(enforced by the bubblewrap sandbox)")
    processes: int = _limit(64, "processes and threads the student's code may run at once, "
                                "all together (enforced with control groups where the "
                                "machine offers them)")

    @property
    def group_memory_bytes(self):
        """The memory of the worker and all it starts, together: its address space, what
        its memory-backed folders may hold, and room for the interpreter's own pages."""
        return (self.memory_mb + self.disk_mb + 16 + 64) << 20

    def backstop(self, cpu_seconds):
        """The wall-clock time a piece of code with this CPU-time limit may take."""
        return self.wall_factor * cpu_seconds + 1.0

    def check_seconds(self, reference_cpu):
        """The CPU time a check may use, when the reference code needs `reference_cpu`."""
        return min(self.test_seconds,
                   max(self.check_floor_seconds, self.reference_multiple * reference_cpu))

    @property
    def wall_seconds(self):
        """The longest one submission's code can keep the grader waiting: loading once, then
        every check's backstop, all together within the stages' shares of it."""
        return self.backstop(self.load_seconds) + self.wall_factor * self.submission_seconds

    @property
    def cpu_seconds(self):
        """A hard CPU-time cap for the worker: a backstop behind the wall-clock limits."""
        return self.load_seconds + self.submission_seconds

    def for_worker(self):
        return {"memory_mb": self.memory_mb, "output_bytes": self.output_bytes,
                "cpu_seconds": self.cpu_seconds, "cell_seconds": self.cell_seconds,
                "cell_wall_seconds": self.backstop(self.cell_seconds)}

    def to_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, values):
        return cls(**{f.name: f.type(values[f.name]) for f in fields(cls) if f.name in values})

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not value > 0:
                raise ValueError(f"limit --{f.name.replace('_', '-')} must be positive, not {value!r}")


def add_arguments(parser):
    """One command-line option per limit, named after the field: --test-seconds and so on."""
    group = parser.add_argument_group("limits")
    for f in fields(Limits):
        group.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, type=f.type,
                           default=f.default, metavar=f.type.__name__.upper(),
                           help=f"{f.metadata['help']} (default {f.default})")


def from_arguments(args):
    return Limits(**{f.name: getattr(args, f.name) for f in fields(Limits)})
