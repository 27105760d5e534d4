"""Reading JSON lines from another process, with a size cap: the one way the grader reads one.

Two pipes carry JSON lines into the grader, and each side is trusted for a different reason:
- worker -> judge (worker.py): the worker runs the student's code, which can write anything
  on any descriptor it finds. Every line is untrusted: a line that is not a JSON object is
  skipped, a line past the cap ends the worker, and each reply is validated before a check
  reads it (session.Answer).
- judge -> supervisor (batch.py): a judge is the grader's own code, but the student's code
  can kill or stop it. Its lines are trusted once read; a judge that dies or stops answering
  costs only the submission it was grading.
(A third path, the nbgrader bridge, reads a results.json file its grader subprocess wrote.)
"""

import json
import os
import selectors
import time


class LineTooLong(Exception):
    """The other side sent more than the cap without ending a line."""


class Closed(Exception):
    """The other side closed its end: the process ended."""


class LineReader:
    """JSON objects, one per line, from a non-blocking descriptor."""

    def __init__(self, fd, max_bytes, unwrap=None):
        """unwrap(line) -> the line's JSON text, or None for a line that is not genuine (the
        worker's lines carry a MAC: a line without a good one is counted in `forged`)."""
        self.fd, self.max_bytes, self.unwrap = fd, max_bytes, unwrap
        self.forged = 0
        self.buffer = b""
        os.set_blocking(fd, False)

    def available(self):
        """The complete lines read so far and by one more read, decoded; never waits.
        Raises Closed, LineTooLong."""
        try:
            self._fill()
        except Closed:
            if b"\n" not in self.buffer:
                raise           # lines already read come first; the next call says Closed
        lines = []
        while b"\n" in self.buffer:
            lines.append(self._pop())
        return lines

    def next(self, seconds):
        """The next line, decoded, waiting at most `seconds`; None when the time ran out.
        Raises Closed, LineTooLong."""
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as sel:
            sel.register(self.fd, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if sel.select(timeout=left):
                    self._fill()
        return self._pop()

    def _fill(self):
        """One read of what is there (a writer that never stops cannot keep us reading)."""
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            raise Closed()
        self.buffer += chunk
        if b"\n" not in self.buffer[: self.max_bytes + 1] and len(self.buffer) > self.max_bytes:
            raise LineTooLong()

    def _pop(self):
        line, _, self.buffer = self.buffer.partition(b"\n")
        if len(line) > self.max_bytes:
            raise LineTooLong()
        if self.unwrap is not None:
            line = self.unwrap(line)
            if line is None:
                self.forged += 1
                return {}
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            return {}
        return message if isinstance(message, dict) else {}
