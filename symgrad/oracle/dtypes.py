"""Float formats as the tolerances see them: unit roundoff, range, and which exact numbers
and sums a format holds without rounding.

>>> dtype_of("double").name, DTYPES["float32"].u == 2.0 ** -24
('float64', True)
>>> representable("0.5", DTYPES["bfloat16"]), representable("0.1", DTYPES["float64"])
(True, False)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import arb, fmpq

from symgrad.errors import UsageError
from symgrad.oracle.decimals import split_decimal

__all__ = ["DType", "DTYPES", "dtype_of", "representable", "exact_sum", "exact_sums"]


@dataclass(frozen=True)
class DType:
    """A float format: unit roundoff u, ``tiny`` the smallest *normal* number (below it an
    implementation may flush to zero, as XLA and GPUs do), largest number, mantissa bits."""

    name: str
    u: float
    tiny: float
    huge: float
    bits: int
    min_exp: int        # the smallest subnormal is 2^min_exp
    max_exp: int        # every number is below 2^max_exp


DTYPES = {d.name: d for d in (
    DType("float64", 2.0 ** -53, 2.0 ** -1022, float(np.finfo(np.float64).max), 53, -1074,
          1024),
    DType("float32", 2.0 ** -24, 2.0 ** -126, float(np.finfo(np.float32).max), 24, -149, 128),
    DType("float16", 2.0 ** -11, 2.0 ** -14, 65504.0, 11, -24, 16),
    DType("bfloat16", 2.0 ** -8, 2.0 ** -126, float(np.finfo(np.float32).max), 8, -133, 128))}
_ALIASES = {"double": "float64", "float": "float32", "single": "float32", "half": "float16"}


def dtype_of(dtype) -> DType:
    """A DType from a name, a NumPy dtype or a torch dtype; one line for anything else."""
    if isinstance(dtype, DType):
        return dtype
    name = str(getattr(dtype, "name", dtype)).replace("torch.", "")
    name = _ALIASES.get(name, name)
    if name not in DTYPES:
        raise UsageError(f"dtype={dtype!r}: must be one of {', '.join(DTYPES)}")
    return DTYPES[name]


def representable(x, dt: DType) -> bool:
    """Whether the exact number ``x`` (a float, an fmpq, a decimal string or an exact arb
    ball) is a number of the dtype, so that reading or computing it rounds nothing."""
    if isinstance(x, arb):
        if not x.is_exact():
            return False
        man, exp = (int(v) for v in x.mid().man_exp())
    elif isinstance(x, float):
        if dt.name == "float64":
            return True
        man, exp = x.as_integer_ratio()
        exp = -(exp.bit_length() - 1)
    elif isinstance(x, str):             # m · 10^e: dyadic only where 5^−e divides m
        m, e = split_decimal(x)
        if e < 0 and m % 5 ** -e:
            return False
        man, exp = (m * 10 ** e, 0) if e >= 0 else (m // 5 ** -e, e)
    else:
        q = x if isinstance(x, fmpq) else fmpq(x)
        den = int(q.q)
        if den & (den - 1):
            return False
        man, exp = int(q.p), -(den.bit_length() - 1)
    if man == 0:
        return True
    while man % 2 == 0:
        man //= 2
        exp += 1
    man = abs(man)
    return man.bit_length() <= dt.bits and exp >= dt.min_exp \
        and exp + man.bit_length() <= dt.max_exp          # |x| < 2^max_exp


def exact_sum(w: float, a: float, b: float, dt: DType) -> bool:
    """Whether w·a + b (w, a, b numbers of the dtype) is computed exactly, fused or not
    (:func:`exact_sums` of one term).

    >>> f64 = DTYPES["float64"]
    >>> exact_sum(100.0, 0.5, 0.0, f64), exact_sum(0.1, 3.0, 1.0, f64)
    (True, False)
    """
    return bool(exact_sums(np.array([[w]]), np.array([[a]]), np.array([[b]]), dt)[0, 0])


def exact_sums(W, A, B, dt: DType):
    """Which z = W a + b are computed exactly in every order of the dot product (fused or
    not), given W, a and b are numbers of the dtype (float64 arrays, W (n, m), A (m, N),
    B (n, 1)): every term W_ij a_j and b_i is a multiple of 2^e, e ≥ the dtype's smallest
    exponent, and Σ|terms| < 2^(e + bits), so every partial sum is a number of the dtype.
    A representable exact z is not enough: 3 × 16.666666666666668 − 50 rounds its partial
    sum 50.000000000000004 first.

    >>> f64 = DTYPES["float64"]
    >>> exact_sums(np.array([[100.0, 100.0, -100.0]]), np.full((3, 1), 0.5), np.zeros((1, 1)), f64)
    array([[ True]])
    >>> third = 33.333333333333336
    >>> exact_sums(np.array([[third] * 3]), np.full((3, 1), 0.5), np.full((1, 1), -50.0), f64)
    array([[False]])
    """
    W, A, B = (np.asarray(x, dtype=float) for x in (W, A, B))
    # v(x) = k − 53 + (trailing zeros of the 53-bit mantissa), +inf for 0
    def valuation(x):
        m, k = np.frexp(x)
        man = np.abs(m * 2.0 ** 53).astype(np.int64)
        low = np.log2((man & -man).astype(float), out=np.full(x.shape, np.inf), where=man != 0)
        return np.where(man != 0, k - 53 + low, np.inf)
    vW, vA, vB = valuation(W), valuation(A), valuation(B)
    e = np.minimum((vW[:, :, None] + vA[None, :, :]).min(axis=1), vB)     # (n, N)
    with np.errstate(all="ignore"):
        S = (np.abs(W) @ np.abs(A) + np.abs(B)) * (1 + (W.shape[1] + 2) * 2.0 ** -52)
        return (e >= dt.min_exp) & ((S < np.exp2(e + dt.bits)) | ~np.isfinite(e)) \
            & (S < dt.huge)
