"""``python -m symgrad.lecture --regenerate derivations``: rewrite the committed documents."""
import sys

from symgrad.lecture.regenerate import main

__all__: list[str] = []

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
