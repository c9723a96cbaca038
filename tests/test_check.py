"""``symgrad check`` and :func:`symgrad.numeric.checks.check`: honest closed forms pass at every
depth for every built-in activation, saturated units included; a closed form off by 1.001
at one layer is caught."""
import dataclasses
import json

import mpmath
import pytest

from symgrad import Chain, activation_names, derive, get_activation
from symgrad.numeric.checks import check, check_point, relative_error, witness_status
from symgrad.cli.main import main
from symgrad.numeric.chain import Estimate, mp_forward, random_point

DEPTHS = [2, 10, 30, 100]


def names_for(d):
    """Few gradients at depth 100 (the reference is O(L) per gradient): the first layer's,
    the middle's, the output's, and PReLU's first slope."""
    L = d.L
    if L <= 10:
        return None
    names = ["b_1", "w_1", f"b_{L // 2}", f"w_{L}", f"b_{L}"]
    return names + (["alpha_1"] if d.network.has_slope(1) else [])


def run(d, seed=0):
    saturate = 1.0 if d.L <= 2 else 2.0 / d.L
    digits = 50 if d.L <= 30 else 30
    params, inputs = random_point(d, seed, saturate=saturate)
    if d.network.sigma(1).name == "gelu" and d.L >= 30:
        # A GELU unit saturated below (z ≈ -35) outputs ~1e-268 and one above outputs ~35,
        # which saturates the next unit: gradients of 1e-1000 at depth 100.  The reference
        # then needs 1000+ digits, and mpmath's erfc there takes 0.15 s a call (minutes a
        # run).  Depths 2 and 10 cover that; here only the output unit saturates (z_L > 30).
        params, inputs = random_point(d, seed, saturate=0.0)
        params[f"b_{d.L}"] = 40.0
    report = check(d, points=0, extra_points=[(params, inputs)], seed=None, saturate=saturate,
                   digits=digits, names=names_for(d))
    z, _ = mp_forward(d, params, inputs, digits=20)
    return report, max(abs(zl) for zl in z[1:])


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("activation", activation_names())
def test_honest_closed_forms_pass(activation, depth):
    report, zmax = run(derive(Chain(depth=depth, activation=activation)))
    assert zmax > 30                                  # a saturated unit is in the point
    bad = [r.as_dict() for r in report.results if not r.passed]
    assert report.passed, bad
    for r in report.results:
        assert r.status == "pass" and r.rel_error <= 1e-12
        assert r.float64_status in ("pass", "out-of-range")


def corrupted(name, layer, depth):
    """The chain with σ' of one layer scaled by 1.001 (σ itself unchanged)."""
    act = get_activation(name)
    wrong = dataclasses.replace(
        act, derivative_expression=act.derivative_expression * sp_1001(),
        numpy_derivative=lambda z: 1.001 * act.numpy_derivative(z), _mp={})
    acts = [act] * depth
    acts[layer - 1] = wrong
    return derive(Chain(depth=depth, activation=acts))


def sp_1001():
    import sympy as sp
    return sp.Rational(1001, 1000)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_a_closed_form_off_by_1001_at_one_layer_is_caught(activation, depth):
    layer = max(1, depth // 2)
    d = corrupted(activation, layer, depth)
    report, _ = run(d)
    assert not report.passed
    by_name = {r.parameter: r for r in report.results}
    # every gradient through layer `layer` carries the factor 1.001: caught
    assert by_name["b_1"].status == "fail"
    assert abs(by_name["b_1"].rel_error - 1e-3) < 1e-6
    # the output layer's gradients do not pass through it (unless it is the output)
    if layer < depth:
        assert by_name[f"b_{depth}"].status == "pass"
    if depth == 2:  # unsaturated and shallow: finite differences and complex step catch it too
        point = {"w_1": 0.5, "b_1": -0.25, "w_2": 1.5, "b_2": 0.125}
        b1 = check_point(d, point, {"a_0": 1.0, "y": 0.0}, digits=30, names=["b_1"])[0]
        assert (b1.status, b1.fd_status, b1.cs_status) == ("fail", "fail", "fail")


def test_kink_is_non_differentiable_not_a_failure():
    d = derive(Chain(depth=2, activation="relu"))
    results = check_point(d, {"w_1": 1, "b_1": -0.5, "w_2": 2, "b_2": 1}, {"a_0": 0.5, "y": 0},
                          digits=20)
    status = {r.parameter: (r.status, r.fd_status) for r in results}
    assert status["b_1"] == ("non-differentiable", "non-differentiable")
    assert status["b_2"] == ("pass", "pass")
    assert all(r.passed for r in results)


def test_exploding_regime_reports_its_condition():
    # w_l = 100, z_l = 0: w_l σ'(z_l) = 25 per layer, the problem amplifies roundings
    d = derive(Chain(depth=8))
    params = {**{f"w_{l}": 100.0 for l in range(1, 9)}, **{f"b_{l}": -50.0 for l in range(1, 9)}}
    results = check_point(d, params, {"a_0": 0.5, "y": 0.0}, digits=30, names=["b_1", "b_8"])
    b1 = results[0]
    assert b1.status == "pass" and b1.condition > 1e8
    assert b1.float64_status in ("pass", "ill-conditioned")


def test_statuses():
    assert relative_error(0, 0) == 0.0 and relative_error(1, 0) == float("inf")
    assert witness_status(None, 1.0) == "n/a"
    assert witness_status(Estimate(1.0, 0.1, kink=True), 1.0) == "non-differentiable"
    assert witness_status(Estimate(2.0, 0.01), 1.0) == "fail"


# --- the command -----------------------------------------------------------------------------

def test_cli_json_done_when(capsys):
    code = main(["check", "--depth", "30", "--activation", "sigmoid", "--format", "json",
                 "--points", "2"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["passed"] is True
    keys = {"parameter", "point", "closed_form", "reference", "rel_error", "float64_rel_error",
            "finite_difference", "fd_status"}
    assert len(out["results"]) == 2 * 60
    for r in out["results"]:
        assert keys <= set(r)
        assert r["rel_error"] <= 1e-12 and r["float64_rel_error"] <= 1e-12
        assert r["fd_status"] in ("pass", "inconclusive")
    # deep sigmoid gradients are far below the noise of finite differences: said so
    assert out["summary"]["finite_difference"]["inconclusive"] > 0
    first = out["results"][-1]
    assert first["parameter"] == "w_1" and first["point"] == 1
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(first["closed_form"]) - mpmath.mpf(first["reference"])) \
            <= 1e-45 * abs(mpmath.mpf(first["reference"]))


def test_cli_text_table(capsys):
    code = main(["check", "--depth", "2", "--points", "1", "--seed", "3", "--digits", "20"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == ("symgrad check: depth 2, activation sigmoid, cost quadratic; 1 point(s), "
                      "seed 3, scale 1, saturate 0.1; reference at 20 digits")
    assert out[2].split()[:4] == ["pt", "param", "closed", "form"]
    assert [line.split()[1] for line in out[4:8]] == ["b_2", "b_1", "w_2", "w_1"]
    assert out[-1] == "passed"


def test_cli_exit_1_on_a_wrong_closed_form(monkeypatch, capsys):
    import symgrad.numeric.checks as checks
    honest = checks.mp_gradients

    def wrong(d, params, inputs, **kw):
        g = honest(d, params, inputs, **kw)
        with mpmath.workdps(80):
            g["b_1"] = g["b_1"] * mpmath.mpf("1.001")
        return g

    monkeypatch.setattr(checks, "mp_gradients", wrong)
    code = main(["check", "--depth", "3", "--points", "1", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["passed"] is False
    assert {r["parameter"]: r["status"] for r in out["results"]}["b_1"] == "fail"


@pytest.mark.parametrize("argv, message", [
    (["--points", "0"], "points=0: must be an integer from 1 to 10000"),
    (["--digits", "0"], "digits=0: must be an integer from 1 to 2000"),
    (["--scale", "nan"], "scale='nan': must be a number > 0"),
    (["--seed", "-1"], "seed=-1: must be an integer >= 0"),
    (["--saturate", "2"], "saturate='2': must be a number >= 0 and <= 1"),
    (["--format", "xml"], "format='xml': must be one of text, json"),
    (["--parameters", "b_9"], "parameter='b_9': not a parameter of this network"),
    (["--depth", "0"], "depth=0: depth must be an integer >= 1"),
])
def test_cli_bad_options_one_line_exit_2(argv, message, capsys):
    code = main(["check", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_cli_help_documents_the_distribution(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "w_l ~ N(0, SCALE^2), b_l ~ N(0, 1), alpha_l ~ U(0, 0.3) (PReLU), a_0 ~ U(0, 1), " \
           "y ~ U(0, 1)" in out
