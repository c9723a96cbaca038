"""The expression language of custom activations and costs, parsed without ``eval``.

``--activation "x*tanh(log(1+exp(x)))"`` defines an activation from an expression in one
variable ``x`` (or ``z``); ``--cost "(a - y)**4/4"`` a cost in ``a`` and ``y``.  The text is
never handed to ``eval``, ``exec``, :func:`sympy.sympify` or :func:`sympy.parse_expr` (they
all evaluate Python).  A tokenizer and a precedence-climbing parser of our own build SymPy
objects directly from a closed grammar::

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom (("**" | "^") unary)?            right-associative: 2**3**2 = 2**9
    atom    := number | variable | constant | function "(" sum ("," sum)* ")" | "(" sum ")"

Numbers are exact (``0.1`` is ``1/10``), the constants are ``pi`` and ``e``, and the functions
come from a whitelist (:data:`FUNCTIONS`).  Everything else (other names, attribute access,
strings, brackets, keywords, ``lambda``, ``;``, ``=``) is a one-line :class:`UsageError`, and
so are inputs that would make the work unbounded: more than 1000 characters, nesting deeper
than 50, literals of more than 100 digits, exponents above 1000 in magnitude and numbers that
would grow beyond 1000 digits.  An expression without the variable (a constant) is allowed:
its derivative is 0, so nothing flows back through such a layer.

>>> parse_expression("x*tanh(log(1+exp(x)))")
x*tanh(log(exp(x) + 1))
>>> parse_expression("-x**2 + 0.1")
1/10 - x**2
>>> parse_expression("x.real")
Traceback (most recent call last):
...
symgrad.errors.UsageError: activation='x.real': '.' at position 1 (attribute access) is not allowed; allowed: numbers, the variable x, pi, e, + - * / ** ^, parentheses and the functions exp, log, ln, sqrt, tanh, sinh, cosh, sin, cos, atan, sigmoid, softplus, erf, erfc, abs, max, min, Heaviside, sign
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, NamedTuple, Sequence

import sympy as sp

from symgrad.errors import UsageError

__all__ = ["FUNCTIONS", "CONSTANTS", "ACTIVATION_VARIABLES", "COST_VARIABLES", "MAX_LENGTH",
           "MAX_DEPTH", "MAX_HEIGHT", "MAX_LITERAL_DIGITS", "MAX_EXPONENT", "MAX_NUMBER_DIGITS",
           "parse_expression", "quoted"]

#: the longest expression accepted, in characters
MAX_LENGTH = 1000
#: the deepest nesting accepted: parentheses, calls, signs and exponents each add a level
MAX_DEPTH = 50
#: the tallest SymPy tree a parse may build, in operations (each + - * / ** or call adds one
#: or two; sigmoid adds four): building and differentiating cost grows faster than the height
MAX_HEIGHT = 40
#: the most significant digits in one number literal
MAX_LITERAL_DIGITS = 100
#: the largest magnitude of a numeric exponent, in ``x**p`` and in ``1e-p``
MAX_EXPONENT = 1000
#: the most decimal digits a number built while parsing may reach (``2**1000`` has 302)
MAX_NUMBER_DIGITS = 1000
_MAX_NUMBER_BITS = int(MAX_NUMBER_DIGITS * math.log2(10)) + 1
#: a literal's decimal exponent (``1e-300``) stays within the float64 range
_MAX_LITERAL_EXPONENT = 308


def _sigmoid(u: sp.Expr) -> sp.Expr:
    # σ(u) = 1/(1 + e^{-u})
    return 1 / (1 + sp.exp(-u))


def _softplus(u: sp.Expr) -> sp.Expr:
    # softplus(u) = log(1 + e^{u})
    return sp.log(1 + sp.exp(u))


@dataclass(frozen=True)
class _Function:
    """A whitelisted function: how many arguments it takes and the SymPy object it builds."""

    build: Callable[..., sp.Expr]
    min_args: int = 1
    max_args: int | None = 1
    #: how many levels of SymPy tree one call adds (sigmoid is Pow(Add(1, exp(Mul(-1, u))), -1))
    levels: int = 1


class _Node(NamedTuple):
    """A parsed sub-expression and a bound on the height of its SymPy tree."""

    expr: sp.Expr
    height: int


#: the whitelist: the only names that may be called, as they are written (the lower-case
#: spelling of each, and SymPy's own spelling such as ``Abs`` and ``Max``, are accepted too)
FUNCTIONS: dict[str, _Function] = {
    "exp": _Function(sp.exp),
    "log": _Function(sp.log),
    "ln": _Function(sp.log),
    "sqrt": _Function(sp.sqrt),
    "tanh": _Function(sp.tanh),
    "sinh": _Function(sp.sinh),
    "cosh": _Function(sp.cosh),
    "sin": _Function(sp.sin),
    "cos": _Function(sp.cos),
    "atan": _Function(sp.atan),
    "sigmoid": _Function(_sigmoid, levels=4),
    "softplus": _Function(_softplus, levels=3),
    "erf": _Function(sp.erf),
    "erfc": _Function(sp.erfc),
    "abs": _Function(sp.Abs),
    "max": _Function(sp.Max, 2, None),
    "min": _Function(sp.Min, 2, None),
    # Heaviside(u) or Heaviside(u, H0) with H0 its value at 0 (SymPy's default is 1/2)
    "Heaviside": _Function(sp.Heaviside, 1, 2),
    "sign": _Function(sp.sign),
}
_FUNCTION_BY_LOWER = {name.lower(): f for name, f in FUNCTIONS.items()}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
#: the variables an activation may use (one of them) and those of a cost
ACTIVATION_VARIABLES = ("x", "z")
COST_VARIABLES = ("a", "y")

_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\n]+)
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>\*\*|[-+*/^(),])""",
    re.VERBOSE | re.ASCII)
#: characters people paste from typeset formulas, read as the ASCII operator they mean
_TYPESET = str.maketrans({"\u2212": "-", "\u00d7": "*", "\u22c5": "*", "\u00b7": "*"})


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int


# --- errors -------------------------------------------------------------------------------

def quoted(text) -> str:
    """The user's value as it appears in a message: repr, cut to about 60 characters."""
    if isinstance(text, str) and len(text) > 60:
        return repr(text[:57] + "...")
    return repr(text)


def _allowed(variables: Sequence[str]) -> str:
    names = " and ".join(variables) if len(variables) > 1 else variables[0]
    noun = "variables" if len(variables) > 1 else "variable"
    return (f"allowed: numbers, the {noun} {names}, pi, e, + - * / ** ^, parentheses and the "
            f"functions {', '.join(FUNCTIONS)}")


class _Reject(Exception):
    """Raised inside the parser with the reason; turned into one UsageError line outside."""


# --- the tokenizer ------------------------------------------------------------------------

def _tokens(text: str) -> list[_Token]:
    """Split ``text`` into numbers, names and operators; anything else is rejected."""
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            if char == ".":
                raise _Reject(f"'.' at position {position} (attribute access) is not allowed")
            if char in "'\"":
                raise _Reject(f"quotes (strings) at position {position} are not allowed")
            raise _Reject(f"character {char!r} at position {position} is not allowed")
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _number(literal: str) -> sp.Rational:
    """A decimal literal as an exact rational: ``0.1`` is 1/10, ``2.5e-3`` is 1/400."""
    mantissa, _, exponent_text = literal.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    if len(digits) > MAX_LITERAL_DIGITS:
        raise _Reject(f"the number {quoted(literal)} has more than {MAX_LITERAL_DIGITS} digits")
    exponent = int(exponent_text) if exponent_text else 0
    if abs(exponent) > _MAX_LITERAL_EXPONENT:
        raise _Reject(f"the exponent of {quoted(literal)} is beyond ±{_MAX_LITERAL_EXPONENT}")
    # literal = int(whole fraction) * 10^(exponent - len(fraction))
    shift = exponent - len(fraction)
    integer = int(whole + fraction)
    if shift >= 0:
        return sp.Integer(integer * 10 ** shift)
    return sp.Rational(integer, 10 ** -shift)


# --- the parser ---------------------------------------------------------------------------

def _number_bits(expr: sp.Expr) -> int:
    """Total bits of the rational numbers in ``expr``: a bound on what powers of it cost."""
    return sum(r.p.bit_length() + r.q.bit_length() for r in expr.atoms(sp.Rational))


def _largest_rational(expr: sp.Expr) -> sp.Rational:
    return max((abs(r) for r in expr.atoms(sp.Rational)), default=sp.Integer(0))


class _Parser:
    """Recursive descent over the token list; every rule consumes at least one token or
    adds a level of nesting (bounded by MAX_DEPTH), so the work is bounded by the length."""

    def __init__(self, tokens: list[_Token], variables: dict[str, sp.Symbol]):
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.variables = variables

    # -- token helpers --
    @property
    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *operators: str) -> bool:
        return self.peek.kind == "op" and self.peek.text in operators

    def expect(self, operator: str, context: str) -> None:
        if not self.at(operator):
            raise _Reject(f"expected {operator!r} {context} at position {self.peek.position}, "
                          f"found {self._describe(self.peek)}")
        self.take()

    @staticmethod
    def _describe(token: _Token) -> str:
        return "the end" if token.kind == "end" else repr(token.text)

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Reject(f"nesting is deeper than {MAX_DEPTH} levels")

    def node(self, expr: sp.Expr, *parts: "_Node", levels: int = 1) -> "_Node":
        """A built expression with a bound on its tree height: SymPy's cost of building
        and differentiating grows faster than linearly in that height."""
        height = max((part.height for part in parts), default=0) + levels
        if height > MAX_HEIGHT:
            raise _Reject(f"the expression is more than {MAX_HEIGHT} operations deep")
        return _Node(expr, height)

    # -- grammar --
    def expression(self) -> sp.Expr:
        if self.peek.kind == "end":
            raise _Reject("the expression is empty")
        result = self.sum()
        if self.peek.kind != "end":
            token = self.peek
            if token.kind == "op" and token.text == ",":
                raise _Reject(f"',' at position {token.position} outside a function call")
            if token.kind == "op" and token.text == ")":
                raise _Reject(f"unmatched ')' at position {token.position}")
            raise _Reject(f"expected an operator before {token.text!r} at position "
                          f"{token.position} (write products with *, as 2*x)")
        return result.expr

    def sum(self) -> _Node:
        # sum := product (("+" | "-") product)*, one flat Add
        first = self.product()
        if not self.at("+", "-"):
            return first
        value, terms = first.expr, [first]
        while self.at("+", "-"):
            sign = self.take().text
            term = self.product()
            value = value + term.expr if sign == "+" else value - term.expr
            terms.append(term)
            self.node(value, *terms)
        return self.node(value, *terms)

    def product(self) -> _Node:
        # product := unary (("*" | "/") unary)*, one flat Mul; a divisor u is Pow(u, -1)
        first = self.unary()
        if not self.at("*", "/"):
            return first
        value, factors = first.expr, [first]
        while self.at("*", "/"):
            operator = self.take()
            factor = self.unary()
            if operator.text == "/":
                if factor.expr == 0:
                    raise _Reject(f"division by zero at position {operator.position}")
                value = value / factor.expr
                factors.append(_Node(factor.expr, factor.height + 1))
            else:
                value = value * factor.expr
                factors.append(factor)
            self.node(value, *factors)
        return self.node(value, *factors)

    def unary(self) -> _Node:
        # unary := ("+" | "-") unary | power;  -x**2 = -(x**2)
        if self.at("+", "-"):
            sign = self.take().text
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return self.node(-operand.expr, operand) if sign == "-" else operand
        return self.power()

    def power(self) -> _Node:
        # power := atom (("**" | "^") unary)?, right-associative through unary
        base = self.atom()
        if not self.at("**", "^"):
            return base
        operator = self.take()
        self.nest()
        exponent = self.unary()
        self.depth -= 1
        return self.node(_power(base.expr, exponent.expr, operator.position), base, exponent)

    def atom(self) -> _Node:
        token = self.take()
        if token.kind == "number":
            return _Node(_number(token.text), 1)
        if token.kind == "name":
            return self.name(token)
        if token.kind == "op" and token.text == "(":
            self.nest()
            inner = self.sum()
            self.expect(")", "to close the '(' at position " + str(token.position))
            self.depth -= 1
            return inner
        raise _Reject(f"expected a number, a name or '(' at position {token.position}, "
                      f"found {self._describe(token)}")

    def name(self, token: _Token) -> _Node:
        called = self.at("(")
        if token.text in self.variables:
            if called:
                raise _Reject(f"the variable {token.text!r} is not a function (write "
                              f"{token.text}*(...) for a product)")
            return _Node(self.variables[token.text], 1)
        key = token.text.lower()
        function = FUNCTIONS.get(token.text) or _FUNCTION_BY_LOWER.get(key)
        if function is not None:
            if not called:
                raise _Reject(f"the function {token.text!r} must be called, as "
                              f"{token.text}(...)")
            return self.call(token, function)
        if key in CONSTANTS and not called:
            return _Node(CONSTANTS[key], 1)
        kind = "function" if called else "name"
        raise _Reject(f"unknown {kind} {token.text!r} at position {token.position}")

    def call(self, token: _Token, function: _Function) -> _Node:
        self.take()  # "("
        self.nest()
        if self.at(")"):
            raise _Reject(f"{token.text}() needs an argument")
        arguments = [self.sum()]
        while self.at(","):
            self.take()
            arguments.append(self.sum())
        self.expect(")", f"to close {token.text}(")
        self.depth -= 1
        count = len(arguments)
        if count < function.min_args or (function.max_args is not None
                                         and count > function.max_args):
            wanted = (f"{function.min_args} or more" if function.max_args is None else
                      str(function.min_args) if function.min_args == function.max_args else
                      f"{function.min_args} to {function.max_args}")
            raise _Reject(f"{token.text}() takes {wanted} arguments, not {count}")
        values = [argument.expr for argument in arguments]
        if function.build is sp.exp:
            _guard_exp(values[0], token.position)
        return self.node(function.build(*values), *arguments, levels=function.levels)


def _power(base: sp.Expr, exponent: sp.Expr, position: int) -> sp.Expr:
    """base**exponent, refused when SymPy would build an enormous number."""
    if exponent.is_Rational:
        if abs(exponent) > MAX_EXPONENT:
            raise _Reject(f"the exponent at position {position} is larger than {MAX_EXPONENT} "
                          f"in magnitude")
        # |p/q| * (bits of the numbers in base) bounds the bits of the numbers in the result
        if abs(exponent) * _number_bits(base) > _MAX_NUMBER_BITS:
            raise _Reject(f"the power at position {position} would exceed "
                          f"{MAX_NUMBER_DIGITS} digits")
    elif not exponent.free_symbols and base.atoms(sp.Rational) - {sp.Integer(-1), sp.Integer(1)}:
        # a constant but irrational exponent (such as 2**(10*log(10))) may evaluate to a
        # rational power; keep its numbers within the same bound
        if _largest_rational(exponent) * (_number_bits(base) + _number_bits(exponent)) > \
                _MAX_NUMBER_BITS:
            raise _Reject(f"the power at position {position} would exceed "
                          f"{MAX_NUMBER_DIGITS} digits")
    return base ** exponent


def _guard_exp(argument: sp.Expr, position: int) -> None:
    """exp(c*log(u)) evaluates to u**c: refuse it when that power would be enormous."""
    if argument.has(sp.log) and _largest_rational(argument) * _number_bits(argument) > \
            _MAX_NUMBER_BITS:
        raise _Reject(f"exp(...) at position {position} would exceed {MAX_NUMBER_DIGITS} digits")


def _check_result(expr: sp.Expr) -> None:
    if expr.has(sp.zoo, sp.oo, sp.nan) or expr.has(-sp.oo):
        raise _Reject("the expression is not finite (a division by zero or log(0)?)")
    if expr.has(sp.I):
        raise _Reject("the expression is not real (sqrt or log of a negative number?)")


def parse_expression(text: str, variables: Iterable[str] = ("x",), *,
                     argument: str = "activation") -> sp.Expr:
    """Parse ``text`` into a SymPy expression in ``variables`` (real symbols), without eval.

    Numbers are exact, ``^`` is a power like ``**``, and only the functions in
    :data:`FUNCTIONS` may be called.  Anything else is a one-line :class:`UsageError`
    naming ``argument``, the value and what is allowed.

    >>> x = sp.Symbol("x", real=True)
    >>> parse_expression("2**3**2"), parse_expression("x/2/3"), parse_expression("0.1")
    (512, x/6, 1/10)
    >>> parse_expression("sigmoid(x)") == 1/(1 + sp.exp(-x))
    True
    >>> parse_expression("max(0, a - y)^2", ("a", "y"), argument="cost")
    Max(0, a - y)**2
    >>> parse_expression("__import__('os')")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: activation="__import__('os')": quotes (strings) at position 11 are not allowed; allowed: numbers, the variable x, pi, e, + - * / ** ^, parentheses and the functions exp, log, ln, sqrt, tanh, sinh, cosh, sin, cos, atan, sigmoid, softplus, erf, erfc, abs, max, min, Heaviside, sign
    >>> parse_expression("x**9**9**9")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: activation='x**9**9**9': the exponent at position 4 is larger than 1000 in magnitude; allowed: numbers, the variable x, pi, e, + - * / ** ^, parentheses and the functions exp, log, ln, sqrt, tanh, sinh, cosh, sin, cos, atan, sigmoid, softplus, erf, erfc, abs, max, min, Heaviside, sign
    """
    variables = tuple(variables)
    try:
        if not isinstance(text, str):
            raise _Reject("must be a string")
        if len(text) > MAX_LENGTH:
            raise _Reject(f"the expression is longer than {MAX_LENGTH} characters")
        symbols = {name: sp.Symbol(name, real=True) for name in variables}
        parser = _Parser(_tokens(text.translate(_TYPESET)), symbols)
        expr = parser.expression()
        _check_result(expr)
        return expr
    except _Reject as reason:
        raise UsageError(f"{argument}={quoted(text)}: {reason}; {_allowed(variables)}") \
            from None
    except RecursionError:  # SymPy's own recursion on a pathological (but short) input
        raise UsageError(f"{argument}={quoted(text)}: the expression is too deeply nested; "
                         f"{_allowed(variables)}") from None
    except (ArithmeticError, TypeError, NotImplementedError) as error:
        # SymPy comparing numbers such as exp(exp(exp(1000))) overflows while it evaluates
        raise UsageError(f"{argument}={quoted(text)}: SymPy cannot evaluate a number in it "
                         f"({type(error).__name__}); {_allowed(variables)}") from None
