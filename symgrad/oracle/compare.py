"""Judging another implementation's gradients against the reference: three verdicts.

* ``pass`` -- within what a correct implementation in the dtype attains with stable forms
  (:func:`~symgrad.oracle.tolerances.error_bounds`, times SAFETY);
* ``unstable`` -- outside that, but within the rounding of the textbook formulas PyTorch and
  JAX differentiate (σ(1 − σ), 1 − tanh², ...): reported with the stable form that fixes it;
* ``fail`` -- a bug.  A NaN or ±inf the implementation returned is its answer and a
  ``fail`` for that value (where the truth is finite), named with the truth beside it.

Errors are absolute against absolute bounds, reported relative to the true value; a value
that is exactly 0 with an exact computation behind it (a dead unit) must come out exactly 0.

>>> from symgrad.model.network import Chain
>>> from symgrad.oracle.reference import reference
>>> net = Chain(depth=3)
>>> point = {"b_3": "0.5", "b_2": "-1", "b_1": "0.25", "w_3": "2", "w_2": "-0.5", "w_1": "1.5"}
>>> ref = reference(net, point, {"a_0": "1", "y": "0"}, digits=30)
>>> good = {name: float(value) for name, value in ref.gradients.items()}
>>> assert_gradients_close(good, ref).verdict
'pass'
>>> assert_gradients_close(dict(good, b_1=good["b_1"] * 1.001), ref)
Traceback (most recent call last):
...
AssertionError: gradients differ from the reference at 1 of 6 (Chain(depth=3, activation='sigmoid', cost='quadratic')); in backpropagation order, the first is
  dC/db_1 (layer 1): expected -2.882975686867235e-3, actual -2.885858662554102e-3, relative error 1.0e-3 > tolerance 2.0e-14: fail (float64, stable forms)
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, NamedTuple

import numpy as np
from flint import arb

from symgrad.errors import UsageError
from symgrad.oracle.decimals import ball_float, decimal_string
from symgrad.oracle.point import number
from symgrad.oracle.reference import DEFAULT_DIGITS, Reference, leaves, reference
from symgrad.oracle.rounding import FIXES
from symgrad.oracle.dtypes import dtype_of
from symgrad.oracle.tolerances import OPEN_REASONS, SAFETY, error_bounds

__all__ = ["VERDICTS", "Entry", "Comparison", "judge", "compare_gradients",
           "assert_gradients_close", "backprop_order", "short", "worst"]

VERDICTS = ("pass", "unstable", "fail")


def short(x: float) -> str:
    """1.0e-3 style; inf and nan as such."""
    if math.isinf(x) or math.isnan(x):
        return str(x)
    return f"{x:.1e}".replace("e-0", "e-").replace("e+0", "e+")


def worst(verdicts) -> str:
    """The worst of some verdicts (``pass`` for none)."""
    return max(verdicts, key=VERDICTS.index, default="pass")


class Entry(NamedTuple):
    """One value judged: ``name`` with its index (``W_2[1][0]``), its layer, the true value
    (a ball), the implementation's value (exact, or a float NaN/inf), the relative error, the
    relative tolerance, the verdict and a note."""

    name: str
    layer: int | None
    expected: arb
    actual: object
    error: float
    tolerance: float
    verdict: str
    note: str = ""

    def shown_actual(self) -> str:
        if self.actual is None:
            return "missing"
        if isinstance(self.actual, float) and not math.isfinite(self.actual):
            return str(self.actual)
        if isinstance(self.actual, str):             # a decimal as the implementation wrote it
            return self.actual if len(self.actual) <= 24 else self.actual[:21] + "..."
        return decimal_string(self.actual, 16)

    def line(self) -> str:
        what = "cost C" if self.name == "cost" else f"dC/d{self.name} (layer {self.layer})"
        sign = "<=" if self.verdict == "pass" else ">"
        text = (f"{what}: expected {decimal_string(self.expected, 16)}, actual "
                f"{self.shown_actual()}, relative error {short(self.error)} {sign} tolerance "
                f"{short(self.tolerance)}")
        if self.verdict != "pass":
            text += f": {self.verdict}"
        return text + (f" ({self.note})" if self.note else "")


def _rel(err: float, truth: float, ball: arb | None = None) -> float:
    """err/|truth|; a truth below float64's range (``truth`` 0, ``ball`` not) divides as a
    ball, so that the relative numbers shown stay true."""
    if truth == 0:
        if err == 0:
            return 0.0
        return float(arb(err) / abs(ball)) if ball is not None and ball != 0 else math.inf
    return err / truth if math.isfinite(truth) else 0.0


def judge(name: str, layer, truth: arb, got, bound: float, textbook: float, is_open: int,
          huge: float, rtol: float | None = None, fix: str = "") -> Entry:
    """The verdict on one value ``got`` (exact, a float, or None) against the ball
    ``truth``, with absolute error bounds ``bound`` (stable) and ``textbook``; ``is_open``
    a key of :data:`~symgrad.oracle.tolerances.OPEN_REASONS` (0: judged)."""
    t = abs(ball_float(truth))
    tol = rtol if rtol is not None else (
        0.0 if truth.is_zero() else _rel(SAFETY * bound, t, truth))   # 0: exactly 0 expected
    if got is None:
        return Entry(name, layer, truth, None, math.inf, tol, "fail", "no value given")
    if is_open in (2, 3):     # a correct implementation overflows or loses z: inf, NaN
        return Entry(name, layer, truth, got, math.nan, math.inf, "pass",
                     OPEN_REASONS[is_open])
    if isinstance(got, float) and not math.isfinite(got):
        if math.isinf(got) and t > huge and (got > 0) == (truth > 0):
            return Entry(name, layer, truth, got, 0.0, tol, "pass", "beyond the dtype's range")
        return Entry(name, layer, truth, got, math.inf, tol, "fail", "not a finite number")
    if isinstance(got, float):    # |got − float(truth)|: exact by Sterbenz where close, and
        ball = None               # float(truth) errs by u/2 |truth|, below every bound
        err_abs = abs(got - t) if truth >= 0 else abs(got + t)
    else:                         # a decimal string rounded outward, an fmpq
        ball = arb(got)
        err_abs = abs(ball_float(ball - truth))
    err = _rel(err_abs, t, truth)
    if is_open:
        return Entry(name, layer, truth, got, err, math.inf, "pass", OPEN_REASONS[is_open])
    if t > huge:
        return Entry(name, layer, truth, got, err, math.inf, "pass",
                     "not judged: beyond the dtype's range")
    if rtol is not None:
        ok = err <= rtol if t else (got == 0 if ball is None else ball.is_zero())
        return Entry(name, layer, truth, got, err, tol, "pass" if ok else "fail")
    if err_abs <= SAFETY * bound:
        return Entry(name, layer, truth, got, err, tol, "pass")
    note = "expected exactly 0: the path passes through σ'(z) = 0" if t == 0 else ""
    if err_abs <= SAFETY * textbook:
        return Entry(name, layer, truth, got, err, tol, "unstable",
                     f"within the rounding of the textbook form: {fix}" if fix else "")
    return Entry(name, layer, truth, got, err, tol, "fail", note)


def backprop_order(net) -> list:
    """Parameter names layer by layer from the output: b_L, W_L, α_L, b_{L-1}, ... so the
    first disagreement names the layer where an error enters the backward pass."""
    out = []
    for l in range(net.L, 0, -1):
        out += [f"b_{l}", f"{net.weight_name}_{l}"] + (
            [f"alpha_{l}"] if net.has_slope(l) else [])
    return out


def _value(value, place: str):
    """The implementation's number as given: exact, or a float NaN/inf."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return value
    if isinstance(value, str) and value.strip().lower().lstrip("+-") in ("nan", "inf",
                                                                          "infinity"):
        return float(value.strip().lower().replace("infinity", "inf"))
    return number(value, place)


def _arrayish(value):
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return value


def _flatten_actual(actual, net) -> tuple[dict, list]:
    """Name → value (scalar or array) from a dict by name, or from
    ``{"w": [...], "b": [...], "alpha": [...]}`` in layer order (layer 1 first)."""
    if hasattr(actual, "items") and not isinstance(actual, Mapping):
        actual = dict(actual.items())
    if not isinstance(actual, Mapping):
        raise UsageError(f"actual={type(actual).__name__}: must be a dict of gradients by "
                         "parameter name, or {'w': [...], 'b': [...]} in layer order")
    if actual and set(actual) <= {"w", "W", "b", "alpha", "cost"}:
        out = {k: v for k, v in actual.items() if k == "cost"}
        for kind, values in actual.items():
            if kind == "cost":
                continue
            values = list(_arrayish(values))
            layers = [l for l in net.layers if kind != "alpha" or net.has_slope(l)]
            if kind == "alpha" and len(values) == net.L:
                values = [v for l, v in zip(net.layers, values) if net.has_slope(l)]
            if len(values) != len(layers):
                raise UsageError(f"actual[{kind!r}]: {len(values)} values, the network needs "
                                 f"{len(layers)} (layer order, layer 1 first)")
            out.update({f"{kind}_{l}": v for l, v in zip(layers, values)})
        actual = out
    found, spellings = {}, _spellings(net)
    for name, value in actual.items():
        key = spellings.get(name) if isinstance(name, str) else None
        if key is None:
            try:
                key = "{}_{}".format(*net.parameter(name))
            except UsageError:
                raise UsageError(f"actual[{name!r}]: not a parameter of {net!r}; expected "
                                 f"{', '.join(net.parameter_names()[:4])}, ...") from None
        found[key] = value if type(value) is float else _arrayish(value)
    dtypes = {"float64" if type(v) is float else
              str(getattr(v, "dtype", "")).replace("torch.", "") for v in found.values()}
    return found, sorted(t for t in dtypes if "float" in t)


@lru_cache(maxsize=64)
def _spellings(net) -> dict:
    """Every name of a parameter (w_l and W_l in a chain), and "cost", → its canonical name."""
    out = {"cost": "cost"}
    for name in net.parameter_names():
        kind, l = net.parameter(name)
        out[name] = out[f"{kind}_{l}"] = f"{kind}_{l}"
    return out


def _components(value, shape: tuple, place: str) -> list:
    """(index, exact value) of an array-like in ``shape``, row-major."""
    if not shape and isinstance(value, (float, int, str)):
        return [((), _value(value, place))]
    if not shape:
        if isinstance(value, (list, tuple, np.ndarray)) and np.size(value) == 1:
            value = np.asarray(value, dtype=object).reshape(()).item()
        return [((), _value(value, place))]
    arr = np.asarray(value, dtype=object)
    if arr.size == int(np.prod(shape)) and all(n == 1 for n in shape):
        arr = arr.reshape(shape)
    if arr.shape != shape:
        raise UsageError(f"{place}: has shape {arr.shape}, expected {shape}")
    return [(idx, _value(arr[idx], f"{place}{''.join(f'[{i}]' for i in idx)}"))
            for idx in np.ndindex(*shape)]


@dataclass(frozen=True)
class Comparison:
    """The verdicts on one implementation's values at one point."""

    reference: Reference
    entries: tuple
    how: str
    strict: bool = False

    @property
    def verdict(self) -> str:
        return worst(e.verdict for e in self.entries)

    @property
    def passed(self) -> bool:
        """No ``fail`` (and, when ``strict``, no ``unstable`` either)."""
        return self.verdict == "pass" or (self.verdict == "unstable" and not self.strict)

    @property
    def failures(self) -> list:
        bad = ("unstable", "fail") if self.strict else ("fail",)
        return [e for e in self.entries if e.verdict in bad]

    def message(self, limit: int = 10) -> str:
        bad = self.failures
        if not bad:
            return (f"all {len(self.entries)} values agree with the reference "
                    f"({self.reference.network!r}; {self.how})")
        lines = [f"gradients differ from the reference at {len(bad)} of {len(self.entries)} "
                 f"({self.reference.network!r}); in backpropagation order, the first is",
                 "  " + bad[0].line() + f" ({self.how})"]
        if len(bad) > 1:
            lines.append("then:")
            lines += ["  " + e.line() for e in bad[1:limit]]
            if len(bad) > limit:
                lines.append(f"  ... and {len(bad) - limit} more")
        return "\n".join(lines)


def _fix(net, layer) -> str:
    """The stable form for the textbook activations on the path of a gradient of ``layer``:
    its σ' and those above it, and the σ that made a_{layer−1}."""
    names = {net.sigma(l).name for l in range(max((layer or 1) - 1, 1), net.L + 1)}
    return "; ".join(FIXES[n] for n in FIXES if n in names)


_MISSING = object()


def compare_entries(ref: Reference, values: dict, dtype, rtol=None) -> list:
    """Every value of ``values`` (by canonical name, and ``"cost"``) judged, in backprop
    order; a parameter missing from ``values`` is a ``fail`` ("no value given").

    The common case is screened as arrays: a finite float, judged (not open), with a
    normal truth, within SAFETY times its stable bound, passes with err = |g − t|/|t| and
    tolerance SAFETY·e/|t|; every other value goes through :func:`judge`."""
    net, dt = ref.network, dtype_of(dtype)
    stable, textbook = error_bounds(ref, dt), None
    rows = []          # (label, layer, truth ball, value, stable bound, open, key, k)
    for name, key, layer in _order(net) + ([("cost", "cost", None)] if "cost" in values
                                            else []):
        ball = ref.evaluation.cost if key == "cost" else ref.evaluation.gradients[key]
        value = values.get(key, _MISSING)
        if type(value) is float and value - value == 0 and isinstance(ball, arb):
            # a chain's finite float against its one ball: the common case, one row
            rows.append((name, layer, ball, value, float(stable.errors[key].flat[0]),
                         int(stable.open[key].flat[0]), key, 0))
            continue
        truths = [((), ball)] if isinstance(ball, arb) else list(leaves(ball))
        if value is _MISSING:
            got = [None] * len(truths)
        elif type(value) is float and len(truths) == 1:      # a chain's scalar, fast
            got = [_value(value, "")]
        else:
            shape = () if name == "cost" or (net.is_chain and key[0] != "a") else \
                net.parameter_shape(name)
            got = [v for _, v in _components(value, shape, f"actual[{name!r}]")]
        bounds, opens = stable.errors[key], stable.open[key]
        many = bounds.size > 1
        bounds, opens = bounds.ravel().tolist(), opens.ravel().tolist()
        for k, ((idx, truth), value) in enumerate(zip(truths, got)):
            label = name + "".join(f"[{i}]" for i in idx) if idx else name
            rows.append((label, layer, truth, value, bounds[k if many else 0],
                         opens[k if many else 0], key, k if many else 0))
    if not rows:
        return []
    g = np.array([r[3] if type(r[3]) is float else np.nan for r in rows])
    t = np.array([ball_float(r[2]) for r in rows])
    b = np.nan_to_num(np.array([r[4] for r in rows]), nan=np.inf)
    with np.errstate(all="ignore"):
        err_abs = np.abs(g - t)
        quick = (np.array([r[5] for r in rows]) == 0) & np.isfinite(g) & (t != 0) \
            & (np.abs(t) <= dt.huge) & (err_abs <= SAFETY * b)
        if rtol is not None:
            quick &= err_abs <= rtol * np.abs(t)
        rel, tol = (err_abs / np.abs(t)).tolist(), (SAFETY * b / np.abs(t)).tolist()
    entries = []
    for row, fast, r, t_ in zip(rows, quick.tolist(), rel, tol):
        label, layer, truth, value, bound, is_open, key, k = row
        if fast:
            entries.append(Entry(label, layer, truth, value, r, t_ if rtol is None else rtol,
                                 "pass"))
            continue
        bound = math.inf if math.isnan(bound) else bound
        entry = judge(label, layer, truth, value, bound, bound, is_open, dt.huge, rtol)
        if entry.verdict == "fail" and rtol is None and value is not None \
                and entry.note != "not a finite number":
            textbook = textbook or error_bounds(ref, dt, "textbook")
            tb = float(textbook.errors[key].reshape(-1)[k])
            tb = math.inf if math.isnan(tb) else tb
            entry = judge(label, layer, truth, value, bound, tb, is_open, dt.huge, rtol,
                          _fix(net, layer))
        entries.append(entry)
    return entries


@lru_cache(maxsize=64)
def _order(net) -> list:
    """(name, canonical name, layer) in backpropagation order."""
    return [(n, "{}_{}".format(*net.parameter(n)), net.parameter(n)[1])
            for n in backprop_order(net)]


def compare_gradients(actual, network, parameters: Mapping | None = None,
                      inputs: Mapping | None = None, *, rtol: float | None = None,
                      dtype=None, digits: int = DEFAULT_DIGITS, kink: str = "left",
                      strict: bool = False) -> Comparison:
    """Judge ``actual`` against the reference; see :func:`assert_gradients_close`."""
    if isinstance(network, Reference):
        if parameters is not None or inputs is not None:
            raise UsageError("parameters: give either a Reference or a network with "
                             "parameters and inputs, not both")
        ref = network
    else:
        if parameters is None or inputs is None:
            raise UsageError("parameters: a network needs the parameters and inputs the "
                             "gradients were computed at")
        ref = reference(network, parameters, inputs, digits=digits, kink=kink)
    values, dtypes = _flatten_actual(actual, ref.network)
    if dtype is None:
        dtype = max(dtypes, key=lambda t: dtype_of(t).u) if dtypes else "float64"
    dt = dtype_of(dtype)
    if rtol is not None and not (isinstance(rtol, numbers.Real) and rtol >= 0
                                 and math.isfinite(rtol)):
        raise UsageError(f"rtol={rtol!r}: must be a finite number >= 0")
    how = f"rtol {short(float(rtol))}, fixed" if rtol is not None else \
        f"{dt.name}, stable forms"
    entries = compare_entries(ref, values, dt, rtol)
    return Comparison(ref, tuple(entries), how, strict)


def assert_gradients_close(actual, network, parameters: Mapping | None = None,
                           inputs: Mapping | None = None, *, rtol: float | None = None,
                           dtype=None, digits: int = DEFAULT_DIGITS, kink: str = "left",
                           strict: bool = False) -> Comparison:
    """Raise an AssertionError when ``actual`` has a ``fail`` (or, with ``strict``, an
    ``unstable``) against the reference; return the :class:`Comparison` otherwise.

    ``network`` is a :class:`~symgrad.oracle.reference.Reference`, or a network (chain or
    dense) with the ``parameters`` and ``inputs`` the gradients were computed at.
    ``actual`` is a dict of gradients by parameter name (scalars for a chain, arrays in
    the parameter's shape otherwise) or ``{"w": [...], "b": [...], "alpha": [...]}`` in
    layer order; values may be floats, NumPy scalars or arrays, torch tensors, ints,
    Fractions, mpf or decimal strings; a ``"cost"`` entry is judged too.  The dtype
    (default: the coarsest float dtype among the values, float64 for Python floats) sets
    the tolerance; ``rtol`` replaces it by a fixed relative one.  The message names the
    first disagreement in backpropagation order (layer L first: where an error enters).

    >>> from symgrad.model.network import Chain
    >>> net = Chain(depth=2, activation="relu")
    >>> point, inputs = {"w_2": 1, "w_1": 1, "b_2": 0.5, "b_1": -1}, {"a_0": 0.5, "y": 1}
    >>> assert_gradients_close({"w": [0.0, 0.0], "b": [0.0, -0.5]}, net, point, inputs).passed
    True
    >>> assert_gradients_close({"w": [1e-300, 0.0], "b": [0.0, -0.5]}, net, point, inputs)
    Traceback (most recent call last):
    ...
    AssertionError: gradients differ from the reference at 1 of 4 (Chain(depth=2, activation='relu', cost='quadratic')); in backpropagation order, the first is
      dC/dw_1 (layer 1): expected 0, actual 1.000000000000000e-300, relative error inf > tolerance 0.0e+0: fail (expected exactly 0: the path passes through σ'(z) = 0) (float64, stable forms)
    """
    result = compare_gradients(actual, network, parameters, inputs, rtol=rtol, dtype=dtype,
                               digits=digits, kink=kink, strict=strict)
    if not result.passed:
        raise AssertionError(result.message())
    return result

