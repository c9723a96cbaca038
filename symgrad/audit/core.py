r"""Audit a document: repair it, find its formulas, read them, build its network, judge each.

>>> doc = r'''
... $$\begin{aligned}
... z_{1} &= w_{1} a_{0} + b_{1} \\ a_{1} &= \sigma(z_{1}) \\
... z_{2} &= w_{2} a_{1} + b_{2} \\ a_{2} &= \sigma(z_{2}) \\
... C &= \frac{(a_{2} - y)^{2}}{2} \\
... \frac{\partial C}{\partial b_{1}}
...     &= \sigma'(z_{1}) \, w_{2} \, \frac{\partial C}{\partial a_{2}}
... \end{aligned}$$
... '''
>>> report = audit_text(doc)
>>> [f.verdict for f in report.formulas]
['definition', 'definition', 'definition', 'definition', 'definition', 'wrong']
>>> report.formulas[-1].reason
"σ'(z_2) is missing"
>>> report.exit_code
1
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .assess import Assessment, Assessor
from .errors import MAX_DOCUMENT_BYTES, NotUnderstood, ShapeMismatch, usage_error
from .extract import detect_format, extract
from .network import infer_network
from .notation import BUILTIN, custom_notation, front_matter_map, load_map
from .parser import parse_tokens
from .printer import REL_LATEX, keep_parens, latex
from .repair import repair
from .semantics import Interpreter, detect_index_style, detect_notation, document_symbols
from .sir import Qty, Rel, input_as_activation, key, resolve_depth, walk

__all__ = ["FormulaResult", "AuditReport", "audit_text", "Auditor"]


@dataclass
class FormulaResult:
    """One formula's verdict: where it is, how it is written, what it claims, why it is
    wrong or flawed, and the corrected formula (LaTeX)."""

    line: int
    latex: str
    verdict: str
    claim: str = ""
    reason: str = ""
    fix: str | None = None
    column: int = 0
    edits: list = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {"line": self.line, "latex": self.latex, "verdict": self.verdict,
                "claim": self.claim, "reason": self.reason, "fix": self.fix}


@dataclass
class AuditReport:
    """Everything the audit found in one document (see :meth:`as_dict` for the JSON)."""

    file: str
    format: str
    network: dict
    notation: dict
    repairs: list
    notices: list
    formulas: list
    mentions: int
    repaired: str
    original: str

    def counts(self) -> dict:
        out = {v: 0 for v in ("correct", "wrong", "defect", "not understood", "definition")}
        for f in self.formulas:
            out[f.verdict] = out.get(f.verdict, 0) + 1
        return out

    @property
    def exit_code(self) -> int:
        """0 when nothing is wrong, 1 when a formula is wrong, defective or not understood."""
        c = self.counts()
        return 1 if c["wrong"] or c["defect"] or c["not understood"] else 0

    def as_dict(self) -> dict:
        return {"file": self.file, "format": self.format, "network": self.network,
                "notation": self.notation, "repairs": [r.as_dict() for r in self.repairs],
                "notices": [n.as_dict() for n in self.notices],
                "formulas": [f.as_dict() for f in self.formulas],
                "summary": {**self.counts(), "mentions": self.mentions,
                            "repairs": len(self.repairs)}}

    def corrected(self) -> str:
        """The document with the repairs and every fix applied."""
        edits = sorted((e for f in self.formulas for e in f.edits), reverse=True)
        text, last = self.repaired, None
        for start, end, new in edits:
            if last is not None and end > last:
                continue  # overlapping edits: keep the later one
            text = text[:start] + new + text[end:]
            last = start
        return text


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _separator(formulas) -> str | None:
    """How the document separates factors: \\cdot, \\, or a space."""
    joined = " ".join(f.text for f in formulas[:400])
    cdot, thin = joined.count(r"\cdot"), len(re.findall(r"\\,", joined))
    if cdot > thin and cdot:
        return r" \cdot "
    if thin:
        return r" \, "
    return " " if joined else None


class Auditor:
    """One audit of one text (see :func:`audit_text`)."""

    def __init__(self, text: str, *, notation_map=None, depth=None, widths=None,
                 activation=None, cost=None, fmt=None, filename="-"):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise usage_error(f"file={filename!r}: {len(text) / 1e6:.1f} MB is more than the "
                              f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB the audit reads")
        if "\x00" in text:
            raise usage_error(f"file={filename!r}: contains NUL bytes, not a text document")
        self.text, self.filename = text, filename
        self.fmt = fmt or detect_format(filename, text)
        self.options = dict(depth=depth, widths=widths, activation=activation, cost=cost)
        self.map = notation_map

    def prepare(self) -> None:
        """Repair, extract, parse and read every formula; build the network and the judge."""
        repaired, repairs, omap = repair(self.text)
        self.repaired, self.omap, self.repairs = repaired, omap, repairs
        doc_map, map_source = front_matter_map(repaired)
        mapping = dict(doc_map or {})
        if isinstance(self.map, str):
            mapping.update(load_map(self.map))
        elif self.map:     # a dict: the keys of a map file (pre-activation, ...) or their names
            mapping.update(load_map(json.dumps({str(k): str(v) for k, v in self.map.items()}),
                                    "notation_map"))
        try:
            self.extraction = ex = extract(repaired, self.fmt)
        except ValueError as exc:        # too many formulas: one line naming the file
            raise usage_error(f"file={self.filename!r}: {exc}") from None
        self.heads = [v for k, v in mapping.items() if k == "function"]
        trees = [self._parse(f) for f in ex.formulas]
        good = [t for t in trees if not isinstance(t, Exception)]
        base = BUILTIN[detect_notation(good)]
        notation = custom_notation(mapping, base) if mapping else base
        self.index_style = style = detect_index_style(good, notation)
        self.interp = interp = Interpreter(notation, style, ex.macros)
        sirs = [t if isinstance(t, Exception) else self._read(t) for t in trees]
        self.notation = document_symbols(notation, interp.used)
        self.spec = spec = infer_network([s for s in sirs if not isinstance(s, Exception)],
                                         **self.options)
        spec.depth_letter = spec.sources.get("depth") != "document" and any(
            isinstance(q, Qty) and q.layer is not None and q.layer.var == "L"
            for s in sirs if not isinstance(s, Exception) for q in walk(s))
        self.sirs = [s if isinstance(s, Exception) else self._normal(s) for s in sirs]
        self.broken = None
        try:
            self.assessor = Assessor(spec, self.notation,
                                     "bracket" if notation.index == "bracket" else style)
            self.assessor.style.separator = _separator(ex.formulas)
        except (NotUnderstood, ShapeMismatch) as exc:
            self.assessor, self.broken = None, f"the network cannot be evaluated: {exc}"
        self.notation_info = {"name": notation.name,
                              "index": "bracket [l]" if notation.index == "bracket" else
                              {"sub": "subscript", "sup": "superscript"}[style],
                              "source": map_source or ("notation map" if mapping else
                                                       "recognised from the document")}

    def _normal(self, sir):
        """L as the number of layers; x as a_0 where x is the row fed to the network."""
        sir = resolve_depth(sir, self.spec.depth)
        return sir if self.spec.input_column else input_as_activation(sir)

    def _parse(self, f):
        try:
            return parse_tokens(f.tokens, self.heads) if f.error is None else \
                NotUnderstood(f.error)
        except NotUnderstood as exc:
            return exc

    def _read(self, tree):
        try:
            return self.interp.read(tree)
        except NotUnderstood as exc:
            return exc

    def assess(self, sir) -> Assessment:
        """The assessment of one formula's meaning (or of the error that stopped it)."""
        if isinstance(sir, Exception):
            return Assessment("not understood", "", [str(sir)])
        if self.assessor is None:
            return Assessment("not understood", "", [self.broken]) if isinstance(sir, Rel) \
                else Assessment("mention", "")
        try:
            return self.assessor.assess(sir)
        except (ArithmeticError, ValueError, TypeError, AttributeError, KeyError, IndexError,
                RecursionError) as exc:  # never a traceback for a formula: say what stopped
            return Assessment("not understood", "", [
                f"the audit could not evaluate this formula ({type(exc).__name__}: {exc})"])

    def run(self) -> AuditReport:
        self.prepare()
        ex = self.extraction
        results, mentions, self.items = [], 0, []
        for f, sir in zip(ex.formulas, self.sirs):
            a = self.assess(sir)
            if a.verdict == "mention":
                mentions += 1
                continue
            res = self._result(f, a, None if isinstance(sir, Exception) else sir, self.assessor)
            results.append(res)
            self.items.append((f, sir, res))
        if self.assessor is not None:
            _wrong_line_pass(self.items, self.assessor, self.repaired)
        for n in ex.notices:
            n.line = _line_col(self.text, self.omap.old(n.offset))[0]
        return AuditReport(self.filename, self.fmt, self.spec.describe(), self.notation_info,
                           self.repairs, ex.notices, results, mentions, self.repaired,
                           self.text)

    def assess_snippet(self, text: str) -> Assessment:
        """Assess one formula written in this document's notation and network (the
        document must be prepared): how a mutated formula is judged in context."""
        ex = extract("$$\n\\begin{aligned}\n" + text + "\n\\end{aligned}\n$$\n", "markdown")
        if len(ex.formulas) != 1:
            return Assessment("not understood", "", [f"{len(ex.formulas)} formulas"])
        tree = self._parse(ex.formulas[0])
        sir = tree if isinstance(tree, Exception) else self._read(tree)
        if not isinstance(sir, Exception):
            sir = self._normal(sir)
        return self.assess(sir)

    def _result(self, f, a: Assessment, sir=None, assessor=None) -> FormulaResult:
        o = self.omap.old(f.start)
        if self.text[o:o + 1] in ("\n", "\t", "\r"):   # a command whose \n was eaten
            o += 1
        line, col = _line_col(self.text, o)
        written = " ".join(f.text.split())
        edits = []
        if assessor is not None and sir is not None and (a.terms or a.ops):
            edits = _edits(sir, a, assessor, self.repaired)
        fix = _apply_local(self.repaired, f.start, f.end, edits) if edits else None
        return FormulaResult(line, written, a.verdict, a.claim, a.reason,
                             " ".join(fix.split()) if fix else None, col, edits)


def _edits(sir: Rel, a: Assessment, assessor, doc: str) -> list:
    out = []
    for k, new in a.terms.items():
        old = sir.terms[k]
        if old.span is None or key(old) == key(new):
            continue
        text = doc[old.span[0]:old.span[1]]
        written = doc[sir.span[0]:sir.span[1]] if sir.span else text
        shown = latex(new, assessor.style) if "\\" in written else assessor.show(new)
        out.append((old.span[0], old.span[1], keep_parens(text, shown)))
    for k, op in a.ops.items():
        if k < len(sir.op_spans):
            s, e = sir.op_spans[k]
            out.append((s, e, REL_LATEX[op]))
    return out


def _apply_local(text: str, start: int, end: int, edits: list) -> str:
    piece = text[start:end]
    for s, e, new in sorted(edits, reverse=True):
        piece = piece[:s - start] + new + piece[e - start:]
    return piece


def _wrong_line_pass(items, assessor, text) -> None:
    """An equality continued onto the wrong row (``&= X`` that belongs to another equation
    of the same block) is a defect, moved to where it belongs."""
    for f, sir, res in items:
        if res.verdict != "wrong" or f.block < 0 or not f.rows or \
                not isinstance(sir, Rel) or len(sir.terms) < 3:
            continue
        term = sir.terms[-1]
        for g, other, _ in items:
            if g is f or g.block != f.block or not isinstance(other, Rel):
                continue
            if assessor.judge.equal(other.terms[0], term).status != "true":
                continue
            if assessor.judge.equal(sir.terms[0], sir.terms[1]).status != "true":
                break
            s_op = sir.op_spans[-1][0]
            cut = text.rfind("\\\\", f.start, s_op)
            if cut < 0:
                break
            piece = text[s_op:term.span[1]]
            res.verdict = "defect"
            res.reason = (f"an equality chained onto the wrong line: {piece} continues "
                          f"{assessor.show(other.terms[0])}, not {assessor.show(sir.terms[0])}")
            res.edits = [(cut, term.span[1], ""), (g.end, g.end, " \\\\\n&" + piece)]
            res.fix = " ".join(text[f.start:cut].split())
            break


def audit_text(text: str, *, notation_map=None, depth=None, widths=None, activation=None,
               cost=None, fmt=None, filename="-") -> AuditReport:
    """Audit the gradient formulas of a document given as text.

    ``notation_map``: a dict or the text of a map (TOML or JSON, see
    :mod:`symgrad.audit.notation`); ``depth``, ``widths``, ``activation``, ``cost``: the
    network where the document has no forward equations; ``fmt``: tex, markdown or text
    (default: from ``filename``, else from the content)."""
    return Auditor(text, notation_map=notation_map, depth=depth, widths=widths,
                   activation=activation, cost=cost, fmt=fmt, filename=filename).run()
