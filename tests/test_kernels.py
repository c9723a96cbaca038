"""The two arithmetic kernels of the high-precision recurrence agree to the last bit."""
import mpmath
import numpy as np
import pytest

from symgrad import Chain, activation_names, derive
from symgrad.numeric.chain import (_MPMATH, _kernel_for, _mp_backward, _mp_layers, mp_gradients,
                             mp_point, random_point)

gmpy2 = pytest.importorskip("gmpy2")


@pytest.mark.parametrize("activation", activation_names())
def test_mpfr_kernel_equals_mpmath_kernel(activation):
    d = derive(Chain(depth=12, activation=activation))
    rng = np.random.default_rng(7)
    for _ in range(3):
        params, inputs = random_point(d, rng, saturate=0.3)
        params["b_2"] = "0.1"  # a decimal string, read exactly at the working precision
        fast = mp_gradients(d, params, inputs, digits=40)
        with mpmath.workdps(50):
            assert _kernel_for(d) is not _MPMATH
            p = mp_point(d, params, inputs)
            slow = _mp_backward(d, p, *_mp_layers(d, p, p["a_0"]))
            for name in slow:
                assert fast[name] == slow[name] or abs(fast[name] - slow[name]) <= \
                    mpmath.mpf(10) ** -48 * abs(slow[name]), name


def test_mpfr_kernel_keeps_tiny_gradients():
    d = derive(Chain(depth=1000))
    params = {n: (3.0 if n.startswith("w") else -40.0) for n in d.parameter_names()}
    g = mp_gradients(d, params, {"a_0": 0.5, "y": 1.0}, digits=30)
    assert g["b_1"] != 0 and mpmath.log10(abs(g["b_1"])) < -10000
