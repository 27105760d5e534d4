"""feedback.md: what a student reads after a batch: per stage, what passed, what failed and
why, and what to try. Only descriptions and messages appear, never a hidden test's code."""

from .checks import STAGE_TITLES
from .results import _pts


def markdown(result):
    lines = [f"# Feedback for {result.id}", "",
             f"**Total: {_pts(result.score)} / {result.max_score}**", ""]
    for note in result.notes:
        lines.append(f"> {note}")
    if result.notes:
        lines.append("")
    for stage in result.stages:
        checks = [c for c in result.checks if c.stage == stage]
        lines += [f"## Stage {stage}: {STAGE_TITLES[stage]} ({_pts(result.stage_score(stage))} / "
                  f"{result.stage_max(stage)})", ""]
        if checks and all(c.kind == "not_implemented" for c in checks):
            lines += ["Not started yet: every check stopped at a stub that raises "
                      "`NotImplementedError`. Fill in the stubs of this stage's notebook.", ""]
            continue
        passed = [c for c in checks if c.passed]
        failed = [c for c in checks if not c.passed]
        if passed:
            lines.append("Passed:")
            lines += [f"- {c.id} {c.name}" for c in passed]
            lines.append("")
        if failed:
            lines.append("To fix:")
            for c in failed:
                lines += [f"- **{c.id} {c.name}** (0 / {c.points})",
                          f"  - Checked: {c.description}",
                          f"  - What went wrong: {c.message}"]
            lines.append("")
        if not failed:
            lines += ["Every check of this stage passes.", ""]
    lines += ["---", "What to try: run the check cells of the stage's notebook again after each "
              "change; they use the lecture's own numbers. The hints above name the most likely "
              "misunderstanding, not the only one.", ""]
    return "\n".join(lines)
