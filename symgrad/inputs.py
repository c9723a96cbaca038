"""Reading the files a command is given: bounded, and JSON read strictly.

* :func:`read_text` reads at most :data:`MAX_INPUT_BYTES`, in chunks, and gives up at the
  first sign that the input is not text (a NUL byte, bytes that are not UTF-8), so
  ``verify /dev/zero x.json`` answers at once instead of filling the memory.
* :func:`load_json` refuses a key given twice in one object (JSON leaves it open, Python
  keeps the last: a wrong ``b_1`` followed by a right one would pass), keeps every number
  as its text after bounding its length *before* any conversion (no int-string-limit
  traceback), and names the place of every problem.
* :func:`check_decimal` bounds a number written as a JSON string the same way, and
  :func:`check_numbers` applies both bounds to a whole document.

The bounds: a number has at most :data:`MAX_NUMBER_CHARS` characters (symgrad writes at
most 2000 significant digits) and a decimal exponent from :data:`MIN_EXPONENT` to
:data:`MAX_EXPONENT`.  Large values are bounded tighter than small ones because the
forward pass exponentiates the parameters: mpmath's exp(1e10000) took 13 ms here,
exp(1e100000) 0.19 s and exp(1e999999) did not finish; tiny values (a deep chain's
gradients reach 1e-60000) cost nothing.

>>> load_json('{"cases": [{"b_1": 1}, {"b_1": 2, "b_1": 3}]}', "results.json")
Traceback (most recent call last):
...
symgrad.errors.UsageError: results.json.cases[1]: key 'b_1' given twice
>>> load_json('[1.5e-3, 7]', "x")
['1.5e-3', 7]
>>> check_decimal("1e999999", "results.json.cases[0].b_1")
Traceback (most recent call last):
...
symgrad.errors.UsageError: results.json.cases[0].b_1='1e999999': the exponent 999999 is above 10000; symgrad reads numbers from 1e-1000000 to 1e10000
"""
from __future__ import annotations

import codecs
import json
import re
import sys

from symgrad.errors import UsageError

__all__ = ["MAX_INPUT_BYTES", "MAX_NUMBER_CHARS", "MIN_EXPONENT", "MAX_EXPONENT", "JSONNumber",
           "JSONConstant", "read_text", "load_json", "check_decimal", "check_numbers"]

#: the largest input file read: symgrad writes no vector file larger (see symgrad.cli.limits)
MAX_INPUT_BYTES = 256 * 2 ** 20
#: the longest number, in characters: 2000 significant digits, a sign, a point, an exponent
MAX_NUMBER_CHARS = 2100
#: the decimal exponents read, from tiny to huge (see the module's note)
MIN_EXPONENT = -1_000_000
MAX_EXPONENT = 10_000
_CHUNK = 2 ** 20

#: a decimal number as JSON writes it (and as symgrad writes it inside strings)
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE]([-+]?[0-9]+))?")
#: the start of a string that is meant as a number
_NUMBER_START = re.compile(r"\s*[-+]?\.?[0-9]")


class JSONNumber(str):
    """A JSON number kept as its text, so no digit is lost to a float."""


class JSONConstant(str):
    """NaN, Infinity or -Infinity where JSON text has them, kept for the reader to report
    with their place."""

    def __repr__(self) -> str:
        return str(self)


class _Refused(Exception):
    """A number refused inside the JSON scanner: the literal and the reason."""


class _Duplicate(dict):
    """An object in which ``key`` was given twice (found after the parse, with its place)."""

    key: str = ""


def read_text(path: str, what: str, *, limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of the file ``path`` (``-``: standard input), read in chunks up to
    ``limit`` bytes.  Every problem is one UsageError line naming ``what`` and the path."""
    shown = f"{what}={path!r}"
    if path == "-":
        return _read_stream(sys.stdin.buffer, shown, limit)
    try:
        with open(path, "rb") as stream:
            return _read_stream(stream, shown, limit)
    except FileNotFoundError:
        raise UsageError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{shown}: is a folder; give a file") from None
    except OSError as exc:
        raise UsageError(f"{shown}: cannot be read ({exc.strerror})") from None


def _read_stream(stream, shown: str, limit: int) -> str:
    """Read ``stream`` to its end, at most ``limit`` bytes, stopping at the first NUL byte or
    byte sequence that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts, size = [], 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        if b"\0" in chunk:
            raise UsageError(f"{shown}: not text (a NUL byte at byte {size + chunk.index(0)})")
        if size + len(chunk) > limit:
            raise UsageError(f"{shown}: larger than {limit // 2 ** 20} MiB, the most symgrad "
                             "reads")
        try:
            parts.append(decoder.decode(chunk))
        except UnicodeDecodeError as exc:
            raise UsageError(f"{shown}: not UTF-8 text (byte {size + exc.start})") from None
        size += len(chunk)
    try:
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        raise UsageError(f"{shown}: not UTF-8 text (it ends inside a character)") from None
    return "".join(parts)


def _exponent_problem(exponent: str | None) -> str | None:
    """Why a decimal exponent (its digits, bounded by the caller) is out of range, if it is."""
    if exponent is None:
        return None
    value = int(exponent)
    if value > MAX_EXPONENT:
        return f"the exponent {value} is above {MAX_EXPONENT}"
    if value < MIN_EXPONENT:
        return f"the exponent {value} is below {MIN_EXPONENT}"
    return None


def _range_note() -> str:
    return f"symgrad reads numbers from 1e{MIN_EXPONENT} to 1e{MAX_EXPONENT}"


def _number_literal(kind):
    """A parse_float / parse_int hook: the length bound first, then the exponent."""
    def parse(literal: str):
        if len(literal) > MAX_NUMBER_CHARS:
            raise _Refused(literal, f"a number of {len(literal)} characters; at most "
                                    f"{MAX_NUMBER_CHARS}")
        match = _DECIMAL.fullmatch(literal)
        problem = _exponent_problem(match.group(1) if match else None)
        if problem:
            raise _Refused(literal, f"{problem}; {_range_note()}")
        return kind(literal)
    return parse


def _pairs(found: list):
    def build(pairs):
        obj = {}
        for key, value in pairs:
            if key in obj:
                duplicate = _Duplicate(pairs)
                duplicate.key = key
                found.append(duplicate)
                return duplicate
            obj[key] = value
        return obj
    return build


def _walk(doc, place: str):
    """Every node of ``doc`` with its place (``what.cases[3].gradients``), in document order."""
    stack = [(doc, place)]
    while stack:
        node, here = stack.pop()
        yield node, here
        if isinstance(node, dict):
            stack += [(v, f"{here}.{k}") for k, v in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(v, f"{here}[{i}]") for i, v in reversed(list(enumerate(node)))]


def load_json(text: str, what: str, *, parse_float=JSONNumber, parse_constant=JSONConstant):
    """Parse JSON ``text`` strictly: a key given twice in one object, a number longer than
    :data:`MAX_NUMBER_CHARS` or with an exponent out of range, malformed or too deeply
    nested JSON are each one UsageError line naming ``what`` and the place.  Fractional
    numbers come back as ``parse_float(text)`` (their text by default), integers as int.
    """
    found: list = []
    try:
        doc = json.loads(text, object_pairs_hook=_pairs(found),
                         parse_float=_number_literal(parse_float), parse_int=_number_literal(int),
                         parse_constant=parse_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what}: malformed JSON at line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg}") from None
    except RecursionError:
        raise UsageError(f"{what}: JSON nested too deeply") from None
    except _Refused as refused:
        literal, reason = refused.args
        offset = text.find(literal)
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise UsageError(f"{what}: the number at line {line}, column {column}: {reason}") \
            from None
    if found:
        marked = {id(obj) for obj in found}
        obj, place = next((node, here) for node, here in _walk(doc, what) if id(node) in marked)
        raise UsageError(f"{place}: key {obj.key!r} given twice")
    return doc


def check_decimal(value: str, place: str) -> str:
    """``value``, a number written as a string, stripped; one UsageError line naming
    ``place`` when it is longer than :data:`MAX_NUMBER_CHARS` (checked before anything
    else looks at it), not a decimal number, or out of range.

    >>> check_decimal(" -2.5e-3 ", "x")
    '-2.5e-3'
    >>> check_decimal("1." + "3" * 100_000, "vectors.cases[0].w_1")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: vectors.cases[0].w_1: a number of 100002 characters; at most 2100
    """
    if len(value) > MAX_NUMBER_CHARS + 64:   # room for surrounding blanks, never more
        raise UsageError(f"{place}: a number of {len(value)} characters; at most "
                         f"{MAX_NUMBER_CHARS}")
    text = value.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise UsageError(f"{place}: a number of {len(text)} characters; at most "
                         f"{MAX_NUMBER_CHARS}")
    match = _DECIMAL.fullmatch(text)
    if match is None:
        raise UsageError(f"{place}={value!r}: must be a finite decimal number such as 1.25e-3")
    problem = _exponent_problem(match.group(1))
    if problem:
        raise UsageError(f"{place}={value!r}: {problem}; {_range_note()}")
    return text


def check_numbers(doc, what: str) -> None:
    """Apply :func:`check_decimal` to every string of ``doc`` that is written as a number
    (or starts like one and is too long to be anything else), the first in document order
    first; other strings pass."""
    for node, here in _walk(doc, what):
        if isinstance(node, str) and not isinstance(node, JSONNumber) \
                and _NUMBER_START.match(node[:8]) \
                and (len(node) > MAX_NUMBER_CHARS or _DECIMAL.fullmatch(node.strip())):
            check_decimal(node, here)
