"""``symgrad derive``: the closed-form gradients of a network, proven, in four formats.

Every format is proven before it is printed (:func:`symgrad.prove.prove_all`): a gradient
whose proof failed is marked ``(not proven)`` (``"verified": false`` in JSON) and the
command exits 1.
"""
from __future__ import annotations

import math

from symgrad.cli import limits, names
from symgrad.cli.common import (add_network_options, add_run_options, choice, emit,
                                network_from_args)
from symgrad.cli.output import write_stdout
from symgrad.cli.progress import progress

__all__ = ["register", "run", "document", "FORMATS"]

FORMATS = ["text", "latex", "markdown", "json"]


def _limits_text() -> str:
    expanded = limits.reach("derive", "--depth", names.MAX_DEPTH, form="expanded")
    recurrence = limits.reach("derive", "--depth", names.MAX_DEPTH, form="recurrence")
    json_depth = limits.reach("derive", "--depth", names.MAX_DEPTH, form="recurrence",
                              format="json")
    dense = limits.size_within("derive dense text")
    return (f"Limits: work estimated above {limits.duration(limits.MAX_SECONDS)} is refused "
            "(--force runs it anyway); on the machine the estimates were measured on that is "
            f"--depth {expanded} with --form expanded, {recurrence} with --form recurrence "
            f"({json_depth} in JSON), and "
            + ("any --widths (the matrix form does not grow with them)." if dense == math.inf
               else f"--widths of about {dense / 1e6:.0f} million weights."))


def register(sub) -> None:
    p = sub.add_parser(
        "derive", help=names.COMMANDS["derive"],
        description="Derive dC/db_l and dC/dw_l (and dC/dalpha_l for PReLU) of a chain of "
                    "one-neuron layers, factors in network order, each proven equal to the "
                    "derivative of the composed cost; with --widths, the four equations of "
                    "dense layers. With no options: the reference case, depth 4 with sigmoid "
                    "and the quadratic cost.",
        epilog=_limits_text())
    add_network_options(p)
    p.add_argument("--format", "-f", default="text", type=choice("format", FORMATS),
                   help="text (default), latex, markdown or json")
    p.add_argument("--form", default="auto", type=choice("form", ["auto", *names.FORMS]),
                   help="expanded: every product written out, factors in network order; "
                        "recurrence: each gradient in terms of the next layer's delta; auto "
                        f"(default): expanded up to depth {names.AUTO_EXPAND_DEPTH}, "
                        "recurrence beyond")
    add_run_options(p)
    p.set_defaults(run=run)


def document(d, proofs: dict, fmt: str, form: str) -> str:
    """The derivation ``d`` in ``fmt``, each gradient marked where ``proofs`` did not prove
    it (JSON carries the proofs themselves)."""
    from symgrad.printing import (json_derivation, latex_derivation, markdown_derivation,
                                  text_derivation)
    if fmt == "json":
        return emit(json_derivation(d, proofs, form))
    write = {"text": text_derivation, "latex": latex_derivation,
             "markdown": markdown_derivation}[fmt]
    return write(d, form, proofs)


def run(args) -> int:
    """Derive, prove (in every format), print; exit 1 when a printed gradient is not proven."""
    net = network_from_args(args)
    limits.require_feasible(args)
    from symgrad.derivation import derive
    from symgrad.printing import unproven
    from symgrad.prove import prove_all
    form = args.form if args.form != "auto" else \
        ("expanded" if net.depth <= names.AUTO_EXPAND_DEPTH else "recurrence")
    d = derive(net)
    with progress(None, "proving", quiet=args.quiet) as step:
        proofs = prove_all(d, form=form)
        step.stage("printing")
        out = document(d, proofs, args.format, form)
    write_stdout(out)
    return 1 if unproven(d, proofs) else 0
