"""Where the precision limits lived before the numeric merge (tests/test_cli.py still reads
them here; once it reads :mod:`symgrad.numeric.points`, this module goes)."""
from __future__ import annotations

from symgrad.numeric.points import DEFAULT_DIGITS, MAX_DIGITS  # noqa: F401

__all__ = ["DEFAULT_DIGITS", "MAX_DIGITS"]
