"""imagination.figures: one colour scheme for both renderers, figures drawn side by side in threads,
an environment's words in the pictures, and the deprecated imagination.viz naming the same objects."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from PIL import Image

from imagination import figures, viz
from imagination.envs import Environment, LifeEnvironment
from imagination.episode import Episode
from imagination.figures import colors


def rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def colours(img: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in c) for c in np.unique(img.reshape(-1, 3), axis=0)}


@pytest.fixture(scope="module")
def episode() -> Episode:
    """Three steps of a made-up run, the last one wrong in a corner: no model needed to draw it."""
    true = np.zeros((4, 8, 8), np.uint8)
    true[:, 3, 2:5] = 1  # a blinker ...
    true[1::2, 3, 2:5], true[1::2, 2:5, 3] = 0, 1  # ... blinking
    decoded = true.astype(np.float32) * 0.9 + 0.05
    decoded[3, 0, 0] = 0.8
    return Episode(true[0], true, decoded, [0, 2, 4, 6], 2, [0, 2], "B3/S23")


class Corridor(Environment):
    """An environment with words of its own (its frames are never made here)."""

    name: ClassVar[str] = "corridor"
    step_word: ClassVar[str] = "round"
    frame_word: ClassVar[str] = "maze"
    alive_word: ClassVar[str] = "open"
    dead_word: ClassVar[str] = "wall"

    def settings(self) -> dict[str, Any]:
        return {"name": self.name}

    def rollout(self, start: torch.Tensor, steps: int) -> torch.Tensor:
        raise NotImplementedError

    def eval_episodes(self, n: int, steps: int, size: int, seed: int) -> torch.Tensor:
        raise NotImplementedError

    def training_episodes(
        self, n: int, steps: int, size: int, generator: torch.Generator, options: Any
    ) -> torch.Tensor:
        raise NotImplementedError

    def start(self, source: str, **kwargs: Any) -> tuple[np.ndarray, str]:
        raise NotImplementedError


def test_the_colormaps_and_the_panel_palette_are_one_scheme() -> None:
    palette = figures.PANEL_PALETTE
    assert np.array_equal(figures.BOARD_CMAP([0.0, 1.0], bytes=True)[:, :3], palette[[0, colors.GREYS - 1]])
    wrong = [colors.RED0, colors.RED0 + colors.REDS - 1]
    assert np.array_equal(figures.ERROR_CMAP([0.0, 1.0], bytes=True)[:, :3], palette[wrong])
    ramp = figures.PROB_CMAP(np.linspace(0.0, 1.0, colors.GREYS), bytes=True)[:, :3].astype(int)
    # within 1 of 255: the colormap's 256-entry table, truncated to bytes, against the palette's 128 rounded levels
    # (matplotlib's "Greys", the figures' map before, is up to 55 off)
    assert np.abs(ramp - palette[: colors.GREYS]).max() <= 1
    for kind, ink in colors.KIND_INK.items():
        assert tuple(palette[colors.ink_index(ink)]) == colors.KIND[kind]


def test_both_renderers_paint_boards_and_errors_in_the_same_colours(episode: Episode) -> None:
    figure = rgb(figures.figure_png(figures.episode_figure(episode), dpi=100))
    panel, _, _ = figures.episode_images(episode)
    wanted = {colors.DEAD, colors.ALIVE, colors.WRONG}
    assert wanted <= colours(figure) and wanted <= colours(rgb(panel))


def test_figures_drawn_in_threads_are_the_figures_drawn_alone(episode: Episode) -> None:
    curves = [{"accuracy": [1.0, 0.9 - k / 50, 0.8, 0.5 + k / 20]} for k in range(6)]
    alone = [figures.curves_png(c, {"accuracy": 2}) for c in curves]
    matrix = figures.figure_png(figures.score_matrix_figure(episode.score_matrix(), episode.trained_steps))
    with ThreadPoolExecutor(4) as pool:  # no lock anywhere: each call draws its own Figure
        side_by_side = list(pool.map(lambda c: figures.curves_png(c, {"accuracy": 2}), curves * 2))
        matrices = list(
            pool.map(
                lambda _: figures.figure_png(
                    figures.score_matrix_figure(episode.score_matrix(), episode.trained_steps)
                ),
                range(4),
            )
        )
    assert side_by_side == alone * 2 and len(set(alone)) == len(curves)
    assert matrices == [matrix] * 4


def test_the_pictures_take_an_environments_words(episode: Episode) -> None:
    fig = figures.score_matrix_figure(episode.score_matrix(), env=Corridor())
    assert fig.axes[0].get_xlabel() == "round j (true maze)" and fig.axes[0].get_title() == "MCC: model step x round"
    default = figures.score_matrix_figure(episode.score_matrix()).axes[0]
    assert default.get_xlabel() == "game step j (true board)" and default.get_title() == "MCC: model step x game step"
    titles = [ax.get_title() for ax in figures.episode_figure(episode, env=Corridor()).axes[:4]]
    assert titles[1] == "step 1 (round 2)\nimagined"
    # Life's words are the pictures' own words; another environment's change them
    life = LifeEnvironment()
    assert figures.episode_images(episode, env=life) == figures.episode_images(episode)
    corridor = figures.episode_images(episode, env=Corridor())
    assert all(a != b for a, b in zip(corridor, figures.episode_images(episode), strict=True))
    assert figures.compare_panel_png([episode], ["a"], env=life) == figures.compare_panel_png([episode], ["a"])
    assert figures.compare_panel_png([episode], ["a"], env=Corridor()) != figures.compare_panel_png([episode], ["a"])


def test_the_deprecated_viz_names_the_same_objects() -> None:
    assert viz.__all__ and all(getattr(viz, name) is getattr(figures, name) for name in viz.__all__)
