"""Every value a visitor gives the demo, checked: numbers, names, start frames, pattern text, uploads, drawings.

Each value may come from a web form or a raw API call, so each is checked here, with a message
that names the field, says what it must be, and never repeats a long input back. Start frames
come from the checkpoint's environment (``Environment.start`` for its own sources: Life's gliders,
random cells and classic patterns) or, for every environment, from pattern text a visitor pasted,
uploaded, drew or clicked ("text"). Nothing here needs a web framework to be tested.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from imagination import life, patterns
from imagination.envs import Environment

# Where the environment is not known (``Environment``'s defaults; Life's sizes): an environment sets its own.
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 8, 64, 20
MAX_STEPS = 50
MAX_SEED = 2**63 - 1
MAX_UPLOAD_BYTES = 1_000_000
MAX_TEXT_CHARS = 200_000  # pattern text: a 64x64 plaintext is ~4,200 characters, an RLE far less
MAX_NAME_CHARS = 300  # checkpoint names, rules, pattern names
DEFAULT_DENSITY = 0.4
# The one source every environment has beside its own: a frame as pattern text (pasted, uploaded,
# drawn, or clicked cell by cell).
TEXT_SOURCE, TEXT_LABEL = "text", "RLE / plaintext / upload / drawing"


class InputError(ValueError):
    """A value a visitor typed or sent that cannot be used; the message says what to do instead."""


def shown(value: Any, limit: int = 24) -> str:
    """A short representation of a bad value for a message: long input is cut, never echoed whole."""
    text = repr(value)
    return (
        text if len(text) <= limit else text[: limit - 5] + "...'" if isinstance(value, str) else text[:limit] + "..."
    )


def plural(n: int, word: str) -> str:
    """'1 row', '3 rows'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return shown(value)


# ---------------------------------------------------------------------------------------------
# Scalars


def whole_number(value: Any, what: str, lo: int, hi: int) -> int:
    """``value`` as an int in [lo, hi]; a number-like string is fine, 2.5 or "abc" or True is not."""
    wanted = f"{what} must be a whole number from {lo} to {hi}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(f"{wanted}, got {_kind(value)}")
    if isinstance(value, str):
        if len(value) > 40:
            raise InputError(f"{wanted}, got a {len(value):,}-character text")
        try:
            value = float(value.strip())
        except ValueError:
            raise InputError(f"{wanted}, got {shown(value)}") from None
    if not math.isfinite(value) or value != int(value):
        raise InputError(f"{wanted}, got {shown(value)}")
    if not lo <= value <= hi:
        raise InputError(f"{wanted}, got {int(value)}")
    return int(value)


def fraction(value: Any, what: str) -> float:
    """``value`` as a float in [0, 1] (densities)."""
    wanted = f"{what} must be a number from 0 to 1"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(f"{wanted}, got {_kind(value)}")
    try:
        f = float(value.strip() if isinstance(value, str) and len(value) <= 40 else value)
    except (TypeError, ValueError):
        raise InputError(f"{wanted}, got {shown(value)}") from None
    if not (math.isfinite(f) and 0.0 <= f <= 1.0):
        raise InputError(f"{wanted}, got {shown(value)}")
    return f


def text(value: Any, what: str, limit: int = MAX_NAME_CHARS) -> str:
    """``value`` as a string (None is empty) of at most ``limit`` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{what} must be text, got {_kind(value)}")
    if len(value) > limit:
        raise InputError(f"{what} is {len(value):,} characters long; the limit is {limit:,}")
    return value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def size_of(value: Any, env: Environment | None = None) -> int:
    """A size in ``env``'s range (a board's side, a maze's cells); Life's 8..64 where no environment is given."""
    if env is None:
        return whole_number(value, "board size", MIN_SIZE, MAX_SIZE)
    return whole_number(value, f"{env.frame_word} size", env.min_size, env.max_size)


def model_steps(value: Any, default: int, limit: int = MAX_STEPS) -> int:
    """Model steps to run: empty means the checkpoint's own ``default``; else a whole number 1..``limit``
    (its environment's ``max_steps``)."""
    if _empty(value):
        return default
    return whole_number(value, "steps", 1, limit)


def variant(env: Environment, value: Any) -> str:
    """The variant the true frames follow, as the environment writes it ("B36/S23"): the checkpoint's
    own when empty; a label of the environment's menu (``env.variants``) is accepted too."""
    raw = text(value, "the rule").strip()
    if not raw:
        return env.variant()
    raw = env.variants.get(raw, raw)
    try:
        return env.with_variant(raw).variant()
    except ValueError as e:
        msg = str(e) if len(raw) <= 40 else f"{shown(raw)} is not a rule of {env.title or env.name}"
        menu = f"; or pick one of {', '.join(env.variants)}" if env.variants else ""
        raise InputError(f"Rule: {msg}{menu}") from None


# ---------------------------------------------------------------------------------------------
# Start frames


def sources(env: Environment) -> dict[str, str]:
    """Where a start frame can come from (key -> what the page calls it): the environment's own, then text."""
    return {**env.sources, TEXT_SOURCE: TEXT_LABEL}


_SIZE_LIMIT = re.compile(r"pattern is (\d+) x (\d+) cells")


def parse_text(
    value: Any, size: int | None = None, what: str = "Board", sep: str = ": ", env: Environment | None = None
) -> np.ndarray:
    """Pattern text (RLE or plaintext) -> uint8 frame; placed on the frame of ``size`` if given: where ``env``
    puts it (``Environment.place``: a maze at its top-left corner), else centred as a pattern.

    A pattern larger than the board is cut to its live cells first; when even those do not fit,
    the message names the size they need and the largest board the app offers.
    """
    raw = text(value, "the pattern text", MAX_TEXT_CHARS)
    try:
        board = patterns.parse_pattern(raw)
    except patterns.PatternError as e:
        m = _SIZE_LIMIT.search(e.reason)
        if m:
            w, h = int(m.group(1)), int(m.group(2))
            raise InputError(
                f"{what}: the pattern is {plural(w, 'column')} x {plural(h, 'row')}; the largest board here is "
                f"{MAX_SIZE} x {MAX_SIZE}"
            ) from None
        raise InputError(f"{what}{sep}{e}") from None
    cells = (np.asarray(board) > 0.5).astype(np.uint8)
    if size is None:
        return cells
    try:
        placed = None if env is None else env.place(cells, size)
    except ValueError as e:
        raise InputError(f"{what}{sep}{e}") from None
    if placed is not None:
        return np.asarray(placed, np.uint8)
    if cells.shape[0] > size or cells.shape[1] > size:
        live = patterns.trim(torch.from_numpy(cells.astype(np.float32))).numpy().astype(np.uint8)
        h, w = live.shape
        need = max(h, w)
        span = f"{plural(w, 'column')} x {plural(h, 'row')}"
        if need > MAX_SIZE:
            raise InputError(
                f"{what}: the pattern's live cells span {span}; the largest board here is {MAX_SIZE} x {MAX_SIZE}"
            )
        if need > size:
            raise InputError(
                f"{what}: the pattern's live cells span {span}, more than the {size} x {size} board; "
                f"set the board size to {need} or more (at most {MAX_SIZE})"
            )
        cells = live
    return patterns.place(torch.from_numpy(cells.astype(np.float32)), size).numpy().astype(np.uint8)


def start_board(
    env: Environment, source: Any, seed: Any, density: Any, size: Any, pattern: Any, pattern_text: Any
) -> tuple[np.ndarray, str]:
    """The start frame [size, size] (uint8 0/1) and a phrase saying what it is.

    An environment's own sources all take a seed and a density (empty: 0 and the default density)
    and the pattern field as their one extra; text is read here, the same for every environment.
    """
    n = size_of(size, env)
    frame = env.frame_word
    src = text(source, f"the {frame} source").strip()
    if src == TEXT_SOURCE:
        board = checked(env, parse_text(pattern_text, n, what=frame.capitalize(), env=env))
        return board, f"a pasted/drawn {n}x{n} {frame}"
    if src not in env.sources:
        raise InputError(f"unknown {frame} source {shown(src)}; choose one of {', '.join(sources(env))}")
    s = 0 if _empty(seed) else whole_number(seed, "seed", 0, MAX_SEED)
    d = DEFAULT_DENSITY if _empty(density) else fraction(density, "density")
    name = text(pattern, "the pattern name").strip()
    try:
        board, what = env.start(src, size=n, seed=s, density=d, pattern=name)
    except ValueError as e:  # the environment's own words, under the field's name
        msg, field = str(e), frame.capitalize()
        raise InputError(msg if msg.startswith(f"{field}:") else f"{field}: {msg}") from None
    return (np.asarray(board) > 0).astype(np.uint8), what


def checked(env: Environment, frame: np.ndarray) -> np.ndarray:
    """``frame`` if it is a start of ``env`` (``Environment.check``: a maze's start and goal open)."""
    try:
        env.check(frame)
    except ValueError as e:
        raise InputError(f"{env.frame_word.capitalize()}: {e}") from None
    return frame


def edited_board(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """An edited imagined board from its RLE / plaintext; it must be exactly the episode's size."""
    raw = text(value, "Edited board", MAX_TEXT_CHARS)
    if not raw.strip():
        raise InputError("Edited board: empty; show the imagined board at step i first, then click cells to edit it")
    got = parse_text(raw, None, what="Edited board")
    if got.shape != tuple(shape):
        raise InputError(
            f"Edited board: it is {got.shape[1]}x{got.shape[0]} (columns x rows) but the episode's boards are "
            f"{shape[1]}x{shape[0]}; edit the imagined board of this episode (/imagined_board gives it as RLE "
            "with its full size)"
        )
    return got


def toggled(board: np.ndarray, row: Any, col: Any) -> np.ndarray:
    """A copy of ``board`` with cell (row, col) flipped."""
    h, w = board.shape
    r = whole_number(row, "row", 0, h - 1)
    c = whole_number(col, "column", 0, w - 1)
    out = board.copy()
    out[r, c] ^= 1
    return out


def preview_scale(size: int, target: int = 240) -> int:
    """Whole pixels per cell so a board is about ``target`` px wide (whole factors stay crisp)."""
    return max(4, target // size)


def cell_at(x: Any, y: Any, board_shape: tuple[int, int], image_size: tuple[int, int]) -> tuple[int, int]:
    """The (row, column) under pixel (x, y) of a board image of ``image_size`` (width, height)."""
    h, w = board_shape
    iw, ih = image_size
    col = int(float(x) * w // max(iw, 1))
    row = int(float(y) * h // max(ih, 1))
    if not (0 <= row < h and 0 <= col < w):
        raise InputError(f"cell (row {row}, column {col}) is outside the {w} x {h} board")
    return row, col


def clicked_cell(board: np.ndarray, index: Any) -> tuple[int, int]:
    """The cell under a click at pixel ``index`` (x, y) of the board's preview (``preview_scale``)."""
    if not (isinstance(index, (list, tuple)) and len(index) == 2):
        raise InputError("a click on the board must carry its pixel (x, y)")
    scale = preview_scale(board.shape[0])
    return cell_at(index[0], index[1], board.shape, (board.shape[1] * scale, board.shape[0] * scale))


def board_rle(board: np.ndarray, rule: str = life.LIFE) -> str:
    """A frame as RLE; the header names the rule only where it is a Life rule (another world's label is not)."""
    try:
        known: str | None = str(life.parse_rule(rule))
    except ValueError:
        known = None
    return patterns.write_rle(torch.from_numpy(np.asarray(board, dtype=np.float32)), known)


def frame_rle(board: np.ndarray, env: Environment) -> str:
    """A start frame of ``env`` as RLE: a Life board's header names Life's rule as it always has, a frame of
    an environment without rules (a maze) names none."""
    return board_rle(board, life.LIFE if env.variant() else "")


def rle_rule(value: Any) -> str:
    """The rule in an RLE header, "" where it names none (a maze's), to write an edited frame back with the
    same header; Life's where the text is no RLE."""
    try:
        _, rule = patterns.parse_rle_with_rule(value or "")
        return str(life.parse_rule(rule)) if rule else ""
    except (ValueError, TypeError):  # PatternError is a ValueError, and so is a malformed rule
        return life.LIFE


def board_digest(board: np.ndarray) -> str:
    """sha256 of the board's shape and cells, so a client can check it got the board it asked for."""
    b = np.ascontiguousarray(board, dtype=np.uint8)
    return hashlib.sha256(f"{b.shape[0]}x{b.shape[1]}:".encode() + b.tobytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Uploads and drawings: files the web framework has already received (FileData objects)


def uploaded_path(value: Any, what: str) -> Path:
    """The local path of an uploaded file as the client sent it (a FileData object, which the web
    framework has already checked lies in its upload folder)."""
    path = value.get("path") if isinstance(value, dict) else None
    if not isinstance(path, str) or not path:
        raise InputError(f"{what}: no file received")
    return Path(path)


def decode_upload(data: bytes, name: str) -> str:
    """An uploaded pattern file as text: a byte-order mark is dropped, and a file that is not UTF-8
    (a Latin-1 accent in a comment, as older pattern collections have) is read as Windows-1252/Latin-1.
    Only a file with NUL bytes (binary) is refused."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"Upload: {name} is {len(data):,} bytes; a pattern file here is at most {MAX_UPLOAD_BYTES:,}")
    if b"\x00" in data:
        at = data.index(b"\x00")
        raise InputError(f"Upload: {name} is not a text file (byte {at} is a NUL byte)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def upload(file: Any, size: Any, env: Environment | None = None) -> tuple[str, np.ndarray]:
    """An uploaded .rle / .cells file: (its text, the board it gives in ``env``), checked before it is accepted."""
    n = size_of(size, env)
    path = uploaded_path(file, "Upload")
    name = str(file.get("orig_name") or path.name)[-80:]
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise InputError(f"Upload: {name} is {path.stat().st_size:,} bytes; a pattern file here is at most 1,000,000")
    pattern_text = decode_upload(path.read_bytes(), name)
    board = parse_text(pattern_text, n, what=f"Upload: {name}", sep=", ", env=env)
    return pattern_text, board if env is None else checked(env, board)


def board_from_ink(rgba: np.ndarray, size: Any) -> np.ndarray:
    """A painting [H, W, 4] (floats 0..1: dark, opaque strokes are alive) cut into size x size cells."""
    n = size_of(size)
    ink = (1.0 - rgba[..., :3].mean(-1)) * rgba[..., 3]
    cells = np.asarray(Image.fromarray(ink.astype(np.float32), mode="F").resize((n, n), Image.Resampling.BOX))
    board = (cells > 0.25).astype(np.uint8)
    if not board.any():
        raise InputError("Drawing: no cell is covered enough by ink; paint with the dark brush over whole cells")
    return board


def drawing(editor: Any, size: Any) -> np.ndarray:
    """A painting from the image editor (dark strokes on a light canvas) thresholded cell by cell into a board."""
    size_of(size)
    composite = editor.get("composite") if isinstance(editor, dict) else None
    if not composite:
        raise InputError("Drawing: nothing drawn yet; paint live cells on the canvas first")
    try:
        with Image.open(uploaded_path(composite, "Drawing")) as img:
            rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255.0
    except OSError:
        raise InputError("Drawing: the canvas could not be read as an image") from None
    return board_from_ink(rgba, size)
