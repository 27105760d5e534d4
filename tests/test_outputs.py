"""What the grader writes and prints: the text report, feedback.md, results.json, gradebook.csv,
the terminal table and report.html.

Ordinary results render as they did before the renderings became templates: tests/outputs/
holds seven results of the example class (records.json: a full score, a whole .py with a
hint, a notebook with cell errors, a timeout, an untouched stage notebook, a zip, a file that
could not be loaded) and what each rendering makes of them. They were compared with the
renderings of the code before templates: results.json, gradebook.csv and the table are byte
for byte the same; report.html too, apart from how an apostrophe is escaped (&#39;); the
text report writes `NotImplementedError` in backticks, like feedback.md; and feedback.md
escapes "<" (a cell error "in <module>" showed as a raw tag before). Since a class is a set of
students (one row each), gradebook.csv, the table and report.html count every row out of the
class's maximum, write "not submitted" for a stage of the class a row has no points for, and
link each id to <id>/feedback.md; the text report and feedback.md are unchanged.

Everything a student controls is data: ids, messages and notes full of formulas, terminal
escape sequences, forged headings, HTML and links, and 1.5 MB strings are shown and never
acted on.
"""

import csv
import html
import io
import json
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import mistune
import pytest

from autograder import batch, feedback, messages, render, report
from autograder.checks import STAGE_TITLES, TABLE
from autograder.results import (MAX_NOTES, MESSAGE_CHARS, CheckResult, GradebookRow,
                                SubmissionResult)
from autograder.text import clean, clean_clip, clip, points

REPO = Path(__file__).resolve().parent.parent
OUTPUTS = Path(__file__).with_name("outputs")

FORMULA_IDS = ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\tcalc", "\rcalc",
               " =1+1"]
ESCAPES = ["\x1b]0;title\x07", "\x1b[2J", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "\x1bc", "a\rb",
           "nul\x00", "bell\x07", "del\x7f", "c1\x9b31m", "bidi\u202eevil"]
FORGED = "\n# Total: 100 / 100\n**Total: 100 / 100**\nTotal: 100 / 100"
MARKUP = ["<img src=http://x>", "[x](javascript:alert(1))", "![beacon](http://x/b.png)",
          "<http://x>", "see http://x and www.x.com or a@x.com", "[ref]: http://x",
          "\\[x](javascript:alert(1))", "<script>alert(1)</script>"]
HUGE = "x" * 1_500_000
WIDEST = "\U0001F600" * 1_500_000       # 12 bytes each once JSON escapes it
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


def result_with(sid, message, notes=(), stages=(1, 2, 3, 4, 5), stage_notes=None):
    """Every check of the stages fails with the message."""
    result = SubmissionResult.not_graded(sid, stages, message, "mistake", notes=list(notes))
    result.stage_notes = stage_notes or {}
    return result


def hostile_class():
    texts = ESCAPES + MARKUP + [FORGED]
    results = [result_with(sid, FORGED, notes=[FORGED]) for sid in FORMULA_IDS]
    results += [result_with(f"id{e}with\nnewline", text, notes=texts, stage_notes={2: [text]})
                for e, text in zip(ESCAPES, texts)]
    results += [result_with(f"markup{i}", text, notes=[text], stage_notes={1: [text]})
                for i, text in enumerate(MARKUP)]
    return results


@pytest.fixture(scope="module")
def hostile():
    return hostile_class()


def written(results, tmp_path):
    batch.write_gradebook(tmp_path / "gradebook.csv", results)
    return (tmp_path / "gradebook.csv").read_text()


# -- ordinary results render as before -----------------------------------------------------------

@pytest.fixture(scope="module")
def ordinary():
    return [SubmissionResult.from_record(r)
            for r in json.loads((OUTPUTS / "records.json").read_text())]


def expected(name):
    return (OUTPUTS / name).read_text()


def test_is_an_ordinary_text_report_unchanged(ordinary):
    for r in ordinary:
        assert r.report() + "\n" == expected(f"{r.id}.txt"), r.id


def test_is_an_ordinary_feedback_md_unchanged(ordinary):
    for r in ordinary:
        assert feedback.markdown(r) == expected(f"{r.id}.md"), r.id


def test_is_an_ordinary_results_json_unchanged_byte_for_byte(ordinary):
    for r in ordinary:
        assert json.dumps(r.to_json(), indent=2) + "\n" == expected(f"{r.id}.json"), r.id


def test_are_an_ordinary_gradebook_and_table_unchanged(ordinary, tmp_path):
    assert written(ordinary, tmp_path) == expected("gradebook.csv")
    assert batch.gradebook_table(ordinary) + "\n" == expected("table.txt")


def test_is_an_ordinary_class_report_unchanged_but_for_its_plots_and_date(ordinary):
    page = report.render(ordinary)
    assert page.count("<svg") == 2
    page = re.sub(r"<figure>.*?</figure>", "<figure></figure>", page, flags=re.S)
    page = re.sub(r"report written [0-9: -]+\.", "report written (date).", page)
    assert page == expected("report.html")


# -- the small pieces ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [(20, "20"), (20.0, "20"), (2.5, "2.5"), (1 / 3, "0.33"),
                                         (0.1 + 0.2, "0.3"), (19.999999, "20"), (0, "0")])
def test_are_points_whole_numbers_or_two_decimals(value, text):
    assert points(value) == text


def test_does_clipping_mark_the_cut_and_keep_short_text():
    assert clip("short", 10) == "short"
    assert clip("x" * 20, 10) == "x" * 10 + " [...]"
    assert clip(clip("x" * 20, 10), 10) == clip("x" * 20, 10), "clipping twice changes nothing"
    assert messages.clip("y" * 500) == "y" * 400 + " [...]", "the worker side's cut, as before"


def test_is_megabytes_of_student_text_cleaned_and_cut_as_a_short_one_would_be():
    assert clean_clip("\x1b[2J" + "z" * 2_000_000, 10) == "z" * 10 + " [...]"
    assert clean_clip("a" + "\x00" * 100_000, 10) == "a [...]", "cut, even where little is left"
    for text in ("ok", "x" * 5000, "a" + "\x00" * 100_000, "\x1b]0;t\x07" * 999):
        once = clean_clip(text, 100)
        assert clean_clip(once, 100) == once and len(once) <= 100 + len(" [...]")


@pytest.mark.parametrize("raw, kept", [
    ("\x1b]0;title\x07name", "name"), ("\x1b[2J\x1b[31mred\x1b[0m", "red"),
    ("\x1b]8;;http://x\x07link\x1b]8;;\x1b\\", "link"), ("a\r\nb\rc", "a\nb\nc"),
    ("nul\x00 del\x7f c1\x9b bidi\u202e", "nul del c1 bidi"), ("tab\tkept\n", "tab\tkept\n")])
def test_does_clean_remove_every_control_character_and_whole_escape_sequences(raw, kept):
    assert clean(raw) == kept


def test_does_clean_on_one_line_turn_line_breaks_into_spaces():
    assert clean("alice\nbob\r\n\tcarol\u2028dave", newlines=False) == "alice bob  carol dave"


def test_does_not_graded_give_a_zero_for_every_check_of_the_stages_with_the_reason():
    r = SubmissionResult.not_graded("ada", [2, 4], "The grader process was killed.", "crashed")
    assert [c.id for c in r.checks] == [c.id for c in TABLE if c.stage in (2, 4)]
    assert all(c.score == 0 and not c.passed and c.kind == "crashed"
               and c.message == "The grader process was killed." for c in r.checks)
    assert r.notes == ["The grader process was killed."] and r.max_score == 40
    loaded = SubmissionResult.not_graded("bo", [1], "Not graded: x", "load", notes=["x"],
                                         sandbox="limits")
    assert loaded.notes == ["x"] and loaded.sandbox == "limits"


def test_does_a_stage_summary_say_what_each_rendering_needs():
    r = result_with("ann", "wrong", stages=(1, 3), stage_notes={3: ["A note."]})
    r.checks[0] = CheckResult(**{**r.checks[0].__dict__, "passed": True, "score": 3, "message": ""})
    for c in r.checks:
        if c.stage == 3:
            c.kind = "not_implemented"
    one, three = r.summaries()
    assert (one.stage, one.title, one.score, one.max) == (1, STAGE_TITLES[1], 3, 20)
    assert [c.id for c in one.passed] == ["1.1"]
    assert len(one.failed) == len([c for c in TABLE if c.stage == 1]) - 1
    assert not one.not_started and three.not_started and three.notes == ["A note."]


def test_are_gradebook_rows_made_of_cells_not_results(tmp_path):
    """A row is any id with points per stage: several files of one student can make one."""
    rows = [GradebookRow(id="ann", stages={1: 17, 3: 20.5}, total=37.5, max=40),
            GradebookRow(id="-bo", stages={2: -2}, total=-2, max=20)]
    render.write_gradebook_csv(tmp_path / "g.csv", rows)
    lines = list(csv.reader(io.StringIO((tmp_path / "g.csv").read_text())))
    assert lines == [["id", "stage1", "stage2", "stage3", "stage4", "stage5", "total", "max"],
                     ["ann", "17", "", "20.5", "", "", "37.5", "40"],
                     ["'-bo", "", "-2", "", "", "", "-2", "20"]], \
        "an id that starts like a formula is quoted; the grader's own numbers are not"
    assert render.gradebook_table(rows).splitlines()[1].split() == ["ann", "17", "-", "20.5", "-",
                                                                    "-", "37.5/40"]


# -- the stage notes ------------------------------------------------------------------------------

NOTE = "Your Value has backprop() but no backward(): the course calls it backward()."


def noted():
    r = result_with("ann", "wrong", stages=(1, 2), stage_notes={2: [NOTE]})
    r.checks[0].passed, r.checks[0].score = True, 3
    return r


def test_do_stage_notes_survive_a_record_written_as_json():
    record = json.loads(json.dumps(noted().to_record()))
    assert record["stage_notes"] == {"2": [NOTE]}
    back = SubmissionResult.from_record(record)
    assert back.stage_notes == {2: [NOTE]} and back.summaries()[1].notes == [NOTE]
    assert back.to_json() == noted().to_json(), "results.json does not change with a note"


def test_is_a_stage_note_shown_once_at_the_top_of_its_stage_in_the_text_report():
    text = noted().report()
    stage2 = text.index("Stage 2:")
    assert text.count("backprop()") == 1
    assert text.index("backprop()") > stage2 and text.index("backprop()") < text.index("FAIL  2.1")
    assert text.index("backprop()") > text.index("FAIL  1.7"), "not in stage 1's section"


def test_is_a_stage_note_shown_once_at_the_top_of_its_stage_in_feedback_md():
    page = feedback.markdown(noted())
    lines = page.splitlines()
    heading = lines.index(next(line for line in lines if line.startswith("## Stage 2:")))
    assert page.count("backprop()") == 1
    assert lines[heading + 2] == f"> {NOTE}"


def test_does_the_class_report_list_the_stage_notes_with_who_read_them():
    page = report.render([noted(), result_with("bo", "wrong", stages=(2,))])
    section = page[page.index('<section id="stage-notes"'):page.index('<section id="gradebook"')]
    assert NOTE.replace("'", "&#39;") in section and '<a href="ann/feedback.md">ann</a>' in section
    assert "bo/feedback.md" not in section
    plain = report.render([result_with("bo", "wrong", stages=(2,))])
    assert "stage-notes" not in plain, "no such section when nobody got a note"


# -- outputs are inert ----------------------------------------------------------------------------

def test_does_no_gradebook_cell_start_a_formula(hostile, tmp_path):
    rows = list(csv.reader(io.StringIO(written(hostile, tmp_path))))
    assert len(rows) == len(hostile) + 1, "a newline in an id forges no row"
    for row in rows[1:]:
        for cell in row:
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), row
            assert not CONTROL.search(cell) and "\n" not in cell, row
    assert rows[1][0] == "'" + FORMULA_IDS[0]


def test_is_the_terminal_table_one_line_per_submission_without_escape_sequences(hostile):
    table = batch.gradebook_table(hostile)
    assert len(table.splitlines()) == len(hostile) + 1
    assert not CONTROL.search(table)


def test_does_the_text_report_hold_no_control_character_and_no_forged_line(hostile):
    for r in hostile:
        text = r.report()
        assert not CONTROL.search(text), repr(r.id)
        lines = text.splitlines()
        assert lines[0].startswith("Submission: ") and lines[1].startswith("Note: ")
        assert [line for line in lines if line.startswith("Total")] == [lines[-1]]
        assert lines[-1] == "Total: 0 / 100"
        assert [line for line in lines if line.startswith("Stage")] == [
            f"Stage {s}: {STAGE_TITLES[s]}    0 / 20" for s in STAGE_TITLES]


MARKDOWN = mistune.create_markdown(renderer=None, plugins=["url", "table", "footnotes"])


def node_types(nodes):
    for node in nodes:
        yield node["type"]
        yield from node_types(node.get("children", []))


def test_does_feedback_md_show_student_text_without_acting_on_it(hostile):
    for r in hostile:
        page = feedback.markdown(r)
        assert not CONTROL.search(page), repr(r.id)
        headings = [line for line in page.splitlines() if line.lstrip().startswith(("#", ">#", "> #"))]
        assert headings == [f"# Feedback for {render.markdown_text(r.id)}"] + [
            f"## Stage {s}: {STAGE_TITLES[s]} (0 / 20)" for s in STAGE_TITLES], repr(r.id)
        assert [line for line in page.splitlines() if "Total:" in line][0] == "**Total: 0 / 100**"
        assert not [line for line in page.splitlines() if line.startswith(("Total", "**Total"))][1:]
        tree = MARKDOWN(page)
        kinds = set(node_types(tree))
        assert not kinds & {"link", "image", "inline_html", "block_html", "table", "block_code",
                            "footnote_ref"}, (r.id, kinds)
        assert sum(1 for kind in node_types(tree) if kind == "heading") == 6
        assert sum(1 for kind in node_types(tree) if kind == "thematic_break") == 1, "ours alone"
        assert not re.search(r"(?<!\\)<|(?<!\\)\]\(|(?<!\\)://|(?<!\\)@|www\.", page), repr(r.id)


@pytest.mark.parametrize("text", MARKUP + [FORGED, "- list", "1. list", "---", "===", "```",
                                           "| a | b |", "> quote", "    code", "\\# not"])
def test_is_escaped_student_text_shown_as_exactly_that_text(text):
    """Escaping changes how the text is written, not what a reader sees. Emphasis aside: "*"
    and "_" are written as they are (the hints say "tanh(x)**2" and "_backward"), so
    "**Total**" shows in bold, inside the line of the message it came in."""
    page = mistune.create_markdown()("> " + render.markdown_text(text) + "\n")
    shown = html.unescape(re.sub(r"<[^>]+>", "", page).strip())
    assert shown.replace("*", "") == " ".join(text.split()).replace("*", "")


class Tags(HTMLParser):
    def __init__(self, page):
        super().__init__()
        self.tags, self.attrs = set(), []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs


def test_is_the_class_report_escaped(hostile):
    page = report.render(hostile)
    assert not CONTROL.search(page)
    parsed = Tags(page)
    assert "img" not in parsed.tags and "script" not in parsed.tags
    assert not [(name, value) for name, value in parsed.attrs
                if name.startswith("on") or "javascript:" in (value or "")]
    assert "&lt;img src=http://x&gt;" in page


def test_does_results_json_stay_under_a_megabyte_whatever_the_worker_sends():
    for filler in (HUGE, WIDEST, "\x00" * 1_500_000, '"' * 1_500_000):
        r = result_with("ann", filler, notes=[filler] * (3 * MAX_NOTES),
                        stage_notes={s: [filler] * 50 for s in STAGE_TITLES})
        r.output = filler
        data = json.dumps(r.to_json(), indent=2)
        assert len(data.encode()) < 1_000_000, len(data)
        loaded = json.loads(data)
        assert all(len(t["output"]) < 2 * MESSAGE_CHARS for t in loaded["tests"])
        # the submission's notes, then each stage's (each list cut to its bound)
        assert messages.MORE_NOTES.format(count=2 * MAX_NOTES + 1) + "\nStage 1: " in loaded["output"]
        record = json.dumps(r.to_record())
        assert len(record.encode()) < 2_000_000
        assert len(r.report()) < 200_000 and len(feedback.markdown(r)) < 200_000


def test_are_results_json_strings_free_of_control_characters(hostile):
    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    for r in hostile:
        for s in strings(json.loads(json.dumps(r.to_json()))):
            assert not CONTROL.search(s), repr(s)


# -- the package -----------------------------------------------------------------------------

def test_does_an_installed_package_ship_every_template():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["autograder"]
    templates = sorted((REPO / "autograder" / "templates").iterdir())
    assert templates
    for path in templates:
        assert any(path.relative_to(REPO / "autograder").match(p) for p in patterns), path.name
    pins = config["project"]["dependencies"]
    assert "jinja2==3.1.6" in pins and "markupsafe==3.0.4" in pins


def test_does_the_gradescope_image_install_what_the_text_report_needs():
    from course import gradescope

    pins = gradescope.requirements().splitlines()
    assert "jinja2==3.1.6" in pins and "markupsafe==3.0.4" in pins
