"""The shape of every answer a worker may send, checked before any check reads it.

The worker runs the student's code, so a reply can hold anything JSON can: a string where a
number belongs, a list of a million items, keys nobody asked for. A reply that does not have
exactly the shape of its probe's answer is refused as a whole (session.Grading.ask turns that
into a plain message for the student), so the hidden checks only ever compare real numbers.
"""

MAX_STEPS = 1000          # losses of one train() call; a check asks for at most a few dozen
MAX_PARAMS = 10_000       # parameters of one model; the largest a check builds has 41
MAX_NAME = 200            # a type name in a train() reply


def number(x):
    return type(x) in (int, float)


def boolean(x):
    return type(x) is bool


def count(x):
    return type(x) is int and 0 <= x <= MAX_PARAMS


def text(x):
    return type(x) is str and len(x) <= MAX_NAME


def listing(item, most):
    return lambda xs: type(xs) is list and len(xs) <= most and all(item(x) for x in xs)


def nullable(check):
    return lambda x: x is None or check(x)


def record(required, optional=None):
    """A dict with every required key, some optional ones, and nothing else."""
    optional = optional or {}

    def check(x):
        return (type(x) is dict and required.keys() <= x.keys()
                and x.keys() <= required.keys() | optional.keys()
                and all(({**required, **optional})[k](v) for k, v in x.items()))
    return check


def place(x):
    """Where a parameter sits among a model's weights and biases; -1 when it is none of them."""
    return type(x) is int and -1 <= x <= MAX_PARAMS


MAX_CHILDREN = 100        # a node's children read from its _prev


NODE = record({"data": number, "grad": nullable(number), "is_value": boolean},
              {"prev": listing(text, MAX_CHILDREN), "prev_others": count})
OUTPUT = record({"is_list": boolean, "data": listing(number, MAX_PARAMS), "all_values": boolean},
                {"grads": listing(number, MAX_PARAMS), "slopes": listing(number, MAX_PARAMS)})
MODEL = record({"n_params": count, "all_values": boolean, "distinct": boolean,
                "outputs": listing(OUTPUT, 100)},
               {"n_w": count, "b_is_value": boolean, "order_ok": boolean, "n_neurons": count,
                "n_layers": count, "n_structure": count, "places": listing(place, MAX_PARAMS)})
TRAIN = record({"returned": text, "losses": nullable(listing(number, MAX_STEPS)),
                "params": listing(number, MAX_PARAMS)},
               {"kinds": listing(text, 20)})
PREPARE = record({}, {"notes": listing(lambda s: type(s) is str and len(s) <= 2000, 20)})


def valid(request, value):
    """Does `value` have the shape of an answer to `request`?"""
    probe = request.get("probe")
    if probe == "graph":
        names = {node[0] for node in request["nodes"]}
        return (type(value) is dict and set(value) == set(request["read"])
                and all(NODE(v) and set(v.get("prev", ())) <= names for v in value.values()))
    return {"model": MODEL, "train": TRAIN, "prepare": PREPARE}.get(probe, lambda v: False)(value)
