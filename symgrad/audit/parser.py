r"""A recursive-descent parser of the LaTeX that gradient formulas are written in.

The grammar (tokens from :mod:`symgrad.audit.lexer`)::

    chain    := expr (REL expr)*                      REL: = < > \leq \geq \neq \approx \in
    expr     := [+|-] hadamard ((+|-) hadamard)*
    hadamard := product ((\odot | \circ) product)*
    product  := postfix ([\cdot | \times | * | /] postfix)*   juxtaposition multiplies
    postfix  := primary (_ ARG | ^ ARG | ')* [ "(" args ")" when primary is a function ]
    primary  := number | letter | \greek | \frac{..}{..} | \partial X / \partial Y
              | ( expr ) | [ expr ] | |expr| | \|expr\| | \left. expr \right. | { expr }
              | \sum_{..}^{..} product | \prod_{..}^{..} postfix | \nabla_{..} postfix
              | \hat{..} \tilde{..} \mathcal{..} \operatorname{..} ...
              | \begin{cases} .. \end{cases}

The result is a tree of :class:`Node` (kind, args, attrs, span).  Nothing is evaluated,
nothing is looked up outside the formula, and nesting deeper than
:data:`~symgrad.audit.errors.MAX_NESTING` stops the parse with one line.

>>> n = parse(r"\frac{\partial C}{\partial b_{3}} = \sigma'(z_{3}) \, w_{4} \, \delta_{4}")
>>> n.kind, [a.kind for a in n.args], n.attrs["ops"]
('rel', ['partial', 'mul'], ['='])
>>> [f.kind for f in n.args[1].args]
['apply', 'script', 'script']
"""
from __future__ import annotations

from .errors import MAX_NESTING, NotUnderstood
from .lexer import SPACING, Token, check_balance, split_top, tokenize

__all__ = ["Node", "Parser", "parse", "parse_tokens", "split_top", "RELATIONS",
           "FUNCTION_HEADS", "check_balance"]

#: relation tokens and their normal names
RELATIONS = {"=": "=", "<": "<", ">": ">", r"\leq": "<=", r"\le": "<=", r"\leqslant": "<=",
             r"\geq": ">=", r"\ge": ">=", r"\geqslant": ">=", r"\neq": "!=", r"\ne": "!=",
             r"\approx": "~", r"\in": "in", r"\equiv": "=", r"\coloneqq": ":=", r"\lt": "<",
             r"\gt": ">"}
#: commands written before an argument in parentheses
FUNCTION_HEADS = frozenset({r"\ln", r"\log", r"\exp", r"\tanh", r"\sin", r"\cos", r"\sinh",
                            r"\cosh", r"\max", r"\min", r"\sigma", r"\varphi", r"\phi"})
_DECOR = {r"\hat": "hat", r"\widehat": "hat", r"\tilde": "tilde", r"\widetilde": "tilde",
          r"\bar": "bar", r"\overline": "bar", r"\vec": "vec", r"\mathcal": "mathcal",
          r"\mathbb": "mathbb", r"\mathscr": "mathcal", r"\dot": "dot"}
_STYLE = {r"\mathbf", r"\boldsymbol", r"\bm", r"\mathit", r"\mathsf", r"\pmb"}
_WORDS = {r"\operatorname", r"\operatorname*", r"\mathrm", r"\text", r"\textrm", r"\mbox",
          r"\textit", r"\textbf", r"\mathtt"}
_BAR = {"|", r"\vert", r"\lvert", r"\rvert", r"\mid"}
_NORM = {r"\|", r"\Vert", r"\lVert", r"\rVert"}
_CLOSE = {")", "]", "}", r"\right", "&", ",", ";", r"\\", r"\end", None}
_PRODUCT_OPS = {r"\cdot": "cdot", r"\times": "times", "*": "*", "/": "/", r"\ast": "*"}
_HADAMARD = {r"\odot": "odot", r"\circ": "circ"}


class Node:
    """One node of the syntax tree: ``kind``, child ``args``, ``attrs`` and its span."""

    __slots__ = ("kind", "args", "attrs", "start", "end")

    def __init__(self, kind: str, args=(), attrs=None, start: int = 0, end: int = 0):
        self.kind, self.args = kind, list(args)
        self.attrs = attrs or {}
        self.start, self.end = start, end

    def __repr__(self) -> str:
        inner = ", ".join(repr(a) for a in self.args)
        extra = "".join(f", {k}={v!r}" for k, v in self.attrs.items())
        return f"{self.kind}({inner}{extra})"


class Parser:
    """Parse a token list into a :class:`Node` tree; ``heads`` adds function symbols (letters
    or commands) written before an argument in parentheses, such as ``g`` in ``g'(z)``."""

    def __init__(self, tokens: list[Token], heads=()):
        self.toks = [t for t in tokens if t.text not in SPACING]
        self.i = 0
        self.depth = 0
        self.bars = 0
        self.heads = FUNCTION_HEADS | set(heads)

    # -- tokens -------------------------------------------------------------------------
    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.toks[j].text if j < len(self.toks) else None

    def take(self, expected: str | None = None) -> Token:
        if self.i >= len(self.toks):
            raise NotUnderstood(f"formula ends early, expected {expected or 'more'}")
        t = self.toks[self.i]
        if expected is not None and t.text != expected:
            raise NotUnderstood(f"expected {expected!r}, found {t.text!r}")
        self.i += 1
        return t

    def _span(self, start_index: int) -> tuple[int, int]:
        first = self.toks[min(start_index, len(self.toks) - 1)]
        last = self.toks[max(self.i - 1, start_index)] if self.i > start_index else first
        return first.start, last.end

    def node(self, kind, args, attrs, start_index) -> Node:
        s, e = self._span(start_index)
        return Node(kind, args, attrs, s, e)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise NotUnderstood(f"nested deeper than {MAX_NESTING} levels")

    # -- grammar ------------------------------------------------------------------------
    def chain(self) -> Node:
        s = self.i
        terms, ops, op_spans = [self.expr()], [], []
        while self.peek() in RELATIONS:
            t = self.take()
            ops.append(RELATIONS[t.text])
            op_spans.append((t.start, t.end))
            terms.append(self.expr())
        if self.peek() == ".":
            self.take()
        if self.i != len(self.toks):
            raise NotUnderstood(f"unexpected {self.peek()!r}")
        if not ops:
            return terms[0]
        return self.node("rel", terms, {"ops": ops, "op_spans": op_spans}, s)

    def expr(self) -> Node:
        self.enter()
        s = self.i
        signs, terms = [], []
        sign = "+"
        if self.peek() in ("+", "-"):
            sign = self.take().text
        if self.peek() in _CLOSE or self.peek() in RELATIONS:
            raise NotUnderstood(f"missing term before {self.peek()!r}")
        terms.append(self.hadamard())
        signs.append(sign)
        while self.peek() in ("+", "-"):
            signs.append(self.take().text)
            terms.append(self.hadamard())
        self.depth -= 1
        if len(terms) == 1 and signs[0] == "+":
            return terms[0]
        return self.node("add", terms, {"signs": signs}, s)

    def hadamard(self) -> Node:
        s = self.i
        out = self.product()
        while self.peek() in _HADAMARD:
            op = _HADAMARD[self.take().text]
            out = self.node("had", [out, self.product()], {"op": op}, s)
        return out

    def _stops(self, t: str | None) -> bool:
        if t in _CLOSE or t in RELATIONS or t in ("+", "-") or t in _HADAMARD or t == ".":
            return True
        if t in _BAR or t in _NORM:
            return self.bars > 0
        return False

    def product(self) -> Node:
        s = self.i
        factors, ops = [self.postfix()], []
        while not self._stops(self.peek()):
            op = ""
            if self.peek() in _PRODUCT_OPS:
                op = _PRODUCT_OPS[self.take().text]
            if self.peek() in (r"\sum", r"\prod") and op == "":
                pass
            factors.append(self.postfix())
            ops.append(op)
        if len(factors) == 1:
            return factors[0]
        return self.node("mul", factors, {"ops": ops}, s)

    def script_arg(self) -> Node:
        s = self.i
        if self.peek() == "{":
            self.take("{")
            self.enter()
            items = [] if self.peek() == "}" else [self.expr()]
            while self.peek() == ",":
                self.take()
                items.append(self.expr())
            self.take("}")
            self.depth -= 1
            if len(items) == 1:
                return items[0]
            return self.node("list", items, {}, s)
        t = self.peek()
        if t is None:
            raise NotUnderstood("a sub- or superscript without its argument")
        if t in (r"\top", r"\intercal"):
            self.take()
            return self.node("sym", [], {"name": "T"}, s)
        if t == r"\prime":
            self.take()
            return self.node("sym", [], {"name": "'"}, s)
        if t.startswith("\\") and t not in _DECOR and t not in _WORDS and t not in _STYLE:
            self.take()
            return self.node("sym", [], {"name": t}, s)
        return self.primary()

    def postfix(self) -> Node:
        s = self.i
        base = self.primary()
        sub = sup = None
        primes = 0
        while self.peek() in ("_", "^", "'"):
            t = self.take().text
            if t == "'":
                primes += 1
            elif t == "_":
                if sub is not None:
                    raise NotUnderstood("double subscript")
                sub = self.script_arg()
            else:
                arg = self.script_arg()
                if arg.kind == "sym" and arg.attrs.get("name") == "'":
                    primes += 1
                elif sup is not None:
                    raise NotUnderstood("double superscript")
                else:
                    sup = arg
        out = base
        if sub is not None or sup is not None:
            out = self.node("script", [base, sub, sup], {}, s)
        if primes:
            out = self.node("prime", [out], {"n": primes}, s)
        if self._is_head(base) and self.peek() in ("(", r"\left", "{"):
            if self.peek() == r"\left" and self.peek(1) != "(":
                return out
            arg = self.primary()
            args = [arg]
            if arg.kind == "group" and arg.attrs.get("delim") == "(" and "items" in arg.attrs:
                args = arg.attrs["items"]
            out = self.node("apply", [out] + args, {}, s)
            if self.peek() == "^":                      # \sigma(z)^{2}
                self.take()
                out = self.node("script", [out, None, self.script_arg()], {}, s)
        return out

    def _is_head(self, base: Node) -> bool:
        if base.kind != "sym":
            return False
        name = base.attrs["name"]
        return name in self.heads or base.attrs.get("decor") in ("operatorname", "mathrm")

    def primary(self) -> Node:
        s = self.i
        t = self.peek()
        if t is None:
            raise NotUnderstood("formula ends where a term belongs")
        if t[0].isdigit():
            self.take()
            return self.node("num", [], {"value": t}, s)
        if len(t) == 1 and t.isalpha():
            self.take()
            return self.node("sym", [], {"name": t}, s)
        if t == r"\frac" or t in (r"\dfrac", r"\tfrac"):
            return self.fraction()
        if t == r"\partial":
            return self.slash_partial()
        if t in ("(", "[", "{", r"\left", r"\lbrack") or t in _BAR or t in _NORM:
            return self.delimited()
        if t in (r"\sum", r"\prod"):
            return self.bigop()
        if t == r"\nabla":
            return self.nabla()
        if t in _DECOR or t in _STYLE:
            return self.decorated()
        if t in _WORDS:
            return self.word()
        if t == r"\begin":
            return self.environment()
        if t in (r"\dots", r"\cdots", r"\ldots"):
            raise NotUnderstood("an ellipsis (\\dots) is not read: write the factors out")
        if t.startswith("\\") and len(t) > 1 and t[1].isalpha():
            self.take()
            return self.node("sym", [], {"name": t}, s)
        raise NotUnderstood(f"unexpected {t!r}")

    def braced(self) -> Node:
        self.take("{")
        self.enter()
        inner = self.expr()
        self.take("}")
        self.depth -= 1
        return inner

    def fraction(self) -> Node:
        s = self.i
        self.take()
        if self.peek() == "{" and self.peek(1) == r"\partial":
            self.take("{")
            self.take(r"\partial")
            if self.peek() == "^":
                raise NotUnderstood("second derivatives are not read")
            num = self.postfix()
            self.take("}")
            self.take("{")
            self.take(r"\partial")
            den = self.postfix()
            self.take("}")
            return self.node("partial", [num, den], {"form": "frac"}, s)
        if self.peek() != "{":
            num = self.primary()
        else:
            num = self.braced()
        den = self.primary() if self.peek() != "{" else self.braced()
        return self.node("frac", [num, den], {}, s)

    def slash_partial(self) -> Node:
        s = self.i
        self.take(r"\partial")
        num = self.postfix()
        if self.peek() != "/":
            raise NotUnderstood("a \\partial that is not part of a derivative")
        self.take("/")
        self.take(r"\partial")
        den = self.postfix()
        return self.node("partial", [num, den], {"form": "slash"}, s)

    def delimited(self) -> Node:
        s = self.i
        t = self.take().text
        sized = t == r"\left"
        if sized:
            t = self.take().text
        if t == "{" and not sized:
            inner = self._inner("}")
            return self.node("group", [inner], {"delim": "{"}, s)
        if t == ".":
            raise NotUnderstood(r"\left. (an evaluation bar) is not read")
        delim = {"(": "(", "[": "[", r"\lbrack": "[", r"\{": "{"}.get(t)
        if t in _BAR:
            delim = "|"
        elif t in _NORM:
            delim = "||"
        if delim is None:
            raise NotUnderstood(f"unexpected delimiter {t!r}")
        closer = {"(": ")", "[": "]", "{": r"\}", "|": "|", "||": "||"}[delim]
        if delim in ("|", "||"):
            self.bars += 1
        items = [self._inner(None)]
        while delim == "(" and self.peek() == ",":
            self.take()
            items.append(self._inner(None))
        if delim in ("|", "||"):
            self.bars -= 1
        if sized:
            self.take(r"\right")
        end = self.take().text
        ok = end == closer or (delim == "|" and end in _BAR) or (delim == "||" and end in _NORM)
        if not ok:
            raise NotUnderstood(f"{t!r} closed by {end!r}")
        attrs = {"delim": delim}
        if len(items) > 1:
            attrs["items"] = items
        return self.node("group", [items[0]], attrs, s)

    def _inner(self, closer) -> Node:
        self.enter()
        if self.peek() in (closer, r"\right"):
            raise NotUnderstood("empty parentheses")
        inner = self.expr()
        if closer is not None:
            self.take(closer)
        self.depth -= 1
        return inner

    def bigop(self) -> Node:
        s = self.i
        op = self.take().text[1:]
        sub = sup = None
        while self.peek() in ("_", "^"):
            if self.take().text == "_":
                sub = self._limit()
            else:
                sup = self.script_arg()
        self.enter()
        body = self.product() if op == "sum" else self.postfix()
        self.depth -= 1
        return self.node("bigop", [sub, sup, body], {"op": op}, s)

    def _limit(self) -> Node:
        """``{i=1}`` or ``i``: the index of a sum or product and where it starts."""
        s = self.i
        if self.peek() != "{":
            return self.script_arg()
        self.take("{")
        var = self.postfix()
        if self.peek() == "=":
            self.take()
            lo = self.expr()
            self.take("}")
            return self.node("limit", [var, lo], {}, s)
        if self.peek() == r"\in":
            raise NotUnderstood("a sum over a set is not read")
        self.take("}")
        return var

    def nabla(self) -> Node:
        s = self.i
        self.take(r"\nabla")
        sub = None
        if self.peek() == "_":
            self.take()
            sub = self.script_arg()
        operand = self.postfix()
        return self.node("nabla", [sub, operand], {}, s)

    def decorated(self) -> Node:
        s = self.i
        cmd = self.take().text
        if self.peek() == "{":
            self.take("{")
            self.enter()
            inner = self.primary()
            self.take("}")
            self.depth -= 1
        else:
            inner = self.primary()
        if cmd in _STYLE:
            return inner
        if inner.kind != "sym":
            raise NotUnderstood(f"{cmd} over something other than a symbol")
        attrs = dict(inner.attrs)
        attrs["decor"] = _DECOR[cmd] if "decor" not in attrs else f"{_DECOR[cmd]}+{attrs['decor']}"
        return self.node("sym", [], attrs, s)

    def _raw_group(self) -> str:
        self.take("{")
        parts = []
        while self.peek() != "}":
            parts.append(self.take().text)
        self.take("}")
        return " ".join(parts) if any(len(p) > 1 for p in parts) else "".join(parts)

    def word(self) -> Node:
        s = self.i
        cmd = self.take().text
        text = self._raw_group() if self.peek() == "{" else self.take().text
        if cmd in (r"\operatorname", r"\operatorname*", r"\mathrm"):
            if len(text) == 1 and cmd == r"\mathrm":
                return self.node("sym", [], {"name": text}, s)
            return self.node("sym", [], {"name": text, "decor": "operatorname"}, s)
        return self.node("text", [], {"text": text}, s)

    def environment(self) -> Node:
        s = self.i
        self.take(r"\begin")
        name = self._raw_group()
        if name != "cases":
            raise NotUnderstood(f"the environment {name!r} inside a formula is not read")
        rows = []
        while self.peek() != r"\end":
            rs = self.i
            value = self.expr()
            cond = None
            if self.peek() == "&":
                self.take()
                cond = self._condition()
            rows.append(self.node("case", [value, cond], {}, rs))
            if self.peek() == r"\\":
                self.take()
        self.take(r"\end")
        if self._raw_group() != "cases":
            raise NotUnderstood("\\begin{cases} closed by another environment")
        return self.node("cases", rows, {}, s)

    def _condition(self) -> Node | None:
        s = self.i
        words = []
        while self.peek() in _WORDS - {r"\operatorname", r"\mathrm"}:
            self.take()
            words.append(self._raw_group().strip())
        if self.peek() in (r"\\", r"\end"):
            if words and words[-1].strip(" ,.") in ("otherwise", "else", "sonst"):
                return None
            raise NotUnderstood(f"case condition {' '.join(words)!r} is not read")
        terms, ops = [self.expr()], []
        while self.peek() in RELATIONS:
            ops.append(RELATIONS[self.take().text])
            terms.append(self.expr())
        if not ops:
            raise NotUnderstood("a case condition without a relation")
        return self.node("rel", terms, {"ops": ops, "op_spans": []}, s)


def parse_tokens(tokens: list[Token], heads=()) -> Node:
    """A relation chain (or a lone expression) from tokens; raises :class:`NotUnderstood`."""
    check_balance(tokens)
    if not [t for t in tokens if t.text not in SPACING]:
        raise NotUnderstood("empty formula")
    try:
        return Parser(tokens, heads).chain()
    except RecursionError:  # pragma: no cover - the nesting limit comes first
        raise NotUnderstood(f"nested deeper than {MAX_NESTING} levels") from None


def parse(text: str, heads=()) -> Node:
    """Parse one formula's text (see the module docstring)."""
    return parse_tokens(tokenize(text), heads)
