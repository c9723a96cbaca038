"""Dense layers: the four backpropagation equations, proven, printed and checked.

Every test here can fail: exact symbolic identities and strings, values against 50-digit
truth, and mutations (a closed form or a gradient scaled by 1.001) that must be caught.
"""
import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad.model.activations import activation_names
from symgrad.errors import UsageError
from symgrad.derivation.nodes import CostGradient, SampleSum
from symgrad.model.network import Dense
from symgrad.model.sizes import check_widths
from symgrad.derivation import derive
from symgrad.numeric import (compile_numpy, finite_differences, gradients, gradients_mp,
                             mp_gradients, parse_parameters, random_batch, random_parameters,
                             reference_gradients)
from symgrad.printing import latex, text, json_derivation as dense_derivation_json, text_derivation as text_dense_derivation
from symgrad.prove import prove as prove_dense, prove_all as prove_dense_all, spot_check
from symgrad.derivation import OrderedProduct, derive
from symgrad.model.network import Chain

ALL = activation_names()

#: the material's three-layer network (REFERENCE §2): sigmoid, sigmoid, linear output,
#: squared error summed over N samples
def material(samples=3, widths=(4, 5, 5, 2)):
    return Dense(list(widths), ["sigmoid", "sigmoid", "linear"], "squared-error", samples=samples)


# --- bad input: one line naming the argument, its value and what is allowed -----------------

@pytest.mark.parametrize("widths, message", [
    ("3", "widths='3': give at least two widths n_0,n_1 (the input and the output layer)"),
    ([2, 0, 2], "widths=[2, 0, 2]: every width must be an integer >= 1; entry 2 is 0"),
    ("2,-1,2", "widths='2,-1,2': every width must be an integer >= 1; entry 2 is -1"),
    ("2,x", "widths='2,x': every width must be an integer >= 1; entry 2 is 'x'"),
    ([2, 2.5], "widths=[2, 2.5]: every width must be an integer >= 1; entry 2 is 2.5"),
])
def test_bad_widths(widths, message):
    with pytest.raises(UsageError) as err:
        Dense(widths)
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_bad_activations_and_costs():
    with pytest.raises(UsageError, match=r"^activations='tanh,tanh': 2 given, widths 2,3,3,2 "
                                         r"have 3 layers and need 3$"):
        Dense([2, 3, 3, 2], ["tanh", "tanh"])
    with pytest.raises(UsageError, match="softmax is only allowed as the output layer"):
        Dense([2, 3, 2], ["softmax", "sigmoid"], "softmax-cross-entropy")
    with pytest.raises(UsageError, match="needs a softmax output layer"):
        Dense([2, 3, 2], ["tanh", "sigmoid"], "softmax-cross-entropy")
    with pytest.raises(UsageError, match=r"^cost='hinge': unknown cost; known: quadratic, cross-entropy, squared-error, mse, softmax-cross-entropy$"):
        Dense([2, 2], cost="hinge")
    with pytest.raises(UsageError, match=r"^samples=0: must be an integer from 1"):
        Dense([2, 2], samples=0)


def test_bad_parameter_shapes_are_one_line():
    net = Dense([2, 3, 2])
    params = random_parameters(net)
    params["W_2"] = np.zeros((2, 2))
    with pytest.raises(UsageError) as err:
        parse_parameters(net, params)
    assert str(err.value) == "W_2: shape (2, 2) given, expected (2, 3) = (n_2, n_1)"
    params = random_parameters(net)
    x, y = random_batch(net, 4)
    with pytest.raises(UsageError, match=r"^x: shape \(4, 3\) given, expected \(N, 2\)"):
        gradients(net, params, np.zeros((4, 3)), y)
    with pytest.raises(UsageError, match=r"^y: shape \(4, 3\) given, expected \(4, 2\)"):
        gradients(net, params, x, np.zeros((4, 3)))
    del params["b_1"]
    with pytest.raises(UsageError, match="expected exactly b_2, b_1, W_2, W_1"):
        gradients(net, params, x, y)


# --- the four equations, exactly -----------------------------------------------------------

def test_matrix_forms_of_the_material_network():
    net = material(samples=1)
    d = derive(net)
    # linear output: σ' = 1 drops out, δ_3 = ∇_{a_3} C
    assert d.delta_matrix(3) == CostGradient(net.a(3))
    assert d.delta_matrix(2) == sp.HadamardProduct(
        sp.MatMul(sp.Transpose(net.W(3)), net.delta(3)), d.delta_matrix(2).args[1])
    assert latex(d.delta_matrix(2)) == r"\left(W_{3}^{T} \delta_{3}\right) \odot \sigma'(z_{2})"
    assert text(d.delta_matrix(1)) == "(W_2ᵀ δ_2) ⊙ σ'(z_1)"
    assert d.gradient_matrix("b_1") == net.delta(1)
    assert d.gradient_matrix("W_1") == sp.MatMul(net.delta(1), sp.Transpose(net.a(0)))
    assert latex(d.gradient_matrix("W_1")) == r"\delta_{1} a_{0}^{T}"
    assert d.gradient_matrix("W_1").shape == net.W(1).shape == (5, 4)


def test_sums_over_samples():
    d = derive(material(samples=3))
    g = d.gradient_matrix("W_2")
    assert isinstance(g, SampleSum) and g.count == 3
    assert latex(g) == r"\sum_{i=1}^{3} \delta_{2,i} a_{1,i}^{T}"
    net = d.network
    # ∂C/∂w^2_{13} = Σ_i a^1_{3,i} δ^2_{1,i}
    assert d.weight_gradient(2, 1, 3) == sp.Add(*[
        OrderedProduct(net.a_(1, 3, i), net.delta_(2, 1, i)) for i in (1, 2, 3)])


def test_component_forms():
    net = Dense([2, 3, 2])
    d = derive(net)
    assert d.weight_gradient(2, 1, 3) == OrderedProduct(net.a_(1, 3), net.delta_(2, 1))
    assert d.bias_gradient(1, 2) == net.delta_(1, 2)
    # δ^1_2 = σ'(z^1_2) Σ_k w^2_{k2} δ^2_k
    sig = sp.Function("sigmoid", real=True)
    z = net.z_(1, 2)
    expected = OrderedProduct(sp.Derivative(sig(z), z),
                              OrderedProduct(net.w_(2, 1, 2), net.delta_(2, 1))
                              + OrderedProduct(net.w_(2, 2, 2), net.delta_(2, 2)))
    assert d.delta_component(1, 2) == expected
    assert latex(d.delta_component(2, 1)) == \
        r"\sigma'(z^{2}_{1}) \frac{\partial C}{\partial a^{2}_{1}}"


def test_output_deltas():
    sse = derive(Dense([2, 2], "linear", "sse"))
    a, y = sse.network.a_(1, 1), sse.network.y_(1)
    assert sp.expand(sse.concrete(sse.delta_component(1, 1)) - 2 * (a - y)) == 0
    soft = derive(Dense([2, 3, 3], "tanh", "softmax-cross-entropy"))
    net = soft.network
    assert soft.delta_component(2, 2) == net.a_(2, 2) - net.y_(2)
    assert text(soft.delta_matrix(2)) == "a_2 − y"
    quad = derive(Dense([2, 2], "sigmoid", "quadratic"))
    a = quad.network.a_(1, 1)
    z = quad.network.z_(1, 1)
    assert sp.simplify(quad.concrete(quad.delta_component(1, 1))
                       - sp.exp(-z) / (1 + sp.exp(-z)) ** 2 * (a - quad.network.y_(1))) == 0
    # sigmoid with cross-entropy: the float64 code uses the cancelled δ_L = a_L − y
    assert compile_numpy(derive(Dense([2, 2], "sigmoid", "cross-entropy"))).cancelled is not None
    assert compile_numpy(derive(Dense([2, 2], "tanh", "cross-entropy"))).cancelled is None


def test_widths_one_reduce_to_the_chain():
    """A dense network of width 1 everywhere is the chain of the lecture: the same numbers."""
    dense = Dense([1, 1, 1, 1], "tanh")
    params = {"W_1": np.array([[0.7]]), "W_2": np.array([[-1.3]]), "W_3": np.array([[0.4]]),
              "b_1": np.array([0.1]), "b_2": np.array([-0.2]), "b_3": np.array([0.3])}
    x, y = np.array([[0.5]]), np.array([[0.25]])
    g = gradients(dense, params, x, y)
    chain = derive(Chain(depth=3, activation="tanh"))
    net = chain.network
    values = {net.a_(0): sp.Rational(1, 2), net.y_(): sp.Rational(1, 4)}
    for l in (1, 2, 3):
        values[net.w_(l)] = sp.Float(params[f"W_{l}"][0, 0], 30)
        values[net.b_(l)] = sp.Float(params[f"b_{l}"][0], 30)
        values[net.z_(l)] = (values[net.w_(l)] * values[net.a_(l - 1)] + values[net.b_(l)])
        values[net.a_(l)] = sp.tanh(values[net.z_(l)])
    for name in ("b_1", "w_1", "b_3", "w_2"):
        truth = float(chain.gradient(name, concrete=True).xreplace(values).evalf(30))
        ours = g[name].reshape(-1)[0]
        assert ours == pytest.approx(truth, rel=1e-14)


# --- proofs --------------------------------------------------------------------------------

@pytest.mark.parametrize("widths", [[2, 3, 2], [3, 2, 2, 1]])
@pytest.mark.parametrize("activation", ALL)
def test_proven_for_every_activation(widths, activation):
    d = derive(Dense(widths, activation))
    proofs = prove_dense_all(d)
    assert all(p.verified for p in proofs.values()), {k: p.failures for k, p in proofs.items()}
    n = sum(int(np.prod(d.network.parameter_shape(p))) for p in d.network.parameter_names())
    assert len(proofs["dense"].parameters) == n
    # the concrete network: SymEngine's derivative of the real composed cost, 30 digits
    assert spot_check(d).verified


@pytest.mark.parametrize("net", [
    Dense([2, 3, 2], "sigmoid", samples=2),
    Dense([3, 2, 2, 1], ["tanh", "prelu", "linear"], "sse", samples=2),
    Dense([2, 3, 3], "tanh", "softmax-cross-entropy", samples=2),
    Dense([2, 3, 2], "sigmoid", "cross-entropy"),
    Dense([2, 2, 2], ["silu", "sigmoid"], "(a - y)**4/4"),
], ids=repr)
def test_proven_for_costs_and_samples(net):
    d = derive(net)
    assert prove_dense(d).verified
    assert spot_check(d, seed=3).verified


@pytest.mark.parametrize("check", [prove_dense, spot_check])
def test_a_wrong_closed_form_is_caught(check):
    """A factor 1.001 on the closed forms fails the proof on every component, and the spot
    check on every component whose gradient is not exactly 0 at the point (∂C/∂α_2 of a PReLU
    layer whose neurons all sit on the z > 0 branch is 0 there)."""
    d = derive(Dense([3, 2, 2, 1], ["tanh", "prelu", "sigmoid"]))
    bad = check(d, scale=1.001)
    assert not bad.verified and len(bad.parameters) == 18
    missed = set(bad.parameters) - set(bad.failures)
    assert missed == (set() if check is prove_dense else {"alpha_2"})


def test_a_wrong_recurrence_is_caught():
    """A derivation whose δ_1 forgets the σ' factor is not proven."""
    d = derive(Dense([2, 2, 2], "tanh"))

    class Wrong(type(d)):
        def delta_component(self, l, j, i=None):
            e = super().delta_component(l, j, i)
            return e.args[1] if l == 1 else e

    wrong = Wrong(network=d.network)
    p = prove_dense(wrong)
    assert not p.verified
    assert set(p.failures) == {"b^1_1", "b^1_2", "w^1_1,1", "w^1_1,2", "w^1_2,1", "w^1_2,2"}


def test_the_material_network_is_derived_printed_and_proven():
    d = derive(material(samples=2, widths=(3, 4, 4, 2)))
    proofs = prove_dense_all(d)
    assert all(p.verified for p in proofs.values())
    out = text_dense_derivation(d)
    assert "δ_2 = (W_3ᵀ δ_3) ⊙ σ'(z_2)" in out
    assert "∂C/∂W_1 = Σ_{i=1..2} δ_1,i a_0,iᵀ" in out
    doc = dense_derivation_json(d, proofs)
    assert doc["verified"] is True
    layer1 = [e for e in doc["layers"] if e["layer"] == 1][0]
    assert layer1["matrix"]["W"]["latex"] == \
        r"\frac{\partial C}{\partial W_{1}} = \sum_{i=1}^{2} \delta_{1,i} a_{0,i}^{T}"
    assert layer1["components"]["W"]["text"] == "∂C/∂w^1_jk = Σ_i a^0_k,i δ^1_j,i"
    # every component written out: δ^1_{j,i} for 4 neurons × 2 samples, 4 biases, 12 weights
    assert len(layer1["components"]["explicit"]) == 8 + 4 + 12


# --- numbers: float64 against 50 digits, and finite differences ----------------------------

#: float64 backprop against the 50-digit closed forms, relative to each array's scale
FLOAT64_RTOL = 1e-12


def array_errors(numeric: dict, reference: dict) -> dict:
    """Per array: max_j |g_j − r_j| / max_j |r_j| (a component tiny beside its neighbours
    does not dominate), the reference as nested mpf lists."""
    out = {}
    for name, g in numeric.items():
        r = np.array(reference[name], dtype=object).reshape(-1)
        g = np.asarray(g, dtype=float).reshape(-1)
        err = max((abs(mpmath.mpf(float(gv)) - rv) for gv, rv in zip(g, r)), default=0)
        scale = max((abs(rv) for rv in r), default=0)
        out[name] = float(err / scale) if scale else float(err)
    return out


LARGE = [
    Dense([16, 32, 32, 8], "tanh"),
    Dense([16, 32, 32, 8], "sigmoid", "cross-entropy"),
    Dense([16, 32, 32, 8], ["relu", "gelu", "softmax"], "softmax-cross-entropy"),
    Dense([16, 32, 32, 8], ["prelu", "silu", "linear"], "sse"),
    material(samples=1, widths=(10, 20, 20, 3)),
]


@pytest.mark.parametrize("net", LARGE, ids=repr)
def test_float64_against_50_digits_and_finite_differences(net):
    params = random_parameters(net, seed=11)
    x, y = random_batch(net, 6, seed=12)
    g = gradients(net, params, x, y)
    ref = gradients_mp(net, params, x, y, dps=50)
    err = array_errors(g, ref)
    assert max(err.values()) < FLOAT64_RTOL, err
    bad = dict(g, W_1=g["W_1"] * 1.001)                 # a gradient scaled by 1.001 is caught
    assert array_errors(bad, ref)["W_1"] > 1e-4
    # finite differences, an independent witness, component by component on a few arrays
    names = ["b_3"] + (["alpha_1"] if net.has_slope(1) else [])
    fd = finite_differences(compile_numpy(derive(net)), params, {"a_0": x, "y": y}, names=names)
    truth = {f"b_3[{j + 1}]": v for j, v in enumerate(ref["b_3"])}
    truth.update({"alpha_1": ref["alpha_1"]} if net.has_slope(1) else {})
    for label, est in fd.items():
        assert abs(est.value - truth[label]) <= 10 * est.error + 1e-300, (label, est, truth[label])


def test_closed_forms_equal_the_derivative_of_the_cost():
    """The 50-digit closed forms equal mpmath's own derivative of the 50-digit cost, and the
    reverse-mode reference; one component moved, the others held."""
    net = Dense([3, 4, 2], ["softplus", "sigmoid"])
    params = random_parameters(net, seed=5)
    x, y = random_batch(net, 3, seed=6)
    ref = gradients_mp(net, params, x, y, dps=50)

    def cost(t):
        W = params["W_1"].astype(object)
        W[1, 2] = t
        # at mpmath's working precision, which mpmath.diff raises around its steps
        return mp_gradients(net, dict(params, W_1=W), {"a_0": x, "y": y},
                            digits=mpmath.mp.dps)["cost"]
    with mpmath.workdps(60):
        truth = mpmath.diff(cost, mpmath.mpf(float(params["W_1"][1, 2])))
    assert abs(truth - ref["W_1"][1][2]) < mpmath.mpf(10) ** -40
    reverse = reference_gradients(net, params, {"a_0": x, "y": y}, digits=50)["W_1[2,3]"]
    assert abs(reverse.value - ref["W_1"][1][2]) < mpmath.mpf(10) ** -45


@st.composite
def dense_networks(draw, *, max_layers=3, max_width=5):
    """Small dense networks: widths, per-layer activations (any built-in), an elementwise cost."""
    L = draw(st.integers(1, max_layers))
    widths = draw(st.lists(st.integers(1, max_width), min_size=L + 1, max_size=L + 1))
    acts = draw(st.lists(st.sampled_from(ALL), min_size=L, max_size=L))
    cost = draw(st.sampled_from(["quadratic", "squared-error"]))
    return Dense(widths, acts, cost)


@settings(max_examples=30, deadline=None)
@given(net=dense_networks(), seed=st.integers(0, 2 ** 16), samples=st.integers(1, 4))
def test_float64_matches_the_reference_for_random_networks(net, seed, samples):
    params = random_parameters(net, seed=seed)
    x, y = random_batch(net, samples, seed=seed + 1)
    err = array_errors(gradients(net, params, x, y), gradients_mp(net, params, x, y))
    assert max(err.values()) < FLOAT64_RTOL, err


@settings(max_examples=15, deadline=None)
@given(net=dense_networks(max_layers=2, max_width=3))
def test_structural_proof_for_random_networks(net):
    assert prove_dense(derive(net)).verified


def test_check_widths_accepts_the_command_line_form():
    assert check_widths("784, 30,30,10") == (784, 30, 30, 10)
    assert Dense("2,3,2").widths == (2, 3, 2)


# --- the commands --------------------------------------------------------------------------

def _run(argv, capsys):
    from symgrad.cli.main import main
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt, needle", [
    ("text", "δ_1 = (W_2ᵀ δ_2) ⊙ tanh'(z_1)"),
    ("latex", r"\delta_{1} &= \left(W_{2}^{T} \delta_{2}\right) \odot \tanh'(z_{1})"),
    ("markdown", r"\frac{\partial C}{\partial W_{1}} = \sum_{i=1}^{2} \delta_{1,i} a_{0,i}^{T}"),
])
def test_derive_widths_in_every_format(fmt, needle, capsys):
    code, out, err = _run(["derive", "--widths", "2,3,2", "--activations", "tanh,linear",
                           "--cost", "sse", "--samples-in-loss", "2", "-f", fmt], capsys)
    assert code == 0 and err == ""
    assert needle in out


def test_derive_widths_json_lists_matrix_and_component_forms(capsys):
    import json
    code, out, _ = _run(["derive", "--widths", "2,3,3,2", "-f", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["verified"] is True
    assert [e["layer"] for e in doc["layers"]] == [3, 2, 1]
    layer2 = doc["layers"][1]
    assert layer2["matrix"]["delta"]["latex"] == \
        r"\delta_{2} = \left(W_{3}^{T} \delta_{3}\right) \odot \sigma'(z_{2})"
    assert layer2["components"]["W"]["latex"] == \
        r"\frac{\partial C}{\partial w^{2}_{jk}} = a^{1}_{k} \delta^{2}_{j}"
    assert len(layer2["components"]["explicit"]) == 3 + 3 + 9
    assert doc["proofs"]["dense"]["verified"] is True


@pytest.mark.parametrize("argv, message", [
    (["derive", "--widths", "2,0,2"],
     "symgrad: error: widths='2,0,2': every width must be an integer >= 1; entry 2 is 0\n"),
    (["derive", "--widths", "4"], "symgrad: error: widths='4': give at least two widths n_0,n_1 "
                                  "(the input and the output layer)\n"),
    (["derive", "--widths", "2,3,3,2", "--activations", "tanh,linear"],
     "symgrad: error: activations='tanh,linear': 2 given, --widths 2,3,3,2 has 3 layers and "
     "needs exactly 3\n"),
    (["derive", "--samples-in-loss", "3"],
     "symgrad: error: samples-in-loss=3: only with --widths (a chain's cost is one sample's)\n"),
])
def test_bad_command_lines_exit_2_with_one_line(argv, message, capsys):
    code, out, err = _run(argv, capsys)
    assert (code, out, err) == (2, "", message)


def test_check_widths_passes_and_exits_0(capsys):
    code, out, _ = _run(["check", "--widths", "4,6,6,2", "--activations", "sigmoid,sigmoid,linear",
                         "--cost", "sse", "--samples-in-loss", "3", "--points", "1"], capsys)
    assert code == 0
    assert out.splitlines()[-1] == "passed"
    # one row per component: 4·6 + 6 + 6·6 + 6 + 2·6 + 2 = 86, a header, a rule, the summary
    assert len(out.splitlines()) == 2 + 2 + 86 + 1 + 4 + 1
