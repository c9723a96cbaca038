"""What a proof found: the claim, whether it holds, how it was proven and what failed.

>>> Proof("x = x", True, "composed", 0.25).as_dict()["verified"]
True
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Proof"]


@dataclass(frozen=True)
class Proof:
    """What was proven, how, and how long it took; ``parameters`` lists what the claim
    covers (a chain's gradients, a dense network's components), ``failures`` those that
    failed."""

    claim: str
    verified: bool
    method: str
    seconds: float
    parameters: tuple = ()
    failures: tuple = ()
    detail: str = ""

    def as_dict(self) -> dict:
        return {"claim": self.claim, "verified": self.verified, "method": self.method,
                "seconds": round(self.seconds, 6), "failures": list(self.failures),
                "detail": self.detail}
