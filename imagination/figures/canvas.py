"""Pictures drawn straight into palette indices (one byte a pixel): text, boards and their encoding.

The demo draws its panels and heatmaps here instead of in matplotlib, which spends 0.1-0.5 s a
figure laying out and rasterising text. Text is FreeType's glyph masks, rendered once per string
and cached; a fixed palette means PNGs and GIFs need no quantisation and encode several times faster.
"""

from __future__ import annotations

import functools
import io
import threading

import numpy as np
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from imagination.figures.colors import (
    GREYS,
    GRID_INDEX,
    INK_LEVELS,
    INK_TEXT,
    PANEL_PALETTE,
    RED0,
    REDS,
    WHITE_INDEX,
    ink_index,
)

_PALETTE_BYTES = PANEL_PALETTE.reshape(-1).tobytes() + bytes(768 - PANEL_PALETTE.size)
_FONTS = threading.local()  # FreeType faces are not shared between threads


def _font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (matplotlib's own font, so panel text matches the figures) at ``px`` pixels."""
    cache = _FONTS.__dict__.setdefault("fonts", {})
    key = (px, bold)
    if key not in cache:
        try:
            props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
            cache[key] = ImageFont.truetype(font_manager.findfont(props), px)
        except (OSError, ValueError):  # pragma: no cover - matplotlib always ships DejaVu Sans
            cache[key] = ImageFont.load_default(px)
    return cache[key]


@functools.lru_cache(maxsize=8192)
def glyphs(text: str, px: int, bold: bool, anchor: str) -> tuple[np.ndarray, int, int]:
    """Coverage mask of ``text`` (uint8 0..255) and its offset from the anchor point; rendered once."""
    font = _font(px, bold)
    left, top, right, bottom = font.getbbox(text, anchor=anchor)
    mask = Image.new("L", (max(1, int(right - left)), max(1, int(bottom - top))), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font, anchor=anchor)
    return np.asarray(mask), int(left), int(top)


def text_width(text: str, px: int = 12, bold: bool = False) -> int:
    return glyphs(text, px, bold, "la")[0].shape[1]


def put_text(
    canvas: np.ndarray,
    xy: tuple[float, float],
    text: str,
    ink: int = INK_TEXT,
    px: int = 12,
    bold: bool = False,
    anchor: str = "la",
) -> None:
    """Write ``text`` in ink ``ink`` (a position in ``colors.INKS``) onto the white parts of an index canvas."""
    mask, dx, dy = glyphs(text, px, bold, anchor)
    x0, y0 = int(round(xy[0])) + dx, int(round(xy[1])) + dy
    h, w = mask.shape
    ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x0 + w, canvas.shape[1]), min(y0 + h, canvas.shape[0])
    if ix0 >= ix1 or iy0 >= iy1:
        return
    level = (mask[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0].astype(np.uint16) * INK_LEVELS + 127) // 255
    region = canvas[iy0:iy1, ix0:ix1]
    paint = (level > 0) & (region == WHITE_INDEX)
    region[paint] = ink_index(ink, level[paint]).astype(np.uint8)


def blank(height: int, width: int) -> np.ndarray:
    """A white index canvas."""
    return np.full((height, width), WHITE_INDEX, np.uint8)


def board_indices(board: np.ndarray, scale: int, kind: str = "board") -> np.ndarray:
    """A board (0/1 or probabilities) as palette indices with square cells and grid lines."""
    b = np.clip(np.asarray(board, dtype=np.float32), 0, 1)
    if kind == "error":
        idx = (RED0 + np.round(b * (REDS - 1))).astype(np.uint8)
    else:
        idx = np.round(b * (GREYS - 1)).astype(np.uint8)
    img = np.repeat(np.repeat(idx, scale, axis=0), scale, axis=1)
    if scale >= 6:
        img[::scale, :] = GRID_INDEX
        img[:, ::scale] = GRID_INDEX
    return img


def to_rgb(indices: np.ndarray) -> np.ndarray:
    return PANEL_PALETTE[indices]


def to_image(indices: np.ndarray, palette: bytes = _PALETTE_BYTES) -> Image.Image:
    img = Image.fromarray(indices, mode="P")
    img.putpalette(palette)
    return img


def palette_png(indices: np.ndarray, palette: bytes = _PALETTE_BYTES, compress_level: int = 1) -> bytes:
    """Palette indices as a PNG: lossless for a fixed palette, and a third of the time of RGB.

    zlib's fastest level by default (the demo draws while a user waits); 9 halves a picture that is stored.
    """
    buf = io.BytesIO()
    to_image(indices, palette).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()
