"""The printers: exact strings in both notations and for every width, the notation tables,
the per-kind factor templates (equal to printing each factor), line breaking that loses no
factor, and printed closed forms that parse back to the derived expression (and a wrong one
that does not)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad import Chain, Dense, OrderedProduct, UsageError, derive
from symgrad.lecture.steps import Preactivation, derivation_steps, dense_steps, row_form
from symgrad.model.activations import activation_names
from symgrad.printing import (MATRIX, NIELSEN, FactorPrinter, MatrixLatexPrinter,
                              NielsenLatexPrinter, NielsenTextPrinter, estimate_width,
                              generic_components, get_printer, gradient_form, gradient_lhs,
                              latex, latex_derivation, latex_gradient, latex_rows,
                              layer_activation, markdown_derivation, repr_latex, repr_markdown,
                              text, text_derivation, text_gradient)

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


# -- exact strings: chains ------------------------------------------------------------------

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
    assert text_gradient(d, "alpha_1", concrete=True) == \
        "∂C/∂α_1 = {z_1 for z_1 ≤ 0; 0 otherwise} w_2 {α_2 for z_2 ≤ 0; 1 otherwise} (a_2 - y)"


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


def test_the_notation_tables_drive_the_symbols():
    assert [NIELSEN.latex_symbol(n) for n in ("z_3", "alpha_2", "delta_2,i", "a_0")] == \
        ["z_{3}", r"\alpha_{2}", r"\delta_{2,i}", "a_{0}"]
    assert [MATRIX.latex_symbol(n, depth=3) for n in ("z_3", "a_0,i", "a_3,i", "a_L", "y,2", "C")] \
        == [r"\tilde{h}_{3}", "x_{i}", r"\hat{y}_{i}", r"\hat{y}", "y_{2}", r"\mathcal{L}"]
    # a name the table has no rule for is written as SymPy writes it
    assert NIELSEN.latex_symbol("w^2_1,3") is None and latex(sp.Symbol("w^2_1,3")) == "w^{2}_{1,3}"
    assert [NIELSEN.text_symbol(n) for n in ("delta^3_1", "alpha_2", "a_1")] == ["δ^3_1", "α_2", None]
    assert NIELSEN.text_activation(r"\operatorname{ReLU}") == "ReLU"


def test_get_printer_refuses_an_unknown_notation():
    with pytest.raises(UsageError, match=r"^notation='tilde': must be one of nielsen, matrix$"):
        get_printer("tilde")
    assert isinstance(get_printer("matrix"), MatrixLatexPrinter)
    assert type(get_printer("nielsen")) is NielsenLatexPrinter


def test_number_symbols_print_through_the_notation_printer():
    assert NielsenLatexPrinter().doprint(sp.sqrt(2 * sp.pi)) == r"\sqrt{2} \sqrt{\pi}"


def test_a_layers_undefined_activation_carries_its_layer():
    z = sp.Symbol("z^2_j", real=True)
    prime = sp.Derivative(layer_activation(2)(z), z)
    assert (latex(prime), text(prime)) == (r"\sigma_{2}'(z^{2}_{j})", "σ_2'(z^2_j)")
    assert latex(layer_activation(3)(z)) == r"\sigma_{3}(z^{2}_{j})"


def test_a_derivation_prints_as_one_latex_block():
    d = derive(Chain(depth=2))
    block = repr_latex(d)
    assert block.startswith("$$\\begin{aligned}")
    assert r"\frac{\partial C}{\partial b_{1}} &= \sigma'(z_{1}) w_{2} \sigma'(z_{2}) \frac{\partial C}{\partial a_{2}}" in block
    assert repr_markdown(d).startswith("**Gradients of** `Chain(depth=2")
    dense = repr_latex(derive(Dense([2, 3, 2])))
    assert r"\delta_{1} &= \left(W_{2}^{T} \delta_{2}\right) \odot \sigma'(z_{1})" in dense


# -- exact strings: dense networks -----------------------------------------------------------

def test_dense_matrix_and_component_forms_in_latex_and_text():
    d = derive(Dense([3, 2, 2, 1], ["tanh", "prelu", "linear"], "sse", samples=2))
    assert latex(d.delta_matrix(1)) == r"\left(W_{2}^{T} \delta_{2}\right) \odot \tanh'(z_{1})"
    assert text(d.delta_matrix(1)) == "(W_2ᵀ δ_2) ⊙ tanh'(z_1)"
    assert latex(d.gradient_matrix("W_2")) == r"\sum_{i=1}^{2} \delta_{2,i} a_{1,i}^{T}"
    assert text(d.gradient_matrix("W_2")) == "Σ_{i=1..2} δ_2,i a_1,iᵀ"
    assert latex(d.gradient_matrix("alpha_2")) == (
        r"\sum_{i=1}^{2} \left(\frac{\partial a_{2,i}}{\partial \alpha_{2}}\right)^{T} "
        r"\left(W_{3}^{T} \delta_{3,i}\right)")
    assert latex(d.delta_matrix(3)) == r"\nabla_{a_{3}} C"
    soft = derive(Dense([2, 3, 3], "tanh", "softmax-cross-entropy"))
    assert (latex(soft.delta_matrix(2)), text(soft.delta_matrix(2))) == ("a_{2} - y", "a_2 − y")
    forward = soft.network.forward_equations()
    assert [latex(e.rhs) for e in forward] == [
        r"W_{1} a_{0} + b_{1}", r"\tanh(z_{1})", r"W_{2} a_{1} + b_{2}",
        r"\operatorname{softmax}(z_{2})"]
    assert latex(derive(Dense([2, 3, 2])).weight_gradient(2, 1, 3)) == r"a^{1}_{3} \delta^{2}_{1}"


def test_generic_component_forms_come_from_the_printer():
    d = derive(Dense([3, 4, 4, 2], ["sigmoid", "sigmoid", "linear"], "sse", samples=2))
    forms = {label: (latex(lhs) + " = " + latex(rhs), text(lhs) + " = " + text(rhs))
             for label, (lhs, rhs) in generic_components(d, 2).items()}
    assert forms == {
        "delta": (r"\delta^{2}_{j,i} = \sigma_{2}'(z^{2}_{j,i}) \sum_{k} w^{3}_{kj} \delta^{3}_{k,i}",
                  "δ^2_j,i = σ_2'(z^2_j,i) Σ_k w^3_kj δ^3_k,i"),
        "b": (r"\frac{\partial C}{\partial b^{2}_{j}} = \sum_{i=1}^{N} \delta^{2}_{j,i}",
              "∂C/∂b^2_j = Σ_i δ^2_j,i"),
        "W": (r"\frac{\partial C}{\partial w^{2}_{jk}} = \sum_{i=1}^{N} a^{1}_{k,i} \delta^{2}_{j,i}",
              "∂C/∂w^2_jk = Σ_i a^1_k,i δ^2_j,i")}
    lhs, rhs = generic_components(d, 3)["delta"]                 # a linear output: no σ'
    assert text(lhs) + " = " + text(rhs) == "δ^3_j,i = ∂C/∂a^3_j,i"
    lhs, rhs = generic_components(derive(Dense([2, 3, 3], "tanh", "softmax-cross-entropy")), 2)["delta"]
    assert latex(rhs) == "a^{2}_{j} - y_{j}"


def test_a_dense_gradient_prints_its_matrix_form_and_refuses_a_concrete_one():
    d = derive(Dense([2, 3, 2]))
    assert text_gradient(d, "W_1") == "∂C/∂W_1 = δ_1 a_0ᵀ"
    with pytest.raises(UsageError, match="concrete forms are printed for chains"):
        latex_gradient(d, "W_1", concrete=True)
    with pytest.raises(UsageError, match=r"^form='scalar': must be one of expanded, recurrence$"):
        gradient_form(d, "W_1", form="scalar")


# -- one template per kind of factor ---------------------------------------------------------

@pytest.mark.parametrize("activation", activation_names())
def test_factor_templates_print_what_the_printer_prints(activation):
    """Printing each kind of factor once, for a placeholder layer, gives exactly what the
    printer writes for every layer: symbolic, concrete in z and in a, in both notations."""
    d = derive(Chain(depth=11, activation=activation, cost="cross-entropy"))
    for printer in (NielsenLatexPrinter(), NielsenTextPrinter(), get_printer("matrix", depth=11)):
        for concrete in (False, True, "a"):
            factors = FactorPrinter(printer, d, concrete)
            for form in ("expanded", "recurrence"):
                # w_1 holds a factor of every layer, a_0 and ∂C/∂a_11 (printed as they stand)
                for name in ("w_1", "b_10", *(["alpha_5"] if "alpha_5" in d.parameter_names()
                                              else [])):
                    direct = printer.doprint(gradient_form(d, name, concrete, form))
                    assert factors.product(gradient_form(d, name, False, form)) == direct
                    assert factors.expression(gradient_lhs(name)) == printer.doprint(gradient_lhs(name))


def test_a_factor_of_no_single_layer_is_printed_as_it_stands():
    d = derive(Chain(depth=4))
    factors = FactorPrinter(NielsenTextPrinter(), d)
    x = sp.Symbol("x", real=True)
    assert factors.product(OrderedProduct(x + 1, d.sigma_primes[1])) == "(x + 1) σ'(z_2)"


# -- documents --------------------------------------------------------------------------------

def test_documents_of_a_chain_and_a_dense_network_share_one_function_per_format():
    chain, dense = derive(Chain(depth=2)), derive(Dense([2, 2, 1], "tanh"))
    assert text_derivation(chain).splitlines()[2] == "∂C/∂b_2 = σ'(z_2) ∂C/∂a_2"
    assert text_derivation(dense).splitlines()[7] == "δ_2 = ∇_{a_2} C ⊙ tanh'(z_2)"
    assert latex_derivation(dense).splitlines()[1] == \
        r"\delta_{2} &= \nabla_{a_{2}} C \odot \tanh'(z_{2}) \\"
    md = markdown_derivation(dense)
    assert "## Layer 1 (tanh, width 2)" in md and md.count("$$") % 2 == 0


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

@settings(deadline=None, max_examples=25)
@given(chains(max_depth=10), st.sampled_from(["nielsen", "matrix"]))
def test_printed_closed_forms_parse_back_to_the_derivation(net, notation):
    d = derive(net)
    printer, parser = get_printer(notation, depth=net.depth), NotationParser(notation, net.depth)
    for name in d.parameter_names():
        form = d.closed_form(name)
        assert parser.parse(printer.doprint(form)) == normal_form(form)


@settings(deadline=None, max_examples=25)
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


@pytest.mark.parametrize("net", [Chain(depth=4), Chain(depth=3, activation=["prelu", "sigmoid", "relu"])],
                         ids=repr)
def test_every_lecture_step_parses_back_in_both_notations(net):
    steps = derivation_steps(derive(net))
    for notation in ("nielsen", "matrix"):
        printer, parser = get_printer(notation, depth=net.L), NotationParser(notation, net.L)
        for term in (t for step in steps for eq in step.equations for t in eq.terms):
            assert parser.parse(printer.doprint(term)) == normal_form(term)


def test_a_lost_backslash_does_not_parse():
    with pytest.raises(ParseError):
        NotationParser().parse(r"\sigma'(z_{3}) \rac{1}{2}")
    # '\frac' printed as 'rac' (the slides' \f escape): r a c, then a stray \partial
    with pytest.raises(ParseError, match="partial"):
        NotationParser().parse(r"rac{\partial C}{\partial b_{3}}")


# -- the matrix notation of a dense network ----------------------------------------------------

def test_dense_matrix_printer_writes_the_row_convention():
    net = Dense([3, 4, 4, 2], ["sigmoid", "sigmoid", "linear"], "sse", samples=4)
    d = derive(net)
    p = MatrixLatexPrinter({"depth": 3})
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
