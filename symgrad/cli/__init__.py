"""The ``symgrad`` command line: one module per sub-command."""
from __future__ import annotations


__all__ = [
]
