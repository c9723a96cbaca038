"""symgrad.torch: a PyTorch model checked in one call.

Correct models pass at depths 2-30 and at 784,30,30,10 in float64, float32 and bfloat16;
every activation and loss module maps; each mutant of the oracle's mutation suite
(tests/implementations.py), applied to a real model through hooks, fails with the module
where the error enters named; a mean loss passes as a mean and fails as a sum with the
factor named; GELU's tanh approximation passes as what it is and, checked as exact GELU,
fails with the hint; what cannot be mapped is one line naming the module.
"""
from __future__ import annotations

import os

import pytest

from symgrad.errors import UsageError

if os.environ.get("CI"):
    import torch
else:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")
import torch.nn as nn                                     # noqa: E402
import torch.nn.functional as F                           # noqa: E402

from symgrad.torch import check_module, map_module, reference_for_module  # noqa: E402


def data(n0, nL, N=4, seed=0, dtype=torch.float64, labels=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, n0, generator=g, dtype=dtype)
    y = torch.randint(0, nL, (N,), generator=g) if labels else \
        torch.rand(N, nL, generator=g, dtype=dtype)
    return x, y


def mlp(widths, act=nn.Sigmoid, out=None, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    mods = []
    for l, (a, b) in enumerate(zip(widths, widths[1:]), 1):
        mods.append(nn.Linear(a, b))
        last = l == len(widths) - 1
        if not last or out is not None:
            mods.append((out if last else act)())
    return nn.Sequential(*mods).to(dtype)


# --- correct models pass -------------------------------------------------------------------------

def test_three_lines():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    x, y = data(4, 3)
    report = check_module(model, x, y, nn.MSELoss())
    assert report.passed and report.count == 8 * 4 + 8 + 3 * 8 + 3
    assert report.dtype == "float64" and "MSELoss(reduction='mean')" in report.loss_text
    assert "scaled by 1/12" in report.loss_text            # N·n_L = 4·3


@pytest.mark.parametrize("depth, width, act, dtype", [
    (2, 3, nn.Sigmoid, torch.float64), (5, 6, nn.Tanh, torch.float32),
    (8, 4, nn.ReLU, torch.float64), (12, 5, nn.SiLU, torch.float32),
])
def test_depths_pass(depth, width, act, dtype):
    model = mlp([3] + [width] * (depth - 1) + [2], act, dtype=dtype)
    x, y = data(3, 2, dtype=dtype)
    assert check_module(model, x, y, nn.MSELoss(reduction="sum")).passed


def test_depth_30_passes_in_float32_and_float64():
    for dtype in (torch.float64, torch.float32):
        model = mlp([4] + [6] * 29 + [2], nn.Tanh, dtype=dtype)
        x, y = data(4, 2, N=3, dtype=dtype)
        report = check_module(model, x, y, nn.MSELoss())
        assert report.passed and report.dtype == str(dtype).replace("torch.", "")
        assert max(report.layers) == 30


def test_784_30_30_10_float32_cross_entropy():
    model = mlp([784, 30, 30, 10], nn.Sigmoid, dtype=torch.float32)
    x, y = data(784, 10, N=2, dtype=torch.float32, labels=True)
    report = check_module(model, x, y, nn.CrossEntropyLoss())
    assert report.passed and report.count == 784 * 30 + 30 + 30 * 30 + 30 + 30 * 10 + 10
    assert "scaled by 1/2" in report.loss_text             # a mean over N = 2 samples


def test_every_activation_module_maps_and_passes():
    torch.manual_seed(3)
    acts = [nn.Sigmoid(), nn.Tanh(), nn.ReLU(), nn.LeakyReLU(), nn.Softplus(beta=2.0),
            nn.PReLU(), nn.ELU(), nn.Softplus(), nn.SELU(), nn.Softplus(),
            nn.Softplus(beta=2.0), nn.SiLU(), nn.GELU(), nn.GELU(approximate="tanh"),
            nn.Identity()]
    mods = []
    for act in acts:
        mods += [nn.Linear(3, 3), act]
    model = nn.Sequential(*mods, nn.Linear(3, 2)).double()
    x, y = data(3, 2)
    mapped = map_module(model, x, y, "quadratic")
    names = [a if isinstance(a, str) else a.name for a in
             (s.name for s in mapped.network.activations)]
    assert names[:4] == ["sigmoid", "tanh", "relu", "leaky_relu"]
    assert names[5] == "prelu" and names[8] == "selu" and names[12] == "gelu"
    assert names[4].startswith("custom:") and names[13] != "gelu"
    report = check_module(model, x, y, "quadratic")
    assert report.passed
    assert "model[11].weight[0]" in {e.where for e in report.entries}   # PReLU's slope


@pytest.mark.parametrize("act, expression", [
    (nn.LeakyReLU(0.2), "custom:Max(x/5, x)"), (nn.LeakyReLU(3.0), "custom:Min(x, 3*x)"),
    (nn.ELU(alpha=0.5), "custom:exp(Min(0, x))/2 + Max(0, x) - 1/2"),
])
def test_other_slopes_map_to_their_expressions(act, expression):
    model = nn.Sequential(nn.Linear(3, 4), act, nn.Linear(4, 2)).double()
    x, y = data(3, 2)
    assert map_module(model, x, y, nn.MSELoss()).network.sigma(1).name == expression


def test_other_slopes_pass():
    model = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 4),
                          nn.ELU(alpha=0.5), nn.Linear(4, 2)).double()
    x, y = data(3, 2)
    assert check_module(model, x, y, nn.MSELoss()).passed


@pytest.mark.parametrize("loss, out, labels", [
    (nn.MSELoss(), None, False), (nn.MSELoss(reduction="sum"), None, False),
    (nn.BCELoss(), nn.Sigmoid, False), (nn.BCELoss(reduction="sum"), nn.Sigmoid, False),
    (nn.BCEWithLogitsLoss(), None, False), (nn.CrossEntropyLoss(), None, True),
    (nn.CrossEntropyLoss(reduction="sum"), None, False),
])
def test_every_loss_module_passes(loss, out, labels):
    model = mlp([3, 5, 4], nn.Tanh, out=out)
    x, y = data(3, 4, labels=labels)
    if isinstance(loss, nn.CrossEntropyLoss) and not labels:
        y = torch.softmax(torch.randn(4, 4, dtype=torch.float64), dim=1)   # probabilities
    assert check_module(model, x, y, loss).passed


def test_bias_free_layers_nested_and_named_containers():
    from collections import OrderedDict
    torch.manual_seed(1)
    inner = nn.Sequential(OrderedDict(fc=nn.Linear(4, 3, bias=False), act=nn.Tanh()))
    model = nn.Sequential(nn.Flatten(), inner, nn.Linear(3, 2)).double()
    x, y = torch.randn(5, 2, 2, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    report = check_module(model, x, y, nn.MSELoss())
    assert report.passed
    places = {e.where.rsplit("[", 1)[0] for e in report.entries}
    assert places == {"model[1].fc.weight", "model[2].weight", "model[2].bias"}


# --- the declared loss: a mean is a mean -----------------------------------------------------------

def test_mse_mean_passes_once_declared_and_fails_as_a_sum():
    model = mlp([3, 5, 3], nn.Sigmoid)
    x, y = data(3, 3, N=4)
    assert check_module(model, x, y, nn.MSELoss()).passed                  # read off the module
    assert check_module(model, x, y, nn.MSELoss(), cost="mse").passed      # declared
    with pytest.raises(AssertionError) as caught:
        check_module(model, x, y, nn.MSELoss(), cost="squared-error")      # declared a sum
    message = str(caught.value)
    assert "every gradient is 0.08333 = 1/12 times the reference" in message
    assert "a mean over the N·n_L = 4·3 = 12 samples and outputs" in message


def test_a_loss_function_must_be_declared():
    model = mlp([3, 4, 2], nn.Tanh)
    x, y = data(3, 2)

    def my_loss(out, target):
        return F.mse_loss(out, target)

    with pytest.raises(UsageError, match=r"^cost=None: a loss function \(my_loss\) must be "):
        check_module(model, x, y, my_loss)
    assert check_module(model, x, y, my_loss, cost="mse").passed
    with pytest.raises(AssertionError, match="1/8 times the reference"):
        check_module(model, x, y, my_loss, cost="squared-error")
    with pytest.raises(AssertionError, match=r"every gradient is 2 = 2 times the reference: "
                                             r"\(a − y\)² without the ½ where ½\(a − y\)²"):
        check_module(model, x, y, my_loss, cost="quadratic", reduction="mean")


# --- GELU: the tanh approximation is its own activation --------------------------------------------

def gelu_model(approximate, dtype=torch.float64):
    torch.manual_seed(5)
    return nn.Sequential(nn.Linear(3, 8), nn.GELU(approximate=approximate), nn.Linear(8, 8),
                         nn.GELU(approximate=approximate), nn.Linear(8, 2)).to(dtype)


def test_gelu_tanh_passes_as_what_it_is():
    x, y = data(3, 2)
    assert map_module(gelu_model("tanh"), x, y, nn.MSELoss()).network.sigma(1).name == "gelu_tanh"
    assert map_module(gelu_model("none"), x, y, nn.MSELoss()).network.sigma(1).name == "gelu"
    assert check_module(gelu_model("tanh"), x, y, nn.MSELoss()).passed
    assert check_module(gelu_model("none"), x, y, nn.MSELoss()).passed


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_tanh_numbers_checked_as_exact_gelu_fail_with_the_hint(dtype):
    model = gelu_model("none", dtype)        # declares exact GELU ...
    for act in (model[1], model[3]):         # ... computes the tanh approximation
        act.register_forward_hook(lambda m, inp, out: F.gelu(inp[0], approximate="tanh"))
    x, y = data(3, 2, dtype=dtype)
    with pytest.raises(AssertionError) as caught:
        check_module(model, x, y, nn.MSELoss())
    assert "likely cause: the numbers match the tanh approximation of GELU" in str(caught.value)


# --- dtypes ---------------------------------------------------------------------------------------

def test_float32_is_judged_as_float32_and_bfloat16_passes():
    model = mlp([4, 6, 6, 2], nn.Sigmoid, dtype=torch.float32)
    x, y = data(4, 2, dtype=torch.float32)
    report = check_module(model, x, y, nn.MSELoss())
    assert report.passed and report.dtype == "float32"
    with pytest.raises(AssertionError, match=r"float64, stable forms"):
        check_module(model, x, y, nn.MSELoss(), dtype="float64")
    assert check_module(model.to(torch.bfloat16), x, y, nn.MSELoss()).passed


def test_float64_inputs_to_a_float32_model_are_read_as_the_model_sees_them():
    model = mlp([3, 4, 2], nn.Tanh, dtype=torch.float32)
    x, y = data(3, 2, dtype=torch.float64)                 # converted to float32 first
    assert check_module(model, x.numpy(), y.numpy().tolist(), nn.MSELoss()).passed


def test_held_gradients_are_put_back_and_the_reference_matches_autograd():
    model = mlp([3, 5, 2], nn.Sigmoid)
    x, y = data(3, 2)
    nn.MSELoss()(model(x), y).backward()
    held = {n: p.grad.clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad.mul_(3.0)                                   # someone's accumulated grads
    check_module(model, x, y, nn.MSELoss(reduction="sum"))
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, 3.0 * held[n])
    ref = reference_for_module(model, x, y, nn.MSELoss())
    assert sorted(ref.gradients) == sorted(n for n, _ in model.named_parameters())
    for n in held:
        torch.testing.assert_close(ref.gradients[n], held[n], rtol=1e-13, atol=0)


def test_softplus_is_read_with_its_threshold():
    """nn.Softplus returns z itself where βz > threshold (20): off softplus by e^{-20}
    relative, far beyond float64's rounding, so it is mapped as the function it computes."""
    def model_at(threshold):
        model = nn.Sequential(nn.Linear(1, 2), nn.Softplus(threshold=threshold),
                              nn.Linear(2, 1)).double()
        with torch.no_grad():
            model[0].weight.fill_(1.0)
            model[0].bias.copy_(torch.tensor([25.0, 0.3]))     # z = 25.5 and 0.8
        return model
    x, y = torch.tensor([[0.5]], dtype=torch.float64), torch.tensor([[0.25]], dtype=torch.float64)
    model = model_at(20.0)
    assert map_module(model, x, y, "quadratic").network.sigma(1).name == \
        "custom:x*Heaviside(x - 20) + (1 - Heaviside(x - 20))*log(exp(x) + 1)"
    assert check_module(model, x, y, "quadratic").passed
    assert check_module(model_at(40.0), x, y, "quadratic").passed
    wrong = model_at(40.0)                   # declares threshold 40, computes threshold 20
    wrong[1].register_forward_hook(lambda m, inp, out: F.softplus(inp[0], threshold=20.0))
    with pytest.raises(AssertionError, match=r"model\[0\]\.bias\[0\] \(layer 1\)"):
        check_module(wrong, x, y, "quadratic")


# --- no false alarm: PyTorch's own autograd in every regime of the vectors -------------------------

REGIME_MODULES = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "silu": nn.SiLU,
                  "gelu": nn.GELU, "linear": nn.Identity}


def regime_model(name, regime, seed, dtype):
    """widths 3,5,4,2 with the weights of one drawn case of ``regime`` (N = 2)."""
    import numpy as np
    from symgrad.arraycheck import declared_loss, network_for
    from symgrad.oracle.regimes import draw
    net = network_for((3, 5, 4, 2), [name, name, "linear"], declared_loss("quadratic"), 2)
    params, inputs = draw(net, regime, np.random.default_rng(seed), 17)
    model = nn.Sequential(nn.Linear(3, 5), REGIME_MODULES[name](), nn.Linear(5, 4),
                          REGIME_MODULES[name](), nn.Linear(4, 2)).to(dtype)
    with torch.no_grad():
        for l, lin in enumerate(model[::2], 1):
            lin.weight.copy_(torch.tensor(np.array(params[f"W_{l}"], dtype=float)))
            lin.bias.copy_(torch.tensor(np.array(params[f"b_{l}"], dtype=float)))
    as_tensor = lambda v: torch.tensor(np.array(v, dtype=float), dtype=dtype)  # noqa: E731
    return model, as_tensor(inputs["x"]), as_tensor(inputs["y"])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", sorted(REGIME_MODULES))
def test_autograd_gets_no_fail_in_any_regime(name, dtype):
    """The exploding and kink cases once failed here: a dot product of exact terms was taken
    as exact when its exact value was a float, though its partial sums round."""
    regimes = ["ordinary", "saturated", "vanishing", "exploding"] + \
        (["kink"] if name in ("relu", "elu") else [])
    for seed, regime in enumerate(regimes * 2):
        model, x, y = regime_model(name, regime, seed, dtype)
        report = check_module(model, x, y, "quadratic", raise_on_failure=False)
        assert report.verdict in ("pass", "unstable"), (regime, seed, str(report))


def test_silu_that_overflows_its_exponential_is_unstable_not_a_bug():
    """nn.SiLU computes z/(1 + e^{−z}): 0 at z = −710 where z·σ(z) = −1.6e-306 is a float64
    number.  That is the textbook form losing digits (``unstable``), named with its fix."""
    model = nn.Sequential(nn.Linear(1, 2), nn.SiLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [1.0]]))
        model[0].bias.copy_(torch.tensor([-711.0, 1.0]))
        model[2].weight.copy_(torch.tensor([[1.0, 1.0]]))
        model[2].bias.zero_()
    x, y = torch.tensor([[0.5]], dtype=torch.float64), torch.tensor([[0.25]], dtype=torch.float64)
    report = check_module(model, x, y, "quadratic", raise_on_failure=False)
    assert report.verdict == "unstable", str(report)
    unstable = [e for e in report.entries if e.verdict == "unstable"]
    assert {e.where for e in unstable} >= {"model[2].weight[0, 0]"}
    assert all("s = e^{z}/(1 + e^{z}) for z < 0" in e.note for e in unstable)
    model[1] = nn.Tanh()                  # the same loss in another activation is a bug
    model[1].register_forward_hook(lambda m, inp, out: F.silu(inp[0]))
    assert check_module(model, x, y, "quadratic", raise_on_failure=False).verdict == "fail"


# --- the mutation suite, applied to a real model through hooks ------------------------------------
#
# Each bug of tests/implementations.py, injected into nn.Sequential(Linear, Sigmoid) × 4 (all
# widths 3, so every mutant is defined), through module backward hooks, tensor hooks on z_l,
# a_l and the output, and parameter hooks.  ``first`` is the module whose gradient is the first
# wrong one in backpropagation order (b_L, W_L, b_{L-1}, ...): the check must name it.

L, WIDTH = 4, 3


class Tap:
    """Records z_l, a_l (a_0 the input) in the forward pass and δ_l = ∂C/∂z_l in the backward."""

    def __init__(self, model):
        self.model, self.z, self.a, self.delta = model, {}, {}, {}
        for l in range(1, L + 1):
            model[2 * l - 2].register_forward_hook(self._linear(l))
            model[2 * l - 1].register_forward_hook(self._act(l))

    def _linear(self, l):
        def hook(module, inputs, out):
            self.a[l - 1], self.z[l] = inputs[0].detach(), out.detach()
            out.register_hook(lambda g: self.delta.__setitem__(l, g.detach()) or None)
        return hook

    def _act(self, l):
        def hook(module, inputs, out):
            self.a[l] = out.detach()
        return hook

    def W(self, l):
        return self.model[2 * l - 2].weight.detach()

    def b(self, l):
        return self.model[2 * l - 2].bias.detach()


def sigma_prime(z):
    return torch.sigmoid(z) * torch.sigmoid(-z)


def on_grad_of_output(module, fn):
    """fn applied to the gradient flowing into ``module``'s output."""
    def hook(m, inputs, out):
        out.register_hook(fn)
    module.register_forward_hook(hook)


def act_backward(model, l, fn):
    """Replace layer l's σ' step: grad_z = fn(grad_a, l)."""
    model[2 * l - 1].register_full_backward_hook(lambda m, gin, gout: (fn(gout[0], l),))


def missing_sigma_prime(model, tap):                # δ_l = W_{l+1}ᵀ δ_{l+1}, no σ'
    for l in range(1, L):
        act_backward(model, l, lambda g, l: g)


def a_l_for_a_l_minus_1(model, tap):                # ∂C/∂W_l = δ_l a_lᵀ
    for l in range(1, L + 1):
        model[2 * l - 2].weight.register_hook(lambda g, l=l: tap.delta[l].T @ tap.a[l])


def off_by_one_layer(model, tap):                   # δ_l = σ'(z_{l+1}) ⊙ W_{l+1}ᵀ δ_{l+1}
    for l in range(1, L):
        act_backward(model, l, lambda g, l: g * sigma_prime(tap.z[l + 1]))


def sign_error(model, tap):                         # ∂C/∂a_L = y − a_L
    on_grad_of_output(model[-1], lambda g: -g)


def w_l_for_w_l_plus_1(model, tap):                 # δ_l = σ'(z_l) ⊙ W_lᵀ δ_{l+1}
    for l in range(1, L):
        on_grad_of_output(model[2 * l - 1], lambda g, l=l: tap.delta[l + 1] @ tap.W(l))


def dropped_dC_da_L(model, tap):                    # δ_L = σ'(z_L)
    on_grad_of_output(model[-1], torch.ones_like)


def float32_round_trip(model, tap):                 # float64 model, gradients through float32
    for p in model.parameters():
        p.register_hook(lambda g: g.float().double())


def one_layer_off(model, tap):                      # δ_2 × 1.001
    on_grad_of_output(model[2], lambda g: g * 1.001)


def bug_only_z_negative(model, tap):                # σ'(z) = e^z/(1 + e^z) for z < 0
    for l in range(1, L + 1):
        act_backward(model, l, lambda g, l: g * torch.where(
            tap.z[l] < 0, torch.sigmoid(tap.z[l]), sigma_prime(tap.z[l])))


def db_equals_a_delta(model, tap):                  # ∂C/∂b_l = Σ_i a_{l-1} ⊙ δ_l
    for l in range(1, L + 1):
        model[2 * l - 2].bias.register_hook(lambda g, l=l: (tap.a[l - 1] * tap.delta[l]).sum(0))


def sigma_prime_of_a(model, tap):                   # σ'(a_l) for σ'(z_l)
    for l in range(1, L + 1):
        act_backward(model, l, lambda g, l: g * sigma_prime(tap.a[l]))


def sigma_prime_without_bias(model, tap):           # σ'(W_l a_{l-1}) for σ'(z_l)
    for l in range(1, L + 1):
        act_backward(model, l, lambda g, l: g * sigma_prime(tap.z[l] - tap.b(l)))


def doubled_cost_derivative(model, tap):            # ∂C/∂a_L = 2(a_L − y)
    on_grad_of_output(model[-1], lambda g: 2 * g)


def loop_stops_one_short(model, tap):               # δ_1 left as δ_2
    on_grad_of_output(model[0], lambda g: tap.delta[2])


def first_layer_doubled(model, tap):                # ∂C/∂W_1, ∂C/∂b_1 doubled
    model[0].weight.register_hook(lambda g: 2 * g)
    model[0].bias.register_hook(lambda g: 2 * g)


def sigma_prime_overflows(model, tap):            # e^{-z}/(1 + e^{-z})² as written
    def overflowing(g, l):
        e = torch.exp(-tap.z[l])                     # inf below z = −709
        return g * (e / (1 + e) ** 2)                # 0 below −355, NaN below −709
    for l in range(1, L + 1):
        act_backward(model, l, overflowing)


def relu_prime_1_at_0(model, tap):                  # relu'(0) = 1, the right branch
    for l in range(1, L + 1):
        act_backward(model, l, lambda g, l: g * (tap.z[l] >= 0).to(g.dtype))


def float32_delta_one_layer(model, tap):            # δ_2 stored in float32
    on_grad_of_output(model[2], lambda g: g.float().double())


MUTANTS = {   # name (as in tests/implementations.py) -> (injection, module named first)
    "missing_sigma_prime": (missing_sigma_prime, "model[4].bias"),
    "a_l_for_a_l-1": (a_l_for_a_l_minus_1, "model[6].weight"),
    "off_by_one_layer": (off_by_one_layer, "model[4].bias"),
    "sign_error": (sign_error, "model[6].bias"),
    "w_l_for_w_l+1": (w_l_for_w_l_plus_1, "model[4].bias"),
    "dropped_dC_da_L": (dropped_dC_da_L, "model[6].bias"),
    "float32_round_trip": (float32_round_trip, "model[6].bias"),
    "0.1%_in_one_layer": (one_layer_off, "model[2].bias"),
    "bug_only_z<0": (bug_only_z_negative, None),      # the last layer with a z < 0
    "db_equals_a_delta": (db_equals_a_delta, "model[6].bias"),
    "sigma_prime_of_a": (sigma_prime_of_a, "model[6].bias"),
    "sigma_prime_without_bias": (sigma_prime_without_bias, "model[6].bias"),
    "doubled_cost_derivative": (doubled_cost_derivative, "model[6].bias"),
    "loop_stops_one_short": (loop_stops_one_short, "model[0].bias"),
    "first_layer_doubled": (first_layer_doubled, "model[0].bias"),
    "sigma_prime_overflows": (sigma_prime_overflows, "model[4].bias"),
    "relu_prime_1_at_0": (relu_prime_1_at_0, "model[0].bias"),
    "float32_delta_one_layer": (float32_delta_one_layer, "model[2].bias"),
}
#: the points where a mutant shows (the others: ordinary sigmoid units)
POINTS = {"sigma_prime_overflows": "saturated", "relu_prime_1_at_0": "relu at 0"}


def mutated(name, point="ordinary"):
    """The model of a mutant (or of ``point`` for None), its hooks installed."""
    point = POINTS.get(name, point)
    act = nn.ReLU if point == "relu at 0" else nn.Sigmoid
    model = mlp([WIDTH] * (L + 1), act, out=act, seed=11)
    with torch.no_grad():
        if point == "saturated":              # unit 0 of layer 3 at z ≈ −400
            model[4].bias[0] = -400.0
        if point == "relu at 0":              # unit 0 of layer 1 at z = 0 exactly (an exact
            model[0].weight[0].zero_()         # computation: the oracle judges it, with
            model[0].bias[0] = 0.0             # relu'(0) = 0, as PyTorch takes it)
    tap = Tap(model)
    if name is not None:
        MUTANTS[name][0](model, tap)
    return model, tap


def test_the_mutation_suite_is_the_oracles():
    from tests.implementations import MUTANTS as SUITE
    assert list(MUTANTS) == list(SUITE)


@pytest.mark.parametrize("point", ["ordinary", "saturated", "relu at 0"])
def test_the_unmutated_model_passes_at_every_point(point):
    model, tap = mutated(None, point)
    x, y = data(WIDTH, WIDTH, N=2, seed=4)
    assert check_module(model, x, y, "quadratic").passed
    if point == "saturated":
        assert float(tap.z[3][:, 0].max()) < -355
    if point == "relu at 0":
        assert bool((tap.z[1][:, 0] == 0).all())


@pytest.mark.parametrize("name", list(MUTANTS))
def test_each_mutant_fails_with_the_right_module_named(name):
    model, tap = mutated(name)
    x, y = data(WIDTH, WIDTH, N=2, seed=4)
    with pytest.raises(AssertionError) as caught:
        check_module(model, x, y, "quadratic")
    first = MUTANTS[name][1]
    if first is None:          # the first layer, from the output, that has a negative z
        l = max(l for l in tap.z if (tap.z[l] < 0).any())
        first = f"model[{2 * l - 2}].bias"
    lines = str(caught.value).splitlines()
    where = lines[lines.index("first, in backpropagation order:") + 1].split()[0]
    assert where.rsplit("[", 1)[0] == first
    assert lines[0].startswith("gradients differ from the reference at ")
    assert lines[1] == "per layer, output first:" and lines[2].startswith("  layer 4  model[6]")


# --- what cannot be mapped is one line naming the module ---------------------------------------------

class CustomForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return torch.sigmoid(self.fc(x))


class ReLUSquared(nn.ReLU):
    def forward(self, x):
        return super().forward(x) ** 2


class Residual(nn.Sequential):
    def forward(self, x):
        return x + super().forward(x)


@pytest.mark.parametrize("model, loss, message", [
    (nn.Sequential(nn.Conv2d(1, 1, 3)), nn.MSELoss(),
     r"model\[0\] \(Conv2d\): symgrad maps nn.Linear layers, each followed by at most one of "
     r"nn.Sigmoid, .*; this module is none of them"),
    (CustomForward(), nn.MSELoss(), r"model \(CustomForward\): a custom forward\(\) cannot be "
                                    r"mapped; give an nn.Sequential"),
    (Residual(nn.Linear(3, 3)), nn.MSELoss(), r"model \(Residual\): a custom forward\(\)"),
    (nn.Sequential(nn.Linear(3, 2), ReLUSquared()), nn.MSELoss(),
     r"model\[1\] \(ReLUSquared\): a custom forward\(\) cannot be mapped"),
    (nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1)), nn.MSELoss(),
     r"model\[1\] \(Softmax\): end the model with its nn.Linear and use nn.CrossEntropyLoss"),
    (nn.Sequential(nn.Tanh(), nn.Linear(3, 2)), nn.MSELoss(),
     r"model\[0\] \(Tanh\): comes before the first nn.Linear"),
    (nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.ReLU()), nn.MSELoss(),
     r"model\[2\] \(ReLU\): follows model\[1\] \(Tanh\); a layer has one activation"),
    (nn.Sequential(nn.Linear(3, 2), nn.PReLU(2)), nn.MSELoss(),
     r"model\[1\]=PReLU\(num_parameters=2\): symgrad's PReLU learns one slope per layer"),
    (nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5)), nn.MSELoss(),
     r"model\[1\] \(Dropout\(p=0.5\)\): random in training mode; call model.eval\(\)"),
    (nn.Sequential(nn.Linear(3, 4), nn.Linear(3, 2)), nn.MSELoss(),
     r"model\[1\]: in_features=3 after model\[0\] with out_features=4"),
    (nn.Sequential(nn.Linear(3, 2)), nn.L1Loss(),
     r"loss=L1Loss\(\): symgrad maps nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss, "
     r"nn.CrossEntropyLoss, a cost name, or a loss function with cost= declared"),
    (nn.Sequential(nn.Linear(3, 2)), nn.MSELoss(reduction="none"),
     r"loss=MSELoss\(reduction='none'\): must be 'mean' or 'sum'"),
    (nn.Sequential(nn.Linear(3, 2)), nn.CrossEntropyLoss(label_smoothing=0.1),
     r"loss=CrossEntropyLoss\(label_smoothing=...\): symgrad's costs have no label_smoothing"),
    (nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()), nn.CrossEntropyLoss(),
     r"model\[1\] \(Sigmoid\): the loss CrossEntropyLoss\(reduction='mean'\) applies softmax "
     r"itself \(it takes logits\); end the model with its nn.Linear"),
    (nn.Sequential(nn.Linear(3, 2)), "hinge", r"loss='hinge': unknown cost"),
])
def test_what_cannot_be_mapped_is_one_line(model, loss, message):
    x, y = data(3, 2)
    with pytest.raises(UsageError, match="^" + message) as caught:
        check_module(model.double(), x, y, loss)
    assert "\n" not in str(caught.value)


def test_bad_shapes_are_one_line():
    model = mlp([3, 4, 2], nn.Tanh)
    x, y = data(3, 2)
    with pytest.raises(UsageError, match=r"^inputs: expected 4×3 \(N samples × n_0\), got 4×5$"):
        check_module(model, torch.randn(4, 5, dtype=torch.float64), y, nn.MSELoss())
    with pytest.raises(UsageError, match=r"^targets: expected 4×2 \(N samples × n_L\), got 4×3"):
        check_module(model, x, torch.rand(4, 3, dtype=torch.float64), nn.MSELoss())
    with pytest.raises(UsageError, match=r"^model=str: must be a torch.nn.Module"):
        check_module("model", x, y, nn.MSELoss())
