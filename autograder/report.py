"""report.html: the instructor's class report, one self-contained file.

One row per student (a student's stages may come from several files): a summary, who
handed in which stage, the score distribution of each stage over the students who handed it
in, the pass rate of every check, the most frequent misconceptions, the students whose code
could not be graded, names set apart or missing from the roster, and the gradebook.

What the page may show: check ids, names and descriptions, counts, and the messages the
students also see. Never a hidden test's code or a randomized check's expected values:
this module reads only SubmissionResult objects. The page is templates/report.html.j2, with
Jinja's autoescape on: every string a submission controls (its id, its messages, its notes)
is escaped, and a Content-Security-Policy forbids scripts and every outside resource, so a
missed escape would still run nothing.

The plots are matplotlib Figures of their own (not pyplot: the caller's matplotlib state
is left alone), saved as SVG straight into the page.
"""

import io
import statistics
import time
from collections import Counter, defaultdict

from . import messages
from .contract import STAGE_TITLES
from .render import gradebook_cell, render as render_template
from .results import GradebookRow
from .students import class_max, class_stages
from .text import clip, points

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

MESSAGE_CHARS = 400   # a message in a table cell: a student's exception message can be any length

SECTIONS = [
    ("summary", "Summary"),
    ("handed-in", "Who handed in what"),
    ("scores", "Scores per stage"),
    ("checks", "Pass rate of every check"),
    ("misconceptions", "Most frequent misconceptions"),
    ("other", "Other mistakes"),
    ("tampered", "Submissions that tampered with the grader"),   # only when one did
    ("problems", "Submissions that could not be graded fully"),
    ("stage-notes", "Notes on a stage"),       # only when a student got one
    ("names", "Names and files"),              # only when a name was set apart, or a file not written
    ("gradebook", "Gradebook"),
]
OPTIONAL = {"stage-notes": "stage_notes", "names": "names", "tampered": "tampered"}


def write_report(path, results, **class_facts):
    path.write_text(render(results, **class_facts), encoding="utf-8")


def render(results, stages=None, renamed=(), not_on_roster=(), unwritten=()):
    """The whole page, as a string (templates/report.html.j2).

    results: one SubmissionResult per student, all their stages (one with no stages: a
    student of the roster who handed in nothing). stages: the class's stages (default: every
    stage a student was graded on). renamed: students.Renamed, students set apart under a new
    id; not_on_roster: ids; unwritten: [(id, reason)], students whose files could not be written.
    """
    results = [r.bounded() for r in results]
    class_ = ClassView(results, stages)
    values = dict(
        count=len(results), when=time.strftime("%Y-%m-%d %H:%M"), outcomes=list(OUTCOMES.values()),
        stage_titles=list(STAGE_TITLES.items()), summary=_summary(class_),
        handed_in=_handed_in(class_),
        scores=_figure(_stage_histograms(class_)) if class_.graded_stages else None,
        checks=_checks(class_), misconceptions=_misconceptions(class_), other=_other_mistakes(class_),
        problems=_problems(class_), stage_notes=_stage_notes(class_),
        tampered=[r.id for r in class_.results if any(c.kind == "tampered" for c in r.checks)],
        names=_names(renamed, not_on_roster, unwritten), gradebook=_gradebook(class_))
    unwritten_ids = {sid for sid, _ in unwritten}
    values["linked"] = {r.id for r in results if r.stages and r.id not in unwritten_ids}
    values["pass_rates"] = _figure(_pass_rate_chart(class_)) if values["checks"] else None
    values["sections"] = [(key, title) for key, title in SECTIONS
                          if key not in OPTIONAL or values[OPTIONAL[key]]]
    return render_template("html", "report.html.j2", **values)


class ClassView:
    """The numbers every section needs, worked out once."""

    def __init__(self, results, stages=None):
        self.results = results
        self.stages = class_stages(results, stages)        # the class's stages
        self.max = class_max(self.stages)                  # every student's maximum
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
        self.graded_stages = [s for s in self.stages if any(s in r.stages for r in results)]


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
    """The cards: [(label, value)], empty for an empty class. Every student counts, also one
    who handed in nothing or whose code could not be graded (they score 0), out of the same
    maximum: the points of every stage of the class."""
    results = class_.results
    if not results:
        return []
    totals = [r.score for r in results]
    out_of = f" (of {points(class_.max)})"
    partly = sum(1 for r in results if r.id not in class_.unusable
                 and any(c.kind in PROBLEM_KINDS for c in r.checks))
    from markupsafe import Markup

    cards = [
        ("students", len(results)),
        ("handed in every stage", sum(1 for r in results if set(class_.stages) <= set(r.stages))),
        ("handed in nothing", sum(1 for r in results if not r.stages)),
        (f"mean total{out_of}", points(round(statistics.mean(totals), 1))),
        (f"median total{out_of}", points(round(statistics.median(totals), 1))),
        ("full marks", sum(1 for r in results if class_.max and r.score == class_.max)),
        ("could not be graded", len(class_.unusable)),
        ("crashed or timed out on some checks", partly),
        ("not started (every check a stub)", sum(1 for r in results if _not_started(r))),
    ]
    return [(Markup(label), value) for label, value in cards]   # our own words, written as they are


def _handed_in(class_):
    """Each stage of the class: how many students handed it in, and who did not."""
    return [dict(stage=stage, title=STAGE_TITLES[stage],
                 handed=sum(1 for r in class_.results if stage in r.stages),
                 missing=[r.id for r in class_.results if stage not in r.stages])
            for stage in class_.stages]


def _checks(class_):
    rows = []
    for cid in class_.check_ids:
        c, counts = class_.checks[cid], class_.outcomes[cid]
        graded = sum(counts.values())
        rows.append(dict(id=cid, name=c.name, description=c.description, points=c.points,
                         passed=counts["passed"], graded=graded,
                         rate=f"{counts['passed'] / graded if graded else 0:.0%}",
                         failures=[counts[key] for key in OUTCOMES if key != "passed"]))
    return rows


def _misconceptions(class_):
    return [dict(ids=ids, text=_hint_text(name), name=name,
                 checks=sorted(class_.hint_checks[name], key=_id_key))
            for name, ids in sorted(class_.hint_ids.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


def _other_mistakes(class_):
    rows = []
    for cid in sorted(class_.other, key=_id_key):
        entries = class_.other[cid]
        common, times = Counter(message for _, message in entries).most_common(1)[0]
        rows.append(dict(id=cid, name=class_.checks[cid].name, message=_short(common), times=times,
                         failures=len(entries), ids=list(dict.fromkeys(sid for sid, _ in entries))))
    return rows


def _problems(class_):
    rows = []
    for r in class_.results:
        stopped = [c for c in r.checks if c.kind in PROBLEM_KINDS]
        if not stopped and r.id not in class_.unusable:
            continue
        kinds = sorted({c.kind for c in stopped}) or ["missing"]
        first = stopped[0].message if stopped else (r.notes[0] if r.notes else r.checks[0].message)
        rows.append(dict(id=r.id, what="; ".join(PROBLEM_WORDS.get(k, k) for k in kinds),
                         affected=len(stopped or r.checks), checks=len(r.checks),
                         message=_short(first)))
    return rows


def _stage_notes(class_):
    """Each note a student read at the top of a stage, once, with who read it."""
    who = defaultdict(list)
    for r in class_.results:
        for s in r.summaries():
            for note in dict.fromkeys(s.notes):
                who[(s.stage, note)].append(r.id)
    return [dict(stage=stage, note=_short(note), ids=ids)
            for (stage, note), ids in sorted(who.items(), key=lambda kv: (kv[0][0], -len(kv[1])))]


def _names(renamed, not_on_roster, unwritten):
    """Students set apart under a new id, students missing from the roster, and students
    whose files could not be written: [(id, what, detail)]."""
    rows = [(r.id, "set apart: another student has the name " + r.name,
             f"{', '.join(r.files)} (the name is kept by {', '.join(r.kept_by) or 'the roster'})")
            for r in renamed]
    rows += [(sid, "not on the roster", "") for sid in not_on_roster]
    rows += [(sid, "files not written", _short(reason)) for sid, reason in unwritten]
    return [dict(id=sid, what=what, detail=detail) for sid, what, detail in rows]


def _gradebook(class_):
    rows = []
    for r in class_.results:
        book = GradebookRow.of(r, class_.stages)
        kinds = sorted({c.kind for c in r.checks if c.kind in PROBLEM_KINDS})
        if not r.stages:
            status = "handed in nothing"
        elif r.id in class_.unusable:
            status = "could not be graded"
        elif kinds:
            status = "; ".join(PROBLEM_WORDS[k] for k in kinds)
        elif class_.max and r.score == class_.max:
            status = "full marks"
        elif _not_started(r):
            status = "not started"
        else:
            status = ""
        rows.append(dict(id=book.id, total=points(book.total), max=points(book.max), status=status,
                         cells=[gradebook_cell(book, s) for s in STAGE_TITLES],
                         bad=bool(kinds) or r.id in class_.unusable))
    return rows


# -- the plots ---------------------------------------------------------------------------------

def _stage_histograms(class_):
    from matplotlib.figure import Figure

    stages = class_.graded_stages
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
                     f"of {points(top)}, {len(graded)} handed in", fontsize=9.5)
        ax.set_xlim(-0.8, top + 0.8)
        ax.set_xlabel("points", fontsize=9)
        ax.set_ylabel("students", fontsize=9)
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
    labels = [f"{cid}  {clip(class_.checks[cid].name, 48)}" for cid in ids]
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
    ax.set_xlabel("share of the students graded on the check", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8, frameon=False)
    return fig


def load_plotting():
    """Import what the plots need ahead of time (the batch grader does it while grading)."""
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401


def _figure(fig):
    """A Figure as inline SVG: text kept as text (searchable, small), no date, no prolog."""
    import matplotlib
    from markupsafe import Markup

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "sans-serif"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return Markup(svg[svg.index("<svg"):])   # matplotlib's own markup, with our labels escaped


# -- small helpers -------------------------------------------------------------------------------

def _short(text, limit=MESSAGE_CHARS):
    """A message on one line, cut to fit a table cell."""
    return clip(" ".join(str(text).split()), limit)


def _hint_text(name):
    """The sentence a hint constant holds in messages.py; the name itself if it holds none."""
    value = getattr(messages, name, None) if name.isidentifier() and name.isupper() else None
    return value if isinstance(value, str) else name
