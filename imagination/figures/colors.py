"""The one colour scheme of every picture, so a board in the README looks like a board in the demo.

Each colour is written once, as RGB bytes. The matplotlib colormaps (``plots``) and the palette of
the fast renderer (``panels``, ``heatmap``) are both built from these constants.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Colormap, LinearSegmentedColormap, ListedColormap

RGB = tuple[int, int, int]

DEAD: RGB = (247, 247, 247)  # a 0 cell (off-white, so a board's edge shows on a white page)
ALIVE: RGB = (31, 41, 55)  # a 1 cell
WRONG: RGB = (220, 38, 38)  # an imagined cell that differs from the true one
GRID: RGB = (205, 205, 205)  # the lines between cells
WHITE: RGB = (255, 255, 255)
TEXT: RGB = (17, 24, 39)
MUTED: RGB = (75, 85, 99)
BLACK: RGB = (0, 0, 0)
# The kind of a model step (``labels.step_kind``): its heading's colour
KIND: dict[str, RGB] = {"trained": (107, 114, 128), "imagined": (29, 78, 216), "beyond training": (180, 83, 9)}
EDIT_BORN: RGB = KIND["imagined"]  # made alive by an edit of the imagined board
EDIT_KILLED: RGB = (252, 165, 165)  # killed by the edit (pale red)


def hex_colour(rgb: RGB) -> str:
    """``rgb`` as matplotlib writes a colour ("#rrggbb")."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# -- matplotlib -------------------------------------------------------------------------------------

BOARD_CMAP = ListedColormap([hex_colour(DEAD), hex_colour(ALIVE)], name="board")  # dead, alive
ERROR_CMAP = ListedColormap([hex_colour(DEAD), hex_colour(WRONG)], name="error")  # right, wrong
PROB_CMAP = LinearSegmentedColormap.from_list("probability", [hex_colour(DEAD), hex_colour(ALIVE)])  # P(alive)
SCORE_CMAP: Colormap = colormaps["viridis"]  # scores on [0, 1]: the score matrix in both renderers

# -- the fast renderer's palette ------------------------------------------------------------------
# Panels are drawn straight into palette indices (one byte a pixel): a ramp from dead to alive for
# boards and probabilities, one from dead to wrong for errors, INK_LEVELS anti-aliasing levels of
# each ink over white, then white and the grid. Palette PNGs and GIFs then need no quantisation.

GREYS, REDS, INK_LEVELS = 128, 24, 16
RED0 = GREYS  # first index of the error ramp
INKS: tuple[RGB, ...] = (TEXT, MUTED, *KIND.values(), BLACK)  # text colours, by their position here
INK0 = RED0 + REDS  # first index of the inks
WHITE_INDEX = INK0 + len(INKS) * INK_LEVELS
GRID_INDEX = WHITE_INDEX + 1
INK_TEXT, INK_MUTED = 0, 1
KIND_INK = {kind: 2 + k for k, kind in enumerate(KIND)}  # the ink of each step kind


def ink_index(ink: int, level: int = INK_LEVELS) -> int:
    """The palette index of ink ``ink`` (a position in INKS) at coverage ``level`` (1..INK_LEVELS)."""
    return INK0 + ink * INK_LEVELS + level - 1


def _ramp(lo: RGB, hi: RGB, n: int) -> np.ndarray:
    return np.array(lo) + (np.array(hi) - np.array(lo)) * np.linspace(0.0, 1.0, n)[:, None]


def _panel_palette() -> np.ndarray:
    levels = np.arange(1, INK_LEVELS + 1)[:, None] / INK_LEVELS
    inks = [np.array(c) * levels + 255 * (1 - levels) for c in INKS]
    colours = np.concatenate([_ramp(DEAD, ALIVE, GREYS), _ramp(DEAD, WRONG, REDS), *inks, [WHITE, GRID]])
    return np.clip(np.round(colours), 0, 255).astype(np.uint8)


PANEL_PALETTE = _panel_palette()  # [n, 3] RGB of every palette index the panels use
