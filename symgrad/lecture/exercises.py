"""Exercises with solutions, each generated from the network and checked before it is printed.

Four kinds, taken in turn:

* ``gradient``: compute a gradient at a given point (the answer is the worked example's
  computation at another seeded point, checked against the reference);
* ``complete``: fill in the factor left out of a closed form (or of δ_l for dense layers);
* ``wrong-factor``: find the mistake in a formula; the formula is one of the realistic errors
  :func:`symgrad.audit.mutants` writes into this very document, and the audit must judge it
  wrong before it becomes an exercise;
* ``bound``: say which of two bounds holds at every point; the false one comes with a point
  where it fails, computed with :func:`symgrad.oracle.reference` (layers of many neurons:
  count the activation derivatives the bound carries).

The solutions form a section of their own at the end of the document.

>>> from symgrad import Chain, derive
>>> blocks, solutions = exercise_sections(derive(Chain(depth=3)), count=4, seed=0)
>>> [b.words[0] for b in blocks if getattr(b, "words", None) and b.words[0].startswith("Exercise")][:2]
['Exercise 1 (a gradient at a point).', 'Exercise 2 (complete the formula).']
>>> solutions.title
'Solutions'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from symgrad.lecture.example import point, shown
from symgrad.lecture.facts import Facts, facts_of
from symgrad.lecture.nodes import Formula, Paragraph, Section, Step, eq, gradient_of
from symgrad.lecture.prose import count_sentence

__all__ = ["KINDS", "KIND_WORDS", "exercise_sections", "wrong_formula"]

KINDS = ("gradient", "complete", "wrong-factor", "bound")
TITLES = {"gradient": "a gradient at a point", "complete": "complete the formula",
          "wrong-factor": "find the mistake", "bound": "which bound holds"}
#: what each realistic error is, in words (the kinds of symgrad.audit.mutate used here)
KIND_WORDS = {"missing-weight": "a weight is missing",
              "wrong-layer-sigma'": "an activation derivative is taken at the wrong layer",
              "a_l-for-a_l-1": "the layer's output stands where its input belongs",
              "doubled-factor": "a factor appears twice",
              "swapped-order": "two matrix factors stand in the wrong order, and matrices do "
                               "not commute",
              "W-for-W^T": "a weight matrix lacks its transpose"}
_BOX = sp.Symbol(r"\square")


def exercise_sections(d, count: int = 4, seed: int = 0,
                      notation: str | None = None) -> tuple[list, Section]:
    """The exercises' blocks and the section of their solutions (formulas another part of
    symgrad writes are written in ``notation``, by default the network's own)."""
    f = facts_of(d)
    notation = notation or ("nielsen" if d.network.is_chain else "matrix")
    rng = np.random.default_rng(seed)
    statements, solutions = [], []
    made = {k: 0 for k in KINDS}
    for i in range(count):
        for kind in KINDS[i % len(KINDS):] + KINDS[:i % len(KINDS)]:
            made[kind] += 1
            ex = _MAKERS[kind](f, rng, seed + 1000 * made[kind]) if kind != "wrong-factor" \
                else _wrong_factor(f, seed + 1000 * made[kind], notation)
            if ex is not None:
                break
        st, so = ex
        statements += [Paragraph((f"Exercise {i + 1} ({TITLES[kind]}).",))] + st
        solutions += [Paragraph((f"Solution {i + 1}.",))] + so
    return statements, Section("solutions", "Solutions", tuple(solutions))


# -- a gradient at a point --------------------------------------------------------------------

def _gradient(f: Facts, rng, seed: int):
    from symgrad.lecture.example_blocks import chain_blocks, point_words
    net, L = f.network, f.L
    p = point(f.derivation, seed)
    if net.is_chain:
        name = f"w_{int(rng.integers(1, L + 1))}"
        value = p.gradients[name.replace("w_", "W_")][0, 0]
        statement = [Paragraph(point_words(p)[:-1] + (". Compute ", gradient_of(name),
                                                      " to six significant digits.",))]
        solution = [Paragraph(("The closed form ", eq(gradient_of(name), "=",
                                                      f.derivation.closed_form(name)),
                               " evaluated layer by layer gives ",
                               eq(gradient_of(name), "=", shown(value)),
                               "; the passes in full:"))] + chain_blocks(p, f)[1:]
        return statement, solution
    l = L - 1 if L > 1 else 1
    rows = _dense_given(p, l)
    statement = [Step("exercises", ("At a point of the network the rows below are known (one per "
                                    "sample). Compute ", _delta_row(l) if L > 1 else
                                    gradient_of("w_1"), " for every sample and ",
                                    gradient_of(f"b_{l}"), ", to six significant digits:"),
                      tuple(rows))]
    answer = [eq(sp.MatrixSymbol(f"delta_{l}" + _tag(net, i), 1, net.n(l)), "=",
                 p.delta[l].row(i).applyfunc(shown)) for i in range(net.samples)]
    answer.append(eq(gradient_of(f"b_{l}"), "=", p.gradients[f"b_{l}"].applyfunc(shown)))
    return statement, [Step("solutions", ("With the recurrence of the four equations:",),
                            tuple(answer))]


def _tag(net, i: int) -> str:
    return f",{i + 1}" if net.samples > 1 else ""


def _delta_row(l: int):
    return sp.MatrixSymbol(f"delta_{l},i", 1, 1)


def _dense_given(p, l: int) -> list:
    """δ_{l+1,i}, W_{l+1} and h̃_{l,i}: what δ_{l,i} needs (x_i and δ_{1,i} for one layer)."""
    net = p.network
    rows = []
    if net.L == 1:
        for i in range(net.samples):
            rows += [eq(sp.Transpose(sp.MatrixSymbol("x" + _tag(net, i), net.n(0), 1)), "=",
                        p.x.row(i).applyfunc(shown)),
                     eq(sp.MatrixSymbol("delta_1" + _tag(net, i), 1, net.n(1)), "=",
                        p.delta[1].row(i).applyfunc(shown))]
        return rows
    W = p.parameters[f"W_{l + 1}"]
    rows.append(eq(sp.MatrixSymbol(f"W_{l + 1}", W.rows, W.cols), "=", W.applyfunc(shown)))
    for i in range(net.samples):
        rows += [eq(sp.MatrixSymbol(f"delta_{l + 1}" + _tag(net, i), 1, net.n(l + 1)), "=",
                    p.delta[l + 1].row(i).applyfunc(shown)),
                 eq(sp.MatrixSymbol(f"z_{l}" + _tag(net, i), 1, net.n(l)), "=",
                    p.z[l].row(i).applyfunc(shown))]
    return rows


# -- complete a closed form ---------------------------------------------------------------------

def _complete(f: Facts, rng, seed: int):
    net, d = f.network, f.derivation
    if net.is_chain:
        names = [p for p in d.parameter_names() if len(d.factors(p)) > 1]
        name = names[int(rng.integers(0, len(names)))]
        factors = list(d.factors(name))
        k = int(rng.integers(0, len(factors)))
        missing = factors[k]
        blank = factors[:k] + [_BOX] + factors[k + 1:]
        from symgrad.derivation import OrderedProduct
        statement = [Step("exercises", ("What stands in the box?",),
                          (eq(gradient_of(name), "=", OrderedProduct(*blank)),))]
        solution = [Step("solutions", ("The box holds ", missing, "; in full:"),
                         (eq(gradient_of(name), "=", d.closed_form(name)),))]
        return statement, solution
    if net.L < 2:
        return None
    from symgrad.lecture.dense import row_form
    l = int(rng.integers(1, net.L))
    form = row_form(d.delta_matrix(l), net)
    W = sp.Transpose(sp.MatrixSymbol(f"W_{l + 1}", net.n(l + 1), net.n(l)))
    blank = form.xreplace({W: sp.MatrixSymbol(r"\square", net.n(l + 1), net.n(l))})
    if blank == form:
        return None
    delta = sp.MatrixSymbol(f"delta_{l}", 1, net.n(l))
    return ([Step("exercises", ("What stands in the box of the recurrence?",),
                  (eq(delta, "=", blank),))],
            [Step("solutions", ("The box holds ", W, ": the error comes back through the "
                                "transposed weights of the layer above; in full:"),
                  (eq(delta, "=", form),))])


# -- find the mistake ---------------------------------------------------------------------------

def wrong_formula(d, seed: int, notation: str = "nielsen"):
    """(mutant, its kind in words) or None: a realistic error written into this document's
    formulas by :func:`symgrad.audit.mutants` that the audit judges wrong."""
    from symgrad.audit import apply_mutant, audit_text, mutants
    net = d.network
    text = _formulas(d, notation)
    kinds = [k for k in KIND_WORDS if not (net.is_chain and k == "swapped-order")]
    candidates = [m for m in mutants(text, fmt="markdown", per_kind=1) if m.kind in kinds
                  and ("\\partial" in m.original.split("&")[0] or "delta" in m.original.split("&")[0])]
    rng = np.random.default_rng(seed)
    for k in rng.permutation(len(candidates)):
        m = candidates[int(k)]
        report = audit_text(apply_mutant(text, m), fmt="markdown")
        if any(r.line == m.line and r.verdict in ("wrong", "defect") for r in report.formulas):
            return m, KIND_WORDS[m.kind]
    return None


def _formulas(d, notation: str) -> str:
    """The forward equations and the gradients (closed forms, or the four equations) of ``d``
    as Markdown display blocks: the text the audit reads the network from and mutates."""
    from symgrad.lecture.chain import derivation_steps
    from symgrad.lecture.dense import dense_steps
    from symgrad.lecture.render import display_rows
    from symgrad.printing import get_printer
    net = d.network
    steps = derivation_steps(d) if net.is_chain else dense_steps(d)
    groups = ("forward", "closed forms") if net.is_chain else ("forward", "backpropagation")
    printer = get_printer(notation, depth=net.L, factor_space=r"\,")
    return "\n\n".join("$$\n\\begin{aligned}\n" + " \\\\\n".join(display_rows(s, printer))
                       + "\n\\end{aligned}\n$$" for s in steps if s.group in groups) + "\n"


def _wrong_factor(f: Facts, seed: int, notation: str):
    found = wrong_formula(f.derivation, seed, notation)
    if found is None:
        return None
    m, words = found
    return ([Formula((m.mutated,), ("One of this document's formulas, with one mistake in it. "
                                    "Find it and correct it:",))],
            [Formula((m.original,), (f"{words[0].upper()}{words[1:]}. The correct formula "
                                     "(symgrad's audit judges the exercise's version wrong):",))])


# -- which bound holds --------------------------------------------------------------------------

def _bound(f: Facts, rng, seed: int):
    net = f.network
    if not f.sigma_layers(1) or not f.bounded:
        return None
    if not net.is_chain:
        return ([Paragraph(("How many activation derivatives does the bound on ",
                            gradient_of("w_1"), " carry, and why?"))],
                [Paragraph(count_sentence(f, 1, gradient_of("w_1")) + (
                    ". Each diagonal Jacobian of an activation on the way from the loss to the "
                    "first layer contributes its bound once; see the section on the bounds.",))])
    from symgrad.lecture.bound_exercise import bound_exercise
    return bound_exercise(f)


_MAKERS = {"gradient": _gradient, "complete": _complete, "bound": _bound}
