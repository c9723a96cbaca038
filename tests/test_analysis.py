"""Per-layer analysis: one code path for chains and dense layers, vanishing for sigmoid,
exactly ×25 a layer in Nielsen's exploding case, dead one-neuron ReLU chains called dead, the
JSON shapes, training curves over SGD, the plots and their errors."""
from __future__ import annotations

import builtins
import json

import mpmath
import numpy as np
import pytest

from symgrad.analysis import analyze, draw, spirals, train, training_network
from symgrad.cli.main import main
from symgrad.model.network import Chain, Dense



def needs_matplotlib() -> None:
    """The plot tests run where matplotlib is installed, and always in CI (which installs it)."""
    import importlib.util
    import os
    if importlib.util.find_spec("matplotlib") is None:
        if os.environ.get("CI"):
            pytest.fail("matplotlib is required in CI (the plot tests)")
        pytest.skip("matplotlib is not installed (pip install 'symgrad[plot]')")

def test_nielsen_exploding_is_exactly_25_per_layer():
    a = analyze(Chain(depth=8), init="nielsen-exploding", samples=4, seed=3, precision="mp")
    assert a.verdict == "exploding"
    with mpmath.workdps(40):
        consecutive = [a.layers[i].grad_b / a.layers[i + 1].grad_b for i in range(7)]
        assert all(abs(r - 25) < mpmath.mpf("1e-25") for r in consecutive)
        # a factor 25·1.001 would be caught
        assert all(abs(r - 25 * mpmath.mpf("1.001")) > mpmath.mpf("0.02") for r in consecutive)
    assert a.rate == 25.0


def test_a_chain_is_the_network_of_widths_one():
    """One code path: the chain and Dense([1, 1, ..., 1]) give the same numbers."""
    chain = analyze(Chain(depth=4, activation="tanh"), samples=10, seed=5, precision="float64")
    dense = analyze(Dense([1, 1, 1, 1, 1], "tanh"), samples=10, seed=5, precision="float64")
    assert [s.grad_b for s in chain.layers] == [s.grad_b for s in dense.layers]
    assert chain.rate == dense.rate


def test_draws_follow_the_fan_in_and_fan_out():
    rng = np.random.default_rng(0)
    W = np.concatenate([draw(Dense([400, 100, 1]), "he", rng).params["W_1"].ravel()
                        for _ in range(3)])
    assert abs(W.std() - np.sqrt(2 / 400)) < 0.003          # He: N(0, 2/n_{l-1})
    d = draw(Chain(depth=2), "xavier", np.random.default_rng(1))
    assert d.params["b_1"].tolist() == [0.0]


def test_sigmoid_with_standard_normal_weights_vanishes():
    a = analyze(Chain(depth=10), init="normal", samples=60, seed=0)
    assert a.verdict == "vanishing" and a.rate < 0.5
    assert a.layers[0].ratio_to_last < mpmath.mpf("1e-4")


def test_tiny_gradients_are_numbers_not_zero():
    a = analyze(Chain(depth=60), init="normal", samples=3, seed=0)
    assert 0 < a.layers[0].grad_b < mpmath.mpf("1e-30")


def test_underflow_is_evaluated_again_at_high_precision():
    a = analyze(Chain(depth=400), init="normal", samples=2, seed=0)
    assert a.layers[0].grad_b > 0 and "evaluated again at 30 digits" in a.evaluation


def test_a_one_neuron_relu_chain_is_dead_not_stable():
    a = analyze(Chain(depth=6, activation="relu"), samples=100, seed=0)
    assert a.verdict == "dead" and a.dead_fraction > 0.9
    assert "exactly 0 in" in a.reason
    tanh = analyze(Chain(depth=6, activation="tanh"), samples=20, seed=0)
    assert tanh.dead_fraction == 0 and tanh.verdict != "dead"


def test_tanh_exploding_is_100_per_layer():
    a = analyze(Chain(depth=4, activation="tanh"), init="nielsen-exploding", samples=2,
                precision="mp")
    assert abs(a.rate - 100) < 1e-9 and a.verdict == "exploding"


def test_analyze_json(capsys):
    assert main(["analyze", "--depth", "5", "--activation", "sigmoid", "--samples", "5",
                 "--seed", "1", "--format", "json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["verdict"] in ("vanishing", "stable", "exploding", "dead")
    assert [r["layer"] for r in obj["layers"]] == [1, 2, 3, 4, 5]
    assert {"layer", "grad_b", "grad_w", "ratio_to_last", "zero_fraction"} <= set(obj["layers"][0])
    assert obj["layers"][-1]["ratio_to_last"] == 1.0 and obj["dead_fraction"] == 0.0
    assert main(["analyze", "--depth", "3", "--activation", "sigmoid,relu", "--samples", "2",
                 "--format", "json"]) == 0
    assert [o["activation"] for o in json.loads(capsys.readouterr().out)] == ["sigmoid", "relu"]


def test_analyze_text(capsys):
    assert main(["analyze", "--depth", "4", "--init", "nielsen-exploding", "--samples", "2",
                 "--precision", "mp"]) == 0
    out = capsys.readouterr().out
    assert "factor per layer back: 25" in out and "verdict: exploding" in out
    assert main(["analyze", "--depth", "6", "--activation", "relu", "--samples", "30"]) == 0
    out = capsys.readouterr().out
    assert "verdict: dead" in out and "first layer's gradient exactly 0 in" in out


def test_dense_analysis_with_widths(capsys):
    assert main(["analyze", "--widths", "8,6,6,3", "--activation", "sigmoid,relu", "--init",
                 "xavier", "--samples", "4", "--format", "json"]) == 0
    objs = json.loads(capsys.readouterr().out)
    assert [o["network"]["widths"] for o in objs] == [[8, 6, 6, 3]] * 2


# -- training ---------------------------------------------------------------------------------

def test_spirals_are_two_seeded_interleaved_classes():
    x, y = spirals(200, seed=4)
    assert x.shape == (200, 2) and y.sum() == 100
    assert np.array_equal(x, spirals(200, seed=4)[0]) and not np.array_equal(x, spirals(200, seed=5)[0])
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.max() < 1.3 and r.min() < 0.2


def test_sigmoid_layers_train_with_smaller_first_layer_gradients_than_relu():
    runs = {a: train(training_network((2, 8, 8, 8, 1), a), steps=40, seed=0)
            for a in ("sigmoid", "relu")}
    ratio = {a: np.mean(r.layers[0]["grad_norm"]) / np.mean(r.layers[-1]["grad_norm"])
             for a, r in runs.items()}
    assert ratio["sigmoid"] < 0.1 < ratio["relu"]           # the picture of the material
    assert all(len(layer["grad_norm"]) == 40 for r in runs.values() for layer in r.layers)


def test_train_json_and_plot(tmp_path, capsys):
    needs_matplotlib()
    png = tmp_path / "train.png"
    assert main(["analyze", "--train", "12", "--widths", "2,5,5,1", "--format", "json",
                 "--plot", str(png)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert [r["activation"] for r in obj["runs"]] == ["sigmoid", "relu"]
    run = obj["runs"][0]
    assert run["network"]["widths"] == [2, 5, 5, 1]
    assert [layer["layer"] for layer in run["layers"]] == [1, 2, 3]
    assert all(len(layer["grad_norm"]) == 12 for layer in run["layers"])
    assert png.read_bytes().startswith(b"\x89PNG") and b"symgrad analyze" in png.read_bytes()


@pytest.mark.parametrize("argv, message", [
    (["--train", "5", "--widths", "3,4,1"], "widths='3,4,1': the spirals have 2 inputs"),
    (["--train", "5", "--depth", "3"], "depth=3: not with --train"),
    (["--train", "0"], "train=0: must be an integer from 1 to 100000"),
    (["--learning-rate", "0.1"], "learning-rate=0.1: only with --train"),
])
def test_train_usage_errors(capsys, argv, message):
    assert main(["analyze", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


# -- errors and plots -------------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["--init", "glorot"], "init='glorot': must be one of normal, xavier, he, nielsen-exploding"),
    (["--samples", "0"], "samples=0: must be an integer from 1 to 100000"),
    (["--seed", "-1"], "seed=-1: must be an integer >= 0"),
    (["--depth", "0"], "depth=0: depth must be an integer >= 1"),
    (["--activation", "sigmoid,,relu"], "activation='sigmoid,,relu': an empty name between commas"),
    (["--plot", "out.pdf"], "plot='out.pdf': must end in .png or .svg"),
    (["--output", "linear"], "output=linear: only with --widths"),
])
def test_analyze_usage_errors(capsys, argv, message):
    assert main(["analyze", "--samples", "1"] + argv if argv[0] != "--samples"
                else ["analyze"] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_plot_written_whole_and_not_over_a_foreign_file(tmp_path, capsys):
    needs_matplotlib()
    png = tmp_path / "g.png"
    argv = ["analyze", "--depth", "4", "--activation", "sigmoid,tanh", "--samples", "3",
            "--plot", str(png)]
    assert main(argv) == 0
    assert png.read_bytes().startswith(b"\x89PNG") and b"symgrad analyze" in png.read_bytes()
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
