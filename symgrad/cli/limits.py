"""What a command will cost, estimated from its options before any work starts.

Every command that can run long estimates its time from its options (depth, widths,
samples, points, count, digits, format) with the simple models below, and refuses work
estimated above :data:`MAX_SECONDS` (or :data:`MAX_BYTES` of output) with one line that
says why and what would help, unless ``--force`` is given::

    symgrad: error: vectors --depth 2000 --count 100 needs about 42 minutes; use --count 4
    or less, or --depth 622 or less (or --force to run it anyway)

The constants of :data:`MODEL` were measured on the development machine (2 cores, Python
3.11, gmpy2) as CPU seconds beyond the 1.8 s every run spends importing SymPy;
``python benchmarks/cli.py --calibrate`` measures them again and prints the table to paste
here when the core changes.  The models are meant to be within a factor of about two:
enough to tell a minute from a day.

>>> import argparse
>>> args = argparse.Namespace(command="check", depth="20000", widths=None, points=10,
...                           digits=50, samples_in_loss=1, force=False)
>>> estimate(args).seconds > MAX_SECONDS
True
>>> require_feasible(args)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symgrad.errors.UsageError: check --depth 20000 --points 10 needs about ... minutes; use --depth ... or less (or --force to run it anyway)
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from symgrad.cli.names import AUTO_EXPAND_DEPTH
from symgrad.errors import UsageError

__all__ = ["MAX_SECONDS", "MAX_BYTES", "MODEL", "Estimate", "estimate", "require_feasible",
           "largest", "reach", "size_within", "duration", "vectors_bytes", "MAX_VECTOR_BYTES"]

#: work estimated above this is refused (without --force)
MAX_SECONDS = 120.0
#: output estimated above this is refused (without --force)
MAX_BYTES = 4 * 2 ** 30
#: a vector file larger than this could not be read back by 'symgrad verify'
#: (symgrad.inputs.MAX_INPUT_BYTES)
MAX_VECTOR_BYTES = 256 * 2 ** 20

#: the cost models: a unit of work of size s costs about c0 + c·s^k CPU seconds, (c0, c, k)
#: fitted by ``benchmarks/cli.py --calibrate`` (c0 from a run at a tiny size, c and k
#: through two larger runs), which prints this table.  The size s: the depth L of a chain;
#: for dense layers (--widths) the parameters P times the layers L times the samples in the
#: loss N (derive, check) or P N (vectors, analyze).  A unit: a whole run (derive,
#: lecture), a point (check), a case (vectors), a draw (analyze); "digits" scales vectors
#: by (digits/50)^k.  CPU seconds beyond the start-up, the larger run of each quoted.
MODEL = {
    "derive expanded text": (0.0, 1.9e-5, 1.92),         # 24.5 s at --depth 1536
    "derive expanded latex": (0.0, 1.3e-6, 2.29),        # 27.4 s at --depth 1536
    "derive expanded markdown": (0.0, 5.3e-6, 2.10),     # 26.4 s at --depth 1536
    "derive expanded json": (0.0, 3.9e-5, 1.96),         # 17.3 s at --depth 768
    "derive recurrence text": (0.0, 1.9e-4, 1.15),       # 13.5 s at --depth 16000
    "derive recurrence latex": (0.0, 2.8e-4, 1.11),      # 13.3 s at --depth 16000
    "derive recurrence markdown": (0.0, 2.9e-4, 1.11),   # 13.5 s at --depth 16000
    "derive recurrence json": (0.0, 3.1e-4, 1.12),       # 15.9 s at --depth 16000
    "derive dense text": (1e-3, 0.0, 0.0),               # the matrix form: no growth up to
    "derive dense json": (1e-3, 0.0, 0.0),               # --widths 100000,100000,100000
    "check chain": (1.2e-2, 5.2e-4, 1.25),               # 13.9 s for 2 points at depth 2048
    "check dense": (1.4e-2, 8.5e-5, 1.31),               # 27.7 s for 1 point of 64,64,64
    "vectors chain": (1.1e-3, 6.1e-8, 2.61),             # 12.1 s for 3 cases at depth 1000
    "vectors dense": (9.0e-4, 6.7e-9, 1.90),             # 1.9 s for 10 cases of 64,64,64
    "vectors digits": (0.0, 1.0, 0.21),                  # 7.8 s, 2000 cases at 1000 digits
    "analyze chain": (0.0, 3.5e-4, 0.97),                # 15.1 s, 500 draws at depth 100
    # 15.6 s for 2000 draws of 784,30,10, where saturated draws are evaluated again at
    # 30 digits (a 100,100,100,100 network of more weights takes a fifth of that)
    "analyze dense float64": (0.0, 3.3e-7, 1.0),
    "analyze dense mp": (0.0, 6.3e-5, 0.97),             # 4.7 s for 50 draws of 30,30,30
    "lecture": (0.0, 7.7e-4, 2.36),                      # 23.5 s at --depth 80
}


def _cost(key: str, size: float) -> float:
    """c0 + c·size^k of :data:`MODEL`."""
    c0, c, k = MODEL[key]
    return c0 + c * size ** k


@dataclass(frozen=True)
class Estimate:
    """The estimated CPU seconds and output bytes of a command, and what it was given."""

    seconds: float
    bytes: float = 0.0
    #: the options that decide the cost, as the user typed them: [("--depth", "400"), ...]
    shown: tuple = ()


def _integer(value) -> int | None:
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


def _widths(args) -> tuple | None:
    text = getattr(args, "widths", None)
    if text is None:
        return None
    parts = [_integer(p) for p in str(text).split(",")]
    return tuple(parts) if len(parts) >= 2 and all(p for p in parts) else ()


def _shape(args):
    """(layers, parameters, samples in the loss) of the network the options describe, or
    None when they are malformed (the core then says why, in one line)."""
    widths = _widths(args)
    samples = getattr(args, "samples_in_loss", 1) or 1
    if widths is None:
        depth = getattr(args, "depth", None)
        depth = _integer(depth if depth is not None else 10 if args.command == "analyze" else 4)
        return None if not depth else (depth, 2 * depth, 1)
    if not widths:
        return None
    parameters = sum(n * m + n for m, n in zip(widths, widths[1:]))
    return len(widths) - 1, parameters, samples


def size_within(key: str, seconds: float = MAX_SECONDS) -> float:
    """The largest size a unit of work of :data:`MODEL` ``key`` may have to fit ``seconds``.

    >>> round(size_within("lecture", 7.7e-4 * 100 ** 2.36))
    100
    >>> size_within("derive dense text")
    inf
    """
    c0, c, k = MODEL[key]
    if k <= 0 or c <= 0:
        return math.inf if c0 + c <= seconds else 0.0
    return (max(seconds - c0, 0.0) / c) ** (1 / k)


def _digit_factor(args) -> float:
    return max(1.0, _cost("vectors digits", getattr(args, "digits", 50) / 50))


def _derive(args, L, P, N, dense):
    fmt = getattr(args, "format", "text")
    if dense:
        return _cost("derive dense json" if fmt == "json" else "derive dense text", P * L * N)
    form = getattr(args, "form", "auto")
    if form == "auto":
        form = "expanded" if L <= AUTO_EXPAND_DEPTH else "recurrence"
    return _cost(f"derive {form} {fmt}", L)


def _check(args, L, P, N, dense):
    points = getattr(args, "points", 10)
    return points * (_cost("check dense", P * L * N) if dense else _cost("check chain", L))


def _vectors(args, L, P, N, dense):
    per_case = _cost("vectors dense", P * N) if dense else _cost("vectors chain", L)
    return getattr(args, "count", 10) * per_case * _digit_factor(args)


def _analyze(args, L, P, N, dense):
    # a chain is the network of widths 1; --precision auto is float64 (a draw that
    # underflows is evaluated again at 30 digits, rarely)
    draws = getattr(args, "samples", 100)
    kinds = max(1, str(getattr(args, "activation", "") or "").count(",") + 1)
    if getattr(args, "precision", None) == "mp":
        per_draw = _cost("analyze dense mp", P * N)
    else:
        per_draw = _cost("analyze dense float64", P * N) if dense else _cost("analyze chain", L)
    return kinds * draws * per_draw


def _lecture(args, L, P, N, dense):
    # a dense lecture proves its formulas at narrow widths: its cost is not modelled
    return 0.0 if dense else _cost("lecture", L)


_MODELS = {"derive": _derive, "check": _check, "vectors": _vectors, "analyze": _analyze,
           "lecture": _lecture, "verify": _vectors}
#: the options that set a command's cost: shown in the message, and the integer ones
#: searched for a value that fits
_OPTIONS = {"derive": ("--depth", "--widths", "--samples-in-loss", "--form", "--format"),
            "check": ("--depth", "--widths", "--samples-in-loss", "--points"),
            "vectors": ("--depth", "--widths", "--samples-in-loss", "--count", "--digits"),
            "analyze": ("--depth", "--widths", "--samples", "--precision"),
            "lecture": ("--depth",), "verify": ()}
_DEFAULTS = {"--form": "auto", "--format": "text", "--samples-in-loss": 1, "--digits": 50,
             "--precision": None}


def _attribute(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def vectors_bytes(args) -> float:
    """The size of a vector file: per case every parameter twice (value and gradient), the
    inputs, the targets and the cost, each about digits + 8 characters."""
    shape, widths = _shape(args), _widths(args)
    if shape is None:
        return 0.0
    L, P, N = shape
    inputs = N * (widths[0] + widths[-1]) if widths else 2
    return getattr(args, "count", 10) * (2 * P + inputs + 1) * (getattr(args, "digits", 50) + 8)


def estimate(args) -> Estimate:
    """The estimated cost of running ``args.command`` with these options."""
    command = args.command
    model = _MODELS.get(command)
    shape = _shape(args)
    if model is None or shape is None:
        return Estimate(0.0)
    dense = _widths(args) is not None
    seconds = model(args, *shape, dense)
    size = vectors_bytes(args) if command == "vectors" else 0.0
    shown = tuple((o, getattr(args, _attribute(o))) for o in _OPTIONS[command]
                  if getattr(args, _attribute(o), None) is not None
                  and (o in ("--depth", "--widths") or getattr(args, _attribute(o)) !=
                       _DEFAULTS.get(o, object())))
    if dense:
        shown = tuple(item for item in shown if item[0] != "--depth")
    return Estimate(seconds, size, shown)


def duration(seconds: float) -> str:
    """``seconds`` in the unit a person reads it in.

    >>> duration(170), duration(5400), duration(86400 * 400)
    ('3 minutes', '2 hours', '1 year')
    """
    for unit, size in (("year", 365 * 86400), ("day", 86400), ("hour", 3600),
                       ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = max(1, round(seconds / size))
            return f"{count} {unit}{'s' if count > 1 else ''}"
    raise AssertionError("unreachable")


def _fits(args) -> bool:
    est = estimate(args)
    size = MAX_VECTOR_BYTES if args.command == "vectors" else MAX_BYTES
    return est.seconds <= MAX_SECONDS and est.bytes <= size


def largest(args, option: str) -> int | None:
    """The largest value of the integer ``option`` (the others unchanged) whose estimate
    fits the limits, or None when even 1 does not."""
    attribute = _attribute(option)
    current = _integer(getattr(args, attribute, None))
    if not current or current <= 1:
        return None
    trial = type(args)(**{**vars(args), attribute: 1})
    if not _fits(trial):
        return None
    low, high = 1, current - 1       # low fits, high + 1 does not
    while low < high:
        middle = (low + high + 1) // 2
        setattr(trial, attribute, middle if attribute != "depth" else str(middle))
        if _fits(trial):
            low = middle
        else:
            high = middle - 1
    return low


def reach(command: str, option: str, start: int, **options) -> int | None:
    """The largest value of ``option`` below ``start`` that ``command`` runs within the
    limits, the other options as given (for the --help texts).

    >>> reach("derive", "--depth", 100_000, form="recurrence", format="text")
    100000
    >>> 1 < reach("vectors", "--count", 100_000, depth="1000") < 100_000
    True
    """
    defaults = dict(command=command, depth="4", widths=None, samples_in_loss=1, force=False,
                    form="auto", format="text", points=10, digits=50, count=10, samples=100,
                    activation=None, precision=None)
    args = argparse.Namespace(**{**defaults, **options})
    setattr(args, _attribute(option), start + 1 if option != "--depth" else str(start + 1))
    return largest(args, option)


def _advice(args, est: Estimate) -> str:
    """What would make the work fit: a smaller value of each option that sets the cost, or
    a cheaper form."""
    command = args.command
    ideas = []
    for option in ("--points", "--count", "--samples", "--digits", "--depth"):
        if any(o == option for o, _ in est.shown):
            value = largest(args, option)
            if value is not None:
                ideas.append(f"{option} {value}" + (" or less" if value > 1 else ""))
    switches = {"derive": ("form", "recurrence"), "analyze": ("precision", "float64")}
    if command in switches:
        attribute, value = switches[command]
        applies = command == "analyze" or _widths(args) is None   # derive: chains only
        if applies and getattr(args, attribute, None) != value and \
                _fits(type(args)(**{**vars(args), attribute: value})):
            ideas.append(f"--{attribute} {value}")
    if not ideas:
        ideas += _together(args, est)
    if _widths(args) is not None:
        ideas.append("narrower --widths")
    if not ideas:
        return "use fewer cases" if command == "verify" else "reduce the options above"
    return "use " + (ideas[0] if len(ideas) == 1 else ", ".join(ideas[:-1]) + ", or " + ideas[-1])


def _together(args, est: Estimate) -> list[str]:
    """When no one option fits alone: one point (case, draw) and the depth that then fits."""
    for option in ("--points", "--count", "--samples"):
        if any(o == option for o, _ in est.shown):
            single = type(args)(**{**vars(args), _attribute(option): 1})
            depth = largest(single, "--depth")
            if depth is not None:
                return [f"{option} 1 with --depth {depth} or less"]
    return []


def require_feasible(args) -> None:
    """Refuse, with one UsageError line, work estimated beyond :data:`MAX_SECONDS` or output
    beyond :data:`MAX_BYTES` (a vector file beyond :data:`MAX_VECTOR_BYTES`), unless
    ``args.force``."""
    if getattr(args, "force", False):
        return
    est = estimate(args)
    what = getattr(args, "described", None) or \
        " ".join([args.command, *(f"{o} {v}" for o, v in est.shown)])
    size = MAX_VECTOR_BYTES if args.command == "vectors" else MAX_BYTES
    problems = []
    if est.seconds > MAX_SECONDS:
        problems.append(f"needs about {duration(est.seconds)}")
    if est.bytes > size:
        problems.append(f"writes about {est.bytes / 2 ** 20:,.0f} MiB"
                        + (f" ('symgrad verify' reads at most {size // 2 ** 20} MiB)"
                           if args.command == "vectors" else ""))
    if problems:
        raise UsageError(f"{what} {' and '.join(problems)}; {_advice(args, est)} (or --force "
                         "to run it anyway)")
