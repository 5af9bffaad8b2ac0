"""The demo's pictures of an episode, drawn with numpy in a few milliseconds: the per-step panel,
the animation, the comparison of checkpoints and the panel of an intervention.

They show what ``plots.episode_figure`` shows, in the same colours (``colors``), at a speed an
interactive demo on two cores can afford (a matplotlib figure takes 0.1-0.5 s). ``episode_images``
goes from plain data to bytes in one call, so the demo hands it to worker processes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import numpy as np

from imagination.envs import Environment
from imagination.episode import Episode
from imagination.figures.canvas import (
    blank,
    board_indices,
    palette_png,
    put_text,
    text_width,
    to_image,
    to_rgb,
)
from imagination.figures.colors import (
    EDIT_BORN,
    EDIT_KILLED,
    GREYS,
    GRID,
    GRID_INDEX,
    INK_MUTED,
    KIND_INK,
    RED0,
    REDS,
    WHITE_INDEX,
    ink_index,
)
from imagination.figures.heatmap import score_matrix_png
from imagination.figures.labels import Words, step_heading, step_kind
from imagination.metrics import score_matrix

PAGE_WIDTH = 710  # px: the demo's result column is 718 px wide at 1366 px; wider pictures wrap into bands
MATRIX_TITLE = "MCC of decoded step i vs true frame j"
# A long run (a maze thinks for hundreds of steps) is shown by a sample of its steps: at most this many
# rows and columns of the score matrix (Life's longest run, 51 steps, is shown whole) and animation frames.
MATRIX_STEPS, ANIMATION_FRAMES = 61, 121
# A summary-task model's answers: (predicted, true) live cells per region [S+1, h, w], the task
# ("count", "patch", "grid") and how many board cells a region holds.
TaskMaps = tuple[np.ndarray, np.ndarray, str, int]
# The geometry of a panel, in px: row labels on the left, the colour bar and key on the right
LEFT, RIGHT, COLUMN_MIN, GAP = 84, 96, 84, 12


def sampled_steps(steps: int, limit: int, keep: Iterable[int | None] = ()) -> list[int]:
    """At most ``limit`` of the steps 0..``steps``, evenly spaced, always with 0, the last and each of ``keep``
    (where the true frames settle, where the answer is first right): every step when they fit."""
    if steps + 1 <= limit:
        return list(range(steps + 1))
    fixed = {0, steps} | {int(k) for k in keep if k is not None and 0 <= k <= steps}
    even = np.round(np.linspace(0, steps, max(2, limit - len(fixed - {0, steps})))).astype(int)
    return sorted(fixed | {int(i) for i in even})


def board_image(board: np.ndarray, scale: int = 12) -> np.ndarray:
    """A board (0/1 or probabilities) as an RGB uint8 image with square cells, for image widgets."""
    return to_rgb(board_indices(board, scale))


def board_png(board: np.ndarray, scale: int = 12) -> bytes:
    """``board_image`` as PNG bytes (a palette PNG: small and quick to write)."""
    return palette_png(board_indices(board, scale))


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

    img[cells(b & ~r)] = EDIT_BORN
    img[cells(~b & r)] = EDIT_KILLED
    if scale >= 6:
        img[::scale, :, :] = GRID
        img[:, ::scale, :] = GRID
    return img


def panel_scale(board_shape: tuple[int, int], columns: int, max_width: int = 2000) -> int:
    """Pixels per cell so a board is about 140 px wide and ``columns`` boards fit in ``max_width``."""
    h, w = board_shape
    scale = max(2, min(12, 140 // max(h, w, 1)))
    while scale > 2 and columns * (w * scale + GAP) + 190 > max_width:
        scale -= 1
    return scale


def page_scale(board_shape: tuple[int, int], columns: int) -> int:
    """Pixels per cell for the demo: boards ~100 px wide for a short run, ~72 px for a long one
    (a whole number of pixels per cell: a picture shown at its own size stays crisp)."""
    target = 100 if columns <= 5 else 72
    return max(1, min(12, target // max(board_shape)))


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
    img = blank(side, side)
    block = np.repeat(np.repeat(np.round(v * (GREYS - 1)).astype(np.uint8), k, 0), k, 1)
    y0, x0 = (side - block.shape[0]) // 2, (side - block.shape[1]) // 2
    img[y0 : y0 + block.shape[0], x0 : x0 + block.shape[1]] = block[:side, :side]
    return img


def _draw_key(img: np.ndarray, x: int, row_y: list[int], bh: int, words: Words) -> None:
    """The colour bar of P(alive) beside the decoded row, a key to the error row, and the maps' unit."""
    ramp = np.round(np.linspace(GREYS - 1, 0, bh)).astype(np.uint8)
    img[row_y[1] : row_y[1] + bh, x : x + 12] = ramp[:, None]
    for frac, label in ((0.0, "1.0"), (0.5, "0.5"), (1.0, "0.0")):
        y = row_y[1] + int(frac * (bh - 1))
        img[y, x + 12 : x + 16] = ink_index(INK_MUTED)
        put_text(img, (x + 19, y), label, INK_MUTED, px=11, anchor="lm")
    put_text(img, (x, row_y[1] - 3), f"P({words.alive})", INK_MUTED, px=11, anchor="ld")
    ky = row_y[3]
    img[ky + 2 : ky + 14, x : x + 12] = RED0 + REDS - 1
    img[ky + 20 : ky + 32, x : x + 12] = GRID_INDEX
    img[ky + 21 : ky + 31, x + 1 : x + 11] = 0
    put_text(img, (x + 16, ky + 8), "wrong", INK_MUTED, px=11, anchor="lm")
    put_text(img, (x + 16, ky + 26), "right", INK_MUTED, px=11, anchor="lm")
    if len(row_y) > 4:
        put_text(img, (x, row_y[4] + 2), "live cells", INK_MUTED, px=11)
        put_text(img, (x, row_y[4] + 17), "per region", INK_MUTED, px=11)


def _panel_indices(
    ep: Episode, cols: Sequence[int], scale: int, task: TaskMaps | None, title: str | None, words: Words
) -> np.ndarray:
    """Rows true / decoded P(alive) / imagined / error (and a summary model's maps), a column per step in
    ``cols`` headed by its step and kind, its accuracy and MCC under it; the colour bar and key at the right."""
    h, w = ep.true.shape[-2:]
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
    col_w, row_gap, top_title, head_h = max(bw, COLUMN_MIN), 8, 24, 34
    foot_h = 34 + (15 if task is not None else 0)
    width = LEFT + len(cols) * col_w + (len(cols) - 1) * GAP + RIGHT
    grid_top = top_title + head_h
    img = blank(grid_top + len(rows) * bh + (len(rows) - 1) * row_gap + foot_h + 6, width)
    col_x = [LEFT + k * (col_w + GAP) + (col_w - bw) // 2 for k in range(len(cols))]
    row_y = [grid_top + r * (bh + row_gap) for r in range(len(rows))]
    for r, (name, data, kind) in enumerate(rows):
        put_text(img, (6, row_y[r] + bh // 2), name, anchor="lm")
        for k, i in enumerate(cols):
            if isinstance(kind, tuple):
                block = _map_indices(data[i], kind[1], min(bw, bh))
                img[row_y[r] : row_y[r] + block.shape[0], col_x[k] : col_x[k] + block.shape[1]] = block
            else:
                img[row_y[r] : row_y[r] + bh, col_x[k] : col_x[k] + bw] = board_indices(data[i], scale, kind)
    if title is None:
        rule = f", rule {ep.rule}" if ep.rule else ""
        title = f"True vs imagined {words.frame}s{rule}; trained for {ep.trained_horizon} model steps"
        if text_width(title, 13, True) > width - 12:
            title = f"rule {ep.rule}" if ep.rule else f"True vs imagined {words.frame}s"
    put_text(img, (6, 4), title, px=13, bold=True)
    for k, i in enumerate(cols):
        cx, fy = col_x[k] + bw // 2, row_y[-1] + bh + 4
        kind = step_kind(ep, i)
        put_text(img, (cx, top_title + 2), step_heading(ep, i, words), anchor="ma")
        put_text(img, (cx, top_title + 17), kind, KIND_INK[kind], px=11, anchor="ma")
        put_text(img, (cx, fy), f"acc {ep.accuracy[i]:.3f}", px=11, anchor="ma")
        put_text(img, (cx, fy + 15), f"MCC {ep.mcc[i]:.3f}", px=11, anchor="ma")
        if task is not None:
            put_text(img, (cx, fy + 30), _task_cell(task, i), px=11, anchor="ma")
    _draw_key(img, width - RIGHT + 14, row_y, bh, words)
    return img


def _wrapped_panel_indices(
    ep: Episode, task: TaskMaps | None, words: Words, max_width: int = PAGE_WIDTH, shown: Sequence[int] | None = None
) -> np.ndarray:
    """The panel in bands of as many steps as fit ``max_width``, stacked: a 50-step episode reads as
    rows of boards at their own size instead of one strip squeezed to the page. ``shown``: the steps
    drawn (default every one; a long run's sample, ``sampled_steps``)."""
    h, w = ep.true.shape[-2:]
    steps = list(range(ep.steps + 1)) if shown is None else [int(i) for i in shown]
    # a sample of a long run: few columns, each big enough to read a maze's corridors (2 px a pixel at least)
    scale = page_scale((h, w), len(steps)) if shown is None else max(2, page_scale((h, w), 1))
    per_band = max(1, (max_width - LEFT - RIGHT + GAP) // (max(w * scale, COLUMN_MIN) + GAP))
    parts: list[np.ndarray] = []
    for cols in (steps[k : k + per_band] for k in range(0, len(steps), per_band)):
        span = f"steps {cols[0]}-{cols[-1]}" if len(cols) > 1 else f"step {cols[0]}"
        part = _panel_indices(ep, cols, scale, task, f"{span} (continued)" if parts else None, words)
        if parts and part.shape[1] < parts[0].shape[1]:
            part = np.concatenate([part, blank(part.shape[0], parts[0].shape[1] - part.shape[1])], axis=1)
        parts.append(part)
    return np.concatenate(parts, axis=0)


def _frame_indices(ep: Episode, i: int, scale: int, words: Words) -> np.ndarray:
    """Step ``i`` as a 2 x 2 grid: true, decoded P(alive) / imagined, error; with its scores."""
    h, w = ep.true.shape[-2:]
    boards = [
        ("true", board_indices(ep.true[i], scale)),
        (f"decoded P({words.alive})", board_indices(ep.decoded[i], scale)),
        ("imagined", board_indices(ep.imagined[i], scale)),
        ("error", board_indices(ep.errors[i], scale, "error")),
    ]
    bw, bh = w * scale, h * scale
    col_w, pad, head_h, label_h = max(bw, 130), 8, 42, 16
    width = 2 * pad + 2 * col_w + GAP
    img = blank(head_h + 2 * (label_h + bh) + GAP + pad, width)
    for k, (name, board) in enumerate(boards):
        x = pad + (k % 2) * (col_w + GAP) + (col_w - bw) // 2
        y = head_h + (k // 2) * (label_h + bh + GAP) + label_h
        img[y : y + bh, x : x + bw] = board
        put_text(img, (x + bw // 2, y - 3), name, px=11, anchor="md")
    kind = step_kind(ep, i)
    title = step_heading(ep, i, words)
    put_text(img, (pad, 4), title, px=13, bold=True)
    put_text(img, (pad + text_width(title, 13, True) + 8, 5), kind, KIND_INK[kind])
    put_text(img, (pad, 23), f"accuracy {ep.accuracy[i]:.3f}")  # two strings: each recurs, its glyphs are cached
    put_text(img, (width - pad, 23), f"MCC {ep.mcc[i]:.3f}", anchor="ra")
    return img


def episode_animation(
    ep: Episode,
    scale: int | None = None,
    ms_per_frame: int | None = None,
    env: Environment | None = None,
    steps: Sequence[int] | None = None,
) -> bytes:
    """An animated GIF of the episode, one frame per step (loops forever): true, decoded, imagined, error.

    ``steps``: the steps it shows (default every one). A frame lasts ``ms_per_frame``, by default 800 ms
    for a short run and less for a long one, so a loop takes at most about 20 s. Frames are drawn straight
    in a fixed palette, so nothing is quantised: a whole animation takes a few milliseconds (quantising RGB
    frames took ~0.1 s).
    """
    scale = panel_scale(ep.true.shape[-2:], 2) if scale is None else int(scale)
    shown = range(ep.steps + 1) if steps is None else steps
    frames = [to_image(_frame_indices(ep, int(i), scale, Words.of(env))) for i in shown]
    ms = min(800, max(120, 20_000 // len(frames))) if ms_per_frame is None else ms_per_frame
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms, loop=0, optimize=False)
    return buf.getvalue()


def episode_images(
    ep: Episode,
    matrix_title: str = MATRIX_TITLE,
    task: TaskMaps | None = None,
    env: Environment | None = None,
    panel_steps: Sequence[int] | None = None,
    keep: Sequence[int] = (),
) -> tuple[bytes, bytes, bytes]:
    """The demo's three pictures of an episode: (panel PNG, score-matrix PNG, animation GIF).

    The panel is wrapped into bands that fit the page, with a summary-task model's answers beside
    its boards; ``panel_steps`` are the steps it shows (default every one). A run longer than
    MATRIX_STEPS / ANIMATION_FRAMES has its score matrix and animation drawn on a sample of its steps:
    the matrix's evenly spaced (so its frame, drawn by matplotlib, is drawn once per run length), the
    animation's with each of ``keep`` and every panel step among them. One call from plain data to bytes,
    so a server can hand the drawing (most of an episode's CPU) to another process and keep its own core
    for answering requests.
    """
    marks = [*keep, *(panel_steps or ())]
    at = sampled_steps(ep.steps, MATRIX_STEPS)
    if len(at) == ep.steps + 1:
        matrix = score_matrix_png(ep.score_matrix(), ep.trained_steps, matrix_title, env=env)
    else:
        scores = score_matrix(ep.true[at][None], ep.decoded[at][None])
        title = f"{matrix_title} ({len(at)} of {ep.steps + 1} steps)"
        matrix = score_matrix_png(scores, ep.trained_steps, title, env=env, steps=at)
    h, w = ep.true.shape[-2:]
    frames = sampled_steps(ep.steps, ANIMATION_FRAMES, marks)
    animation = episode_animation(ep, max(1, min(12, 100 // max(h, w))), env=env, steps=frames)
    return episode_panel_png(ep, task, env, steps=panel_steps), matrix, animation


def episode_panel_png(
    ep: Episode,
    task: TaskMaps | None = None,
    env: Environment | None = None,
    max_width: int = PAGE_WIDTH,
    compress_level: int = 1,
    steps: Sequence[int] | None = None,
) -> bytes:
    """The panel of an episode as a PNG: every step's (or each of ``steps``') true, decoded, imagined and error
    rows, in bands at most ``max_width`` px wide (the demo's first picture, and a model card's, stored at
    ``compress_level`` 9)."""
    indices = _wrapped_panel_indices(ep, task, Words.of(env), max_width, steps)
    return palette_png(indices, compress_level=compress_level)


def compare_panel_png(
    episodes: Sequence[Episode],
    names: Sequence[str],
    max_width: int = 1200,
    env: Environment | None = None,
    steps: Sequence[int] | None = None,
) -> bytes:
    """One start board through several checkpoints: the true frames on top, then per checkpoint a row
    of the boards it imagines at each model step (decoding > 0.5), each step's MCC under it.

    Rows share the columns' model steps (``steps``: the ones shown, default every one); a checkpoint
    that ran fewer steps leaves its row short. When the checkpoints' game steps differ (fewer model than
    game steps), each row gets its own true frames.
    """
    if not episodes or len(episodes) != len(names):
        raise ValueError("one name per episode, and at least one episode")
    words = Words.of(env)
    true_label = f"true {words.game}"
    h, w = episodes[0].true.shape[-2:]
    shown = list(range(max(ep.steps for ep in episodes) + 1)) if steps is None else [int(i) for i in steps]
    cols = len(shown)
    scale = page_scale((h, w), cols)
    bw, bh = w * scale, h * scale
    left = max(96, 16 + max(text_width(n, 12, True) for n in [*names, true_label]))
    col_w, gap = max(bw, 70), 10
    shared = all(ep.game_steps == episodes[0].game_steps for ep in episodes) and len({ep.steps for ep in episodes}) == 1
    rows: list[tuple[str, str, Episode, str]] = []  # (label, sub-label, episode, what)
    if shared:
        rows.append((true_label, f"rule {episodes[0].rule}" if episodes[0].rule else "", episodes[0], "true"))
    for name, ep in zip(names, episodes, strict=True):
        if not shared:
            rows.append((name, true_label, ep, "true"))
        rows.append((name, "imagined", ep, "imagined"))
    head, row_h, foot = 40, bh + 22, 6
    img = blank(head + len(rows) * (row_h + 8) + foot, left + cols * col_w + (cols - 1) * gap + 8)
    title = f"One start {words.frame}, imagined by each checkpoint (MCC vs the true frame)"
    put_text(img, (6, 4), title, px=13, bold=True)
    for k, i in enumerate(shown):
        put_text(img, (left + k * (col_w + gap) + col_w // 2, 22), f"step {i}", anchor="ma")
    for r, (label, sub, ep, what) in enumerate(rows):
        y = head + r * (row_h + 8)
        put_text(img, (6, y + bh // 2 - 8), label, px=12, bold=what == "imagined", anchor="lm")
        put_text(img, (6, y + bh // 2 + 8), sub, INK_MUTED, px=11, anchor="lm")
        for k, i in enumerate(j for j in shown if j <= ep.steps):
            x = left + k * (col_w + gap) + (col_w - bw) // 2
            img[y : y + bh, x : x + bw] = board_indices(ep.true[i] if what == "true" else ep.imagined[i], scale)
            below = (x + bw // 2, y + bh + 3)
            if what == "imagined":
                put_text(img, below, f"MCC {ep.mcc[i]:.2f}", KIND_INK[step_kind(ep, i)], px=11, anchor="ma")
            elif ep.game_steps[i] != i:
                put_text(img, below, f"{words.game} {ep.game_steps[i]}", INK_MUTED, px=11, anchor="ma")
    return palette_png(img)


def intervention_panel_png(
    ep: Episode, step: int, scale: int | None = None, env: Environment | None = None, steps: Sequence[int] | None = None
) -> bytes:
    """The panel of an intervened episode (every step, or each of ``steps``, in one strip), the edited step's
    column framed in blue (it is always shown).

    Columns before ``step`` are the original run; from ``step`` on, the true row is the game's
    continuation of the edited board and the decodings are the network's from the edit.
    """
    if not 0 <= step <= ep.steps:
        raise ValueError(f"step must be within 0..{ep.steps}, got {step}")
    h, w = ep.true.shape[-2:]
    cols = sorted({*(range(ep.steps + 1) if steps is None else (int(i) for i in steps)), step})
    scale = panel_scale((h, w), len(cols)) if scale is None else int(scale)
    img = _panel_indices(ep, cols, scale, None, None, Words.of(env))
    col_w, top = max(w * scale, COLUMN_MIN), 22
    x0 = LEFT + cols.index(step) * (col_w + GAP) - 5
    x1 = x0 + col_w + 10
    y1 = img.shape[0] - 3
    blue = ink_index(KIND_INK["imagined"])
    for region in (
        img[top : top + 2, x0:x1],
        img[y1 - 2 : y1, x0:x1],
        img[top:y1, x0 : x0 + 2],
        img[top:y1, x1 - 2 : x1],
    ):
        region[region == WHITE_INDEX] = blue  # over white only: the column's text stays legible
    return palette_png(img)
