"""Numeric checks of the closed forms: each gradient against an independent reference,
with three witnesses that know their own error.

For every point and parameter :func:`check` reports

* ``closed_form``: the Derivation's recurrence evaluated with mpmath at ``digits``
  (:func:`symgrad.numeric.chain.mp_gradients`), and its status against the reference:
  ``pass`` (relative error ≤ :data:`CLOSED_FORM_RTOL`), ``fail``, ``non-differentiable``
  (a kinked unit sits at its kink) or ``unresolved`` (the reference could not reach the
  precision needed; counted as not passed);
* ``reference``: mpmath's differentiation of the composed forward pass at twice the digits,
  with its error estimate (:func:`symgrad.numeric.chain.reference_gradients`);
* ``float64``: the generated NumPy code, status ``pass`` (≤ :data:`FLOAT64_RTOL`),
  ``ill-conditioned`` (worse, but within what the problem's condition κ allows:
  ≤ 10 (κ + L) ε; the condition is reported), ``out-of-range`` (the true value is outside
  float64's normal range) or ``fail``;
* ``finite_difference`` and ``complex_step`` (analytic activations only), each ``pass``
  (within 10 error estimates of the closed form), ``fail``, ``inconclusive`` (the error
  estimate is not below the value's magnitude) or ``non-differentiable``.

``passed`` is true when no closed form, float64 value or witness failed and no reference
stayed unresolved.

>>> from symgrad.model.network import Chain
>>> from symgrad.derivation import derive
>>> report = check(derive(Chain(depth=2)), points=1, digits=30)
>>> report.passed, [r.status for r in report.results]
(True, ['pass', 'pass', 'pass', 'pass'])
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import numpy as np

from symgrad.errors import UsageError
from symgrad.derivation import Derivation
from symgrad.numeric.chain import (DEFAULT_DIGITS, EPS, Estimate, NumpyGradients, check_digits,
                      compile_numpy, complex_step, condition_estimates, finite_differences,
                      mp_gradients, random_point, reference_gradients)

__all__ = [
    "CLOSED_FORM_RTOL",
    "FLOAT64_RTOL",
    "WITNESS_SAFETY",
    "DEFAULT_POINTS",
    "DEFAULT_SATURATE",
    "GradientCheck",
    "CheckReport",
    "check_point",
    "check",
    "relative_error",
    "witness_status",
]

#: a closed form passes when it agrees with the reference to this relative error
CLOSED_FORM_RTOL = 1e-12
#: the generated float64 code passes at this relative error (or by its condition)
FLOAT64_RTOL = 1e-12
#: a witness passes when it lies within this many of its error estimates
WITNESS_SAFETY = 10.0
#: points drawn by ``symgrad check`` unless told
DEFAULT_POINTS = 10
#: the probability that a layer of a drawn point is saturated (|b_l| from 30 to 40)
DEFAULT_SATURATE = 0.1
#: the precision at which values are compared: above anything a reference may carry
_EXACT_DPS = 10 * 2000
#: float64's normal range: outside it a value cannot carry 1e-12 relative accuracy
_FLOAT64_RANGE = (1e-290, 1e300)


def relative_error(value, reference) -> float:
    """|value − reference| / |reference|, 0 when both are 0, inf when only the reference is.

    >>> relative_error(1.001, 1), relative_error(0, 0), relative_error(1e-300, 0)
    (0.0009999999999998899, 0.0, inf)
    """
    with mpmath.workdps(_EXACT_DPS):  # keep every digit both sides carry
        value, reference = mpmath.mpf(value), mpmath.mpf(reference)
        if reference == 0:
            return 0.0 if value == 0 else math.inf
        return float(abs(value - reference) / abs(reference))


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
    gap = abs(mpmath.mpf(estimate.value) - mpmath.mpf(closed_form))
    return "pass" if gap <= WITNESS_SAFETY * estimate.error else "fail"


def _number(x, digits: int = 17):
    """A JSON-ready float (None when not finite)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class GradientCheck:
    """One gradient at one point, seen by the closed form and the three witnesses."""

    parameter: str
    point: int
    closed_form: object          # mpf at the requested digits
    reference: Estimate          # mpf value, absolute error estimate
    float64: float
    condition: float
    finite_difference: Estimate
    complex_step: Estimate | None
    digits: int
    L: int

    @property
    def rel_error(self) -> float:
        return relative_error(self.closed_form, self.reference.value)

    @property
    def status(self) -> str:
        if self.reference.kink:
            return "non-differentiable"
        ref = self.reference
        if ref.error > CLOSED_FORM_RTOL * 1e-3 * abs(ref.value) and not (ref.value == 0 and ref.error == 0):
            return "unresolved"
        return "pass" if self.rel_error <= CLOSED_FORM_RTOL else "fail"

    @property
    def float64_rel_error(self) -> float:
        return relative_error(self.float64, self.reference.value) \
            if math.isfinite(self.float64) else math.inf

    @property
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

    @property
    def fd_status(self) -> str:
        return witness_status(self.finite_difference, self.closed_form)

    @property
    def cs_status(self) -> str:
        return witness_status(self.complex_step, self.closed_form)

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "non-differentiable") \
            and self.float64_status != "fail" and "fail" not in (self.fd_status, self.cs_status)

    def as_dict(self) -> dict:
        fd, cs = self.finite_difference, self.complex_step
        return {
            "parameter": self.parameter,
            "point": self.point,
            "closed_form": mpmath.nstr(self.closed_form, self.digits),
            "reference": mpmath.nstr(self.reference.value, self.digits),
            "reference_error": _number(self.reference.error),
            "rel_error": _number(self.rel_error),
            "status": self.status,
            "float64": _number(self.float64),
            "float64_rel_error": _number(self.float64_rel_error),
            "float64_status": self.float64_status,
            "condition": _number(self.condition),
            "finite_difference": _number(fd.value),
            "fd_error": _number(fd.error),
            "fd_status": self.fd_status,
            "complex_step": _number(cs.value) if cs else None,
            "cs_error": _number(cs.error) if cs else None,
            "cs_status": self.cs_status,
        }


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

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "network": self.derivation.network.describe(),
            "digits": self.digits,
            "seed": self.seed,
            "scale": self.scale,
            "saturate": self.saturate,
            "tolerances": {"closed_form": CLOSED_FORM_RTOL, "float64": FLOAT64_RTOL,
                           "witness_safety": WITNESS_SAFETY},
            "summary": {"closed_form": self.counts("status"),
                        "float64": self.counts("float64_status"),
                        "finite_difference": self.counts("fd_status"),
                        "complex_step": self.counts("cs_status")},
            "points": [{"parameters": p, "inputs": x} for p, x in self.points],
            "results": [r.as_dict() for r in self.results],
        }

    def text(self) -> str:
        """A table, one row per point and parameter, each witness's value and status."""
        net = self.derivation.network
        acts = sorted({a.name for a in net.activations})
        lines = [f"symgrad check: depth {net.depth}, activation {','.join(acts)}, cost "
                 f"{net.cost.name}; {len(self.points)} point(s), seed {self.seed}, scale "
                 f"{self.scale:g}, saturate {self.saturate:g}; reference at {self.digits} digits",
                 ""]
        head = (f"{'pt':>3} {'param':<9} {'closed form':>24} {'rel err':>8} {'status':<8} "
                f"{'float64 err':>11} {'f64 status':<15} {'cond':>8} {'finite diff':>12} "
                f"{'fd err':>8} {'fd status':<12} {'complex step':>12} {'cs status':<12}")
        lines += [head, "-" * len(head)]

        def e(x):
            return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1e}"

        for r in self.results:
            fd, cs = r.finite_difference, r.complex_step
            lines.append(
                f"{r.point:>3} {r.parameter:<9} {mpmath.nstr(r.closed_form, 17):>24} "
                f"{e(r.rel_error):>8} {r.status:<8} {e(r.float64_rel_error):>11} "
                f"{r.float64_status:<15} {e(r.condition):>8} {e(fd.value):>12} "
                f"{e(fd.error):>8} {r.fd_status:<12} {e(cs.value if cs else None):>12} "
                f"{r.cs_status:<12}")
        lines.append("")
        for label, attr in (("closed form vs reference", "status"), ("float64", "float64_status"),
                            ("finite differences", "fd_status"), ("complex step", "cs_status")):
            counts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts(attr).items()))
            lines.append(f"{label}: {counts}")
        lines.append("passed" if self.passed else "FAILED")
        return "\n".join(lines) + "\n"


def check_point(d: Derivation, parameters, inputs, *, digits: int = DEFAULT_DIGITS,
                point: int = 0, names=None, f: NumpyGradients | None = None) -> list:
    """Check every gradient (or those in ``names``) of ``d`` at one point.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> d = derive(Chain(depth=1, activation="relu"))
    >>> r = check_point(d, {"w_1": 2, "b_1": -1}, {"a_0": 0.5, "y": 1}, digits=20)
    >>> [(c.parameter, c.status, c.fd_status) for c in r]       # z_1 = 0: the kink
    [('b_1', 'non-differentiable', 'non-differentiable'), ('w_1', 'non-differentiable', 'non-differentiable')]
    """
    digits = check_digits(digits)
    f = compile_numpy(d) if f is None else f
    names = list(d.parameter_names() if names is None else names)
    for name in names:
        d.network.parameter(name)
    closed = mp_gradients(d, parameters, inputs, digits=digits)
    reference = reference_gradients(d, parameters, inputs, digits=digits, names=names,
                                    magnitudes=closed)
    with np.errstate(all="ignore"):
        float64 = f(parameters, inputs)
    kappa = condition_estimates(d, parameters, inputs)
    fd = finite_differences(f, parameters, inputs, names=names, condition=kappa)
    cs = complex_step(f, parameters, inputs, names=names, condition=kappa)
    return [GradientCheck(parameter=n, point=point, closed_form=closed[n], reference=reference[n],
                          float64=float(float64[n]), condition=kappa[n],
                          finite_difference=fd[n], complex_step=cs[n] if cs else None,
                          digits=digits, L=d.L)
            for n in names]


def check(d: Derivation, *, points: int = DEFAULT_POINTS, seed: int = 0, scale: float = 1.0,
          saturate: float = DEFAULT_SATURATE, digits: int = DEFAULT_DIGITS,
          names=None, extra_points=()) -> CheckReport:
    """Check ``d`` at ``points`` points drawn by :func:`symgrad.numeric.chain.random_point` from a
    generator seeded with ``seed`` (and at any ``extra_points``, ``(parameters, inputs)``
    pairs, numbered after them)."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise UsageError(f"points={points!r}: must be an integer >= 0")
    digits = check_digits(digits)
    rng = np.random.default_rng(seed)
    drawn = [random_point(d, rng, scale=scale, saturate=saturate) for _ in range(points)]
    drawn += list(extra_points)
    report = CheckReport(d, digits, seed, float(scale), float(saturate), drawn)
    f = compile_numpy(d)
    for k, (params, inputs) in enumerate(drawn):
        report.results += check_point(d, params, inputs, digits=digits, point=k, names=names, f=f)
    return report
