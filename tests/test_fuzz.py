"""Every sub-command, driven by generated argument lists, answers in one of three ways.

Hypothesis builds argument lists from hostile pieces: expressions that try to run code or
overflow, extreme and malformed numbers, odd paths (devices, /proc, folders, names that are
too long), malformed and huge JSON files.  Each runs ``python -m symgrad`` in a fresh
temporary folder, with a CPU-time limit (:data:`SECONDS`) and a memory limit (RLIMIT_AS), and
must:

* exit 0, 1 or 2 (never a crash, a signal or the internal-error code 3);
* write no traceback on standard error;
* execute nothing (an expression ``__import__('os').system('touch PWNED')`` leaves no file);
* leave no file behind but the outputs asked for (no temporary file, no half-written one).

The unit suite runs a few derandomized examples of cheap commands; ``benchmarks/fuzz.py``
runs many more, slower ones included, and reports the slowest command it found.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="the fuzz test needs hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

#: the time limit of one command, in CPU seconds (RLIMIT_CPU: a busy machine does not count);
#: the wall clock gets :data:`WALL` times as long, against a command that sleeps or blocks
SECONDS = 20
WALL = 6
#: the memory limit of one command (address space), in bytes
MEMORY = 2 * 2 ** 30
#: the exit codes a command may give: success, a failed check, unusable input
CODES = {0, 1, 2}

HOSTILE_EXPRESSIONS = [
    "__import__('os').system('touch PWNED')", "x.__class__", "lambda: 0", "exec('1')",
    "x**x", "sqrt(x)", "log(x)", "x**0.5", "exp(exp(exp(exp(x))))", "exp(1000*x)",
    "1e308*x*1e308", "x**1000", "(x+1)**1000", "(a-y)**1000", "log(a-y)", "sqrt(a-y)",
    "x" + "+x" * 600, "(" * 60 + "x" + ")" * 60, "9" * 200, "1/0", "x/0", "log(0)",
    "max(0, x)", "x*tanh(softplus(x))", "", " ", "sigmod", "x;1", "x\n", "\u2212x", "z*x",
    "exp(30*x)", "erf(x)", "Heaviside(x, 2)",
]
NUMBERS = ["0", "-1", "1", "2", "3", "1e999", "nan", "inf", "-inf", "9" * 30, "9" * 5000, "",
           " ", "0x10", "1_000", "\u0663", "1.5", "+4", "100001", "4 ", "2,3,0", "3,4,2",
           "1,1", "784,30,10", "100000,100000,100000", "2," * 60 + "2"]
PATHS = ["", "-", "/dev/null", "/dev/zero", "/dev/full", "/proc/x", "/sys/x", ".", "..",
         "out.json", "out.tex", "out.md", "out.pdf", "out.png", "out.svg", "sub/out.json",
         "a" * 300, "vectors.json", "results.json", "FIFO"]
CHOICES = ["text", "json", "latex", "markdown", "tex", "xml", "expanded", "recurrence", "auto",
           "nielsen", "matrix", "float64", "mp", "same", "linear", "he", "glorot", "b_1,w_1",
           "b_9", ""]
JUNK = ["--", "-", "--help-me", "--force", "--quiet", "-q", "--depth=3", "extra", "\u00e9t\u00e9"]

#: per command, its options and what their values are drawn from
OPTIONS = {
    "derive": {"--depth": NUMBERS, "--widths": NUMBERS, "--activation": HOSTILE_EXPRESSIONS,
               "--activations": HOSTILE_EXPRESSIONS, "--cost": HOSTILE_EXPRESSIONS,
               "--format": CHOICES, "--form": CHOICES, "--samples-in-loss": NUMBERS},
    "lecture": {"--depth": NUMBERS, "--widths": NUMBERS, "--activation": HOSTILE_EXPRESSIONS,
                "--cost": HOSTILE_EXPRESSIONS, "--format": CHOICES, "--notation": CHOICES,
                "-o": PATHS},
    "bounds": {"--activation": HOSTILE_EXPRESSIONS, "--format": CHOICES},
    "analyze": {"--depth": NUMBERS, "--widths": NUMBERS, "--activation": HOSTILE_EXPRESSIONS,
                "--cost": HOSTILE_EXPRESSIONS, "--samples": NUMBERS, "--init": CHOICES,
                "--output": CHOICES, "--precision": CHOICES, "--plot": PATHS,
                "--format": CHOICES},
    "check": {"--depth": NUMBERS, "--widths": NUMBERS, "--activation": HOSTILE_EXPRESSIONS,
              "--cost": HOSTILE_EXPRESSIONS, "--points": NUMBERS, "--digits": NUMBERS,
              "--scale": NUMBERS, "--saturate": NUMBERS, "--seed": NUMBERS,
              "--parameters": CHOICES, "--format": CHOICES},
    "vectors": {"--depth": NUMBERS, "--widths": NUMBERS, "--activation": HOSTILE_EXPRESSIONS,
                "--cost": HOSTILE_EXPRESSIONS, "--count": NUMBERS, "--digits": NUMBERS,
                "--seed": NUMBERS, "-o": PATHS},
    "verify": {"--rtol": NUMBERS, "--dtype": CHOICES},
    "audit": {"--depth": NUMBERS, "--widths": NUMBERS, "--cost": HOSTILE_EXPRESSIONS},
}
#: the JSON files a verify (or audit) run may be given, written into each example's folder
JSON_FILES = {
    "truncated.json": '{"cases": [',
    "repeated.json": '{"cases": [{"gradients": {"b_1": "1", "b_1": "2"}}]}',
    "bigint.json": '{"cases": [{"gradients": {"b_1": ' + "7" * 5001 + "}}]}",
    "bigstring.json": '{"cases": [{"gradients": {"b_1": "1.' + "3" * 100_000 + '"}}]}',
    "bigexponent.json": '{"cases": [{"gradients": {"b_1": 1e999999}}]}',
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "nan.json": '{"cases": [{"gradients": {"b_1": NaN}}]}',
    "empty.json": "",
    "list.json": "[1, 2]",
    "huge.json": '{"cases": [' + ", ".join(['{"gradients": {}}'] * 200_000) + "]}",
    "nul.json": "\0" * 64,
}
POSITIONAL = list(JSON_FILES) + ["vectors.json", "results.json", "/dev/zero", "/dev/null",
                                 "missing.json", ".", "FIFO", "notes.tex"]
#: what the fixture files look like: a real vector file and its right results
_CACHE: dict = {}


def real_files() -> dict:
    """A small vector file written by symgrad and the right results for it (made once)."""
    if not _CACHE:
        from symgrad.cli.main import main
        folder = tempfile.mkdtemp(prefix="symgrad-fuzz-")
        try:
            vectors = os.path.join(folder, "vectors.json")
            assert main(["vectors", "--depth", "2", "--count", "2", "--digits", "20", "-o",
                         vectors]) == 0
            with open(vectors, encoding="utf-8") as fh:
                text = fh.read()
        finally:
            shutil.rmtree(folder)
        doc = json.loads(text)
        _CACHE["vectors.json"] = text
        _CACHE["results.json"] = json.dumps(
            {"cases": [{"gradients": case["gradients"]} for case in doc["cases"]]})
        _CACHE["notes.tex"] = "\\section{my own notes}\n"
    return dict(_CACHE)


@st.composite
def command_lines(draw, commands=tuple(OPTIONS)):
    """[command, option, value, ...] from the hostile pieces above."""
    command = draw(st.sampled_from(commands))
    argv = [command]
    if command == "verify":
        argv += draw(st.lists(st.sampled_from(POSITIONAL), min_size=0, max_size=3))
    elif command == "audit":
        argv += draw(st.lists(st.sampled_from(POSITIONAL), min_size=0, max_size=1))
    options = OPTIONS[command]
    for option in draw(st.lists(st.sampled_from(sorted(options)), max_size=3)):
        argv += [option, draw(st.sampled_from(options[option]))]
    if draw(st.booleans()):
        argv.insert(draw(st.integers(1, len(argv))), draw(st.sampled_from(JUNK)))
    return argv   # (a NUL byte cannot be passed in an argument at all)


def _limits():
    resource.setrlimit(resource.RLIMIT_CPU, (SECONDS, SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def requested_outputs(argv: list[str]) -> set[str]:
    """The files the command line asks for (plain names in the working folder)."""
    wanted = set()
    for option, value in zip(argv, argv[1:]):
        if option in ("-o", "--output", "--plot") and value and "/" not in value:
            wanted.add(value)
    return wanted


def run_in_a_sandbox(argv: list[str]) -> tuple[subprocess.CompletedProcess, float, set, set]:
    """Run ``python -m symgrad *argv`` in a fresh folder holding the fixture files; returns
    the process, its wall time, the files before and the files after."""
    folder = tempfile.mkdtemp(prefix="symgrad-fuzz-")
    try:
        for name, text in {**JSON_FILES, **real_files()}.items():
            with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
                fh.write(text)
        os.mkfifo(os.path.join(folder, "FIFO"))
        before = set(os.listdir(folder))
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(),
                                                           os.environ.get("PYTHONPATH")]))}
        env.pop("SYMGRAD_DEBUG", None)
        start = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-m", "symgrad", *argv], cwd=folder,
                                  capture_output=True, text=True, errors="replace",
                                  timeout=SECONDS * WALL, preexec_fn=_limits, env=env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"symgrad {argv!r} ran longer than {SECONDS * WALL} s of "
                                 "wall time (blocked?)") from None
        seconds = time.perf_counter() - start
        return proc, seconds, before, set(os.listdir(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_answer(argv: list[str]) -> float:
    """Run one command line and assert the four promises; returns its wall time."""
    proc, seconds, before, after = run_in_a_sandbox(argv)
    shown = f"symgrad {argv!r}: exit {proc.returncode}, stderr {proc.stderr[-600:]!r}"
    assert proc.returncode != -signal.SIGXCPU, f"symgrad {argv!r}: more than {SECONDS} s of CPU"
    assert proc.returncode in CODES, shown
    assert "Traceback" not in proc.stderr, shown
    assert "PWNED" not in after, shown
    assert after - before <= requested_outputs(argv), f"{shown}; left {after - before}"
    if proc.returncode == 2:
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("symgrad: "), shown
    return seconds


CHEAP = ("derive", "lecture", "check", "vectors", "verify", "analyze")


@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(argv=command_lines(CHEAP))
def test_every_command_line_answers_cleanly(argv):
    check_answer(argv)


@pytest.mark.parametrize("argv", [
    ["check", "-a", "__import__('os').system('touch PWNED')"],
    ["verify", "vectors.json", "repeated.json"],
    ["vectors", "-o", "/dev/zero"],
    ["lecture", "-o", "FIFO"],
])
def test_known_hostile_lines_answer_cleanly(argv):
    check_answer(argv)


def test_the_sandbox_sees_a_file_left_behind():
    """The promise about files is checked: a requested output is allowed, nothing else."""
    assert requested_outputs(["vectors", "-o", "out.json", "--plot", "p.png"]) == \
        {"out.json", "p.png"}
    assert requested_outputs(["vectors", "-o", "/tmp/x.json"]) == set()
    proc, _, before, after = run_in_a_sandbox(["vectors", "--depth", "1", "--count", "1",
                                               "-o", "out.json"])
    assert proc.returncode == 0 and after - before == {"out.json"}
