"""report.html: the instructor's class report, one self-contained file.

A summary, the score distribution of each stage, the pass rate of every check, the most
frequent misconceptions, the submissions that could not be graded, and the gradebook.

What the page may show: check ids, names and descriptions, counts, and the messages the
students also see. Never a hidden test's code or a randomized check's expected values:
this module reads only SubmissionResult objects. Every string a submission controls (its
id, its messages, its notes) goes through html.escape, and a Content-Security-Policy
forbids scripts and every outside resource, so a missed escape still runs nothing.

The plots are matplotlib Figures of their own (not pyplot: the caller's matplotlib state
is left alone), saved as SVG straight into the page.
"""

import html
import io
import statistics
import time
from collections import Counter, defaultdict
from urllib.parse import quote

from . import messages
from .checks import STAGE_TITLES
from .results import _pts

# How a submission's code kept a check from running at all (CheckResult.kind).
PROBLEM_KINDS = ("timeout", "crashed", "load", "protocol", "budget", "grader_error")
PROBLEM_WORDS = {
    "timeout": "ran too long",
    "crashed": "crashed or ended its own process",
    "load": "could not be loaded",
    "protocol": "interfered with the grader's connection",
    "budget": "used up its time",
    "grader_error": "the grader failed",
    "missing": "defines none of the names the checks use",
}

# What became of one check of one submission, in the order the bars are stacked.
OUTCOMES = {
    "passed": ("passed", "#009E73"),
    "misconception": ("failed: a named misconception", "#E69F00"),
    "other": ("failed: other mistake", "#D55E00"),
    "not_implemented": ("not implemented yet", "#BBBBBB"),
    "not_run": ("not run (crash, timeout, load failure)", "#555555"),
}

MESSAGE_CHARS = 400   # a student's exception message can be any length

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1d1d1f; background: #fff; margin: 0 auto; padding: 1.5em 2em 4em; max-width: 72em; }
h1 { margin-bottom: .2em; }
h2 { margin-top: 2.2em; border-bottom: 2px solid #e3e3e3; padding-bottom: .2em; }
p.lede, figcaption, .muted { color: #555; }
nav { margin: .5em 0 1em; }
nav a { margin-right: 1em; }
a { color: #0a58ca; }
.cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: .6em 1em; min-width: 9em;
        background: #fafafa; }
.card .big { display: block; font-size: 1.6em; font-weight: bold; }
table { border-collapse: collapse; margin: .8em 0; width: 100%; }
th, td { border-bottom: 1px solid #e6e6e6; padding: .35em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
tr.bad td { background: #fff4f2; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; }
code { background: #f3f3f3; padding: 0 .25em; border-radius: 3px; font-size: .9em; }
.ids a { white-space: nowrap; }
td.check { width: 45%; }
.hint { max-width: 38em; }
.msg { font-size: .92em; max-width: 42em; overflow-wrap: anywhere; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px;
          vertical-align: -.1em; margin-right: .3em; }
footer { margin-top: 3em; color: #777; font-size: .9em; }
"""


def write_report(path, results):
    path.write_text(render(results), encoding="utf-8")


def render(results):
    """The whole page, as a string."""
    results = list(results)
    class_ = ClassView(results)
    sections = [
        ("summary", "Summary", _summary(class_)),
        ("scores", "Scores per stage", _scores(class_)),
        ("checks", "Pass rate of every check", _checks(class_)),
        ("misconceptions", "Most frequent misconceptions", _misconceptions(class_)),
        ("other", "Other mistakes", _other_mistakes(class_)),
        ("problems", "Submissions that could not be graded fully", _problems(class_)),
        ("gradebook", "Gradebook", _gradebook(class_)),
    ]
    nav = " ".join(f'<a href="#{key}">{title}</a>' for key, title, _ in sections)
    body = "\n".join(f'<section id="{key}">\n<h2>{title}</h2>\n{content}\n</section>'
                     for key, title, content in sections)
    when = time.strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class report: {len(results)} submissions</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Class report</h1>
<p class="lede">{len(results)} submissions, report written {when}.
Each submission id links to the feedback its student reads.</p>
<nav>{nav}</nav>
</header>
{body}
<footer>This report shows check descriptions, counts and the messages the students also see;
never the hidden tests' code or the inputs and expected values of the randomized checks.</footer>
</body>
</html>
"""


class ClassView:
    """The numbers every section needs, worked out once."""

    def __init__(self, results):
        self.results = results
        self.unusable = {r.id for r in results if _unusable(r)}
        self.checks = {}                                   # id -> a CheckResult, for name/stage/points
        self.outcomes = defaultdict(Counter)               # check id -> Counter of outcomes
        self.hint_ids = defaultdict(list)                  # hint name -> submission ids
        self.hint_checks = defaultdict(set)                # hint name -> check ids
        self.other = defaultdict(list)                     # check id -> [(submission id, message)]
        for r in results:
            seen_hints = set()
            for c in r.checks:
                self.checks.setdefault(c.id, c)
                outcome = _outcome(c, r.id in self.unusable)
                self.outcomes[c.id][outcome] += 1
                if outcome == "misconception":
                    self.hint_checks[c.hint].add(c.id)
                    if c.hint not in seen_hints:
                        seen_hints.add(c.hint)
                        self.hint_ids[c.hint].append(r.id)
                elif outcome == "other":
                    self.other[c.id].append((r.id, c.message))
        self.check_ids = sorted(self.checks, key=_id_key)
        self.stages = [s for s in STAGE_TITLES if any(s in r.stages for r in results)]


def _outcome(check, unusable):
    if check.passed:
        return "passed"
    if unusable or check.kind in PROBLEM_KINDS:
        return "not_run"
    if check.kind == "not_implemented":
        return "not_implemented"
    return "misconception" if check.hint else "other"


def _unusable(result):
    """Nothing of it could be judged: every check was stopped by a crash, a timeout, a failed
    load, or a file that defined none of the names (a syntax error, say)."""
    return bool(result.checks) and all(
        not c.passed and c.kind in PROBLEM_KINDS + ("missing",) for c in result.checks)


def _not_started(result):
    return bool(result.checks) and all(c.kind == "not_implemented" for c in result.checks)


def _id_key(check_id):
    try:
        return (0, tuple(int(part) for part in check_id.split(".")))
    except ValueError:
        return (1, check_id)


# -- the sections -------------------------------------------------------------------------------

def _summary(class_):
    results = class_.results
    if not results:
        return "<p>No submissions were found.</p>"
    maxima = {r.max_score for r in results}
    if len(maxima) == 1:       # everyone was graded on the same stages: points say it all
        totals, unit, out_of = [r.score for r in results], "", f" (of {_pts(maxima.pop())})"
    else:                      # stage notebooks and whole submissions: compare shares
        totals = [100 * r.score / r.max_score if r.max_score else 0 for r in results]
        unit, out_of = "%", " (share of each one's maximum)"
    full = sum(1 for r in results if r.max_score and r.score == r.max_score)
    partly = sum(1 for r in results if r.id not in class_.unusable
                 and any(c.kind in PROBLEM_KINDS for c in r.checks))
    cards = [
        ("submissions", len(results)),
        (f"mean total{out_of}", _pts(round(statistics.mean(totals), 1)) + unit),
        (f"median total{out_of}", _pts(round(statistics.median(totals), 1)) + unit),
        ("full marks", full),
        ("could not be graded", len(class_.unusable)),
        ("crashed or timed out on some checks", partly),
        ("not started (every check a stub)", sum(1 for r in results if _not_started(r))),
    ]
    html_cards = "".join(f'<div class="card"><span class="big">{value}</span>{label}</div>'
                         for label, value in cards)
    return (f'<div class="cards">{html_cards}</div>\n<p class="muted">The mean and the median count '
            "every submission, also the ones that could not be graded (they score 0).</p>")


def _scores(class_):
    if not class_.stages:
        return "<p>No submission was graded on any stage.</p>"
    return _figure(_stage_histograms(class_), "How many submissions reached each score, stage by "
                   "stage (a stage is left out when no submission was graded on it).")


def _checks(class_):
    if not class_.check_ids:
        return "<p>No checks were run.</p>"
    legend = " ".join(f'<span class="swatch" style="background:{color}"></span>{label}'
                      for label, color in OUTCOMES.values())
    rows = []
    for cid in class_.check_ids:
        c, counts = class_.checks[cid], class_.outcomes[cid]
        graded = sum(counts.values())
        rate = counts["passed"] / graded if graded else 0
        cells = "".join(f'<td class="num">{counts[key]}</td>' for key in OUTCOMES if key != "passed")
        rows.append(f'<tr><td>{_e(cid)}</td><td class="check">{_e(c.name)}'
                    f'<div class="muted msg">{_e(c.description)}</div></td><td class="num">{c.points}</td>'
                    f'<td class="num">{counts["passed"]} / {graded}</td><td class="num">{rate:.0%}</td>'
                    f"{cells}</tr>")
    head = ("<tr><th>id</th><th>check</th><th class=num>points</th><th class=num>passed</th>"
            "<th class=num>pass rate</th><th class=num>misconception</th><th class=num>other mistake"
            "</th><th class=num>not implemented</th><th class=num>not run</th></tr>")
    return (_figure(_pass_rate_chart(class_), "The share of submissions that passed each check "
                    "(green), and how the others failed.")
            + f"<p>{legend}</p>\n<table>\n<thead>{head}</thead>\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody>\n</table>")


def _misconceptions(class_):
    if not class_.hint_ids:
        return "<p>No failed check matched a named misconception.</p>"
    rows = []
    for name, ids in sorted(class_.hint_ids.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        checks = ", ".join(sorted(class_.hint_checks[name], key=_id_key))
        rows.append(f'<tr><td class="num">{len(ids)}</td><td class="hint">{_e(_hint_text(name))}'
                    f'<div class="muted"><code>{_e(name)}</code></div></td><td>{_e(checks)}</td>'
                    f'<td class="ids">{_links(ids)}</td></tr>')
    return ("<p>Failed checks grouped by the misconception their message names; a submission "
            "counts once per misconception.</p>\n<table>\n<thead><tr><th class=num>submissions</th>"
            "<th>the hint the students read</th><th>checks</th><th>who</th></tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody>\n</table>")


def _other_mistakes(class_):
    if not class_.other:
        return "<p>Every failed check named a misconception, or none failed.</p>"
    rows = []
    for cid in sorted(class_.other, key=_id_key):
        entries = class_.other[cid]
        ids = list(dict.fromkeys(sid for sid, _ in entries))
        common, times = Counter(message for _, message in entries).most_common(1)[0]
        rows.append(f'<tr><td>{_e(cid)}</td><td>{_e(class_.checks[cid].name)}</td>'
                    f'<td class="num">{len(ids)}</td><td class="msg">{_e(_short(common))}'
                    f'<div class="muted">({times} of {len(entries)})</div></td>'
                    f'<td class="ids">{_links(ids)}</td></tr>')
    return ("<p>Failures whose message names no misconception (a wrong value, an exception, a "
            "missing name), by check, with the most frequent message.</p>\n<table>\n<thead><tr>"
            "<th>id</th><th>check</th><th class=num>submissions</th><th>most frequent message</th>"
            "<th>who</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>")


def _problems(class_):
    rows = []
    for r in class_.results:
        stopped = [c for c in r.checks if c.kind in PROBLEM_KINDS]
        if not stopped and r.id not in class_.unusable:
            continue
        kinds = sorted({c.kind for c in stopped}) or ["missing"]
        what = "; ".join(PROBLEM_WORDS.get(k, k) for k in kinds)
        first = stopped[0].message if stopped else (r.notes[0] if r.notes else r.checks[0].message)
        affected = stopped or r.checks
        rows.append(f'<tr class="bad"><td class="ids">{_links([r.id])}</td><td>{_e(what)}</td>'
                    f'<td class="num">{len(affected)} of {len(r.checks)}</td>'
                    f'<td class="msg">{_e(_short(first))}</td></tr>')
    if not rows:
        return "<p>Every submission was loaded and ran to the end of its checks.</p>"
    return ("<p>Submissions whose code crashed, timed out, could not be loaded or stopped the "
            "grader, with the first message their student reads.</p>\n<table>\n<thead><tr><th>id"
            "</th><th>what happened</th><th class=num>checks not run</th><th>first message</th>"
            "</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>")


def _gradebook(class_):
    if not class_.results:
        return "<p>No submissions.</p>"
    head = ("<tr><th>id</th>" + "".join(f'<th class=num title="{_e(STAGE_TITLES[s])}">stage {s}</th>'
                                        for s in STAGE_TITLES)
            + "<th class=num>total</th><th class=num>max</th><th>status</th></tr>")
    rows = []
    for r in class_.results:
        cells = "".join(f'<td class="num">{_pts(r.stage_score(s)) if s in r.stages else ""}</td>'
                        for s in STAGE_TITLES)
        kinds = sorted({c.kind for c in r.checks if c.kind in PROBLEM_KINDS})
        if r.id in class_.unusable:
            status = "could not be graded"
        elif kinds:
            status = "; ".join(PROBLEM_WORDS[k] for k in kinds)
        elif r.max_score and r.score == r.max_score:
            status = "full marks"
        elif _not_started(r):
            status = "not started"
        else:
            status = ""
        bad = ' class="bad"' if kinds or r.id in class_.unusable else ""
        rows.append(f'<tr{bad}><td class="ids">{_links([r.id])}</td>{cells}<td class="num">'
                    f'{_pts(r.score)}</td><td class="num">{_pts(r.max_score)}</td>'
                    f'<td>{status}</td></tr>')
    return (f"<p>The same numbers as gradebook.csv.</p>\n<table>\n<thead>{head}</thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody>\n</table>")


# -- the plots ---------------------------------------------------------------------------------

def _stage_histograms(class_):
    from matplotlib.figure import Figure

    stages = class_.stages
    cols = min(3, len(stages))
    rows = -(-len(stages) // cols)
    fig = Figure(figsize=(3.6 * cols, 2.7 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, stage in zip(axes, stages):
        graded = [r for r in class_.results if stage in r.stages]
        scores = [r.stage_score(stage) for r in graded]
        top = max(r.stage_max(stage) for r in graded) or 1
        ax.hist(scores, bins=[x - 0.5 for x in range(int(top) + 2)], color="#0072B2", rwidth=0.85)
        ax.set_title(f"Stage {stage}: {STAGE_TITLES[stage]}\nmean {statistics.mean(scores):.1f} "
                     f"of {_pts(top)}, {len(graded)} graded", fontsize=9.5)
        ax.set_xlim(-0.8, top + 0.8)
        ax.set_xlabel("points", fontsize=9)
        ax.set_ylabel("submissions", fontsize=9)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(stages):]:
        ax.set_visible(False)
    return fig


def _pass_rate_chart(class_):
    from matplotlib.figure import Figure

    ids = class_.check_ids
    fig = Figure(figsize=(10, 0.6 + 0.27 * len(ids)), layout="constrained")
    ax = fig.subplots()
    labels = [f"{cid}  {_clip(class_.checks[cid].name, 48)}" for cid in ids]
    ys = range(len(ids))
    left = [0.0] * len(ids)
    for key, (label, color) in OUTCOMES.items():
        share = [class_.outcomes[cid][key] / max(1, sum(class_.outcomes[cid].values())) for cid in ids]
        ax.barh(ys, share, left=left, color=color, label=label, height=0.75)
        left = [a + b for a, b in zip(left, share)]
    for y, cid in zip(ys, ids):
        counts = class_.outcomes[cid]
        rate = counts["passed"] / max(1, sum(counts.values()))
        ax.text(1.01, y, f"{rate:.0%}", va="center", fontsize=8)
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel("share of the submissions graded on the check", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8, frameon=False)
    return fig


def load_plotting():
    """Import what the plots need ahead of time (the batch grader does it while grading)."""
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401


def _figure(fig, caption):
    """A Figure as inline SVG: text kept as text (searchable, small), no date, no prolog."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "sans-serif"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    return f'<figure>\n{svg}<figcaption>{_e(caption)}</figcaption>\n</figure>\n'


# -- small helpers -------------------------------------------------------------------------------

def _e(text):
    return html.escape(str(text), quote=True)


def _short(text, limit=MESSAGE_CHARS):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip(text, limit):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _links(ids):
    """Each submission id as a link to its feedback.md, relative to the report."""
    return ", ".join(f'<a href="{_e(quote(sid, safe="/"))}/feedback.md">{_e(sid)}</a>' for sid in ids)


def _hint_text(name):
    """The sentence a hint constant holds in messages.py; the name itself if it holds none."""
    value = getattr(messages, name, None) if name.isidentifier() and name.isupper() else None
    return value if isinstance(value, str) else name
