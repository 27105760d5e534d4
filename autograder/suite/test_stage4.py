"""Stage 4: Neuron, Layer and MLP, built by the student on the reference Value.

Weights are set by hand through parameters(), so the checks do not depend on how the
student draws the initial weights.
"""

import math

import pytest

from autograder import messages as M
from autograder.expect import Mistake, all_close, close, expect, fmt


def expect_order(got, what):
    """Parameters are set by hand through parameters(): in the wrong order, they land in the
    wrong places, and every output after that is wrong for that reason alone."""
    __tracebackhide__ = True
    expect(got["order_ok"], f"The parameters of {what}, set by hand in the order parameters() "
                            "lists them, landed in the wrong places.", M.PARAM_ORDER)


def params(rng, n):
    return [round(rng.uniform(-1, 1), 4) for _ in range(n)]


def inputs(rng, nin, count=2):
    return [[round(rng.uniform(-2, 2), 3) for _ in range(nin)] for _ in range(count)]


@pytest.mark.check("4.1")
def test_neuron_parameters(student):
    for nin in (3, 1):
        got = student.model("Neuron", [nin])
        expect(got["n_w"] == nin, f"Neuron({nin}).w holds {got['n_w']} weights, expected {nin}.")
        expect(got["b_is_value"], f"Neuron({nin}).b is not a Value.")
        expect(got["n_params"] == nin + 1 and got["all_values"] and got["distinct"],
               f"Neuron({nin}).parameters() should list {nin + 1} different Values; it lists "
               f"{got['n_params']}.", M.PARAM_ORDER)
        expect(got["order_ok"], f"Neuron({nin}).parameters() is not w + [b].", M.PARAM_ORDER)


@pytest.mark.check("4.2")
def test_neuron_output(student, rng):
    w = params(rng, 4)
    xs = inputs(rng, 3, 3)
    for value_inputs in (False, True):
        got = student.model("Neuron", [3], params=w, inputs=xs, value_inputs=value_inputs)
        expect_order(got, "Neuron(3)")
        for x, out in zip(xs, got["outputs"]):
            want = math.tanh(sum(wi * xi for wi, xi in zip(w[:3], x)) + w[3])
            kind = "Values" if value_inputs else "plain numbers"
            expect(out["all_values"] and not out["is_list"],
                   f"A neuron called on a list of {kind} should return one Value.", M.NEURON_OUTPUT)
            if not close(out["data"][0], want, rel=1e-9):
                raise Mistake(f"With its weights and bias set by hand, a Neuron(3) called on "
                              f"{kind} gives {fmt(out['data'][0])} instead of tanh(w . x + b).",
                              M.NEURON_OUTPUT)


@pytest.mark.check("4.3")
def test_layer_outputs(student, rng, reference):
    for nout in (4, 1):
        p = params(rng, 4 * nout)
        xs = inputs(rng, 3, 2)
        got = student.model("Layer", [3, nout], params=p, inputs=xs)
        want = reference.model("Layer", [3, nout], params=p, inputs=xs)
        expect_order(got, f"Layer(3, {nout})")
        expect(got["n_neurons"] == nout, f"Layer(3, {nout}).neurons holds {got['n_neurons']} "
                                         f"neurons, expected {nout}.")
        for g, w in zip(got["outputs"], want["outputs"]):
            if nout == 1:
                expect(not g["is_list"], "Layer(3, 1) returned a list.", M.LAYER_SINGLE)
            else:
                expect(g["is_list"] and len(g["data"]) == nout,
                       f"Layer(3, {nout}) should return a list of {nout} Values.")
            if not (g["all_values"] and all_close(g["data"], w["data"], rel=1e-9)):
                raise Mistake(f"Layer(3, {nout}) with its parameters set by hand gives the wrong "
                              "outputs.", blame(student, reference, rng, "Layer"))


@pytest.mark.check("4.4")
def test_layer_parameters(student):
    got = student.model("Layer", [3, 4])
    expect(got["n_params"] == 16 and got["all_values"],
           f"Layer(3, 4).parameters() lists {got['n_params']} Values; expected 16 "
           "(4 neurons, each 3 weights and a bias).", M.PARAM_ORDER)
    expect(got["distinct"], "Layer(3, 4).parameters() lists the same Value more than once: "
                            "each neuron has parameters of its own.", M.PARAM_ORDER)
    expect(got["order_ok"], "Layer(3, 4).parameters() is not its neurons' parameters in order.",
           M.PARAM_ORDER)


@pytest.mark.check("4.5")
def test_mlp_shape(student):
    got = student.model("MLP", [3, [4, 4, 1]])
    expect(got["n_layers"] == 3, f"MLP(3, [4, 4, 1]).layers holds {got['n_layers']} layers, "
                                 "expected 3.", M.MLP_SIZES)
    expect(got["all_values"] and got["distinct"],
           "MLP(3, [4, 4, 1]).parameters() should list different Values.", M.PARAM_ORDER)
    expect(got["n_params"] == 41, f"MLP(3, [4, 4, 1]).parameters() lists {got['n_params']} "
                                  "Values, expected 41 (4*(3+1) + 4*(4+1) + 1*(4+1)).", M.MLP_SIZES)
    expect(got["order_ok"], "MLP(3, [4, 4, 1]).parameters() is not its layers' parameters in order.",
           M.PARAM_ORDER)


def blame(student, reference, rng, level="MLP"):
    """Why a Layer's or an MLP's outputs are wrong when its own parameter order is right:
    the order inside its parts, the neurons themselves, or (for an MLP) how layers chain."""
    for kind, args in (("Neuron", [2]), ("Layer", [2, 3])):
        if not student.model(kind, args)["order_ok"]:
            return M.PARAM_ORDER
    if level == "Layer":
        return M.NEURON_OUTPUT
    p, xs = params(rng, 12), inputs(rng, 2, 2)
    got = student.model("Layer", [2, 4], params=p, inputs=xs)
    want = reference.model("Layer", [2, 4], params=p, inputs=xs)
    layer_ok = all(all_close(g["data"], w["data"], rel=1e-9)
                   for g, w in zip(got["outputs"], want["outputs"]))
    return M.MLP_CHAIN if layer_ok else M.NEURON_OUTPUT


def _mlp_case(rng):
    nin, nouts = rng.choice([(3, [4, 4, 1]), (2, [3, 2]), (4, [5, 1])])
    sizes = [nin] + nouts
    n = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))
    return nin, nouts, params(rng, n), inputs(rng, nin, 3)


@pytest.mark.check("4.6")
def test_mlp_output(student, rng, reference):
    for _ in range(2):
        nin, nouts, p, xs = _mlp_case(rng)
        got = student.model("MLP", [nin, nouts], params=p, inputs=xs)
        want = reference.model("MLP", [nin, nouts], params=p, inputs=xs)
        expect(got["n_layers"] == len(nouts) and got["n_params"] == len(p),
               f"MLP({nin}, {nouts}) has {got['n_layers']} layers and {got['n_params']} "
               f"parameters; expected {len(nouts)} and {len(p)}.", M.MLP_SIZES)
        expect_order(got, f"MLP({nin}, {nouts})")
        for g, w in zip(got["outputs"], want["outputs"]):
            expect(g["is_list"] == w["is_list"],
                   f"MLP({nin}, {nouts}) should return "
                   f"{'a list of Values' if w['is_list'] else 'a single Value'}: it returns what "
                   "its last layer returns.", M.LAYER_SINGLE if not w["is_list"] else None)
            if not all_close(g["data"], w["data"], rel=1e-9):
                raise Mistake(f"MLP({nin}, {nouts}) with its parameters set by hand gives the "
                              "wrong outputs.", blame(student, reference, rng))


@pytest.mark.check("4.7")
def test_gradients_reach_every_parameter(student, rng, reference):
    nin, nouts, p, xs = 3, [4, 4, 1], params(rng, 41), inputs(rng, 3, 1)
    got = student.model("MLP", [nin, nouts], params=p, inputs=xs, backward=True)
    want = reference.model("MLP", [nin, nouts], params=p, inputs=xs, backward=True)
    g, w = got["outputs"][0], want["outputs"][0]
    expect_order(got, "MLP(3, [4, 4, 1])")
    expect("grads" in g, "The MLP's output is not a Value, so backward() cannot be called on it.",
           M.NO_GRAPH)
    expect(got["n_params"] == 41, "The MLP does not have the 41 parameters of MLP(3, [4, 4, 1]), "
                                  "so their gradients cannot be compared: see check 4.5.")
    expect(all_close(g["data"], w["data"], rel=1e-9),
           "The MLP's output is wrong, so its gradients are too: fix the forward pass first "
           "(see check 4.6).")
    missing = sum(1 for a, b in zip(g["grads"], w["grads"]) if abs(b) > 1e-9 and close(a, 0.0))
    expect(missing == 0, f"After backward() on the MLP's output, {missing} of its 41 parameters "
                         "have no gradient.", M.NO_GRAPH)
    expect(all_close(g["grads"], w["grads"], rel=1e-6, abs_tol=1e-9),
           "After backward() on the MLP's output, the parameters' gradients are wrong.", M.NO_GRAPH)
