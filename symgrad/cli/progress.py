"""A progress bar on standard error while a command works, and nothing when nobody watches.

:func:`progress` is a context manager that yields a :class:`Progress`: call it with the
number of items done (``step(1)``), and name what is being done with ``step.stage(text)``.
Core loops take such a callable as an optional ``progress=`` argument and never import a
progress library themselves; ``None`` or :data:`silent` costs nothing.

The bar (tqdm) shows what is being done, how far (n of total, %), the rate and the time
left.  It appears only when standard error is a terminal, ``--quiet`` is not given, and the
work has lasted :data:`DELAY` seconds (``SYMGRAD_PROGRESS_DELAY`` overrides it: ``0``
shows the bar at once); it is erased when the work ends.

>>> with progress(3, "checking points", quiet=True) as step:
...     for _ in range(3):
...         step(1)
>>> step.count
3
"""
from __future__ import annotations

import contextlib
import os
import sys

__all__ = ["DELAY", "Progress", "progress", "silent"]

#: seconds of work before a bar appears: shorter commands never show one
DELAY = 2.0


class Progress:
    """What :func:`progress` yields: ``step(n)`` counts n more items done, ``step.stage(text)``
    says what is being done now.  Without a bar it only counts."""

    def __init__(self, bar=None):
        self.bar = bar
        self.count = 0

    def __call__(self, n: int = 1) -> None:
        self.count += n
        if self.bar is not None:
            self.bar.update(n)

    def stage(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(text)


#: a Progress that shows nothing, for callers that have none
silent = Progress()


def _delay() -> float:
    text = os.environ.get("SYMGRAD_PROGRESS_DELAY", "")
    try:
        value = float(text)
    except ValueError:
        return DELAY
    return value if 0 <= value < float("inf") else DELAY


def _watched(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _columns(stream) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


@contextlib.contextmanager
def progress(total: int | None, desc: str, *, quiet: bool = False, unit: str = "it"):
    """Yield a :class:`Progress` for ``total`` items (None: unknown), described by ``desc``;
    a bar on standard error only when it is a terminal and ``quiet`` is false."""
    if quiet or not _watched(sys.stderr):
        yield Progress()
        return
    from tqdm import tqdm   # only when a bar can be seen
    # a terminal that reports no size (a bare pty, some CI runners) would get no bar at all
    width = {"dynamic_ncols": True} if _columns(sys.stderr) > 0 else {"ncols": 80, "nrows": 24}
    bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
               delay=_delay(), mininterval=0.2, **width)
    try:
        yield Progress(bar)
    finally:
        bar.close()
