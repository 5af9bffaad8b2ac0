"""Game of Life against a plain numpy reference, plus rule parsing and the samplers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imagination import life


def numpy_step(board: np.ndarray, birth: set[int], survive: set[int], wrap: bool = False) -> np.ndarray:
    """A deliberately naive cell-by-cell reference."""
    h, w = board.shape
    out = np.zeros_like(board)
    for r in range(h):
        for c in range(w):
            n = 0
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    if dr == dc == 0:
                        continue
                    rr, cc = r + dr, c + dc
                    if wrap:
                        rr, cc = rr % h, cc % w
                    elif not (0 <= rr < h and 0 <= cc < w):
                        continue
                    n += board[rr, cc]
            out[r, c] = 1 if (n in survive if board[r, c] else n in birth) else 0
    return out


@pytest.mark.parametrize("size", [(1, 1), (3, 5), (8, 8), (13, 7), (20, 20)])
@pytest.mark.parametrize("density", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("wrap", [False, True])
def test_step_matches_numpy_reference(size: tuple[int, int], density: float, wrap: bool) -> None:
    g = torch.Generator().manual_seed(hash((size, density, wrap)) % 2**31)
    boards = life.random_boards(4, size, density, g)
    got = life.step(boards, wrap=wrap).numpy()
    for b, out in zip(boards.numpy(), got, strict=True):
        np.testing.assert_array_equal(out, numpy_step(b.astype(int), {3}, {2, 3}, wrap))


@pytest.mark.parametrize("rule", [life.HIGHLIFE, life.DAY_AND_NIGHT, life.SEEDS, "B36/S125"])
def test_other_rules_match_numpy_reference(rule: str) -> None:
    r = life.parse_rule(rule)
    boards = life.random_boards(3, 12, 0.4, torch.Generator().manual_seed(1))
    got = life.step(boards, rule).numpy()
    for b, out in zip(boards.numpy(), got, strict=True):
        np.testing.assert_array_equal(out, numpy_step(b.astype(int), set(r.birth), set(r.survive)))


def test_dead_border_is_not_a_torus() -> None:
    board = torch.zeros(5, 5)
    board[0, 1:4] = 1  # a blinker on the top edge loses its out-of-board neighbours
    flat = life.step(board)
    torus = life.step(board, wrap=True)
    assert flat.sum() == 2 and torus.sum() == 3
    assert not torch.equal(flat, torus)


def test_still_life_and_blinker_period() -> None:
    block = torch.zeros(6, 6)
    block[2:4, 2:4] = 1
    assert torch.equal(life.step(block), block)
    blinker = torch.zeros(5, 5)
    blinker[2, 1:4] = 1
    frames = life.rollout(blinker, 4)
    assert not torch.equal(frames[1], frames[0])
    assert torch.equal(frames[2], frames[0]) and torch.equal(frames[4], frames[0])


def test_glider_moves_one_cell_diagonally_every_four_steps() -> None:
    board = torch.zeros(12, 12)
    board[1, 2] = board[2, 3] = board[3, 1] = board[3, 2] = board[3, 3] = 1
    frames = life.rollout(board, 8)
    assert torch.equal(frames[4], torch.roll(board, (1, 1), (0, 1)))
    assert torch.equal(frames[8], torch.roll(board, (2, 2), (0, 1)))


def test_highlife_differs_from_life_where_it_should() -> None:
    # A dead cell with exactly 6 live neighbours is born under HighLife (B36), not under Life.
    board = torch.zeros(5, 5)
    board[1, 1:4] = 1
    board[3, 1:4] = 1  # centre (2, 2) has 6 neighbours
    assert life.step(board, life.LIFE)[2, 2] == 0
    assert life.step(board, life.HIGHLIFE)[2, 2] == 1
    # Everywhere a cell does not have 6 neighbours, the two rules agree.
    boards = life.random_boards(64, 16, 0.35, torch.Generator().manual_seed(3))
    n = life.neighbours(boards)
    a, b = life.step(boards, life.LIFE), life.step(boards, life.HIGHLIFE)
    dead6 = (n == 6) & (boards == 0)
    assert torch.equal(a[~dead6], b[~dead6])
    assert (a[dead6] == 0).all() and (b[dead6] == 1).all() and dead6.any()


@pytest.mark.parametrize(
    "text, birth, survive",
    [
        ("B3/S23", {3}, {2, 3}),
        ("b36/s23", {3, 6}, {2, 3}),
        ("B2/S", {2}, set()),
        ("23/3", {3}, {2, 3}),
    ],
)
def test_parse_rule(text: str, birth: set[int], survive: set[int]) -> None:
    r = life.parse_rule(text)
    assert r.birth == birth and r.survive == survive
    assert life.parse_rule(str(r)) == r


@pytest.mark.parametrize("bad", ["", "B9/S23", "life", "B3-S23", "B3/S23/C2"])
def test_parse_rule_rejects_nonsense(bad: str) -> None:
    with pytest.raises(ValueError, match="rule"):
        life.parse_rule(bad)


def test_sample_episodes_is_seeded_and_chained() -> None:
    a = life.sample_episodes(200, 3, 10, seed=5)
    b = life.sample_episodes(200, 3, 10, seed=5)
    assert a.shape == (200, 4, 10, 10) and torch.equal(a, b)
    assert not torch.equal(a, life.sample_episodes(200, 3, 10, seed=6))
    for t in range(3):  # each episode is a true rollout
        assert torch.equal(a[:, t + 1], life.step(a[:, t]))
    chained = sum(torch.equal(a[i, 0], a[i - 1, 1]) for i in range(1, 200))
    # about 90% of starts are the previous sample's step-1 board (a fresh board can coincide only rarely)
    assert 150 <= chained <= 195
    assert abs(a[0, 0].mean().item() - 0.5) < 0.15  # the first start is a fresh p=0.5 board


def test_training_episodes_spread_density_and_age() -> None:
    g = torch.Generator().manual_seed(0)
    ep = life.sample_training_episodes(512, 3, 12, g)
    assert ep.shape == (512, 4, 12, 12)
    assert torch.equal(ep[:, 1], life.step(ep[:, 0]))
    dens = ep[:, 0].mean(dim=(1, 2))
    assert dens.min() < 0.2 and dens.max() > 0.4
