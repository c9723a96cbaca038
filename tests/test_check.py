"""``symgrad check`` and :func:`symgrad.numeric.checks.check`: honest closed forms pass for every
built-in activation, saturated units included; a derivation corrupted in any of several ways
(a factor of the wrong layer, a dropped or doubled factor, a missing transpose, a missing sum
over samples, a σ' off by 1.001) fails the check by its numbers alone, with no proof."""
import dataclasses
import json

import mpmath
import pytest
import sympy as sp

from symgrad import Chain, Dense, activation_names, derive, get_activation
from symgrad.cli.main import main
from symgrad.derivation import Derivation
from symgrad.numeric import Estimate, check, check_point, mp_forward, random_point
from symgrad.numeric.checks import CheckReport, relative_error, witness_status
from symgrad.numeric.float64 import NumpyGradients, UnitForms

DEPTHS = [2, 10, 30]


def names_for(d):
    """Few gradients beyond depth 10 (finite differences are O(L) per component)."""
    L = d.L
    if L <= 10:
        return None
    names = ["b_1", "w_1", f"b_{L // 2}", f"w_{L}", f"b_{L}"]
    return names + (["alpha_1"] if d.network.has_slope(1) else [])


def run(d, seed=0):
    saturate = 1.0 if d.L <= 2 else 2.0 / d.L
    params, inputs = random_point(d.network, seed, saturate=saturate)
    if d.network.sigma(1).name == "gelu" and d.L >= 30:
        # GELU saturated below outputs ~1e-268, above ~35, which saturates the next unit:
        # gradients of 1e-1000 at depth 30+, a reference of 1000+ digits.  Depths 2 and 10
        # cover that; here only the output unit saturates.
        params, inputs = random_point(d.network, seed, saturate=0.0)
        params[f"b_{d.L}"] = 40.0
    report = check(d, points=0, extra_points=[(params, inputs)], seed=None, saturate=saturate,
                   digits=30, names=names_for(d))
    z, _ = mp_forward(d, params, inputs, digits=20)
    return report, max(abs(zl) for zl in z[1:])


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("activation", activation_names())
def test_honest_closed_forms_pass(activation, depth):
    report, zmax = run(derive(Chain(depth=depth, activation=activation)))
    assert zmax > 30                                  # a saturated unit is in the point
    assert report.passed, [r.as_dict() for r in report.results if not r.passed]
    for r in report.results:
        assert r.status == "pass" and r.rel_error <= 1e-12
        assert r.float64_status in ("pass", "out-of-range")


@pytest.mark.parametrize("net", [
    Dense([3, 4, 4, 2], ["tanh", "relu", "linear"], "sse", samples=2),
    Dense([3, 4, 3], ["gelu", "softmax"], "softmax-cross-entropy", samples=2),
    Dense([2, 3, 1], ["prelu", "sigmoid"], "cross-entropy"),
    Dense([2, 3, 2], ["x*tanh(log(1+exp(x)))", "silu"], "(a - y)**4/4"),
], ids=repr)
def test_honest_dense_closed_forms_pass(net):
    report = check(derive(net), points=2, saturate=0.2, digits=30)
    assert report.passed, [r.as_dict() for r in report.results if not r.passed]
    assert len(report.results) == 2 * net.parameter_count()


# --- corrupted derivations: the check fails on each, by its numbers ------------------------------

def failing(report) -> set:
    assert not report.passed
    return {r.parameter for r in report.results if r.status == "fail"}


def assert_witnesses_agree(report):
    """The float64 code and the witnesses never read the printed forms: they still agree with
    the reference (and so disagree with the wrong closed form)."""
    for r in report.results:
        assert r.float64_status in ("pass", "out-of-range", "ill-conditioned")
        assert witness_status(r.complex_step, r.reference.value) in ("pass", "inconclusive")
        if r.status == "fail":
            assert r.cs_status in ("fail", "inconclusive")


def test_a_factor_of_the_wrong_layer_is_caught():
    d = derive(Chain(depth=4))
    s = d.sigma_primes
    broken = derive(Chain(depth=4))
    broken.__dict__["sigma_primes"] = (s[0], s[2], s[2], s[3])   # σ'(z_3) where σ'(z_2) belongs
    report = check(broken, points=2, saturate=0.0)
    assert failing(report) == {"b_1", "b_2", "w_1", "w_2"}
    assert_witnesses_agree(report)


class Dropped(Derivation):
    """∂C/∂b_1 without its factor w_3."""

    def factors(self, parameter):
        out = super().factors(parameter)
        return tuple(f for f in out if f != self.network.w_(3)) if parameter == "b_1" else out


class Doubled(Derivation):
    """∂C/∂w_2 with ∂C/∂a_L twice."""

    def factors(self, parameter):
        out = super().factors(parameter)
        return out + (out[-1],) if parameter == "w_2" else out


@pytest.mark.parametrize("cls, wrong", [(Dropped, {"b_1"}), (Doubled, {"w_2"})])
def test_a_dropped_or_doubled_factor_is_caught(cls, wrong):
    report = check(cls(Chain(depth=4, activation="tanh")), points=2, saturate=0.0)
    assert failing(report) == wrong
    assert_witnesses_agree(report)


def test_a_sigma_prime_off_by_1001_is_caught_at_every_depth():
    for depth in (2, 30):
        act = get_activation("tanh")
        wrong = dataclasses.replace(act, name="tanh_x1001", _mp={},
                                    derivative_expression=act.derivative_expression
                                    * sp.Rational(1001, 1000))
        acts = [act] * depth
        acts[depth // 2 - 1] = wrong
        report, _ = run(derive(Chain(depth=depth, activation=acts)))
        by_name = {r.parameter: r for r in report.results}
        assert by_name["b_1"].status == "fail" and abs(by_name["b_1"].rel_error - 1e-3) < 1e-6
        assert by_name[f"b_{depth}"].status == "pass"


WIDE = Dense([3, 4, 4, 2], ["tanh", "sigmoid", "linear"], "sse", samples=2)


class NoTranspose(Derivation):
    """δ_1 = (W_2 δ_2) ⊙ σ'(z_1): the transpose forgotten (W_2 is square, so it evaluates)."""

    def delta_matrix(self, l):
        e = super().delta_matrix(l)
        net = self.network
        return e.xreplace({sp.Transpose(net.W(2)): net.W(2)}) if l == 1 else e


class WrongLayer(Derivation):
    """δ_1 = (W_2ᵀ δ_2) ⊙ σ'(z_2): σ' at the next layer's pre-activation."""

    def delta_matrix(self, l):
        e = super().delta_matrix(l)
        return e.xreplace({self.network.z(1): self.network.z(2)}) if l == 1 else e


class NoSampleSum(Derivation):
    """∂C/∂W_3 = δ_3,1 a_2,1ᵀ: the sum over the samples forgotten."""

    def gradient_matrix(self, name):
        e = super().gradient_matrix(name)
        return e.term.xreplace({e.index: 1}) if name == "W_3" else e


@pytest.mark.parametrize("cls, layer", [(NoTranspose, "1"), (WrongLayer, "1"),
                                        (NoSampleSum, "W_3")])
def test_a_corrupted_matrix_form_is_caught(cls, layer):
    report = check(cls(WIDE), points=1, saturate=0.0, digits=30)
    wrong = failing(report)
    expected = {r.parameter for r in report.results
                if (layer == "1" and r.name in ("W_1", "b_1")) or r.name == layer}
    assert wrong and wrong <= expected
    assert all(r.status == "pass" for r in report.results if r.parameter not in expected)
    assert_witnesses_agree(report)


def test_a_failing_float64_witness_is_named_as_such():
    d = derive(Chain(depth=3, activation="tanh"))
    f = NumpyGradients(d)
    honest = f.units[2]
    f.units[2] = UnitForms(honest.value, lambda z: 1.001 * honest.derivative(z),
                           lambda z: (honest.value(z), 1.001 * honest.derivative(z)), None)
    params, inputs = random_point(d.network, 1)
    report = CheckReport(d, 30, None, 1.0, 0.0, [(params, inputs)],
                         check_point(d, params, inputs, digits=30, f=f))
    assert all(r.status == "pass" for r in report.results)
    assert report.verdict.startswith("FAILED: every closed form agrees with the reference; "
                                     "the float64 witness (the generated NumPy code) fails in")


def test_kink_is_non_differentiable_not_a_failure():
    d = derive(Chain(depth=2, activation="relu"))
    results = check_point(d, {"w_1": 1, "b_1": -0.5, "w_2": 2, "b_2": 1}, {"a_0": 0.5, "y": 0},
                          digits=20)
    status = {r.parameter: (r.status, r.fd_status) for r in results}
    assert status["b_1"] == ("non-differentiable", "non-differentiable")
    assert status["b_2"] == ("pass", "pass")
    assert all(r.passed for r in results)


def test_exploding_regime_reports_its_condition():
    d = derive(Chain(depth=8))
    params = {**{f"w_{l}": 100.0 for l in range(1, 9)}, **{f"b_{l}": -50.0 for l in range(1, 9)}}
    b1 = check_point(d, params, {"a_0": 0.5, "y": 0.0}, digits=30, names=["b_1", "b_8"])[0]
    assert b1.status == "pass" and b1.condition > 1e8
    assert b1.float64_status in ("pass", "ill-conditioned")


def test_statuses():
    assert relative_error(0, 0) == 0.0 and relative_error(1, 0) == float("inf")
    with mpmath.workdps(80):
        third = mpmath.mpf(1) / 3
    assert relative_error(third, third * (1 + mpmath.mpf("1e-70"))) < 2e-70
    assert witness_status(None, 1.0) == "n/a"
    assert witness_status(Estimate(1.0, 0.1, kink=True), 1.0) == "non-differentiable"
    assert witness_status(Estimate(2.0, 0.01), 1.0) == "fail"


# --- the command -----------------------------------------------------------------------------

KEYS = {"parameter", "name", "index", "point", "closed_form", "reference", "reference_rel_error",
        "rel_error", "status", "float64", "float64_rel_error", "float64_status", "condition",
        "finite_difference", "fd_error", "fd_status", "complex_step", "cs_error", "cs_status"}


def test_cli_json_done_when(capsys):
    code = main(["check", "--depth", "30", "--activation", "sigmoid", "--format", "json",
                 "--points", "2"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["passed"] is True and out["verdict"] == "passed"
    assert len(out["results"]) == 2 * 60
    for r in out["results"]:
        assert set(r) == KEYS
        assert r["rel_error"] <= 1e-12 and r["float64_rel_error"] <= 1e-12
        assert r["fd_status"] in ("pass", "inconclusive")
    assert out["summary"]["finite_difference"]["inconclusive"] > 0
    first = out["results"][-1]
    assert first["parameter"] == "w_1" and first["point"] == 1 and first["index"] == []
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(first["closed_form"]) - mpmath.mpf(first["reference"])) \
            <= 1e-45 * abs(mpmath.mpf(first["reference"]))


def test_cli_one_json_shape_for_dense_with_scale_and_saturate(capsys):
    code = main(["check", "--widths", "3,4,2", "--activations", "tanh,sigmoid", "--points", "1",
                 "--scale", "3", "--saturate", "1", "--format", "json", "--digits", "30"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["scale"] == 3.0 and out["saturate"] == 1.0 and out["index_base"] == 1
    assert [set(r) for r in out["results"]] == [KEYS] * (4 * 3 + 4 + 2 * 4 + 2)
    w = [r for r in out["results"] if r["name"] == "W_1"]
    assert w[5]["parameter"] == "W_1[2,3]" and w[5]["index"] == [2, 3]
    assert all(abs(b) >= 30 for b in out["points"][0]["parameters"]["b_1"])   # saturated


def test_cli_readme_custom_activation_passes(capsys):
    code = main(["check", "--activation", "x*tanh(log(1+exp(x)))", "--depth", "4",
                 "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out["verdict"]
    assert out["summary"]["float64"].get("fail", 0) == 0


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
    import symgrad.derivation as derivation

    def broken(net):
        d = Derivation(net)
        s = d.sigma_primes
        d.__dict__["sigma_primes"] = (s[1],) + s[1:]    # σ'(z_2) where σ'(z_1) belongs
        return d

    monkeypatch.setattr(derivation, "derive", broken)
    code = main(["check", "--depth", "3", "--points", "1", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["passed"] is False
    assert {r["parameter"]: r["status"] for r in out["results"]}["b_1"] == "fail"
    assert out["verdict"].startswith("FAILED: the closed form fails in 2 of 6")


@pytest.mark.parametrize("argv, message", [
    (["--points", "0"], "points=0: must be an integer from 1 to 10000"),
    (["--digits", "0"], "digits=0: must be an integer from 1 to 2000"),
    (["--scale", "nan"], "scale='nan': must be a number > 0"),
    (["--seed", "-1"], "seed=-1: must be an integer >= 0"),
    (["--saturate", "2"], "saturate='2': must be a number >= 0 and <= 1"),
    (["--format", "xml"], "format='xml': must be one of text, json"),
    (["--parameters", "b_9"], "parameter='b_9': not a parameter of this network"),
    (["--widths", "2,3,2", "--parameters", "w_1"], "parameter='w_1': not a parameter"),
    (["--depth", "0"], "depth=0: depth must be an integer >= 1"),
])
def test_cli_bad_options_one_line_exit_2(argv, message, capsys):
    code = main(["check", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_cli_help_documents_the_distribution(capsys):
    try:
        code = main(["check", "--help"])
    except SystemExit as done:
        code = done.code
    assert code in (0, None)
    out = " ".join(capsys.readouterr().out.split())
    assert "w_l ~ N(0, SCALE^2), b_l ~ N(0, 1), alpha_l ~ U(0, 0.3) (PReLU), a_0 ~ U(0, 1), " \
           "y ~ U(0, 1)" in out
    assert "W_2[1,3] is w^2_13" in out
