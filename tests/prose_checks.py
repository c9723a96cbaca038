"""Checks of a lecture's words against values computed here, independently of symgrad.lecture.

Every claim a lecture makes in a recognisable sentence is read back from the Markdown text
with a regular expression and recomputed: a supremum by sampling σ' on a fine grid, where it
is attained by evaluating σ' there, a kink convention from the NumPy derivative at the kink
and beside it, a count of activation derivatives from the derivation's own factors and a
cancellation decided by SymPy, the arithmetic of (1/4)^3 = 1/64, the layers named in the
introduction from the network, a linear composition by composing the forward equations.
:func:`false_claims` returns every claim that does not hold (empty when all do).

The helpers also cut a document into its sections (the ``symgrad-section`` markers) and audit
the derivation's part with :func:`symgrad.audit.audit_text`.
"""
from __future__ import annotations

import re

import numpy as np
import sympy as sp

from symgrad.model.activations import ACTIVATIONS, SELU_ALPHA, SELU_LAMBDA, Softmax

#: the activations by the name the lecture's words use
BY_WORD = {"sigmoid": "sigmoid", "tanh": "tanh", "ReLU": "relu", "leaky ReLU": "leaky_relu",
           "PReLU": "prelu", "linear": "linear", "softplus": "softplus", "ELU": "elu",
           "SELU": "selu", "SiLU": "silu", "GELU": "gelu", "tanh GELU": "gelu_tanh"}
#: sections whose formulas are numbers or deliberate mistakes, not derivation claims
NOT_DERIVATION = ("example", "exercises", "solutions", "figures")
_GRID = np.concatenate([np.linspace(-40, 40, 400001), [-1e-9, 0.0, 1e-9]])


def sections(text: str, fmt: str = "markdown") -> list[tuple[str, str]]:
    """[(key, text)] in order; the part before the first marker has the key ``intro``."""
    marker = r"(<!-- symgrad-section: ([a-z-]+) -->)" if fmt == "markdown" else \
        r"(% symgrad-section: ([a-z-]+))"
    parts = re.split(marker, text)
    out = [("intro", parts[0])]
    for i in range(1, len(parts), 3):
        out.append((parts[i + 1], parts[i] + parts[i + 2]))
    return out


def derivation_part(text: str, fmt: str = "markdown") -> str:
    """The document without its example, exercises, solutions and figures."""
    return "".join(t for k, t in sections(text, fmt) if k not in NOT_DERIVATION)


def audit_problems(text: str, fmt: str = "markdown", *, allowed=lambda latex: False) -> list[str]:
    """The audit's complaints about the derivation part: wrong, defect, not understood, or a
    definition it qualifies; ``allowed(latex)`` is true for rows verified otherwise."""
    from symgrad.audit import audit_text
    report = audit_text(derivation_part(text, fmt), fmt=fmt)
    out = []
    for f in report.formulas:
        bad = f.verdict in ("wrong", "defect", "not understood") or \
            (f.verdict == "definition" and f.reason)
        if bad and not allowed(f.latex):
            out.append(f"{f.verdict}: {f.latex} ({f.reason})")
    return out


# -- numbers ------------------------------------------------------------------------------------

def value_of(tex: str, alpha: float | None = None) -> float:
    """A printed constant as a float: \\frac{1}{4}, 1.12891, \\lambda \\, \\alpha, max(1, |α|)."""
    t = " ".join(tex.split())
    if t in (r"\alpha \lambda", r"\left(\alpha \lambda\right)"):
        return float(SELU_LAMBDA * SELU_ALPHA)
    if t.startswith(r"\max"):
        return max(1.0, abs(alpha))
    m = re.fullmatch(r"\\frac\{(\d+)\}\{(\d+)\}", t)
    if m:
        return int(m.group(1)) / int(m.group(2))
    m = re.fullmatch(r"([\d.]+)(?: \\cdot 10\^\{(-?\d+)\})?", t)
    if m:
        return float(m.group(1)) * 10 ** int(m.group(2) or 0)
    raise ValueError(f"not a constant: {tex!r}")


def derivative(name: str, z, alpha: float = 0.25):
    act = ACTIVATIONS[name]
    with np.errstate(all="ignore"):
        g = act.numpy_derivative(z) if act.parameter is None else act.numpy_derivative(z, alpha)
    return np.asarray(g, dtype=float) * np.ones_like(np.asarray(z, dtype=float))


# -- the claims ---------------------------------------------------------------------------------

def _bound_claims(text: str) -> list[str]:
    out = []
    pattern = (r"For ([A-Za-z ]+?), the bound is \$(.+?)\$(, the supremum rounded up to six "
               r"digits)?(.*?)(?:\. |:\n)")
    for name, tex, rounded, rest in re.findall(pattern, text):
        act = BY_WORD[name]
        for alpha in ((0.25, 2.0) if act == "prelu" else (None,)):
            bound = value_of(tex, alpha)
            g = np.abs(derivative(act, _GRID, alpha if alpha is not None else 0.25))
            if g.max() > bound * (1 + 1e-12):
                out.append(f"{name}: |σ'| reaches {g.max()} above the stated bound {tex}")
            if g.max() < bound * (1 - (1e-5 if rounded else 1e-9)) and "approached" not in rest:
                out.append(f"{name}: the bound {tex} is not the supremum ({g.max()})")
        out += _where_claims(name, act, rest, value_of(tex, 0.25), 1e-5 if rounded else 1e-12)
    return out


def _where_claims(name: str, act: str, rest: str, bound: float, tol: float) -> list[str]:
    out = []
    m = re.search(r"reached at \$z = (.+?)\$", rest)
    if m:
        point = float(sp.sympify(m.group(1).replace(r"\sqrt{2}", "sqrt(2)")))
        if abs(abs(derivative(act, np.array([point]))[0]) - bound) > tol:
            out.append(f"{name}: |σ'({m.group(1)})| is not the bound")
    m = re.search(r"reached near \$z = (.+?)\$", rest)
    if m and abs(abs(derivative(act, np.array([float(m.group(1))]))[0]) - bound) > 1e-5:
        out.append(f"{name}: |σ'| near {m.group(1)} is not the bound")
    if "reached for every positive" in rest:
        g = derivative(act, np.linspace(1e-6, 20, 1001))
        if not np.allclose(g, bound, rtol=0, atol=1e-12):
            out.append(f"{name}: σ' is not the bound for every positive z")
    if "for every negative $z$ the derivative is 0" in rest:
        if np.any(derivative(act, np.linspace(-20, -1e-6, 1001)) != 0):
            out.append(f"{name}: σ' is not 0 for every negative z")
    if "grows without bound and never reached" in rest:
        g = derivative(act, np.linspace(-30, 30, 6001))     # beyond 30 float64 rounds σ' to 1
        if np.any(np.abs(g) >= bound) or abs(derivative(act, np.array([30.0]))[0] - bound) > 1e-9:
            out.append(f"{name}: the bound is not approached only as z grows")
    return out


def _kink_claims(text: str) -> list[str]:
    out = []
    for head, value, side in re.findall(
            r"\$\\operatorname\{(\w+)\}'\(0\) = (.+?)\$ \(the (left|right) branch's value\)", text):
        act = {"ReLU": "relu", "LReLU": "leaky_relu", "PReLU": "prelu", "SELU": "selu",
               "ELU": "elu"}[head]
        alpha = 0.25
        v = alpha if value.strip() == r"\alpha" else value_of(value, alpha)
        at = derivative(act, np.array([0.0]), alpha)[0]
        near = derivative(act, np.array([-1e-9 if side == "left" else 1e-9]), alpha)[0]
        if abs(at - v) > 1e-6 or abs(near - v) > 1e-6:
            out.append(f"{head}'(0) = {value} as the {side} branch's value is false")
    return out


def sigma_layers(d) -> list[int]:
    """The layers whose σ' stands in ∂C/∂b_1 (∂𝓛/∂W_1) once a cancelling output is written
    out, computed from the network alone."""
    net = d.network
    out = []
    for l in net.layers:
        act = net.sigma(l)
        if isinstance(act, Softmax) or act.is_linear:
            continue
        if l == net.L and cancels(net):
            continue
        out.append(l)
    return out


def cancels(net) -> bool:
    """σ_L'(z_L) ∂C/∂a_L equals a_L − y at every point tried (numerically; softmax-CE always):
    the output's σ' cancels against the cost."""
    if net.softmax_output:
        return True
    act = net.sigma(net.L)
    z = np.linspace(-6, 6, 241)
    with np.errstate(all="ignore"):
        a = act.numpy(z) if act.parameter is None else act.numpy(z, 0.25)
        for y in (0.2, 0.7):
            product = derivative(act.name, z) * net.cost.numpy_derivative(a, y)
            if not np.allclose(product, a - y, rtol=1e-9, atol=1e-12):
                return False
    return True


def _count_claims(text: str, d) -> list[str]:
    out = []
    for count, rest in re.findall(r"carries (\d+) activation derivatives?(.*?)(?:\.|;|:)\n?", text):
        want = sigma_layers(d)
        if int(count) != len(want):
            out.append(f"carries {count} activation derivatives; the network has {len(want)}")
        named = [int(x) for x in re.findall(r"\d+", rest.split("(")[0])]
        if named and named != want:
            out.append(f"the layers {named} named for the activation derivatives are {want}")
    return out


def _arithmetic_claims(text: str) -> list[str]:
    out = []
    for base, power, result in re.findall(
            r"\$\\left\((\\frac\{\d+\}\{\d+\})\\right\)\^\{(\d+)\} = (\\frac\{\d+\}\{\d+\})\$", text):
        if abs(value_of(base) ** int(power) - value_of(result)) > 1e-15:
            out.append(f"({base})^{power} = {result} is false")
    for bound, at_least in re.findall(r"Each such layer multiplies at most \$(.+?)\$.*?is at "
                                      r"least \$(.+?)\$", text):
        if abs(1 / value_of(bound) - value_of(at_least)) > 1e-12:
            out.append(f"1/{bound} is not {at_least}")
    for bound, at_least in re.findall(r"Three such layers multiply at most \$\\left\((.+?)\\right\)"
                                      r".*?is at least \$(.+?)\$", text):
        if abs(1 / value_of(bound) - value_of(at_least)) > 1e-12:
            out.append(f"1/{bound} is not {at_least}")
    for bound, result in re.findall(r"repeated factor is \$100 \\cdot (.+?) = (.+?)\$", text):
        if abs(100 * value_of(bound) - value_of(result)) > 1e-12:
            out.append(f"100 · {bound} is not {result}")
    return out


def _layer_claims(text: str, d) -> list[str]:
    net = d.network
    out = []
    for l, what, name in re.findall(r"[Ll]ayer (\d+) (uses|is) ([A-Za-z ]+?)(?=,| and|\.|;)", text):
        act = net.sigma(int(l))
        if what == "is" and name == "linear" and not act.is_linear:
            out.append(f"layer {l} is not linear")
        if what == "is" and name == "a softmax output" and not isinstance(act, Softmax):
            out.append(f"layer {l} is not a softmax output")
        if what == "uses" and BY_WORD.get(name) != act.name:
            out.append(f"layer {l} uses {act.name}, not {name}")
    m = re.search(r"chain of (\d+) ([A-Za-z ]+?) layers?", text)
    if m and net.is_chain:
        if int(m.group(1)) != net.L:
            out.append(f"the title says {m.group(1)} layers; the chain has {net.L}")
        if m.group(2) in BY_WORD and {a.name for a in net.activations} != {BY_WORD[m.group(2)]}:
            out.append(f"the title says {m.group(2)} layers")
    if ("cross-entropy cost" in text.splitlines()[2]) != (net.cost_name == "cross-entropy"):
        out.append("the title names the wrong cost")
    if "their product is $\\delta" in text and not cancels(net):
        out.append("a cancellation is claimed where the output's σ' does not cancel")
    if net.is_chain and net.cost_name == "cross-entropy" and cancels(net) and \
            "their product is $\\delta" not in text and sigma_layers(d):
        out.append("the cancellation of the output's σ' is not stated")
    return out


def _story_claims(text: str) -> list[str]:
    out = []
    for m in re.finditer(r"for every (positive|negative) \$z\$, the derivative of ([A-Za-z ,]+?) "
                         r"is exactly \$(\d)\$|For every (positive|negative) \$z\$ the derivative "
                         r"of ([A-Za-z ,]+?) is exactly \$(\d)\$", text):
        side = m.group(1) or m.group(4)
        names = m.group(2) or m.group(5)
        value = int(m.group(3) or m.group(6))
        z = np.linspace(1e-6, 20, 1001) * (1 if side == "positive" else -1)
        for name in re.split(r", | and ", names):
            if not np.all(derivative(BY_WORD[name], z) == value):
                out.append(f"{name}'s derivative is not {value} for every {side} z")
    for name, value in re.findall(r"([A-Za-z ]+?), whose derivative is \$(.+?)\$ for every "
                                  r"negative \$z\$", text):
        name = re.split(r": | and |, ", name)[-1].strip()
        v = 0.25 if value == r"\alpha" else value_of(value)
        if not np.allclose(derivative(BY_WORD[name], np.linspace(-20, -1e-6, 101), 0.25), v):
            out.append(f"{name}'s derivative is not {value} for negative z")
    return out


def false_claims(markdown: str, d) -> list[str]:
    """Every recognised claim of a Markdown lecture that does not hold for ``d``."""
    text = derivation_part(markdown)
    return (_bound_claims(text) + _kink_claims(text) + _count_claims(text, d)
            + _arithmetic_claims(text) + _layer_claims(text, d) + _story_claims(text))


def bound_row_problems(markdown: str, d) -> list[str]:
    """The layer-bound rows |∂C/∂b_l| ≤ coefficient |w_{l+1}| ⋯ |w_L| |last| of a chain,
    each recomputed: the coefficient is the product of the bounds of the activation
    derivatives of the layers l..L that stand in ∂C/∂b_l, the weights are w_{l+1}..w_L."""
    net = d.network
    text = derivation_part(markdown)
    sups = {}
    for name, tex in re.findall(r"For ([A-Za-z ]+?), the bound is \$(.+?)\$", text):
        sups[BY_WORD[name]] = tex
    out = []
    rows = re.findall(r"\\left\|\{\\frac\{\\partial C\}\{\\partial b_\{(\d+)\}\}\}\\right\| &\\leq "
                      r"(.*?)(?: \\\\\n|\n\\end)", text)
    for l, rhs in rows:
        l = int(l)
        want = [j for j in sigma_layers(d) if j >= l]
        weights = [int(j) for j in re.findall(r"\\left\|\{w_\{(\d+)\}\}\\right\|", rhs)]
        if weights != list(range(l + 1, net.L + 1)):
            out.append(f"the bound of b_{l} has the weights {weights}")
        coefficient = 1.0
        for j in want:
            coefficient *= value_of(sups[net.sigma(j).name], 0.25)
        shown = _coefficient_value(rhs)
        if abs(shown - coefficient) > 1e-9 * max(1.0, coefficient):
            out.append(f"the bound of b_{l} has the coefficient {shown}, not {coefficient}")
    return out


def _coefficient_value(rhs: str) -> float:
    """The product of the constant factors in front of the first |...| of a bound's rhs."""
    head = rhs.split(r"\left|")[0].strip().rstrip(r"\,").strip()
    value = 1.0
    for factor in [f.strip() for f in head.split(r"\,") if f.strip()]:
        m = re.fullmatch(r"\{?\\left\((.+)\\right\)\}?\^\{(\d+)\}|\{(.+)\}\^\{(\d+)\}|(.+)", factor)
        base, power = (m.group(1), m.group(2)) if m.group(1) else \
            (m.group(3), m.group(4)) if m.group(3) else (m.group(5), "1")
        base = base.strip()
        if base.startswith(r"\max"):
            value *= 1.0          # max(1, |α_j|) at the drawn α = 0.25
            continue
        value *= value_of(base) ** int(power)
    return value
