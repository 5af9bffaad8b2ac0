"""imagination.markdown: the one table writer every card, docs table and demo panel uses."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from imagination.markdown import table

# what a cell may hold: no pipe, no newline, no space at either end (Markdown trims those)
cell = st.text(st.characters(blacklist_characters="|\n\r", blacklist_categories=("Cs", "Zs", "Cc")), max_size=12)


def test_a_table_is_head_rule_and_rows() -> None:
    assert table(["a", "b"], [[1, "x"], ["", 2.5]]) == "| a | b |\n|---|---|\n| 1 | x |\n| | 2.5 |"


@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.lists(cell, min_size=n, max_size=n), st.lists(st.lists(cell, min_size=n, max_size=n), max_size=5)
        )
    )
)
def test_every_cell_reads_back_from_its_row(shape: tuple[list[str], list[list[str]]]) -> None:
    head, rows = shape
    lines = table(head, rows).split("\n")
    assert len(lines) == len(rows) + 2
    assert lines[1] == "|" + "---|" * len(head)
    for line, cells in zip([lines[0], *lines[2:]], [head, *rows], strict=True):
        assert line.startswith("|") and line.endswith("|")
        assert [c.strip() for c in line[1:-1].split("|")] == cells
