"""Figures: true vs imagined frames, the step x step score matrix, animations and curves.

Matplotlib figures are what the demo, the README and the analyses share, so a picture in one
place looks the same everywhere. Callers close the figures they get (``plt.close(fig)``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

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


def score_matrix_figure(
    scores: np.ndarray, trained_model_steps: Sequence[int] = (), title: str = "MCC: model step x game step"
) -> Figure:
    """Heatmap of scores[i, j] (model step i decoded vs game step j), values written in the cells."""
    scores = np.asarray(scores)
    m, g = scores.shape
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * g, 0.8 + 0.55 * m), layout="constrained")
    im = ax.imshow(scores, cmap="viridis", vmin=0, vmax=1)
    for i in range(m):
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
    ax.set_xticks(range(g))
    ax.set_yticks(range(m))
    ax.set_yticklabels([f"{i}*" if i in trained_model_steps else str(i) for i in range(m)])
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
