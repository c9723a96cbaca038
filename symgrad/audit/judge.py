r"""Decide whether an equation between two meaning trees holds for the document's network.

A formula with a free layer letter (``∂C/∂b_l = δ_l``, ``∂a_j/∂z_j = σ'(z_j)``) must hold
for every layer it can name: each letter runs over 0..L, a binding is kept when every
quantity exists (z_0 and w_{L+1} do not) and every activation the formula names is the one
of that layer; the sample index (``h_{2,i}``) and Nielsen's component indices (``w^l_{jk}``)
run over the samples and the units.  A formula without network quantities (σ'(z) =
σ(z)(1 - σ(z))) is checked on the exact activation at points around its kink.

>>> from .network import NetworkSpec
>>> from .instance import Instance
>>> from .parser import parse
>>> from .semantics import Interpreter
>>> from .notation import NIELSEN
>>> j = Judge(Instance(NetworkSpec(3, (1,) * 4, ("sigmoid",) * 3)))
>>> read = lambda t: Interpreter(NIELSEN).read(parse(t))
>>> rel = read(r"\frac{\partial C}{\partial w_{l}} = a_{l-1} \delta_{l}")
>>> j.equal(rel.terms[0], rel.terms[1]).status
'true'
>>> rel = read(r"\frac{\partial C}{\partial w_{l}} = a_{l} \delta_{l}")
>>> j.equal(rel.terms[0], rel.terms[1]).status
'false'
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from .errors import NotUnderstood, ShapeMismatch
from .evaluate import Evaluator, same, shape_text
from .sir import (Apply, BigProd, BigSum, Qty, S, Var, walk)

__all__ = ["Judge", "Outcome", "layer_vars", "sample_vars", "component_vars", "is_network"]

#: where an activation formula without network quantities is checked (its kink included)
GRID = np.array([[-2.5, -1.2, -0.3, 0.0, 0.4, 1.1, 2.3]])


@dataclass
class Outcome:
    """``status``: true, false, shape (the sides do not fit) or unknown (with ``why``);
    ``env`` the binding where it failed, ``bindings`` how many were checked."""

    status: str
    why: str = ""
    env: dict = field(default_factory=dict)
    bindings: int = 0


def _bound_vars(node: S) -> set:
    out = set()
    for n in walk(node):
        if isinstance(n, (BigSum, BigProd)):
            out.add(n.var)
    return out


def layer_vars(*nodes: S) -> list[str]:
    """Free layer letters (not L, not bound by a sum or product)."""
    found, bound = [], set()
    for node in nodes:
        bound |= _bound_vars(node)
    for node in nodes:
        for n in walk(node):
            if isinstance(n, Qty) and n.layer is not None and n.layer.var not in (None, "L"):
                found.append(n.layer.var)
            elif isinstance(n, (BigSum, BigProd)):
                for lim in (x for x in (n.lo, n.hi) if x is not None):
                    found += [v.name for v in walk(lim) if isinstance(v, Var)
                              and len(v.name) == 1 and v.name not in ("N", "L")]
    return [v for v in dict.fromkeys(found) if v not in bound]


def sample_vars(*nodes: S) -> list[str]:
    bound = set().union(*(_bound_vars(n) for n in nodes))
    found = [q.sample for node in nodes for q in walk(node)
             if isinstance(q, Qty) and q.sample and not q.sample.isdigit()]
    return [v for v in dict.fromkeys(found) if v not in bound]


def component_vars(*nodes: S) -> list[str]:
    bound = set().union(*(_bound_vars(n) for n in nodes))
    found = [c for node in nodes for q in walk(node) if isinstance(q, Qty)
             for c in q.comps if not c.isdigit()]
    return [c for c in dict.fromkeys(found) if c not in bound]


def is_network(*nodes: S) -> bool:
    """Whether a formula names a quantity of the network (else it is about a function)."""
    return any(isinstance(n, Qty) for node in nodes for n in walk(node))


def _free_scalars(*nodes: S) -> list[str]:
    return list(dict.fromkeys(n.name for node in nodes for n in walk(node)
                              if isinstance(n, Var) and n.name not in ("N", "L")))


class Judge:
    """Checks relations on one :class:`~symgrad.audit.instance.Instance`."""

    def __init__(self, inst):
        self.inst = inst
        self.spec = inst.spec

    # -- bindings -------------------------------------------------------------------------
    @staticmethod
    def _named(nodes) -> list:
        """(activation, layer index) of every σ(z_k) / σ'(z_k) whose k is a free letter or
        a number."""
        out = []
        for node in nodes:
            bound = _bound_vars(node)
            out += [(n.fn, n.arg.layer) for n in walk(node)
                    if isinstance(n, Apply) and n.fn not in ("ln", "exp") and
                    isinstance(n.arg, Qty) and n.arg.kind == "pre" and n.arg.layer and
                    n.arg.layer.var not in bound]
        return out

    def _names_fit(self, named, env) -> bool:
        """Every σ(z_k) / σ'(z_k) names layer k's own activation."""
        for fn, idx in named:
            try:
                k = idx.value(env, self.spec.depth)
            except KeyError:
                continue
            if 1 <= k <= self.spec.depth and self.spec.activations[k - 1] != fn:
                return False
        return True

    def bindings(self, *nodes: S, filter_names: bool = True) -> list[dict]:
        """Every binding of the free layer, sample and component letters."""
        L = self.spec.depth
        lv, sv, cv = layer_vars(*nodes), sample_vars(*nodes), component_vars(*nodes)
        samples = sorted({0, self.spec.samples - 1})
        width = max(self.spec.widths)
        named = self._named(nodes) if filter_names else []
        envs = []
        for layers in itertools.product(range(0, L + 1), repeat=len(lv)):
            env = dict(zip(lv, layers))
            if filter_names and not self._names_fit(named, env):
                continue
            for s in itertools.product(samples, repeat=len(sv)):
                for c in itertools.product(range(width), repeat=len(cv)):
                    e = {**env, **dict(zip(sv, s)), **dict(zip(cv, c))}
                    if s:
                        e["_sample"] = s[0]
                    envs.append(e)
        return envs

    def per_sample(self, *nodes: S) -> bool:
        """The formula is one sample's term unless it sums over the samples."""
        return not any(isinstance(n, BigSum) and any(isinstance(q, Qty) and q.sample == n.var
                                                     for q in walk(n.body))
                       for node in nodes for n in walk(node))

    # -- relations ------------------------------------------------------------------------
    def equal(self, lhs: S, rhs: S) -> Outcome:
        """Whether lhs = rhs for every binding."""
        if not is_network(lhs, rhs):
            return self._function_identity(lhs, rhs)
        per = self.per_sample(lhs, rhs)
        # σ'(z_l) written with the unit's own output a_l: a fact of the activation, judged
        # with its exact form (a ReLU unit's a_l is 0 exactly where z_l <= 0)
        exact = _local_identity(lhs, rhs)
        envs = self.bindings(lhs, rhs)
        if not envs:
            envs = self.bindings(lhs, rhs, filter_names=False)
        checked, last_unknown = 0, None
        for env in envs:
            try:
                a = Evaluator(self.inst, env, per_sample=per, exact=exact).value(lhs)
                b = Evaluator(self.inst, env, per_sample=per, exact=exact).value(rhs)
                if exact and same(a, b):  # and at −z, the other side of every kink
                    a = Evaluator(self.inst, env, per_sample=per, exact=True,
                                  mirror=True).value(lhs)
                    b = Evaluator(self.inst, env, per_sample=per, exact=True,
                                  mirror=True).value(rhs)
            except ShapeMismatch as exc:
                return Outcome("shape", str(exc), env, checked)
            except NotUnderstood as exc:
                if "not in the network" in str(exc) or "outside the layer" in str(exc):
                    continue
                last_unknown = str(exc)
                continue
            try:
                ok = same(a, b)
            except ShapeMismatch:
                return Outcome("shape", f"the right-hand side is {shape_text(b.settle())} "
                               f"where the left-hand side is {shape_text(a.settle())}", env,
                               checked)
            checked += 1
            if not ok:
                return Outcome("false", "", env, checked)
        if last_unknown and not checked:
            return Outcome("unknown", last_unknown)
        if not checked:
            return Outcome("unknown", "no layer of the network fits its indices")
        if last_unknown:
            return Outcome("unknown", last_unknown, {}, checked)
        return Outcome("true", "", {}, checked)

    def _function_identity(self, lhs: S, rhs: S) -> Outcome:
        free = _free_scalars(lhs, rhs)
        if len(free) > 1:
            return Outcome("unknown", f"{len(free)} free variables ({', '.join(free)})")
        points = GRID.ravel() if free else [None]
        for z in points:
            env = {free[0]: np.array([[z]])} if free else {}
            try:
                a = Evaluator(self.inst, env, exact=True).value(lhs)
                b = Evaluator(self.inst, env, exact=True).value(rhs)
                ok = same(a, b)
            except ShapeMismatch as exc:
                return Outcome("shape", str(exc))
            except NotUnderstood as exc:
                return Outcome("unknown", str(exc))
            if not ok:
                return Outcome("false", "", {free[0]: float(z)} if free else {}, 1)
        return Outcome("true", "", {}, len(points))

    def value(self, node: S, env: dict) -> np.ndarray:
        return Evaluator(self.inst, env, per_sample=self.per_sample(node)).value(node).a

    def shape(self, node: S, env: dict) -> str:
        return shape_text(Evaluator(self.inst, env, per_sample=self.per_sample(node))
                          .value(node).settle())


def _local_identity(*nodes: S) -> bool:
    """Only activation values and derivatives at pre-activations, no cost, weight or error:
    a statement about the activation function, not about the network's gradients."""
    kinds = {q.kind for node in nodes for q in walk(node) if isinstance(q, Qty)}
    types = {type(n).__name__ for node in nodes for n in walk(node)}
    return bool(kinds) and kinds <= {"pre", "act"} and "Apply" in types and "Partial" not in types
