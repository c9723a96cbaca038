"""The check of the printed closed forms, component by component, for every network.

For every point and every gradient component :func:`check` reports

* ``closed_form``: the derivation's own printed closed forms evaluated at ``digits`` (+10
  guard) digits (:mod:`symgrad.numeric.closed_forms`), and its ``status`` against the
  reference: ``pass`` (relative error ≤ :data:`CLOSED_FORM_RTOL`), ``fail``,
  ``non-differentiable`` (a kinked unit sits at its kink) or ``unresolved`` (the reference
  could not reach the precision needed; counted as not passed);
* ``reference``: reverse-mode differentiation of the composed forward pass at twice the
  digits (:mod:`symgrad.numeric.reference`), independent of every derivative formula;
* ``float64``: the generated float64 backprop, ``float64_status`` ``pass`` (≤
  :data:`FLOAT64_RTOL`), ``ill-conditioned`` (worse, but within 10 (κ + L) ε, κ the reported
  condition estimate), ``out-of-range`` (the true value is outside float64's normal range)
  or ``fail``;
* ``finite_difference`` and ``complex_step`` (analytic activations only), each ``pass``
  (within 10 error estimates of the closed form), ``fail``, ``inconclusive`` (the error
  estimate is not below the value's magnitude) or ``non-differentiable``.

``passed`` is true when no closed form, float64 value or witness failed and no reference
stayed unresolved; ``verdict`` says which of them failed (the closed forms, or only a
witness).

**The JSON** (:meth:`CheckReport.as_dict`) has one shape for every network: ``passed``,
``verdict``, ``network``, ``digits``, ``seed``, ``scale``, ``saturate``, ``tolerances``,
``summary`` (counts of each status), ``points`` (the parameters and inputs of each point) and
``results``, one entry per point and component: ``parameter`` (the label: ``w_2`` in a chain,
``W_2[1,3]`` and ``b_2[3]`` otherwise, indices **one-based** as in w^l_jk), ``name``, ``index``
(the one-based indices as a list, empty for a scalar), ``point``, ``closed_form`` and
``reference`` (decimal strings of ``digits`` digits), ``reference_rel_error``, ``rel_error``,
``status``, ``float64``, ``float64_rel_error``, ``float64_status``, ``condition``,
``finite_difference``, ``fd_error``, ``fd_status``, ``complex_step``, ``cs_error``,
``cs_status`` (numbers as JSON numbers, null where not finite or not computed).

>>> from symgrad.model.network import Chain
>>> from symgrad.derivation import derive
>>> report = check(derive(Chain(depth=2)), points=1, digits=30)
>>> report.passed, [r.status for r in report.results]
(True, ['pass', 'pass', 'pass', 'pass'])
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import gmpy2
import mpmath
import numpy as np

from symgrad.derivation import Derivation
from symgrad.errors import UsageError
from symgrad.numeric.closed_forms import closed_form_gradients
from symgrad.numeric.float64 import NumpyGradients
from symgrad.numeric.highprec import mpf_nested, to_mpfr_exact
from symgrad.numeric.points import (DEFAULT_DIGITS, EPS, GUARD_DIGITS, component_values,
                                    components, parse_digits, random_point, read_point)
from symgrad.numeric.reference import condition_estimates, reference_gradients
from symgrad.numeric.witnesses import Estimate, complex_step, finite_differences, float_point

__all__ = ["CLOSED_FORM_RTOL", "FLOAT64_RTOL", "WITNESS_SAFETY", "DEFAULT_POINTS",
           "DEFAULT_SATURATE", "GradientCheck", "CheckReport", "check_point", "check",
           "relative_error", "witness_status"]

#: a closed form passes when it agrees with the reference to this relative error
CLOSED_FORM_RTOL = 1e-12
#: the generated float64 code passes at this relative error (or by its condition)
FLOAT64_RTOL = 1e-12
#: a witness passes when it lies within this many of its error estimates
WITNESS_SAFETY = 10.0
#: points drawn by ``symgrad check`` unless told
DEFAULT_POINTS = 10
#: the probability that a unit of a drawn point is saturated (|b^l_j| from 30 to 40)
DEFAULT_SATURATE = 0.1
#: float64's normal range: outside it a value cannot carry 1e-12 relative accuracy
_FLOAT64_RANGE = (1e-290, 1e300)


def relative_error(value, reference) -> float:
    """|value − reference| / |reference| (the difference exact), 0 when both are 0, inf
    when only the reference is.

    >>> relative_error(1.001, 1), relative_error(0, 0), relative_error(1e-300, 0)
    (0.0009999999999998899, 0.0, inf)
    """
    if reference == 0:
        return 0.0 if value == 0 else math.inf
    v, r = to_mpfr_exact(value), to_mpfr_exact(reference)
    with gmpy2.context(precision=max(v.precision, r.precision) + 64,
                       emax=gmpy2.get_emax_max(), emin=gmpy2.get_emin_min()):
        return float(abs(v - r) / abs(r))


def witness_status(estimate: Estimate | None, closed_form) -> str:
    """``pass``, ``fail``, ``inconclusive``, ``non-differentiable`` or ``n/a`` (no witness).

    >>> witness_status(Estimate(1.0, 1e-9), 1.0 + 1e-10), witness_status(Estimate(1.0, 1e-9), 1.001)
    ('pass', 'fail')
    >>> witness_status(Estimate(1e-19, 1e-12), 1e-19)
    'inconclusive'
    """
    if estimate is None:
        return "n/a"
    if estimate.kink:
        return "non-differentiable"
    if not estimate.resolved:
        return "inconclusive"
    v, c = to_mpfr_exact(estimate.value), to_mpfr_exact(closed_form)
    with gmpy2.context(precision=max(v.precision, c.precision) + 64,
                       emax=gmpy2.get_emax_max(), emin=gmpy2.get_emin_min()):
        gap = abs(v - c)
        return "pass" if gap <= WITNESS_SAFETY * to_mpfr_exact(estimate.error) else "fail"


def _number(x):
    """A JSON-ready float (None when not finite or absent)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class GradientCheck:
    """One gradient component at one point, seen by the closed form and the witnesses."""

    parameter: str               # the component's label
    name: str
    index: tuple                 # one-based
    point: int
    closed_form: object          # mpf at the requested digits
    reference: Estimate          # mpf value, absolute error estimate
    float64: float
    condition: float
    finite_difference: Estimate
    complex_step: Estimate | None
    digits: int
    L: int

    @cached_property
    def rel_error(self) -> float:
        return relative_error(self.closed_form, self.reference.value)

    @cached_property
    def status(self) -> str:
        ref = self.reference
        if ref.kink:
            return "non-differentiable"
        if ref.error > CLOSED_FORM_RTOL * 1e-3 * abs(ref.value):
            return "unresolved"
        return "pass" if self.rel_error <= CLOSED_FORM_RTOL else "fail"

    @cached_property
    def float64_rel_error(self) -> float:
        return relative_error(self.float64, self.reference.value) \
            if math.isfinite(self.float64) else math.inf

    @cached_property
    def float64_status(self) -> str:
        if self.reference.kink:
            return "non-differentiable"
        size = abs(self.reference.value)
        if size and not _FLOAT64_RANGE[0] <= size <= _FLOAT64_RANGE[1]:
            return "out-of-range"
        err = self.float64_rel_error
        if err <= FLOAT64_RTOL:
            return "pass"
        if err <= WITNESS_SAFETY * (self.condition + self.L) * EPS:
            return "ill-conditioned"
        return "fail"

    @cached_property
    def fd_status(self) -> str:
        return witness_status(self.finite_difference, self.closed_form)

    @cached_property
    def cs_status(self) -> str:
        return witness_status(self.complex_step, self.closed_form)

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "non-differentiable") \
            and self.float64_status != "fail" and "fail" not in (self.fd_status, self.cs_status)

    def as_dict(self) -> dict:
        fd, cs, ref = self.finite_difference, self.complex_step, self.reference
        return {
            "parameter": self.parameter, "name": self.name, "index": list(self.index),
            "point": self.point,
            "closed_form": mpmath.nstr(self.closed_form, self.digits),
            "reference": mpmath.nstr(ref.value, self.digits),
            "reference_rel_error": _number(ref.error / abs(ref.value)) if ref.value else None,
            "rel_error": _number(self.rel_error), "status": self.status,
            "float64": _number(self.float64),
            "float64_rel_error": _number(self.float64_rel_error),
            "float64_status": self.float64_status, "condition": _number(self.condition),
            "finite_difference": _number(fd.value), "fd_error": _number(fd.error),
            "fd_status": self.fd_status,
            "complex_step": _number(cs.value) if cs else None,
            "cs_error": _number(cs.error) if cs else None, "cs_status": self.cs_status,
        }


#: the statuses that count against a check, per part, for the verdict
_PARTS = (("closed form", "status", ("fail", "unresolved")),
          ("float64 witness (the generated NumPy code)", "float64_status", ("fail",)),
          ("finite-difference witness", "fd_status", ("fail",)),
          ("complex-step witness", "cs_status", ("fail",)))


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist() if value.dtype != object else [_jsonable(v) for v in value]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value if isinstance(value, (int, float, str)) else str(value)


@dataclass
class CheckReport:
    """Every :class:`GradientCheck` of a run, with what was drawn and how."""

    derivation: Derivation
    digits: int
    seed: int | None
    scale: float
    saturate: float
    points: list = field(default_factory=list)    # (parameters, inputs) per point
    results: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def counts(self, attribute: str) -> dict:
        out: dict = {}
        for r in self.results:
            key = getattr(r, attribute)
            out[key] = out.get(key, 0) + 1
        return out

    @property
    def verdict(self) -> str:
        """``passed``, or ``FAILED:`` and which parts failed in how many components."""
        if self.passed:
            return "passed"
        total, said = len(self.results), []
        for label, attribute, bad in _PARTS:
            n = sum(getattr(r, attribute) in bad for r in self.results)
            if n:
                said.append(f"the {label} fails in {n} of {total} gradients")
        if not any(r.status in ("fail", "unresolved") for r in self.results):
            said.insert(0, "every closed form agrees with the reference")
        return "FAILED: " + "; ".join(said)

    def as_dict(self) -> dict:
        return {
            "passed": self.passed, "verdict": self.verdict,
            "network": self.derivation.network.describe(), "digits": self.digits,
            "seed": self.seed, "scale": self.scale, "saturate": self.saturate,
            "tolerances": {"closed_form": CLOSED_FORM_RTOL, "float64": FLOAT64_RTOL,
                           "witness_safety": WITNESS_SAFETY},
            "index_base": 1,
            "summary": {"closed_form": self.counts("status"),
                        "float64": self.counts("float64_status"),
                        "finite_difference": self.counts("fd_status"),
                        "complex_step": self.counts("cs_status")},
            "points": [{"parameters": {n: _jsonable(v) for n, v in p.items()},
                        "inputs": {n: _jsonable(v) for n, v in x.items()}} for p, x in self.points],
            "results": [r.as_dict() for r in self.results],
        }

    def text(self) -> str:
        """A table, one row per point and component, each witness's value and status."""
        net = self.derivation.network
        acts = sorted({a.name for a in net.activations})
        shape = f"depth {net.depth}" if net.is_chain else \
            f"widths {','.join(map(str, net.widths))}, {net.samples} sample(s)"
        lines = [f"symgrad check: {shape}, activation {','.join(acts)}, cost {net.cost_name}; "
                 f"{len(self.points)} point(s), seed {self.seed}, scale {self.scale:g}, "
                 f"saturate {self.saturate:g}; reference at {self.digits} digits", ""]
        w = max([9] + [len(r.parameter) for r in self.results])
        head = (f"{'pt':>3} {'param':<{w}} {'closed form':>24} {'rel err':>8} {'status':<8} "
                f"{'float64 err':>11} {'f64 status':<15} {'cond':>8} {'finite diff':>12} "
                f"{'fd err':>8} {'fd status':<12} {'complex step':>12} {'cs status':<12}")
        lines += [head, "-" * len(head)]

        def e(x):
            return "-" if x is None or not math.isfinite(float(x)) else f"{float(x):.1e}"

        for r in self.results:
            fd, cs = r.finite_difference, r.complex_step
            lines.append(
                f"{r.point:>3} {r.parameter:<{w}} {mpmath.nstr(r.closed_form, 17):>24} "
                f"{e(r.rel_error):>8} {r.status:<8} {e(r.float64_rel_error):>11} "
                f"{r.float64_status:<15} {e(r.condition):>8} {e(fd.value):>12} "
                f"{e(fd.error):>8} {r.fd_status:<12} {e(cs.value if cs else None):>12} "
                f"{r.cs_status:<12}")
        lines.append("")
        for label, attr in (("closed form vs reference", "status"), ("float64", "float64_status"),
                            ("finite differences", "fd_status"), ("complex step", "cs_status")):
            counts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts(attr).items()))
            lines.append(f"{label}: {counts}")
        lines.append(self.verdict)
        return "\n".join(lines) + "\n"


def check_point(d: Derivation, parameters, inputs, *, digits: int = DEFAULT_DIGITS,
                point: int = 0, names=None, f: NumpyGradients | None = None) -> list:
    """Check every gradient component (of the parameters ``names``, default all) of ``d`` at
    one point.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> d = derive(Chain(depth=1, activation="relu"))
    >>> r = check_point(d, {"w_1": 2, "b_1": -1}, {"a_0": 0.5, "y": 1}, digits=20)
    >>> [(c.parameter, c.status, c.fd_status) for c in r]       # z_1 = 0: the kink
    [('b_1', 'non-differentiable', 'non-differentiable'), ('w_1', 'non-differentiable', 'non-differentiable')]
    """
    digits = parse_digits(digits)
    net = d.network
    f = NumpyGradients(d) if f is None else f
    names = [net.canonical(n) for n in (net.parameter_names() if names is None else names)]
    exact = read_point(net, parameters, inputs)   # read once: every step below takes it
    closed = component_values(net, {n: mpf_nested(v) for n, v in closed_form_gradients(
        d, exact, digits + GUARD_DIGITS, names).items()}, names)
    reference = reference_gradients(net, exact, None, digits=digits, names=names)
    params, x, y = float_point(f, exact, None)
    with np.errstate(all="ignore"):
        float64 = component_values(net, f.samples(params, x, y), names)
    kappa = condition_estimates(net, exact, None, names=names)
    fd = finite_differences(f, exact, None, names=names, condition=kappa,
                            magnitudes={k: e.value for k, e in reference.items() if not e.kink})
    cs = complex_step(f, exact, None, names=names, condition=kappa)
    return [GradientCheck(parameter=label, name=name, index=tuple(i + 1 for i in index)
                          if not net.is_chain else (), point=point, closed_form=closed[label],
                          reference=reference[label], float64=float(float64[label]),
                          condition=kappa[label], finite_difference=fd[label],
                          complex_step=cs[label] if cs else None, digits=digits, L=d.L)
            for label, name, index in components(net, names)]


def check(d: Derivation, *, points: int = DEFAULT_POINTS, seed: int | None = 0,
          scale: float = 1.0, saturate: float = DEFAULT_SATURATE,
          digits: int = DEFAULT_DIGITS, names=None, extra_points=(),
          progress=None) -> CheckReport:
    """Check ``d`` at ``points`` points drawn by :func:`~symgrad.numeric.points.random_point`
    (``scale`` and ``saturate`` set the regime) from a generator seeded with ``seed``, and at
    any ``extra_points`` (``(parameters, inputs)`` pairs, numbered after them)."""
    if not isinstance(d, Derivation):
        raise UsageError(f"derivation={d!r}: must be a Derivation (symgrad.derive(...))")
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise UsageError(f"points={points!r}: must be an integer >= 0")
    digits = parse_digits(digits)
    rng = np.random.default_rng(seed)
    drawn = [random_point(d.network, rng, scale=scale, saturate=saturate) for _ in range(points)]
    drawn += list(extra_points)
    report = CheckReport(d, digits, seed, float(scale), float(saturate), drawn)
    f = NumpyGradients(d)
    for k, (params, inputs) in enumerate(drawn):
        report.results += check_point(d, params, inputs, digits=digits, point=k, names=names, f=f)
        if progress is not None:  # a callback counting points done (the command line's bar)
            progress(1)
    return report
