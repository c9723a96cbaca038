"""The sizes a network may have: depth, widths and samples, each checked with one line
naming the argument, its value and what is allowed.

>>> check_widths("3, 5,2"), check_depth("4"), check_samples(2)
((3, 5, 2), 4, 2)
>>> check_depth(0)
Traceback (most recent call last):
...
symgrad.errors.UsageError: depth=0: depth must be an integer >= 1
"""
from __future__ import annotations

import numbers
import re

from symgrad.errors import UsageError

__all__ = ["MAX_DEPTH", "MAX_WIDTH", "MAX_SAMPLES", "check_depth", "check_widths",
           "check_samples"]

#: deeper than this is refused as absurd: a derivation's printed form grows as L²
MAX_DEPTH = 100_000
#: a wider layer is refused as absurd for a symbolic tool
MAX_WIDTH = 100_000
#: more samples than this in the symbolic loss is refused (each sample has its own symbols)
MAX_SAMPLES = 100_000


def _integer(value, argument: str, shown, rule: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise UsageError(f"{argument}={shown!r}: {rule}")
    return int(value)


def check_depth(depth, argument: str = "depth") -> int:
    """The depth as an int, or a one-line :class:`UsageError`.

    >>> check_depth(0)
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: depth=0: depth must be an integer >= 1
    """
    depth = _integer(depth, argument, depth, "depth must be an integer >= 1")
    if depth < 1:
        raise UsageError(f"{argument}={depth}: depth must be an integer >= 1")
    if depth > MAX_DEPTH:
        raise UsageError(f"{argument}={depth}: depth must be at most {MAX_DEPTH}")
    return depth


def check_widths(widths, argument: str = "widths") -> tuple[int, ...]:
    """The widths n_0, ..., n_L as a tuple of ints, or a one-line :class:`UsageError`.

    >>> check_widths("2,3,3,2")
    (2, 3, 3, 2)
    >>> check_widths("2,0,2")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: widths='2,0,2': every width must be an integer >= 1; entry 2 is 0
    """
    if isinstance(widths, str):
        parts = [p.strip() for p in widths.split(",")]
    else:
        try:
            parts = list(widths)
        except TypeError:
            raise UsageError(f"{argument}={widths!r}: must be a list of integers >= 1 "
                             "such as 2,3,3,2") from None
    out = []
    for pos, p in enumerate(parts, 1):
        value = _integer(p, argument, widths, f"every width must be an integer >= 1; "
                                              f"entry {pos} is {p!r}")
        if value < 1:
            raise UsageError(f"{argument}={widths!r}: every width must be an integer >= 1; "
                             f"entry {pos} is {value}")
        if value > MAX_WIDTH:
            raise UsageError(f"{argument}={widths!r}: every width must be at most {MAX_WIDTH}; "
                             f"entry {pos} is {value}")
        out.append(value)
    if len(out) < 2:
        raise UsageError(f"{argument}={widths!r}: give at least two widths n_0,n_1 "
                         "(the input and the output layer)")
    if len(out) - 1 > MAX_DEPTH:
        raise UsageError(f"{argument}: {len(out) - 1} layers; at most {MAX_DEPTH}")
    return tuple(out)


def check_samples(samples, argument: str = "samples") -> int:
    """N, the number of samples the loss sums over: an integer from 1 to MAX_SAMPLES."""
    value = _integer(samples, argument, samples, f"must be an integer from 1 to {MAX_SAMPLES}")
    if not 1 <= value <= MAX_SAMPLES:
        raise UsageError(f"{argument}={samples!r}: must be an integer from 1 to {MAX_SAMPLES}")
    return value
