"""The derivation's steps, as data: the entry point for chains and dense networks alike.

A step is one or more equations and the rule (words and inline formulas) that justifies them;
:func:`derivation_steps` writes a chain's (:mod:`symgrad.lecture.chain`), :func:`dense_steps`
a dense network's in the row convention (:mod:`symgrad.lecture.dense`), and
:func:`document_steps` picks the right one.

>>> from symgrad import Chain, derive
>>> [s.group for s in document_steps(derive(Chain(depth=2)))][:2]
['forward', 'chain rule']
"""
from __future__ import annotations

from symgrad.lecture.chain import derivation_steps
from symgrad.lecture.dense import dense_steps, row_form
from symgrad.lecture.document import document_steps
from symgrad.lecture.nodes import GROUPS, Equation, Preactivation, Step

__all__ = ["derivation_steps", "dense_steps", "row_form", "document_steps", "Equation", "Step",
           "Preactivation", "GROUPS"]
