"""The audit's exceptions and the limits that keep hostile input cheap.

A formula the audit cannot read raises :class:`NotUnderstood` with one line saying why;
the formula is then reported ``not understood`` (never silently ``correct``).  Input that
cannot be audited at all (too large, not text, a bad notation map) raises
:class:`symgrad.UsageError` (exit 2).

>>> str(NotUnderstood("unknown command \\\\foo"))
'unknown command \\\\foo'
"""
from __future__ import annotations

__all__ = ["NotUnderstood", "ShapeMismatch", "MAX_DOCUMENT_BYTES", "MAX_FORMULA_CHARS",
           "MAX_NESTING", "MAX_TOKENS", "MAX_FORMULAS", "usage_error"]

#: a document larger than this is refused before it is read (4 MB)
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
#: one formula longer than this is not parsed
MAX_FORMULA_CHARS = 20_000
#: braces, parentheses and \left...\right groups nested deeper than this are not parsed
MAX_NESTING = 40
#: tokens of one formula
MAX_TOKENS = 8_000
#: formulas of one document
MAX_FORMULAS = 5_000


class NotUnderstood(ValueError):
    """A formula (or part of one) the audit cannot read; the message says why, in one line."""


class ShapeMismatch(ValueError):
    """Two matrices that a formula combines do not fit (the message names them)."""


def usage_error(message: str):
    """A :class:`symgrad.UsageError` (imported lazily: the public exception of the package)."""
    from symgrad import UsageError
    return UsageError(message)
