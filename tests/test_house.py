"""The house stays as it was rebuilt: no import cycle, no import inside a function, modules a newcomer
reads in one sitting. Measured by benchmarks/house.py from the code's own syntax trees."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("house", ROOT / "benchmarks" / "house.py")
house = importlib.util.module_from_spec(spec)
sys.modules["house"] = house  # its dataclasses look their module up there
spec.loader.exec_module(house)


def test_the_measure_sees_a_cycle_and_an_import_inside_a_function(tmp_path: Path) -> None:
    assert house.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    tree = house.ast.parse("import os\n\ndef f():\n    from pkg import b\n    return b\n")
    found, inside = house.imports(tree, "pkg.a", {"pkg.a", "pkg.b"})
    assert found == {"pkg.b"} and inside == 1


def test_no_import_cycles_and_no_imports_inside_functions() -> None:
    rows = house.measure()
    assert rows.cycles == []
    assert {r.name: r.inside for r in rows.modules if r.inside} == {}


def test_every_module_reads_in_one_sitting() -> None:
    rows = house.measure()
    assert {r.name: r.lines for r in rows.modules if r.lines > 600} == {}
    assert {f"{r.name}.{r.function}": r.function_lines for r in rows.modules if r.function_lines > 150} == {}
