"""Per-layer analysis: vanishing for sigmoid, exactly ×25 a layer in Nielsen's exploding
case, the JSON shape, the plot and its errors."""
from __future__ import annotations

import builtins
import json

import mpmath
import pytest

from symgrad.analysis import analyze
from symgrad.cli import main
from symgrad.derive import derive
from symgrad.network import Chain


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
