"""The closed forms and their proofs (shared/REFERENCE.md §1): the reference formulas, the
concrete forms against SymPy's own derivative, and the one proof engine -- composed and
inductive, chain and dense -- including the derivations it must refuse."""
import dataclasses

import pytest
import sympy as sp

from symgrad import Chain, Dense, UsageError, activation_names, cost_names, derive
from symgrad.printing import EXPLICIT_LIMIT, latex_gradient, text_gradient
from symgrad.prove import (COMPONENT_LIMIT, proof_network, prove, prove_activation, prove_all,
                           prove_cost)
from symgrad.prove.inductive import lemma_holds, representative_layer
from symgrad.prove.statement import Statement

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
    assert d.factors("b_3") == (d.sigma_primes[2], sp.Symbol("w_4", real=True)) + d.factors("b_4")
    assert d.recurrence_form("w_3").args[0] == sp.Symbol("a_2", real=True)


def test_sigmoid_with_cross_entropy_cancels():
    d = derive(Chain(depth=3, cost="cross-entropy"))
    assert d.output_delta == sp.Symbol("a_3", real=True) - sp.Symbol("y", real=True)
    assert d.output_delta_cancels
    assert not derive(Chain(depth=3, activation="tanh", cost="cross-entropy")).output_delta_cancels


# --- the concrete closed forms against SymPy's own derivative ---------------------------------

R = sp.Rational


def _active(expr, point):
    """Each Piecewise of ``expr`` replaced by its branch that holds at ``point`` (no kink)."""
    def branch(*pairs):
        return next(e for e, c in pairs if c == sp.true or bool(c.xreplace(point)))
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: branch(*e.args))


@pytest.mark.parametrize("activation, cost", [(a, "quadratic") for a in activation_names()]
                         + [("sigmoid", c) for c in cost_names() if c != "quadratic"])
def test_concrete_closed_forms_equal_sympy_diff_of_the_composed_cost(activation, cost):
    """Two layers at an exact point with z_1 < 0 (the left branch of a kinked activation; the
    right one at z_2 where it has a kink) and 0 < a_2 < 1 (inside cross-entropy's domain):
    SymPy differentiates the concrete
    composed cost, the closed form is evaluated in z and in the outputs a, 30 digits agree.
    The chain rule itself is proven for every activation and cost below; this checks that
    each activation's and cost's formula is put in the right place."""
    net = Chain(depth=2, activation=activation, cost=cost)
    d = derive(net)
    point = {net.a_(0): R(3, 10), net.y_(): R(7, 10), net.w_(1): R(9, 10), net.b_(1): R(-2, 5),
             net.w_(2): R(-6, 5), net.b_(2): R(1, 2), net.alpha(1): R(1, 5), net.alpha(2): R(1, 5)}
    values, a = dict(point), point[net.a_(0)]
    for l in net.layers:
        z = point[net.w_(l)] * a + point[net.b_(l)]
        a = net.sigma(l)(z, point[net.alpha(l)])
        values[net.z_(l)], values[net.a_(l)] = z, a
    assert sp.N(values[net.z_(1)]) < 0 and 0 < sp.N(a) < 1
    assert net.sigma(1).kink is None or sp.N(values[net.z_(2)]) > 0
    cost_at = _active(net.composed_cost(), point)
    for name in ("b_1",) + (("alpha_1",) if net.has_slope(1) else ()):   # every factor
        truth = sp.diff(cost_at, net.components(name)[0][1]).xreplace(point).evalf(30)
        for concrete in (True, "a"):
            ours = d.gradient(name, concrete=concrete).xreplace(values).evalf(30)
            assert abs(truth - ours) <= 1e-25 * (1 + abs(truth)), (name, concrete)


def test_a_misplaced_formula_is_caught_by_that_check():
    """σ'(z_2) where σ'(z_1) belongs changes the value: the check above can fail."""
    net = Chain(depth=2, activation="tanh")
    d = derive(net)
    point = {net.a_(0): R(3, 10), net.y_(): R(7, 10), net.w_(1): R(9, 10), net.b_(1): R(-2, 5),
             net.w_(2): R(-6, 5), net.b_(2): R(1, 2)}
    truth = sp.diff(net.composed_cost(), net.b_(1)).xreplace(point).evalf(30)
    wrong = d.sigma_primes[1] * d.repeated_factor(2)[0] * d.sigma_primes[1] * d.dC_da()
    values, a = dict(point), point[net.a_(0)]
    for l in net.layers:
        values[net.z_(l)] = point[net.w_(l)] * a + point[net.b_(l)]
        a = values[net.a_(l)] = net.sigma(l)(values[net.z_(l)])
    assert abs(d.concrete(wrong).xreplace(values).evalf(30) - truth) > 1e-3


@pytest.mark.parametrize("activation", activation_names())
def test_activation_derivative_proven(activation):
    p = prove_activation(activation)
    assert p.verified, p.detail


@pytest.mark.parametrize("cost", cost_names())
def test_cost_derivative_proven(cost):
    assert prove_cost(cost).verified


def test_gelu_tanh_table_derivative_is_sympys_and_its_constant_exact():
    from symgrad.model.activations import GELU_TANH_CUBIC, get_activation
    act = get_activation("gelu-tanh")
    assert act.name == "gelu_tanh" and act.latex_name == r"\operatorname{GELU}_{\tanh}"
    z = act.z
    assert GELU_TANH_CUBIC == sp.Rational(44715, 1000000)
    assert not act.expression.atoms(sp.Float)     # 0.044715 kept exact
    u = sp.sqrt(2 / sp.pi) * (z + sp.Rational(44715, 1000000) * z ** 3)
    assert sp.simplify(act.expression - z * (1 + sp.tanh(u)) / 2) == 0
    assert sp.simplify(act.derivative_expression - sp.diff(act.expression, z)) == 0
    # and a wrong cubic coefficient is told apart, at 50 digits
    wrong = sp.diff(z * (1 + sp.tanh(u.subs(sp.Rational(44715, 1000000), sp.Rational(447, 10000)))) / 2, z)
    at = {z: sp.Rational(3, 2)}
    assert abs(sp.N((act.derivative_expression - wrong).subs(at), 50)) > 1e-6


def test_a_wrong_activation_derivative_is_not_proven():
    from symgrad.model.activations import ACTIVATIONS
    sig = ACTIVATIONS["sigmoid"]
    wrong = dataclasses.replace(sig, name="wrong_sigmoid",
                                derivative_expression=sig.derivative_expression * R(1001, 1000))
    assert not prove_activation(wrong).verified
    off_by_a = dataclasses.replace(sig, name="wrong_in_a",
                                   derivative_in_a_expression=sp.Symbol("a", real=True) ** 2)
    assert not prove_activation(off_by_a).verified


def test_kinks_state_their_convention():
    for name in ("relu", "leaky_relu", "prelu", "elu", "selu"):
        assert "(0) =" in prove_activation(name).detail


# --- one engine: composed and inductive, chains and dense networks -------------------------------

NETWORKS = [Chain(depth=4), Chain(depth=4, activation=["sigmoid", "prelu", "tanh", "linear"]),
            Chain(depth=3, activation=["relu", "gelu", "silu"], cost="cross-entropy"),
            Dense([2, 3, 2]), Dense([3, 2, 2, 1], ["tanh", "prelu", "linear"], "sse", samples=2),
            Dense([2, 3, 3], "tanh", "softmax-cross-entropy", samples=2)]


@pytest.mark.parametrize("net", NETWORKS, ids=repr)
@pytest.mark.parametrize("method", ["composed", "inductive"])
def test_every_closed_form_is_proven_by_both_methods(net, method):
    d = derive(net)
    for form in ("expanded", "recurrence"):
        p = prove(d, method=method, form=form)
        assert p.verified and p.failures == () and p.method == method
        components = sum(len(net.components(n)) for n in net.parameter_names())
        assert len(p.parameters) == (len(net.parameter_names()) if net.is_chain else components)


def test_the_sympy_engine_proves_the_same():
    d = derive(Chain(depth=3, activation=["sigmoid", "prelu", "linear"]))
    for method in ("composed", "inductive"):
        assert prove(d, engine="sympy", method=method).verified


def test_the_method_follows_the_size_and_a_bad_option_is_one_line():
    assert prove(derive(Chain(depth=32))).method == "composed"
    assert prove(derive(Chain(depth=33))).method == "inductive"
    assert prove(derive(Dense([10, 12, 10]))).method == "inductive"
    with pytest.raises(UsageError,
                       match=r"^method='exact': must be one of auto, composed, inductive$"):
        prove(derive(Chain(depth=2)), method="exact")
    with pytest.raises(UsageError, match=r"^engine='maple': must be one of symengine, sympy$"):
        prove(derive(Chain(depth=2)), engine="maple")


def corrupted(net, **parts):
    """A derivation of ``net`` whose cached parts (``sigma_primes``, ``tail``) are replaced
    before anything reads them: what a bug in the derivation would produce."""
    broken = derive(net)
    for name, value in parts.items():
        broken.__dict__[name] = value
    return broken


@pytest.mark.parametrize("method", ["composed", "inductive"])
@pytest.mark.parametrize("form", ["expanded", "recurrence"])
def test_a_factor_of_the_wrong_layer_is_not_proven(method, form):
    net = Chain(depth=4)
    primes = list(derive(net).sigma_primes)
    primes[1] = primes[2]  # σ'(z_3) where σ'(z_2) belongs: a doubled factor
    p = prove(corrupted(net, sigma_primes=tuple(primes)), method=method, form=form)
    assert not p.verified
    assert "b_2" in p.failures and "b_4" not in p.failures


@pytest.mark.parametrize("method", ["composed", "inductive"])
def test_a_factor_out_of_network_order_is_not_proven(method):
    net = Chain(depth=4)
    primes = list(derive(net).sigma_primes)
    primes[1], primes[2] = primes[2], primes[1]
    p = prove(corrupted(net, sigma_primes=tuple(primes)), method=method)
    assert not p.verified and "b_1" in p.failures  # same value, wrong order: still wrong


@pytest.mark.parametrize("method", ["composed", "inductive"])
def test_a_missing_factor_is_not_proven(method):
    net = Chain(depth=3)
    tail = derive(net).tail
    assert not prove(corrupted(net, tail=tail[:3] + tail[4:]), method=method).verified


@pytest.mark.parametrize("net", [Chain(depth=3, activation="prelu"), Dense([2, 2, 2], "tanh")],
                         ids=repr)
@pytest.mark.parametrize("method", ["composed", "inductive"])
def test_a_scaled_closed_form_is_not_proven(net, method):
    p = prove(derive(net), method=method, scale=1.001)
    assert not p.verified and set(p.failures) == set(p.parameters)


@pytest.mark.parametrize("method", ["composed", "inductive"])
def test_a_dense_recurrence_without_its_sigma_prime_is_not_proven(method):
    d = derive(Dense([2, 2, 2], "tanh"))

    class Wrong(type(d)):
        def delta_component(self, l, j, i=None):
            e = super().delta_component(l, j, i)
            return e.args[1] if l == 1 else e

    p = prove(Wrong(network=d.network), method=method)
    assert set(p.failures) == {"b^1_1", "b^1_2", "w^1_1,1", "w^1_1,2", "w^1_2,1", "w^1_2,2"}


def test_the_lemma_is_proven_and_fails_for_a_wrong_statement(monkeypatch):
    for net, l in [(Chain(depth=3, activation="prelu"), 2), (Dense([3, 4, 2], samples=3), 1),
                   (Dense([2, 3, 3], "tanh", "softmax-cross-entropy", samples=2), 2)]:
        assert lemma_holds(representative_layer(net, l), engine())
    # the statement without σ' (δ = ∂C/∂a): the engine's chain rule refutes it
    monkeypatch.setattr(Statement, "sigma_prime", lambda self, l, j=1, i=None: sp.Integer(1))
    assert not lemma_holds(representative_layer(Dense([3, 4, 2]), 1), engine())
    assert not prove(derive(Chain(depth=40)), method="inductive").verified


def engine():
    from symgrad.prove.engine import engine_module
    return engine_module("symengine")


def test_deep_chains_are_proven_by_induction():
    p = prove(derive(Chain(depth=100, activation=["tanh", "prelu"] * 50)))
    assert p.verified and p.method == "inductive" and len(p.parameters) == 250
    assert prove(derive(Chain(depth=400)), form="recurrence").verified


def test_a_wide_network_is_proven_at_narrow_widths():
    net = Dense([100, 100], "tanh", samples=3)
    assert proof_network(net) == Dense([3, 3], "tanh", samples=2)
    p = prove(derive(net))
    assert p.verified and len(p.parameters) == 12 and "at widths [3, 3] and N = 2" in p.detail
    assert COMPONENT_LIMIT == EXPLICIT_LIMIT   # what is printed one by one is proven one by one
    assert proof_network(Dense([50, 50, 40])) == Dense([50, 50, 40])
    # the narrower network is derived the same way: a wrong derivation stays wrong there

    class Wrong(type(derive(net))):
        def delta_component(self, l, j, i=None):
            return super().delta_component(l, j, i).args[1]     # δ without σ'
    assert not prove(Wrong(network=net)).verified


def test_prove_all_names_every_proof_the_forms_rest_on():
    assert list(prove_all(derive(Chain(depth=2, activation=["tanh", "relu"])))) == \
        ["chain", "activation:tanh", "activation:relu", "cost:quadratic"]
    assert list(prove_all(derive(Dense([2, 3, 3], "tanh", "softmax-cross-entropy")))) == \
        ["dense", "activation:tanh"]


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
    d = derive(Chain(depth=3, activation=["sigmoid", "tanh", "linear"]))
    assert text_gradient(d, "b_3") == "∂C/∂b_3 = ∂C/∂a_3"
    assert text_gradient(d, "b_1") == "∂C/∂b_1 = σ'(z_1) w_2 tanh'(z_2) w_3 ∂C/∂a_3"


def test_symbols_are_real():
    assert all(s.is_real for s in Chain(depth=2).composed_cost().free_symbols)


@pytest.mark.parametrize("kwargs, message", [
    ({"depth": 0}, "depth=0: depth must be an integer >= 1"),
    ({"depth": 2.5}, "depth=2.5: depth must be an integer >= 1"),
    ({"activation": "sigmod"}, "activation='sigmod': unknown activation; did you mean 'sigmoid'?"),
    ({"depth": 3, "activation": ["relu", "tanh"]},
     "activations='relu,tanh': 2 given, the network has depth 3 and needs 3"),
])
def test_bad_network_input(kwargs, message):
    with pytest.raises(UsageError) as info:
        Chain(**kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)
