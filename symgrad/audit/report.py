r"""The audit report as text (file:line, the formula as written, verdict, reason, fix) or JSON.

>>> from .core import audit_text
>>> r = audit_text(r"$$\frac{\partial C}{\partial w_{l}} = a_{l} \delta_{l}$$", depth=3)
>>> print("\n".join(render_text(r, "notes.md").splitlines()[-5:]))
notes.md:1: wrong: gradient ∂C/∂w_l
    written: \frac{\partial C}{\partial w_{l}} = a_{l} \delta_{l}
    reason:  a_l is of the wrong layer: a_{l-1} belongs
    fix:     \frac{\partial C}{\partial w_{l}} = a_{l-1} \delta_{l}
notes.md: 1 wrong
"""
from __future__ import annotations

import json

__all__ = ["render_text", "render_json", "summary_line", "visible"]

#: control characters as the symbols that show them (␌rac is what is left of \frac)
_VISIBLE = {"\x0c": "␌", "\x08": "␈", "\t": "␉", "\n": "␊", "\r": "␍", "\x07": "␇",
            "\x0b": "␋"}


def visible(text: str) -> str:
    """``text`` with its control characters shown (a form feed as ␌).

    >>> visible("\x0crac")
    '␌rac'
    """
    return "".join(_VISIBLE.get(ch, ch) for ch in text)

_ORDER = ("wrong", "defect", "not understood", "correct", "definition")


def summary_line(report) -> str:
    c = report.counts()
    parts = [f"{c[v]} {v}" for v in _ORDER if c.get(v)]
    if report.mentions:
        parts.append(f"{report.mentions} mentions (math without a relation, not claims)")
    if report.repairs:
        parts.append(f"{len(report.repairs)} repairs")
    return ", ".join(parts) if parts else "no formulas found"


def _network(report) -> list[str]:
    n = report.network
    acts = n["activations"]
    acts = acts[0] if len(set(acts)) == 1 else ", ".join(acts)
    src = n["from"]
    lines = [f"network: {n['kind']}, depth {n['depth']} ({src.get('depth')}), "
             f"activations {acts} ({src.get('activations')})",
             f"  cost: {n['cost']} ({src.get('cost')}); convention: {n['convention']}"]
    if n["kind"] == "dense":
        lines.append(f"  widths {', '.join(map(str, n['widths']))}"
                     + (f" ({src['widths']})" if "widths" in src else "")
                     + (f"; {n['samples']} samples" if n["samples"] > 1 else ""))
    if "note" in src:
        lines.append(f"  note: {src['note']}")
    nt = report.notation
    lines.append(f"notation: {nt['name']}, layer index as {nt['index']} ({nt['source']})")
    return lines


def render_text(report, name: str | None = None, verbose: bool = False) -> str:
    """The report for a terminal: the network and notation, the repairs and notices, every
    formula that is not correct (all of them with ``verbose``), and a summary."""
    name = name or report.file
    out = [f"{name}: audit"] + ["  " + line for line in _network(report)]
    if report.repairs:
        out.append(f"repairs ({len(report.repairs)}): LaTeX an escape step destroyed, "
                   "put back")
        for r in report.repairs:
            out.append(f"  {name}:{r.line}:{r.column}: {visible(r.found)} -> {r.what}: "
                       f"{r.reason}")
    for n in report.notices:
        out.append(f"{name}:{n.line}: notice: {n.text}: {n.message}")
    for f in report.formulas:
        if f.verdict in ("correct", "definition") and not verbose:
            continue
        out.append(f"{name}:{f.line}: {f.verdict}: {f.claim}".rstrip(": "))
        out.append(f"    written: {f.latex}")
        if f.reason:
            out.append(f"    reason:  {f.reason}")
        if f.fix:
            out.append(f"    fix:     {f.fix}")
    out.append(f"{name}: {summary_line(report)}")
    return "\n".join(out) + "\n"


def render_json(report) -> str:
    """The report as JSON: ``{"file", "network", "notation", "repairs", "formulas", ...}``."""
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"
