r"""Read a parsed formula in a notation: which symbol is which network quantity, where the
layer index is, what ``^T``, ``'``, ``\odot``, ``\nabla`` and the big operators mean.

>>> from .parser import parse
>>> from .notation import NIELSEN, MATRIX
>>> read = lambda text, style: key(Interpreter(NIELSEN, style).read(parse(text)))
>>> read(r"\frac{\partial C}{\partial w_{l}} = a_{l-1} \delta_{l}", "sub")
'd(cost)/d(weight[l]) = (act[l-1] * error[l])'
>>> read(r"\delta^{l} = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)", "sup")
"error[l] = ((T(weight[l+1]) * error[l+1]) o sigmoid'(pre[l]))"
>>> key(Interpreter(MATRIX, "sub").read(parse(r"\tilde{h}_{1,i} = x_{i}^{T} W_{1} + b_{1}")))
'pre[1]@i = (+ (T(input@i) * weight[1]) + bias[1])'
"""
from __future__ import annotations

from fractions import Fraction

from .errors import NotUnderstood
from .notation import Notation
from .parser import Node
from .sir import (Abs, ActFn, Apply, BigProd, BigSum, Cases, Diag, Div, Grad, Had, Idx, Norm,
                  Num, Partial, Pow, Prod, Qty, RealSpace, Rel, S, Sum, Transpose, Var, key)

__all__ = ["Interpreter", "detect_index_style", "detect_notation", "SAMPLE_VARS",
           "document_symbols"]

#: letters read as the sample index where a second index or a sum says so
SAMPLE_VARS = ("i", "n", "m", "s")
_SPECIAL = {r"\ln": "ln", r"\log": "ln", r"\exp": "exp", "ln": "ln", "log": "ln", "exp": "exp"}


def _sym(node: Node):
    if node.kind == "sym":
        return node.attrs.get("decor"), node.attrs["name"]
    return None


def _is_transpose(node: Node | None) -> bool:
    return node is not None and node.kind == "sym" and node.attrs.get("name") in ("T", "t") \
        and not node.attrs.get("decor")


class Interpreter:
    """Turns :class:`~symgrad.audit.parser.Node` trees into meaning nodes
    (:mod:`symgrad.audit.sir`) under one notation and one index style (``sub``, ``sup``)."""

    def __init__(self, notation: Notation, style: str = "sub", macros=None):
        self.n = notation
        self.style = style if style in ("sub", "sup") else "sub"
        self.macros = macros or {}
        #: how often the document writes each symbol of each kind: {kind: Counter}
        self.used: dict = {}

    def read(self, node: Node) -> S:
        if node.kind == "rel":
            terms = [self.expr(t) for t in node.args]
            return Rel(terms, list(node.attrs["ops"]), list(node.attrs.get("op_spans", [])),
                       span=(node.start, node.end))
        return self.expr(node)

    # -- expressions --------------------------------------------------------------------
    def expr(self, node: Node) -> S:
        method = getattr(self, "_" + node.kind, None)
        if method is None:
            raise NotUnderstood(f"a {node.kind} here is not read")
        out = method(node)
        if out.span is None:
            out.span = (node.start, node.end)
        return out

    def _num(self, node):
        return Num(Fraction(node.attrs["value"]))

    def _sym(self, node):
        decor, name = _sym(node)
        kind = self.n.kind_of(decor, name)
        if kind in ("pre", "act", "weight", "bias", "error"):
            return Var(name.lstrip("\\") if decor is None else f"{decor}:{name}")  # z in σ'(z)
        if kind is not None:
            return self.quantity(kind, None, None, node)
        fn = self._function(node)
        if fn is not None:
            return ActFn(fn)
        if name in self.macros:
            raise NotUnderstood(f"{name} is defined in the document (\\newcommand or \\def) "
                                "and is not expanded")
        if decor == "mathbb" and name == "R":
            return RealSpace([])
        if decor not in (None, "operatorname") or (name.startswith("\\") and name not in
                                                   (r"\ell", r"\theta", r"\eta", r"\lambda",
                                                    r"\alpha", r"\epsilon", r"\mu")):
            raise NotUnderstood(f"the symbol {_show(decor, name)} is not part of the notation")
        return Var(name.lstrip("\\").replace("ell", "ℓ") if name == r"\ell" else name)

    def _function(self, node) -> str | None:
        decor, name = _sym(node)
        if decor not in (None, "operatorname"):
            return None
        return self.n.function_of(name)

    def _group(self, node):
        inner = self.expr(node.args[0])
        delim = node.attrs["delim"]
        if delim == "|":
            return Abs(inner)
        if delim == "||":
            return Norm(inner)
        inner.span = (node.start, node.end)   # the parentheses belong to the term
        return inner

    def _add(self, node):
        terms = [self.expr(a) for a in node.args]
        return Sum(terms, list(node.attrs["signs"]))

    def _had(self, node):
        return Had(self.expr(node.args[0]), self.expr(node.args[1]))

    def _frac(self, node):
        num, den = self.expr(node.args[0]), self.expr(node.args[1])
        if isinstance(num, Num) and isinstance(den, Num):
            if den.value == 0:
                raise NotUnderstood("division by zero")
            return Num(num.value / den.value)
        return Div(num, den)

    def _mul(self, node):
        factors = [self.expr(a) for a in node.args]
        ops = list(node.attrs["ops"])
        # the cost written as a function of the parameters, L(θ): the cost itself
        if len(factors) == 2 and isinstance(factors[0], Qty) and factors[0].kind == "cost" \
                and isinstance(factors[1], Var):
            return factors[0]
        out_f, out_ops = [factors[0]], []
        for op, f in zip(ops, factors[1:]):
            if op == "/":
                num = out_f[0] if len(out_f) == 1 else Prod(out_f, out_ops)
                out_f, out_ops = [Div(num, f)], []
            else:
                out_f.append(f)
                out_ops.append(op)
        if len(out_f) == 1:
            return out_f[0]
        return Prod(out_f, out_ops)

    def _partial(self, node):
        num_node, den_node = node.args
        fn = self._function(num_node) if num_node.kind == "sym" else None
        den = self.expr(den_node)
        if fn is not None:
            return Apply(fn, den, deriv=1)
        num = self.expr(num_node)
        if not isinstance(num, (Qty, Var)) or not isinstance(den, (Qty, Var)):
            raise NotUnderstood("a derivative of something other than a network quantity")
        return Partial(num, den)

    def _nabla(self, node):
        sub, operand = node.args
        cost = self.expr(operand)
        if not (isinstance(cost, Qty) and cost.kind == "cost"):
            raise NotUnderstood("\\nabla of something other than the cost")
        if sub is None:
            raise NotUnderstood("\\nabla without the variable it differentiates by")
        var = self.expr(sub)
        if isinstance(var, Var) and self.n.kind_of(None, var.name) == "act":
            var = Qty("act", Idx("L"), span=(sub.start, sub.end))     # Nielsen's ∇_a C
        if not isinstance(var, Qty):
            raise NotUnderstood("\\nabla by something other than a network quantity")
        return Grad(var)

    def _bigop(self, node):
        sub, sup, body = node.args
        if sub is not None and sup is None and sub.kind != "limit" and \
                node.attrs["op"] == "sum" and _sym(sub) and _sym(sub)[0] is None:
            # Σ_k over the units of a layer (Nielsen's δ^l_j = Σ_k w^{l+1}_{kj} δ^{l+1}_k ...)
            return BigSum(_sym(sub)[1], None, None, self.expr(body))
        if sub is None or sup is None:
            raise NotUnderstood(f"\\{node.attrs['op']} without both limits")
        if sub.kind == "limit":
            var, lo = _sym(sub.args[0]), self.expr(sub.args[1])
        else:
            var, lo = _sym(sub), None
        if var is None or var[0] is not None:
            raise NotUnderstood(f"\\{node.attrs['op']} over something other than one index")
        name = var[1].replace(r"\ell", "ℓ")
        hi = self.expr(sup)
        cls = BigSum if node.attrs["op"] == "sum" else BigProd
        return cls(name, lo if lo is not None else Num(Fraction(1)), hi, self.expr(body))

    def _cases(self, node):
        rows = []
        for case in node.args:
            value, cond = case.args
            rows.append((self.expr(value), self.read(cond) if cond is not None else None))
        return Cases(rows)

    def _text(self, node):
        raise NotUnderstood(f"words inside a formula ({node.attrs['text']!r})")

    def _list(self, node):
        raise NotUnderstood("a list of indices where a term belongs")

    def _limit(self, node):
        raise NotUnderstood("an index assignment where a term belongs")

    def _prime(self, node):
        inner = node.args[0]
        if _sym(inner) is not None and self._function(inner) is not None:
            raise NotUnderstood(f"{_show(*_sym(inner))}' without its argument")
        raise NotUnderstood("a prime (') on something other than an activation")

    def _apply(self, node):
        head, args = node.args[0], node.args[1:]
        deriv, power = 0, None
        if head.kind == "prime":
            deriv, head = head.attrs["n"], head.args[0]
        if head.kind == "script":
            base, sub, sup = head.args
            if sub is not None:
                raise NotUnderstood("an index on a function name")
            power, head = (self.expr(sup) if sup is not None else None), base
        decor, name = _sym(head)
        if len(args) != 1:
            raise NotUnderstood(f"{_show(decor, name)} with {len(args)} arguments")
        a0 = args[0]
        if a0.kind == "group" and a0.attrs["delim"] in ("(", "{"):
            a0 = a0.args[0]   # f(x): the parentheses belong to the application
        arg = self.expr(a0)
        if name in _SPECIAL and not deriv:
            out = Apply(_SPECIAL[name], arg)
        elif decor == "operatorname" and name == "diag" and not deriv:
            out = Diag(arg)
        else:
            fn = self._function(head)
            if fn is None:
                raise NotUnderstood(f"unknown function {_show(decor, name)}")
            out = Apply(fn, arg, deriv=deriv)
        if power is not None:
            out.span = (node.start, node.end)
            return Pow(out, power)
        return out

    def _script(self, node):
        base, sub, sup = node.args
        sym = _sym(base)
        if sym is not None:
            kind = self.n.kind_of(*sym)
            if kind is not None:
                return self.quantity(kind, sub, sup, node)
            if sym == ("mathbb", "R"):
                return RealSpace(self._dims(sup) if sup is not None else [])
            if sym == (None, "e") and sub is None and sup is not None:
                return Apply("exp", self.expr(sup))
            if sym[0] is None and len(sym[1]) == 1 and sub is not None:
                inner = Var(f"{sym[1]}_{self._index(sub)}")
                return self._power(inner, sup) if sup is not None else inner
        x = self.expr(base)
        if sub is not None:
            if isinstance(x, Norm):
                x.p = key(self.expr(sub))
            else:
                raise NotUnderstood("a subscript on an expression")
        return self._power(x, sup) if sup is not None else x

    def _power(self, x: S, sup: Node) -> S:
        if _is_transpose(sup):
            return Transpose(x)
        return Pow(x, self.expr(sup))

    def _dims(self, sup: Node) -> list:
        if sup.kind == "mul" and all(op == "times" for op in sup.attrs["ops"]):
            return [self.expr(a) for a in sup.args]
        return [self.expr(sup)]

    # -- network quantities -------------------------------------------------------------
    def quantity(self, kind: str, sub, sup, node: Node) -> S:
        from collections import Counter
        base = node.args[0] if node.kind == "script" else node
        self.used.setdefault(kind, Counter())[_sym(base)] += 1
        layer = sample = None
        comps: tuple = ()
        layered = kind in ("pre", "act", "weight", "bias", "error")
        if sup is not None and sup.kind == "group" and sup.attrs["delim"] == "[":
            layer, sup = self._index(sup.args[0]), None
        elif sup is not None and sup.kind == "group" and sup.attrs["delim"] == "(":
            # W^{(l)}, h^{(k)}: a layer (Goodfellow); x^{(i)}, y^{(i)}: a sample (Ng)
            if layered:
                layer, sup = self._index(sup.args[0]), None
            else:
                sample, sup = self._name(sup.args[0]), None
        lone_sup = sub is None and sup is not None and not _is_transpose(sup) and \
            sup.kind != "num"      # δ^L, z^l in a document that writes z_3 elsewhere
        if layered and layer is None and sup is not None and not _is_transpose(sup) and \
                (self.style == "sup" or lone_sup):
            layer, sup = self._index(sup), None
        items = [] if sub is None else (sub.args if sub.kind == "list" else [sub])
        lone_sub = self.style == "sup" and sup is None and len(items) == 1 and \
            items[0].kind == "num"          # z_3 in a document that writes z^l elsewhere
        if layered and layer is None and (self.style == "sub" or lone_sub) and items:
            layer = self._index(items[0])
            items = items[1:]
            if items:
                sample = self._name(items[0])
                items = items[1:]
        elif items and kind in ("input", "output", "target", "cost") and \
                self.style == "sub" and len(items) == 1 and \
                self._name(items[0], strict=False) in SAMPLE_VARS:
            sample, items = self._name(items[0]), []
        if items and self.style == "sup" and len(items) == 1 and sample is None and \
                self._name(items[0], strict=False) in SAMPLE_VARS:
            sample, items = self._name(items[0]), []
        if items:
            comps = tuple(self._components(items))
        if kind == "output":
            kind, layer = "act", Idx("L")
        out: S = Qty(kind, layer, sample, comps)
        out.span = (node.start, node.end)
        return self._power(out, sup) if sup is not None else out

    def _components(self, items) -> list[str]:
        out = []
        for it in items:
            if it.kind == "mul":
                out += [self._name(a) for a in it.args]
            else:
                out.append(self._name(it))
        return out

    def _name(self, node: Node, strict: bool = True) -> str | None:
        if node.kind == "sym" and not node.attrs.get("decor"):
            return node.attrs["name"].replace(r"\ell", "ℓ").lstrip("\\")
        if node.kind == "num":
            return node.attrs["value"]
        if strict:
            raise NotUnderstood("an index that is not one letter or number")
        return None

    def _index(self, node: Node) -> Idx:
        """A layer index: 3, l, L, l-1, l+1, ℓ (or any of these in brackets)."""
        if node.kind == "num":
            return Idx(None, int(node.attrs["value"].split(".")[0]))
        if node.kind == "sym" and not node.attrs.get("decor"):
            name = node.attrs["name"]
            if name == r"\ell":
                return Idx("ℓ")
            if len(name) == 1 and name.isalpha():
                return Idx(name)
        if node.kind == "group" and node.attrs["delim"] in ("[", "(", "{"):
            return self._index(node.args[0])
        if node.kind == "add" and len(node.args) == 2 and node.attrs["signs"][0] == "+":
            var, num = node.args
            if num.kind == "num" and "." not in num.attrs["value"]:
                k = int(num.attrs["value"]) * (1 if node.attrs["signs"][1] == "+" else -1)
                return self._index(var).shift(k)
        raise NotUnderstood("a layer index other than a number, a letter or letter ± number")


def _show(decor, name) -> str:
    if decor == "operatorname":
        return rf"\operatorname{{{name}}}"
    if decor:
        return rf"\{decor}{{{name}}}"
    return name


def _walk_nodes(node: Node):
    yield node
    for a in node.args:
        if isinstance(a, Node):
            yield from _walk_nodes(a)


def detect_index_style(trees, notation: Notation) -> str:
    """``sub`` or ``sup``: where the document writes its layer indices (the notation's own
    choice unless it is ``auto``; then the more frequent of z_l and z^l among the
    symbols of the notation)."""
    if notation.index in ("sub", "sup"):
        return notation.index
    sub = sup = 0
    layered = {k for k, v in notation.symbols.items()
               if v in ("pre", "act", "weight", "bias", "error")}
    for tree in trees:
        for n in _walk_nodes(tree):
            if n.kind != "script" or _sym(n.args[0]) not in layered:
                continue
            base, s, p = n.args
            if s is not None and p is None:
                sub += 1
            elif p is not None and s is None and not _is_transpose(p) and \
                    not (p.kind == "group" and p.attrs["delim"] == "["):
                sup += 1
            elif p is not None and s is not None and p.kind == "sym":
                sup += 1
    return "sup" if sup > sub else "sub"


def detect_notation(trees) -> str:
    """``matrix`` when the document writes h̃, ŷ, 𝓛 or W_l with h_l; else ``nielsen``."""
    score = {"nielsen": 0, "matrix": 0}
    for tree in trees:
        for n in _walk_nodes(tree):
            s = _sym(n) if n.kind == "sym" else None
            if s in (("tilde", "h"), ("hat", "y"), ("mathcal", "L"), (None, "h")):
                score["matrix"] += 2
            elif s in ((None, "z"), (None, "a"), (None, "w"), (None, "C")):
                score["nielsen"] += 1
    return "matrix" if score["matrix"] > score["nielsen"] else "nielsen"


def document_symbols(notation: Notation, used: dict) -> Notation:
    """The notation with each kind printed the way the document writes it most often
    (L rather than 𝓛 when the document writes L)."""
    import copy
    latex = dict(notation.latex)
    for kind, counts in used.items():
        (decor, name), _ = counts.most_common(1)[0]
        if decor in (None, "tilde", "hat", "mathcal", "bar", "vec"):
            latex[kind] = name if decor is None else rf"\{decor}{{{name}}}"
    out = copy.copy(notation)
    out.latex = latex
    return out
