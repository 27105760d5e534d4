"""The worker: the only process in which a submission's code runs.

Started by the judge as `python -s -P -S harness.py RESPONSE_FD` (sandbox.PYTHON_FLAGS):
no user site, no site-packages, no script folder on sys.path, so neither the grader, its hidden tests, its reference code nor an installed
`micrograd` can be imported. It reads one JSON request per line on stdin and writes one JSON
answer per line on RESPONSE_FD. It makes no judgement: it builds graphs and models with the
student's code, runs them, and sends back plain numbers; every comparison happens in the
judge. This file uses the standard library only and never imports the rest of the grader.
"""

import _ast
import builtins
import gc
import hashlib
import hmac
import io
import itertools
import json
import json.decoder
import json.encoder
import math
import os
import resource
import signal
import sys
import time
import types


class Channel:
    """The private pipe to the judge, moved off the standard descriptors the student uses."""

    def __init__(self, response_fd):
        self.send_stream = os.fdopen(os.dup(response_fd), "w", buffering=1)
        os.close(response_fd)
        self.recv_stream = os.fdopen(os.dup(0), "r")
        os.close(0)
        os.open(os.devnull, os.O_RDONLY)  # input() reads an empty stdin: EOFError, no hang

    def send(self, message):
        self.send_stream.write(json.dumps(message) + "\n")
        self.send_stream.flush()


# ---------------------------------------------------------------------------------------
# Limits: set before any student code runs, so the student cannot raise them again.
# ---------------------------------------------------------------------------------------

def apply_limits(limits):
    mb = 1024 * 1024
    for name, value in (
        ("RLIMIT_AS", limits["memory_mb"] * mb),
        ("RLIMIT_FSIZE", limits["output_bytes"] + mb),
        ("RLIMIT_CPU", int(limits["cpu_seconds"]) + 1),
        ("RLIMIT_NOFILE", 64),
        ("RLIMIT_CORE", 0),
    ):
        if hasattr(resource, name):
            try:
                resource.setrlimit(getattr(resource, name), (value, value))
            except (ValueError, OSError):
                pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails, it does not kill


class CappedOutput(io.TextIOBase):
    """What the student prints: kept up to a cap, then silently dropped."""

    def __init__(self, stream, cap):
        self.stream, self.left = stream, cap

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if self.left > 0:
            chunk = text[: self.left]
            self.left -= len(chunk)
            try:
                self.stream.write(chunk)
                self.stream.flush()
            except OSError:
                self.left = 0
        return len(text)


# ---------------------------------------------------------------------------------------
# Loading the submission: each cell runs in order; a cell that raises is reported and the
# next cells still run. A .py without cell markers runs statement by statement, each
# top-level statement its own cell, so one failing line costs only itself.
# ---------------------------------------------------------------------------------------

STUDENT_FILES = set()   # the names under which the submission's cells were compiled


def student_frame(exc):
    """(file, line, function) of the innermost frame of the student's own code, or None."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename in STUDENT_FILES:
            found = (code.co_filename.strip("<>"), tb.tb_lineno, code.co_name)
        tb = tb.tb_next
    return found


def short_error(exc):
    """One line: the exception and the student's own line where it happened."""
    if isinstance(exc, SyntaxError) and exc.filename in STUDENT_FILES:
        return f"SyntaxError: {exc.msg} (line {exc.lineno} of {exc.filename.strip('<>')})"
    frame = student_frame(exc)
    where = f" (line {frame[1]} of {frame[0]}, in {frame[2]})" if frame else ""
    message = str(exc)
    if len(message) > 300:
        message = message[:300] + "..."
    return f"{type(exc).__name__}: {message}{where}" if message else f"{type(exc).__name__}{where}"


class IPythonStandIn:
    """get_ipython() for notebook cells: magics and shell escapes do nothing when grading."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def display(*objects, **options):
    """IPython's display(), which notebook code calls without importing it: shows nothing."""


def unavailable_error(module):
    """What using a module the worker does not have raises: the error its import raised."""
    exc = ModuleNotFoundError(f"No module named '{module}'", name=module)
    exc.stand_in = True
    return exc


class Unavailable:
    """What a top-level import of a module the worker cannot find binds instead (numpy,
    matplotlib, graphviz, the student's own helper files): the import goes through, and the
    first use of the name raises the ModuleNotFoundError the import would have raised. Code
    that never uses it is graded as if the import had worked."""

    __slots__ = ("_module",)

    def __init__(self, module):
        object.__setattr__(self, "_module", module)

    def _fail(self, *args, **kwargs):
        raise unavailable_error(object.__getattribute__(self, "_module"))

    def __repr__(self):
        return f"<{object.__getattribute__(self, '_module')}, not available>"

    __getattr__ = __setattr__ = __call__ = __getitem__ = __setitem__ = __iter__ = _fail
    __len__ = __contains__ = __bool__ = __enter__ = __mro_entries__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _fail
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __matmul__ = __rmatmul__ = _fail
    __float__ = __int__ = __index__ = __array__ = _fail


def _missing_root(exc, stmt):
    """The module a failed top-level import statement could not find, or None when the
    statement failed for another reason (then its error is reported as any other)."""
    if isinstance(stmt, _ast.ImportFrom) and stmt.level:
        return "." * stmt.level + (stmt.module or "")   # relative: a helper beside the file
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    root = exc.name.split(".")[0]
    if isinstance(stmt, _ast.ImportFrom):
        wanted = {(stmt.module or "").split(".")[0]}
    else:
        wanted = {alias.name.split(".")[0] for alias in stmt.names}
    return root if root in wanted else None


def _stand_ins(stmt, namespace, root, filename):
    """Bind what the import statement would have bound; the parts that can be imported are.
    Returns the modules that could not be."""
    if isinstance(stmt, _ast.ImportFrom):
        for alias in stmt.names:
            # `from micrograd.engine import Value` in a file that defines Value itself (its
            # parts pasted into one file) means that Value: it keeps it
            if alias.name != "*" and (alias.asname or alias.name) not in namespace:
                namespace[alias.asname or alias.name] = Unavailable(root)
        return [root]
    roots = []
    for alias in stmt.names:
        one = _ast.Module(body=[_ast.Import(names=[alias], lineno=stmt.lineno, col_offset=0)],
                          type_ignores=[])
        try:
            exec(compile(one, filename, "exec"), namespace)
        except ImportError as exc:
            name = exc.name.split(".")[0] if getattr(exc, "name", None) else root
            namespace.setdefault(alias.asname or alias.name.split(".")[0], Unavailable(name))
            roots.append(name)
    return roots


def relocate(code, offset):
    """code with every line number moved down by offset (a cell that starts further down its
    file): the line table of a code object counts from its first line."""
    if not offset:
        return code
    consts = tuple(relocate(c, offset) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + offset, co_consts=consts)


def _compile(tree_or_text, filename, offset):
    try:
        return relocate(compile(tree_or_text, filename, "exec"), offset)
    except SyntaxError as exc:
        if exc.lineno is not None:
            exc.lineno += offset
        raise


class Cell:
    """One piece of code that runs as a cell: its code, and how to find its statements again
    when one of them is a top-level import that failed."""

    def __init__(self, name, filename, source, offset, code=None):
        self.name, self.filename, self.source, self.offset = name, filename, source, offset
        self._code = code
        self.statements = None        # its top-level statements, once parsed

    def code(self):
        if self.statements is not None:
            return _compile(_ast.Module(body=self.statements, type_ignores=[]), self.filename,
                            self.offset)
        if self._code is None:
            self._code = _compile(self.source, self.filename, self.offset)
        return self._code

    def run(self, namespace, missing):
        """exec the cell. A top-level import of a module the worker cannot find binds
        stand-ins (noted in `missing`) and the statements after it still run, as if the
        import had worked."""
        code = self.code()
        while True:
            try:
                exec(code, namespace)
                return
            except ImportError as exc:
                rest = self._after_failed_import(exc, code, namespace, missing)
                if rest is None:
                    raise
                if not rest:
                    return
                self.statements = rest
                code = self.code()

    def _after_failed_import(self, exc, code, namespace, missing):
        line, tb = None, exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code is code:
                line = tb.tb_lineno - self.offset
            tb = tb.tb_next
        if line is None:
            return None
        if self.statements is None:
            try:
                self.statements = compile(self.source, self.filename, "exec", _ast.PyCF_ONLY_AST).body
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                return None
        for i, stmt in enumerate(self.statements):
            if stmt.lineno <= line <= stmt.end_lineno:
                break
        else:
            return None
        if not isinstance(stmt, (_ast.Import, _ast.ImportFrom)):
            return None
        root = _missing_root(exc, stmt)
        if root is None:
            return None
        for name in _stand_ins(stmt, namespace, root, self.filename):
            missing.setdefault(name, {"module": name, "cell": self.name,
                                      "line": line + self.offset, "used": []})
        return self.statements[i + 1:]


def cells_of(cell):
    """The cells one cell of the submission runs as: itself, or for a .py without cell
    markers ("statements": true) one cell per top-level statement."""
    name, offset = cell["name"], max(int(cell.get("line", 1)) - 1, 0)
    filename = f"<{name}>"
    STUDENT_FILES.add(filename)
    if not cell.get("statements"):
        return [Cell(name, filename, cell["source"], offset)]
    return statements(name, filename, cell["source"], offset)


# A top-level statement starts in column 0, but not every line there starts one: these
# continue the statement above them.
CONTINUED = ("else", "elif", "except", "finally")
NOT_A_START = ("", " ", "\t", "\r", "\n", "\f", "#", ")", "]", "}")
MAX_GROWTH = 200   # cuts a piece may grow over before it counts as broken


def _starts(lines):
    for i, line in enumerate(lines):
        if line[:1] in NOT_A_START:
            continue
        word = line.split(None, 1)[0].split(":", 1)[0].split("*", 1)[0]
        if word not in CONTINUED:
            yield i


def statements(name, filename, source, offset):
    """The top-level statements of a .py, each a cell of its own, found without building
    its syntax tree (that would double the cost of loading): cut the file where a line
    starts in column 0, and compile each piece. A piece that compiles is a run of whole
    statements, since it ends with every bracket and string closed; one that does not grows
    over the next cuts until it does (a decorator, a string or brackets over several lines).
    A piece that never compiles holds a syntax error: compiling it again when it runs
    reports the error at its line, and the pieces after it still run."""
    lines = [line + "\n" for line in source.split("\n")]
    lines[-1] = lines[-1][:-1]
    cuts = list(_starts(lines))
    if not cuts or cuts[0] != 0:
        cuts.insert(0, 0)
    cuts.append(len(lines))
    cells, k = [], 0
    while k < len(cuts) - 1:
        for end in range(k + 1, min(len(cuts), k + 1 + MAX_GROWTH)):
            text = "".join(lines[cuts[k]:cuts[end]])
            try:
                code = relocate(compile(text, filename, "exec"), offset + cuts[k])
            except (SyntaxError, ValueError):
                continue
            except (MemoryError, RecursionError):
                break
            cells.append(Cell(name, filename, text, offset + cuts[k], code))
            k = end
            break
        else:
            end = k + 1
            cells.append(Cell(name, filename, "".join(lines[cuts[k]:cuts[end]]), offset + cuts[k]))
            k = end
    return cells


# Once a cell was stopped, the cells after it share this much CPU time, and each gets at
# least MOMENT. Defining functions and classes takes microseconds; a later cell that runs
# long is calling the code that just looped, and grading needs only the definitions. CPU
# time, not wall-clock time, so that a busy machine cannot cut a cell that only defines.
LATER_CELLS_CPU_SECONDS = 0.1
MOMENT = 0.01
LATER_CELL_WALL_SECONDS = 1.0    # for a later cell that waits without computing (sleep); long
                                 # enough that a busy machine cannot cut one that computes


class CellTooSlow(BaseException):
    """Raised into a cell that ran past its time; BaseException, so `except Exception` in the
    student's code does not swallow it (the judge's hard limit is the backstop if it does)."""


_armed = False
# the timers, without the signal module: once the driver has set its handlers, nothing the
# submission can reach may set one (a handler is handed the frame it interrupts)
_setitimer, _REAL, _PROF = signal.setitimer, signal.ITIMER_REAL, signal.ITIMER_PROF


def _too_slow(signum, frame):
    if _armed:
        raise CellTooSlow()


def _arm(wall, cpu=None):
    global _armed
    _armed = True
    _setitimer(_REAL, wall)
    if cpu:
        _setitimer(_PROF, cpu)


def _disarm():
    """Called again after a CellTooSlow: the other timer may have gone off while disarming."""
    global _armed
    _armed = False
    _setitimer(_REAL, 0)
    _setitimer(_PROF, 0)


def load(cells, cell_seconds=None, cell_wall_seconds=None):
    """Run the cells; returns the namespace, the errors of the cells that raised, and the
    modules that top-level imports could not find (with where the code used them).

    A cell may use `cell_seconds` of CPU time (a busy machine makes it wait, not fail), and
    `cell_wall_seconds` of wall-clock time for code that sleeps."""
    cell_wall_seconds = cell_wall_seconds or 10 * (cell_seconds or 0) + 1
    module = types.ModuleType("submission")
    module.__dict__["__builtins__"] = __builtins__
    module.__dict__["get_ipython"] = IPythonStandIn
    module.__dict__["display"] = display
    sys.modules["submission"] = module
    errors, missing = [], {}
    later_cpu = None          # set once a cell was stopped: the CPU time the rest share
    for source_cell in cells:
        try:
            parts = cells_of(source_cell)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            errors.append({"cell": source_cell["name"], "error": short_error(exc)})
            continue
        for cell in parts:
            cpu_before = time.process_time()
            try:
                if cell_seconds:
                    if later_cpu is None:
                        _arm(cell_wall_seconds, cell_seconds)
                    else:
                        _arm(min(cell_wall_seconds, LATER_CELL_WALL_SECONDS), max(later_cpu, MOMENT))
                try:
                    cell.run(module.__dict__, missing)
                finally:
                    _disarm()
            except CellTooSlow:
                _disarm()
                if later_cpu is None:
                    errors.append({"cell": cell.name, "error": f"stopped after {cell_seconds:g} s: "
                                   "this cell ran too long (an endless loop?); the cells after it "
                                   "still ran, with just the time to define functions and classes"})
                    later_cpu = LATER_CELLS_CPU_SECONDS
                    continue
                errors.append({"cell": cell.name, "error": "stopped before its end: it comes after "
                               "a cell that ran too long, so it had just the time to define functions "
                               "and classes"})
            except BaseException as exc:  # SystemExit and KeyboardInterrupt too: grading goes on
                frame = student_frame(exc)
                module_name = getattr(exc, "name", None) if getattr(exc, "stand_in", False) else None
                if module_name in missing:
                    # a use of a module that is not there: said once, with the module's note
                    where = {"cell": frame[0], "line": frame[1]} if frame else {"cell": cell.name}
                    used = missing[module_name]["used"]
                    if where not in used and len(used) < 5:
                        used.append(where)
                else:
                    errors.append({"cell": cell.name, "error": short_error(exc)})
            if later_cpu is not None:
                later_cpu -= time.process_time() - cpu_before
    return module.__dict__, errors, list(missing.values())


# ---------------------------------------------------------------------------------------
# Stage classes: the student's code for the stage being graded, the reference for the rest.
# ---------------------------------------------------------------------------------------

# The student API's names (autograder/contract.py): the judge sends them in its first message,
# and the judge's own Workbench for the reference sets them the same way (configure).
CONTRACT_NAMES = ()

# What learners call the contract's names instead, lowercased and without underscores: a
# name missing from the submission is looked for among these (and among names that merely
# spell it differently: `Backward`, `multi_layer_perceptron`, `MyValue`), to say once what
# was found and what the course calls it.
ALIASES = {
    "Value": {"scalar", "tensor", "variable", "var", "val"},
    "Neuron": {"neurone", "unit"},
    "Layer": {"denselayer", "dense", "linear", "linearlayer", "fullyconnected"},
    "MLP": {"multilayerperceptron", "perceptron", "network", "net", "neuralnet",
            "neuralnetwork"},
    "train": {"training", "fit", "trainloop", "trainingloop", "gradientdescent", "optimize",
              "optimise"},
    "backward": {"backprop", "backpropagate", "backpropagation", "backwards", "backpass",
                 "gradients", "computegradients", "computegrads"},
    "exp": {"exponential", "exponent"},
    "relu": {"rectify"},
    "parameters": {"params", "getparameters", "getparams", "parameter", "weights"},
    "_prev": {"parents", "children", "prev", "previous", "operands", "inputs", "sources",
              "srcs", "childs", "childnodes", "parentnodes"},
}


def _plain(name):
    return name.lower().replace("_", "")


# Names the contract gives to something else: never taken for another name of the contract
# (every Value has a `_backward`, which is not its `backward`).
RESERVED = set()


def configure(names):
    """Set the contract's names, before any Workbench is built."""
    global CONTRACT_NAMES, RESERVED
    CONTRACT_NAMES = tuple(names)
    RESERVED = {*CONTRACT_NAMES, *ALIASES, "tanh", "_backward", "_op", "data", "grad", "label"}


def look_alike(name, candidates):
    """The candidate that is most likely the contract's `name` under another name, or ""."""
    want = _plain(name)
    plain = {c: _plain(c) for c in sorted(candidates)
             if isinstance(c, str) and c not in RESERVED
             and not (c.startswith("__") and c.endswith("__"))}
    for matches in (lambda p: p == want, lambda p: p in ALIASES.get(name, ()),
                    lambda p: len(want) >= 4 and want in p):
        for candidate, p in plain.items():
            if matches(p):
                return candidate
    import difflib   # typos (`backwrd`): only when a name is missing

    close = difflib.get_close_matches(want, list(plain.values()), n=1, cutoff=0.8)
    return next((c for c, p in plain.items() if close and p == close[0]), "")


class MissingName(LookupError):
    """A name of the contract the submission does not have where a check needs it.

    kind: "missing" (a top-level name), "not_a_class", "method" or "attribute" (of `owner`);
    found: a name the submission has that looks like it; after_errors: the submission writes
    the name, but the code that defines it raised an error when it ran."""

    def __init__(self, name, kind="missing", found="", owner="", after_errors=False):
        what = "is not a class" if kind == "not_a_class" else "is not defined"
        super().__init__(f"`{name}` {what} in the submission")
        self.name, self.kind, self.found, self.owner = name, kind, found, owner
        self.after_errors = after_errors


def _renamed_method(name, found, owner):
    def stand_in(self, *args, **kwargs):
        raise MissingName(name, "method", found, owner)
    stand_in.__name__ = name
    return stand_in


class RenamedAttribute:
    """An attribute of the contract that the student's class keeps under another name. A
    value that has it (the grader's own outputs set it) reads it as usual; reading it on one
    that does not says what is missing."""

    def __init__(self, name, found, owner):
        self.name, self.found, self.owner = name, found, owner

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        raise MissingName(self.name, "attribute", self.found, self.owner)


COLLECTIONS = (set, frozenset, tuple, list)


class Outputs:
    """`Value` as the reference methods of a hybrid class see it. `isinstance(x, Value)`
    asks the hybrid class; `Value(data, children, op)` makes an output the way every
    constructor of the contract allows: `Value(data)`, then its children and its op set as
    attributes (in the collection type the student's own values use, and under the
    student's own name for the children too), so a constructor with other parameters, in
    another order, or keyword-only, is never handed a positional argument it does not take."""

    def __init__(self, cls, children_names=("_prev",), kind=set):
        self.cls, self.children_names, self.kind = cls, children_names, kind

    def __instancecheck__(self, obj):
        return isinstance(obj, self.cls)

    def __call__(self, data, _children=(), _op="", label=""):
        out = self.cls(data)
        if _children:
            for name in self.children_names:
                setattr(out, name, self.kind(_children))
            out._op = _op
        return out


_ABSENT = object()


def _read(obj, name):
    """obj.name, or None when reading it raises (a property of the student's may)."""
    try:
        return getattr(obj, name)
    except BaseException:
        return None


class Workbench:
    def __init__(self, namespace, sources=(), load_failed=False):
        self.ns = namespace
        self.original = dict(namespace)  # the student's names as their code left them
        self.sources = sources           # the cells' code, to tell a name never written
        self.load_failed = load_failed   # from one whose definition raised
        self.names = {}
        self.notes = []                  # deviations from the contract found, not yet sent
        self.rebound = {}                # global names prepare() changed: their own values
        self.layer_list = False          # the student's Layer returned a list of one Value

    def note(self, **note):
        if note not in self.notes:
            self.notes.append(note)

    def take_notes(self):
        notes, self.notes = self.notes, []
        return notes

    def _written(self, name):
        import re   # only when a name is missing

        pattern = re.compile(rf"^[ \t]*(class|def)[ \t]+{name}\b|^{name}[ \t]*=", re.MULTILINE)
        return any(pattern.search(source) for source in self.sources)

    def missing(self, name):
        """The MissingName a check that needs the top-level `name` gets; a name that looks
        like it is noted, for the stage to say once."""
        wanted = type if name != "train" else types.FunctionType
        found = look_alike(name, [k for k, v in self.original.items() if isinstance(v, wanted)])
        if found:
            self.note(kind="renamed", owner="", name=name, found=found)
        return MissingName(name, "missing", found,
                           after_errors=self.load_failed and self._written(name))

    def _bind(self, name, obj):
        if name not in self.rebound:
            self.rebound[name] = self.ns.get(name, _ABSENT)
        self.ns[name] = obj

    def _restore(self):
        for name, value in self.rebound.items():
            if value is _ABSENT:
                self.ns.pop(name, None)
            else:
                self.ns[name] = value
        self.rebound = {}

    def prepare(self, request):
        """Build this stage's classes and point the submission's global names at them.

        request["classes"]: for each class, whether it starts from the student's class, and
        the reference methods laid over it; request["student_names"]: the names whose
        student version is graded in this stage; "needs": the methods (and attributes) of
        the student's classes that the stage's checks use. Reference methods are defined in
        one namespace whose `Value` is the class built here, so they call each other
        correctly. A student name that is missing fails only the checks that use it.
        """
        self._restore()
        ref_ns = {"math": math, "random": __import__("random"), "__name__": "reference"}
        built, seen = {}, {}
        for cls in request["classes"]:
            methods = {}
            for source in cls["methods"]:
                before = set(ref_ns)
                exec(compile(source, "<reference>", "exec"), ref_ns)
                for name in set(ref_ns) - before:
                    methods[name] = ref_ns.pop(name)
            if cls["student_base"]:
                built[cls["name"]], seen[cls["name"]] = self.hybrid(cls, methods)
            else:
                built[cls["name"]] = seen[cls["name"]] = type(cls["name"], (object,), methods)
        ref_ns.update(seen)
        self.names = {}
        needs = request.get("needs", {})
        for name in CONTRACT_NAMES:
            if name in built:
                self.names[name] = built[name]
                self._bind(name, built[name])
                student = self.original.get(name)
                if student is not None and built[name] is not student:
                    # the student's own code may call its class by another name too
                    for other, value in self.original.items():
                        if value is student and other != name:
                            self._bind(other, built[name])
            elif name in request["student_names"]:
                obj = self.original.get(name)
                if obj is None:
                    self.names[name] = self._stand_in(name)
                    continue
                self.names[name] = obj
                self._bind(name, obj)
                if isinstance(obj, type):
                    for method in needs.get(name, {}).get("methods", []):
                        self._look_for(obj, name, method)
        # the reference code sees the student's classes too (a reference Layer of the
        # student's Neuron objects), as the student's code sees the reference ones; where
        # the reference already has its way to make a class's values (a hybrid Value), it
        # keeps it
        for name, value in self.names.items():
            ref_ns.setdefault(name, value)
        return {}

    def _stand_in(self, name):
        """What a check that uses a missing student name calls instead: it raises."""
        problem = self.missing(name)

        def stand_in(*args, **kwargs):
            raise MissingName(problem.name, problem.kind, problem.found,
                              after_errors=problem.after_errors)
        return stand_in

    def _look_for(self, cls, owner, method):
        """The name a method the stage needs has in the student's class, when it is not
        there under its own: noted, and returned."""
        try:
            if hasattr(cls, method):
                return ""
            found = look_alike(method, [n for n in dir(cls) if callable(_read(cls, n))])
        except BaseException:   # the student's class answers these questions its own way
            return ""
        if found:
            self.note(kind="renamed", owner=owner, name=method, found=found, what="method")
        return found

    def hybrid(self, cls, methods):
        """The student's class with the reference methods of the other stages laid over it:
        a subclass, so its base classes, super(), class attributes, __slots__, properties
        and decorators all keep working. Returns the class and the `Value` that the
        reference methods see."""
        name = cls["name"]
        student = self.original.get(name)
        if student is None:
            raise self.missing(name)
        if not isinstance(student, type):
            raise MissingName(name, "not_a_class")
        needs = cls.get("needs", {})
        body = dict(methods)
        for method in needs.get("methods", []):
            if method not in body:
                found = self._look_for(student, name, method)
                if found:
                    body[method] = _renamed_method(method, found, name)
        children, kind = self._children(student, name, needs.get("attributes", []), body)
        if not body:
            return student, student
        hybrid = types.new_class(name, (student,), {}, lambda ns: ns.update(body))
        hybrid.__module__, hybrid.__qualname__ = student.__module__, student.__qualname__
        return hybrid, Outputs(hybrid, children, kind)

    def _children(self, student, owner, needed, body):
        """Where a value of the student's class keeps its children, and in what collection,
        read from a fresh Value(2.0). A needed attribute that the student keeps under
        another name is noted, and the hybrid class says so where it is read."""
        try:
            leaf = student(2.0)
        except BaseException as exc:
            if isinstance(exc, TypeError):   # its __init__ needs more than data
                self.note(kind="constructor", owner=owner, error=type(exc).__name__)
            return ("_prev",), set
        try:
            if hasattr(leaf, "_prev"):
                kind = type(leaf._prev)
                return ("_prev",), kind if kind in COLLECTIONS else set
            found = look_alike("_prev", [n for n in dir(leaf)
                                         if isinstance(_read(leaf, n), COLLECTIONS)])
            kind = type(_read(leaf, found)) if found else set
        except BaseException:   # the student's value answers these questions its own way
            return ("_prev",), set
        if not found:
            return ("_prev",), set
        if "_prev" in needed:
            self.note(kind="renamed", owner=owner, name="_prev", found=found, what="attribute")
            body["_prev"] = RenamedAttribute("_prev", found, owner)
        return ("_prev", found), kind


def number(x, what):
    """The plain float stored in x, or a clear complaint.

    Reads the value through float's and int's own slots, so a subclass that overrides
    __float__, __eq__ or __repr__ cannot pass for another number.
    """
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{what} is {type(x).__name__}, not a number")
    if isinstance(x, float):
        return float.__float__(x)
    return float(int.__int__(x))


# ---------------------------------------------------------------------------------------
# Probes: small programs the judge describes as data.
# ---------------------------------------------------------------------------------------

OPS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "sub": lambda a, b: a - b,
    "div": lambda a, b: a / b,
    "pow": lambda a, k: a ** k,
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "exp": lambda a: a.exp(),
    "relu": lambda a: a.relu(),
}


class ProbeError(Exception):
    def __init__(self, step, exc):
        super().__init__(step)
        self.step, self.exc = step, exc


def run_graph(bench, request):
    Value = bench.names["Value"]
    env = {}
    for node in request["nodes"]:
        name, op, args = node[0], node[1], node[2:]
        step = f"computing {name}"
        try:
            if op == "leaf":
                env[name] = Value(args[0])
            else:
                operands = [env[a] if isinstance(a, str) else a for a in args]
                env[name] = OPS[op](*operands)
        except BaseException as exc:
            raise ProbeError(step, exc)
    try:
        if "backward" in request:
            step = f"calling {request['backward']}.backward()"
            env[request["backward"]].backward()
        for name, grad in request.get("grads", []):
            step = f"setting {name}.grad"
            env[name].grad = grad
        for name in request.get("local", []):
            step = f"calling {name}._backward()"
            env[name]._backward()
        if "then_backward" in request:   # a second backward(), on a graph sharing nodes
            step = f"calling {request['then_backward']}.backward()"
            env[request["then_backward"]].backward()
    except BaseException as exc:
        raise ProbeError(step, exc)
    out = {}
    for name in request["read"]:
        v = env[name]
        step = f"reading {name}"
        try:
            is_value = isinstance(v, Value)
            out[name] = {
                "data": number(v.data, f"{name}.data") if is_value else number(v, name),
                "grad": number(v.grad, f"{name}.grad") if is_value else None,
                "is_value": is_value,
            }
            if name in request.get("prev", ()) and is_value:
                step = f"reading {name}._prev"
                out[name].update(children_of(v, env))
        except BaseException as exc:
            raise ProbeError(step, exc)
    return out


def children_of(v, env):
    """Which of the program's nodes v._prev holds (by identity; any collection), and how
    many other things it holds."""
    names, others = [], 0
    for child in itertools.islice(v._prev, 100):
        found = [name for name, node in env.items() if node is child]
        names += found[:1]
        others += not found
    return {"prev": names, "prev_others": others}


def set_parameters(params, values):
    for p, x in zip(params, values):
        p.data = x


def structure(kind, model):
    """A model's parameters as the contract's attributes hold them, without parameters():
    each neuron's w + [b], neuron after neuron (.neurons), layer after layer (.layers)."""
    if kind == "Neuron":
        return list(model.w) + [model.b]
    if kind == "Layer":
        return [p for n in model.neurons for p in structure("Neuron", n)]
    return [p for layer in model.layers for p in structure("Layer", layer)]


def output_sum(y):
    """The sum of a model's outputs, as a plain number."""
    ys = list(y) if isinstance(y, (list, tuple)) else [y]
    return sum(number(v.data, "an output's data") for v in ys)


def run_model(bench, request):
    """Build a Neuron, Layer or MLP, set its parameters (in parameters() order, or through
    each neuron's .w and .b with set_by "structure"), run it; with nudge, also the slope of
    its output along each parameter."""
    kind, args = request["kind"], request["args"]
    Value = bench.names["Value"]
    step = f"creating {kind}{tuple(args)}"
    try:
        model = bench.names[kind](*args)
        step = f"calling {kind}.parameters()"
        params = list(model.parameters())
        info = {"n_params": len(params),
                "all_values": all(isinstance(p, Value) for p in params),
                "distinct": len({id(p) for p in params}) == len(params)}
        if kind == "Neuron":
            step = "reading Neuron.w and Neuron.b"
            info["n_w"] = len(model.w)
            info["b_is_value"] = isinstance(model.b, Value)
            info["order_ok"] = len(params) == len(model.w) + 1 and all(
                p is q for p, q in zip(params, list(model.w) + [model.b]))
        if kind == "Layer":
            step = "reading Layer.neurons"
            info["n_neurons"] = len(model.neurons)
            flat = [p for n in model.neurons for p in n.parameters()]
            info["order_ok"] = len(flat) == len(params) and all(p is q for p, q in zip(params, flat))
        if kind == "MLP":
            step = "reading MLP.layers"
            info["n_layers"] = len(model.layers)
            flat = [p for layer in model.layers for p in layer.parameters()]
            info["order_ok"] = len(flat) == len(params) and all(p is q for p, q in zip(params, flat))
        step = f"reading the weights and biases of the {kind}"
        try:
            walked = structure(kind, model)
        except Exception:
            walked = None
        if walked is not None:
            where = {id(p): i for i, p in enumerate(walked)}
            info["n_structure"] = len(walked)
            info["places"] = [where.get(id(p), -1) for p in params]
        used = params
        if request.get("set_by") == "structure":
            used = structure(kind, model)   # raises what the walk above swallowed
        if "params" in request:
            step = ("setting the parameters through .w and .b" if used is not params
                    else "setting the parameters through parameters()")
            set_parameters(used, request["params"])
        outputs = []
        for x in request.get("inputs", []):
            step = f"calling {kind} on {x}"
            xs = [Value(v) for v in x] if request.get("value_inputs") else list(x)
            y = model(xs)
            many = isinstance(y, (list, tuple))
            ys = list(y) if many else [y]
            record = {"is_list": many, "data": [number(v.data, "an output's data") for v in ys],
                      "all_values": all(isinstance(v, Value) for v in ys)}
            if many and len(ys) == 1 and kind != "Neuron" and single_output(kind, args):
                # an MLP returns what its last layer returns: a Layer's list is said once
                if kind == "Layer" or not bench.layer_list:
                    bench.note(kind="list_of_one", owner=kind)
                bench.layer_list = bench.layer_list or kind == "Layer"
            if request.get("backward") and ys and all(isinstance(v, Value) for v in ys):
                step = "calling backward() on the output"
                for p in used:
                    p.grad = 0.0
                total = ys[0]
                for v in ys[1:]:
                    total = total + v
                total.backward()
                record["grads"] = [number(p.grad, "a parameter's grad") for p in used]
            if request.get("nudge") and "grads" in record:
                # the slope of the model's own output along each parameter, for comparing
                # backward() with the function the model really computes
                step = f"calling {kind} on {x} with one parameter nudged"
                h, slopes = request["nudge"], []
                for p in used:
                    start = p.data
                    p.data = start + h
                    up = output_sum(model(xs))
                    p.data = start - h
                    down = output_sum(model(xs))
                    p.data = start
                    slopes.append((up - down) / (2 * h))
                record["slopes"] = slopes
            outputs.append(record)
        info["outputs"] = outputs
        return info
    except BaseException as exc:
        raise ProbeError(step, exc)


def single_output(kind, args):
    """Whether a Layer(nin, nout) or MLP(nin, nouts) of these arguments has one output."""
    try:
        return (args[1] if kind == "Layer" else list(args[1])[-1]) == 1
    except (IndexError, TypeError):
        return False


def run_train(bench, request):
    """The reference MLP with given parameters, trained by the student's train."""
    step = "building the model"
    try:
        model = bench.names["MLP"](request["nin"], request["nouts"])
        params = model.parameters()
        set_parameters(params, request["params"])
        step = (f"calling train(model, xs, ys, steps={request['steps']}, lr={request['lr']})")
        losses = bench.names["train"](model, request["xs"], request["ys"],
                                      steps=request["steps"], lr=request["lr"])
        step = "reading the losses train returned"
        if not isinstance(losses, (list, tuple)):
            return {"returned": type(losses).__name__, "losses": None,
                    "params": [number(p.data, "a parameter") for p in params]}
        plain, kinds = [], set()
        for x in losses:
            kinds.add(type(x).__name__)
            if isinstance(x, bench.names["Value"]):
                x = x.data
            plain.append(number(x, "a loss"))
        return {"returned": "list", "losses": plain, "kinds": sorted(kinds),
                "params": [number(p.data, "a parameter") for p in params]}
    except BaseException as exc:
        raise ProbeError(step, exc)


PROBES = {"graph": run_graph, "model": run_model, "train": run_train}


def describe(exc):
    if isinstance(exc, RecursionError):
        return "RecursionError: maximum recursion depth exceeded"
    if isinstance(exc, MemoryError):
        return "MemoryError: the memory limit was reached"
    if isinstance(exc, SystemExit):
        return f"SystemExit: sys.exit({exc.code!r}) was called"
    return short_error(exc)


def what_failed(exc):
    """The plain facts the judge words a message from: which name of the contract was
    missing, or which module the code used that the worker does not have."""
    if isinstance(exc, MissingName):
        return {"missing": {"name": exc.name, "kind": exc.kind, "found": exc.found,
                            "owner": exc.owner, "after_errors": exc.after_errors}}
    if isinstance(exc, ModuleNotFoundError) and isinstance(exc.name, str):
        relative = exc.name.startswith(".")   # a helper beside the file: keep its dots
        return {"module": exc.name if relative else exc.name.split(".")[0]}
    return {}


def answer(bench, request):
    """Run one request; the reply carries plain data or a description of what was raised,
    and the deviations from the contract found on the way (notes)."""
    reply = {"id": request.get("id")}
    try:
        if request["probe"] == "prepare":
            reply["value"] = bench.prepare(request)
        else:
            reply["value"] = PROBES[request["probe"]](bench, request)
        reply["ok"] = True
    except ProbeError as problem:
        reply.update(ok=False, step=problem.step, error=describe(problem.exc),
                     error_type=type(problem.exc).__name__,
                     not_implemented=isinstance(problem.exc, NotImplementedError),
                     **what_failed(problem.exc))
    except BaseException as exc:
        reply.update(ok=False, step="preparing the stage", error=describe(exc),
                     error_type=type(exc).__name__,
                     not_implemented=isinstance(exc, NotImplementedError), **what_failed(exc))
    notes = bench.take_notes()
    if notes:
        reply["notes"] = notes
    return reply


# ---------------------------------------------------------------------------------------
# The guard: student code must not answer for itself. Installed before the first cell runs.
# ---------------------------------------------------------------------------------------

# What student code may not do at all (PEP 578 audit events), and the restricted attributes
# it may not read: each would hand it a frame of this driver, or its code, and from there
# the functions that answer the judge.
REFUSED_EVENTS = {"sys._current_frames", "sys.settrace", "sys.setprofile", "sys.addaudithook",
                  "gc.get_referrers", "gc.get_referents", "gc.get_objects", "cpython.run_command"}
REFUSED_READS = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_code", "gi_code",
                 "cr_code", "__code__"}
# Modules that hand out frames or raw memory; the driver has imported what it needs already.
REFUSED_IMPORTS = {"ctypes", "_ctypes", "signal", "_signal", "faulthandler", "_testcapi",
                   "_xxsubinterpreters"}


def install_guard(tampered):
    """An audit hook that refuses what is refused above when student code asks for it, and
    records each attempt in `tampered` (the driver reports them: the submission scores 0).
    The standard library's own uses (warnings and logging read their caller's frame) pass."""
    inside = []
    hands_frames_over = ("inspect.py", "traceback.py")

    def asked_by_student():
        # The frame that raised the event, the first outside this hook. Code the submission
        # compiled has a "<...>" file name (its cells, its exec). inspect and traceback hand
        # the frames they read to their caller: when their caller is not one of them, the
        # caller is asking (warnings, logging and namedtuple read frames for themselves).
        frame = sys._getframe(2)
        if frame.f_code.co_filename.endswith(hands_frames_over):
            frame = frame.f_back
            if frame is not None and frame.f_code.co_filename.endswith(hands_frames_over):
                return False
        return frame is None or frame.f_code.co_filename.startswith("<")

    def hook(event, args):
        if inside:
            return
        if event.startswith("ctypes.") or event in REFUSED_EVENTS:
            refuse = True
        elif event in ("sys._getframe", "object.__getattr__") and \
                (event == "sys._getframe" or args[1] in REFUSED_READS):
            inside.append(1)
            try:
                refuse = asked_by_student()
            finally:
                inside.pop()
        elif event == "object.__setattr__" and args[1] in ("__code__", "__globals__"):
            refuse = True
        elif event == "import" and args[0].split(".")[0] in REFUSED_IMPORTS:
            refuse = True
        elif event == "open" and isinstance(args[0], str) and args[0].startswith("/proc/") \
                and ("mem" in args[0] or "/fd" in args[0]):
            refuse = True
        else:
            return
        if refuse:
            what = event if event not in ("object.__getattr__", "object.__setattr__", "import") \
                else f"{event} {args[1] if event != 'import' else args[0]}"
            if len(tampered) < 20:
                tampered.append(what)
            raise RuntimeError(f"{what} is not allowed while the grader runs your code")
    sys.addaudithook(hook)


def watch(modules, classes):
    """What must stay as it is while student code runs: each namespace's items, the items of
    each class, and the contents of the driver's tables (dicts, sets, lists). Returns a
    function that says what changed (empty when nothing)."""
    spaces = list(modules) + [cls.__dict__ for cls in classes]
    spaces += [v for v in modules[0].values() if type(v) is dict]
    frozen = [(space, list(space.items()), len(space)) for space in spaces]
    # (the names of the cells grow while they load: a table the guard does not rely on)
    collections = [(v, tuple(v), len(v)) for v in modules[0].values()
                   if type(v) in (set, list) and v is not STUDENT_FILES]

    def changed():
        found = []
        for space, items, size in frozen:
            if len(space) != size or any(space.get(key, changed) is not value
                                         for key, value in items):
                found.append("a namespace or table of the grader was changed")
        for collection, items, size in collections:
            if len(collection) != size or (type(collection) is list and tuple(collection) != items) \
                    or (type(collection) is set and not all(x in collection for x in items)):
                found.append("a table of the grader was changed")
        return found[:1]
    return changed


def signer(key):
    """The driver's own way to send a line: a MAC the judge checks, made with a key only the
    driver holds (a line the student's code writes on the pipe has none that checks)."""
    new, digest = hmac.new, hashlib.sha256
    return lambda text: new(key, text.encode(), digest).hexdigest() + " " + text


def main():
    channel = Channel(int(sys.argv[1]))
    init = json.loads(channel.recv_stream.readline())
    sign = signer(bytes.fromhex(init.pop("key")))
    send_stream, dumps, loads = channel.send_stream, json.dumps, json.loads

    def send(message):
        send_stream.write(sign(dumps(message)) + "\n")
        send_stream.flush()
    configure(init["names"])
    apply_limits(init["limits"])
    out = open(os.path.join(os.getcwd(), "output.txt"), "a", buffering=1, encoding="utf-8",
               errors="replace")
    os.dup2(out.fileno(), 1)
    os.dup2(out.fileno(), 2)
    sys.stdout = CappedOutput(out, init["limits"]["output_bytes"])
    sys.stderr = sys.stdout
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    # A graph of Values is full of reference cycles (each _backward closure holds its
    # node), so training keeps the cycle collector busy: at its default pace it takes half
    # the time of a training run. Collecting every 10,000 allocations instead of 700 still
    # frees the garbage of each step within a few steps.
    gc.set_threshold(10_000, 10, 10)

    signal.signal(signal.SIGALRM, _too_slow)
    signal.signal(signal.SIGPROF, _too_slow)

    # Student code must not reach the driver: this module leaves sys.modules (its code stays
    # reachable through the stand-ins it hands out, so every namespace the driver relies on
    # is watched), modules that hand out frames leave too, and the guard refuses the rest.
    here = sys.modules["__main__"].__dict__
    sys.modules["__main__"] = types.ModuleType("__main__")
    for name in ("signal", "_signal"):
        sys.modules.pop(name, None)
    here.pop("signal", None)
    classes = [v for v in here.values() if isinstance(v, type) and v.__module__ == "__main__"]
    changed = watch([here, json.__dict__, json.encoder.__dict__, json.decoder.__dict__,
                     hmac.__dict__, builtins.__dict__, math.__dict__], classes)
    tampered, real_answer, recv = [], answer, channel.recv_stream
    install_guard(tampered)

    namespace, errors, missing = load(init["cells"], init["limits"].get("cell_seconds"),
                                      init["limits"].get("cell_wall_seconds"))
    bench = Workbench(namespace, [cell["source"] for cell in init["cells"]],
                      load_failed=bool(errors) or any(m["used"] for m in missing))
    defined = [name for name in CONTRACT_NAMES if name in namespace]
    reply = {"loaded": True, "cell_errors": errors, "defined": defined, "missing_modules": missing}
    while True:
        # what the student's code did since the last reply is looked at before this one goes
        tampered += [what for what in changed() if what not in tampered]
        if tampered:
            reply = {"id": reply.get("id"), "loaded": reply.get("loaded"), "ok": False,
                     "tampered": tampered[:20]}
        send(reply)
        line = recv.readline()
        if not line:
            break
        request = loads(line)
        reply = {"id": request.get("id")} if tampered else real_answer(bench, request)
    os._exit(0)


if __name__ == "__main__":
    main()
