"""Reading what a student handed in, and nothing else.

A submission's folder is the student's: it may hold a symbolic link to the grader's reference
code or to another student's file, a FIFO that blocks whoever opens it, a device. The grader
reads it as itself (as root, on Gradescope), outside every sandbox, so it never follows a
link: every entry is looked at with lstat, every file is opened with O_NOFOLLOW and checked to
be a regular file once open. Anything else refuses the whole submission, with one sentence.
"""

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 5_000_000     # a notebook of the course is about 50 kB
MAX_ENTRIES = 1000             # files and folders in a submission's folder


class Refused(OSError):
    """The submission holds something the grader will not read; strerror says what."""

    def __init__(self, sentence):
        super().__init__(sentence)
        self.strerror = sentence


def _kind(mode):
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_entry(path):
    """Refused unless `path` itself (not what it points to) is a regular file or a folder."""
    mode = os.lstat(path).st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise Refused(f"{Path(path).name} is {_kind(mode)}: hand in the file itself.")
    return mode


def walk(folder, skip=lambda name: False):
    """The regular files under `folder`, as paths relative to it (POSIX), sorted; folders
    and files whose name `skip` says are not looked into. Refused on a link, a FIFO, a
    device, or more than MAX_ENTRIES entries."""
    found, count, pending = [], 0, [Path(folder)]
    while pending:
        here = pending.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                if skip(entry.name):
                    continue
                count += 1
                if count > MAX_ENTRIES:
                    raise Refused(f"{Path(folder).name} holds more than {MAX_ENTRIES} files and "
                                  "folders; a submission is one file.")
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    pending.append(Path(entry.path))
                elif stat.S_ISREG(mode):
                    found.append(Path(entry.path).relative_to(folder).as_posix())
                else:
                    raise Refused(f"{Path(folder).name} holds "
                                  f"{Path(entry.path).relative_to(folder).as_posix()}, which is "
                                  f"{_kind(mode)}: hand in the files themselves.")
    return sorted(found)


def read(path, limit=MAX_FILE_BYTES):
    """The bytes of a regular file, never through a link; Refused past `limit` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == 40:   # ELOOP: the last component is a symbolic link
            raise Refused(f"{Path(path).name} is a symbolic link: hand in the file itself.") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{Path(path).name} is {_kind(info.st_mode)}: hand in the file itself.")
        if info.st_size > limit:
            raise Refused(f"{Path(path).name} is larger than {limit // 1_000_000} MB, far more "
                          "than any answer needs.")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise Refused(f"{Path(path).name} is larger than {limit // 1_000_000} MB, far "
                              "more than any answer needs.")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
