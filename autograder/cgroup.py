"""A control group for each worker: the grader's own bounds on everything the worker starts.

Resource limits (setrlimit) bound one process at a time, and under bubblewrap the worker's
user is the grader's in disguise, so a limit on the number of processes does not hold there.
A control group bounds the worker and every process it starts, together:
- `pids.max`: how many processes and threads, all together (a fork storm stops there);
- `cpu.cfs_quota_us`: at most one core, all together, whatever the host's scheduler does, so
  a submission that forks cannot take its neighbours' cores;
- `memory.limit_in_bytes`: the memory of all of them, files in memory-backed folders included;
- `cpuacct.usage`: the CPU time all of them used, which the judge's time limits count.
When the worker ends, every process still in the group is killed, also one that left the
worker's session (setsid), and the group is removed.

This needs cgroups v1 controllers the grader may write (root, as on Gradescope and in
containers). Where there are none, `create` returns None and the other bounds still apply;
docs/security.md says which machines have which.
"""

import atexit
import itertools
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("pids", "cpu", "memory", "cpuacct")
_numbers = itertools.count()


def _own_group(controller):
    """Where this process sits in the controller's hierarchy, from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            return ROOT / controller / path.lstrip("/")
    return None


def available():
    """Can this process make control groups with every controller the worker needs?"""
    try:
        return all(folder is not None and os.access(folder, os.W_OK)
                   and (folder / "cgroup.procs").exists()
                   for folder in map(_own_group, CONTROLLERS))
    except OSError:
        return False


# A worker starts through this shell line: it writes its own pid into each group's
# cgroup.procs, then becomes the worker's command, so the worker and everything it starts
# are in the group from their first instruction.
JOIN_THEN_EXEC = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


class WorkerGroup:
    """One control group, used by one worker at a time and reused by the next (making and
    removing a group costs more than starting a worker)."""

    _idle = []

    def __init__(self, folders):
        self.folders = folders      # one folder per hierarchy (cpu and cpuacct may share one)
        self.usage_fd = None        # cpuacct.usage, open for reading

    def folder(self, controller):
        """The group's folder in the hierarchy that holds `controller`."""
        return next(f for f in self.folders if (f / f"{controller}.{_FILE[controller]}").exists())

    @classmethod
    def acquire(cls, processes, memory_bytes, owner=None):
        """A group with these bounds, or None where control groups cannot be made. owner: a
        uid that must be able to join it (the separate-user level)."""
        group = cls._idle.pop() if cls._idle else cls._create()
        if group is None:
            return None
        try:
            (group.folder("pids") / "pids.max").write_text(str(processes))
            period = 100_000
            cpu = group.folder("cpu")
            (cpu / "cpu.cfs_period_us").write_text(str(period))
            (cpu / "cpu.cfs_quota_us").write_text(str(period))     # one core, all together
            (group.folder("memory") / "memory.limit_in_bytes").write_text(str(memory_bytes))
            if group.usage_fd is None:     # kept open: the judge reads it many times a check
                group.usage_fd = os.open(group.folder("cpuacct") / "cpuacct.usage", os.O_RDONLY)
            for folder in group.folders:
                os.chown(folder / "cgroup.procs", owner if owner is not None else 0, -1)
        except OSError:
            group.remove()
            return None
        return group

    @classmethod
    def _create(cls):
        if not available():
            return None
        _remove_leftovers()
        name = f"{PREFIX}{os.getpid()}-{next(_numbers)}"
        group = cls([])
        try:
            for folder in dict.fromkeys(_own_group(c) / name for c in CONTROLLERS):
                folder.mkdir()
                group.folders.append(folder)
        except OSError:
            group.remove()
            return None
        if not cls._registered:
            atexit.register(cls._remove_idle)
            cls._registered = True
        return group

    _registered = False

    @classmethod
    def _remove_idle(cls):
        while cls._idle:
            cls._idle.pop().remove()

    def command(self, argv):
        """argv, started inside this group."""
        return ["/bin/sh", "-c", JOIN_THEN_EXEC, "sh",
                *(str(folder / "cgroup.procs") for folder in self.folders), "--", *argv]

    def cpu_seconds(self):
        """CPU time used by every process that was ever in the group (also by earlier
        workers: callers take differences)."""
        try:
            return int(os.pread(self.usage_fd, 64, 0)) / 1e9
        except (OSError, ValueError, TypeError):
            return 0.0

    def pids(self):
        found = set()
        for folder in self.folders:
            try:
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return found

    def kill_all(self, seconds=5.0):
        """SIGKILL every process in the group until none is left (a fork may race a kill)."""
        deadline = time.monotonic() + seconds
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.002)

    def release(self):
        """Kill what is left in the group and keep it for the next worker."""
        self.kill_all()
        if self.pids():
            self.remove()
        elif self.folders and self not in WorkerGroup._idle:
            WorkerGroup._idle.append(self)

    def remove(self):
        if self in WorkerGroup._idle:
            WorkerGroup._idle.remove(self)
        if self.usage_fd is not None:
            os.close(self.usage_fd)
            self.usage_fd = None
        self.kill_all()
        for folder in self.folders:
            for _ in range(200):       # a killed process leaves its group a moment later
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.005)
        self.folders = []


PREFIX = "micrograd-worker-"
_FILE = {"pids": "max", "cpu": "cfs_quota_us", "memory": "limit_in_bytes", "cpuacct": "usage"}


def _remove_leftovers():
    """Groups of grader processes that were killed before they could remove their own."""
    for controller in CONTROLLERS:
        parent = _own_group(controller)
        for folder in parent.glob(f"{PREFIX}*"):
            owner = folder.name[len(PREFIX):].split("-")[0]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                WorkerGroup([folder]).remove()
