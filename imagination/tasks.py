"""What a network is asked for: the final frame itself, or a summary of it (the authors' summary tasks).

A summary is the fraction of ones per region of a binary frame: ``count`` over the whole frame,
``patch`` over the k x k window at each cell (stride 1), ``grid`` over each g x g block (stride g).
Nothing here depends on the environment: any frame can be summarised.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

TASKS = ("board", "count", "patch", "grid")


def pool_summary(maps: torch.Tensor, task: str, size: int) -> torch.Tensor:
    """Average [N, 1, H, W] maps over each summary region -> [N, h, w]."""
    if task == "count":
        out = maps.mean(dim=(-2, -1), keepdim=True)
    elif task == "patch":
        # same-size output, as the reference's patch task: the k x k window starting (k-1)//2 cells before
        # each cell; cells beyond the edge are dead (the board's own edge rule), so every window holds k*k
        # cells and answers are whole counts of them (an even k reaches one cell further right/down)
        lo, hi = (size - 1) // 2, size // 2
        out = F.avg_pool2d(F.pad(maps, (lo, hi, lo, hi)), size, stride=1)
    elif task == "grid":
        out = F.avg_pool2d(maps, size, stride=size)
    else:
        raise ValueError(f"not a summary task: {task!r}")
    return out[:, 0]


def summary_cells(task: str, size: int, board_shape: tuple[int, int] | torch.Size) -> int:
    """How many board cells one summary value covers (the unit its rounding is judged in)."""
    return int(board_shape[-1] * board_shape[-2]) if task == "count" else size * size


def summary_targets(boards: torch.Tensor, task: str, size: int) -> torch.Tensor:
    """The true summary of boards [..., H, W]: fraction of live cells per region."""
    lead = boards.shape[:-2]
    flat = boards.reshape(-1, 1, *boards.shape[-2:]).float()
    out = pool_summary(flat, task, size)
    return out.reshape(*lead, *out.shape[-2:])
