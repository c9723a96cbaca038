"""Custom activations and costs: exact parses, exact derivatives, and hostile input.

The parser must never evaluate user text: the hostile tests run with ``eval``, ``exec``,
``sympy.sympify`` (of strings) and SymPy's ``parse_expr`` replaced by functions that fail,
and check that a sentinel file the hostile strings try to create never appears.
"""
from __future__ import annotations

import builtins
import contextlib
import importlib.util
import os
import time
from unittest import mock

import numpy as np
import pytest
import sympy as sp
import sympy.parsing.sympy_parser as sympy_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symgrad.model.activations import get_activation
from symgrad.errors import UsageError
from symgrad.model.costs import get_cost
from symgrad.model.activations import custom_activation
from symgrad.model.catalog import MAX_DEPTH, MAX_LENGTH, looks_like_expression, parse_expression
from symgrad.model.costs import custom_cost

x = sp.Symbol("x", real=True)
z = sp.Symbol("z", real=True)
a = sp.Symbol("a", real=True)
y = sp.Symbol("y", real=True)

#: the slowest a single parse may take (measured worst case here: about 0.15 s, cold cache)
PARSE_SECONDS = 0.5
SENTINEL = f"/tmp/symgrad_pwned_{os.getpid()}"


# --- exact parses ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("x*tanh(log(1+exp(x)))", x * sp.tanh(sp.log(1 + sp.exp(x)))),
    ("-x**2", -(x ** 2)),
    ("-x^2", -(x ** 2)),
    ("2**3**2", sp.Integer(512)),
    ("2^3^2", sp.Integer(512)),
    ("(2**3)**2", sp.Integer(64)),
    ("x/2/3", x / 6),
    ("0.1", sp.Rational(1, 10)),
    ("2.5e-3", sp.Rational(1, 400)),
    ("1E3*x", 1000 * x),
    (".5*x", x / 2),
    ("2**-1", sp.Rational(1, 2)),
    ("1 - x - x", 1 - 2 * x),
    ("+x", x),
    ("--x", x),
    ("x*sigmoid(x)", x / (1 + sp.exp(-x))),
    ("softplus(x)", sp.log(1 + sp.exp(x))),
    ("ln(x) + log(x)", 2 * sp.log(x)),
    ("max(0, x)", sp.Max(0, x)),
    ("min(x, 1, 2*x)", sp.Min(x, 1, 2 * x)),
    ("abs(x) + Abs(x)", 2 * sp.Abs(x)),
    ("Heaviside(x) + sign(x)", sp.Heaviside(x) + sp.sign(x)),
    ("erf(x) - erfc(x)", sp.erf(x) - sp.erfc(x)),
    ("pi*e", sp.pi * sp.E),
    ("E**x", sp.exp(x)),
    ("x \u2212 1", x - 1),
    ("sqrt(x**2 + 1) - atan(x) + sinh(x)*cosh(x) + sin(x)*cos(x)",
     sp.sqrt(x ** 2 + 1) - sp.atan(x) + sp.sinh(x) * sp.cosh(x) + sp.sin(x) * sp.cos(x)),
    ("2", sp.Integer(2)),
])
def test_parse_exact(text, expected):
    assert parse_expression(text) == expected


def test_numbers_are_exact_and_variables_real():
    parsed = parse_expression("0.1*x + 0.2*x")
    assert parsed == sp.Rational(3, 10) * x
    assert parsed.free_symbols == {x} and x.is_real
    assert parse_expression("(a - y)**2/2", ("a", "y"), argument="cost") == (a - y) ** 2 / 2


# --- activations and costs ----------------------------------------------------------------

def test_mish_activation_derivative_is_sympys():
    mish = get_activation("x*tanh(log(1+exp(x)))")
    expression = z * sp.tanh(sp.log(1 + sp.exp(z)))
    assert mish.expression == expression
    assert mish.derivative(z) == sp.diff(expression, z)
    assert mish.name == "custom:x*tanh(log(exp(x) + 1))"
    assert mish.analytic and mish.kink is None
    # the same text, and the canonical name, give the same registered object
    assert get_activation("x*tanh(log(1+exp(x)))") is mish
    assert get_activation(mish.name) is mish
    assert get_activation("x*tanh(softplus(x))") is mish


def test_activation_numbers_match_the_expression():
    mish = custom_activation("x*tanh(softplus(x))")
    points = np.array([-3.0, -0.5, 0.0, 0.7, 4.0])
    exact = [float(sp.diff(mish.expression, z).subs(z, sp.Rational(p))) for p in points]
    np.testing.assert_allclose(mish.numpy_derivative(points), exact, rtol=1e-13)
    values = [float(mish.expression.subs(z, sp.Rational(p))) for p in points]
    np.testing.assert_allclose(mish.numpy(points), values, rtol=1e-13)
    # complex-step differentiation works on an analytic custom activation; erf counts as
    # analytic only where SciPy (an optional package) supplies a complex erf
    tanh_swish = custom_activation("x*tanh(x)")
    assert tanh_swish.analytic
    h = 1e-30
    np.testing.assert_allclose(tanh_swish.numpy(points + 1j * h).imag / h,
                               tanh_swish.numpy_derivative(points), rtol=1e-13)
    gelu = custom_activation("x*(1 + erf(x/sqrt(2)))/2")
    assert gelu.analytic == (importlib.util.find_spec("scipy") is not None)
    if gelu.analytic:
        np.testing.assert_allclose(gelu.numpy(points + 1j * h).imag / h,
                                   gelu.numpy_derivative(points), rtol=1e-13)


def test_constant_and_identity_activations():
    constant = custom_activation("2")
    assert constant.derivative(z) == 0
    np.testing.assert_array_equal(constant.numpy_derivative(np.zeros(3)), np.zeros(3))
    assert constant.numpy(np.zeros((2, 2))).shape == (2, 2)
    identity = get_activation("x")
    assert identity.derivative(z) == 1 and identity.is_linear
    assert get_activation("z*sigmoid(z)") is get_activation("x*sigmoid(x)")


def test_kinked_activation_follows_sympy_convention():
    relu = custom_activation("max(0, x)")
    assert relu.derivative(z) == sp.Heaviside(z)
    assert not relu.analytic
    assert "SymPy's convention" in relu.kink and "Heaviside(0) = 1/2" in relu.kink
    np.testing.assert_array_equal(relu.numpy_derivative(np.array([-1.0, 0.0, 2.0])),
                                  [0.0, 0.5, 1.0])
    # the Dirac delta of a step is dropped: 0 away from the jump
    step = custom_activation("x + Heaviside(x)")
    assert step.derivative(z) == 1
    absolute = custom_activation("abs(x)")
    assert absolute.derivative(z) == sp.sign(z)


def test_abs_of_an_argument_sympy_cannot_prove_real():
    act = custom_activation("abs(sqrt(log(x + 2) + 1))")
    u = sp.sqrt(sp.log(z + 2) + 1)
    # d|u|/dz = u u'/|u|, kept real (SymPy's own rule splits u into re and im parts)
    assert sp.simplify(act.derivative(z) - u * sp.diff(u, z) / sp.Abs(u)) == 0
    assert not act.derivative(z).has(sp.re, sp.im, sp.arg)


def test_custom_cost():
    cost = get_cost("(a - y)**4/4")
    assert cost.derivative(a, y) == (a - y) ** 3
    assert cost.name == "custom:(a - y)**4/4"
    assert cost.latex == r"\frac{\left(a - y\right)^{4}}{4}"
    assert get_cost("(a - y)**4/4") is cost
    np.testing.assert_allclose(cost.numpy_derivative(np.array([3.0, 0.5]), np.array([1.0, 1.0])),
                               [8.0, -0.125])
    huber = custom_cost("sqrt(1 + (a - y)^2) - 1")
    assert huber.derivative(a, y) == (a - y) / sp.sqrt((a - y) ** 2 + 1)


def test_names_are_not_expressions():
    with pytest.raises(UsageError, match=r"unknown activation; did you mean 'sigmoid'\?"):
        get_activation("sigmod")
    with pytest.raises(UsageError, match=r"unknown cost; did you mean 'cross-entropy'\?"):
        get_cost("cross-entropi")
    assert [looks_like_expression(t) for t in
            ("x", "z", "a", "y", "2", "x-1", "a - y", "x*2", "f(x)", "custom:x", "x.real")] == [True] * 11
    assert [looks_like_expression(t) for t in
            ("sigmod", "relu", "leaky-rel", "cross-entropi", "leaky relu", "", "  ", None)] == [False] * 8


# --- rejections ---------------------------------------------------------------------------

REJECTED = [
    ("", "the expression is empty"),
    ("   ", "the expression is empty"),
    ("foo(x)", "unknown function 'foo'"),
    ("y", "unknown name 'y'"),
    ("x.real", "'.' at position 1 (attribute access) is not allowed"),
    ("__import__", "unknown name '__import__'"),
    ("x.__class__", "attribute access"),
    ("lambda", "unknown name 'lambda'"),
    ("(lambda: 1)()", "character ':'"),
    ("'x'", "quotes (strings)"),
    ('"x"', "quotes (strings)"),
    ("[x]", "character '['"),
    ("{x}", "character '{'"),
    ("x, x", "',' at position 1 outside a function call"),
    ("x; x", "character ';'"),
    ("x = 1", "character '='"),
    ("if", "unknown name 'if'"),
    ("2x", "expected an operator before 'x'"),
    ("x(2)", "the variable 'x' is not a function"),
    ("exp", "the function 'exp' must be called"),
    ("exp()", "exp() needs an argument"),
    ("exp(x, 2)", "exp() takes 1 arguments, not 2"),
    ("max(x)", "max() takes 2 or more arguments, not 1"),
    ("(x", "expected ')'"),
    ("x)", "unmatched ')'"),
    ("x +", "expected a number, a name or '('"),
    ("1/0", "division by zero"),
    ("log(0)", "not finite"),
    ("sqrt(-1)", "not real"),
    ("x" * 3 + "+x" * (MAX_LENGTH // 2), f"longer than {MAX_LENGTH} characters"),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), f"deeper than {MAX_DEPTH} levels"),
    ("-" * (MAX_DEPTH + 1) + "x", f"deeper than {MAX_DEPTH} levels"),
    ("sigmoid(" * 11 + "x" + ")" * 11, "more than 40 operations deep"),
    ("x**1001", "larger than 1000 in magnitude"),
    ("x**9**9**9", "larger than 1000 in magnitude"),
    ("1" * 101, "more than 100 digits"),
    ("1e309", "beyond ±308"),
    ("(2**1000)**1000", "would exceed 1000 digits"),
    ("exp(1000*log(10**100))", "would exceed 1000 digits"),
    ("abs(exp(exp(exp(1000))) - 1)", "SymPy cannot evaluate a number in it"),
    ("x*z", "unknown name 'z'"),
]


@pytest.mark.parametrize("text, reason", REJECTED)
def test_rejected_with_one_line(text, reason):
    with pytest.raises(UsageError) as caught:
        parse_expression(text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"activation={text[:57]!r}" if len(text) <= 60 else
                              f"activation={text[:57] + '...'!r}")
    assert reason in message
    assert "allowed: numbers, the variable x, pi, e, + - * / ** ^, parentheses and the " \
           "functions exp, log, ln, sqrt, tanh," in message


def test_rejections_through_the_lookups_name_the_argument():
    with pytest.raises(UsageError, match=r"^activation='x\.real': '\.' at position 1"):
        get_activation("x.real")
    with pytest.raises(UsageError, match=r"^activations='foo\(x\)': unknown function 'foo'"):
        get_activation("foo(x)", argument="activations")
    with pytest.raises(UsageError, match=r"^cost='x - y': unknown name 'x'.*variables a and y"):
        get_cost("x - y")
    with pytest.raises(UsageError, match="use one variable, x or z, not both"):
        custom_activation("x*z")


# --- hostile and generated input ------------------------------------------------------------

HOSTILE = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"__import__(\"os\").system(\"touch {SENTINEL}\")",
    "().__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "x**9**9**9",
    "exp(exp(exp(exp(1000))))",
    "'a'*10**9",
    "(" * 10000,
    "(" * 999 + "x" + ")" * 999,
    "x.real",
    "getattr(x,'y')",
    "[x for x in ()]",
    "Symbol('x')",
    "exec('1')",
    "eval('1')",
    "open('/etc/passwd')",
    "x;import os",
    "x\nimport os",
    "9" * 1000,
    "1e99999999999999999999",
    "10**10**10",
    "x**(10**10)",
    "exp(log(10**300)*1000)",
    "((sqrt(2)**999)**999)**999",
    "Max(exp(exp(exp(1000))), exp(exp(exp(999))))",
    "sign(exp(exp(exp(1000))) - exp(exp(exp(999))))",
    "sqrt(" + "9" * 100 + ")",
    "x" + "**x" * 60,
    "sin(10**300*pi/7)",
    "\x00",
    "x\u00a0+1",
    "\u0663*x",
]

ALPHABET = "x+-*/^().,_'\"0123456789 eEabcdgilmnopqrstwyz[]{}:;=#!\\"
NUMBERS = st.one_of(st.integers(0, 10 ** 6).map(str),
                    st.decimals(0, 1000, places=3, allow_nan=False).map(str),
                    st.sampled_from(["1e3", "2.5E-2", ".5", "0", "1e308"]))
LEAVES = st.one_of(st.just("x"), st.just("x"), NUMBERS, st.sampled_from(["pi", "e"]))
UNARY = ["exp", "log", "ln", "sqrt", "tanh", "sinh", "cosh", "sin", "cos", "atan", "sigmoid",
         "softplus", "erf", "erfc", "abs", "Heaviside", "sign"]


def expressions(*, max_leaves: int = 12) -> st.SearchStrategy[str]:
    """Valid expressions from the grammar (they may still be rejected: log(0), 1/0, ...)."""
    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner)
            .map(lambda t: f"({t[0]}){t[1]}({t[2]})" if t[1] in ("**", "^") and t[2] != "x"
                 else f"{t[0]} {t[1]} {t[2]}"),
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["max", "min"]), st.lists(inner, min_size=2, max_size=3))
            .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            inner.map(lambda s: f"-({s})"),
            inner.map(lambda s: f"({s})"),
        )
    return st.recursive(LEAVES, extend, max_leaves=max_leaves)


def hostile_variants() -> st.SearchStrategy[str]:
    """The hostile strings, alone, cut, or with generated text around them."""
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.tuples(st.sampled_from(HOSTILE), st.integers(0, 60)).map(lambda t: t[0][:t[1]]),
        st.tuples(st.text(ALPHABET, max_size=8), st.sampled_from(HOSTILE),
                  st.text(ALPHABET, max_size=8)).map("".join),
    )


def _refuse(*args, **kwargs):
    raise AssertionError("user text reached eval/exec/sympify")


def _sympify_no_strings(original):
    def guarded(value, *args, **kwargs):
        if isinstance(value, str):
            raise AssertionError(f"sympify called on a string: {value!r}")
        return original(value, *args, **kwargs)
    return guarded


@contextlib.contextmanager
def nothing_evaluated():
    """eval, exec, parse_expr and sympify of a string all fail inside this block."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(builtins, "eval", _refuse))
        stack.enter_context(mock.patch.object(builtins, "exec", _refuse))
        stack.enter_context(mock.patch.object(sympy_parser, "parse_expr", _refuse))
        stack.enter_context(mock.patch.object(sympy_parser, "eval_expr", _refuse))
        stack.enter_context(mock.patch.object(sp, "sympify", _sympify_no_strings(sp.sympify)))
        stack.enter_context(mock.patch("sympy.core.sympify.sympify",
                                       _sympify_no_strings(sp.sympify)))
        yield


def check_safely(text: str, variables=("x",)) -> None:
    """Parse: a SymPy expression or a one-line UsageError, quickly, with no side effect."""
    start = time.perf_counter()
    with nothing_evaluated():
        try:
            result = parse_expression(text, variables)
        except UsageError as error:
            assert "\n" not in str(error) and str(error).startswith("activation=")
        else:
            assert isinstance(result, sp.Expr)
            assert result.free_symbols <= {sp.Symbol(v, real=True) for v in variables}
            assert not result.has(sp.zoo, sp.nan, sp.I)
    elapsed = time.perf_counter() - start
    assert elapsed < PARSE_SECONDS, f"{text!r} took {elapsed:.2f} s"
    assert not os.path.exists(SENTINEL)


def test_the_guard_catches_eval():
    # the harness must be able to fail: code that evals user text is caught
    with nothing_evaluated(), pytest.raises(AssertionError):
        eval("1")
    with nothing_evaluated(), pytest.raises(AssertionError, match="sympify called on a string"):
        sp.sympify("x + 1")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_are_safe(text):
    check_safely(text)
    check_safely(text, ("a", "y"))


@pytest.mark.parametrize("text", [h for h in HOSTILE if h not in (
    "exp(exp(exp(exp(1000))))", "sin(10**300*pi/7)", "sqrt(" + "9" * 100 + ")")])
def test_hostile_strings_are_refused(text):
    with nothing_evaluated(), pytest.raises(UsageError) as caught:
        parse_expression(text)
    assert "\n" not in str(caught.value)


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(ALPHABET, max_size=60))
def test_random_text_is_parsed_or_refused(text):
    check_safely(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_grammar_expressions_are_parsed_or_refused(text):
    check_safely(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_variants())
def test_hostile_variants_are_parsed_or_refused(text):
    check_safely(text)
    check_safely(text, ("a", "y"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_leaves=6))
def test_canonical_text_parses_back(text):
    try:
        parsed = parse_expression(text)
    except UsageError:
        return
    assert parse_expression(sp.sstr(parsed)) == parsed


def test_custom_activation_never_evaluates_user_text():
    # lambdify execs code generated from our own SymPy object; the user's text never gets there
    texts = []
    real_exec = builtins.exec

    def watching_exec(source, *args, **kwargs):
        texts.append(source)
        return real_exec(source, *args, **kwargs)

    user_text = "x*tanh(log(1+exp(x))) + 0.25*abs(x)"
    with mock.patch.object(builtins, "exec", watching_exec), \
            mock.patch.object(sympy_parser, "parse_expr", _refuse), \
            mock.patch.object(sp, "sympify", _sympify_no_strings(sp.sympify)):
        act = custom_activation(user_text)
    assert all(user_text not in str(source) for source in texts)
    assert act.derivative(z) == sp.diff(z * sp.tanh(sp.log(1 + sp.exp(z))) + sp.Abs(z) / 4, z)
