"""symgrad.jax: JAX parameter pytrees and Flax models checked in one call.

Correct gradients pass in float32 (JAX's default) and float64 (``jax_enable_x64``), at depths
2 and 30 and with Flax's transposed kernels; a JAX function that takes ``jax.nn.gelu``'s
default (the tanh approximation) checked as exact GELU fails with that hint; a mean declared
as a sum fails with the factor; a bug injected through ``jax.custom_vjp`` fails at its layer.
"""
from __future__ import annotations

import functools
import os
import warnings

import numpy as np
import pytest

from symgrad.errors import UsageError

if os.environ.get("CI"):
    import jax
else:
    jax = pytest.importorskip("jax", reason="JAX is not installed (pip install jax)")
import jax.numpy as jnp                                             # noqa: E402

from symgrad.jax import check_flax, check_params                   # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Explicitly requested dtype")


def point(widths, N=4, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    params = {}
    for l, (a, b) in enumerate(zip(widths, widths[1:]), 1):
        params[f"W_{l}"] = rng.normal(0, scale / np.sqrt(a), (b, a))
        params[f"b_{l}"] = rng.normal(0, 1, b)
    return params, rng.normal(size=(N, widths[0])), rng.uniform(0.05, 0.95, (N, widths[-1]))


def test_three_lines_in_float32_and_float64():
    params, x, y = point([3, 5, 2])
    report = check_params(params, "tanh", x, y, "quadratic")
    assert report.passed and report.dtype == "float32"       # x64 off: JAX's float32
    with jax.enable_x64(True):
        report = check_params(params, "tanh", x, y, "quadratic")
    assert report.passed and report.dtype == "float64"


def test_depth_6_with_a_users_apply_function():
    widths = [4] + [6] * 5 + [2]                    # depth 30: benchmarks/frameworks.py
    params, x, y = point(widths, N=3)
    pairs = [(params[f"W_{l}"], params[f"b_{l}"]) for l in range(1, 7)]

    def apply(p, x):
        for W, b in p[:-1]:
            x = jnp.tanh(x @ W.T + b)
        W, b = p[-1]
        return x @ W.T + b

    with jax.enable_x64(True):
        report = check_params(pairs, ["tanh"] * 5 + ["linear"], x, y, "mse", apply_fn=apply)
    assert report.passed and max(report.layers) == 6


def test_gelu_default_checked_as_exact_gelu_fails_with_the_hint():
    params, x, y = point([3, 6, 2])

    def apply(p, x):                                     # jax.nn.gelu: approximate=True
        return jax.nn.gelu(x @ p["W_1"].T + p["b_1"]) @ p["W_2"].T + p["b_2"]

    with jax.enable_x64(True):
        assert check_params(params, ["gelu_tanh", "linear"], x, y, "mse", apply_fn=apply)
        with pytest.raises(AssertionError) as caught:
            check_params(params, ["gelu", "linear"], x, y, "mse", apply_fn=apply)
    assert "likely cause: the numbers match the tanh approximation of GELU" in str(caught.value)


def test_a_mean_declared_as_a_sum_fails_with_the_factor():
    params, x, y = point([3, 4, 3])

    def loss(p, x, y):
        a = jax.nn.sigmoid(x @ p["W_1"].T + p["b_1"]) @ p["W_2"].T + p["b_2"]
        return jnp.mean((a - y) ** 2)

    with jax.enable_x64(True):
        assert check_params(params, ["sigmoid", "linear"], x, y, loss, cost="mse")
        with pytest.raises(AssertionError, match="1/12 times the reference: a mean over the "
                                                 "N·n_L = 4·3 = 12 samples and outputs"):
            check_params(params, ["sigmoid", "linear"], x, y, loss, cost="squared-error")


def test_a_bug_through_custom_vjp_is_named_at_its_layer():
    @jax.custom_vjp
    def sigmoid(z):
        return jax.nn.sigmoid(z)

    sigmoid.defvjp(lambda z: (sigmoid(z), z), lambda z, g: (g,))     # σ' forgotten

    def apply(p, x):
        h = jax.nn.sigmoid(x @ p["W_1"].T + p["b_1"])
        h = sigmoid(h @ p["W_2"].T + p["b_2"])                         # layer 2 only
        return jax.nn.sigmoid(h @ p["W_3"].T + p["b_3"])

    params, x, y = point([3, 4, 4, 2])
    with jax.enable_x64(True):
        report = check_params(params, "sigmoid", x, y, "quadratic", apply_fn=apply,
                              raise_on_failure=False)
    assert not report.passed
    first = report.failures[0]
    assert (first.name, first.layer, first.where.split("[")[0]) == ("b_2", 2, "b_2")
    assert all(e.ok for e in report.entries if e.layer == 3)


def test_grads_from_anywhere_and_names_and_shapes():
    params, x, y = point([3, 4, 2])
    with jax.enable_x64(True):
        grads = check_params(params, "tanh", x, y, "quadratic").blocks
        by_name = {b.name: b.actual for b in grads}
    assert check_params(params, "tanh", x, y, "quadratic", grads=by_name).passed
    in_order = [(by_name["W_1"], by_name["b_1"]), (by_name["W_2"], by_name["b_2"])]
    assert check_params(params, "tanh", x, y, "quadratic", grads=in_order).passed
    with pytest.raises(UsageError, match=r"^grads\['dC/dW_2'\]: not a parameter name; did "
                                         r"you mean 'W_2'\?"):
        check_params(params, "tanh", x, y, "quadratic",
                     grads={**by_name, "dC/dW_2": by_name.pop("W_2")})
    with pytest.raises(UsageError, match=r"^grads\['W_1'\]: expected 4×3 \(n_1 × n_0, z = W "
                                         r"a \+ b\), got 3×4: transposed\?$"):
        check_params(params, "tanh", x, y, "quadratic",
                     grads=dict(by_name, W_2=np.zeros((2, 4)), W_1=np.zeros((3, 4))))


# --- Flax -----------------------------------------------------------------------------------------

@pytest.fixture
def nn():
    """flax.linen, or a skip (a failure under CI)."""
    if os.environ.get("CI"):
        import flax.linen
        return flax.linen
    return pytest.importorskip("flax.linen", reason="Flax is not installed (pip install flax)")


def flax_model(act, seed=0):
    """nn.Sequential([Dense(5), act, Dense(5), act, Dense(3)]) on 4 inputs, its variables
    drawn here (model.init would compile every operation: seconds for nothing)."""
    import flax.linen as nn
    model = nn.Sequential([nn.Dense(5), act, nn.Dense(5), act, nn.Dense(3)])
    rng = np.random.default_rng(seed)
    params = {f"layers_{2 * k}": {"kernel": jnp.asarray(rng.normal(0, 0.5, (a, b))),
                                  "bias": jnp.asarray(rng.normal(0, 1, b))}
              for k, (a, b) in enumerate([(4, 5), (5, 5), (5, 3)])}
    return model, {"params": params}


def test_flax_sequential_passes_with_transposed_kernels(nn):
    model, variables = flax_model(nn.tanh)
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(6, 4)), np.array([0, 2, 1, 1, 0, 2])
    report = check_flax(model, variables, x, labels, "softmax-cross-entropy", reduction="mean")
    assert report.passed and report.dtype == "float32"
    assert report.network.widths == (4, 5, 5, 3)
    assert "params['layers_0']['kernel'][3, 4]" in {e.where for e in report.entries}


def test_flax_gelu_default_is_the_tanh_approximation(nn):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(3, 4)), rng.uniform(size=(3, 3))
    with jax.enable_x64(True):
        model, variables = flax_model(nn.gelu)                       # approximate=True
        assert check_flax(model, variables, x, y, "quadratic").network.sigma(1).name == \
            "gelu_tanh"
        with pytest.raises(AssertionError) as caught:
            check_flax(model, variables, x, y, "quadratic",
                       activations=["gelu", "gelu", "linear"])
        exact, v = flax_model(functools.partial(nn.gelu, approximate=False))
        assert check_flax(exact, v, x, y, "quadratic").network.sigma(1).name == "gelu"
    message = str(caught.value)
    assert "likely cause: the numbers match the tanh approximation of GELU" in message
    assert "params['layers_2']" in message


def test_flax_refusals_are_one_line(nn):

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(2)(jnp.sin(nn.Dense(3)(x)))

    variables = {"params": {"Dense_0": {"kernel": jnp.ones((2, 3)), "bias": jnp.zeros(3)},
                            "Dense_1": {"kernel": jnp.ones((3, 2)), "bias": jnp.zeros(2)}}}
    x, y = np.ones((2, 2)), np.zeros((2, 2))
    with pytest.raises(UsageError, match=r"^activations=None: a Net module's forward cannot "
                                         r"be read; give activations="):
        check_flax(Net(), variables, x, y, "quadratic")
    model = nn.Sequential([nn.Dense(3), jnp.sin, nn.Dense(2)])
    with pytest.raises(UsageError, match=r"^activation=sin: symgrad maps sigmoid, tanh"):
        check_flax(model, variables, x, y, "quadratic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(UsageError, match=r"^variables: must hold 'params'"):
            check_flax(model, {}, x, y, "quadratic")


# --- JAX's own derivatives: what is rounding, what is a convention ------------------------------

@pytest.mark.parametrize("name", ["elu", "selu"])
def test_jax_expm1_plus_one_is_unstable_with_its_fix(name):
    """JAX differentiates expm1 as expm1(z) + 1: elu'(−100) comes out 0 where e^{−100} is a
    float64 number.  That is the textbook form losing digits (unstable), not a bug."""
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from tests.implementations import jax_autograd
    from symgrad.model.network import Chain
    from symgrad.oracle import compare_gradients
    net = Chain(depth=2, activation=name)
    params, inputs = {"w_1": 1.0, "b_1": -100.5, "w_2": 1.0, "b_2": 0.25}, {"a_0": 0.5, "y": 0.0}
    got = jax_autograd(net, params, inputs)
    result = compare_gradients({n: float(got[n]) for n in net.parameter_names()}, net, params,
                               inputs)
    assert float(got["b_1"]) == 0.0 and result.verdict == "unstable"
    assert [e.name for e in result.entries if e.verdict == "unstable"] == ["b_1", "w_1"]
    assert "expm1(z) + 1" in result.entries[-1].note
    # at z = −3, where expm1(z) + 1 keeps its digits, a thousandth off is a bug
    params = dict(params, b_1=-3.25)
    got = jax_autograd(net, params, inputs)
    values = {n: float(got[n]) for n in net.parameter_names()}
    assert compare_gradients(values, net, params, inputs).verdict == "pass"
    values["b_1"] *= 1.001
    assert compare_gradients(values, net, params, inputs).verdict == "fail"


def test_jax_leaky_relu_takes_the_right_branch_at_its_kink():
    """jax.nn.leaky_relu is jnp.where(x >= 0, x, slope·x): at z = 0 exactly its derivative
    is 1, the right branch; judged with kink="right" it passes, with "left" it fails."""
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from tests.implementations import jax_autograd
    from symgrad.model.network import Chain
    from symgrad.oracle import compare_gradients
    net = Chain(depth=2, activation="leaky_relu")
    params, inputs = {"w_1": 2.0, "b_1": -1.0, "w_2": 1.5, "b_2": 0.25}, {"a_0": 0.5, "y": 0.0}
    got = jax_autograd(net, params, inputs)
    values = {n: float(got[n]) for n in net.parameter_names()}
    assert compare_gradients(values, net, params, inputs, kink="right").verdict == "pass"
    assert compare_gradients(values, net, params, inputs, kink="left").verdict == "fail"


def test_check_params_judges_kinks_on_jax_s_own_branches():
    """A unit exactly at its kink (x = 1, b = −Σ W): jax.grad of jax.nn.leaky_relu takes the
    right branch, of jax.nn.relu the left; check_params knows, and kink= overrides."""
    from symgrad.jax import jax_kinks
    from symgrad.model.network import Dense
    assert jax_kinks(Dense([2, 3, 3, 1], ["leaky_relu", "relu", "linear"])) == \
        ("right", "left", "left")
    params, x, y = point([3, 4, 2], N=2)
    x = np.ones_like(x)
    params["W_1"][0] = [0.5, -1.25, 0.25]            # z^1_1 = 0.5 − 1.25 + 0.25 + 0.5 = 0
    params["b_1"][0] = 0.5
    with jax.enable_x64(True):
        for act in ("leaky_relu", "relu"):
            assert check_params(params, [act, "linear"], x, y, "quadratic").passed
        other = check_params(params, ["leaky_relu", "linear"], x, y, "quadratic", kink="left",
                             raise_on_failure=False)
    assert other.verdict == "fail"
