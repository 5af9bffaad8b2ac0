"""Maze generation and dead-end filling, against hand-counted mazes and an independent BFS."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from imagination import maze

# 2 x 2 cells: the path goes right and down; the bottom-left cell is a dead end two pixels long.
TWO_BY_TWO = [
    [0, 0, 0, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 0, 1, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 0, 0, 0],
]  # fmt: skip

# 3 x 3 cells: two dead ends off the path, 2 pixels up from (3, 5) and 6 pixels around from (3, 3).
THREE_BY_THREE = [
    [0, 0, 0, 0, 0, 0, 0],
    [0, 1, 1, 1, 0, 1, 0],
    [0, 0, 0, 1, 0, 1, 0],
    [0, 1, 1, 1, 1, 1, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [0, 1, 1, 1, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0],
]  # fmt: skip
THREE_BY_THREE_PATH = [(1, 1), (1, 2), (1, 3), (2, 3), (3, 3), (3, 4), (3, 5), (4, 5), (5, 5)]
# round by round: (1,5) and (5,3) fill, then (2,5) and (5,2), then one pixel a round back to (3,3)
THREE_BY_THREE_OPEN = [17, 15, 13, 12, 11, 10, 9, 9, 9]


def t(rows: list[list[int]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


def bfs_path(m: np.ndarray) -> np.ndarray:
    """The shortest start-goal path over open pixels, as a 0/1 mask (in a tree, the only path)."""
    h, w = m.shape
    start, goal = (1, 1), (h - 2, w - 2)
    parent = {start: start}
    queue = deque([start])
    while queue:
        p = queue.popleft()
        for q in ((p[0] - 1, p[1]), (p[0] + 1, p[1]), (p[0], p[1] - 1), (p[0], p[1] + 1)):
            if 0 <= q[0] < h and 0 <= q[1] < w and m[q] > 0.5 and q not in parent:
                parent[q] = p
                queue.append(q)
    assert goal in parent, "goal unreachable"
    out = np.zeros_like(m)
    p = goal
    while p != start:
        out[p] = 1
        p = parent[p]
    out[start] = 1
    return out


def check_maze(m: torch.Tensor, cells: int) -> None:
    side = 2 * cells + 1
    assert m.shape == (side, side) and m.dtype == torch.float32
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    assert maze.is_perfect(m)
    ring = torch.cat([m[0], m[-1], m[:, 0], m[:, -1]])
    assert ring.sum() == 0
    assert m[1, 1] == 1 and m[side - 2, side - 2] == 1
    assert m[1::2, 1::2].all(), "every cell is reached"
    assert m[0::2, 0::2].sum() == 0, "wall corners stay wall"
    assert m.sum() == 2 * cells * cells - 1, "n*n cells and n*n - 1 passages"


@pytest.mark.parametrize("cells", [1, 2, 3, 5, 8, 13])
def test_generated_mazes_are_perfect(cells: int) -> None:
    mazes = maze.generate(20, cells, seed=cells)
    assert mazes.shape == (20, 2 * cells + 1, 2 * cells + 1)
    for m in mazes:
        check_maze(m, cells)
    if cells >= 5:  # 3x3 cells has few backtracker mazes, some likely: repeats are expected
        assert len({m.numpy().tobytes() for m in mazes}) == 20, "different seeds per index"


def test_generation_is_deterministic_and_per_index_stable() -> None:
    a = maze.generate(10, 6, seed=7)
    assert torch.equal(a, maze.generate(10, 6, seed=7))
    assert torch.equal(a[:3], maze.generate(3, 6, seed=7))
    assert not torch.equal(a[:3], maze.generate(3, 6, seed=8))
    for k in (0, 4, 9):  # maze k is drawn from child k of SeedSequence(seed), made by the documented recipe
        rng = np.random.default_rng(np.random.SeedSequence(7).spawn(k + 1)[k])
        assert torch.equal(a[k], maze.generate_one(6, rng))


def test_batched_search_matches_reference_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maze, "_CHUNK", 4)  # 11 mazes: chunks of 4, 4 and 3
    mazes = maze.generate(11, 4, seed=3)
    for k, m in enumerate(mazes):
        rng = np.random.default_rng(np.random.SeedSequence(3, spawn_key=(k,)))
        assert torch.equal(m, maze.generate_one(4, rng))


def test_pinned_mazes() -> None:
    """A regression pin: these mazes (and so every dataset built on them) must not change silently."""
    assert maze.generate(1, 3, seed=0)[0].int().tolist() == [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 1, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 1, 0],
        [0, 1, 1, 1, 1, 1, 0],
        [0, 1, 0, 0, 0, 0, 0],
        [0, 1, 1, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ]  # fmt: skip
    assert maze.rounds_to_solve(maze.generate(8, 5, seed=0)).tolist() == PINNED_ROUNDS


PINNED_ROUNDS = [12, 20, 22, 8, 12, 2, 20, 10]


def test_bad_sizes() -> None:
    with pytest.raises(ValueError):
        maze.generate(2, 0)
    with pytest.raises(ValueError):
        maze.endpoints((2, 5))


def test_endpoints() -> None:
    e = maze.endpoints((7, 9))
    assert e.shape == (7, 9) and e.dtype == torch.float32
    assert e.sum() == 2 and e[1, 1] == 1 and e[5, 7] == 1
    assert maze.endpoints((3, 3)).sum() == 1  # one cell: start is goal


def test_hand_made_two_by_two() -> None:
    m = t(TWO_BY_TWO)
    assert maze.is_perfect(m)
    assert maze.rounds_to_solve(m).item() == 2
    frames = maze.rollout(m, 4)
    assert frames.shape == (5, 5, 5)
    assert [int(f.sum()) for f in frames] == [7, 6, 5, 5, 5]
    assert frames[1][3, 1] == 0 and frames[1][3, 2] == 1  # the tip goes first, then the pixel behind it
    assert frames[2][3, 2] == 0
    assert torch.equal(maze.fill_round(m), frames[1])


def test_hand_made_three_by_three() -> None:
    m = t(THREE_BY_THREE)
    assert maze.is_perfect(m)
    assert maze.rounds_to_solve(m).item() == 6
    frames = maze.rollout(m, 8)
    assert [int(f.sum()) for f in frames] == THREE_BY_THREE_OPEN
    path = torch.zeros(7, 7)
    for p in THREE_BY_THREE_PATH:
        path[p] = 1
    assert torch.equal(maze.solve(m), path)
    assert torch.equal(frames[6], path) and not torch.equal(frames[5], path)
    assert frames[1][1, 5] == 0 and frames[1][5, 3] == 0 and frames[1][2, 5] == 1  # synchronous: one pixel a round


def test_fill_round_rules_on_a_non_maze() -> None:
    """Isolated pixels and edge pixels fill; a 2x2 open block (a cycle) is a fixed point; endpoints never fill."""
    m = torch.zeros(6, 6)
    m[1, 1] = m[4, 4] = 1  # start (next to the block) and goal (isolated)
    m[0, 3] = 1  # on the edge: beyond it is wall, one open neighbour below
    m[1, 3] = 1
    m[2:4, 1:3] = 1  # a 2x2 block: every pixel has two open neighbours
    out = maze.fill_round(m)
    expected = torch.zeros(6, 6)
    expected[1, 1] = expected[4, 4] = 1
    expected[2:4, 1:3] = 1  # (0, 3) and (1, 3) each have one open neighbour: both fill at once
    assert torch.equal(out, expected)
    assert maze.rounds_to_solve(m).item() == 1
    assert not maze.is_perfect(m)


@settings(max_examples=25, deadline=None)
@given(cells=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
def test_filling_ends_on_the_bfs_path(cells: int, seed: int) -> None:
    m = maze.generate(1, cells, seed=seed)[0]
    check_maze(m, cells)
    path = torch.from_numpy(bfs_path(m.numpy()))
    assert torch.equal(maze.solve(m), path)
    k = maze.rounds_to_solve(m).item()
    frames = maze.rollout(m, k + 2)
    assert torch.equal(frames[0], m)
    assert torch.equal(frames[k], path)
    assert k == 0 or not torch.equal(frames[k - 1], path)
    assert torch.equal(frames[k + 1], path) and torch.equal(frames[k + 2], path)
    assert (frames[1:] <= frames[:-1]).all(), "each frame a subset of the one before"
    assert (frames[:, 1, 1] == 1).all() and (frames[:, -2, -2] == 1).all(), "start and goal never fill"
    changed = (frames[1:] != frames[:-1]).flatten(1).any(1)
    assert changed.tolist() == [True] * k + [False] * 2


def test_batch_shapes_and_agreement() -> None:
    mazes = maze.generate(6, 5, seed=1).reshape(2, 3, 11, 11)
    rounds = maze.rounds_to_solve(mazes)
    assert rounds.shape == (2, 3) and rounds.dtype == torch.int64
    frames = maze.rollout(mazes, 5)
    assert frames.shape == (2, 3, 6, 11, 11)
    assert torch.equal(frames[:, :, 1], maze.fill_round(mazes))
    solved = maze.solve(mazes)
    for i in range(2):
        for j in range(3):
            assert rounds[i, j] == maze.rounds_to_solve(mazes[i, j])
            assert torch.equal(solved[i, j], maze.solve(mazes[i, j]))
    assert maze.rollout(mazes.bool(), 1).dtype == torch.float32
    assert maze.rollout(mazes.double(), 1).dtype == torch.float64


def test_torch_path_matches_numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accelerators run the same filling on torch tensors: force that path on CPU and compare."""
    mazes = maze.generate(12, 7, seed=5)
    frames, rounds, solved = maze.rollout(mazes, 30), maze.rounds_to_solve(mazes), maze.solve(mazes)
    monkeypatch.setattr(maze, "_bits", lambda f: (f.detach() > 0.5).reshape(-1, *f.shape[-2:]))
    assert torch.equal(maze.rollout(mazes, 30), frames)
    assert torch.equal(maze.rounds_to_solve(mazes), rounds)
    assert torch.equal(maze.solve(mazes), solved)
    assert torch.equal(maze.fill_round(mazes), frames[:, 1])


def test_observe() -> None:
    frames = maze.rollout(maze.generate(3, 4, seed=2), 5)
    x = maze.observe(frames)
    assert x.shape == (3, 6, 2, 9, 9) and x.dtype == torch.float32
    assert torch.equal(x[:, :, 0], frames)
    assert torch.equal(x[1, 3, 1], maze.endpoints((9, 9)))
    assert x[..., 1, :, :].sum() == 3 * 6 * 2
    assert maze.observe(t(TWO_BY_TWO)).shape == (2, 5, 5)


def test_rounds_scale_like_the_reference_measurements() -> None:
    """Reference: 9x9-cell backtracker mazes, corner to corner, median 42 and max 92 rounds over 200."""
    rounds = maze.rounds_to_solve(maze.generate(200, 9, seed=0)).numpy()
    assert 35 <= np.median(rounds) <= 50
    assert 70 <= rounds.max() <= 120
