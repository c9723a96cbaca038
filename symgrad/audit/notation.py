r"""Notation tables: which symbol is the pre-activation, the activation output, the weight,
the bias, the cost, the error, and where a layer index is written.

Two notations are known by themselves, the two symgrad prints:

* ``nielsen``: z, a, w, b, C, δ (layer index down as in symgrad, or up as in Nielsen's book);
* ``matrix``: h̃, h, x, W, b, ŷ, 𝓛 and δ, the row convention of the lecture material.

Any other is declared in a small map, a file (``--notation-map``: TOML key = "value" lines,
or JSON) or a block in the document itself (Markdown front matter, or TeX comment lines
``% symgrad-notation: key = value; ...``).  Maps are read as data, never executed.

>>> m = load_map('pre-activation = "u"\nactivation = "o"\nindex = "superscript"\n', "map.toml")
>>> n = custom_notation(m)
>>> n.kind_of(None, "u"), n.index
('pre', 'sup')
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .errors import NotUnderstood, usage_error

__all__ = ["Notation", "NIELSEN", "MATRIX", "BUILTIN", "ACTIVATION_HEADS", "load_map",
           "custom_notation", "front_matter_map", "MAP_KEYS", "SUPREMA"]

#: LaTeX heads of the activations and the function each names
ACTIVATION_HEADS = {
    r"\sigma": "sigmoid", r"\tanh": "tanh", "ReLU": "relu", "relu": "relu", "id": "linear",
    "LReLU": "leaky_relu", "softplus": "softplus", "ELU": "elu", "SiLU": "silu",
    "GELU": "gelu", "SELU": "selu", "sigmoid": "sigmoid", "tanh": "tanh",
}
#: sup |f'| of each activation, and whether some z attains it (the bounds of symgrad bounds)
SUPREMA = {"sigmoid": ("1/4", True), "tanh": ("1", True), "relu": ("1", True),
           "linear": ("1", True), "leaky_relu": ("1", True), "softplus": ("1", False),
           "elu": ("1", True)}

#: the keys a notation map may give, and the name each stands for
MAP_KEYS = {
    "pre-activation": "pre", "preactivation": "pre", "pre": "pre", "weighted-input": "pre",
    "activation-output": "act", "activation": "act", "output-activation": "act", "act": "act",
    "weight": "weight", "weights": "weight", "bias": "bias", "cost": "cost", "loss": "cost",
    "error": "error", "delta": "error", "input": "input", "output": "output",
    "target": "target", "index": "index", "layer-index": "index",
    "function": "function", "activation-function": "function",
    "function-name": "function-name", "activation-name": "function-name",
    "convention": "convention",
}


@dataclass
class Notation:
    """One notation: symbols (decor, name) -> kind, where the layer index goes (``sub``,
    ``sup``, ``bracket`` or ``auto``), activation heads, the convention and how it prints."""

    name: str
    symbols: dict
    index: str = "auto"
    heads: dict = field(default_factory=lambda: dict(ACTIVATION_HEADS))
    convention: str = "col"
    output_symbol: tuple | None = None
    latex: dict = field(default_factory=dict)
    separator: str = r" \, "

    def kind_of(self, decor, name) -> str | None:
        return self.symbols.get((decor, name))

    def function_of(self, head: str) -> str | None:
        return self.heads.get(head)


NIELSEN = Notation(
    "nielsen",
    {(None, "z"): "pre", (None, "a"): "act", (None, "w"): "weight", (None, "W"): "weight",
     (None, "b"): "bias", (None, "C"): "cost", (None, r"\delta"): "error",
     (None, "x"): "input", (None, "y"): "target", ("mathcal", "L"): "cost"},
    index="auto", convention="col",
    latex={"pre": "z", "act": "a", "weight": "w", "bias": "b", "cost": "C",
           "error": r"\delta", "input": "x", "target": "y"},
    separator=r" \, ")

MATRIX = Notation(
    "matrix",
    {("tilde", "h"): "pre", (None, "h"): "act", (None, "W"): "weight", (None, "b"): "bias",
     ("mathcal", "L"): "cost", (None, "L"): "cost", (None, r"\delta"): "error",
     (None, "x"): "input", ("hat", "y"): "output", (None, "y"): "target",
     ("mathcal", "J"): "cost", (None, "C"): "cost", (None, "J"): "cost"},
    index="sub", convention="row", output_symbol=("hat", "y"),
    latex={"pre": r"\tilde{h}", "act": "h", "weight": "W", "bias": "b",
           "cost": r"\mathcal{L}", "error": r"\delta", "input": "x", "output": r"\hat{y}",
           "target": "y"},
    separator=r" \cdot ")

BUILTIN = {"nielsen": NIELSEN, "matrix": MATRIX}


def _toml_value(raw: str, where: str) -> str:
    raw = raw.strip()
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1]
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        try:
            return json.loads(raw)
        except ValueError:
            # TOML basic strings: \\ and \" escape; a lone backslash before a letter is
            # kept (what a LaTeX author means by "\tilde{h}")
            return re.sub(r'\\([\\"])', r"\1", raw[1:-1])
    if re.fullmatch(r"[A-Za-z0-9_.+-]+", raw):
        return raw
    raise usage_error(f"notation-map={where}: value {raw!r} must be a quoted string")


def load_map(text: str, where: str = "notation map") -> dict:
    """Read a notation map: JSON (an object) or TOML ``key = "value"`` lines (comments and
    a ``[notation]`` table header allowed).  Returns {normal key: value}."""
    stripped = text.strip()
    raw: dict = {}
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise usage_error(f"notation-map={where}: not valid JSON ({exc.msg}, line "
                              f"{exc.lineno})") from None
        if not isinstance(data, dict):
            raise usage_error(f"notation-map={where}: must be an object of key: value")
        data = data.get("notation", data)
        raw = {str(k): str(v) for k, v in data.items()}
    else:
        for n, line in enumerate(text.splitlines(), 1):
            line = line.split(" #")[0].strip() if not line.lstrip().startswith("#") else ""
            if not line or re.fullmatch(r"\[[A-Za-z0-9_.-]+\]", line):
                continue
            k, eq, v = line.partition("=")
            if not eq or not k.strip():
                raise usage_error(f"notation-map={where}: line {n}: {line[:40]!r} is not "
                                  "key = \"value\"")
            raw[k.strip().strip('"')] = _toml_value(v, f"{where} line {n}")
    out = {}
    for k, v in raw.items():
        norm = MAP_KEYS.get(k.lower().replace("_", "-"))
        if norm is None:
            raise usage_error(f"notation-map={where}: unknown key {k!r}; allowed: "
                              + ", ".join(sorted(set(MAP_KEYS))))
        out[norm] = v
    return out


_FRONT_MD = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_FRONT_TEX = re.compile(r"^%\s*symgrad-notation:\s*(.*)$", re.M)


def front_matter_map(text: str) -> tuple[dict | None, str]:
    """A notation map declared in the document: Markdown front matter (``key: value`` lines,
    optionally under ``notation:``) or ``% symgrad-notation: key = value; ...`` lines."""
    m = _FRONT_MD.match(text)
    if m:
        pairs = {}
        for line in m.group(1).splitlines():
            k, colon, v = line.strip().partition(":")
            v = v.strip().strip("'\"")
            if colon and v and k.strip().lower().replace("_", "-") in MAP_KEYS:
                pairs[k.strip()] = v
        if pairs:
            return load_map(json.dumps(pairs), "front matter"), "front matter"
    lines = _FRONT_TEX.findall(text)
    if lines:
        body = "\n".join(part for line in lines for part in line.split(";"))
        body = "\n".join(f'{k.strip()} = "{v.strip()}"' for k, _, v in
                         (p.partition("=") for p in body.splitlines() if p.strip()))
        return load_map(body.replace("\\", "\\\\"), "symgrad-notation comment"), \
            "symgrad-notation comment"
    return None, ""


def _symbol(latex: str, key: str) -> tuple:
    from .parser import parse
    try:
        node = parse(latex)
    except NotUnderstood as exc:
        raise usage_error(f"notation {key}={latex!r}: {exc}") from None
    if node.kind != "sym":
        raise usage_error(f"notation {key}={latex!r}: must be one symbol such as 'z' or "
                          "'\\tilde{h}'")
    return node.attrs.get("decor"), node.attrs["name"]


def custom_notation(m: dict, base: Notation | None = None) -> Notation:
    """The notation a map declares, on top of ``base`` (Nielsen's by default)."""
    base = base or NIELSEN
    symbols = {k: v for k, v in base.symbols.items()}
    latex = dict(base.latex)
    heads = dict(base.heads)
    for kind in ("pre", "act", "weight", "bias", "cost", "error", "input", "output",
                 "target"):
        if kind in m:
            sym = _symbol(m[kind], kind)
            symbols = {k: v for k, v in symbols.items() if v != kind and k != sym}
            symbols[sym] = kind
            latex[kind] = m[kind]
    index = {"subscript": "sub", "sub": "sub", "down": "sub", "superscript": "sup",
             "sup": "sup", "up": "sup", "bracket": "bracket", "[l]": "bracket",
             "auto": "auto"}.get(m.get("index", base.index).strip().lower())
    if index is None:
        raise usage_error(f"notation index={m['index']!r}: must be subscript, superscript "
                          "or bracket")
    if "function" in m:
        decor, name = _symbol(m["function"], "function")
        fname = m.get("function-name", "sigmoid")
        if fname not in SUPREMA and fname not in ACTIVATION_HEADS.values():
            raise usage_error(f"notation function-name={fname!r}: must be one of "
                              + ", ".join(sorted(set(ACTIVATION_HEADS.values()))))
        heads[name] = fname
    convention = m.get("convention", base.convention)
    convention = {"column": "col", "col": "col", "row": "row"}.get(convention)
    if convention is None:
        raise usage_error(f"notation convention={m['convention']!r}: must be column or row")
    output = None
    for sym, kind in symbols.items():
        if kind == "output":
            output = sym
    return Notation("custom", symbols, index, heads, convention, output, latex,
                    base.separator)
