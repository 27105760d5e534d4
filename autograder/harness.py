"""The worker: the only process in which a submission's code runs.

Started by the judge as `python -I -S harness.py RESPONSE_FD`: isolated mode and no
site-packages, so neither the grader, its hidden tests, its reference code nor an installed
`micrograd` can be imported. It reads one JSON request per line on stdin and writes one JSON
answer per line on RESPONSE_FD. It makes no judgement: it builds graphs and models with the
student's code, runs them, and sends back plain numbers; every comparison happens in the
judge. This file uses the standard library only and never imports the rest of the grader.
"""

import gc
import io
import itertools
import json
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
# next cells still run.
# ---------------------------------------------------------------------------------------

STUDENT_FILES = set()   # the names under which the submission's cells were compiled


def short_error(exc):
    """One line: the exception and the student's own line where it happened."""
    if isinstance(exc, SyntaxError) and exc.filename in STUDENT_FILES:
        return f"SyntaxError: {exc.msg} (line {exc.lineno} of {exc.filename.strip('<>')})"
    where = ""
    tb = exc.__traceback__
    while tb is not None:   # the innermost frame of the student's own code
        code = tb.tb_frame.f_code
        if code.co_filename in STUDENT_FILES:
            where = f" (line {tb.tb_lineno} of {code.co_filename.strip('<>')}, in {code.co_name})"
        tb = tb.tb_next
    message = str(exc)
    if len(message) > 300:
        message = message[:300] + "..."
    return f"{type(exc).__name__}: {message}{where}" if message else f"{type(exc).__name__}{where}"


class IPythonStandIn:
    """get_ipython() for notebook cells: magics and shell escapes do nothing when grading."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


# Once a cell was stopped, the cells after it share this much CPU time, and each gets at
# least MOMENT. Defining functions and classes takes microseconds; a later cell that runs
# long is calling the code that just looped, and grading needs only the definitions. CPU
# time, not wall-clock time, so that a busy machine cannot cut a cell that only defines.
LATER_CELLS_CPU_SECONDS = 0.1
MOMENT = 0.01
LATER_CELL_WALL_SECONDS = 0.25   # for a later cell that waits without computing (sleep)


class CellTooSlow(BaseException):
    """Raised into a cell that ran past its time; BaseException, so `except Exception` in the
    student's code does not swallow it (the judge's hard limit is the backstop if it does)."""


_armed = False


def _too_slow(signum, frame):
    if _armed:
        raise CellTooSlow()


def _arm(wall, cpu=None):
    global _armed
    _armed = True
    signal.setitimer(signal.ITIMER_REAL, wall)
    if cpu:
        signal.setitimer(signal.ITIMER_PROF, cpu)


def _disarm():
    """Called again after a CellTooSlow: the other timer may have gone off while disarming."""
    global _armed
    _armed = False
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.setitimer(signal.ITIMER_PROF, 0)


def load(cells, cell_seconds=None):
    module = types.ModuleType("submission")
    module.__dict__["__builtins__"] = __builtins__
    module.__dict__["get_ipython"] = IPythonStandIn
    sys.modules["submission"] = module
    errors = []
    later_cpu = None          # set once a cell was stopped: the CPU time the rest share
    for cell in cells:
        filename = f"<{cell['name']}>"
        STUDENT_FILES.add(filename)
        cpu_before = time.process_time()
        try:
            code = compile(cell["source"], filename, "exec")
            if cell_seconds:
                if later_cpu is None:
                    _arm(cell_seconds)
                else:
                    _arm(min(cell_seconds, LATER_CELL_WALL_SECONDS), max(later_cpu, MOMENT))
            try:
                exec(code, module.__dict__)
            finally:
                _disarm()
        except CellTooSlow:
            _disarm()
            if later_cpu is None:
                errors.append({"cell": cell["name"], "error": f"stopped after {cell_seconds:g} s: "
                               "this cell ran too long (an endless loop?); the cells after it "
                               "still ran, with just the time to define functions and classes"})
                later_cpu = LATER_CELLS_CPU_SECONDS
                continue
            errors.append({"cell": cell["name"], "error": "stopped before its end: it comes after "
                           "a cell that ran too long, so it had just the time to define functions "
                           "and classes"})
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too: grading goes on
            errors.append({"cell": cell["name"], "error": short_error(exc)})
        if later_cpu is not None:
            later_cpu -= time.process_time() - cpu_before
    return module.__dict__, errors


# ---------------------------------------------------------------------------------------
# Stage classes: the student's code for the stage being graded, the reference for the rest.
# ---------------------------------------------------------------------------------------

SLOT_TYPES = (types.MemberDescriptorType, types.GetSetDescriptorType)
CONTRACT_NAMES = ("Value", "Neuron", "Layer", "MLP", "train")


class Workbench:
    def __init__(self, namespace):
        self.ns = namespace
        self.original = dict(namespace)  # the student's names as their code left them
        self.names = {}

    def student(self, name):
        obj = self.original.get(name)
        if obj is None:
            raise LookupError(f"`{name}` is not defined in the submission")
        return obj

    def prepare(self, request):
        """Build this stage's classes and point the submission's global names at them.

        request["classes"]: for each class, whether it starts from the student's class, and
        the reference methods laid over it; request["student_names"]: the names whose
        student version is graded in this stage. Reference methods are defined in one
        namespace whose `Value` is the class built here, so they call each other correctly.
        """
        ref_ns = {"math": math, "random": __import__("random"), "__name__": "reference"}
        built = {}
        for cls in request["classes"]:
            body = {}
            if cls["student_base"]:
                student_cls = self.student(cls["name"])
                if not isinstance(student_cls, type):
                    raise LookupError(f"`{cls['name']}` in the submission is not a class")
                body.update({k: v for k, v in vars(student_cls).items()
                             if k not in ("__dict__", "__weakref__", "__slots__")
                             and not isinstance(v, SLOT_TYPES)})
            for source in cls["methods"]:
                before = set(ref_ns)
                exec(compile(source, "<reference>", "exec"), ref_ns)
                for name in set(ref_ns) - before:
                    body[name] = ref_ns.pop(name)
            built[cls["name"]] = type(cls["name"], (object,), body)
        ref_ns.update(built)
        self.names = {}
        for name in CONTRACT_NAMES:
            if name in built:
                self.ns[name] = self.names[name] = built[name]
            elif name in request["student_names"]:
                self.ns[name] = self.names[name] = self.student(name)
        # the reference code sees the student's classes too (a reference Layer of the
        # student's Neuron objects), as the student's code sees the reference ones
        ref_ns.update(self.names)
        return {}


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
                env[name] = Value(args[0], label=name)
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


def answer(bench, request):
    """Run one request; the reply carries plain data or a description of what was raised."""
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
                     not_implemented=isinstance(problem.exc, NotImplementedError))
    except BaseException as exc:
        reply.update(ok=False, step="preparing the stage", error=describe(exc),
                     error_type=type(exc).__name__,
                     not_implemented=isinstance(exc, NotImplementedError))
    return reply


def main():
    channel = Channel(int(sys.argv[1]))
    init = json.loads(channel.recv_stream.readline())
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
    namespace, errors = load(init["cells"], init["limits"].get("cell_seconds"))
    bench = Workbench(namespace)
    defined = [name for name in CONTRACT_NAMES if name in namespace]
    channel.send({"loaded": True, "cell_errors": errors, "defined": defined})
    for line in channel.recv_stream:
        channel.send(answer(bench, json.loads(line)))
    os._exit(0)


if __name__ == "__main__":
    main()
