"""``symgrad derive``: the closed-form gradients of a network, proven, in four formats."""
from __future__ import annotations

from symgrad.derivation import derive
from symgrad.printing.printers import (FORMS, latex, latex_derivation, latex_gradient, markdown_derivation,
                        text, text_derivation, text_gradient)
from symgrad.prove.chain import prove_all
from symgrad.cli.common import add_network_options, choice, emit, network_from_args

__all__ = ["register", "run", "derivation_json"]

FORMATS = ["text", "latex", "markdown", "json"]
#: deeper than this, --form auto prints each gradient in terms of the next δ: written out,
#: the 2L products hold L² factors
AUTO_EXPAND_DEPTH = 64


def register(sub) -> None:
    p = sub.add_parser(
        "derive", help="derive, prove and print the closed-form gradients",
        description="Derive dC/db_l and dC/dw_l (and dC/dalpha_l for PReLU) of a chain of "
                    "one-neuron layers, factors in network order, each proven equal to the "
                    "derivative of the composed cost. With no options: the reference case, "
                    "depth 4 with sigmoid and the quadratic cost.")
    add_network_options(p)
    p.add_argument("--format", "-f", default="text", type=choice("format", FORMATS),
                   help="text (default), latex, markdown or json")
    p.add_argument("--form", default="auto", type=choice("form", ["auto", *FORMS]),
                   help="expanded: every product written out, factors in network order; "
                        "recurrence: each gradient in terms of the next layer's delta; auto "
                        f"(default): expanded up to depth {AUTO_EXPAND_DEPTH}, recurrence beyond")
    p.set_defaults(run=run)


def derivation_json(d, proofs, form: str = "expanded") -> dict:
    """The JSON object of ``symgrad derive --format json``."""
    chain = proofs["chain"]
    basis_ok = all(p.verified for k, p in proofs.items() if k != "chain")
    failed = set(chain.failures)
    net = d.network
    return {
        "network": net.describe(),
        "form": form,
        "dC_da_L": {"latex": latex(d.dC_da()), "concrete_latex": latex(d.concrete(d.dC_da())),
                    "text": text(d.concrete(d.dC_da()))},
        "gradients": [
            {"parameter": name,
             "latex": latex_gradient(d, name, form=form),
             "text": text_gradient(d, name, form=form),
             "concrete_latex": latex_gradient(d, name, concrete="a", form=form),
             "concrete_text": text_gradient(d, name, concrete="a", form=form),
             "verified": chain.verified and basis_ok and name not in failed}
            for name in d.parameter_names()],
        "proofs": {k: p.as_dict() for k, p in proofs.items()},
    }


def _show(args, d, to_json, prove, printers) -> int:
    """Print a derivation in the chosen format (JSON carries the proofs)."""
    out = emit(to_json(d, prove(d))) if args.format == "json" else printers[args.format](d)
    print(out, end="")
    return 0


def run_dense(args, net) -> int:
    """``derive --widths ...``: the four equations per layer, matrix and component forms."""
    from symgrad.derivation import derive
    from symgrad.printing.dense import (dense_derivation_json, latex_dense_derivation,
                                  markdown_dense_derivation, text_dense_derivation)
    from symgrad.prove.dense import prove_dense_all
    return _show(args, derive(net), dense_derivation_json, prove_dense_all,
                 {"text": text_dense_derivation, "latex": latex_dense_derivation,
                  "markdown": markdown_dense_derivation})


def run(args) -> int:
    net = network_from_args(args, dense=True)
    if not net.is_chain:
        return run_dense(args, net)
    form = args.form if args.form != "auto" else \
        ("expanded" if net.depth <= AUTO_EXPAND_DEPTH else "recurrence")
    printers = {"text": text_derivation, "latex": latex_derivation,
                "markdown": markdown_derivation}
    return _show(args, derive(net), lambda d, proofs: derivation_json(d, proofs, form), prove_all,
                 {k: (lambda d, f=f: f(d, form=form)) for k, f in printers.items()})
