"""Test vectors: ``symgrad vectors`` writes them, ``symgrad verify`` judges results by them."""
from __future__ import annotations

import json
import os
from pathlib import Path

import mpmath
import pytest

from symgrad.cli.main import main
from symgrad.derivation import derive
from symgrad.model.network import Chain
from symgrad.numeric.chain import mp_gradients
from symgrad.oracle.core import (VECTORS_FORMAT, make_vectors, network_from_description,
                            read_vectors, vectors_text)

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def _jsonschema():
    """jsonschema for validating against the schemas; a test extra, required under CI."""
    if os.environ.get("CI"):
        import jsonschema
        return jsonschema
    return pytest.importorskip("jsonschema")


def _write_vectors(tmp_path, *args) -> tuple[Path, dict]:
    path = tmp_path / "vectors.json"
    assert main(["vectors", *args, "-o", str(path)]) == 0
    return path, json.loads(path.read_text())


def _results(doc, change=None) -> dict:
    """What a float64 implementation would write: every gradient as a JSON number."""
    cases = [{"gradients": {n: float(v) for n, v in c["gradients"].items()}}
             for c in doc["cases"]]
    if change:
        change(cases)
    return {"cases": cases}


def _verify(tmp_path, vectors: Path, results, *extra):
    path = tmp_path / "results.json"
    path.write_text(results if isinstance(results, str) else json.dumps(results))
    return main(["verify", str(vectors), str(path), *extra])


# --- writing -----------------------------------------------------------------------------------

def test_vectors_file_matches_the_schema_and_the_issue(tmp_path):
    path, doc = _write_vectors(tmp_path, "--depth", "3", "--count", "4", "--seed", "5",
                               "--digits", "25", "--activations", "tanh,relu,sigmoid")
    assert path.read_text().splitlines()[0].startswith(
        '{"format": "symgrad-vectors/1", "generator": "symgrad ')
    assert doc["format"] == VECTORS_FORMAT and doc["digits"] == 25 and len(doc["cases"]) == 4
    assert doc["network"]["activations"] == ["tanh", "relu", "sigmoid"]
    assert doc["network"]["expressions"]["tanh"] == "tanh(z)"
    schema = json.loads((SCHEMAS / "symgrad-vectors-1.schema.json").read_text())
    _jsonschema().validate(doc, schema)
    for case in doc["cases"]:
        numbers = [*case["inputs"].values(), *case["parameters"].values(), case["cost"],
                   *case["gradients"].values()]
        for text in numbers:
            if text != "0":
                mantissa = text.lstrip("-").split("e")[0].replace(".", "")
                assert len(mantissa) == 25, text


def test_gradients_are_exact_for_the_decimals_as_written(tmp_path):
    """A reader that parses the decimals reproduces every gradient to all D digits: the
    parameters were rounded first, the gradients computed from the rounded values (here
    recomputed at 3D digits from the file's strings)."""
    digits = 12
    _, doc = _write_vectors(tmp_path, "--depth", "6", "--count", "3", "--digits", str(digits),
                            "--activation", "gelu", "--seed", "1")
    d = derive(network_from_description(doc["network"]))
    for case in doc["cases"]:
        truth = mp_gradients(d, case["parameters"], case["inputs"], digits=3 * digits)
        with mpmath.workdps(3 * digits):
            for name, text in case["gradients"].items():
                assert abs(mpmath.mpf(text) - truth[name]) <= \
                    mpmath.mpf(10) ** (1 - digits) / 2 * abs(truth[name]), name
        # and the gradients are not those of the unrounded floats: the rounding mattered
        assert all(len(v.split("e")[0].replace("-", "").replace(".", "")) == digits
                   for v in case["parameters"].values())


def test_same_seed_same_file_other_seed_other_file(tmp_path):
    a = make_vectors(Chain(depth=2), count=2, seed=3, digits=10)
    b = make_vectors(Chain(depth=2), count=2, seed=3, digits=10)
    c = make_vectors(Chain(depth=2), count=2, seed=4, digits=10)
    assert vectors_text(a) == vectors_text(b) != vectors_text(c)


def test_custom_activation_is_recorded_by_its_expression(tmp_path):
    path, doc = _write_vectors(tmp_path, "--depth", "2", "--count", "1", "--digits", "15",
                               "--activation", "x*tanh(log(1+exp(x)))")
    name = doc["network"]["activations"][0]
    assert name == "custom:x*tanh(log(exp(x) + 1))"
    assert doc["network"]["expressions"][name] == "z*tanh(log(exp(z) + 1))"
    net, _ = read_vectors(path.read_text())
    assert net.sigma(1).name == name
    assert _verify(tmp_path, path, _results(doc)) == 0


def test_prelu_slopes_are_parameters_too(tmp_path):
    path, doc = _write_vectors(tmp_path, "--depth", "3", "--count", "2", "--activation", "prelu",
                               "--digits", "20")
    assert sorted(doc["cases"][0]["gradients"]) == sorted(
        ["alpha_1", "alpha_2", "alpha_3", "b_1", "b_2", "b_3", "w_1", "w_2", "w_3"])
    assert _verify(tmp_path, path, _results(doc)) == 0


def test_output_is_written_whole_and_never_over_a_foreign_file(tmp_path, capsys):
    foreign = tmp_path / "notes.json"
    foreign.write_text("my notes\n")
    assert main(["vectors", "--depth", "2", "-o", str(foreign)]) == 2
    assert "exists and was not written by symgrad; pass --force" in capsys.readouterr().err
    assert foreign.read_text() == "my notes\n"
    assert main(["vectors", "--depth", "2", "--count", "1", "-o", str(foreign), "--force"]) == 0
    # a file symgrad wrote is replaced without --force
    assert main(["vectors", "--depth", "3", "--count", "1", "-o", str(foreign)]) == 0
    assert json.loads(foreign.read_text())["network"]["depth"] == 3


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "count=0: must be an integer from 1 to 100000"),
    (["--digits", "0"], "digits=0: must be an integer from 1 to 2000"),
    (["--seed", "-1"], "seed=-1: must be an integer >= 0"),
    (["--depth", "0"], "depth=0: depth must be an integer >= 1"),
    (["--activation", "__import__('os')"], "activation=\"__import__('os')\""),
])
def test_bad_options_are_one_line_exit_2(args, message, capsys):
    assert main(["vectors", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


# --- verifying ---------------------------------------------------------------------------------

@pytest.fixture
def vectors(tmp_path):
    return _write_vectors(tmp_path, "--depth", "4", "--count", "3", "--digits", "30")


def test_verify_agrees_with_a_correct_float64_implementation(tmp_path, vectors, capsys):
    path, doc = vectors
    assert _verify(tmp_path, path, _results(doc)) == 0
    out = capsys.readouterr().out
    assert out == ("24 values in 3 cases of Chain(depth=4, activation='sigmoid', "
                   "cost='quadratic') (condition-aware, float64, from 30-digit vectors): "
                   "all agree\n")
    # numbers as strings are fine too, and the schema accepts both
    as_strings = {"cases": [{"gradients": c["gradients"], "cost": c["cost"]} for c in doc["cases"]]}
    assert _verify(tmp_path, path, as_strings) == 0
    schema = json.loads((SCHEMAS / "symgrad-results-1.schema.json").read_text())
    _jsonschema().validate(_results(doc), schema)
    _jsonschema().validate(as_strings, schema)


def test_verify_reports_every_disagreement_first_first(tmp_path, vectors, capsys):
    path, doc = vectors

    def break_some(cases):
        cases[1]["gradients"]["w_2"] *= 1.001
        cases[0]["gradients"]["b_1"] *= -1
        cases[2]["gradients"]["b_4"] = 0

    assert _verify(tmp_path, path, _results(doc, break_some)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("3 disagree (in file order):")
    expected_b1 = doc["cases"][0]["gradients"]["b_1"]
    assert lines[1].startswith(f"case 0, b_1: expected {expected_b1}, got ")
    assert lines[1].endswith("relative error 2.0e+0 > tolerance 1.0e-12")
    assert lines[2].startswith("case 1, w_2: ") and "relative error 1.0e-3 >" in lines[2]
    assert lines[3].startswith("case 2, b_4: ") and "relative error 1.0e+0 >" in lines[3]
    assert len(lines) == 4


def test_verify_rtol_override(tmp_path, vectors, capsys):
    path, doc = vectors

    def nudge(cases):
        cases[0]["gradients"]["b_1"] *= 1 + 1e-6

    assert _verify(tmp_path, path, _results(doc, nudge)) == 1
    assert _verify(tmp_path, path, _results(doc, nudge), "--rtol", "1e-5") == 0
    assert "(rtol 1.0e-5, fixed)" in capsys.readouterr().out


def test_verify_never_checks_tighter_than_the_vectors_digits(tmp_path, capsys):
    path, doc = _write_vectors(tmp_path, "--depth", "2", "--count", "1", "--digits", "6")
    # float64 values of 6-digit decimals agree to 6 digits only: that is not a disagreement
    assert _verify(tmp_path, path, _results(doc)) == 0


@pytest.mark.parametrize("results, message", [
    ('{"cases": [', "results.json: malformed JSON at line 1, column 12: Expecting value"),
    ('{"cases": []}', "results.json.cases: 0 cases, the vector file has 3"),
    ('{"case": []}', "results.json: missing the list 'cases'"),
    ('[1, 2]', "results.json: must be a JSON object"),
])
def test_verify_unusable_results_exit_2_naming_the_place(tmp_path, vectors, results, message,
                                                         capsys):
    path, _ = vectors
    assert _verify(tmp_path, path, results) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"symgrad: error: {tmp_path}") and err.endswith(f"/{message}\n")
    assert err.count("\n") == 1


def test_verify_names_missing_parameters_nan_and_unknown_names(tmp_path, vectors, capsys):
    path, doc = vectors
    results = _results(doc)
    del results["cases"][2]["gradients"]["w_3"]
    assert _verify(tmp_path, path, results) == 2
    assert "results.json.cases[2].gradients: missing 'w_3'" in capsys.readouterr().err
    text = json.dumps(_results(doc)).replace(
        json.dumps(float(doc["cases"][1]["gradients"]["b_2"])), "NaN", 1)
    assert _verify(tmp_path, path, text) == 2
    assert "results.json.cases[1].gradients.b_2=NaN: must be a finite decimal number" in \
        capsys.readouterr().err
    results = _results(doc)
    results["cases"][0]["gradients"]["w_9"] = 1.0
    assert _verify(tmp_path, path, results) == 2
    assert "results.json.cases[0].gradients: unknown 'w_9'" in capsys.readouterr().err
    results = _results(doc)
    results["cases"][0]["gradients"]["w_1"] = "abc"
    assert _verify(tmp_path, path, results) == 2
    assert "results.json.cases[0].gradients.w_1='abc': must be a finite decimal" in \
        capsys.readouterr().err


def test_verify_unusable_vectors(tmp_path, vectors, capsys):
    path, doc = vectors
    broken = tmp_path / "broken.json"
    for change, message in [
        (lambda d: d.update(format="other/1"), "format='other/1': must be 'symgrad-vectors/1'"),
        (lambda d: d["network"].update(depth=5), "network.activations: 4 given, depth 5 needs 5"),
        (lambda d: d["cases"][1]["parameters"].pop("b_3"), "cases[1].parameters: missing 'b_3'"),
        (lambda d: d.update(digits=0), "digits=0: must be an integer from 1 to 2000"),
        (lambda d: d["network"].update(activations=["sigmod"] * 4),
         "network: activation='sigmod': unknown activation"),
    ]:
        copy = json.loads(json.dumps(doc))
        change(copy)
        broken.write_text(json.dumps(copy))
        results = tmp_path / "r.json"
        results.write_text(json.dumps(_results(doc)))
        assert main(["verify", str(broken), str(results)]) == 2
        assert message in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "nothing.json"), str(path)]) == 2
    assert "nothing.json': no such file" in capsys.readouterr().err


# --- dense networks: nested lists in layer order ----------------------------------------------

import re  # noqa: E402

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from symgrad.model.network import Dense
from symgrad.numeric.dense import gradients as dense_gradients  # noqa: E402
from symgrad.oracle.core import decimal_string  # noqa: E402

DENSE = ["--widths", "2,3,2", "--activations", "tanh,sigmoid", "--samples-in-loss", "2",
         "--count", "3", "--seed", "4", "--digits", "25"]


def _dense_results(doc, change=None) -> dict:
    """What a float64 NumPy backprop writes: dense_numeric.gradients at the float64 values of
    the file's decimals, as nested JSON numbers."""
    _, clean = read_vectors(json.dumps(doc))
    net = network_from_description(doc["network"])
    cases = []
    for c in clean["cases"]:
        params = {n: np.array(v, dtype=float) for n, v in c["parameters"].items()}
        g = dense_gradients(net, params, np.array(c["inputs"]["x"], dtype=float),
                            np.array(c["inputs"]["y"], dtype=float))
        cases.append({"gradients": {n: v.tolist() for n, v in g.items()}})
    if change:
        change(cases)
    return {"cases": cases}


@pytest.fixture
def dense_vectors(tmp_path):
    return _write_vectors(tmp_path, *DENSE)


def test_dense_vectors_have_the_documented_shapes_and_match_the_schema(dense_vectors):
    path, doc = dense_vectors
    assert doc["network"] == {
        "kind": "dense", "widths": [2, 3, 2], "depth": 2, "activations": ["tanh", "sigmoid"],
        "cost": "quadratic", "samples": 2, "parameter_count": 17,
        "expressions": {"tanh": "tanh(z)", "sigmoid": "1/(1 + exp(-z))",
                        "quadratic": "(a - y)**2/2"}}
    shapes = {"W_1": (3, 2), "b_1": (3,), "W_2": (2, 3), "b_2": (2,)}
    number = re.compile(r"-?[1-9]\.[0-9]{24}e[-+][0-9]+")    # 25 significant digits
    for case in doc["cases"]:
        assert np.array(case["inputs"]["x"]).shape == (2, 2)     # samples × n_0
        assert np.array(case["inputs"]["y"]).shape == (2, 2)     # samples × n_L
        for part in ("parameters", "gradients"):
            assert list(case[part]) == ["b_2", "b_1", "W_2", "W_1"]
            for name, shape in shapes.items():
                arr = np.array(case[part][name])
                assert arr.shape == shape
                assert all(number.fullmatch(v) for v in arr.reshape(-1)), (part, name)
        assert number.fullmatch(case["cost"])
    schema = json.loads((SCHEMAS / "symgrad-vectors-1.schema.json").read_text())
    _jsonschema().validate(doc, schema)
    # the chain branch does not accept a dense case, and vice versa
    broken = json.loads(json.dumps(doc))
    broken["cases"][0]["inputs"] = {"a_0": "1", "y": "0"}
    with pytest.raises(_jsonschema().ValidationError):
        _jsonschema().validate(broken, schema)


def test_dense_gradients_are_exact_for_the_decimals_as_written(tmp_path):
    """An independent witness: SymPy differentiates the composed cost of a [1, 2, 1]
    network summed over 2 samples and evaluates it in exact rationals (the decimals as
    written) at 60 digits; rounded to D digits it is the file's string, digit for digit."""
    path, doc = _write_vectors(tmp_path, "--widths", "1,2,1", "--activations", "tanh,sigmoid",
                               "--samples-in-loss", "2", "--count", "2", "--seed", "7",
                               "--digits", "30")
    W1 = sp.Matrix(2, 1, sp.symbols("w1_0:2"))
    b1 = sp.Matrix(2, 1, sp.symbols("b1_0:2"))
    W2 = sp.Matrix(1, 2, sp.symbols("w2_0:2"))
    b2 = sp.Matrix(1, 1, [sp.Symbol("b2_0")])
    X, Y = sp.symbols("x0:2"), sp.symbols("y0:2")
    C = 0
    for x, y in zip(X, Y):   # C = Σ_i ½ (σ(W_2 tanh(W_1 x_i + b_1) + b_2) − y_i)²
        a1 = (W1 * sp.Matrix([[x]]) + b1).applyfunc(sp.tanh)
        z2 = (W2 * a1 + b2)[0]
        C += (1 / (1 + sp.exp(-z2)) - y) ** 2 / 2
    for case in doc["cases"]:
        q = sp.Rational                        # the decimal strings, exactly
        p = case["parameters"]
        at = {**{s: q(v) for s, v in zip(W1, [r[0] for r in p["W_1"]])},
              **{s: q(v) for s, v in zip(b1, p["b_1"])},
              **{s: q(v) for s, v in zip(W2, p["W_2"][0])}, b2[0]: q(p["b_2"][0]),
              **{s: q(r[0]) for s, r in zip(X, case["inputs"]["x"])},
              **{s: q(r[0]) for s, r in zip(Y, case["inputs"]["y"])}}
        expected = {"W_1": [[s] for s in W1], "b_1": list(b1), "W_2": [list(W2)],
                    "b_2": [b2[0]]}
        for name, symbols in expected.items():
            got = case["gradients"][name]
            truth = [[sp.diff(C, s).subs(at).evalf(60) for s in row] if isinstance(row, list)
                     else sp.diff(C, row).subs(at).evalf(60) for row in symbols]
            with mpmath.workdps(70):
                as_text = [[decimal_string(mpmath.mpf(str(v)), 30) for v in row]
                           if isinstance(row, list) else decimal_string(mpmath.mpf(str(row)), 30)
                           for row in truth]
            assert as_text == got, name
        with mpmath.workdps(70):
            assert decimal_string(mpmath.mpf(str(C.subs(at).evalf(60))), 30) == case["cost"]


@pytest.mark.parametrize("options", [
    DENSE,
    ["--widths", "3,4,3", "--activation", "relu", "--cost", "softmax-cross-entropy",
     "--samples-in-loss", "3", "--count", "2", "--digits", "20"],
    ["--widths", "2,2,1", "--activations", "prelu,linear", "--cost", "squared-error",
     "--count", "2", "--digits", "20"],
])
def test_dense_round_trip_with_numpy_float64_backprop(tmp_path, options, capsys):
    path, doc = _write_vectors(tmp_path, *options)
    results = _dense_results(doc)
    assert _verify(tmp_path, path, results) == 0
    net = network_from_description(doc["network"])
    count = sum(int(np.prod(net.parameter_shape(n))) for n in net.parameter_names())
    digits = doc["digits"]
    assert capsys.readouterr().out == (
        f"{count * len(doc['cases'])} values in {len(doc['cases'])} cases of {net!r} (rtol "
        f"1.0e-10 relative to each array's largest entry, float64 default, from {digits}-digit "
        "vectors): all agree\n")
    schema = json.loads((SCHEMAS / "symgrad-results-1.schema.json").read_text())
    _jsonschema().validate(results, schema)
    # the file's own strings, with the cost, agree too
    as_strings = {"cases": [{"gradients": c["gradients"], "cost": c["cost"]}
                            for c in doc["cases"]]}
    _jsonschema().validate(as_strings, schema)
    assert _verify(tmp_path, path, as_strings) == 0


def test_dense_error_of_a_thousandth_in_one_component_is_caught(tmp_path, dense_vectors,
                                                                 capsys):
    path, doc = dense_vectors
    # the component of W_1 smallest in magnitude: its error is smallest beside the array's scale
    W1 = np.array(doc["cases"][1]["gradients"]["W_1"], dtype=float)
    j, k = np.unravel_index(np.argmin(abs(W1)), W1.shape)

    def break_two(cases):
        cases[1]["gradients"]["W_1"][j][k] *= 1.001
        cases[0]["gradients"]["b_2"][1] *= 1.001

    results = _dense_results(doc, break_two)
    assert _verify(tmp_path, path, results) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("2 disagree (in file order):")
    # the error is measured against the array's largest entry: 1e-3 |b_2[1]| / max |b_2|
    b2 = np.array(doc["cases"][0]["gradients"]["b_2"], dtype=float)
    b2_err = f"{1e-3 * abs(b2[1]) / abs(b2).max():.1e}".replace("e-0", "e-")
    assert lines[1] == (f"case 0, b_2[1]: expected {doc['cases'][0]['gradients']['b_2'][1]}, "
                        f"got {results['cases'][0]['gradients']['b_2'][1]!r}, relative error "
                        f"{b2_err} > tolerance 1.0e-10")
    err = float(f"{1e-3 * abs(W1[j, k]) / abs(W1).max():.1e}")
    assert lines[2].startswith(f"case 1, W_1[{j}][{k}]: expected ")
    assert float(lines[2].split("relative error ")[1].split(" >")[0]) == \
        pytest.approx(err, rel=0.06)
    assert lines[2].endswith("> tolerance 1.0e-10") and len(lines) == 3
    # a fixed rtol above the error lets both pass
    assert _verify(tmp_path, path, _dense_results(doc, break_two), "--rtol", "2e-3") == 0


@pytest.mark.parametrize("change, message", [
    (lambda c: c[0]["gradients"]["W_2"].__setitem__(1, c[0]["gradients"]["W_2"][1][:2]),
     "results.json.cases[0].gradients.W_2[1]: expected 3 entries, got 2"),
    (lambda c: c[2]["gradients"]["W_1"].pop(),
     "results.json.cases[2].gradients.W_1: expected 3 entries, got 2"),
    (lambda c: c[1]["gradients"].__setitem__("b_1", 0.5),
     "results.json.cases[1].gradients.b_1: expected a list of 3 numbers, got 0.5"),
    (lambda c: c[1]["gradients"]["W_2"].__setitem__(0, {"x": 1}),
     "results.json.cases[1].gradients.W_2[0]: expected a list of 3 numbers, got an object"),
    (lambda c: c[0]["gradients"]["b_1"].__setitem__(2, [1.0]),
     "results.json.cases[0].gradients.b_1[2]=[1.0]: must be a finite decimal number"),
    (lambda c: c[0]["gradients"].pop("W_1"), "results.json.cases[0].gradients: missing 'W_1'"),
    (lambda c: c[0]["gradients"].__setitem__("w_1", 1.0),
     "results.json.cases[0].gradients: unknown 'w_1'; this network has b_2, b_1, W_2, W_1"),
])
def test_dense_unusable_results_exit_2_naming_the_place(tmp_path, dense_vectors, change,
                                                        message, capsys):
    path, doc = dense_vectors
    assert _verify(tmp_path, path, _dense_results(doc, change)) == 2
    err = capsys.readouterr().err
    assert err.endswith(f"/{message}\n") and err.count("\n") == 1


def test_dense_nan_is_named_with_its_indices(tmp_path, dense_vectors, capsys):
    path, doc = dense_vectors
    results = _dense_results(doc)
    value = results["cases"][1]["gradients"]["W_1"][2][1]
    text = json.dumps(results).replace(json.dumps(value), "NaN", 1)
    assert _verify(tmp_path, path, text) == 2
    assert capsys.readouterr().err.endswith(
        "/results.json.cases[1].gradients.W_1[2][1]=NaN: must be a finite decimal number\n")


def test_dense_unusable_vectors(tmp_path, dense_vectors, capsys):
    path, doc = dense_vectors
    broken = tmp_path / "broken.json"
    results = tmp_path / "r.json"
    results.write_text(json.dumps(_dense_results(doc)))
    for change, message in [
        (lambda d: d["cases"][0]["inputs"]["x"].pop(), "cases[0].inputs.x: expected 2 entries, got 1"),
        (lambda d: d["cases"][2]["inputs"].update(a_0="1"),
         "cases[2].inputs: unknown 'a_0'; a dense case has x and y"),
        (lambda d: d["cases"][1]["parameters"]["W_1"][0].append("1"),
         "cases[1].parameters.W_1[0]: expected 2 entries, got 3"),
        (lambda d: d["network"].update(widths=[2, 0, 2]),
         "network.widths=[2, 0, 2]: must be a list of at least two integers >= 1"),
        (lambda d: d["network"].update(activations=["tanh"]), "network: activations="),
        (lambda d: d["network"].update(samples=3), "cases[0].inputs.x: expected 3 entries, got 2"),
        (lambda d: d["network"].update(kind="conv"),
         "network.kind='conv': must be 'chain' or 'dense'"),
    ]:
        copy = json.loads(json.dumps(doc))
        change(copy)
        broken.write_text(json.dumps(copy))
        assert main(["verify", str(broken), str(results)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (message, err)


def test_dense_vectors_are_seeded_and_rounded_first(tmp_path):
    _, first = _write_vectors(tmp_path, *DENSE)
    assert make_vectors(Dense([2, 3, 2], ["tanh", "sigmoid"], samples=2), count=3, seed=4,
                        digits=25)["cases"] == first["cases"]
    other = make_vectors(Dense([2, 3, 2], ["tanh", "sigmoid"], samples=2), count=3, seed=5,
                         digits=25)
    assert other["cases"] != first["cases"]
    # few digits: the point is the 4-digit decimals, and the gradients are those of that point
    doc = make_vectors(Dense([2, 2, 1], "sigmoid"), count=1, digits=4)
    case = doc["cases"][0]
    assert all(len(v.split("e")[0].replace("-", "").replace(".", "")) == 4
               for row in case["parameters"]["W_1"] for v in row)
    from symgrad.numeric.dense import gradients_mp_decimal
    g = gradients_mp_decimal(Dense([2, 2, 1], "sigmoid"), case["parameters"],
                             case["inputs"]["x"], case["inputs"]["y"], dps=40)
    assert [[decimal_string(v, 4) for v in row] for row in g["W_1"]] == \
        case["gradients"]["W_1"]
