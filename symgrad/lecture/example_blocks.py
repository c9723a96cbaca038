"""The worked example's blocks: the point, the forward and backward tables (a chain) or the
number blocks of every row vector and matrix (a dense network), the check against the
reference, and the gradient of every layer against the last one's.

>>> from symgrad import Chain, derive
>>> from symgrad.lecture.example import point
>>> from symgrad.lecture.facts import facts_of
>>> d = derive(Chain(depth=3))
>>> [type(b).__name__ for b in chain_blocks(point(d), facts_of(d))]
['Paragraph', 'Table', 'Paragraph', 'Table', 'Paragraph']
"""
from __future__ import annotations

import mpmath
import sympy as sp

from symgrad.derivation import delta_symbol
from symgrad.lecture.example import Point, point, shown
from symgrad.lecture.facts import Facts, facts_of
from symgrad.lecture.nodes import (Norm, Paragraph, Preactivation, Step, Table, eq, generic,
                                   gradient_of, sigma_prime_of)
from symgrad.lecture.prose import and_list, layers_words, sentences

__all__ = ["example_blocks", "chain_blocks", "dense_blocks", "point_words", "check_words"]


def example_blocks(d, seed: int = 0) -> list:
    """The worked example's paragraphs, tables and (for a dense network) number blocks."""
    p = point(d, seed)
    return chain_blocks(p, facts_of(d)) if d.network.is_chain else dense_blocks(p, facts_of(d))


def _v(value):
    """A chain's value: the one entry of a 1 × 1 matrix."""
    return value[0, 0] if isinstance(value, sp.MatrixBase) else value


def point_words(p: Point, seed: int | None = None) -> tuple:
    net = p.network
    if net.is_chain:
        items = []
        for l in net.layers:
            items += [eq(net.w_(l), "=", shown(_v(p.parameters[f"W_{l}"]))),
                      eq(net.b_(l), "=", shown(_v(p.parameters[f"b_{l}"])))]
            if net.has_slope(l):
                items.append(eq(net.alpha(l), "=", shown(p.parameters[f"alpha_{l}"])))
        items += [eq(net.a_(0), "=", shown(_v(p.x))), eq(net.y_(), "=", shown(_v(p.y)))]
        return sentences(("Take the point ", *and_list(items)),
                         ("Every number below is exact or rounded to six significant digits",),
                         end=".")
    return sentences(("Take the point below: the weights and biases in the row convention, each "
                      "sample a row",),
                     ("Every number is exact or rounded to six significant digits",), end=":")


def check_words(p: Point) -> tuple:
    return ("Every gradient of the example agrees with symgrad's reference (", p.reference,
            ", at 50 digits, the parameters read exactly as written) to a relative difference "
            "of at most ", shown(sp.Float(max(p.agreement, 1e-300), 3)) if p.agreement else
            sp.Integer(0), ", so every digit printed is right.")


def chain_blocks(p: Point, f: Facts) -> list:
    net, L = p.network, f.L
    sp_head = sigma_prime_of(f.uniform.activation, generic("z", "l")) if f.uniform else \
        sp.Derivative(generic("a", "l"), generic("z", "l"))
    forward = Table(
        (("layer ", sp.Symbol("l")), (generic("w", "l"),), (generic("b", "l"),),
         (generic("z", "l"),), (generic("a", "l"),), (sp_head,)),
        tuple(((str(l),), (shown(_v(p.parameters[f"W_{l}"])),), (shown(_v(p.parameters[f"b_{l}"])),),
               (shown(_v(p.z[l])),), (shown(_v(p.a[l])),),
               (shown(_v(p.primes[l])),) if l in p.primes else ("",))
              for l in net.layers),
        ("The forward pass, ", eq(generic("z", "l"), "=", Preactivation(
            generic("w", "l"), generic("a", "l-1"), generic("b", "l"))),
         " and its output, layer by layer:"))
    back_rows = []
    for l in range(L, 0, -1):
        factor = ("",) if l == L else \
            (shown(_v(p.delta[l]) / _v(p.delta[l + 1])) if _v(p.delta[l + 1]) != 0 else "",)
        ratio = (shown(_v(p.gradients[f"b_{l}"]) / _v(p.gradients[f"b_{L}"])),) \
            if _v(p.gradients[f"b_{L}"]) != 0 else ("",)
        back_rows.append(((str(l),), (shown(_v(p.delta[l])),), (shown(_v(p.gradients[f"W_{l}"])),),
                          factor, ratio))
    backward = Table(
        (("layer ", sp.Symbol("l")), (eq(generic("delta", "l"), "=", gradient_of("b_l")),),
         (gradient_of("w_l"),), (sp.Symbol("delta_l") / sp.Symbol("delta_l+1"),),
         (gradient_of("b_l") / gradient_of(f"b_{L}"),)),
        tuple(back_rows),
        ("The backward pass from the output down, with the factor each layer multiplies into "
         "the error and the gradient against the last layer's:",))
    out = [Paragraph(point_words(p)), forward, Paragraph(_output_words(p, f)), backward,
           Paragraph(check_words(p) + (" ",) + _vanishing_words(p, f))]
    return out


def _output_words(p: Point, f: Facts) -> tuple:
    net, L = p.network, f.L
    if net.softmax_output or f.output_cancels:
        return ("At the output ", eq(delta_symbol(L), "=", net.a_(L) - net.y_(), "=",
                                     shown(_v(p.delta[L]))), ".")
    return ("At the output ", eq(delta_symbol(L), "=", f.derivation.closed_form(f"b_{L}")),
            ", here ", shown(_v(p.delta[L])), "; every layer below multiplies the error by the "
            "factor of its row.")


def _vanishing_words(p: Point, f: Facts) -> tuple:
    L = f.L
    dead = [l for l in sorted(p.primes) if _v(p.primes[l]) == 0]
    if dead:
        top = max(dead)
        return ("In ", *layers_words(dead), " the activation derivative is exactly 0 at this "
                "point, so ", gradient_of(f"b_{top}"), " and the gradient of every layer below "
                "it are exactly 0: no gradient passes.")
    if L == 1 or _v(p.gradients[f"b_{L}"]) == 0:
        return ()
    ratio = _v(p.gradients["b_1"]) / _v(p.gradients[f"b_{L}"])
    return (eq(gradient_of("b_1") / gradient_of(f"b_{L}"), "=", shown(ratio)),
            f": {'smaller' if abs(ratio) < 1 else 'larger'} by the product of the {L - 1} "
            "factors of the table, one for every layer between layer 1 and the output.")


def dense_blocks(p: Point, f: Facts) -> list:
    net, L = p.network, f.L
    many = net.samples > 1
    tag = lambda i: f",{i + 1}" if many else ""   # noqa: E731

    def vec(name, i, m):
        return eq(sp.MatrixSymbol(name + tag(i), 1, m.cols), "=", m.row(i).applyfunc(shown))

    params = []
    for l in net.layers:
        W, b = p.parameters[f"W_{l}"], p.parameters[f"b_{l}"]
        params += [eq(sp.MatrixSymbol(f"W_{l}", W.rows, W.cols), "=", W.applyfunc(shown)),
                   eq(sp.MatrixSymbol(f"b_{l}", 1, b.cols), "=", b.applyfunc(shown))]
    out = [Step("example", point_words(p), tuple(params))]
    for i in range(net.samples):
        rows = [eq(sp.Transpose(sp.MatrixSymbol("x" + tag(i), p.x.cols, 1)), "=",
                   p.x.row(i).applyfunc(shown))]
        for l in net.layers:
            if not (l == L and f.layer(L) is not None and f.layer(L).linear):
                rows.append(vec(f"z_{l}", i, p.z[l]))
            rows.append(vec(f"a_{l}", i, p.a[l]))
        rows.append(eq(sp.MatrixSymbol("y" + tag(i), 1, p.y.cols), "=", p.y.row(i).applyfunc(shown)))
        rows += [vec(f"delta_{l}", i, p.delta[l]) for l in range(L, 0, -1)]
        out.append(Step("example", (f"Sample {i + 1}: the forward pass, the target and the "
                                    "errors from the output down:" if many else
                                    "The forward pass, the target and the errors from the output "
                                    "down:"),
                        tuple(rows)))
    grads = []
    for l in range(L, 0, -1):
        gb, gW = p.gradients[f"b_{l}"], p.gradients[f"W_{l}"]
        grads += [eq(gradient_of(f"b_{l}"), "=", gb.applyfunc(shown)),
                  eq(gradient_of(f"w_{l}"), "=", gW.applyfunc(shown))]
    out.append(Step("example", ("The gradients" + (", summed over the samples" if many else "")
                                + ":",), tuple(grads)))
    out.append(_norm_table(p, f))
    out.append(Paragraph(check_words(p)))
    return out


def _norm_table(p: Point, f: Facts) -> Table:
    L = f.L
    norms = {l: mpmath.sqrt(mpmath.fsum(mpmath.mpf(sp.Float(v, 30)._mpf_) ** 2
                                        for v in p.gradients[f"W_{l}"]))
             for l in p.network.layers}
    rows = tuple(((str(l),), (shown(sp.Float(norms[l], 30)),),
                  (shown(sp.Float(norms[l] / norms[L], 30)),) if norms[L] else ("",))
                 for l in range(L, 0, -1))
    return Table((("layer ", sp.Symbol("l")), (Norm(gradient_of("w_l")),),
                  (Norm(gradient_of("w_l")) / Norm(gradient_of(f"w_{L}")),)), rows,
                 ("The size of each layer's weight gradient (Frobenius norm) against the last "
                  "layer's:",))
