r"""Find every formula of a document: display and inline math, rows of ``align``/``aligned``,
chains of ``=`` continued on ``&=`` rows and long products continued on ``&\qquad`` rows.

Text that is not mathematics is masked first (TeX comments, verbatim, Markdown code and
HTML comments), keeping every offset, so a ``$`` in a code block is not a formula.
Commands that would pull in another file or define macros (``\input``, ``\include``,
``\def``, ``\newcommand`` ...) are reported as :class:`Notice` and never followed.

>>> doc = ("Text $a_{1} = \\sigma(z_{1})$.\n"
...        "$$\n\\begin{aligned}\nx &= y \\\\\n&= z\n\\end{aligned}\n$$\n")
>>> [(f.text, f.display) for f in extract(doc, "markdown").formulas]
[('a_{1} = \\sigma(z_{1})', False), ('x &= y \\\\\n&= z', True)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import MAX_FORMULAS, NotUnderstood, usage_error
from .lexer import tokenize

__all__ = ["Formula", "Notice", "Extraction", "extract", "detect_format", "FORMATS"]

FORMATS = ("tex", "markdown", "text")

_MATH_ENVS = ("equation", "align", "gather", "multline", "eqnarray", "flalign", "alignat",
              "displaymath", "math")
_ROW_ENVS = ("aligned", "align", "gathered", "gather", "split", "eqnarray", "flalign",
             "alignat", "alignedat", "multline")
_DANGER = {
    r"\input": "would read another file", r"\include": "would read another file",
    r"\includeonly": "selects files to read", r"\InputIfFileExists": "would read another file",
    r"\openin": "would open a file", r"\read": "would read a file",
    r"\write18": "would run a shell command", r"\immediate": "would write at once",
    r"\openout": "would write a file", r"\write": "would write to a file or a shell",
    r"\catcode": "would change how TeX reads characters",
    r"\def": "defines a macro", r"\edef": "defines a macro", r"\gdef": "defines a macro",
    r"\xdef": "defines a macro", r"\let": "defines a macro",
    r"\newcommand": "defines a macro", r"\renewcommand": "defines a macro",
    r"\providecommand": "defines a macro", r"\DeclareMathOperator": "defines an operator",
    r"\DeclareRobustCommand": "defines a macro", r"\csname": "builds a command name",
}


@dataclass
class Notice:
    """Something in the document the audit reports but does not act on."""

    offset: int
    text: str
    message: str
    line: int = 0

    def as_dict(self) -> dict:
        return {"line": self.line, "text": self.text, "message": self.message}


@dataclass
class Formula:
    """One equation as written: its text, its tokens (rows joined, ``&`` dropped), where it
    stands (``start``..``end`` in the repaired document), the display block it belongs to
    (``block``, -1 for inline math) and which tokens start a continuation row (``rows``)."""

    text: str
    tokens: list
    start: int
    end: int
    display: bool
    block: int
    rows: list = field(default_factory=list)
    line: int = 0
    error: str | None = None


@dataclass
class Extraction:
    formulas: list
    notices: list
    macros: dict


def detect_format(name: str | None, text: str) -> str:
    """tex, markdown or text, from the file name, else from the content."""
    low = (name or "").lower()
    if low.endswith((".tex", ".ltx", ".latex")):
        return "tex"
    if low.endswith((".md", ".markdown", ".mdown")):
        return "markdown"
    if low.endswith(".txt"):
        return "text"
    if "\\documentclass" in text or "\\begin{document}" in text:
        return "tex"
    return "markdown"


def _blank(text: str, spans) -> str:
    chars = list(text)
    for s, e in spans:
        for k in range(s, e):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


def _mask(text: str, fmt: str) -> str:
    spans = []
    if fmt == "tex":
        spans += [m.span(1) for m in re.finditer(r"(?<!\\)(%[^\n]*)", text)]
        spans += [m.span() for m in re.finditer(
            r"\\begin\{(verbatim\*?|lstlisting|minted|comment)\}.*?\\end\{\1\}", text, re.S)]
        spans += [m.span() for m in re.finditer(r"\\verb\*?(.).*?\1", text)]
    else:
        spans += [m.span() for m in re.finditer(r"(?m)^( {0,3})(```|~~~).*?^\1\2[^\n]*$",
                                                text, re.S)]
        spans += [m.span() for m in re.finditer(r"<!--.*?-->", text, re.S)]
        masked = _blank(text, spans)
        spans += [m.span() for m in re.finditer(r"(`+)[^`\n].*?\1", masked)]
    return _blank(text, spans)


def _notices(masked: str) -> tuple[list, dict]:
    notices, macros = [], {}
    for m in re.finditer(r"\\(?:[A-Za-z]+|write18)", masked):
        cmd = m.group(0)
        if cmd not in _DANGER:
            continue
        tail = masked[m.end():m.end() + 60].split("\n")[0]
        shown = (cmd + tail)[:60].strip()
        name = re.match(r"\s*\{?\s*(\\[A-Za-z]+)", tail)
        if _DANGER[cmd].startswith("defines") and name:
            macros[name.group(1)] = m.start()
        if _DANGER[cmd].startswith("would read") or cmd in (r"\include", r"\includeonly"):
            what = "not followed: the audit reads only the file it is given"
        elif _DANGER[cmd].startswith("defines") or cmd in (r"\let", r"\csname"):
            what = "not expanded: formulas that use it are reported not understood"
        else:
            what = "not executed: the audit never runs anything in the document"
        notices.append(Notice(m.start(), shown, f"{cmd} {_DANGER[cmd]}; {what}"))
    return notices, macros


def _regions(masked: str, fmt: str) -> list[tuple[int, int, bool]]:
    """(body start, body end, display) of every math region, in document order."""
    out = []
    used = bytearray(len(masked) + 1)   # characters already inside a math region

    def free(s, e):
        return used.find(1, s, e) < 0

    class _Taken(list):
        def append(self, span):
            s, e = span
            used[s:e] = b"\x01" * (e - s)

    taken = _Taken()

    envs = "|".join(_MATH_ENVS)
    for m in re.finditer(r"\\begin\{((?:%s)\*?)\}(?:\{[^}]*\})?(.*?)\\end\{\1\}" % envs,
                         masked, re.S):
        taken.append(m.span())
        out.append((m.start(2), m.end(2), True))
    for pattern, display in ((r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", True),
                             (r"\\\[(.+?)\\\]", True), (r"\\\((.+?)\\\)", False)):
        for m in re.finditer(pattern, masked, re.S):
            if free(*m.span()):
                taken.append(m.span())
                out.append((m.start(1), m.end(1), display))
    single = r"(?<![\\$])\$(?!\s)([^$\n]*?[^\s\\$])\$(?![\d$])" if fmt != "tex" else \
        r"(?<![\\$])\$([^$]+?)(?<!\\)\$"
    for m in re.finditer(single, masked):
        if free(*m.span()):
            taken.append(m.span())
            out.append((m.start(1), m.end(1), False))
    return sorted(out)


_ROW_SPLIT = re.compile(r"\\\\(?:\[[^\]]*\])?|\\begin\{[A-Za-z*]+\}|\\end\{[A-Za-z*]+\}")
_STRIP = re.compile(r"\\(?:label|tag\*?|eqref)\{[^}]*\}|\\(?:nonumber|notag)\b")


def _rows(body: str, base: int) -> list[tuple[int, int]]:
    """Spans of the rows of a math body: split at ``\\\\`` outside inner environments
    such as ``cases``; an ``aligned`` wrapper is transparent."""
    rows, depth, start = [], 0, 0
    for m in _ROW_SPLIT.finditer(body):
        tok = m.group(0)
        if tok.startswith(r"\begin"):
            name = tok[7:-1]
            if name.rstrip("*") in _ROW_ENVS:
                if depth == 0:
                    rows.append((start, m.start()))
                    start = m.end()
                continue
            depth += 1
        elif tok.startswith(r"\end"):
            name = tok[5:-1]
            if name.rstrip("*") in _ROW_ENVS:
                if depth == 0:
                    rows.append((start, m.start()))
                    start = m.end()
                continue
            depth = max(depth - 1, 0)
        elif depth == 0:
            rows.append((start, m.start()))
            start = m.end()
    rows.append((start, len(body)))
    return [(base + s, base + e) for s, e in rows if body[s:e].strip()]


_CONTINUE = re.compile(r"^\s*&\s*(\\q?quad\b|\\hspace\{[^}]*\})")
_RELATION_START = re.compile(r"^\s*&?\s*(=|<|>|\\leq?\b|\\geq?\b|\\approx|\\neq|\\le\b|"
                             r"\\ge\b|\\equiv)")


def _row_tokens(masked: str, s: int, e: int) -> tuple[list, str]:
    """Tokens of one row (labels and tags dropped, ``&`` dropped) and its kind:
    ``new``, ``chain`` (``&= ...``) or ``term`` (``&\\qquad ...``)."""
    row = _STRIP.sub(lambda m: " " * len(m.group(0)), masked[s:e])
    kind = "new"
    m = _CONTINUE.match(row)
    if m:
        row = " " * m.end() + row[m.end():]
        kind = "term"
    else:
        lhs, amp, rest = row.partition("&")
        if (amp and not lhs.strip() and _RELATION_START.match(rest)) or \
                (not amp and _RELATION_START.match(row)):
            kind = "chain"
        elif amp and not lhs.strip() and rest.strip()[:1] in ("+", "-"):
            kind = "term"
    toks, depth = [], 0
    for t in tokenize(row, s):
        depth += {r"\begin": 1, r"\end": -1}.get(t.text, 0)
        if t.text != "&" or depth > 0:
            toks.append(t)
    return toks, kind


def _equations(masked: str, rows, display: bool, block: int) -> list[Formula]:
    eqs: list[Formula] = []
    for s, e in rows:
        try:
            toks, kind = _row_tokens(masked, s, e)
        except NotUnderstood as exc:
            eqs.append(Formula(masked[s:e], [], s, e, display, block, error=str(exc)))
            continue
        if not toks:
            continue
        if kind != "new" and eqs and eqs[-1].error is None:
            last = eqs[-1]
            if kind == "chain":
                last.rows.append(len(last.tokens))
            last.tokens.extend(toks)
            last.end = toks[-1].end
            continue
        eqs.append(Formula("", toks, toks[0].start, toks[-1].end, display, block))
    return eqs


def _pieces(text: str, eq: Formula) -> list[Formula]:
    from .parser import split_top
    if eq.error is not None:
        eq.text = text[eq.start:eq.end]
        return [eq]
    out = []
    for piece in split_top(eq.tokens):
        first = eq.tokens.index(piece[0])
        rows = [r - first for r in eq.rows if first < r < first + len(piece)]
        out.append(Formula(text[piece[0].start:piece[-1].end], piece, piece[0].start,
                           piece[-1].end, eq.display, eq.block, rows))
    return out


_TEXT_MARKERS = re.compile(r"[∂δσ∇⊙ŷᵀ𝓛ℒ′≤≥]|\\(?:partial|frac|sigma|delta)")
_TEXT_RELATION = re.compile(r"=|≤|≥|<|>|≈")


def _text_lines(text: str) -> list[tuple[int, int, bool]]:
    """Formulas of a plain-text file without $: lines with a relation and a math sign."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        cut = re.search(r"\s{3,}\(", body)
        if cut:
            body = body[:cut.start()]
        if _TEXT_MARKERS.search(body) and _TEXT_RELATION.search(body):
            lead = len(body) - len(body.lstrip())
            out.append((pos + lead, pos + len(body.rstrip()), True))
        pos += len(line)
    return out


def extract(text: str, fmt: str) -> Extraction:
    """Every formula of ``text`` (already repaired), the notices and the macros it defines."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}")
    masked = _mask(text, fmt)
    notices, macros = _notices(masked)
    regions = _regions(masked, fmt)
    if fmt == "text" and not regions:
        regions = _text_lines(masked)
    formulas: list[Formula] = []
    if len(regions) > MAX_FORMULAS:
        raise usage_error(f"more than {MAX_FORMULAS} math regions in one document; the "
                          "audit reads at most that many")
    for block, (s, e, display) in enumerate(regions):
        rows = _rows(masked[s:e], s)
        for eq in _equations(masked, rows, display, block if display else -1):
            formulas.extend(_pieces(text, eq))
        if len(formulas) > MAX_FORMULAS:
            raise usage_error(f"more than {MAX_FORMULAS} formulas in one document; the "
                              "audit reads at most that many")
    return Extraction(formulas, notices, macros)
