"""The sentences of a dense network's lecture (the row convention of the material), each made
from computed facts, as :mod:`symgrad.lecture.prose` does for chains.

Indices in the words are general (layer l) where a rule holds for every layer, and a layer's
number only where the sentence is about that layer.

>>> from symgrad.model.network import Dense
>>> from symgrad.derivation import derive
>>> from symgrad.lecture.facts import facts_of
>>> from symgrad.lecture.dense import Rows
>>> net = Dense([2, 3, 1])
>>> "".join(w for w in chain_rule_rule(facts_of(derive(net)), Rows(net)) if isinstance(w, str))[:40]
'The weights  reach the loss only through'
"""
from __future__ import annotations

import sympy as sp

from symgrad.lecture.facts import Facts
from symgrad.lecture.nodes import cost_symbol, eq
from symgrad.lecture.prose import (bound_sentence, consequence, count_sentence, cost_words,
                                   layer_list, sentences)
from symgrad.model.network import SoftmaxOf

__all__ = ["dense_introduction", "forward_rule", "chain_rule_rule", "local_rule", "error_rule",
           "gradient_rule", "unrolled_rule", "bound_rule", "concrete_rule"]


def dense_introduction(f: Facts, proven) -> tuple:
    net, L = f.network, f.L
    parts = layer_list(f)
    where = ("" if proven == net else
             f" (at widths {', '.join(map(str, proven.widths))} and N = {proven.samples}: the "
             "forms do not depend on the widths, the component-by-component proof grows with "
             "them)")
    return sentences(
        ("These notes derive, step by step, the gradient of the loss ", cost_symbol(),
         f" of a network of {L} dense layer{'s' if L > 1 else ''} with respect to every weight "
         "matrix and bias, in the row-vector notation of the lecture: each sample is a row, a "
         "layer's linear part carries a tilde and its activation does not"),
        (f"The widths are {', '.join(map(str, net.widths))} (input {net.n(0)}, output "
         f"{net.n(L)}); ", *parts),
        (f"The loss sums {cost_words(f)} over the N samples (N = {net.samples} here; nothing "
         "below depends on N)",),
        ("Every matrix form below was proven, when this document was generated, to equal "
         "component by component the derivative of the fully composed loss, with every "
         f"activation an undefined differentiable function{where}",), end=".")


def forward_rule(f: Facts, r) -> tuple:
    net, L = f.network, f.L
    W, b = r.generic("W"), r.generic("b")
    out = [(f"The network has {L} layer{'s' if L > 1 else ''} of widths "
            f"{', '.join(map(str, net.widths))}. Every sample is a row: the input ", r.x(),
            ", the target ", r.row("y"), " and the output ", r.row("a", L)),
           ("Layer ", sp.Symbol("l"), " forms a linear part ",
            eq(r.row("z", "l"), "=", sp.MatAdd(sp.MatMul(r.row("a", "l-1"), W), b)),
            " (the tilde) and passes it through its activation elementwise"),
           ("In this row convention ", W, " has as many rows as layer ", sp.Symbol("l"),
            " has inputs and as many columns as it has neurons: ", r.W(1),
            f" has {net.n(0)} rows and {net.n(1)} columns")]
    if r.linear_out:
        out.append(("The output layer is linear, so its linear part is the output ",
                    r.row("a", L)))
    if r.softmax:
        out.append(("The output is the softmax of the last linear part, ",
                    eq(r.row("a", L), "=", SoftmaxOf(r.row("z", L)))))
    samples = "the N samples" if r.many else "the sample"
    if net.cost_name in ("squared-error", "quadratic"):
        out.append((f"The loss sums {cost_words(f)} over {samples}",))
    elif r.softmax:
        out.append((f"The loss sums, over {samples}, the cross-entropy of the softmax output "
                    "against a one-hot target",))
    else:
        a, y = sp.Symbol(f"a_{L}", real=True), sp.Symbol("y", real=True)
        out.append(("The loss sums, over the output components and ", samples,
                    ", the binary cross-entropy ", eq(sp.Symbol("c"), "=", net.cost(a, y))))
    return sentences(*out)


def chain_rule_rule(f: Facts, r) -> tuple:
    L = f.L
    words = ("The weights ", r.W(1), " reach the loss only through ",
             r.s("z", 1), ", ", r.s("a", 1), ", ..., ", r.s("a", L),
             ". The chain rule multiplies one derivative for every edge of that path, each "
             "factor once")
    if r.softmax:
        words += ("; with a softmax output the path starts at ",
                  sp.Derivative(cost_symbol(), r.s("z", L)), ", whose value is given below")
    if r.many:
        words += (", here for one sample's term of the loss (the gradient of the sum is the "
                  "sum over ", sp.Symbol("i"), ")")
    return words + (":",)


def local_rule(f: Facts, r) -> tuple:
    out = [("Each factor is the derivative of one forward equation, a Jacobian whose rows are "
            "the components of the numerator, so the product reads left to right as written",),
           ("A linear part ", r.s("z", "l"), " depends on the layer below, ", r.s("a", "l-1"),
            ", through the transposed weights: ",
            eq(sp.Derivative(r.s("z", "l"), r.s("a", "l-1")), "=",
               sp.Transpose(r.generic("W"))),
            " (the output ", r.s("a", f.L), " too, where the output layer is linear)"
            if r.linear_out else ""),
           ("An elementwise activation has a diagonal Jacobian",)]
    if r.softmax:
        out.append(("The softmax is not elementwise; with its cross-entropy the derivative of "
                    "the loss with respect to the last linear part, ",
                    sp.Derivative(cost_symbol(), r.s("z", f.L)), ", is the difference ",
                    _difference(r, f.L), " of output and target (proven with the rest)"))
    out.append(("The last factor, ", sp.Derivative(r.lin(1), r.s("w", 1)), ", turns the row ",
                sp.Derivative(cost_symbol(), r.lin(1)), " into a matrix of the shape of ",
                r.W(1), " (the input column times that row)"))
    return sentences(*out)


def error_rule(f: Facts, r) -> tuple:
    L = f.L
    words = ("With the error ", eq(r.row("delta", "l", False), "=",
                                   sp.Derivative(cost_symbol(), r.s("z", "l"))),
             " of layer ", sp.Symbol("l"), ", a row")
    if r.linear_out:
        words += (" (at the linear output ", eq(r.row("delta", L, False), "=",
                                                sp.Derivative(cost_symbol(), r.s("a", L))), ")")
    return words + (", the diagonal Jacobians become elementwise products and every layer's "
                    "error follows from the next one's; for each sample, its index dropped:",)


def gradient_rule(f: Facts, r) -> tuple:
    return ("The gradient of a bias is its layer's error" + (", summed over the samples" if r.many
                                                               else ""),
            "; the gradient of a weight matrix is the error with the layer's input in front:")


def unrolled_rule(f: Facts, r) -> tuple:
    return ("Substituting the errors into each other gives the gradient of the first layer's "
            "weights in one formula; each weight matrix and each activation derivative appears "
            "once, and read from left to right inside the parentheses they run from the output "
            "back to the input:",)


def bound_rule(f: Facts, r, shown: list) -> tuple:
    out = [("The activation's derivative is bounded over all real ", sp.Symbol("z"),
            " (certified by symgrad bounds), so each diagonal Jacobian has spectral norm at most "
            "that bound")]
    out += [bound_sentence(a) for a in shown]
    if f.output_cancels:
        out.append(("The output's activation derivative cancels against the derivative of ",
                    cost_words(f), ": the output error ", r.row("delta", f.L, False),
                    " is the difference ", _difference(r, f.L), ", so it stays one factor and one "
                    "activation derivative fewer enters the bound"))
    what = sp.Derivative(cost_symbol(), r.s("w", 1))
    out.append((("For one sample's term, ",) if r.many else ()) + count_sentence(f, 1, what))
    out += consequence(f, f.sigma_layers(1))
    return sentences(*out)


def _difference(r, L: int):
    """ŷ − y, a mention (no claim of its own)."""
    return sp.MatAdd(r.row("a", L, False), sp.MatMul(-1, r.row("y", sample=False)))


def concrete_rule(f: Facts, r) -> tuple:
    words = ("For the concrete activation",)
    if f.output_cancels:
        return words + (" and ", cost_words(f), " (per sample); the output error is the "
                        "difference of output and target:")
    return words + (" and ", cost_words(f), " (per sample):")
