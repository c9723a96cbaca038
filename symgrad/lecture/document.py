"""A lecture as data: the title, the introduction, and the sections the reader asked for.

:func:`build` proves the derivation first (a formula that failed its proof is never printed),
then assembles the sections named by ``--sections`` in the order given:

=================  ================================================================
``forward``        the forward pass
``chain-rule``     the chain rule as a product of partial derivatives
``local``          the local derivatives
``recurrence``     the repeated factor and the backpropagation recurrence
``closed-forms``   every gradient in closed form
``bounds``         sup |σ'| and the bound it gives on every gradient
``concrete``       the concrete activation and cost substituted
``story``          what the formulas say: ReLU, dead units, linear layers, cross-entropy
``example``        a worked example: every number of the forward and backward pass
``exercises``      exercises, with their solutions in a last section
``figures``        the network and the activation (TikZ, or PNG for Markdown)
=================  ================================================================

>>> from symgrad import Chain, derive
>>> doc = build(derive(Chain(depth=3)), sections=["forward", "bounds"])
>>> [s.key for s in doc.sections]
['forward', 'bounds']
>>> check_sections("forward,proof")
Traceback (most recent call last):
...
symgrad.errors.UsageError: sections='forward,proof': unknown section 'proof'; known: forward, chain-rule, local, recurrence, closed-forms, bounds, concrete, story, example, exercises, figures
"""
from __future__ import annotations

from dataclasses import dataclass

from symgrad.errors import UsageError
from symgrad.lecture import prose
from symgrad.lecture.chain import derivation_steps
from symgrad.lecture.facts import facts_of
from symgrad.lecture.nodes import Paragraph, Section

__all__ = ["SECTIONS", "DEFAULT_SECTIONS", "SLIDE_SECTIONS", "MAX_LECTURE_DEPTH", "MAX_EXERCISES", "Document",
           "build", "check_sections", "check_lecture_depth", "document_steps", "title"]

SECTIONS = ("forward", "chain-rule", "local", "recurrence", "closed-forms", "bounds", "concrete",
            "story", "example", "exercises", "figures")
#: what a lecture holds when --sections is not given
DEFAULT_SECTIONS = ("forward", "chain-rule", "local", "recurrence", "closed-forms", "bounds",
                    "concrete", "story")
#: what a deck holds when --sections is not given: one idea a frame
SLIDE_SECTIONS = ("figures", "forward", "chain-rule", "recurrence", "closed-forms", "bounds",
                  "example")
#: the step group each derivation section prints
GROUP_OF = {"forward": "forward", "chain-rule": "chain rule", "local": "local derivatives",
            "recurrence": "backpropagation", "closed-forms": "closed forms", "bounds": "bounds",
            "concrete": "concrete"}
TITLES = {"forward": "The forward pass", "chain-rule": "The chain rule",
          "local": "The local derivatives", "recurrence": "The repeated factor and backpropagation",
          "closed-forms": "The gradients in closed form", "bounds": "How large can the gradients be?",
          "concrete": "The concrete activation and cost", "story": "What the formulas say",
          "example": "A worked example", "exercises": "Exercises", "figures": "Figures"}
DENSE_TITLES = {**TITLES, "recurrence": "Backpropagation: the four equations in matrix form",
                "closed-forms": "The first layer's gradient in one formula"}
#: a lecture prints every closed form, L² factors in all: deeper is refused
MAX_LECTURE_DEPTH = 100
MAX_EXERCISES = 20


@dataclass(frozen=True)
class Document:
    """A lecture: title, introduction (words), sections, and the solutions of its exercises."""

    derivation: object
    notation: str
    printer: object
    title: str
    introduction: tuple
    sections: tuple
    solutions: Section | None = None

    @property
    def network(self):
        return self.derivation.network

    @property
    def all_sections(self) -> tuple:
        return self.sections + ((self.solutions,) if self.solutions else ())

    @property
    def steps(self) -> tuple:
        """Every display block, in the order printed."""
        from symgrad.lecture.nodes import Step
        return tuple(b for s in self.all_sections for b in s.blocks if isinstance(b, Step))


def check_sections(text) -> tuple:
    """``--sections`` as a tuple of known names, each once, in the order given."""
    given = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    shown = text if isinstance(text, str) else ",".join(given)
    for name in given:
        if name not in SECTIONS:
            raise UsageError(f"sections={shown!r}: unknown section {name!r}; known: "
                             f"{', '.join(SECTIONS)}")
    if len(set(given)) != len(given) or not given:
        raise UsageError(f"sections={shown!r}: name every section once, at least one")
    return tuple(given)


def check_lecture_depth(depth: int) -> int:
    """The depth, or a one-line :class:`UsageError` beyond :data:`MAX_LECTURE_DEPTH`."""
    if depth > MAX_LECTURE_DEPTH:
        raise UsageError(f"depth={depth}: a lecture prints every closed form (L^2 factors); "
                         f"depth must be at most {MAX_LECTURE_DEPTH} "
                         "(use 'symgrad derive' for deeper chains)")
    return depth


def title(net) -> str:
    """The document's title, in words.

    >>> from symgrad.model.network import Chain, Dense
    >>> title(Chain(depth=4)), title(Chain(depth=2, activation="leaky_relu"))
    ('Backpropagation through a chain of 4 sigmoid layers', 'Backpropagation through a chain of 2 leaky ReLU layers')
    >>> title(Dense([3, 4, 4, 2], ["sigmoid", "sigmoid", "linear"], "sse"))
    'Backpropagation through a network of 3 dense layers (widths 3, 4, 4, 2)'
    >>> title(Chain(depth=3, cost="cross-entropy"))
    'Backpropagation through a chain of 3 sigmoid layers with the cross-entropy cost'
    """
    from symgrad.lecture.facts import WORDS
    names = [WORDS.get(a.name, "custom") for a in net.activations]
    cost = {"cross-entropy": " with the cross-entropy cost",
            "softmax-cross-entropy": " with a softmax output and the cross-entropy"}.get(
        net.cost_name, "")
    if not net.is_chain:
        return (f"Backpropagation through a network of {net.L} dense layer"
                f"{'s' if net.L > 1 else ''} (widths {', '.join(map(str, net.widths))}){cost}")
    if len(set(names)) == 1:
        return f"Backpropagation through a chain of {net.L} {names[0]} layer" \
               f"{'s' if net.L > 1 else ''}{cost}"
    return f"Backpropagation through a chain of {net.L} layers ({', '.join(names)}){cost}"


def document_steps(d, notation: str = "nielsen") -> tuple:
    """The steps of the derivation sections: dense or chain."""
    if d.network.is_chain:
        return derivation_steps(d, notation)
    from symgrad.lecture.dense import dense_steps
    return dense_steps(d)


def _prove(d):
    """Prove before printing; returns whether each activation's σ' was proven as well."""
    net = d.network
    if not net.is_chain:
        from symgrad.lecture.dense import prove_dense_lecture
        prove_dense_lecture(d)
        return True
    from symgrad.prove import prove, prove_activation
    proof = prove(d)
    if not proof.verified:   # never print a formula that failed its proof
        raise RuntimeError(f"the closed forms of {net!r} failed their proof: "
                           f"{', '.join(proof.failures)}")
    return all(prove_activation(a).verified for a in set(net.activations))


def _printer(d, notation: str):
    from symgrad.printing import get_printer
    return get_printer(notation, depth=d.network.L, factor_space=r"\,")


def build(d, notation: str = "nielsen", sections=DEFAULT_SECTIONS, *, exercises: int = 0,
          seed: int = 0) -> Document:
    """The lecture of ``d`` with the given sections (in that order); ``exercises`` > 0 adds
    that many exercises (and their solutions) where the sections have none."""
    net = d.network
    check_lecture_depth(net.L)
    sections = check_sections(sections)
    if not net.is_chain and notation != "matrix":
        raise UsageError(f"notation={notation!r}: a dense network's lecture is written in the "
                         "matrix notation (the row convention of the material); use --notation "
                         "matrix")
    if isinstance(exercises, bool) or not isinstance(exercises, int) or \
            not 0 <= exercises <= MAX_EXERCISES:
        raise UsageError(f"exercises={exercises!r}: must be an integer from 0 to {MAX_EXERCISES}")
    if exercises and "exercises" not in sections:
        sections = sections + ("exercises",)
    steps = document_steps(d, notation)     # refuses what the lecture cannot write
    proven = _prove(d)
    f = facts_of(d)
    titles = TITLES if net.is_chain else DENSE_TITLES
    out, solutions = [], None
    for key in sections:
        blocks, extra = _blocks(key, d, f, steps, seed, exercises or 4, notation)
        if extra is not None:
            solutions = extra
        if blocks:
            out.append(Section(key, titles[key], tuple(blocks)))
    if net.is_chain:
        intro = prose.introduction(f, proven)
    else:
        from symgrad.lecture.dense_prose import dense_introduction
        from symgrad.lecture.dense import proof_network
        intro = dense_introduction(f, proof_network(net))
    return Document(d, notation, _printer(d, notation), title(net), intro, tuple(out), solutions)


def _blocks(key, d, f, steps, seed, exercises, notation):
    """The blocks of one section, and the solutions section where it is the exercises."""
    if key in GROUP_OF:
        return [s for s in steps if s.group == GROUP_OF[key]], None
    if key == "story":
        from symgrad.lecture.story import story
        return [Paragraph(p) for p in story(f)], None
    if key == "example":
        from symgrad.lecture.example_blocks import example_blocks
        return example_blocks(d, seed=seed), None
    if key == "exercises":
        from symgrad.lecture.exercises import exercise_sections
        return exercise_sections(d, count=exercises, seed=seed, notation=notation)
    from symgrad.lecture.figures import figures
    return figures(d), None
