r"""Tokens of a formula: LaTeX commands, letters, digits and the few Unicode symbols people type.

The lexer never evaluates anything: it turns text into :class:`Token` objects, each with its
position in the document, so a reason or a fix can point back at the characters.  Unicode
that stands for a LaTeX command (σ, ∂, ⊙, ≤, ŷ, h̃, 𝓛, ᵀ, ², ₁ ...) becomes the tokens of that
command, with the span of the Unicode character.

>>> [t.text for t in tokenize(r"\frac{\partial C}{\partial b_{3}}")]
['\\frac', '{', '\\partial', 'C', '}', '{', '\\partial', 'b', '_', '{', '3', '}', '}']
>>> " ".join(t.text for t in tokenize("∂C/∂a₄ ≤ σ′(z)"))
"\\partial C / \\partial a _ { 4 } \\leq \\sigma ' ( z )"
"""
from __future__ import annotations

import re
import unicodedata

from .errors import MAX_FORMULA_CHARS, MAX_NESTING, MAX_TOKENS, NotUnderstood

__all__ = ["Token", "tokenize", "SPACING", "UNICODE", "check_balance", "split_top"]

#: commands that only set spacing or size; the parser skips them
SPACING = frozenset({r"\,", r"\;", r"\:", r"\!", r"\ ", r"\quad", r"\qquad", r"\displaystyle",
                     r"\textstyle", r"\big", r"\Big", r"\bigg", r"\Bigg", r"\bigl", r"\bigr",
                     r"\Bigl", r"\Bigr", r"\biggl", r"\biggr", r"\nonumber", r"\notag",
                     r"\limits", r"\nolimits", r"\medspace", r"\thinspace", r"\enspace",
                     r"\negthinspace", r"\allowbreak", r"\mathstrut", "~"})

_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho "
          "sigma tau upsilon phi chi psi omega").split()
_GREEK_LETTERS = "αβγδεζηθικλμνξπρστυφχψω"

#: Unicode characters and the LaTeX they stand for (tokenized in turn)
UNICODE = {
    **{ch: "\\" + name for ch, name in zip(_GREEK_LETTERS, _GREEK)},
    "ς": r"\sigma", "ϕ": r"\phi", "ϵ": r"\epsilon", "Σ": r"\sum", "∑": r"\sum", "∏": r"\prod",
    "Π": r"\prod", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Φ": r"\Phi",
    "∂": r"\partial", "∇": r"\nabla", "⊙": r"\odot", "∘": r"\circ", "·": r"\cdot",
    "⋅": r"\cdot", "×": r"\times", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx",
    "∈": r"\in", "−": "-", "–": "-", "′": "'", "″": "''", "ℓ": r"\ell", "‖": r"\|",
    "ℝ": r"\mathbb{R}", "𝓛": r"\mathcal{L}", "ℒ": r"\mathcal{L}", "𝓁": r"\ell",
    "ŷ": r"\hat{y}", "ᵀ": "^{T}", "⊤": "^{T}", "…": r"\dots", "⋯": r"\cdots", "∞": r"\infty",
    "⁰": "^{0}", "¹": "^{1}", "²": "^{2}", "³": "^{3}", "⁴": "^{4}", "⁵": "^{5}", "⁶": "^{6}",
    "⁷": "^{7}", "⁸": "^{8}", "⁹": "^{9}", "⁻": "^{-}", "ˡ": "^{l}", "ᴸ": "^{L}",
    "₀": "_{0}", "₁": "_{1}", "₂": "_{2}", "₃": "_{3}", "₄": "_{4}", "₅": "_{5}", "₆": "_{6}",
    "₇": "_{7}", "₈": "_{8}", "₉": "_{9}", "ₗ": "_{l}", "ᵢ": "_{i}", "ⱼ": "_{j}", "ₖ": "_{k}",
    "ₐ": "_{a}", "₊": "_{+}", "₋": "_{-}", "ᵏ": "^{k}", "ʲ": "^{j}", "ᵃ": "^{a}",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}
#: combining accents after a letter: h̃, ŷ, x̂, ā
_COMBINING = {"\u0303": r"\tilde", "\u0302": r"\hat", "\u0304": r"\bar", "\u20d7": r"\vec"}

_ASCII = re.compile(r"\\[a-zA-Z]+\*?|\\.|\d+(?:\.\d+)?|[A-Za-z]|\s+|[^\sA-Za-z0-9\\]", re.S)


class Token:
    """One token: its LaTeX ``text`` and the document span ``start``..``end`` it came from."""

    __slots__ = ("text", "start", "end")

    def __init__(self, text: str, start: int, end: int):
        self.text, self.start, self.end = text, start, end

    def __repr__(self) -> str:
        return f"Token({self.text!r}, {self.start}, {self.end})"

    @property
    def is_command(self) -> bool:
        return self.text.startswith("\\") and len(self.text) > 1 and self.text[1].isalpha()


def _ascii_tokens(text: str, start: int, end: int, out: list) -> None:
    for m in _ASCII.finditer(text):
        s = m.group(0)
        if s.isspace():
            continue
        out.append(Token(s, start, end) if end is not None else
                     Token(s, start + m.start(), start + m.end()))


def tokenize(text: str, base: int = 0) -> list[Token]:
    """The tokens of ``text``, their spans offset by ``base`` (where ``text`` starts in the
    document).  Whitespace separates tokens and is dropped; an unknown Unicode character
    raises :class:`NotUnderstood` naming it."""
    if len(text) > MAX_FORMULA_CHARS:
        raise NotUnderstood(f"formula of {len(text)} characters (at most {MAX_FORMULA_CHARS} "
                            "are read)")
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        j = i
        while j < n and ord(text[j]) < 128:
            j += 1
        if j > i:
            _ascii_tokens(text[i:j], base + i, None, out)
            i = j
            continue
        ch = text[i]
        width = 1
        if i + 1 < n and text[i + 1] in _COMBINING and ch.isalpha():
            latex = f"{_COMBINING[text[i + 1]]}{{{ch}}}"
            width = 2
        elif ch in _COMBINING:
            raise NotUnderstood(f"accent U+{ord(ch):04X} without a letter before it")
        elif ch in UNICODE:
            latex = UNICODE[ch]
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            if len(decomposed) == 2 and decomposed[1] in _COMBINING and decomposed[0].isascii():
                latex = f"{_COMBINING[decomposed[1]]}{{{decomposed[0]}}}"
            else:
                name = unicodedata.name(ch, f"U+{ord(ch):04X}")
                raise NotUnderstood(f"character {ch!r} ({name}) is not part of the notation")
        _ascii_tokens(latex, base + i, base + i + width, out)
        i += width
        if len(out) > MAX_TOKENS:
            break
    if len(out) > MAX_TOKENS:
        raise NotUnderstood(f"formula of more than {MAX_TOKENS} tokens")
    return out


#: commands that set words in a formula (a split point between two formulas)
_WORDS = {r"\text", r"\textrm", r"\mbox", r"\textit", r"\textbf"}


def check_balance(tokens: list[Token]) -> None:
    """Braces and ``\\left``/``\\right`` must pair up, and nest at most MAX_NESTING deep."""
    depth = lefts = 0
    for t in tokens:
        if t.text == "{":
            depth += 1
            if depth > MAX_NESTING:
                raise NotUnderstood(f"braces nested deeper than {MAX_NESTING} levels")
        elif t.text == "}":
            depth -= 1
            if depth < 0:
                raise NotUnderstood("unbalanced braces: a '}' closes nothing")
        elif t.text == r"\left":
            lefts += 1
        elif t.text == r"\right":
            lefts -= 1
            if lefts < 0:
                raise NotUnderstood(r"unbalanced \right without \left")
    if depth:
        raise NotUnderstood(f"unbalanced braces: {depth} '{{' not closed")
    if lefts:
        raise NotUnderstood(rf"unbalanced \left: {lefts} without \right")


_OPENERS = {"{": "}", "(": ")", "[": "]", r"\left": r"\right", r"\begin": r"\end"}


def split_top(tokens: list[Token]) -> list[list[Token]]:
    r"""Split a row at its top-level separators: ``,`` ``;`` ``\quad`` ``\qquad`` and
    ``\text{...}`` (words between two formulas).  Groups are never split."""
    pieces, current, stack = [], [], []
    i = 0
    while i < len(tokens):
        t = tokens[i].text
        if t in _OPENERS:
            stack.append(_OPENERS[t])
        elif stack and t == stack[-1]:
            stack.pop()
        if t in (r"\left", r"\right") and i + 1 < len(tokens):
            current.append(tokens[i])   # the delimiter after \left is not a group of its own
            i += 1
        if not stack and t in (",", ";", r"\quad", r"\qquad") or \
                not stack and t in _WORDS:
            if t in _WORDS and i + 1 < len(tokens) and tokens[i + 1].text == "{":
                depth, i = 0, i + 1
                while i < len(tokens):
                    depth += {"{": 1, "}": -1}.get(tokens[i].text, 0)
                    if depth == 0:
                        break
                    i += 1
            pieces.append(current)
            current = []
        else:
            current.append(tokens[i])
        i += 1
    pieces.append(current)
    return [p for p in pieces if p]
