"""The framework-free layer of the adapters: reading arrays (symgrad.arrays), checking them
(symgrad.arraycheck), the report (symgrad.report) and the likely causes (symgrad.hints).

NumPy only: a hand-written dense backprop (tests/implementations.DenseBackprop) passes in
float64 and in float32 at float32's tolerance (also as a list of 0-d float32 numbers in layer
order), fails as float64, and a 0.1% error in one layer fails with that layer named first.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from symgrad.arraycheck import (Loss, check_gradients, declared_loss, network_for,
                                reference_arrays)
from symgrad.arrays import (batch, dtype_name, exact_array, named_arrays, parameter_array,
                            resolve_name, widths_from)
from symgrad.errors import UsageError
from symgrad.hints import describe_factor
from symgrad.model.network import Chain, Dense
from tests.implementations import DenseBackprop


def point(widths, N=3, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for l, (a, b) in enumerate(zip(widths, widths[1:]), 1):
        params[f"W_{l}"] = rng.normal(0, 1 / np.sqrt(a), (b, a))
        params[f"b_{l}"] = rng.normal(0, 1, b)
    return params, rng.normal(size=(N, widths[0])), rng.uniform(0.05, 0.95, (N, widths[-1]))


# --- names, shapes, dtypes, exact values ------------------------------------------------------------

@pytest.mark.parametrize("key, meant", [
    ("dC/dw_3", "W_3"), ("W3", "W_3"), ("weight_3", "W_3"), ("grad_W_2", "W_2"),
    ("dW1", "W_1"), ("db_2", "b_2"), ("bias2", "b_2"), ("kernel_1", "W_1"), ("W[2]", "W_2"),
    ("w_2", "W_2"),                     # w_l is a chain's name; a dense network says W_l
])
def test_near_misses_get_did_you_mean(key, meant):
    expected = (f"grads[{key!r}]: not a parameter name; did you mean '{meant}'? this network "
                "has W_l, b_l for l = 1..3")
    with pytest.raises(UsageError, match="^" + re.escape(expected) + "$"):
        resolve_name(Dense([4, 8, 8, 2]), key)


def test_names_out_of_range_and_slopes():
    net = Dense([4, 8, 2])
    with pytest.raises(UsageError, match=r"layers count from 1 \(W_1 joins the input"):
        resolve_name(net, "W_0")
    with pytest.raises(UsageError, match=r"this network has 2 layers: W_l, b_l for l = 1..2"):
        resolve_name(net, "b_3")
    with pytest.raises(UsageError, match=r"layer 1 has no learned slope"):
        resolve_name(net, "alpha_1")
    chain = Chain(depth=3, activation="prelu")
    assert [resolve_name(chain, k) for k in ("W_2", "w_2", "alpha_3")] == ["w_2", "w_2",
                                                                          "alpha_3"]
    with pytest.raises(UsageError, match=r"^grads\['W_2'\]: w_2 is given twice \(as 'w_2' too\)"):
        named_arrays(chain, {"w_2": 1.0, "W_2": 1.0})


def test_shapes_name_what_went_wrong():
    net = Dense([4, 8, 2])
    with pytest.raises(UsageError, match=r"^g: expected 8×4 \(n_1 × n_0, z = W a \+ b\), got "
                                         r"4×8: transposed\?$"):
        parameter_array(net, "W_1", np.zeros((4, 8)), "g")
    with pytest.raises(UsageError, match=r"^g: expected 2×8 .*, got 2×4: layer 1 has 8 units$"):
        parameter_array(net, "W_2", np.zeros((2, 4)), "g")
    assert parameter_array(net, "b_1", np.zeros((8, 1)), "g").shape == (8,)   # a column
    assert parameter_array(Chain(depth=2), "w_1", 0.5, "g").shape == (1, 1)   # a number


def test_dtypes_are_the_coarsest_and_lists_of_float32_numbers_are_float32():
    assert dtype_name([np.array(1.0, dtype=np.float32), np.array(2.0, dtype=np.float32)]) \
        == "float32"
    assert dtype_name({"W_1": np.zeros(2, np.float16), "b_1": np.zeros(2)}) == "float16"
    assert dtype_name([1, "0.5"]) is None and dtype_name(0.5) == "float64"


def test_values_are_read_exactly():
    assert exact_array(np.float32(0.1), "w").item() == 0.100000001490116119384765625
    with pytest.raises(UsageError, match=r"^grads\['W_1'\]\[1\]=nan: must be a finite number$"):
        exact_array([0.0, float("nan")], "grads['W_1']")
    ml_dtypes = pytest.importorskip("ml_dtypes")
    b16 = np.array([1 / 3], dtype=ml_dtypes.bfloat16)
    assert exact_array(b16, "x").item() == 0.333984375 and dtype_name(b16) == "bfloat16"


def test_widths_inputs_and_class_labels():
    params, x, _ = point([3, 5, 2])
    assert widths_from(params, x) == (3, 5, 2)
    assert widths_from([(params["W_1"], params["b_1"]), (params["W_2"], params["b_2"])], x) \
        == (3, 5, 2)
    with pytest.raises(UsageError, match=r"^params\['weights1'\]: not a parameter name; did "
                                         r"you mean 'W_1'\?"):
        widths_from({"weights1": 1, "b_1": [0]}, x)
    net = Dense([3, 5, 4], "tanh", "softmax-cross-entropy", samples=3)
    xs, ys = batch(net, x, [3, 0, 1])
    assert ys.tolist() == [[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]
    with pytest.raises(UsageError, match=r"^targets=\[3.0, 0.0, 7.0\]: class indices must be "
                                         r"integers from 0 to 3$"):
        batch(net, x, [3, 0, 7])
    with pytest.raises(UsageError, match=r"^inputs: expected 3×3 \(N samples × n_0\), got 3×2$"):
        batch(net, x[:, :2], [3, 0, 1])


# --- the declared loss -------------------------------------------------------------------------------

def test_declared_losses():
    assert declared_loss("mse") == Loss("squared-error", "mean", "mse")
    assert declared_loss("sse").cost == "squared-error"
    with pytest.raises(UsageError, match=r"^reduction='sum': 'mse' is a mean; for the sum "
                                         r"declare 'squared-error'$"):
        declared_loss("mse", "sum")
    with pytest.raises(UsageError, match=r"^reduction='avg': must be 'sum' or 'mean'$"):
        declared_loss("quadratic", "avg")
    ce = declared_loss("softmax-cross-entropy", "mean")
    net = network_for((3, 4), "linear", ce, samples=5)
    assert ce.divisor(net) == 5 and net.sigma(1).name == "softmax"
    assert declared_loss("mse").divisor(network_for((3, 4), "tanh", declared_loss("mse"), 5)) \
        == 20


def test_the_reference_is_exact_and_keyed_by_the_networks_names():
    net = Dense([1, 1], "linear", "squared-error")              # one unit: a chain, w_1
    ref = reference_arrays(net, {"W_1": np.array([[0.5]]), "b_1": np.array([0.25])},
                           np.array([[2.0]]), np.array([[0.0]]))
    # z = 1.25, C = z², dC/dW = 2 z a_0 = 5, dC/db = 2 z = 2.5
    assert (float(ref["w_1"][0, 0]), float(ref["b_1"][0]), float(ref["cost"])) == \
        (5.0, 2.5, 1.5625)


# --- checking a hand-written backprop --------------------------------------------------------------

def backprop(widths, activation="tanh", dtype=np.float64, seed=0, N=3):
    params, x, y = point(widths, N, seed)
    net = Dense(widths, activation, samples=N)
    p = {k: v.astype(dtype) for k, v in params.items()}
    grads = DenseBackprop(net, dtype)(p, x.astype(dtype), y.astype(dtype))
    return p, x.astype(dtype), y.astype(dtype), {k: v.astype(dtype) for k, v in grads.items()}


def test_a_correct_numpy_backprop_passes_in_float64_and_float32():
    p, x, y, g = backprop([3, 5, 4, 2])
    assert check_gradients(p, "tanh", x, y, "quadratic", g).dtype == "float64"
    p, x, y, g = backprop([3, 5, 4, 2], dtype=np.float32)
    report = check_gradients(p, "tanh", x, y, "quadratic", g)
    assert report.passed and report.dtype == "float32"
    with pytest.raises(AssertionError, match="float64, stable forms"):
        check_gradients(p, "tanh", x, y, "quadratic", g, dtype="float64")


def test_a_chain_as_a_list_of_float32_numbers_in_layer_order():
    p, x, y, g = backprop([1, 1, 1, 1], dtype=np.float32, N=1)
    in_order = {"w": [g[f"W_{l}"].reshape(()) for l in (1, 2, 3)],
                "b": [g[f"b_{l}"].reshape(()) for l in (1, 2, 3)]}
    report = check_gradients(p, "tanh", x, y, "quadratic", in_order)
    assert report.passed and report.dtype == "float32" and report.network.is_chain


def test_a_one_layer_error_fails_with_that_layer_first():
    p, x, y, g = backprop([3, 5, 4, 2])
    g["b_2"] = g["b_2"] * 1.001                      # the error enters at b_2
    report = check_gradients(p, "tanh", x, y, "quadratic", g, raise_on_failure=False)
    lines = report.message().splitlines()
    assert lines[0].startswith("gradients differ from the reference at 4 of 54 values")
    assert lines[1] == "per layer, output first:"
    assert lines[2].startswith("  layer 3  W_3, b_3 (tanh): 0 of 10 differ")
    assert lines[3].startswith("  layer 2  W_2, b_2 (tanh): 4 of 24 differ")
    assert lines[3].endswith("<- the first disagreement, in backpropagation order")
    assert lines[5].startswith("first, in backpropagation order:")
    assert lines[6].startswith("  b_2[0] (layer 2): expected ") and lines[6].endswith(": fail")
    assert not report.hints                          # one layer: no common factor


def test_a_mean_checked_as_a_sum_names_the_factor():
    p, x, y, g = backprop([3, 5, 4, 3], N=4)
    halved = {k: v / 12 * 2 for k, v in g.items()}   # (1/(N n_L)) Σ (a − y)², MSELoss's mean
    assert check_gradients(p, "tanh", x, y, "mse", halved).passed
    with pytest.raises(AssertionError) as caught:
        check_gradients(p, "tanh", x, y, "quadratic", halved)
    assert ("likely cause: every gradient is 0.1667 = 1/6 times the reference: a mean over "
            "the N·n_L = 4·3 = 12 samples and outputs where a sum is declared") in \
        str(caught.value)
    assert "and (a − y)² without the ½ where ½(a − y)² is declared" in str(caught.value)


def test_factors_are_described():
    net = Dense([3, 4, 5], "tanh", "quadratic", samples=2)
    assert describe_factor(-1.0, net, 1e-3).endswith("the sign is flipped (∂C/∂a_L = y − a_L?)")
    assert "(a − y)² without the ½" in describe_factor(2.0, net, 1e-3)
    assert "a sum where the mean over the N·n_L = 2·5 = 10" in \
        describe_factor(10.0, net, 1e-3, "mean")
    assert describe_factor(3.7, net, 1e-3).endswith("(a reduction, a ½, a learning rate?)")
    ce = Dense([3, 4], "linear", "softmax-cross-entropy", samples=6)
    assert "a mean over the N = 6 samples where a sum is declared (nn.CrossEntropyLoss" in \
        describe_factor(1 / 6, ce, 1e-3)
