"""Hostile files in a submission: the grader reads only what was handed in (autograder/files.py).

A folder, a zip or a class may hold a symbolic link to the grader's reference code or to
another student's file, a FIFO that would block whoever opens it, a link to a folder outside.
The grader reads submissions as itself (as root on Gradescope), outside every sandbox: each
such submission is refused with one sentence and scores nothing, and nothing is followed.
"""

import json
import os
import stat
import zipfile

import pytest

from grader_run import run_cli
from autograder import files

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(REPO, "autograder", "reference.py")


def grade(path, tmp_path):
    out = tmp_path / "results.json"
    run = run_cli("grade", path, "--json", out, "--stage", "1", "--seed", "1", timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(out.read_text()), run.stdout


def folder_with(tmp_path, make):
    folder = tmp_path / "handed_in"
    folder.mkdir()
    make(folder)
    return folder


@pytest.mark.parametrize("make, words", [
    (lambda f: os.symlink(REFERENCE, f / "answer.py"), "answer.py, which is a symbolic link"),
    (lambda f: (os.symlink(os.path.join(REPO, "autograder"), f / "more"),
                (f / "answer.py").write_text("x = 1\n")), "more, which is a symbolic link"),
    (lambda f: os.mkfifo(f / "answer.py"), "answer.py, which is a named pipe"),
    (lambda f: ((f / "sub").mkdir(), os.symlink(REFERENCE, f / "sub" / "a.py")),
     "sub/a.py, which is a symbolic link"),
], ids=["link_to_the_reference", "link_to_a_folder_outside", "fifo", "link_in_a_subfolder"])
def test_is_a_folder_holding_a_link_or_a_fifo_refused_without_reading_it(tmp_path, make, words):
    results, stdout = grade(folder_with(tmp_path, make), tmp_path)
    assert results["score"] == 0 and words in results["output"]
    assert "def backward" not in json.dumps(results)


def test_is_a_submission_that_is_itself_a_link_refused(tmp_path):
    link = tmp_path / "mine.py"
    os.symlink(REFERENCE, link)
    results, _ = grade(link, tmp_path)
    assert results["score"] == 0 and "mine.py is a symbolic link" in results["output"]


def test_is_a_zip_holding_a_link_refused(tmp_path):
    path = tmp_path / "mine.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("answer.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, REFERENCE)
    results, _ = grade(path, tmp_path)
    assert results["score"] == 0 and "answer.py, which is a symbolic link" in results["output"]


def test_is_the_same_file_handed_in_for_real_graded(tmp_path):
    folder = folder_with(tmp_path, lambda f: (f / "answer.py").write_bytes(open(REFERENCE, "rb").read()))
    results, _ = grade(folder, tmp_path)
    assert results["score"] == 20


def test_does_reading_never_follow_a_link_nor_block_on_a_fifo(tmp_path):
    os.symlink(REFERENCE, tmp_path / "link.py")
    os.mkfifo(tmp_path / "pipe.py")
    for name in ("link.py", "pipe.py"):
        with pytest.raises(files.Refused):
            files.read(tmp_path / name)
    (tmp_path / "big.py").write_bytes(b"#" * 2000)
    with pytest.raises(files.Refused):
        files.read(tmp_path / "big.py", limit=1000)


def test_is_a_folder_of_too_many_entries_refused(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(files.MAX_ENTRIES + 1):
        (folder / f"f{i}.txt").touch()
    with pytest.raises(files.Refused):
        files.walk(folder)
