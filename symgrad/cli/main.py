"""The ``symgrad`` command: it finds the sub-command and hands over.

Each sub-command lives in ``symgrad/cli/<name>.py`` with ``register(subparsers)`` and
``run(args)``.  Only the module of the command given is imported, and a command module
imports the core (SymPy, NumPy, mpmath) inside ``run``: ``symgrad --help``,
``symgrad COMMAND --help`` and a usage error answer without loading any of them.

Exit codes: 0 success; 1 a check that failed; 2 unusable input (one line on stderr,
``symgrad: error: ...``), also when standard output cannot be written; 3 a bug in symgrad
(one line; ``SYMGRAD_DEBUG=1`` shows the traceback); 130 interrupted (Ctrl-C); 141 the
reader of standard output went away (``symgrad derive | head -1``), silently, as a program
killed by SIGPIPE.

>>> main(["derive", "--depth", "0"])
2
"""
from __future__ import annotations

import argparse
import difflib
import importlib
import os
import re
import sys

from symgrad.cli.names import COMMANDS
from symgrad.cli.output import StdoutError, write_stdout
from symgrad.errors import UsageError

__all__ = ["main", "build_parser", "COMMANDS", "OneLineParser", "entry_point"]

_OWN_MESSAGE = re.compile(r"argument [^:]+: ([\w-]+=.*)", re.DOTALL)
_ARGUMENT = re.compile(r"argument ([^:]+): (.*)", re.DOTALL)
_CHOICE = re.compile(r"invalid choice: '([^']*)'")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one UsageError line (printed by :func:`main`);
    ``command`` is the sub-command being parsed, if any (argparse reports the options the
    sub-command did not know from the top-level parser)."""

    command: str | None = None

    def error(self, message):
        raise UsageError(one_line(self.prog, message, self.command))


def one_line(prog: str, message: str, command: str | None = None) -> str:
    """argparse's message in symgrad's form: ``name=value: what is allowed``.

    >>> one_line("symgrad derive", "argument --format/-f: format='xml': must be one of text")
    "format='xml': must be one of text"
    >>> one_line("symgrad", "argument COMMAND: invalid choice: 'drive' (choose from 'derive')")
    "command='drive': unknown command; did you mean 'derive'? known: derive, lecture, bounds, analyze, check, vectors, verify, audit"
    >>> one_line("symgrad check", "unrecognized arguments: --pints 3")
    "check: unrecognized arguments: --pints 3; see 'symgrad check --help'"
    """
    message = " ".join(message.split())
    command = prog.split()[1] if " " in prog else command
    choice = _CHOICE.search(message)
    if command is None and choice:
        given = choice.group(1)
        near = difflib.get_close_matches(given, list(COMMANDS), n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        return f"command={given!r}: unknown command; {hint}known: {', '.join(COMMANDS)}"
    own = _OWN_MESSAGE.fullmatch(message)
    if own:
        return own.group(1)
    argument = _ARGUMENT.fullmatch(message)
    if argument:
        return f"{argument.group(1)}: {argument.group(2)}"
    where = f"{command}: " if command else ""
    if message.startswith("unrecognized arguments"):
        return f"{where}{message}; see 'symgrad {command + ' ' if command else ''}--help'"
    return f"{where}{message}"


def _chosen(argv: list[str]) -> str | None:
    """The sub-command named in ``argv``: its first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with every option of ``command`` (its module imported) and a one-line
    entry for each other command."""
    from symgrad import __version__
    parser = OneLineParser(
        prog="symgrad",
        description="Backpropagation gradients of layered networks: derived symbolically, "
                    "proven, printed as lecture formulas and checked to high precision.",
        epilog="Run 'symgrad COMMAND --help' for the options of one command. "
               "With no command, 'symgrad' prints the reference derivation (depth 4, sigmoid).")
    parser.command = command if command in COMMANDS else None
    parser.add_argument("--version", action="version", version=f"symgrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name, summary in COMMANDS.items():
        if name == command:
            importlib.import_module(f"symgrad.cli.{name}").register(sub)
        else:
            sub.add_parser(name, help=summary)
    return parser


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that Python's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _one_row(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def _error(message: str, code: int) -> int:
    print(f"symgrad: {message}", file=sys.stderr)
    return code


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["derive"]
    try:
        parser = build_parser(_chosen(argv))
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:   # --help or --version: printed, then flushed here
            write_stdout("")
            return int(done.code or 0)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        code = int(args.run(args) or 0)
        write_stdout("")   # flush: a full disk shows here, not at exit
        return code
    except UsageError as exc:
        return _error(f"error: {_one_row(str(exc))}", 2)
    except StdoutError as exc:
        _quiet_stdout()
        return _error(f"error: {exc}", 2)
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    except KeyboardInterrupt:
        return _error("interrupted", 130)
    except MemoryError:
        return _error("error: out of memory; the network or the sample is too large for "
                      "this machine (smaller --depth, --widths, --points or --count help)", 2)
    except RecursionError:
        return _error("error: the expression or network is nested too deeply for Python", 2)
    except Exception as exc:   # a bug: one line, the traceback on request
        if os.environ.get("SYMGRAD_DEBUG"):
            raise
        what = f"{type(exc).__name__}: {_one_row(str(exc))[:200]}"
        return _error(f"internal error: {what}; this is a bug in "
                      "symgrad, please report it with the command line (SYMGRAD_DEBUG=1 "
                      "shows the traceback)", 3)


def entry_point() -> None:  # pragma: no cover - the console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry_point()
