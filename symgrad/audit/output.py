r"""Read the audited document and write the corrected one, safely.

Reading: at most :data:`~symgrad.audit.errors.MAX_DOCUMENT_BYTES` (a larger file is refused
before it is read), UTF-8, line endings kept as they are (a carriage return may be the
``\r`` of ``\right``).  Writing: whole or not at all (a temporary file in the same folder,
then an atomic rename), never over the input, never to a device, FIFO or folder, with the
permissions the user's umask gives a new file.

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> write_document("x\n", os.path.join(d, "out.tex"), source=None)
>>> open(os.path.join(d, "out.tex")).read()
'x\n'
"""
from __future__ import annotations

import os
import stat
import sys
import tempfile

from .errors import MAX_DOCUMENT_BYTES, usage_error

__all__ = ["read_document", "write_document"]


def read_document(path: str) -> str:
    """The text of ``path`` (``-``: standard input); one clear line when it cannot be read."""
    limit = MAX_DOCUMENT_BYTES
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise usage_error(f"file={path!r}: no such file") from None
        except OSError as exc:
            raise usage_error(f"file={path!r}: cannot be read ({exc.strerror})") from None
        if stat.S_ISDIR(st.st_mode):
            raise usage_error(f"file={path!r}: is a folder, give a .tex, .md or .txt file")
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            raise usage_error(f"file={path!r}: is a device, not a document")
        if stat.S_ISREG(st.st_mode) and st.st_size > limit:
            raise usage_error(f"file={path!r}: {st.st_size / 1e6:.1f} MB is more than the "
                              f"{limit // (1024 * 1024)} MB the audit reads")
        try:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise usage_error(f"file={path!r}: cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise usage_error(f"file={path!r}: more than the {limit // (1024 * 1024)} MB the "
                          "audit reads")
    if b"\x00" in data:
        raise usage_error(f"file={path!r}: contains NUL bytes, not a text document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise usage_error(f"file={path!r}: not UTF-8 (byte {exc.start} is "
                          f"0x{data[exc.start]:02x})") from None
    return text[1:] if text.startswith("\ufeff") else text


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_document(text: str, path: str, *, source: str | None, force: bool = False) -> None:
    """Write ``text`` to ``path`` (``-``: standard output) whole or not at all; never over
    ``source``; an existing file only with ``force``."""
    if path == "-":
        sys.stdout.write(text)
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise usage_error(f"output={path!r}: the folder {directory!r} does not exist")
    if source not in (None, "-") and os.path.exists(path) and os.path.exists(source) and \
            os.path.samefile(path, source):
        raise usage_error(f"output={path!r}: is the audited file; the audit never writes "
                          "over its input, give another name")
    if os.path.lexists(path):
        st = os.stat(path) if os.path.exists(path) else os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            raise usage_error(f"output={path!r}: is a folder, give a file name")
        if not stat.S_ISREG(st.st_mode) and not stat.S_ISLNK(st.st_mode):
            raise usage_error(f"output={path!r}: is a device, FIFO or socket, not a file")
        if not force:
            raise usage_error(f"output={path!r}: exists; pass --force to replace it")
    fd, tmp = tempfile.mkstemp(prefix=".symgrad-audit-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
