"""The verdict on an implementation's gradient arrays: every component compared, a summary per
layer, and the message a failed check raises (the summary first, then the first disagreements
in backpropagation order, then the likely causes).

A :class:`Block` holds one gradient array compared as a whole (errors computed at once, so a
784 × 30 matrix costs no more than its arithmetic); an :class:`Entry` is one component of it,
made only where a line about it is printed.

>>> import mpmath, numpy as np
>>> e = Entry("W_1[0, 1]", "W_1", (0, 1), 1, mpmath.mpf(2), 2.5, 0.25, 1e-10, "fail")
>>> e.line()
'W_1[0, 1] (layer 1): expected 2.000000000000000e+0, actual 2.5, error 2.5e-1 > tolerance 1.0e-10: fail'
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable

import mpmath
import numpy as np

__all__ = ["Entry", "Block", "Report"]


def _short(x: float) -> str:
    if math.isinf(x) or math.isnan(x):
        return str(x)
    return f"{x:.1e}".replace("e-0", "e-").replace("e+0", "e+")


def _decimal(x) -> str:
    if x == 0:
        return "0"
    return mpmath.nstr(x, 16, min_fixed=1, max_fixed=0, strip_zeros=False,
                       show_zero_exponent=True)


@dataclass(frozen=True)
class Entry:
    """One component of one gradient: where the implementation keeps it (``where``, such as
    ``model[2].weight[3, 1]``), symgrad's name and index, the layer, the exact expected value,
    the implementation's value, the relative error, the relative tolerance and the verdict
    (``pass``, ``unstable``: within the rounding of the textbook σ', ``fail``)."""

    where: str
    name: str
    index: tuple
    layer: int
    expected: object
    actual: float
    error: float
    tolerance: float
    verdict: str
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict != "fail"

    def line(self) -> str:
        sign = "<=" if self.verdict == "pass" else ">"
        text = (f"{self.where} (layer {self.layer}): expected {_decimal(self.expected)}, "
                f"actual {self.actual!r}, error {_short(self.error)} {sign} tolerance "
                f"{_short(self.tolerance)}")
        if self.verdict != "pass":
            text += f": {self.verdict}"
        return text + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Block:
    """One gradient array judged.  ``exact`` holds the reference of symgrad's summed cost
    (mpmath numbers) and the implementation's loss is that sum divided by ``divisor`` (1, or
    N·n_L for a mean); ``reference`` is exact/divisor in float64, ``actual`` exactly the
    implementation's numbers; ``error``, ``tolerance`` (relative), ``verdict`` and ``note``
    per component; ``where(name, index)`` names a component the way the implementation does."""

    name: str
    layer: int
    exact: np.ndarray
    divisor: int
    reference: np.ndarray
    actual: np.ndarray
    error: np.ndarray
    tolerance: np.ndarray
    verdict: np.ndarray
    note: np.ndarray
    where: Callable = field(repr=False)

    @property
    def ok(self) -> np.ndarray:
        return self.verdict != "fail"

    def expected(self, flat: int):
        """Component ``flat`` (row-major) of the scaled reference, exactly."""
        with mpmath.workdps(40):
            return self.exact.reshape(-1)[flat] / self.divisor

    def entry(self, flat: int) -> Entry:
        index = tuple(int(i) for i in np.unravel_index(flat, self.exact.shape))
        return Entry(self.where(self.name, index), self.name, index, self.layer,
                     self.expected(flat), float(self.actual.reshape(-1)[flat]),
                     float(self.error.reshape(-1)[flat]), float(self.tolerance.reshape(-1)[flat]),
                     str(self.verdict.reshape(-1)[flat]), str(self.note.reshape(-1)[flat]))

    def failures(self) -> list:
        return [self.entry(int(k)) for k in np.flatnonzero(~self.ok.reshape(-1))]

    def count(self, verdict: str) -> int:
        return int((self.verdict == verdict).sum())


@dataclass(frozen=True)
class Report:
    """Every gradient of one check, in backpropagation order (b_L, W_L, ..., b_1, W_1), with
    the layers' labels (``{3: "model[4] Linear(30→10) + model[5] Sigmoid"}``)."""

    network: object
    loss_text: str
    dtype: str
    how: str
    blocks: tuple
    layers: dict
    hints: tuple = ()

    @property
    def passed(self) -> bool:
        """No ``fail``; an ``unstable`` value (the rounding of the textbook σ' that PyTorch
        and JAX differentiate) passes and is counted in the summary."""
        return all(bool(b.ok.all()) for b in self.blocks)

    @property
    def verdict(self) -> str:
        """``fail``, else ``unstable``, else ``pass``."""
        for v in ("fail", "unstable"):
            if any(b.count(v) for b in self.blocks):
                return v
        return "pass"

    def __bool__(self) -> bool:
        return self.passed

    @property
    def count(self) -> int:
        """How many values were compared."""
        return sum(b.error.size for b in self.blocks)

    @cached_property
    def entries(self) -> list:
        """Every component as an :class:`Entry`, in backpropagation order."""
        return [b.entry(k) for b in self.blocks for k in range(b.error.size)]

    @cached_property
    def failures(self) -> list:
        """The components that disagree, in backpropagation order."""
        return [e for b in self.blocks for e in b.failures()]

    def with_hints(self, hints) -> "Report":
        return replace(self, hints=tuple(hints))

    def layer_lines(self) -> list[str]:
        """One line per layer, output layer first: how many values differ, the worst error."""
        first = self.failures[0].layer if self.failures else None
        lines = []
        for l in sorted(self.layers, reverse=True):
            mine = [b for b in self.blocks if b.layer == l]
            if not mine:
                continue
            size = sum(b.error.size for b in mine)
            bad = sum(b.count("fail") for b in mine)
            shaky = sum(b.count("unstable") for b in mine)
            worst = max(float(b.error.max()) for b in mine)
            mark = "   <- the first disagreement, in backpropagation order" if l == first else ""
            also = f" ({shaky} unstable)" if shaky else ""
            lines.append(f"  layer {l}  {self.layers[l]}: {bad} of {size} differ{also}, "
                         f"worst error {_short(worst)}{mark}")
        return lines

    def summary(self) -> str:
        """The first line of the message: the verdict, the network, the tolerance, the loss."""
        shaky = sum(b.count("unstable") for b in self.blocks)
        head = (f"all {self.count} gradient values agree with the reference" if self.passed
                else f"gradients differ from the reference at {len(self.failures)} of "
                     f"{self.count} values")
        if shaky:
            head += (f" ({shaky} unstable: within the rounding of the textbook σ', outside "
                     "what stable forms attain)")
        return f"{head} ({self.network!r}; {self.how}; {self.loss_text})"

    def message(self, limit: int = 8) -> str:
        """The per-layer summary first, then the first disagreements, then the likely causes."""
        lines = [self.summary(), "per layer, output first:"] + self.layer_lines()
        bad = self.failures
        if bad:
            lines.append("first, in backpropagation order:")
            lines += ["  " + e.line() for e in bad[:limit]]
            if len(bad) > limit:
                lines.append(f"  ... and {len(bad) - limit} more")
        lines += [f"likely cause: {h}" for h in self.hints]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message()
