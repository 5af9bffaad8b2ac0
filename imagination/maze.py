"""Perfect mazes from a seed, and dead-end filling: a second world whose intermediate frames are exact.

A maze is solved by dead-end filling: every open pixel that is a dead end (at most one open
4-neighbour) other than start and goal becomes wall, all at once, and the rounds repeat until nothing
changes. In a perfect maze (the open pixels form a tree) what is left is the one start-goal path, and
each round is a well-defined frame, so a network that "imagines" its way to the solution can be
compared with the true intermediate frames, not just the answer.

Mazes come from a recursive backtracker (randomised depth-first search) on ``n x n`` cells, drawn as
a ``(2n+1) x (2n+1)`` pixel grid: 1.0 open, 0.0 wall, a ring of wall around it, cell (i, j) at pixel
(2i+1, 2j+1) and an open passage between two neighbouring cells opening the pixel between them.
Start is the top-left cell, goal the bottom-right one. Nothing is downloaded: a maze is a function of
(cells, seed, index). As in ``life``, frames are float tensors of 0.0 / 1.0 with the board in the last
two dimensions, so one code path serves a maze, a batch and a batch of episodes.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import torch

# The order in which a draw picks among a cell's unvisited neighbours: up, down, left, right.
_DIRS = ((-1, 0), (1, 0), (0, -1), (0, 1))
# One draw in [0, 12) per step of the search: 12 is a multiple of 1, 2, 3 and 4, so the draw modulo the
# number of unvisited neighbours is exactly uniform among them, and every maze of a size uses the same
# number of draws, which lets the batched search below consume the same stream as the plain one.
_CHOICES = 12
_CHUNK = 1024  # mazes searched together: the per-step numpy overhead is shared, the state stays small


def _steps(cells: int) -> int:
    """Steps of the search: each of the n*n - 1 cells after the first is pushed once and popped once.

    The last step, popping the first cell, changes nothing, so it is not taken (nor drawn for).
    """
    return max(2 * cells * cells - 2, 0)


def _draws(cells: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, _CHOICES, size=_steps(cells), dtype=np.uint8)


def _child(seed: int, index: int) -> np.random.Generator:
    """Maze ``index``'s generator: ``SeedSequence(seed).spawn(k)[index]`` for any k > index, made directly,
    so a maze does not depend on how many were asked for."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


def _check_cells(cells: int) -> None:
    if cells < 1:
        raise ValueError(f"a maze needs at least one cell a side, got cells={cells}")


def generate_one(cells: int, rng: np.random.Generator) -> torch.Tensor:
    """One maze, [2*cells+1, 2*cells+1], by the plain depth-first search with a Python stack.

    This is the readable reference: ``generate`` runs the same search on a batch at once and is tested
    to give the same mazes for the same generators.
    """
    _check_cells(cells)
    n, draws = cells, _draws(cells, rng)
    maze = np.zeros((2 * n + 1, 2 * n + 1), np.float32)
    visited = np.zeros((n, n), bool)
    visited[0, 0] = True
    maze[1, 1] = 1.0
    stack = [(0, 0)]
    for draw in draws:
        i, j = stack[-1]
        free = [(di, dj) for di, dj in _DIRS if 0 <= i + di < n and 0 <= j + dj < n and not visited[i + di, j + dj]]
        if not free:
            stack.pop()
            continue
        di, dj = free[draw % len(free)]
        visited[i + di, j + dj] = True
        maze[2 * i + 1 + di, 2 * j + 1 + dj] = 1.0  # the wall between the two cells
        maze[2 * (i + di) + 1, 2 * (j + dj) + 1] = 1.0
        stack.append((i + di, j + dj))
    return torch.from_numpy(maze)


def _tables(cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Per flat cell and direction: the neighbour (n*n, an always-visited dummy, off the grid) and the
    flat pixel of the wall between them."""
    n, side = cells, 2 * cells + 1
    i, j = np.divmod(np.arange(n * n), n)
    neighbour = np.full((n * n + 1, 4), n * n, np.intp)  # the dummy's row too, though it is never current
    wall = np.zeros((n * n + 1, 4), np.intp)
    for d, (di, dj) in enumerate(_DIRS):
        ok = (i + di >= 0) & (i + di < n) & (j + dj >= 0) & (j + dj < n)
        neighbour[: n * n, d] = np.where(ok, (i + di) * n + (j + dj), n * n)
        wall[: n * n, d] = (2 * i + 1 + di) * side + (2 * j + 1 + dj)
    return neighbour, wall


def _search(draws: np.ndarray, cells: int) -> np.ndarray:
    """The depth-first search of ``generate_one`` on every maze of a batch at once: [B, steps] draws ->
    [B, side, side] float32.

    Every maze takes the same number of steps (one push or one pop each), so step t is one set of
    array operations over the batch. A maze that pops at a step writes its "passage" to a dummy pixel
    and marks an already-visited cell visited again, so no step needs a mask.
    """
    n, side = cells, 2 * cells + 1
    b, cells_n, pixels = len(draws), n * n, side * side
    neighbour, wall = _tables(n)
    rows = np.arange(b)
    visited = np.zeros((b, cells_n + 1), bool)
    visited[:, 0] = visited[:, cells_n] = True
    maze = np.zeros((b, pixels + 1), np.float32)  # the last column is the dummy pixel
    centres = ((2 * np.arange(n) + 1)[:, None] * side + (2 * np.arange(n) + 1)[None, :]).ravel()
    maze[:, centres] = 1.0  # the search visits every cell
    stack = np.zeros((b, cells_n + 1), np.intp)  # one spare slot: a pop at full depth writes above the top
    top = np.zeros(b, np.intp)
    for t in range(draws.shape[1]):
        cur = stack[rows, top]
        near = neighbour[cur]
        free = ~visited[rows[:, None], near]
        count = free.sum(1)
        pick = draws[:, t] % np.maximum(count, 1)
        d = np.argmax(np.cumsum(free, 1) > pick[:, None], 1)  # the pick-th free direction, in _DIRS order
        go = count > 0
        nxt = near[rows, d]
        visited[rows, nxt] = True  # when popping, ``nxt`` is visited already (or the dummy)
        maze[rows, np.where(go, wall[cur, d], pixels)] = 1.0
        stack[rows, top + 1] = nxt
        top += np.where(go, 1, -1)
    return maze[:, :pixels].reshape(b, side, side)


def generate(count: int, cells: int, seed: int = 0) -> torch.Tensor:
    """``count`` perfect mazes of ``cells x cells`` cells: [count, 2*cells+1, 2*cells+1] float32.

    Maze k is drawn from its own generator, child k of ``np.random.SeedSequence(seed)``, so it is the
    same whatever ``count`` is: a set of mazes can be extended, or cut, without changing its members.
    """
    _check_cells(cells)
    side = 2 * cells + 1
    out = np.empty((count, side, side), np.float32)
    for first in range(0, count, _CHUNK):
        k = min(_CHUNK, count - first)
        draws = np.empty((k, _steps(cells)), np.uint8)
        for m in range(k):
            draws[m] = _draws(cells, _child(seed, first + m))
        out[first : first + k] = _search(draws, cells)
    return torch.from_numpy(out)


def endpoints(
    shape: tuple[int, int], device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """[H, W] with 1.0 at start (1, 1) and goal (H-2, W-2): the two pixels dead-end filling never fills.

    Taken from the shape alone, so any maze of a size, and any frame of its solution, has the same mask.
    """
    h, w = shape
    if h < 3 or w < 3:
        raise ValueError(f"a maze is at least 3 x 3 pixels (one cell in a ring of wall), got {h} x {w}")
    mask = torch.zeros(h, w, device=device, dtype=dtype)
    mask[1, 1] = mask[h - 2, w - 2] = 1
    return mask


def _out_dtype(frames: torch.Tensor) -> torch.dtype:
    return frames.dtype if frames.is_floating_point() else torch.float32


# --- Dead-end filling -----------------------------------------------------------------------------
# A batch of frames is held as [N, (H+2)*(W+2)] bools: each frame row-major with a ring of wall around
# it, flattened, so the four neighbours of every pixel are the same row shifted by 1 and by W+2, and a
# round is a handful of whole-row boolean operations on contiguous slices. The same code runs on numpy
# arrays (CPU tensors: single-threaded and vectorised, no thread-pool overhead per small operation, the
# fast path there) and on torch tensors (accelerators), which support the same slicing and operators.

_Bits = np.ndarray | torch.Tensor


def _bits(frames: torch.Tensor) -> _Bits:
    """Open pixels of [..., H, W] frames as [N, H, W] bools: numpy on CPU, torch elsewhere."""
    h, w = frames.shape[-2:]
    opened = frames.detach() > 0.5
    return (opened.numpy() if opened.device.type == "cpu" else opened).reshape(-1, h, w)


def _zeros(like: _Bits, shape: tuple[int, ...]) -> _Bits:
    if isinstance(like, np.ndarray):
        return np.zeros(shape, bool)
    return torch.zeros(shape, dtype=torch.bool, device=like.device)


def _flat(opened: _Bits) -> _Bits:
    """[N, H, W] -> [N, (H+2)*(W+2)], framed in wall."""
    n, h, w = opened.shape
    buf = _zeros(opened, (n, h + 2, w + 2))
    buf[:, 1:-1, 1:-1] = opened
    return buf.reshape(n, (h + 2) * (w + 2))


def _unflat(buf: _Bits, h: int, w: int) -> _Bits:
    return buf.reshape(-1, h + 2, w + 2)[:, 1:-1, 1:-1]


def _ends_flat(opened: _Bits) -> _Bits:
    h, w = opened.shape[-2:]
    ends = _zeros(opened, (h + 2, w + 2))
    ends[2, 2] = ends[h - 1, w - 1] = True  # start (1, 1) and goal (h-2, w-2), shifted by the frame
    return ends.reshape(-1)


def _fill_flat(buf: _Bits, ends: _Bits, w: int) -> _Bits:
    """One synchronous round on framed, flattened frames of width ``w`` (the frame stays wall)."""
    stride, length = w + 2, buf.shape[1]
    lo, hi = stride + 1, length - stride - 1  # first pixel of the first row to just past the last row's last
    c, up, down = buf[:, lo:hi], buf[:, lo - stride : hi - stride], buf[:, lo + stride : hi + stride]
    left, right = buf[:, lo - 1 : hi - 1], buf[:, lo + 1 : hi + 1]
    two = (up & down) | (left & right) | ((up | down) & (left | right))  # at least two open neighbours
    out = _zeros(buf, tuple(buf.shape))
    out[:, lo:hi] = c & (two | ends[lo:hi])  # the frame's columns inside the slice are wall in ``c``
    return out


def _as_frames(opened: _Bits, shape: torch.Size, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(opened)) if isinstance(opened, np.ndarray) else opened
    return t.to(device=device, dtype=dtype).reshape(shape)


def fill_round(frames: torch.Tensor) -> torch.Tensor:
    """One round of dead-end filling on [..., H, W]: every open pixel other than start and goal with at
    most one open 4-neighbour becomes wall, all at once; beyond the edge is wall.

    Synchronous, so a round is the same whatever order pixels are visited in: the frames are a
    property of the maze, not of an implementation. Start and goal come from ``endpoints``.
    """
    h, w = frames.shape[-2:]
    endpoints((h, w))  # the shape check
    opened = _bits(frames)
    filled = _unflat(_fill_flat(_flat(opened), _ends_flat(opened), w), h, w)
    return _as_frames(filled, frames.shape, _out_dtype(frames), frames.device)


def rollout(mazes: torch.Tensor, rounds: int) -> torch.Tensor:
    """The mazes and the ``rounds`` rounds of filling after them: [..., rounds+1, H, W].

    Frame k is the maze after k rounds; past the fixed point the frames repeat it.
    """
    h, w = mazes.shape[-2:]
    endpoints((h, w))
    opened = _bits(mazes)
    n, dtype = len(opened), _out_dtype(mazes)
    out = torch.empty(n, rounds + 1, h, w, dtype=dtype, device=mazes.device)
    out[:, 0] = mazes.detach().reshape(n, h, w)  # the maze as given
    buf, ends = _flat(opened), _ends_flat(opened)
    for k in range(1, rounds + 1):
        buf = _fill_flat(buf, ends, w)
        out[:, k] = _as_frames(_unflat(buf, h, w), (n, h, w), dtype, mazes.device)
    return out.reshape(*mazes.shape[:-2], rounds + 1, h, w)


def _numpy(x: _Bits) -> np.ndarray:
    return x if isinstance(x, np.ndarray) else x.cpu().numpy()


def _like(mask: np.ndarray, like: _Bits) -> _Bits:
    """A numpy index in the array type of ``like``."""
    return mask if isinstance(like, np.ndarray) else torch.from_numpy(mask).to(like.device)


def _until_fixed(mazes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed point of [..., H, W] mazes (bool) and the rounds each took to reach it (int64, [...]).

    Filling is a function of the frame, so once a round changes nothing no later one does: a maze
    leaves the batch then, and the rounds go on over the ones still changing.
    """
    h, w = mazes.shape[-2:]
    endpoints((h, w))
    opened = _bits(mazes)
    buf, ends = _flat(opened), _ends_flat(opened)
    fixed, rounds = _zeros(buf, tuple(buf.shape)), np.zeros(len(opened), np.int64)
    active = np.arange(len(opened))  # the mazes still changing: row r of ``buf`` is maze active[r]
    k = 0
    while len(active):
        filled = _fill_flat(buf, ends, w)
        changed = _numpy((filled != buf).any(1))
        if not changed.all():
            done = ~changed
            fixed[_like(active[done], buf)] = buf[_like(done, buf)]
            rounds[active[done]] = k
            active, filled = active[changed], filled[_like(changed, buf)]
        buf, k = filled, k + 1
    solved = _as_frames(_unflat(fixed, h, w), mazes.shape, torch.bool, mazes.device)
    return solved, torch.from_numpy(rounds).reshape(mazes.shape[:-2]).to(mazes.device)


def settle(mazes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``solve`` and ``rounds_to_solve`` from one filling run, for a caller that needs both."""
    solved, rounds = _until_fixed(mazes)
    return solved.to(_out_dtype(mazes)), rounds


def solve(mazes: torch.Tensor) -> torch.Tensor:
    """The fixed point of dead-end filling, [..., H, W]: in a perfect maze, exactly the start-goal path."""
    return settle(mazes)[0]


def rounds_to_solve(mazes: torch.Tensor) -> torch.Tensor:
    """Rounds of filling until the fixed point, per maze (int64, [...]): the smallest k with frame k equal
    to frame k+1, i.e. how many frames past the maze a rollout needs to reach the solution."""
    return _until_fixed(mazes)[1]


def observe(frames: torch.Tensor) -> torch.Tensor:
    """A network's input, [..., 2, H, W]: channel 0 the frame, channel 1 the start/goal mask.

    The frame alone does not say where start and goal are once corridors around them are open, and
    those two pixels decide what fills.
    """
    dtype = _out_dtype(frames)
    ends = endpoints(tuple(frames.shape[-2:]), frames.device, dtype)
    return torch.stack((frames.to(dtype), ends.expand(frames.shape)), dim=-3)


def is_perfect(maze: torch.Tensor) -> bool:
    """Whether the open pixels of one [H, W] maze form a tree: connected, with one edge fewer than pixels.

    That is what makes the start-goal path unique and dead-end filling end exactly on it.
    """
    opened = (maze > 0.5).cpu().numpy()
    nodes = int(opened.sum())
    if nodes == 0:
        return False
    edges = int((opened[:, 1:] & opened[:, :-1]).sum() + (opened[1:] & opened[:-1]).sum())
    if edges != nodes - 1:
        return False
    h, w = opened.shape
    first = tuple(int(v) for v in np.argwhere(opened)[0])
    seen, queue = {first}, deque([first])
    while queue:
        i, j = queue.popleft()
        for di, dj in _DIRS:
            p = (i + di, j + dj)
            if 0 <= p[0] < h and 0 <= p[1] < w and opened[p] and p not in seen:
                seen.add(p)
                queue.append(p)
    return len(seen) == nodes
