"""Matplotlib figures of an episode, a score matrix and accuracy curves: the pictures of the docs,
the README and the analyses.

Drawn through matplotlib's object API (``Figure`` on an Agg canvas), not pyplot: a figure is its
own object, so threads can draw figures side by side without a lock, and nothing needs closing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from imagination.envs import Environment
from imagination.episode import Episode
from imagination.figures.colors import BOARD_CMAP, ERROR_CMAP, KIND, PROB_CMAP, SCORE_CMAP, hex_colour
from imagination.figures.labels import Words, step_heading, step_kind

ANNOTATE_MAX = 13  # a matrix up to this many rows and columns has its values written in the cells


def _figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches with constrained layout, on its own Agg canvas."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def episode_figure(ep: Episode, max_columns: int = 12, env: Environment | None = None) -> Figure:
    """Rows: true frame, decoded probabilities, imagined board (>0.5), error; one column a step."""
    words = Words.of(env)
    n = min(ep.steps + 1, max_columns)
    rows = [
        ("true", ep.true, BOARD_CMAP),
        ("decoded p", ep.decoded, PROB_CMAP),
        ("imagined", ep.imagined, BOARD_CMAP),
        ("error", ep.errors, ERROR_CMAP),
    ]
    fig = _figure(1.55 * n + 1.2, 1.55 * len(rows) + 0.9)
    axes = fig.subplots(len(rows), n, squeeze=False)
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
                kind = step_kind(ep, i)
                ax.set_title(f"{step_heading(ep, i, words)}\n{kind}", fontsize=8, color=hex_colour(KIND[kind]))
            if r == len(rows) - 1:
                ax.set_xlabel(f"acc {ep.accuracy[i]:.3f}\nMCC {ep.mcc[i]:.3f}", fontsize=8)
    if prob_im is not None:
        fig.colorbar(prob_im, ax=axes[1, :].tolist(), shrink=0.9, label=f"P({words.alive})")
    rule = f" ({ep.rule})" if ep.rule else ""
    fig.suptitle(f"What the network imagines{rule}: true frames vs decoded hidden states", fontsize=10)
    return fig


def score_matrix_title(env: Environment | None = None) -> str:
    """The score matrix's default title: "MCC: model step x game step" in the environment's words."""
    return f"MCC: model step x {Words.of(env).step}"


def score_matrix_figure(
    scores: np.ndarray,
    trained_model_steps: Sequence[int] = (),
    title: str | None = None,
    annotate: bool | None = None,
    env: Environment | None = None,
    steps: Sequence[int] | None = None,
) -> Figure:
    """Heatmap of scores[i, j] (model step i decoded vs game step j), values written in the cells.

    A long run's matrix (more than ANNOTATE_MAX steps) has no values in its cells, which would be
    too small to read; its cells are 11 px at 100 dpi and every fifth step is labelled, so the
    picture stays about as wide as the page instead of being squeezed into a blur. ``steps``: the
    step each row and column stands for, where the matrix is a sample of a longer run's (default 0, 1, ...).
    """
    words = Words.of(env)
    scores = np.asarray(scores)
    m, g = scores.shape
    rows = list(range(m)) if steps is None else [int(s) for s in steps]
    cols = list(range(g)) if steps is None else rows
    annotate = max(m, g) <= ANNOTATE_MAX if annotate is None else annotate
    width, height = (1.0 + 0.6 * g, 0.8 + 0.55 * m) if annotate else (1.7 + 0.11 * g, 1.3 + 0.11 * m)
    fig = _figure(width, height)
    ax = fig.subplots()
    im = ax.imshow(scores, cmap=SCORE_CMAP, vmin=0, vmax=1)
    for i in range(m if annotate else 0):
        for j in range(g):
            colour = "white" if scores[i, j] < 0.6 else "black"
            ax.text(j, i, f"{scores[i, j]:.2f}", ha="center", va="center", fontsize=8, color=colour)
    every = 1 if annotate else 5
    ax.set_xticks(range(0, g, every))
    ax.set_yticks(range(0, m, every))
    if steps is not None:
        ax.set_xticklabels([str(cols[j]) for j in range(0, g, every)])
    ax.set_yticklabels([f"{rows[i]}*" if rows[i] in trained_model_steps else str(rows[i]) for i in range(0, m, every)])
    ax.set_xlabel(f"{words.step} j (true {words.frame})")
    ax.set_ylabel("model step i (decoded)  * = trained")
    ax.set_title(score_matrix_title(env) if title is None else title, fontsize=10)
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
    fig = _figure(7, 4)
    ax = fig.subplots()
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


def curves_png(
    curves: Mapping[str, Sequence[float]],
    trained_steps: Mapping[str, int] | None = None,
    dpi: int = 100,
    **kwargs: object,
) -> bytes:
    """``curves_figure`` as PNG bytes (what the demo shows; safe to call from several threads)."""
    return figure_png(curves_figure(curves, trained_steps, **kwargs), dpi)  # type: ignore[arg-type]


def curves_panels(
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    horizons: Mapping[str, int],
    ylabel: str = "decoded accuracy vs true game",
    threshold: float = 0.99,
) -> Figure:
    """Small multiples: one panel per group (e.g. trained horizon), so twenty curves stay readable."""
    fig = _figure(4.2 * len(panels), 4)
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    for ax, (title, curves) in zip(axes, panels.items(), strict=True):
        for name, ys in curves.items():
            ax.plot(range(len(ys)), ys, marker="o", ms=3, label=name)
        for h in sorted({horizons[n] for n in curves}):
            ax.axvline(h, color="black", ls=":", lw=1)
        ax.axhline(threshold, color="grey", ls="--", lw=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("model step (dotted: trained horizon; dashed: 99%)", fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel(ylabel)
    return fig


def horizon_figure(
    accuracy: Mapping[str, Sequence[float]], drift: Mapping[str, Sequence[float]], threshold: float = 0.99
) -> Figure:
    """Left: decoded accuracy against the true game per model step; right: on an all-dead board, the state's
    distance from its start (log scale), which an unstable fixed point grows by a constant factor a step."""
    fig = _figure(10, 4)
    left, right = fig.subplots(1, 2)
    for name, ys in accuracy.items():
        left.plot(range(len(ys)), ys, lw=1.2, label=name)
    left.axhline(threshold, color="grey", ls="--", lw=1, label=f"{threshold:.0%}")
    left.set_ylabel("decoded accuracy vs true game")
    for name, ys in drift.items():
        right.semilogy(range(1, len(ys)), ys[1:], lw=1.2, label=name)
    right.axhline(1.0, color="grey", ls="--", lw=1)
    right.set_ylabel("all-dead board: |h_t - h_0| / |h_0|")
    for ax in (left, right):
        ax.set_xlabel("model step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def thinking_figure(sizes: Mapping[str, Mapping[str, Sequence[float]]], rounds: Mapping[str, int]) -> Figure:
    """Solve rate against iterations, one panel per maze size (``sizes[size][checkpoint]``, one value per core
    step), a dotted line at the rounds dead-end filling needs for that set's hardest maze: does running longer
    reach the answer on a bigger maze, and does the answer, once reached, stay?"""
    fig = _figure(4.2 * len(sizes), 3.8)
    axes = np.atleast_1d(fig.subplots(1, len(sizes), sharey=True))
    colour = {name: f"C{i}" for i, name in enumerate(dict.fromkeys(n for curves in sizes.values() for n in curves))}
    for ax, (size, curves) in zip(axes, sizes.items(), strict=True):
        for name, ys in curves.items():
            ax.plot(range(len(ys)), ys, lw=1.4, label=name, color=colour[name])  # one colour a checkpoint
        ax.axvline(rounds[size], color="black", ls=":", lw=1)
        ax.set_title(f"{size}-cell mazes", fontsize=10)
        ax.set_xlabel("core iterations (dotted: the hardest maze's rounds)", fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("mazes solved (every pixel of the path)")
    return fig


def emergence_figure(
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    level: float = 0.9,
    bar: float = 0.01,
    title: str = "When the imagination emerges: every regime's training snapshots",
) -> Figure:
    """Interpretability (solid, left axis) and final-board error (dashed, right axis, log) against training
    step (0 = initialisation; log-spaced beyond), one colour per run, from its snapshots.json records."""
    fig = _figure(7.2, 4.2)
    ax = fig.subplots()
    err = ax.twinx()
    handles = []
    for name, records in runs.items():
        steps = [r["step"] for r in records]
        line = ax.plot(steps, [r["interpretability"] for r in records], marker="o", ms=3, label=f"{name}")[0]
        errors = [max(r["final_error"], 1e-5) for r in records]  # an exact answer still shows, at the floor
        err.plot(steps, errors, ls="--", marker="x", ms=3, lw=1, color=line.get_color())
        handles.append(line)
    ax.axhline(level, color="grey", ls=":", lw=1)
    err.axhline(bar, color="grey", ls="-.", lw=1)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(left=0)
    ax.set_ylim(-0.02, 1.02)
    err.set_yscale("log")
    err.set_ylim(1e-5, 1)
    ax.set_xlabel("training step (optimiser steps; 0 = initialisation)")
    ax.set_ylabel(f"interpretability (solid; dotted: {level:g})")
    err.set_ylabel(f"final-board error (dashed; dash-dot: {bar:.0%})")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, fontsize=8, loc="center left")
    return fig


def emergence_png(runs: Mapping[str, Sequence[Mapping[str, Any]]], dpi: int = 100, **kwargs: Any) -> bytes:
    """``emergence_figure`` as PNG bytes (what the demo shows)."""
    return figure_png(emergence_figure(runs, **kwargs), dpi)
