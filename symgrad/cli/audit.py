"""``symgrad audit``: check the gradient formulas of a document someone else wrote.

The command lives in :mod:`symgrad.audit.command`; this module is its place among the
sub-commands (``register(sub)``, ``run(args)``).
"""
from __future__ import annotations

from symgrad.audit.command import register, run

__all__ = ["register", "run"]
