"""``symgrad analyze``: per-layer gradient sizes over random draws, a verdict, a plot.

``--activation`` takes one name or several separated by commas; each is analysed on the
same depth, initialisation and seed, side by side (and drawn in one plot).  JSON: one
activation gives one object with ``layers`` and ``verdict``; several give a list of them.

``--widths 784,30,30,30,30,10`` analyses dense layers instead of a chain: each listed
activation is used in every hidden layer and, by default, in the output layer too
(``--output same``: Nielsen's all-sigmoid network of chapter 5, so the comparison changes
one thing only); ``--output linear`` gives the material's linear output layer.  A layer's
gradient size is then the norm ‖∂C/∂b_l‖ (and ‖∂C/∂W_l‖_F), from the 30-digit reference or,
above a work budget, float64 backprop; the output says which.
"""
from __future__ import annotations


import mpmath

from symgrad.model.activations import activation_names
from symgrad.errors import UsageError
from symgrad.analysis.core import (DENSE_INITS, INITS, OUTPUTS, PRECISIONS, analyze, analyze_dense,
                        dense_network, plot_analyses)
from symgrad.derivation import derive
from symgrad.model.network import Chain, check_depth
from symgrad.cli.common import seed, choice, emit, positive_int

__all__ = ["register", "run", "analysis_text", "MAX_SAMPLES"]

FORMATS = ["text", "json"]
MAX_SAMPLES = 100_000
#: deeper than this the per-draw mpmath evaluation makes the command slow, not wrong
MAX_ANALYZE_DEPTH = 10_000


def register(sub) -> None:
    p = sub.add_parser(
        "analyze", help="per-layer gradient sizes: vanishing, stable or exploding",
        description="Draw the parameters of a chain N times from an initialisation scheme, "
                    "evaluate |dC/db_l| and |dC/dw_l| of every layer at high precision, and "
                    "report the mean with its spread, the ratio to the last layer, the "
                    "fitted factor per layer and a verdict. Several activations (comma "
                    "separated) are compared side by side.")
    p.add_argument("--depth", "-L", default=None, metavar="L",
                   help=f"number of layers of a chain, 1..{MAX_ANALYZE_DEPTH}; default 10")
    p.add_argument("--widths", default=None, metavar="N0,N1,...",
                   help="dense layers instead of a chain: widths n_0 (input) .. n_L (output), "
                        "e.g. 784,30,30,30,30,10")
    p.add_argument("--samples-in-loss", default=None,
                   type=positive_int("samples-in-loss", 100_000), metavar="N",
                   help="with --widths: the loss sums over N input samples (default 1)")
    p.add_argument("--output", default=None, type=choice("output", OUTPUTS),
                   help="with --widths: the output layer uses the compared activation "
                        "(same, default) or is linear")
    p.add_argument("--precision", default=None, type=choice("precision", PRECISIONS),
                   help="with --widths: mp (30-digit reference), float64, or auto (default: "
                        "the reference while the work is small enough)")
    p.add_argument("--activation", "-a", default="sigmoid", metavar="NAME[,NAME2,...]",
                   help="one or more of " + ", ".join(activation_names())
                   + " (or expressions in x), comma separated; default sigmoid")
    p.add_argument("--cost", "-c", default="quadratic", metavar="NAME",
                   help="the cost (default quadratic)")
    p.add_argument("--init", default="normal", type=choice("init", INITS),
                   help="chains: " + "; ".join(f"{k}: {v}" for k, v in INITS.items())
                   + ". Dense: " + "; ".join(f"{k}: {v}" for k, v in DENSE_INITS.items())
                   + " (default normal)")
    p.add_argument("--samples", "-n", default=100, type=positive_int("samples", MAX_SAMPLES),
                   help="number of random draws (default 100)")
    p.add_argument("--seed", default=0, type=seed, help="random seed (default 0)")
    p.add_argument("--format", "-f", default="text", type=choice("format", FORMATS),
                   help="text (default) or json")
    p.add_argument("--plot", default=None, metavar="FILE.png|FILE.svg",
                   help="draw the per-layer gradient size on a log axis (needs symgrad[plot])")
    p.add_argument("--force", action="store_true",
                   help="replace an existing plot file that symgrad did not write")
    p.set_defaults(run=run)


def _split_activations(text: str) -> list[str]:
    # an expression such as max(0, x) holds commas inside parentheses: split at depth 0 only
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    if any(not p for p in parts):
        raise UsageError(f"activation={text!r}: an empty name between commas")
    return parts


def analysis_text(analyses) -> str:
    out = []
    for a in analyses:
        net = a.network
        if a.dense:
            out += [f"{a.activation}: widths {','.join(map(str, net['widths']))}, activations "
                    f"{','.join(net['activations'])}, cost {net['cost']}, {net['samples']} "
                    f"sample{'s' if net['samples'] > 1 else ''} in the loss, init {a.init} "
                    f"({a.init_description}), {a.samples} draws, seed {a.seed}",
                    f"values: {a.evaluation}", ""]
            rows = [("layer", "mean ||dC/db_l||", "mean ||dC/dW_l||_F", "ratio to last",
                     "10%-90% of ||dC/db_l||", "zero")]
        else:
            out += [f"{a.activation}: depth {net['depth']}, cost {net['cost']}, init {a.init} "
                    f"({INITS[a.init]}), {a.samples} draws, seed {a.seed}", ""]
            rows = [("layer", "mean |dC/db_l|", "mean |dC/dw_l|", "ratio to last",
                     "10%-90% of |dC/db_l|", "zero")]
        for s in a.layers:
            rows.append((str(s.layer), mpmath.nstr(s.grad_b, 4), mpmath.nstr(s.grad_w, 4),
                         mpmath.nstr(s.ratio_to_last, 4),
                         f"{mpmath.nstr(s.spread_b[0], 3)} .. {mpmath.nstr(s.spread_b[1], 3)}",
                         f"{s.zero_fraction:.1%}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        out += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        rate = f"{a.rate:.4g}" if a.rate is not None else "undefined"
        out += ["", f"factor per layer back: {rate}", f"verdict: {a.verdict} ({a.reason})", ""]
    return "\n".join(out)


_DENSE_ONLY = {"samples_in_loss": "samples-in-loss", "output": "output",
               "precision": "precision"}


def _dense_analyses(args, names: list[str]) -> list:
    """One analysis per activation on the dense widths of ``--widths``."""
    if args.depth is not None:
        raise UsageError(f"widths={args.widths!r}: give either --depth (a chain) or --widths "
                         "(dense layers), not both")
    networks = [dense_network(args.widths, name, output=args.output or "same",
                              cost=args.cost, samples_in_loss=args.samples_in_loss or 1)
                for name in names]
    return [analyze_dense(net, init=args.init, samples=args.samples, seed=args.seed,
                          precision=args.precision or "auto", label=name)
            for net, name in zip(networks, names)]


def run(args) -> int:
    names = _split_activations(args.activation)
    if args.widths is not None:
        analyses = _dense_analyses(args, names)
    else:
        for attr, option in _DENSE_ONLY.items():
            if getattr(args, attr) is not None:
                raise UsageError(f"{option}={getattr(args, attr)}: only with --widths "
                                 "(dense layers)")
        depth = args.depth if args.depth is not None else "10"
        depth = check_depth(depth.strip() if isinstance(depth, str) else depth)
        if depth > MAX_ANALYZE_DEPTH:
            raise UsageError(f"depth={depth}: analyze takes depth 1..{MAX_ANALYZE_DEPTH}")
        analyses = [analyze(derive(Chain(depth=depth, activation=name, cost=args.cost)),
                            init=args.init, samples=args.samples, seed=args.seed)
                    for name in names]
    if args.plot:
        plot_analyses(analyses, args.plot, force=args.force)
    if args.format == "json":
        objs = [a.as_dict() for a in analyses]
        print(emit(objs[0] if len(objs) == 1 else objs), end="")
    else:
        text = analysis_text(analyses)
        if args.plot:
            text += f"plot written to {args.plot}\n"
        print(text, end="")
    return 0
