"""Generated blocks in the Markdown docs: text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

Every table of measured numbers in README.md and docs/ is written this way by a script, so a rerun
replaces it and nothing in it is typed by hand.
"""

from __future__ import annotations

from pathlib import Path


def replace_block(path: Path, marker: str, body: str) -> None:
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    text = path.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{path} has no {start} ... {end} block")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{body}\n{end}{tail}")


def listed(cells: list[str], sep: str = " / ", most: int = 12) -> str:
    """A table cell of one value a step: every value up to ``most``; beyond that (a 40-step maze) the first
    eight, an ellipsis and the last three, so a row still fits a page."""
    if len(cells) <= most:
        return sep.join(cells)
    return sep.join([*cells[:8], "...", *cells[-3:]])
