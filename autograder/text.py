"""Text as every rendering shows it: points as text, long text clipped, and the characters
a terminal or a viewer would act on taken out. Standard library only (the worker side uses it).
"""

import re

CLIPPED = " [...]"

# A terminal acts on escape sequences (clear the screen, set the title, make a link) and on
# carriage returns (overwrite the line); bidirectional overrides reorder what a viewer shows.
# A whole CSI or OSC sequence goes at once, so no "[2J" is left behind; then any other control.
_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029\x85]")


def points(x):
    """20, 2.5, 0.33: a whole number without a decimal point, else at most two decimals."""
    x = round(float(x), 2)
    return str(int(x)) if x.is_integer() else f"{x:.2f}".rstrip("0")


def clip(text, limit=400):
    """At most `limit` characters of the text, and a mark where the rest was cut. Clipping
    twice changes nothing."""
    text = str(text)
    if len(text) <= limit or (len(text) <= limit + len(CLIPPED) and text.endswith(CLIPPED)):
        return text
    return text[:limit] + CLIPPED


def clean_clip(text, limit):
    """clip(clean(text), limit), cleaning no more of the text than can be shown: what a
    student's code sends can be megabytes."""
    text = str(text)
    head = text[:4 * limit + 64]     # cleaning only shortens; past this, nothing is shown
    if len(head) == len(text):
        return clip(clean(text), limit)
    shown = clean(head)
    return clip(shown, limit) if len(shown) > limit else shown + CLIPPED


def clean(text, newlines=True):
    """The text without control characters. With newlines, line breaks become "\\n" and tabs
    stay; without, every line break and tab becomes a space (an id, a table cell)."""
    text = _LINE_BREAK.sub("\n", _SEQUENCE.sub("", str(text)))
    text = _CONTROL.sub("", text)
    return text if newlines else text.replace("\n", " ").replace("\t", " ")
