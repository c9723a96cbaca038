"""Check a PyTorch model's gradients against symgrad's reference, in one call.

>>> import pytest; torch = pytest.importorskip("torch")     # the doctest skips without PyTorch
>>> import torch.nn as nn
>>> from symgrad.torch import check_module
>>> torch.manual_seed(0) and None
>>> model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
>>> x, y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
>>> check_module(model, x, y, nn.MSELoss()).passed
True

``check_module`` maps an ``nn.Sequential`` of ``nn.Linear`` layers, each followed by at most
one activation module (``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``, ``nn.LeakyReLU``,
``nn.PReLU``, ``nn.ELU``, ``nn.SELU``, ``nn.Softplus``, ``nn.SiLU``, ``nn.GELU`` with
``approximate="none"`` or ``"tanh"``, ``nn.Identity``), onto symgrad's network
z_l = W_l a_{l-1} + b_l (``nn.Linear.weight`` is W_l, n_l × n_{l-1}); it reads every weight
exactly (a float32 or bfloat16 number is a rational, widened to float64 without rounding),
runs the model's own forward and backward (hooks and custom autograd Functions included),
computes the reference for the same network and loss and compares every ``.grad`` in the
dtype of the model.  Each module is read for what it computes: ``nn.Softplus(beta,
threshold)`` is log(1 + e^{βz})/β where βz ≤ threshold and z itself above (e^{−20} off at
the default threshold 20: a different function from softplus, and checked as such), and
``nn.GELU(approximate="tanh")`` is the built-in ``gelu_tanh``.  ``nn.MSELoss``, ``nn.BCELoss``, ``nn.BCEWithLogitsLoss`` and
``nn.CrossEntropyLoss`` keep their ``reduction``: a mean is symgrad's summed cost scaled
by 1/(N·n_L) (1/N for cross-entropy), and the reference is scaled by exactly that.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from symgrad.arraycheck import (DIGITS, Loss, declared_loss, judge, network_for, on_logits,
                                reference_arrays)
from symgrad.arrays import batch, check_dtype, coarsest, exact_array
from symgrad.errors import UsageError

__all__ = ["check_module", "reference_for_module", "map_module", "MappedModule",
           "ACTIVATION_MODULES", "LOSS_MODULES"]

#: the activation modules symgrad maps, by class name
ACTIVATION_MODULES = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU",
                      "Softplus", "SiLU", "GELU", "Identity")
#: the loss modules symgrad maps, by class name
LOSS_MODULES = ("MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss")


def _number(x: float) -> str:
    return repr(float(x))


def _activation(module, place: str):
    """The symgrad activation (a name or an expression in x) of one activation module."""
    name = type(module).__name__
    simple = {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "SELU": "selu",
              "SiLU": "silu", "Identity": "linear", "PReLU": "prelu"}
    if name == "PReLU" and module.num_parameters != 1:
        raise UsageError(f"{place}=PReLU(num_parameters={module.num_parameters}): symgrad's "
                         "PReLU learns one slope per layer; use nn.PReLU() (num_parameters=1)")
    if name in simple:
        return simple[name]
    if name == "LeakyReLU":
        s = float(module.negative_slope)
        return "leaky_relu" if s == 0.01 else \
            f"{'max' if s <= 1 else 'min'}(x, {_number(s)}*x)"
    if name == "ELU":
        a = float(module.alpha)
        return "elu" if a == 1.0 else f"max(x, 0) + {_number(a)}*(exp(min(x, 0)) - 1)"
    if name == "Softplus":            # log(1 + e^{βz})/β, but z itself where βz > threshold
        b, t = float(module.beta), float(module.threshold)
        bz = "x" if b == 1.0 else f"{_number(b)}*x"
        smooth = "log(1 + exp(x))" if b == 1.0 else f"log(1 + exp({bz}))/{_number(b)}"
        step = f"Heaviside({bz} - {_number(t)})"
        return f"x*{step} + {smooth}*(1 - {step})"
    if name == "GELU":
        return {"none": "gelu", "tanh": "gelu_tanh"}[module.approximate]
    return None


def _own_forward(module, base) -> bool:
    return type(module).forward is not base.forward


def _modules(model, path: str):
    """(path, module) of every leaf of nested ``nn.Sequential`` containers, in order."""
    import torch.nn as nn
    if isinstance(model, nn.Sequential):
        if _own_forward(model, nn.Sequential):
            raise UsageError(f"{path} ({type(model).__name__}): a custom forward() cannot be "
                             "mapped; give an nn.Sequential of nn.Linear and activation modules")
        for name, child in model.named_children():
            yield from _modules(child, f"{path}[{name}]" if name.isdigit() else f"{path}.{name}")
    else:
        yield path, model


@dataclass
class _Layer:
    linear_path: str
    linear: object
    act_path: str | None = None
    act: object = None

    def label(self) -> str:
        lin = self.linear
        text = f"{self.linear_path} Linear({lin.in_features}→{lin.out_features})"
        if self.act is None:
            return text + " (no activation)"
        return text + f" + {self.act_path} {type(self.act).__name__}"


def _unmappable(path: str, module) -> UsageError:
    import torch.nn as nn
    kind = type(module).__name__
    if kind in ("Softmax", "LogSoftmax"):
        return UsageError(f"{path} ({kind}): end the model with its nn.Linear and use "
                          "nn.CrossEntropyLoss (softmax with cross-entropy, on the logits)")
    bases = [nn.Linear] + [getattr(nn, n) for n in ACTIVATION_MODULES]
    if any(isinstance(module, base) for base in bases):
        return UsageError(f"{path} ({kind}): a custom forward() cannot be mapped; use the "
                          "torch.nn module itself")
    if kind == "Dropout":
        return UsageError(f"{path} (Dropout(p={module.p})): random in training mode; call "
                          "model.eval() first (or use p=0)")
    known = ", ".join(f"nn.{n}" for n in ACTIVATION_MODULES)
    return UsageError(f"{path} ({kind}): symgrad maps nn.Linear layers, each followed by at "
                      f"most one of {known}; this module is none of them")


def _layers(model) -> tuple[list, bool]:
    """The Linear + activation pairs of ``model``, and whether it flattens its input first."""
    import torch.nn as nn
    if not isinstance(model, nn.Module):
        raise UsageError(f"model={type(model).__name__}: must be a torch.nn.Module "
                         "(an nn.Sequential of nn.Linear and activation modules)")
    if not isinstance(model, nn.Sequential) and not isinstance(model, nn.Linear):
        raise UsageError(f"model ({type(model).__name__}): a custom forward() cannot be "
                         "mapped; give an nn.Sequential of nn.Linear and activation modules")
    layers, flatten = [], False
    for path, m in _modules(model, "model"):
        kind = type(m).__name__
        if isinstance(m, nn.Linear) and not _own_forward(m, nn.Linear):
            layers.append(_Layer(path, m))
        elif kind == "Flatten" and not layers and not _own_forward(m, nn.Flatten):
            flatten = True
        elif kind == "Dropout" and (m.p == 0 or not m.training):
            continue                     # the identity
        elif kind in ACTIVATION_MODULES and not _own_forward(m, getattr(nn, kind)):
            if not layers:
                raise UsageError(f"{path} ({kind}): comes before the first nn.Linear; "
                                 "symgrad's layers are a Linear then its activation")
            if layers[-1].act is not None:
                raise UsageError(f"{path} ({kind}): follows {layers[-1].act_path} "
                                 f"({type(layers[-1].act).__name__}); a layer has one activation")
            layers[-1].act_path, layers[-1].act = path, m
        else:
            raise _unmappable(path, m)
    if not layers:
        raise UsageError("model: holds no nn.Linear layer")
    for before, after in zip(layers, layers[1:]):
        if before.linear.out_features != after.linear.in_features:
            raise UsageError(f"{after.linear_path}: in_features={after.linear.in_features} "
                             f"after {before.linear_path} with out_features="
                             f"{before.linear.out_features}")
    return layers, flatten


# --- the loss -----------------------------------------------------------------------------------

def _loss_module(loss) -> Loss:
    """The declared :class:`Loss` of a loss module, or one line on what is not mapped."""
    import torch.nn as nn
    name = type(loss).__name__
    if name not in LOSS_MODULES or _own_forward(loss, getattr(nn, name)):
        raise UsageError(f"loss={name}(): symgrad maps nn.{', nn.'.join(LOSS_MODULES)}, a "
                         "cost name, or a loss function with cost= declared")
    red = loss.reduction
    if red not in ("mean", "sum"):
        raise UsageError(f"loss={name}(reduction={red!r}): must be 'mean' or 'sum' (a "
                         "number to differentiate)")
    for option, neutral in (("weight", None), ("pos_weight", None), ("label_smoothing", 0.0)):
        if getattr(loss, option, neutral) is not None and getattr(loss, option, neutral) != neutral:
            raise UsageError(f"loss={name}({option}=...): symgrad's costs have no {option}; "
                             f"leave it at {neutral}")
    declared = f"{name}(reduction={red!r})"
    return {"MSELoss": Loss("squared-error", red, declared),
            "BCELoss": Loss("cross-entropy", red, declared),
            "BCEWithLogitsLoss": Loss("cross-entropy", red, declared, "sigmoid"),
            "CrossEntropyLoss": Loss("softmax-cross-entropy", red, declared, "softmax")}[name]


def _cost_function(declared: Loss):
    """The loss of a declared cost name, written in torch: (output, target) -> number."""
    import torch.nn.functional as F
    mean = declared.reduction == "mean"
    forms = {
        "quadratic": lambda a, y: 0.5 * (a - y) ** 2,            # ½(a − y)²
        "squared-error": lambda a, y: (a - y) ** 2,              # (a − y)²
    }
    if declared.cost in forms:
        f = forms[declared.cost]
        return lambda a, y: f(a, y).mean() if mean else f(a, y).sum()
    red = declared.reduction
    if declared.cost == "cross-entropy":
        return (lambda a, y: F.binary_cross_entropy_with_logits(a, y, reduction=red)) \
            if declared.output else (lambda a, y: F.binary_cross_entropy(a, y, reduction=red))
    if declared.cost == "softmax-cross-entropy":
        return lambda a, y: F.cross_entropy(a, y if y.is_floating_point() else y.long(),
                                            reduction=red)
    raise UsageError(f"loss={declared.declared!r}: no torch form of this cost; pass the loss "
                     "as a function (output, target) -> number and declare it with cost=")


def _declared(loss, cost, reduction, logits: bool):
    """(the declared :class:`Loss`, the function the model's loss is computed with)."""
    import torch.nn as nn
    if isinstance(loss, nn.Module):
        base, fn = _loss_module(loss), loss
    elif isinstance(loss, str):
        base, fn = declared_loss(loss, reduction), None
    elif callable(loss):
        if cost is None:
            raise UsageError(f"cost=None: a loss function ({getattr(loss, '__name__', 'loss')})"
                             " must be declared: cost='mse', 'squared-error', 'quadratic', "
                             "'cross-entropy' or 'softmax-cross-entropy' (reduction= if a mean)")
        base, fn = None, loss
    else:
        raise UsageError(f"loss={loss!r}: must be an nn loss module, a cost name or a function")
    if cost is not None or (reduction is not None and not isinstance(loss, str)):
        red = reduction if reduction is not None else \
            (base.reduction if base is not None and cost is None else None)
        output = base.output if base is not None else None
        decl = declared_loss(cost if cost is not None else base.cost, red, "cost")
        base = Loss(decl.cost, decl.reduction, decl.declared, output)
    base = on_logits(base, logits)
    return base, (fn if fn is not None else _cost_function(base))


# --- the model as symgrad's network ----------------------------------------------------------------

@dataclass
class MappedModule:
    """A model read as symgrad's network: the network, the declared loss, every parameter's
    exact value by symgrad's name, the inputs and targets as the model sees them (tensors)
    and exactly (arrays), and where each gradient lives in the model."""

    model: object
    layers: list
    network: object
    loss: Loss
    loss_function: object
    tensors: dict
    params: dict
    inputs: object
    targets: object
    x: np.ndarray
    y: np.ndarray
    dtype: str

    def place(self, name: str) -> str:
        """``model[2].weight`` for W_2 (``model[3].weight`` for the slope of a PReLU)."""
        kind, l = self.network.parameter(name)
        layer = self.layers[l - 1]
        path = layer.act_path if kind == "alpha" else layer.linear_path
        return f"{path}.{'bias' if kind == 'b' else 'weight'}"

    def where(self, name: str, index: tuple) -> str:
        """``model[2].weight[3, 1]`` for component (3, 1) of W_2."""
        return f"{self.place(name)}[{', '.join(map(str, index or (0,)))}]"

    def labels(self) -> dict:
        return {l: layer.label() for l, layer in enumerate(self.layers, 1)}

    @property
    def skip(self) -> tuple:
        """The biases the model does not have (nn.Linear(bias=False))."""
        return tuple(n for n in self.params if n not in self.tensors)

    def gradients(self) -> dict:
        """The model's own forward and backward at the point: every ``.grad`` as an exact
        float64 array by symgrad's name (the gradients held before are put back)."""
        held = {name: t.grad for name, t in self.tensors.items()}
        try:
            for t in self.tensors.values():
                t.grad = None
            value = self.loss_function(self.model(self.inputs), self.targets)
            if getattr(value, "ndim", 0) != 0:
                raise UsageError(f"loss: gives shape {tuple(value.shape)}, expected a number")
            value.backward()
            out = {}
            for name, t in self.tensors.items():
                if t.grad is None:
                    raise UsageError(f"{self.place(name)}: no gradient after backward() "
                                     "(requires_grad=False?)")
                out[name] = exact_array(t.grad, f"{self.place(name)}.grad")
        finally:
            for name, t in self.tensors.items():
                t.grad = held[name]
        for name in self.skip:
            out[name] = np.zeros_like(self.params[name])
        return out


def _as_tensor(value, like, keep_integers: bool):
    import torch
    t = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    if t.is_floating_point() or not keep_integers:
        t = t.to(dtype=like.dtype)
    return t.to(device=like.device)


def map_module(model, inputs, targets, loss, *, cost=None, reduction=None) -> MappedModule:
    """Read ``model`` (with its loss, inputs and targets) as symgrad's network; one line
    naming the module for anything that cannot be mapped."""
    layers, flatten = _layers(model)
    last = layers[-1].act
    logits = last is None or type(last).__name__ == "Identity"
    declared, fn = _declared(loss, cost, reduction, logits)
    if declared.output is not None and not logits:
        raise UsageError(f"{layers[-1].act_path} ({type(last).__name__}): the loss "
                         f"{declared.declared} applies {declared.output} itself (it takes "
                         f"logits); end the model with its nn.Linear")
    first = layers[0].linear.weight
    x_t = _as_tensor(inputs, first, keep_integers=False)
    y_t = _as_tensor(targets, first, keep_integers=declared.cost == "softmax-cross-entropy")
    samples = int(x_t.shape[0]) if x_t.dim() >= 2 else 1
    widths = [layers[0].linear.in_features] + [l.linear.out_features for l in layers]
    acts = [_activation(l.act, l.act_path) if l.act is not None else "linear" for l in layers]
    net = network_for(widths, acts, declared, samples)
    tensors, params = {}, {}
    for l, layer in enumerate(layers, 1):
        lin = layer.linear
        W, b = net.canonical(f"W_{l}"), f"b_{l}"
        tensors[W] = lin.weight
        params[W] = exact_array(lin.weight, f"{layer.linear_path}.weight")
        if lin.bias is not None:
            tensors[b] = lin.bias
            params[b] = exact_array(lin.bias, f"{layer.linear_path}.bias")
        else:
            params[b] = np.zeros(lin.out_features)
        if net.has_slope(l):
            tensors[f"alpha_{l}"] = layer.act.weight
            params[f"alpha_{l}"] = exact_array(layer.act.weight, f"{layer.act_path}.weight") \
                .reshape(())
    x = exact_array(x_t, "inputs")
    x = x.reshape(samples, -1) if flatten else x
    x, y = batch(net, x, y_t)
    dtype = coarsest(str(t.dtype).replace("torch.", "") for t in tensors.values())
    return MappedModule(model, layers, net, declared, fn, tensors, params, x_t, y_t, x, y,
                        check_dtype(dtype or "float64"))


# --- the checks -------------------------------------------------------------------------------------

def check_module(model, inputs, targets, loss, *, cost=None, reduction=None, rtol=None,
                 dtype=None, raise_on_failure: bool = True):
    """Check every ``.grad`` the model's own backward computes against the reference.

    ``loss`` is an ``nn.MSELoss``, ``nn.BCELoss``, ``nn.BCEWithLogitsLoss`` or
    ``nn.CrossEntropyLoss`` (its ``reduction`` honoured), a cost name (``"quadratic"``,
    ``"squared-error"``, ``"mse"``, ``"cross-entropy"``, ``"softmax-cross-entropy"``) computed
    in torch, or a function ``(output, target) -> loss`` declared with ``cost=`` (and
    ``reduction="mean"`` for a mean).  ``cost=``/``reduction=`` also override what a loss
    module declares: the check is of the declared loss.  The tolerance is the default of the
    model's dtype (``dtype=`` or a fixed ``rtol=`` to override).

    Returns the :class:`~symgrad.report.Report`; raises an AssertionError whose message
    starts with the per-layer summary and names each disagreeing component by its place in
    the model (``model[2].weight[3, 1]``), unless ``raise_on_failure=False``."""
    mapped = map_module(model, inputs, targets, loss, cost=cost, reduction=reduction)
    grads = mapped.gradients()
    report = judge(mapped.network, mapped.loss, mapped.params, mapped.x, mapped.y, grads,
                   dtype=check_dtype(dtype) if dtype is not None else mapped.dtype, rtol=rtol,
                   where=mapped.where, layers=mapped.labels(), skip=mapped.skip)
    if raise_on_failure and not report.passed:
        raise AssertionError(report.message())
    return report


@dataclass(frozen=True)
class ModuleReference:
    """The reference gradients of a model at a point: ``gradients`` by the names of
    ``model.named_parameters()`` as float64 tensors (each the exact value, rounded once),
    ``exact`` by symgrad's names as arrays of mpmath numbers, with the network and the loss."""

    network: object
    loss: str
    gradients: dict
    exact: dict


def reference_for_module(model, inputs, targets, loss, *, cost=None, reduction=None):
    """The reference gradients of the model's (declared) loss at ``inputs`` and ``targets``,
    without running its backward; arguments as :func:`check_module`."""
    import torch
    mapped = map_module(model, inputs, targets, loss, cost=cost, reduction=reduction)
    net, divisor = mapped.network, mapped.loss.divisor(mapped.network)
    ref = reference_arrays(net, mapped.params, mapped.x, mapped.y)
    with mpmath.workdps(DIGITS):
        exact = {name: ref[name] / divisor for name in net.parameter_names()}
    names = {id(p): n for n, p in model.named_parameters()}
    gradients = {names[id(t)]: torch.tensor(exact[name].astype(float), dtype=torch.float64)
                 for name, t in mapped.tensors.items()}
    return ModuleReference(net, mapped.loss.text(net), gradients, exact)
