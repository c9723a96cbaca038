"""The meaning of a formula: network quantities, derivatives and the operations between them.

The parser's tree says what was written; these nodes say what it means in the network:
``Qty("pre", Idx("l"))`` is z_l (h̃_l in the matrix notation), ``Partial(Qty("cost"),
Qty("bias", Idx(None, 3)))`` is ∂C/∂b_3, ``Apply("sigmoid", z, deriv=1)`` is σ'(z).  Each
node keeps the span of the text it came from, so a reason or a mutation can point at it;
:func:`key` is a canonical string that ignores spans (two nodes mean the same thing when
their keys are equal).

>>> z3 = Qty("pre", Idx(None, 3))
>>> key(Apply("sigmoid", z3, deriv=1))
"sigmoid'(pre[3])"
>>> key(Qty("act", Idx("l", -1)))
'act[l-1]'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

__all__ = ["resolve_depth", "input_as_activation", "Idx", "S", "Qty", "Partial", "ActFn",
           "Apply", "Grad", "Transpose", "Had", "Prod", "Sum", "Div", "Pow", "Abs", "Norm",
           "Diag", "BigSum", "BigProd", "Num", "Var", "Cases", "Rel", "RealSpace", "key",
           "walk", "replace", "KINDS", "LAYERED"]

#: the kinds of network quantity
KINDS = ("pre", "act", "weight", "bias", "error", "cost", "input", "output", "target")
#: kinds that carry a layer index
LAYERED = ("pre", "act", "weight", "bias", "error")


@dataclass(frozen=True)
class Idx:
    """A layer index: ``var`` (``"l"``, ``"j"``, ``"L"`` for the depth, None for a number)
    plus ``off``."""

    var: str | None
    off: int = 0

    def __str__(self) -> str:
        if self.var is None:
            return str(self.off)
        if self.off == 0:
            return self.var
        return f"{self.var}{self.off:+d}"

    def shift(self, k: int) -> "Idx":
        return Idx(self.var, self.off + k)

    def value(self, env: dict, depth: int) -> int:
        if self.var is None:
            return self.off
        if self.var == "L":
            return depth + self.off
        return env[self.var] + self.off


class S:
    """Base of the meaning nodes; ``span`` is (start, end) in the document or None."""

    span = None
    fields: tuple = ()

    def children(self):
        for name in self.fields:
            v = getattr(self, name)
            if isinstance(v, S):
                yield v
            elif isinstance(v, (list, tuple)):
                for x in v:
                    if isinstance(x, S):
                        yield x
                    elif isinstance(x, tuple):
                        yield from (y for y in x if isinstance(y, S))


def _node(*names):
    def wrap(cls):
        cls = dataclass(eq=False)(cls)
        cls.fields = names
        return cls
    return wrap


@_node()
class Qty(S):
    kind: str
    layer: Idx | None = None
    sample: str | None = None
    comps: tuple = ()
    span: tuple | None = None


@_node("num", "den")
class Partial(S):
    num: S
    den: S
    span: tuple | None = None


@_node()
class ActFn(S):
    name: str
    span: tuple | None = None


@_node("arg", "power")
class Apply(S):
    fn: str
    arg: S
    deriv: int = 0
    power: S | None = None
    span: tuple | None = None


@_node("var")
class Grad(S):
    var: S
    span: tuple | None = None


@_node("x")
class Transpose(S):
    x: S
    span: tuple | None = None


@_node("a", "b")
class Had(S):
    a: S
    b: S
    span: tuple | None = None


@_node("factors")
class Prod(S):
    factors: list
    ops: list = field(default_factory=list)
    span: tuple | None = None


@_node("terms")
class Sum(S):
    terms: list
    signs: list = field(default_factory=list)
    span: tuple | None = None


@_node("num", "den")
class Div(S):
    num: S
    den: S
    span: tuple | None = None


@_node("base", "exp")
class Pow(S):
    base: S
    exp: S
    span: tuple | None = None


@_node("x")
class Abs(S):
    x: S
    span: tuple | None = None


@_node("x")
class Norm(S):
    x: S
    p: str = ""
    span: tuple | None = None


@_node("x")
class Diag(S):
    x: S
    span: tuple | None = None


@_node("lo", "hi", "body")
class BigSum(S):
    var: str
    lo: S
    hi: S
    body: S
    span: tuple | None = None


@_node("lo", "hi", "body")
class BigProd(S):
    var: str
    lo: S
    hi: S
    body: S
    span: tuple | None = None


@_node()
class Num(S):
    value: Fraction
    span: tuple | None = None


@_node()
class Var(S):
    name: str
    span: tuple | None = None


@_node("rows")
class Cases(S):
    rows: list  # (value, Rel or None)
    span: tuple | None = None


@_node("terms")
class Rel(S):
    terms: list
    ops: list
    op_spans: list = field(default_factory=list)
    span: tuple | None = None


@_node("dims")
class RealSpace(S):
    dims: list
    span: tuple | None = None


def _k(n) -> str:
    return key(n) if isinstance(n, S) else str(n)


def key(n: S) -> str:
    """A canonical text of a meaning node (spans ignored)."""
    if isinstance(n, Qty):
        out = n.kind
        if n.layer is not None:
            out += f"[{n.layer}]"
        if n.sample:
            out += f"@{n.sample}"
        if n.comps:
            out += "." + ",".join(n.comps)
        return out
    if isinstance(n, Partial):
        return f"d({key(n.num)})/d({key(n.den)})"
    if isinstance(n, ActFn):
        return n.name
    if isinstance(n, Apply):
        out = n.fn + "'" * n.deriv + f"({key(n.arg)})"
        return out + (f"^{key(n.power)}" if n.power is not None else "")
    if isinstance(n, Grad):
        return f"grad({key(n.var)})"
    if isinstance(n, Transpose):
        return f"T({key(n.x)})"
    if isinstance(n, Had):
        return f"({key(n.a)} o {key(n.b)})"
    if isinstance(n, Prod):
        return "(" + " * ".join(key(f) for f in n.factors) + ")"
    if isinstance(n, Sum):
        return "(" + " ".join(f"{s} {key(t)}" for s, t in zip(n.signs, n.terms)) + ")"
    if isinstance(n, Div):
        return f"({key(n.num)} / {key(n.den)})"
    if isinstance(n, Pow):
        return f"({key(n.base)})^({key(n.exp)})"
    if isinstance(n, Abs):
        return f"|{key(n.x)}|"
    if isinstance(n, Norm):
        return f"||{key(n.x)}||{n.p}"
    if isinstance(n, Diag):
        return f"diag({key(n.x)})"
    if isinstance(n, (BigSum, BigProd)):
        op = "sum" if isinstance(n, BigSum) else "prod"
        if n.lo is None:
            return f"{op}[{n.var}]({key(n.body)})"
        return f"{op}[{n.var}={key(n.lo)}..{key(n.hi)}]({key(n.body)})"
    if isinstance(n, Num):
        return str(n.value)
    if isinstance(n, Var):
        return n.name
    if isinstance(n, Cases):
        return "cases(" + "; ".join(f"{key(v)} if {key(c) if c else 'else'}"
                                    for v, c in n.rows) + ")"
    if isinstance(n, Rel):
        parts = [key(n.terms[0])]
        for op, t in zip(n.ops, n.terms[1:]):
            parts += [op, key(t)]
        return " ".join(parts)
    if isinstance(n, RealSpace):
        return "R^" + "x".join(key(d) for d in n.dims)
    raise TypeError(f"not a meaning node: {n!r}")


def walk(n: S):
    """Every node of the tree under ``n`` (``n`` first)."""
    yield n
    for c in n.children():
        yield from walk(c)


def replace(n: S, old: S, new: S) -> S:
    """A copy of ``n`` with the node ``old`` (by identity) replaced by ``new``."""
    if n is old:
        return new
    if not n.fields:
        return n
    import copy
    out = copy.copy(n)
    for name in n.fields:
        v = getattr(n, name)
        if isinstance(v, S):
            setattr(out, name, replace(v, old, new))
        elif isinstance(v, list):
            setattr(out, name, [replace(x, old, new) if isinstance(x, S) else
                                tuple(replace(y, old, new) if isinstance(y, S) else y
                                      for y in x) if isinstance(x, tuple) else x for x in v])
    return out


def resolve_depth(n: S, depth: int) -> S:
    """A copy of ``n`` with the depth letter L replaced by the number of layers."""
    import copy
    if isinstance(n, Qty):
        if n.layer is not None and n.layer.var == "L":
            out = copy.copy(n)
            out.layer = Idx(None, depth + n.layer.off)
            return out
        return n
    if isinstance(n, Var) and n.name == "L":
        return Num(Fraction(depth), n.span)
    if not n.fields:
        return n
    out = copy.copy(n)
    for name in n.fields:
        v = getattr(n, name)
        if isinstance(v, S):
            setattr(out, name, resolve_depth(v, depth))
        elif isinstance(v, list):
            setattr(out, name, [resolve_depth(x, depth) if isinstance(x, S) else
                                tuple(resolve_depth(y, depth) if isinstance(y, S) else y
                                      for y in x) if isinstance(x, tuple) else x for x in v])
    return out


def input_as_activation(n: S) -> S:
    """A copy of ``n`` with the input x read as a_0 (where x is the row the network takes,
    not a column whose transpose it takes)."""
    import copy
    if isinstance(n, Qty):
        if n.kind == "input" and not n.comps:
            return Qty("act", Idx(None, 0), n.sample, (), n.span)
        return n
    if not n.fields:
        return n
    out = copy.copy(n)
    for name in n.fields:
        v = getattr(n, name)
        if isinstance(v, S):
            setattr(out, name, input_as_activation(v))
        elif isinstance(v, list):
            setattr(out, name, [input_as_activation(x) if isinstance(x, S) else
                                tuple(input_as_activation(y) if isinstance(y, S) else y
                                      for y in x) if isinstance(x, tuple) else x for x in v])
    return out
