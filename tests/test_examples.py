"""examples/: backprop in C, JavaScript and Rust, each checked by ``symgrad verify``.

Each example reads the CSV test vectors of ``symgrad vectors --format csv`` (no JSON
reader), computes backpropagation with the stable σ', writes CSV results; ``symgrad verify``
exits 0 on a chain and on a dense network over every regime of the default vectors, and 1
for the wrong variant (the sign of ∂C/∂a_L flipped by a compile flag or an environment
variable).  A missing compiler skips its tests (a failure under CI).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symgrad.cli.main import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SOURCES = {"c": "backprop.c", "javascript": "backprop.js", "rust": "backprop.rs"}
TOOLS = {"c": "gcc", "javascript": "node", "rust": "rustc"}
NETWORKS = {"chain": ["--depth", "4"],
            "dense": ["--widths", "3,4,2", "--samples-in-loss", "2"]}


def symgrad(*args) -> tuple[int, str]:
    """``symgrad ARGS`` run in this process (the exit code, standard output)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(a) for a in args])
    return code, out.getvalue()


def tool(language: str) -> str:
    found = shutil.which(TOOLS[language])
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{TOOLS[language]} is not installed (CI is set)")
        pytest.skip(f"{TOOLS[language]} is not installed: the {language} example is not built")
    return found


@pytest.fixture(scope="module")
def vectors(tmp_path_factory) -> dict:
    """Default vectors (the regimes cycled) of a chain and a dense network, as CSV."""
    out = {}
    for name, shape in NETWORKS.items():
        path = tmp_path_factory.mktemp("vectors") / f"{name}.csv"
        code, _ = symgrad("vectors", *shape, "--count", "10", "--digits", "17", "--format",
                          "csv", "-o", path)
        assert code == 0
        out[name] = path
    return out


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> dict:
    """language -> (command, command of the wrong variant), built once; None if no tool."""
    build = tmp_path_factory.mktemp("build")
    out = {}
    for language, source in SOURCES.items():
        path = EXAMPLES / source
        exe = shutil.which(TOOLS[language])
        if exe is None:
            out[language] = None
        elif language == "c":
            for variant, flags in (("right", []), ("wrong", ["-DFLIP_SIGN"])):
                subprocess.run([exe, "-O2", "-Wall", "-Werror", *flags, "-o",
                                str(build / f"c-{variant}"), str(path), "-lm"], check=True)
            out[language] = ([str(build / "c-right")], [str(build / "c-wrong")], {})
        elif language == "rust":
            subprocess.run([exe, "--edition", "2021", "-o", str(build / "rust"), str(path)],
                           check=True, capture_output=True)
            out[language] = ([str(build / "rust")], [str(build / "rust")],
                             {"SYMGRAD_FLIP_SIGN": "1"})
        else:
            out[language] = ([exe, str(path)], [exe, str(path)], {"SYMGRAD_FLIP_SIGN": "1"})
    return out


def results(command, vectors_path: Path, env_extra: dict, out: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if k != "SYMGRAD_FLIP_SIGN"}
    with open(vectors_path) as fin, open(out, "w") as fout:
        subprocess.run(command, stdin=fin, stdout=fout, check=True, timeout=120,
                       env={**env, **env_extra})
    return out


@pytest.mark.parametrize("language", list(SOURCES))
def test_each_example_is_small_and_reads_no_json(language):
    text = (EXAMPLES / SOURCES[language]).read_text()
    assert len(text.splitlines()) < 80
    assert "json" not in text.lower()
    if language == "c":
        assert "scanf" in text and set(re.findall(r"#include <(\w+)\.h>", text)) <= {
            "math", "stdio", "stdlib", "string"}
    if language == "rust":
        assert re.findall(r"^use (\w+)", text, re.M) == ["std"] and "extern crate" not in text
    if language == "javascript":
        assert re.findall(r"require\(\"(\w+)\"\)", text) == ["fs"]


def test_the_readme_says_how_to_build_and_run_each():
    readme = (EXAMPLES / "README.md").read_text()
    for needle in ("cc -O2 -o backprop backprop.c -lm", "node backprop.js",
                   "rustc -O backprop.rs", "symgrad verify vectors.csv results.csv"):
        assert needle in readme


@pytest.mark.parametrize("network", list(NETWORKS))
@pytest.mark.parametrize("language", list(SOURCES))
def test_verify_accepts_each_example(language, network, vectors, programs, tmp_path):
    tool(language)
    right, _, _ = programs[language]
    out = results(right, vectors[network], {}, tmp_path / "results.csv")
    code, text = symgrad("verify", vectors[network], out)
    assert code == 0, text
    assert ": PASS" in text.splitlines()[0]


@pytest.mark.parametrize("language", list(SOURCES))
def test_verify_catches_the_flipped_sign(language, vectors, programs, tmp_path):
    tool(language)
    _, wrong, env = programs[language]
    out = results(wrong, vectors["dense"], env, tmp_path / "results.csv")
    code, text = symgrad("verify", vectors["dense"], out)
    assert code == 1, text
    assert ": FAIL" in text.splitlines()[0] and "dC/db_2[0] (layer 2)" in text
