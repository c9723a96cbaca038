"""The layout keeps its promises: data flows one way, modules stay small and say what they export.

Read from the source with :mod:`ast` (nothing is imported):

* no import cycle between symgrad's modules, counting imports inside functions too;
* no private name (``_x``) imported from another module;
* every module has ``__all__`` and stays near 500 lines;
* the core never imports an optional extra (matplotlib, torch, jax, flax, tqdm outside the CLI);
* the flow is one way: the model imports nothing of the derivation, the derivation nothing of
  printing or numerics, printing and numerics nothing of each other.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "symgrad"
MAX_LINES = 520
#: packages that may import an optional extra, each lazily inside a function
EXTRA_USERS = {"symgrad.torch": {"torch"}, "symgrad.jax": {"jax", "flax"},
               "symgrad.pytest_plugin": {"pytest"}, "symgrad.analysis": {"matplotlib"},
               "symgrad.lecture": {"matplotlib"}, "symgrad.cli": {"tqdm", "matplotlib"}}
EXTRAS = {"matplotlib", "torch", "jax", "flax", "tqdm", "pytest"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


@functools.lru_cache(maxsize=None)
def imports(path: Path) -> tuple:
    """(imported module, names, line) for every import statement, resolved to absolute
    (each file parsed once for every test here)."""
    return tuple(_scan(path))


def _scan(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            yield base, [a.name for a in node.names], node.lineno


def internal_target(name: str, names: list) -> list[str]:
    """The symgrad modules an import statement loads."""
    out = []
    if name in MODULES:
        out.append(name)
    for n in names:
        if f"{name}.{n}" in MODULES:
            out.append(f"{name}.{n}")
    return out


@functools.lru_cache(maxsize=None)
def graph() -> dict[str, set]:
    edges = {m: set() for m in MODULES}
    for m, path in MODULES.items():
        for name, names, _ in imports(path):
            for target in internal_target(name, names):
                if target != m and not m.startswith(target + ".") and target != "symgrad":
                    edges[m].add(target)
    return edges


def find_cycles(edges: dict[str, set]) -> list[list[str]]:
    """Every back edge of a depth-first walk, as the cycle it closes."""
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in sorted(edges.get(m, ())):
            if state.get(t) == "open":
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(edges):
        if m not in state:
            visit(m)
    return cycles


def test_no_import_cycle():
    cycles = find_cycles(graph())
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_a_planted_cycle_is_caught():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_private_name_crosses_a_module():
    found = []
    for m, path in MODULES.items():
        for name, names, line in imports(path):
            if name.startswith("symgrad"):
                found += [f"{m}:{line} imports {n} from {name}" for n in names
                          if n.startswith("_") and n != "__version__"]
    assert found == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_what_it_exports_and_stays_small(module):
    source = MODULES[module].read_text(encoding="utf-8")
    tree = ast.parse(source)
    names = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
             for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(t, ast.Name)}
    assert "__all__" in names, f"{module} has no __all__"
    assert len(source.splitlines()) <= MAX_LINES, f"{module}: {len(source.splitlines())} lines"


def test_the_core_never_imports_an_extra():
    found = []
    for m, path in MODULES.items():
        allowed = set().union(*[v for k, v in EXTRA_USERS.items()
                                if m == k or m.startswith(k + ".")])
        for name, _, line in imports(path):
            top = name.split(".")[0]
            if top in EXTRAS and top not in allowed:
                found.append(f"{m}:{line} imports {name}")
    assert found == []


@pytest.mark.parametrize("lower, upper", [
    ("symgrad.model", "symgrad.derivation"), ("symgrad.model", "symgrad.printing"),
    ("symgrad.derivation", "symgrad.printing"), ("symgrad.derivation", "symgrad.numeric"),
    ("symgrad.derivation", "symgrad.prove"), ("symgrad.printing", "symgrad.numeric"),
    ("symgrad.numeric", "symgrad.printing"), ("symgrad.numeric", "symgrad.lecture"),
    ("symgrad.derivation", "symgrad.oracle"), ("symgrad.model", "symgrad.cli"),
    ("symgrad.oracle", "symgrad.cli"), ("symgrad.numeric", "symgrad.cli"),
    ("symgrad.bounds", "symgrad.cli"), ("symgrad.prove", "symgrad.cli"),
    ("symgrad.printing", "symgrad.cli"), ("symgrad.derivation", "symgrad.cli"),
])
def test_data_flows_one_way(lower, upper):
    """``lower`` sits before ``upper`` in the flow, so it never imports it."""
    edges = graph()
    found = [f"{m} imports {t}" for m in edges if m == lower or m.startswith(lower + ".")
             for t in edges[m] if t == upper or t.startswith(upper + ".")]
    assert found == []
