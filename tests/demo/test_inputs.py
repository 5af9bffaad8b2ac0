"""imagination.demo.inputs: every way a visitor gives a start board, and every way it can be wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from imagination import life, patterns
from imagination.demo import inputs
from imagination.demo.inputs import InputError
from imagination.envs import Environment, LifeEnvironment
from imagination.envs.life import GLIDER

LIFE = LifeEnvironment()

GLIDER_RLE = patterns.PATTERNS["glider"]


def glider_on(size: int) -> np.ndarray:
    return patterns.place(patterns.pattern("glider"), size).numpy().astype(np.uint8)


def test_every_source_builds_the_board_it_names() -> None:
    board, what = inputs.start_board(LIFE, "random", 7, 0.3, 24, None, None)
    expected = life.random_boards(1, 24, 0.3, generator=torch.Generator().manual_seed(7))[0].numpy()
    assert np.array_equal(board, expected) and "seed 7" in what
    assert np.array_equal(inputs.start_board(LIFE, "pattern", 0, 0, 20, "glider", "")[0], glider_on(20))
    assert np.array_equal(inputs.start_board(LIFE, "text", 0, 0, 20, "", GLIDER_RLE)[0], glider_on(20))
    assert np.array_equal(inputs.start_board(LIFE, "random", "7", "0.3", "24", None, None)[0], expected)  # form strings


def test_the_showcase_board_moves() -> None:
    board, what = inputs.start_board(LIFE, "gliders", 0, 0.4, 20, None, None)
    assert "gliders" in what and board.shape == (20, 20)
    g = torch.from_numpy(board.astype(np.float32))
    frames = life.rollout(g, 8, life.LIFE, False)
    assert all(not torch.equal(frames[i], frames[i + 1]) for i in range(8))  # never settles in 8 steps
    assert np.array_equal(board[1:4, 1:4], GLIDER)  # a glider in the corner


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("random", 0, 1.5, 20, "", ""), "density must be a number from 0 to 1, got 1.5"),
        (("random", 0, "abc", 20, "", ""), "density must be a number from 0 to 1, got 'abc'"),
        (("random", 0, 0.4, 65, "", ""), "board size must be a whole number from 8 to 64, got 65"),
        (("random", 0, 0.4, None, "", ""), "board size must be a whole number from 8 to 64, got nothing"),
        (("random", 0, 0.4, 20.5, "", ""), "got 20.5"),
        (("random", True, 0.4, 20, "", ""), "seed must be a whole number"),
        (("random", [1], 0.4, 20, "", ""), "got a list"),
        (("pattern", 0, 0.4, 20, "x" * 5000, ""), "the pattern name is 5,000 characters long"),
        (("pattern", 0, 0.4, 20, "nope", ""), "no pattern named 'nope'"),
        (("pattern", 0, 0.4, 8, "glider-gun", ""), "does not fit"),
        (("text", 0, 0.4, 20, "", ""), "empty input"),
        (("text", 0, 0.4, 20, "", 5), "the pattern text must be text, got 5"),
        (("sideways", 0, 0.4, 20, "", ""), "unknown board source 'sideways'"),
    ],
)
def test_bad_values_say_what_is_wrong(args, expected: str) -> None:
    with pytest.raises(InputError) as e:
        inputs.start_board(LIFE, *args)
    assert expected in str(e.value) and "\n" not in str(e.value)


def test_size_messages_name_the_size_needed_and_the_maximum() -> None:
    with pytest.raises(InputError) as e:
        inputs.parse_text("x = 12, y = 1\n12o!", 8)
    assert "12 columns x 1 row, more than the 8 x 8 board; set the board size to 12 or more (at most 64)" in str(
        e.value
    )
    with pytest.raises(InputError) as e:
        inputs.parse_text("x = 70, y = 1\n70o!", 20)
    assert "70 columns x 1 row; the largest board here is 64 x 64" in str(e.value) and "at least 70" not in str(e.value)
    with pytest.raises(InputError) as e:
        inputs.parse_text("x = 4000, y = 4000\no!", 20)
    assert "the pattern is 4000 columns x 4000 rows; the largest board here is 64 x 64" in str(e.value)
    # a pattern whose header is larger than the board but whose live cells fit is placed
    assert np.array_equal(inputs.parse_text("x = 30, y = 3\nbo$2bo$3o!", 20), glider_on(20))


def test_uploads_accept_a_bom_and_latin1_comments_but_not_binary() -> None:
    assert inputs.decode_upload(b"\xef\xbb\xbf" + GLIDER_RLE.encode(), "g.rle") == GLIDER_RLE
    text = inputs.decode_upload(b"#C d\xe9couvert\n" + GLIDER_RLE.encode(), "g.rle")
    assert "découvert" in text and np.array_equal(inputs.parse_text(text, 20), glider_on(20))
    with pytest.raises(InputError, match="not a text file"):
        inputs.decode_upload(b"\xff\xfe\x00garbage", "g.rle")
    with pytest.raises(InputError, match="at most 1,000,000"):
        inputs.decode_upload(b"o" * 1_000_001, "big.rle")


def test_steps() -> None:
    assert inputs.model_steps(None, 3) == 3 and inputs.model_steps("", 3) == 3 and inputs.model_steps(7, 3) == 7
    for bad in (0, 2.5, "abc", -1, 51, True, [3]):
        with pytest.raises(InputError, match="steps must be a whole number from 1 to 50"):
            inputs.model_steps(bad, 3)


def test_cells_and_toggles() -> None:
    board = glider_on(20)
    flipped = inputs.toggled(board, 0, 19)
    assert flipped[0, 19] == 1 and board[0, 19] == 0
    assert inputs.cell_at(25, 5, (20, 20), (240, 240)) == (0, 2)
    with pytest.raises(InputError, match="row must be a whole number from 0 to 19, got 20"):
        inputs.toggled(board, 20, 0)


def test_drawing() -> None:
    rgba = np.ones((320, 320, 4), np.float32)
    rgba[160:176, 160:176, :3] = 0  # one cell of a 20x20 board, inked
    board = inputs.board_from_ink(rgba, 20)
    assert board.sum() == 1 and board[10, 10] == 1
    with pytest.raises(InputError, match="no cell is covered"):
        inputs.board_from_ink(np.ones((320, 320, 4), np.float32), 20)


def test_rules() -> None:
    assert LIFE.variants["HighLife B36/S23"] == life.HIGHLIFE  # the rule menu is the environment's
    assert inputs.variant(LIFE, "") == "B3/S23"
    assert inputs.variant(LIFE, "HighLife B36/S23") == "B36/S23"
    with pytest.raises(InputError, match="^Rule: .*not a Life-like rule.*HighLife B36/S23"):
        inputs.variant(LIFE, "B9/S23")
    with pytest.raises(InputError) as e:
        inputs.variant(LIFE, "B3/S23" * 1000)
    assert len(str(e.value)) < 400


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(st.tuples(JSON, JSON, JSON, JSON, JSON, JSON))
def test_any_json_is_a_board_or_a_one_line_message(args) -> None:
    try:
        board, what = inputs.start_board(LIFE, *args)
    except InputError as e:
        msg = str(e)
        assert "\n" not in msg and len(msg) < 600
        return
    assert board.dtype == np.uint8 and board.ndim == 2 and set(np.unique(board)) <= {0, 1}


def test_an_edited_board_must_be_the_episodes_size() -> None:
    board = glider_on(20)
    assert np.array_equal(inputs.edited_board(inputs.board_rle(board), (20, 20)), board)
    for bad, expected in (("", "Edited board: empty"), ("bo$2bo$3q!", "Edited board: line 1"), (7, "must be text")):
        with pytest.raises(InputError, match=expected):
            inputs.edited_board(bad, (20, 20))
    with pytest.raises(InputError, match="it is 3x3 \\(columns x rows\\) but the episode's boards are 20x20"):
        inputs.edited_board("bo$2bo$3o!", (20, 20))


class Stripes(Environment):
    """A made-up environment: frames of vertical stripes, no variants; the demo must need nothing more."""

    name = "stripes"
    title = "Stripes"
    frame_word = "frame"
    sources = {"random": "random", "stripes": "every other column"}

    def settings(self) -> dict:
        return {"name": self.name}

    def rollout(self, start: torch.Tensor, steps: int) -> torch.Tensor:
        return torch.stack([start] * (steps + 1), dim=-3)

    def eval_episodes(self, n: int, steps: int, size: int, seed: int) -> torch.Tensor:
        raise NotImplementedError

    def training_episodes(self, n, steps, size, generator, options) -> torch.Tensor:
        raise NotImplementedError

    def start(self, source: str, *, size: int, seed: int, density: float, **extra) -> tuple[np.ndarray, str]:
        if source == "stripes":
            board = np.zeros((size, size), np.uint8)
            board[:, ::2] = 1
            return board, f"stripes, seed {seed}, density {density}, pattern {extra.get('pattern')!r}"
        raise ValueError(f"no {source} frames here")


def test_start_frames_come_from_the_environment_and_text_from_any() -> None:
    env = Stripes()
    board, what = inputs.start_board(env, "stripes", 5, 0.25, 10, "ignored", "")
    assert board[:, 0].all() and not board[:, 1].any() and what == "stripes, seed 5, density 0.25, pattern 'ignored'"
    assert np.array_equal(inputs.start_board(env, "text", 0, 0, 20, "", GLIDER_RLE)[0], glider_on(20))
    with pytest.raises(InputError, match="^Frame: no random frames here$"):  # its words, under the field's name
        inputs.start_board(env, "random", 0, 0.4, 10, "", "")
    with pytest.raises(InputError, match="unknown frame source 'gliders'; choose one of random, stripes, text"):
        inputs.start_board(env, "gliders", 0, 0.4, 10, "", "")
    assert list(inputs.sources(env)) == ["random", "stripes", "text"]
    assert inputs.variant(env, "") == ""
    with pytest.raises(InputError, match="^Rule: Stripes has no variants; leave the field empty$"):
        inputs.variant(env, "B36/S23")


def test_an_empty_seed_or_density_is_the_default() -> None:
    assert np.array_equal(
        inputs.start_board(LIFE, "random", None, "", 20, "", "")[0],
        inputs.start_board(LIFE, "random", 0, 0.4, 20, "", "")[0],
    )
    assert np.array_equal(inputs.start_board(LIFE, "pattern", "", None, 20, "glider", "")[0], glider_on(20))
