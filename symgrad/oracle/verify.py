"""Verifying another implementation's results against a vector file: a summary first (which
layers disagree, in how many cases, the largest error, how many values are unstable), then
every ``fail`` and ``unstable`` value with the truth beside it.

The truth is recomputed from each case's point as certified balls (and the file's own
gradients are checked against it: a vector file that was changed is refused), the
tolerances come from that point's own pass (:mod:`symgrad.oracle.tolerances`).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from flint import arb, ctx

from symgrad.errors import UsageError
from symgrad.oracle.compare import compare_entries, short, worst
from symgrad.oracle.decimals import decimal_string
from symgrad.oracle.description import cost_formula
from symgrad.oracle.formats import read_results, read_vectors
from symgrad.oracle.point import case_point
from symgrad.oracle.reference import Reference, certify, leaves
from symgrad.oracle.regimes import has_kink
from symgrad.oracle.dtypes import dtype_of
from symgrad.oracle.tolerances import SAFETY, tolerances

__all__ = ["KINK_CHOICES", "CaseResult", "VerifyReport", "verify_results"]

#: what the implementation takes at a kink: the vector's left branch, the right one, either
KINK_CHOICES = ("left", "right", "either")
_DETAILS = 50


@dataclass(frozen=True)
class CaseResult:
    case: int
    regime: str
    entries: tuple


@dataclass(frozen=True)
class VerifyReport:
    """The verdicts of every case; ``text()`` is what ``symgrad verify`` prints."""

    network: object
    cases: tuple
    how: str
    strict: bool = False
    tolerance_lines: tuple = ()
    #: the cost as the vector file states it, exactly
    cost_formula: str = ""

    @property
    def entries(self) -> list:
        return [(c, e) for c in self.cases for e in c.entries]

    @property
    def verdict(self) -> str:
        return worst(e.verdict for _, e in self.entries)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass" or (self.verdict == "unstable" and not self.strict)

    @property
    def checked(self) -> int:
        return len(self.entries)

    def _summary(self, verdict: str) -> str | None:
        hits = [(c, e) for c, e in self.entries if e.verdict == verdict]
        if not hits:
            return None
        layers = sorted({e.layer for _, e in hits if e.layer is not None}, reverse=True)
        cases = {c.case for c, _ in hits}
        c, e = max(hits, key=lambda ce: (ce[1].error if not math.isnan(ce[1].error)
                                         else math.inf))
        regimes = sorted({c.regime for c, _ in hits})
        where = f"layer{'s' if len(layers) > 1 else ''} {', '.join(map(str, layers))}" \
            if layers else "the cost"
        text = (f"  {verdict}: {len(hits)} value{'s' if len(hits) > 1 else ''} in "
                f"{len(cases)} case{'s' if len(cases) > 1 else ''} ({', '.join(regimes)}), "
                f"{where}; the largest relative error {short(e.error)} (case {c.case}, "
                f"{e.name})")
        fixes = sorted({x.note for _, x in hits if x.note.startswith("within the rounding")})
        return text + (f"\n    {fixes[0]}" if fixes else "")

    def text(self) -> str:
        head = (f"verify: {self.checked} values in {len(self.cases)} cases of "
                f"{self.network!r} ({self.how}): {self.verdict.upper()}")
        lines = [head] + [s for s in (self._summary(v) for v in ("fail", "unstable")) if s]
        passed = sum(e.verdict == "pass" for _, e in self.entries)
        lines.append(f"  pass: {passed} value{'s' if passed != 1 else ''}")
        if self.cost_formula:
            lines.append(f"  the cost: {self.cost_formula}")
        lines += list(self.tolerance_lines)
        bad = [(c, e) for c, e in self.entries if e.verdict != "pass"]
        if bad:
            lines.append("details (fail and unstable, in file order):")
            lines += [f"case {c.case} ({c.regime}), {e.line()}" for c, e in bad[:_DETAILS]]
            if len(bad) > _DETAILS:
                lines.append(f"... and {len(bad) - _DETAILS} more")
        return "\n".join(lines) + "\n"


def _check_file(ref: Reference, case: dict, digits: int, place: str) -> None:
    """The file's gradients must be the gradients at the file's point, to its digits."""
    with ctx.workprec(ref.bits + 16):
        _check_values(ref, case, digits, place)


def _check_values(ref: Reference, case: dict, digits: int, place: str) -> None:
    unit = arb(10) ** (1 - digits) + arb(10) ** (-ref.digits)
    for name, value in case["gradients"].items():
        truths = list(leaves(ref.ball(name)))
        for (idx, truth), (_, text) in zip(truths, leaves(value)):
            if abs(arb(text) - truth) > unit * abs(truth):
                label = name + "".join(f"[{i}]" for i in idx)
                raise UsageError(f"{place}.gradients.{label}={text}: not the gradient at this "
                                 f"case's point (that is {decimal_string(truth, 16)}); the "
                                 "vector file was changed")


def _references(net, case, digits, file_kink, kink, place):
    """The reference for the file's convention (checked against the file) and the ones the
    implementation's convention asks for."""
    point = case_point(net, case["parameters"], case["inputs"])
    ref = certify(point, min(digits, 25), file_kink)
    _check_file(ref, case, digits, place)
    wanted = ["left", "right"] if kink == "either" else [kink]
    out = []
    for k in wanted:
        if k == file_kink or not has_kink(net):
            out.append(ref)
        else:
            out.append(certify(point, min(digits, 25), k))
    return list({id(r): r for r in out}.values())


def _best(alternatives: list) -> list:
    """Per value, the best verdict over the references of the conventions allowed."""
    order = ("pass", "unstable", "fail")
    return [min(group, key=lambda e: order.index(e.verdict)) for group in zip(*alternatives)]


def _tolerance_lines(ref: Reference, dtype) -> list:
    tol = tolerances(ref, dtype)
    lines = []
    for l in range(ref.network.L, 0, -1):
        vals = []
        for name in ref.names():
            if ref.network.parameter(name)[1] == l:
                vals += [v for _, v in leaves(tol[name].tolist() if hasattr(tol[name], "tolist")
                                              else tol[name]) if math.isfinite(v) and v > 0]
        if vals:
            lines.append(f"    layer {l}: {short(min(vals))} .. {short(max(vals))}")
    return lines


def verify_results(vectors_text: str, results_text: str, *, rtol: float | None = None,
                   dtype="float64", kink: str = "left", strict: bool = False,
                   show_tolerances: bool = False, vectors_name: str = "vectors",
                   results_name: str = "results", vectors_read: tuple | None = None
                   ) -> VerifyReport:
    """Judge a results file (json, jsonl or csv) against a vector file (any format).

    ``kink`` is the implementation's convention at a kink (``left``, ``right`` or
    ``either``); ``strict`` makes ``unstable`` count as a failure; ``rtol`` replaces the
    stable tolerances by a fixed relative one.  Unusable files raise a one-line UsageError.
    ``vectors_read`` is :func:`~symgrad.oracle.formats.read_vectors` of ``vectors_text``
    where the caller read it already (a large file is then parsed once).
    """
    if kink not in KINK_CHOICES:
        raise UsageError(f"kink={kink!r}: must be one of {', '.join(KINK_CHOICES)}")
    if rtol is not None and not (isinstance(rtol, numbers.Real) and math.isfinite(rtol)
                                 and rtol >= 0):
        raise UsageError(f"rtol={rtol!r}: must be a finite number >= 0")
    dt = dtype_of(dtype)
    net, doc = vectors_read or read_vectors(vectors_text, vectors_name)
    rows = read_results(results_text, net, len(doc["cases"]), results_name)
    digits, results, tol_lines = doc["digits"], [], []
    for k, (case, row) in enumerate(zip(doc["cases"], rows)):
        refs = _references(net, case, digits, doc["kink"], kink, f"{vectors_name}.cases[{k}]")
        values = {"cost" if n == "cost" else "{}_{}".format(*net.parameter(n)): v
                  for n, v in row.items()}
        limit = None if rtol is None else max(rtol, 10.0 ** (1 - digits))
        alternatives = [compare_entries(r, values, dt, limit) for r in refs]
        results.append(CaseResult(k, case["regime"], tuple(_best(alternatives))))
        if show_tolerances:
            tol_lines += [f"  tolerances of case {k} ({case['regime']}), relative, "
                          f"{dt.name}:"] + _tolerance_lines(refs[0], dt)
    certified = "certified" if doc.get("certified", True) else "not certified"
    how = (f"rtol {short(rtol)}, fixed" if rtol is not None else
           f"{dt.name}, stable forms × {SAFETY:g}") + \
        f"; kink {kink}; {digits}-digit vectors, {certified}"
    return VerifyReport(net, tuple(results), how, strict, tuple(tol_lines),
                        cost_formula(net))
