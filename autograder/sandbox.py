"""How a worker is confined: the strongest level this machine offers, or the one required.

Levels, strongest first:

- "bubblewrap": the worker runs under bwrap in new user, PID, network, IPC and UTS
  namespaces, with no capabilities, as uid 65534. Its file system shows only the Python
  runtime (read-only, with every site-packages folder hidden), the worker harness, and the
  submission's own temporary folder (the only writable place). It cannot see or signal any
  process of the grader, reach the network, or read the grader, its hidden tests or the
  reference code. When the grader kills it, everything it started dies with it.
- "separate-user": when the grader runs as root but bubblewrap cannot run, the worker runs
  as the unprivileged uid 65534 in its own session: it cannot signal the grader's processes
  or write anything the grader owns, but it sees the file system as that user does.
- "limits": the worker runs as the grader's own user, in its own session and temporary
  folder, with no site-packages.

Every level also applies resource limits inside the worker before the student's code runs
(address space, CPU time, file size, open files, core dumps), and the judge enforces
CPU-time limits (with wall-clock backstops) and kills the worker's whole process group.
"""

import functools
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

LEVELS = ("bubblewrap", "separate-user", "limits")
NOBODY = 65534
SANDBOX_ROOT = "/sandbox"      # the submission's folder, as the worker sees it under bubblewrap
TMP_MB = 16                    # the worker's /tmp under bubblewrap, in MB


# The worker's Python: no site-packages (-S), no user site (-s), no script folder on sys.path
# (-P: the student's code can write files there). Not -I, whose -E would ignore the one
# variable the worker's environment sets on purpose: PYTHONHASHSEED, so that the order of
# sets of strings, and with it the memory layout, is the same on every run.
PYTHON_FLAGS = ["-s", "-P", "-S", "-X", "utf8"]
HASH_SEED = "0"


def deterministic(argv):
    """argv run with address-space randomisation off (setarch -R, inherited by everything it
    runs): a student's Value objects then get the same addresses, so sets of them (`_prev`)
    the same order, and code that depends on that order the same grade on every run."""
    setarch = shutil.which("setarch")
    return [setarch, platform.machine(), "-R", *argv] if setarch else argv


class SandboxUnavailable(Exception):
    """The level asked for cannot run on this machine."""


def interpreter():
    """The real Python binary (not a venv's link), run with -I -S: no site-packages."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


@functools.cache
def _hidden_package_folders():
    """Folders of installed packages, hidden from the worker under bubblewrap (found once
    per process: a judge starts hundreds of workers)."""
    folders = set()
    for scheme in ("purelib", "platlib"):
        for vars_ in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
            try:
                folders.add(sysconfig.get_paths(vars=vars_)[scheme])
            except KeyError:
                pass
    for candidate in ("/usr/lib/python3/dist-packages", "/usr/local/lib/python3/dist-packages",
                      f"/usr/local/lib/python{sys.version_info.major}.{sys.version_info.minor}"):
        folders.add(candidate)
    mounted = (os.path.realpath(sys.base_prefix) + "/", "/usr/")
    return sorted(f for f in folders if os.path.isdir(f) and f.startswith(mounted))


def bubblewrap_command(folder, harness_name, fd, disk_mb=64):
    python = interpreter()
    prefix = os.path.realpath(sys.base_prefix)
    args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.path.realpath(f"/{link}")
        if os.path.islink(f"/{link}") and target.startswith("/usr/"):
            args += ["--symlink", target.lstrip("/"), f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            args += ["--ro-bind", f"/{link}", f"/{link}"]
    if not prefix.startswith("/usr/"):
        args += ["--ro-bind", prefix, prefix]
    for hidden in _hidden_package_folders():
        args += ["--tmpfs", hidden]
    # The worker's folder is a tmpfs of its own, so what it writes is bounded and vanishes
    # with it; the harness is bound read-only and output.txt is bound from the judge's
    # folder: a mount point cannot be deleted or replaced by a link or a FIFO.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_MB << 20), "--tmpfs", "/tmp",
             "--size", str(disk_mb << 20), "--tmpfs", SANDBOX_ROOT,
             "--ro-bind", str(folder / harness_name), f"{SANDBOX_ROOT}/{harness_name}",
             "--bind", str(folder / "output.txt"), f"{SANDBOX_ROOT}/output.txt"]
    # Everything else is read-only: the root bwrap builds, /dev (and its /dev/shm), and the
    # empty folders over site-packages. Only /tmp and the submission's folder can be
    # written, each a tmpfs of a fixed size.
    for hidden in _hidden_package_folders():
        args += ["--remount-ro", hidden]
    args += ["--remount-ro", "/dev", "--remount-ro", "/",
             "--chdir", SANDBOX_ROOT,
             "--clearenv", "--setenv", "HOME", SANDBOX_ROOT, "--setenv", "TMPDIR", SANDBOX_ROOT,
             "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
             "--setenv", "PYTHONHASHSEED", HASH_SEED,
             python, *PYTHON_FLAGS, f"{SANDBOX_ROOT}/{harness_name}", str(fd)]
    return args


@functools.cache
def _works(level):
    """Can this level start a Python that prints? Probed once per process."""
    folder = Path(__import__("tempfile").mkdtemp(prefix="micrograd-probe-"))
    try:
        (folder / "probe.py").write_text("import sys\nprint('ok')\n")
        (folder / "output.txt").touch()
        if level == "bubblewrap":
            if not shutil.which("bwrap"):
                return "the bwrap program is not installed (Debian: apt-get install bubblewrap)"
            cmd = bubblewrap_command(folder, "probe.py", 0)
            kwargs = {}
        elif level == "separate-user":
            if os.geteuid() != 0:
                return "the grader is not running as root, so it cannot switch to another user"
            os.chown(folder, NOBODY, NOBODY)
            cmd, kwargs = [interpreter(), "-I", "-S", str(folder / "probe.py")], {
                "user": NOBODY, "group": NOBODY, "extra_groups": [], "cwd": folder}
        else:
            return None
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=20, stdin=subprocess.DEVNULL,
                                 **kwargs)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"it could not start ({exc})"
        if out.stdout.strip() != b"ok":
            detail = out.stderr.decode(errors="replace").strip().splitlines()
            return f"it could not run Python ({detail[-1] if detail else 'no output'})"
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def choose(requested="auto"):
    """The level to use: "auto" takes the strongest that works; "strict" demands bubblewrap;
    a level's name demands that level. Raises SandboxUnavailable with the reason."""
    if requested in ("auto", None):
        for level in LEVELS:
            if _works(level) is None:
                return level
    wanted = "bubblewrap" if requested == "strict" else requested
    if wanted not in LEVELS:
        raise SandboxUnavailable(f"unknown sandbox level {requested!r}; choose one of "
                                 f"auto, strict, {', '.join(LEVELS)}")
    reason = _works(wanted)
    if reason:
        raise SandboxUnavailable(f"the {wanted} sandbox cannot run on this machine: {reason}")
    return wanted


def popen_arguments(level, folder, harness, fd, disk_mb=64, group=None):
    """(argv, extra Popen keyword arguments) to start the worker at this level, inside
    `group` (a cgroup.WorkerGroup, or None) from its first instruction."""
    if level == "bubblewrap":
        argv, where = bubblewrap_command(folder, harness.name, fd, disk_mb), {"cwd": folder}
    else:
        argv = [interpreter(), *PYTHON_FLAGS, str(harness), str(fd)]
        where = {"cwd": folder}
    if level == "separate-user":
        os.chown(folder, NOBODY, NOBODY)
        for path in folder.iterdir():
            os.chown(path, NOBODY, NOBODY)
        where.update(user=NOBODY, group=NOBODY, extra_groups=[])
    argv = deterministic(argv)
    return (group.command(argv) if group is not None else argv), where
