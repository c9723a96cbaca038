"""The numeric backend: mpmath values, generated float64 code and the three witnesses,
each against an independent truth (SymPy's own evaluation at high precision)."""
import dataclasses
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad import Chain, UsageError, activation_names, derive, get_activation
from symgrad.numeric.chain import (Estimate, compile_numpy, complex_step, condition_estimates,
                             finite_differences, has_kink, mp_forward, mp_gradients,
                             random_point, reference_gradients)

POINT2 = {"w_1": "0.5", "b_1": "-0.25", "w_2": "1.5", "b_2": "0.125"}
INPUTS = {"a_0": "1", "y": "0"}


def sympy_truth(d, params, inputs, digits=60):
    """Every gradient by SymPy: diff of the composed cost, evaluated with exact inputs."""
    net = d.network
    cost = net.composed_cost()
    subs = {sp.Symbol(n, real=True): sp.Rational(str(v)) for n, v in {**params, **inputs}.items()}
    return {n: sp.diff(cost, sp.Symbol(n, real=True)).xreplace(subs).evalf(digits)
            for n in d.parameter_names()}


def rel(value, truth) -> float:
    """|value − truth|/|truth| computed at 200 digits (mpf values keep their digits)."""
    with mpmath.workdps(200):
        t = mpmath.mpf(str(truth)) if isinstance(truth, sp.Basic) else mpmath.mpf(truth)
        return float(abs(mpmath.mpf(value) - t) / abs(t))


# --- mpmath ----------------------------------------------------------------------------------

def test_mp_gradients_one_layer_exact():
    # z_1 = 2·0.5 − 1 = 0: σ(0) = 1/2, σ'(0) = 1/4, ∂C/∂a = 1/2 − 1
    g = mp_gradients(derive(Chain(depth=1)), {"w_1": 2, "b_1": -1}, {"a_0": "0.5", "y": 1})
    assert g["cost"] == mpmath.mpf(1) / 8
    assert g["b_1"] == -mpmath.mpf(1) / 8
    assert g["w_1"] == -mpmath.mpf(1) / 16


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
def test_mp_gradients_equal_sympy_diff_of_composed_cost(activation):
    d = derive(Chain(depth=3, activation=activation))
    params = {"w_1": "0.7", "b_1": "-0.3", "w_2": "-1.25", "b_2": "0.5", "w_3": "2", "b_3": "-1"}
    inputs = {"a_0": "0.375", "y": "0.25"}
    g = mp_gradients(d, params, inputs, digits=50)
    truth = sympy_truth(d, params, inputs)
    for name, value in truth.items():
        assert rel(g[name], value) <= 1e-48, (name, g[name], value)


def test_mp_gradients_prelu_slope_gradient():
    d = derive(Chain(depth=2, activation="prelu"))
    params = {"w_1": "1", "b_1": "-2", "w_2": "-3", "b_2": "0.5", "alpha_1": "0.1", "alpha_2": "0.2"}
    inputs = {"a_0": "0.5", "y": "0.25"}
    g = mp_gradients(d, params, inputs)
    # z_1 = −1.5 < 0: a_1 = −0.15; z_2 = 0.95 > 0: a_2 = 0.95, ∂C/∂a_2 = 0.7
    # ∂C/∂α_1 = z_1 · w_2 · 1 · 0.7 = −1.5 · −3 · 0.7, ∂C/∂α_2 = 0 (z_2 > 0)
    assert rel(g["alpha_1"], sp.Rational("3.15")) < 1e-55
    assert g["alpha_2"] == 0


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
    # δ_1 = σ'(z_1) Π (w_l σ'(z_l)) (a_L − y) with w_l σ' ≤ 1/8: about 1e-547
    assert mpmath.mpf("1e-560") < abs(g["b_1"]) < mpmath.mpf("1e-540")
    f = compile_numpy(d)
    assert f(params, {"a_0": 0.5, "y": 1.0})["b_1"] == 0.0  # float64 underflows, mpmath does not


@pytest.mark.parametrize("bad, message", [
    ({"w_1": 1}, "parameter='b_1': missing"),
    ({"w_1": 1, "b_1": 0, "w_7": 1}, "parameter='w_7': not a parameter"),
    ({"w_1": "nan", "b_1": 0}, "w_1='nan': must be a real number"),
    ({"w_1": float("inf"), "b_1": 0}, "w_1=inf: must be finite"),
    ({"w_1": "1/3", "b_1": 0}, "w_1='1/3': must be a real number"),
    ({"w_1": [1], "b_1": 0}, "w_1=[1]: must be a real number"),
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


# --- float64 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", activation_names())
def test_float64_within_1e12_of_mpmath_at_depth_100_saturated(activation):
    d = derive(Chain(depth=100, activation=activation))
    f = compile_numpy(d)
    rng = np.random.default_rng(7)
    points = [random_point(d, rng, saturate=0.1) for _ in range(3)]
    batch = {n: np.array([p[n] for p, _ in points]) for n in points[0][0]}
    inputs = {n: np.array([x[n] for _, x in points]) for n in ("a_0", "y")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g64 = f(batch, inputs)
    saturated = 0
    for k, (params, x) in enumerate(points):
        z, _ = mp_forward(d, params, x, digits=20)
        saturated += sum(abs(zl) > 30 for zl in z[1:])
        truth = mp_gradients(d, params, x)
        for name, value in truth.items():
            if name == "cost" or (value != 0 and abs(value) < 1e-290):
                continue
            err = abs(g64[name][k] - value) / abs(value) if value else abs(g64[name][k])
            assert err <= 1e-12, (activation, k, name, value, g64[name][k])
    assert saturated >= 10


@pytest.mark.parametrize("activation", activation_names())
def test_no_warnings_or_nan_for_z_up_to_1e4(activation):
    d = derive(Chain(depth=3, activation=activation))
    f = compile_numpy(d)
    params = {**{f"w_{l}": np.array([1.0, 1.0, 0.0, 0.0]) for l in (1, 2, 3)},
              **{f"b_{l}": np.array([1e4, -1e4, 1e4, -1e4]) for l in (1, 2, 3)},
              **{f"alpha_{l}": 0.1 for l in (1, 2, 3) if d.network.has_slope(l)}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = f(params, {"a_0": 0.5, "y": 0.5})
    for name, value in g.items():
        assert np.all(np.isfinite(value)), (activation, name)


def test_sigmoid_cross_entropy_uses_the_cancelled_output_delta():
    d = derive(Chain(depth=1, cost="cross-entropy"))
    f = compile_numpy(d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = f({"w_1": 0.0, "b_1": np.array([40.0, -40.0, 1e4])}, {"a_0": 1.0, "y": 0.25})
    assert np.array_equal(g["b_1"], [0.75, -0.25, 0.75])   # δ_L = a_L − y


def test_packed_matches_dict_and_batches_broadcast():
    d = derive(Chain(depth=4, activation="prelu"))
    f = compile_numpy(d)
    rng = np.random.default_rng(1)
    params = {n: rng.normal(size=(3, 1)) for n in f.parameter_names}
    params["w_2"] = 0.5                         # a scalar broadcasts
    inputs = {"a_0": rng.uniform(size=(1, 4)), "y": 0.25}
    g = f(params, inputs)
    assert g["b_1"].shape == (3, 4) and g["cost"].shape == (3, 4)
    cost, G = f.packed(params, inputs)
    assert G.shape == (12, len(f.parameter_names)) and cost.shape == (12,)
    for k, name in enumerate(f.parameter_names):
        assert np.array_equal(G[:, k], g[name].reshape(-1))
    # one point evaluates like the batch
    one = f({n: np.ravel(v)[0] if np.ndim(v) else v for n, v in params.items()},
            {"a_0": float(inputs["a_0"][0, 0]), "y": 0.25})
    assert float(one["b_1"]) == g["b_1"][0, 0]


def test_compile_numpy_bad_values():
    f = compile_numpy(derive(Chain(depth=1)))
    with pytest.raises(UsageError, match="b_1: must be finite"):
        f({"w_1": 1.0, "b_1": np.array([0.0, np.nan])}, {"a_0": 0.0, "y": 0.0})
    with pytest.raises(UsageError, match="must broadcast to one batch shape"):
        f({"w_1": np.zeros(2), "b_1": np.zeros(3)}, {"a_0": 0.0, "y": 0.0})


@settings(max_examples=25, deadline=None)
@given(depth=st.integers(1, 12), activation=st.sampled_from(activation_names()),
       seed=st.integers(0, 2 ** 32 - 1), scale=st.floats(0.1, 3.0))
def test_float64_agrees_with_mpmath_property(depth, activation, seed, scale):
    d = derive(Chain(depth=depth, activation=activation))
    params, inputs = random_point(d, seed, scale=scale, saturate=0.2)
    g64 = compile_numpy(d)(params, inputs)
    truth = mp_gradients(d, params, inputs, digits=30)
    kappa = condition_estimates(d, params, inputs)
    for name in d.parameter_names():
        value = truth[name]
        if value == 0:
            assert g64[name] == 0
        elif abs(value) > 1e-290:
            err = abs(g64[name] - value) / abs(value)
            assert err <= max(1e-12, 10 * (kappa[name] + depth) * 2.3e-16), (name, err)


def test_random_point_distribution_is_seeded_and_documented():
    d = derive(Chain(depth=50, activation="prelu"))
    p1, x1 = random_point(d, 3)
    p2, x2 = random_point(d, 3)
    assert p1 == p2 and x1 == x2
    assert list(p1) == d.parameter_names()
    assert all(0 <= p1[f"alpha_{l}"] <= 0.3 for l in range(1, 51))
    assert 0 <= x1["a_0"] <= 1 and 0 <= x1["y"] <= 1
    ps, _ = random_point(d, 3, saturate=1.0)
    assert all(30 <= abs(ps[f"b_{l}"]) <= 40 for l in range(1, 51))
    with pytest.raises(UsageError, match="scale=-1.0: must be a finite number > 0"):
        random_point(d, 0, scale=-1)


# --- witnesses -------------------------------------------------------------------------------

def test_reference_is_independent_and_matches_sympy():
    d = derive(Chain(depth=3, activation="tanh"))
    params = {"w_1": "0.7", "b_1": "-0.3", "w_2": "-1.25", "b_2": "0.5", "w_3": "2", "b_3": "-1"}
    inputs = {"a_0": "0.375", "y": "0.25"}
    ref = reference_gradients(d, params, inputs, digits=40)
    truth = sympy_truth(d, params, inputs)
    for name, est in ref.items():
        assert est.error <= 1e-42 * abs(float(truth[name]))
        assert rel(est.value, truth[name]) <= 1e-42


def test_reference_does_not_use_the_derivative_forms():
    # a wrong σ' in the activation changes the closed form but not the reference
    sig = get_activation("sigmoid")
    wrong = dataclasses.replace(sig, derivative_expression=sig.derivative_expression * 2,
                                numpy_derivative=lambda z: 2 * sig.numpy_derivative(z), _mp={})
    d_ok, d_wrong = derive(Chain(depth=2)), derive(Chain(depth=2, activation=[sig, wrong]))
    ref_ok = reference_gradients(d_ok, POINT2, INPUTS, digits=30)
    ref_wrong = reference_gradients(d_wrong, POINT2, INPUTS, digits=30)
    assert all(ref_ok[n].value == ref_wrong[n].value for n in ref_ok)
    with mpmath.workdps(60):
        doubled = 2 * mp_gradients(d_ok, POINT2, INPUTS)["b_2"]
    assert rel(mp_gradients(d_wrong, POINT2, INPUTS)["b_2"], doubled) < 1e-55


def test_finite_differences_resolve_shallow_gradients_and_catch_1001():
    d = derive(Chain(depth=2))
    f = compile_numpy(d)
    truth = mp_gradients(d, POINT2, INPUTS)
    fd = finite_differences(f, POINT2, INPUTS)
    for name, est in fd.items():
        assert est.resolved and est.error < 1e-9 * abs(truth[name])
        assert abs(est.value - truth[name]) <= 10 * est.error        # honest estimate
        assert abs(est.value - 1.001 * truth[name]) > 10 * est.error  # a 1.001 error shows


def test_finite_differences_are_inconclusive_for_deep_sigmoid():
    d = derive(Chain(depth=20))
    f = compile_numpy(d)
    params, inputs = random_point(d, 0)
    truth = mp_gradients(d, params, inputs)
    assert abs(truth["b_1"]) < 1e-12
    est = finite_differences(f, params, inputs, names=["b_1"])["b_1"]
    assert not est.resolved and est.error >= abs(est.value)


def test_complex_step_is_accurate_where_differences_are_not():
    d = derive(Chain(depth=20))
    f = compile_numpy(d)
    params, inputs = random_point(d, 0)
    truth = mp_gradients(d, params, inputs)
    cs = complex_step(f, params, inputs)
    for name, est in cs.items():
        assert est.resolved
        assert abs(est.value - truth[name]) <= est.error <= 1e-13 * abs(truth[name])
    assert complex_step(compile_numpy(derive(Chain(depth=2, activation="relu"))),
                        {"w_1": 1, "b_1": 0, "w_2": 1, "b_2": 0}, {"a_0": 1, "y": 0}) is None


def test_kinks():
    assert [has_kink(get_activation(n)) for n in ("relu", "leaky_relu", "prelu", "selu", "elu",
                                                   "tanh")] == [True, True, True, True, False, False]
    d = derive(Chain(depth=2, activation="relu"))
    f = compile_numpy(d)
    # z_1 = 1·0.5 − 0.5 = 0: at the kink; z_2 = w_2 a_1 + b_2 = 1 > 0
    params, inputs = {"w_1": 1, "b_1": -0.5, "w_2": 2, "b_2": 1}, {"a_0": 0.5, "y": 0}
    fd = finite_differences(f, params, inputs)
    ref = reference_gradients(d, params, inputs, digits=20)
    assert fd["b_1"].kink and ref["b_1"].kink and fd["w_1"].kink
    assert not fd["b_2"].kink and not ref["b_2"].kink and fd["b_2"].resolved


def test_condition_estimate_flags_the_exploding_case():
    d = derive(Chain(depth=4))
    params = {**{f"w_{l}": 100.0 for l in range(1, 5)}, **{f"b_{l}": -50.0 for l in range(1, 5)}}
    kappa = condition_estimates(d, params, {"a_0": 0.5, "y": 0.0})
    benign = condition_estimates(d, random_point(d, 0)[0], random_point(d, 0)[1])
    assert kappa["b_1"] > 1e5 and max(benign.values()) < 1e3


def test_estimate_resolved():
    assert Estimate(1.0, 0.5).resolved and not Estimate(1.0, 1.0).resolved
    assert not Estimate(float("nan"), 0.0).resolved and not Estimate(1.0, 0.1, kink=True).resolved
