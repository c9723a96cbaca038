"""The one exception a user sees: bad input, said in one line.

It imports nothing heavy, so the command line can report a usage error without loading SymPy.

>>> str(UsageError("depth=0: depth must be an integer >= 1"))
'depth=0: depth must be an integer >= 1'
"""
from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(ValueError):
    """Bad input from a user: the message is one line naming the argument, its value and
    what is allowed.  The command line prints it and exits 2."""
