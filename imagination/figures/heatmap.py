"""The score matrix as a picture in a few milliseconds: ``score_matrix_figure``'s frame (axes, ticks,
labels, colour bar) drawn by matplotlib once per shape, and the cells painted into it with numpy.

``score_matrix_figure`` + ``savefig`` take 110-150 ms, too slow for an interactive demo on two
cores; with the frame cached a call takes about 3 ms, plus 3-4 ms to encode its palette PNG.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from imagination.envs import Environment
from imagination.figures.canvas import glyphs, palette_png
from imagination.figures.colors import SCORE_CMAP
from imagination.figures.plots import ANNOTATE_MAX, score_matrix_figure, score_matrix_title

HEAT_LEVELS = 64  # viridis levels a cell's colour is rounded to (the colour bar shows the scale)
HEAT0 = 256 - HEAT_LEVELS - 2  # first palette entry of the cell colours; the last two are white and black ink
INK_WHITE, INK_BLACK = 254, 255


@dataclass(frozen=True)
class HeatmapFrame:
    background: np.ndarray  # RGB, the figure with the cells left blank
    x_edges: np.ndarray  # pixel column of each cell boundary, left to right
    y_edges: np.ndarray  # pixel row of each cell boundary, top to bottom
    cell_area: tuple[slice, slice]  # the pixels of the cells (the axes' frame is drawn over them)
    font_px: int
    indices: np.ndarray  # the background in palette indices (< HEAT0): a palette PNG encodes fast
    palette: np.ndarray  # [256, 3] RGB: the background's colours, then HEAT_LEVELS viridis, white, black


def _frame_palette(background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The background quantised to HEAT0 colours (no dithering), plus the cells' colours and inks."""
    quant = Image.fromarray(background).quantize(HEAT0, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    used = np.asarray(quant.getpalette()[: 3 * HEAT0], np.uint8).reshape(-1, 3)
    palette = np.zeros((256, 3), np.uint8)
    palette[: len(used)] = used
    palette[HEAT0 : HEAT0 + HEAT_LEVELS] = SCORE_CMAP(np.linspace(0.0, 1.0, HEAT_LEVELS), bytes=True)[:, :3]
    palette[INK_WHITE], palette[INK_BLACK] = 255, 0
    return np.asarray(quant, np.uint8), palette


@functools.lru_cache(maxsize=32)  # a frame per matrix shape (and title): a run's few shapes stay drawn
def _frame(
    shape: tuple[int, int],
    trained: tuple[int, ...],
    title: str,
    dpi: int,
    env: Environment | None,
    steps: tuple[int, ...] | None = None,
) -> HeatmapFrame:
    """The figure of a ``shape`` matrix with its cells left blank, at least 4.4 x 3.6 inches."""
    fig = score_matrix_figure(np.zeros(shape), trained, title, env=env, steps=steps)
    ax = fig.axes[0]
    w, h = fig.get_size_inches()  # small matrices: room for the axis labels and the title
    fig.set_size_inches(max(w, 4.4), max(h, 3.6))
    for text in list(ax.texts):
        text.remove()
    ax.images[0].set_visible(False)
    fig.set_dpi(dpi)
    fig.canvas.draw()
    background = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    m, g = shape
    xs = ax.transData.transform(np.column_stack([np.arange(g + 1) - 0.5, np.zeros(g + 1)]))[:, 0]
    ys = ax.transData.transform(np.column_stack([np.zeros(m + 1), np.arange(m + 1) - 0.5]))[:, 1]
    x_edges = np.round(xs).astype(int)
    y_edges = np.round(background.shape[0] - ys).astype(int)
    area = (slice(min(y_edges[0], y_edges[-1]), max(y_edges[0], y_edges[-1])), slice(x_edges[0], x_edges[-1]))
    indices, palette = _frame_palette(background)
    font_px = max(6, round(8 * dpi / 72)) if max(shape) <= ANNOTATE_MAX else 0
    return HeatmapFrame(background, x_edges, y_edges, area, font_px, indices, palette)


def _score_matrix_indices(
    scores: np.ndarray,
    trained_model_steps: Sequence[int],
    title: str,
    dpi: int,
    env: Environment | None,
    steps: tuple[int, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(palette indices, [256, 3] palette) of the score matrix: the cached frame with the cells painted."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(f"scores must be a non-empty 2-D matrix, got shape {scores.shape}")
    frame = _frame(scores.shape, tuple(int(t) for t in trained_model_steps), title, int(dpi), env, steps)
    img = frame.indices.copy()
    level = np.round(np.clip(np.nan_to_num(scores), 0.0, 1.0) * (HEAT_LEVELS - 1)).astype(np.uint8) + HEAT0
    ys, xs = frame.y_edges, frame.x_edges
    rows, cols = frame.cell_area
    cell_rows = np.clip(np.searchsorted(ys, np.arange(rows.start, rows.stop), side="right") - 1, 0, len(ys) - 2)
    cell_cols = np.clip(np.searchsorted(xs, np.arange(cols.start, cols.stop), side="right") - 1, 0, len(xs) - 2)
    painted = level[cell_rows[:, None], cell_cols[None, :]]
    # The frame there is black ink (the axes' spines) on white: keep the ink, colour the rest.
    spine = frame.background[rows, cols].mean(-1) < 128
    img[rows, cols] = np.where(spine, img[rows, cols], painted)
    for i in range(scores.shape[0] if frame.font_px else 0):  # long runs: colours only (see score_matrix_figure)
        for j in range(scores.shape[1]):
            v = scores[i, j]
            mask, dx, dy = glyphs(f"{v:.2f}", frame.font_px, False, "mm")
            x0 = int(round((xs[j] + xs[j + 1]) / 2)) + dx
            y0 = int(round((ys[i] + ys[i + 1]) / 2)) + dy
            region = img[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
            ink = INK_WHITE if v < 0.6 else INK_BLACK  # white on dark cells, black on light ones
            region[mask[: region.shape[0], : region.shape[1]] >= 128] = ink
    return img, frame.palette


def score_matrix_png(
    scores: np.ndarray,
    trained_model_steps: Sequence[int] = (),
    title: str | None = None,
    dpi: int = 100,
    env: Environment | None = None,
    steps: Sequence[int] | None = None,
) -> bytes:
    """``score_matrix_figure`` as a palette PNG in a few ms (the frame is drawn once per shape and ``steps``,
    the step each row and column stands for where the matrix samples a longer run's).

    Same axes, labels, viridis colours on [0, 1], colour bar and cell values as the figure, which
    is drawn at least 4.4 x 3.6 inches so the labels of a small matrix are not cut. Drawn in a
    256-colour palette: cells take one of 64 viridis levels, the frame is quantised once.
    """
    title = score_matrix_title(env) if title is None else title
    shown = None if steps is None else tuple(int(s) for s in steps)
    indices, palette = _score_matrix_indices(scores, trained_model_steps, title, dpi, env, shown)
    return palette_png(indices, palette.tobytes())
