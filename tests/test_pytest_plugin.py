"""symgrad's pytest plugin, run inside a throw-away project by pytest's ``pytester``.

A correct NumPy backprop passes every regime in float64 and float32 (the network on the
call or on the marker); a wrong one fails with the regimes named and the summary per layer
first; bad options are one line.
"""
from __future__ import annotations

from importlib.metadata import entry_points

import pytest

import symgrad.oracle.regimes                  # noqa: F401  imported here, outside the runs:
import symgrad.pytest_plugin                   # noqa: F401  pytester's in-process runs drop
                                               #             the modules they import
pytest_plugins = ("pytester",)

BACKPROP = '''
import numpy as np
import pytest


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z):                       # e^{-|z|}/(1 + e^{-|z|})²: stable
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2


def my_backprop(params, x, y, bug=None):
    L = len([k for k in params if k.startswith("W_")])
    a, zs = [x], []
    for l in range(1, L + 1):                # rows are samples: z = a W^T + b
        zs.append(a[-1] @ params[f"W_{l}"].T + params[f"b_{l}"])
        a.append(sigmoid(zs[-1]))
    delta = (a[-1] - y) * sigmoid_prime(zs[-1])          # quadratic cost: dC/da = a - y
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W_{l}"] = delta.T @ a[l - 1]
        grads[f"b_{l}"] = delta.sum(axis=0)
        if l > 1:
            back = delta @ params[f"W_{l}"]
            delta = back if bug == "missing_sigma_prime" and l == L else \\
                back * sigmoid_prime(zs[l - 2])
    return grads
'''


def run(pytester, test_source: str, *args):
    pytester.makepyfile(backprop=BACKPROP, test_it=test_source)
    installed = any(e.value.startswith("symgrad.pytest_plugin")
                    for e in entry_points(group="pytest11"))
    plugin = () if installed else ("-p", "symgrad.pytest_plugin")
    return pytester.runpytest(*plugin, "-p", "no:cacheprovider", *args)


def test_a_correct_backprop_passes_every_regime(pytester):
    result = run(pytester, '''
import pytest
from backprop import my_backprop

def test_float64(symgrad_oracle):
    reports = symgrad_oracle.check(my_backprop, network="3,5,4,2", activation="sigmoid")
    assert sorted(reports) == ["exploding", "ordinary", "saturated", "vanishing"]
    assert all(r.passed for r in reports.values())

@pytest.mark.symgrad(network="4,6,3", activation="sigmoid", dtype="float32", samples=3,
                     regimes=["ordinary", "saturated", "vanishing"])
def test_float32_on_the_marker(symgrad_oracle):
    reports = symgrad_oracle.check(my_backprop)
    assert {r.dtype for r in reports.values()} == {"float32"}

def test_a_chain(symgrad_oracle):
    symgrad_oracle.check(my_backprop, network="1,1,1,1", regimes=["ordinary", "exploding"])
''')
    result.assert_outcomes(passed=3)


def test_a_correct_float32_backprop_passes_the_exploding_regime(pytester):
    result = run(pytester, '''
from backprop import my_backprop

def test_exploding(symgrad_oracle):
    symgrad_oracle.check(my_backprop, network="4,6,3", dtype="float32", samples=3,
                         regimes=["exploding"])
''')
    result.assert_outcomes(passed=1)


def test_a_wrong_backprop_fails_with_the_layer_summary_first(pytester):
    result = run(pytester, '''
import functools
from backprop import my_backprop

def test_missing_sigma_prime(symgrad_oracle):
    wrong = functools.partial(my_backprop, bug="missing_sigma_prime")
    wrong.__name__ = "wrong_backprop"
    symgrad_oracle.check(wrong, network="3,5,4,2", activation="sigmoid", dtype="float32")
''')
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    head = "symgrad oracle: wrong_backprop disagrees with the reference in "
    assert head in text and "Dense(widths=[3, 5, 4, 2]" in text
    lines = text.splitlines()
    at = next(k for k, line in enumerate(lines) if line.startswith("[ordinary] "))
    assert lines[at + 1] == "per layer, output first:"
    assert lines[at + 2].startswith("  layer 3  W_3, b_3 (sigmoid): 0 of ")
    assert lines[at + 3].startswith("  layer 2  W_2, b_2 (sigmoid): ")
    assert lines[at + 3].endswith("<- the first disagreement, in backpropagation order")
    assert "Traceback" not in text


def test_options_are_checked(pytester):
    result = run(pytester, '''
import pytest
from backprop import my_backprop
from symgrad.errors import UsageError

def test_no_network(symgrad_oracle):
    with pytest.raises(UsageError, match="^network=None: give the widths"):
        symgrad_oracle.check(my_backprop)

def test_unknown_option(symgrad_oracle):
    with pytest.raises(UsageError, match="^check: unknown option 'activations'"):
        symgrad_oracle.check(my_backprop, network="2,2", activations="tanh")

def test_bad_dtype(symgrad_oracle):
    with pytest.raises(UsageError, match="^dtype='float8': must be one of"):
        symgrad_oracle.check(my_backprop, network="2,2", dtype="float8")

@pytest.mark.symgrad(netwrok="2,2")
def test_bad_marker(symgrad_oracle):
    pass
''')
    result.assert_outcomes(passed=3, errors=1)
    assert "symgrad marker: unknown option 'netwrok'" in result.stdout.str()


def test_the_marker_is_registered(pytester):
    result = run(pytester, "def test_nothing():\n    pass\n", "--markers")
    assert any(line.startswith("@pytest.mark.symgrad(network, activation")
               for line in result.stdout.lines)
