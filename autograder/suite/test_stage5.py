"""Stage 5: the student's train(), on the reference Value and MLP.

The whole loss trajectory is compared with the reference: a loop that never zeroes the
gradients, steps the wrong way or skips backward() can still lower the loss, but it never
follows the same trajectory. A failing trajectory is compared with those known mistakes
to name the likely one.
"""

import random

import pytest

from autograder import messages as M
from autograder.expect import Mistake, all_close, close, expect, fmt

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def lecture_params():
    """The 41 parameters of MLP(3, [4, 4, 1]) right after random.seed(1337)."""
    from autograder import reference

    state = random.getstate()
    random.seed(1337)
    try:
        return [p.data for p in reference.MLP(3, [4, 4, 1]).parameters()]
    finally:
        random.setstate(state)


def _variant(kind):
    """train() with one classic mistake, for naming what a wrong trajectory looks like."""
    def train(model, xs, ys, steps, lr):
        losses = []
        for _ in range(steps):
            ypred = [model(x) for x in xs]
            loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
            if kind == "mean":
                loss = loss * (1.0 / len(xs))
            if kind != "not_zeroed":
                for p in model.parameters():
                    p.grad = 0.0
            if kind != "no_backward":
                loss.backward()
            step = float(kind[3:]) if kind.startswith("lr=") else lr
            for p in model.parameters():
                p.data += step * p.grad if kind == "sign" else -step * p.grad
            if kind == "after_update":
                ypred = [model(x) for x in xs]
                loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
            losses.append(loss.data)
        return losses
    train.__name__ = f"train_with_{kind}"   # reference answers are cached by this name
    return train


VARIANTS = [("not_zeroed", M.TRAIN_NOT_ZEROED), ("sign", M.TRAIN_SIGN),
            ("no_backward", M.TRAIN_NO_BACKWARD), ("after_update", M.TRAIN_AFTER_UPDATE),
            ("mean", M.TRAIN_MEAN)] + [(f"lr={lr}", M.TRAIN_LR) for lr in (0.1, 0.05, 0.01, 0.001)]


def diagnose(reference, request, losses):
    if losses and all(close(x, losses[0]) for x in losses):
        return M.TRAIN_NO_BACKWARD
    for kind, hint in VARIANTS:
        if all_close(losses, reference.train_with(_variant(kind), **request)["losses"], rel=1e-6):
            return hint
    return None


def run(student, reference, **request):
    request = dict(nin=3, nouts=[4, 4, 1], xs=XS, ys=YS, **request)
    got = student.train(**request)
    if got["losses"] is None:
        raise Mistake(f"train returned {got['returned']}, not a list.", M.TRAIN_RETURNS)
    return request, got, reference.train(**request)


def expect_trajectory(reference, request, got, want, what):
    losses = got["losses"]
    if len(losses) != len(want["losses"]):
        raise Mistake(f"{what}: train returned {len(losses)} losses for steps={request['steps']}.",
                      M.TRAIN_RETURNS)
    if not all_close(losses, want["losses"], rel=1e-6):
        first = next(i for i, (g, w) in enumerate(zip(losses, want["losses"])) if not close(g, w, rel=1e-6))
        raise Mistake(f"{what}: the losses differ from step {first} on.",
                      diagnose(reference, request, losses))


def random_run(student, reference, stage_rng):
    """One run from random weights at a random learning rate. Checks 5.1, 5.2, 5.4 and 5.5
    each look at it from their own side; the student's code runs it once."""
    p = [round(stage_rng.uniform(-1, 1), 4) for _ in range(41)]
    lr = round(stage_rng.uniform(0.02, 0.08), 3)
    return run(student, reference, params=p, steps=8, lr=lr)


@pytest.mark.check("5.1")
def test_returns_losses(student, reference, stage_rng):
    request, got, want = random_run(student, reference, stage_rng)
    expect(len(got["losses"]) == 8, f"train(..., steps=8) returned {len(got['losses'])} losses, "
                                    "expected 8.", M.TRAIN_RETURNS)
    expect("Value" not in got["kinds"], "train returned Values; return plain numbers (loss.data).",
           M.TRAIN_RETURNS)


@pytest.mark.check("5.2")
def test_first_loss(student, reference, stage_rng):
    request, got, want = random_run(student, reference, stage_rng)
    first = got["losses"][0] if got["losses"] else None
    expect(close(first, want["losses"][0], rel=1e-9),
           "The loss of step 0 is not the sum of the squared errors of the model's predictions "
           "before any update.",
           M.TRAIN_MEAN if close(first, want["losses"][0] / 4, rel=1e-9) else None)


def four_places(x):
    """A loss as the check's description shows the lecture's (6.0054, 3.2021, ..., 0.0178)."""
    return f"{x:.4f}" if type(x) in (int, float) else fmt(x)


def lecture_losses(losses, show=four_places):
    """The first two losses and the last."""
    return ", ".join(show(x) for x in losses[:2]) + ", ..., " + show(losses[-1])


@pytest.mark.check("5.3")
def test_lecture_run(student, reference):
    request, got, want = run(student, reference, params=lecture_params(), steps=20, lr=0.1)
    losses = got["losses"]
    if len(losses) == 20 and not all_close(losses, want["losses"], rel=1e-6):
        # the lecture's own numbers (public in the notebook and the check's description),
        # the student's shown alike; in full when four places cannot tell them apart
        got_shown, want_shown = lecture_losses(losses), lecture_losses(want["losses"])
        if got_shown == want_shown:
            got_shown, want_shown = lecture_losses(losses, repr), lecture_losses(want["losses"], repr)
        raise Mistake(f"The lecture's run gives losses {got_shown}; expected {want_shown}.",
                      diagnose(reference, request, losses))
    expect_trajectory(reference, request, got, want, "The lecture's 20 steps at lr 0.1")


@pytest.mark.check("5.4")
def test_another_run(student, reference, stage_rng):
    request, got, want = random_run(student, reference, stage_rng)
    expect_trajectory(reference, request, got, want, "A run from random weights")


@pytest.mark.check("5.5")
def test_trained_parameters(student, reference, stage_rng):
    request, got, want = random_run(student, reference, stage_rng)
    if not all_close(got["params"], want["params"], rel=1e-6, abs_tol=1e-9):
        unchanged = all_close(got["params"], request["params"], rel=1e-12)
        raise Mistake("After 8 steps the parameters do not hold the values gradient descent "
                      "gives them." + (" They did not change at all." if unchanged else ""),
                      M.TRAIN_NO_BACKWARD if unchanged else diagnose(reference, request, got["losses"]))
