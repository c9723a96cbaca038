"""``symgrad analyze``: per-layer gradient sizes over random draws, a verdict, a plot; or, with
``--train STEPS``, the gradient size per layer over the iterations of training.

``--activation`` takes one name or several separated by commas; each is analysed on the
same network, initialisation and seed, side by side (and drawn in one plot).  JSON: one
activation gives one object with ``layers``, ``dead_fraction`` and ``verdict``; several give a
list of them.  A chain (``--depth``) is the network of widths 1: the draws, the schemes and
the gradient sizes are the same code as for dense layers (``--widths 784,30,30,30,30,10``),
where each listed activation is used in every hidden layer and, by default, in the output
layer too (``--output same``); ``--output linear`` gives the material's linear output layer.

``--train STEPS`` trains each activation's network (``--widths``, default 2,8,8,8,8,1; a
sigmoid output with the cross-entropy) with plain SGD on two seeded interleaved spirals and
reports every layer's ‖∂C/∂W_l‖_F at every iteration: ``--plot`` draws them side by side,
``--format json`` gives ``{"runs": [{"activation": ..., "layers": [{"layer": l,
"grad_norm": [...]}]}]}``.
"""
from __future__ import annotations

import os

from symgrad.cli import limits, names
from symgrad.cli.common import (add_run_options, choice, emit, name_or_expression, number,
                                positive_int, require_numeric, seed, split_names)
from symgrad.cli.output import check_target, replacing, write_stdout
from symgrad.cli.progress import progress
from symgrad.errors import UsageError

__all__ = ["register", "run", "analysis_text", "training_text", "MAX_SAMPLES",
           "MAX_ANALYZE_DEPTH", "MAX_TRAIN_STEPS", "DRAWN_Z", "FORMATS"]

FORMATS = ["text", "json"]
MAX_SAMPLES = 100_000
MAX_TRAIN_STEPS = 100_000
#: deeper than this the per-draw evaluation makes the command slow, not wrong
MAX_ANALYZE_DEPTH = 10_000
#: the pre-activations the draws reach: w_l and b_l standard normal (He: variance 2), five
#: standard deviations; the exploding scheme makes every z exactly 0
DRAWN_Z = (-10.0, 10.0)
_PLOTS = (".png", ".svg")


def register(sub) -> None:
    samples = limits.reach("analyze", "--samples", MAX_SAMPLES, depth="10")
    p = sub.add_parser(
        "analyze", help=names.COMMANDS["analyze"],
        description="Draw the parameters of a network N times from an initialisation scheme, "
                    "evaluate every layer's gradient size, and report the mean with its "
                    "spread, the ratio to the last layer, the share of draws where the first "
                    "layer gets exactly 0, the fitted factor per layer and a verdict. Several "
                    "activations (comma separated) are compared side by side. With --train "
                    "STEPS: train the network with plain SGD on two spirals and follow each "
                    "layer's gradient norm over the iterations.",
        epilog=f"Limits: work estimated above {limits.duration(limits.MAX_SECONDS)} is refused "
               "(--force runs it anyway); on the machine the estimates were measured on that "
               f"is about --samples {samples} at depth 10 for one activation.")
    p.add_argument("--depth", "-L", default=None, metavar="L",
                   help=f"number of layers of a chain, 1..{MAX_ANALYZE_DEPTH}; default 10")
    p.add_argument("--widths", default=None, metavar="N0,N1,...",
                   help="dense layers instead of a chain: widths n_0 (input) .. n_L (output), "
                        "e.g. 784,30,30,30,30,10 (with --train: 2,...,1, default 2,8,8,8,8,1)")
    p.add_argument("--samples-in-loss", default=None,
                   type=positive_int("samples-in-loss", names.MAX_SAMPLES), metavar="N",
                   help="with --widths: the loss sums over N input samples (default 1)")
    p.add_argument("--output", default=None, type=choice("output", names.OUTPUTS),
                   help="with --widths: the output layer uses the compared activation "
                        "(same, default) or is linear")
    p.add_argument("--precision", default=None, type=choice("precision", names.PRECISIONS),
                   help="mp (every draw at 30 digits), float64, or auto (default: float64, a "
                        "draw that underflows again at 30 digits)")
    p.add_argument("--activation", "-a", default=None, metavar="NAME[,NAME2,...]",
                   type=name_or_expression("activation", "x"),
                   help="one or more of " + ", ".join(names.ACTIVATIONS)
                   + " (or expressions in x), comma separated; default sigmoid, with --train "
                     "sigmoid,relu")
    p.add_argument("--cost", "-c", default=None, metavar="NAME",
                   type=name_or_expression("cost", "a and y"),
                   help="the cost (default quadratic; --train uses the cross-entropy)")
    p.add_argument("--init", default=None, type=choice("init", names.INITS),
                   help="; ".join(f"{k}: {v}" for k, v in names.INITS.items())
                   + " (default normal, with --train xavier)")
    p.add_argument("--samples", "-n", default=100, type=positive_int("samples", MAX_SAMPLES),
                   help=f"number of random draws, 1..{MAX_SAMPLES} (default 100)")
    p.add_argument("--train", default=None, metavar="STEPS",
                   type=positive_int("train", MAX_TRAIN_STEPS),
                   help="train instead: plain SGD for STEPS iterations on two seeded spirals, "
                        "every layer's gradient norm recorded at every iteration")
    p.add_argument("--learning-rate", default=None, metavar="ETA",
                   type=number("learning-rate", 0.0, 100.0),
                   help="with --train: the SGD step size (default 0.5)")
    p.add_argument("--seed", default=0, type=seed, help="random seed (default 0)")
    p.add_argument("--format", "-f", default="text", type=choice("format", FORMATS),
                   help="text (default) or json")
    p.add_argument("--plot", default=None, metavar="FILE.png|FILE.svg",
                   help="draw the gradient sizes (needs symgrad[plot]); written whole or not "
                        "at all")
    add_run_options(p, writes=True)
    p.set_defaults(run=run)


def analysis_text(analyses) -> str:
    """The text report: per analysis a header, one row per layer, the factor and verdict."""
    import mpmath
    out = []
    for a in analyses:
        net = a.network
        bars = "|" if not a.dense else "||"
        shape = f"depth {net['depth']}" if not a.dense else \
            (f"widths {','.join(map(str, net['widths']))}, activations "
             f"{','.join(net['activations'])}, {net['samples']} "
             f"sample{'s' if net['samples'] > 1 else ''} in the loss")
        out += [f"{a.activation}: {shape}, cost {net['cost']}, init {a.init} "
                f"({a.init_description}), {a.samples} draws, seed {a.seed}",
                f"values: {a.evaluation}", ""]
        rows = [("layer", f"mean {bars}dC/db_l{bars}", f"mean {bars}dC/dW_l{bars}" +
                 ("_F" if a.dense else ""), "ratio to last", f"10%-90% of {bars}dC/db_l{bars}",
                 "exactly 0")]
        for s in a.layers:
            rows.append((str(s.layer), mpmath.nstr(s.grad_b, 4), mpmath.nstr(s.grad_w, 4),
                         mpmath.nstr(s.ratio_to_last, 4),
                         f"{mpmath.nstr(s.spread_b[0], 3)} .. {mpmath.nstr(s.spread_b[1], 3)}",
                         f"{s.zero_fraction:.1%}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        out += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        rate = f"{a.rate:.4g}" if a.rate is not None else "undefined"
        out += ["", f"factor per layer back: {rate}",
                f"first layer's gradient exactly 0 in {a.dead_fraction:.1%} of the draws",
                f"verdict: {a.verdict} ({a.reason})", ""]
    return "\n".join(out)


def training_text(runs, *, steps: int, learning_rate: float) -> str:
    """Per run: the first and last iterations' gradient norm of every layer, the accuracy."""
    out = []
    for r in runs:
        net = r.network
        out += [f"{r.activation}: widths {','.join(map(str, net['widths']))}, activations "
                f"{','.join(net['activations'])}, cost {net['cost']}; plain SGD, {steps} "
                f"iterations, learning rate {learning_rate:g}; accuracy after training "
                f"{r.accuracy:.1%}", ""]
        rows = [("layer", "||dC/dW_l||_F first", "last", "last / layer L's last")]
        last_L = r.layers[-1]["grad_norm"][-1]
        for layer in r.layers:
            g = layer["grad_norm"]
            rows.append((str(layer["layer"]), f"{g[0]:.4g}", f"{g[-1]:.4g}",
                         f"{g[-1] / last_L:.4g}" if last_L else "undefined"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        out += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows] + [""]
    return "\n".join(out)


_DENSE_ONLY = {"samples_in_loss": "samples-in-loss", "output": "output"}


def _networks(args, activations: list[str]) -> list:
    """One network per activation: dense layers (--widths) or a chain (--depth)."""
    cost = args.cost or "quadratic"
    if args.widths is not None:
        if args.depth is not None:
            raise UsageError(f"widths={args.widths!r}: give either --depth (a chain) or "
                             "--widths (dense layers), not both")
        from symgrad.analysis import dense_network
        return [dense_network(args.widths, name, output=args.output or "same", cost=cost,
                              samples_in_loss=args.samples_in_loss or 1) for name in activations]
    for attr, option in _DENSE_ONLY.items():
        if getattr(args, attr) is not None:
            raise UsageError(f"{option}={getattr(args, attr)}: only with --widths "
                             "(dense layers)")
    from symgrad.model.network import Chain
    from symgrad.model.sizes import check_depth
    depth = check_depth(args.depth if args.depth is not None else "10")
    if depth > MAX_ANALYZE_DEPTH:
        raise UsageError(f"depth={depth}: analyze takes depth 1..{MAX_ANALYZE_DEPTH}")
    return [Chain(depth=depth, activation=name, cost=cost) for name in activations]


def _check_plot(args) -> None:
    """Before any work: the plot's name ends in .png or .svg and may be written."""
    if os.path.splitext(args.plot)[1].lower() not in _PLOTS:
        raise UsageError(f"plot={args.plot!r}: must end in .png or .svg")
    check_target(args.plot, "plot", force=args.force)


def _write_plot(args, draw) -> None:
    extension = os.path.splitext(args.plot)[1].lower()
    with replacing(args.plot, "plot", force=args.force, suffix=extension) as temporary:
        draw(temporary)


def _train(args) -> int:
    """--train: one training run per activation, the curves as text, JSON and a plot."""
    for option, value in (("depth", args.depth), ("samples-in-loss", args.samples_in_loss),
                          ("output", args.output), ("precision", args.precision),
                          ("cost", args.cost)):
        if value is not None:
            raise UsageError(f"{option}={value}: not with --train (the spirals network has a "
                             "sigmoid output with the cross-entropy)")
    from symgrad.analysis import (DEFAULT_WIDTHS, plot_training, train, training_json,
                                  training_network)
    activations = split_names(args.activation or "sigmoid,relu", "activation")
    widths = args.widths or ",".join(map(str, DEFAULT_WIDTHS))
    networks = [training_network(widths, name) for name in activations]
    init, rate = args.init or "xavier", args.learning_rate or 0.5
    runs = []
    with progress(len(networks), "training", quiet=args.quiet, unit="activation") as step:
        for net, name in zip(networks, activations):
            step.stage(f"training {name}")
            runs.append(train(net, args.train, learning_rate=rate, seed=args.seed, init=init))
            step(1)
    if args.plot is not None:
        _write_plot(args, lambda path: plot_training(runs, path, steps=args.train,
                                                     learning_rate=rate))
    if args.format == "json":
        write_stdout(emit(training_json(runs, steps=args.train, learning_rate=rate, batch=32,
                                        seed=args.seed, init=init)))
    else:
        write_stdout(training_text(runs, steps=args.train, learning_rate=rate)
                     + (f"plot written to {args.plot}\n" if args.plot else ""))
    return 0


def run(args) -> int:
    if args.plot is not None:
        _check_plot(args)
    if args.train is not None:
        return _train(args)
    if args.learning_rate is not None:
        raise UsageError(f"learning-rate={args.learning_rate:g}: only with --train")
    activations = split_names(args.activation or "sigmoid", "activation")
    networks = _networks(args, activations)
    limits.require_feasible(args)
    for net in networks:
        require_numeric(net, "analyze", z=DRAWN_Z)
    from symgrad.analysis import analyze, plot_analyses
    analyses = []
    with progress(len(networks), "analysing", quiet=args.quiet, unit="activation") as step:
        for net, name in zip(networks, activations):
            step.stage(f"analysing {name}")
            analyses.append(analyze(net, init=args.init or "normal", samples=args.samples,
                                    seed=args.seed, precision=args.precision or "auto",
                                    label=name))
            step(1)
    if args.plot is not None:
        _write_plot(args, lambda path: plot_analyses(analyses, path))
    if args.format == "json":
        objs = [a.as_dict() for a in analyses]
        write_stdout(emit(objs[0] if len(objs) == 1 else objs))
    else:
        write_stdout(analysis_text(analyses) + (f"plot written to {args.plot}\n" if args.plot else ""))
    return 0
