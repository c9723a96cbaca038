r"""``symgrad audit``: check the gradient formulas of a document someone else wrote.

The audit repairs LaTeX an escape step destroyed (:mod:`~symgrad.audit.repair`), finds every
formula (:mod:`~symgrad.audit.extract`), reads it with its own parser
(:mod:`~symgrad.audit.lexer`, :mod:`~symgrad.audit.parser`; nothing is evaluated or
followed to another file), gives it a meaning in the document's notation
(:mod:`~symgrad.audit.notation`, :mod:`~symgrad.audit.semantics`), builds the network from
the document's forward equations (:mod:`~symgrad.audit.network`) and judges every claim
against the truth about that network, computed independently by differentiating the
composed cost (:mod:`~symgrad.audit.instance`, :mod:`~symgrad.audit.evaluate`,
:mod:`~symgrad.audit.judge`, :mod:`~symgrad.audit.bounds`).  A wrong claim gets its reason
and the corrected formula (:mod:`~symgrad.audit.explain`, :mod:`~symgrad.audit.templates`,
printed by :mod:`~symgrad.audit.printer`); :mod:`~symgrad.audit.mutate` writes realistic
errors into correct documents to measure how many the audit catches.

>>> grad = (r"\frac{\partial C}{\partial b_{%d}} = "
...         r"\sigma'(z_{%d}) \, \frac{\partial C}{\partial a_{2}}")
>>> report = audit_text("$$" + grad % (2, 2) + "$$", depth=2)
>>> f = report.formulas[0]
>>> f.verdict, f.reason
('correct', '')
>>> report = audit_text("$$" + grad % (1, 1) + "$$", depth=2)
>>> report.formulas[0].verdict, report.formulas[0].reason
('wrong', "w_2 is missing; σ'(z_2) is missing")
"""
from __future__ import annotations

import importlib

# eager, and light: the function repair must shadow its module of the same name
from .repair import Repair, escape_damage, repair

__all__ = ["audit_text", "audit_file", "AuditReport", "FormulaResult", "Auditor",
           "mutants", "score", "Mutant", "KINDS", "apply_mutant", "repair", "escape_damage",
           "Repair", "load_map", "custom_notation", "Notation", "NIELSEN", "MATRIX",
           "render_text", "render_json"]

#: where each public name lives: they load on first use, so ``symgrad audit --help``
#: answers without importing SymPy
_HOME = {
    "audit_file": "command",
    **dict.fromkeys(["AuditReport", "Auditor", "FormulaResult", "audit_text"], "core"),
    **dict.fromkeys(["KINDS", "Mutant", "apply_mutant", "mutants", "score"], "mutate"),
    **dict.fromkeys(["MATRIX", "NIELSEN", "Notation", "custom_notation", "load_map"],
                    "notation"),
    **dict.fromkeys(["render_json", "render_text"], "report"),
}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'symgrad.audit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"symgrad.audit.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
