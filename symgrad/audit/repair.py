r"""Undo what an escape step did to LaTeX: ``\f``\ rac, ``\b``\ egin, ``\t``\ ilde, ``\\``.

LaTeX pasted into a Python string without ``r"..."`` loses every backslash that starts an
escape sequence: ``\frac`` becomes a form feed (U+000C) followed by ``rac``, ``\begin`` a
backspace followed by ``egin``, ``\tilde`` and ``\theta`` a TAB followed by ``ilde`` and
``heta``, ``\nabla`` a line break followed by ``abla``, ``\right`` a carriage return
followed by ``ight``, and every ``\\`` row break a single backslash.  Other copies lose the
control character too and keep the bare words ``rac`` and ``egin``.

:func:`repair` puts the commands back and records each change as a :class:`Repair`; only
words that are a known command with its first letter eaten are touched, and TAB and line
break (which are also ordinary white space) only before a word that is not English.

>>> text, repairs, _ = repair("$\x0crac{\\partial L}{\\partial \tilde{h}_1}$")
>>> text
'$\\frac{\\partial L}{\\partial \\tilde{h}_1}$'
>>> [r.what for r in repairs]
['\\frac', '\\tilde']
>>> escape_damage(r"\frac{a}{b} \\ \tilde{h} \end") == "\x0crac{a}{b} \\ \tilde{h} \\end"
True
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["Repair", "repair", "escape_damage", "OffsetMap", "ESCAPES"]

#: the escape letters Python's string literals read, and the control character each becomes
ESCAPES = {"f": "\x0c", "b": "\x08", "t": "\t", "n": "\n", "r": "\r", "a": "\x07", "v": "\x0b"}
_LETTER_OF = {c: k for k, c in ESCAPES.items()}

#: LaTeX commands that start with an escape letter (what an escape step can eat)
_COMMANDS = {
    "f": "frac forall flat".split(),
    "b": ("begin beta bar big bigl bigr Big Bigl Bigr bigg boldsymbol bf bm binom bmatrix "
          "bot bullet").split(),
    "t": ("tilde theta text textbf textit textrm times tanh tau top tfrac to triangle "
          "textstyle title tableofcontents today tiny").split(),
    "n": "nabla neq nu nonumber notag newline not neg ni newcommand".split(),
    "r": "right rho rVert rvert rangle rbrace rfloor rceil rm rightarrow".split(),
    "a": "alpha approx ast arg acute aleph".split(),
    "v": "varphi vec vert vee varepsilon vdots varsigma vartheta".split(),
}
#: runs (the command without its first letter) that are never English words, so a TAB,
#: line break or carriage return before them is a lost backslash, and a bare run is too
_STRONG = {"rac", "egin", "ilde", "heta", "abla", "imes", "ext", "extbf", "extit", "anh",
           "onumber", "otag", "ewline", "ight", "Vert", "frac", "oldsymbol", "lpha", "pprox",
           "arphi", "ightarrow", "frac", "arepsilon", "eta", "ext", "inom", "matrix"} - {"eta"}
_BARE = {"rac", "egin", "ilde", "heta", "abla", "imes", "ext", "oldsymbol", "lpha",
         "arphi", "anh"}
#: control characters that no document contains on purpose: any word after them is damage
_NEVER_TEXT = "\x0c\x08\x07\x0b"
_WORD = re.compile(r"[A-Za-z]+")


@dataclass
class Repair:
    """One repaired place: the 1-based ``line`` and ``column`` in the document as given,
    the characters found (``found``), the command put back (``what``) and why."""

    line: int
    column: int
    found: str
    what: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "found": self.found,
                "replacement": self.what, "reason": self.reason}


class OffsetMap:
    """Positions in a repaired text mapped back to the text as given (for line numbers)."""

    def __init__(self, anchors=None):
        self.anchors = anchors or [(0, 0)]  # (new offset, old offset), sorted

    def old(self, new: int) -> int:
        k = bisect.bisect_right(self.anchors, (new, float("inf"))) - 1
        n, o = self.anchors[max(k, 0)]
        return o + (new - n)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> tuple[str, list]:
    """Apply non-overlapping ``(start, end, replacement)`` edits; anchors new -> old."""
    out, anchors, pos, shift = [], [(0, 0)], 0, 0
    for start, end, rep in sorted(edits):
        out.append(text[pos:start])
        out.append(rep)
        shift += len(rep) - (end - start)
        anchors.append((end + shift, end))
        pos = end
    out.append(text[pos:])
    return "".join(out), anchors


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _command(letter: str, run: str) -> str | None:
    """The longest known command ``\\letter + prefix-of-run`` that ends the run."""
    if letter + run in _COMMANDS.get(letter, ()):
        return letter + run
    return None


def _control_edits(text: str) -> list:
    edits = []
    for m in re.finditer(r"[\x0c\x08\t\n\r\x07\x0b]([A-Za-z]+)", text):
        ch, run = m.group(0)[0], m.group(1)
        letter = _LETTER_OF[ch]
        name = _command(letter, run)
        if name is None and ch in "\t\n\r" and run in _STRONG:
            # a line ending translated on the way (\r of \right read as a line break)
            for other in "rnt":
                if _command(other, run):
                    letter, name = other, _command(other, run)
                    break
        glued = m.end() < len(text) and text[m.end()] == "{"
        if name is None and (ch in _NEVER_TEXT or ch in "\t\r" and glued):
            name = letter + run  # never in a document on purpose (a TAB glued to "word{")
        if name is None:
            continue
        if ch in "\t\n\r" and run not in _STRONG and not glued and \
                not _in_math_line(text, m.start()):
            continue
        start = m.start()
        before = start - 1
        prefix = ""
        if before >= 0 and text[before] == "\\" and (before == 0 or text[before - 1] != "\\"):
            start, prefix = before, "\\\\"  # a lone backslash before it was a row break
        edits.append((start, m.end(), prefix + "\\" + name,
                      f"{_show(ch)} + {run!r}: the \\{letter} of \\{name} was read as an "
                      "escape character"))
    return edits


def _in_math_line(text: str, offset: int) -> bool:
    """Whether the line around ``offset`` looks like LaTeX (a command, a brace or a $)."""
    lo = text.rfind("\n", 0, offset - 1) + 1
    hi = text.find("\n", offset + 1)
    line = text[lo:hi if hi >= 0 else len(text)]
    return "\\" in line or "$" in line or "_{" in line


def _show(ch: str) -> str:
    return {"\x0c": "form feed", "\x08": "backspace", "\t": "TAB", "\n": "line break",
            "\r": "carriage return", "\x07": "bell", "\x0b": "vertical tab"}[ch]


def _bare_edits(text: str) -> list:
    edits = []
    for m in _WORD.finditer(text):
        run = m.group(0)
        if run not in _BARE:
            continue
        s = m.start()
        prev = text[s - 1] if s else " "
        nxt = text[m.end()] if m.end() < len(text) else " "
        if prev == "\\" or prev.isalpha():
            continue
        if nxt not in "{_^( \\'$":
            continue
        if run in ("ext", "anh", "lpha", "heta", "abla", "imes") and not _in_math_line(text, s):
            continue
        letter = next(k for k, v in _COMMANDS.items() if k + run in v)
        edits.append((s, m.end(), "\\" + letter + run,
                      f"bare {run!r}: \\{letter}{run} lost its backslash and first letter"))
    return edits


_ROWS_ENV = re.compile(r"\\begin\{(aligned|align\*?|eqnarray\*?|gather\*?|gathered|split|"
                       r"cases|multline\*?|alignat\*?|array|matrix|pmatrix|bmatrix)\}(.*?)"
                       r"\\end\{\1\}", re.S)


def _row_break_edits(text: str) -> list:
    """Inside an environment with rows, a lone backslash before a line end was ``\\\\``."""
    edits = []
    for env in _ROWS_ENV.finditer(text):
        body_start = env.start(2)
        for m in re.finditer(r"(?<!\\)\\(?=[ \t]*(?:\n|$|&)|\d)", env.group(2)):
            pos = body_start + m.start()
            if pos + 1 < len(text) and text[pos + 1] == "\\":
                continue
            edits.append((pos, pos + 1, "\\\\",
                          "lone backslash at a row end: the row break \\\\ lost a backslash"))
    return edits


def repair(text: str) -> tuple[str, list[Repair], "OffsetMap"]:
    """The text with lost backslashes put back, the :class:`Repair` list (sorted by place)
    and an :class:`OffsetMap` from offsets in the repaired text to offsets in ``text``."""
    current, chain, repairs = text, [], []
    for finder in (_control_edits, _bare_edits, _row_break_edits):
        edits = finder(current)
        if not edits:
            continue
        for start, end, rep, why in edits:
            line, col = _line_col(text, _Composed(chain).old(start))
            repairs.append(Repair(line, col, current[start:end], rep, why))
        current, anchors = _apply(current, [(s, e, r) for s, e, r, _ in edits])
        chain.append(anchors)
    repairs.sort(key=lambda r: (r.line, r.column))
    return current, repairs, _Composed(chain)


class _Composed(OffsetMap):
    """Several rounds of edits, mapped back one after the other."""

    def __init__(self, chain):
        super().__init__()
        self.chain = list(chain)

    def old(self, new: int) -> int:
        for anchors in reversed(self.chain):
            new = OffsetMap(anchors).old(new)
        return new


def escape_damage(latex: str) -> str:
    r"""What a Python string literal without ``r`` makes of ``latex``: ``\\`` becomes ``\``,
    ``\f`` ``\b`` ``\t`` ``\n`` ``\r`` ``\a`` ``\v`` become control characters, every other
    backslash stays.  The tests build damaged documents with it; :func:`repair` undoes it."""
    out, i = [], 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\" and i + 1 < len(latex):
            nxt = latex[i + 1]
            if nxt == "\\":
                out.append("\\")
                i += 2
                continue
            if nxt in ESCAPES:
                out.append(ESCAPES[nxt])
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)
