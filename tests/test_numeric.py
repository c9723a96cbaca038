"""The numeric backend: the closed forms evaluated, the generated float64 code, the reference
and the witnesses, each against an independent truth (SymPy's own differentiation of the
composed cost, evaluated exactly at high precision)."""
import dataclasses
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad import Chain, Dense, UsageError, activation_names, derive, get_activation
from symgrad.numeric import (Estimate, component_values, components, compile_numpy,
                             complex_step, condition_estimates, finite_differences, gradients,
                             has_kink, mp_forward, mp_gradients, random_point, read_point,
                             reference_gradients)
from symgrad.numeric.highprec import working
from symgrad.numeric.reference import _composed_cost
from symgrad.numeric.reverse import Var, recording

POINT2 = {"w_1": "0.5", "b_1": "-0.25", "w_2": "1.5", "b_2": "0.125"}
INPUTS = {"a_0": "1", "y": "0"}


def sympy_truth(net, params, inputs, digits=60):
    """Every gradient component by SymPy: diff of the composed cost, exact inputs."""
    cost = net.composed_cost()
    point = read_point(net, params, inputs)
    subs = {}
    for name in net.parameter_names():
        for (idx, sym), value in zip(net.components(name), point.parameters[name].reshape(-1)):
            subs[sym] = sp.Rational(str(value))
    for k, v in enumerate(point.inputs["a_0"].reshape(-1)):
        i = k // net.n(0) + 1
        subs[net.a_(0, k % net.n(0) + 1, i if net.samples > 1 else None)] = sp.Rational(str(v))
    for k, v in enumerate(point.inputs["y"].reshape(-1)):
        i = k // net.n(net.L) + 1
        subs[net.y_(k % net.n(net.L) + 1, i if net.samples > 1 else None)] = sp.Rational(str(v))
    out = {}
    for name in net.parameter_names():
        for (_, sym), (label, _, _) in zip(net.components(name), components(net, [name])):
            out[label] = sp.diff(cost, sym).xreplace(subs).evalf(digits)
    return out


def rel(value, truth) -> float:
    with mpmath.workdps(200):
        t = mpmath.mpf(str(truth)) if isinstance(truth, sp.Basic) else mpmath.mpf(truth)
        return float(abs(mpmath.mpf(value) - t) / abs(t))


# --- the closed forms at high precision ------------------------------------------------------

def test_mp_gradients_one_layer_exact():
    # z_1 = 2·0.5 − 1 = 0: σ(0) = 1/2, σ'(0) = 1/4, ∂C/∂a = 1/2 − 1
    g = mp_gradients(derive(Chain(depth=1)), {"w_1": 2, "b_1": -1}, {"a_0": "0.5", "y": 1})
    assert (g["cost"], g["b_1"], g["w_1"]) == (mpmath.mpf(1) / 8, -mpmath.mpf(1) / 8,
                                               -mpmath.mpf(1) / 16)


@pytest.mark.parametrize("net", [Chain(depth=3, activation="tanh"),
                                 Chain(depth=3, activation="softplus", cost="cross-entropy"),
                                 Dense([2, 2, 2], ["sigmoid", "tanh"], samples=2),
                                 Dense([1, 2, 3], ["silu", "softmax"], "softmax-cross-entropy"),
                                 Dense([2, 2, 1], ["prelu", "linear"], "sse")], ids=repr)
def test_closed_forms_and_reference_equal_sympy_diff_of_composed_cost(net):
    decimals = np.vectorize(lambda t: repr(round(float(t), 3)))   # exact as SymPy reads them
    params, inputs = random_point(net, 5)
    params = {n: decimals(v) for n, v in params.items()}
    inputs = {n: decimals(v) for n, v in inputs.items()}
    truth = sympy_truth(net, params, inputs)
    closed = component_values(net, mp_gradients(derive(net), params, inputs, digits=50))
    ref = reference_gradients(net, params, inputs, digits=50)
    for label, value in truth.items():
        if value == 0:
            assert closed[label] == 0 and ref[label].value == 0
            continue
        assert rel(closed[label], value) <= 1e-48, (label, closed[label], value)
        assert rel(ref[label].value, value) <= 1e-48, (label, ref[label].value, value)
        assert ref[label].error <= 1e-48 * abs(ref[label].value)


def test_prelu_slope_gradient():
    d = derive(Chain(depth=2, activation="prelu"))
    params = {"w_1": "1", "b_1": "-2", "w_2": "-3", "b_2": "0.5", "alpha_1": "0.1", "alpha_2": "0.2"}
    g = mp_gradients(d, params, {"a_0": "0.5", "y": "0.25"})
    # z_1 = −1.5 < 0, z_2 = 0.95 > 0: ∂C/∂α_1 = z_1 · w_2 · 1 · (a_2 − y) = 3.15, ∂C/∂α_2 = 0
    assert rel(g["alpha_1"], sp.Rational("3.15")) < 1e-55 and g["alpha_2"] == 0


def test_decimal_strings_are_exact_not_floats():
    d = derive(Chain(depth=2))
    g_str = mp_gradients(d, {**POINT2, "b_1": "0.1"}, INPUTS, digits=60)
    g_frac = mp_gradients(d, {**POINT2, "b_1": Fraction(1, 10)}, INPUTS, digits=60)
    g_float = mp_gradients(d, {**POINT2, "b_1": 0.1}, INPUTS, digits=60)
    assert rel(g_str["b_1"], g_frac["b_1"]) < 1e-65
    assert rel(g_str["b_1"], g_float["b_1"]) > 1e-20  # 0.1 is not a float


def test_global_precision_untouched():
    before = mpmath.mp.prec
    mp_forward(derive(Chain(depth=3)), {"w_1": 1, "b_1": 0, "w_2": 1, "b_2": 0, "w_3": 1, "b_3": 0},
               {"a_0": 0, "y": 0}, digits=200)
    assert mpmath.mp.prec == before


def test_magnitudes_below_float64_stay_representable():
    L = 600
    d = derive(Chain(depth=L))
    params = {**{f"w_{l}": "0.5" for l in range(1, L + 1)}, **{f"b_{l}": "0" for l in range(1, L + 1)}}
    g = mp_gradients(d, params, {"a_0": "0.5", "y": "1"})
    assert mpmath.mpf("1e-560") < abs(g["b_1"]) < mpmath.mpf("1e-540")
    assert compile_numpy(d)(params, {"a_0": 0.5, "y": 1.0})["b_1"] == 0.0  # float64 underflows


@pytest.mark.parametrize("bad, message", [
    ({"w_1": 1}, "parameter='b_1': missing"),
    ({"w_1": 1, "b_1": 0, "w_7": 1}, "parameter='w_7': not a parameter"),
    ({"w_1": "nan", "b_1": 0}, "w_1='nan': must be a real number"),
    ({"w_1": float("inf"), "b_1": 0}, "w_1=inf: must be finite"),
    ({"w_1": "1/3", "b_1": 0}, "w_1='1/3': must be a real number"),
    ({"w_1": [1], "b_1": 0}, "w_1: shape (1,) given, expected (1, 1) = (n_1, n_0)"),
])
def test_bad_points_are_one_line_usage_errors(bad, message):
    with pytest.raises(UsageError) as exc:
        mp_gradients(derive(Chain(depth=1)), bad, {"a_0": 0, "y": 0})
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_bad_inputs_and_digits():
    d = derive(Chain(depth=1))
    with pytest.raises(UsageError, match="input='y': missing"):
        mp_gradients(d, {"w_1": 1, "b_1": 0}, {"a_0": 0})
    with pytest.raises(UsageError, match="input='x': not an input"):
        mp_gradients(d, {"w_1": 1, "b_1": 0}, {"a_0": 0, "y": 0, "x": 1})
    with pytest.raises(UsageError, match="digits=0: must be an integer from 1 to 2000"):
        mp_gradients(d, {"w_1": 1, "b_1": 0}, {"a_0": 0, "y": 0}, digits=0)
    with pytest.raises(UsageError, match=r"^W_2: shape \(2, 2\) given, expected \(2, 3\) = \(n_2, n_1\)$"):
        mp_gradients(Dense([2, 3, 2]), {"W_1": np.ones((3, 2)), "b_1": [0] * 3,
                                        "W_2": np.ones((2, 2)), "b_2": [0, 0]}, {"a_0": [1, 1], "y": [0, 0]})


# --- the generated float64 code -----------------------------------------------------------------

@pytest.mark.parametrize("activation", activation_names())
def test_float64_within_1e12_of_the_closed_forms_at_depth_100_saturated(activation):
    d = derive(Chain(depth=100, activation=activation))
    f = compile_numpy(d)
    rng = np.random.default_rng(7)
    points = [random_point(d.network, rng, saturate=0.1) for _ in range(3)]
    batch = {n: np.array([p[n] for p, _ in points]) for n in points[0][0]}
    inputs = {n: np.array([x[n] for _, x in points]) for n in ("a_0", "y")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g64 = f(batch, inputs)
    for k, (params, x) in enumerate(points):
        truth = mp_gradients(d, params, x, digits=30)
        for name, value in truth.items():
            if name == "cost" or (value != 0 and abs(value) < 1e-290):
                continue
            err = abs(g64[name][k] - value) / abs(value) if value else abs(g64[name][k])
            assert err <= 1e-12, (activation, k, name, value, g64[name][k])


@pytest.mark.parametrize("activation", activation_names())
def test_no_warnings_or_nan_for_z_up_to_1e4(activation):
    d = derive(Chain(depth=3, activation=activation))
    params = {**{f"w_{l}": np.array([1.0, 1.0, 0.0, 0.0]) for l in (1, 2, 3)},
              **{f"b_{l}": np.array([1e4, -1e4, 1e4, -1e4]) for l in (1, 2, 3)},
              **{f"alpha_{l}": 0.1 for l in (1, 2, 3) if d.network.has_slope(l)}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = compile_numpy(d)(params, {"a_0": 0.5, "y": 0.5})
    assert all(np.all(np.isfinite(v)) for v in g.values())


def test_sigmoid_cross_entropy_uses_the_cancelled_output_delta():
    f = compile_numpy(derive(Chain(depth=1, cost="cross-entropy")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = f({"w_1": 0.0, "b_1": np.array([40.0, -40.0, 1e4])}, {"a_0": 1.0, "y": 0.25})
    assert np.array_equal(g["b_1"], [0.75, -0.25, 0.75])   # δ_L = a_L − y


def test_packed_matches_dict_and_batches_broadcast():
    d = derive(Chain(depth=4, activation="prelu"))
    f = compile_numpy(d)
    rng = np.random.default_rng(1)
    params = {n: rng.normal(size=(3, 1)) for n in f.parameter_names}
    params["w_2"] = 0.5
    inputs = {"a_0": rng.uniform(size=(1, 4)), "y": 0.25}
    g = f(params, inputs)
    assert g["b_1"].shape == (3, 4) and g["cost"].shape == (3, 4)
    cost, G = f.packed(params, inputs)
    assert G.shape == (12, len(f.parameter_names)) and cost.shape == (12,)
    for k, name in enumerate(f.parameter_names):
        assert np.array_equal(G[:, k], g[name].reshape(-1))


def test_the_two_layouts_agree_and_float32_keeps_its_type():
    d = derive(Chain(depth=5, activation="tanh"))
    params, inputs = random_point(d.network, 3)
    points = compile_numpy(d)(params, inputs)
    samples = gradients(d.network, params, [[inputs["a_0"]]], [[inputs["y"]]])
    for name in d.parameter_names():
        assert float(points[name]) == float(np.ravel(samples[name])[0])
    g32 = gradients(d.network, params, [[inputs["a_0"]]], [[inputs["y"]]], dtype=np.float32)
    truth = mp_gradients(d, params, inputs)
    for name in d.parameter_names():
        assert g32[name].dtype == np.float32
        assert abs(float(g32[name].ravel()[0]) - truth[name]) <= 1e-5 * abs(truth[name]) + 1e-30


def test_compile_numpy_bad_values():
    f = compile_numpy(derive(Chain(depth=1)))
    with pytest.raises(UsageError, match="b_1: must be finite"):
        f({"w_1": 1.0, "b_1": np.array([0.0, np.nan])}, {"a_0": 0.0, "y": 0.0})
    with pytest.raises(UsageError, match="must broadcast to one batch shape"):
        f({"w_1": np.zeros(2), "b_1": np.zeros(3)}, {"a_0": 0.0, "y": 0.0})


@settings(max_examples=25, deadline=None)
@given(depth=st.integers(1, 12), activation=st.sampled_from(activation_names()),
       seed=st.integers(0, 2 ** 32 - 1), scale=st.floats(0.1, 3.0))
def test_float64_agrees_with_the_closed_forms_property(depth, activation, seed, scale):
    d = derive(Chain(depth=depth, activation=activation))
    params, inputs = random_point(d.network, seed, scale=scale, saturate=0.2)
    g64 = compile_numpy(d)(params, inputs)
    truth = mp_gradients(d, params, inputs, digits=30)
    kappa = condition_estimates(d.network, params, inputs)
    for name in d.parameter_names():
        value = truth[name]
        if value == 0:
            assert g64[name] == 0
        elif abs(value) > 1e-290:
            err = abs(g64[name] - value) / abs(value)
            assert err <= max(1e-12, 10 * (kappa[name] + depth) * 2.3e-16), (name, err)


def test_custom_expressions_get_stable_float64_code():
    """The README's mish: log(1 + e^z) evaluated naively loses 3e-3 relative at z = −30.7."""
    net = Chain(depth=2, activation="x*tanh(log(1+exp(x)))")
    params = {"w_1": 1.0, "b_1": -31.2, "w_2": 2.0, "b_2": -30.7}
    g64 = compile_numpy(derive(net))(params, {"a_0": 0.5, "y": 0.25})
    truth = mp_gradients(derive(net), params, {"a_0": 0.5, "y": 0.25})
    for name in net.parameter_names():
        assert abs(g64[name] - truth[name]) <= 1e-13 * abs(truth[name]), name
    with warnings.catch_warnings():   # and no overflow far out
        warnings.simplefilter("error")
        big = compile_numpy(derive(net))({**params, "b_1": 800.0, "b_2": 800.0}, {"a_0": 0.5, "y": 0.25})
    assert all(np.isfinite(v) for v in big.values())


# --- points ------------------------------------------------------------------------------------

def test_random_point_distribution_is_seeded_and_documented():
    net = Chain(depth=50, activation="prelu")
    p1, x1 = random_point(net, 3)
    assert (p1, x1) == random_point(derive(net), 3)
    assert list(p1) == net.parameter_names()
    assert all(0 <= p1[f"alpha_{l}"] <= 0.3 for l in range(1, 51))
    ps, _ = random_point(net, 3, saturate=1.0)
    assert all(30 <= abs(ps[f"b_{l}"]) <= 40 for l in range(1, 51))
    with pytest.raises(UsageError, match="scale=-1.0: must be a finite number > 0"):
        random_point(net, 0, scale=-1)


def test_random_point_of_a_dense_network_takes_scale_and_saturate():
    net = Dense([50, 40, 3], ["tanh", "softmax"], "softmax-cross-entropy", samples=4)
    params, inputs = random_point(net, 0, scale=10.0, saturate=1.0)
    assert params["W_1"].shape == (40, 50) and inputs["a_0"].shape == (4, 50)
    assert 8 < params["W_1"].std() * np.sqrt(50) < 12          # N(0, scale²/n_0)
    assert np.all(np.abs(params["b_1"]) >= 30)                   # every unit saturated
    assert np.array_equal(inputs["y"].sum(axis=1), np.ones(4))   # one-hot rows


# --- the reference and the witnesses ---------------------------------------------------------

def test_reference_does_not_use_the_derivative_forms():
    # a wrong σ' in the activation changes the closed form but not the reference
    sig = get_activation("sigmoid")
    wrong = dataclasses.replace(sig, name="sigmoid_x2", derivative_expression=sig.derivative_expression * 2,
                                numpy_derivative=lambda z: 2 * sig.numpy_derivative(z), _mp={})
    ok, bad = Chain(depth=2), Chain(depth=2, activation=[sig, wrong])
    ref_ok = reference_gradients(ok, POINT2, INPUTS, digits=30)
    ref_bad = reference_gradients(bad, POINT2, INPUTS, digits=30)
    assert all(ref_ok[n].value == ref_bad[n].value for n in ref_ok)
    with mpmath.workdps(60):
        doubled = 2 * mp_gradients(derive(ok), POINT2, INPUTS)["b_2"]
    assert rel(mp_gradients(derive(bad), POINT2, INPUTS)["b_2"], doubled) < 1e-55


def test_reference_is_linear_in_depth():
    """The tape of the reference grows like the forward pass: twice the depth, twice the
    operations (mpmath.diff per parameter, before, was quadratic)."""
    sizes = []
    for L in (100, 200):
        net = Chain(depth=L, activation="tanh")
        with recording() as tape:
            with working(30):
                _composed_cost(read_point(net, *random_point(net, 0)))
        sizes.append(len(tape))
    assert 1.95 < sizes[1] / sizes[0] < 2.05
    assert all(isinstance(v, Var) for v in tape[:10])


def test_finite_differences_resolve_shallow_gradients_and_catch_1001():
    d = derive(Chain(depth=2))
    truth = mp_gradients(d, POINT2, INPUTS)
    for name, est in finite_differences(compile_numpy(d), POINT2, INPUTS).items():
        assert est.resolved and est.error < 1e-9 * abs(truth[name])
        assert abs(est.value - truth[name]) <= 10 * est.error        # honest estimate
        assert abs(est.value - 1.001 * truth[name]) > 10 * est.error  # a 1.001 error shows


def test_witnesses_of_a_dense_network_per_component():
    net = Dense([3, 4, 2], ["tanh", "sigmoid"], samples=2)
    params, inputs = random_point(net, 4)
    f = compile_numpy(derive(net))
    truth = reference_gradients(net, params, inputs, digits=30)
    fd = finite_differences(f, params, inputs)
    cs = complex_step(f, params, inputs)
    assert set(fd) == set(truth) and "W_1[4,3]" in fd and "b_2[2]" in fd
    for label, ref in truth.items():
        assert abs(fd[label].value - ref.value) <= 10 * fd[label].error < 1e-7 * abs(ref.value)
        assert abs(cs[label].value - ref.value) <= cs[label].error <= 1e-13 * abs(ref.value)


def test_finite_differences_are_inconclusive_for_deep_sigmoid():
    d = derive(Chain(depth=20))
    params, inputs = random_point(d.network, 0)
    assert abs(mp_gradients(d, params, inputs)["b_1"]) < 1e-12
    est = finite_differences(compile_numpy(d), params, inputs, names=["b_1"])["b_1"]
    assert not est.resolved and est.error >= abs(est.value)


def test_complex_step_is_accurate_where_differences_are_not():
    d = derive(Chain(depth=20))
    params, inputs = random_point(d.network, 0)
    truth = mp_gradients(d, params, inputs)
    for name, est in complex_step(compile_numpy(d), params, inputs).items():
        assert est.resolved
        assert abs(est.value - truth[name]) <= est.error <= 1e-13 * abs(truth[name])
    assert complex_step(compile_numpy(derive(Chain(depth=2, activation="relu"))),
                        {"w_1": 1, "b_1": 0, "w_2": 1, "b_2": 0}, {"a_0": 1, "y": 0}) is None


def test_kinks():
    assert [has_kink(get_activation(n)) for n in ("relu", "leaky_relu", "prelu", "selu", "elu",
                                                   "tanh")] == [True, True, True, True, False, False]
    d = derive(Chain(depth=2, activation="relu"))
    # z_1 = 1·0.5 − 0.5 = 0: at the kink; z_2 = w_2 a_1 + b_2 = 1 > 0
    params, inputs = {"w_1": 1, "b_1": -0.5, "w_2": 2, "b_2": 1}, {"a_0": 0.5, "y": 0}
    fd = finite_differences(compile_numpy(d), params, inputs)
    ref = reference_gradients(d.network, params, inputs, digits=20)
    assert fd["b_1"].kink and ref["b_1"].kink and fd["w_1"].kink and ref["w_1"].kink
    assert not fd["b_2"].kink and not ref["b_2"].kink and fd["b_2"].resolved


def test_condition_estimate_flags_the_exploding_case():
    net = Chain(depth=4)
    params = {**{f"w_{l}": 100.0 for l in range(1, 5)}, **{f"b_{l}": -50.0 for l in range(1, 5)}}
    kappa = condition_estimates(net, params, {"a_0": 0.5, "y": 0.0})
    benign = condition_estimates(net, *random_point(net, 0))
    assert kappa["b_1"] > 1e5 and max(benign.values()) < 1e3


def test_estimate_resolved():
    assert Estimate(1.0, 0.5).resolved and not Estimate(1.0, 1.0).resolved
    assert not Estimate(float("nan"), 0.0).resolved and not Estimate(1.0, 0.1, kink=True).resolved
    assert Estimate(mpmath.mpf("1e-1000"), mpmath.mpf("1e-1020")).resolved
