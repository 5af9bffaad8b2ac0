"""The house in numbers: lines per module, its longest function, imports inside functions, import cycles.

    python benchmarks/house.py

Read from the code's own syntax trees (ast), so anyone can rerun it; tests/test_house.py holds the
house to it (no cycle, no import inside a function, modules and functions of a readable length).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("imagination", "training")
FILES = ("app.py",)


@dataclass
class Module:
    name: str
    lines: int
    function: str  # the longest function
    function_lines: int
    inside: int  # project imports inside functions


@dataclass
class House:
    modules: list[Module]
    cycles: list[list[str]]


def modules() -> dict[str, Path]:
    """module name -> file, for the package code (tests, benchmarks and the zoo are not the house)."""
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    for f in FILES:
        if (ROOT / f).exists():
            out[Path(f).stem] = ROOT / f
    return out


def longest_function(tree: ast.Module) -> tuple[str, int]:
    best = ("", 0)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = (node.end_lineno or node.lineno) - node.lineno + 1
            if n > best[1]:
                best = (node.name, n)
    return best


def imports(tree: ast.Module, name: str, known: set[str]) -> tuple[set[str], int]:
    """The project modules a module imports (anywhere in it), and how many import statements sit inside functions."""
    inside = 0
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and _project(node, name, known):
                    inside += 1
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= _project(node, name, known)
    return found, inside


def _project(node: ast.Import | ast.ImportFrom, name: str, known: set[str]) -> set[str]:
    """The project modules one import statement names (``from pkg import module`` names the module)."""
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            base = ".".join([*name.split(".")[: -node.level], *([base] if base else [])])
        targets = [f"{base}.{a.name}" for a in node.names] + [base]
    out = set()
    for t in targets:
        while t and t not in known:
            t = t.rpartition(".")[0]
        if t and t != name:
            out.add(t)
    packages = {t for t in out if any(o != t and o.startswith(t + ".") for o in out)}
    return out - packages if isinstance(node, ast.ImportFrom) else out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan): each is at least one cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def measure() -> House:
    mods = modules()
    graph: dict[str, set[str]] = {}
    rows = []
    for name, path in mods.items():
        text = path.read_text()
        tree = ast.parse(text)
        graph[name], inside = imports(tree, name, set(mods))
        fn, n = longest_function(tree)
        rows.append(Module(name, len(text.splitlines()), fn, n, inside))
    return House(sorted(rows, key=lambda r: -r.lines), cycles(graph))


def main() -> None:
    house = measure()
    print("| module | lines | longest function | its lines | imports inside functions |")
    print("|---|---|---|---|---|")
    for r in house.modules:
        print(f"| `{r.name}` | {r.lines} | `{r.function}` | {r.function_lines} | {r.inside} |")
    lines = sum(r.lines for r in house.modules)
    inside = sum(r.inside for r in house.modules)
    print(
        f"\n{len(house.modules)} modules, {lines} lines; {inside} project imports inside functions; "
        f"{len(house.cycles)} import cycles" + "".join(f"\n- {' -> '.join(c)}" for c in house.cycles)
    )


if __name__ == "__main__":
    main()
