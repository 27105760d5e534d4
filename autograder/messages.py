"""Every sentence the grader says to a student, in one place (the tests import them).

Written for a student: plain words, the lecture's names. A hint names the likely
misconception, never the hidden inputs or the expected value of a randomized check.
"""

import re
import signal

from .contract import CLASSES, NAMES
from .text import clip  # noqa: F401  (the worker side cuts the student's text with it)

# -- when the code could not be run ---------------------------------------------------------

DURING_LOAD = "while your code ran from the top, before any check"
DURING_REQUEST = "while a check was running"
TIMEOUT = ("Your code was stopped {during}: it computed for more than {seconds:.2g} second(s). "
           "Look for a loop that never ends (for example in backward(), a graph walk "
           "that never marks a node as visited).")
STALLED = ("Your code was stopped {during}: it was still not done after {seconds:.3g} second(s), "
           "most of them spent waiting rather than computing (time.sleep(), input(), or "
           "waiting for something that never comes).")
PROTOCOL = ("Your code interfered with the grader's connection to it (it wrote to a file "
            "descriptor it does not own), so its answers could not be read.")
STAGE_STOPPED = ("Not run: an earlier check of this stage was stopped because your code ran "
                 "too long, and this check runs the same code. Look for a loop that never ends "
                 "(for example in backward(), a graph walk that never marks a node as visited).")
STAGE_TIMEOUT = ("Your code was stopped while a check was running: this stage's checks had "
                 "used up their time ({seconds:.3g} s for the stage). Look for a loop that never "
                 "ends (for example in backward(), a graph walk that never marks a node as visited).")
BUDGET = ("Not run: this stage's checks used up their time ({seconds:.3g} s for the stage) "
          "in earlier checks. Look for a loop that never ends, or code that is very slow.")
LOAD_FAILED = "Not graded: {reason}"
NOT_IMPLEMENTED = ("Not implemented yet: {where} raised NotImplementedError. "
                   "Write the code where the stub says, then run the checks again.")
RAISED = "{where} raised {error}"
MISSING_NAME = ("`{name}` is not defined in your submission, so this check could not run. "
                f"Keep the names from the starter code: {', '.join(NAMES)}.")
NOT_A_CLASS = "`{name}` in your submission is not a class."
MISSING_AFTER_ERRORS = ("`{name}` is not defined in your submission: the code that defines it "
                        "stopped with an error when it ran (see the notes at the top), so this "
                        "check could not run.")
MISSING_METHOD = ("Not run: this check calls {name}(), which your {owner} does not have (see "
                  "the note at the top of this stage).")
MISSING_ATTRIBUTE = ("Not run: this check needs {owner}.{name}, which your {owner} does not "
                     "have (see the note at the top of this stage).")
NOT_AVAILABLE_USED = ("{module} is not available to the grader: the course's code needs only "
                      "the standard library (math, random).")
TAMPERED = ("Not graded: your code tampered with the grader (it reached into the program that "
            "runs your code and answers the checks, or wrote on its connection to the judge), "
            "so none of its answers can be trusted. Hand in your own code for the course's "
            "names, and nothing that reaches into the grader.")
GRADER_BUG = ("The grader itself failed on this check (not your fault); "
              "your instructor has the details.")


# -- what the grader found, once per submission or once per stage ----------------------------

STAGE_FROM_NAME = ("Graded stage {stage} only: this notebook has no course metadata, and its "
                   "name ({name}) says stage {stage}. To grade other stages, use --stage N.")
STAGE_FROM_HEADINGS = ("Graded stage {stage} only: this notebook has no course metadata, and its "
                       "headings say stage {stage}. To grade other stages, use --stage N.")
STAGE_FROM_CODE = ("Graded stage {stage} only: this notebook has no course metadata, and its "
                   "code goes up to stage {stage}. To grade other stages, use --stage N.")
STAGE_UNKNOWN = ("This notebook does not say which stage it is (it has no course metadata, and "
                 "neither its name nor its headings name one): all five stages were graded. "
                 "To grade one stage, use --stage N.")
# a module that a top-level import could not find: one of the packages learners use, or
# (any other name) a file of the student's own that was not handed in with the submission
PACKAGES = {"numpy", "matplotlib", "graphviz", "torch", "pandas", "scipy", "sklearn", "IPython",
            "ipywidgets", "tqdm", "seaborn", "jax", "sympy", "PIL", "tensorflow", "networkx",
            "plotly", "micrograd", "pytest"}
MODULE_NOT_AVAILABLE = ("{module} is not available to the grader: the course's code needs only "
                        "the standard library; code that uses it fails where it is used{used}.")
HELPER_NOT_AVAILABLE = ("{module} is not available to the grader: it runs the one file you hand "
                        "in (and the standard library), not the files beside it; code that uses "
                        "it fails where it is used{used}.")
RENAMED_NAME = ("Your submission defines {found} but no {name}: the course calls it {name}, so "
                "the checks that use {name} could not run.")
RENAMED_METHOD = ("Your {owner} has {found}() but no {name}(): the course calls it {name}(), "
                  "so the checks that call {name}() could not run.")
RENAMED_ATTRIBUTE = ("Your {owner} keeps its children in {found}, not in {name}: the course "
                     "calls it {name}, and the grader's backward() walks {name}, so the checks "
                     "that backpropagate through your operators could not run.")
LIST_OF_ONE = {
    "Layer": ("Your Layer returns a list even when it has a single neuron: the course's Layer "
              "returns that one Value when nout == 1 (and an MLP returns what its last layer "
              "returns)."),
    "MLP": ("Your MLP returns a list even when its last layer has a single neuron: an MLP "
            "returns what its last layer returns, the single Value when nout == 1."),
}
CONSTRUCTOR = ("Value(2.0) raised {error}: the grader makes every value as Value(data), so "
               "every other parameter of your Value's __init__ needs a default value, as in "
               "Value(data, _children=(), _op='').")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,60}")
_MODULE = re.compile(r"\.*[A-Za-z_][A-Za-z0-9_.]{0,80}|\.{1,5}")
# the names a note or a reply of the worker may say are missing or renamed: the contract's,
# and the methods and attributes its checks use
MISSABLE = {*NAMES, "backward", "tanh", "exp", "relu", "parameters", "_prev"}


def _is(pattern, text):
    return isinstance(text, str) and pattern.fullmatch(text) is not None


def describe_note(note):
    """The sentence for a deviation from the contract the worker found (a note of a stage),
    or None for anything that is not a well-formed note: the worker is the student's process."""
    if not isinstance(note, dict):
        return None
    kind, owner, name, found = (note.get(k) for k in ("kind", "owner", "name", "found"))
    if not all(isinstance(x, str) for x in (kind, owner)):
        return None
    if kind == "list_of_one" and owner in LIST_OF_ONE:
        return LIST_OF_ONE[owner]
    if kind == "constructor" and _is(_NAME, note.get("error")):
        return CONSTRUCTOR.format(error=note["error"])
    if kind != "renamed" or not isinstance(name, str) or name not in MISSABLE or not _is(_NAME, found):
        return None
    if owner == "":
        return RENAMED_NAME.format(name=name, found=found)
    if owner not in CLASSES:
        return None
    if note.get("what") == "attribute":
        return RENAMED_ATTRIBUTE.format(owner=owner, name=name, found=found)
    return RENAMED_METHOD.format(owner=owner, name=name, found=found)


def missing_module_notes(entries):
    """One sentence per module that a top-level import could not find, with the first lines
    that used it; entries come from the worker, so anything malformed is left out."""
    notes = []
    for entry in entries[:10] if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not _is(_MODULE, entry.get("module")):
            continue
        lines = []
        for use in entry.get("used") if isinstance(entry.get("used"), list) else []:
            if isinstance(use, dict) and type(use.get("line")) is int and isinstance(use.get("cell"), str):
                lines.append(f"line {use['line']} of {clip(use['cell'], 80)}")
        used = f" (here: {', '.join(lines[:3])})" if lines else ""
        module = entry["module"]
        template = MODULE_NOT_AVAILABLE if module.split(".")[0] in PACKAGES else HELPER_NOT_AVAILABLE
        notes.append(template.format(module=module, used=used))
    return notes


def describe_exit(code, during):
    """A sentence for a worker process that ended without answering."""
    if code is None:
        return f"Your code stopped responding {during}."
    if code > 128 and code - 128 in signal.valid_signals():
        code = -(code - 128)   # bubblewrap reports its child's death by signal n as 128 + n
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if name == "SIGSEGV":
            return f"Python crashed {during} (a segmentation fault). Does your code use ctypes or recurse without end?"
        if name in ("SIGXCPU", "SIGKILL"):
            return f"Your code was stopped {during}: it used too much processor time or memory."
        return f"Your code's process was killed by {name} {during}."
    return (f"Your code ended the Python process {during} (exit status {code}). "
            "Remove calls to os._exit() or exit() from your code.")


# -- what went wrong, and the likely misconception ---------------------------------------------

FORGOT_UPSTREAM = ("The local derivative is right only when the upstream gradient is 1: "
                   "multiply it by out.grad (the chain rule).")
OVERWRITES_GRAD = ("A value that already had a gradient lost it: is the gradient assigned "
                   "with = instead of accumulated with +=?")
REUSED_NODE = ("A value used twice received only one of its two gradient contributions: "
               "is the gradient assigned with = instead of accumulated with +=?")
SWAPPED_MUL = ("For out = a * b, d(out)/d(a) is b and d(out)/d(b) is a: the two look swapped "
               "(or both use the same operand).")
TANH_WRONG_INPUT = ("The derivative of tanh is 1 - tanh(x)**2: use the output t = tanh(x), "
                    "not the input x.")
PREV_MISSING = ("The result does not remember the Values it was made from: pass them as its "
                "children, Value(data, (self, other), op), so that backward() can reach them "
                "through _prev.")
NO_SEED = ("After backward() the output's own gradient should be 1.0 (d out / d out = 1): "
           "seed it before walking the graph.")
SEED_LATE = ("No gradient reached any input, though the output's grad ends at 1.0: set it to "
             "1.0 before calling the nodes' _backward, not after.")
ORDER = ("Gradients reached only part of the graph: call _backward on the nodes in reverse "
         "topological order, output first, so each node has its full gradient before it "
         "passes it on.")
TOPO_ORDER = ("A node used along paths of different lengths passed its gradient on before it "
              "had received all of it: a breadth-first walk, or calling _backward on each node "
              "as it is first reached (pre-order), does not wait for the longer path. Build the "
              "order depth-first, adding a node after all of its children (post-order), and "
              "walk it reversed.")
VISITED_TWICE = ("A node reachable along two paths had its _backward called twice, so it passed "
                 "its gradient on twice: mark nodes as visited when building the order, so "
                 "each node comes once.")
STALE_STATE = ("backward() is right on a first graph and wrong on a second one built from the "
               "same values: topo or visited is kept from one call to the next (made outside "
               "backward(), or as a default argument). Make both fresh inside each call.")
NOT_A_VALUE = "It returned {got} where a Value was expected."
COERCE = "Wrap a plain number in a Value (Value(other)) before using other.data."
REFLECTED_RECURSION = ("A reflected operator that calls itself never ends: in __radd__, "
                       "`self + other` lets Value.__add__ do the work; `other + self` asks "
                       "Python for __radd__ again.")
MLP_CHAIN = ("An MLP feeds x through its layers in turn: each layer's outputs are the next "
             "layer's inputs, and the MLP returns what the last layer returns.")
RELU_NEGATIVE = "relu passes no gradient where its input is negative: its derivative there is 0."
POW_RULE = "The power rule: d/dx x**k = k * x**(k-1), times out.grad."
EXP_RULE = "The derivative of exp is exp itself: use out.data, times out.grad."
REFLECTED = ("Python calls __radd__/__rmul__/__rsub__/__rtruediv__ for `2 + a`, `2 * a`, "
             "`2 - a`, `2 / a`: mind the order of the operands in the reflected ones.")
NEURON_OUTPUT = "A neuron computes tanh(w1*x1 + ... + wn*xn + b): check the sum, the bias and the tanh."
PARAM_ORDER = ("parameters() must list a neuron's weights, then its bias; a layer's neurons in "
               "order; an MLP's layers in order.")
PARAMS_NO_BIAS = ("parameters() leaves out the bias: a neuron's parameters are its weights and "
                  "its bias, w + [b], and training adjusts only what parameters() lists.")
MLP_SIZES = ("MLP(nin, nouts) has one layer for each entry of nouts, and each layer reads the "
             "outputs of the one before: the layer sizes are [nin] + nouts.")
LAYER_SINGLE = "A Layer with nout == 1 returns the single Value, not a list of one."
NO_GRAPH = ("The output is not connected to the parameters: keep everything a Value "
            "(use Value operations, not float math on .data) so gradients can flow back.")
TRAIN_NOT_ZEROED = ("The losses match a loop that never sets the gradients back to zero: "
                    "gradients accumulate across steps, so zero every p.grad before backward().")
TRAIN_SIGN = ("The losses match a loop that steps up the gradient: the update is "
              "p.data -= lr * p.grad (minus: against the gradient).")
TRAIN_NO_BACKWARD = ("The loss never changes: are the gradients computed (loss.backward()) "
                     "before the update, and is the update applied to p.data?")
TRAIN_AFTER_UPDATE = ("The losses are shifted by one step: record each step's loss before "
                      "that step's update (the loss that the gradients were computed from).")
TRAIN_MEAN = ("The losses match the mean squared error: the loss here is the sum of the "
              "squared errors, not their mean.")
TRAIN_LR = "The losses match a different learning rate: use the lr argument."
TRAIN_RETURNS = "train must return a list with the loss of every step, as plain numbers."

# The hints above: each names one misconception, and the checks give it only when what they
# measured shows that one (tests/test_grader_mistakes.py: each comes from the mistake it
# names, and not from its neighbours).
MISCONCEPTIONS = (
    "FORGOT_UPSTREAM", "OVERWRITES_GRAD", "REUSED_NODE", "SWAPPED_MUL", "TANH_WRONG_INPUT",
    "PREV_MISSING", "NO_SEED", "SEED_LATE", "ORDER", "TOPO_ORDER", "VISITED_TWICE",
    "STALE_STATE", "COERCE", "REFLECTED_RECURSION", "MLP_CHAIN", "RELU_NEGATIVE", "POW_RULE",
    "EXP_RULE", "REFLECTED", "NEURON_OUTPUT", "PARAM_ORDER", "PARAMS_NO_BIAS", "MLP_SIZES",
    "LAYER_SINGLE", "NO_GRAPH", "TRAIN_NOT_ZEROED", "TRAIN_SIGN", "TRAIN_NO_BACKWARD",
    "TRAIN_AFTER_UPDATE", "TRAIN_MEAN", "TRAIN_LR", "TRAIN_RETURNS")


# -- the learner's self-check (autograder/selfcheck.py): each misuse in one sentence --------------

SELFCHECK_SAVE_FIRST = ("Grading the notebook as last saved: save it first (Ctrl+S / Cmd+S) to "
                        "include your latest changes.")
SELFCHECK_TITLE = "Self-check of {name} as last saved (save it first: Ctrl+S / Cmd+S)"
SELFCHECK_NAME_IT = ('Name the notebook to check, for example: '
                     'check("stage1_local_derivatives.ipynb")')
SELFCHECK_NO_FILE = "There is no file {name} in {folder}: check the name, or give its full path."
SELFCHECK_UNSAVED = ("{name} as saved does not hold the code you last ran for {names}: save the "
                     "notebook (Ctrl+S / Cmd+S), then run the check again.")
SELFCHECK_NO_STAGE = "There is no stage {stage}: the stages are 1 to 5."
SELFCHECK_OTHER_STAGE = ("{name} is the stage {own} notebook, so it cannot be checked as stage "
                         "{stage}: leave out the stage, or check the stage {stage} notebook.")
SELFCHECK_GRADER_FAILED = ("The grader itself failed (not your fault), so there is no report: "
                           "{detail}")
SELFCHECK_NOT_STARTED = ("Not started yet: every check stopped at a stub that raises "
                         "NotImplementedError.")


def hint_name(text):
    """The name of the hint constant a message used ("REUSED_NODE"), for counting a class's
    misconceptions; empty when the message named none."""
    if not text:
        return ""
    for name, value in globals().items():
        if name.isupper() and value == text:
            return name
    return ""


# -- the reports (the text report, feedback.md) ------------------------------------------------

STAGE_FROM_NOTEBOOK = ("This is the course's stage {stage} notebook (or its .py): grading stage "
                       "{stage} only.")
NOT_STARTED = ("Not started yet: every check stopped at a stub that raises "
               "`NotImplementedError`.")
FILL_IN_STUBS = "Fill in the stubs of this stage's notebook."
ALL_PASSED = "Every check of this stage passes."
WHAT_TO_TRY = ("What to try: run the check cells of the stage's notebook again after each "
               "change; they use the lecture's own numbers. The hints above name the most likely "
               "misunderstanding, not the only one.")
MORE_NOTES = "{count} more notes were left out."

# -- a student's stages, handed in as several files (a class graded with --out) ----------------

GRADED_FROM = "Graded from the file you handed in for this stage: {file}"
NOT_HANDED_IN = "Not handed in: {stages}. Each counts 0 in the total."


def stage_list(stages):
    """'stage 4', 'stages 4 and 5', 'stages 2, 4 and 5'."""
    names = [str(s) for s in stages]
    if len(names) == 1:
        return f"stage {names[0]}"
    return f"stages {', '.join(names[:-1])} and {names[-1]}"
