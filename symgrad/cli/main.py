"""The ``symgrad`` command.

Each sub-command lives in ``symgrad/commands/<name>.py`` and exposes
``register(subparsers)``; this module only dispatches.  Usage errors (bad options,
:class:`~symgrad.errors.UsageError`) print one line on stderr and exit 2; a failed
check exits 1; success exits 0.

>>> main(["derive", "--depth", "0"])
2
"""
from __future__ import annotations

import argparse
import importlib
import sys

from symgrad.errors import UsageError

__all__ = ["main", "build_parser", "COMMANDS", "OneLineParser"]

#: sub-commands, in the order ``symgrad --help`` lists them
COMMANDS = ["derive", "lecture", "bounds", "analyze", "check", "vectors", "verify"]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``symgrad derive: --depth: ...``), exit 2."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="symgrad",
        description="Backpropagation gradients of layered networks: derived symbolically, "
                    "proven, printed as lecture formulas and checked to high precision.",
        epilog="Run 'symgrad COMMAND --help' for the options of one command. "
               "With no command, 'symgrad' prints the reference derivation (depth 4, sigmoid).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name in COMMANDS:
        importlib.import_module(f"symgrad.cli.{name}").register(sub)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["derive"]
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return int(args.run(args) or 0)
    except UsageError as exc:
        print(f"symgrad: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("symgrad: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:  # pragma: no cover - the console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry_point()
