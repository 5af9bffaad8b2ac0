"""Every picture of the project: matplotlib figures for the docs, the README and the analyses
(``plots``), and the demo's fast renderers (``panels``, ``heatmap``), in one colour scheme (``colors``).

    from imagination import figures
    figures.figure_png(figures.episode_figure(ep), dpi=80)      # the docs' figure of an episode
    panel, matrix, gif = figures.episode_images(ep)             # the demo's three pictures, in ~20 ms

A picture that names a step or a frame takes the words of an ``Environment`` (``env=``), Life's by default.
"""

from imagination.figures.colors import BOARD_CMAP, ERROR_CMAP, PANEL_PALETTE, PROB_CMAP, SCORE_CMAP
from imagination.figures.heatmap import score_matrix_png
from imagination.figures.labels import Words, step_kind
from imagination.figures.panels import (
    ANIMATION_FRAMES,
    MATRIX_STEPS,
    MATRIX_TITLE,
    PAGE_WIDTH,
    TaskMaps,
    board_image,
    board_png,
    compare_panel_png,
    edited_board_image,
    episode_animation,
    episode_images,
    episode_panel_png,
    intervention_panel_png,
    page_scale,
    panel_scale,
    sampled_steps,
)
from imagination.figures.plots import (
    ANNOTATE_MAX,
    curves_figure,
    curves_panels,
    curves_png,
    emergence_figure,
    emergence_png,
    episode_figure,
    figure_png,
    horizon_figure,
    score_matrix_figure,
    thinking_figure,
)

__all__ = [
    "ANIMATION_FRAMES",
    "ANNOTATE_MAX",
    "BOARD_CMAP",
    "ERROR_CMAP",
    "MATRIX_STEPS",
    "MATRIX_TITLE",
    "PAGE_WIDTH",
    "PANEL_PALETTE",
    "PROB_CMAP",
    "SCORE_CMAP",
    "TaskMaps",
    "Words",
    "board_image",
    "board_png",
    "compare_panel_png",
    "curves_figure",
    "curves_panels",
    "curves_png",
    "edited_board_image",
    "emergence_figure",
    "emergence_png",
    "episode_animation",
    "episode_figure",
    "episode_images",
    "episode_panel_png",
    "figure_png",
    "horizon_figure",
    "intervention_panel_png",
    "page_scale",
    "panel_scale",
    "sampled_steps",
    "score_matrix_figure",
    "score_matrix_png",
    "step_kind",
    "thinking_figure",
]
