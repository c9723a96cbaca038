r"""Evaluate a formula's meaning on an :class:`~symgrad.audit.instance.Instance`.

Every value is a matrix (a scalar is 1×1): a product multiplies matrices (or scales by a
1×1 factor) and refuses shapes that do not fit, ``⊙`` multiplies entries, ``^T``
transposes.  A derivative is looked up as the truth of the instance, so a right-hand side
written with σ'(z_l), w_l, δ_l or ∂C/∂a_L and a left-hand side ∂C/∂b_l evaluate to numbers
that agree exactly when the formula is true.

>>> from .network import NetworkSpec
>>> from .instance import Instance
>>> from .sir import Qty, Idx, Partial, Apply, Prod
>>> inst = Instance(NetworkSpec(2, (1, 1, 1), ("sigmoid", "sigmoid")))
>>> ev = Evaluator(inst, {})
>>> z2, w2 = Qty("pre", Idx(None, 2)), Qty("weight", Idx(None, 2))
>>> lhs = ev.value(Partial(Qty("cost"), Qty("bias", Idx(None, 1))))
>>> s1 = Apply("sigmoid", Qty("pre", Idx(None, 1)), 1)
>>> rhs = ev.value(Prod([s1, w2, Qty("error", Idx(None, 2))]))
>>> same(lhs, rhs)
True
"""
from __future__ import annotations

import numpy as np

from .errors import NotUnderstood, ShapeMismatch
from .functions import EXACT_FUNCTIONS, NETWORK_FUNCTIONS
from .sir import (Abs, ActFn, Apply, BigProd, BigSum, Cases, Diag, Div, Grad, Had, Norm, Num,
                  Partial, Pow, Prod, Qty, RealSpace, Rel, S, Sum, Transpose, Var, walk)

__all__ = ["M", "Evaluator", "same", "shape_text", "uses_sample"]


class M:
    """A value: a matrix ``a``; ``flat`` is the shape of the parameter a Jacobian was taken
    by (its columns are that parameter's entries), ``diag`` marks the diagonal Jacobian of
    an elementwise map (comparable with the vector of its diagonal)."""

    __slots__ = ("a", "flat", "diag")

    def __init__(self, a, flat=None, diag=False):
        a = np.asarray(a)
        if a.ndim == 0:
            a = a.reshape(1, 1)
        elif a.ndim == 1:
            a = a.reshape(1, -1)
        self.a, self.flat, self.diag = a, flat, diag

    @property
    def scalar(self) -> bool:
        return self.a.shape == (1, 1)

    def settle(self) -> "M":
        """A product ending in ∂h̃/∂W: the row of entries back into W's shape."""
        if self.flat is not None and self.a.size == int(np.prod(self.flat)):
            return M(self.a.reshape(self.flat))
        return self


def shape_text(m: M) -> str:
    r, c = m.a.shape
    return f"{r}×{c}"


def same(x: M, y: M, rtol: float = 1e-7) -> bool:
    """Whether two values agree; a diagonal Jacobian agrees with the vector of its
    diagonal (σ'(h̃_l) read elementwise).  Shapes that differ raise :class:`ShapeMismatch`."""
    x, y = x.settle(), y.settle()
    a, b = np.real(x.a), np.real(y.a)
    if a.shape != b.shape:
        for d, v in ((a, b), (b, a)):
            if d.shape[0] == d.shape[1] and 1 in v.shape and v.size == d.shape[0] and \
                    (x.diag or y.diag):
                off = d - np.diag(np.diag(d))
                return bool(np.allclose(np.diag(d), v.ravel(), rtol=rtol, atol=1e-10)
                            and np.allclose(off, 0, atol=1e-10))
        if a.size == 1 or b.size == 1:
            pass
        raise ShapeMismatch(f"{shape_text(x)} against {shape_text(y)}")
    scale = max(1.0, float(np.max(np.abs(a))) if a.size else 1.0)
    return bool(np.allclose(a, b, rtol=rtol, atol=1e-10 * scale))


def uses_sample(node: S, var: str) -> bool:
    return any(isinstance(n, Qty) and n.sample == var for n in walk(node))


class Evaluator:
    """Values of meaning nodes under ``env`` (layer letters, the sample, components, free
    variables).  ``per_sample``: ∂C/∂W means one sample's term (the document's formula
    has no sum over the samples).  ``exact``: formulas about an activation itself use the
    exact function (kinks included) instead of the smooth stand-in."""

    def __init__(self, inst, env: dict, *, per_sample: bool = True, exact: bool = False,
                 state=None, subset=None, complex_ok: bool = False, mirror: bool = False):
        self.inst, self.env, self.mirror = inst, dict(env), mirror
        self.per_sample, self.exact = per_sample, exact
        self.state, self.subset, self.complex_ok = state, subset, complex_ok
        self.fns = EXACT_FUNCTIONS if exact else NETWORK_FUNCTIONS

    # -- entry points ---------------------------------------------------------------------
    def value(self, node: S) -> M:
        out = self.ev(node)
        if not self.complex_ok and np.iscomplexobj(out.a):
            out = M(np.real(out.a), out.flat, out.diag)
        return out

    def scalar(self, node: S):
        out = self.ev(node)
        if out.a.size != 1:
            raise ShapeMismatch(f"the cost is {shape_text(out)}, not a number")
        return out.a.reshape(())[()]

    def ev(self, n: S) -> M:
        method = getattr(self, "_" + type(n).__name__, None)
        if method is None:
            raise NotUnderstood(f"a {type(n).__name__} is not evaluated")
        return method(n)

    # -- quantities -----------------------------------------------------------------------
    def layer(self, q: Qty) -> int:
        try:
            k = q.layer.value(self.env, self.inst.spec.depth)
        except KeyError:
            raise NotUnderstood(f"the layer index {q.layer} is not bound") from None
        lo = 0 if q.kind == "act" else 1
        if not lo <= k <= self.inst.spec.depth:
            raise NotUnderstood(f"layer {k} is not in the network (1..{self.inst.spec.depth})")
        return k

    def sample(self, q: Qty) -> int:
        if q.sample is None:
            return self.env.get("_sample", 0)
        if q.sample.isdigit():
            return int(q.sample) - 1
        if q.sample not in self.env:
            raise NotUnderstood(f"the sample index {q.sample} is not bound")
        return self.env[q.sample]

    def address(self, q: Qty) -> tuple:
        kind = q.kind
        if kind in ("pre", "act", "weight", "bias", "error"):
            if q.layer is None:
                raise NotUnderstood(f"{kind} without a layer index")
            layer = self.layer(q)
        else:
            layer = None
        if kind in ("weight", "bias") or (kind == "cost" and q.sample is None):
            return kind, layer, None
        return kind, layer, self.sample(q)

    def _components(self, q: Qty, v: np.ndarray) -> np.ndarray:
        if not q.comps:
            return v
        idx = []
        for c in q.comps:
            k = int(c) - 1 if c.isdigit() else self.env.get(c)
            if k is None:
                raise NotUnderstood(f"the component index {c} is not bound")
            idx.append(k)
        flat = v.ravel() if len(idx) == 1 else v
        if len(idx) == 2 and self.inst.row:
            idx = idx[::-1]  # the row convention stores W_l[k, j]
        try:
            return np.asarray(flat[tuple(idx)] if len(idx) == 2 else flat[idx[0]])
        except IndexError:
            raise NotUnderstood(f"component {','.join(q.comps)} is outside the layer") from None

    def _Qty(self, q: Qty) -> M:
        addr = self.address(q)
        local = self.exact and self.state is None and q.kind in ("pre", "act") and addr[1]
        if local and self.inst.spec.activations[addr[1] - 1] in EXACT_FUNCTIONS:
            # a claim about the activation itself: a_l = f(z_l) with the exact f (its kink
            # included), not the smooth stand-in of the forward pass; ``mirror`` evaluates
            # it at −z_l too, so both sides of a kink are seen
            z = np.asarray(self.inst.value(("pre",) + addr[1:])) * (-1 if self.mirror else 1)
            f = EXACT_FUNCTIONS[self.inst.spec.activations[addr[1] - 1]][0]
            return M(self._components(q, np.asarray(z if q.kind == "pre" else f(z))))
        if q.kind == "error":
            v = self.inst.grad(("pre",) + addr[1:])
        elif self.state is not None and q.kind in ("pre", "act"):
            v = self.state[q.kind][(addr[1], addr[2])]
        elif self.state is not None and q.kind == "cost":
            v = self.state["total"]
        else:
            v = self.inst.value(addr)
        return M(self._components(q, np.asarray(v)))

    def _Partial(self, p: Partial) -> M:
        if not isinstance(p.den, Qty):
            raise NotUnderstood("a derivative by something other than a network quantity")
        if isinstance(p.num, Qty) and p.num.kind == "cost":
            return M(self._components(p.den, self._grad(p.den)))
        if not isinstance(p.num, Qty):
            raise NotUnderstood("a derivative of something other than a network quantity")
        num, den = self.address(p.num), self.address(p.den)
        if num[0] in ("weight", "bias", "target", "cost", "error") or den[0] in (
                "target", "cost", "error"):
            raise NotUnderstood(f"the derivative of {num[0]} by {den[0]}")
        jac = self.inst.jacobian(num, den)
        flat = self.inst.value(den).shape if den[0] == "weight" else None
        diag = num[0] == "act" and den[0] == "pre" and num[1] == den[1]
        return M(jac, flat=flat, diag=diag)

    def _grad(self, q: Qty) -> np.ndarray:
        addr = self.address(q)
        if addr[0] == "error":
            raise NotUnderstood("a derivative by the error δ")
        if addr[0] in ("weight", "bias"):
            term = self.env.get("_sample", 0) if self.per_sample else None
            return self.inst.grad(addr, term)
        return self.inst.grad(addr)

    def _Grad(self, g: Grad) -> M:
        if not isinstance(g.var, Qty):
            raise NotUnderstood("∇ by something other than a network quantity")
        return M(self._components(g.var, self._grad(g.var)))

    def _Apply(self, n: Apply) -> M:
        x = self.ev(n.arg).a
        if n.fn == "ln":
            return M(np.log(x))
        if n.fn == "exp":
            return M(np.exp(x))
        if n.fn not in self.fns:
            raise NotUnderstood(f"the {n.fn} activation is not evaluated")
        if n.deriv > 1:
            raise NotUnderstood("second derivatives of an activation are not read")
        return M(self.fns[n.fn][n.deriv](x))

    def _ActFn(self, n: ActFn) -> M:
        raise NotUnderstood(f"the function {n.name} without an argument")

    # -- operations -----------------------------------------------------------------------
    def _Num(self, n: Num) -> M:
        return M(float(n.value))

    def _Var(self, n: Var) -> M:
        if n.name in self.env:
            return M(self.env[n.name])
        if n.name == "N":
            return M(float(self.inst.spec.samples))
        if n.name == "L":
            return M(float(self.inst.spec.depth))
        raise NotUnderstood(f"the symbol {n.name} has no value in the network")

    def _Transpose(self, n: Transpose) -> M:
        x = self.ev(n.x)
        if x.flat is not None:
            raise NotUnderstood("the transpose of a derivative by a matrix")
        return M(x.a.T, diag=x.diag)

    def _Prod(self, n: Prod) -> M:
        out = self.ev(n.factors[0])
        for f in n.factors[1:]:
            out = mul(out, self.ev(f), self)
        return out

    def _Had(self, n: Had) -> M:
        a, b = self.ev(n.a), self.ev(n.b)
        if a.a.shape != b.a.shape and not (a.scalar or b.scalar):
            raise ShapeMismatch(f"⊙ of {shape_text(a)} and {shape_text(b)}")
        return M(a.a * b.a)

    def _Sum(self, n: Sum) -> M:
        out = None
        for sign, t in zip(n.signs, n.terms):
            v = self.ev(t)
            a = -v.a if sign == "-" else v.a
            if out is None:
                out = M(a, v.flat, v.diag)
                continue
            if out.a.shape != a.shape and not (out.scalar or v.scalar):
                raise ShapeMismatch(f"a sum of {shape_text(out)} and {shape_text(v)}")
            out = M(out.a + a)
        return out

    def _Div(self, n: Div) -> M:
        a, b = self.ev(n.num), self.ev(n.den)
        if not b.scalar and a.a.shape != b.a.shape:
            raise ShapeMismatch(f"{shape_text(a)} divided by {shape_text(b)}")
        return M(a.a / b.a)

    def _Pow(self, n: Pow) -> M:
        e = self.ev(n.exp)
        if not e.scalar:
            raise NotUnderstood("a power that is not a number")
        base = self.ev(n.base)
        if not base.scalar and base.a.shape[0] > 1 and base.a.shape[1] > 1:
            raise NotUnderstood("the power of a matrix")
        return M(base.a ** np.real(e.a[0, 0]))

    def _Abs(self, n: Abs) -> M:
        return M(np.abs(self.ev(n.x).a))

    def _Norm(self, n: Norm) -> M:
        x = self.ev(n.x).a
        return M(np.sqrt(np.sum(x * x)))

    def _Diag(self, n: Diag) -> M:
        x = self.ev(n.x)
        if 1 not in x.a.shape:
            raise ShapeMismatch(f"diag of a {shape_text(x)} matrix")
        return M(np.diag(x.a.ravel()), diag=True)

    def _range(self, lo: S, hi: S) -> range:
        a, b = self.ev(lo), self.ev(hi)
        if not (a.scalar and b.scalar):
            raise NotUnderstood("limits that are not numbers")
        return range(int(round(float(np.real(a.a[0, 0])))),
                     int(round(float(np.real(b.a[0, 0])))) + 1)

    def _BigSum(self, n: BigSum) -> M:
        if uses_sample(n.body, n.var):
            samples = range(self.inst.spec.samples)
            if self.subset is not None:
                samples = [i for i in samples if i in self.subset]
            values = [Evaluator(self.inst, {**self.env, n.var: i, "_sample": i},
                                per_sample=True, exact=self.exact, state=self.state,
                                complex_ok=self.complex_ok).ev(n.body) for i in samples]
        elif n.lo is None:
            values = self._over_units(n)
        else:
            values = [self._bound(n.var, k).ev(n.body) for k in self._range(n.lo, n.hi)]
        if not values:
            return M(0.0)
        out = values[0].a
        for v in values[1:]:
            if v.a.shape != out.shape:
                raise ShapeMismatch(f"a sum of {out.shape} and {v.a.shape}")
            out = out + v.a
        return M(out)

    def _over_units(self, n: BigSum) -> list:
        """Σ_k over the units of a layer: every k the body's quantities have."""
        values = []
        for k in range(max(self.inst.spec.widths)):
            try:
                values.append(self._bound(n.var, k).ev(n.body))
            except NotUnderstood as exc:
                if "outside the layer" not in str(exc):
                    raise
                break
        return values

    def _BigProd(self, n: BigProd) -> M:
        out = M(1.0)
        for k in self._range(n.lo, n.hi):
            out = mul(out, self._bound(n.var, k).ev(n.body), self)
        return out

    def _bound(self, var: str, k: int) -> "Evaluator":
        return Evaluator(self.inst, {**self.env, var: k}, per_sample=self.per_sample,
                         exact=self.exact, state=self.state, subset=self.subset,
                         complex_ok=self.complex_ok)

    def _Cases(self, n: Cases) -> M:
        out, done = None, None
        for value, cond in n.rows:
            v = self.ev(value).a
            mask = np.ones(v.shape, bool) if cond is None else self._condition(cond)
            if out is None:
                out = np.zeros(np.broadcast(v, mask).shape)
                done = np.zeros(out.shape, bool)
            take = mask & ~done
            out = np.where(take, v, out)
            done |= take
        if not done.all():
            raise NotUnderstood("the cases do not cover every value")
        return M(out)

    def _condition(self, rel: Rel):
        a = np.real(self.ev(rel.terms[0]).a)
        ok = np.ones(a.shape, bool)
        for op, t in zip(rel.ops, rel.terms[1:]):
            b = np.real(self.ev(t).a)
            ok &= {"<=": a <= b, "<": a < b, ">=": a >= b, ">": a > b, "=": a == b}.get(
                op, np.zeros(a.shape, bool))
            a = b
        return ok

    def _RealSpace(self, n: RealSpace) -> M:
        raise NotUnderstood("a set where a value belongs")

    def _Rel(self, n: Rel) -> M:
        raise NotUnderstood("a relation inside a term")


def mul(x: M, y: M, ev=None) -> M:
    """x times y: a 1×1 factor scales, else the matrix product (shapes must fit)."""
    if x.scalar and y.flat is None:
        return M(x.a[0, 0] * y.a, y.flat, y.diag)
    if y.scalar and x.flat is None:
        return M(x.a * y.a[0, 0], x.flat, x.diag)
    if x.a.shape[1] != y.a.shape[0]:
        if x.scalar or y.scalar:
            return M(x.a * y.a, x.flat or y.flat)
        raise ShapeMismatch(f"a {shape_text(x)} matrix times a {shape_text(y)} matrix")
    return M(x.a @ y.a, y.flat)
