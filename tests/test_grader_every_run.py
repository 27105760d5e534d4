"""Mistakes a lucky draw must never let through, and answers that must never be enough.

The randomized checks draw new inputs on every grading run. These mistakes are caught by
graphs of a fixed shape, so that every run catches them, with the hint that names them: each
is graded with ten seeds. And a backward() that only looks up the lecture's published
answers (no algorithm at all) earns almost nothing of stage 2 on any of them: the lecture's
examples are also run on other inputs under other names.
"""

import pytest

import grader_bank as bank
from autograder import messages
from course.edits import Rewrite
from course.mistakes import entry
from grader_run import Job, grade_all

SEEDS = range(1, 11)

# the stage's own checks only: the other stages run the reference code in place of what
# these mistakes change (test_grader_mistakes.py grades every stage of each)
EVERY_RUN = ["tanh_forgets_its_operand", "mul_forgets_its_operands", "breadth_first_backward",
             "preorder_backward", "module_level_topo", "exp_assigns", "pow_assigns",
             "relu_assigns", "neg_assigns", "div_assigns", "neuron_parameters_without_bias"]

LOOKUP = '''
    def backward(self):
        # no algorithm: the lecture's published answers, looked up by the data of the graph
        tables = {
            (-3.0, -2.0, 2.0, 10.0): {2.0: 6.0, -3.0: -4.0, 10.0: -2.0, -2.0: 4.0, 4.0: -2.0,
                                      -6.0: -2.0},
            (-3.0, 0.0, 1.0, 2.0, 6.881373587019543): {
                2.0: -1.5, -3.0: 1.0, 0.0: 0.5, 1.0: 0.0, 6.881373587019543: 0.5, -6.0: 0.5,
                0.8813735870195432: 0.5},
            (-2.0, 3.0): {-2.0: -3.0, 3.0: -8.0},
        }
        by_label = {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "d": -2.0, "e": -2.0}
        nodes, stack = [], [self]
        while stack:
            v = stack.pop()
            if all(v is not n for n in nodes):
                nodes.append(v)
                stack.extend(v._prev)
        leaves = tuple(sorted({n.data for n in nodes if not n._prev}))
        table = tables.get(leaves, {})
        if leaves == (3.0,):   # b = a + a (a.grad 2), then c = b + b (a.grad 4)
            table = {3.0: 2.0} if self.data == 6.0 else {3.0: 4.0, 6.0: 2.0}
        for n in nodes:
            if n.data in table:
                n.grad = table[n.data]
            elif not table and getattr(n, "label", "") in by_label:
                n.grad = by_label[n.label]
        self.grad = 1.0
    '''
LOOKUP_EDIT = Rewrite("Value", "backward", LOOKUP)


def _job(name, text, stage, seed):
    def build(folder):
        path = folder / f"{name}.py"
        path.write_text(text)
        return path
    return Job(f"{name}-{seed}", build, args=("--stage", stage), seed=seed)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    reference = bank.reference_text()
    jobs = [_job(m, entry(m).text(reference), entry(m).stage, seed) for m in EVERY_RUN for seed in SEEDS]
    jobs += [_job("lookup", LOOKUP_EDIT.text(reference), 2, seed) for seed in SEEDS]
    return grade_all("every-run", jobs, tmp_path_factory, batch=True)   # a class folder per seed


@pytest.mark.parametrize("mistake_id", EVERY_RUN)
def test_is_the_mistake_caught_and_named_on_every_run(graded, mistake_id):
    mistake = entry(mistake_id)
    allowed = {h for h in (mistake.hint, *mistake.also)}
    for seed in SEEDS:
        g = graded[f"{mistake_id}-{seed}"]
        assert not g.error and g.returncode == 0, g.error or g.stderr
        failed = g.failed(mistake.stage)
        assert failed, f"seed {seed}: not caught"
        if mistake.check:
            assert mistake.check in [t["number"] for t in failed], f"seed {seed}"
        if mistake.fails is not None:
            assert sorted(t["number"] for t in failed) == sorted(mistake.fails), f"seed {seed}"
        named = [t for t in failed if not mistake.check or t["number"] == mistake.check]
        assert any(mistake.hint_text in t["output"] for t in named), f"seed {seed}"
        given = {name for name in messages.MISCONCEPTIONS
                 for t in failed if getattr(messages, name) in t["output"]}
        assert given <= allowed, f"seed {seed}: {sorted(given)}"


def test_does_the_lookup_know_the_lecture_answers():
    """The lookup is a real one: on the lecture's own L example it gives every published
    gradient (so its score below comes from the other inputs, not from a broken lookup)."""
    namespace = {}
    exec(compile(LOOKUP_EDIT.text(bank.reference_text()), "lookup.py", "exec"), namespace)
    Value = namespace["Value"]
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    assert [a.grad, b.grad, c.grad, f.grad, d.grad, e.grad] == [6.0, -4.0, -2.0, 4.0, -2.0, -2.0]


def test_does_a_lookup_of_the_lecture_answers_earn_almost_nothing_of_stage_2(graded):
    for seed in SEEDS:
        g = graded[f"lookup-{seed}"]
        assert not g.error and g.returncode == 0, g.error or g.stderr
        passed = [t["number"] for t in g.tests(2) if t["status"] == "passed"]
        assert g.stage_score(2) <= 2, f"seed {seed}: passes {passed}"
