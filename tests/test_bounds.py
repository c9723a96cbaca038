"""The proven suprema, the layer bound and ``symgrad bounds``."""
from __future__ import annotations

import json

import mpmath
import pytest
import sympy as sp
from sympy.calculus.util import maximum

from symgrad.model.activations import SELU_ALPHA, SELU_LAMBDA, activation_names, get_activation
from symgrad.bounds.core import (general_layer_bound, layer_bound, supremum, suprema,
                            three_sigmoid_layers)
from symgrad.cli.main import main
from symgrad.derivation.derivation import derive
from symgrad.model.network import Chain
from symgrad.printing.printers import latex

Z = sp.Symbol("z", real=True)


def test_sigmoid_and_tanh_maxima_exact():
    s, t = supremum("sigmoid"), supremum("tanh")
    assert (s.value, s.attained, s.attained_at) == (sp.Rational(1, 4), True, 0)
    assert (t.value, t.attained, t.attained_at) == (1, True, 0)


def test_agrees_with_sympy_maximum_where_it_works():
    # DESIGN.md: sympy.calculus.util.maximum manages these three
    for name in ("sigmoid", "tanh", "softplus"):
        g = get_activation(name).derivative_expression
        assert maximum(g, Z, sp.S.Reals) == supremum(name).value


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "linear", "elu"])
def test_relu_family_sup_one_attained(name):
    s = supremum(name)
    assert s.value == 1 and s.attained is True and s.certified


def test_softplus_one_as_a_limit_never_attained():
    s = supremum("softplus")
    assert s.value == 1 and s.attained is False and s.attained_at is None
    assert s.how == "the limit z → ∞, never attained"


def test_selu_lambda_alpha_as_left_limit():
    s = supremum("selu")
    assert s.value == SELU_LAMBDA * SELU_ALPHA
    assert s.how == "the limit z → 0⁻, never attained" and s.attained is False
    assert s.decimal(5) == "1.7581"
    assert any("convention σ'(0)" in step and "does not exceed" in step for step in s.steps)


def test_gelu_exact_at_sqrt2():
    s = supremum("gelu")
    expected = (1 + sp.erf(1)) / 2 + 1 / (sp.E * sp.sqrt(sp.pi))
    assert sp.simplify(s.value - expected) == 0
    assert s.attained_at == sp.sqrt(2)
    assert s.decimal(5) == "1.1289"


def test_silu_enclosure_contains_independent_root_and_value():
    s = supremum("silu")
    assert s.value is None and s.certified and s.attained
    lo, hi = s.enclosure
    zlo, zhi = s.attained_at
    assert hi - lo < mpmath.mpf("1e-30") and zhi - zlo < mpmath.mpf("1e-30")
    with mpmath.workdps(90):  # finer than the enclosures (about 1e-60 wide)
        # silu'' = σ'(z)(2 − z tanh(z/2)): the maximiser solves z tanh(z/2) = 2
        root = mpmath.findroot(lambda x: x * mpmath.tanh(x / 2) - 2, 2.4)
        value = get_activation("silu").mp_derivative(root)
        assert zlo <= root <= zhi
        assert lo <= value <= hi
    assert s.sup_string(5) == "[1.0998, 1.0999]"
    # a value 1.001 times smaller lies outside the enclosure: the check can fail
    assert not lo <= value / mpmath.mpf("1.001") <= hi


def test_prelu_sup_depends_on_alpha():
    s = supremum("prelu")
    alpha = get_activation("prelu").parameter
    assert s.value == sp.Max(1, sp.Abs(alpha))
    assert s.value.subs(alpha, sp.Rational(1, 4)) == 1 and s.value.subs(alpha, -3) == 3


def test_every_builtin_certified_and_json_keys():
    sups = suprema()
    assert [s.activation for s in sups] == activation_names()
    assert all(s.certified for s in sups)
    for s in sups:
        d = s.as_dict()
        assert {"activation", "sup", "attained_at", "method"} <= set(d)


def test_custom_activation_certified_or_honestly_not():
    assert supremum("tanh(x)/2").value == sp.Rational(1, 2)
    assert supremum("x*sigmoid(x)").sup_string(5) == "[1.0998, 1.0999]"
    s = supremum("sin(x)")  # infinitely many critical points: no certificate
    assert not s.certified and s.sup_string() == "could not certify"
    assert main(["bounds", "--activation", "sin(x)", "--format", "json"]) == 1


def test_layer_bound_statement():
    d = derive(Chain(depth=4))
    b = layer_bound(d, 2)
    assert b.sup_factor == sp.Rational(1, 64)
    assert latex(b.display) == (
        r"\left|{\frac{\partial C}{\partial b_{2}}}\right| \leq \left|{w_{3}}\right| "
        r"\left|{w_{4}}\right| \left|{\frac{\partial C}{\partial a_{4}}}\right| "
        r"\left(\frac{1}{4}\right)^{3}")
    w3, w4 = sp.symbols("w_3 w_4", real=True)
    assert b.relation.rhs == sp.Abs(w3) * sp.Abs(w4) * sp.Abs(d.dC_da) / 64
    assert latex(general_layer_bound("sigmoid")) == (
        r"\left|{\frac{\partial C}{\partial b_{l}}}\right| \leq "
        r"\left|{\frac{\partial C}{\partial a_{L}}}\right| \prod_{j=l + 1}^{L} "
        r"\left|{{w}_{j}}\right| \left(\frac{1}{4}\right)^{L - l + 1}")


def test_layer_bound_mixed_and_prelu_layers():
    d = derive(Chain(depth=3, activation=["prelu", "tanh", "sigmoid"]))
    b = layer_bound(d, 1)
    alpha_1 = sp.Symbol("alpha_1", real=True)
    assert b.sup_factor == sp.Max(1, sp.Abs(alpha_1)) / 4


def test_three_sigmoid_layers_one_64th():
    eq = three_sigmoid_layers()
    assert eq.rhs == sp.Rational(1, 64) and eq.lhs.doit() == sp.Rational(1, 64)
    assert latex(eq) == r"\left(\frac{1}{4}\right)^{3} = \frac{1}{64}"


def test_bounds_command_formats(capsys):
    assert main(["bounds", "--activation", "sigmoid", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries[0]["activation"] == "sigmoid" and entries[0]["sup"] == "1/4"
    assert entries[0]["attained_at"] == "0" and entries[0]["certified"] is True
    assert main(["bounds", "--activation", "silu", "--format", "json"]) == 0
    silu = json.loads(capsys.readouterr().out)[0]
    assert silu["sup"].startswith("[1.099839320128866") and silu["exact"] is False
    assert main(["bounds", "--activation", "sigmoid"]) == 0
    out = capsys.readouterr().out
    assert "three sigmoid layers multiply at most (1/4)^3 = 1/64 into the gradient" in out
    assert "|∂C/∂b_l| ≤ |∂C/∂a_L| Π_{j=l + 1}^{L} |w_j| (1/4)^(L - l + 1)" in out
    assert main(["bounds", "--activation", "tanh", "--format", "latex"]) == 0
    assert r"\sup_{z \in \mathbb{R}} \left|\tanh'(z)\right| &= 1" in capsys.readouterr().out
    assert main(["bounds", "--activation", "gelu", "--format", "markdown"]) == 0
    assert "| gelu |" in capsys.readouterr().out


def test_bounds_command_usage_errors(capsys):
    assert main(["bounds", "--activation", "sigmod"]) == 2
    assert "activation='sigmod': unknown activation; did you mean 'sigmoid'?" in capsys.readouterr().err
    assert main(["bounds", "--format", "xml"]) == 2
    assert "format='xml': must be one of text, latex, markdown, json" in capsys.readouterr().err
