"""The certified suprema, the layer bound and ``symgrad bounds``."""
from __future__ import annotations

import json
from fractions import Fraction
from types import SimpleNamespace

import pytest
import sympy as sp
from sympy.calculus.util import maximum

from symgrad.bounds import (Enclosure, general_layer_bound, layer_bound, supremum, suprema,
                            three_sigmoid_layers)
from symgrad.cli.main import main
from symgrad.derivation import derive
from symgrad.errors import UsageError
from symgrad.model.activations import SELU_ALPHA, SELU_LAMBDA, activation_names, get_activation
from symgrad.model.network import Chain
from symgrad.printing.printers import latex

Z = sp.Symbol("z", real=True)


def derivation(net):
    """derive(net) with layer j's σ' factor as ``d.sigma_prime(j)``.  The one place that
    bridges the older chain Derivation (the tuple ``d.sigma_prime[j-1]``) until the unified
    Derivation is committed; drop the bridge then."""
    d = derive(net)
    if callable(d.sigma_prime):
        return d
    return SimpleNamespace(network=d.network, L=d.L, factors=d.factors,
                           sigma_prime=lambda j: d.sigma_prime[j - 1], dC_da=lambda: d.dC_da)


def test_sigmoid_and_tanh_maxima_exact():
    s, t = supremum("sigmoid"), supremum("tanh")
    assert (s.value, s.attained, s.attained_at) == (sp.Rational(1, 4), True, 0)
    assert (t.value, t.attained, t.attained_at) == (1, True, 0)
    assert s.enclosure == Enclosure(Fraction(1, 4), Fraction(1, 4))
    assert s.method == "exact: critical points (solveset), limits"


def test_agrees_with_sympy_maximum_where_it_works():
    # SymPy's maximum manages sigmoid, tanh and softplus (seconds each; softplus, whose
    # supremum is a limit, is the telling one; tests/test_bounds_certified.py recomputes all)
    g = get_activation("softplus").derivative_expression
    assert maximum(g, Z, sp.S.Reals) == supremum("softplus").value == 1


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "linear", "elu"])
def test_relu_family_sup_one_attained(name):
    s = supremum(name)
    assert s.value == 1 and s.attained is True and s.certified
    assert s.enclosure == Enclosure(1, 1)


def test_relu_family_by_branches():
    s = supremum("elu")
    assert s.how == "attained at every z > 0" and s.method.startswith("per branch; ")
    assert isinstance(s.attained_at, sp.Interval) and s.attained_string() == "z > 0"
    assert any(step.startswith("σ' is piecewise") for step in s.steps)
    assert "the convention σ'(0) = 0 at the kink does not exceed it" in supremum("relu").steps


def test_softplus_one_as_a_limit_never_attained():
    s = supremum("softplus")
    assert s.value == 1 and s.attained is False and s.attained_at is None
    assert s.how == "the limit z → ∞, never attained"


def test_selu_lambda_alpha_as_left_limit():
    s = supremum("selu")
    assert s.value == SELU_LAMBDA * SELU_ALPHA
    assert s.how == "the limit z → 0⁻, never attained" and s.attained is False
    assert s.enclosure == Enclosure(exact := Fraction(str(SELU_LAMBDA * SELU_ALPHA)), exact)
    assert s.decimal(5) == "1.7581"
    assert any("convention σ'(0)" in step and "does not exceed" in step for step in s.steps)


def test_gelu_exact_at_sqrt2():
    s = supremum("gelu")
    expected = (1 + sp.erf(1)) / 2 + 1 / (sp.E * sp.sqrt(sp.pi))
    assert sp.simplify(s.value - expected) == 0
    assert s.attained_at == sp.sqrt(2)
    assert s.decimal(5) == "1.1289"
    # the enclosure of the exact value: width below 10^-55, around its 80-digit value
    assert s.enclosure.width < Fraction(1, 10**55)
    assert s.enclosure.contains(sp.N(expected, 80))


def test_silu_enclosure_strings_and_attained_point():
    s = supremum("silu")
    assert s.value is None and s.certified and s.attained
    assert isinstance(s.attained_at, Enclosure)
    assert s.sup_string(20) == "[1.0998393201288669169, 1.099839320128866917]"
    assert s.attained_string(20) == "[2.3993572805154676678, 2.3993572805154676679]"
    assert s.decimal(12) == "1.09983932013"
    assert s.label == "1.09983932013 (enclosure [1.0998393201288, 1.0998393201289])"
    assert s.method == ("certified enclosure: critical points by ball arithmetic "
                        "(python-flint arb, 200 bits), limits")


def test_prelu_sup_depends_on_alpha():
    s = supremum("prelu")
    alpha = get_activation("prelu").parameter
    assert s.value == sp.Max(1, sp.Abs(alpha)) and s.enclosure is None
    assert s.value.subs(alpha, sp.Rational(1, 4)) == 1 and s.value.subs(alpha, -3) == 3
    assert s.decimal() is None and s.sup_string() == "Max(1, Abs(alpha))"


def test_every_builtin_certified():
    builtins = [n for n in activation_names() if not n.startswith("custom:")]
    assert builtins == ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "linear",
                        "softplus", "elu", "selu", "silu", "gelu", "gelu_tanh"]
    sups = suprema(builtins)
    assert [s.activation for s in sups] == builtins
    assert all(s.certified for s in sups)


def test_custom_activation_certified_or_honestly_not():
    assert supremum("sigmoid(x)/2").value == sp.Rational(1, 8)
    assert supremum("x*sigmoid(x)").sup_string(20) == supremum("silu").sup_string(20)
    s = supremum("sin(x)")  # infinitely many critical points: no certificate
    assert not s.certified and s.sup_string() == "could not certify"
    assert s.enclosure is None and s.how.startswith("could not certify: ")
    assert main(["bounds", "--activation", "sin(x)", "--format", "json"]) == 1


def test_layer_bound_statement():
    d = derivation(Chain(depth=4))
    b = layer_bound(d, 2)
    assert b.sup_factor == sp.Rational(1, 64)
    assert latex(b.display) == (
        r"\left|{\frac{\partial C}{\partial b_{2}}}\right| \leq \left|{w_{3}}\right| "
        r"\left|{w_{4}}\right| \left|{\frac{\partial C}{\partial a_{4}}}\right| "
        r"\left(\frac{1}{4}\right)^{3}")
    w3, w4 = sp.symbols("w_3 w_4", real=True)
    assert b.relation.rhs == sp.Abs(w3) * sp.Abs(w4) * sp.Abs(d.dC_da()) / 64
    assert latex(general_layer_bound("sigmoid")) == (
        r"\left|{\frac{\partial C}{\partial b_{l}}}\right| \leq "
        r"\left|{\frac{\partial C}{\partial a_{L}}}\right| \prod_{j=l + 1}^{L} "
        r"\left|{{w}_{j}}\right| \left(\frac{1}{4}\right)^{L - l + 1}")


def test_layer_bound_mixed_and_prelu_layers():
    d = derivation(Chain(depth=3, activation=["prelu", "tanh", "sigmoid"]))
    alpha_1 = sp.Symbol("alpha_1", real=True)
    assert layer_bound(d, 1).sup_factor == sp.Max(1, sp.Abs(alpha_1)) / 4
    # a linear output layer: its σ' = 1 is no factor, its sup no part of the bound
    d = derivation(Chain(depth=3, activation=["sigmoid", "sigmoid", "linear"]))
    assert layer_bound(d, 1).sup_factor == sp.Rational(1, 16)
    assert layer_bound(d, 3).sup_factor == 1


def test_layer_bound_rejects_bad_layer_and_inexact_sup():
    d = derivation(Chain(depth=2))
    with pytest.raises(UsageError, match=r"^layer=3: must be 1\.\.2$"):
        layer_bound(d, 3)
    with pytest.raises(UsageError, match=r"^activation='silu': sup\|σ'\| is only known as an "
                                         r"enclosure; no exact layer bound is stated$"):
        layer_bound(derivation(Chain(depth=2, activation="silu")), 1)


def test_three_sigmoid_layers_one_64th():
    eq = three_sigmoid_layers()
    assert eq.rhs == sp.Rational(1, 64) and eq.lhs.doit() == sp.Rational(1, 64)
    assert latex(eq) == r"\left(\frac{1}{4}\right)^{3} = \frac{1}{64}"


def _json(capsys, *argv):
    assert main(["bounds", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_bounds_json_exact_values(capsys):
    sigmoid, = _json(capsys, "--activation", "sigmoid")
    assert sigmoid["value"] == {"sympy": "1/4", "latex": r"\frac{1}{4}"}
    assert sigmoid["enclosure"] == ["0.25", "0.25"]
    assert sigmoid["attained_at"] == {"sympy": "0", "latex": "0"}
    assert sigmoid["certified"] is True and sigmoid["attained"] is True
    assert sigmoid["method"] == "exact: critical points (solveset), limits"
    gelu, = _json(capsys, "--activation", "gelu")
    assert gelu["attained_at"] == {"sympy": "sqrt(2)", "latex": r"\sqrt{2}"}
    assert gelu["enclosure"] == ["1.128904145185154786340744442261973312332",
                                 "1.128904145185154786340744442261973312333"]
    softplus, = _json(capsys, "--activation", "softplus")
    assert softplus["attained_at"] is None and softplus["attained"] is False
    relu, = _json(capsys, "--activation", "relu")
    assert relu["attained_at"] == {"where": "z > 0"}
    prelu, = _json(capsys, "--activation", "prelu")
    assert prelu["value"]["sympy"] == "Max(1, Abs(alpha))" and prelu["enclosure"] is None


def test_bounds_json_silu_outward_enclosures(capsys):
    silu, = _json(capsys, "--activation", "silu")
    assert silu["value"] is None and silu["certified"] is True
    low, high = silu["enclosure"]
    assert low.startswith("1.0998393201288669169581849243205709721")
    assert Fraction(low) < Fraction(high) and Fraction(high) - Fraction(low) < Fraction(1, 10**38)
    at_low, at_high = silu["attained_at"]["enclosure"]
    assert at_low.startswith("2.39935728051546766783273969728228388852")
    assert Fraction(at_low) < Fraction(at_high)


def test_bounds_command_text_latex_markdown(capsys):
    assert main(["bounds", "--activation", "sigmoid"]) == 0
    out = capsys.readouterr().out
    assert "three sigmoid layers multiply at most (1/4)^3 = 1/64 into the gradient" in out
    assert "|∂C/∂b_l| ≤ |∂C/∂a_L| Π_{j=l + 1}^{L} |w_j| (1/4)^(L - l + 1)" in out
    assert main(["bounds", "--activation", "silu"]) == 0
    out = capsys.readouterr().out
    assert "z ∈ [2.39935728051, 2.39935728052]" in out
    assert main(["bounds", "--activation", "tanh", "--format", "latex"]) == 0
    assert r"\sup_{z \in \mathbb{R}} \left|\tanh'(z)\right| &= 1" in capsys.readouterr().out
    assert main(["bounds", "--activation", "silu", "--format", "latex"]) == 0
    assert (r"\left|\operatorname{SiLU}'(z)\right| &\in \left[1.0998393201288669169, "
            r"1.099839320128866917\right]") in capsys.readouterr().out
    assert main(["bounds", "--activation", "gelu", "--format", "markdown"]) == 0
    assert "| gelu |" in capsys.readouterr().out


def test_bounds_command_usage_errors(capsys):
    assert main(["bounds", "--activation", "sigmod"]) == 2
    err = capsys.readouterr().err
    assert "activation='sigmod': unknown activation; did you mean 'sigmoid'?" in err
    assert err.count("\n") == 1
    assert main(["bounds", "--format", "xml"]) == 2
    assert "format='xml': must be one of text, latex, markdown, json" in capsys.readouterr().err
    # an empty name is a usage error, not "every activation"
    assert main(["bounds", "--activation", ""]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("symgrad: error: activation='': unknown activation")
    assert err.count("\n") == 1
