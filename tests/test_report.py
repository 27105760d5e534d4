"""autograder/report.py: the instructor's class report, report.html.

The class is built from SubmissionResult objects directly (no grading): ten submissions with
the classic mistakes, one of them named like a script tag and carrying HTML in its messages.
The last tests open the page in a real browser (Debian's chromium) when it is installed.
"""

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder import messages, report
from autograder.checks import CHECKS, TABLE
from autograder.results import CheckResult, SubmissionResult
from autograder.text import points

REPO = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>"
BOLD_MESSAGE = "a.grad is <b>0</b>, expected 2.0"


def submission(sid, failures=None, stages=(1, 2, 3, 4, 5), notes=()):
    """failures: {check id: (kind, hint name, message)}; every other check passes."""
    failures = failures or {}
    result = SubmissionResult(id=sid, stages=list(stages), notes=list(notes))
    for c in TABLE:
        if c.stage not in stages:
            continue
        kind, hint, message = failures.get(c.id, ("", "", ""))
        passed = c.id not in failures
        result.checks.append(CheckResult(
            id=c.id, name=c.name, stage=c.stage, points=c.points, score=c.points if passed else 0,
            passed=passed, description=c.description, message=message, kind=kind, hint=hint))
    return result


def mistake(hint, text="The value is wrong."):
    return ("mistake", hint, f"{text} {getattr(messages, hint)}" if hint else text)


def every(stage, kind, message):
    return {c.id: (kind, "", message) for c in TABLE if c.stage == stage}


TIMEOUT = messages.TIMEOUT.format(during=messages.DURING_LOAD, seconds=2)
EXITED = messages.describe_exit(0, messages.DURING_REQUEST)
NOT_IMPLEMENTED = messages.NOT_IMPLEMENTED.format(where="computing out")


def fake_class():
    timeout_everywhere = {}
    for stage in range(1, 6):
        timeout_everywhere |= every(stage, "load", "Not graded: " + TIMEOUT)
    return [
        submission("alice"),
        submission("bob", {"1.6": mistake("OVERWRITES_GRAD"), "1.7": mistake("REUSED_NODE")}),
        submission("carol", {cid: mistake("TRAIN_NOT_ZEROED") for cid in ("5.3", "5.4", "5.5")}),
        submission(HOSTILE, {"1.6": mistake("OVERWRITES_GRAD", "<b>bold</b> claim")},
                   notes=["<img src=x onerror=alert(2)>"]),
        submission("dave", timeout_everywhere, notes=["Not graded: " + TIMEOUT]),
        submission("erin", every(2, "crashed", EXITED)),
        submission("frank", {"2.4": ("mistake", "", BOLD_MESSAGE)}),
        submission("gina", {cid: mistake("NO_SEED") for cid in ("2.1", "2.2", "2.3")}),
        submission("hank", {"3.7": ("not_implemented", "", NOT_IMPLEMENTED)}),
        submission("ivy", {c.id: ("missing", "", "`Value` is not defined in the submission")
                           for c in TABLE}, notes=["ivy.py raised an error when run: SyntaxError"]),
    ]


class Tables(HTMLParser):
    """Every table's rows as lists of cell texts, keyed by the id of the section holding it."""

    def __init__(self, page):
        super().__init__()
        self.section, self.tables, self.row, self.cell = None, {}, None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs).get("id")
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag in ("div", "br") and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables.setdefault(self.section, []).append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


@pytest.fixture(scope="module")
def page():
    return report.render(fake_class())


@pytest.fixture(scope="module")
def tables(page):
    return Tables(page).tables


def rows_of(tables, section):
    return {row[0]: row for row in tables[section][1:]}


def test_does_the_page_load_nothing_from_outside_itself(page):
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page
    for attr, value in re.findall(r'\b(href|src)="([^"]*)"', page):
        assert "://" not in value and not value.startswith("//"), f'{attr}="{value}"'
        assert value.startswith(("#", "data:")) or value.endswith("/feedback.md"), f'{attr}="{value}"'
    assert "<svg" in page, "the plots should be inline SVG"


def test_are_a_hostile_id_and_html_in_messages_escaped(page):
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>0</b>" not in page and "&lt;b&gt;0&lt;/b&gt;" in page
    assert "<b>bold</b>" not in page
    assert "<img" not in page


def test_does_a_hostile_id_link_to_its_own_feedback(page):
    assert 'href="%3Cscript%3Ealert%281%29%3C%2Fscript%3E/feedback.md"' in page


def test_does_every_check_appear_with_its_pass_rate(tables):
    rows = rows_of(tables, "checks")
    assert list(rows) == [c.id for c in TABLE], "one row per check, sorted by id"
    for c in TABLE:
        assert rows[c.id][1].startswith(c.name)
        assert re.fullmatch(r"\d+ / 10", rows[c.id][3]), rows[c.id]
        assert re.fullmatch(r"\d+%", rows[c.id][4]), rows[c.id]


def test_are_pass_rates_counted_over_every_graded_submission(tables):
    rows = rows_of(tables, "checks")
    # 1.6: bob and the hostile one named a misconception, dave and ivy could not be graded
    assert rows["1.6"][3:9] == ["6 / 10", "60%", "2", "0", "0", "2"]
    # 2.4: frank's failure names no misconception; erin crashed
    assert rows["2.4"][3:9] == ["6 / 10", "60%", "0", "1", "0", "3"]
    assert rows["3.7"][3:9] == ["7 / 10", "70%", "0", "0", "1", "2"]
    assert rows["4.1"][3:9] == ["8 / 10", "80%", "0", "0", "0", "2"]


def test_are_check_ids_sorted_as_numbers():
    a = submission("a", stages=(1,))
    extra = CheckResult(id="1.10", name="A tenth check", stage=1, points=1, score=1, passed=True,
                        description="")
    a.checks.insert(0, extra)
    rows = rows_of(Tables(report.render([a])).tables, "checks")
    assert list(rows) == [c.id for c in TABLE if c.stage == 1] + ["1.10"]


def test_are_misconceptions_counted_once_per_submission(tables):
    rows = {row[1]: row for row in tables["misconceptions"][1:]}
    overwrites = rows[f"{messages.OVERWRITES_GRAD} OVERWRITES_GRAD"]
    assert overwrites[0] == "2" and overwrites[2] == "1.6"
    assert overwrites[3] == f"bob, {HOSTILE}"
    not_zeroed = rows[f"{messages.TRAIN_NOT_ZEROED} TRAIN_NOT_ZEROED"]
    assert not_zeroed[0] == "1" and not_zeroed[2] == "5.3, 5.4, 5.5" and not_zeroed[3] == "carol"
    counts = [row[0] for row in tables["misconceptions"][1:]]
    assert counts == ["2", "1", "1", "1"], "the most frequent first"


def test_do_misconceptions_link_to_the_feedback_of_who_shows_them(page):
    section = page[page.index('<section id="misconceptions"'):page.index('<section id="other"')]
    assert '<a href="carol/feedback.md">carol</a>' in section
    assert '<a href="gina/feedback.md">gina</a>' in section


def test_are_failures_without_a_hint_other_mistakes_by_check(tables):
    rows = rows_of(tables, "other")
    assert list(rows) == ["2.4"], "ivy could not be graded, so its missing names are not mistakes"
    assert rows["2.4"][2] == "1" and rows["2.4"][4] == "frank"
    assert rows["2.4"][3].startswith(BOLD_MESSAGE), "shown as the text it is"


def test_are_crashed_timed_out_and_unloadable_submissions_listed(tables):
    rows = rows_of(tables, "problems")
    assert list(rows) == ["dave", "erin", "ivy"]
    assert rows["dave"][1] == "could not be loaded" and rows["dave"][3] == "Not graded: " + TIMEOUT
    stage2 = len([c for c in TABLE if c.stage == 2])
    assert rows["erin"][1] == "crashed or ended its own process"
    assert rows["erin"][2] == f"{stage2} of {len(TABLE)}"
    assert rows["erin"][3] == EXITED
    assert rows["ivy"][3] == "ivy.py raised an error when run: SyntaxError"


def test_does_the_summary_count_the_class(tables, page):
    cards = summary_cards(page)
    assert cards["students"] == "10"
    assert cards["handed in every stage"] == "10" and cards["handed in nothing"] == "0"
    assert cards["full marks"] == "1"
    assert cards["could not be graded"] == "2"
    assert cards["crashed or timed out on some checks"] == "1"
    totals = [r.score for r in fake_class()]
    assert float(cards["mean total (of 100)"]) == round(sum(totals) / 10, 1)
    assert float(cards["median total (of 100)"]) == sorted(totals)[4] / 2 + sorted(totals)[5] / 2


def summary_cards(page):
    summary = page[page.index('<section id="summary"'):page.index('<section id="scores"')]
    cards = re.findall(r'<span class="big">([^<]*)</span>([^<]*)</div>', summary)
    return {label: value for value, label in cards}


def test_is_every_student_counted_out_of_the_class_maximum():
    """One student handed in every stage, two only stage 1: all three out of 100, the stages
    they did not hand in "not submitted"."""
    stub = ("not_implemented", "", messages.NOT_IMPLEMENTED.format(where="__add__"))
    page = report.render([submission("whole"),                                       # 100
                          submission("half", {c.id: stub for c in TABLE if c.stage == 1}, stages=(1,)),
                          submission("ten", {"1.1": mistake("")}, stages=(1,))])
    ten = 20 - CHECKS["1.1"].points      # stage 1 without check 1.1's points
    cards = summary_cards(page)
    assert cards["mean total (of 100)"] == points(round((100 + 0 + ten) / 3, 1))
    assert cards["median total (of 100)"] == points(ten)
    assert cards["handed in every stage"] == "1"
    assert cards["not started (every check a stub)"] == "1"
    tables = Tables(page).tables
    assert rows_of(tables, "gradebook")["half"][1:] == ["0"] + ["not submitted"] * 4 + ["0", "100",
                                                                                        "not started"]
    assert rows_of(tables, "handed-in")["2"][2:] == ["1 of 3", "half, ten"]


def test_does_a_student_who_handed_in_nothing_count_as_not_submitted():
    page = report.render([submission("whole"), SubmissionResult(id="zoe", stages=[])])
    cards = summary_cards(page)
    assert cards["students"] == "2" and cards["handed in nothing"] == "1"
    assert cards["mean total (of 100)"] == "50"
    tables = Tables(page).tables
    assert rows_of(tables, "gradebook")["zoe"][1:] == ["not submitted"] * 5 + ["0", "100",
                                                                               "handed in nothing"]
    assert all(row[3] == "zoe" for row in tables["handed-in"][1:])
    assert "zoe/feedback.md" not in page, "no feedback to link to"


def test_does_the_gradebook_hold_every_submission_and_stage(tables):
    rows = rows_of(tables, "gradebook")
    assert list(rows) == [r.id for r in fake_class()]
    assert rows["bob"][1:8] == ["15", "20", "20", "20", "20", "95", "100"]
    assert rows["alice"][8] == "full marks" and rows["dave"][8] == "could not be graded"


def test_are_stages_nobody_was_graded_on_left_out_of_the_plots():
    page = report.render([submission("a", stages=(1, 3)), submission("b", stages=(1,))])
    figure = page[page.index('<section id="scores"'):page.index('<section id="checks"')]
    assert "Stage 1: Local derivatives" in figure and "Stage 3: More operators" in figure
    for stage in (2, 4, 5):
        assert f"Stage {stage}:" not in figure


def test_does_no_hidden_test_text_appear(page):
    assert "def test_" not in page
    suite_lines = {line.strip() for path in (REPO / "autograder" / "suite").glob("*.py")
                   for line in path.read_text().splitlines() if len(line.strip()) > 30}
    assert suite_lines, "the hidden suite should be there to compare with"
    leaked = [line for line in suite_lines if line in page]
    assert not leaked, leaked[:3]


def test_is_an_empty_class_still_a_page(tmp_path):
    report.write_report(tmp_path / "report.html", [])
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "No submissions were found." in text and "<svg" not in text


# -- in a real browser --------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"),
    reason="Debian's chromium is not installed (`make setup` installs it when run as root)")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class_report")
    report.write_report(folder / "report.html", fake_class())
    return folder / "report.html"


def chromium(tmp_path, *args):
    exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=60)


@needs_chromium
def test_does_a_browser_render_the_plots_and_every_section(written, tmp_path):
    run = chromium(tmp_path, "--dump-dom", written.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert dom.count("<svg") >= 2, "the stage histograms and the pass-rate chart"
    for section in ("summary", "scores", "checks", "misconceptions", "other", "problems", "gradebook"):
        assert f'<section id="{section}"' in dom
    assert "<script" not in dom.lower()
    assert "Uncaught" not in run.stderr


@needs_chromium
def test_is_the_browsers_screenshot_a_real_picture(written, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    run = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", written.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Uncaught" not in run.stderr
    assert shot.exists() and shot.stat().st_size > 50_000
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "the page looks blank"
