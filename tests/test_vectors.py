"""Test vectors: ``symgrad vectors`` writes them over the hard regimes in three formats,
``symgrad verify`` reads every format back and gives each value a verdict."""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from symgrad.cli.main import main
from symgrad.model.network import Chain, Dense
from symgrad.oracle import (VECTORS_FORMAT, make_vectors, read_vectors, reference,
                            vectors_text, verify_results)
from symgrad.oracle.decimals import decimal_string

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.implementations import (Backprop, DenseBackprop, MUTANTS, StableBackprop,  # noqa: E402
                                   results_for)

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
DENSE = ["--widths", "2,3,2", "--activations", "tanh,sigmoid", "--samples-in-loss", "2",
         "--count", "5", "--seed", "4", "--digits", "25"]


def _jsonschema():
    """jsonschema for validating against the schemas; a test extra, required under CI."""
    if os.environ.get("CI"):
        import jsonschema
        return jsonschema
    return pytest.importorskip("jsonschema")


def _write(tmp_path, *args, name="vectors.json") -> tuple[Path, str]:
    path = tmp_path / name
    assert main(["vectors", *args, "-o", str(path)]) == 0
    return path, path.read_text()


def _verify(tmp_path, vectors: Path, results, *extra, name="results.json"):
    path = tmp_path / name
    path.write_text(results if isinstance(results, str) else json.dumps(results))
    return main(["verify", str(vectors), str(path), *extra])


def _results(implementation, text: str) -> dict:
    net, doc = read_vectors(text)
    return results_for(implementation(net), net, doc)


# --- writing: regimes, certification, formats ---------------------------------------------------

@pytest.fixture(scope="module")
def chain_doc():
    return make_vectors(Chain(depth=5), count=10, digits=30)


def test_default_vectors_reach_every_regime_and_record_it(chain_doc):
    """Over the default mix: |z| beyond 20, 40, 355 and 709 of both signs, gradients below
    1e-300 that are still exact, ×25 a layer (w = 100, z = 0)."""
    net = Chain(depth=5)
    regimes = [c["regime"] for c in chain_doc["cases"]]
    assert set(regimes) == {"ordinary", "saturated", "vanishing", "exploding"}   # no kink
    zs = []
    for case in chain_doc["cases"]:
        ref = reference(net, case["parameters"], case["inputs"], digits=20)
        zs += [float(z) for z in ref.z[1:]]
        if case["regime"] == "vanishing":
            assert 0 < abs(ref["b_1"]) < 1e-300 and ref.certified
        if case["regime"] == "exploding":      # δ_l = σ'(0) · 100 · δ_{l+1}: ×25 a layer
            assert case["parameters"]["w_3"] == "1.00000000000000000000000000000e+2"
            assert ref["b_1"] / ref["b_2"] == 25
    for bound in (20, 40, 355, 709):
        assert max(zs) > bound and min(zs) < -bound, bound
    assert chain_doc["certified"] and chain_doc["kink"] == "left"
    assert set(chain_doc["regimes"]) == set(regimes)


def test_kink_cases_state_the_convention_and_hit_the_kink_exactly():
    net = Chain(depth=3, activation="relu")
    doc = make_vectors(net, count=3, regime="kink", digits=20)
    assert doc["kink"] == "left" and "as PyTorch takes it" in doc["conventions"]["kink"]
    for case in doc["cases"]:
        ref = reference(net, case["parameters"], case["inputs"], digits=20)
        assert ref.z[1] == 0 and case["inputs"]["a_0"] == "1.0000000000000000000e+0"
        assert all(0 < abs(z) < 1e-8 for z in ref.z[2:])
        assert ref["b_1"] == 0                      # relu'(0) = 0, the left branch


def test_an_exact_cancellation_in_a_dense_layer_stays_exact(tmp_path):
    """The exploding case draws W_1 = ±50, x = 0.5, b_1 = ±50: z_1 = 0 exactly.  Read
    through W = M · 10^−K every entry was a ball, z_1 a ball around 0 that no precision
    shrinks, and the file was "not certified" with gradients of 1e-224 that are 0."""
    _, text = _write(tmp_path, *DENSE)
    doc = json.loads(text)
    assert doc["certified"] is True
    case = next(c for c in doc["cases"] if c["regime"] == "exploding")
    assert case["parameters"]["W_1"][1] == ["-5.000000000000000000000000e+1"] * 2
    assert case["gradients"]["W_2"] == [["0"] * 3] * 2


def test_every_gradient_is_certified_to_its_digits(chain_doc):
    """Recomputed from the file's decimals at three times the digits, every written
    gradient is within one unit in its last digit (the ball was narrower than half)."""
    net, digits = Chain(depth=5), chain_doc["digits"]
    for case in chain_doc["cases"][:5]:
        truth = reference(net, case["parameters"], case["inputs"], digits=3 * digits)
        with mpmath.workdps(3 * digits + 10):
            for name, text in case["gradients"].items():
                unit = mpmath.mpf(10) ** (1 - digits) * abs(truth[name])
                assert abs(mpmath.mpf(text) - truth[name]) <= unit, name


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_every_format_round_trips_through_verify(tmp_path, fmt, capsys):
    path, text = _write(tmp_path, "--depth", "4", "--count", "5", "--digits", "20",
                        "--format", fmt, name=f"v.{fmt}")
    assert text.splitlines()[0].startswith(
        "case,kind,name,index,value" if fmt == "csv" else '{"format": "symgrad-vectors/1"')
    net, doc = read_vectors(text)
    assert net == Chain(depth=4) and len(doc["cases"]) == 5 and doc["digits"] == 20
    assert _verify(tmp_path, path, _results(StableBackprop, text)) == 0
    out = capsys.readouterr().out
    assert out == ("verify: 40 values in 5 cases of Chain(depth=4, activation='sigmoid', "
                   "cost='quadratic') (float64, stable forms × 4; kink left; 20-digit vectors, "
                   "certified): PASS\n  pass: 40 values\n  the cost: C = ½(a_L − y)²\n")


def test_csv_rows_are_one_number_each_zero_based_row_major(tmp_path):
    path, text = _write(tmp_path, *DENSE, "--format", "csv", name="d.csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["case", "kind", "name", "index", "value"]
    numbers = [r for r in rows if r[1] in ("input", "parameter", "cost", "gradient")]
    assert {r[1] for r in numbers} == {"input", "parameter", "cost", "gradient"}
    W2 = {r[3]: r[4] for r in numbers if r[:3] == ["0", "gradient", "W_2"]}
    assert sorted(W2) == [f"{i};{j}" for i in range(2) for j in range(3)]
    _, doc = read_vectors(text)
    assert W2["1;2"] == doc["cases"][0]["gradients"]["W_2"][1][2]
    assert all(r[3] == "" for r in numbers if r[1] == "cost")
    # results in CSV: the gradient rows with the implementation's values
    net, _ = read_vectors(text)
    res = _results(lambda n: DenseBackprop(n), text)
    lines = ["case,kind,name,index,value"]
    for k, case in enumerate(res["cases"]):
        for name, value in case["gradients"].items():
            for idx in np.ndindex(*np.shape(value)):
                lines.append(f"{k},gradient,{name},{';'.join(map(str, idx))},"
                             f"{repr(float(np.asarray(value)[idx]))}")
    assert _verify(tmp_path, path, "\n".join(lines) + "\n", name="r.csv") == 0


def test_vectors_match_the_schema(tmp_path, chain_doc):
    schema = json.loads((SCHEMAS / "symgrad-vectors-1.schema.json").read_text())
    _jsonschema().validate(chain_doc, schema)
    _, text = _write(tmp_path, *DENSE)
    dense = json.loads(text)
    _jsonschema().validate(dense, schema)
    assert dense["network"]["cost_formula"] == "C = sum over samples i of ½‖a_L,i − y_i‖²"
    results = json.loads(json.dumps(_results(lambda n: DenseBackprop(n), text)))
    _jsonschema().validate(results, json.loads(
        (SCHEMAS / "symgrad-results-1.schema.json").read_text()))


def test_dense_gradients_are_exact_for_the_decimals_as_written(tmp_path):
    """SymPy differentiates the composed cost of a [1, 2, 1] network over 2 samples and
    evaluates it in exact rationals at 60 digits: rounded to D digits it is the file."""
    doc = make_vectors(Dense([1, 2, 1], ["tanh", "sigmoid"], samples=2), count=1, seed=7,
                       digits=30, regime="ordinary")
    W1, b1 = sp.Matrix(sp.symbols("w1_0:2")), sp.Matrix(sp.symbols("b1_0:2"))
    W2, b2 = sp.Matrix([sp.symbols("w2_0:2")]), sp.Symbol("b2_0")
    X, Y = sp.symbols("x0:2"), sp.symbols("y0:2")
    C = sum((1 / (1 + sp.exp(-((W2 * (W1 * x + b1).applyfunc(sp.tanh))[0] + b2))) - y) ** 2 / 2
            for x, y in zip(X, Y))
    case, q = doc["cases"][0], sp.Rational
    p = case["parameters"]
    at = {**{s: q(r[0]) for s, r in zip(W1, p["W_1"])}, **dict(zip(b1, map(q, p["b_1"]))),
          **dict(zip(W2, map(q, p["W_2"][0]))), b2: q(p["b_2"][0]),
          **{s: q(r[0]) for s, r in zip(X, case["inputs"]["x"])},
          **{s: q(r[0]) for s, r in zip(Y, case["inputs"]["y"])}}
    for symbol, got in [(W1[1], p and case["gradients"]["W_1"][1][0]),
                        (b2, case["gradients"]["b_2"][0])]:
        with mpmath.workdps(70):
            truth = mpmath.mpf(str(sp.diff(C, symbol).subs(at).evalf(60)))
            assert decimal_string(truth, 30) == got


def test_same_seed_same_file_other_seed_other_file():
    a, b, c = (make_vectors(Chain(depth=2), count=3, seed=s, digits=10) for s in (3, 3, 4))
    assert vectors_text(a) == vectors_text(b) != vectors_text(c)


def test_output_is_written_whole_and_never_over_a_foreign_file(tmp_path, capsys):
    foreign = tmp_path / "notes.json"
    foreign.write_text("my notes\n")
    assert main(["vectors", "--depth", "2", "-o", str(foreign)]) == 2
    assert "pass --force" in capsys.readouterr().err and foreign.read_text() == "my notes\n"


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "count=0: must be an integer from 1 to 100000"),
    (["--regime", "hot"], "regime='hot': must be one of mixed, ordinary, saturated, kink, "
                          "vanishing, exploding"),
    (["--format", "xml"], "format='xml': must be one of json, jsonl, csv"),
    (["--saturate", "2"], "saturate='2': must be a number >= 0 and <= 1"),
    (["--scale", "0"], "scale='0': must be a number > 0"),
    (["--kink", "up"], "kink='up': must be one of left, right"),
])
def test_bad_options_are_one_line_exit_2(args, message, capsys):
    assert main(["vectors", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


# --- verifying: verdicts, summary, strict reading -------------------------------------------------

@pytest.fixture(scope="module")
def saturated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sat")
    return _write(folder, "--depth", "4", "--count", "4", "--digits", "30", "--regime",
                  "saturated", "--seed", "2")


def test_textbook_is_unstable_at_saturated_units_and_strict_fails(tmp_path, saturated, capsys):
    path, text = saturated
    assert _verify(tmp_path, path, _results(Backprop, text)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].endswith(": UNSTABLE") and lines[1].startswith("  unstable: ")
    assert "use e^{−|z|}/(1 + e^{−|z|})²" in lines[2]
    assert _verify(tmp_path, path, _results(Backprop, text), "--strict") == 1
    assert _verify(tmp_path, path, _results(StableBackprop, text), "--strict") == 0


def test_a_bug_fails_with_the_summary_first_then_details(tmp_path, capsys):
    path, text = _write(tmp_path, "--depth", "4", "--count", "3", "--regime", "ordinary",
                        "--digits", "20")
    assert _verify(tmp_path, path, _results(MUTANTS["0.1%_in_one_layer"], text)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(": FAIL")
    assert lines[1].startswith("  fail: 12 values in 3 cases (ordinary), layers 2, 1; the "
                               "largest relative error 1.0e-3")
    assert "details (fail and unstable, in file order):" in lines
    assert lines[lines.index("details (fail and unstable, in file order):") + 1].startswith(
        "case 0 (ordinary), dC/db_2 (layer 2): expected ")


def test_tolerances_are_printed_up_front(tmp_path, saturated, capsys):
    path, text = saturated
    assert _verify(tmp_path, path, _results(StableBackprop, text), "--tolerances") == 0
    out = capsys.readouterr().out
    assert "  tolerances of case 0 (saturated), relative, float64:" in out
    assert "    layer 4: " in out and out.index("tolerances") < out.index("layer 4")


def test_nan_and_infinity_are_the_implementation_s_answer_a_fail(tmp_path, saturated, capsys):
    path, text = saturated
    results = _results(StableBackprop, text)
    results["cases"][1]["gradients"]["b_3"] = float("nan")
    results["cases"][2]["gradients"]["w_1"] = "-inf"
    assert _verify(tmp_path, path, json.dumps(results)) == 1
    out = capsys.readouterr().out
    assert "case 1 (saturated), dC/db_3 (layer 3): expected " in out and "actual nan" in out
    assert "actual -inf" in out and "fail (not a finite number)" in out


def test_kink_conventions(tmp_path, capsys):
    path, text = _write(tmp_path, "--depth", "3", "--activation", "relu", "--count", "3",
                        "--regime", "kink", "--digits", "20")
    right = _results(MUTANTS["relu_prime_1_at_0"], text)
    assert _verify(tmp_path, path, right) == 1
    assert "expected exactly 0" in capsys.readouterr().out
    assert _verify(tmp_path, path, right, "--kink", "right") == 0
    assert _verify(tmp_path, path, right, "--kink", "either") == 0
    assert _verify(tmp_path, path, _results(StableBackprop, text), "--kink", "either") == 0
    assert _verify(tmp_path, path, _results(StableBackprop, text), "--kink", "right") == 1


@pytest.mark.parametrize("literal, message", [
    ('1, "b_1": 2', "results.json.cases[0].gradients: key 'b_1' given twice"),
    ("7" * 5001, "a number of 5001 characters; at most 2100"),
    ('"1.' + "3" * 100_000 + '"', "results.json.cases[0].gradients.b_1: a number of 100002 "
                                  "characters; at most 2100"),
    ("1e999999", "the exponent 999999 is above 10000"),
    ("[", "malformed JSON at line 1"),
], ids=["duplicate-key", "5001-digit-integer", "100000-digit-string", "1e999999", "malformed"])
def test_unusable_results_are_one_line_exit_2(tmp_path, saturated, literal, message, capsys):
    """Each bad value inside an otherwise good results file: one line, exit 2, at once."""
    path, text = saturated
    results = _results(StableBackprop, text)
    results["cases"][0]["gradients"]["b_1"] = "PLACE"
    assert _verify(tmp_path, path, json.dumps(results).replace('"PLACE"', literal, 1)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert _verify(tmp_path, path, '{"cases": []}') == 2
    assert "results.json.cases: 0 cases, the vector file has 4" in capsys.readouterr().err


def test_a_changed_vector_file_is_refused(tmp_path, saturated, capsys):
    path, text = saturated
    doc = json.loads(text)
    doc["cases"][1]["gradients"]["w_2"] = doc["cases"][2]["gradients"]["w_2"]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc))
    assert _verify(tmp_path, changed, _results(StableBackprop, text)) == 2
    assert "cases[1].gradients.w_2=" in capsys.readouterr().err


def test_dense_round_trip_and_a_thousandth_in_one_component(tmp_path, capsys):
    path, text = _write(tmp_path, *DENSE)
    assert _verify(tmp_path, path, _results(lambda n: DenseBackprop(n), text)) == 0
    assert _verify(tmp_path, path, _results(lambda n: DenseBackprop(n, np.float32), text),
                   "--dtype", "float32") == 0
    results = _results(lambda n: DenseBackprop(n), text)
    results["cases"][1]["gradients"]["W_1"][2][0] *= 1.001
    capsys.readouterr()
    assert _verify(tmp_path, path, results) == 1
    assert "dC/dW_1[2][0] (layer 1): expected " in capsys.readouterr().out


def test_the_api_verifies_too(chain_doc):
    text = vectors_text(chain_doc, "jsonl")
    net, _ = read_vectors(text)
    report = verify_results(text, json.dumps(results_for(StableBackprop(net), net, chain_doc)))
    assert report.verdict == "pass" and report.checked == 100
    bad = results_for(MUTANTS["sigma_prime_overflows"](net), net, chain_doc)
    assert verify_results(text, json.dumps(bad)).verdict == "fail"
    assert VECTORS_FORMAT == "symgrad-vectors/1"
