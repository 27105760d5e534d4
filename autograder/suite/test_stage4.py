"""Stage 4: Neuron, Layer and MLP, built by the student on the reference Value.

Each class is graded on the reference code of the other two (the stage's variants "Neuron",
"Layer" and "MLP"), and weights are set by hand through the contract's attributes (each
neuron's .w and .b, a layer's .neurons, an MLP's .layers), not through parameters(). So a
mistake in one class, or in its parameters(), costs the checks of that class or of its
parameters() alone. Check 4.7 runs the student's three classes together, and compares the
gradients backward() gives with the slopes of the student's own model, so that a wrong
forward pass is not charged again there.
"""

import math

import pytest

from autograder import messages as M
from autograder.expect import Mistake, all_close, close, expect, fmt


def params(rng, n):
    return [round(rng.uniform(-1, 1), 4) for _ in range(n)]


def inputs(rng, nin, count=2):
    return [[round(rng.uniform(-2, 2), 3) for _ in range(nin)] for _ in range(count)]


# -- parameters(): where each Value it lists sits among the model's weights and biases ------------

def bias_places(sizes):
    """The places of the biases among the weights and biases of a model of layer sizes
    `sizes` ([nin, 1] for one neuron), each neuron's w + [b] in turn; and their number."""
    biases, n = [], 0
    for nin, nout in zip(sizes, sizes[1:]):
        for _ in range(nout):
            n += nin + 1
            biases.append(n - 1)
    return biases, n


def parameters_hint(places, sizes):
    """The misconception a parameters() list shows: `places` holds, for each Value it lists,
    its place among the model's weights and biases (-1: none of them)."""
    biases, n = bias_places(sizes)
    weights = [i for i in range(n) if i not in biases]
    if places == list(range(n)):
        return None
    if sorted(places) == weights:
        return M.PARAMS_NO_BIAS
    if sorted(places) == list(range(n)) or (-1 not in places and len(set(places)) < len(places)):
        return M.PARAM_ORDER       # every one, in another order; or some of them again
    return None


def expect_parameters(got, what, sizes, counted, order):
    """parameters() lists every weight and bias once, in `order`; `counted` says how many
    there are, in words."""
    __tracebackhide__ = True
    _, n = bias_places(sizes)
    places = got.get("places")
    if places is None:             # the weights and biases could not be read: order_ok says
        places = list(range(n)) if got["order_ok"] else []
    hint = parameters_hint(places, sizes)
    expect(got["all_values"], f"{what}.parameters() lists something that is not a Value.")
    expect(got["n_params"] == n, f"{what}.parameters() lists {got['n_params']} Values; expected "
                                 f"{n} ({counted}).", hint)
    expect(got["distinct"], f"{what}.parameters() lists the same Value more than once: each "
                            "neuron has parameters of its own.", hint)
    expect(-1 not in places, f"{what}.parameters() lists Values that are not its weights and "
                             "biases.", hint)
    expect(places == list(range(n)), f"{what}.parameters() lists its weights and biases in "
                                     f"another order: it should be {order}.", hint)


@pytest.mark.check("4.1")
def test_neuron_parameters(student):
    for nin in (3, 1):
        got = student.model("Neuron", [nin], variant="Neuron")
        expect(got["n_w"] == nin, f"Neuron({nin}).w holds {got['n_w']} weights, expected {nin}.")
        expect(got["b_is_value"], f"Neuron({nin}).b is not a Value.")
        expect_parameters(got, f"Neuron({nin})", [nin, 1],
                          f"{nin} weight{'s' if nin > 1 else ''} and a bias", "w + [b]")


@pytest.mark.check("4.2")
def test_neuron_output(student, rng):
    w = params(rng, 4)
    xs = inputs(rng, 3, 3)
    for value_inputs in (False, True):
        got = student.model("Neuron", [3], variant="Neuron", params=w, inputs=xs,
                            value_inputs=value_inputs, set_by="structure")
        for x, out in zip(xs, got["outputs"]):
            want = math.tanh(sum(wi * xi for wi, xi in zip(w[:3], x)) + w[3])
            kind = "Values" if value_inputs else "plain numbers"
            expect(not out["is_list"], f"A neuron called on a list of {kind} should return "
                                       "one Value, not a list.")
            expect(out["all_values"], f"A neuron called on a list of {kind} should return a "
                                      "Value.", M.NO_GRAPH)
            if not close(out["data"][0], want, rel=1e-9):
                raise Mistake(f"With its weights and bias set by hand, a Neuron(3) called on "
                              f"{kind} gives {fmt(out['data'][0])} instead of tanh(w . x + b).",
                              M.NEURON_OUTPUT)


@pytest.mark.check("4.3")
def test_layer_outputs(student, rng, reference):
    for nout in (4, 1):
        p = params(rng, 4 * nout)
        xs = inputs(rng, 3, 2)
        got = student.model("Layer", [3, nout], variant="Layer", params=p, inputs=xs,
                            set_by="structure")
        want = reference.model("Layer", [3, nout], params=p, inputs=xs, set_by="structure")
        expect(got["n_neurons"] == nout, f"Layer(3, {nout}).neurons holds {got['n_neurons']} "
                                         f"neurons, expected {nout}.")
        for g, w in zip(got["outputs"], want["outputs"]):
            if nout == 1:
                expect(not g["is_list"], "Layer(3, 1) returned a list.", M.LAYER_SINGLE)
            else:
                expect(g["is_list"] and len(g["data"]) == nout,
                       f"Layer(3, {nout}) should return a list of {nout} Values.")
            expect(g["all_values"], f"Layer(3, {nout}) returned something that is not a Value.")
            expect(all_close(g["data"], w["data"], rel=1e-9),
                   f"Layer(3, {nout}) with its neurons' weights set by hand gives the wrong "
                   "outputs: it should give each neuron's output, in order.")


@pytest.mark.check("4.4")
def test_layer_parameters(student):
    got = student.model("Layer", [3, 4], variant="Layer")
    expect_parameters(got, "Layer(3, 4)", [3, 4], "4 neurons, each 3 weights and a bias",
                      "each neuron's parameters, neuron after neuron")


@pytest.mark.check("4.5")
def test_mlp_shape(student):
    got = student.model("MLP", [3, [4, 4, 1]], variant="MLP")
    expect(got["n_layers"] == 3, f"MLP(3, [4, 4, 1]).layers holds {got['n_layers']} layers, "
                                 "expected 3.", M.MLP_SIZES)
    expect(got.get("n_structure") == 41,
           f"The layers of MLP(3, [4, 4, 1]) hold {fmt(got.get('n_structure'))} weights and "
           "biases, expected 41 (4*(3+1) + 4*(4+1) + 1*(4+1)).", M.MLP_SIZES)
    expect_parameters(got, "MLP(3, [4, 4, 1])", [3, 4, 4, 1], "4*(3+1) + 4*(4+1) + 1*(4+1)",
                      "each layer's parameters, layer after layer")


def _mlp_case(rng):
    nin, nouts = rng.choice([(3, [4, 4, 1]), (2, [3, 2]), (4, [5, 1])])
    sizes = [nin] + nouts
    n = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))
    return nin, nouts, params(rng, n), inputs(rng, nin, 3)


@pytest.mark.check("4.6")
def test_mlp_output(student, rng, reference):
    for _ in range(2):
        nin, nouts, p, xs = _mlp_case(rng)
        got = student.model("MLP", [nin, nouts], variant="MLP", params=p, inputs=xs,
                            set_by="structure")
        want = reference.model("MLP", [nin, nouts], params=p, inputs=xs, set_by="structure")
        expect(got["n_layers"] == len(nouts) and got.get("n_structure") == len(p),
               f"MLP({nin}, {nouts}) has {got['n_layers']} layers and "
               f"{fmt(got.get('n_structure'))} weights and biases; expected {len(nouts)} and "
               f"{len(p)}.", M.MLP_SIZES)
        for g, w in zip(got["outputs"], want["outputs"]):
            expect(g["is_list"] == w["is_list"],
                   f"MLP({nin}, {nouts}) should return "
                   f"{'a list of Values' if w['is_list'] else 'a single Value'}: it returns what "
                   "its last layer returns.")
            expect(g["all_values"], f"MLP({nin}, {nouts}) returned something that is not a Value.")
            expect(all_close(g["data"], w["data"], rel=1e-9),
                   f"MLP({nin}, {nouts}) with its weights set by hand gives the wrong outputs.",
                   M.MLP_CHAIN)


@pytest.mark.check("4.7")
def test_gradients_reach_every_parameter(student, rng):
    # the student's own model: its gradients against the slopes of what it computes
    got = student.model("MLP", [3, [4, 4, 1]], params=params(rng, 41), inputs=inputs(rng, 3, 1),
                        backward=True, set_by="structure", nudge=1e-5)
    g = got["outputs"][0]
    expect("grads" in g, "The MLP's output is not a Value, so backward() cannot be called on it.",
           M.NO_GRAPH)
    grads, slopes = g["grads"], g["slopes"]
    expect(len(grads) > 0, "The MLP has no weights and biases in its layers' neurons.")
    missing = sum(1 for d, s in zip(grads, slopes) if close(d, 0.0) and not close(s, 0.0, abs_tol=1e-6))
    expect(missing == 0, f"After backward() on the MLP's output, {missing} of its {len(grads)} "
                         "weights and biases have no gradient, though the output changes with "
                         "them.", M.NO_GRAPH)
    expect(all(close(d, s, rel=1e-4, abs_tol=1e-6) for d, s in zip(grads, slopes)),
           "After backward() on the MLP's output, the gradients of its weights and biases are "
           "not the slopes of the output along them.", M.NO_GRAPH)
