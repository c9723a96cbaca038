"""The printers: exact strings in both notations, line breaking that loses no factor, and
printed closed forms that parse back to the derived expression (and a wrong one that does not)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad import Chain, OrderedProduct, UsageError, derive
from symgrad.printing.printers import (MatrixLatexPrinter, NielsenLatexPrinter, estimate_width,
                              get_printer, latex_gradient, latex_rows, repr_latex, text,
                              text_gradient)
from symgrad.lecture.steps import Preactivation, derivation_steps, derivative_sup
from symgrad.model.activations import get_activation

sys.path.insert(0, str(Path(__file__).parent))
from notation_parser import NotationParser, ParseError, normal_form, split_block  # noqa: E402

PRINTABLE = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softplus", "elu", "prelu"]


@st.composite
def chains(draw, *, max_depth: int = 10):
    depth = draw(st.integers(1, max_depth))
    if draw(st.booleans()):
        acts = draw(st.sampled_from(PRINTABLE))
    else:
        acts = draw(st.lists(st.sampled_from(PRINTABLE), min_size=depth, max_size=depth))
    cost = draw(st.sampled_from(["quadratic", "cross-entropy"]))
    return Chain(depth=depth, activation=acts, cost=cost)


# -- exact strings ------------------------------------------------------------------------------

def test_reference_strings_of_the_derive_command_are_unchanged():
    d = derive(Chain(depth=4))
    assert latex_gradient(d, "b_3") == (r"\frac{\partial C}{\partial b_{3}} = \sigma'(z_{3}) w_{4} "
                                        r"\sigma'(z_{4}) \frac{\partial C}{\partial a_{4}}")
    assert text_gradient(d, "w_1") == "∂C/∂w_1 = a_0 σ'(z_1) w_2 σ'(z_2) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4"


def test_plain_text_concrete_forms_read_like_the_lecture():
    d = derive(Chain(depth=4))
    assert text_gradient(d, "b_3", concrete="a") == "∂C/∂b_3 = a_3 (1 - a_3) w_4 a_4 (1 - a_4) (a_4 - y)"
    d = derive(Chain(depth=2, activation="tanh", cost="cross-entropy"))
    assert text_gradient(d, "b_2", concrete="a") == "∂C/∂b_2 = (1 - a_2^2) ((a_2 - y)/(a_2 (1 - a_2)))"
    d = derive(Chain(depth=2, activation="prelu"))
    assert text_gradient(d, "alpha_2") == "∂C/∂α_2 = ∂a_2/∂α_2 ∂C/∂a_2"


def test_matrix_notation_is_the_tilde_style():
    d = derive(Chain(depth=3))
    p = get_printer("matrix", depth=3)
    assert p.doprint(d.closed_form("w_1")) == (
        r"x \cdot \sigma'(\tilde{h}_{1}) \cdot W_{2} \cdot \sigma'(\tilde{h}_{2}) \cdot W_{3} "
        r"\cdot \sigma'(\tilde{h}_{3}) \cdot \frac{\partial \mathcal{L}}{\partial \hat{y}}")
    w, a, b = sp.symbols("w_2 a_1 b_2", real=True)
    assert p.doprint(Preactivation(w, a, b)) == r"h_{1} W_{2} + b_{2}"          # row convention
    assert NielsenLatexPrinter().doprint(Preactivation(w, a, b)) == r"w_{2} a_{1} + b_{2}"
    assert p.doprint(sp.Derivative(sp.Symbol("a_2"), sp.Symbol("z_2"))) == \
        r"\frac{\partial h_{2}}{\partial \tilde{h}_{2}}"
    assert p.doprint(sp.Symbol("delta_2")) == r"\delta_{2}"


def test_get_printer_refuses_an_unknown_notation():
    with pytest.raises(UsageError, match=r"^notation='tilde': must be one of nielsen, matrix$"):
        get_printer("tilde")
    assert isinstance(get_printer("matrix"), MatrixLatexPrinter)


def test_number_symbols_print_through_the_notation_printer():
    assert NielsenLatexPrinter().doprint(sp.sqrt(2 * sp.pi)) == r"\sqrt{2} \sqrt{\pi}"


def test_jupyter_shows_a_derivation():
    d = derive(Chain(depth=2))
    latex = d._repr_latex_()
    assert latex == repr_latex(d) and latex.startswith("$$\\begin{aligned}")
    assert r"\frac{\partial C}{\partial b_{1}} &= \sigma'(z_{1}) w_{2} \sigma'(z_{2}) \frac{\partial C}{\partial a_{2}}" in latex
    assert d._repr_markdown_().startswith("**Gradients of** `Chain(depth=2")


# -- line breaking ------------------------------------------------------------------------------

def test_long_products_break_between_factors_and_lose_none():
    d = derive(Chain(depth=12))
    p = get_printer("nielsen", factor_space=r"\,")
    rows = latex_rows(p, (sp.Derivative(sp.Symbol("C"), sp.Symbol("w_1")), d.closed_form("w_1")),
                      ("=",), width=66)
    assert len(rows) >= 2 and rows[1].startswith(r"&\qquad ")
    assert all(estimate_width(r) <= 66 + 1 for r in rows)
    (lhs, rhs), = split_block(" \\\\\n".join(rows))
    assert NotationParser().parse(rhs[1:].strip()) == normal_form(d.closed_form("w_1"))


def test_short_products_stay_on_one_row():
    d = derive(Chain(depth=4))
    rows = latex_rows(NielsenLatexPrinter(), (sp.Symbol("x"), d.closed_form("b_1")), ("=",))
    assert len(rows) == 1


def test_width_estimate_orders_formulas_by_their_printed_width():
    assert estimate_width(r"\frac{\partial C}{\partial a_{4}}") < estimate_width(r"\sigma'(z_{12}) w_{13}")
    assert estimate_width(r"\operatorname{ReLU}'(z_{1})") > estimate_width(r"\sigma'(z_{1})")


# -- parse back ---------------------------------------------------------------------------------

@settings(deadline=None, max_examples=40)
@given(chains(max_depth=10), st.sampled_from(["nielsen", "matrix"]))
def test_printed_closed_forms_parse_back_to_the_derivation(net, notation):
    d = derive(net)
    printer, parser = get_printer(notation, depth=net.depth), NotationParser(notation, net.depth)
    for name in d.parameter_names():
        form = d.closed_form(name)
        assert parser.parse(printer.doprint(form)) == normal_form(form)


@settings(deadline=None, max_examples=40)
@given(chains(max_depth=10), st.sampled_from(["nielsen", "matrix"]), st.data())
def test_a_wrong_closed_form_does_not_parse_back_to_the_derivation(net, notation, data):
    d = derive(net)
    printer, parser = get_printer(notation, depth=net.depth), NotationParser(notation, net.depth)
    name = data.draw(st.sampled_from(d.parameter_names()))
    factors = d.factors(name)
    k = data.draw(st.integers(0, len(factors) - 1))
    wrong = data.draw(st.sampled_from([
        OrderedProduct(sp.Rational(1001, 1000), *factors),            # scaled by 1.001
        OrderedProduct(*factors[:k], factors[k], *factors[k:]),       # a doubled factor
        OrderedProduct(*(factors[:k] + factors[k + 1:]) or (sp.Integer(1),)),  # a lost factor
    ]))
    if wrong.args == (sp.Integer(1),) and factors == (sp.Integer(1),):
        return
    assert parser.parse(printer.doprint(wrong)) != normal_form(d.closed_form(name))


@settings(deadline=None, max_examples=15)
@given(chains(max_depth=6), st.sampled_from(["nielsen", "matrix"]))
def test_every_step_parses_back(net, notation):
    d = derive(net)
    printer, parser = get_printer(notation, depth=net.depth), NotationParser(notation, net.depth)
    for step in derivation_steps(d):
        for eq in step.equations:
            for term in eq.terms:
                assert parser.parse(printer.doprint(term)) == normal_form(term)


def test_a_lost_backslash_does_not_parse():
    with pytest.raises(ParseError):
        NotationParser().parse(r"\sigma'(z_{3}) \rac{1}{2}")
    # '\frac' printed as 'rac' (the slides' \f escape): r a c, then a stray \partial
    with pytest.raises(ParseError, match="partial"):
        NotationParser().parse(r"rac{\partial C}{\partial b_{3}}")


# -- steps ------------------------------------------------------------------------------------

def test_steps_hold_the_lecture_facts():
    d = derive(Chain(depth=4))
    steps = derivation_steps(d)
    groups = [s.group for s in steps]
    assert groups == sorted(groups, key=["forward", "chain rule", "local derivatives",
                                         "backpropagation", "closed forms", "bounds",
                                         "concrete"].index)
    closed = next(s for s in steps if s.group == "closed forms")
    assert [e.terms[1] for e in closed.equations] == [d.closed_form(p) for p in d.parameter_names()]
    bound = [s for s in steps if s.group == "bounds"][-1]
    b1 = bound.equations[-1]
    assert b1.relations == ("<=",)
    assert sp.Mul(*[sp.simplify(f) for f in b1.terms[1].args[:1]]) == sp.Rational(1, 256)
    text_rule = "".join(x for x in bound.rule if isinstance(x, str))
    assert "Three such layers multiply at most" in text_rule
    assert any(getattr(x, "terms", None) and x.terms[-1] == sp.Rational(1, 64) for x in bound.rule)


def test_cross_entropy_steps_cancel_to_a_minus_y():
    d = derive(Chain(depth=3, cost="cross-entropy"))
    concrete = [s for s in derivation_steps(d) if s.group == "concrete"]
    a3, y = sp.symbols("a_3 y", real=True)
    assert concrete[1].equations[1].terms[-1] == a3 - y
    assert concrete[2].equations[0].terms[1] == OrderedProduct(a3 - y)


@pytest.mark.parametrize("name,sup,at", [("sigmoid", sp.Rational(1, 4), 0), ("tanh", 1, 0),
                                         ("relu", 1, None), ("linear", 1, None),
                                         ("softplus", 1, None)])
def test_derivative_sup(name, sup, at):
    assert derivative_sup(get_activation(name)) == (sup, at)


@pytest.mark.parametrize("name", ["prelu", "silu", "selu"])
def test_no_bound_step_without_a_short_exact_sup(name):
    assert derivative_sup(get_activation(name)) is None
    assert not [s for s in derivation_steps(derive(Chain(depth=3, activation=name)))
                if s.group == "bounds"]


# -- the matrix lecture of a dense network ----------------------------------------------------

from symgrad.model.network import Dense
from symgrad.derivation import derive
from symgrad.printing.dense import DenseMatrixLatexPrinter  # noqa: E402
from symgrad.lecture.documents import lecture  # noqa: E402
from symgrad.lecture.steps import dense_steps, row_form  # noqa: E402
from notation_parser import DenseNotationParser, check_document, dense_normal_form  # noqa: E402

DENSE_ACTIVATIONS = ["sigmoid", "tanh", "relu", "softplus", "linear", "elu", "silu"]


def test_dense_matrix_printer_writes_the_row_convention():
    net = Dense([3, 4, 4, 2], ["sigmoid", "sigmoid", "linear"], "sse", samples=4)
    d = derive(net)
    p = DenseMatrixLatexPrinter({"depth": 3})
    assert p.doprint(row_form(d.delta_matrix(1), net)) == \
        r"\left(\delta_{2} W_{2}^{T}\right) \odot \sigma'(\tilde{h}_{1})"
    assert p.doprint(row_form(d.delta_matrix(3), net)) == r"\nabla_{\hat{y}} \mathcal{L}"
    assert p.doprint(row_form(d.gradient_matrix("W_1"), net)) == r"\sum_{i=1}^{N} x_{i} \delta_{1,i}"
    assert p.doprint(row_form(d.gradient_matrix("W_3"), net)) == \
        r"\sum_{i=1}^{N} h_{2,i}^{T} \delta_{3,i}"
    forward = dense_steps(d)[0].equations
    assert [p.doprint(e.terms[1]) for e in forward][:1] == [r"x_{i}^{T} W_{1} + b_{1}"]
    assert p.doprint(forward[-1].terms[1]) == \
        r"\sum_{i=1}^{N} \left\lVert y_{i} - \hat{y}_{i}\right\rVert_{2}^{2}"
    # shapes: the row convention's W_l is n_{l-1} × n_l, the transpose of the column W_l
    assert row_form(net.W(1), net).shape == (3, 4) and net.W(1).shape == (4, 3)


def test_dense_parser_keeps_the_order_of_matrix_products():
    parser = DenseNotationParser(3)
    a = parser.parse(r"\left(\delta_{3} W_{3}^{T}\right) \odot \sigma'(\tilde{h}_{2})")
    b = parser.parse(r"\left(W_{3}^{T} \delta_{3}\right) \odot \sigma'(\tilde{h}_{2})")
    assert a != b
    net = Dense([3, 4, 4, 2], ["sigmoid", "sigmoid", "linear"], "sse")
    assert a == dense_normal_form(row_form(derive(net).delta_matrix(2), net))
    with pytest.raises(ParseError):
        parser.parse(r"rac{\partial \mathcal{L}}{\partial W_{1}}")


@st.composite
def dense_networks(draw, *, max_layers: int = 4, max_width: int = 3):
    L = draw(st.integers(1, max_layers))
    widths = draw(st.lists(st.integers(1, max_width), min_size=L + 1, max_size=L + 1))
    # one layer wider than 1: a network of widths 1 is the chain, printed as one
    widths[draw(st.integers(0, L))] = draw(st.integers(2, max_width))
    acts = draw(st.lists(st.sampled_from(DENSE_ACTIVATIONS), min_size=L, max_size=L))
    cost = draw(st.sampled_from(["squared-error", "quadratic"]))
    return Dense(widths, acts, cost, samples=draw(st.integers(1, 3)))


@settings(deadline=None, max_examples=15)
@given(dense_networks(), st.sampled_from(["tex", "markdown"]))
def test_dense_lectures_parse_back_and_a_doubled_factor_fails(net, fmt):
    d = derive(net)
    text = lecture(d, fmt, "matrix")
    assert check_document(text, fmt, d) == []
    first = r"\frac{\partial \mathcal{L}}{\partial \hat{y}} \cdot "
    assert first in text
    assert check_document(text.replace(first, first + first, 1), fmt, d) != []
