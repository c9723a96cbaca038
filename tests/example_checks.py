"""The worked example recomputed from what it prints, with NumPy written here.

A dense example prints every parameter and input exactly (one decimal), then every row
vector and matrix of the forward and backward pass; a chain example prints the point in its
first sentence and the passes as two tables.  :func:`dense_problems` and
:func:`chain_problems` read the printed point back, recompute the forward pass, the errors and
the gradients with their own NumPy code (the activations' and costs' textbook formulas), and
compare every printed number with the recomputed one to the six significant digits shown.
"""
from __future__ import annotations

import re

import numpy as np

_NUMBER = r"-?[\d.]+(?: \\cdot 10\^\{-?\d+\})?"
ACT = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
       "relu": lambda z: np.maximum(z, 0), "linear": lambda z: z}
PRIME = {"sigmoid": lambda z: ACT["sigmoid"](z) * (1 - ACT["sigmoid"](z)),
         "tanh": lambda z: 1 - np.tanh(z) ** 2, "relu": lambda z: (z > 0) * 1.0,
         "linear": lambda z: np.ones_like(z)}


def number(text: str) -> float:
    m = re.fullmatch(r"(-?[\d.]+)(?: \\cdot 10\^\{(-?\d+)\})?", text.strip())
    return float(m.group(1)) * 10 ** int(m.group(2) or 0)


def _agrees(printed: float, value: float) -> bool:
    """``printed`` is ``value`` exactly or rounded to six significant digits."""
    if printed == value:
        return True
    return abs(float(f"{value:.6g}") - printed) <= 1e-12 * abs(printed)


def example_section(markdown: str) -> str:
    m = re.search(r"<!-- symgrad-section: example -->(.*?)(?=<!-- symgrad-section:|\Z)", markdown,
                  re.S)
    return m.group(1)


def matrices(section: str) -> dict:
    """Every ``name &= [matrix]`` row of the section, by its LaTeX name."""
    out = {}
    for name, body in re.findall(r"^(.+?) &= \\left\[\\begin\{matrix\}(.*?)\\end\{matrix\}\\right\]",
                                 section, re.M):
        rows = [[number(c) for c in row.split("&")] for row in body.split(r"\\")]
        out[name.strip()] = np.array(rows)
    return out


def dense_problems(markdown: str, net) -> list[str]:
    """Every printed number of a dense example that the recomputation does not give."""
    m = matrices(example_section(markdown))
    L, N = net.L, net.samples
    tag = (lambda i: f",{i + 1}") if N > 1 else (lambda i: "")
    W = {l: m[f"W_{{{l}}}"] for l in net.layers}
    b = {l: m[f"b_{{{l}}}"] for l in net.layers}
    out = []
    grads = {f"b{l}": 0 for l in net.layers} | {f"W{l}": 0 for l in net.layers}
    for i in range(N):
        sub = (lambda s: f"{s}_{{{i + 1}}}") if N > 1 else (lambda s: s)
        x = m[f"{sub('x')}^{{T}}" if N > 1 else "x^{T}"]
        y = m[sub("y")]
        a, zs, acts = x, {}, {0: x}
        for l in net.layers:
            z = a @ W[l] + b[l]
            name = net.sigma(l).name
            a = ACT[name](z)
            zs[l], acts[l] = z, a
            if not net.sigma(l).is_linear:
                out += _compare(f"\\tilde{{h}}_{{{l}{tag(i)}}}", m, z)
            out += _compare(_output_name(l, L, i, N), m, a)
        delta = _output_delta(net, acts[L], y) * PRIME[net.sigma(L).name](zs[L])
        for l in range(L, 0, -1):
            out += _compare(f"\\delta_{{{l}{tag(i)}}}", m, delta)
            grads[f"b{l}"] = grads[f"b{l}"] + delta
            grads[f"W{l}"] = grads[f"W{l}"] + acts[l - 1].T @ delta
            if l > 1:
                delta = (delta @ W[l].T) * PRIME[net.sigma(l - 1).name](zs[l - 1])
    for l in net.layers:
        out += _compare(rf"\frac{{\partial \mathcal{{L}}}}{{\partial b_{{{l}}}}}", m, grads[f"b{l}"])
        out += _compare(rf"\frac{{\partial \mathcal{{L}}}}{{\partial W_{{{l}}}}}", m, grads[f"W{l}"])
    return out


def _output_name(l: int, L: int, i: int, N: int) -> str:
    if l == L:
        return r"\hat{y}" + (f"_{{{i + 1}}}" if N > 1 else "")
    return f"h_{{{l}" + (f",{i + 1}" if N > 1 else "") + "}"


def _output_delta(net, a, y):
    """∂C/∂a_L: 2(a − y) for the squared error, a − y for the quadratic cost."""
    return 2 * (a - y) if net.cost_name == "squared-error" else a - y


def _compare(name: str, m: dict, value) -> list[str]:
    if name not in m:
        return [f"{name} is not printed"]
    printed = m[name]
    value = np.atleast_2d(value)
    if printed.shape != value.shape:
        return [f"{name}: shape {printed.shape}, recomputed {value.shape}"]
    return [f"{name}: printed {p}, recomputed {v}" for p, v in zip(printed.ravel(), value.ravel())
            if not _agrees(p, v)]


def chain_problems(markdown: str, net) -> list[str]:
    """Every number of a chain example's tables that the recomputation does not give."""
    section = example_section(markdown)
    first = section.split("Take the point", 1)[1].split("\n", 1)[0]
    point = {f"{k}{n}": number(v) for k, n, v in
             re.findall(r"\$([wbay])(?:_\{(\d+)\})? = (" + _NUMBER + r")\$", first)}
    a = point["a0"]
    y = point["y"]
    forward = re.findall(r"^\| (\d+) \| \$(.+?)\$ \| \$(.+?)\$ \| \$(.+?)\$ \| \$(.+?)\$ \| "
                         r"\$(.+?)\$ \|$", section, re.M)
    out, zs, acts = [], {}, {0: a}
    for l, w, b, z, act, prime in forward:
        l = int(l)
        name = net.sigma(l).name
        zv = point[f"w{l}"] * acts[l - 1] + point[f"b{l}"]
        zs[l], acts[l] = zv, ACT[name](zv)
        for label, printed, value in (("z", z, zv), ("a", act, acts[l]),
                                      ("σ'", prime, PRIME[name](zv))):
            if not _agrees(number(printed), value):
                out.append(f"layer {l}: {label} printed {printed}, recomputed {value}")
    backward = re.findall(r"^\| (\d+) \| \$(.+?)\$ \| \$(.+?)\$ \|", section, re.M)
    delta = (acts[net.L] - y) * PRIME[net.sigma(net.L).name](zs[net.L])
    for l, d_printed, w_printed in backward[len(forward):]:
        l = int(l)
        if l < net.L:
            delta = delta * point[f"w{l + 1}"] * PRIME[net.sigma(l).name](zs[l])
        for label, printed, value in (("δ", d_printed, delta), ("∂C/∂w", w_printed,
                                                                  acts[l - 1] * delta)):
            if not _agrees(number(printed), value):
                out.append(f"layer {l}: {label} printed {printed}, recomputed {value}")
    if len(forward) != net.L or len(backward) != 2 * net.L:
        out.append(f"{len(forward)} forward and {len(backward) - len(forward)} backward rows "
                   f"for {net.L} layers")
    return out
