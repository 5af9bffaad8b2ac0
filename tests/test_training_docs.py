"""training.docs: the generated blocks of the Markdown docs, and the table cells of long per-step lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.docs import listed, replace_block


def test_a_block_is_replaced_between_its_markers_only(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n<!-- t:start -->\nold\n<!-- t:end -->\nafter\n")
    replace_block(doc, "t", "| new |")
    assert doc.read_text() == "intro\n<!-- t:start -->\n| new |\n<!-- t:end -->\nafter\n"
    with pytest.raises(SystemExit, match="has no <!-- other:start -->"):
        replace_block(doc, "other", "x")


def test_a_long_list_keeps_its_first_eight_and_last_three() -> None:
    short = [str(i) for i in range(12)]
    assert listed(short) == " / ".join(short)  # a Life entry's steps: every one
    cells = [str(i) for i in range(41)]  # a 40-step maze: 41 steps
    assert listed(cells, ", ") == "0, 1, 2, 3, 4, 5, 6, 7, ..., 38, 39, 40"
