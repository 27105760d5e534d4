"""The control group of a worker (autograder/cgroup.py): the bounds it sets, and that a worker
started through it is inside it from the start and leaves nothing behind."""

import os
import subprocess
import time

import pytest

from autograder import cgroup

pytestmark = pytest.mark.skipif(not cgroup.available(),
                                reason="this machine lets the grader make no control groups")


@pytest.fixture
def group():
    g = cgroup.WorkerGroup.acquire(processes=16, memory_bytes=200 << 20)
    yield g
    g.remove()


def test_does_the_group_bound_processes_one_core_and_memory(group):
    pids, cpu, memory = (group.folder(c) for c in ("pids", "cpu", "memory"))
    assert (pids / "pids.max").read_text().strip() == "16"
    assert (cpu / "cpu.cfs_quota_us").read_text().strip() == (cpu / "cpu.cfs_period_us").read_text().strip()
    assert int((memory / "memory.limit_in_bytes").read_text()) == 200 << 20


def test_is_a_worker_in_its_group_from_its_first_instruction_and_bounded_there(group):
    forks = ("import os, time\nmade = 0\ntry:\n    for _ in range(100):\n"
             "        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
             "        made += 1\nexcept OSError:\n    pass\nprint(made, flush=True)\ntime.sleep(30)\n")
    proc = subprocess.Popen(group.command(["python3", "-c", forks]), stdout=subprocess.PIPE, text=True)
    made = int(proc.stdout.readline())
    assert proc.pid in group.pids()
    assert made < 16 and len(group.pids()) == made + 1
    group.release()          # kills every process of the group
    assert proc.wait(timeout=10) == -9 and group.pids() == set()


def test_does_a_detached_process_die_with_its_group(group):
    detach = ("import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(30)\n"
              "    os._exit(0)\nprint('ok', flush=True)\n")
    proc = subprocess.Popen(group.command(["python3", "-c", detach]), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ok"
    proc.wait(timeout=10)
    left = group.pids()
    assert len(left) == 1                      # the setsid child, outside the session
    group.kill_all()
    time.sleep(0.05)
    assert group.pids() == set() and not any(os.path.exists(f"/proc/{p}/status") and
                                             "zombie" not in open(f"/proc/{p}/status").read()
                                             for p in left)


def test_does_the_group_count_the_cpu_time_of_every_process_in_it(group):
    # two processes spin for a moment each: the group's count holds both, the judge's
    # own time (this test's process) is not in it
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.15: pass\n"
    before = group.cpu_seconds()
    for _ in range(2):
        subprocess.run(group.command(["python3", "-c", spin]), check=True)
    used = group.cpu_seconds() - before
    assert 0.3 <= used < 0.3 + 0.5, used
