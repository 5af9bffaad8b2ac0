"""Pattern library and RLE / plaintext formats: correctness against Life itself, and robustness.

The classic patterns are checked by running them, not by comparing strings: a wrong cell in a
stored pattern shows up as a still life that moves or a glider that dies.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from imagination import life
from imagination.patterns import (
    PATTERNS,
    PatternError,
    parse_pattern,
    parse_plaintext,
    parse_rle,
    parse_rle_with_rule,
    pattern,
    pattern_names,
    place,
    trim,
    write_plaintext,
    write_rle,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    """These boards are tiny: extra intra-op threads only add barrier stalls on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def t(rows: list[str]) -> torch.Tensor:
    """A board from rows of '.' and 'O', independent of the parsers under test."""
    return torch.tensor([[1.0 if c == "O" else 0.0 for c in row] for row in rows])


def run(board: torch.Tensor, steps: int) -> torch.Tensor:
    return life.rollout(board, steps)


# --- the pattern library -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PATTERNS))
def test_every_pattern_parses_to_a_cropped_float_board(name: str) -> None:
    board = pattern(name)
    assert board.dtype == torch.float32 and board.dim() == 2
    assert set(board.unique().tolist()) <= {0.0, 1.0}
    # Minimal bounding box: a live cell on every edge.
    assert board[0].any() and board[-1].any() and board[:, 0].any() and board[:, -1].any()
    assert torch.equal(parse_pattern(PATTERNS[name]), board)  # the stored text has no margins either


def test_pattern_names_and_lookup() -> None:
    names = pattern_names()
    required = {"glider", "blinker", "toad", "beacon", "block", "beehive", "loaf", "boat", "r-pentomino", "lwss"}
    assert required | {"pulsar", "glider-gun", "diehard", "acorn"} <= set(names)
    assert names == list(PATTERNS)
    assert torch.equal(pattern("Glider Gun"), pattern("glider-gun"))
    assert torch.equal(pattern("R_Pentomino"), pattern("r-pentomino"))
    assert torch.equal(pattern("gosper glider gun"), pattern("glider-gun"))
    b = pattern("glider")
    b.zero_()
    assert pattern("glider").sum() == 5  # callers get a copy, not the library's board


def test_unknown_pattern_lists_the_known_names() -> None:
    with pytest.raises(PatternError) as err:
        pattern("gliderr")
    assert "gliderr" in str(err.value)
    for name in PATTERNS:
        assert name in str(err.value)
    assert err.value.line is None and err.value.column is None


@pytest.mark.parametrize("name", ["block", "beehive", "loaf", "boat", "tub"])
def test_still_lifes_do_not_change(name: str) -> None:
    board = place(pattern(name), 8)
    assert torch.equal(life.step(board), board)


@pytest.mark.parametrize(
    ("name", "period"), [("blinker", 2), ("toad", 2), ("beacon", 2), ("pulsar", 3), ("pentadecathlon", 15)]
)
def test_oscillators_have_their_period(name: str, period: int) -> None:
    board = place(pattern(name), 24)
    frames = run(board, period)
    assert torch.equal(frames[period], board)
    for k in range(1, period):
        assert not torch.equal(frames[k], board), f"{name} repeats after {k} < {period} steps"


def test_glider_moves_one_cell_diagonally_every_four_steps() -> None:
    glider = pattern("glider")
    assert torch.equal(glider, t([".O.", "..O", "OOO"]))
    frames = run(place(glider, 12, (1, 1)), 8)
    assert torch.equal(frames[4], place(glider, 12, (2, 2)))
    assert torch.equal(frames[8], place(glider, 12, (3, 3)))


@pytest.mark.parametrize("name", ["lwss", "mwss", "hwss"])
def test_spaceships_move_two_cells_left_every_four_steps(name: str) -> None:
    ship = pattern(name)
    frames = run(place(ship, (12, 24), (4, 12)), 8)
    assert torch.equal(frames[4], place(ship, (12, 24), (4, 10)))
    assert torch.equal(frames[8], place(ship, (12, 24), (4, 8)))


def test_gosper_gun_has_period_30_and_emits_a_glider_each_period() -> None:
    gun = pattern("glider-gun")
    assert gun.shape == (9, 36) and gun.sum() == 36
    frames = run(place(gun, 64, (1, 1)), 120)
    populations = frames.sum(dim=(-2, -1))
    for k in range(1, 5):
        assert populations[30 * k] == 36 + 5 * k
        assert (frames[30 * k] >= frames[0]).all(), "the gun itself is back in its first phase"
    emitted = frames[30] - frames[0]  # on its own it is a glider heading down and to the right
    assert emitted.sum() == 5
    assert torch.equal(life.rollout(emitted, 4)[4], emitted.roll((1, 1), dims=(0, 1)))
    assert populations[120] > populations[0]


def test_diehard_vanishes_after_130_generations() -> None:
    frames = run(place(pattern("diehard"), 48), 130)
    populations = frames.sum(dim=(-2, -1))
    assert populations[129] > 0 and populations[130] == 0


def test_methuselahs_have_their_known_shapes() -> None:
    assert torch.equal(pattern("r-pentomino"), t([".OO", "OO.", ".O."]))
    assert torch.equal(pattern("acorn"), t([".O.....", "...O...", "OO..OOO"]))
    assert torch.equal(pattern("diehard"), t(["......O.", "OO......", ".O...OOO"]))
    frames = run(place(pattern("acorn"), 48), 40)
    assert frames[40].sum() > 7  # it grows


# --- place ---------------------------------------------------------------------------------------


def test_place_centres_and_offsets() -> None:
    blinker = pattern("blinker")
    board = place(blinker, (5, 7))
    assert board.shape == (5, 7) and board.dtype == torch.float32
    assert torch.equal(board[2, 2:5], torch.ones(3)) and board.sum() == 3
    board = place(blinker, 5, (0, 2))
    assert torch.equal(board[0, 2:5], torch.ones(3)) and board.sum() == 3


def test_trim_crops_to_live_cells() -> None:
    assert torch.equal(trim(place(pattern("glider"), (7, 9), (2, 5))), pattern("glider"))
    assert trim(torch.zeros(4, 4)).shape == (0, 0)


@pytest.mark.parametrize(("size", "offset"), [(2, None), ((3, 2), None), (5, (3, 0)), (5, (0, 3)), (5, (-1, 0))])
def test_place_refuses_what_does_not_fit(size: int | tuple[int, int], offset: tuple[int, int] | None) -> None:
    with pytest.raises(PatternError, match="does not fit"):
        place(pattern("glider"), size, offset)


# --- known LifeWiki strings ----------------------------------------------------------------------

GLIDER = t([".O.", "..O", "OOO"])


@pytest.mark.parametrize(
    "text",
    [
        "x = 3, y = 3, rule = B3/S23\nbob$2bo$3o!",
        "#N Glider\n#O Richard K. Guy\n#C The smallest spaceship.\n#r B3/S23\nx = 3, y = 3, rule = B3/S23\nbob$2bo$3o!",
        "x=3,y=3\nbo$2bo$3o!",
        "X = 3 , Y = 3 , RULE = b3/s23\r\nb\r\no\r\n$2bo$\n3o\n!\ntrailing text is ignored",
        "bo$2bo$3o!",
        "bo$2bo$3o",  # a missing terminator is forgiven
        "x = 3, y = 3\n.A$2.A$3A!",  # multi-state style letters
        "!Name: Glider\n!\n.O.\n..O\nOOO\n",
        ".O\n..O\nOOO",  # short rows padded
        ".*.\n..*\n***",
    ],
)
def test_known_glider_texts(text: str) -> None:
    assert torch.equal(parse_pattern(text), GLIDER)


def test_known_rle_details() -> None:
    board, rule = parse_rle_with_rule("#N Blinker\nx = 3, y = 1, rule = B36/S23\n3o!")
    assert torch.equal(board, t(["OOO"])) and rule == "B36/S23"
    assert parse_rle_with_rule("x = 3, y = 1\n3o!")[1] is None
    # Header size wins over content: margins and blank rows (3$ = three row ends) survive.
    assert torch.equal(parse_rle("x = 4, y = 5\n$bo3$3o!"), t(["....", ".O..", "....", "....", "OOO."]))
    assert torch.equal(parse_rle("x = 2, y = 2, rule = B3/S23\n!"), torch.zeros(2, 2))
    assert torch.equal(parse_rle("x = 2, y = 1\n2o3b!"), t(["OO"]))  # dead cells past x are harmless
    block_with_gap = parse_plaintext("!Name: two blocks\nOO.OO\nOO.OO\n\nOO\nOO\n\n")
    assert block_with_gap.shape == (5, 5) and block_with_gap[2].sum() == 0
    gun = parse_rle(
        "#N Gosper glider gun\nx = 36, y = 9, rule = B3/S23\n24bo$22bobo$12b2o6b2o12b2o$11bo3bo4b2o12b2o$2o8bo5bo3b2o"
        "$2o8bo3bob2o4bobo$10bo5bo7bo$11bo3bo$12b2o!"
    )
    assert torch.equal(gun, pattern("glider-gun"))


def test_write_rle_is_canonical() -> None:
    assert write_rle(GLIDER) == "x = 3, y = 3, rule = B3/S23\nbo$2bo$3o!"
    assert write_rle(GLIDER, rule="B36/S23", name="Glider\nsecond line") == (
        "#N Glider second line\nx = 3, y = 3, rule = B36/S23\nbo$2bo$3o!"
    )
    assert write_rle(torch.zeros(3, 4)) == "x = 4, y = 3, rule = B3/S23\n!"
    assert write_rle(place(t(["O"]), 5, (3, 1))) == "x = 5, y = 5, rule = B3/S23\n3$bo!"
    text = write_rle(pattern("glider-gun"))
    assert all(len(line) <= 70 for line in text.split("\n"))
    assert text.endswith("!") and text.count("\n") >= 2
    checker = (torch.arange(40)[:, None] + torch.arange(40)[None, :]) % 2
    assert all(len(line) <= 70 for line in write_rle(checker.float()).split("\n"))


def test_write_plaintext() -> None:
    assert write_plaintext(GLIDER, name="Glider") == "!Name: Glider\n.O.\n..O\nOOO"
    assert write_plaintext(torch.zeros(2, 2)) == "..\n.."
    with pytest.raises(PatternError):
        write_plaintext(torch.zeros(0, 3))
    with pytest.raises(ValueError):
        write_rle(torch.zeros(2, 3, 3))


# --- round trips ---------------------------------------------------------------------------------


@st.composite
def boards(draw: st.DrawFn) -> torch.Tensor:
    h = draw(st.integers(1, 40))
    w = draw(st.integers(1, 40))
    density = draw(st.sampled_from([0.0, 0.05, 0.3, 0.5, 0.9, 1.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(h, w, generator=g) < density).float()


@FAST
@given(boards())
@example(torch.zeros(1, 1))
@example(torch.ones(1, 1))
@example(torch.zeros(40, 40))
@example(torch.ones(40, 40))
def test_round_trips(board: torch.Tensor) -> None:
    rle = write_rle(board, name="random")
    plain = write_plaintext(board, name="random")
    for parsed in (parse_rle(rle), parse_pattern(rle), parse_plaintext(plain), parse_pattern(plain)):
        assert parsed.dtype == torch.float32
        assert torch.equal(parsed, board)
    assert all(len(line) <= 70 for line in rle.split("\n")[1:])


@FAST
@given(boards())
def test_bad_character_is_located(board: torch.Tensor) -> None:
    text = write_rle(board)
    body_start = text.index("\n") + 1
    for bad in "z@%":
        for pos in {body_start, (body_start + text.index("!")) // 2, text.index("!")}:
            broken = text[:pos] + bad + text[pos:]
            with pytest.raises(PatternError) as err:
                parse_rle(broken)
            line = broken.count("\n", 0, pos) + 1
            column = pos - (broken.rfind("\n", 0, pos) + 1) + 1
            assert (err.value.line, err.value.column) == (line, column)
            assert f"line {line}, column {column}: unexpected character {bad!r} in RLE" in str(err.value)


# --- malformed input -----------------------------------------------------------------------------

ALPHABET = st.sampled_from(list("bo.A$!0123456789 \t\r\n#xyXY=,ruleB/S*O") + ["z", "\x00", "é", "²", "٣", "\u2028"])


def _parse_or_pattern_error(parser, text: str) -> None:  # noqa: ANN001
    try:
        board = parser(text, max_cells=4096)
    except PatternError as err:
        assert str(err)
        assert err.line is None or (err.line >= 1 and err.column is not None and err.column >= 1)
        return
    assert board.dtype == torch.float32 and board.dim() == 2
    assert board.numel() <= 4096
    assert ((board == 0) | (board == 1)).all()


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=80) | st.text(max_size=40))
def test_random_text_parses_or_raises_pattern_error(text: str) -> None:
    for parser in (parse_rle, parse_plaintext, parse_pattern):
        _parse_or_pattern_error(parser, text)


@FAST
@given(boards(), st.data())
def test_mutated_rle_parses_or_raises_pattern_error(board: torch.Tensor, data: st.DataObject) -> None:
    text = write_rle(board)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()) and pos < len(text):
            text = text[:pos] + text[pos + 1 :]
        else:
            text = text[:pos] + data.draw(ALPHABET) + text[pos:]
    for parser in (parse_rle, parse_pattern):
        _parse_or_pattern_error(parser, text)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("", None, None, "empty input"),
        ("  \n\t\n", None, None, "empty input"),
        ("#C nothing but comments\n", None, None, "only comment"),
        ("x = 3, y = 3\nbo$2bo$3oz!", 2, 10, "unexpected character 'z' in RLE (expected digits, b, o, $ or !)"),
        ("x = 2, y = 3\nbo$2bo$3o!", 2, 6, "wider than the header's x = 2"),
        ("x = 3, y = 2\nbo$2bo$3o!", 2, 8, "taller than the header's y = 2"),
        ("x = 3, y = 3\nbo$0bo!", 2, 4, "run count of zero"),
        ("x = 3 y = 3\n!", 1, 7, "expected ',' after the width"),
        ("x = , y = 3\n!", 1, 5, "expected the width"),
        ("x = 3, y = 3, rul = B3/S23\n!", 1, 15, "expected 'rule = <rule>'"),
        ("x = 3, y = 3, rule = B3/S23 junk\n!", 1, 29, "expected the end of the line"),
        ("3o$2", 1, 4, "has no tag"),
        ("3o$2!", 1, 5, "after the run count"),
        ("1 2o!", 1, 3, "cannot be split"),
        ("$$!", None, None, "size is unknown"),
        ("bo$2bo$3o!\n", None, None, None),  # fine without a header...
        (".O.\n.O*\n.x.", 3, 2, "unexpected character 'x' in plaintext"),
        (" .O.", 1, 1, "unexpected character ' ' in plaintext"),
    ],
)
def test_error_messages(text: str, line: int | None, column: int | None, fragment: str | None) -> None:
    if fragment is None:
        parse_pattern(text)
        return
    with pytest.raises(PatternError) as err:
        parse_pattern(text)
    assert isinstance(err.value, ValueError)
    assert fragment in str(err.value)
    assert (err.value.line, err.value.column) == (line, column)
    if line is not None:
        assert str(err.value).startswith(f"line {line}, column {column}: ")


def test_missing_header_when_required() -> None:
    with pytest.raises(PatternError, match="missing RLE header") as err:
        parse_rle("#C no header\nbo$2bo$3o!", require_header=True)
    assert (err.value.line, err.value.column) == (2, 1)


def test_pattern_error_pickles_with_its_position() -> None:
    with pytest.raises(PatternError) as err:
        parse_rle("x = 3, y = 3\nbo$2bo$3oz!")
    copy = pickle.loads(pickle.dumps(err.value))
    assert (copy.line, copy.column, str(copy)) == (2, 10, str(err.value))


# --- the size cap --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = 100000, y = 100000\n!", "pattern is 100000 x 100000 cells; the limit is 65536"),
        ("999999999o!", "pattern is 999999999 x 1 cells; the limit is 65536"),
        ("999999999b!", "pattern is 999999999 x 1 cells; the limit is 65536"),
        ("o999999999$o!", "pattern is 1 x 1000000000 cells; the limit is 65536"),
        ("9" * 100_000 + "o!", "digits; the limit is 65536"),
        ("x = " + "9" * 100_000 + ", y = 1\n!", "digits; the limit is 65536"),
        ("x = 300, y = 300\n!", "pattern is 300 x 300 cells; the limit is 65536"),
        ("x = 70000, y = 0\n!", "the limit is 65536"),
        ("O" * 70_000, "pattern is 70000 x 1 cells; the limit is 65536"),
        ("O\n" * 300 + "O" * 300, "pattern is 300 x 301 cells; the limit is 65536"),
    ],
)
def test_size_cap_is_checked_before_allocating(text: str, message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(PatternError) as err:
        parse_pattern(text)
    assert time.perf_counter() - start < 1.0
    assert message in str(err.value)


def test_size_cap_is_adjustable() -> None:
    assert parse_rle("x = 256, y = 256\n!").shape == (256, 256)
    with pytest.raises(PatternError, match="the limit is 100"):
        parse_rle("x = 11, y = 10\n!", max_cells=100)
    with pytest.raises(PatternError, match="the limit is 8"):
        parse_plaintext("OOO\nOOO\nOOO", max_cells=8)
    assert parse_rle("5o!", max_cells=5).shape == (1, 5)
    with pytest.raises(ValueError, match="max_cells"):
        parse_rle("o!", max_cells=0)
