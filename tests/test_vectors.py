"""Test vectors: ``symgrad vectors`` writes them, ``symgrad verify`` judges results by them."""
from __future__ import annotations

import json
import os
from pathlib import Path

import mpmath
import pytest

from symgrad.cli import main
from symgrad.derive import derive
from symgrad.network import Chain
from symgrad.numeric import mp_gradients
from symgrad.oracle import (VECTORS_FORMAT, make_vectors, network_from_description,
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
