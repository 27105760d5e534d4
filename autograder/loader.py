"""From a submission on disk to the cells the worker runs. Nothing of the student's runs here.

A submission is a `.py` file, a `.ipynb` notebook, a folder holding one of those, or a `.zip`
of one. Whatever is wrong with the file becomes `Source.problem`, a sentence for the student;
loading never raises because of a submission's content.
"""

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .contract import DEMO_TAG, METADATA_KEY, MIRROR_STAGE_PATTERN, STAGES

COURSE_HELPERS = {"picture.py"}    # course files a student may upload beside their work
MAX_FILE_BYTES = 5_000_000         # a notebook of the course is about 50 kB
MAX_ZIP_ENTRIES = 200


@dataclass
class Source:
    id: str
    cells: list = field(default_factory=list)   # [{"name": "cell 3", "source": "..."}]
    kind: str = ""                               # "py" or "ipynb"
    stage: int | None = None                     # from a course notebook's metadata
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
    source = Source(id=submission_id(path))
    try:
        if not path.exists():
            source.problem = f"There is no file or folder called {path}."
        elif path.is_dir():
            _load_folder(path, source)
        elif path.suffix.lower() == ".zip":
            _load_zip(path, source)
        elif path.suffix.lower() in (".py", ".ipynb"):
            _load_bytes(path.name, _read(path), source)
        else:
            source.problem = (f"{path.name} is not something the grader can read: hand in a .py "
                              "file, a .ipynb notebook, a folder holding one, or a .zip of one.")
    except OSError as exc:
        source.problem = f"The submission could not be read: {exc.strerror or exc}."
    if source.problem is None and not any(c["source"].strip() for c in source.cells):
        source.problem = "The submission holds no code."
    return source


def _read(path):
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _TooBig(path.name)
    return path.read_bytes()


class _TooBig(OSError):
    def __init__(self, name):
        super().__init__(f"{name} is larger than {MAX_FILE_BYTES // 1_000_000} MB")
        self.strerror = f"{name} is larger than {MAX_FILE_BYTES // 1_000_000} MB, far more than any answer needs"


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
    names = [str(p.relative_to(folder).as_posix()) for p in sorted(folder.rglob("*")) if p.is_file()]
    chosen = _choose(names, f"The folder {folder.name}", source)
    if chosen:
        _load_bytes(PurePosixPath(chosen).name, _read(folder / chosen), source)


def _load_zip(path, source):
    try:
        with zipfile.ZipFile(io.BytesIO(_read(path))) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
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
    except _TooBig:
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
        source.cells = _py_cells(name, text)
        # the course's .py mirror of a stage notebook names its stage, as the notebook does
        marker = MIRROR_STAGE_PATTERN.search("\n".join(text.splitlines()[:10]))
        if marker:
            source.stage = int(marker.group(1))


CELL_MARKER = re.compile(r"^# ?%%")


def _py_cells(name, text):
    """A .py file is one cell, unless `# %%` lines (the cell marker of VS Code, Spyder and
    Jupytext) split it: then, as in a notebook, a cell that raises does not stop the next.
    Each cell keeps its own line numbers, so messages point at the right line."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if CELL_MARKER.match(line)]
    if not starts:
        return [{"name": name, "source": text}]
    bounds = ([0] if starts[0] > 0 else []) + starts + [len(lines)]
    cells = []
    for begin, end in zip(bounds, bounds[1:]):
        # blank lines in front keep the file's line numbers in tracebacks
        cells.append({"name": name, "source": "\n" * begin + "".join(lines[begin:end])})
    return cells


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
    skipped_demo = 0
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {})
        tags = meta.get("tags", []) if isinstance(meta, dict) else []
        if isinstance(tags, list) and DEMO_TAG in tags:
            skipped_demo += 1
            continue
        text = cell.get("source", "")
        if isinstance(text, list) and all(isinstance(line, str) for line in text):
            text = "".join(text)
        if not isinstance(text, str):
            continue
        source.cells.append({"name": f"cell {index}", "source": _plain_python(text)})
    if skipped_demo:
        source.notes.append(f"{skipped_demo} demonstration cell(s) of the course (pictures, plots, "
                            "long training runs) were not run: they grade nothing.")


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
