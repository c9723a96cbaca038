"""``symgrad check``: every closed form against an independent high-precision reference,
with finite differences and the complex step as witnesses that know their own error."""
from __future__ import annotations

import argparse
import math

from symgrad.numeric.checks import (CLOSED_FORM_RTOL, DEFAULT_POINTS, DEFAULT_SATURATE, check)
from symgrad.derivation import derive
from symgrad.numeric.chain import DEFAULT_DIGITS, MAX_DIGITS
from symgrad.cli.common import seed, add_network_options, choice, emit, network_from_args, positive_int

__all__ = ["register", "run"]

FORMATS = ["text", "json"]
#: the most points one run may draw
MAX_POINTS = 10_000


def _number(name: str, low: float, high: float, *, low_open: bool = True):
    """An argparse type: a finite float in (low, high] (or [low, high])."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (value > low if low_open else value >= low) \
            and value <= high
        if not ok:
            bound = f"> {low:g}" if low_open else f">= {low:g}"
            raise argparse.ArgumentTypeError(f"{name}={text!r}: must be a number {bound} "
                                             f"and <= {high:g}")
        return value
    return parse


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"parameters={text!r}: must name parameters, "
                                         "e.g. b_1,w_1")
    return names


def register(sub) -> None:
    p = sub.add_parser(
        "check", help="check the closed forms numerically against a high-precision reference",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Evaluate every closed-form gradient with mpmath at --digits and compare it "
                    "with an independent reference, mpmath's differentiation of the composed "
                    "forward pass at twice the digits; also the generated float64 NumPy code, "
                    "central differences with Richardson extrapolation and (for analytic "
                    "activations) the complex step, each with its own error estimate. "
                    "Exit 0 when every closed form is within "
                    f"{CLOSED_FORM_RTOL:g} relative of the reference (and nothing failed), 1 "
                    "otherwise, 2 for bad options.",
        epilog="Points are drawn from numpy.random.default_rng(SEED): w_l ~ N(0, SCALE^2), "
               "b_l ~ N(0, 1), alpha_l ~ U(0, 0.3) (PReLU), a_0 ~ U(0, 1), y ~ U(0, 1); then "
               "each layer with probability SATURATE gets b_l = +-U(30, 40) instead (a "
               "saturated unit).\n\nStatuses: pass, fail; inconclusive (a witness whose error "
               "estimate is not below the value's magnitude); non-differentiable (a ReLU-type "
               "kink inside the stencil); ill-conditioned (float64 error above 1e-12 but within "
               "10 (kappa + L) eps, kappa the reported condition estimate); out-of-range (the "
               "value is outside float64's normal range); unresolved (the reference could not "
               "reach the precision needed).")
    add_network_options(p)
    p.add_argument("--points", "-n", default=DEFAULT_POINTS, type=positive_int("points", MAX_POINTS),
                   help=f"number of random points (default {DEFAULT_POINTS})")
    p.add_argument("--seed", "-s", default=0, type=seed,
                   help="seed of the point generator (default 0)")
    p.add_argument("--scale", default=1.0, type=_number("scale", 0.0, 1e6),
                   help="standard deviation of the weights w_l (default 1; large values "
                        "check exploding regimes)")
    p.add_argument("--saturate", default=DEFAULT_SATURATE,
                   type=_number("saturate", 0.0, 1.0, low_open=False),
                   help=f"probability that a layer is saturated, |b_l| from 30 to 40 "
                        f"(default {DEFAULT_SATURATE:g})")
    p.add_argument("--digits", "-d", default=DEFAULT_DIGITS,
                   type=positive_int("digits", MAX_DIGITS),
                   help=f"digits of the closed form's evaluation (default {DEFAULT_DIGITS}); "
                        "the reference works at twice that")
    p.add_argument("--parameters", "-p", default=None, type=_names, metavar="NAMES",
                   help="check only these gradients, e.g. b_1,w_1 (default: all)")
    p.add_argument("--format", "-f", default="text", type=choice("format", FORMATS),
                   help="text (default) or json")
    p.set_defaults(run=run)


def run_dense(args, net) -> int:
    """``check --widths ...``: float64 backprop and finite differences of every gradient array
    against the high-precision reference (symgrad.numeric.dense.check_dense)."""
    from symgrad.errors import UsageError
    from symgrad.numeric.dense import check_dense
    if args.parameters:
        raise UsageError(f"parameters={','.join(args.parameters)!r}: with --widths every "
                         "array is checked; leave --parameters out")
    report = check_dense(net, points=args.points, seed=args.seed, digits=args.digits)
    print(emit(report.as_dict()) if args.format == "json" else report.text(), end="")
    return 0 if report.passed else 1


def run(args) -> int:
    net = network_from_args(args, dense=True)
    if not net.is_chain:
        return run_dense(args, net)
    d = derive(net)
    if args.parameters:
        for name in args.parameters:
            net.parameter(name)  # one-line error for an unknown name
    report = check(d, points=args.points, seed=args.seed, scale=args.scale,
                   saturate=args.saturate, digits=args.digits, names=args.parameters)
    print(emit(report.as_dict()) if args.format == "json" else report.text(), end="")
    return 0 if report.passed else 1
