"""How wide a LaTeX formula prints: used only to decide where a long product is broken
across the rows of an ``align*`` block (:func:`symgrad.printing.printers.latex_rows`).

>>> estimate_width(r"\\frac{\\partial C}{\\partial a_{4}}") < estimate_width(r"w_{2} w_{3} w_{4}")
True
"""
from __future__ import annotations

import re

__all__ = ["estimate_width"]

_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|.", re.S)
#: widths in units of an average italic letter; what is not listed counts 1
_COMMAND_WIDTH = {r"\left": 0, r"\right": 0, r"\,": 0.3, r"\:": 0.4, r"\;": 0.5,
                  r"\quad": 2, r"\qquad": 4, r"\cdot": 1.4, r"\leq": 2, r"\partial": 1,
                  r"\tanh": 3.2, r"\ln": 1.6, r"\log": 2.4, r"\min": 2.8, r"\prod": 2,
                  r"\hat": 0, r"\tilde": 0, r"\mathcal": 0, r"\\": 0}
_CHAR_WIDTH = {"'": 0.3, "(": 0.8, ")": 0.8, "|": 1.0, "+": 2, "-": 2, "=": 2, "<": 2,
               ",": 0.6, " ": 0, "&": 0, "{": 0, "}": 0}


def _group(tokens: list, i: int) -> tuple[list, int]:
    """The tokens of the braced group (or single token) at ``tokens[i]``."""
    if tokens[i] != "{":
        return [tokens[i]], i + 1
    depth, j = 0, i
    while True:
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        if depth == 0:
            return tokens[i + 1:j], j + 1
        j += 1


def _measure(tokens: list) -> float:
    width, i = 0.0, 0
    while i < len(tokens):
        t = tokens[i]
        if t == r"\frac":
            # a fraction is as wide as its wider line
            num, i = _group(tokens, i + 1)
            den, i = _group(tokens, i)
            width += max(_measure(num), _measure(den)) + 0.4
        elif t in ("_", "^"):
            script, i = _group(tokens, i + 1)
            width += 0.7 * _measure(script)
        elif t in (r"\operatorname", r"\text", r"\mathrm"):
            word, i = _group(tokens, i + 1)
            width += 1.15 * len([c for c in word if c not in "{} "])
        elif t.startswith("\\"):
            width += _COMMAND_WIDTH.get(t, 1)
            i += 1
        else:
            width += _CHAR_WIDTH.get(t, 1)
            i += 1
    return width


def estimate_width(tex: str) -> float:
    r"""A rough width of a LaTeX formula in units of an italic letter: a fraction counts its
    wider line, sub- and superscripts 0.7, spacing commands and ``\left`` little or
    nothing.

    >>> estimate_width(r"\operatorname{ReLU}'(z_{1})") > estimate_width(r"\sigma'(z_{1})")
    True
    """
    return _measure(_TOKEN.findall(tex))
