"""``symgrad check``: every closed form against an independent high-precision reference,
with finite differences and the complex step as witnesses that know their own error."""
from __future__ import annotations

import argparse

from symgrad.cli import limits, names
from symgrad.cli.common import (add_network_options, add_run_options, choice, emit, number,
                                network_from_args, positive_int, require_numeric, seed)
from symgrad.cli.output import write_stdout
from symgrad.cli.progress import progress

__all__ = ["register", "run", "drawn_z", "FORMATS", "MAX_POINTS"]

FORMATS = ["text", "json"]
#: the most points one run may draw
MAX_POINTS = 10_000


def _names(text: str) -> list[str]:
    parameters = [n.strip() for n in text.split(",") if n.strip()]
    if not parameters:
        raise argparse.ArgumentTypeError(f"parameters={text!r}: must name parameters, "
                                         "e.g. b_1,w_1")
    return parameters


def drawn_z(args) -> tuple[float, float]:
    """The pre-activations the points reach: |b_l| up to 40 in a saturated layer (5 without
    saturation), plus w_l a_{l-1} with |w_l| up to five standard deviations (--scale)."""
    reach = (40.0 if args.saturate > 0 else 5.0) + 5.0 * args.scale
    return -reach, reach


def register(sub) -> None:
    deep = limits.reach("check", "--depth", names.MAX_DEPTH, points=1)
    points = limits.reach("check", "--points", MAX_POINTS, depth="4")
    p = sub.add_parser(
        "check", help=names.COMMANDS["check"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Evaluate every printed closed-form gradient, component by component, at "
                    "--digits and compare it with an independent reference, reverse-mode "
                    "differentiation of the composed forward pass at twice the digits; also "
                    "the generated float64 NumPy code, central differences with Richardson "
                    "extrapolation and (for analytic activations) the complex step, each with "
                    "its own error estimate. Exit 0 when every closed form is within "
                    f"{names.CLOSED_FORM_RTOL:g} relative of the reference (and nothing "
                    "failed), 1 otherwise, 2 for bad options.",
        epilog="Points are drawn from numpy.random.default_rng(SEED): w_l ~ N(0, SCALE^2), "
               "b_l ~ N(0, 1), alpha_l ~ U(0, 0.3) (PReLU), a_0 ~ U(0, 1), y ~ U(0, 1) (with "
               "--widths: w^l_jk ~ N(0, SCALE^2/n_{l-1}), every entry of a_0 and y ~ U(0, 1), "
               "y one-hot for a softmax output); then each unit with probability SATURATE "
               "gets b_l = +-U(30, 40) instead (a saturated unit). Components are labelled "
               "one-based: W_2[1,3] is w^2_13.\n\nStatuses: pass, fail; inconclusive (a witness whose error "
               "estimate is not below the value's magnitude); non-differentiable (a ReLU-type "
               "kink inside the stencil); ill-conditioned (float64 error above 1e-12 but within "
               "10 (kappa + L) eps, kappa the reported condition estimate); out-of-range (the "
               "value is outside float64's normal range); unresolved (the reference could not "
               "reach the precision needed).\n\nLimits: work estimated above "
               f"{limits.duration(limits.MAX_SECONDS)} is refused (--force runs it anyway); on "
               f"the machine the estimates were measured on that is about --depth {deep} at "
               f"one point, or --points {points} at depth 4. A custom activation or cost must "
               "be real and finite where the points reach.")
    add_network_options(p)
    p.add_argument("--points", "-n", default=names.DEFAULT_POINTS,
                   type=positive_int("points", MAX_POINTS),
                   help=f"number of random points, 1..{MAX_POINTS} (default "
                        f"{names.DEFAULT_POINTS})")
    p.add_argument("--seed", "-s", default=0, type=seed,
                   help="seed of the point generator (default 0)")
    p.add_argument("--scale", default=1.0, type=number("scale", 0.0, 1e6),
                   help="standard deviation of the weights w_l, over sqrt(n_{l-1}) with "
                        "--widths (default 1; large values check exploding regimes)")
    p.add_argument("--saturate", default=names.DEFAULT_SATURATE,
                   type=number("saturate", 0.0, 1.0, low_open=False),
                   help=f"probability that a unit is saturated, |b_l| from 30 to 40 "
                        f"(default {names.DEFAULT_SATURATE:g})")
    p.add_argument("--digits", "-d", default=names.DEFAULT_DIGITS,
                   type=positive_int("digits", names.MAX_DIGITS),
                   help=f"digits of the closed form's evaluation (default "
                        f"{names.DEFAULT_DIGITS}); the reference works at twice that")
    p.add_argument("--parameters", "-p", default=None, type=_names, metavar="NAMES",
                   help="check only these gradients, e.g. b_1,w_1 or W_2 (every component); "
                        "default: all")
    p.add_argument("--format", "-f", default="text", type=choice("format", FORMATS),
                   help="text (default) or json")
    add_run_options(p)
    p.set_defaults(run=run)


def _report(args, report) -> int:
    write_stdout(emit(report.as_dict()) if args.format == "json" else report.text())
    return 0 if report.passed else 1


def run(args) -> int:
    net = network_from_args(args, dense=True)
    for name in args.parameters or ():
        net.parameter(name)  # one-line error for an unknown name
    limits.require_feasible(args)
    require_numeric(net, "check", z=drawn_z(args))
    from symgrad.derivation import derive
    from symgrad.numeric.checks import check
    with progress(args.points, "checking", quiet=args.quiet, unit="point") as step:
        report = check(derive(net), points=args.points, seed=args.seed, scale=args.scale,
                       saturate=args.saturate, digits=args.digits, names=args.parameters,
                       progress=step)
    return _report(args, report)
