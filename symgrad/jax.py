"""Check JAX and Flax gradients against symgrad's reference, in one call.

>>> import pytest; jnp = pytest.importorskip("jax.numpy")  # the doctest skips without JAX
>>> from symgrad.jax import check_params
>>> params = {"W_1": jnp.array([[0.5, -1.0], [0.25, 2.0]]), "b_1": jnp.array([0.1, -0.2]),
...           "W_2": jnp.array([[1.5, -0.5]]), "b_2": jnp.array([0.3])}
>>> x, y = jnp.array([[1.0, 2.0], [0.5, -1.0]]), jnp.array([[0.25], [0.75]])
>>> check_params(params, "tanh", x, y, "quadratic").passed         # jax.grad of symgrad's net
True

``params`` is a pytree of the parameters of z_l = W_l a_{l-1} + b_l (W_l of shape
n_l × n_{l-1}): a dict by name (``W_l``/``b_l``, a chain's ``w_l``, ``alpha_l`` for PReLU),
a list of ``(W_l, b_l)`` pairs or flat ``[W_1, b_1, W_2, ...]`` in layer order.  The
gradients are ``grads`` when given (from any program: JAX, NumPy, by hand), else
``jax.grad`` of ``loss`` (a function ``loss(params, x, y)``, declared with ``cost=``), of
``apply_fn(params, x)`` under the declared cost, or of symgrad's own forward pass of the
declared network.  JAX's precision is honoured: with ``jax_enable_x64`` off every number is
read as the float32 JAX computes with, and the check is at float32's tolerance.
:func:`check_flax` does the same for a Flax ``linen`` model whose kernels are
(n_{l-1}, n_l), the transpose of W_l.
"""
from __future__ import annotations

import functools

import numpy as np

from symgrad.arraycheck import declared_loss, judge, network_for, on_logits
from symgrad.arrays import (batch, check_dtype, coarsest, dtype_name, exact_array,
                            named_arrays, named_values, widths_from)
from symgrad.errors import UsageError

__all__ = ["jax_kinks", "check_params", "check_flax", "forward", "jax_cost", "flax_activation"]


# --- symgrad's network and cost, written in JAX ------------------------------------------------

def _unit(act, alpha=None):
    """σ of one layer as a JAX function of z."""
    import jax
    import jax.numpy as jnp
    name = act.name
    table = {
        "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
        "leaky_relu": jax.nn.leaky_relu, "linear": lambda z: z, "softplus": jax.nn.softplus,
        "elu": jax.nn.elu, "selu": jax.nn.selu, "silu": jax.nn.silu,
        "gelu": functools.partial(jax.nn.gelu, approximate=False),
        "gelu_tanh": functools.partial(jax.nn.gelu, approximate=True),
        "prelu": lambda z: jnp.where(z > 0, z, alpha * z),
        "softmax": lambda z: z,            # the logits: the cost takes log_softmax
    }
    if name in table:
        return table[name]
    if name.startswith("custom:"):
        import sympy as sp
        f = sp.lambdify(act.z, act.expression, modules="jax")
        return lambda z: f(z) * jnp.ones_like(z)
    raise UsageError(f"activations={name!r}: no JAX form; give grads= or apply_fn=")


def forward(net, params, x):
    """a_L of ``net`` (the logits z_L for a softmax output) at ``params`` (a pytree as
    :func:`check_params` takes it; JAX-traceable) for inputs ``x`` (N × n_0)."""
    P = named_values(net, params, "params")
    a = x
    for l in net.layers:
        z = a @ P[net.canonical(f"W_{l}")].T + P[f"b_{l}"]    # z_l = W_l a_{l-1} + b_l, by rows
        a = _unit(net.sigma(l), P.get(f"alpha_{l}"))(z)
    return a


def jax_cost(loss, net):
    """The declared loss as a JAX function ``(output, y)`` -> number: symgrad's summed cost,
    divided by N·n_L (by N for softmax cross-entropy) for a mean."""
    import jax
    import jax.numpy as jnp
    k = loss.divisor(net)
    if loss.cost == "softmax-cross-entropy":
        def total(z, y):                                      # −Σ y log softmax(z)
            return -jnp.sum(y * jax.nn.log_softmax(z, axis=-1))
    elif loss.cost == "cross-entropy" and loss.output == "sigmoid":
        def total(z, y):                                      # on the logits
            return -jnp.sum(y * jax.nn.log_sigmoid(z) + (1 - y) * jax.nn.log_sigmoid(-z))
    elif loss.cost == "cross-entropy":
        def total(a, y):                                      # −Σ [y ln a + (1 − y) ln(1 − a)]
            return -jnp.sum(y * jnp.log(a) + (1 - y) * jnp.log1p(-a))
    elif loss.cost == "quadratic":
        def total(a, y):                                      # ½ Σ (a − y)²
            return 0.5 * jnp.sum((a - y) ** 2)
    elif loss.cost == "squared-error":
        def total(a, y):                                      # Σ (a − y)²
            return jnp.sum((a - y) ** 2)
    else:
        raise UsageError(f"loss={loss.declared!r}: no JAX form of this cost; give grads= or "
                         "a loss function with cost=")
    return total if k == 1 else (lambda a, y: total(a, y) / k)


# --- reading what JAX holds -----------------------------------------------------------------------

def _as_jax(value):
    """``value`` as the JAX array JAX computes with (float32 unless x64 is enabled)."""
    import jax.numpy as jnp
    return value if hasattr(value, "dtype") and type(value).__module__.startswith("jax") \
        else jnp.asarray(np.asarray(value))


def _tree_as_jax(tree):
    import jax
    return jax.tree_util.tree_map(_as_jax, tree)


def _jit_grad(f, *args):
    """``jax.grad(f)(*args)``, compiled once (one XLA compilation instead of one per
    operation); a function that cannot be traced under ``jit`` runs as it is."""
    import jax
    try:
        return jax.jit(jax.grad(f))(*args)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
            jax.errors.TracerArrayConversionError, jax.errors.TracerIntegerConversionError):
        return jax.grad(f)(*args)


def _grads(params, x, y, net, loss, *, apply_fn=None, loss_fn=None):
    """∂(loss)/∂(params) by ``jax.grad``, in the pytree structure of ``params``."""
    if loss_fn is not None:
        return _jit_grad(lambda p: loss_fn(p, x, y), params)
    f = apply_fn or functools.partial(forward, net)
    cost = jax_cost(loss, net)
    return _jit_grad(lambda p: cost(f(p, x), y), params)


def jax_kinks(net) -> tuple:
    """The branch JAX's own activations take at z = 0 exactly, per layer: the right one for
    ``jax.nn.leaky_relu`` (``jnp.where(x >= 0, x, slope·x)``), the left for relu (its
    custom JVP), elu and selu (``jnp.where(x > 0, ...)``)."""
    return tuple("right" if net.sigma(l).name == "leaky_relu" else "left" for l in net.layers)


def check_params(params, activations, inputs, targets, loss, *, grads=None, apply_fn=None,
                 cost=None, reduction=None, dtype=None, rtol=None, kink=None,
                 raise_on_failure: bool = True):
    """Check the gradients of the network with parameters ``params`` and ``activations``
    (one name or one per layer, ``gelu_tanh`` for the tanh approximation) at ``inputs``
    (N × n_0) and ``targets`` (N × n_L, or class indices for softmax-cross-entropy).

    ``loss`` is a cost name (``"quadratic"``, ``"squared-error"``, ``"mse"`` for the mean
    squared error, ``"cross-entropy"``, ``"softmax-cross-entropy"``; ``reduction="mean"``
    for a mean) or a function ``loss(params, x, y)`` declared with ``cost=``.  Returns the
    :class:`~symgrad.report.Report`; raises an AssertionError (summary per layer first)
    unless every gradient agrees, or ``raise_on_failure=False``.  At z = 0 exactly the
    gradients are judged on the branch JAX's own activations take (:func:`jax_kinks`)
    unless ``kink`` says ``"left"`` or ``"right"``."""
    if callable(loss) and not isinstance(loss, str):
        if cost is None:
            raise UsageError(f"cost=None: a loss function ({getattr(loss, '__name__', 'loss')})"
                             " must be declared: cost='mse', 'squared-error', 'quadratic', "
                             "'cross-entropy' or 'softmax-cross-entropy'")
        declared, loss_fn = declared_loss(cost, reduction, "cost"), loss
    else:
        declared, loss_fn = declared_loss(loss, reduction), None
    if grads is None:
        params = _tree_as_jax(params)
        inputs = _as_jax(inputs)
    samples = int(np.shape(inputs)[0]) if np.ndim(inputs) == 2 else 1
    last = activations if isinstance(activations, str) else list(activations)[-1]
    declared = on_logits(declared, str(last).strip().lower() in ("linear", "identity"))
    net = network_for(widths_from(params, inputs), activations, declared, samples)
    x, y = batch(net, inputs, targets)
    values = named_arrays(net, params, "params")          # names and shapes checked first
    if grads is None:
        xj = _as_jax(x).astype(inputs.dtype)
        yj = _as_jax(y).astype(inputs.dtype)
        grads = _grads(params, xj, yj, net, declared, apply_fn=apply_fn, loss_fn=loss_fn)
    found = coarsest([dtype_name(grads), dtype_name(params)]) or "float64"
    report = judge(net, declared, values, x, y, named_arrays(net, grads, "grads"),
                   dtype=check_dtype(dtype) if dtype is not None else found, rtol=rtol,
                   kink=jax_kinks(net) if kink is None else kink)
    if raise_on_failure and not report.passed:
        raise AssertionError(report.message())
    return report


# --- Flax ---------------------------------------------------------------------------------------

def flax_activation(fn) -> str:
    """symgrad's name (or expression) of an activation function in a Flax model:
    ``nn.sigmoid``, ``nn.tanh``, ``nn.relu``, ``nn.leaky_relu``, ``nn.elu``, ``nn.selu``,
    ``nn.softplus``, ``nn.silu``/``nn.swish``, ``nn.gelu`` (its default ``approximate=True``
    is ``gelu_tanh``; ``functools.partial(nn.gelu, approximate=False)`` is ``gelu``)."""
    import jax
    import jax.numpy as jnp
    base, kw = (fn.func, dict(fn.keywords)) if isinstance(fn, functools.partial) else (fn, {})
    plain = [(jax.nn.sigmoid, "sigmoid"), (jnp.tanh, "tanh"), (jax.nn.relu, "relu"),
             (jax.nn.softplus, "softplus"), (jax.nn.selu, "selu"), (jax.nn.silu, "silu")]
    for f, name in plain:
        if base is f and not kw:
            return name
    if base is jax.nn.gelu:
        return "gelu_tanh" if kw.get("approximate", True) else "gelu"
    if base is jax.nn.leaky_relu:
        s = float(kw.get("negative_slope", 0.01))
        return "leaky_relu" if s == 0.01 else f"{'max' if s <= 1 else 'min'}(x, {s!r}*x)"
    if base is jax.nn.elu:
        a = float(kw.get("alpha", 1.0))
        return "elu" if a == 1.0 else f"max(x, 0) + {a!r}*(exp(min(x, 0)) - 1)"
    shown = getattr(base, "__name__", type(base).__name__)
    raise UsageError(f"activation={shown}: symgrad maps sigmoid, tanh, relu, leaky_relu, elu, "
                     "selu, softplus, silu and gelu of jax.nn (flax.linen re-exports them)")


def _flax_layers(model, variables, activations):
    """(parameter key, has bias) of every Dense layer in order, and the activations."""
    import flax.linen as nn
    params = variables.get("params") if hasattr(variables, "get") else None
    if params is None:
        raise UsageError("variables: must hold 'params' (what model.init returns)")
    keys = [k for k, v in params.items() if hasattr(v, "get") and "kernel" in v]
    if not keys:
        raise UsageError("variables['params']: holds no Dense layer (no 'kernel')")
    if activations is None:
        if not isinstance(model, nn.Sequential):
            raise UsageError(f"activations=None: a {type(model).__name__} module's forward "
                             "cannot be read; give activations= (one name or one per layer)")
        acts = []
        for k, layer in enumerate(model.layers):
            if isinstance(layer, nn.Dense):
                acts.append("linear")
            elif not acts or acts[-1] != "linear":
                raise UsageError(f"model.layers[{k}]: expected a Dense layer or one "
                                 "activation after each Dense layer")
            else:
                acts[-1] = flax_activation(layer)
        activations = acts
    return [(k, "bias" in params[k]) for k in keys], activations


def check_flax(model, variables, inputs, targets, loss, *, activations=None, cost=None,
               reduction=None, dtype=None, rtol=None, kink=None,
               raise_on_failure: bool = True):
    """Check ``jax.grad`` of a Flax ``linen`` model of Dense layers against the reference.

    An ``nn.Sequential`` of ``nn.Dense`` layers and activation functions is read as it is;
    any other module needs ``activations=`` (its Dense layers taken in the order of
    ``variables["params"]``).  Flax's kernel is (n_{l-1}, n_l), the transpose of W_l, and
    a disagreement is named by its place in the kernel (``params['layers_2']['kernel'][1, 3]``).
    ``loss`` as in :func:`check_params` (a cost name, or a function
    ``loss(params, x, y)`` declared with ``cost=``); ``kink`` as there."""
    import jax
    layers, activations = _flax_layers(model, variables, activations)
    if callable(loss) and not isinstance(loss, str):
        raise UsageError("loss: give a cost name ('quadratic', 'mse', ...); a loss function "
                         "of the params goes to check_params")
    declared = declared_loss(loss, reduction) if cost is None else \
        declared_loss(cost, reduction, "cost")
    last = activations if isinstance(activations, str) else activations[-1]
    declared = on_logits(declared, str(last).strip().lower() in ("linear", "identity"))
    params = variables["params"]
    x_j = _as_jax(inputs)
    samples = int(x_j.shape[0]) if x_j.ndim == 2 else 1
    widths = [int(params[layers[0][0]]["kernel"].shape[0])] + \
        [int(params[k]["kernel"].shape[1]) for k, _ in layers]
    net = network_for(widths, activations, declared, samples)
    x, y = batch(net, x_j, targets)
    y_j = _as_jax(y).astype(x_j.dtype)
    cost_fn = jax_cost(declared, net)
    grads = _jit_grad(lambda p: cost_fn(model.apply({**variables, "params": p}, x_j), y_j), params)

    def by_name(tree):
        out = {}
        for l, (key, bias) in enumerate(layers, 1):
            out[net.canonical(f"W_{l}")] = exact_array(tree[key]["kernel"], key).T
            out[f"b_{l}"] = exact_array(tree[key]["bias"], key) if bias else np.zeros(net.n(l))
        return out

    def where(name, index):
        kind, l = net.parameter(name)
        key = layers[l - 1][0]
        if kind == "W":
            j, k = index or (0, 0)
            return f"params[{key!r}]['kernel'][{k}, {j}]"
        return f"params[{key!r}]['bias'][{index[0] if index else 0}]"

    labels = {l: f"params[{key!r}] Dense({net.n(l - 1)}→{net.n(l)}) + {net.sigma(l).name}"
              for l, (key, _) in enumerate(layers, 1)}
    skip = tuple(f"b_{l}" for l, (_, bias) in enumerate(layers, 1) if not bias)
    found = coarsest([dtype_name(jax.tree_util.tree_leaves(grads))]) or "float64"
    report = judge(net, declared, by_name(params), x, y, by_name(grads),
                   dtype=check_dtype(dtype) if dtype is not None else found, rtol=rtol,
                   where=where, layers=labels, skip=skip,
                   kink=jax_kinks(net) if kink is None else kink)
    if raise_on_failure and not report.passed:
        raise AssertionError(report.message())
    return report
