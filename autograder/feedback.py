"""feedback.md: what a student reads after a batch: per stage, what passed, what failed and
why, and what to try. Only descriptions and messages appear, never a hidden test's code.

The page is templates/feedback.md.j2; render.markdown_text escapes every value it shows."""

from .render import feedback_markdown


def markdown(result, missing=()):
    return feedback_markdown(result, missing)
