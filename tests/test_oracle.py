"""The oracle's Python API: reference gradients and the condition-aware checker.

Every check here must fail on a wrong gradient: a factor 1.001 in any one gradient, at any
magnitude, is caught."""
from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from symgrad.model.activations import activation_names
from symgrad.errors import UsageError
from symgrad.derivation import derive
from symgrad.model.network import Chain
from symgrad.numeric.chain import random_point
from symgrad.oracle.core import (FLOOR_FLOAT64, assert_gradients_close, decimal_string,
                            reference, tolerances)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.implementations import Backprop  # noqa: E402

BUILTIN = [n for n in activation_names()]


def _composed_cost(net: Chain, params: dict, inputs: dict):
    """C as one mpmath function of all parameters: the forward pass written out, independent
    of the recurrence (the witness the oracle is checked against)."""
    def cost(values: dict):
        a = mpmath.mpf(inputs["a_0"])
        for l in net.layers:
            act = net.sigma(l)
            z = values[f"w_{l}"] * a + values[f"b_{l}"]
            a = act.mp(z, values[f"alpha_{l}"]) if act.parameter is not None else act.mp(z)
        return net.cost.mp(a, mpmath.mpf(inputs["y"]))
    return cost


# --- the reference ----------------------------------------------------------------------------

def test_reference_one_layer_is_exact():
    # z_1 = 2·0.5 - 1 = 0: σ'(0) = 1/4, a_1 - y = 1/2 - 1 = -1/2
    ref = reference(Chain(depth=1), {"w_1": 2, "b_1": -1}, {"a_0": "0.5", "y": 1})
    assert ref.cost == mpmath.mpf(1) / 8
    assert ref["b_1"] == mpmath.mpf(-1) / 8
    assert ref["w_1"] == mpmath.mpf(-1) / 16
    assert ref.decimal("b_1", 5) == "-1.2500e-1"


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "gelu", "prelu", "softplus"])
def test_reference_agrees_with_differentiating_the_composed_cost(activation):
    """40 digits of the recurrence against mpmath's own numerical differentiation of the
    fully composed cost at 60 digits: two routes, one answer."""
    net = Chain(depth=4, activation=activation)
    params, inputs = random_point(derive(net), 7)
    ref = reference(net, params, inputs, digits=40)
    cost = _composed_cost(net, params, inputs)
    with mpmath.workdps(60):
        point = {n: mpmath.mpf(v) for n, v in params.items()}
        for name in net.parameter_names():
            def along(t, name=name):
                return cost({**point, name: t})
            witness = mpmath.diff(along, point[name])
            assert abs(witness - ref[name]) <= mpmath.mpf(10) ** -38 * abs(witness), name
        assert abs(cost(point) - ref.cost) <= mpmath.mpf(10) ** -38 * abs(ref.cost)


def test_reference_reads_decimal_strings_as_written():
    # 0.1 is not a float: the reference at "0.1" differs from the one at the float 0.1
    net = Chain(depth=2)
    exact = reference(net, {"w_2": "0.1", "w_1": 1, "b_2": 0, "b_1": 0}, {"a_0": 1, "y": 0},
                      digits=40)
    as_float = reference(net, {"w_2": 0.1, "w_1": 1, "b_2": 0, "b_1": 0}, {"a_0": 1, "y": 0},
                         digits=40)
    fraction = reference(net, {"w_2": Fraction(1, 10), "w_1": 1, "b_2": 0, "b_1": 0},
                         {"a_0": 1, "y": 0}, digits=40)
    assert exact["b_1"] != as_float["b_1"]
    assert abs(exact["b_1"] - fraction["b_1"]) <= mpmath.mpf(10) ** -45 * abs(exact["b_1"])


def test_reference_far_below_float64():
    """Depth 1000: ∂C/∂b_1 ≈ 2e-1602, kept as an exact decimal, and it is the repeated
    factor w_2 σ'(z_1) times ∂C/∂b_2 to the last digit."""
    L = 1000
    params = {**{f"w_{l}": "0.1" for l in range(1, L + 1)}, **{f"b_{l}": 0 for l in range(1, L + 1)}}
    ref = reference(Chain(depth=L), params, {"a_0": 1, "y": 0}, digits=30)
    assert ref.decimal("b_1", 10) == "2.310255821e-1602"
    with mpmath.workdps(40):
        s = 1 / (1 + mpmath.exp(-ref.z[1]))
        # δ_1 = σ'(z_1) w_2 δ_2
        predicted = s * (1 - s) * mpmath.mpf("0.1") * ref["b_2"]
        assert abs(predicted - ref["b_1"]) <= mpmath.mpf(10) ** -29 * abs(ref["b_1"])


def test_decimal_string_has_exactly_d_significant_digits():
    assert decimal_string(mpmath.mpf(2) / 3, 7) == "6.666667e-1"
    assert decimal_string(1.0, 3) == "1.00e+0"
    assert decimal_string(0, 3) == "0"
    assert decimal_string(-1e-300, 2) == "-1.0e-300"


# --- the checker ------------------------------------------------------------------------------

def _point(net, seed=0, **kw):
    return random_point(derive(net), seed, **kw)


def _numpy_gradients(net, params, inputs) -> dict:
    g = Backprop(net)({n: np.array([v]) for n, v in params.items()},
                      {n: np.array([v]) for n, v in inputs.items()})
    return {n: float(v[0]) for n, v in g.items() if n != "cost"}


@pytest.mark.parametrize("depth", [2, 30, 100])
def test_a_factor_of_1_001_in_any_one_gradient_is_caught(depth):
    net = Chain(depth=depth)
    params, inputs = _point(net, depth)
    ref = reference(net, params, inputs, digits=30)
    good = _numpy_gradients(net, params, inputs)
    assert assert_gradients_close(good, ref).passed
    for name in net.parameter_names():
        bad = dict(good, **{name: good[name] * 1.001})
        with pytest.raises(AssertionError, match=rf"dC/d{name} \(layer"):
            assert_gradients_close(bad, ref)


def test_the_message_names_parameter_layer_values_error_and_tolerance():
    net = Chain(depth=3)
    point = {"b_3": "0.5", "b_2": "-1", "b_1": "0.25", "w_3": "2", "w_2": "-0.5", "w_1": "1.5"}
    ref = reference(net, point, {"a_0": "1", "y": "0"}, digits=30)
    good = {n: float(v) for n, v in ref.gradients.items()}
    bad = dict(good, b_2=good["b_2"] * 2, b_1=good["b_1"] * 2, w_1=-good["w_1"])
    with pytest.raises(AssertionError) as info:
        assert_gradients_close(bad, ref)
    lines = str(info.value).splitlines()
    assert lines[0] == ("gradients differ from the reference at 3 of 6 (Chain(depth=3, "
                        "activation='sigmoid', cost='quadratic')); in backpropagation order, "
                        "the first is")
    # the first wrong gradient in backprop order is where the error enters: layer 2
    assert lines[1] == ("  dC/db_2 (layer 2): expected 4.571463406043759e-2, actual "
                        "9.142926812087517e-2, relative error 1.0e+0 > tolerance 1.0e-12 "
                        "(condition-aware, float64)")
    assert lines[2] == "then:"
    assert lines[3].startswith("  dC/db_1 (layer 1)") and lines[4].startswith("  dC/dw_1 (layer 1)")
    assert "relative error 2.0e+0" in lines[4]


def test_tolerance_is_relative_a_1e_30_gradient_is_checked_as_strictly():
    net = Chain(depth=40)
    params, inputs = _point(net, 3)
    ref = reference(net, params, inputs, digits=30)
    assert abs(ref["b_1"]) < 1e-20                      # far below any absolute tolerance
    good = _numpy_gradients(net, params, inputs)
    assert_gradients_close(good, ref)
    with pytest.raises(AssertionError, match=r"dC/db_1 \(layer 1\).*relative error 1\.0e-9"):
        assert_gradients_close(dict(good, b_1=good["b_1"] * (1 + 1e-9)), ref)


def test_condition_aware_where_tanh_saturates_but_a_fixed_1e_8_raises_false_alarms():
    """1 - tanh²(z) at z ≈ 12 loses ten digits in a correct float64 implementation."""
    net = Chain(depth=2, activation="tanh")
    params = {"b_2": 0.1, "b_1": 12.0, "w_2": 0.7, "w_1": 0.3}
    inputs = {"a_0": 0.5, "y": 0.2}
    ref = reference(net, params, inputs, digits=30)
    textbook = _numpy_gradients(net, params, inputs)        # σ' = 1 - a², as torch does
    error = abs(textbook["b_1"] - float(ref["b_1"])) / abs(float(ref["b_1"]))
    assert error > 1e-8
    assert_gradients_close(textbook, ref)                   # condition-aware: no false alarm
    with pytest.raises(AssertionError, match="dC/db_1"):
        assert_gradients_close(textbook, ref, rtol=1e-8)    # a fixed rtol: a false alarm
    tol = tolerances(ref)
    assert tol["b_2"] == FLOOR_FLOAT64 and error < tol["b_1"] < 1e-3
    # and a real error of 0.1% in the saturated gradient is still caught
    with pytest.raises(AssertionError, match="dC/db_1"):
        assert_gradients_close(dict(textbook, b_1=textbook["b_1"] * 1.001), ref)


def test_exact_zeros_of_a_dead_relu_must_be_exactly_zero():
    net = Chain(depth=2, activation="relu")
    params, inputs = {"w_2": 1, "w_1": 1, "b_2": 0.5, "b_1": -1}, {"a_0": 0.5, "y": 1}
    ref = reference(net, params, inputs)
    assert ref["b_1"] == 0 and ref["w_1"] == 0 and ref["w_2"] == 0
    assert_gradients_close({"b_2": -0.5, "b_1": 0.0, "w_2": -0.0, "w_1": 0}, ref)
    with pytest.raises(AssertionError, match=r"dC/dw_1 \(layer 1\): expected 0, actual "
                                             r"1\.0+e-300.*expected exactly 0"):
        assert_gradients_close({"b_2": -0.5, "b_1": 0.0, "w_2": 0.0, "w_1": 1e-300}, ref)


def test_layer_order_arrays_and_float32():
    net = Chain(depth=5, activation="tanh")
    params, inputs = _point(net, 11)
    ref = reference(net, params, inputs, digits=30)
    g = _numpy_gradients(net, params, inputs)
    arrays = {"w": np.array([g[f"w_{l}"] for l in net.layers]),
              "b": np.array([g[f"b_{l}"] for l in net.layers])}
    assert assert_gradients_close(arrays, ref).passed
    swapped = {"w": arrays["w"][::-1], "b": arrays["b"]}
    with pytest.raises(AssertionError, match="dC/dw_"):
        assert_gradients_close(swapped, ref)
    # float32 values are judged by float32's eps: a float32 backprop passes as float32 ...
    g32 = {n: np.float32(v) for n, v in _float32_gradients(net, params, inputs).items()}
    comparison = assert_gradients_close(g32, ref)
    assert comparison.how == "condition-aware, float32"
    # ... and fails when claimed to be float64
    with pytest.raises(AssertionError):
        assert_gradients_close(g32, ref, dtype="float64")


def _float32_gradients(net, params, inputs):
    from tests.implementations import MUTANTS
    g = MUTANTS["float32_round_trip"](net)({n: np.array([v]) for n, v in params.items()},
                                           {n: np.array([v]) for n, v in inputs.items()})
    return {n: float(v[0]) for n, v in g.items() if n != "cost"}


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
    with pytest.raises(AssertionError, match="not a finite number"):
        assert_gradients_close(dict(g, w_1=float("nan")), ref)
    with pytest.raises(UsageError, match="parameters: a network needs"):
        assert_gradients_close(g, net)


def test_cost_is_checked_when_given():
    net = Chain(depth=3, cost="cross-entropy")
    params, inputs = _point(net, 5)
    ref = reference(net, params, inputs)
    g = {n: float(v) for n, v in ref.gradients.items()}
    assert_gradients_close({**g, "cost": float(ref.cost)}, ref)
    with pytest.raises(AssertionError, match="cost C: expected"):
        assert_gradients_close({**g, "cost": float(ref.cost) * 1.001}, ref)


def test_custom_activation_flows_through_the_oracle():
    net = Chain(depth=3, activation="x*tanh(log(1+exp(x)))")      # mish
    params, inputs = _point(net, 2)
    ref = reference(net, params, inputs, digits=30)
    g = _numpy_gradients(net, params, inputs)
    assert_gradients_close(g, ref)
    with pytest.raises(AssertionError):
        assert_gradients_close(dict(g, w_2=g["w_2"] * 1.001), ref)


@settings(max_examples=25, deadline=None)
@given(depth=st.integers(1, 12), activation=st.sampled_from(BUILTIN),
       cost=st.sampled_from(["quadratic", "cross-entropy"]), seed=st.integers(0, 2 ** 32 - 1),
       pick=st.integers(0, 10 ** 6), factor=st.sampled_from([1.001, 0.999, -1.0, 2.0]))
def test_hypothesis_correct_passes_and_one_wrong_gradient_fails(depth, activation, cost, seed,
                                                                pick, factor):
    if cost == "cross-entropy":
        # a_L must lie in (0, 1): a sigmoid output layer
        net = Chain(depth=depth, activation=[activation] * (depth - 1) + ["sigmoid"], cost=cost)
    else:
        net = Chain(depth=depth, activation=activation, cost=cost)
    params, inputs = _point(net, seed)
    ref = reference(net, params, inputs, digits=30)
    g = _numpy_gradients(net, params, inputs)
    assert_gradients_close(g, ref)
    names = [n for n in net.parameter_names() if ref[n] != 0]
    if not names:
        return
    name = names[pick % len(names)]
    with pytest.raises(AssertionError, match=f"dC/d{name} "):
        assert_gradients_close(dict(g, **{name: g[name] * factor}), ref)
