"""The worker cannot answer for the student (autograder/harness.py's guard, autograder/tampering.py).

A generic answering cell on an all-stub submission tries to make the worker answer the
judge's probes itself: by replacing the driver's function, by wrapping it, by patching the
module it encodes replies with, or by writing replies on the pipe itself. Each is caught:
the submission scores 0 on every stage, every check says it tampered with the grader. The
reference with one harmless extra cell is not flagged.
"""

import pytest

from autograder import messages as M
from autograder.checks import TABLE
from course.mistakes import reference_text, stub_text
from grader_run import Job, grade_all

STUB = stub_text(reference_text())
REFERENCE = reference_text()

# Each attack reaches the driver's module a way the source screen cannot see (names built
# at run time), so the worker's own guard has to catch it.
REACH = '''
import sys as _s
_mod = _s.modules.get("__ma" + "in__")
_fn = type(_s.stdout).write
_driver = getattr(_fn, "__glo" + "bals__")
'''
ATTACKS = {
    # the driver's module by name (the screen sees it: not even run)
    "replaces_the_driver_by_name": 'import sys\nsys.modules["__main__"].answer = lambda b, r: {"id": r.get("id"), "ok": True, "value": {}}\n',
    # the driver's function, replaced through a stand-in's namespace
    "replaces_the_driver": REACH + '_driver["answer"] = lambda b, r: {"id": r.get("id"), "ok": True, "value": {}}\n',
    # the driver's probe table, wrapped
    "wraps_the_probes": REACH + '''
_probes = _driver["PRO" + "BES"]
_real = dict(_probes)
for _k in list(_probes):
    _probes[_k] = lambda bench, request, _f=_real[_k]: _f(bench, request)
''',
    # a class of the driver, patched
    "patches_the_driver_class": REACH + '''
_bench = _driver["Work" + "bench"]
_bench.prepare = lambda self, request: {}
''',
    # the encoder the replies go through
    "patches_the_json_encoder": '''
import json
_real = json.dumps
json.dumps = lambda obj, *a, **k: _real(obj, *a, **k).replace('"ok": false', '"ok": true')
''',
    # replies written on every descriptor, before the driver's own
    "writes_replies_itself": '''
import os
for _fd in range(3, 64):
    for _id in range(1, 80):
        try:
            os.write(_fd, ('{"id": %d, "ok": true, "value": {}}\\n' % _id).encode())
        except OSError:
            break
''',
    # a frame of the driver, from a traceback
    "walks_up_from_a_traceback": '''
def _up():
    try:
        raise ValueError
    except ValueError as e:
        return getattr(e.__traceback__, "tb_" + "frame")
_frame = _up()
''',
}
HARMLESS = {
    "prints_and_plots": 'print("my results:", 1 + 1)\nimport matplotlib.pyplot as plt\nplt.plot([1, 2], [3, 4])\n',
    "uses_logging_warnings_and_a_namedtuple": '''
import collections, logging, warnings
Point = collections.namedtuple("Point", "x y")
logging.getLogger("mine").warning("just a message")
warnings.warn("a warning of my own")
''',
}


def text_file(name, text):
    def build(folder):
        path = folder / name
        path.write_text(text)
        return path
    return build


JOBS = [Job(f"attack_{name}", text_file("mine.py", STUB + "\n" + code)) for name, code in ATTACKS.items()]
JOBS += [Job(f"harmless_{name}", text_file("mine.py", REFERENCE + "\n" + code))
         for name, code in HARMLESS.items()]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_all("tampering", JOBS, tmp_path_factory, batch=True)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_is_an_answering_cell_caught_and_given_nothing(graded, name):
    g = graded[f"attack_{name}"]
    assert g.returncode == 0, g.stderr
    assert g.score == 0
    assert M.TAMPERED in g.results["output"]
    assert all(t["output"].endswith(M.TAMPERED) for t in g.results["tests"])
    assert len(g.results["tests"]) == len(TABLE)


@pytest.mark.parametrize("name", list(HARMLESS))
def test_is_the_reference_with_a_harmless_cell_not_flagged(graded, name):
    g = graded[f"harmless_{name}"]
    assert g.score == 100, g.results["output"]
    assert M.TAMPERED not in g.results["output"]


def test_does_the_class_report_list_the_tampering_under_its_own_heading(tmp_path):
    from grader_run import run_cli

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "honest.py").write_text(REFERENCE)
    (folder / "sly.py").write_text(STUB + "\n" + ATTACKS["replaces_the_driver"])
    out = tmp_path / "out"
    run = run_cli("grade", folder, "--out", out, "--stage", "1", "--seed", "1", "--jobs", "2",
                  timeout=300)
    assert run.returncode == 0, run.stderr
    page = (out / "report.html").read_text()
    section = page[page.index('<section id="tampered">'):page.index('<section id="problems">')]
    assert "sly" in section and "honest" not in section
