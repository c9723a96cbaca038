"""What the formulas say about this network: the material's story, told only where it applies.

Each paragraph is made from computed facts and appears only for the networks it is true of:

* an activation whose derivative is exactly 1 where the unit is active (ReLU, leaky ReLU,
  PReLU, ELU): no activation derivative shrinks the gradient there;
* an activation whose derivative is exactly 0 on a half-line (ReLU): dead units, and what
  leaky ReLU and PReLU change (their derivatives there, read from their own facts);
* a PReLU layer: how its learned slope gets its gradient;
* two or more linear layers in a row: they compose to one (the composition computed);
* an output whose σ' cancels against the cost (cross-entropy), or would with it.

>>> from symgrad import Chain, derive
>>> from symgrad.lecture.facts import facts_of
>>> len(story(facts_of(derive(Chain(depth=3, activation="relu")))))
2
>>> story(facts_of(derive(Chain(depth=3, activation="tanh"))))
[]
"""
from __future__ import annotations

import sympy as sp

from symgrad.derivation import OrderedProduct
from symgrad.lecture.chain import in_output_form
from symgrad.lecture.facts import Facts, activation_facts
from symgrad.lecture.nodes import eq, generic
from symgrad.lecture.prose import activation_name, and_list, layers_words
from symgrad.model.activations import get_activation

__all__ = ["story", "active_paragraph", "dead_paragraph", "slope_paragraph", "linear_paragraph",
           "output_paragraph"]


def story(f: Facts) -> list[tuple]:
    """The paragraphs that apply to this network, in the material's order."""
    out = [active_paragraph(f), dead_paragraph(f), slope_paragraph(f), *linear_paragraph(f),
           output_paragraph(f)]
    return [p for p in out if p]


def _positive_side(a) -> sp.Interval | None:
    one = a.where(1)
    return one if one is not None and one.start == 0 and one.end == sp.oo else None


def active_paragraph(f: Facts) -> tuple:
    acts = [a for a in f.activations if not a.linear and _positive_side(a) is not None]
    if not acts:
        return ()
    names = and_list([activation_name(a) for a in acts])
    return ("Where a unit is active, for every positive ", sp.Symbol("z"), ", the derivative of ",
            *names, " is exactly ", sp.Integer(1), ": the repeated factor of that layer is its "
            "weight alone, so no activation derivative shrinks the gradient, however many active "
            "layers it passes. The size of the gradient is then left to the weights.")


def _negative_value(act):
    """σ'(z) for z < 0 where it is one value (possibly a learned slope), else None."""
    facts = activation_facts(act)
    for k in facts.kinks:
        if k.point == 0:
            return k.left
    return None


def dead_paragraph(f: Facts) -> tuple:
    dead = [a for a in f.activations if a.where(0) is not None and a.where(0).end == 0]
    if not dead:
        return ()
    z = sp.Symbol("z", real=True)
    words = ("For every negative ", z, " the derivative of ", *and_list([activation_name(a)
                                                                        for a in dead]),
             " is exactly ", sp.Integer(0), ": a unit whose weighted input is negative passes no "
             "gradient back, neither to its "
             "own weight and bias nor to any layer before it. A unit whose weighted input is "
             "negative for every input of the data gets no gradient at all; gradient descent "
             "never changes its parameters again, and it stays dead. ")
    answers, learned = [], []
    for name in ("leaky_relu", "prelu"):
        act = get_activation(name)
        value = _negative_value(act)
        if value is not None and value != 0:
            answers.append((*activation_name(activation_facts(act)), ", whose derivative is ",
                            value, " for every negative ", z))
            if value.free_symbols:
                learned.append((*activation_name(activation_facts(act)), ", as long as ", value,
                                " is not 0"))
    if answers:
        words += ("The variants answer this with a nonzero derivative there: ",
                  *and_list(answers), "; a unit whose weighted input is negative still passes "
                  "part of the gradient back")
        words += ((" (", *and_list(learned), ")") if learned else ()) + (".",)
    return words


def slope_paragraph(f: Facts) -> tuple:
    net = f.network
    layers = [l for l in net.layers if net.has_slope(l)]
    if not layers:
        return ()
    act = net.sigma(layers[0])
    z, alpha = act.z, act.parameter
    slope = act.parameter_derivative(z, alpha)
    negative, positive = slope.subs(z, -1), slope.subs(z, 1)
    if positive != 0 or negative == 0:
        return ()
    l = layers[-1]
    return ("PReLU learns the slope of its negative side: ", *layers_words(layers),
            " have the parameter ", net.alpha(l) if len(layers) == 1 else generic("alpha", "l"),
            ", and its gradient is the derivative ", eq(sp.Derivative(sp.Function("prelu")(z, alpha), alpha),
                                                      "=", slope),
            " times the gradient with respect to the layer's output (see the closed forms). For "
            "every positive ", z, " that derivative is 0: the slope learns only from the inputs "
            "on which the unit is not active, exactly the ones a ReLU unit would ignore.")


def linear_paragraph(f: Facts) -> list[tuple]:
    runs = f.linear_runs
    if not runs:
        return []
    out = []
    for run in runs:
        composed, weight, bias = _compose(f, run)
        every = len(run) == f.L
        out.append((("Every layer is linear" if every else "The "), *(() if every else
                    (*layers_words(run), " are all linear")),
                    ", and linear maps compose to one: ", eq(composed[0], "=", composed[1]),
                    ", which a single linear layer with the weight ", weight, " and the bias ",
                    bias, " computes as well. Stacking linear layers adds parameters, not "
                    "expressive power" + (": this network gains nothing from its depth." if every
                                          else "."),))
    return out


def _compose(f: Facts, run: tuple):
    """(output = composed form, weight, bias) of the linear layers ``run``."""
    net = f.network
    first, last = run[0], run[-1]
    if net.is_chain:
        x = net.a_(first - 1)
        out = x
        for l in run:
            out = net.w_(l) * out + net.b_(l)
        out = sp.expand(out)
        weight = sp.Mul(*[net.w_(l) for l in reversed(run)])
        bias = sp.expand(out - weight * x)
        return (net.a_(last), sp.Add(sp.Mul(weight, x, evaluate=False), bias, evaluate=False)), \
            weight, bias
    h = sp.MatrixSymbol("x" if first == 1 else f"a_{first - 1}", 1, net.n(first - 1))
    W = [sp.MatrixSymbol(f"W_{l}", net.n(l - 1), net.n(l)) for l in run]
    b = [sp.MatrixSymbol(f"b_{l}", 1, net.n(l)) for l in run]
    weight = sp.MatMul(*W)
    bias = b[0]
    for Wl, bl in zip(W[1:], b[1:]):
        bias = sp.MatAdd(sp.MatMul(bias, Wl), bl)
    target = sp.MatrixSymbol(f"a_{last}", 1, net.n(last))
    return (target, sp.MatAdd(sp.MatMul(h, weight), bias)), weight, bias


def output_paragraph(f: Facts) -> tuple:
    """Why the cross-entropy (a chain's formulas; dense layers say it in the bound section)."""
    net, L = f.network, f.L
    if not f.chain:
        return ()
    if f.output_cancels:
        a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
        delta = f.output_delta.xreplace({a: _out(f), y: _target(f)})
        return ("Why the cross-entropy: the output's activation derivative cancelled against the "
                "cost's, and the output error is ", eq(_delta(f), "=", delta),
                ". However saturated the output unit is, a wrong output gets an error as large as "
                "its mistake; with the quadratic cost the same error would carry the vanishing "
                "activation derivative of a saturated unit.")
    act = f.layer(L)
    if act is None or act.linear or act.activation.derivative_in_a_expression is None:
        return ()
    from symgrad.model.costs import get_cost
    a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
    ce = get_cost("cross-entropy").derivative(a, y)
    cancelled = sp.cancel(act.activation.derivative_in_a(a) * ce)
    if sp.fraction(sp.together(cancelled))[1].free_symbols:
        return ()
    sub = {a: _out(f), y: _target(f)}
    prime = in_output_form(act.activation, _out(f))
    here = OrderedProduct(prime, net.cost.derivative(a, y).xreplace(sub))
    return ("Here the output error carries the output's activation derivative: ",
            eq(_delta(f), "=", here), ". Where the output unit saturates, ", prime,
            " is nearly 0, and a badly wrong output learns slowly. With the binary cross-entropy "
            "cost, whose derivative is ", ce.xreplace(sub), ", the factor ", prime,
            " would cancel and leave the output error ", cancelled.xreplace(sub), ".")


def _out(f: Facts):
    return f.network.a_(f.L) if f.chain else sp.Symbol(f"a_{f.L}", real=True)


def _target(f: Facts):
    return f.network.y_() if f.chain else sp.Symbol("y", real=True)


def _delta(f: Facts):
    return sp.Symbol(f"delta_{f.L}", real=True)
