"""Figures: true vs imagined frames, the step x step score matrix, animations and curves.

Matplotlib figures are what the demo, the README and the analyses share, so a picture in one
place looks the same everywhere. Callers close the figures they get (``plt.close(fig)``).
"""

from __future__ import annotations

import functools
import io
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from imagination.episode import Episode  # noqa: E402

BOARD_CMAP = ListedColormap(["#f7f7f7", "#1f2937"])  # dead, alive
ERROR_CMAP = ListedColormap(["#f7f7f7", "#dc2626"])  # right, wrong
PROB_CMAP = "Greys"


def _step_label(ep: Episode, i: int) -> str:
    if i > ep.trained_horizon:
        kind = "beyond training"
    elif i in ep.trained_steps:
        kind = "trained"
    else:
        kind = "imagined"
    game = f" (game {ep.game_steps[i]})" if ep.game_steps[i] != i else ""
    return f"step {i}{game}\n{kind}"


def episode_figure(ep: Episode, max_columns: int = 12) -> Figure:
    """Rows: true frame, decoded probabilities, imagined board (>0.5), error; one column a step."""
    n = min(ep.steps + 1, max_columns)
    rows = [
        ("true", ep.true, BOARD_CMAP),
        ("decoded p", ep.decoded, PROB_CMAP),
        ("imagined", ep.imagined, BOARD_CMAP),
        ("error", ep.errors, ERROR_CMAP),
    ]
    fig, axes = plt.subplots(
        len(rows), n, figsize=(1.55 * n + 1.2, 1.55 * len(rows) + 0.9), squeeze=False, layout="constrained"
    )
    prob_im = None
    for r, (name, data, cmap) in enumerate(rows):
        for i in range(n):
            ax = axes[r, i]
            im = ax.imshow(data[i], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            if name == "decoded p":
                prob_im = im
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(name, fontsize=10)
            if r == 0:
                color = "#6b7280" if i in ep.trained_steps else ("#b45309" if i > ep.trained_horizon else "#1d4ed8")
                ax.set_title(_step_label(ep, i), fontsize=8, color=color)
            if r == len(rows) - 1:
                ax.set_xlabel(f"acc {ep.accuracy[i]:.3f}\nMCC {ep.mcc[i]:.3f}", fontsize=8)
    if prob_im is not None:
        fig.colorbar(prob_im, ax=axes[1, :].tolist(), shrink=0.9, label="P(alive)")
    fig.suptitle(f"What the network imagines ({ep.rule}): true frames vs decoded hidden states", fontsize=10)
    return fig


ANNOTATE_MAX = 13  # a matrix up to this many rows and columns has its values written in the cells


def score_matrix_figure(
    scores: np.ndarray,
    trained_model_steps: Sequence[int] = (),
    title: str = "MCC: model step x game step",
    annotate: bool | None = None,
) -> Figure:
    """Heatmap of scores[i, j] (model step i decoded vs game step j), values written in the cells.

    A long run's matrix (more than ANNOTATE_MAX steps) has no values in its cells, which would be
    too small to read; its cells are 11 px at 100 dpi and every fifth step is labelled, so the
    picture stays about as wide as the page instead of being squeezed into a blur.
    """
    scores = np.asarray(scores)
    m, g = scores.shape
    annotate = max(m, g) <= ANNOTATE_MAX if annotate is None else annotate
    size = (1.0 + 0.6 * g, 0.8 + 0.55 * m) if annotate else (1.7 + 0.11 * g, 1.3 + 0.11 * m)
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    im = ax.imshow(scores, cmap="viridis", vmin=0, vmax=1)
    for i in range(m if annotate else 0):
        for j in range(g):
            ax.text(
                j,
                i,
                f"{scores[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if scores[i, j] < 0.6 else "black",
            )
    every = 1 if annotate else 5
    ax.set_xticks(range(0, g, every))
    ax.set_yticks(range(0, m, every))
    ax.set_yticklabels([f"{i}*" if i in trained_model_steps else str(i) for i in range(0, m, every)])
    ax.set_xlabel("game step j (true board)")
    ax.set_ylabel("model step i (decoded)  * = trained")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, label="MCC (clipped at 0)")
    return fig


def curves_figure(
    curves: Mapping[str, Sequence[float]],
    trained_steps: Mapping[str, int] | None = None,
    ylabel: str = "decoded accuracy vs true game",
    threshold: float | None = 0.99,
    title: str = "Imagination beyond the trained horizon",
) -> Figure:
    """One line per checkpoint over model steps; dashed verticals at each trained horizon."""
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for k, (name, ys) in enumerate(curves.items()):
        line = ax.plot(range(len(ys)), ys, marker="o", ms=3, label=name)[0]
        if trained_steps and name in trained_steps:
            ax.axvline(trained_steps[name] + 0.05 * k, color=line.get_color(), ls=":", lw=1)
    if threshold is not None:
        ax.axhline(threshold, color="grey", ls="--", lw=1, label=f"{threshold:.0%}")
    ax.set_xlabel("model step")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncols=2)
    return fig


def curves_panels(
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    horizons: Mapping[str, int],
    ylabel: str = "decoded accuracy vs true game",
    threshold: float = 0.99,
) -> Figure:
    """Small multiples: one panel per group (e.g. trained horizon), so twenty curves stay readable."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4), layout="constrained", sharey=True)
    for ax, (title, curves) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        for name, ys in curves.items():
            ax.plot(range(len(ys)), ys, marker="o", ms=3, label=name)
        for h in sorted({horizons[n] for n in curves}):
            ax.axvline(h, color="black", ls=":", lw=1)
        ax.axhline(threshold, color="grey", ls="--", lw=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("model step (dotted: trained horizon; dashed: 99%)", fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    np.atleast_1d(axes)[0].set_ylabel(ylabel)
    return fig


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def board_image(board: np.ndarray, scale: int = 12, cmap: str = "board", grid: bool = True) -> np.ndarray:
    """A board (0/1 or probabilities) as an RGB uint8 image with square cells, for image widgets."""
    b = np.clip(np.asarray(board, dtype=np.float32), 0, 1)
    if cmap == "error":
        lo, hi = np.array([247, 247, 247]), np.array([220, 38, 38])
    else:
        lo, hi = np.array([247, 247, 247]), np.array([31, 41, 55])
    rgb = (lo + (hi - lo) * b[..., None]).astype(np.uint8)
    img = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    if grid and scale >= 6:
        img[::scale, :, :] = 205
        img[:, ::scale, :] = 205
    return img


def episode_gif(ep: Episode, scale: int = 10, ms_per_frame: int = 700) -> bytes:
    """An animated GIF: true frame | imagined probabilities | error, one frame per step."""
    frames = []
    for i in range(ep.steps + 1):
        panels = [
            board_image(ep.true[i], scale),
            board_image(ep.decoded[i], scale),
            board_image(ep.errors[i], scale, "error"),
        ]
        gap = np.full((panels[0].shape[0], scale, 3), 255, np.uint8)
        body = np.concatenate([panels[0], gap, panels[1], gap, panels[2]], axis=1)
        header = np.full((18, body.shape[1], 3), 255, np.uint8)
        img = Image.fromarray(np.concatenate([header, body], axis=0))
        draw = ImageDraw.Draw(img)
        w = panels[0].shape[1] + scale
        draw.text((2, 3), f"true (game {ep.game_steps[i]})", fill=(0, 0, 0))
        draw.text((w + 2, 3), f"imagined step {i}", fill=(29, 78, 216))
        draw.text((2 * w + 2, 3), f"error  acc {ep.accuracy[i]:.2f}", fill=(220, 38, 38))
        frames.append(img)
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Fast renderers for the demo: the same pictures as above, drawn in a few milliseconds.
#
# ``episode_figure`` and ``score_matrix_figure`` take 0.1-0.5 s each in matplotlib, mostly laying
# out and rasterising text, which is too slow for an interactive demo served on two cores. The
# helpers below draw the per-step panel and the animation with numpy (text: glyph masks rendered
# once by FreeType and cached), and the score-matrix heatmap from a matplotlib frame (axes, ticks,
# labels, colour bar) rendered once per matrix shape and cached, so a call only paints the cells
# and their values. All of them are thread-safe.

_TEXT = (17, 24, 39)
_MUTED = (75, 85, 99)
_KIND_COLOURS = {"trained": (107, 114, 128), "imagined": (29, 78, 216), "beyond training": (180, 83, 9)}
_DEAD_RGB = np.array([247, 247, 247])
_ALIVE_RGB = np.array([31, 41, 55])
_WRONG_RGB = np.array([220, 38, 38])
_GRID_RGB = 205

# The panels are drawn straight into palette indices (one byte a pixel): a grey ramp for boards and
# probabilities, a red ramp for errors, 16 anti-aliasing levels for each ink over white, white and
# the grid grey. Palette PNGs and GIFs then need no quantisation and encode several times faster.
_GREYS, _REDS, _INK_LEVELS = 128, 24, 16
_RED0 = _GREYS
_INKS = [_TEXT, _MUTED, *_KIND_COLOURS.values(), (0, 0, 0)]
_INK0 = _RED0 + _REDS
_WHITE = _INK0 + len(_INKS) * _INK_LEVELS
_GRID = _WHITE + 1


def _palette_rgb() -> np.ndarray:
    greys = _DEAD_RGB + (_ALIVE_RGB - _DEAD_RGB) * np.linspace(0.0, 1.0, _GREYS)[:, None]
    reds = _DEAD_RGB + (_WRONG_RGB - _DEAD_RGB) * np.linspace(0.0, 1.0, _REDS)[:, None]
    levels = np.arange(1, _INK_LEVELS + 1)[:, None] / _INK_LEVELS
    inks = [np.array(c) * levels + 255 * (1 - levels) for c in _INKS]
    colours = np.concatenate([greys, reds, *inks, [[255, 255, 255], [_GRID_RGB] * 3]])
    return np.clip(np.round(colours), 0, 255).astype(np.uint8)


PANEL_PALETTE = _palette_rgb()  # [n, 3] RGB of every palette index the panels use
_PALETTE_BYTES = PANEL_PALETTE.reshape(-1).tobytes() + bytes(768 - PANEL_PALETTE.size)
_FONTS = threading.local()  # FreeType faces are not shared between threads


def _font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (matplotlib's own font, so panel text matches the figures) at ``px`` pixels."""
    cache = _FONTS.__dict__.setdefault("fonts", {})
    key = (px, bold)
    if key not in cache:
        from matplotlib import font_manager

        try:
            props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
            cache[key] = ImageFont.truetype(font_manager.findfont(props), px)
        except (OSError, ValueError):  # pragma: no cover - matplotlib always ships DejaVu Sans
            cache[key] = ImageFont.load_default(px)
    return cache[key]


@functools.lru_cache(maxsize=8192)
def _glyphs(text: str, px: int, bold: bool, anchor: str) -> tuple[np.ndarray, int, int]:
    """Coverage mask of ``text`` (uint8 0..255) and its offset from the anchor point; rendered once."""
    font = _font(px, bold)
    left, top, right, bottom = font.getbbox(text, anchor=anchor)
    mask = Image.new("L", (max(1, int(right - left)), max(1, int(bottom - top))), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font, anchor=anchor)
    return np.asarray(mask), int(left), int(top)


def _text_width(text: str, px: int = 12, bold: bool = False) -> int:
    return _glyphs(text, px, bold, "la")[0].shape[1]


def _put_text(
    canvas: np.ndarray,
    xy: tuple[float, float],
    text: str,
    ink: int = 0,
    px: int = 12,
    bold: bool = False,
    anchor: str = "la",
) -> None:
    """Write ``text`` in ink ``ink`` (an index into _INKS) onto the white parts of an index canvas."""
    mask, dx, dy = _glyphs(text, px, bold, anchor)
    x0, y0 = int(round(xy[0])) + dx, int(round(xy[1])) + dy
    h, w = mask.shape
    ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x0 + w, canvas.shape[1]), min(y0 + h, canvas.shape[0])
    if ix0 >= ix1 or iy0 >= iy1:
        return
    level = (mask[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0].astype(np.uint16) * _INK_LEVELS + 127) // 255
    region = canvas[iy0:iy1, ix0:ix1]
    paint = (level > 0) & (region == _WHITE)
    region[paint] = (_INK0 + ink * _INK_LEVELS + level[paint] - 1).astype(np.uint8)


def _board_indices(board: np.ndarray, scale: int, kind: str = "board") -> np.ndarray:
    """A board (0/1 or probabilities) as palette indices with square cells and grid lines."""
    b = np.clip(np.asarray(board, dtype=np.float32), 0, 1)
    if kind == "error":
        idx = (_RED0 + np.round(b * (_REDS - 1))).astype(np.uint8)
    else:
        idx = np.round(b * (_GREYS - 1)).astype(np.uint8)
    img = np.repeat(np.repeat(idx, scale, axis=0), scale, axis=1)
    if scale >= 6:
        img[::scale, :] = _GRID
        img[:, ::scale] = _GRID
    return img


def _to_rgb(indices: np.ndarray) -> np.ndarray:
    return PANEL_PALETTE[indices]


def _to_image(indices: np.ndarray, palette: bytes = _PALETTE_BYTES) -> Image.Image:
    img = Image.fromarray(indices, mode="P")
    img.putpalette(palette)
    return img


def _palette_png(indices: np.ndarray, palette: bytes = _PALETTE_BYTES) -> bytes:
    """Palette indices as a PNG: lossless for a fixed palette, and a third of the time of RGB."""
    buf = io.BytesIO()
    _to_image(indices, palette).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def step_kind(ep: Episode, i: int) -> str:
    """'trained' (a decoding trained against the board), 'imagined', or 'beyond training'."""
    if i > ep.trained_horizon:
        return "beyond training"
    return "trained" if i in ep.trained_steps else "imagined"


_KIND_INK = {kind: 2 + k for k, kind in enumerate(_KIND_COLOURS)}


def panel_scale(board_shape: tuple[int, int], columns: int, max_width: int = 2000) -> int:
    """Pixels per cell so a board is about 140 px wide and ``columns`` boards fit in ``max_width``."""
    h, w = board_shape
    scale = max(2, min(12, 140 // max(h, w, 1)))
    while scale > 2 and columns * (w * scale + 12) + 190 > max_width:
        scale -= 1
    return scale


# A summary-task model's answers: (predicted, true) live cells per region [S+1, h, w], the task
# ("count", "patch", "grid") and how many board cells a region holds.
TaskMaps = tuple[np.ndarray, np.ndarray, str, int]


def _task_cell(answers: TaskMaps, i: int) -> str:
    pred, true, task, _ = answers
    if task == "count":
        return f"count {float(pred[i].reshape(-1)[0]):.1f} (true {round(float(true[i].sum()))})"
    right = int((np.round(pred[i]) == np.round(true[i])).sum())
    return f"{right}/{true[i].size} right"


def _map_indices(values: np.ndarray, unit: float, side: int) -> np.ndarray:
    """A summary map (live cells per region) as a grey square ``side`` px wide: whole pixels per region."""
    v = np.clip(np.asarray(values, np.float32) / max(unit, 1e-9), 0, 1)
    h, w = v.shape
    k = max(1, side // max(h, w))
    img = np.full((side, side), _WHITE, np.uint8)
    block = np.repeat(np.repeat(np.round(v * (_GREYS - 1)).astype(np.uint8), k, 0), k, 1)
    y0, x0 = (side - block.shape[0]) // 2, (side - block.shape[1]) // 2
    img[y0 : y0 + block.shape[0], x0 : x0 + block.shape[1]] = block[:side, :side]
    return img


def _panel_indices(
    ep: Episode,
    steps: Sequence[int] | None,
    scale: int | None,
    task: TaskMaps | None = None,
    title: str | None = None,
) -> np.ndarray:
    cols = list(range(ep.steps + 1)) if steps is None else [int(i) for i in steps]
    if not cols or min(cols) < 0 or max(cols) > ep.steps:
        raise ValueError(f"steps must be within 0..{ep.steps}, got {cols}")
    h, w = ep.true.shape[-2:]
    scale = panel_scale((h, w), len(cols)) if scale is None else int(scale)
    rows = [
        ("true", ep.true, "board"),
        ("decoded P", ep.decoded, "board"),
        ("imagined", ep.imagined, "board"),
        ("error", ep.errors, "error"),
    ]
    if task is not None and task[2] != "count":  # its answer (and the true one) as maps of live cells
        pred, true, name, unit = task
        rows += [(f"{name}: net", pred, ("map", unit)), (f"{name}: true", true, ("map", unit))]
    bw, bh = w * scale, h * scale
    col_w, gap, row_gap = max(bw, 84), 12, 8
    left, top_title, head_h, right = 84, 24, 34, 96
    foot_h = 34 + (15 if task is not None else 0)
    width = left + len(cols) * col_w + (len(cols) - 1) * gap + right
    grid_top = top_title + head_h
    height = grid_top + len(rows) * bh + (len(rows) - 1) * row_gap + foot_h + 6
    img = np.full((height, width), _WHITE, np.uint8)
    col_x = [left + k * (col_w + gap) + (col_w - bw) // 2 for k in range(len(cols))]
    row_y = [grid_top + r * (bh + row_gap) for r in range(len(rows))]
    for r, (name, data, kind) in enumerate(rows):
        _put_text(img, (6, row_y[r] + bh // 2), name, anchor="lm")
        for k, i in enumerate(cols):
            if isinstance(kind, tuple):
                block = _map_indices(data[i], kind[1], min(bw, bh))
                img[row_y[r] : row_y[r] + block.shape[0], col_x[k] : col_x[k] + block.shape[1]] = block
            else:
                img[row_y[r] : row_y[r] + bh, col_x[k] : col_x[k] + bw] = _board_indices(data[i], scale, kind)
    if title is None:
        title = f"True vs imagined boards, rule {ep.rule}; trained for {ep.trained_horizon} model steps"
    if _text_width(title, 13, True) > width - 12:
        title = f"rule {ep.rule}"
    _put_text(img, (6, 4), title, px=13, bold=True)
    for k, i in enumerate(cols):
        cx = col_x[k] + bw // 2
        kind = step_kind(ep, i)
        game = f" (game {ep.game_steps[i]})" if ep.game_steps[i] != i else ""
        _put_text(img, (cx, top_title + 2), f"step {i}{game}", anchor="ma")
        _put_text(img, (cx, top_title + 17), kind, _KIND_INK[kind], px=11, anchor="ma")
        fy = row_y[-1] + bh + 4
        _put_text(img, (cx, fy), f"acc {ep.accuracy[i]:.3f}", px=11, anchor="ma")
        _put_text(img, (cx, fy + 15), f"MCC {ep.mcc[i]:.3f}", px=11, anchor="ma")
        if task is not None:
            _put_text(img, (cx, fy + 30), _task_cell(task, i), px=11, anchor="ma")
    # colour bar for P(alive) beside the decoded row; a key for the error row
    cb_x, cb_y, cb_h = width - right + 14, row_y[1], bh
    ramp = np.round(np.linspace(_GREYS - 1, 0, cb_h)).astype(np.uint8)
    img[cb_y : cb_y + cb_h, cb_x : cb_x + 12] = ramp[:, None]
    muted = 1
    for frac, label in ((0.0, "1.0"), (0.5, "0.5"), (1.0, "0.0")):
        y = cb_y + int(frac * (cb_h - 1))
        img[y, cb_x + 12 : cb_x + 16] = _INK0 + muted * _INK_LEVELS + _INK_LEVELS - 1
        _put_text(img, (cb_x + 19, y), label, muted, px=11, anchor="lm")
    _put_text(img, (cb_x, cb_y - 3), "P(alive)", muted, px=11, anchor="ld")
    ky = row_y[3]
    img[ky + 2 : ky + 14, cb_x : cb_x + 12] = _RED0 + _REDS - 1
    img[ky + 20 : ky + 32, cb_x : cb_x + 12] = _GRID
    img[ky + 21 : ky + 31, cb_x + 1 : cb_x + 11] = 0
    _put_text(img, (cb_x + 16, ky + 8), "wrong", muted, px=11, anchor="lm")
    _put_text(img, (cb_x + 16, ky + 26), "right", muted, px=11, anchor="lm")
    if len(rows) > 4:
        _put_text(img, (cb_x, row_y[4] + 2), "live cells", muted, px=11)
        _put_text(img, (cb_x, row_y[4] + 17), "per region", muted, px=11)
    return img


PAGE_WIDTH = 710  # px: the demo's result column is 718 px wide at 1366 px; wider pictures wrap into bands


def page_scale(board_shape: tuple[int, int], columns: int) -> int:
    """Pixels per cell for the demo: boards ~100 px wide for a short run, ~72 px for a long one
    (a whole number of pixels per cell: a picture shown at its own size stays crisp)."""
    target = 100 if columns <= 5 else 72
    return max(1, min(12, target // max(board_shape)))


def wrapped_panel_indices(
    ep: Episode, task: TaskMaps | None = None, max_width: int = PAGE_WIDTH, scale: int | None = None
) -> np.ndarray:
    """``episode_panel`` in bands of as many steps as fit ``max_width``, stacked: a 50-step episode
    reads as rows of boards at their own size instead of one strip squeezed to the page."""
    h, w = ep.true.shape[-2:]
    scale = page_scale((h, w), ep.steps + 1) if scale is None else int(scale)
    col = max(w * scale, 84) + 12
    per_band = max(1, (max_width - 84 - 96 + 12) // col)
    steps = list(range(ep.steps + 1))
    bands = [steps[k : k + per_band] for k in range(0, len(steps), per_band)]
    parts = []
    for b, cols in enumerate(bands):
        span = f"steps {cols[0]}-{cols[-1]}" if len(cols) > 1 else f"step {cols[0]}"
        title = None if b == 0 else f"{span} (continued)"
        part = _panel_indices(ep, cols, scale, task, title)
        if part.shape[1] < parts[0].shape[1] if parts else False:
            pad = np.full((part.shape[0], parts[0].shape[1] - part.shape[1]), _WHITE, np.uint8)
            part = np.concatenate([part, pad], axis=1)
        parts.append(part)
    return np.concatenate(parts, axis=0)


def episode_panel(ep: Episode, steps: Sequence[int] | None = None, scale: int | None = None) -> np.ndarray:
    """The per-step grid as one RGB uint8 image: rows true / decoded P(alive) / imagined / error.

    Each column is a model step, headed by its step number, the game step it stands for and its
    kind (trained, imagined, beyond training); under it the step's accuracy and MCC. A colour bar
    gives the scale of the decoded probabilities and a key the colour of the error row. This is
    ``episode_figure`` drawn with numpy (a few ms instead of ~0.5 s), for the demo.
    """
    return _to_rgb(_panel_indices(ep, steps, scale))


def episode_panel_png(ep: Episode, steps: Sequence[int] | None = None, scale: int | None = None) -> bytes:
    """``episode_panel`` as PNG bytes (a palette PNG: lossless for these colours, and fast)."""
    return _palette_png(_panel_indices(ep, steps, scale))


def _frame_indices(ep: Episode, i: int, scale: int | None) -> np.ndarray:
    h, w = ep.true.shape[-2:]
    scale = panel_scale((h, w), 2) if scale is None else int(scale)
    boards = [
        ("true", _board_indices(ep.true[i], scale)),
        ("decoded P(alive)", _board_indices(ep.decoded[i], scale)),
        ("imagined", _board_indices(ep.imagined[i], scale)),
        ("error", _board_indices(ep.errors[i], scale, "error")),
    ]
    bw, bh = w * scale, h * scale
    col_w, gap, pad, head_h, label_h = max(bw, 130), 12, 8, 42, 16
    width = 2 * pad + 2 * col_w + gap
    height = head_h + 2 * (label_h + bh) + gap + pad
    img = np.full((height, width), _WHITE, np.uint8)
    for k, (name, board) in enumerate(boards):
        x = pad + (k % 2) * (col_w + gap) + (col_w - bw) // 2
        y = head_h + (k // 2) * (label_h + bh + gap) + label_h
        img[y : y + bh, x : x + bw] = board
        _put_text(img, (x + bw // 2, y - 3), name, px=11, anchor="md")
    kind = step_kind(ep, i)
    game = f" (game {ep.game_steps[i]})" if ep.game_steps[i] != i else ""
    title = f"step {i}{game}"
    _put_text(img, (pad, 4), title, px=13, bold=True)
    _put_text(img, (pad + _text_width(title, 13, True) + 8, 5), kind, _KIND_INK[kind])
    _put_text(img, (pad, 23), f"accuracy {ep.accuracy[i]:.3f}")  # two strings: each recurs, its glyphs are cached
    _put_text(img, (width - pad, 23), f"MCC {ep.mcc[i]:.3f}", anchor="ra")
    return img


def animation_frame(ep: Episode, i: int, scale: int | None = None) -> np.ndarray:
    """Step ``i`` as a 2 x 2 grid: true, decoded P(alive) / imagined, error; with its scores (RGB uint8)."""
    return _to_rgb(_frame_indices(ep, i, scale))


def episode_animation(ep: Episode, scale: int | None = None, ms_per_frame: int = 800) -> bytes:
    """An animated GIF of the episode, one ``animation_frame`` per step (loops forever).

    Frames are drawn straight in a fixed palette, so nothing is quantised: a whole animation
    takes a few milliseconds (``episode_gif`` takes ~0.1 s).
    """
    frames = [_to_image(_frame_indices(ep, i, scale)) for i in range(ep.steps + 1)]
    buf = io.BytesIO()
    frames[0].save(
        buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0, optimize=False
    )
    return buf.getvalue()


MATRIX_TITLE = "MCC of decoded step i vs true frame j"


def page_panel(ep: Episode, task: TaskMaps | None = None, max_width: int = PAGE_WIDTH) -> np.ndarray:
    """The demo's panel of an episode as RGB uint8 (``wrapped_panel_indices``): what the page shows."""
    return _to_rgb(wrapped_panel_indices(ep, task, max_width))


def episode_images(
    ep: Episode, matrix_title: str = MATRIX_TITLE, task: TaskMaps | None = None
) -> tuple[bytes, bytes, bytes]:
    """The demo's three pictures of an episode: (panel PNG, score-matrix PNG, animation GIF).

    The panel is wrapped into bands that fit the page (``wrapped_panel_indices``), with a
    summary-task model's answers beside its boards. One call from plain data to bytes, so a server
    can hand the drawing (most of an episode's CPU) to another process and keep its own core for
    answering requests.
    """
    matrix = score_matrix_png(ep.score_matrix(), ep.trained_steps, matrix_title)
    h, w = ep.true.shape[-2:]
    anim_scale = max(1, min(12, 100 // max(h, w)))
    return _palette_png(wrapped_panel_indices(ep, task)), matrix, episode_animation(ep, anim_scale)


def compare_panel_png(episodes: Sequence[Episode], names: Sequence[str], max_width: int = 1200) -> bytes:
    """One start board through several checkpoints: the true frames on top, then per checkpoint a row
    of the boards it imagines at each model step (decoding > 0.5), each step's MCC under it.

    Rows share the columns' model steps; a checkpoint that ran fewer steps leaves its row short.
    When the checkpoints' game steps differ (fewer model than game steps), each row gets its own
    true frames.
    """
    if not episodes or len(episodes) != len(names):
        raise ValueError("one name per episode, and at least one episode")
    h, w = episodes[0].true.shape[-2:]
    cols = max(ep.steps for ep in episodes) + 1
    scale = page_scale((h, w), cols)
    bw, bh = w * scale, h * scale
    left = max(96, 16 + max(_text_width(n, 12, True) for n in [*names, "true game"]))
    col_w, gap = max(bw, 70), 10
    shared = all(ep.game_steps == episodes[0].game_steps for ep in episodes) and len({ep.steps for ep in episodes}) == 1
    rows: list[tuple[str, str, Episode, str]] = []  # (label, sub-label, episode, what)
    if shared:
        rows.append(("true game", f"rule {episodes[0].rule}", episodes[0], "true"))
    for name, ep in zip(names, episodes, strict=True):
        if not shared:
            rows.append((name, "true game", ep, "true"))
        rows.append((name, "imagined", ep, "imagined"))
    head, row_h, foot = 40, bh + 22, 6
    width = left + cols * col_w + (cols - 1) * gap + 8
    height = head + len(rows) * (row_h + 8) + foot
    img = np.full((height, width), _WHITE, np.uint8)
    _put_text(img, (6, 4), "One start board, imagined by each checkpoint (MCC vs the true frame)", px=13, bold=True)
    for k in range(cols):
        _put_text(img, (left + k * (col_w + gap) + col_w // 2, 22), f"step {k}", anchor="ma")
    for r, (label, sub, ep, what) in enumerate(rows):
        y = head + r * (row_h + 8)
        _put_text(img, (6, y + bh // 2 - 8), label, px=12, bold=what == "imagined", anchor="lm")
        _put_text(img, (6, y + bh // 2 + 8), sub, 1, px=11, anchor="lm")
        for i in range(ep.steps + 1):
            x = left + i * (col_w + gap) + (col_w - bw) // 2
            data = ep.true[i] if what == "true" else ep.imagined[i]
            img[y : y + bh, x : x + bw] = _board_indices(data, scale)
            if what == "imagined":
                kind = step_kind(ep, i)
                _put_text(img, (x + bw // 2, y + bh + 3), f"MCC {ep.mcc[i]:.2f}", _KIND_INK[kind], px=11, anchor="ma")
            elif ep.game_steps[i] != i:
                _put_text(img, (x + bw // 2, y + bh + 3), f"game {ep.game_steps[i]}", 1, px=11, anchor="ma")
    return _palette_png(img)


@dataclass
class _HeatmapFrame:
    background: np.ndarray  # RGB, the figure with the cells left blank
    x_edges: np.ndarray  # pixel column of each cell boundary, left to right
    y_edges: np.ndarray  # pixel row of each cell boundary, top to bottom
    cell_area: tuple[slice, slice]  # the pixels of the cells (the axes' frame is drawn over them)
    font_px: int
    indices: np.ndarray  # the background in palette indices (< _HEAT0): a palette PNG encodes fast
    palette: np.ndarray  # [256, 3] RGB: the background's colours, then _HEAT_LEVELS viridis, white, black


_HEAT_LEVELS = 64  # viridis levels a cell's colour is rounded to (the colour bar shows the scale)
_HEAT0 = 256 - _HEAT_LEVELS - 2  # first palette entry of the cell colours; the last two are white and black ink


def _frame_palette(background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The background quantised to _HEAT0 colours (no dithering), plus the cells' colours and inks."""
    quant = Image.fromarray(background).quantize(_HEAT0, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    used = np.asarray(quant.getpalette()[: 3 * _HEAT0], np.uint8).reshape(-1, 3)
    palette = np.zeros((256, 3), np.uint8)
    palette[: len(used)] = used
    levels = np.linspace(0.0, 1.0, _HEAT_LEVELS)
    palette[_HEAT0 : _HEAT0 + _HEAT_LEVELS] = matplotlib.colormaps["viridis"](levels, bytes=True)[:, :3]
    palette[-2], palette[-1] = 255, 0
    return np.asarray(quant, np.uint8), palette


_HEATMAP_FRAMES: OrderedDict[tuple, _HeatmapFrame] = OrderedDict()
_MPL_LOCK = threading.Lock()  # pyplot keeps global state: one figure is built at a time


def _heatmap_frame(shape: tuple[int, int], trained: tuple[int, ...], title: str, dpi: int) -> _HeatmapFrame:
    key = (shape, trained, title, dpi)
    with _MPL_LOCK:
        frame = _HEATMAP_FRAMES.get(key)
        if frame is not None:
            _HEATMAP_FRAMES.move_to_end(key)
            return frame
        fig = score_matrix_figure(np.zeros(shape), trained, title)
        annotate = max(shape) <= ANNOTATE_MAX
        w, h = fig.get_size_inches()  # small matrices: room for the axis labels and the title
        fig.set_size_inches(max(w, 4.4), max(h, 3.6))
        ax = fig.axes[0]
        for text in list(ax.texts):
            text.remove()
        ax.images[0].set_visible(False)
        fig.set_dpi(dpi)
        fig.canvas.draw()
        background = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
        height = background.shape[0]
        m, g = shape
        xs = ax.transData.transform(np.column_stack([np.arange(g + 1) - 0.5, np.zeros(g + 1)]))[:, 0]
        ys = ax.transData.transform(np.column_stack([np.zeros(m + 1), np.arange(m + 1) - 0.5]))[:, 1]
        plt.close(fig)
        x_edges = np.round(xs).astype(int)
        y_edges = np.round(height - ys).astype(int)
        area = (slice(min(y_edges[0], y_edges[-1]), max(y_edges[0], y_edges[-1])), slice(x_edges[0], x_edges[-1]))
        indices, palette = _frame_palette(background)
        font_px = max(6, round(8 * dpi / 72)) if annotate else 0
        frame = _HeatmapFrame(background, x_edges, y_edges, area, font_px, indices, palette)
        _HEATMAP_FRAMES[key] = frame
        while len(_HEATMAP_FRAMES) > 32:
            _HEATMAP_FRAMES.popitem(last=False)
        return frame


def _score_matrix_indices(
    scores: np.ndarray, trained_model_steps: Sequence[int], title: str, dpi: int
) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(f"scores must be a non-empty 2-D matrix, got shape {scores.shape}")
    frame = _heatmap_frame(scores.shape, tuple(int(t) for t in trained_model_steps), title, int(dpi))
    img = frame.indices.copy()
    level = np.round(np.clip(np.nan_to_num(scores), 0.0, 1.0) * (_HEAT_LEVELS - 1)).astype(np.uint8) + _HEAT0
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
            mask, dx, dy = _glyphs(f"{v:.2f}", frame.font_px, False, "mm")
            x0 = int(round((xs[j] + xs[j + 1]) / 2)) + dx
            y0 = int(round((ys[i] + ys[i + 1]) / 2)) + dy
            region = img[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
            ink = 254 if v < 0.6 else 255  # white on dark cells, black on light ones
            region[mask[: region.shape[0], : region.shape[1]] >= 128] = ink
    return img, frame.palette


def score_matrix_image(
    scores: np.ndarray,
    trained_model_steps: Sequence[int] = (),
    title: str = "MCC: model step x game step",
    dpi: int = 100,
) -> np.ndarray:
    """``score_matrix_figure`` as an RGB uint8 image in a few ms (the frame is drawn once per shape).

    Same axes, labels, viridis colours on [0, 1], colour bar and cell values as the figure, which
    is drawn at least 4.4 x 3.6 inches so the labels of a small matrix are not cut. Drawn in a
    256-colour palette (``score_matrix_png`` encodes it as such): cells take one of 64 viridis
    levels, the frame is quantised once.
    """
    indices, palette = _score_matrix_indices(scores, trained_model_steps, title, dpi)
    return palette[indices]


def score_matrix_png(
    scores: np.ndarray,
    trained_model_steps: Sequence[int] = (),
    title: str = "MCC: model step x game step",
    dpi: int = 100,
) -> bytes:
    """``score_matrix_image`` as a palette PNG: a third of the time of an RGB one."""
    indices, palette = _score_matrix_indices(scores, trained_model_steps, title, dpi)
    return _palette_png(indices, palette.tobytes())


# ---------------------------------------------------------------------------------------------
# Interventions and checkpoint analyses (the demo's "Intervene" and "Beyond the paper" views)

_EDIT_BORN_RGB = np.array([29, 78, 216], np.uint8)  # the "imagined" blue: made alive by the edit
_EDIT_KILLED_RGB = np.array([252, 165, 165], np.uint8)  # pale red: killed by the edit


def edited_board_image(board: np.ndarray, reference: np.ndarray | None = None, scale: int = 12) -> np.ndarray:
    """``board_image`` of an edited board, with the cells that differ from ``reference`` coloured.

    Blue: alive in ``board``, dead in ``reference`` (the edit made it alive); pale red: the edit
    killed it. Without a reference it is ``board_image``.
    """
    img = board_image(board, scale)
    if reference is None:
        return img
    b = np.asarray(board) > 0.5
    r = np.asarray(reference) > 0.5
    if b.shape != r.shape:
        raise ValueError(f"board {b.shape} and reference {r.shape} differ in shape")

    def cells(mask: np.ndarray) -> np.ndarray:
        return np.repeat(np.repeat(mask, scale, axis=0), scale, axis=1)

    img[cells(b & ~r)] = _EDIT_BORN_RGB
    img[cells(~b & r)] = _EDIT_KILLED_RGB
    if scale >= 6:
        img[::scale, :, :] = _GRID_RGB
        img[:, ::scale, :] = _GRID_RGB
    return img


def intervention_panel_png(ep: Episode, step: int, scale: int | None = None) -> bytes:
    """``episode_panel_png`` of an intervened episode, the edited step's column framed in blue.

    Columns before ``step`` are the original run; from ``step`` on, the true row is the game's
    continuation of the edited board and the decodings are the network's from the edit.
    """
    if not 0 <= step <= ep.steps:
        raise ValueError(f"step must be within 0..{ep.steps}, got {step}")
    img = _panel_indices(ep, None, scale)
    # The geometry of _panel_indices: columns start at x=84, each max(board, 84) px wide, 12 px apart.
    h, w = ep.true.shape[-2:]
    scale = panel_scale((h, w), ep.steps + 1) if scale is None else int(scale)
    col_w, gap, left, top = max(w * scale, 84), 12, 84, 22
    x0 = left + step * (col_w + gap) - 5
    x1 = x0 + col_w + 10
    y1 = img.shape[0] - 3
    blue = _INK0 + _KIND_INK["imagined"] * _INK_LEVELS + _INK_LEVELS - 1
    for region in (
        img[top : top + 2, x0:x1],
        img[y1 - 2 : y1, x0:x1],
        img[top:y1, x0 : x0 + 2],
        img[top:y1, x1 - 2 : x1],
    ):
        region[region == _WHITE] = blue  # over white only: the column's text stays legible
    return _palette_png(img)


def curves_png(
    curves: Mapping[str, Sequence[float]],
    trained_steps: Mapping[str, int] | None = None,
    dpi: int = 100,
    **kwargs: object,
) -> bytes:
    """``curves_figure`` as PNG bytes; thread-safe (pyplot's global state is held under a lock)."""
    with _MPL_LOCK:
        return figure_png(curves_figure(curves, trained_steps, **kwargs), dpi)  # type: ignore[arg-type]
