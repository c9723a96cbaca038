r"""``symgrad audit FILE``: check the gradient formulas of a document someone else wrote.

Registered as a sub-command by :mod:`symgrad.cli.audit` (``register(sub)`` and ``run(args)``,
like every symgrad command).  Exit 0 when nothing is wrong, 1 when a formula is wrong,
defective or not understood, 2 when the input cannot be used (one line on stderr).

>>> import argparse
>>> p = argparse.ArgumentParser(prog="symgrad")
>>> register(p.add_subparsers(dest="command"))
>>> args = p.parse_args(["audit", "-", "--depth", "3", "--json"])
>>> args.depth, args.json, args.run is run
(3, True, True)
"""
from __future__ import annotations

import argparse
import sys

from .errors import usage_error

__all__ = ["register", "run", "audit_file"]

_COSTS = ("quadratic", "squared-error", "cross-entropy")
_FORMATS = {"tex": "tex", "latex": "tex", "md": "markdown", "markdown": "markdown",
            "txt": "text", "text": "text"}


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"depth={text!r}: must be an integer from 1 to 64") \
            from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"depth={value}: must be an integer from 1 to 64")
    return value


def _widths(text: str) -> tuple:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"widths={text!r}: must be integers such as 3,4,4,2") \
            from None
    if len(values) < 2 or len(values) > 33 or not all(1 <= v <= 64 for v in values):
        raise argparse.ArgumentTypeError(f"widths={text!r}: 2 to 33 widths, each 1 to 64")
    return values


def _choice(name: str, allowed):
    def parse(text: str) -> str:
        if text not in allowed:
            raise argparse.ArgumentTypeError(f"{name}={text!r}: must be one of "
                                             + ", ".join(allowed))
        return allowed[text] if isinstance(allowed, dict) else text
    return parse


def register(sub) -> None:
    """Add ``audit`` to the sub-commands."""
    p = sub.add_parser(
        "audit", help="check the gradient formulas of a document (.tex, .md, .txt)",
        description="Read the formulas of a document someone else wrote (display and inline "
                    "math, align rows, chains of =), repair LaTeX an escape step destroyed "
                    "(\\frac read as a form feed and 'rac', \\begin as 'egin', \\\\ as \\), "
                    "and classify every formula: correct, wrong (with the reason and the "
                    "corrected formula), defect (true but flawed) or not understood; "
                    "forward equations are read as the network's definition.  Nothing in "
                    "the document is executed or followed to another file.",
        epilog="Exit status: 0 nothing wrong, 1 a formula wrong, defective or not "
               "understood, 2 unusable input.")
    p.add_argument("file", metavar="FILE", help="the document (.tex, .md, .txt), - for stdin")
    p.add_argument("--format", dest="doc_format", default=None, metavar="FORMAT",
                   type=_choice("format", _FORMATS),
                   help="tex, markdown or text (default: from the file name, else guessed)")
    p.add_argument("--notation-map", default=None, metavar="MAP",
                   help="a TOML (key = \"value\") or JSON file naming the symbols: "
                        "pre-activation, activation, weight, bias, cost, error, input, "
                        "output, target, index (subscript|superscript|bracket)")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--depth", "-L", type=_depth, default=None, metavar="L",
                       help="layers of the chain, where the document has no forward equations")
    shape.add_argument("--widths", type=_widths, default=None, metavar="N0,N1,...",
                       help="widths of a dense network (n_0 input .. n_L output)")
    p.add_argument("--activation", "-a", default=None, metavar="NAME[,NAME...]",
                   help="the activation (one, or one per layer) where the document does not "
                        "say: sigmoid, tanh, relu, linear, ...")
    p.add_argument("--cost", "-c", default=None, type=_choice("cost", _COSTS),
                   help="quadratic, squared-error or cross-entropy, where the document has "
                        "no cost equation")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="list every formula, the correct ones too")
    p.add_argument("--fix", action="store_true",
                   help="write the document with the repairs and fixes applied (to -o, "
                        "else to standard output with the report on standard error)")
    p.add_argument("--output", "-o", default=None, metavar="OUT",
                   help="with --fix: the corrected document's file (never the input)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.set_defaults(run=run)


def audit_file(path: str, **options):
    """Read ``path`` (``-``: stdin) and audit it; options as for
    :func:`symgrad.audit.audit_text`."""
    from .core import audit_text
    from .output import read_document
    return audit_text(read_document(path), filename=path, **options)


def _map(path: str | None):
    if path is None:
        return None
    from .notation import load_map
    from .output import read_document
    text = read_document(path)
    if len(text) > 65536:
        raise usage_error(f"notation-map={path!r}: more than 64 KB; a map is a few lines")
    return load_map(text, path)


def run(args) -> int:
    """Audit ``args.file``; returns the exit code."""
    from .report import render_json, render_text
    from .output import write_document
    if args.output is not None and not args.fix:
        raise usage_error(f"output={args.output!r}: only with --fix (the corrected document)")
    activation = args.activation
    if activation is not None and "," in activation:
        activation = [a.strip() for a in activation.split(",")]
    report = audit_file(args.file, notation_map=_map(args.notation_map), depth=args.depth,
                        widths=args.widths, activation=activation, cost=args.cost,
                        fmt=args.doc_format)
    rendered = render_json(report) if args.json else render_text(report, args.file,
                                                                  args.verbose)
    if args.fix:
        target = args.output or "-"
        write_document(report.corrected(), target, source=args.file, force=args.force)
        (sys.stdout if target != "-" else sys.stderr).write(rendered)
    else:
        sys.stdout.write(rendered)
    return report.exit_code
