"""The committed documents of ``derivations/`` and the one command that rewrites them::

    python -m symgrad.lecture --regenerate derivations

Each entry of :data:`DOCUMENTS` names a file stem, the network, the notation, the formats
written and the sections; a Markdown document's figures are written beside it as PNG files.
A file is replaced only when symgrad wrote it (:func:`symgrad.cli.output.write_output`).
"""
from __future__ import annotations

import argparse
import os
import sys

from symgrad.errors import UsageError
from symgrad.lecture.document import DEFAULT_SECTIONS, SLIDE_SECTIONS, build
from symgrad.lecture.documents import command_line, figure_paths, network_of, render

__all__ = ["DOCUMENTS", "THREE_LAYER", "WORKED_SECTIONS", "Entry", "regenerate", "main"]

THREE_LAYER = dict(widths=(3, 4, 4, 2), activations=("sigmoid", "sigmoid", "linear"),
                   cost="squared-error", samples=4)
#: the handout with everything: the derivation, the story, the figures, the example, exercises
WORKED_SECTIONS = DEFAULT_SECTIONS + ("figures", "example", "exercises")
_TEX_MD = ("tex", "markdown")


class Entry(tuple):
    """(stem, network specification, notation, formats, sections, exercises)."""

    def __new__(cls, stem, spec, notation="nielsen", formats=_TEX_MD, sections=DEFAULT_SECTIONS,
                exercises=0):
        return super().__new__(cls, (stem, spec, notation, formats, sections, exercises))


DOCUMENTS = (
    Entry("sigmoid-chain-4", dict(depth=4, activation="sigmoid", cost="quadratic")),
    Entry("tanh-chain-4", dict(depth=4, activation="tanh", cost="quadratic")),
    Entry("relu-chain-4", dict(depth=4, activation="relu", cost="quadratic")),
    Entry("mixed-linear-output-4",
          dict(depth=4, activation=["tanh", "relu", "sigmoid", "linear"], cost="quadratic")),
    Entry("cross-entropy-sigmoid-4", dict(depth=4, activation="sigmoid", cost="cross-entropy")),
    Entry("sigmoid-chain-8", dict(depth=8, activation="sigmoid", cost="quadratic")),
    Entry("sigmoid-chain-4-matrix", dict(depth=4, activation="sigmoid", cost="quadratic"),
          "matrix"),
    Entry("three-layer-matrix", THREE_LAYER, "matrix"),
    Entry("three-layer-worked", THREE_LAYER, "matrix", _TEX_MD, WORKED_SECTIONS, 4),
    Entry("three-layer-slides", THREE_LAYER, "matrix", ("beamer",), SLIDE_SECTIONS),
)
_EXTENSIONS = {"tex": ".tex", "markdown": ".md", "beamer": ".tex", "marp": ".md"}


def regenerate(folder: str) -> list[str]:
    """Write every document of :data:`DOCUMENTS` into ``folder``; returns the paths written."""
    from symgrad.cli.output import replacing, write_output
    from symgrad.derivation import derive
    paths = []
    for stem, spec, notation, formats, sections, exercises in DOCUMENTS:
        net = network_of(spec)
        doc = build(derive(net), notation, sections, exercises=exercises)
        for fmt in formats:
            path = os.path.join(folder, stem + _EXTENSIONS[fmt])
            out = render(doc, fmt, stem, command_line(net, notation, fmt, sections=sections,
                                                      exercises=exercises))
            write_output(out.text, path)
            paths.append(path)
            for figure_path, figure in figure_paths(path, out):
                with replacing(figure_path, "figure", suffix=".png") as temporary:
                    figure.png(temporary)
                paths.append(figure_path)
    return paths


def main(argv=None) -> int:
    """``python -m symgrad.lecture --regenerate [FOLDER]``."""
    p = argparse.ArgumentParser(prog="python -m symgrad.lecture",
                                description="Regenerate the lecture documents of derivations/.")
    p.add_argument("--regenerate", metavar="FOLDER", nargs="?", const="derivations",
                   required=True, help="the folder to write (default derivations)")
    args = p.parse_args(argv)
    try:
        for path in regenerate(args.regenerate):
            print(path)
    except UsageError as exc:
        print(f"symgrad: error: {exc}", file=sys.stderr)
        return 2
    return 0
