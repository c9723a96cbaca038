"""The high-precision arithmetic: MPFR numbers read exactly, converted back exactly, far beyond
float64's exponent range; and two independent high-precision evaluations (the printed closed
forms and the reverse-mode reference) agree to the digits asked for, for every activation."""
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from symgrad import Chain, activation_names, derive
from symgrad.numeric import mp_gradients, random_point, reference_gradients
from symgrad.numeric.highprec import to_mpf, to_mpfr, to_mpfr_exact, working

gmpy2 = pytest.importorskip("gmpy2")


def test_values_are_read_exactly_and_come_back_exactly():
    with working(40):
        tenth = to_mpfr("0.1")
        with mpmath.workdps(40):
            assert to_mpf(tenth) == mpmath.mpf("0.1")        # correctly rounded, both ways
            assert to_mpf(to_mpfr(Fraction(1, 3))) == mpmath.mpf(1) / 3
        assert to_mpfr(0.1) == gmpy2.mpfr(0.1, 53)           # a float is exact
    huge = gmpy2.mul_2exp(gmpy2.mpfr(3, 10), -100000)       # far below float64's range
    assert to_mpf(huge) == mpmath.ldexp(3, -100000)
    assert to_mpfr_exact(to_mpf(huge)) == huge
    assert to_mpfr_exact(1e-300).precision == 53


def test_tiny_gradients_survive_at_depth_300():
    d = derive(Chain(depth=300))
    params = {n: (3.0 if n.startswith("w") else -40.0) for n in d.parameter_names()}
    g = mp_gradients(d, params, {"a_0": 0.5, "y": 1.0}, digits=30)
    assert g["b_1"] != 0 and mpmath.log10(abs(g["b_1"])) < -5000   # σ'(−40) ≈ 4e-18 a layer


@pytest.mark.parametrize("activation", activation_names())
def test_closed_forms_and_reference_agree_to_45_digits(activation):
    d = derive(Chain(depth=12, activation=activation))
    rng = np.random.default_rng(7)
    for _ in range(2):
        params, inputs = random_point(d.network, rng, saturate=0.3)
        params["b_2"] = "0.1"  # a decimal string, read exactly at the working precision
        closed = mp_gradients(d, params, inputs, digits=45)
        ref = reference_gradients(d.network, params, inputs, digits=45)
        for name in d.parameter_names():
            v, r = closed[name], ref[name].value
            assert v == r or abs(v - r) <= mpmath.mpf(10) ** -45 * abs(r), (name, v, r)
