"""Options and helpers shared by the sub-commands.

Importing this module loads no SymPy, NumPy or mpmath: the option parsers take their
choices from :mod:`symgrad.cli.names`, and the core is imported inside the functions that
build a network, when a command runs.

>>> positive_int("points", 10)("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: points=0: must be an integer from 1 to 10
>>> split_names("sigmoid, max(0, x)", "activation")
['sigmoid', 'max(0, x)']
"""
from __future__ import annotations

import argparse
import json
import math

from symgrad.cli import names
from symgrad.errors import UsageError

__all__ = ["positive_int", "seed", "choice", "number", "split_names", "name_or_expression",
           "add_network_options", "add_run_options", "network_from_args", "require_numeric",
           "emit"]


def positive_int(name: str, maximum: int | None = None):
    """An argparse type: an integer >= 1 (and <= maximum), else one clear line."""
    def parse(text: str) -> int:
        value = _integer(text)
        if value is None:
            raise argparse.ArgumentTypeError(f"{name}={text!r}: must be an integer >= 1")
        if value < 1 or (maximum is not None and value > maximum):
            allowed = f"from 1 to {maximum}" if maximum else ">= 1"
            raise argparse.ArgumentTypeError(f"{name}={value}: must be an integer {allowed}")
        return value
    return parse


def _integer(text: str) -> int | None:
    """``text`` as an int when it is one of at most 12 digits (a sign allowed), else None:
    a 5,000-digit number is refused before Python converts it."""
    stripped = text.strip()
    digits = stripped.lstrip("+-")
    if not digits.isdecimal() or not digits.isascii() or len(digits) > 12 or \
            len(stripped) - len(digits) > 1:
        return None
    return int(stripped)


def seed(text: str) -> int:
    """An argparse type: a random seed, an integer from 0 to 2**63 - 1, else one line."""
    value = _integer(text)
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(f"seed={text if value is None else value!r}: "
                                         "must be an integer >= 0 of at most 12 digits")
    return value


def choice(name: str, allowed):
    """An argparse type: one of ``allowed``, else one clear line listing them."""
    allowed = list(allowed)

    def parse(text: str) -> str:
        if text not in allowed:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r}: must be one of {', '.join(allowed)}")
        return text
    return parse


def number(name: str, low: float, high: float, *, low_open: bool = True):
    """An argparse type: a finite float in (low, high] (or [low, high] without ``low_open``).

    >>> number("scale", 0.0, 1e6)("1e999")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: scale='1e999': must be a number > 0 and <= 1e+06
    """
    def parse(text: str) -> float:
        try:
            value = float(text) if len(text) <= 64 else math.nan
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


def split_names(text: str, argument: str) -> list[str]:
    """Names or expressions separated by commas; a comma inside parentheses (``max(0, x)``)
    does not separate.  An empty entry is one UsageError line."""
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
        raise UsageError(f"{argument}={text!r}: an empty name between commas")
    return parts


def name_or_expression(argument: str, variables: str):
    """An argparse type for --activation and --cost: any text but an empty one (an empty
    name used to mean the default silently)."""
    known = names.ACTIVATIONS if argument.startswith("activation") else \
        (*names.COSTS, names.SOFTMAX_CE)

    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(
                f"{argument}={text!r}: empty; give a name ({', '.join(known)}) or an "
                f"expression in {variables}")
        return text
    return parse


def add_network_options(p: argparse.ArgumentParser, *, widths: bool = True) -> None:
    """--depth or --widths, --samples-in-loss, --activation or --activations, --cost."""
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--depth", "-L", default="4", metavar="L",
                       help=f"number of layers L (one neuron each), 1..{names.MAX_DEPTH}; "
                            "default 4")
    if widths:
        shape.add_argument("--widths", default=None, metavar="N0,N1,...",
                           help="dense layers instead of a chain: widths n_0 (input) .. n_L "
                                f"(output), each 1..{names.MAX_WIDTH}, e.g. 2,3,3,2")
        p.add_argument("--samples-in-loss", default=1, metavar="N",
                       type=positive_int("samples-in-loss", names.MAX_SAMPLES),
                       help="with --widths: the loss sums over N samples (default 1)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--activation", "-a", default=None, metavar="NAME",
                   type=name_or_expression("activation", "x"),
                   help="activation of every layer: " + ", ".join(names.ACTIVATIONS)
                   + " (default sigmoid), or an expression in x such as 'x*tanh(log(1+exp(x)))'")
    g.add_argument("--activations", default=None, metavar="N1,N2,...",
                   type=name_or_expression("activations", "x"),
                   help="one activation per layer, layer 1 first, e.g. sigmoid,sigmoid,linear")
    p.add_argument("--cost", "-c", default="quadratic", metavar="NAME",
                   type=name_or_expression("cost", "a and y"),
                   help="cost: " + ", ".join(names.COSTS) + " (default quadratic), with "
                   f"--widths also {names.SOFTMAX_CE}, or an expression in a and y such as "
                   "'(a - y)**4/4'")


def add_run_options(p: argparse.ArgumentParser, *, writes: bool = False) -> None:
    """--quiet and --force, on every command."""
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar (it appears on a terminal once the work lasts 2 s)")
    p.add_argument("--force", action="store_true",
                   help="run even when the work is estimated to exceed 2 minutes or 4 GiB"
                   + ("; and replace FILE even if symgrad did not write it" if writes else ""))


def network_from_args(args, *, dense: bool = True):
    """The network the options describe: a chain (--depth) or, with --widths and ``dense``,
    dense layers; bad values raise one-line UsageErrors."""
    from symgrad.model.network import Chain, Dense
    from symgrad.model.sizes import check_depth, check_widths
    if getattr(args, "widths", None) is not None:
        if not dense:
            raise UsageError(f"widths={args.widths!r}: 'symgrad {args.command}' takes chains "
                             "(--depth) only")
        widths = check_widths(args.widths)
        return Dense(widths, _activations(args, len(widths) - 1,
                                          f"--widths {','.join(map(str, widths))} has "
                                          f"{len(widths) - 1} layers and"),
                     args.cost, samples=args.samples_in_loss)
    if getattr(args, "samples_in_loss", 1) != 1:
        raise UsageError(f"samples-in-loss={args.samples_in_loss}: only with --widths "
                         "(a chain's cost is one sample's)")
    depth = check_depth(args.depth)
    return Chain(depth=depth, activation=_activations(args, depth, f"--depth {depth}"),
                 cost=args.cost)


def _activations(args, layers: int, shape: str):
    """--activation as one name, or --activations as exactly ``layers`` names."""
    if args.activations is None:
        return args.activation if args.activation is not None else "sigmoid"
    given = split_names(args.activations, "activations")
    if len(given) != layers:
        raise UsageError(f"activations={args.activations!r}: {len(given)} given, {shape} "
                         f"needs exactly {layers}")
    return given


def require_numeric(net, command: str, *, z: tuple) -> None:
    """Refuse a custom activation or cost that is not real and finite where ``command``
    evaluates it: z in ``z``, the output in the last activation's range on ``z``, y in
    [0, 1] (:func:`symgrad.model.domains.require_real_on`)."""
    from symgrad.model.domains import activation_image, require_real_on
    activations = list(dict.fromkeys(net.activations))
    for activation in activations:
        require_real_on(activation, command=command, z=z, compose=net.L > 1)
    require_real_on(net.cost, command=command, a=activation_image(net.activations[-1], z))


def emit(obj) -> str:
    """JSON text of ``obj`` with a final newline."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
