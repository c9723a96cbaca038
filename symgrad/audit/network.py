r"""The network a document is about, read from its own forward equations where it has them.

A forward equation is one of ``z_l = w_l a_{l-1} + b_l`` (column convention: the weight
acts from the left), ``h̃_l = h_{l-1} W_l + b_l`` (row convention), ``a_l = σ(z_l)``, an
output written directly as a linear layer (``ŷ = h_2 W_3 + b_3``) and the cost
(``C = (a_L - y)^2/2``, ``𝓛 = Σ_i ‖y_i - ŷ_i‖²``).  What the document does not say comes
from the options (``--depth``, ``--widths``, ``--activation``, ``--cost``), else from a
default, and :attr:`NetworkSpec.sources` says which.

>>> from .parser import parse
>>> from .semantics import Interpreter
>>> from .notation import NIELSEN
>>> I = Interpreter(NIELSEN, "sub")
>>> eqs = [I.read(parse(t)) for t in (
...     r"z_{1} = w_{1} a_{0} + b_{1}", r"a_{1} = \tanh(z_{1})", r"z_{2} = w_{2} a_{1} + b_{2}",
...     r"a_{2} = \sigma(z_{2})", r"C = \frac{(a_{2} - y)^2}{2}")]
>>> spec = infer_network(eqs)
>>> spec.depth, spec.activations, spec.convention, spec.dense
(2, ('tanh', 'sigmoid'), 'col', False)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import usage_error
from .notation import ACTIVATION_HEADS
from .sir import (Apply, BigSum, Diag, Norm, Num, Prod, Qty, RealSpace, Rel, S, Sum, Transpose,
                  Var, walk)

__all__ = ["NetworkSpec", "infer_network", "forward_fact", "EVALUATED", "COST_NAMES",
           "is_definition_target"]

#: activations the numeric judge evaluates
EVALUATED = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softplus", "elu", "silu")
#: the --cost names and what they mean
COST_NAMES = {"quadratic": "quadratic cost ½‖a_L − y‖² (with ½)",
              "squared-error": "squared error ‖y − ŷ‖² (without ½)",
              "cross-entropy": "cross-entropy −y ln a_L − (1 − y) ln(1 − a_L)"}
_DEFAULT_SAMPLES = 3


@dataclass
class NetworkSpec:
    """Depth, widths n_0..n_L, one activation per layer, the convention (``col``: z = W a
    + b, ``row``: h̃ = h W + b), the cost (an expression of the document, or a name), the
    number of samples the check uses, and where each came from."""

    depth: int
    widths: tuple
    activations: tuple
    convention: str = "col"
    cost: S | None = None
    cost_name: str = "quadratic"
    samples: int = 1
    dense: bool = False
    input_column: bool = False
    unnamed_pre: frozenset = frozenset()
    sources: dict = field(default_factory=dict)

    def describe(self) -> dict:
        return {"depth": self.depth, "widths": list(self.widths),
                "activations": list(self.activations), "convention":
                "row (h~ = h W + b)" if self.convention == "row" else "column (z = W a + b)",
                "cost": self.cost_text(), "samples": self.samples,
                "kind": "dense" if self.dense else "chain (one neuron per layer)",
                "from": dict(self.sources)}

    def cost_text(self) -> str:
        summed = " summed over the samples" if self.samples > 1 else ""
        if self.cost is not None and not getattr(self, "cost_standard", False):
            return "as the document defines it" + summed
        what = COST_NAMES.get(self.cost_name, self.cost_name)
        return (f"the document's, recognised as the {what}" if self.cost is not None
                else what) + summed


def _layer_of(q: S) -> int | None:
    if isinstance(q, Qty) and q.layer is not None and q.layer.var is None:
        return q.layer.off
    return None


def _linear_part(rhs: S):
    """(convention, weight, input) of ``W a + b`` / ``a W + b``, else None."""
    if not (isinstance(rhs, Sum) and len(rhs.terms) == 2 and rhs.signs == ["+", "+"]):
        return None
    prod, bias = rhs.terms
    if isinstance(prod, Qty) and prod.kind == "bias":
        prod, bias = bias, prod
    if not (isinstance(bias, Qty) and bias.kind == "bias" and isinstance(prod, Prod)
            and len(prod.factors) == 2):
        return None
    a, b = prod.factors
    if isinstance(a, Qty) and a.kind == "weight":
        return "col", a, b
    if isinstance(b, Qty) and b.kind == "weight":
        return "row", b, a
    return None


def forward_fact(eq: S):
    """What a forward equation says about the network, or None if it is not one:
    ('linear', layer, convention, input-is-column), ('activation', layer, fn),
    ('output', layer, convention, input-is-column), ('cost', expr)."""
    if not (isinstance(eq, Rel) and eq.ops == ["="] and isinstance(eq.terms[0], Qty)):
        return None
    lhs, rhs = eq.terms
    if lhs.kind == "cost" and not lhs.sample:
        return ("cost", rhs)
    if lhs.kind not in ("pre", "act") or lhs.layer is None:
        return None
    lin = _linear_part(rhs)
    if lin is not None:
        conv, w, inp = lin
        column = isinstance(inp, Transpose) and isinstance(inp.x, Qty) and inp.x.kind == "input"
        layer = lhs.layer
        if lhs.kind == "act" and layer.var == "L" and layer.off == 0 and w.layer is not None:
            layer = w.layer                           # ŷ = h_2 W_3 + b_3: the output layer 3
        if w.layer != layer:
            return None
        return ("linear" if lhs.kind == "pre" else "output", layer, conv, column)
    if lhs.kind == "act" and isinstance(rhs, Apply) and rhs.deriv == 0 and \
            isinstance(rhs.arg, Qty) and rhs.arg.kind == "pre" and rhs.arg.layer == lhs.layer \
            and rhs.fn in set(ACTIVATION_HEADS.values()):
        return ("activation", lhs.layer, rhs.fn)
    return None


def _dense_markers(trees) -> bool:
    for tree in trees:
        for n in walk(tree):
            if isinstance(n, Diag) or isinstance(n, Norm) and any(
                    isinstance(q, Qty) and q.kind != "cost" for q in walk(n.x)):
                return True
            if isinstance(n, Transpose) and isinstance(n.x, Qty):
                return True
            if isinstance(n, Qty) and (n.sample or n.comps):
                return True
            if isinstance(n, BigSum) and any(isinstance(q, Qty) and q.sample == n.var
                                             for q in walk(n.body)):
                return True
    return False


def _samples_in(cost: S | None) -> bool:
    return cost is not None and any(isinstance(n, BigSum) for n in walk(cost))


def _explicit_depth(facts) -> int | None:
    layers = [f[1].off for f in facts if f[0] in ("linear", "activation", "output")
              and f[1].var is None]
    return max(layers) if layers else None


def infer_network(trees, *, depth=None, widths=None, activation=None, cost=None) -> NetworkSpec:
    """The network of a document (its meaning trees), the options filling the gaps."""
    facts = [f for f in (forward_fact(t) for t in trees) if f is not None]
    sources = {}
    doc_depth = _explicit_depth(facts)
    if widths is not None:
        widths = tuple(widths)
        if doc_depth is not None and doc_depth != len(widths) - 1:
            sources["note"] = (f"the forward equations have {doc_depth} layers; --widths "
                               f"{','.join(map(str, widths))} has {len(widths) - 1}")
    used = _largest_layer(trees)
    L = doc_depth or (len(widths) - 1 if widths else None) or depth or used or 3
    sources["depth"] = "document" if doc_depth else ("options" if widths or depth else
                                                     "the largest layer the formulas name"
                                                     if used else
                                                     "default (the claims use only l and L)")
    conv = next((f[2] for f in facts if f[0] in ("linear", "output")), None)
    column = any(f[3] for f in facts if f[0] in ("linear", "output"))
    acts, generic = {}, None
    for f in facts:
        if f[0] == "activation":
            if f[1].var is None:
                acts[f[1].off] = f[2]
            elif generic is None:
                generic = f[2]
        elif f[0] == "output" and f[1].var in (None, "L"):
            acts[L if f[1].var == "L" else f[1].off] = "linear"
    unnamed = frozenset(f[1].off if f[1].var is None else L for f in facts if f[0] == "output")
    names = _activation_list(activation, L)
    fallback = generic or (names[0] if names else "sigmoid")
    activations = tuple(acts.get(k, names[k - 1] if names else fallback)
                        for k in range(1, L + 1))
    sources["activations"] = "document" if acts or generic else (
        "options" if activation else "default (sigmoid)")
    cost_expr = next((f[1] for f in reversed(facts) if f[0] == "cost"), None)
    cost_name = cost or "quadratic"
    sources["cost"] = "document" if cost_expr is not None else (
        "options" if cost else "default (quadratic)")
    stated = _widths_from_shapes(trees, conv or "col", L)
    if widths is None and stated is not None:
        widths = stated
        sources["widths"] = "document"
    dense = widths is not None or _dense_markers(trees)
    if widths is None:
        widths = (3,) + tuple(range(4, 4 + L - 1)) + (2,) if dense else (1,) * (L + 1)
        if dense:
            sources["widths"] = "chosen for the check, all different so a transposed " \
                                "matrix does not fit"
    samples = _DEFAULT_SAMPLES if dense and (_samples_in(cost_expr) or _has_samples(trees)) \
        else 1
    return NetworkSpec(L, widths, activations, conv or "col", cost_expr, cost_name, samples,
                       dense, column, unnamed, sources)


def _dims(space: RealSpace) -> list | None:
    out = []
    for d in space.dims:
        if not isinstance(d, Num) or d.value.denominator != 1 or d.value < 1:
            return None
        out.append(int(d.value))
    return out


def _widths_from_shapes(trees, conv: str, L: int) -> tuple | None:
    """Widths n_0..n_L from statements such as W_1 ∈ ℝ^{3×4}, x ∈ ℝ^3, b_2 ∈ ℝ^{1×4}."""
    known: dict = {}
    for t in trees:
        if not (isinstance(t, Rel) and t.ops == ["in"] and isinstance(t.terms[1], RealSpace)):
            continue
        q, dims = t.terms[0], _dims(t.terms[1])
        if not isinstance(q, Qty) or dims is None:
            continue
        k = q.layer.off if q.layer is not None and q.layer.var is None else \
            (L if q.layer is not None and q.layer.var == "L" else None)
        if q.kind == "weight" and k is not None and len(dims) == 2:
            rows, cols = dims
            pairs = {k - 1: rows, k: cols} if conv == "row" else {k: rows, k - 1: cols}
        elif q.kind in ("bias", "pre", "act", "error") and k is not None:
            pairs = {k: max(dims)}
        elif q.kind == "input":
            pairs = {0: max(dims)}
        elif q.kind == "target":
            pairs = {L: max(dims)}
        else:
            continue
        for layer, n in pairs.items():
            if known.setdefault(layer, n) != n:
                raise usage_error(f"widths: the document gives layer {layer} both "
                                  f"{known[layer]} and {n} units")
    if not known or set(known) != set(range(L + 1)):
        return None
    return tuple(known[k] for k in range(L + 1))


def _largest_layer(trees) -> int | None:
    layers = [n.layer.off for t in trees for n in walk(t)
              if isinstance(n, Qty) and n.layer is not None and n.layer.var is None]
    return max(layers) if layers and max(layers) >= 1 else None


def _has_samples(trees) -> bool:
    return any(isinstance(n, Qty) and n.sample for t in trees for n in walk(t))


def _activation_list(activation, L: int):
    if activation is None:
        return None
    names = activation if isinstance(activation, (list, tuple)) else [activation] * L
    names = [n.strip() for n in names]
    if len(names) != L:
        raise usage_error(f"activation={','.join(names)!r}: {len(names)} given, the network "
                          f"has {L} layers")
    for n in names:
        if n not in EVALUATED:
            raise usage_error(f"activation={n!r}: must be one of {', '.join(EVALUATED)}")
    return names


def is_definition_target(eq: S) -> bool:
    """Whether an equation states a symbol's value (w_j = 100, j = 1, z = 0): an example
    value or a name, not a claim about gradients."""
    if not (isinstance(eq, Rel) and len(eq.terms) == 2 and eq.ops == ["="]):
        return False
    lhs, rhs = eq.terms
    if not isinstance(rhs, Num) and not (isinstance(rhs, Sum) and
                                          all(isinstance(t, Num) for t in rhs.terms)):
        return False
    return isinstance(lhs, Var) or isinstance(lhs, Qty) and lhs.kind in (
        "weight", "bias", "pre", "act", "input", "target")
