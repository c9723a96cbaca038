"""Checking gradients held in arrays against the reference: the core of the PyTorch, JAX and
NumPy adapters and of the pytest plugin.

Given a network, the point it was evaluated at (parameters, inputs, targets, each read
exactly) and an implementation's gradients, :func:`judge` computes the reference at that
point and compares every component of every gradient, in backpropagation order
(b_L, W_L, α_L, b_{L-1}, ...), so the first disagreement names the layer where an error
enters the backward pass.  The loss may be a mean: :class:`Loss` states how the
implementation's loss relates to symgrad's summed cost (``MSELoss(reduction="mean")`` is
(1/(N·n_L)) Σ (a − y)², the summed squared error scaled by 1/(N·n_L)), and the reference is
scaled by exactly that.

A failed check says what the numbers look like besides "wrong": every gradient off by one
common factor (a mean taken for a sum, a missing ½, a sign), or numbers that match the tanh
approximation of GELU where the network declares the exact one.

>>> import numpy as np
>>> params = {"W_1": [[0.5, -1.0]], "b_1": [0.25]}
>>> x, y = [[1.0, 2.0]], [[0.0]]
>>> z = 0.5 * 1.0 - 1.0 * 2.0 + 0.25                      # a linear unit: δ = z - y
>>> good = {"W_1": [[z * 1.0, z * 2.0]], "b_1": [z]}
>>> check_gradients(params, "linear", x, y, "quadratic", good).passed
True
>>> check_gradients(params, "linear", x, y, "squared-error", good)
Traceback (most recent call last):
...
AssertionError: gradients differ from the reference at 3 of 3 ...
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import fmpq

from symgrad.arrays import (activation_for, batch, check_dtype, coarsest, dtype_name,
                            named_arrays, widths_from)
from symgrad.errors import UsageError
from symgrad.hints import activation_alternatives, common_factor
from symgrad.model.costs import SOFTMAX_CE, get_cost
from symgrad.model.network import Network
from symgrad.report import Block, Report

__all__ = ["Loss", "declared_loss", "on_logits", "network_for", "DIGITS", "reference_at",
           "reference_arrays", "compare", "judge", "check_gradients"]

#: digits of the certified reference at the point (far beyond any float's)
DIGITS = 20


# --- the loss ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Loss:
    """An implementation's loss as symgrad's summed cost ``cost`` (C = Σ_i Σ_j C(a, y) over
    the N samples and n_L outputs) and a ``reduction``: ``"sum"``, or ``"mean"`` = the sum
    divided by N·n_L (by N for softmax cross-entropy, PyTorch's convention).  ``output`` is
    the activation the loss applies to the last layer itself (``BCEWithLogitsLoss``:
    sigmoid; ``CrossEntropyLoss``: softmax), ``declared`` how the user named it."""

    cost: str
    reduction: str = "sum"
    declared: str = ""
    output: str | None = None

    def divisor(self, net) -> int:
        """1 for a sum; N·n_L for a mean (N for softmax cross-entropy)."""
        if self.reduction == "sum":
            return 1
        return net.samples * (1 if net.softmax_output else net.n(net.L))

    def text(self, net) -> str:
        """How the reference is made from symgrad's summed cost, for the report."""
        name = self.declared or self.cost
        k = self.divisor(net)
        if k == 1:
            return f"loss {name}: symgrad's {net.cost_name} summed over samples and outputs"
        over = "(1/N) Σ C with N" if net.softmax_output else \
            f"(1/(N·n_L)) Σ C with N·n_L = {net.samples}·{net.n(net.L)}"
        return (f"loss {name} = {over} = {k}: the reference is symgrad's {net.cost_name} sum "
                f"scaled by 1/{k}")


#: names of a mean loss: the cost summed and the reduction
_MEANS = {"mse": "squared-error", "mean-squared-error": "squared-error",
          "mean_squared_error": "squared-error"}


def declared_loss(loss, reduction=None, argument: str = "loss") -> Loss:
    """A :class:`Loss` from a cost name (symgrad's, or ``"mse"``, the mean squared error
    (1/(N·n_L)) Σ (a − y)² of ``nn.MSELoss()``) and a reduction (``"sum"`` by default,
    ``"mean"`` for ``mse``).

    >>> declared_loss("mse")
    Loss(cost='squared-error', reduction='mean', declared='mse', output=None)
    >>> declared_loss("quadratic", "avg")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: reduction='avg': must be 'sum' or 'mean'
    """
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, str):
        raise UsageError(f"{argument}={loss!r}: must be a cost name such as 'quadratic', "
                         "'squared-error', 'mse', 'cross-entropy', 'softmax-cross-entropy'")
    key = loss.strip().lower()
    if reduction not in (None, "sum", "mean"):
        raise UsageError(f"reduction={reduction!r}: must be 'sum' or 'mean'")
    if key in _MEANS:
        if reduction == "sum":
            raise UsageError(f"reduction='sum': {loss!r} is a mean; for the sum declare "
                             "'squared-error'")
        return Loss(_MEANS[key], "mean", loss)
    cost = get_cost(loss, argument=argument)
    name = cost if cost == SOFTMAX_CE else cost.name
    return Loss(name, reduction or "sum", loss if reduction in (None, "sum")
                else f"{loss} (reduction='mean')")


def on_logits(loss: Loss, last_is_linear: bool) -> Loss:
    """``loss`` taking the logits where the network's last layer is linear and the cost is a
    cross-entropy: the loss then applies the sigmoid (binary) or the softmax itself, as
    ``BCEWithLogitsLoss`` and ``CrossEntropyLoss`` do."""
    if loss.output is not None or not last_is_linear or \
            loss.cost not in ("cross-entropy", SOFTMAX_CE):
        return loss
    return Loss(loss.cost, loss.reduction, loss.declared,
                "sigmoid" if loss.cost == "cross-entropy" else "softmax")


# --- the network ------------------------------------------------------------------------------

def network_for(widths, activations, loss: Loss, samples: int = 1,
                argument: str = "activations") -> Network:
    """The :class:`Network` of ``widths`` with ``activations`` (one name or one per layer)
    and the summed cost of ``loss``; where the loss applies its own output activation
    (softmax, sigmoid) the declared output layer must be linear (it holds the logits)."""
    L = len(widths) - 1
    if isinstance(activations, str) or not hasattr(activations, "__iter__"):
        acts = [activations] * L
        if loss.cost == SOFTMAX_CE and str(activations).strip().lower() != "softmax":
            acts[-1] = "softmax"
    else:
        acts = list(activations)
    if loss.output is not None:
        last = acts[-1] if isinstance(acts[-1], str) else getattr(acts[-1], "name", "")
        if last.strip().lower() not in ("linear", "identity"):
            raise UsageError(f"{argument}: the loss {loss.declared} applies {loss.output} "
                             f"itself (it takes logits), so the output layer must be linear, "
                             f"not {last}")
        acts[-1] = loss.output
    resolved = [a if str(a).strip().lower() == "softmax" else activation_for(a, argument)
                for a in acts]
    return Network(tuple(widths), resolved, loss.cost, samples)


# --- the reference at the point and the comparison -----------------------------------------------

def _nested(arr: np.ndarray):
    return arr.tolist() if arr.ndim else float(arr)


def reference_at(net, params: dict, x, y, digits: int = DIGITS, kink="left"):
    """The oracle's certified :class:`~symgrad.oracle.Reference` of symgrad's summed cost at
    the point: ``params`` by the network's names, ``x`` N × n_0 and ``y`` N × n_L, every
    number taken exactly as it is; ``kink`` the branch at z = 0 (per layer, or one)."""
    from symgrad.oracle import reference
    P = {net.canonical(name): _nested(np.asarray(value, dtype=float))
         for name, value in params.items()}
    return reference(net, P, {"x": x.tolist(), "y": y.tolist()}, digits=digits, kink=kink)


def reference_arrays(net, params: dict, x, y, digits: int = DIGITS) -> dict:
    """The reference gradients of symgrad's summed cost at the point as object arrays of
    exact mpmath numbers in the parameters' shapes (the cost under ``"cost"``)."""
    ref = reference_at(net, params, x, y, digits)
    out = {}
    for name in net.parameter_names():
        arr = np.empty(net.parameter_shape(name), dtype=object)
        arr.reshape(-1)[:] = list(_leaves(ref.value(name)))   # a chain's numbers as 1×1
        out[name] = arr
    out["cost"] = ref.cost
    return out


def _scaled(actual: np.ndarray, divisor: int):
    """The implementation's numbers times ``divisor``, exactly, so that they compare with
    the summed cost's reference: floats where that is exact (a power of 2), else exact
    rationals; unchanged for a sum."""
    if divisor & (divisor - 1) == 0 and np.all(np.abs(actual) < 2.0 ** 1000 / divisor):
        return actual * divisor
    out = np.empty(actual.shape, dtype=object)
    out.reshape(-1)[:] = [fmpq(*v.as_integer_ratio()) * divisor
                          for v in actual.reshape(-1).tolist()]
    return out


def _blocks(net, ref, cmp, actual: dict, divisor: int, where, skip) -> tuple:
    """The oracle's entries (backpropagation order, row-major) regrouped into one
    :class:`Block` per gradient array; the skipped parameters left out."""
    entries = iter(cmp.entries)
    blocks = []
    for name in _backprop_order(net):
        shape = net.parameter_shape(name)
        mine = [next(entries) for _ in range(int(np.prod(shape, dtype=int)))]
        if name in skip:
            continue

        def field(f, dtype):
            return np.array([f(e) for e in mine], dtype=dtype).reshape(shape)
        exact = np.empty(shape, dtype=object)
        exact.reshape(-1)[:] = list(_leaves(ref.value(name)))
        floats = np.array([float(v) for v in exact.reshape(-1)]).reshape(shape) / divisor
        blocks.append(Block(name, net.parameter(name)[1], exact, divisor, floats, actual[name],
                            field(lambda e: e.error, float), field(lambda e: e.tolerance, float),
                            field(lambda e: e.verdict, object), field(lambda e: e.note, object),
                            where))
    return tuple(blocks)


def _leaves(value):
    """The numbers of a scalar or nested lists, row-major."""
    if isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _backprop_order(net) -> list:
    out = []
    for l in range(net.L, 0, -1):
        out += [f"b_{l}", f"{net.weight_name}_{l}"] + ([f"alpha_{l}"] if net.has_slope(l) else [])
    return out


def _plain_where(name: str, index: tuple) -> str:
    return name + (f"[{', '.join(map(str, index))}]" if index else "")


def compare(net, loss: Loss, params: dict, x, y, actual: dict, *, dtype: str, rtol=None,
            where=_plain_where, layers=None, skip=(), kink="left") -> Report:
    """The :class:`Report` of ``actual`` (exact float64 arrays by parameter name) against the
    oracle's certified reference of ``net`` at ``params``, ``x``, ``y``, scaled as ``loss``
    says, judged by the oracle (``pass``, ``unstable``, ``fail``) at the tolerances of
    ``dtype`` or a fixed relative ``rtol``; ``skip`` names parameters the implementation
    does not have (a Linear without bias), left out of the report; ``kink`` the branch the
    implementation takes at z = 0 exactly (one, or one per layer)."""
    from symgrad.oracle import compare_gradients
    ref = reference_at(net, params, x, y, kink=kink)
    divisor = loss.divisor(net)
    values = {name: (ref.value(name) if name in skip else _scaled(actual[name], divisor))
              for name in net.parameter_names()}
    cmp = compare_gradients(values, ref, dtype=dtype, rtol=rtol)
    blocks = _blocks(net, ref, cmp, actual, divisor, where, skip)
    labels = layers or {l: f"{net.weight_name}_{l}, b_{l} ({net.sigma(l).name})"
                        for l in net.layers}
    return Report(network=net, loss_text=loss.text(net), dtype=dtype, how=cmp.how,
                  blocks=blocks, layers=labels)


def judge(net, loss: Loss, params: dict, x, y, actual: dict, *, dtype: str, rtol=None,
          where=_plain_where, layers=None, skip=(), kink="left") -> Report:
    """:func:`compare`, and on failure the likely causes (:mod:`symgrad.hints`): a common
    factor, or numbers that match a network implementations often compute in place of the
    declared one (the tanh approximation of GELU)."""
    kwargs = dict(dtype=dtype, rtol=rtol, where=where, layers=layers, skip=skip, kink=kink)
    report = compare(net, loss, params, x, y, actual, **kwargs)
    if report.passed:
        return report
    hints = [h for h in [common_factor(report, net, loss.reduction)] if h]
    for other, text in activation_alternatives(net):
        if compare(other, loss, params, x, y, actual, **kwargs).passed:
            hints.append(text)
    return report.with_hints(hints)


# --- the NumPy entry point --------------------------------------------------------------------------

def check_gradients(params, activations, inputs, targets, loss, grads, *, reduction=None,
                    dtype=None, rtol=None, kink="left",
                    raise_on_failure: bool = True) -> Report:
    """Check ``grads`` (NumPy, JAX or torch arrays, lists; by name or in layer order) of
    the network whose parameters are ``params`` (W_l of shape n_l × n_{l-1}: z = W a + b),
    evaluated at ``inputs`` (N × n_0) and ``targets`` (N × n_L, or class indices for
    softmax-cross-entropy) with ``loss`` (a cost name, ``"mse"`` for the mean squared error).

    ``dtype`` defaults to the coarsest float dtype among ``grads`` (then ``params``).  Raises
    an AssertionError whose message starts with the per-layer summary unless every gradient
    agrees (or returns the failed :class:`Report` with ``raise_on_failure=False``)."""
    loss = declared_loss(loss, reduction)
    x = np.asarray(inputs) if isinstance(inputs, list) else inputs
    samples = int(np.shape(x)[0]) if np.ndim(x) == 2 else 1
    widths = widths_from(params, inputs)
    net = network_for(widths, activations, loss, samples)
    values = named_arrays(net, params, "params")
    got = named_arrays(net, grads, "grads")
    xa, ya = batch(net, inputs, targets)
    found = coarsest([dtype_name(grads), dtype_name(params)]) or "float64"
    dtype = check_dtype(dtype) if dtype is not None else found
    report = judge(net, loss, values, xa, ya, got, dtype=dtype, rtol=rtol, kink=kink)
    if raise_on_failure and not report.passed:
        raise AssertionError(report.message())
    return report
