"""The summary tasks and their task error, as the authors' code defines them.

docs/method.md, "The environments and the task".

Their ``train/data_functions.py``: count = live cells / board_size**2; patch = ``tf.nn.pool(X, (1, k, k), 'AVG',
padding='SAME')``, which pads (k-1)//2 cells before and k//2 after and leaves the padded cells out of each mean;
grid = ``tf.nn.pool`` with stride g, broadcast back to every cell. Their ``AccuracyInverseMetric`` (train/train.py):
1 - accuracy of round(y * s**2) against round(target * s**2), s the board size, k or g, the prediction not clamped.
Every expected value below is computed here by hand, window by window, from that definition.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from imagination import ImaginationModel, ModelConfig, life
from imagination.evaluate import decode_episodes, summary_scores
from imagination.tasks import pool_summary, summary_cells, summary_targets, summary_ties, summary_wrong


def window_mean(board: np.ndarray, r: int, c: int, k: int) -> np.float32:
    """The authors' patch value at (r, c), by hand: the in-board cells of rows r-(k-1)//2 .. r+k//2 (and columns)."""
    h, w = board.shape
    rows = range(max(0, r - (k - 1) // 2), min(h - 1, r + k // 2) + 1)
    cols = range(max(0, c - (k - 1) // 2), min(w - 1, c + k // 2) + 1)
    live = sum(int(board[i, j]) for i in rows for j in cols)
    return np.float32(live) / np.float32(len(rows) * len(cols))  # a sum over a count, in float32 as TensorFlow


def test_patch_windows_by_hand_k10_on_a_10x10_board() -> None:
    """k=10 on 10x10: the window of (r, c) covers rows r-4..r+5 and columns c-4..c+5, cut by the edge at every cell
    but (4, 4); the mean is over the cells left on the board."""
    board = torch.zeros(10, 10)
    board[0, 0] = board[9, 9] = board[4, 5] = 1
    got = summary_targets(board, "patch", 10)
    assert got.shape == (10, 10)
    assert got[0, 0] == np.float32(2) / np.float32(36)  # corner: rows 0..5 x cols 0..5, holds (0,0) and (4,5)
    assert got[4, 4] == np.float32(3) / np.float32(100)  # the one full window: the whole board
    assert got[9, 9] == np.float32(1) / np.float32(25)  # corner: rows 5..9 x cols 5..9, holds (9,9)
    assert got[0, 9] == np.float32(1) / np.float32(30)  # corner: rows 0..5 x cols 5..9, holds (4,5)
    assert got[9, 0] == 0  # rows 5..9 x cols 0..5: none
    assert got[4, 9] == np.float32(2) / np.float32(50)  # edge: rows 0..9 x cols 5..9, holds (9,9) and (4,5)
    # the rounding unit stays k*k: the corner's 2 live cells of 36 read as round(200/36) = 6 "cells" of 100
    assert summary_cells("patch", 10, board.shape) == 100
    assert (got[0, 0] * 100).round() == 6


def test_patch_windows_by_hand_k2() -> None:
    """k=2: (k-1)//2 = 0 before and k//2 = 1 after, so the window of (r, c) is rows r..r+1, columns c..c+1; the last
    row and column are cut by the edge (2 cells), the last corner holds only itself."""
    board = torch.zeros(10, 10)
    board[0, 0] = board[9, 9] = board[4, 5] = 1
    got = summary_targets(board, "patch", 2)
    assert got[9, 9] == 1  # the corner window is the one cell (9, 9)
    assert got[9, 8] == 0.5 and got[8, 9] == 0.5  # edge windows: 2 cells, one alive
    assert got[8, 8] == 0.25 and got[4, 4] == 0.25 and got[3, 4] == 0.25 and got[0, 0] == 0.25  # full windows
    # in cells of 4: (0,0) counts once (1), (4,5) in four full windows (4), (9,9) as 1 + 2 + 2 + 4
    assert (got * 4).sum() == 1 + 4 + 9


@pytest.mark.parametrize("k, size", [(10, 10), (2, 10), (3, 7), (4, 9), (5, 10), (1, 6), (7, 5), (4, 20)])
def test_patch_target_is_the_mean_over_each_windows_in_board_cells(k: int, size: int) -> None:
    """Every window, even and odd k, k up to larger than the board: exactly the hand-computed float32 mean."""
    board = life.random_boards(1, size, 0.4, torch.Generator().manual_seed(k * 100 + size))[0]
    got = summary_targets(board, "patch", k).numpy()
    want = np.array([[window_mean(board.numpy(), r, c, k) for c in range(size)] for r in range(size)])
    assert got.shape == (size, size)
    np.testing.assert_array_equal(got, want)


def test_task_error_rounds_half_to_even_like_tensorflow() -> None:
    """tf.math.round and torch.round both round half to even. A tie is real for k=10 on 10x10: the window of (9, 2)
    holds 5 x 8 = 40 cells; one live cell of 40 is 2.5 cells of 100, which rounds to 2."""
    board = torch.zeros(10, 10)
    board[9, 0] = 1
    target = summary_targets(board, "patch", 10)
    assert target[9, 2] * 100 == 2.5 and (target[9, 2] * 100).round() == 2
    assert not summary_wrong(torch.tensor(0.02), target[9, 2], 100)
    assert summary_wrong(torch.tensor(0.03), target[9, 2], 100)


def test_task_error_does_not_clamp_the_prediction() -> None:
    """An answer more than half a cell below 0 or above the window's cells is wrong, as in the authors' metric."""
    full, empty = torch.tensor(1.0), torch.tensor(0.0)  # k=2: 4 live cells of 4, and none
    assert summary_wrong(torch.tensor(1.2), full, 4)  # round(4.8) = 5 != 4: clamped to 1 it would pass
    assert not summary_wrong(torch.tensor(1.1), full, 4)  # round(4.4) = 4
    assert summary_wrong(torch.tensor(-0.2), empty, 4)  # round(-0.8) = -1 != 0
    assert not summary_wrong(torch.tensor(-0.1), empty, 4)  # round(-0.4) = -0 == 0


def test_count_is_live_cells_over_the_board_rounded_in_board_cells() -> None:
    board = torch.zeros(10, 10)
    board.view(-1)[:37] = 1
    got = summary_targets(board, "count", 1)
    assert got.shape == (1, 1) and got[0, 0] == np.float32(37) / np.float32(100)
    cells = summary_cells("count", 1, board.shape)
    assert cells == 100  # AccuracyInverseMetric(board_size): round(y * board_size**2)
    assert not summary_wrong(torch.tensor(0.374), got[0, 0], cells)
    assert summary_wrong(torch.tensor(0.375), got[0, 0], cells)  # 37.5 rounds half to even: 38


@pytest.mark.parametrize("g", [2, 5])
def test_grid_scored_per_block_is_the_authors_per_cell_score(g: int) -> None:
    """The authors broadcast each block's mean back to its g*g cells (nearest-neighbour resize) and score every cell;
    every block has g*g cells, so the share of wrong cells is the share of wrong blocks, which this code scores."""
    board = life.random_boards(1, 10, 0.4, torch.Generator().manual_seed(g))[0]
    target = summary_targets(board, "grid", g)
    n = 10 // g
    by_hand = np.array(
        [[board[i * g : (i + 1) * g, j * g : (j + 1) * g].sum().item() / (g * g) for j in range(n)] for i in range(n)]
    )
    np.testing.assert_allclose(target.numpy(), by_hand, rtol=0, atol=1e-7)
    predicted = target + torch.tensor(np.random.default_rng(g).normal(0, 0.6 / (g * g), (n, n)), dtype=torch.float32)
    cells = summary_cells("grid", g, board.shape)
    per_block = summary_wrong(predicted, target, cells).float().mean()
    kron = torch.ones(g, g)
    per_cell = summary_wrong(torch.kron(predicted, kron), torch.kron(target, kron), cells).float().mean()
    assert 0 < per_block < 1 and per_block == per_cell


class FirstChannel(nn.Module):
    """A task head that answers each cell's own state (the first hidden channel): exact if that is the board."""

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden[:, :1]


@pytest.mark.parametrize("task, size", [("patch", 10), ("patch", 2), ("patch", 3), ("count", 1), ("grid", 2)])
def test_a_head_that_reads_the_board_scores_zero_edge_windows_included(task: str, size: int) -> None:
    """The model averages its head over each region exactly as the target does, cut windows included."""
    board = life.random_boards(6, 10, 0.4, torch.Generator().manual_seed(0))
    model = ImaginationModel(ModelConfig(channels=4, core_hidden=8, task=task, task_size=size))
    model.task_head = FirstChannel()
    hidden = board.unsqueeze(1).expand(6, 4, 10, 10).unsqueeze(1)  # one step; channel 0 is the board
    np.testing.assert_array_equal(model.summarize_raw(hidden)[:, 0].numpy(), summary_targets(board, task, size).numpy())
    np.testing.assert_array_equal(
        pool_summary(board.unsqueeze(1), task, size).numpy(), summary_targets(board, task, size).numpy()
    )


def test_evaluation_scores_the_unclamped_answer() -> None:
    """decode_episodes hands summary_scores the raw head output: an answer above 1 is not clamped to right."""
    one_step = {"model_steps": 1, "game_steps": 1, "trained_steps": [0]}
    cfg = ModelConfig(channels=4, core_hidden=8, task="patch", task_size=2, **one_step)
    model = ImaginationModel(cfg)
    last = model.task_head[-1]
    nn.init.zeros_(last.weight)
    nn.init.constant_(last.bias, 1.2)  # every answer 1.2: 4.8 cells of 4
    episodes = torch.ones(3, 2, 6, 6)  # every window full of live cells: the target is 1 everywhere
    _, summaries = decode_episodes(model, episodes[:, 0])
    assert summaries is not None and torch.allclose(summaries, torch.full_like(summaries, 1.2))
    assert summary_scores(model.config, episodes, summaries)["task_error"] == 1.0
    assert summary_scores(model.config, episodes, summaries.clamp(0, 1))["task_error"] == 0.0


def test_ties_are_the_answers_halfway_between_two_whole_counts() -> None:
    """Only a window cut by the edge can hold one (k*k / n not whole); the task error is reported on them apart."""
    board = torch.zeros(10, 10)
    board[9, 0] = 1
    target = summary_targets(board, "patch", 10)
    ties = summary_ties(target, 100)
    assert ties[9, 2] and not ties[4, 4]  # 1 live cell of 40 is 2.5 of 100; the full window holds 1 of 100
    assert int(ties.sum()) == sum(
        1 for r in range(10) for c in range(10) if (window_mean(board.numpy(), r, c, 10) * 100) % 1 == 0.5
    )
    boards = life.random_boards(20, 10, 0.4, torch.Generator().manual_seed(1))
    assert not summary_ties(summary_targets(boards, "patch", 2), 4).any()  # 4 / n is whole for n = 1, 2, 4
    assert not summary_ties(summary_targets(boards, "count", 1), 100).any()
    cfg = ModelConfig(task="patch", task_size=10, game_steps=1, model_steps=1, trained_steps=[0])
    episodes = torch.stack([board, board]).unsqueeze(0)  # one episode whose final board is ``board``
    exact = target.unsqueeze(0).unsqueeze(0).expand(1, 2, 10, 10)
    nudged = exact + 1e-5  # 0.001 of a cell above every answer: each tie rounds up, off the even count
    s = summary_scores(cfg, episodes, nudged)
    assert s["tie_share"] == float(ties.float().mean()) and s["task_error_on_ties"] == 1.0
    assert s["task_error_off_ties"] == 0.0 and summary_scores(cfg, episodes, exact)["task_error"] == 0.0
