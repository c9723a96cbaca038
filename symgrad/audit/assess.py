r"""Classify one formula: a definition of the network, or a claim that is correct, wrong,
defective or not understood — with the reason and the fix.

What a formula is, from its shape:

* a forward equation (z_l = w_l a_{l-1} + b_l, a_l = σ(z_l), C = ...), the definition of
  δ_l = ∂C/∂z_l, or a value given to a symbol (w_j = 100): ``definition``, after checking it
  agrees with the network (a restatement for a generic layer must fit some layer);
* numbers only ((1/4)^3 = 1/64): arithmetic, checked exactly;
* ``X \in \mathbb{R}^{m×n}``: the shape of X;
* anything else with = is a claim (gradients, δ, local and activation derivatives, the cost's
  derivative); with ≤ or < a bound.  A chain A = B = C claims B = A and C = A.

>>> from .parser import parse
>>> from .semantics import Interpreter
>>> from .notation import NIELSEN
>>> from .network import infer_network
>>> text = (r"\frac{\partial C}{\partial b_{3}} = "
...         r"\sigma'(z_{3}) \, w_{4} \, \frac{\partial C}{\partial a_{4}}")
>>> rel = Interpreter(NIELSEN).read(parse(text))
>>> a = Assessor(infer_network([], depth=4), NIELSEN, "sub")
>>> r = a.assess(rel)
>>> r.verdict, r.reasons
('wrong', ["σ'(z_4) is missing"])
>>> from .printer import latex
>>> latex(r.terms[1], a.style)
"\\sigma'(z_{3}) \\, w_{4} \\, \\sigma'(z_{4}) \\, \\frac{\\partial C}{\\partial a_{4}}"
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .bounds import check_bound, constant
from .errors import NotUnderstood
from .explain import Explainer
from .instance import Instance
from .judge import Judge
from .network import forward_fact, is_definition_target
from .printer import Style, text
from .sir import (Apply, Grad, Num, Partial, Prod, Qty, RealSpace, Rel, S, Var, key)
from .templates import Templates

__all__ = ["Assessor", "Assessment", "VERDICTS", "RANK"]

#: the verdicts, worst first
VERDICTS = ("wrong", "defect", "not understood", "correct", "definition")
RANK = {v: i for i, v in enumerate(VERDICTS)}


@dataclass
class Assessment:
    """The verdict of one formula, the reasons (one per problem), what it claims, and the
    corrected terms and relations (``terms[k]`` / ``ops[k]`` replaced where they differ)."""

    verdict: str
    claim: str
    reasons: list = field(default_factory=list)
    terms: dict = field(default_factory=dict)
    ops: dict = field(default_factory=dict)
    failed_links: list = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


class Assessor:
    """Judges the formulas of one document against one network."""

    def __init__(self, spec, notation, index_style: str):
        self.spec = spec
        self.inst = Instance(spec)
        spec.cost_standard = _recognise_cost(self.inst)
        self.judge = Judge(self.inst)
        self.templates = Templates(spec, notation.name)
        self.style = Style(notation, index_style, depth=spec.depth,
                           input_column=spec.input_column,
                           depth_letter=getattr(spec, "depth_letter", False))
        self.explainer = Explainer(self.judge, self.templates, self.show, spec.dense)

    def show(self, node: S) -> str:
        return text(node, self.style)

    # -- what a formula is ----------------------------------------------------------------
    def assess(self, sir: S) -> Assessment:
        if not isinstance(sir, Rel):
            return Assessment("mention", "no relation")
        if "in" in sir.ops:
            return self._shape(sir)
        if any(op in ("!=", "~", ":=") for op in sir.ops):
            return Assessment("not understood", "relation",
                              [f"the relation {sir.ops[0]} is not checked"])
        fact = forward_fact(sir)
        if fact is not None:
            return self._definition(sir, fact)
        if is_definition_target(sir):
            return Assessment("definition", "a value given to a symbol (an example, not a "
                              "claim)")
        if all(constant(t) is not None for t in sir.terms):
            return self._arithmetic(sir)
        if self._delta_definition(sir):
            return self._check_definition(sir, "definition of the error δ")
        return self._claim(sir)

    def _restricted(self, sir: Rel) -> list:
        """A note when a definition for a generic layer fits only the layers whose
        activation it names (a_j = id(z_j) in a network whose other layers are not linear)."""
        fitting = self.judge.bindings(*sir.terms)
        every = self.judge.bindings(*sir.terms, filter_names=False)
        if not fitting or len(fitting) == len(every):
            return []
        layers = sorted({v for env in fitting for k, v in env.items()
                         if not k.startswith("_") and isinstance(v, int) and v >= 1})
        return [f"holds for layer{'s' if len(layers) > 1 else ''} "
                f"{', '.join(map(str, layers))} only, the layers with that activation"]

    def _delta_definition(self, sir: Rel) -> bool:
        lhs = sir.terms[0]
        return len(sir.terms) == 2 and isinstance(lhs, Qty) and lhs.kind == "error" and \
            isinstance(sir.terms[1], Partial) and isinstance(sir.terms[1].den, Qty) and \
            sir.terms[1].den.kind == "pre"

    def _definition(self, sir: Rel, fact) -> Assessment:
        kind = {"linear": "forward equation (the linear part of a layer)",
                "activation": "forward equation (a layer's activation)",
                "output": "forward equation (a linear output layer)",
                "cost": "the cost"}[fact[0]]
        return self._check_definition(sir, kind)

    def _check_definition(self, sir: Rel, claim: str) -> Assessment:
        out = self.judge.equal(sir.terms[0], sir.terms[1])
        if out.status == "true":
            return Assessment("definition", claim, self._restricted(sir))
        if out.status == "unknown":
            return Assessment("not understood", claim, [out.why])
        return Assessment("wrong", claim, ["it does not agree with the network's forward "
                                           "equations" + _where(out.env)])

    def _arithmetic(self, sir: Rel) -> Assessment:
        values = [constant(t) for t in sir.terms]
        for op, a, b in zip(sir.ops, values, values[1:]):
            ok = {"=": a == b, "<=": a <= b, "<": a < b, ">=": a >= b, ">": a > b}.get(op)
            if ok is None:
                return Assessment("not understood", "arithmetic", [f"the relation {op}"])
            if not ok:
                why = f"{_frac(a)} {op} {_frac(b)} is false" + (
                    " (the sign is wrong)" if op == "=" and a == -b else "")
                return Assessment("wrong", "arithmetic", [why],
                                  {len(sir.terms) - 1: Num(values[0])} if op == "=" else {})
        return Assessment("correct", "arithmetic")

    # -- claims ---------------------------------------------------------------------------
    def claim_name(self, lhs: S) -> str:
        shown = self.show(lhs)
        if isinstance(lhs, (Partial, Grad)):
            num = lhs.num if isinstance(lhs, Partial) else Qty("cost")
            if isinstance(num, Qty) and num.kind == "cost":
                return f"gradient {shown}"
            return f"local derivative {shown}"
        if isinstance(lhs, Qty) and lhs.kind == "error":
            return f"error {shown}"
        if isinstance(lhs, Apply) and lhs.deriv:
            return f"activation derivative {shown}"
        if isinstance(lhs, Prod) and all(isinstance(f, Apply) and f.deriv for f in lhs.factors):
            return f"product of activation derivatives {shown}"
        return f"{shown}"

    def _claim(self, sir: Rel) -> Assessment:
        lhs = sir.terms[0]
        result = Assessment("correct", self.claim_name(lhs))
        note = self._restricted(sir)
        anchor = 0
        for k, op in enumerate(sir.ops):
            right = sir.terms[k + 1]
            if op == "=":
                self._equality(result, sir, anchor, k + 1)
            elif op in ("<=", "<", ">=", ">"):
                left = result.terms.get(k, sir.terms[k])
                if k == 0 or sir.ops[k - 1] != "=":
                    result.claim = "bound on " + self.show(left)
                self._bound(result, left, op, right, k)
                anchor = k + 1
            else:
                _worse(result, "not understood", f"the relation {op} is not checked")
        if result.verdict == "correct":
            result.reasons += note
        return result

    def _equality(self, result: Assessment, sir: Rel, anchor: int, k: int) -> None:
        lhs, rhs = result.terms.get(anchor, sir.terms[anchor]), sir.terms[k]
        out = self.judge.equal(lhs, rhs)
        if out.status == "unknown":
            _worse(result, "not understood", out.why)
            return
        if out.status == "true":
            found = self.explainer.defects(lhs, rhs)
            if found is not None:
                _worse(result, "defect", *found.reasons)
                if found.rhs is not None:
                    result.terms[k] = found.rhs
            return
        result.failed_links.append(k)
        found = self.explainer.wrong(lhs, rhs)
        reasons = found.reasons
        if out.status == "shape" and found.lhs is None:
            reasons = [f"the shapes do not fit ({out.why})"] + reasons
        _worse(result, "wrong", *reasons)
        if found.rhs is not None:
            result.terms[k] = found.rhs
        if found.lhs is not None:
            result.terms[anchor] = found.lhs

    def _bound(self, result, left, op, right, k) -> None:
        br = check_bound(left, op, right, self.spec, self._expand, self.show)
        if br.verdict == "correct":
            if br.reason:
                result.reasons.append(br.reason) if result.verdict != "correct" else None
            return
        _worse(result, br.verdict, br.reason)
        if br.fix_op is not None and br.fix_op != op:
            result.ops[k] = br.fix_op
        if br.fix_rhs is not None:
            result.terms[k + 1] = br.fix_rhs

    def _expand(self, node: S):
        """The factors of a gradient or Jacobian: its chain rule with every local derivative
        written out (σ'-type factors stay, to be bounded by sup|σ'|)."""
        if isinstance(node, Grad):
            node = Partial(Qty("cost"), node.var)
        if not (isinstance(node, Partial) and isinstance(node.den, Qty)):
            return None
        chain = self.templates.chain_rule(node.den)
        if chain is None or key(chain[0].num) != key(node.num):
            return None
        out = []
        for p in chain:
            local = _local_value(p, self.templates)
            if local is None:
                out.append(p)
            elif not (isinstance(local, Num) and local.value == 1):
                out.append(local)
        return out

    # -- shapes ---------------------------------------------------------------------------
    def _shape(self, sir: Rel) -> Assessment:
        if len(sir.terms) != 2 or not isinstance(sir.terms[1], RealSpace):
            return Assessment("not understood", "membership", ["only X ∈ ℝ^{m×n} is read"])
        lhs, space = sir.terms
        claim = f"shape of {self.show(lhs)}"
        if isinstance(lhs, Qty) and lhs.kind in ("weight", "bias", "act", "pre", "input",
                                                 "target") and \
                self.spec.sources.get("widths") == "document":
            return Assessment("definition", claim)
        envs = self.judge.bindings(lhs) or [{}]
        try:
            for env in envs:
                got = self.judge.value(lhs, env)
                want = [self._dim(d, env) for d in space.dims]
                shape = got.shape
                if len(want) == 1:
                    ok = 1 in shape and max(shape) == want[0] or shape == (1, 1) and want[0] == 1
                else:
                    ok = tuple(want) == shape
                if not ok:
                    r, c = shape
                    dims = [Num(Fraction(r))] + ([Num(Fraction(c))] if len(want) > 1 else [])
                    if len(want) == 1:
                        dims = [Num(Fraction(max(r, c)))]
                    return Assessment("wrong", claim, [f"{self.show(lhs)} is {r}×{c} here"
                                                       + _where(env)],
                                      {1: RealSpace(dims)})
        except NotUnderstood as exc:
            return Assessment("not understood", claim, [str(exc)])
        return Assessment("correct", claim)

    def _dim(self, d: S, env: dict) -> int:
        v = constant(d)
        if v is not None:
            return int(v)
        if isinstance(d, Var):
            if d.name == "N":
                return self.spec.samples
            if d.name.startswith("n_"):
                idx = d.name[2:]
                k = int(idx) if idx.isdigit() else env.get(idx)
                if k is None and idx == "L":
                    k = self.spec.depth
                if k is not None and 0 <= k <= self.spec.depth:
                    return self.spec.widths[k]
        raise NotUnderstood(f"the size {self.show(d)} is not known")


def _recognise_cost(inst) -> bool:
    """Whether the document's own cost is a standard one (then its name is set): compared
    on the instance with ½‖a_L - y‖², ‖a_L - y‖² and the cross-entropy, summed over the
    samples."""
    import numpy as np
    spec = inst.spec
    if spec.cost is None:
        return True
    a = [np.real(inst.state["act"][(spec.depth, i)]) for i in range(spec.samples)]
    y = inst.y
    total = float(np.real(inst.state["total"]))
    sq = sum(float(np.sum((ai - yi) ** 2)) for ai, yi in zip(a, y))
    candidates = {"quadratic": sq / 2, "squared-error": sq}
    if all(np.all((ai > 0) & (ai < 1)) for ai in a):
        candidates["cross-entropy"] = -sum(float(np.sum(yi * np.log(ai) + (1 - yi) *
                                                        np.log(1 - ai))) for ai, yi in zip(a, y))
    for name, value in candidates.items():
        if abs(value - total) <= 1e-9 * max(1.0, abs(total)):
            spec.cost_name = name
            return True
    return False


def _local_value(p: Partial, templates) -> S | None:
    if p.num.kind == "pre" and p.den.kind == "weight":
        return templates._input_t(p.den.layer, None) if templates.spec.dense else \
            templates.layer_input(p.den.layer)
    if p.num.kind == "pre" and p.den.kind == "bias":
        return Num(Fraction(1))
    if p.num.kind == "pre" and p.den.kind == "act":
        return Qty("weight", p.num.layer)
    if p.num.kind == "act" and p.den.kind == "act":   # an output written without h̃_L
        return Qty("weight", p.num.layer)
    return None


def _worse(result: Assessment, verdict: str, *reasons: str) -> None:
    if verdict in RANK and RANK[verdict] < RANK.get(result.verdict, 9):
        result.verdict = verdict
    result.reasons += [r for r in reasons if r]


def _where(env: dict) -> str:
    shown = {k: v for k, v in env.items() if not k.startswith("_")}
    if not shown:
        return ""
    return " (for " + ", ".join(f"{k} = {v if isinstance(v, (int, float)) else '…'}"
                                for k, v in shown.items()) + ")"


def _frac(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
