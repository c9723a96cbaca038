"""``symgrad bounds``: sup |σ'| of every activation, proven, with the layer bound it gives.

Exit 0 when every supremum asked for is certified, 1 when one could not be (a custom
activation outside what the ball arithmetic handles), 2 for bad options.  ``--help`` and a
bad option load no SymPy: the proofs and their documents (:mod:`symgrad.bounds.documents`)
are imported by :func:`run`.
"""
from __future__ import annotations

import time

from symgrad.cli.common import choice, emit
from symgrad.cli.names import ACTIVATIONS

__all__ = ["register", "run", "FORMATS"]

#: the --format choices (symgrad.bounds.documents.FORMATS, checked by the drift test)
FORMATS = ["text", "latex", "markdown", "json"]


def register(sub) -> None:
    p = sub.add_parser(
        "bounds", help="prove sup|σ'| for the activations and state the layer bound",
        description="For every built-in activation (or the one given), prove the supremum "
                    "over the reals of |σ'(z)|: critical points of σ' solved exactly or "
                    "enclosed by ball arithmetic, limits at the ends of each branch. Then "
                    "the layer bound |dC/db_l| <= |dC/da_L| prod_{j>l} |w_j| "
                    "(sup|σ'|)^(L-l+1).")
    p.add_argument("--activation", "-a", default=None, metavar="NAME",
                   help="one activation (" + ", ".join(ACTIVATIONS)
                   + ", or an expression in x); default: all built-ins")
    p.add_argument("--format", "-f", default="text", type=choice("format", FORMATS),
                   help="text (default), latex, markdown or json")
    p.set_defaults(run=run)


def run(args) -> int:
    from symgrad.bounds import supremum
    from symgrad.bounds.documents import bounds_json, bounds_latex, bounds_markdown, bounds_text
    from symgrad.model.activations import activation_names, get_activation
    # an empty --activation '' is a name like any other (a usage error), not "all"
    names = activation_names() if args.activation is None else \
        [get_activation(args.activation).name]
    start = time.perf_counter()
    sups = [supremum(n) for n in names]
    seconds = time.perf_counter() - start
    if args.format == "json":
        print(emit(bounds_json(sups)), end="")
    elif args.format == "latex":
        print(bounds_latex(sups), end="")
    elif args.format == "markdown":
        print(bounds_markdown(sups, seconds), end="")
    else:
        print(bounds_text(sups, seconds), end="")
    return 0 if all(s.certified for s in sups) else 1
