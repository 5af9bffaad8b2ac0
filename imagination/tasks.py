"""What a network is asked for: the final frame itself, or a summary of it (the authors' summary tasks).

A summary is the fraction of ones per region of a binary frame, as the authors' ``train/data_functions.py``
defines it: ``count`` over the whole frame, ``patch`` over the k x k window at each cell (stride 1,
TensorFlow's SAME padding), ``grid`` over each g x g block (stride g). Their task error rounds
``y * cells`` to a whole number of cells, where ``cells`` is the board's cell count for ``count`` and
k*k or g*g otherwise, without clamping the prediction first (``summary_cells``, ``summary_wrong``).
Nothing here depends on the environment: any frame can be summarised.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

TASKS = ("board", "count", "patch", "grid")


def _window_sums(maps: torch.Tensor, size: int) -> torch.Tensor:
    """The sum over the k x k window at each cell, SAME-padded with zeros: (k-1)//2 before, k//2 after."""
    lo, hi = (size - 1) // 2, size // 2
    return F.avg_pool2d(F.pad(maps, (lo, hi, lo, hi)), size, stride=1, divisor_override=1)


def pool_summary(maps: torch.Tensor, task: str, size: int) -> torch.Tensor:
    """Average [N, 1, H, W] maps over each summary region -> [N, h, w]."""
    if task == "count":
        out = maps.mean(dim=(-2, -1), keepdim=True)
    elif task == "patch":
        # tf.nn.pool(X, (1, k, k), 'AVG', padding='SAME'), the authors' target: TensorFlow leaves padded
        # cells out of an average, so a window cut by the board's edge is the mean over its in-board cells
        # (what count_include_pad=False would do, but avg_pool2d pads only symmetrically and an even k
        # pads one cell more after than before). Sum over count, both exact in float32, as TensorFlow divides.
        inside = _window_sums(torch.ones_like(maps[:1, :1]), size)
        out = _window_sums(maps, size) / inside
    elif task == "grid":
        out = F.avg_pool2d(maps, size, stride=size)
    else:
        raise ValueError(f"not a summary task: {task!r}")
    return out[:, 0]


def summary_cells(task: str, size: int, board_shape: tuple[int, int] | torch.Size) -> int:
    """The number a summary value is multiplied by before it is rounded (the authors' ``AccuracyInverseMetric``):
    the board's cells for ``count``, k*k or g*g otherwise, also for a patch window cut by the edge."""
    return int(board_shape[-1] * board_shape[-2]) if task == "count" else size * size


def summary_wrong(predicted: torch.Tensor, target: torch.Tensor, cells: int) -> torch.Tensor:
    """Which summary answers are wrong: round(y * cells) != round(target * cells), the prediction NOT clamped
    (an answer below 0 or above 1 by more than half a cell is wrong, as in the authors' metric); ties round
    half to even in both torch and TensorFlow."""
    return (predicted * cells).round() != (target * cells).round()


def summary_ties(target: torch.Tensor, cells: int) -> torch.Tensor:
    """Which true answers lie exactly halfway between two whole numbers of cells (``target * cells`` ends in .5).

    Only a patch window cut by the edge has them (k=10 on 10x10: 1 live cell of a 40-cell window is 2.5 of 100):
    round-half-to-even decides them, so an answer within a hair of the truth is right or wrong by the hair's sign.
    """
    scaled = target * cells
    return (scaled - scaled.floor()) == 0.5


def summary_targets(boards: torch.Tensor, task: str, size: int) -> torch.Tensor:
    """The true summary of boards [..., H, W]: fraction of live cells per region."""
    lead = boards.shape[:-2]
    flat = boards.reshape(-1, 1, *boards.shape[-2:]).float()
    out = pool_summary(flat, task, size)
    return out.reshape(*lead, *out.shape[-2:])
