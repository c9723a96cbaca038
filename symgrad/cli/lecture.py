"""``symgrad lecture``: the derivation step by step as a LaTeX article or a Markdown page."""
from __future__ import annotations

from symgrad.errors import UsageError
from symgrad.lecture.documents import FORMATS, MARKERS, check_lecture_depth, derivation_of, is_dense, lecture
from symgrad.printing.printers import NOTATIONS
from symgrad.cli.common import add_network_options, choice, network_from_args, write_output

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "lecture", help="write the derivation step by step as a LaTeX or Markdown document",
        description="Write a lecture document: the forward pass, the chain rule, the local "
                    "derivatives, the repeated factor, the closed forms, their bounds and the "
                    "concrete activation and cost, each step with the rule behind it. "
                    "'symgrad lecture -o chain.tex && pdflatex chain.tex' gives a handout.")
    add_network_options(p)
    p.add_argument("--format", "-f", default=None, type=choice("format", FORMATS),
                   help="tex (a standalone article for pdflatex) or markdown ($$ blocks for "
                        "KaTeX and MathJax); default: from the -o file name, else tex")
    p.add_argument("--notation", "-n", default=None, type=choice("notation", NOTATIONS),
                   help="nielsen (z_l, a_l, w_l, b_l, C; the default for --depth) or matrix "
                        "(the tilde style: h~_l, h_l, W_l, y^, L; the only one for --widths)")
    p.add_argument("--output", "-o", default=None, metavar="FILE",
                   help="write to FILE (whole or not at all) instead of standard output")
    p.add_argument("--force", action="store_true",
                   help="replace FILE even if symgrad did not write it")
    p.set_defaults(run=run)


def run(args) -> int:
    fmt = args.format
    if fmt is None:
        fmt = "markdown" if (args.output or "").lower().endswith((".md", ".markdown")) else "tex"
    net = network_from_args(args, dense=True)
    check_lecture_depth(net.depth)
    dense = is_dense(net)
    notation = args.notation or ("matrix" if dense else "nielsen")
    if dense and notation != "matrix":
        raise UsageError(f"notation={notation!r}: a dense network (--widths) is written in the "
                         "matrix notation, the row convention of the material; use --notation "
                         "matrix")
    text = lecture(derivation_of(net), fmt, notation)
    write_output(text, args.output, force=args.force, marker=MARKERS[fmt])
    return 0
