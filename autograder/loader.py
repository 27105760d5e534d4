"""From a submission on disk to the cells the worker runs. Nothing of the student's runs here.

A submission is a `.py` file, a `.ipynb` notebook, a folder holding one of those, or a `.zip`
of one. Whatever is wrong with the file becomes `Submission.problem`, a sentence for the student;
loading never raises because of a submission's content.
"""

import ast
import io
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import files, messages
from .contract import DEMO_TAG, METADATA_KEY, MIRROR_STAGE_PATTERN, STAGES

COURSE_HELPERS = {"picture.py"}    # course files a student may upload beside their work
MAX_FILE_BYTES = files.MAX_FILE_BYTES
MAX_ZIP_ENTRIES = 200


@dataclass
class Submission:
    id: str
    # [{"name": "cell 3", "source": "...", "line": its first line in the file (default 1),
    #   "statements": true when each top-level statement runs as a cell of its own}]
    cells: list = field(default_factory=list)
    kind: str = ""                               # "py" or "ipynb"
    stage: int | None = None                     # from a course notebook's metadata
    guessed_stage: int | None = None             # a notebook without it: its name, headings, code
    stage_note: str = ""                         # how the stage was chosen, for the student
    problem: str | None = None                   # why nothing can be graded, for the student
    notes: list = field(default_factory=list)    # what the loader skipped, for the student


def submission_id(path):
    path = Path(path)
    name = path.name
    for suffix in (".ipynb", ".py", ".zip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def load_submission(path):
    path = Path(path)
    source = Submission(id=submission_id(path))
    try:
        if not os.path.lexists(path):
            source.problem = f"There is no file or folder called {path}."
        elif stat.S_ISDIR(files.check_entry(path)):
            _load_folder(path, source)
        elif path.suffix.lower() == ".zip":
            _load_zip(path, source)
        elif path.suffix.lower() in (".py", ".ipynb"):
            _load_bytes(path.name, _read(path), source)
        else:
            source.problem = (f"{path.name} is not something the grader can read: hand in a .py "
                              "file, a .ipynb notebook, a folder holding one, or a .zip of one.")
    except files.Refused as exc:
        source.problem = f"The submission was not read: {exc.strerror}"
    except OSError as exc:
        source.problem = f"The submission could not be read: {exc.strerror or exc}."
    if source.problem is None and not any(c["source"].strip() for c in source.cells):
        source.problem = "The submission holds no code."
    return source


def _read(path):
    return files.read(path, MAX_FILE_BYTES)


def _candidates(names):
    """The files that could be the submission, in a folder or a zip."""
    found = []
    for name in names:
        parts = PurePosixPath(name).parts
        if any(p.startswith(".") or p in ("__pycache__", "__MACOSX") for p in parts):
            continue
        base = parts[-1] if parts else ""
        if base in COURSE_HELPERS:
            continue
        if base.lower().endswith((".py", ".ipynb")):
            found.append(name)
    notebooks = [n for n in found if n.lower().endswith(".ipynb")]
    return notebooks or found


def _choose(names, where, source):
    found = _candidates(names)
    if not found:
        source.problem = f"{where} holds no .py file or .ipynb notebook to grade."
        return None
    if len(found) > 1:
        listed = ", ".join(sorted(found)[:6])
        source.problem = f"{where} holds several files that could be the answer ({listed}): hand in one."
        return None
    return found[0]


def _load_folder(folder, source):
    # hidden files and folders are never looked into (.git, .ipynb_checkpoints)
    names = files.walk(folder, skip=lambda name: name.startswith("."))
    chosen = _choose(names, f"The folder {folder.name}", source)
    if chosen:
        _load_bytes(PurePosixPath(chosen).name, _read(folder / chosen), source)


def _load_zip(path, source):
    try:
        with zipfile.ZipFile(io.BytesIO(_read(path))) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            links = [i.filename for i in infos if stat.S_ISLNK(i.external_attr >> 16)]
            if links:
                source.problem = (f"{path.name} holds {links[0]}, which is a symbolic link: "
                                  "hand in the files themselves.")
                return
            if len(infos) > MAX_ZIP_ENTRIES:
                source.problem = f"{path.name} holds {len(infos)} files; a submission is one file."
                return
            chosen = _choose([i.filename for i in infos], f"The zip file {path.name}", source)
            if not chosen:
                return
            info = archive.getinfo(chosen)
            if info.file_size > MAX_FILE_BYTES:
                source.problem = f"{chosen} in {path.name} unpacks to more than {MAX_FILE_BYTES // 1_000_000} MB."
                return
            # read at most the limit, whatever the header claims (a zip bomb can lie)
            with archive.open(info) as member:
                data = member.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                source.problem = f"{chosen} in {path.name} unpacks to more than {MAX_FILE_BYTES // 1_000_000} MB."
                return
            _load_bytes(PurePosixPath(chosen).name, data, source)
    except files.Refused:
        raise
    except Exception as exc:  # zipfile, zlib, lzma and bz2 each raise their own kinds
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        source.problem = f"{path.name} is not a readable zip file ({detail})."


def _load_bytes(name, data, source):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        source.problem = f"{name} is not UTF-8 text: save it again as a plain-text .py or .ipynb file."
        return
    if "\x00" in text:
        source.problem = f"{name} contains binary data, not Python code or a notebook."
        return
    if name.lower().endswith(".ipynb"):
        _load_notebook(name, text, source)
    else:
        source.kind = "py"
        source.cells, exported = _py_cells(name, text)
        # the course's .py mirror of a stage notebook names its stage, as the notebook does
        marker = MIRROR_STAGE_PATTERN.search("\n".join(text.splitlines()[:10]))
        if marker:
            source.stage = int(marker.group(1))
        elif exported:
            guess_stage(source, name, [], [text])


# `# %%` (VS Code, Spyder, Jupytext) and `# In[3]:` (`jupyter nbconvert --to script`)
CELL_MARKER = re.compile(r"^# ?(%%|In\[[ 0-9]*\]:)")
EXPORT_MARKER = re.compile(r"^# In\[[ 0-9]*\]:", re.MULTILINE)
IPYTHON_LINE = re.compile(r"^[%!]", re.MULTILINE)   # a magic or a shell escape, as in a notebook


def _py_cells(name, text):
    """The cells of a .py file, and whether it is a notebook exported by nbconvert.

    Each top-level statement is a cell of its own (the worker splits them, so a failing
    import or a line of demo code costs only itself), unless `# %%` or `# In[n]:` lines
    split the file into cells: then, as in a notebook, a cell that raises does not stop the
    next. Each cell keeps its file's line numbers, so messages point at the right line."""
    if IPYTHON_LINE.search(text):
        text = _plain_lines(text)
    # lines as Python counts them (str.splitlines also cuts at form feeds and the like)
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    starts = [i for i, line in enumerate(lines) if CELL_MARKER.match(line)]
    if not starts:
        return [{"name": name, "source": text, "statements": True}], False
    bounds = ([0] if starts[0] > 0 else []) + starts + [len(lines)]
    cells = [{"name": name, "source": "".join(lines[begin:end]), "line": begin + 1}
             for begin, end in zip(bounds, bounds[1:])]
    return cells, EXPORT_MARKER.search(text) is not None


def _plain_lines(text):
    """A .py typed as in a notebook: each line that is a magic or a shell escape becomes the
    call IPython makes of it, on the same line, which does nothing when graded. Line by line,
    so that a `%%time` does not turn the rest of the file into its text."""
    from IPython.core.inputtransformer2 import TransformerManager

    manager = TransformerManager()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line[:1] in ("%", "!"):
            end = "\r" if line.endswith("\r") else ""
            try:
                call = manager.transform_cell(line.rstrip("\r")).strip()
            except Exception:   # IPython raises many kinds for lines it cannot read
                call = "pass"
            lines[i] = (call if call and "\n" not in call else "pass") + end
    return "\n".join(lines)


def _load_notebook(name, text, source):
    source.kind = "ipynb"
    try:
        nb = json.loads(text)
    except ValueError as exc:
        source.problem = f"{name} is not a readable notebook: its JSON is broken ({exc})."
        return
    except RecursionError:
        source.problem = f"{name} is not a readable notebook: its JSON is nested too deeply."
        return
    if not isinstance(nb, dict) or not ("cells" in nb or "worksheets" in nb):
        source.problem = f"{name} is not a Jupyter notebook (no cells in it)."
        return
    if nb.get("nbformat") != 4:
        # nbformat 4 is plain JSON and read as such (importing nbformat costs over a second);
        # any other version goes through nbformat's own converter.
        try:
            import nbformat

            nb = nbformat.reads(text, as_version=4)
        except Exception as exc:  # nbformat raises many kinds for many kinds of broken files
            detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            source.problem = (f"{name} is a notebook of format {nb.get('nbformat')!r} that could "
                              f"not be converted ({detail}): save it again with a recent Jupyter.")
            return
    if not isinstance(nb.get("cells"), list) or not isinstance(nb.get("metadata", {}), dict):
        source.problem = f"{name} is not a readable notebook: its cells are not a list."
        return
    meta = nb.get("metadata", {}).get(METADATA_KEY, {})
    stage = meta.get("stage") if isinstance(meta, dict) else None
    if type(stage) is int and stage in STAGES:
        source.stage = stage
    skipped_demo = skipped_checks = 0
    headings = []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            headings += _text(cell.get("source", "")).splitlines()[:50]
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {})
        tags = meta.get("tags", []) if isinstance(meta, dict) else []
        if isinstance(tags, list) and DEMO_TAG in tags:
            skipped_demo += 1
            continue
        text = _text(cell.get("source", ""), None)
        if text is None:
            continue
        if _is_check_cell(meta, text):
            skipped_checks += 1
            continue
        source.cells.append({"name": f"cell {index}", "source": _plain_python(text)})
    if skipped_demo:
        source.notes.append(f"{skipped_demo} demonstration cell(s) of the course (pictures, plots, "
                            "long training runs) were not run: they grade nothing.")
    if skipped_checks:
        source.notes.append(f"{skipped_checks} check cell(s) of the notebook were not run: the "
                            "checks below test the same things.")
    if source.stage is None:
        guess_stage(source, name, headings, [c["source"] for c in source.cells])


def _is_check_cell(meta, text):
    """One of the notebook's own check cells (nbgrader's graded, read-only test cells): it
    only asserts, and the hidden checks test the same things, so running it would cost time
    (a training run, or a loop the student's code never leaves) and grade nothing. A cell
    that defines a function or a class is run all the same: it was changed to hold code."""
    grading = meta.get("nbgrader") if isinstance(meta, dict) else None
    if not (isinstance(grading, dict) and grading.get("grade") is True
            and grading.get("solution") is False):
        return False
    try:
        tree = ast.parse(_plain_python(text))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return not any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                                     ast.ImportFrom)) for node in tree.body)


def _text(source, otherwise=""):
    """A cell's source as one string (nbformat allows a list of lines), or `otherwise`."""
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return source if isinstance(source, str) else otherwise


# -- the stage of a notebook without the course's metadata --------------------------------

STAGE_IN_NAME = re.compile(r"(?<![a-z])stage[ _-]*([1-5])(?![0-9])", re.IGNORECASE)
# a markdown heading, a comment, or a markdown heading turned into a comment by nbconvert
STAGE_HEADING = re.compile(r"^[ \t]*(?:#[ \t]*)+stage[ \t]+([1-5])\b", re.IGNORECASE | re.MULTILINE)
# a definition that shows a notebook's code goes up to a stage, latest stage first
STAGE_CODE = [
    (5, re.compile(r"^def[ \t]+train\b", re.MULTILINE)),
    (4, re.compile(r"^class[ \t]+(Neuron|Layer|MLP)\b", re.MULTILINE)),
    (3, re.compile(r"^[ \t]+def[ \t]+(__radd__|__rmul__|__neg__|__sub__|__rsub__|__truediv__|"
                   r"__rtruediv__|__pow__|exp|relu)\b", re.MULTILINE)),
    (2, re.compile(r"^[ \t]+def[ \t]+backward\b", re.MULTILINE)),
    (1, re.compile(r"^class[ \t]+Value\b", re.MULTILINE)),
]


def guess_stage(source, name, heading_lines, codes):
    """The stage of a notebook that lost the course's metadata (its cells pasted into a new
    notebook, or exported by nbconvert): the one its file name says, else the one its
    headings and `# Stage N` comments name, else the latest stage whose code it defines.
    One whose code goes up to stage 5 is graded on all five stages; one that shows no stage
    too, and is told so."""
    for where in (name, source.id):
        found = STAGE_IN_NAME.search(where)
        if found:
            source.guessed_stage = int(found.group(1))
            source.stage_note = messages.STAGE_FROM_NAME.format(stage=source.guessed_stage,
                                                                name=where)
            return
    named = {int(n) for n in STAGE_HEADING.findall("\n".join(heading_lines + codes))}
    if len(named) == 1:
        source.guessed_stage = named.pop()
        source.stage_note = messages.STAGE_FROM_HEADINGS.format(stage=source.guessed_stage)
        return
    code = "\n".join(codes)
    latest = next((stage for stage, pattern in STAGE_CODE if pattern.search(code)), None)
    if latest is None:
        source.stage_note = messages.STAGE_UNKNOWN
    elif latest < 5:
        source.guessed_stage = latest
        source.stage_note = messages.STAGE_FROM_CODE.format(stage=latest)


def _plain_python(text):
    """Turn IPython syntax (%magics, !shell, ?help) into calls that do nothing when graded."""
    if not any(line.lstrip().startswith(("%", "!", "?")) or line.rstrip().endswith("?")
               for line in text.splitlines()):
        return text
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(text)
    except Exception:
        return text
