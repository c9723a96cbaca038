"""The sentences of a chain's lecture, each made from computed facts.

Every function here takes the :class:`~symgrad.lecture.facts.Facts` of one network and returns
words: a tuple of strings and inline formulas (SymPy expressions, :class:`Equation`).  A
number, a layer index, a count or a place in a sentence is always a value read off the facts;
where a sentence would not be true for the network it is left out, never left wrong.

>>> from symgrad import Chain, derive
>>> from symgrad.lecture.facts import facts_of
>>> f = facts_of(derive(Chain(depth=4, activation=["tanh", "relu", "sigmoid", "linear"])))
>>> "".join(w for w in flat_words(layer_list(f)) if isinstance(w, str))
'layer 1 uses tanh, layer 2 uses ReLU, layer 3 uses sigmoid and layer 4 is linear'
>>> and_list(["a", "b", "c"])
('a', ', ', 'b', ' and ', 'c')
"""
from __future__ import annotations

import sympy as sp

from symgrad.derivation import delta_symbol
from symgrad.lecture.facts import ActivationFacts, Facts, named, named_values, short_decimal
from symgrad.lecture.nodes import (Norm, Preactivation, cost_symbol, flat_words, eq, generic, gradient_of, partial, sigma_of,
                                   sigma_prime_at, sigma_prime_of)

__all__ = ["and_list", "capitalized", "layers_words", "activation_name", "layer_list", "cost_words",
           "kink_words", "sup_where", "introduction", "forward_rule", "chain_rule_rule",
           "slope_chain_rule", "local_rule", "repeated_factor_rule", "recurrence_rule",
           "unrolled_rule", "closed_rule", "sup_rule", "bound_sentence", "bound_headline", "constants", "sentences", "count_sentence", "consequence", "layer_bound_rule",
           "concrete_activation_rule", "cost_rule", "substituted_rule"]

#: the costs' names in running text
COST_WORDS = {"quadratic": "the quadratic cost", "cross-entropy": "the binary cross-entropy",
              "squared-error": "the squared error", "softmax-cross-entropy":
              "the cross-entropy of a softmax output"}


def and_list(items) -> tuple:
    """``[x, y, z]`` as ``x, y and z`` (each item words or a formula)."""
    items = list(items)
    out = []
    for i, item in enumerate(items):
        if i:
            out.append(" and " if i == len(items) - 1 else ", ")
        out.append(item)
    return tuple(out)


def capitalized(words) -> tuple:
    """The words, flattened, with the first letter made a capital."""
    flat = list(flat_words(words))
    if flat and isinstance(flat[0], str):
        flat[0] = flat[0][:1].upper() + flat[0][1:]
    return tuple(flat)


def layers_words(layers) -> tuple:
    """``layer 3`` or ``layers 1, 2 and 3``."""
    layers = list(layers)
    return ("layer " if len(layers) == 1 else "layers ",) + and_list([str(l) for l in layers])


def activation_name(a: ActivationFacts) -> tuple:
    """The activation in running text: its name, or its formula for a custom one."""
    if a.words is not None:
        return (a.words,)
    act = a.activation
    return ("the activation ", eq(sigma_of(act, act.z), "=", named(act.expression)))


def layer_list(f: Facts) -> tuple:
    """``layer 1 uses tanh, ... and layer 4 is linear``."""
    parts = []
    for l in f.network.layers:
        a = f.layer(l)
        parts.append((f"layer {l} is a softmax output",) if a is None else
                     (f"layer {l} is linear",) if a.linear else
                     (f"layer {l} uses ",) + activation_name(a))
    return and_list(parts)


def cost_words(f: Facts) -> str:
    return COST_WORDS.get(f.network.cost_name, "the cost")


def kink_words(a: ActivationFacts) -> tuple:
    """The convention at each kink of σ' where the branches disagree, in formulas."""
    out = []
    act = a.activation
    for k in a.kinks:
        if k.side == "both":
            continue
        branch = {"left": "the left branch's value", "right": "the right branch's value"}.get(
            k.side, "a value of neither branch")
        out.append((eq(sigma_prime_at(act, k.point), "=", named(k.value)), f" ({branch})"))
    return and_list(out) if out else ()


def sup_where(a: ActivationFacts) -> tuple:
    """Where |σ'| reaches its bound: at a point, on an interval, or only in a limit."""
    act, z = a.activation, a.activation.z
    if a.attained and isinstance(a.attained_at, sp.Interval):
        I = a.attained_at
        return ("it is reached for every ",) + _interval_words(I, z)
    if a.attained and a.attained_at is not None:
        if a.approximate_point:
            return ("it is reached near ", eq(z, "=", a.attained_at),
                    " (the certified point, rounded to six digits)")
        return ("it is reached at ", eq(z, "=", a.attained_at))
    if a.attained is False and a.approached_at is not None:
        end = a.approached_at
        if isinstance(end, tuple):
            side = "below" if end[1] == "-" else "above"
            words = ("it is approached as ", z, f" tends to {end[0]} from {side}",)
            kink = [k for k in a.kinks if k.point == end[0] and k.value == a.sup]
            if kink:
                words += (", and reached only at the kink, where ",
                          eq(sigma_prime_at(act, kink[0].point), "=", named(kink[0].value)),
                          " by convention",)
            return words
        return ("it is approached as ", z, " grows " if end == sp.oo else " falls ",
                "without bound and never reached")
    return ()


def _interval_words(I: sp.Interval, z) -> tuple:
    """An open interval as words: ``positive z``, ``negative z``, ``z between 0 and 1``."""
    if I.start == 0 and I.end == sp.oo:
        return ("positive ", z)
    if I.start == -sp.oo and I.end == 0:
        return ("negative ", z)
    if I.start == -sp.oo and I.end == sp.oo:
        return ("real ", z)
    return (z, " between ", I.start, " and ", I.end)


# -- introduction -----------------------------------------------------------------------------

def introduction(f: Facts, activations_proven: bool) -> tuple:
    net, L = f.network, f.L
    slopes = any(net.has_slope(l) for l in net.layers)
    words = ["These notes derive, step by step, the gradient of the cost ", cost_symbol(),
             " with respect to every weight and bias",
             " and every learned PReLU slope" if slopes else "",
             f" of a chain of {L} layer{'s' if L > 1 else ''} with one neuron each, from the "
             "input ", net.a_(0), " to the output ", net.a_(L), ". "]
    if f.uniform is not None and f.uniform.linear:
        words += ["Every layer is linear. "]
    elif f.uniform is not None:
        act = f.uniform.activation
        words += ["Every layer uses the activation ", eq(sigma_of(act, act.z), "=", named(act.expression)),
                  *constants(act.expression), ". "]
    else:
        words += [*capitalized(layer_list(f)), ". "]
    words += ["The cost is ", cost_words(f), " ",
              eq(cost_symbol(), "=", net.cost(net.a_(L), net.y_())), ". ",
              "Every gradient turns out to be a product of local factors, one or two for every "
              "layer between the parameter and the output, so the gradient of a layer near the "
              "input is the one near the output times more factors, and it can be much smaller "
              "or much larger. ",
              "Every closed form below was proven, when this document was generated, to equal "
              "the derivative of the fully composed cost in which every activation and the cost "
              "are undefined differentiable functions, so it holds wherever the network's "
              "activations are differentiable."]
    kinks = [a for a in f.activations if kink_words(a)]
    for a in kinks:
        words += [" ", *activation_name(a), " is not differentiable at its kink; there the "
                  "formulas use the convention ", *kink_words(a), "."]
    if activations_proven:
        words += [" Each activation's derivative formula was proven equal to SymPy's "
                  "derivative of its expression" + (", branch by branch" if kinks else "") + "."]
    return tuple(words)


# -- the derivation ---------------------------------------------------------------------------

def forward_rule(f: Facts) -> tuple:
    net, L = f.network, f.L
    return ("The input ", net.a_(0), f" passes through {L} layer{'s' if L > 1 else ''} of one "
            "neuron each. Layer ", sp.Symbol("l"), " forms the weighted input ",
            eq(generic("z", "l"), "=", _preactivation_generic()), " and its output ",
            generic("a", "l"), "; the cost ", cost_symbol(), " compares the output ", net.a_(L),
            " with the target ", net.y_(), ".")


def _preactivation_generic():
    return Preactivation(generic("w", "l"), generic("a", "l-1"), generic("b", "l"))


def chain_rule_rule(f: Facts, kind: str) -> tuple:
    what = "bias" if kind == "b" else "weight"
    return (f"The {what} ", generic(kind, "l"), " reaches the cost only through ",
            generic("z", "l"), ", ", generic("a", "l"), ", ", generic("z", "l+1"), ", ..., ",
            f.network.a_(f.L), ". The chain rule multiplies the derivatives along this path, "
            "from the cost back to the parameter:")


def slope_chain_rule(f: Facts) -> tuple:
    return ("The learned slope ", generic("alpha", "l"), " of a PReLU layer acts on ",
            generic("a", "l"), " directly, not through ", generic("z", "l"), ":")


def local_rule(f: Facts, notation: str) -> tuple:
    words = ("Each factor is the derivative of one forward equation with respect to one of its "
             "inputs, for every layer ", eq(sp.Symbol("j"), "=", sp.Symbol("1")), ", ..., ",
             sp.Integer(f.L), ":")
    if notation == "matrix":
        words += (" here every weight is a matrix of one row and one column, so the derivative "
                  "of a linear part with respect to the layer below is the weight itself, equal "
                  "to its transpose; with layers of many neurons the same derivative is the "
                  "transposed weight matrix.",)
    return words


def repeated_factor_rule(f: Facts) -> tuple:
    words = ("Going from one layer to the next multiplies the gradient by a factor of the same "
             "kind, the derivative of a layer's output with respect to its input",)
    linear = [l for l in f.network.layers if l > 1 and f.layer(l).linear]
    if linear and f.uniform is None:
        words += ("; in a linear layer, where the activation's derivative is 1, it is the "
                  "weight alone",)
    return words + (":",)


def recurrence_rule(f: Facts) -> tuple:
    L = f.L
    words = ("With the error ", eq(generic("delta", "l"), "=", partial(cost_symbol(), generic("z", "l"))),
             " of layer ", sp.Symbol("l"), ", the error of a layer below the output is the next "
             "layer's error ", generic("delta", "l+1"), " times the weight ", generic("w", "l+1"),
             " through which ", generic("z", "l+1"), " depends on ", generic("a", "l"),
             ", times the derivative of layer ", sp.Symbol("l"), "'s own activation at ",
             generic("z", "l"), ". The repeated factor of the step before is thus split between "
             "two rows: each row takes the weight of the layer above and the activation "
             "derivative of its own layer. ")
    if f.layer(L).linear:
        words += ("The output layer is linear, so ", eq(delta_symbol(L), "=",
                                                        f.derivation.dC_da()), ". ")
    lin = [l for l in range(1, L) if f.layer(l).linear]
    if lin:
        words += ("In the linear ", *layers_words(lin), " the activation's derivative is 1 and "
                  "drops out. ")
    return words + ("This recurrence is backpropagation:",)


def unrolled_rule(f: Facts) -> tuple:
    return ("Unrolled, the error of layer ", sp.Symbol("l"), " carries its own activation "
            "derivative and one repeated factor for every layer between it and the output:")


def closed_rule(f: Facts) -> tuple:
    words = ("Substituting the local derivatives into the chain rule and writing the factors in "
             "the order the layers stand in the network gives every gradient in closed form",)
    lin = [l for l in f.network.layers if f.layer(l).linear]
    if lin:
        words += (" (the derivative 1 of the linear ", *layers_words(lin), " is left out)")
    return words + (":",)


# -- bounds -----------------------------------------------------------------------------------

def sentences(*parts, end: str = ":") -> tuple:
    """Sentences (each a tuple of words, empty ones skipped) joined with ". ", the last one
    ended by ``end``."""
    parts = [p for p in parts if p]
    out = []
    for i, p in enumerate(parts):
        out += list(p)
        out.append(end if i == len(parts) - 1 else ". ")
    return tuple(out)


def bound_sentence(a: ActivationFacts) -> tuple:
    """``For ReLU, the bound is 1; it is reached for every 0 < z; ...``: one activation's
    sup |σ'|, where it is reached, where σ' is 0, its learned slope and its kink."""
    act = a.activation
    words = ("For ", *activation_name(a), ", the bound is ", named(a.bound))
    if not a.exact:
        words += (", the supremum rounded up to six digits",)
        if a.sup is not None:
            words += (" (exactly ", a.sup, ")")
    words += constants(a.bound)
    where = sup_where(a)
    if where:
        words += ("; ",) + where
    zero = a.where(0)
    if zero is not None and zero.end == 0:
        words += ("; for every negative ", act.z, " the derivative is 0")
    if a.slope:
        words += ("; ", act.parameter, " is the slope the layer learns for negative ", act.z)
    kinks = kink_words(a)
    if kinks and not any(k.value == a.sup for k in a.kinks):
        words += ("; at the kink it is ",) + kinks + (" by convention",)
    return words


def constants(expr) -> tuple:
    """``, with λ ≈ 1.05070 and α ≈ 1.67326`` for the named constants shown in ``expr``."""
    values = named_values(expr)
    if not values:
        return ()
    return (", with ",) + and_list([(eq(name, "=", short_decimal(value)),) for name, value in values]) \
        + (" to six digits",)


def sup_rule(f: Facts, shown: list) -> tuple:
    return sentences(("The activation's derivative is bounded over all real ", sp.Symbol("z"),
                      " (certified by symgrad bounds)"), *[bound_sentence(a) for a in shown])


def layer_bound_rule(f: Facts) -> tuple:
    net, L = f.network, f.L
    out = [("In the closed form of ", gradient_of("b_l"), " every activation derivative is at "
            "most its bound in size and every other factor is its own size, since ",
            eq(sp.Abs(sp.Symbol("x") * sp.Symbol("y")), "=",
               sp.Abs(sp.Symbol("x")) * sp.Abs(sp.Symbol("y"))))]
    if f.output_cancels:
        out.append(("With ", cost_words(f), " the output's ", f.derivation.sigma_primes[-1],
                    " cancels against ", f.derivation.dC_da(), ": their product is ",
                    eq(delta_symbol(L), "=", net.a_(L) - net.y_()),
                    ", so it stays one factor and one activation derivative fewer enters the "
                    "bound"))
    out.append(count_sentence(f, 1))
    out += consequence(f, f.sigma_layers(1))
    return sentences(*out)


def bound_headline(f: Facts, what=None) -> tuple:
    """The bound in one sentence: how many activation derivatives, and what that means."""
    return count_sentence(f, 1, what) + ("; ",) + _lower_first(consequence(f, f.sigma_layers(1))[0])


def _lower_first(words) -> tuple:
    flat = list(flat_words(words))
    if flat and isinstance(flat[0], str):
        flat[0] = flat[0][:1].lower() + flat[0][1:]
    return tuple(flat)


def count_sentence(f: Facts, l: int, what=None) -> tuple:
    """``∂C/∂b_1 carries 3 activation derivatives, one for each of the layers 1, 2 and 3``."""
    layers = f.sigma_layers(l)
    count = len(layers)
    words = (what if what is not None else gradient_of(f"b_{l}"),
             f" carries {count} activation derivative{'s' if count != 1 else ''}")
    if count:
        words += ((", that of ",) if count == 1 else (", one for each of the ",)) + \
            layers_words(layers)
    lin = [j for j in range(l, f.L + 1) if f.layer(j) is not None and f.layer(j).linear]
    if lin:
        words += (" (the linear ",) + layers_words(lin) + \
            (" contributes none)" if len(lin) == 1 else " contribute none)",)
    return words


def consequence(f: Facts, layers: tuple) -> list:
    """What the bound means for this network, as sentences."""
    bounds = {f.layer(j).bound for j in layers}
    a = f.layer(layers[0])
    if len(bounds) == 1 and a.shrinks:
        s = a.bound
        if len(layers) >= 3:
            first = ("Three such layers multiply at most ",
                     eq(sp.Pow(s, 3, evaluate=False), "=", s ** 3), " into the bound")
        else:
            first = ("Each such layer multiplies at most ", s, " into the bound")
        size = sp.Abs(generic("w", "j")) if f.chain else Norm(generic("W", "j"))
        out = [first + (", so unless ", size, " is at least ", 1 / s,
                        " the bound of the early layers shrinks geometrically with their "
                        "distance from the output: it is the bound that vanishes, not "
                        "necessarily the gradient",)]
        if f.chain and a.attained and isinstance(a.attained_at, sp.Expr) and not a.approximate_point:
            out.append(("With ", eq(generic("w", "j"), "=", sp.Integer(100)), " and ",
                        eq(generic("z", "j"), "=", a.attained_at), ", where the bound is "
                        "reached, each repeated factor is ",
                        eq(sp.Mul(100, s, evaluate=False), "=", 100 * s),
                        " and the gradients explode instead"))
        return out
    shrinking = [j for j in layers if f.layer(j).shrinks]
    growing = [j for j in layers if f.layer(j).shrinks is False and f.layer(j).bound > 1]
    rest = [j for j in layers if j not in shrinking and j not in growing]
    parts = []
    def clause(group, first, verb_one, verb_many, why_one, why_many):
        one = len(group) == 1
        head = ("the activation derivative" if one else "the activation derivatives") if first \
            else ("that" if one else "those")
        obj = "the bound" if first else "it"
        return (head + " of ",) + layers_words(group) + \
            ((verb_one if one else verb_many) + " " + obj, why_one if one else why_many)
    if shrinking:
        parts.append(clause(shrinking, True, " shrinks", " shrink", " (its bound is below 1)",
                            " (their bound is below 1)"))
    if growing:
        parts.append(clause(growing, not parts, " may enlarge", " may enlarge",
                            " (its bound is above 1)", " (their bound is above 1)"))
    if rest:
        fixed = all(f.layer(j).bound == 1 for j in rest)
        why = " (bound 1)" if fixed else " (bound set by the learned slope)"
        parts.append(clause(rest, not parts, " leaves", " leave", why, why))
        parts[-1] = parts[-1][:-2] + (parts[-1][-2].replace("the bound", "the bound to the "
                                                            "weights").replace(" it", " it to the "
                                                                               "weights"),
                                      parts[-1][-1])
    first = list(parts[0])
    first[0] = first[0][0].upper() + first[0][1:]
    parts[0] = tuple(first)
    joined = []
    for p in parts:
        joined += list(p) + ["; "]
    return [tuple(joined) + ("whether the gradients of the early layers vanish or explode is "
                             "then decided by the weights and by how far the actual derivatives "
                             "stay below their bounds",)]


# -- the concrete activation and cost ---------------------------------------------------------

def concrete_activation_rule(f: Facts) -> tuple:
    net = f.network
    words = ["Each activation's derivative in closed form"]
    written = []
    for a in f.activations:
        if a.linear or a.in_output is None:
            continue
        layers = f.layers_of(a)
        shown = generic("a", "j") if f.uniform else net.a_(layers[0])
        z = generic("z", "j") if f.uniform else net.z_(layers[0])
        written.append((*activation_name(a), " (", eq(shown, "=", sigma_of(a.activation, z)), ")"))
    if written:
        words += ["; where the unit's output determines it, also written with that output: ",
                  *and_list(written)]
    kinks = [(a, kink_words(a)) for a in f.activations if kink_words(a)]
    for a, k in kinks:
        words += [". At the kink of ", *activation_name(a), " the derivative is a convention: ",
                  *k]
    return tuple(words) + (":",)


def cost_rule(f: Facts) -> tuple:
    net, L, d = f.network, f.L, f.derivation
    words = ("For ", cost_words(f))
    if f.output_cancels:
        return words + (" the output activation's derivative cancels against the cost's, and the "
                        "output error is simply ", eq(delta_symbol(L), "=", d.output_delta),
                        ":")
    if net.sigma(L).is_linear:
        return words + (", and with the linear output layer ",
                        eq(delta_symbol(L), "=", d.dC_da()), ":")
    return words + (":",)


def substituted_rule(f: Facts) -> tuple:
    piecewise = [a for a in f.activations if not a.linear
                 and a.activation.derivative_in_a_expression is None]
    words = ("With both substituted, the gradients read",)
    if piecewise:
        words += (" (",) + and_list([sigma_prime_of(a.activation, a.activation.z) for a in piecewise]) + \
            (" kept as ", "it is" if len(piecewise) == 1 else "they are", ")")
    return words + (":",)
