"""The command line answers every input: fast help, one-line errors, files written whole,
bounded reading, real-and-finite expressions, work estimated before it starts, progress.

Subprocesses only where the process itself is the subject (imports, exit at a closed
pipe, a terminal, Ctrl-C); everything else calls ``main`` in this process.
"""
from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import signal
import stat
import subprocess
import sys
import time

import pytest

from symgrad import inputs
from symgrad.cli import limits, names, output, progress as progress_module
from symgrad.cli.main import COMMANDS, build_parser, main, one_line
from symgrad.errors import UsageError

PYTHON = sys.executable
HEAVY = ("sympy", "numpy", "mpmath", "symengine", "matplotlib", "tqdm")
#: the commands whose modules are this area's (bounds and audit have their own help texts)
OWN = ["derive", "lecture", "analyze", "check", "vectors", "verify"]


def extra(module: str):
    """An optional extra: skipped with the reason when absent, unless CI is set (there it
    must be installed)."""
    if os.environ.get("CI"):
        return __import__(module)
    return pytest.importorskip(module, reason=f"{module} is an optional extra, not installed")


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error(err: str) -> str:
    """The single error line, asserted to be exactly one, with a single 'symgrad:' prefix."""
    assert err.count("\n") == 1 and err.startswith("symgrad: error: "), err
    assert err.count("symgrad:") == 1 and "Traceback" not in err, err
    return err


def symgrad(*argv, env=None, timeout=120, **kw):
    """Run ``python -m symgrad`` in a fresh process."""
    return subprocess.run([PYTHON, "-m", "symgrad", *argv], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, **kw)


# --- 1. speed: help and usage errors without the core ---------------------------------------

PROBE = """
import json, sys
from symgrad.cli.main import main
for argv in json.loads(sys.argv[1]):
    try:
        main(argv)
    except SystemExit:
        pass
    loaded = [m for m in {heavy!r} if m in sys.modules]
    print(json.dumps([argv, loaded]), file=sys.__stderr__)
"""
LIGHT = [["--help"], ["--version"], ["frobnicate"], ["check", "--points", "0"],
         ["derive", "--format", "xml"], ["vectors", "--activation", ""],
         ["bounds", "--format", "xml"], ["bounds", "--help"], ["audit", "--help"],
         *[[c, "--help"] for c in OWN]]


def probe(argvs) -> list:
    """[argv, heavy modules loaded after it] for each command line, run in order in one
    fresh process (a line that loads the core shows there and on every later line)."""
    proc = subprocess.run([PYTHON, "-c", PROBE.format(heavy=HEAVY), json.dumps(argvs)],
                          capture_output=True, text=True, timeout=120)
    return [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("[[")]


def test_help_and_usage_errors_load_no_heavy_module():
    assert probe(LIGHT) == [[argv, []] for argv in LIGHT]


def test_the_probe_sees_a_heavy_import():
    """The check above would notice: a command that does load the core shows it."""
    (argv, loaded), = probe([["derive", "--depth", "1"]])
    assert "sympy" in loaded


def drifts() -> list[str]:
    """Every light copy in symgrad.cli.names that differs from the core's value."""
    from symgrad import analysis, lecture, numeric, oracle, printing
    from symgrad.bounds import documents as bound_documents
    from symgrad.cli import bounds as cli_bounds, lecture as cli_lecture, vectors as cli_vectors
    from symgrad.model import sizes as network
    from symgrad.model.activations import activation_names
    from symgrad.model.costs import SOFTMAX_CE, cost_names
    pairs = {
        "ACTIVATIONS": (tuple(activation_names()), names.ACTIVATIONS),
        "COSTS": (tuple(cost_names()), names.COSTS),
        "SOFTMAX_CE": (SOFTMAX_CE, names.SOFTMAX_CE),
        "FORMS": (tuple(printing.FORMS), names.FORMS),
        "NOTATIONS": (tuple(printing.NOTATIONS), names.NOTATIONS),
        "lecture.LECTURE_FORMATS": (tuple(lecture.FORMATS), cli_lecture.LECTURE_FORMATS),
        "lecture.SECTIONS": (tuple(lecture.SECTIONS), cli_lecture.SECTIONS),
        "vectors.REGIMES": (set(oracle.REGIMES), set(cli_vectors.REGIMES)),
        "vectors.FORMATS": (tuple(oracle.FORMATS), cli_vectors.FORMATS),
        "bounds.FORMATS": (tuple(bound_documents.FORMATS), tuple(cli_bounds.FORMATS)),
        "LECTURE_MARKERS": (lecture.MARKERS, names.LECTURE_MARKERS),
        "MAX_LECTURE_DEPTH": (lecture.MAX_LECTURE_DEPTH, names.MAX_LECTURE_DEPTH),
        "MAX_DEPTH": (network.MAX_DEPTH, names.MAX_DEPTH),
        "MAX_WIDTH": (network.MAX_WIDTH, names.MAX_WIDTH),
        "MAX_SAMPLES": (network.MAX_SAMPLES, names.MAX_SAMPLES),
        "MAX_DIGITS": (numeric.MAX_DIGITS, names.MAX_DIGITS),
        "DEFAULT_DIGITS": (numeric.DEFAULT_DIGITS, names.DEFAULT_DIGITS),
        "DEFAULT_POINTS": (numeric.DEFAULT_POINTS, names.DEFAULT_POINTS),
        "DEFAULT_SATURATE": (numeric.DEFAULT_SATURATE, names.DEFAULT_SATURATE),
        "CLOSED_FORM_RTOL": (numeric.CLOSED_FORM_RTOL, names.CLOSED_FORM_RTOL),
        "VECTORS_FORMAT": (oracle.VECTORS_FORMAT, names.VECTORS_FORMAT),
        "INITS": (analysis.INITS, names.INITS),
        "OUTPUTS": (tuple(analysis.OUTPUTS), names.OUTPUTS),
        "PRECISIONS": (tuple(analysis.PRECISIONS), names.PRECISIONS),
        "PLOT_MARKER": (analysis.PLOT_MARKER, names.PLOT_MARKER),
    }
    return [f"{k}: core {core!r}, names {light!r}" for k, (core, light) in pairs.items()
            if core != light]


def test_the_light_names_equal_the_core_values():
    assert drifts() == []


def test_a_drifted_name_is_caught(monkeypatch):
    monkeypatch.setattr(names, "ACTIVATIONS", names.ACTIVATIONS[:-1])
    assert [d.split(":")[0] for d in drifts()] == ["ACTIVATIONS"]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_registers_with_its_summary(command):
    sub = build_parser(command)._subparsers._group_actions[0]
    listed = {a.dest: a.help for a in sub._choices_actions}
    assert listed[command] == COMMANDS[command]
    assert sub.choices[command].get_default("run") is not None


def test_version_and_python_dash_m(capsys):
    from symgrad import __version__
    assert run(["--version"], capsys)[:2] == (0, f"symgrad {__version__}\n")
    proc = symgrad("--version", timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"symgrad {__version__}\n", "")


@pytest.mark.parametrize("argv, line", [
    (["frobnicate"], "command='frobnicate': unknown command; known: derive, lecture, bounds, "
                     "analyze, check, vectors, verify, audit"),
    (["drive"], "command='drive': unknown command; did you mean 'derive'?"),
    (["derive", "--format", "xml"], "format='xml': must be one of text, latex, markdown, json"),
    (["check", "--pints", "3"], "check: unrecognized arguments: --pints 3; see 'symgrad check "
                                "--help'"),
    (["verify"], "verify: the following arguments are required: VECTORS, RESULTS"),
    (["derive", "--depth"], "--depth/-L: expected one argument"),
    (["check", "--seed", "9" * 5000], "seed='99999"),
    (["check", "--scale", "1e999"], "scale='1e999': must be a number > 0 and <= 1e+06"),
])
def test_a_usage_error_is_one_line_with_one_prefix(argv, line, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert line in one_error(err)


def test_one_line_keeps_argparse_text_it_does_not_know():
    assert one_line("symgrad derive", "ambiguous option: --f could match --format, --form") \
        == "derive: ambiguous option: --f could match --format, --form"


# --- 2. writing files -------------------------------------------------------------------------

def test_a_new_file_gets_the_umask_and_an_old_one_keeps_its_mode(tmp_path):
    path = tmp_path / "a.tex"
    old = os.umask(0o027)
    try:
        output.write_output("% generated by symgrad\n", str(path))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    path.chmod(0o604)
    output.write_output("% generated by symgrad: again\n", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o604
    assert path.read_text() == "% generated by symgrad: again\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "v.json"
    path.write_text('{"format": "symgrad-vectors/1"}\n')

    def broken(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(UsageError, match=r"could not be written \(No space left on device\)"):
        output.write_output("new", str(path))
    assert path.read_text() == '{"format": "symgrad-vectors/1"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.json"]


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize("target, reason", [
    ("/dev/null", "is a character device, not a file"),
    ("/dev/zero", "is a character device, not a file"),
    ("FIFO", "is a FIFO (named pipe), not a file"),
    ("FOLDER", "is a folder; give a file name"),
    ("", "an empty file name"),
    ("/proc/x.json", "cannot create a file in '/proc' (No such file or directory)"),
    ("/sys/x.json", "cannot create a file in '/sys' (Permission denied)"),
    ("/no/such/folder/x.json", "the folder '/no/such/folder' does not exist"),
])
@pytest.mark.parametrize("command", ["vectors", "lecture"])
def test_an_output_that_is_not_a_file_is_refused_before_work(command, target, reason, fifo,
                                                             tmp_path, capsys):
    target = {"FIFO": fifo, "FOLDER": str(tmp_path)}.get(target, target)
    code, out, err = run([command, "--depth", "2", "-o", target], capsys)
    assert code == 2 and out == ""
    assert f"output={target!r}: {reason}" in one_error(err)


def test_marker_search_reads_a_bounded_prefix(tmp_path):
    late = tmp_path / "late.tex"
    late.write_bytes(b"x" * output.MARKER_WINDOW + b"% generated by symgrad")
    early = tmp_path / "early.json"
    early.write_bytes(b'{"format": "symgrad-vectors/1",' + b" " * 10 ** 7)
    assert not output.written_by_symgrad(str(late))
    assert output.written_by_symgrad(str(early))
    assert not output.written_by_symgrad("/dev/zero")


def test_any_symgrad_file_may_be_replaced_a_foreign_one_only_with_force(tmp_path, capsys):
    path = tmp_path / "out.tex"
    assert run(["lecture", "--depth", "1", "-o", str(path)], capsys)[0] == 0
    assert run(["vectors", "--depth", "1", "--count", "1", "-o", str(path)], capsys)[0] == 0
    assert json.loads(path.read_text())["format"] == "symgrad-vectors/1"
    foreign = tmp_path / "notes.tex"
    foreign.write_text("my own notes\n")
    code, _, err = run(["lecture", "--depth", "1", "-o", str(foreign)], capsys)
    assert code == 2 and "exists and was not written by symgrad; pass --force" in one_error(err)
    assert foreign.read_text() == "my own notes\n"
    assert run(["lecture", "--depth", "1", "-o", str(foreign), "--force"], capsys)[0] == 0
    assert foreign.read_text().startswith("% generated by symgrad")


@pytest.mark.parametrize("argv, name", [
    (["lecture", "--format", "tex"], "a.tex"), (["lecture", "--format", "markdown"], "a.md"),
    (["lecture", "--format", "beamer"], "a.tex"), (["lecture", "--format", "marp"], "a.md"),
    (["lecture", "--format", "marp", "--sections", "figures"], "f.md"),
    (["vectors", "--format", "json"], "v.json"), (["vectors", "--format", "jsonl"], "v.jsonl"),
    (["vectors", "--format", "csv"], "v.csv"), (["analyze", "--samples", "1", "--plot"], "p.png"),
    (["analyze", "--samples", "1", "--plot"], "p.svg"),
])
def test_every_format_symgrad_writes_is_recognised_as_symgrad_s(argv, name, tmp_path, capsys):
    path = tmp_path / name
    option = [] if argv[-1] == "--plot" else ["-o"]
    argv = [*argv, *option, str(path), "--depth", "1"]
    if argv[0] == "vectors":
        argv += ["--count", "1"]
    if argv[0] == "lecture" and "--sections" not in argv:
        argv += ["--sections", "forward"]    # cheap: no figures
    if argv[0] == "analyze":
        extra("matplotlib")
    assert run(argv, capsys)[0] == 0
    written = sorted(tmp_path.iterdir())
    assert path in written and all(output.written_by_symgrad(str(p)) for p in written), written
    assert run(argv, capsys)[0] == 0    # so it is replaced without --force


def test_lecture_to_a_pdf_is_refused_with_the_way_to_get_one(tmp_path, capsys):
    code, _, err = run(["lecture", "-o", str(tmp_path / "chain.pdf")], capsys)
    assert code == 2
    assert (f"symgrad writes LaTeX source, not a PDF; use -o {tmp_path}/chain.tex, then "
            "pdflatex chain.tex") in one_error(err)
    assert list(tmp_path.iterdir()) == []


def test_a_full_standard_output_is_one_line():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([PYTHON, "-m", "symgrad", "--help"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == ("symgrad: error: cannot write to standard output (No space left "
                           "on device)\n")


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """The pipe is closed while the command still imports SymPy: its write meets EPIPE."""
    proc = subprocess.Popen([PYTHON, "-m", "symgrad", "derive", "--depth", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    assert proc.wait(timeout=120) == 141
    assert proc.stderr.read() == b""


def test_broken_pipe_in_process(monkeypatch, capsys):
    def closed(text):
        raise BrokenPipeError(32, "Broken pipe")
    monkeypatch.setattr("symgrad.cli.derive.write_stdout", closed)
    assert run(["derive", "--depth", "1"], capsys)[::2] == (141, "")


# --- 3. reading JSON --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vector_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vectors")
    path = folder / "v.json"
    assert main(["vectors", "--depth", "2", "--count", "3", "--digits", "20", "-o",
                 str(path)]) == 0
    return path


def results_text(vector_file, case: int, b1: str) -> str:
    """The right results, with b_1 of ``case`` written as the raw JSON text ``b1``."""
    doc = json.loads(vector_file.read_text())
    rows = [json.dumps(c["gradients"]) for c in doc["cases"]]
    rows[case] = rows[case].replace(f'"b_1": "{doc["cases"][case]["gradients"]["b_1"]}"',
                                    f'"b_1": {b1}')
    return '{"cases": [' + ", ".join('{"gradients": ' + r + "}" for r in rows) + "]}"


def test_right_results_pass(vector_file, tmp_path, capsys):
    path = tmp_path / "results.json"
    doc = json.loads(vector_file.read_text())
    path.write_text(results_text(vector_file, 0, json.dumps(doc["cases"][0]["gradients"]["b_1"])))
    assert run(["verify", str(vector_file), str(path)], capsys)[0] == 0


@pytest.mark.parametrize("b1, message", [
    ('"123", "b_1": "KEEP"', "results.json.cases[1].gradients: key 'b_1' given twice"),
    ("7" * 5001, "results.json: the number at line 1, column "),
    ('"1.' + "3" * 100_000 + '"', "results.json.cases[1].gradients.b_1: a number of 100002 "
                                  "characters; at most 2100"),
    ('"1e999999"', "results.json.cases[1].gradients.b_1='1e999999': the exponent 999999 is "
                   "above 10000; symgrad reads numbers from 1e-1000000 to 1e10000"),
    ("1e999999", "the exponent 999999 is above 10000"),
], ids=["repeated key", "5001-digit integer", "100002-character string", "1e999999 string",
        "1e999999 number"])
def test_verify_refuses_what_it_cannot_read_exactly(vector_file, tmp_path, b1, message, capsys):
    path = tmp_path / "results.json"
    text = results_text(vector_file, 1, b1)
    if "KEEP" in b1:   # a wrong b_1 first, then the right one: the last would win
        right = json.loads(vector_file.read_text())["cases"][1]["gradients"]["b_1"]
        text = text.replace('"KEEP"', json.dumps(right))
    path.write_text(text)
    code, out, err = run(["verify", str(vector_file), str(path)], capsys)
    assert code == 2 and out == ""
    assert message.replace("results.json", str(path)) in one_error(err)


def test_load_json_keeps_numbers_as_text_and_ints_as_ints():
    assert inputs.load_json('{"a": [1.50, 2, -3e-60206]}', "x") == {"a": ["1.50", 2, "-3e-60206"]}
    assert isinstance(inputs.load_json("[1e3]", "x")[0], inputs.JSONNumber)


def test_load_json_names_the_first_repeated_key_in_document_order():
    text = '{"a": {"k": 1, "k": 2}, "b": [{"j": 1, "j": 2}]}'
    with pytest.raises(UsageError, match=r"^x\.a: key 'k' given twice$"):
        inputs.load_json(text, "x")
    with pytest.raises(UsageError, match=r"^x\.b\[0\]: key 'j' given twice$"):
        inputs.load_json('{"a": {"k": 1}, "b": [{"j": 1, "j": 2}]}', "x")


@pytest.mark.parametrize("data, message", [
    (b"\0" * 10, "not text (a NUL byte at byte 0)"),
    (b'{"a": "\xff"}', "not UTF-8 text (byte 7)"),
    (b"x" * 3000, "larger than 0 MiB, the most symgrad reads"),
])
def test_read_text_gives_up_early(tmp_path, data, message):
    path = tmp_path / "f.json"
    path.write_bytes(data)
    with pytest.raises(UsageError, match=r"^vectors='.*f\.json': " + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        inputs.read_text(str(path), "vectors", limit=2048)


def test_verify_reads_a_device_at_once(vector_file, capsys):
    code, _, err = run(["verify", "/dev/zero", str(vector_file)], capsys)
    assert code == 2 and "vectors='/dev/zero': not text (a NUL byte at byte 0)" in one_error(err)


# --- 4. custom expressions --------------------------------------------------------------------

@pytest.mark.parametrize("command", ["derive", "check", "vectors", "lecture", "analyze"])
@pytest.mark.parametrize("option", ["--activation", "--cost", "--activations"])
def test_an_empty_activation_or_cost_is_a_usage_error(command, option, capsys):
    if command == "analyze" and option == "--activations":
        option = "--activation"
    code, _, err = run([command, option, " "], capsys)
    assert code == 2
    assert f"{option[2:]}=' ': empty; give a name (" in one_error(err)


@pytest.mark.parametrize("argv, message", [
    (["-a", "log(x)"], "activation='log(x)': log(x) is not real for x < 0 (at x = "),
    (["-a", "sqrt(x)"], "sqrt(x) is not real for x < 0"),
    (["-a", "x**0.5"], "sqrt(x) is not real for x < 0"),
    (["-a", "x**x"], "x**x is not real for x < 0"),
    (["-c", "log(a - y)"], "cost='log(a - y)': log(a - y) is not real for a - y < 0"),
    (["-c", "sqrt(a - y)"], "sqrt(a - y) is not real for a - y < 0"),
    (["-a", "exp(exp(exp(exp(x))))"], "exp(exp(exp(exp(x)))) evaluates to inf in float64"),
    (["-a", "exp(1000*x)"], "exp(1000*x) evaluates to inf in float64 (beyond 1.8e+308) at x = "),
    (["-a", "1e308*x*1e308"], "the number 1.00E+616 in it is beyond the float64 range"),
    (["-a", "x**1000"], "x**1000 evaluates to inf in float64"),
    (["-a", "(x+1)**1000"], "(x + 1)**1000 evaluates to inf in float64"),
    (["-a", "exp(30*x)", "--depth", "2", "--saturate", "0"],
     "exp(30*x) of a layer's output overflows in the next layer"),
    (["-c", "(a-y)**1000"], "a power of degree 1000 in a; check takes degrees up to 100"),
])
def test_check_refuses_expressions_it_cannot_evaluate(argv, message, capsys):
    code, out, err = run(["check", "--points", "1", *argv], capsys)
    assert code == 2 and out == ""
    line = one_error(err)
    assert message in line and ("check draws" in line or "degree" in line)


@pytest.mark.parametrize("argv", [["-a", "log(x)"], ["-a", "x**x"], ["-c", "sqrt(a - y)"],
                                  ["-a", "1e308*x*1e308"], ["-c", "(a-y)**1000"]])
def test_derive_is_symbolic_and_takes_them(argv, capsys):
    assert run(["derive", "--depth", "2", *argv], capsys)[0] == 0


def test_vectors_and_analyze_say_what_they_draw(capsys):
    from symgrad.cli import analyze, vectors
    for argv, drawn in ((["vectors", "-a", "log(x)"], vectors.DRAWN_Z),
                        (["analyze", "-a", "sigmoid,log(x)", "--samples", "1"], analyze.DRAWN_Z)):
        code, _, err = run(argv, capsys)
        assert code == 2
        assert f"and {argv[0]} draws z from {drawn[0]:g} to {drawn[1]:g}" in one_error(err)


def test_the_domain_decides():
    """log(x) is refused on the reals and accepted where x > 0: the test reads the domain."""
    from symgrad.model.activations import get_activation
    from symgrad.model.domains import require_real_on
    log = get_activation("log(x)")
    require_real_on(log, command="check", z=(0.5, 2.0))
    with pytest.raises(UsageError, match="log"):
        require_real_on(log, command="check", z=(-2.0, 2.0))
    require_real_on(get_activation("sigmoid"), command="check")   # built-ins pass


def test_an_expression_is_never_executed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command in ("derive", "check", "vectors"):
        code, _, err = run([command, "-a", "__import__('os').system('touch PWNED')"], capsys)
        assert code == 2 and "quotes (strings) at position" in one_error(err)
    assert list(tmp_path.iterdir()) == []


# --- 5. bounded by design ---------------------------------------------------------------------

DURATION = r"needs about \d+ (seconds?|minutes?|hours?|days?|years?); use "


@pytest.mark.parametrize("argv, pattern", [
    (["derive", "--depth", "100000", "--form", "expanded"],
     r"derive --depth 100000 --form expanded " + DURATION + r"--depth \d+ or less, or --form "
     r"recurrence \(or --force to run it anyway\)$"),
    (["analyze", "--widths", "784,30,10", "--samples", "100000"],
     r"analyze --widths 784,30,10 --samples 100000 " + DURATION + r"--samples \d+ or less"),
    (["vectors", "--depth", "300", "--count", "1000"], r"vectors --depth 300 --count 1000 "
     + DURATION + r"--count \d+ or less"),
    (["vectors", "--count", "100000", "--digits", "2000"],
     r"writes about [\d,]+ MiB \('symgrad verify' reads at most 256 MiB\); use --count \d+"),
    (["vectors", "--depth", "100", "--count", "100000"],
     r"needs about \d+ \w+ and writes about [\d,]+ MiB \('symgrad verify' reads at most 256 "
     r"MiB\); use --count \d+ or less"),
    (["check", "--depth", "100000", "--points", "10000"], r"check --depth 100000 --points "
     r"10000 " + DURATION + r"--points 1 with --depth \d+ or less \(or --force"),
    (["check", "--depth", "20000", "--points", "5"], DURATION + r"--depth \d+ or less"),
])
def test_work_beyond_the_limits_is_refused_before_it_starts(argv, pattern, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert re.search(pattern, one_error(err).strip()), err


def test_work_within_the_limits_runs(capsys):
    """The dense derivation does not grow with the widths: the issue's runaway case runs."""
    code, out, _ = run(["derive", "--widths", "100000,100000,100000"], capsys)
    assert code == 0 and "∂C/∂w^1_jk" in out


@pytest.mark.parametrize("argv, option", [
    (["check", "--depth", "10000", "--points", "10"], "--points"),
    (["check", "--depth", "20000", "--points", "10"], "--depth"),
    (["vectors", "--depth", "300", "--count", "1000"], "--count"),
    (["analyze", "--depth", "100", "--samples", "100000"], "--samples"),
])
def test_the_suggested_value_is_the_largest_that_fits(argv, option):
    args = build_parser(argv[0]).parse_args(argv)
    value = limits.largest(args, option)
    attribute = option[2:]
    fits = argparse.Namespace(**{**vars(args), attribute: value if attribute != "depth"
                                 else str(value)})
    beyond = argparse.Namespace(**{**vars(args), attribute: value + 1 if attribute != "depth"
                                   else str(value + 1)})
    assert limits.estimate(fits).seconds <= limits.MAX_SECONDS < limits.estimate(beyond).seconds


def test_force_runs_it_anyway(monkeypatch, capsys):
    monkeypatch.setattr(limits, "MAX_SECONDS", 1e-9)
    code, _, err = run(["derive", "--depth", "2"], capsys)
    assert code == 2 and "needs about 1 second" in one_error(err)
    assert run(["derive", "--depth", "2", "--force"], capsys)[0] == 0


def test_the_estimates_grow_with_the_work():
    def seconds(**options):
        return limits.estimate(argparse.Namespace(**{
            "command": "check", "depth": "4", "widths": None, "samples_in_loss": 1,
            "points": 10, "digits": 50, **options})).seconds
    assert seconds(points=1) < seconds(points=2) < seconds(points=2, depth="8")
    assert seconds(widths="2,2", depth=None) < seconds(widths="20,20", depth=None)


@pytest.mark.parametrize("command", OWN)
def test_help_states_the_limits(command, capsys):
    with pytest.raises(SystemExit):
        build_parser(command).parse_args([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Limits:" in text and "--quiet" in text and "--force" in text


# --- 6. progress ------------------------------------------------------------------------------

class Terminal:
    """A stream that says it is a terminal and keeps what is written."""

    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_a_bar_on_a_terminal_and_not_when_quiet(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("SYMGRAD_PROGRESS_DELAY", "0")
    with progress_module.progress(4, "checking points") as step:
        for _ in range(4):
            step(1)
        step.stage("checking the last point")
    assert "checking points:" in terminal.text and "/4 [" in terminal.text
    assert "checking the last point" in terminal.text
    terminal.text = ""
    with progress_module.progress(4, "checking points", quiet=True) as step:
        step(4)
    assert terminal.text == "" and step.count == 4


def test_no_bar_when_standard_error_is_not_a_terminal(capsys, monkeypatch):
    monkeypatch.setenv("SYMGRAD_PROGRESS_DELAY", "0")
    code, _, err = run(["analyze", "--depth", "2", "--samples", "2"], capsys)
    assert code == 0 and err == ""


def read_until(fd, needle: bytes, seconds: float) -> bytes:
    seen, end = b"", time.monotonic() + seconds
    while needle not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


def test_a_terminal_shows_the_bar_and_ctrl_c_ends_cleanly():
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([PYTHON, "-m", "symgrad", "check", "--depth", "40", "--points",
                             "2000", "--force"], stdout=subprocess.DEVNULL, stderr=terminal,
                            env={**os.environ, "SYMGRAD_PROGRESS_DELAY": "0"})
    os.close(terminal)
    seen = read_until(controller, b"point/s]", 120)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=60)
    seen += read_until(controller, b"\n", 5)
    os.close(controller)
    text = seen.decode(errors="replace")
    assert "checking" in text and "/2000" in text and ("s/point" in text or "point/s" in text), text
    assert code == 130
    assert text.count("symgrad: interrupted") == 1 and "Traceback" not in text
