"""Reaching into the grader, as the source of a submission shows it (the judge's side).

The worker refuses and reports what it sees at run time (harness.install_guard, watch, the
MAC on every line); this screen looks at the code before it runs, for what a course
submission never needs: the driver's module, frames, the garbage collector's referrers,
raw memory, the grader's own files. A submission that holds any of them is not run: every
check of every stage scores 0 with messages.TAMPERED.
"""

import io
import re
import tokenize

SIGNS = [
    (re.compile(r"""sys\s*\.\s*modules\s*\[\s*['"]__main__['"]\s*\]"""), "sys.modules['__main__']"),
    (re.compile(r"\b_getframe\b|\bcurrentframe\b|\b_current_frames\b"), "reading frames"),
    (re.compile(r"\b(?:tb_frame|f_back|f_globals|gi_frame|cr_frame)\b"), "reading frames"),
    (re.compile(r"\bget_referrers\b|\bget_referents\b|\bget_objects\b"), "the garbage collector's objects"),
    (re.compile(r"\bctypes\b|/proc/self/mem|\bprocess_vm_"), "raw memory"),
    (re.compile(r"\b__globals__\b|\b__closure__\b|\bcell_contents\b"), "functions' namespaces"),
    (re.compile(r"\baddaudithook\b|\bsettrace\b|\bsetprofile\b"), "the interpreter's hooks"),
    (re.compile(r"\bWorkbench\b|\brun_graph\b|\brun_model\b|\brun_train\b|\bPROBES\b"), "the grader's driver"),
]


def code_of(source):
    """The source without its comments (a learner may write about ctypes; only code counts)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type != tokenize.COMMENT]
        return tokenize.untokenize(tokens)
    except (tokenize.TokenError, SyntaxError, IndentationError, ValueError):
        return source


def screen(cells):
    """The kinds of reaching into the grader the cells' code shows, each once."""
    found = []
    for cell in cells:
        code = code_of(cell.get("source", ""))
        for pattern, what in SIGNS:
            if what not in found and pattern.search(code):
                found.append(what)
    return found
