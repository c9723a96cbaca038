"""Options and helpers shared by the sub-commands."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from symgrad.model.activations import activation_names
from symgrad.errors import UsageError
from symgrad.model.costs import cost_names
from symgrad.model.network import Chain, check_depth

__all__ = ["add_network_options", "network_from_args", "dense_network_from_args", "choice",
           "write_output",
           "positive_int", "seed", "emit"]


def positive_int(name: str, maximum: int | None = None):
    """An argparse type: an integer >= 1 (and <= maximum), else one clear line."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}={text!r}: must be an integer >= 1") from None
        if value < 1 or (maximum is not None and value > maximum):
            allowed = f"from 1 to {maximum}" if maximum else ">= 1"
            raise argparse.ArgumentTypeError(f"{name}={value}: must be an integer {allowed}")
        return value
    return parse


def seed(text: str) -> int:
    """An argparse type: a random seed, an integer >= 0, else one clear line."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed={text!r}: must be an integer >= 0") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed={value}: must be an integer >= 0")
    return value


def choice(name: str, allowed):
    """An argparse type: one of ``allowed``, else one clear line listing them."""
    allowed = list(allowed)

    def parse(text: str) -> str:
        if text not in allowed:
            raise argparse.ArgumentTypeError(f"{name}={text!r}: must be one of {', '.join(allowed)}")
        return text
    return parse


def add_network_options(p: argparse.ArgumentParser) -> None:
    """--depth, --activation/--activations, --cost."""
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--depth", "-L", default="4", metavar="L",
                       help="number of layers L (one neuron each), 1..100000; default 4")
    shape.add_argument("--widths", default=None, metavar="N0,N1,...",
                       help="dense layers instead of a chain: widths n_0 (input) .. n_L "
                            "(output), e.g. 2,3,3,2 (derive and check)")
    p.add_argument("--samples-in-loss", default=1, type=positive_int("samples-in-loss", 100_000),
                   metavar="N", help="with --widths: the loss sums over N samples (default 1)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--activation", "-a", default=None, metavar="NAME",
                   help="activation of every layer: " + ", ".join(activation_names())
                   + " (default sigmoid), or an expression in x such as 'x*tanh(log(1+exp(x)))'")
    g.add_argument("--activations", default=None, metavar="N1,N2,...",
                   help="one activation per layer, layer 1 first, e.g. sigmoid,sigmoid,linear")
    p.add_argument("--cost", "-c", default="quadratic", metavar="NAME",
                   help="cost: " + ", ".join(cost_names()) + " (default quadratic), "
                   "with --widths also squared-error and softmax-cross-entropy, "
                   "or an expression in a and y such as '(a - y)**4/4'")


def network_from_args(args, *, dense: bool = False):
    """The Chain (or, with --widths and ``dense=True``, the Dense network) the network
    options describe; bad values raise one-line UsageErrors."""
    if getattr(args, "widths", None) is not None:
        return dense_network_from_args(args, dense=dense)
    if getattr(args, "samples_in_loss", 1) != 1:
        raise UsageError(f"samples-in-loss={args.samples_in_loss}: only with --widths "
                         "(a chain's cost is one sample's)")
    depth = check_depth(args.depth.strip() if isinstance(args.depth, str) else args.depth)
    if args.activations is not None:
        names = [n.strip() for n in args.activations.split(",")]
        if len(names) != depth:
            raise UsageError(f"activations={args.activations!r}: {len(names)} given, "
                             f"--depth {depth} needs exactly {depth}")
        activation = names
    else:
        activation = args.activation or "sigmoid"
    return Chain(depth=depth, activation=activation, cost=args.cost)


def dense_network_from_args(args, *, dense: bool = True):
    """The Dense network of --widths, --activation(s), --cost and --samples-in-loss."""
    from symgrad.derivation.dense import Dense, check_widths  # lazy: only dense commands need it
    if not dense:
        raise UsageError(f"widths={args.widths!r}: 'symgrad {args.command}' takes chains "
                         "(--depth) only; dense layers work with derive, check, lecture, vectors and analyze")
    widths = check_widths(args.widths)
    if args.activations is not None:
        names = [n.strip() for n in args.activations.split(",")]
        if len(names) != len(widths) - 1:
            raise UsageError(f"activations={args.activations!r}: {len(names)} given, "
                             f"--widths {','.join(map(str, widths))} has {len(widths) - 1} "
                             f"layers and needs exactly {len(widths) - 1}")
        activation = names
    else:
        activation = args.activation or "sigmoid"
    return Dense(widths, activation, args.cost, samples=args.samples_in_loss)


def write_output(text: str, path: str | None, *, force: bool = False,
                 marker: str | None = None) -> None:
    """Print ``text``, or write it to ``path`` whole or not at all (a temporary file in the
    same folder, then an atomic rename).  An existing file is only replaced with ``force``
    or when its first line carries ``marker`` (a file symgrad wrote)."""
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"output={path!r}: the folder {directory!r} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"output={path!r}: is a folder, give a file name")
    if os.path.exists(path) and not force:
        first = ""
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                first = fh.readline()
        except OSError:
            pass
        if marker is None or marker not in first:
            raise UsageError(f"output={path!r}: exists and was not written by symgrad; "
                             "pass --force to replace it")
    fd, tmp = tempfile.mkstemp(prefix=".symgrad-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def emit(obj) -> str:
    """JSON text of ``obj`` with a final newline."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
