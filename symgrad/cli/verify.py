"""``symgrad verify VECTORS RESULTS``: judge another implementation's gradients against a
vector file: exit 0 when all agree, 1 with every disagreement listed (first first), 2 when
a file is unusable (the place named)."""
from __future__ import annotations

import argparse
import math

from symgrad.errors import UsageError
from symgrad.oracle.core import DENSE_RTOL, verify_results

__all__ = ["register", "run"]

DTYPES = ["float64", "float32", "float16", "bfloat16"]


def _rtol(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"rtol={text!r}: must be a number >= 0") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"rtol={text!r}: must be a finite number >= 0")
    return value


def _dtype(text: str) -> str:
    if text not in DTYPES:
        raise argparse.ArgumentTypeError(f"dtype={text!r}: must be one of {', '.join(DTYPES)}")
    return text


def register(sub) -> None:
    p = sub.add_parser(
        "verify", help="check another implementation's gradients against test vectors",
        description="Read a vector file written by 'symgrad vectors' and a results file "
                    'written by another implementation, {"cases": [{"gradients": {"w_1": '
                    '..., "b_1": ...}}, ...]} with the cases in the same order (numbers as '
                    "JSON numbers or strings; an optional \"cost\" per case is checked too). "
                    "For dense vectors (--widths) each gradient is a nested list in the "
                    "parameter's shape, {\"W_1\": [[...], ...], \"b_1\": [...]}, and each "
                    "component is checked relative to the largest entry of its array. "
                    "Exit 0 when every value agrees, 1 when some disagree (all listed, the "
                    "first first), 2 when a file is unusable.")
    p.add_argument("vectors", metavar="VECTORS", help="the vector file")
    p.add_argument("results", metavar="RESULTS", help="the implementation's results")
    p.add_argument("--rtol", type=_rtol, default=None,
                   help="a fixed relative tolerance; default: condition-aware per gradient "
                        "for --dtype (dense: "
                        + ", ".join(f"{t:g} for {d}" for d, t in DENSE_RTOL.items())
                        + ", relative to each array's largest entry), never below the "
                        "vectors' own rounding")
    p.add_argument("--dtype", type=_dtype, default="float64",
                   help="the arithmetic of the implementation, for the condition-aware "
                        "tolerance: " + ", ".join(DTYPES) + "; default float64")
    p.set_defaults(run=run)


def _read(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        raise UsageError(f"{what}={path!r}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{what}={path!r}: is a folder, give a file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what}={path!r}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{what}={path!r}: cannot be read ({exc.strerror})") from None


def run(args) -> int:
    vectors = _read(args.vectors, "vectors")
    results = _read(args.results, "results")
    report = verify_results(vectors, results, rtol=args.rtol, dtype=args.dtype,
                            vectors_name=args.vectors, results_name=args.results)
    print(report.text(), end="")
    return 0 if report.passed else 1
