"""The renderings of results: the text report (terminal), feedback.md, report.html, and the
gradebook (CSV and terminal table).

Each rendering is a template in autograder/templates/, and every value a template shows goes
through its format's escaping by default, so what a student controls (an id, a message, a
note, an exception's text) is shown and never acted on:

- text (terminal): control characters removed, one line unless a filter here lays it out;
- markdown: one line, with the characters escaped that would start a block (a heading, a
  quote, a list), raw HTML, a link or an image;
- HTML: Jinja's autoescape, control characters removed;
- CSV: a cell that a spreadsheet would read as a formula starts with a quote.

In the terminal's templates, a filter that lays text out over lines (wrap, hang) returns it
as `Laid`: cleaned by the filter, shown as it is. In the page's, the figures are Markup
(matplotlib's SVG). Nothing else is shown unescaped, so a template cannot forget to escape.
"""

import csv
import re
import textwrap
from functools import cache
from pathlib import Path

from . import messages
from .contract import STAGE_TITLES
from .text import clean, points

TEMPLATES = Path(__file__).with_name("templates")


class Laid(str):
    """Text a filter of this module has cleaned and laid out over lines for the terminal."""


# -- plain text -----------------------------------------------------------------------------

def _text_value(value):
    return value if isinstance(value, Laid) else clean(value, newlines=False)


def wrap(text, prefix="        ", width=88):
    """Each paragraph of the text wrapped and indented: no line of it starts at the margin."""
    return Laid("\n".join(textwrap.fill(par, width, initial_indent=prefix, subsequent_indent=prefix)
                          for par in clean(text).split("\n") if par.strip()))


def hang(text, indent):
    """The text's first line as it is, the next ones indented under it."""
    return Laid(("\n" + " " * indent).join(clean(text).replace("\t", " ").split("\n")))


# -- markdown -------------------------------------------------------------------------------

# What makes markdown act on text, wherever the text sits in a line: a backslash (it would
# undo the escapes that follow), "<" (raw HTML, <autolinks>), "](" and "][" (links, images),
# and what viewers turn into links by themselves (http://..., www...., a@b).
_MD_INLINE = re.compile(r"\\|<|\](?=[(\[])|:(?=//)|(?<=\bwww)\.|@", re.IGNORECASE)
# What starts a block when it begins a line (CommonMark, GFM): a heading "# ", a quote ">", a
# list item "- ", "+ ", "* ", "1. ", "1) ", a rule "***", "- - -", "___", an underline "===",
# a fence "```", "~~~", a table row "|", a link definition "[x]: url". Not "-a" or "_backward".
_MD_BLOCK = re.compile(r"#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|(?:[-*_]\s*){3,}|=|\||\[|```|~~~"
                       r"|\d{1,9}(?=[.)](?:\s|$))")


def markdown_text(value):
    """The value as markdown that shows it and does nothing else: one line, never a heading,
    a quote, a list, raw HTML, a link or an image."""
    text = clean(value, newlines=False).lstrip()
    text = _MD_INLINE.sub(lambda m: "\\" + m.group(), text)
    start = _MD_BLOCK.match(text)
    if start:   # escape the punctuation: "\\#", "\\```", "1\\."
        at = start.end() if start.group().isdigit() else 0
        text = text[:at] + "\\" + text[at:]
    return text


# -- HTML -----------------------------------------------------------------------------------

def _html_value(value):
    from markupsafe import Markup

    return value if isinstance(value, Markup) else clean(value)


# -- CSV ------------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # OWASP's list (clean removes the last two)


def csv_text(value):
    """A text cell a spreadsheet shows as text: one that would start a formula gets a quote
    in front (OWASP's advice for CSV injection)."""
    text = clean(value, newlines=False)
    return "'" + text if text.lstrip().startswith(FORMULA_START) else text


# -- the environments -----------------------------------------------------------------------

@cache
def environment(kind):
    """The Jinja environment of one format: "text", "markdown" or "html"."""
    import jinja2

    options = dict(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    if kind == "html":
        env = jinja2.Environment(autoescape=True, finalize=_html_value, **options)
    else:
        env = jinja2.Environment(autoescape=False, finalize={"text": _text_value,
                                                            "markdown": markdown_text}[kind],
                                 **options)
    env.filters["points"] = points
    if kind == "text":      # what lays text out over several lines, for the terminal only
        env.filters.update(wrap=wrap, hang=hang)
    env.globals["messages"] = messages
    return env


TEMPLATE_OF = {"text": "report.txt.j2", "markdown": "feedback.md.j2", "html": "report.html.j2"}


def preload_in_background(kind):
    """Import Jinja and compile the format's main template in a thread; join it before
    rendering. Started after the grader's own imports, so the two share no module."""
    import threading

    thread = threading.Thread(target=lambda: environment(kind).get_template(TEMPLATE_OF[kind]),
                              daemon=True)
    thread.start()
    return thread


def render(kind, name, **values):
    return environment(kind).get_template(name).render(**values)


# -- the renderings of one result -----------------------------------------------------------

def text_report(result, missing=()):
    """The per-stage report a student reads on stdout. missing: the stages of the class the
    student handed nothing in for (they count 0 in the total)."""
    r = result.bounded()
    return render("text", "report.txt.j2", **_report_values(r, missing)).rstrip("\n")


def feedback_markdown(result, missing=()):
    """feedback.md: per stage, what passed, what failed and why, and what to try."""
    r = result.bounded()
    return render("markdown", "feedback.md.j2", **_report_values(r, missing))


def _report_values(result, missing):
    from .checks import stage_points

    missing = [s for s in missing if s not in result.stages]
    return dict(result=result, stages=result.summaries(),
                total_max=result.max_score + sum(stage_points(s) for s in missing),
                missing=messages.NOT_HANDED_IN.format(stages=messages.stage_list(missing))
                if missing else "")


# -- the gradebook --------------------------------------------------------------------------

NOT_SUBMITTED = "not submitted"     # a gradebook cell: a stage of the class not handed in


def gradebook_header(stages):
    return ["id"] + [f"stage{s}" for s in stages] + ["total", "max"]


def gradebook_cell(row, stage, absent=""):
    """A stage's points; "not submitted" for a stage of the class the student did not hand
    in; `absent` for a stage nobody in the class was graded on."""
    if stage in row.stages:
        return points(row.stages[stage])
    return NOT_SUBMITTED if stage in row.not_submitted else absent


def write_gradebook_csv(path, rows, stages=tuple(STAGE_TITLES)):
    """gradebook.csv: one row per student, a cell per stage."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(gradebook_header(stages))
        for row in rows:
            writer.writerow([csv_text(row.id)] + [gradebook_cell(row, s) for s in stages]
                            + [points(row.total), points(row.max)])


def gradebook_table(rows, stages=tuple(STAGE_TITLES)):
    """The gradebook as aligned text, for the terminal ("-" for a stage not graded)."""
    header = gradebook_header(stages)[:-1]
    lines = [[clean(row.id, newlines=False)]
             + [points(row.stages[s]) if s in row.stages else "-" for s in stages]
             + [f"{points(row.total)}/{points(row.max)}"] for row in rows]
    widths = [max(len(line[i]) for line in [header] + lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
                     for line in [header] + lines)
