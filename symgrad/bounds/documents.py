"""Documents of the proven suprema: sup |σ'| of each activation with the layer bound it
gives, as text, LaTeX, Markdown and JSON (what ``symgrad bounds`` prints).

>>> from symgrad.bounds.supremum import supremum
>>> print(bounds_text([supremum("sigmoid")], 0.0).splitlines()[3])
sigmoid     1/4       attained at z = 0  exact: critical points (solveset), limits
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symgrad.bounds.branches import describe_interval
from symgrad.bounds.enclosure import Enclosure
from symgrad.bounds.layer import general_layer_bound, three_sigmoid_layers
from symgrad.bounds.supremum import Supremum
from symgrad.model.activations import get_activation
from symgrad.printing.printers import NielsenTextPrinter, latex

__all__ = ["bounds_text", "bounds_latex", "bounds_markdown", "bounds_json", "supremum_json",
           "BoundTextPrinter", "FORMATS", "ENCLOSURE_DIGITS"]

FORMATS = ["text", "latex", "markdown", "json"]
#: significant digits of the outward-rounded enclosures in the JSON
ENCLOSURE_DIGITS = 40


class BoundTextPrinter(NielsenTextPrinter):
    """The Nielsen text notation plus |x|, w_j and Π for the bounds."""

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_Indexed(self, expr):
        return f"{self._print(expr.base.label)}_{','.join(map(self._print, expr.indices))}"

    def _print_Product(self, expr):
        (j, lo, hi), = expr.limits
        return f"Π_{{{self._print(j)}={self._print(lo)}}}^{{{self._print(hi)}}} {self._print(expr.function)}"

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.args
        if not exponent.free_symbols:
            return super()._print_Pow(expr, rational)
        # (sup|σ'|)^(L − l + 1)
        return f"{self.parenthesize(base, PRECEDENCE['Pow'])}^({self._print(exponent)})"

    def _print_Relational(self, expr):
        op = {"<=": "≤", ">=": "≥", "==": "="}.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"


def _text(expr) -> str:
    return BoundTextPrinter().doprint(expr)


def _general(s: Supremum):
    """The general layer bound for an activation with an exact supremum, else None."""
    if not s.certified or s.value is None:
        return None
    return general_layer_bound(s.activation)


def _exact_json(expr: sp.Expr) -> dict:
    return {"sympy": sp.sstr(expr), "latex": latex(expr)}


def _point_json(at) -> dict | None:
    """Where the supremum is attained: exact, an enclosure, a branch, or null (never)."""
    if at is None:
        return None
    if isinstance(at, Enclosure):
        return {"enclosure": list(at.strings(ENCLOSURE_DIGITS))}
    if isinstance(at, sp.Interval):
        return {"where": describe_interval(at)}
    return _exact_json(at)


def supremum_json(s: Supremum) -> dict:
    r"""One activation's entry: ``value`` exact (SymPy string and LaTeX) or null,
    ``enclosure`` as decimal strings rounded outward (lower down, upper up), ``attained_at``
    exact, an enclosure, a branch or null, ``certified`` and the ``method``.

    >>> from symgrad.bounds.supremum import supremum
    >>> e = supremum_json(supremum("sigmoid"))
    >>> e["value"], e["enclosure"], e["attained_at"]
    ({'sympy': '1/4', 'latex': '\\frac{1}{4}'}, ['0.25', '0.25'], {'sympy': '0', 'latex': '0'})
    >>> supremum_json(supremum("silu"))["attained_at"]["enclosure"][0][:22]
    '2.39935728051546766783'
    """
    bound = _general(s)
    return {
        "activation": s.activation,
        "value": None if s.value is None else _exact_json(s.value),
        "enclosure": None if s.enclosure is None else list(s.enclosure.strings(ENCLOSURE_DIGITS)),
        "decimal": s.decimal(),
        "attained": s.attained,
        "attained_at": _point_json(s.attained_at),
        "how": s.how,
        "certified": s.certified,
        "method": s.method,
        "kink": s.kink,
        "steps": list(s.steps),
        "seconds": round(s.seconds, 4),
        "layer_bound_latex": None if bound is None else latex(bound),
    }


def bounds_json(sups: list[Supremum]) -> list[dict]:
    """The JSON list: one entry per activation (:func:`supremum_json`)."""
    return [supremum_json(s) for s in sups]


def bounds_text(sups: list[Supremum], seconds: float) -> str:
    rows = [("activation", "sup |σ'|", "where", "method")]
    for s in sups:
        at = s.attained_string(12)
        where = f"z ∈ {at}" if at and at.startswith("[") else s.how
        rows.append((s.activation, s.label, where, s.method))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["sup over the reals of |σ'(z)|, proven", ""]
    lines += ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
    for s in sups:
        lines += ["", f"{s.activation}: sup |σ'| = {s.label}; {s.how}"]
        lines += [f"  {i}. {step}" for i, step in enumerate(s.steps, 1)]
        if s.kink:
            lines.append(f"  kink: {s.kink}")
    lines += ["", "The layer bound (from the closed form ∂C/∂b_l = σ'(z_l) w_{l+1} σ'(z_{l+1}) "
              "⋯ w_L σ'(z_L) ∂C/∂a_L):"]
    for s in sups:
        bound = _general(s)
        if bound is not None:
            lines.append(f"  {s.activation}: {_text(bound)}")
    if any(s.activation == "sigmoid" for s in sups):
        lines.append(f"  three sigmoid layers multiply at most {_text(three_sigmoid_layers())} "
                     "into the gradient")
    lines += ["", f"proven in {seconds:.2f} s"]
    return "\n".join(lines) + "\n"


def _latex_row(s: Supremum) -> str:
    name = get_activation(s.activation).latex_name
    head = rf"\sup_{{z \in \mathbb{{R}}}} \left|{name}'(z)\right|"
    if not s.certified:
        return head + r" &: \text{could not certify}"
    if s.value is not None:
        value = latex(s.value)
    else:
        lo, hi = s.enclosure.strings(20)
        value = rf"\in \left[{lo}, {hi}\right]"
        return f"{head} &{value}"
    return f"{head} &= {value}"


def bounds_latex(sups: list[Supremum]) -> str:
    rows = [_latex_row(s) + rf" && \text{{{s.how}}}" for s in sups]
    out = "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
    bounds = [latex(b) for b in map(_general, sups) if b is not None]
    if bounds:
        out += "\\begin{align*}\n" + " \\\\\n".join(bounds) + "\n\\end{align*}\n"
    if any(s.activation == "sigmoid" for s in sups):
        out += "\\[\n" + latex(three_sigmoid_layers()) + "\n\\]\n"
    return out


def bounds_markdown(sups: list[Supremum], seconds: float) -> str:
    out = ["# sup |σ'| over the reals, proven", "",
           "| activation | sup \\|σ'\\| | attained at | method |", "|---|---|---|---|"]
    for s in sups:
        out.append(f"| {s.activation} | {s.label} | {s.attained_string(12) or 'never: ' + s.how} "
                   f"| {s.method} |")
    for s in sups:
        out += ["", f"## {s.activation}", "", "$$", _latex_row(s).replace("&", ""), "$$", ""]
        out += [f"{i}. `{step}`" for i, step in enumerate(s.steps, 1)]
        bound = _general(s)
        if bound is not None:
            out += ["", "Layer bound:", "", "$$", latex(bound), "$$"]
    if any(s.activation == "sigmoid" for s in sups):
        out += ["", "Three sigmoid layers multiply at most", "", "$$",
                latex(three_sigmoid_layers()), "$$", "", "into the gradient."]
    out += ["", f"Proven in {seconds:.2f} s.", ""]
    return "\n".join(out)
