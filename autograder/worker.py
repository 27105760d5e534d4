"""The judge's side of a worker: start it, talk to it, stop it, whatever the student's code does.

The worker (harness.py) runs in its own session, in a fresh temporary folder, with no
site-packages. Answers come back on a private pipe as JSON lines; what the student prints
goes to a capped file.

Each request has two limits. The CPU time the worker and everything it started used (its
control group's count, or its process tree's) is what the student's code needs, whatever
else the machine is doing: waiting for a core costs nothing. A wall-clock backstop, many
times longer, catches code that sleeps or blocks. Past either, or when the process dies,
the whole process group is killed and the judge gets a `WorkerProblem` that says what
happened in plain words. `used` holds what the last start or request took, in both clocks.
"""

import hashlib
import hmac
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from . import contract, messages, sandbox
from .cgroup import WorkerGroup
from .channel import Closed, LineReader, LineTooLong

HARNESS = Path(__file__).with_name("harness.py")
MAX_REPLY_BYTES = 2_000_000
MOMENT = 0.005       # the shortest wait between two looks at the worker's CPU time


class WorkerProblem(Exception):
    """The worker did not answer: kind is "timeout", "crashed" or "protocol"."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind, self.message = kind, message


class Worker:
    def __init__(self, cells, limits, level="limits"):
        self.cells, self.limits, self.level = cells, limits, level
        self.proc = None
        self.folder = None
        self.replies = None         # LineReader on the private pipe, once started
        self.group = None           # the control group of the worker and all it starts
        self._key = secrets.token_bytes(32)   # the worker's driver signs its lines with it
        self._output_fd = None      # output.txt, opened by the judge before the code runs
        self._last_output = ""      # what was printed, kept when the worker is stopped
        self._next_id = 0
        self._cpu_base = 0.0        # the CPU count when this worker started
        self._cpu_seen = 0.0        # the highest CPU time seen so far (counts only grow)
        self.used = (0.0, 0.0)      # (CPU, wall) seconds the last start or request took

    # -- life cycle ------------------------------------------------------------------------

    def launch(self):
        """Start the process and send it the cells, without waiting for it (finish_start
        waits). Both halves run in the same thread: the sandbox ties the worker's life to
        the thread that started it."""
        self.folder = Path(tempfile.mkdtemp(prefix="micrograd-worker-"))
        harness = self.folder / HARNESS.name
        shutil.copyfile(HARNESS, harness)
        # the judge reads what was printed through its own descriptor, opened before the
        # student's code runs: replacing output.txt by a link or a FIFO changes nothing here
        self._output_fd = os.open(self.folder / "output.txt",
                                  os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        read_end, write_end = os.pipe()
        self.group = WorkerGroup.acquire(self.limits.processes, self.limits.group_memory_bytes,
                                         sandbox.NOBODY if self.level == "separate-user" else None)
        self._cpu_base = self.group.cpu_seconds() if self.group else _children_cpu()
        self._cpu_seen = 0.0
        argv, where = sandbox.popen_arguments(self.level, self.folder, harness, write_end,
                                              self.limits.disk_mb, self.group)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.folder), "LANG": "C.UTF-8",
               "TMPDIR": str(self.folder), "PYTHONHASHSEED": sandbox.HASH_SEED}
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(write_end,), env=env, start_new_session=True, **where)
        finally:
            os.close(write_end)
        self.replies = LineReader(read_end, MAX_REPLY_BYTES, self._unwrap)
        init = {"names": list(contract.NAMES), "limits": self.limits.for_worker(),
                "key": self._key.hex(), "cells": self.cells}
        self._write(init)
        self._launched = time.monotonic()

    def finish_start(self, seconds=None, wall_seconds=None):
        """Wait for the report of the cells launch() sent: they may use `seconds` of CPU time
        (default the load limit) and `wall_seconds` of wall-clock time (default the backstop
        for that), both counted from the launch; returns {"cell_errors": [...], "defined": [...]}."""
        limit = seconds or self.limits.load_seconds
        clock = self._clock(limit, wall_seconds or self.limits.backstop(limit), started=0.0)
        clock["wall0"] = self._launched
        while True:
            # anything on the pipe that is not a well-formed load report is not ours: skip it
            reply = self._read(clock, messages.DURING_LOAD, limit)
            if reply.get("loaded") is True and isinstance(reply.get("tampered"), list):
                self.stop()
                raise WorkerProblem("tampered", messages.TAMPERED)
            errors, defined = reply.get("cell_errors"), reply.get("defined")
            if (reply.get("loaded") is True and isinstance(errors, list) and isinstance(defined, list)
                    and all(isinstance(e, dict) and isinstance(e.get("cell"), str)
                            and isinstance(e.get("error"), str) for e in errors)):
                break
        for e in errors:
            e["cell"], e["error"] = messages.clip(e["cell"]), messages.clip(e["error"])
        return reply

    def stop(self):
        """Kill the worker and everything it started in its session; remove its folder."""
        self.cpu_seconds()          # the last count, before the group goes to the next worker
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            for stream in (self.proc.stdin,):
                try:
                    stream.close()
                except OSError:
                    pass
            try:
                os.close(self.replies.fd)
            except OSError:
                pass
            self.proc = None
        if self.group is not None:
            self.group.release()    # kills what left the worker's session too
            self.group = None
        if self._output_fd is not None:
            self._last_output = self.output()
            os.close(self._output_fd)
            self._output_fd = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def cpu_seconds(self):
        """CPU time the worker and what it started used since it started."""
        if self.proc is not None:
            if self.group is not None:
                now = self.group.cpu_seconds() - self._cpu_base
            else:
                # no control group: the live process tree, plus the ones already reaped
                now = _tree_cpu(self.proc.pid) + _children_cpu() - self._cpu_base
            self._cpu_seen = max(self._cpu_seen, now)
        return self._cpu_seen

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self, limit=4000):
        """The first bytes the student's code printed, for the instructor's eyes."""
        if self._output_fd is None:
            return self._last_output
        try:
            return os.pread(self._output_fd, limit, 0).decode("utf-8", "replace")
        except OSError:
            return ""

    # -- requests ---------------------------------------------------------------------------

    def request(self, payload, seconds, during, limit=None, wall_seconds=None):
        """Send one request; let it use at most `seconds` of CPU time and `wall_seconds` of
        wall-clock time (default: the backstop for `seconds`). A timeout message names
        `limit` (the limit the student can look up), which may be longer than what was left."""
        self._next_id += 1
        payload = dict(payload, id=self._next_id)
        clock = self._clock(seconds, wall_seconds or self.limits.backstop(seconds))
        self._write(payload)
        while True:
            reply = self._read(clock, during, limit or seconds)
            if reply.get("id") == self._next_id:
                return reply
            # anything else on the pipe is not an answer to this request: ignore it

    def _clock(self, cpu_limit, wall_limit, started=None):
        """What one start or request may use, and where both clocks stood when it began."""
        return {"cpu": cpu_limit, "wall": wall_limit, "wall0": time.monotonic(),
                "cpu0": self.cpu_seconds() if started is None else started}

    def _spent(self, clock):
        self.used = (max(self.cpu_seconds() - clock["cpu0"], 0.0),
                     time.monotonic() - clock["wall0"])
        return self.used

    def _write(self, message):
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._died(messages.DURING_REQUEST)

    def _unwrap(self, line):
        """The JSON text of a line the driver signed; None for any other line."""
        mac, _, text = line.partition(b" ")
        good = hmac.new(self._key, text, hashlib.sha256).hexdigest().encode()
        return text if hmac.compare_digest(mac, good) else None

    @property
    def forged(self):
        """How many lines on the pipe were not the driver's (the student's code wrote them)."""
        return self.replies.forged if self.replies is not None else 0

    def _read(self, clock, during, limit):
        """The next line on the pipe, as a dict ({} for anything that is not a JSON object),
        while the worker is within both of the clock's limits.

        Between two looks at its CPU time the judge waits as long as the worker could still
        use: with the control group's one-core bound it cannot use more than the wall-clock
        time that passed, so a worker that spins is stopped right at its limit, and one that
        waits for a core is looked at a few times more."""
        while True:
            cpu, wall = self._spent(clock)
            if cpu >= clock["cpu"]:
                self.stop()
                raise WorkerProblem("timeout", messages.TIMEOUT.format(during=during, seconds=limit))
            if wall >= clock["wall"]:
                self.stop()
                raise WorkerProblem("timeout", messages.STALLED.format(during=during, seconds=wall))
            try:
                reply = self.replies.next(max(min(clock["cpu"] - cpu, clock["wall"] - wall), MOMENT))
            except Closed:
                self._spent(clock)
                raise self._died(during) from None
            except LineTooLong:
                self._spent(clock)
                self.stop()
                raise WorkerProblem("protocol", messages.PROTOCOL) from None
            if reply is not None:
                self._spent(clock)
                return reply

    def _died(self, during):
        """The process ended: say how, then clean up after it."""
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
        self.stop()
        return WorkerProblem("crashed", messages.describe_exit(code, during))


_TICK = os.sysconf("SC_CLK_TCK")


def _children_cpu():
    """CPU time of this process's children that ended and were waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(pid):
    """CPU time of a live process and its descendants (with the children they waited for)."""
    total, todo = 0.0, [pid]
    while todo:
        pid = todo.pop()
        try:
            fields = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()
            total += sum(int(f) for f in fields[11:15]) / _TICK     # utime stime cutime cstime
            for task in os.listdir(f"/proc/{pid}/task"):
                todo += [int(c) for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
        except (OSError, ValueError):
            pass
    return total
