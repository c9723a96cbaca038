"""The lecture documents: up to date, compiled by pdflatex, rendered by KaTeX, parsed back.

The renderer tests need pdflatex (Debian texlive-latex-base, texlive-latex-recommended)
and KaTeX (``npm install --no-save --no-package-lock --prefix tests katex@0.16.22``).  They
skip without them on a developer machine and FAIL with a message saying what to install
when the environment variable CI is set.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symgrad import Chain, derive
from symgrad.cli.main import main
from symgrad.model.network import Dense
from symgrad.derivation import derive
from symgrad.lecture.documents import DOCUMENTS, MARKERS, derivation_of, lecture, network_of
from symgrad.lecture.documents import main as lecture_main

sys.path.insert(0, str(Path(__file__).parent))
from notation_parser import check_document  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DERIVATIONS = ROOT / "derivations"
KATEX_SCRIPT = Path(__file__).parent / "katex_render.js"
#: an overfull box narrower than this is a rounding matter, not a formula off the page
OVERFULL_LIMIT_PT = 3.0


def require_tool(available: bool, what: str, install: str) -> None:
    """Skip without the tool, unless in CI, where its absence is a failure."""
    if available:
        return
    message = f"{what} is not installed; install it with: {install}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_pdflatex() -> None:
    require_tool(shutil.which("pdflatex") is not None, "pdflatex",
                 "apt-get install texlive-latex-base texlive-latex-recommended")


def require_katex() -> None:
    ok = shutil.which("node") is not None and (KATEX_SCRIPT.parent / "node_modules" / "katex").is_dir()
    require_tool(ok, "KaTeX (node + the katex npm package in tests/node_modules)",
                 "npm install --no-save --no-package-lock --prefix tests katex@0.16.22")


def pdflatex(tex: str, folder: Path, name: str = "doc") -> tuple[int, str]:
    """Compile ``tex`` in ``folder``; returns pdflatex's exit code and its log."""
    (folder / f"{name}.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                          cwd=folder, capture_output=True, text=True, timeout=120)
    log = (folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    return proc.returncode, log


def overfull(log: str) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]


def katex(formulas: list[dict]) -> dict:
    proc = subprocess.run(["node", str(KATEX_SCRIPT)], input=json.dumps(formulas),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def markdown_formulas(md: str) -> list[dict]:
    """Every formula of a Markdown document: the $$ blocks and the inline $...$."""
    blocks = re.findall(r"^\$\$\n(.*?)\n\$\$$", md, re.S | re.M)
    prose = re.sub(r"^\$\$\n.*?\n\$\$$", "", md, flags=re.S | re.M)
    inline = re.findall(r"\$([^$\n]+)\$", prose)
    return [{"tex": b, "display": True} for b in blocks] + \
        [{"tex": t, "display": False} for t in inline]


DOC_IDS = [stem for stem, _, _ in DOCUMENTS]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """derivations/ as the documented command writes it now."""
    folder = tmp_path_factory.mktemp("derivations")
    assert lecture_main(["--regenerate", str(folder)]) == 0
    return folder


# -- derivations/ is complete and up to date ------------------------------------------------

def test_derivations_are_up_to_date(regenerated):
    committed = sorted(p.name for p in DERIVATIONS.iterdir() if p.suffix in (".tex", ".md")
                       and p.name != "README.md")
    produced = sorted(p.name for p in regenerated.iterdir())
    assert committed == produced, "derivations/ and DOCUMENTS disagree on the file set"
    stale = [n for n in produced
             if (DERIVATIONS / n).read_text(encoding="utf-8") != (regenerated / n).read_text(encoding="utf-8")]
    assert not stale, (f"out of date: {stale}; run 'python -m symgrad.lecture --regenerate "
                       "derivations'")


def test_derivations_cover_the_required_cases():
    specs = {stem: (network_of(spec), notation) for stem, spec, notation in DOCUMENTS}
    nets = [n for n, _ in specs.values() if n.is_chain]
    dense = [n for n, _ in specs.values() if not n.is_chain]
    # the material's three-layer network (shared/REFERENCE.md §2)
    assert any(n.widths[0] > 1 and n.L == 3 and [a.name for a in n.activations]
               == ["sigmoid", "sigmoid", "linear"] and n.cost_name == "squared-error"
               and n.samples > 1 for n in dense)
    assert any(n.depth == 4 and not n.mixed and n.activations[0].name == "sigmoid"
               and n.cost.name == "quadratic" for n in nets)
    for act in ("tanh", "relu"):
        assert any(not n.mixed and n.activations[0].name == act for n in nets)
    assert any(n.mixed and n.activations[-1].is_linear for n in nets)
    assert any(n.cost.name == "cross-entropy" and n.activations[-1].name == "sigmoid" for n in nets)
    assert any(n.depth >= 5 for n in nets)                      # products broken across lines
    assert any(notation == "matrix" for _, notation in specs.values())
    readme = (DERIVATIONS / "README.md").read_text(encoding="utf-8")
    assert "python -m symgrad.lecture --regenerate derivations" in readme
    assert "pdftoppm" in readme


def test_cross_entropy_document_states_the_cancelled_output_error():
    text = (DERIVATIONS / "cross-entropy-sigmoid-4.tex").read_text(encoding="utf-8")
    # δ_4 = σ'(z_4) ∂C/∂a_4 = a_4 (1 - a_4) (a_4 - y)/(a_4 (1 - a_4)) = a_4 - y
    assert r"&= a_{4} - y" in text
    assert r"\frac{\partial C}{\partial b_{4}} &= a_{4} - y" in text


def test_every_document_carries_its_command_and_marker():
    for stem, spec, notation in DOCUMENTS:
        for ext, fmt in ((".tex", "tex"), (".md", "markdown")):
            first = (DERIVATIONS / (stem + ext)).read_text(encoding="utf-8").splitlines()[0]
            assert first.startswith(MARKERS[fmt])
            shape = (f"--widths {','.join(map(str, spec['widths']))}" if "widths" in spec
                     else f"--depth {spec['depth']}")
            assert shape in first and f"--format {fmt}" in first


# -- parse back: every formula equals what was derived ---------------------------------------

@pytest.mark.parametrize("stem,spec,notation", DOCUMENTS, ids=DOC_IDS)
def test_documents_parse_back_to_the_derivation(stem, spec, notation):
    d = derivation_of(network_of(spec))
    for ext, fmt in ((".tex", "tex"), (".md", "markdown")):
        text = (DERIVATIONS / (stem + ext)).read_text(encoding="utf-8")
        assert check_document(text, fmt, d, notation) == []


def _corrupt(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize("old,new", [
    # a lost backslash: \frac printed as rac (the published slides' mistake)
    (r"\frac{\partial C}{\partial b_{3}} &= \sigma'(z_{3})",
     r"rac{\partial C}{\partial b_{3}} &= \sigma'(z_{3})"),
    # a doubled factor
    (r"&= \sigma'(z_{2}) \, w_{3} \, \sigma'(z_{3})",
     r"&= \sigma'(z_{2}) \, w_{3} \, w_{3} \, \sigma'(z_{3})"),
    # a lost factor
    (r"&= a_{1} \, \sigma'(z_{2}) \, w_{3}", r"&= a_{1} \, w_{3}"),
    # a wrong bound, (1/4)^3 for (1/4)^4
    (r"\left(\frac{1}{4}\right)^{4}", r"\left(\frac{1}{4}\right)^{3}"),
    # a wrong activation derivative
    (r"\sigma'(z_{j}) &= a_{j} \left(1 - a_{j}\right)", r"\sigma'(z_{j}) &= a_{j} \left(1 + a_{j}\right)"),
    # the wrong relation
    (r"\right| &\leq", r"\right| &="),
])
def test_parse_back_catches_a_corrupted_formula(old, new):
    d = derive(Chain(depth=4))
    text = (DERIVATIONS / "sigmoid-chain-4.tex").read_text(encoding="utf-8")
    assert check_document(text, "tex", d) == []
    assert check_document(_corrupt(text, old, new), "tex", d) != []


def test_parse_back_catches_a_doubled_factor_in_the_matrix_notation():
    # ∂h_2/∂h_2 in place of ∂h_2/∂h̃_2, the other mistake of the published slides
    d = derive(Chain(depth=4))
    text = (DERIVATIONS / "sigmoid-chain-4-matrix.md").read_text(encoding="utf-8")
    assert check_document(text, "markdown", d, "matrix") == []
    bad = _corrupt(text, r"\frac{\partial h_{2}}{\partial \tilde{h}_{2}}",
                   r"\frac{\partial h_{2}}{\partial h_{2}}")
    assert check_document(bad, "markdown", d, "matrix") != []


THREE_LAYER = dict(widths=(3, 4, 4, 2), activations=("sigmoid", "sigmoid", "linear"),
                   cost="squared-error", samples=4)


@pytest.mark.parametrize("old,new", [
    # ∂h_2/∂h_2 repeated in the chain rule, the published slides' mistake
    (r"\frac{\partial h_{2}}{\partial \tilde{h}_{2}} \cdot \frac{\partial \tilde{h}_{2}}{\partial h_{1}}",
     r"\frac{\partial h_{2}}{\partial \tilde{h}_{2}} \cdot \frac{\partial h_{2}}{\partial h_{2}} "
     r"\cdot \frac{\partial \tilde{h}_{2}}{\partial h_{1}}"),
    # ∂h_2/∂h_2 in place of ∂h_2/∂h̃_2
    (r"\frac{\partial \hat{y}}{\partial h_{2}} \cdot \frac{\partial h_{2}}{\partial \tilde{h}_{2}}",
     r"\frac{\partial \hat{y}}{\partial h_{2}} \cdot \frac{\partial h_{2}}{\partial h_{2}}"),
    # two factors of the chain swapped (matrices do not commute)
    (r"\frac{\partial \tilde{h}_{2}}{\partial h_{1}} \cdot \frac{\partial h_{1}}{\partial \tilde{h}_{1}}",
     r"\frac{\partial h_{1}}{\partial \tilde{h}_{1}} \cdot \frac{\partial \tilde{h}_{2}}{\partial h_{1}}"),
    # the column convention's W_3ᵀ δ_3 in the row convention
    (r"\left(\delta_{3} W_{3}^{T}\right)", r"\left(W_{3}^{T} \delta_{3}\right)"),
    # a lost transpose
    (r"\sum_{i=1}^{N} h_{1,i}^{T} \delta_{2,i}", r"\sum_{i=1}^{N} h_{1,i} \delta_{2,i}"),
    # a lost backslash
    (r"\frac{\partial \mathcal{L}}{\partial W_{1}} &= \frac{\partial \mathcal{L}}",
     r"rac{\partial \mathcal{L}}{\partial W_{1}} &= \frac{\partial \mathcal{L}}"),
    # a wrong bound: one sigmoid factor in place of two
    (r"\left(\frac{1}{4}\right)^{2}", r"\frac{1}{4}"),
    # a wrong local factor: σ' ≤ 1/4 printed as 1
    (r"\right\rVert &\leq \frac{1}{4}", r"\right\rVert &\leq 1"),
])
def test_parse_back_catches_a_corrupted_three_layer_formula(old, new):
    d = derive(Dense(**THREE_LAYER))
    for ext, fmt in ((".tex", "tex"), (".md", "markdown")):
        text = (DERIVATIONS / f"three-layer-matrix{ext}").read_text(encoding="utf-8")
        assert check_document(text, fmt, d) == []
        assert check_document(_corrupt(text, old, new), fmt, d) != []


def test_three_layer_document_reads_like_the_material():
    text = (DERIVATIONS / "three-layer-matrix.tex").read_text(encoding="utf-8")
    for row in [r"\tilde{h}_{1,i} &= x_{i}^{T} W_{1} + b_{1}",
                r"h_{1,i} &= \sigma(\tilde{h}_{1,i})",
                r"\hat{y}_{i} &= h_{2,i} W_{3} + b_{3}",
                r"\mathcal{L} &= \sum_{i=1}^{N} \left\lVert y_{i} - \hat{y}_{i}\right\rVert_{2}^{2}",
                # the chain rule of shared/REFERENCE.md §2, every factor once
                r"\frac{\partial \mathcal{L}}{\partial W_{1}} &= \frac{\partial \mathcal{L}}{\partial \hat{y}}"
                r" \cdot \frac{\partial \hat{y}}{\partial h_{2}} \cdot \frac{\partial h_{2}}{\partial \tilde{h}_{2}}"
                r" \cdot \frac{\partial \tilde{h}_{2}}{\partial h_{1}} \cdot \frac{\partial h_{1}}{\partial \tilde{h}_{1}}"
                r" \cdot \frac{\partial \tilde{h}_{1}}{\partial W_{1}}",
                r"\frac{\partial h_{2}}{\partial \tilde{h}_{2}} &= \operatorname{diag}\left(\sigma'(\tilde{h}_{2})\right)",
                r"\frac{\partial \hat{y}}{\partial h_{2}} &= W_{3}^{T}",
                r"\delta_{2} &= \left(\delta_{3} W_{3}^{T}\right) \odot \sigma'(\tilde{h}_{2})",
                r"\frac{\partial \mathcal{L}}{\partial W_{1}} &= \sum_{i=1}^{N} x_{i} \delta_{1,i}",
                r"\left|{\sigma'(z)}\right| &\leq \frac{1}{4}",
                r"\nabla_{\hat{y}} \mathcal{L} &= 2 \cdot \left(\hat{y} - y\right)"]:
        assert row in text, row
    assert r"\partial h_{2}}{\partial h_{2}}" not in text and "rac{" not in text.replace(r"\frac{", "")


def test_three_layer_row_forms_are_the_dense_derivation_transposed():
    """The printed row forms, evaluated on random numbers, equal the Derivation's column
    forms transposed (W_row = W_colᵀ): δ_2 = (δ_3 W_3ᵀ) ⊙ σ'(h̃_2) and ∂𝓛/∂W_l = h_{l-1}ᵀ δ_l."""
    import numpy as np
    import sympy as sp
    from symgrad.lecture.steps import row_form
    net = Dense(widths=(3, 4, 4, 2), activations=("sigmoid", "sigmoid", "linear"),
                cost="squared-error")
    d = derive(net)
    rng = np.random.default_rng(7)
    values = {}
    for sym in [net.W(3), net.delta(3), net.z(2), net.delta(2), net.a(1)]:
        values[sym] = rng.normal(size=sym.shape)
    sig = lambda z: 1 / (1 + np.exp(-z))

    def evaluate(e, col: bool):
        if isinstance(e, sp.MatrixSymbol):
            v = values[next(s for s in values if s.name == e.name)]
            return v if (col or v.shape == e.shape) else v.T
        if isinstance(e, sp.Transpose):
            return evaluate(e.arg, col).T
        if isinstance(e, sp.MatMul):
            out = evaluate(e.args[0], col)
            for a in e.args[1:]:
                out = out @ evaluate(a, col)
            return out
        if isinstance(e, sp.HadamardProduct):
            return evaluate(e.args[0], col) * evaluate(e.args[1], col)
        z = evaluate(e.expr, col)                      # σ'(z) elementwise
        return sig(z) * (1 - sig(z))

    col = evaluate(d.delta_matrix(2), True)
    row = evaluate(row_form(d.delta_matrix(2), net), False)
    assert row.shape == (1, 4) and np.allclose(row, col.T, rtol=1e-15, atol=0)
    col = evaluate(d.gradient_matrix("W_2"), True)
    row = evaluate(row_form(d.gradient_matrix("W_2"), net), False)
    assert row.shape == (4, 4) and np.allclose(row, col.T, rtol=1e-15, atol=0)
    assert not np.allclose(row, col, rtol=1e-3)       # the transpose matters here


def test_lecture_with_widths_writes_the_three_layer_document(tmp_path):
    out = tmp_path / "three.tex"
    assert main(["lecture", "--widths", "3,4,4,2", "--activations", "sigmoid,sigmoid,linear",
                 "--cost", "squared-error", "--samples-in-loss", "4", "--notation", "matrix",
                 "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == \
        (DERIVATIONS / "three-layer-matrix.tex").read_text(encoding="utf-8")
    md = tmp_path / "three.md"                      # --notation matrix is the default for --widths
    assert main(["lecture", "--widths", "3,4,4,2", "--activations", "sigmoid,sigmoid,linear",
                 "--cost", "squared-error", "--samples-in-loss", "4", "-o", str(md)]) == 0
    assert md.read_text(encoding="utf-8") == \
        (DERIVATIONS / "three-layer-matrix.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("args,needle", [
    (["--widths", "3,4,2", "--notation", "nielsen"], "notation='nielsen': a dense network"),
    (["--widths", "3,4,2", "--cost", "softmax-cross-entropy"], "cost='softmax-cross-entropy':"),
    (["--widths", "3,4,2", "--cost", "cross-entropy"], "cost='cross-entropy':"),
    (["--widths", "3,4,2", "--activations", "prelu,linear"], "activations='prelu,linear':"),
    (["--widths", "3,0,2"], "widths='3,0,2': every width must be an integer >= 1"),
    (["--widths", "3,4,2", "--activations", "tanh"], "activations='tanh': 1 given"),
])
def test_lecture_with_widths_bad_input_is_one_line(args, needle, tmp_path, capsys):
    out = tmp_path / "x.tex"
    assert main(["lecture", *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symgrad: error:") and err.count("\n") == 1 and needle in err, err
    assert not out.exists()


# -- pdflatex ---------------------------------------------------------------------------------

@pytest.mark.parametrize("stem", DOC_IDS)
def test_pdflatex_compiles_every_derivation_without_overfull_formulas(stem, tmp_path):
    require_pdflatex()
    code, log = pdflatex((DERIVATIONS / f"{stem}.tex").read_text(encoding="utf-8"), tmp_path, stem)
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert code == 0 and not errors, errors
    assert (tmp_path / f"{stem}.pdf").stat().st_size > 10_000
    wide = [w for w in overfull(log) if w > OVERFULL_LIMIT_PT]
    assert not wide, f"{stem}: overfull boxes of {wide} pt"


def test_pdflatex_harness_sees_errors_and_overfull_boxes(tmp_path):
    require_pdflatex()
    d = derive(Chain(depth=2))
    broken = lecture(d, "tex").replace(r"\end{align*}", r"\end{aligned}", 1)
    code, log = pdflatex(broken, tmp_path, "broken")
    assert code != 0 and any(line.startswith("!") for line in log.splitlines())
    # one unbroken depth-20 product is far wider than the page
    long = "".join(rf"w_{{{j}}} \sigma'(z_{{{j}}}) " for j in range(1, 21))
    doc = ("\\documentclass{article}\\usepackage{amsmath}\\begin{document}\\begin{align*}"
           f"x &= {long}\\end{{align*}}\\end{{document}}\n")
    code, log = pdflatex(doc, tmp_path, "wide")
    assert code == 0 and max(overfull(log)) > 100


@pytest.mark.parametrize("args", [["--depth", "12", "--cost", "cross-entropy"],
                                  ["--depth", "6", "--activations", "tanh,relu,prelu,elu,selu,linear",
                                   "--notation", "matrix"]])
def test_deep_and_mixed_lectures_fit_the_page(args, tmp_path):
    require_pdflatex()
    out = tmp_path / "deep.tex"
    assert main(["lecture", *args, "-o", str(out)]) == 0
    code, log = pdflatex(out.read_text(encoding="utf-8"), tmp_path, "deep")
    assert code == 0
    assert not [w for w in overfull(log) if w > OVERFULL_LIMIT_PT]


def test_symgrad_lecture_then_pdflatex_from_the_shell(tmp_path):
    """The issue's 'done when': symgrad lecture -o chain.tex && pdflatex chain.tex."""
    require_pdflatex()
    exe = shutil.which("symgrad")
    cmd = [exe] if exe else [sys.executable, "-m", "symgrad.cli.main"]
    proc = subprocess.run(cmd + ["lecture", "-o", "chain.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "chain.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and (tmp_path / "chain.pdf").exists()


# -- KaTeX ------------------------------------------------------------------------------------

def test_katex_renders_every_formula_of_every_markdown_document():
    require_katex()
    formulas = []
    for stem in DOC_IDS:
        formulas += markdown_formulas((DERIVATIONS / f"{stem}.md").read_text(encoding="utf-8"))
    result = katex(formulas)
    assert result["errors"] == []
    assert result["rendered"] == len(formulas) > 300


def test_katex_harness_rejects_a_broken_formula():
    require_katex()
    result = katex([{"tex": r"\frac{\partial C}{\partial b_{1}} &= \sigma'(z_{1})", "display": True},
                    {"tex": r"\begin{aligned} x &= 1 \end{align}", "display": True},
                    {"tex": r"\begin{aligned} x &= \frac{1}{4} \end{aligned}", "display": True}])
    assert [e["index"] for e in result["errors"]] == [0, 1]


# -- the command ------------------------------------------------------------------------------

def test_lecture_writes_whole_files_and_respects_foreign_ones(tmp_path, capsys):
    out = tmp_path / "chain.tex"
    assert main(["lecture", "-o", str(out)]) == 0
    first = out.read_text(encoding="utf-8")
    assert first.startswith(MARKERS["tex"]) and first.rstrip().endswith(r"\end{document}")
    assert main(["lecture", "--depth", "3", "-o", str(out)]) == 0   # ours: replaced
    assert "--depth 3" in out.read_text(encoding="utf-8").splitlines()[0]
    foreign = tmp_path / "notes.tex"
    foreign.write_text("my own notes\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["lecture", "-o", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "notes.tex" in err
    assert foreign.read_text(encoding="utf-8") == "my own notes\n"
    assert main(["lecture", "-o", str(foreign), "--force"]) == 0
    assert foreign.read_text(encoding="utf-8").startswith(MARKERS["tex"])


def test_lecture_format_follows_the_file_name(tmp_path):
    md = tmp_path / "chain.md"
    assert main(["lecture", "--depth", "2", "-o", str(md)]) == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith(MARKERS["markdown"]) and "\\begin{aligned}" in text
    assert "\\documentclass" not in text
    assert check_document(text, "markdown", derive(Chain(depth=2))) == []


def test_lecture_to_stdout_matches_the_library(capsys):
    assert main(["lecture", "--depth", "2", "--activation", "tanh", "--format", "markdown",
                 "--notation", "matrix"]) == 0
    assert capsys.readouterr().out == lecture(derive(Chain(depth=2, activation="tanh")),
                                              "markdown", "matrix")


@pytest.mark.parametrize("args,needle", [
    (["--notation", "tilde"], "notation='tilde': must be one of nielsen, matrix"),
    (["--format", "pdf"], "format='pdf': must be one of tex, markdown"),
    (["--depth", "101"], "depth=101:"),
    (["--depth", "0"], "depth=0: depth must be an integer >= 1"),
    (["--activations", "tanh,relu"], "activations='tanh,relu'"),
])
def test_lecture_bad_input_is_one_line_and_exit_2(args, needle, tmp_path, capsys):
    out = tmp_path / "x.tex"
    assert main(["lecture", *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symgrad: error:") and err.count("\n") == 1 and needle in err, err
    assert not out.exists()                                         # nothing half-written


def test_a_wide_network_is_proven_at_narrow_widths_and_says_so(tmp_path):
    # Nielsen's MNIST shape: the printed forms do not mention the widths; the proof runs at 3,3,3,3
    out = tmp_path / "mnist.md"
    assert main(["lecture", "--widths", "784,30,30,10", "--samples-in-loss", "100",
                 "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "(at widths 3, 3, 3, 3 and N = 2:" in text and "N = 100 here" in text
    assert check_document(text, "markdown", derive(Dense([784, 30, 30, 10], samples=100))) == []
