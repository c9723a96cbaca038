"""The chain network, its closed forms and their proofs (shared/REFERENCE.md §1)."""
import dataclasses
import json

import mpmath
import pytest
import sympy as sp

from symgrad import Chain, UsageError, activation_names, cost_names, derive
from symgrad.cli.main import main
from symgrad.printing.printers import latex_gradient, text_gradient
from symgrad.prove.chain import prove_activation, prove_chain, prove_cost

# --- the eight formulas of REFERENCE.md §1, exactly ---------------------------------------

REFERENCE_TEXT = {
    "b_4": "∂C/∂b_4 = σ'(z_4) ∂C/∂a_4",
    "b_3": "∂C/∂b_3 = σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4",
    "b_2": "∂C/∂b_2 = σ'(z_2) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4",
    "b_1": "∂C/∂b_1 = σ'(z_1) w_2 σ'(z_2) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4",
    "w_4": "∂C/∂w_4 = a_3 σ'(z_4) ∂C/∂a_4",
    "w_3": "∂C/∂w_3 = a_2 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4",
    "w_2": "∂C/∂w_2 = a_1 σ'(z_2) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4",
    "w_1": "∂C/∂w_1 = a_0 σ'(z_1) w_2 σ'(z_2) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4",
}


def test_reference_formulas_as_text():
    d = derive(Chain(depth=4))
    assert d.parameter_names() == list(REFERENCE_TEXT)
    for name, expected in REFERENCE_TEXT.items():
        assert text_gradient(d, name) == expected


def test_reference_formula_as_latex():
    d = derive(Chain(depth=4))
    assert latex_gradient(d, "b_3") == (
        r"\frac{\partial C}{\partial b_{3}} = \sigma'(z_{3}) w_{4} \sigma'(z_{4}) "
        r"\frac{\partial C}{\partial a_{4}}")
    assert latex_gradient(d, "w_1") == (
        r"\frac{\partial C}{\partial w_{1}} = a_{0} \sigma'(z_{1}) w_{2} \sigma'(z_{2}) "
        r"w_{3} \sigma'(z_{3}) w_{4} \sigma'(z_{4}) \frac{\partial C}{\partial a_{4}}")


def test_tanh_uses_its_own_name():
    d = derive(Chain(depth=2, activation="tanh"))
    assert latex_gradient(d, "b_1") == (
        r"\frac{\partial C}{\partial b_{1}} = \tanh'(z_{1}) w_{2} \tanh'(z_{2}) "
        r"\frac{\partial C}{\partial a_{2}}")


def test_dC_da_general_and_concrete():
    net = Chain(depth=4)
    d = derive(net)
    a4, y = net.a_(4), net.y_()
    assert d.dC_da() == sp.Derivative(sp.Function("C", real=True)(a4), a4)
    assert d.concrete(d.dC_da()) == a4 - y
    ce = derive(Chain(depth=4, cost="cross-entropy"))
    assert ce.concrete(ce.dC_da()) == (a4 - y) / (a4 * (1 - a4))


def test_repeated_factor_is_da_j_over_da_j_minus_1():
    net = Chain(depth=4)
    d = derive(net)
    w3, sp3 = d.repeated_factor(3)
    assert w3 == net.w_(3) and sp3 == d.sigma_primes[2]
    # ∂a_3/∂a_2 = w_3 σ'(z_3): differentiate σ(w_3 a_2 + b_3) with respect to a_2
    s = net.sigma(3)
    direct = sp.diff(s(net.w_(3) * net.a_(2) + net.b_(3)), net.a_(2))
    assert sp.simplify(direct - net.w_(3) * s.derivative(net.w_(3) * net.a_(2) + net.b_(3))) == 0


def test_recurrence_is_linear_and_expands_to_the_product():
    d = derive(Chain(depth=6))
    assert d.recurrence[2] == (d.sigma_primes[2], sp.Symbol("w_4", real=True),
                               sp.Symbol("delta_4", real=True))
    assert d.factors("b_3") == (d.sigma_primes[2],) + d.factors("b_4")[0:0] + \
        (sp.Symbol("w_4", real=True),) + d.factors("b_4")
    assert d.recurrence_form("w_3").args[0] == sp.Symbol("a_2", real=True)


def test_gradient_in_terms_of_outputs():
    net = Chain(depth=2)
    d = derive(net)
    a1, a2, w2, y = net.a_(1), net.a_(2), net.w_(2), net.y_()
    assert sp.expand(d.gradient("b_1", concrete="a") -
                     a1 * (1 - a1) * w2 * a2 * (1 - a2) * (a2 - y)) == 0


def test_sigmoid_with_cross_entropy_cancels():
    d = derive(Chain(depth=3, cost="cross-entropy"))
    assert d.output_delta == sp.Symbol("a_3", real=True) - sp.Symbol("y", real=True)
    assert d.output_delta_cancels
    assert not derive(Chain(depth=3, activation="tanh", cost="cross-entropy")).output_delta_cancels


# --- every activation and cost: the closed form against SymPy's derivative ----------------

def _mp(expr, point):
    """expr at the point with mpmath (50 digits): SymPy's expression, evaluated fast."""
    symbols = sorted(point, key=str)
    try:
        f = sp.lambdify(symbols, expr, modules="mpmath")
    except KeyError:  # an unreachable Piecewise branch holds zoo (log 0): let SymPy pick
        return mpmath.mpf(sp.N(expr.subs(point), 50))
    return f(*[mpmath.mpf(point[s].p) / point[s].q for s in symbols])


def _composed_value(net, point):
    """SymPy's own derivative of the composed cost (no closed form involved)."""
    C = net.composed_cost()
    return {name: _mp(sp.diff(C, sp.Symbol(name, real=True)), point)
            for name in net.parameter_names()}, C


def _forward_point(net, point):
    """z_l and a_l at the point, exactly, for substituting into the closed forms."""
    values = dict(point)
    a = point[net.a_(0)]
    for l in net.layers:
        z = point[net.w_(l)] * a + point[net.b_(l)]
        a = net.sigma(l)(z, point.get(net.alpha(l)))
        values[net.z_(l)], values[net.a_(l)] = z, a
    return values


@pytest.mark.parametrize("activation", activation_names())
@pytest.mark.parametrize("cost", cost_names())
def test_closed_form_equals_sympy_diff_of_composed_cost(activation, cost):
    net = Chain(depth=3, activation=activation, cost=cost)
    d = derive(net)
    R = sp.Rational
    point = {net.a_(0): R(3, 10), net.y_(): R(7, 10),
             net.w_(1): R(9, 10), net.b_(1): R(-1, 5), net.w_(2): R(-6, 5), net.b_(2): R(1, 10),
             net.w_(3): R(4, 5), net.b_(3): R(-3, 10)}
    if activation in ("relu", "leaky_relu", "prelu", "elu", "selu", "linear"):
        point[net.b_(2)] = R(13, 10)  # keep z_2 and z_3 away from the kink and a_3 in (0, 1)
    if activation in ("tanh", "silu", "gelu"):
        point[net.b_(3)] = R(1, 2)  # a_3 in (0, 1), where cross-entropy is defined
    for l in net.layers:
        point[net.alpha(l)] = R(1, 5)
    values = _forward_point(net, point)
    assert 0 < sp.N(values[net.a_(3)], 30) < 1  # the point is inside cross-entropy's domain
    with mpmath.workdps(50):
        direct, _ = _composed_value(net, point)
        forward = {s: _mp(v, point) for s, v in values.items()}
        for name in net.parameter_names():
            closed = d.gradient(name, concrete=True)
            f = sp.lambdify(sorted(forward, key=str), closed, modules="mpmath")
            got = f(*[forward[s] for s in sorted(forward, key=str)])
            expected = direct[name]
            assert abs(got - expected) <= mpmath.mpf("1e-40") * (1 + abs(expected)), name


@pytest.mark.parametrize("activation", activation_names())
def test_activation_derivative_proven(activation):
    p = prove_activation(activation)
    assert p.verified, p.detail


@pytest.mark.parametrize("cost", cost_names())
def test_cost_derivative_proven(cost):
    assert prove_cost(cost).verified


def test_a_wrong_activation_derivative_is_not_proven():
    from symgrad.model.activations import ACTIVATIONS
    sig = ACTIVATIONS["sigmoid"]
    wrong = dataclasses.replace(sig, name="wrong_sigmoid",
                                derivative_expression=sig.derivative_expression * sp.Rational(1001, 1000))
    assert not prove_activation(wrong).verified
    off_by_a = dataclasses.replace(sig, name="wrong_in_a",
                                   derivative_in_a_expression=sp.Symbol("a", real=True) ** 2)
    assert not prove_activation(off_by_a).verified


def test_kinks_state_their_convention():
    for name in ("relu", "leaky_relu", "prelu", "elu", "selu"):
        assert "(0) =" in prove_activation(name).detail


# --- the generic proof --------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["sympy", "symengine"])
@pytest.mark.parametrize("activation", [
    "sigmoid", "prelu", ["sigmoid", "prelu", "tanh", "linear"], ["relu", "linear", "gelu", "silu"]])
def test_generic_proof_every_parameter(engine, activation):
    net = Chain(depth=4, activation=activation)
    p = prove_chain(derive(net), engine=engine, method="composed")
    assert p.verified and p.failures == ()
    assert list(p.parameters) == net.parameter_names()
    q = prove_chain(derive(net), engine=engine, method="inductive")
    assert q.verified and sorted(q.parameters) == sorted(net.parameter_names())


def corrupted(d, **parts):
    """A fresh derivation of the same network whose cached parts (``sigma_primes``, ``tail``)
    are replaced before anything reads them: what a bug in the derivation would produce."""
    broken = derive(d.network)
    for name, value in parts.items():
        broken.__dict__[name] = value
    return broken


@pytest.mark.parametrize("method", ["composed", "inductive"])
def test_generic_proof_catches_a_wrong_layer(method):
    d = derive(Chain(depth=4))
    sigma_prime = list(d.sigma_primes)
    sigma_prime[1] = sigma_prime[2]  # σ'(z_3) where σ'(z_2) belongs: a doubled factor
    p = prove_chain(corrupted(d, sigma_primes=tuple(sigma_prime)), method=method)
    assert not p.verified
    assert "b_2" in p.failures and "b_4" not in p.failures


def test_generic_proof_catches_a_factor_out_of_network_order():
    d = derive(Chain(depth=4))
    sigma_prime = list(d.sigma_primes)
    sigma_prime[1], sigma_prime[2] = sigma_prime[2], sigma_prime[1]
    p = prove_chain(corrupted(d, sigma_primes=tuple(sigma_prime)))
    assert not p.verified and "b_1" in p.failures  # same value, wrong order: still wrong


def test_generic_proof_catches_a_missing_factor():
    d = derive(Chain(depth=3))
    tail = d.tail[:3] + d.tail[4:]  # drop w_2's neighbour σ'(z_2)
    broken = corrupted(d, tail=tail)
    assert not prove_chain(broken).verified


def test_generic_proof_deep_is_fast_enough_to_run():
    p = prove_chain(derive(Chain(depth=200, activation=["tanh", "prelu"] * 100)))
    assert p.verified and p.method == "inductive" and len(p.parameters) == 500


# --- the network: symbols and bad input --------------------------------------------------

def test_prelu_slope_is_a_parameter():
    net = Chain(depth=3, activation="prelu")
    assert net.parameter_names() == ["b_3", "b_2", "b_1", "w_3", "w_2", "w_1",
                                     "alpha_3", "alpha_2", "alpha_1"]
    d = derive(net)
    assert text_gradient(d, "alpha_2") == "∂C/∂α_2 = ∂a_2/∂α_2 w_3 PReLU'(z_3) ∂C/∂a_3"
    z2 = net.z_(2)
    assert d.concrete(d.factors("alpha_2")[0]) == sp.Piecewise((z2, z2 <= 0), (0, True))


def test_mixed_network_with_linear_output():
    net = Chain(depth=3, activation=["sigmoid", "tanh", "linear"])
    d = derive(net)
    assert text_gradient(d, "b_3") == "∂C/∂b_3 = ∂C/∂a_3"
    assert text_gradient(d, "b_1") == "∂C/∂b_1 = σ'(z_1) w_2 tanh'(z_2) w_3 ∂C/∂a_3"


def test_symbols_are_real():
    net = Chain(depth=2)
    assert all(s.is_real for s in net.composed_cost().free_symbols)


@pytest.mark.parametrize("kwargs, message", [
    ({"depth": 0}, "depth=0: depth must be an integer >= 1"),
    ({"depth": -3}, "depth=-3: depth must be an integer >= 1"),
    ({"depth": 2.5}, "depth=2.5: depth must be an integer >= 1"),
    ({"depth": 100001}, "depth=100001: depth must be at most 100000"),
    ({"activation": "sigmod"}, "activation='sigmod': unknown activation; did you mean 'sigmoid'?"),
    ({"depth": 3, "activation": ["relu", "tanh"]},
     "activations='relu,tanh': 2 given, the network has depth 3 and needs 3"),
    ({"cost": "hinge"}, "cost='hinge': unknown cost; known: quadratic, cross-entropy, squared-error, softmax-cross-entropy"),
])
def test_bad_network_input(kwargs, message):
    with pytest.raises(UsageError) as info:
        Chain(**kwargs)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# --- the command ---------------------------------------------------------------------------

def test_cli_default_is_the_reference_case(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for line in REFERENCE_TEXT.values():
        assert line in out.splitlines()
    assert "∂C/∂a_4 = a_4 - y" in out


def test_cli_json(capsys):
    assert main(["derive", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {g["parameter"]: g for g in data["gradients"]}
    assert list(by_name) == list(REFERENCE_TEXT)
    assert by_name["b_3"]["latex"] == (
        r"\frac{\partial C}{\partial b_{3}} = \sigma'(z_{3}) w_{4} \sigma'(z_{4}) "
        r"\frac{\partial C}{\partial a_{4}}")
    assert by_name["w_1"]["text"] == REFERENCE_TEXT["w_1"]
    assert all(g["verified"] is True for g in data["gradients"])
    assert data["proofs"]["chain"]["method"] == "composed"


def test_cli_latex_and_markdown(capsys):
    assert main(["derive", "-f", "latex", "--depth", "2", "-a", "tanh"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\\begin{align*}") and r"\tanh'(z_{1}) w_{2} \tanh'(z_{2})" in out
    assert main(["derive", "-f", "markdown", "--depth", "2", "--cost", "cross-entropy"]) == 0
    md = capsys.readouterr().out
    assert md.count("$$") % 2 == 0 and r"\frac{a_{2} - y}{a_{2} \left(1 - a_{2}\right)}" in md


@pytest.mark.parametrize("argv, fragment", [
    (["derive", "--depth", "0"], "depth=0: depth must be an integer >= 1"),
    (["derive", "--depth", "-2"], "depth=-2"),
    (["derive", "--depth", "1.5"], "depth='1.5': depth must be an integer >= 1"),
    (["derive", "--depth", "ten"], "depth='ten'"),
    (["derive", "--depth", "200000"], "depth=200000: depth must be at most 100000"),
    (["derive", "--activation", "sigmod"], "did you mean 'sigmoid'? known: sigmoid, tanh, relu"),
    (["derive", "--activations", "relu,tanh"], "activations='relu,tanh': 2 given, --depth 4 needs exactly 4"),
    (["derive", "--activations", "relu,tanh,sigmoid,foo"], "activations='foo': unknown activation"),
    (["derive", "--cost", "hinge"], "cost='hinge': unknown cost; known: quadratic, cross-entropy"),
    (["derive", "--format", "xml"], "format='xml': must be one of text, latex, markdown, json"),
    (["derive", "--activation", "relu", "--activations", "relu"], "not allowed with argument"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("symgrad: error: ")
    assert fragment in err
    assert "Traceback" not in err and captured.out == ""


def test_cli_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["derive", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--depth", "--activation", "--activations", "--cost", "--format"):
        assert option in out


def test_cli_deep_chains_print_the_recurrence(capsys):
    assert main(["derive", "--depth", "200", "--activation", "tanh"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "∂C/∂b_57 = tanh'(z_57) w_58 δ_58" in out
    assert "∂C/∂w_1 = a_0 tanh'(z_1) w_2 δ_2" in out
    assert main(["derive", "--depth", "3", "--form", "recurrence", "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["form"] == "recurrence"
    assert {g["parameter"]: g["text"] for g in data["gradients"]}["b_1"] == "∂C/∂b_1 = σ'(z_1) w_2 δ_2"
    assert main(["derive", "--depth", "70", "--form", "expanded"]) == 0
    assert "∂C/∂b_69 = σ'(z_69) w_70 σ'(z_70) ∂C/∂a_70" in capsys.readouterr().out.splitlines()
