"""Reading another program's arrays: parameter names, shapes, dtypes and exact values.

The PyTorch, JAX and NumPy adapters and the pytest plugin hand symgrad weights, inputs and
gradients as tensors, arrays, lists or numbers.  This module turns them into what the
reference needs, without importing any framework (tensors are recognised by their methods):

* **exact values**: every float32, bfloat16 or float64 number is a rational, and it is read
  as that rational (a float64 array holds it exactly; nothing is rounded);
* **the dtype** the implementation worked in, the coarsest one among the values (a list of
  0-d float32 tensors is float32, not float64);
* **names**: ``W_l``, ``b_l`` (``w_l`` in a chain), ``alpha_l``, with did-you-mean for near
  misses such as ``dC/dw_3``, ``W3`` or ``weight_3``;
* **shapes**: W_l is n_l × n_{l-1} (z = W a + b, PyTorch's ``nn.Linear.weight`` layout); a
  transposed matrix is named as such.

>>> from symgrad.model.network import Dense
>>> net = Dense([4, 8, 2])
>>> resolve_name(net, "W_1"), resolve_name(net, "b_2")
('W_1', 'b_2')
>>> resolve_name(net, "dC/dW2")
Traceback (most recent call last):
...
symgrad.errors.UsageError: grads['dC/dW2']: not a parameter name; did you mean 'W_2'? this network has W_l, b_l for l = 1..2
>>> parameter_array(net, "W_1", np.zeros((4, 8)), "grads['W_1']")
Traceback (most recent call last):
...
symgrad.errors.UsageError: grads['W_1']: expected 8×4 (n_1 × n_0, z = W a + b), got 4×8: transposed?
>>> dtype_name(np.float32(1.5)), dtype_name([np.float32(1), np.float32(2)]), dtype_name(0.5)
('float32', 'float32', 'float64')
"""
from __future__ import annotations

import math
import re
from typing import Mapping

import numpy as np

from symgrad.errors import UsageError
from symgrad.model.activations import get_activation

__all__ = ["activation_for", "DTYPES", "dtype_name", "coarsest", "check_dtype", "exact_array", "parse_name", "resolve_name",
           "parameter_array", "named_values", "named_arrays", "widths_from", "batch", "shown_shape"]

#: the floating-point types an implementation may work in, finest first
DTYPES = ("float64", "float32", "float16", "bfloat16")
#: unit roundoff of each
_EPS = {"float64": 2.0 ** -52, "float32": 2.0 ** -23, "float16": 2.0 ** -10,
        "bfloat16": 2.0 ** -7}
_DTYPE_ALIASES = {"double": "float64", "float": "float32", "single": "float32",
                  "half": "float16", "bf16": "bfloat16", "f64": "float64", "f32": "float32"}


# --- dtypes ---------------------------------------------------------------------------------

def _one_dtype(value) -> str | None:
    """'float32' and the like for an array, tensor or NumPy scalar, 'float64' for a Python
    float, None for exact numbers (ints, strings, Fractions) and for integer arrays."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        name = str(dtype).replace("torch.", "").replace("jnp.", "")
        name = _DTYPE_ALIASES.get(name, name)
        return name if name in DTYPES else None
    if isinstance(value, float):
        return "float64"
    return None


def dtype_name(value) -> str | None:
    """The coarsest float dtype among ``value`` and, for lists, tuples and dicts, its
    elements; None when every number is exact.

    >>> dtype_name({"W_1": np.zeros(2, np.float32), "b_1": np.zeros(2)})
    'float32'
    >>> dtype_name([1, 2]) is None
    True
    """
    if isinstance(value, Mapping):
        return coarsest(dtype_name(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return coarsest(dtype_name(v) for v in value)
    return _one_dtype(value)


def coarsest(dtypes) -> str | None:
    """The dtype with the largest unit roundoff among ``dtypes`` (Nones skipped).

    >>> coarsest(["float64", None, "bfloat16", "float32"])
    'bfloat16'
    """
    found = [d for d in dtypes if d is not None]
    return max(found, key=_EPS.__getitem__) if found else None


def check_dtype(dtype, argument: str = "dtype") -> str:
    """A dtype given as a name, NumPy dtype or torch dtype, as one of :data:`DTYPES`."""
    name = str(getattr(dtype, "name", dtype)).replace("torch.", "")
    name = _DTYPE_ALIASES.get(name, name)
    if name not in DTYPES:
        raise UsageError(f"{argument}={dtype!r}: must be one of {', '.join(DTYPES)}")
    return name



# --- exact values ---------------------------------------------------------------------------

def _as_numpy(value):
    """A tensor or array as a NumPy array, without importing its framework: a torch tensor
    through ``.detach().cpu()`` (bfloat16 widened exactly with ``.double()``)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu()
        if str(value.dtype) in ("torch.bfloat16", "torch.float16", "torch.float32"):
            value = value.double()
        return value.numpy()
    return value


def exact_array(value, place: str) -> np.ndarray:
    """``value`` (a tensor, array, nested list or number) as a float64 array holding every
    number exactly: float32, float16 and bfloat16 widen to float64 without rounding.
    NaN and infinity are refused with the place named.

    >>> exact_array([[1, 2]], "x").tolist(), exact_array(np.float32(0.1), "w").item()
    ([[1.0, 2.0]], 0.10000000149011612)
    """
    if isinstance(value, (list, tuple)):
        value = [_as_numpy(v) for v in value]
        if any(isinstance(v, np.ndarray) for v in value) and value:
            value = [np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) else v
                     for v in value]
    value = _as_numpy(value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageError(f"{place}: must be numbers (a tensor, an array or nested lists), "
                         f"got {type(value).__name__}") from None
    if not np.all(np.isfinite(arr)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise UsageError(f"{place}{list(where) if where else ''}={arr[where]}: "
                         "must be a finite number")
    return arr


# --- names ----------------------------------------------------------------------------------

#: words people use for each kind of parameter
_KINDS = {"w": "W", "weight": "W", "weights": "W", "kernel": "W", "b": "b", "bias": "b",
          "biases": "b", "alpha": "alpha", "slope": "alpha", "α": "alpha", "a": "alpha"}
_NEAR = re.compile(r"(?:(?:d[cl]|∂[cl])\s*/\s*(?:d|∂)|grad(?:ient)?s?[_ ]?(?:of[_ ])?|d)?"
                   r"\s*(?P<kind>weights?|kernel|bias(?:es)?|alpha|slope|α|w|b|a)"
                   r"\s*[_\-\[ ]?\s*(?P<layer>\d{1,6})\]?", re.IGNORECASE)


def parse_name(key) -> tuple[str, int] | None:
    """``(kind, layer)`` for an exact name ``W_l``, ``w_l``, ``b_l`` or ``alpha_l``, else None.

    >>> parse_name("W_3"), parse_name("w_3"), parse_name("alpha_2"), parse_name("W3")
    (('W', 3), ('W', 3), ('alpha', 2), None)
    """
    match = re.fullmatch(r"(W|w|b|alpha)_(\d{1,6})", str(key))
    if not match:
        return None
    kind = "W" if match.group(1) in "Ww" else match.group(1)
    return kind, int(match.group(2))


def _near_miss(key) -> tuple[str, int] | None:
    """``(kind, layer)`` that a name such as ``dC/dw_3``, ``W3`` or ``weight_3`` means."""
    match = _NEAR.fullmatch(str(key).strip())
    if not match:
        return None
    return _KINDS[match.group("kind").lower()], int(match.group("layer"))


def _allowed(net) -> str:
    slopes = any(map(net.has_slope, net.layers))
    return (f"{net.weight_name}_l, b_l for l = 1..{net.L}"
            + (", alpha_l for the PReLU layers" if slopes else ""))


def resolve_name(net, key, argument: str = "grads") -> str:
    """The network's own name for ``key``: ``W_l`` (``w_l`` in a chain, where ``W_l`` is
    accepted too), ``b_l``, ``alpha_l``.  A near miss is refused with the name it likely
    means; a layer out of range says how layers are counted.

    >>> from symgrad.model.network import Chain
    >>> resolve_name(Chain(depth=3), "W_2"), resolve_name(Chain(depth=3), "w_2")
    ('w_2', 'w_2')
    >>> resolve_name(Chain(depth=3), "weight_0")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: grads['weight_0']: not a parameter name; layers count from 1 (w_1 joins the input to layer 1); this network has w_l, b_l for l = 1..3
    """
    exact = parse_name(key)
    if exact is not None and not (exact[0] == "W" and str(key)[0] == "w" and not net.is_chain):
        kind, l = exact
        if 1 <= l <= net.L and (kind != "alpha" or net.has_slope(l)):
            return net.canonical(f"{kind}_{l}")
    near = exact or _near_miss(key)
    place = f"{argument}[{key!r}]"
    if near is None:
        raise UsageError(f"{place}: not a parameter name; this network has {_allowed(net)}")
    kind, l = near
    kind = net.weight_name if kind == "W" else kind
    if l == 0:
        raise UsageError(f"{place}: not a parameter name; layers count from 1 ({kind}_1 "
                         f"joins the input to layer 1); this network has {_allowed(net)}")
    if l > net.L:
        raise UsageError(f"{place}: not a parameter name; this network has {net.L} "
                         f"layer{'s' if net.L > 1 else ''}: {_allowed(net)}")
    if kind == "alpha" and not net.has_slope(l):
        raise UsageError(f"{place}: layer {l} has no learned slope (only PReLU layers "
                         f"have alpha_l); this network has {_allowed(net)}")
    raise UsageError(f"{place}: not a parameter name; did you mean '{kind}_{l}'? this "
                     f"network has {_allowed(net)}")


# --- shapes ---------------------------------------------------------------------------------

def shown_shape(shape) -> str:
    """``(8, 4)`` as ``8×4``, ``(3,)`` as ``3``, ``()`` as ``a number``."""
    return "×".join(map(str, shape)) if shape else "a number"


def parameter_array(net, name: str, value, place: str) -> np.ndarray:
    """``value`` as the exact float64 array of parameter ``name``'s shape (W_l is
    n_l × n_{l-1}; a bias may come as a row or a column; a chain's numbers as 1×1 or
    scalars), or one line naming the shape expected and, where it fits, what went wrong."""
    arr = exact_array(value, place)
    want = net.parameter_shape(name)
    kind, l = net.parameter(name)
    if arr.shape == want:
        return arr
    if arr.size == math.prod(want) and (kind != "W" or net.n(l) == 1 or net.n(l - 1) == 1):
        return arr.reshape(want)           # a bias as a column, a chain's w_l as a number
    what = {"W": f"n_{l} × n_{l - 1}, z = W a + b", "b": f"n_{l}", "alpha": "α_l"}[kind]
    hint = ""
    if kind == "W" and arr.shape == want[::-1]:
        hint = ": transposed?"
    elif kind == "W" and arr.ndim == 2 and arr.shape[0] == want[0]:
        hint = f": layer {l - 1} has {want[1]} units"
    raise UsageError(f"{place}: expected {shown_shape(want)} ({what}), "
                     f"got {shown_shape(arr.shape)}{hint}")


def _layer_order(values, argument: str) -> dict:
    """``{"W_1": ..., "b_1": ...}`` from a list in layer order: ``[(W_1, b_1), (W_2, b_2)]``
    (with α_l as a third entry for PReLU layers), or flat ``[W_1, b_1, W_2, b_2, ...]`` (the
    order of PyTorch's ``parameters()``), or ``{"W": [...], "b": [...], "alpha": [...]}``."""
    if isinstance(values, Mapping):
        out = {}
        for kind, seq in values.items():
            key = {"w": "W", "W": "W", "b": "b", "alpha": "alpha"}[kind]
            for l, v in enumerate(seq, 1):
                out[f"{key}_{l}"] = v
        return out
    values = list(values)
    if all(isinstance(v, (list, tuple)) and 2 <= len(v) <= 3
           and not isinstance(v[0], (int, float)) for v in values):
        pairs = values
    else:
        if len(values) % 2:
            raise UsageError(f"{argument}: {len(values)} arrays in layer order; give W_l, b_l "
                             "for each layer l = 1..L (or pairs (W_l, b_l), or a dict by name)")
        pairs = [values[i:i + 2] for i in range(0, len(values), 2)]
    out = {}
    for l, pair in enumerate(pairs, 1):
        out[f"W_{l}"], out[f"b_{l}"] = pair[0], pair[1]
        if len(pair) == 3:
            out[f"alpha_{l}"] = pair[2]
    return out


def _is_layer_dict(values) -> bool:
    return isinstance(values, Mapping) and values and set(values) <= {"w", "W", "b", "alpha"} \
        and all(isinstance(v, (list, tuple)) for v in values.values())


def named_values(net, values, argument: str = "grads") -> dict:
    """``values`` by the network's parameter names, the values untouched (JAX tracers pass
    through): from a dict by name (any resolvable spelling), or a list or dict of lists in
    layer order; a doubled parameter is one line."""
    if hasattr(values, "items") and not isinstance(values, Mapping):
        values = dict(values.items())
    if _is_layer_dict(values) or isinstance(values, (list, tuple)):
        values = _layer_order(values, argument)
    if not isinstance(values, Mapping):
        raise UsageError(f"{argument}={type(values).__name__}: must be a dict by parameter "
                         "name ({'W_1': ..., 'b_1': ...}) or a list in layer order")
    out, given_as = {}, {}
    for key, value in values.items():
        if str(key) == "cost":
            continue
        name = resolve_name(net, key, argument)
        if name in out:
            raise UsageError(f"{argument}[{key!r}]: {name} is given twice (as "
                             f"{given_as[name]!r} too)")
        given_as[name] = key
        out[name] = value
    return out


def named_arrays(net, values, argument: str = "grads", *, complete: bool = True) -> dict:
    """Every parameter of ``net`` as an exact float64 array of its shape, from ``values`` as
    :func:`named_values` reads them; a missing parameter is one line (with
    ``complete=False`` it is left out)."""
    out = {name: parameter_array(net, name, value, f"{argument}[{name!r}]")
           for name, value in named_values(net, values, argument).items()}
    missing = [n for n in net.parameter_names() if n not in out]
    if missing and complete:
        raise UsageError(f"{argument}: missing {', '.join(missing)}; this network has "
                         f"{_allowed(net)}")
    return out


def widths_from(params, x, argument: str = "params") -> tuple:
    """n_0, ..., n_L read off the inputs ``x`` (n_0 = its last axis) and the biases (n_l =
    the length of b_l), so a transposed W_l can then be named as such.

    >>> widths_from({"W_1": np.zeros((3, 2)), "b_1": np.zeros(3), "W_2": np.zeros((1, 3)),
    ...              "b_2": np.zeros(1)}, np.zeros((5, 2)))
    (2, 3, 1)
    """
    if _is_layer_dict(params) or isinstance(params, (list, tuple)):
        params = _layer_order(params, argument)
    if not isinstance(params, Mapping):
        raise UsageError(f"{argument}={type(params).__name__}: must be a dict by parameter "
                         "name ({'W_1': ..., 'b_1': ...}) or a list in layer order")
    biases = {}
    for key, value in params.items():
        found = parse_name(key)
        if found is None:
            near = _near_miss(key)
            hint = f"did you mean '{near[0]}_{near[1]}'? " if near else ""
            raise UsageError(f"{argument}[{key!r}]: not a parameter name; {hint}the names "
                             "are W_l (w_l in a chain), b_l, alpha_l for l = 1..L")
        if found[0] == "b":
            biases[found[1]] = np.size(exact_array(value, f"{argument}[{key!r}]"))
    L = max(biases, default=0)
    if L == 0 or sorted(biases) != list(range(1, L + 1)):
        raise UsageError(f"{argument}: biases b_1 .. b_L by name (or in layer order) are "
                         f"needed to read the widths; found {sorted(biases) or 'none'}")
    x = exact_array(x, "inputs")
    n0 = x.shape[-1] if x.ndim else 1
    return (n0,) + tuple(biases[l] for l in range(1, L + 1))


# --- inputs and targets ---------------------------------------------------------------------

def batch(net, x, y, *, labels_ok: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as N × n_0 and ``y`` as N × n_L exact float64 arrays (N the network's samples;
    one sample may be a vector, a chain's numbers scalars).  With a softmax output, ``y`` may
    be N class indices, read as one-hot rows.

    >>> from symgrad.model.network import Dense
    >>> x, y = batch(Dense([2, 3], "linear", "softmax-cross-entropy", samples=2),
    ...              [[1, 2], [3, 4]], np.array([2, 0]))
    >>> y.tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    N, n0, nL = net.samples, net.n(0), net.n(net.L)
    xa = exact_array(x, "inputs").reshape(-1) if np.ndim(_as_numpy(x)) <= 1 and N == 1 \
        else exact_array(x, "inputs")
    if xa.size != N * n0 or (xa.ndim == 2 and xa.shape != (N, n0)):
        raise UsageError(f"inputs: expected {shown_shape((N, n0))} (N samples × n_0), "
                         f"got {shown_shape(xa.shape)}")
    ya = exact_array(y, "targets")
    if labels_ok and net.softmax_output and ya.shape == (N,) and nL != 1:
        if not np.all((ya == np.round(ya)) & (ya >= 0) & (ya < nL)):
            raise UsageError(f"targets={ya.tolist()[:6]}: class indices must be integers "
                             f"from 0 to {nL - 1}")
        ya = np.eye(nL)[ya.astype(int)]
    if ya.size != N * nL or (ya.ndim == 2 and ya.shape != (N, nL)):
        raise UsageError(f"targets: expected {shown_shape((N, nL))} (N samples × n_L), "
                         f"got {shown_shape(ya.shape)}")
    return xa.reshape(N, n0), ya.reshape(N, nL)


# --- activations by name ---------------------------------------------------------------------

def activation_for(name, argument: str = "activations"):
    """An activation by name (``gelu_tanh``, the tanh approximation of GELU, is a built-in)
    or expression, as :func:`~symgrad.model.activations.get_activation` takes them, the
    argument named ``argument`` in errors.

    >>> activation_for("gelu-tanh").name
    'gelu_tanh'
    """
    return get_activation(name, argument=argument)
