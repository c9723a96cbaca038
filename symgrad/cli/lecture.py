"""``symgrad lecture``: the derivation step by step as a LaTeX article, Markdown, a beamer deck
or Marp slides, with the sections asked for (figures, a worked example, exercises)."""
from __future__ import annotations

import argparse
import os

from symgrad.cli import limits, names
from symgrad.cli.common import (add_network_options, add_run_options, choice, network_from_args,
                                positive_int, seed)
from symgrad.cli.output import check_target, replacing, write_output
from symgrad.cli.progress import progress
from symgrad.errors import UsageError

__all__ = ["register", "run", "output_format", "LECTURE_FORMATS", "SECTIONS"]

#: what -o may not name: files that are not the source symgrad writes
_COMPILED = {".pdf": "a PDF", ".dvi": "a DVI file", ".ps": "a PostScript file"}
# symgrad.lecture.FORMATS and SECTIONS (light copies: --help loads no core)
LECTURE_FORMATS = ("tex", "markdown", "beamer", "marp")
SECTIONS = ("forward", "chain-rule", "local", "recurrence", "closed-forms", "bounds", "concrete",
            "story", "example", "exercises", "figures")
MAX_EXERCISES = 20


def _deepest() -> str:
    """The estimated time of the deepest lecture, for --help."""
    deepest = argparse.Namespace(command="lecture", depth=str(names.MAX_LECTURE_DEPTH))
    return limits.duration(limits.estimate(deepest).seconds)


def register(sub) -> None:
    p = sub.add_parser(
        "lecture", help=names.COMMANDS["lecture"],
        description="Write a lecture document: the forward pass, the chain rule, the local "
                    "derivatives, the repeated factor, the closed forms, their bounds, the "
                    "concrete activation and cost and what the formulas say, each step with "
                    "the rule behind it and every sentence made from computed facts; on "
                    "request figures, a worked example and exercises with solutions. "
                    "'symgrad lecture -o chain.tex && pdflatex chain.tex' gives a handout, "
                    "'symgrad lecture --format beamer -o deck.tex' a slide deck.",
        epilog=f"Limits: --depth 1..{names.MAX_LECTURE_DEPTH} (a lecture prints L² factors; "
               f"depth {names.MAX_LECTURE_DEPTH} takes about {_deepest()}).")
    add_network_options(p)
    p.add_argument("--format", "-f", default=None, type=choice("format", LECTURE_FORMATS),
                   help="tex (a standalone article for pdflatex), markdown ($$ blocks for KaTeX "
                        "and MathJax), beamer (a slide deck for pdflatex) or marp (Markdown "
                        "slides); default: from the -o file name, else tex")
    p.add_argument("--notation", "-n", default=None, type=choice("notation", names.NOTATIONS),
                   help="nielsen (z_l, a_l, w_l, b_l, C; the default for --depth) or matrix "
                        "(the tilde style: h~_l, h_l, W_l, y^, L; the only one for --widths)")
    p.add_argument("--sections", default=None, metavar="NAME,...",
                   help="the parts, in the order given: " + ", ".join(SECTIONS) + "; default "
                        "the derivation from forward to story (a deck: figures, forward, "
                        "chain-rule, recurrence, closed-forms, bounds, example)")
    p.add_argument("--exercises", default=None, metavar="N",
                   type=positive_int("exercises", MAX_EXERCISES),
                   help=f"add N exercises (1..{MAX_EXERCISES}) with their solutions in a last "
                        "section")
    p.add_argument("--seed", default=0, type=seed,
                   help="the seed of the worked example's point and of the exercises (default 0)")
    p.add_argument("--output", "-o", default=None, metavar="FILE",
                   help="write to FILE (whole or not at all) instead of standard output; "
                        "FILE.md gives Markdown, anything else LaTeX; a Markdown lecture's "
                        "figures go beside it as FILE-NAME.png")
    add_run_options(p, writes=True)
    p.set_defaults(run=run)


def output_format(args) -> str:
    """--format, else from the -o name; a compiled format is refused.

    >>> import argparse
    >>> output_format(argparse.Namespace(format=None, output="notes.md"))
    'markdown'
    >>> output_format(argparse.Namespace(format=None, output="chain.pdf"))
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: output='chain.pdf': symgrad writes LaTeX source, not a PDF; use -o chain.tex, then pdflatex chain.tex
    """
    stem, extension = os.path.splitext(args.output or "")
    if extension.lower() in _COMPILED:
        raise UsageError(f"output={args.output!r}: symgrad writes LaTeX source, not "
                         f"{_COMPILED[extension.lower()]}; use -o {stem}.tex, then pdflatex "
                         f"{os.path.basename(stem)}.tex")
    if args.format is not None:
        return args.format
    return "markdown" if extension.lower() in (".md", ".markdown") else "tex"


def _sections(args, fmt: str):
    if args.sections is None:
        return None
    given = [p.strip() for p in args.sections.split(",")]
    unknown = [p for p in given if p not in SECTIONS]
    if unknown:
        raise UsageError(f"sections={args.sections!r}: unknown section {unknown[0]!r}; known: "
                         f"{', '.join(SECTIONS)}")
    return given


def run(args) -> int:
    fmt = output_format(args)
    to_file = args.output not in (None, "-")
    if to_file:
        check_target(args.output, "output", force=args.force)
    sections = _sections(args, fmt)
    net = network_from_args(args)
    limits.require_feasible(args)
    from symgrad.derivation import derive
    from symgrad.lecture import check_lecture_depth, figure_paths, produce
    check_lecture_depth(net.L)
    notation = args.notation or ("nielsen" if net.is_chain else "matrix")
    stem = os.path.splitext(os.path.basename(args.output))[0] if to_file else None
    with progress(None, "writing the lecture", quiet=args.quiet):
        out = produce(derive(net), fmt, notation, sections=sections,
                      exercises=args.exercises or 0, seed=args.seed, stem=stem)
    figures = figure_paths(args.output, out) if to_file else []
    for path, _ in figures:   # every target checked before anything is written
        check_target(path, "figure", force=args.force)
    write_output(out.text, args.output, force=args.force)
    for path, figure in figures:
        with replacing(path, "figure", force=args.force, suffix=".png") as temporary:
            figure.png(temporary)
    return 0
