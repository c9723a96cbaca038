"""``symgrad derive``: its output in every format equals what it printed before the printers
were one family (tests/derive_golden/), every format is proven before it is printed, a
gradient whose proof failed is marked ``not proven`` and the command exits 1, and the large
cases stay cheap."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from symgrad import derive
from symgrad.cli.main import main
from symgrad.prove import Proof

GOLDEN = Path(__file__).parent / "derive_golden"
#: the command lines the files of tests/derive_golden/ were written by, before the change
CASES = {
    "d4": [], "d3_prelu": ["--depth", "3", "-a", "prelu"],
    "d3_mixed": ["--depth", "3", "--activations", "sigmoid,tanh,linear"],
    "d3_rec": ["--depth", "3", "--form", "recurrence"],
    "d2_custom": ["--depth", "2", "-a", "x*tanh(log(1+exp(x)))", "-c", "(a - y)**4/4"],
    "d3_elu_ce": ["--depth", "3", "-a", "elu", "-c", "cross-entropy"],
    "w232": ["--widths", "2,3,2"],
    "w_softmax": ["--widths", "2,3,3", "--activations", "tanh,softmax",
                  "--cost", "softmax-cross-entropy"],
    "w_prelu": ["--widths", "2,2,1", "-a", "prelu"],
    "w_relu_lin": ["--widths", "2,2,2", "--activations", "relu,linear"],
}


def run(argv, capsys) -> tuple[int, str, str]:
    code = main(["derive", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def timeless(text: str) -> str:
    """JSON with every proof's ``seconds`` set to 0 (the time a proof took varies)."""
    def strip(o):
        if isinstance(o, dict):
            return {k: 0 if k == "seconds" else strip(v) for k, v in o.items()}
        return [strip(v) for v in o] if isinstance(o, list) else o
    return json.dumps(strip(json.loads(text)), indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", sorted(GOLDEN.iterdir()), ids=lambda p: p.name)
def test_the_output_is_what_it_was(path, capsys):
    case, fmt = path.stem, path.suffix[1:]
    code, out, err = run([*CASES[case], "-f", fmt], capsys)
    assert (code, err) == (0, "")
    assert (timeless(out) if fmt == "json" else out) == path.read_text()


# -- proven in every format, and marked where not --------------------------------------------

def wrong_chain(net):
    """σ'(z_3) where σ'(z_2) belongs: b_2, b_1, w_2 and w_1 are wrong."""
    d = derive(net)
    primes = list(d.sigma_primes)
    primes[1] = primes[2]
    broken = derive(net)
    broken.__dict__["sigma_primes"] = tuple(primes)
    return broken


@pytest.mark.parametrize("fmt, marked", [
    ("text", "∂C/∂b_2 = σ'(z_3) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4   (not proven)"),
    ("latex", r"\frac{\partial C}{\partial w_{1}} &= a_{0} \sigma'(z_{1}) w_{2} \sigma'(z_{3}) "
              r"w_{3} \sigma'(z_{3}) w_{4} \sigma'(z_{4}) \frac{\partial C}{\partial a_{4}} "
              r"\quad \text{(not proven)} \\"),
    ("markdown", r"\frac{\partial C}{\partial b_{1}} = \sigma'(z_{1}) w_{2} \sigma'(z_{3}) w_{3} "
                 r"\sigma'(z_{3}) w_{4} \sigma'(z_{4}) \frac{\partial C}{\partial a_{4}} "
                 r"\quad \text{(not proven)}"),
])
def test_a_chain_gradient_that_fails_its_proof_is_marked_in_every_format(fmt, marked, capsys,
                                                                         monkeypatch):
    monkeypatch.setattr("symgrad.derivation.derive", wrong_chain)
    code, out, err = run(["-f", fmt], capsys)
    assert code == 1 and err == ""
    assert marked in out.splitlines()
    assert out.count("not proven") == 4                   # b_2, b_1, w_2, w_1 and no other


def test_json_says_which_chain_gradients_are_not_verified(capsys, monkeypatch):
    monkeypatch.setattr("symgrad.derivation.derive", wrong_chain)
    code, out, _ = run(["-f", "json"], capsys)
    doc = json.loads(out)
    assert code == 1 and doc["proofs"]["chain"]["verified"] is False
    assert {g["parameter"] for g in doc["gradients"] if not g["verified"]} == \
        {"b_2", "b_1", "w_2", "w_1"}


def test_a_dense_layer_that_fails_its_proof_is_marked(capsys, monkeypatch):
    def wrong_dense(net):
        d = derive(net)

        class Wrong(type(d)):
            def delta_component(self, l, j, i=None):        # δ^1_j without σ_1'(z^1_j)
                e = super().delta_component(l, j, i)
                return e.args[1] if l == 1 else e
        return Wrong(network=net)

    monkeypatch.setattr("symgrad.derivation.derive", wrong_dense)
    code, out, _ = run(["--widths", "2,3,2"], capsys)
    assert code == 1
    assert [line for line in out.splitlines() if "not proven" in line] == [
        "δ_1 = (W_2ᵀ δ_2) ⊙ σ'(z_1)   (not proven)", "∂C/∂b_1 = δ_1   (not proven)",
        "∂C/∂W_1 = δ_1 a_0ᵀ   (not proven)", "δ^1_j = σ_1'(z^1_j) Σ_k w^2_kj δ^2_k   (not proven)",
        "∂C/∂b^1_j = δ^1_j   (not proven)", "∂C/∂w^1_jk = a^0_k δ^1_j   (not proven)"]
    code, out, _ = run(["--widths", "2,3,2", "-f", "json"], capsys)
    assert code == 1 and json.loads(out)["verified"] is False


def test_every_gradient_is_marked_when_an_activations_derivative_fails(capsys, monkeypatch):
    failed = Proof("σ' equals SymPy's derivative", False, "sympy.diff and simplify", 0.0)
    monkeypatch.setattr("symgrad.prove.network.prove_activation", lambda act: failed)
    code, out, _ = run(["--depth", "2", "-f", "markdown"], capsys)
    assert code == 1 and out.count(r"\quad \text{(not proven)}") == 4


# -- large cases ------------------------------------------------------------------------------

def test_a_wide_network_prints_its_generic_forms_proven_at_narrow_widths(capsys):
    code, out, _ = run(["--widths", "100,100", "-f", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["verified"] is True
    layer = doc["layers"][0]
    assert "explicit" not in layer["components"]
    assert layer["components"]["explicit_omitted"] == \
        "10100 parameters > 5000: the generic forms above hold for every j, k"
    assert layer["components"]["W"]["text"] == "∂C/∂w^1_jk = a^0_k δ^1_j"
    assert doc["proofs"]["dense"]["detail"].endswith(
        "(at widths [3, 3] and N = 1: the matrix and generic forms printed do not depend on the "
        "widths)")


def test_a_deep_chain_is_proven_by_induction_and_printed_from_templates(capsys):
    code, out, _ = run(["--depth", "300", "-f", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["form"] == "recurrence"
    assert doc["proofs"]["chain"]["method"] == "inductive"
    assert all(g["verified"] for g in doc["gradients"])
    by_name = {g["parameter"]: g for g in doc["gradients"]}
    assert by_name["w_123"]["concrete_text"] == \
        "∂C/∂w_123 = a_122 a_123 (1 - a_123) w_124 δ_124"
    assert by_name["b_300"]["concrete_latex"] == (
        r"\frac{\partial C}{\partial b_{300}} = "
        r"a_{300} \left(1 - a_{300}\right) \left(a_{300} - y\right)")


def test_bad_input_is_one_line(capsys):
    code, out, err = run(["--widths", "2,3,2", "--form", "sideways"], capsys)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "form='sideways': must be one of auto, expanded, recurrence" in err


def test_the_reference_case_is_the_default(capsys):
    assert run([], capsys)[1] == (GOLDEN / "d4.text").read_text()
