"""Hypothesis properties of the derivative formulas, the suprema and the layer bound.

The profile (seeded, no deadline) comes from tests/conftest.py; example counts are bounded
here so the whole file runs in seconds.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symgrad.model.activations import get_activation
from symgrad.bounds import supremum
from symgrad.derivation import derive
from symgrad.model.network import Chain
from symgrad.numeric import mp_forward, mp_gradients

from strategies import (activation_names_st, chain_points, chains,
                        every_float, preactivations)

DIGITS = 40
#: relative slack for comparisons of 40-digit values (rounding only)
RTOL = mpmath.mpf("1e-30")


# --- derivative formulas against SymPy's derivative ----------------------------------------

@lru_cache(maxsize=None)
def _both_derivatives(name: str):
    """(the table's σ', SymPy's d/dz of σ) as mpmath functions of (z, alpha)."""
    act = get_activation(name)
    alpha = act.parameter or sp.Symbol("alpha_unused", real=True)
    ours = sp.lambdify([act.z, alpha], act.derivative_expression, modules="mpmath")
    sympys = sp.lambdify([act.z, alpha], sp.diff(act.expression, act.z), modules="mpmath")
    return ours, sympys


@settings(max_examples=150)
@given(name=activation_names_st(), z=preactivations(), alpha=st.floats(-2, 2))
@example(name="silu", z=2.3993572805154675, alpha=0.0)
@example(name="gelu", z=-1.4142135623730951, alpha=0.0)
def test_derivative_formula_matches_sympy(name, z, alpha):
    ours, sympys = _both_derivatives(name)
    if z == 0 and get_activation(name).kink:
        z = 1e-3  # at the kink the value is a convention, not a derivative
    with mpmath.workdps(DIGITS):
        mine, truth = ours(mpmath.mpf(z), mpmath.mpf(alpha)), sympys(mpmath.mpf(z), mpmath.mpf(alpha))
        assert abs(mine - truth) <= RTOL * max(1, abs(truth)), (name, z, mine, truth)


# --- σ' ≤ 1/4, tanh' ≤ 1, relu' ∈ {0, 1} at every float ------------------------------------

def _naive_sigmoid_prime(z):
    # the textbook form e^{-z}/(1 + e^{-z})², which the tool must not use
    e = np.exp(-z)
    return e / (1.0 + e) ** 2


#: overflow, 0/0 and division by zero are errors; underflow to 0 is the right answer
STRICT = dict(over="raise", invalid="raise", divide="raise", under="ignore")
#: the activation table promises finite values free of overflow warnings up to this |z|
WARNING_FREE = 1e4


def sigmoid_prime_violations(f, zs) -> list:
    """The z where f(z) is not a finite value in [0, 1/4] or raises an overflow warning."""
    bad = []
    for z in zs:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                with np.errstate(**STRICT):
                    v = float(np.asarray(f(np.float64(z))))
            except (FloatingPointError, RuntimeWarning, OverflowError):
                bad.append(z)
                continue
        if not (np.isfinite(v) and 0.0 <= v <= 0.25):
            bad.append(z)
    return bad


@settings(max_examples=300)
@given(z=every_float())
@example(z=1e-9)
@example(z=-1e-9)
@example(z=-357.0)
@example(z=-1e308)
@example(z=5e-324)
def test_sigmoid_prime_at_most_a_quarter_at_every_float(z):
    assert sigmoid_prime_violations(get_activation("sigmoid").numpy_derivative, [z]) == []


def test_the_naive_sigmoid_prime_is_caught():
    # the same check fails the textbook form: one ulp above 1/4 near 1e-9, overflow below −356
    bad = sigmoid_prime_violations(_naive_sigmoid_prime, [1e-9, -357.0, 0.0, 3.0])
    assert bad == [1e-9, -357.0]
    assert _naive_sigmoid_prime(1e-9) > 0.25


def supremum_violations(f, zs, sup: float, dtype) -> list:
    """The z where f(z) (one call on the whole array, as the layer loop calls it, and one on
    each scalar) is not a finite value in [0, sup], or warns of overflow up to |z| = 1e4."""
    zs = np.asarray(zs, dtype=dtype)
    with np.errstate(**STRICT), warnings.catch_warnings():
        warnings.simplefilter("error")
        calm = np.abs(zs) <= WARNING_FREE
        vector = np.asarray(f(zs[calm]))
        scalars = [np.asarray(f(z)) for z in zs[calm]]
    with np.errstate(all="ignore"):
        far = np.asarray(f(zs[~calm]))
    bad = []
    for z, v in list(zip(zs[calm], vector)) + list(zip(zs[calm], scalars)) + list(zip(zs[~calm], far)):
        if v.dtype != dtype or not (np.isfinite(v) and 0.0 <= v <= sup):
            bad.append(float(z))
    return bad


NEAR_ZERO = [k * 10.0 ** -e for e in range(1, 30) for k in (1, -1, 3, -7)]


@settings(max_examples=300)
@given(z=st.lists(every_float(), min_size=1, max_size=8))
@example(z=[0.0, 1e-9, -1e-9, -800.0, 1e308] + NEAR_ZERO)
def test_tanh_prime_at_most_one_at_every_float(z):
    for dtype in (np.float64, np.float32):
        with np.errstate(over="ignore"):
            zs = np.asarray(z).astype(dtype)
        assert supremum_violations(get_activation("tanh").numpy_derivative, zs, 1.0, dtype) == []


@settings(max_examples=300)
@given(z=st.lists(every_float(), min_size=1, max_size=8))
@example(z=[0.0, 1e-9, -1e-9, -357.0, 1e308, 5e-324] + NEAR_ZERO)
def test_sigmoid_prime_at_most_a_quarter_in_float64_and_float32_arrays(z):
    for dtype in (np.float64, np.float32):
        with np.errstate(over="ignore"):
            zs = np.asarray(z).astype(dtype)
        assert supremum_violations(get_activation("sigmoid").numpy_derivative, zs, 0.25, dtype) == []


def test_the_old_tanh_prime_is_caught():
    # 4e/(1 + e)², e = e^{-2|z|}, vectorised: one ulp above 1 near z = 1e-9
    def old(z):
        e = np.exp(-2.0 * np.abs(z))
        return 4.0 * e / (1.0 + e) ** 2
    assert supremum_violations(old, NEAR_ZERO + [1e-9], 1.0, np.float64) != []


@settings(max_examples=200)
@given(z=every_float())
@example(z=0.0)
@example(z=-0.0)
@example(z=5e-324)
def test_relu_prime_is_zero_or_one(z):
    v = float(get_activation("relu").numpy_derivative(np.float64(z)))
    assert v in (0.0, 1.0)
    assert v == (1.0 if z > 0 else 0.0)


@settings(max_examples=120)
@given(name=activation_names_st(), z=st.floats(allow_nan=False, allow_infinity=False),
       alpha=st.floats(-2, 2))
def test_every_numeric_derivative_within_its_proven_supremum(name, z, alpha):
    act = get_activation(name)
    with np.errstate(**(STRICT if abs(z) <= WARNING_FREE else dict(all="ignore"))):
        v = act.numpy_derivative(np.float64(z), alpha) if act.parameter is not None else \
            act.numpy_derivative(np.float64(z))
    assert abs(float(v)) <= _sup_upper(name, alpha) * (1 + 1e-15)


# --- the layer bound and the recurrence at high precision ------------------------------------

@lru_cache(maxsize=None)
def _supremum(name: str):
    return supremum(name)


def _sup_upper(name: str, alpha=None):
    """An upper bound of sup|σ'| as an mpf: the exact value, or the enclosure's top."""
    s = _supremum(name)
    if s.value is not None:
        value = s.value
        if value.free_symbols:
            value = value.xreplace({get_activation(name).parameter: sp.Float(alpha, 30)})
        return mpmath.mpf(sp.N(value, DIGITS))
    return s.enclosure[1]


def layer_bound_violations(d, params, inputs, grads, *, sups=None) -> list:
    """Layers l where |∂C/∂b_l| > |∂C/∂a_L| Π_{j>l} |w_j| Π_{j≥l} sup|σ_j'| (with rounding slack)."""
    net, L = d.network, d.L
    with mpmath.workdps(DIGITS + 10):
        z, a = mp_forward(d, params, inputs, digits=DIGITS)
        dC_da = abs(net.cost.mp_derivative(a[L], mpmath.mpf(inputs["y"])))
        bad = []
        bound = dC_da
        for l in range(L, 0, -1):
            act = net.sigma(l)
            s = sups(l) if sups else _sup_upper(act.name, params.get(f"alpha_{l}"))
            bound = bound * s
            if abs(grads[f"b_{l}"]) > bound * (1 + RTOL):
                bad.append(l)
            bound = bound * abs(mpmath.mpf(params[f"w_{l}"]))
    return bad


@settings(max_examples=25)
@given(data=st.data(), chain=chains(max_depth=30))
def test_layer_bound_holds_for_generated_chains(data, chain):
    d = derive(chain)
    params, inputs = data.draw(chain_points(chain))
    grads = mp_gradients(d, params, inputs, digits=DIGITS)
    assert layer_bound_violations(d, params, inputs, grads) == []


def _tight_point(L):
    """Nielsen's exploding case: w_j = 100, z_j = 0, where σ' = 1/4 = sup: the bound is tight."""
    params = {}
    for l in range(1, L + 1):
        params[f"w_{l}"] = 100
        params[f"b_{l}"] = "-50"  # a_0 = 1/2 and a_l = σ(0) = 1/2, so z_l = 100/2 − 50 = 0
    return params, {"a_0": "0.5", "y": "0"}


def test_layer_bound_is_tight_and_a_gradient_scaled_by_1_001_is_caught():
    d = derive(Chain(depth=6))
    params, inputs = _tight_point(6)
    grads = mp_gradients(d, params, inputs, digits=DIGITS)
    assert layer_bound_violations(d, params, inputs, grads) == []
    with mpmath.workdps(DIGITS):
        # equality: |∂C/∂b_1| = |a_6 − y| · 100^5 · (1/4)^6
        assert abs(grads["b_1"]) == mpmath.mpf("0.5") * 100 ** 5 / 4 ** 6
        scaled = dict(grads, b_3=grads["b_3"] * mpmath.mpf("1.001"))
    assert layer_bound_violations(d, params, inputs, scaled) == [3]
    # and a supremum understated by 1.001 is caught too
    assert layer_bound_violations(d, params, inputs, grads,
                                  sups=lambda l: mpmath.mpf("0.25") / mpmath.mpf("1.001")) \
        == [6, 5, 4, 3, 2, 1]


#: beyond this many digits the reference σ'(z_l) is not computed (only the bound is checked)
MAX_REFERENCE_DIGITS = 6000


def _reference_digits(name: str, z) -> int:
    """Digits that make the table's σ' formula exact to 40 digits at z: 1 − tanh²(z) loses
    about 0.87|z| digits to cancellation, GELU's Φ(z) near −∞ about 0.22 z²."""
    z = abs(float(z))
    return DIGITS + 20 + int(z) + (int(0.22 * z * z) if name == "gelu" else 0)


def ratio_violations(d, params, inputs, grads) -> list:
    """Layers l < L where ∂C/∂b_l ≠ σ_l'(z_l) w_{l+1} ∂C/∂b_{l+1} (the recurrence), σ_l'
    taken from the activation table's own formula at enough digits to be exact."""
    net = d.network
    bad = []
    with mpmath.workdps(DIGITS + 10):
        z, _ = mp_forward(d, params, inputs, digits=DIGITS)
    for l in range(1, d.L):
        act = net.sigma(l)
        with mpmath.workdps(DIGITS + 10):  # read as mp_gradients reads it
            w_next = mpmath.mpf(params[f"w_{l + 1}"])
            slope = params.get(f"alpha_{l}")
            slope = mpmath.mpf(slope) if slope is not None else None
        digits = _reference_digits(act.name, z[l])
        if digits > MAX_REFERENCE_DIGITS:
            # too far in a tail for the plain formula: |∂C/∂b_l| ≤ sup|σ'| |w_{l+1}| |∂C/∂b_{l+1}|
            if abs(grads[f"b_{l}"]) > _sup_upper(act.name, params.get(f"alpha_{l}")) \
                    * abs(w_next * grads[f"b_{l + 1}"]) * (1 + RTOL):
                bad.append(l)
            continue
        with mpmath.workdps(digits):
            s_l = act.mp_derivative(z[l], slope) if act.parameter is not None \
                else act.mp_derivative(z[l])
            expected = s_l * w_next * grads[f"b_{l + 1}"]
            if abs(grads[f"b_{l}"] - expected) > RTOL * abs(expected) or \
                    (expected == 0) != (grads[f"b_{l}"] == 0):
                bad.append(l)
    return bad


@settings(max_examples=20)
@given(data=st.data(), chain=chains(max_depth=30))
def test_ratio_of_consecutive_bias_gradients_is_sigma_prime_times_w(data, chain):
    d = derive(chain)
    params, inputs = data.draw(chain_points(chain))
    grads = mp_gradients(d, params, inputs, digits=DIGITS)
    assert ratio_violations(d, params, inputs, grads) == []


def test_the_ratio_check_catches_a_gradient_scaled_by_1_001():
    d = derive(Chain(depth=5, activation="tanh"))
    params = {f"w_{l}": "0.7" for l in range(1, 6)} | {f"b_{l}": "0.1" for l in range(1, 6)}
    inputs = {"a_0": "0.3", "y": "0.9"}
    grads = mp_gradients(d, params, inputs, digits=DIGITS)
    assert ratio_violations(d, params, inputs, grads) == []
    scaled = dict(grads, b_2=grads["b_2"] * mpmath.mpf("1.001"))
    assert ratio_violations(d, params, inputs, scaled) == [1, 2]


# --- GELU's tanh approximation: the stable float forms against mpmath -------------------------

def _gelu_tanh_truth(z: float):
    """(σ, σ', |σ(2u)| + |z σ'(2u) 2u'|) at 50 digits from z(1 + tanh u)/2 written here."""
    with mpmath.workdps(50):
        x = mpmath.mpf(z)
        c, k = mpmath.sqrt(2 / mpmath.pi), mpmath.mpf(44715) / 10 ** 6
        u, du = c * (x + k * x ** 3), c * (1 + 3 * k * x ** 2)
        half = 1 / (1 + mpmath.exp(-2 * u))             # (1 + tanh u)/2, exact in the tails
        sech2 = 4 * half * (1 - half) if u < 0 else 1 / mpmath.cosh(u) ** 2
        rest = x * sech2 * du / 2
        return x * half, half + rest, abs(half) + abs(rest)


def test_gelu_tanh_stable_forms_within_4_ulp_of_mpmath():
    act = get_activation("gelu_tanh")
    special = [0.0, 1e-8, -1e-8, 21.0, -21.0, 30.0, -30.0, 100.0, -100.0, -21.2, -7.2, 1.4185]
    zs = np.array(sorted(set(np.linspace(-1e3, 1e3, 401).tolist() + np.linspace(-30, 30, 1201)
                          .tolist() + special)))
    with np.errstate(**STRICT):
        values, slopes = act.numpy(zs), act.numpy_derivative(zs)
    ulp, tiny = 2.0 ** -52, np.finfo(np.float64).tiny
    for z, v, d in zip(zs, values, slopes):
        a, g, scale = _gelu_tanh_truth(z)
        for got, want, size in ((v, a, abs(a)), (d, g, scale)):
            if abs(want) >= tiny:          # a normal float: within 4 ulp
                assert abs(got - want) <= 4 * ulp * size, (z, got, want)
            elif abs(want) < 2.0 ** -1075:  # underflows: exactly 0
                assert got == 0, (z, got, want)
            else:                          # subnormal: within a few of its ulp 2^-1074
                assert abs(got - want) <= 4 * 2.0 ** -1074 + 4 * ulp * size, (z, got, want)


def test_gelu_tanh_stable_forms_are_finite_far_out_and_keep_float32():
    act = get_activation("gelu_tanh")
    far = np.array([1e200, -1e200, 1e308, -1e308])
    with np.errstate(**STRICT):              # z³ would overflow: no warning, no inf·0
        assert act.numpy(far).tolist() == [1e200, 0.0, 1e308, 0.0]
        assert act.numpy_derivative(far).tolist() == [1.0, 0.0, 1.0, 0.0]
        z32 = np.array([-12.0, -3.0, 0.0, 1.4185, 40.0], dtype=np.float32)
        v32, d32 = act.numpy(z32), act.numpy_derivative(z32)
    assert v32.dtype == d32.dtype == np.float32
    np.testing.assert_allclose(d32, act.numpy_derivative(z32.astype(np.float64)), rtol=4e-7,
                               atol=1e-45)
    # the complex step: the numpy forms are analytic
    h = 1e-30
    pts = np.array([-3.0, -0.5, 0.25, 1.4185, 4.0])
    np.testing.assert_allclose(act.numpy(pts + 1j * h).imag / h, act.numpy_derivative(pts),
                               rtol=1e-14)
