"""The oracle's Python API: certified reference gradients of every network, and the verdicts.

Every check here must fail on a wrong gradient: a factor 1.001 in any one gradient, at any
magnitude, is a ``fail``; the balls are checked against independent witnesses (SymPy's
exact rationals, mpmath at twice the precision, the composed cost differentiated)."""
from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, ctx, fmpq
from hypothesis import given, settings, strategies as st

from symgrad.errors import UsageError
from symgrad.model.activations import activation_names
from symgrad.model.network import Chain, Dense
from symgrad.oracle import (assert_gradients_close, compare_gradients, decimal_string,
                            error_bounds, reference, tolerances)
from symgrad.oracle.regimes import draw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.implementations import Backprop, MUTANTS, StableBackprop  # noqa: E402

BUILTIN = activation_names()
POINT3 = {"b_3": "0.5", "b_2": "-1", "b_1": "0.25", "w_3": "2", "w_2": "-0.5", "w_1": "1.5"}


def _point(net, seed=0, regime="ordinary"):
    return draw(net, regime, np.random.default_rng(seed), 17)


def _gradients(impl, net, params, inputs) -> dict:
    g = impl({n: np.array([float(v)]) for n, v in params.items()},
             {n: np.array([float(v)]) for n, v in inputs.items()})
    return {n: float(v[0]) for n, v in g.items() if n != "cost"}


# --- the reference: certified balls -------------------------------------------------------------

def test_one_layer_is_exact_with_radius_zero():
    # z_1 = 2·0.5 − 1 = 0: σ'(0) = 1/4, a_1 − y = −1/2: every ball exact
    ref = reference(Chain(depth=1), {"w_1": 2, "b_1": -1}, {"a_0": "0.5", "y": 1})
    assert ref.cost == mpmath.mpf(1) / 8 and ref["b_1"] == mpmath.mpf(-1) / 8
    assert ref.radius("b_1") == 0 and ref.radius("cost") == 0 and ref.certified
    assert ref.decimal("b_1", 5) == "-1.2500e-1"


@pytest.mark.parametrize("digits", [10, 30, 120])
def test_every_ball_is_narrower_than_half_a_unit_in_the_last_digit(digits):
    net = Chain(depth=30, activation="tanh")
    ref = reference(net, *_point(net, 3, "saturated"), digits=digits)
    assert ref.certified
    for name in ref.names() + ["cost"]:
        ball = ref.ball(name)
        if not ball.is_exact():
            assert ball.rad() < abs(ball) * arb(10) ** -digits / 2, name


def test_ball_contains_sympy_exact_rationals_of_a_dense_network():
    """An independent method: the [2, 2, 1] ReLU/linear network summed over 2 samples is
    rational; SymPy differentiates its composed cost and evaluates it exactly."""
    net = Dense([2, 2, 1], ["relu", "linear"], samples=2)
    params = {"W_1": [["0.3", "-1.1"], ["0.7", "0.2"]], "b_1": ["0.1", "-0.05"],
              "W_2": [["1.3", "-0.4"]], "b_2": ["0.25"]}
    inputs = {"x": [["1.5", "0.6"], ["-0.2", "2"]], "y": [["0.1"], ["-0.3"]]}
    ref = reference(net, params, inputs, digits=40)
    W1 = sp.Matrix(2, 2, sp.symbols("w0:4"))
    b1, W2, b2 = sp.Matrix(sp.symbols("c0:2")), sp.Matrix([sp.symbols("v0:2")]), sp.Symbol("d")
    cost = 0
    for x, y in zip(inputs["x"], inputs["y"]):
        z1 = W1 * sp.Matrix([sp.Rational(v) for v in x]) + b1
        a1 = z1.applyfunc(lambda t: sp.Max(t, 0))
        cost += ((W2 * a1)[0] + b2 - sp.Rational(y[0])) ** 2 / 2
    at = {**dict(zip(W1, [sp.Rational(v) for r in params["W_1"] for v in r])),
          **dict(zip(b1, map(sp.Rational, params["b_1"]))),
          **dict(zip(W2, map(sp.Rational, params["W_2"][0]))), b2: sp.Rational("0.25")}
    for symbols, name, index in [(W1, "W_1", lambda k: (k // 2, k % 2)),
                                 (b1, "b_1", lambda k: (k,)), (W2, "W_2", lambda k: (0, k))]:
        for k, s in enumerate(symbols):
            exact = sp.Rational(sp.diff(cost, s).subs(at))
            ball = ref.ball(name)
            for i in index(k):
                ball = ball[i]
            with ctx.workprec(300):   # the witness as a ball far narrower than the reference's
                assert ball.contains(arb(fmpq(int(exact.p), int(exact.q)))), (name, k)
    exact_cost = sp.Rational(cost.subs(at))
    with ctx.workprec(300):
        assert ref.ball("cost").contains(arb(fmpq(int(exact_cost.p), int(exact_cost.q))))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "gelu", "silu", "softplus", "elu",
                                        "gelu_tanh"])
def test_ball_contains_mpmath_at_twice_the_precision(activation):
    """Another method: mpmath's own recurrence-free differentiation of the composed cost
    at 2D digits lies inside every D-digit ball."""
    net = Chain(depth=4, activation=activation)
    params, inputs = _point(net, 7)
    ref = reference(net, params, inputs, digits=25)
    with mpmath.workdps(50):
        def cost(values):
            a = mpmath.mpf(inputs["a_0"])
            for l in net.layers:
                a = net.sigma(l).mp(values[f"w_{l}"] * a + values[f"b_{l}"])
            return net.cost.mp(a, mpmath.mpf(inputs["y"]))
        point = {n: mpmath.mpf(v) for n, v in params.items()}
        for name in net.parameter_names():
            witness = mpmath.diff(lambda t: cost({**point, name: t}), point[name])
            with ctx.workprec(200):   # mpmath's own error ~1e-45, the ball's radius ~1e-26
                assert ref.ball(name).contains(arb(mpmath.nstr(witness, 50))), name


def test_gelu_tanh_ball_form_contains_its_value_where_1_plus_tanh_cancels():
    """The ball form (σ(2u), no 1 + tanh u) against mpmath at 60 digits of the formula
    z(1 + tanh u)/2 written here, in the tails too (1 + tanh u ≈ 2e^{2u})."""
    from symgrad.model.activations import get_activation
    from symgrad.oracle.balls import activation_form
    form = activation_form(get_activation("gelu_tanh"))
    truth = {}
    assert form.certified and not form.kinked
    for text in ("-100", "-21", "-1.5", "0", "1e-8", "0.75", "2", "30"):
        with mpmath.workdps(60 + 31100):     # 1 + tanh u down to 1e-31057
            z = mpmath.mpf(text)
            u = mpmath.sqrt(2 / mpmath.pi) * (z + mpmath.mpf(44715) / 10**6 * z ** 3)
            du = mpmath.sqrt(2 / mpmath.pi) * (1 + 3 * mpmath.mpf(44715) / 10**6 * z ** 2)
            value = z * (1 + mpmath.tanh(u)) / 2
            slope = (1 + mpmath.tanh(u)) / 2 + z * (1 - mpmath.tanh(u) ** 2) * du / 2
            truth[text] = strings = [mpmath.nstr(x, 60) for x in (value, slope)]
        with ctx.workprec(200):
            a, d = form.pair(arb(text))
            assert a.contains(arb(strings[0])) and d.contains(arb(strings[1])), text
            assert a.rad() <= abs(a.mid()) * arb(2) ** -150 + arb(2) ** -190, text
    with ctx.workprec(200):   # a value nudged in the 40th digit is outside
        _, d = form.pair(arb("2"))
        assert not d.contains(arb(truth["2"][1]) * (1 + arb(10) ** -40))


def test_chain_loop_and_dense_products_agree():
    """The scalar loop of a chain and the matrix path of the same network with two equal
    samples (a dense network): twice the gradients, to every digit."""
    chain = Chain(depth=6, activation=["tanh", "sigmoid", "gelu", "relu", "silu", "linear"])
    params, inputs = _point(chain, 5)
    one = reference(chain, params, inputs, digits=30)
    dense = Dense([1] * 7, list(chain.activations), samples=2)
    two = reference(dense, {n.replace("w_", "W_"): [[v]] if n.startswith("w") else
                            ([v] if n.startswith("b") else v) for n, v in params.items()},
                    {"x": [[inputs["a_0"]]] * 2, "y": [[inputs["y"]]] * 2}, digits=30)
    for name in chain.parameter_names():
        kind, l = chain.parameter(name)
        ball = two.ball(f"{kind}_{l}")
        ball = ball[0][0] if kind == "W" else ball[0]
        assert ball.overlaps(2 * one.ball(name)), name


def test_decimal_strings_are_read_as_written():
    net = Chain(depth=2)
    point = {"w_2": "0.1", "w_1": 1, "b_2": 0, "b_1": 0}
    exact = reference(net, point, {"a_0": 1, "y": 0}, digits=40)
    as_float = reference(net, {**point, "w_2": 0.1}, {"a_0": 1, "y": 0}, digits=40)
    fraction = reference(net, {**point, "w_2": Fraction(1, 10)}, {"a_0": 1, "y": 0}, digits=40)
    assert not exact.ball("b_1").overlaps(as_float.ball("b_1"))
    assert exact.ball("b_1").overlaps(fraction.ball("b_1"))


def test_far_below_float64_still_certified():
    L = 1000
    params = {**{f"w_{l}": "0.1" for l in range(1, L + 1)},
              **{f"b_{l}": 0 for l in range(1, L + 1)}}
    ref = reference(Chain(depth=L), params, {"a_0": 1, "y": 0}, digits=30)
    assert ref.decimal("b_1", 10) == "2.310255821e-1602" and ref.certified
    with mpmath.workdps(40):       # δ_1 = σ'(z_1) w_2 δ_2, to the last digit
        s = 1 / (1 + mpmath.exp(-ref.z[1]))
        assert abs(s * (1 - s) * mpmath.mpf("0.1") * ref["b_2"] - ref["b_1"]) <= \
            mpmath.mpf(10) ** -29 * abs(ref["b_1"])


def test_a_kink_is_decided_exactly_and_takes_the_convention():
    # z_1 = 0.1 · 3 − 0.3 = 0 exactly, though no ball of 0.1 is exact: decided in rationals
    net = Chain(depth=2, activation="relu")
    params, inputs = {"w_1": "0.1", "b_1": "-0.3", "w_2": 1, "b_2": 1}, {"a_0": "3", "y": 0}
    left = reference(net, params, inputs, kink="left")
    right = reference(net, params, inputs, kink="right")
    assert left.kinks == ((1, 0, 0),) and left["b_1"] == 0        # relu'(0) = 0
    assert right["b_1"] == 1                                      # relu'(0) = 1: δ_1 = 1·1·1
    with pytest.raises(UsageError, match="kink='middle': must be one of left, right"):
        reference(net, params, inputs, kink="middle")


def test_prelu_slope_and_softmax_cross_entropy_are_certified():
    for net in (Chain(depth=3, activation="prelu"),
                Dense([3, 4, 3], ["prelu", "softmax"], cost="softmax-cross-entropy", samples=2)):
        ref = reference(net, *_point(net, 2), digits=30)
        assert ref.certified and "alpha_1" in ref.names()
        assert not ref.ball("alpha_1" if net.is_chain else "alpha_1").contains(0) or \
            ref.ball("alpha_1").is_exact()


def test_a_custom_function_without_ball_form_is_said_not_certified():
    """Every function of the expression grammar has a ball form (sign included); an
    activation registered from Python with one Arb lacks (asinh) falls back to mpmath."""
    import dataclasses
    from symgrad.model.activations import get_activation
    net = Chain(depth=2, activation="x*sign(x)")
    point = {"w_1": 1, "b_1": 0.5, "w_2": 1, "b_2": 0.5}
    ref = reference(net, point, {"a_0": 1, "y": 0})
    assert ref.certified and ref["b_2"] == 2                      # a_2 = 2, σ' = 1
    z = sp.Symbol("z", real=True)
    asinh = dataclasses.replace(          # not registered: the table stays as it was
        get_activation("tanh"), name="test:asinh", expression=sp.asinh(z),
        derivative_expression=1 / sp.sqrt(1 + z ** 2), derivative_in_a_expression=None)
    ref = reference(Chain(depth=2, activation=asinh), point, {"a_0": 1, "y": 0})
    assert not ref.certified and "evaluated with mpmath" in ref.how
    mish = reference(Chain(depth=2, activation="x*tanh(log(1+exp(x)))"),
                     {"w_1": 1, "b_1": 0.5, "w_2": 1, "b_2": 0.5}, {"a_0": 1, "y": 0})
    assert mish.certified


def test_decimal_string_has_exactly_d_significant_digits():
    assert decimal_string(mpmath.mpf(2) / 3, 7) == "6.666667e-1"
    assert decimal_string(1.0, 3) == "1.00e+0" and decimal_string(0, 3) == "0"
    assert decimal_string(-1e-300, 2) == "-1.0e-300"


# --- verdicts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [2, 30, 100])
def test_a_factor_of_1_001_in_any_one_gradient_fails(depth):
    net = Chain(depth=depth)
    params, inputs = _point(net, depth)
    ref = reference(net, params, inputs, digits=30)
    good = _gradients(StableBackprop(net), net, params, inputs)
    assert assert_gradients_close(good, ref).verdict == "pass"
    for name in net.parameter_names():
        if ref[name] == 0:
            continue
        with pytest.raises(AssertionError, match=rf"dC/d{name} \(layer.*: fail"):
            assert_gradients_close(dict(good, **{name: good[name] * 1.001}), ref)


def test_the_message_names_parameter_layer_values_error_and_tolerance():
    ref = reference(Chain(depth=3), POINT3, {"a_0": "1", "y": "0"}, digits=30)
    good = {n: float(v) for n, v in ref.gradients.items()}
    bad = dict(good, b_2=good["b_2"] * 2, b_1=good["b_1"] * 2, w_1=-good["w_1"])
    with pytest.raises(AssertionError) as info:
        assert_gradients_close(bad, ref)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("gradients differ from the reference at 3 of 6 (Chain(depth=3,")
    assert lines[1].startswith("  dC/db_2 (layer 2): expected 4.571463406043759e-2, actual "
                               "9.142926812087517e-2, relative error 1.0e+0 > tolerance ")
    assert lines[1].endswith(": fail (float64, stable forms)")
    assert lines[2] == "then:" and lines[3].startswith("  dC/db_1 (layer 1)")


def test_the_issue_s_c_implementation_s1_minus_s_is_not_excused_as_a_pass():
    """σ' = s(1 − s) at z = 38 returns exactly 0 where the truth is e^{−38}: a 100 % error.
    The stable tolerance does not excuse it; the textbook window names it unstable."""
    net = Chain(depth=2)
    params, inputs = {"w_1": 1, "b_1": 38, "w_2": 1, "b_2": 0}, {"a_0": 0, "y": 0}
    ref = reference(net, params, inputs, digits=30)
    textbook = _gradients(Backprop(net), net, params, inputs)
    assert textbook["b_1"] == 0.0 and ref["b_1"] != 0
    result = compare_gradients(textbook, ref)
    entry = next(e for e in result.entries if e.name == "b_1")
    assert entry.verdict == "unstable" and "e^{−|z|}/(1 + e^{−|z|})²" in entry.note
    assert result.passed and not compare_gradients(textbook, ref, strict=True).passed
    assert tolerances(ref)["b_1"] < 1e-12                       # the stable tolerance
    stable = _gradients(StableBackprop(net), net, params, inputs)
    assert assert_gradients_close(stable, ref, strict=True).verdict == "pass"
    # the naive e^{−z}/(1 + e^{−z})² below z = −355 returns 0: a fail, not unstable
    over = {"w_1": 1, "b_1": -400, "w_2": 1, "b_2": 0}
    ref = reference(net, over, inputs, digits=30)
    naive = _gradients(MUTANTS["sigma_prime_overflows"](net), net, over, inputs)
    with pytest.raises(AssertionError, match=r"dC/db_1 \(layer 1\): expected 2\.39.*e-175, "
                                             r"actual 0, .*: fail"):
        assert_gradients_close(naive, ref)


def test_nan_and_inf_are_answers_and_fail_with_the_truth_beside_them():
    ref = reference(Chain(depth=2), POINT3 and {"w_1": 1, "b_1": 0, "w_2": 1, "b_2": 0},
                    {"a_0": 1, "y": 0}, digits=20)
    good = {n: float(v) for n, v in ref.gradients.items()}
    with pytest.raises(AssertionError, match=r"dC/dw_1 \(layer 1\): expected .*, actual nan.*"
                                             r"fail \(not a finite number\)"):
        assert_gradients_close(dict(good, w_1=float("nan")), ref)
    with pytest.raises(AssertionError, match="actual inf"):
        assert_gradients_close(dict(good, b_2=float("inf")), ref)


def test_exact_zeros_of_a_dead_relu_must_be_exactly_zero():
    net = Chain(depth=2, activation="relu")
    params, inputs = {"w_2": 1, "w_1": 1, "b_2": 0.5, "b_1": -1}, {"a_0": 0.5, "y": 1}
    ref = reference(net, params, inputs)
    assert ref.ball("b_1").is_exact() and ref["b_1"] == 0 and ref["w_2"] == 0
    assert_gradients_close({"b_2": -0.5, "b_1": 0.0, "w_2": -0.0, "w_1": 0}, ref)
    with pytest.raises(AssertionError, match=r"dC/dw_1 \(layer 1\): expected 0, actual "
                                             r"1\.0+e-300.*expected exactly 0"):
        assert_gradients_close({"b_2": -0.5, "b_1": 0.0, "w_2": 0.0, "w_1": 1e-300}, ref)


def test_float32_is_judged_as_float32_and_fails_as_float64():
    net = Chain(depth=5, activation="tanh")
    params, inputs = _point(net, 11)
    ref = reference(net, params, inputs, digits=30)
    g32 = {n: np.float32(v) for n, v in _gradients(StableBackprop(net, np.float32), net,
                                                  params, inputs).items()}
    assert assert_gradients_close(g32, ref).how == "float32, stable forms"
    with pytest.raises(AssertionError):
        assert_gradients_close(g32, ref, dtype="float64")


def test_layer_order_arrays():
    net = Chain(depth=5, activation="tanh")
    params, inputs = _point(net, 11)
    ref = reference(net, params, inputs, digits=30)
    g = _gradients(StableBackprop(net), net, params, inputs)
    arrays = {"w": np.array([g[f"w_{l}"] for l in net.layers]),
              "b": np.array([g[f"b_{l}"] for l in net.layers])}
    assert assert_gradients_close(arrays, ref).passed
    with pytest.raises(AssertionError, match="dC/dw_"):
        assert_gradients_close({"w": arrays["w"][::-1], "b": arrays["b"]}, ref)


def test_dense_networks_through_the_same_api():
    net = Dense([3, 4, 2], ["tanh", "sigmoid"], samples=2)
    params, inputs = draw(net, "ordinary", np.random.default_rng(1), 17)
    ref = reference(net, params, inputs, digits=30)
    from tests.implementations import DenseBackprop
    g = DenseBackprop(net)({n: np.array(v, dtype=float) for n, v in params.items()},
                           np.array(inputs["x"], dtype=float), np.array(inputs["y"], dtype=float))
    assert assert_gradients_close(g, net, params, inputs).verdict == "pass"
    g["W_1"] = g["W_1"].copy()
    g["W_1"][2, 1] *= 1.001
    with pytest.raises(AssertionError, match=r"dC/dW_1\[2\]\[1\] \(layer 1\).*: fail"):
        assert_gradients_close(g, ref)
    with pytest.raises(UsageError, match=r"actual\['W_2'\]: has shape \(3, 2\), expected \(2, 4\)"):
        assert_gradients_close(dict(g, W_2=np.zeros((3, 2))), ref)


def test_stable_bounds_are_tight_and_the_textbook_window_is_wide_at_saturation():
    ref = reference(Chain(depth=2, activation="tanh"), {"w_2": 1, "w_1": 1, "b_2": 0,
                    "b_1": 12}, {"a_0": 0, "y": 0}, digits=20)
    assert tolerances(ref)["b_1"] < 1e-13
    assert tolerances(ref, form="textbook")["b_1"] > 1e-6
    assert error_bounds(ref, "float32").errors["b_1"][0] > error_bounds(ref).errors["b_1"][0]


def test_bad_input_is_one_clear_line():
    net = Chain(depth=2)
    params, inputs = _point(net)
    ref = reference(net, params, inputs, digits=20)
    g = {n: float(v) for n, v in ref.gradients.items()}
    with pytest.raises(UsageError, match=r"actual\['w_3'\]: not a parameter"):
        assert_gradients_close(dict(g, w_3=1.0), ref)
    with pytest.raises(AssertionError, match=r"dC/db_2 \(layer 2\): expected .* actual missing"):
        assert_gradients_close({n: v for n, v in g.items() if n != "b_2"}, ref)
    with pytest.raises(UsageError, match=r"rtol=-1: must be a finite number >= 0"):
        assert_gradients_close(g, ref, rtol=-1)
    with pytest.raises(UsageError, match=r"actual\['b'\]: 3 values, the network needs 2"):
        assert_gradients_close({"w": [0, 0], "b": [0, 0, 0]}, ref)
    with pytest.raises(UsageError, match="parameters: a network needs"):
        assert_gradients_close(g, net)
    with pytest.raises(UsageError, match=r"parameters\['w_1'\]\[0\]\[0\]='1e999999': the exp"):
        reference(net, {**params, "w_1": "1e999999"}, inputs)
    with pytest.raises(UsageError, match=r"inputs: missing 'y'"):
        reference(net, params, {"a_0": 1})


def test_cost_is_checked_when_given():
    net = Chain(depth=3, cost="cross-entropy")
    ref = reference(net, *_point(net, 5))
    g = {n: float(v) for n, v in ref.gradients.items()}
    assert_gradients_close({**g, "cost": float(ref.cost)}, ref)
    with pytest.raises(AssertionError, match="cost C: expected"):
        assert_gradients_close({**g, "cost": float(ref.cost) * 1.001}, ref)


@settings(max_examples=20, deadline=None)
@given(depth=st.integers(1, 10), activation=st.sampled_from(BUILTIN),
       regime=st.sampled_from(["ordinary", "saturated", "vanishing"]),
       seed=st.integers(0, 2 ** 32 - 1), pick=st.integers(0, 10 ** 6),
       factor=st.sampled_from([1.001, 0.999, -1.0, 2.0]))
def test_hypothesis_stable_passes_and_one_wrong_gradient_fails(depth, activation, regime, seed,
                                                               pick, factor):
    net = Chain(depth=depth, activation=activation)
    params, inputs = draw(net, regime, np.random.default_rng(seed), 17)
    ref = reference(net, params, inputs, digits=25)
    g = _gradients(StableBackprop(net), net, params, inputs)
    assert assert_gradients_close(g, ref, strict=True).verdict == "pass"
    names = [n for n in net.parameter_names() if 1e-290 < abs(ref[n]) < 1e300
             and tolerances(ref)[n] < 1e-4]
    if names:
        name = names[pick % len(names)]
        wrong = dict(g, **{name: g[name] * factor})
        with pytest.raises(AssertionError, match=f"dC/d{name} "):     # unstable at least
            assert_gradients_close(wrong, ref, strict=True)
        if tolerances(ref, form="textbook")[name] < 1e-4:    # s(1 − s) keeps its digits
            with pytest.raises(AssertionError, match=f"dC/d{name} .*: fail"):
                assert_gradients_close(wrong, ref)


# --- exact dot products: every partial sum a number of the dtype ---------------------------------

def test_a_representable_exact_sum_is_not_enough():
    """3 × 16.666666666666668 − 50: every operand a float, the exact value a float, but the
    partial sum 50.000000000000004 rounds first; 100·½ ± 100·½ stays exact."""
    from symgrad.oracle.dtypes import DTYPES, exact_sums
    f64, f32 = DTYPES["float64"], DTYPES["float32"]
    third = 33.333333333333336
    W, a, b = np.array([[third] * 3]), np.full((3, 1), 0.5), np.array([[-50.0]])
    exact = 3 * Fraction(third) / 2 - 50
    assert exact == float(exact) != (third * 0.5 + third * 0.5 + third * 0.5) - 50
    assert not exact_sums(W, a, b, f64)[0, 0]
    assert exact_sums(np.array([[100.0, -100.0, 100.0]]), np.full((3, 1), 0.5),
                      np.zeros((1, 1)), f64)[0, 0]
    # 2^24 + 1 is not a float32; 2^-150 is below its smallest subnormal
    assert not exact_sums(np.array([[2.0 ** 24, 1.0]]), np.ones((2, 1)), np.zeros((1, 1)),
                          f32)[0, 0]
    assert not exact_sums(np.array([[2.0 ** -75]]), np.array([[2.0 ** -75]]),
                          np.zeros((1, 1)), f32)[0, 0]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-2 ** 30, 2 ** 30), st.integers(-40, 40),
                          st.integers(-2 ** 20, 2 ** 20), st.integers(-40, 40)),
                min_size=1, max_size=6),
       st.integers(-2 ** 40, 2 ** 40), st.integers(-60, 60))
def test_an_exact_sum_is_exact_in_every_order(terms, bm, be):
    """Where exact_sums says exact, float64 gives the exact rational in any summation order
    (forward, backward, NumPy's dot, fused): the criterion is sufficient."""
    from symgrad.oracle.dtypes import DTYPES, exact_sums
    w = np.array([[m * 2.0 ** e for m, e, _, _ in terms]])
    a = np.array([[m * 2.0 ** e] for _, _, m, e in terms])
    b = np.array([[bm * 2.0 ** be]])
    if not exact_sums(w, a, b, DTYPES["float64"])[0, 0]:
        return
    truth = sum(Fraction(x) * Fraction(y) for x, y in zip(w[0], a[:, 0])) + Fraction(b[0, 0])
    products = [float(x) * float(y) for x, y in zip(w[0], a[:, 0])]
    forward = b[0, 0]
    for p in products:
        forward += p
    backward = 0.0
    for p in reversed(products):
        backward += p
    backward += b[0, 0]
    assert Fraction(forward) == Fraction(backward) == truth
    assert Fraction(float((w @ a)[0, 0] + b[0, 0])) == truth


def test_step_functions_have_ball_forms_decided_by_their_side():
    """Heaviside and sign on a ball: 1, 0 (−1) by the side of 0 the ball lies on, H(0) = ½
    and sign(0) = 0 at an exact 0; the reference of such a network is certified."""
    from symgrad.model.activations import get_activation
    from symgrad.oracle.balls import Undecided, activation_form
    form = activation_form(get_activation("custom:x*Heaviside(x - 20) + log(1 + exp(x))*"
                                          "(1 - Heaviside(x - 20))"))
    assert form.certified
    with ctx.workprec(80):
        assert form.pair(arb(25)) == (arb(25), arb(1))
        mid = form.pair(arb(20))[0]              # H(0) = ½: the mean of the two branches
        assert mid.overlaps((20 + (1 + arb(20).exp()).log()) / 2)
        with pytest.raises(Undecided):
            form.pair(arb(20) + arb("0 +/- 1e-30"))
    ref = reference(Chain(depth=2, activation="custom:abs(x - 1)"),
                    {"w_1": "1.5", "b_1": "0.25", "w_2": "-2", "b_2": "3"},
                    {"a_0": "0.5", "y": "0"}, digits=20)
    # z_1 = 1 exactly: sign(0) = 0 kills the gradients of layer 1; z_2 = 3, a_2 = 2
    assert ref.certified and ref["b_1"] == ref["w_1"] == 0 and ref["b_2"] == 2


def test_the_kink_convention_per_layer():
    """z_1 = z_2 = 0 exactly: each layer takes the branch it is given."""
    net = Chain(depth=2, activation="leaky_relu")
    point, inputs = {"w_1": 2, "b_1": -1, "w_2": 1, "b_2": 0}, {"a_0": "0.5", "y": 1}
    # z_1 = 0 → a_1 = 0 → z_2 = 0: δ_2 = (0 − 1)·σ'_2, δ_1 = δ_2 · 1 · σ'_1
    slope = {"left": fmpq(1, 100), "right": fmpq(1)}
    for k1 in ("left", "right"):
        for k2 in ("left", "right"):
            ref = reference(net, point, inputs, kink=(k1, k2))
            assert ref.ball("b_2").overlaps(-arb(slope[k2]))
            assert ref.ball("b_1").overlaps(-arb(slope[k2] * slope[k1]))
            assert not ref.ball("b_1").overlaps(-arb(slope[k2] * slope[k1]) * 2)
    with pytest.raises(UsageError, match=r"^kink=\('left',\): must be one of left, right, "
                                         r"or one of them for each of the 2 layers$"):
        reference(net, point, inputs, kink=("left",))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2 ** 200), st.integers(-400, 60), st.integers(1, 40))
def test_decimal_strings_are_correctly_rounded_ties_to_even(man, exp, digits):
    """The D-digit decimal of man · 2^exp against Python's decimal module (ties to even):
    the shift fast path and the general loop agree with it, 5-ties included (125 → 1.2e2)."""
    from decimal import ROUND_HALF_EVEN, Context, Decimal
    wide = Context(prec=2000)                     # 2^exp and the product exactly
    exact = wide.multiply(Decimal(man), wide.power(Decimal(2), exp))
    want = Context(prec=digits, rounding=ROUND_HALF_EVEN).plus(exact)
    sign, ds, e = want.as_tuple()
    mantissa = "".join(map(str, ds)).ljust(digits, "0")[:digits]
    power = want.adjusted()
    text = mantissa[0] + ("." + mantissa[1:] if digits > 1 else "") + \
        f"e{'+' if power >= 0 else '-'}{abs(power)}"
    with ctx.workprec(man.bit_length() + 8):       # the ball man · 2^exp exactly
        ball = arb(man) * arb(2) ** exp
    assert ball.is_exact() and decimal_string(ball, digits) == text
    assert decimal_string(fmpq(man) * fmpq(2) ** exp, digits) == text


def test_decimal_string_ties_go_to_even():
    assert decimal_string(arb(125), 2) == "1.2e+2" and decimal_string(arb(135), 2) == "1.4e+2"
    assert decimal_string(arb(5) / 8, 2) == "6.2e-1"          # 0.625 → 0.62
