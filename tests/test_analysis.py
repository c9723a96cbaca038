"""Per-layer analysis: vanishing for sigmoid, exactly ×25 a layer in Nielsen's exploding
case, the JSON shape, the plot and its errors."""
from __future__ import annotations

import builtins
import json

import mpmath
import pytest

from symgrad.analysis.core import analyze
from symgrad.cli.main import main
from symgrad.derivation import derive
from symgrad.model.network import Chain


def test_nielsen_exploding_is_exactly_25_per_layer():
    a = analyze(derive(Chain(depth=8)), init="nielsen-exploding", samples=4, seed=3)
    assert a.verdict == "exploding"
    with mpmath.workdps(40):
        for s in a.layers:
            # w_j σ'(z_j) = 100 · σ'(0) = 25 for every layer between l and L
            assert abs(s.ratio_to_last - mpmath.mpf(25) ** (8 - s.layer)) \
                <= mpmath.mpf("1e-25") * 25 ** (8 - s.layer)
        consecutive = [a.layers[i].grad_b / a.layers[i + 1].grad_b for i in range(7)]
        assert all(abs(r - 25) < mpmath.mpf("1e-25") for r in consecutive)
        # a factor 25·1.001 would be caught
        assert all(abs(r - 25 * mpmath.mpf("1.001")) > mpmath.mpf("0.02") for r in consecutive)
    assert abs(a.rate - 25) < 1e-12


def test_sigmoid_with_standard_normal_weights_vanishes():
    a = analyze(derive(Chain(depth=10)), init="normal", samples=60, seed=0)
    assert a.verdict == "vanishing" and a.rate < 0.5
    assert a.layers[0].ratio_to_last < mpmath.mpf("1e-4")
    assert "per layer back" in a.reason


def test_tiny_gradients_are_numbers_not_zero():
    a = analyze(derive(Chain(depth=60)), init="normal", samples=3, seed=0)
    g = a.layers[0].grad_b
    assert 0 < g < mpmath.mpf("1e-30")


def test_tanh_exploding_is_100_per_layer():
    a = analyze(derive(Chain(depth=4, activation="tanh")), init="nielsen-exploding", samples=2)
    assert abs(a.rate - 100) < 1e-9 and a.verdict == "exploding"


def test_analyze_json(capsys):
    assert main(["analyze", "--depth", "5", "--activation", "sigmoid", "--samples", "5",
                 "--seed", "1", "--format", "json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["verdict"] in ("vanishing", "stable", "exploding")
    assert [r["layer"] for r in obj["layers"]] == [1, 2, 3, 4, 5]
    assert {"layer", "grad_b", "grad_w", "ratio_to_last"} <= set(obj["layers"][0])
    assert obj["layers"][-1]["ratio_to_last"] == 1.0
    assert main(["analyze", "--depth", "3", "--activation", "sigmoid,relu", "--samples", "2",
                 "--format", "json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert [o["activation"] for o in both] == ["sigmoid", "relu"]


def test_analyze_text(capsys):
    assert main(["analyze", "--depth", "4", "--init", "nielsen-exploding", "--samples", "2"]) == 0
    out = capsys.readouterr().out
    assert "factor per layer back: 25" in out and "verdict: exploding" in out


@pytest.mark.parametrize("argv, message", [
    (["--init", "glorot"], "init='glorot': must be one of normal, xavier, he, nielsen-exploding"),
    (["--samples", "0"], "samples=0: must be an integer from 1 to 100000"),
    (["--seed", "-1"], "seed=-1: must be an integer >= 0"),
    (["--depth", "0"], "depth=0: depth must be an integer >= 1"),
    (["--activation", "sigmoid,,relu"], "activation='sigmoid,,relu': an empty name between commas"),
    (["--plot", "out.pdf"], "plot='out.pdf': must end in .png or .svg"),
])
def test_analyze_usage_errors(capsys, argv, message):
    assert main(["analyze", "--samples", "1"] + argv if argv[0] != "--samples"
                else ["analyze"] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_plot_written_whole_and_not_over_a_foreign_file(tmp_path, capsys):
    png = tmp_path / "g.png"
    argv = ["analyze", "--depth", "4", "--activation", "sigmoid,tanh", "--samples", "3",
            "--plot", str(png)]
    assert main(argv) == 0
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and b"symgrad analyze" in data
    assert main(argv) == 0  # symgrad's own plot may be replaced
    svg = tmp_path / "g.svg"
    assert main(argv[:-1] + [str(svg)]) == 0 and b"<svg" in svg.read_bytes()
    foreign = tmp_path / "mine.png"
    foreign.write_bytes(b"not symgrad")
    capsys.readouterr()
    assert main(argv[:-1] + [str(foreign)]) == 2
    assert "exists and was not written by symgrad" in capsys.readouterr().err
    assert foreign.read_bytes() == b"not symgrad"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.svg", "mine.png"]


def test_plot_without_matplotlib_names_the_extra(tmp_path, capsys, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    assert main(["analyze", "--depth", "2", "--samples", "1", "--plot",
                 str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err == ("symgrad: error: plot: matplotlib is not installed; install the extra: "
                   "pip install 'symgrad[plot]'\n")
    assert not (tmp_path / "x.png").exists()


# --- dense layers -------------------------------------------------------------------------------

import numpy as np  # noqa: E402

from symgrad.model.activations import UsageError  # noqa: E402
from symgrad.analysis.core import (analyze_dense, dense_gradient_norms, dense_network,  # noqa: E402
                              draw_dense_parameters)
from symgrad.model.network import Dense


def _close(value, reference, rel=1e-12) -> bool:
    return abs(mpmath.mpf(value) - mpmath.mpf(reference)) <= rel * abs(mpmath.mpf(reference))


def _sigmoid_backprop_norms(params, x, y, L):
    """Written out for this test alone: sigmoid in every layer, C = Σ_i ½‖a_L − y‖², rows are
    samples; returns ([‖Σ_i δ_l‖], [‖Σ_i δ_l a_{l-1}ᵀ‖_F]) for l = 1..L."""
    acts = [x]
    for l in range(1, L + 1):
        acts.append(1.0 / (1.0 + np.exp(-(acts[-1] @ params[f"W_{l}"].T + params[f"b_{l}"]))))
    delta = (acts[L] - y) * acts[L] * (1.0 - acts[L])
    nb, nw = [0.0] * L, [0.0] * L
    for l in range(L, 0, -1):
        nb[l - 1] = np.linalg.norm(delta.sum(axis=0))
        nw[l - 1] = np.linalg.norm(delta.T @ acts[l - 1])
        delta = (delta @ params[f"W_{l}"]) * acts[l - 1] * (1.0 - acts[l - 1])
    return nb, nw


def test_dense_norms_match_an_independent_backprop_and_a_slip_is_caught():
    net = Dense([3, 4, 4, 2], "sigmoid", samples=2)
    rng = np.random.default_rng(7)
    expected_b, expected_w = [[], [], []], [[], [], []]
    for _ in range(4):
        params, x, y = draw_dense_parameters(net, "normal", rng)
        assert x.shape == (2, 3) and y.shape == (2, 2)
        nb, nw = _sigmoid_backprop_norms(params, x, y, 3)
        ref_b, ref_w = dense_gradient_norms(net, params, x, y, evaluation="mp")
        f64_b, f64_w = dense_gradient_norms(net, params, x, y, evaluation="float64")
        for l in range(3):
            assert _close(nb[l], ref_b[l]) and _close(nw[l], ref_w[l])
            assert _close(f64_b[l], ref_b[l]) and _close(f64_w[l], ref_w[l])
            assert not _close(1.001 * nb[l], ref_b[l])   # a gradient 0.1% off is caught
            expected_b[l].append(nb[l])
            expected_w[l].append(nw[l])
    a = analyze_dense(net, init="normal", samples=4, seed=7)
    assert a.evaluation.startswith("30-digit mpmath reference")
    for l, s in enumerate(a.layers):
        assert _close(s.grad_b, np.mean(expected_b[l])) and _close(s.grad_w, np.mean(expected_w[l]))
        assert _close(s.ratio_to_last, np.mean(expected_b[l]) / np.mean(expected_b[2]))
        assert not _close(s.grad_w * mpmath.mpf("1.001"), np.mean(expected_w[l]))


@pytest.mark.parametrize("activation, per_unit", [("sigmoid", 25), ("tanh", 100)])
def test_dense_nielsen_exploding_is_exact(activation, per_unit):
    # every z = 0, δ_{l+1} constant for l ≤ L − 2: ‖δ_l‖ = 100 σ'(0) √(n_l n_{l+1}) ‖δ_{l+1}‖
    widths = [3, 2, 5, 4, 2]
    a = analyze_dense(Dense(widths, activation), init="nielsen-exploding", samples=2, seed=1)
    assert a.verdict == "exploding"
    with mpmath.workdps(40):
        for l in (1, 2):
            ratio = a.layers[l - 1].grad_b / a.layers[l].grad_b
            assert _close(ratio, per_unit * mpmath.sqrt(widths[l] * widths[l + 1]), rel=1e-20)
            assert not _close(ratio, per_unit * 1.001 * mpmath.sqrt(widths[l] * widths[l + 1]))


def test_dense_of_width_one_is_the_chain():
    chain = analyze(derive(Chain(depth=5)), init="nielsen-exploding", samples=2)
    dense = analyze_dense(Dense([1] * 6), init="nielsen-exploding", samples=2)
    assert abs(dense.rate - 25) < 1e-12 and dense.verdict == chain.verdict == "exploding"
    for c, d in zip(chain.layers, dense.layers):
        assert _close(d.ratio_to_last, c.ratio_to_last, rel=1e-20)


def test_dense_verdicts_sigmoid_vanishes_relu_does_not():
    widths = [6, 8, 8, 8, 8, 8, 3]
    sig = analyze_dense(dense_network(widths, "sigmoid"), init="xavier", samples=8, seed=0)
    relu = analyze_dense(dense_network(widths, "relu", output="linear"), init="he",
                         samples=8, seed=0)
    assert sig.verdict == "vanishing" and sig.rate < 0.5
    assert sig.layers[0].ratio_to_last < mpmath.mpf("1e-2")
    assert relu.verdict == "stable" and 0.5 <= relu.rate <= 2.0
    assert "‖∂C/∂b_l‖ changes by a factor" in sig.reason


def test_dense_analyze_json_and_text(capsys):
    argv = ["analyze", "--widths", "4,5,5,2", "--activation", "sigmoid,relu", "--samples", "3",
            "--init", "xavier", "--format", "json"]
    assert main(argv) == 0
    objs = json.loads(capsys.readouterr().out)
    assert [o["activation"] for o in objs] == ["sigmoid", "relu"]
    assert objs[1]["network"]["activations"] == ["relu", "relu", "relu"]
    for o in objs:
        assert o["verdict"] in ("vanishing", "stable", "exploding")
        assert [r["layer"] for r in o["layers"]] == [1, 2, 3]
        assert {"layer", "grad_b", "grad_w", "ratio_to_last"} <= set(o["layers"][0])
        assert o["layers"][-1]["ratio_to_last"] == 1.0
        assert o["evaluation"].startswith("30-digit mpmath reference")
    assert main(["analyze", "--widths", "4,5,2", "--activation", "tanh", "--output", "linear",
                 "--samples", "2", "--precision", "float64"]) == 0
    out = capsys.readouterr().out
    assert "activations tanh,linear" in out and "mean ||dC/dW_l||_F" in out
    assert "values: float64 backprop (symgrad.numeric.dense.gradients)\n" in out


def test_dense_auto_precision_says_when_it_falls_back(monkeypatch):
    import symgrad.analysis.core as analysis
    net = Dense([4, 5, 2])                 # 30 weight·sample products a draw
    assert analyze_dense(net, samples=2).evaluation.startswith("30-digit")
    monkeypatch.setattr(analysis, "MP_BUDGET", 59)
    a = analyze_dense(net, samples=2)
    assert a.evaluation == ("float64 backprop (symgrad.numeric.dense.gradients): 60 weight·sample "
                            "products over the draws exceed the 59 evaluated at high precision; "
                            "--precision mp forces it")


@pytest.mark.parametrize("argv, message", [
    (["--widths", "4,3,2", "--depth", "3"],
     "widths='4,3,2': give either --depth (a chain) or --widths (dense layers), not both"),
    (["--widths", "4,3,2", "--init", "lecun"],
     "init='lecun': must be one of normal, xavier, he, nielsen-exploding"),
    (["--widths", "4,0,2"], "widths='4,0,2': every width must be an integer >= 1; entry 2 is 0"),
    (["--widths", "4,3,2", "--init", "nielsen-exploding", "--samples-in-loss", "3"],
     "samples-in-loss=3: init nielsen-exploding needs exactly 1"),
    (["--widths", "4,3,2", "--cost", "softmax-cross-entropy", "--output", "linear"],
     "output='linear': the cost softmax-cross-entropy has a softmax output layer"),
    (["--depth", "3", "--output", "linear"], "output=linear: only with --widths"),
    (["--samples-in-loss", "2"], "samples-in-loss=2: only with --widths"),
    (["--widths", "4,3,2", "--precision", "exact"],
     "precision='exact': must be one of auto, mp, float64"),
])
def test_dense_analyze_usage_errors(capsys, argv, message):
    assert main(["analyze", "--samples", "1"] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("symgrad: error: ")


def test_dense_api_errors():
    with pytest.raises(UsageError, match=r"^init='glorot': must be one of"):
        draw_dense_parameters(Dense([2, 2]), "glorot", np.random.default_rng(0))
    with pytest.raises(UsageError, match=r"^samples=0: must be an integer >= 1$"):
        analyze_dense(Dense([2, 2]), samples=0)
    with pytest.raises(UsageError, match=r"^output='tanh': must be one of same, linear$"):
        dense_network([2, 2], "relu", output="tanh")


def test_dense_plot_written_whole(tmp_path, capsys):
    png = tmp_path / "dense.png"
    argv = ["analyze", "--widths", "4,5,5,2", "--activation", "sigmoid,relu", "--samples", "2",
            "--plot", str(png)]
    assert main(argv) == 0
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and b"symgrad analyze" in data
    assert f"plot written to {png}" in capsys.readouterr().out
    foreign = tmp_path / "mine.png"
    foreign.write_bytes(b"keep me")
    assert main(argv[:-1] + [str(foreign)]) == 2
    assert foreign.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.png", "mine.png"]
