"""The judge's side of a worker: start it, talk to it, stop it, whatever the student's code does.

The worker (harness.py) runs in its own session, in a fresh temporary folder, with no
site-packages. Answers come back on a private pipe as JSON lines; what the student prints
goes to a capped file. Each request has a wall-clock deadline; past it, or when the process
dies, the whole process group is killed and the judge gets a `WorkerProblem` that says what
happened in plain words.
"""

import hashlib
import hmac
import json
import os
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

    # -- life cycle ------------------------------------------------------------------------

    def start(self, seconds=None):
        """Run the submission's cells (within `seconds`, default the load limit); returns
        {"cell_errors": [...], "defined": [...]}."""
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
        argv, where = sandbox.popen_arguments(self.level, self.folder, harness, write_end,
                                              self.limits.disk_mb, self.group)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.folder), "LANG": "C.UTF-8",
               "TMPDIR": str(self.folder)}
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
        limit = seconds or self.limits.load_seconds
        deadline = time.monotonic() + limit
        while True:
            # anything on the pipe that is not a well-formed load report is not ours: skip it
            reply = self._read(max(deadline - time.monotonic(), 0), messages.DURING_LOAD, limit)
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

    def request(self, payload, seconds, during, limit=None):
        """Send one request; wait at most `seconds`. A timeout message names `limit` (the
        limit the student can look up), which may be longer than the time that was left."""
        self._next_id += 1
        payload = dict(payload, id=self._next_id)
        self._write(payload)
        deadline = time.monotonic() + seconds
        while True:
            reply = self._read(max(deadline - time.monotonic(), 0), during, limit or seconds)
            if reply.get("id") == self._next_id:
                return reply
            # anything else on the pipe is not an answer to this request: ignore it

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

    def _read(self, seconds, during, limit=None):
        """The next line on the pipe, as a dict ({} for anything that is not a JSON object)."""
        try:
            reply = self.replies.next(seconds)
        except Closed:
            raise self._died(during) from None
        except LineTooLong:
            self.stop()
            raise WorkerProblem("protocol", messages.PROTOCOL) from None
        if reply is None:
            self.stop()
            raise WorkerProblem("timeout", messages.TIMEOUT.format(during=during,
                                                                   seconds=limit or seconds))
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
