"""Markdown tables: the one shape every card, generated doc table and demo panel writes them in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(head: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub Markdown table (``| a | b |`` rows under a ``|---|---|`` rule), each cell written with ``str``
    (an empty one as ``| |``).

    Cells are not escaped: a cell that needs a pipe must say so itself (none of the project's do)."""
    lines = ["|" + "|".join(f" {c} " if str(c) else " " for c in cells) + "|" for cells in (head, *rows)]
    lines.insert(1, "|" + "---|" * len(head))
    return "\n".join(lines)
