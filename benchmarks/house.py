"""The house in numbers: lines per module, its longest function, imports inside functions, import cycles.

    python benchmarks/house.py [--markdown]

Read from the code's own syntax trees (ast), so anyone can rerun it: the figures issue 22 asked for.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("imagination", "training")
FILES = ("app.py",)


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
    found, inside = set(), 0
    is_pkg = False
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and _project(node, name, known, is_pkg):
                    inside += 1
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= _project(node, name, known, is_pkg)
    return found, inside


def _project(node: ast.Import | ast.ImportFrom, name: str, known: set[str], is_pkg: bool) -> set[str]:
    targets = []
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            pkg = (
                name.split(".")[: -node.level]
                if not is_pkg
                else name.split(".")[: len(name.split(".")) - node.level + 1]
            )
            base = ".".join([*pkg, base] if base else pkg)
        targets = [f"{base}.{a.name}" for a in node.names] + [base]
    out = set()
    for t in targets:
        while t and t not in known:
            t = t.rpartition(".")[0]
        if t and t != name:
            out.add(t)
    # "from pkg import module" names the module, not the package: drop the package when a module matched
    mods = {t for t in out if any(o != t and o.startswith(t + ".") for o in out)}
    return out - mods if isinstance(node, ast.ImportFrom) else out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
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

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.parse_args(argv)
    mods = modules()
    known = set(mods)
    graph, rows, total_inside, total_lines = {}, [], 0, 0
    for name, path in mods.items():
        text = path.read_text()
        tree = ast.parse(text)
        graph[name], inside = imports(tree, name, known)
        fn, n = longest_function(tree)
        lines = len(text.splitlines())
        total_lines += lines
        total_inside += inside
        rows.append((name, lines, fn, n, inside))
    print("| module | lines | longest function | its lines | imports inside functions |")
    print("|---|---|---|---|---|")
    for name, lines, fn, n, inside in sorted(rows, key=lambda r: -r[1]):
        print(f"| `{name}` | {lines} | `{fn}` | {n} | {inside} |")
    found = cycles(graph)
    print(
        f"\n{len(mods)} modules, {total_lines} lines; {total_inside} project imports inside functions; "
        f"{len(found)} import cycles" + "".join(f"\n- {' -> '.join(c)}" for c in found)
    )


if __name__ == "__main__":
    main()
