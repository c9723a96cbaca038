"""The lecture documents: up to date, compiled by pdflatex, rendered by KaTeX, parsed back,
audited, their claims and numbers recomputed; the beamer deck, the figures, the worked example,
the exercises and the command.

The renderer tests need pdflatex with beamer, TikZ and pgfplots (Debian texlive-latex-base,
texlive-latex-recommended, texlive-latex-extra, texlive-pictures) and KaTeX
(``npm install --no-save --no-package-lock --prefix tests katex@0.16.22``).  They skip without
them on a developer machine and FAIL with a message saying what to install when the
environment variable CI is set; so do the figure tests without matplotlib.
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
from symgrad.lecture import MARKERS, build, lecture, network_of, produce
from symgrad.lecture.regenerate import DOCUMENTS, THREE_LAYER, main as regenerate_main
from symgrad.model.network import Dense

sys.path.insert(0, str(Path(__file__).parent))
from example_checks import chain_problems, dense_problems  # noqa: E402
from notation_parser import check_document  # noqa: E402
from prose_checks import derivation_part, false_claims  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DERIVATIONS = ROOT / "derivations"
KATEX_SCRIPT = Path(__file__).parent / "katex_render.js"
#: an overfull box narrower than this is a rounding matter, not a formula off the page
OVERFULL_LIMIT_PT = 3.0
STEMS = [e[0] for e in DOCUMENTS]


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
                 "apt-get install texlive-latex-base texlive-latex-recommended "
                 "texlive-latex-extra texlive-pictures")


def require_katex() -> None:
    ok = shutil.which("node") is not None and (KATEX_SCRIPT.parent / "node_modules" / "katex").is_dir()
    require_tool(ok, "KaTeX (node + the katex npm package in tests/node_modules)",
                 "npm install --no-save --no-package-lock --prefix tests katex@0.16.22")


def require_matplotlib() -> None:
    import importlib.util
    require_tool(importlib.util.find_spec("matplotlib") is not None, "matplotlib",
                 "pip install 'symgrad[plot]'")


def pdflatex(tex: str, folder: Path, name: str = "doc") -> tuple[int, str]:
    """Compile ``tex`` in ``folder``; returns pdflatex's exit code and its log."""
    (folder / f"{name}.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                          cwd=folder, capture_output=True, text=True, timeout=300)
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


def committed(name: str) -> str:
    return (DERIVATIONS / name).read_text(encoding="utf-8")


# -- derivations/ is complete and up to date ------------------------------------------------

@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """derivations/ as the documented command writes it now."""
    folder = tmp_path_factory.mktemp("derivations")
    assert regenerate_main(["--regenerate", str(folder)]) == 0
    return folder


def test_derivations_are_up_to_date(regenerated):
    """Every committed document is what the command writes now.  Without matplotlib (and
    outside CI, which installs it) the PNG figures and the Markdown pages that embed them
    cannot be made, so only the rest is compared."""
    import importlib.util
    import os
    figures = importlib.util.find_spec("matplotlib") is not None
    if not figures and os.environ.get("CI"):
        pytest.fail("matplotlib is required in CI (the Markdown figures)")

    def files(folder):
        return sorted(p.name for p in folder.iterdir() if p.name != "README.md"
                      and (figures or p.suffix != ".png"))
    assert files(DERIVATIONS) == files(regenerated), "derivations/ and DOCUMENTS disagree"
    stale = [p.name for p in regenerated.iterdir() if p.suffix in (".tex", ".md")
             and (figures or ".png" not in committed(p.name))
             and committed(p.name) != p.read_text(encoding="utf-8")]
    assert not stale, (f"out of date: {stale}; run 'python -m symgrad.lecture --regenerate "
                       "derivations'")


def test_derivations_cover_the_required_cases():
    by_stem = {e[0]: e for e in DOCUMENTS}
    nets = {stem: network_of(e[1]) for stem, e in by_stem.items()}
    assert nets["three-layer-matrix"] == Dense(**THREE_LAYER)
    _, _, _, formats, sections, exercises = by_stem["three-layer-worked"]
    assert {"example", "exercises", "figures"} <= set(sections) and exercises >= 4
    assert by_stem["three-layer-slides"][3] == ("beamer",)
    for act in ("sigmoid", "tanh", "relu"):
        assert any(n.is_chain and not n.mixed and n.activations[0].name == act for n in nets.values())
    assert any(n.mixed and n.activations[-1].is_linear for n in nets.values())
    assert any(n.cost_name == "cross-entropy" for n in nets.values())
    readme = committed("README.md")
    assert "python -m symgrad.lecture --regenerate derivations" in readme


def _markdown_stems():
    return [e[0] for e in DOCUMENTS if "markdown" in e[3]]


@pytest.mark.parametrize("stem", _markdown_stems())
def test_committed_documents_parse_back_and_every_claim_holds(stem):
    entry = next(e for e in DOCUMENTS if e[0] == stem)
    d = derive(network_of(entry[1]))
    for ext, fmt in ((".md", "markdown"), (".tex", "tex")):
        text = committed(stem + ext)
        assert check_document(derivation_part(text, fmt), fmt, d, entry[2]) == []
    assert false_claims(committed(stem + ".md"), d) == []


def test_the_fixed_sentences_of_the_findings():
    mixed = committed("mixed-linear-output-4.md")
    assert "a_{j} = \\operatorname{id}(z_{j})" not in mixed and "1 \\, \\frac" not in mixed
    assert "$\\delta_{4} = \\frac{\\partial C}{\\partial a_{4}}$" in mixed
    relu = committed("relu-chain-4.md")
    assert "any differentiable activation" not in relu
    assert "$\\operatorname{ReLU}'(0) = 0$ (the left branch's value)" in relu
    assert "\\begin{cases} 0 & \\text{for}\\: a_{j} \\leq 0" in relu    # ReLU' with a_j
    ce = committed("cross-entropy-sigmoid-4.md")
    assert "with the cross-entropy cost" in ce.splitlines()[2]
    assert "carries 3 activation derivatives" in ce
    sigmoid = committed("sigmoid-chain-4.md")
    assert "is at least $4$" in sigmoid and "the bound that vanishes, not necessarily" in sigmoid
    assert "next layer's error times that factor" not in sigmoid
    three = committed("three-layer-matrix.md")
    assert "\\delta_{l} = \\frac{\\partial \\mathcal{L}}{\\partial \\tilde{h}_{l}}" in three
    assert "network order" not in three and "the material writes" not in three
    assert "one for each of the layers 1 and 2 (the linear layer 3 contributes none)" in three
    assert "transpose" in committed("sigmoid-chain-4-matrix.md")


# -- the worked example and the exercises ---------------------------------------------------

def test_the_worked_example_recomputes_to_every_printed_digit():
    net = Dense(**THREE_LAYER)
    md = committed("three-layer-worked.md")
    assert dense_problems(md, net) == []
    wrong = md.replace("0.667528", "0.667538", 1)           # one digit of ŷ_1 off
    assert wrong != md and dense_problems(wrong, net) != []
    chain = Chain(depth=4)
    text = lecture(derive(chain), "markdown", sections=["example"])
    assert chain_problems(text, chain) == []
    assert chain_problems(text.replace("0.487503", "0.487501", 1), chain) != []
    assert "agrees with symgrad's reference (symgrad.oracle.reference" in text


def test_a_dead_relu_unit_is_said_so_in_the_example():
    text = lecture(derive(Chain(depth=3, activation="relu")), "markdown", sections=["example"])
    assert "the activation derivative is exactly 0 at this point" in text


def test_exercises_come_with_solutions_and_the_mistake_is_one():
    from symgrad.audit import audit_text
    md = committed("three-layer-worked.md")
    exercises = md.split("<!-- symgrad-section: exercises -->")[1].split("<!-- symgrad-section")[0]
    solutions = md.split("<!-- symgrad-section: solutions -->")[1]
    for i in range(1, 5):
        assert f"Exercise {i} (" in exercises and f"Solution {i}." in solutions
    wrong = re.search(r"Find it and correct it:\n\n\$\$\n\\begin\{aligned\}\n(.*?)\n", exercises).group(1)
    right = re.search(r"The correct formula.*?\n\n\$\$\n\\begin\{aligned\}\n(.*?)\n", solutions, re.S).group(1)
    forward = md.split("<!-- symgrad-section: chain-rule")[0]
    verdict = {f.latex.strip(): f.verdict for f in audit_text(
        forward + f"\n$$\n\\begin{{aligned}}\n{wrong}\n\\\\\n{right}\n\\end{{aligned}}\n$$\n",
        fmt="markdown").formulas}
    assert verdict[wrong.strip()] in ("wrong", "defect") and verdict[right.strip()] == "correct"


def test_a_bound_exercise_gives_a_point_where_the_wrong_bound_fails():
    blocks = build(derive(Chain(depth=3, cost="cross-entropy")), sections=["exercises"],
                   exercises=4).solutions.blocks
    words = "".join(w for b in blocks for w in getattr(b, "words", ()) if isinstance(w, str))
    assert "one activation derivative too many: the output's cancelled" in words
    assert "the second bound is only" in words


# -- figures, slides ------------------------------------------------------------------------

def test_markdown_figures_are_written_beside_the_document(tmp_path):
    require_matplotlib()
    out = tmp_path / "relu.md"
    assert main(["lecture", "--depth", "2", "--activation", "relu", "--sections",
                 "figures,forward", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["relu-activation-relu.png", "relu-network.png"]
    assert all(f"]({name})" in text for name in pngs)
    assert all((tmp_path / n).read_bytes().startswith(b"\x89PNG") for n in pngs)
    assert text.index("symgrad-section: figures") < text.index("symgrad-section: forward")
    assert main(["lecture", "--depth", "2", "--activation", "relu", "--sections",
                 "figures", "-o", str(out)]) == 0      # its own figures are replaced


def test_without_matplotlib_the_figures_are_a_note(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    out = produce(derive(Chain(depth=2)), "markdown", sections=["figures"], stem="x")
    assert out.figures == () and "matplotlib is installed: pip install" in out.text


@pytest.mark.parametrize("stem", ["sigmoid-chain-4", "three-layer-worked", "three-layer-slides"])
def test_pdflatex_compiles_documents_and_deck_without_overfull_formulas(stem, tmp_path):
    require_pdflatex()
    code, log = pdflatex(committed(f"{stem}.tex"), tmp_path, stem)
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert code == 0 and not errors, errors
    assert not [w for w in overfull(log) if w > OVERFULL_LIMIT_PT]


def test_the_deck_has_one_idea_a_frame():
    deck = committed("three-layer-slides.tex")
    titles = re.findall(r"\\frametitle\{(.*?)\}", deck)
    for part in ("The network", "The forward pass", "The chain rule", "Backpropagation",
                 "How large can the gradients be?", "A worked example"):
        assert any(t.startswith(part) for t in titles), part
    frames = deck.split(r"\begin{frame}")[1:]
    assert all(f.count(r"\\") <= 12 for f in frames if "tikzpicture" not in f)


def test_pdflatex_harness_sees_errors_and_overfull_boxes(tmp_path):
    require_pdflatex()
    broken = lecture(derive(Chain(depth=2))).replace(r"\end{align*}", r"\end{aligned}", 1)
    code, log = pdflatex(broken, tmp_path, "broken")
    assert code != 0 and any(line.startswith("!") for line in log.splitlines())
    long = "".join(rf"w_{{{j}}} \sigma'(z_{{{j}}}) " for j in range(1, 21))
    doc = ("\\documentclass{article}\\usepackage{amsmath}\\begin{document}\\begin{align*}"
           f"x &= {long}\\end{{align*}}\\end{{document}}\n")
    code, log = pdflatex(doc, tmp_path, "wide")
    assert code == 0 and max(overfull(log)) > 100


def test_katex_renders_every_formula_of_every_markdown_document():
    require_katex()
    formulas = []
    for stem in _markdown_stems():
        formulas += markdown_formulas(committed(f"{stem}.md"))
    marp = lecture(derive(Chain(depth=3, activation="tanh")), "marp", sections=["forward", "bounds"])
    formulas += markdown_formulas(marp)
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

def test_lecture_with_widths_writes_the_three_layer_document(tmp_path):
    out = tmp_path / "three.tex"
    assert main(["lecture", "--widths", "3,4,4,2", "--activations", "sigmoid,sigmoid,linear",
                 "--cost", "squared-error", "--samples-in-loss", "4", "--notation", "matrix",
                 "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == committed("three-layer-matrix.tex")


def test_sections_come_in_the_order_given_and_the_deck_is_beamer(capsys):
    assert main(["lecture", "--depth", "2", "--sections", "bounds,forward",
                 "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert re.findall(r"symgrad-section: (\S+)", text) == ["bounds", "forward"]
    assert main(["lecture", "--depth", "2", "--format", "beamer"]) == 0
    deck = capsys.readouterr().out
    assert deck.startswith(MARKERS["tex"]) and r"\documentclass[aspectratio=169,11pt]{beamer}" in deck
    assert main(["lecture", "--depth", "2", "--exercises", "2", "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert "Exercise 2 (" in text and "symgrad-section: solutions" in text


def test_lecture_writes_whole_files_and_respects_foreign_ones(tmp_path, capsys):
    out = tmp_path / "chain.tex"
    assert main(["lecture", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith(MARKERS["tex"])
    foreign = tmp_path / "notes.tex"
    foreign.write_text("my own notes\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["lecture", "-o", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "notes.tex" in err
    assert foreign.read_text(encoding="utf-8") == "my own notes\n"


@pytest.mark.parametrize("args,needle", [
    (["--notation", "tilde"], "notation='tilde': must be one of nielsen, matrix"),
    (["--format", "pdf"], "format='pdf': must be one of tex, markdown, beamer, marp"),
    (["--depth", "101"], "depth=101:"),
    (["--sections", "forward,proof"], "sections='forward,proof': unknown section 'proof'"),
    (["--sections", "forward,forward"], "sections='forward,forward': name every section once"),
    (["--exercises", "0"], "exercises=0: must be an integer from 1 to 20"),
    (["--widths", "3,4,2", "--notation", "nielsen"], "notation='nielsen': a dense network"),
    (["--widths", "3,4,2", "--activations", "prelu,linear"], "activations='prelu,linear':"),
    (["--widths", "784,30,10", "--sections", "example"], "sections=example: the worked example "
                                                        "prints every number"),
    (["--widths", "3,4,2", "--activations", "tanh"], "activations='tanh': 1 given"),
])
def test_lecture_bad_input_is_one_line_and_exit_2(args, needle, tmp_path, capsys):
    out = tmp_path / "x.tex"
    assert main(["lecture", *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symgrad: error:") and err.count("\n") == 1 and needle in err, err
    assert not out.exists()


def test_markdown_figures_need_a_file_name(capsys):
    assert main(["lecture", "--depth", "2", "--sections", "figures", "--format", "markdown"]) == 2
    assert "give the document a file name (-o FILE.md)" in capsys.readouterr().err


def test_dense_lectures_take_every_cost():
    for cost in ("quadratic", "squared-error", "cross-entropy", "softmax-cross-entropy"):
        text = lecture(derive(Dense([2, 3, 2], "sigmoid" if cost != "softmax-cross-entropy"
                                    else "tanh", cost)), "markdown")
        assert text.startswith(MARKERS["markdown"])


def test_a_wide_network_is_proven_at_narrow_widths_and_says_so():
    text = lecture(derive(Dense([784, 30, 30, 10], samples=100)), "markdown")
    assert "(at widths 3, 3, 3, 3 and N = 2:" in text and "N = 100 here" in text
