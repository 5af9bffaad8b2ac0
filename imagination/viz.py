"""Deprecated: use ``imagination.figures``; kept one release.

The names ``imagination.viz`` had, re-exported from ``imagination.figures``. Gone with the move:
``episode_gif`` (unused; ``episode_animation`` draws the demo's GIF) and the RGB twins of the
demo's pictures that only tests called (``episode_panel``, ``episode_panel_png``, ``page_panel``,
``animation_frame``, ``score_matrix_image``): decode ``episode_images`` or ``score_matrix_png``.
"""

from imagination.figures import (
    ANNOTATE_MAX,
    BOARD_CMAP,
    ERROR_CMAP,
    MATRIX_TITLE,
    PAGE_WIDTH,
    PANEL_PALETTE,
    PROB_CMAP,
    TaskMaps,
    board_image,
    compare_panel_png,
    curves_figure,
    curves_panels,
    curves_png,
    edited_board_image,
    episode_animation,
    episode_figure,
    episode_images,
    figure_png,
    intervention_panel_png,
    page_scale,
    panel_scale,
    score_matrix_figure,
    score_matrix_png,
    step_kind,
)

__all__ = [
    "ANNOTATE_MAX",
    "BOARD_CMAP",
    "ERROR_CMAP",
    "MATRIX_TITLE",
    "PAGE_WIDTH",
    "PANEL_PALETTE",
    "PROB_CMAP",
    "TaskMaps",
    "board_image",
    "compare_panel_png",
    "curves_figure",
    "curves_panels",
    "curves_png",
    "edited_board_image",
    "episode_animation",
    "episode_figure",
    "episode_images",
    "figure_png",
    "intervention_panel_png",
    "page_scale",
    "panel_scale",
    "score_matrix_figure",
    "score_matrix_png",
    "step_kind",
]
