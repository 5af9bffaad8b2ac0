"""The imagination demo: pick a checkpoint and a start board, and see what the network imagines.

    python app.py                      # http://127.0.0.1:7860, the bundled zoo, offline
    python app.py --help               # host, port, default checkpoint, --online, --share

A thin face over ``imagination/``: every model, metric and figure comes from the package; this
file only turns widget values into calls and errors into messages. Every event has an
``api_name``, so ``gradio_client`` can drive the same functions (see tests/test_app.py).

Beyond one run: the true game's rule can differ from the checkpoint's (does a Life-trained network
imagine HighLife?); "Intervene" replaces the imagined board at step i by an edited one and lets the
network imagine on (``/imagined_board``, ``/intervene``); "Beyond the paper" shows the checkpoint's
extrapolation curve, faithfulness and decoder probes from its eval.json (``/analysis``).

It is also a Hugging Face Space (README front matter ``sdk: gradio``, ``app_file: app.py``). On a
Space (``SPACE_ID`` is set) Hub repo ids are fetched; locally the app runs offline unless started
with ``--online``, and only the bundled zoo, local folders and the Hub cache are readable.
"""

from __future__ import annotations

import os

# Before gradio / huggingface_hub / matplotlib are imported: they read these at import time.
# setdefault, so a caller (tests, a Space) can override any of them.
for _key, _value in {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_SSR_MODE": "False",
    "MPLBACKEND": "Agg",
    # Gradio rebuilds a pandas summary of every recorded event (up to 10,000) after each event, for
    # its monitoring view: ~2 ms per request on a fresh app, ~17 ms once the record is full. Every
    # 1,000 events is often enough (benchmarks/README.md).
    "GRADIO_ANALYTICS_CACHE_FREQUENCY": "1000",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}.items():
    os.environ.setdefault(_key, _value)

import argparse  # noqa: E402
import atexit  # noqa: E402
import functools  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import OrderedDict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from huggingface_hub import ModelCard, hf_hub_download  # noqa: E402
from huggingface_hub.errors import (  # noqa: E402
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from PIL import Image  # noqa: E402

from imagination import CheckpointError, ImaginationModel, analysis, hub, life, patterns, viz, zoo  # noqa: E402
from imagination.episode import Episode, intervene, run_episode  # noqa: E402
from imagination.evaluate import EVAL_SEED, EVAL_SIZE, EvalSet, eval_episodes  # noqa: E402
from imagination.workers import WorkerPool, default_workers  # noqa: E402

logger = logging.getLogger("imagination.app")

MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 8, 64, 20
MAX_STEPS = 50
MAX_UPLOAD_BYTES = 1_000_000
MODEL_CACHE_SIZE = 8
SOURCES = {"random": "random", "pattern": "classic pattern", "text": "RLE / plaintext / upload / drawing"}
STEP_HEADERS = ["step", "game step", "kind", "accuracy", "MCC"]
SCORE_HEADERS = ["score (from the model card)", "value"]
PROBE_HEADERS = ["probe", "fitted on steps", "per-step accuracy", "interpretability", "final error"]
# The rules offered beside the checkpoint's own; any other Life-like rule may be typed.
RULES = [
    ("Life B3/S23", life.LIFE),
    ("HighLife B36/S23", life.HIGHLIFE),
    ("Day & Night B3678/S34678", life.DAY_AND_NIGHT),
    ("Seeds B2/S", life.SEEDS),
]
# Extrapolation measured live (for checkpoints whose eval.json lacks it): this many eval episodes.
LIVE_EXTRAPOLATION_EPISODES = 200
DEFAULT_PATTERN = "glider"
# Requests served at once per event; the rest wait in gradio's queue. A request waiting on a drawing
# worker leaves the server free for the next one, so a few beat one even on two cores
# (benchmarks/README.md).
RUN_CONCURRENCY = int(os.environ.get("IMAGINATION_APP_CONCURRENCY", "4"))

# Offline unless on a Space: nothing but the bundled zoo, local folders and the Hub cache is read.
# main() sets this from --online/--offline; tests may flip it in-process.
OFFLINE = os.environ.get("SPACE_ID") is None
# Folders outside the zoo are a local convenience; on a public Space they would let visitors probe
# the server's file system, so there only zoo names and Hub repo ids are accepted.
LOCAL_FOLDERS = os.environ.get("SPACE_ID") is None


class UserError(ValueError):
    """A problem with what the visitor asked for; its message is shown as is."""


# ---------------------------------------------------------------------------------------------
# Errors: every failure reaches the page as a one-line gr.Error, never as a traceback.

F = TypeVar("F", bound=Callable[..., Any])


def _hub_message(name: str, e: BaseException) -> str:
    """A sentence for a huggingface_hub error met while fetching ``name``."""
    if isinstance(e, GatedRepoError):
        return f"{name}: the Hub repo is gated; this demo cannot accept its terms for you"
    if isinstance(e, RepositoryNotFoundError):
        return f"{name}: no such model repo on the Hugging Face Hub (or it is private)"
    if isinstance(e, RevisionNotFoundError):
        return f"{name}: the Hub repo has no such revision"
    if isinstance(e, LocalEntryNotFoundError):
        if OFFLINE:
            return (
                f"{name}: not in the local Hub cache, and this app runs offline "
                "(start it with --online to fetch Hub repos)"
            )
        return f"{name}: could not reach the Hugging Face Hub (no network?) and it is not in the local cache"
    if isinstance(e, EntryNotFoundError):
        return f"{name}: the Hub repo lacks a file this demo needs ({e})"
    if isinstance(e, HfHubHTTPError):
        status = getattr(getattr(e, "response", None), "status_code", None)
        return f"{name}: the Hugging Face Hub answered with an error" + (f" (HTTP {status})" if status else "")
    if isinstance(e, HFValidationError):
        return f"{name!r} is not a valid Hub repo id (expected org/name): {e}"
    return f"{name}: could not reach the Hugging Face Hub ({type(e).__name__})"


def friendly(fn: F) -> F:
    """Turn any exception into a gr.Error with a human message, so the app keeps working."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except patterns.PatternError as e:
            raise gr.Error(f"Board: {e}", print_exception=False) from None
        except (UserError, CheckpointError) as e:
            raise gr.Error(str(e), print_exception=False) from None
        except Exception as e:  # the last resort: log the traceback, show one line
            logger.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(f"Unexpected error ({type(e).__name__}): {e}", print_exception=False) from None

    return wrapper  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Checkpoints: resolve, load once, keep a few.

_models: OrderedDict[str, ImaginationModel] = OrderedDict()
_models_lock = threading.Lock()
_load_lock = threading.Lock()


def zoo_choices() -> list[tuple[str, str]]:
    """(menu label with regime and headline score, name) for every bundled checkpoint."""
    return [(e.label(), e.name) for e in zoo.list()]


def default_checkpoint() -> str | None:
    names = zoo.names()
    return names[0] if names else None


def _resolve(name: str) -> str:
    """The cache key: a folder's absolute path, or a Hub repo id. Raises UserError for nonsense."""
    name = (name or "").strip()
    if not name:
        raise UserError("No checkpoint chosen: pick one from the zoo, or type a Hub repo id (org/name) or a folder.")
    source = hub.resolve(name)
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name
    if not LOCAL_FOLDERS and (looks_like_path or Path(source).is_dir()):
        in_zoo = Path(source).is_dir() and Path(source).resolve().parent == hub.ZOO_DIR.resolve()
        if not in_zoo:
            raise UserError(f"{name}: this app loads zoo checkpoints and Hub repo ids (org/name), not folders")
    if Path(source).is_dir():
        return str(Path(source).resolve())
    if looks_like_path:
        raise UserError(f"{name}: no such folder")
    if "/" not in name:
        known = ", ".join(zoo.names()) or "(the bundled zoo is empty)"
        raise UserError(f"{name}: not a zoo checkpoint ({known}) nor a local folder; a Hub repo id looks like org/name")
    return name


def _fetch(repo_id: str, filename: str) -> str:
    """A file of a Hub repo (from the cache when offline), with Hub errors turned into UserError."""
    try:
        return hf_hub_download(repo_id, filename, local_files_only=OFFLINE)
    except (HfHubHTTPError, LocalEntryNotFoundError, EntryNotFoundError, HFValidationError, OSError) as e:
        if (
            isinstance(e, EntryNotFoundError)
            and not isinstance(e, LocalEntryNotFoundError)
            and filename == "config.json"
        ):
            raise UserError(f"{repo_id}: not an imagination model (the repo has no config.json)") from e
        raise UserError(_hub_message(repo_id, e)) from e
    except Exception as e:  # httpx transport errors and the like: no network
        raise UserError(_hub_message(repo_id, e)) from e


def load_model(name: str) -> tuple[str, ImaginationModel]:
    """(cache key, model) for a zoo name, a folder or a Hub repo id; loaded once, LRU-bounded."""
    key = _resolve(name)
    with _models_lock:
        if key in _models:
            _models.move_to_end(key)
            return key, _models[key]
    with _load_lock:  # one load at a time; a second asker finds it cached
        with _models_lock:
            if key in _models:
                return key, _models[key]
        if not Path(key).is_dir():
            _fetch(key, "config.json")  # surfaces "no such repo" / offline before the mixin hides it
        try:
            model = ImaginationModel.from_pretrained(key, local_files_only=OFFLINE)
        except CheckpointError:
            raise
        except (HfHubHTTPError, LocalEntryNotFoundError, EntryNotFoundError, HFValidationError) as e:
            raise UserError(_hub_message(name, e)) from e
        except (ValueError, TypeError, OSError) as e:
            raise UserError(f"{name.strip()}: cannot be loaded as an imagination checkpoint ({e})") from e
        model.eval()
        with _models_lock:
            _models[key] = model
            while len(_models) > MODEL_CACHE_SIZE:
                _models.popitem(last=False)
        return key, model


def _card(key: str) -> ModelCard | None:
    try:
        path = Path(key) / "README.md" if Path(key).is_dir() else Path(_fetch(key, "README.md"))
        return ModelCard.load(path) if path.exists() else None
    except (UserError, OSError, ValueError):
        return None


def _display_name(key: str) -> str:
    p = Path(key)
    if p.is_dir() and p.parent.resolve() == hub.ZOO_DIR.resolve():
        return p.name
    return key


# ---------------------------------------------------------------------------------------------
# Boards


def _int(value: Any, what: str, lo: int, hi: int) -> int:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{what} must be a whole number between {lo} and {hi}, got {value!r}") from None
    if not math.isfinite(f) or f != int(f) or not lo <= f <= hi:
        raise UserError(f"{what} must be a whole number between {lo} and {hi}, got {value!r}")
    return int(f)


def _density(value: Any) -> float:
    try:
        d = float(value)
    except (TypeError, ValueError):
        raise UserError(f"density must be a number between 0 and 1, got {value!r}") from None
    if not 0.0 <= d <= 1.0:
        raise UserError(f"density must be a number between 0 and 1, got {value!r}")
    return d


def build_board(
    source: str, seed: Any, density: Any, size: Any, pattern: str | None, text: str | None
) -> tuple[np.ndarray, str]:
    """The start board [size, size] (uint8 0/1) and a phrase saying what it is."""
    size = _int(size, "board size", MIN_SIZE, MAX_SIZE)
    source = (source or "").strip()
    if source == "random":
        seed = _int(seed, "seed", 0, 2**63 - 1)
        d = _density(density)
        g = torch.Generator().manual_seed(seed)
        board = life.random_boards(1, size, d, generator=g)[0]
        what = f"a random {size}x{size} board (seed {seed}, density {d:.2f})"
    elif source == "pattern":
        if not pattern:
            raise UserError(f"no pattern chosen; known patterns: {', '.join(patterns.pattern_names())}")
        board = patterns.place(patterns.pattern(pattern), size)
        what = f"{pattern} on a {size}x{size} board"
    elif source == "text":
        board = patterns.parse_pattern(text or "", max_cells=MAX_SIZE * MAX_SIZE)
        h, w = board.shape
        if h > size or w > size:
            live = patterns.trim(board)
            if live.shape[0] > size or live.shape[1] > size:
                raise UserError(
                    f"Board: the pattern's live cells span {live.shape[1]} columns x {live.shape[0]} rows, more "
                    f"than the {size}x{size} board; set the board size to at least {max(live.shape)}"
                )
            board = live
        board = patterns.place(board, size)
        what = f"a pasted/drawn {size}x{size} board"
    else:
        raise UserError(f"unknown board source {source!r}; choose one of {', '.join(SOURCES)}")
    return (np.asarray(board) > 0.5).astype(np.uint8), what


def board_rle(board: np.ndarray, rule: str = life.LIFE) -> str:
    return patterns.write_rle(torch.from_numpy(board.astype(np.float32)), rule)


def board_digest(board: np.ndarray) -> str:
    """sha256 of the board's shape and cells, so a client can check it got the board it asked for."""
    b = np.ascontiguousarray(board, dtype=np.uint8)
    return hashlib.sha256(f"{b.shape[0]}x{b.shape[1]}:".encode() + b.tobytes()).hexdigest()


def preview_scale(size: int) -> int:
    return max(5, 320 // size)


def preview_image(board: np.ndarray) -> np.ndarray:
    return viz.board_image(board, preview_scale(board.shape[0]))


# ---------------------------------------------------------------------------------------------
# Output files: content-addressed, in one folder per process, pruned as it grows.

_out_dir: Path | None = None
_out_lock = threading.Lock()
_writes = 0


def _output(name: str, data: bytes) -> str:
    """Write ``data`` under ``name`` (atomically) in the app's output folder and return the path."""
    global _out_dir, _writes
    with _out_lock:
        if _out_dir is None:
            _out_dir = Path(tempfile.mkdtemp(prefix="imagination-app-"))
            atexit.register(shutil.rmtree, _out_dir, ignore_errors=True)
        _writes += 1
        prune = _writes % 100 == 0
        folder = _out_dir
    path = folder / name
    tmp = folder / f".{name}.{threading.get_ident()}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, path)
    if prune:  # gradio copies what we return into its own cache; ours need not live long
        cutoff = time.time() - 600
        for old in folder.iterdir():
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
            except OSError:
                pass
    return str(path)


# ---------------------------------------------------------------------------------------------
# Drawing: an episode's pictures are most of its CPU; worker processes draw them on the other
# cores while this process answers other requests (imagination/workers.py).

DRAWING = WorkerPool()


def _blank_episode() -> Episode:
    """A blank 20x20, 3-step episode: drawing it once warms a worker up (imports, fonts, the usual
    score-matrix frame) before a visitor waits on it."""
    blank = np.zeros((4, DEFAULT_SIZE, DEFAULT_SIZE), np.float32)
    return Episode(blank[0], blank, blank, [0, 1, 2, 3], 3, [3], str(life.parse_rule(life.LIFE)))


def start_drawing(workers: int, wait: bool = False) -> None:
    """Draw in ``workers`` processes (0: in this one); see ``--workers``."""
    if workers <= 0:
        logger.info("drawing in the server process (no worker processes)")
    DRAWING.start(workers, warm_up=functools.partial(viz.episode_images, _blank_episode()), wait=wait)


# ---------------------------------------------------------------------------------------------
# Event handlers: plain inputs in, plain outputs out (the API is the UI).


def _steps(value: Any, model: ImaginationModel) -> int:
    if value is None or value == "" or value == 0:
        return model.config.model_steps
    return _int(value, "steps", 1, MAX_STEPS)


def _rule(value: Any, model: ImaginationModel) -> str:
    """The rule the true frames follow, canonical ("B36/S23"): the checkpoint's own when empty."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return str(life.parse_rule(model.config.rule))
    text = dict(RULES).get(text, text)  # a menu label typed out in full
    try:
        return str(life.parse_rule(text))
    except ValueError as e:
        known = ", ".join(label for label, _ in RULES)
        raise UserError(f"Rule: {e}; or pick one of {known}") from None


def _rule_note(model: ImaginationModel, rule: str) -> str:
    """A sentence when the true frames follow another rule than the checkpoint was trained on."""
    trained = str(life.parse_rule(model.config.rule))
    if rule == trained:
        return ""
    return f" The true frames follow rule **{rule}**, not the {trained} this checkpoint was trained on."


def _episode(
    checkpoint: str,
    source: str,
    seed: Any,
    density: Any,
    size: Any,
    pattern: str | None,
    text: str | None,
    steps: Any,
    rule: Any = None,
) -> tuple[str, ImaginationModel, Episode, np.ndarray, str]:
    key, model = load_model(checkpoint)
    board, what = build_board(source, seed, density, size, pattern, text)
    n = _steps(steps, model)
    if not model.config.tied and n > model.config.model_steps:
        raise UserError(
            f"{_display_name(key)} is untied (a separate block per step), so it can run at most "
            f"{model.config.model_steps} steps, not {n}"
        )
    return key, model, run_episode(model, board, n, _rule(rule, model)), board, what


@friendly
def load_checkpoint(name: str) -> tuple[str, list[list[Any]], int | None]:
    """Load a checkpoint: (status line, the card's scores as [score, value] rows, its trained steps)."""
    if not (name or "").strip():
        return "Pick a checkpoint from the zoo, or type a Hub repo id (org/name) or a local folder.", [], None
    key, model = load_model(name)
    cfg = model.config
    shown = _display_name(key)
    card = _card(key)
    results = (card.data.eval_results or []) if card is not None else []
    rows = [[r.metric_name or r.metric_type, round(float(r.metric_value), 4)] for r in results]
    task = "" if cfg.task == "board" else f", {cfg.task} task"
    status = (
        f"**Loaded {shown}**: {cfg.regime} regime, rule {cfg.rule}{task}; {cfg.game_steps} game steps in "
        f"{cfg.model_steps} model steps, decodings trained at steps {list(cfg.trained_steps)}"
        + ("" if cfg.tied else " (untied: one block per step)")
        + ("." if rows else ". Its model card has no scores.")
    )
    return status, rows, cfg.model_steps


@friendly
def checkpoint_rule(name: str) -> str | None:
    """The rule a checkpoint was trained on (what the rule field resets to when it is loaded)."""
    if not (name or "").strip():
        return None
    return str(life.parse_rule(load_model(name)[1].config.rule))


@friendly
def make_board(
    source: str, seed: Any, density: Any, size: Any, pattern: str | None, text: str | None
) -> tuple[np.ndarray, str]:
    """The start board as an image and as RLE text."""
    board, _ = build_board(source, seed, density, size, pattern, text)
    return preview_image(board), board_rle(board)


@friendly
def toggle_cell(source: str, seed: int, density: float, size: int, pattern: str, text: str, row: int, col: int) -> str:
    """The start board with cell (row, col) flipped, as RLE (what a click on the board does)."""
    board, _ = build_board(source, seed, density, size, pattern, text)
    return _toggled(board, _int(row, "row", 0, MAX_SIZE - 1), _int(col, "column", 0, MAX_SIZE - 1))[0]


@friendly
def click_cell(
    source: str,
    seed: Any,
    density: Any,
    size: Any,
    pattern: str | None,
    text: str | None,
    evt: gr.SelectData,
) -> tuple[str, str, np.ndarray, str]:
    """A click on the start board flips the cell under it; the board becomes RLE text (source 'text')."""
    board, _ = build_board(source, seed, density, size, pattern, text)
    x, y = (int(v) for v in evt.index)
    scale = preview_scale(board.shape[0])
    return _toggled(board, y // scale, x // scale)


def _toggled(board: np.ndarray, row: int, col: int) -> tuple[str, str, np.ndarray, str]:
    if not (0 <= row < board.shape[0] and 0 <= col < board.shape[1]):
        raise UserError(f"cell (row {row}, column {col}) is outside the {board.shape[0]}x{board.shape[1]} board")
    board = board.copy()
    board[row, col] ^= 1
    rle = board_rle(board)
    return rle, "text", preview_image(board), rle


@friendly
def board_from_drawing(editor: dict | None, size: Any) -> tuple[str, str, np.ndarray, str]:
    """A painting (dark strokes on a light canvas) thresholded cell by cell into a board."""
    size = _int(size, "board size", MIN_SIZE, MAX_SIZE)
    img = (editor or {}).get("composite") if isinstance(editor, dict) else editor
    if img is None:
        raise UserError("Drawing: nothing drawn yet; paint live cells on the canvas first")
    rgba = np.asarray(Image.fromarray(np.asarray(img)).convert("RGBA"), dtype=np.float32) / 255.0
    ink = (1.0 - rgba[..., :3].mean(-1)) * rgba[..., 3]  # dark and opaque = alive; transparent = dead
    cells = np.asarray(Image.fromarray(ink, mode="F").resize((size, size), Image.Resampling.BOX))
    board = (cells > 0.25).astype(np.uint8)
    if not board.any():
        raise UserError("Drawing: no cell is covered enough by ink; paint with the dark brush over whole cells")
    rle = board_rle(board)
    return rle, "text", preview_image(board), rle


@friendly
def read_upload(file: str | None, size: Any) -> tuple[str, str, np.ndarray, str]:
    """An uploaded .rle / .cells file becomes the board text (checked before it is accepted)."""
    if not file:
        raise UserError("Upload: no file received")
    path = Path(file)
    n = path.stat().st_size
    if n > MAX_UPLOAD_BYTES:
        raise UserError(f"Upload: {path.name} is {n:,} bytes; a pattern file here is at most {MAX_UPLOAD_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"Upload: {path.name} is not a text file (byte {e.start} is not UTF-8)") from None
    try:
        board, _ = build_board("text", 0, 0, size, None, text)
    except patterns.PatternError as e:
        raise UserError(f"Upload: {path.name}, {e}") from None
    return text, "text", preview_image(board), board_rle(board)


@friendly
def run_episode_api(
    checkpoint: str,
    source: str,
    seed: Any,
    density: Any,
    size: Any,
    pattern: str | None,
    text: str | None,
    steps: Any,
    rule: str | None = None,
) -> tuple[str, str, str, list[list[Any]], str, dict[str, Any]]:
    """Run one episode: (panel PNG, score-matrix PNG, animation GIF, per-step rows, status, summary).

    ``rule``: the rule of the true game (default: the checkpoint's own).
    """
    key, model, ep, board, what = _episode(checkpoint, source, seed, density, size, pattern, text, steps, rule)
    digest = board_digest(board)
    tag = hashlib.sha256(f"{key}|{ep.steps}|{digest}|{ep.rule}".encode()).hexdigest()[:20]
    panel_png, matrix_png, gif_bytes = DRAWING.run(viz.episode_images, ep)
    panel = _output(f"{tag}-panel.png", panel_png)
    heatmap = _output(f"{tag}-scores.png", matrix_png)
    gif = _output(f"{tag}-animation.gif", gif_bytes)
    rows = [
        [i, ep.game_steps[i], viz.step_kind(ep, i), round(ep.accuracy[i], 4), round(ep.mcc[i], 4)]
        for i in range(ep.steps + 1)
    ]
    shown = _display_name(key)
    beyond = ep.steps > ep.trained_horizon
    status = (
        f"**{shown}** on {what}: {ep.steps} model steps (trained for {ep.trained_horizon})"
        + (", past its training" if beyond else "")
        + f". Last step: accuracy {ep.accuracy[-1]:.3f}, MCC {ep.mcc[-1]:.3f}; "
        f"lowest accuracy {min(ep.accuracy):.3f} (step {int(np.argmin(ep.accuracy))})." + _rule_note(model, ep.rule)
    )
    summary = {
        "checkpoint": shown,
        "board_sha256": digest,
        "board_rle": board_rle(board, ep.rule),
        "size": list(board.shape),
        "steps": ep.steps,
        "trained_horizon": ep.trained_horizon,
        "trained_steps": ep.trained_steps,
        "game_steps": ep.game_steps,
        "rule": ep.rule,
        "trained_rule": str(life.parse_rule(model.config.rule)),
        "accuracy": ep.accuracy,
        "mcc": ep.mcc,
    }
    return panel, heatmap, gif, rows, status, summary


@friendly
def download(
    checkpoint: str,
    source: str,
    seed: Any,
    density: Any,
    size: Any,
    pattern: str | None,
    text: str | None,
    steps: Any,
    rule: str | None = None,
) -> tuple[str, str]:
    """The episode's boards, decodings and scores as .npz and as .json (same inputs as run_episode)."""
    key, model, ep, board, _ = _episode(checkpoint, source, seed, density, size, pattern, text, steps, rule)
    shown = _display_name(key)
    tag = board_digest(board)[:12]
    if ep.rule != str(life.parse_rule(model.config.rule)):
        tag += "-" + "".join(c for c in ep.rule if c.isalnum())  # another game, another file
    slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in shown)[-40:]
    meta = {"checkpoint": shown, "board_rle": board_rle(board, ep.rule), "board_sha256": board_digest(board)}
    npz = _output(f"episode-{slug}-{tag}-{ep.steps}.npz", ep.to_npz())
    js = _output(f"episode-{slug}-{tag}-{ep.steps}.json", json.dumps({**meta, **ep.to_dict()}).encode())
    return npz, js


# ---------------------------------------------------------------------------------------------
# Intervene: edit the imagined board at step i, and watch the rest of the imagination follow (or not)


def _parse_board(text: str | None) -> np.ndarray:
    """RLE or plaintext -> uint8 0/1 board (PatternError says where it is malformed)."""
    return (np.asarray(patterns.parse_pattern(text or "", max_cells=MAX_SIZE * MAX_SIZE)) > 0.5).astype(np.uint8)


def _edited_board(edited_rle: str | None, shape: tuple[int, ...]) -> np.ndarray:
    """The edited imagined board from its RLE / plaintext; it must be exactly the episode's size."""
    if not (edited_rle or "").strip():
        raise UserError("Edited board: empty; show the imagined board at step i first, then click cells to edit it")
    try:
        got = _parse_board(edited_rle)
    except patterns.PatternError as e:
        raise UserError(f"Edited board: {e}") from None
    if got.shape != tuple(shape):
        raise UserError(
            f"Edited board: it is {got.shape[1]}x{got.shape[0]} (columns x rows) but the episode's boards are "
            f"{shape[1]}x{shape[0]}; edit the imagined board of this episode (/imagined_board gives it as RLE "
            "with its full size)"
        )
    return got


def _step_index(step: Any, steps: int) -> int:
    return _int(step, "the step to edit", 0, steps)


def _imagined_view(board: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    return viz.edited_board_image(board, reference, preview_scale(board.shape[0]))


@friendly
def imagined_board(
    checkpoint: str,
    source: str,
    seed: Any,
    density: Any,
    size: Any,
    pattern: str | None,
    text: str | None,
    steps: Any,
    rule: str | None = None,
    step: Any = 1,
) -> tuple[np.ndarray, str, str]:
    """The imagined board (decoding > 0.5) at model step ``step``: (image, RLE) to edit by clicking cells.

    A third output, the same RLE, is the page's memory of the unedited board (a State: not in the API).
    """
    _, _, ep, _, _ = _episode(checkpoint, source, seed, density, size, pattern, text, steps, rule)
    board = ep.imagined[_step_index(step, ep.steps)]
    rle = board_rle(board, ep.rule)
    return _imagined_view(board, None), rle, rle


def _reference(original_rle: str | None, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        ref = _parse_board(original_rle)
    except (patterns.PatternError, ValueError, TypeError):
        return None
    return ref if ref.shape == shape else None


@friendly
def click_imagined(edited_rle: str, original_rle: str, evt: gr.SelectData) -> tuple[np.ndarray, str]:
    """A click on the imagined board flips the cell under it (edited cells are coloured)."""
    board = _parse_board(edited_rle)
    x, y = (int(v) for v in evt.index)
    scale = preview_scale(board.shape[0])
    row, col = y // scale, x // scale
    if not (0 <= row < board.shape[0] and 0 <= col < board.shape[1]):
        raise UserError(f"cell (row {row}, column {col}) is outside the {board.shape[0]}x{board.shape[1]} board")
    board[row, col] ^= 1
    rule = _rle_rule(edited_rle)
    return _imagined_view(board, _reference(original_rle, board.shape)), board_rle(board, rule)


def _rle_rule(rle: str | None) -> str:
    """The rule in an RLE header, or Life (only to write the edited board back with the same header)."""
    try:
        _, rule = patterns.parse_rle_with_rule(rle or "")
        return str(life.parse_rule(rule)) if rule else life.LIFE
    except ValueError:  # PatternError is a ValueError, and so is a malformed rule
        return life.LIFE


def show_edit(edited_rle: str, original_rle: str) -> Any:
    """The edited board typed or pasted as text, redrawn (nothing when it does not parse yet)."""
    try:
        board = _parse_board(edited_rle)
    except (patterns.PatternError, ValueError, TypeError):
        return gr.skip()
    return _imagined_view(board, _reference(original_rle, board.shape))


def step_range(steps: Any, step: Any) -> Any:
    """The step slider's range: 0..the model steps field (left as is while that is empty or invalid)."""
    try:
        n = _int(steps, "steps", 1, MAX_STEPS)
    except UserError:  # empty (the checkpoint's default, set when it loads) or half-typed
        return gr.skip()
    try:
        value = min(max(int(step), 0), n)
    except (TypeError, ValueError):
        value = min(1, n)
    return gr.Slider(minimum=0, maximum=n, value=value)


@friendly
def intervene_api(
    checkpoint: str,
    source: str,
    seed: Any,
    density: Any,
    size: Any,
    pattern: str | None,
    text: str | None,
    steps: Any,
    rule: str | None = None,
    step: Any = 1,
    edited_rle: str | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """Replace the imagined board at model step ``step`` by ``edited_rle`` and let the network imagine on.

    (panel PNG, status with the comparison to the original run, summary). From ``step`` on the
    true frames are the game's continuation of the edited board, so the scores say whether the
    rest of the imagination, and the final answer, follow the edit.
    """
    key, model, base, board, what = _episode(checkpoint, source, seed, density, size, pattern, text, steps, rule)
    i = _step_index(step, base.steps)
    edited = _edited_board(edited_rle, board.shape)
    ep = intervene(model, board, i, edited, base.steps, base.rule)
    flipped = int((edited != base.imagined[i]).sum())
    final_changed = int((ep.imagined[-1] != base.imagined[-1]).sum())
    game_moved = (ep.true[-1] > 0.5) != (base.true[-1] > 0.5)
    game_changed = int(game_moved.sum())
    followed = int(((ep.imagined[-1] > 0) == (ep.true[-1] > 0.5))[game_moved].sum())
    digest = board_digest(board)
    tag = hashlib.sha256(f"{key}|{ep.steps}|{digest}|{ep.rule}|{i}|{board_digest(edited)}".encode()).hexdigest()[:20]
    panel = _output(f"{tag}-intervened.png", DRAWING.run(viz.intervention_panel_png, ep, i))
    shown = _display_name(key)
    game = f" (game step {ep.game_steps[i]})" if ep.game_steps[i] != i else ""
    if game_changed:
        follow = f"; the final answer follows the edit on {followed} of them"
    else:
        follow = " (the edit dies out or is overwritten before the end)"
    status = (
        f"**{shown}** on {what}: the imagined board at step {i}{game} was replaced by the edited one "
        f"({flipped} cell{'s' if flipped != 1 else ''} flipped) and the network imagined on from there; from step {i} "
        f"on the true frames are the game's continuation of the edited board (rule {ep.rule})."
        + _rule_note(model, ep.rule)
        + f"\n\n**Compared with the original run** at the final step {ep.steps}: accuracy "
        f"{base.accuracy[-1]:.3f} → {ep.accuracy[-1]:.3f}, MCC {base.mcc[-1]:.3f} → {ep.mcc[-1]:.3f} (each against "
        f"its own game); the final answer changed in {final_changed} cell{'s' if final_changed != 1 else ''}. "
        f"The edit changes the game's final board in {game_changed} cell{'s' if game_changed != 1 else ''}{follow}."
    )
    summary = {
        "checkpoint": shown,
        "board_sha256": digest,
        "size": list(board.shape),
        "steps": ep.steps,
        "step": i,
        "game_step": ep.game_steps[i],
        "rule": ep.rule,
        "trained_rule": str(life.parse_rule(model.config.rule)),
        "edited_rle": board_rle(edited, ep.rule),
        "cells_flipped": flipped,
        "game_steps": ep.game_steps,
        "accuracy": ep.accuracy,
        "mcc": ep.mcc,
        "original_accuracy": base.accuracy,
        "original_mcc": base.mcc,
        "final_cells_changed": final_changed,
        "game_final_cells_changed": game_changed,
        "final_cells_following_edit": followed,
        "true_rle": [board_rle(t.astype(np.uint8), ep.rule) for t in (ep.true > 0.5)],
        "imagined_rle": [board_rle(b, ep.rule) for b in ep.imagined],
    }
    return panel, status, summary


# ---------------------------------------------------------------------------------------------
# Beyond the paper: the checkpoint's extrapolation curve, faithfulness and decoder probes

_analysis_cache: dict[tuple[str, float | None], tuple[bytes | None, str, list[list[Any]]]] = {}
_analysis_lock = threading.Lock()


def _eval_mtime(key: str) -> float | None:
    """When a folder's eval.json was last written (a rewrite by training.analyze refreshes the view)."""
    try:
        return (Path(key) / "eval.json").stat().st_mtime if Path(key).is_dir() else None
    except OSError:
        return None


def _eval_json(key: str) -> dict[str, Any] | None:
    """The eval.json of a folder or Hub repo; None when it is missing (not measured) or unreadable."""
    if Path(key).is_dir():
        path = Path(key) / "eval.json"
    else:
        try:
            path = Path(_fetch(key, "eval.json"))
        except UserError:  # not in the Hub repo, or offline and not cached: not measured
            return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _not_measured(key: str, what: str, flag: str = "") -> str:
    folder = Path(key)
    if folder.is_dir():
        where = f"zoo/{folder.name}" if folder.parent.resolve() == hub.ZOO_DIR.resolve() else str(folder)
    else:
        where = "<a local copy of the checkpoint>"
    return f"**{what}**: not measured for this checkpoint; run `python -m training.analyze {where} --write{flag}`."


def _fmt(x: Any, spec: str = ".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def _analysis(key: str, model: ImaginationModel, scores: dict[str, Any] | None) -> tuple[bytes | None, str, list]:
    cfg = model.config
    shown = _display_name(key)
    scores = scores or {}
    lines = [f"#### {shown}: beyond the paper", ""]

    ex = scores.get("extrapolation")
    if isinstance(ex, dict) and (ex.get("accuracy") or ex.get("note")):
        source = "from the checkpoint's eval.json"
    else:
        es = EvalSet(LIVE_EXTRAPOLATION_EPISODES, EVAL_SIZE, EVAL_SEED)
        ex = analysis.extrapolation(model, eval_episodes(cfg, es)[:, 0])  # cached models are in eval mode
        source = f"measured live on the first {es.episodes} of its eval episodes (eval.json has no extrapolation)"
    png = None
    if ex.get("accuracy"):
        trained = int(ex.get("trained_steps") or cfg.model_steps)
        png = viz.curves_png(
            {"accuracy": ex["accuracy"], "MCC": ex.get("mcc") or []},
            {"accuracy": trained},
            ylabel="decoded board vs true game",
            title=f"{shown}: imagination past its {trained} trained steps",
        )
        lines += [
            f"**Extrapolation**: the decoded accuracy stays >= 99% for **{_fmt(ex.get('steps_above_99'), 'd')}** "
            f"steps (steps >= 99% accuracy; trained for {trained}), running to {len(ex['accuracy']) - 1} model steps; "
            f"{source}.",
        ]
    else:
        lines.append(f"**Extrapolation**: {ex.get('note') or 'none'} (an untied core runs only its own steps).")
    lines.append("")

    fa = scores.get("faithfulness")
    if isinstance(fa, dict):
        if fa.get("score") is None:
            lines.append(f"**Faithfulness**: {fa.get('note') or 'no score'}.")
        else:
            lines.append(
                f"**Faithfulness**: **{fa['score']:.3f}**, the mean follow rate when {fa.get('flips', 3)} cells of the "
                "imagined board are flipped at an inner step (1 = the final answer follows the edit as the game "
                "would, 0.5 = chance, 0 = it ignores the edit); from eval.json."
            )
        patch = {p["step"]: p for p in fa.get("patching") or []}
        edit = {e["step"]: e for e in fa.get("editing") or []}
        if patch or edit:
            lines += [
                "",
                "| inner step | patched final error | unpatched | delta | edit: differing cells | follow rate |",
                "|---|---|---|---|---|---|",
            ]
            for s in sorted(set(patch) | set(edit)):
                p, e = patch.get(s, {}), edit.get(s, {})
                lines.append(
                    f"| {s} | {_fmt(p.get('final_error'), '.4f')} | {_fmt(p.get('baseline_error'), '.4f')} | "
                    f"{_fmt(p.get('delta'), '+.4f')} | {_fmt(e.get('differing_cells'), 'd')} | "
                    f"{_fmt(e.get('follow_rate'))} |"
                )
    else:
        lines.append(_not_measured(key, "Faithfulness"))
    lines.append("")

    rows: list[list[Any]] = []
    probes = scores.get("probes")
    if isinstance(probes, dict) and probes:
        own = {
            "fitted_steps": scores.get("trained_steps", list(cfg.trained_steps)),
            **{k: scores.get(k) for k in ("per_step_accuracy", "interpretability", "final_error")},
        }
        for name, p in {"shared decoder (the checkpoint's own)": own, **probes}.items():
            accs = " / ".join(f"{a:.3f}" for a in p.get("per_step_accuracy") or [])
            fitted = p.get("fitted_steps")
            rows.append(
                [
                    name,
                    ", ".join(map(str, fitted)) if isinstance(fitted, list) else str(fitted),
                    accs,
                    None if p.get("interpretability") is None else round(float(p["interpretability"]), 4),
                    None if p.get("final_error") is None else round(float(p["final_error"]), 4),
                ]
            )
        lines.append(
            f"**Decoder probes**: {len(probes)} fresh decoders fitted on the frozen model, beside its own decoder "
            "(table below): how much board information each hidden state holds."
        )
    else:
        lines.append(_not_measured(key, "Decoder probes", " --probes"))
    return png, "\n".join(lines), rows


@friendly
def analysis_api(checkpoint: str) -> tuple[str | None, str, list[list[Any]]]:
    """The checkpoint's extrapolation curve (PNG), its faithfulness and extrapolation (markdown), its probe rows.

    From the checkpoint's eval.json (written by ``python -m training.analyze``); where that has no
    extrapolation, it is measured live on 200 eval episodes (about a second, once per checkpoint).
    """
    if not (checkpoint or "").strip():
        return None, "Pick a checkpoint to see its extrapolation, faithfulness and probes.", []
    key, model = load_model(checkpoint)
    cache_key = (key, _eval_mtime(key))
    with _analysis_lock:
        cached = _analysis_cache.get(cache_key)
    if cached is None:  # measured outside the lock: a slow Hub fetch must not hold up other checkpoints
        cached = _analysis(key, model, _eval_json(key))
        with _analysis_lock:
            _analysis_cache[cache_key] = cached
            while len(_analysis_cache) > 4 * MODEL_CACHE_SIZE:
                _analysis_cache.pop(next(iter(_analysis_cache)))
    png, text, rows = cached
    curve = None
    if png is not None:
        curve = _output(f"{hashlib.sha256(png).hexdigest()[:20]}-extrapolation.png", png)
    return curve, text, rows


def _opened() -> bool:
    return True


def _closed() -> bool:
    return False


def _when_open(fn: Callable[..., Any], outputs: int) -> Callable[..., Any]:
    """``fn`` for a view that is open (its last input, a State, says so); nothing while it is closed."""

    def wrapper(*args: Any) -> Any:
        *rest, is_open = args
        if not is_open:
            return tuple(gr.skip() for _ in range(outputs)) if outputs > 1 else gr.skip()
        return fn(*rest)

    return wrapper


# ---------------------------------------------------------------------------------------------
# The page

INTRO = """\
# What does the network imagine?

A recurrent network reads a Game of Life board and is trained to predict the board a few steps
ahead. Its decoder, applied to every *intermediate* hidden state, shows the boards it "imagines"
on the way (Wichers et al., [arXiv 2405.06409](https://arxiv.org/abs/2405.06409)). Pick a
checkpoint and a start board, run, and compare the true frames with the decoded hidden states.
Then edit what it imagines at one step and see whether the rest of its imagination follows (4.).
"""

CSS = """
#episode-panel img, #score-matrix img, #animation img, #intervene-panel img { image-rendering: pixelated; }
"""


def _postprocessed(fn: Callable[..., tuple], outputs: list[gr.components.Component]) -> Callable[..., list]:
    """``fn`` with each output already postprocessed by its component, for an event with
    ``postprocess=False``: Gradio then moves each output file into its cache once instead of twice
    and skips a thread hop per output. The answer is the same."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> list:
        values = fn(*args)
        done = [c.postprocess(v) for c, v in zip(outputs, values, strict=True)]
        return [d.model_dump() if hasattr(d, "model_dump") else d for d in done]

    return wrapper


def build_demo(default_checkpoint_name: str | None = None) -> gr.Blocks:
    """The whole page. ``default_checkpoint_name`` defaults to the first zoo entry."""
    choices = zoo_choices()
    default = default_checkpoint_name or default_checkpoint()
    if default and default not in {n for _, n in choices}:
        choices = [(default, default), *choices]
    with gr.Blocks(
        title="imagination: what a recurrent network imagines",
        analytics_enabled=False,
        delete_cache=(1800, 3600),  # every 30 min, drop cached outputs older than an hour
    ) as demo:
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2, min_width=340):
                gr.Markdown("### 1. Checkpoint")
                checkpoint = gr.Dropdown(
                    choices=choices,
                    value=default,
                    allow_custom_value=True,
                    label="Checkpoint",
                    info="A zoo checkpoint (regime, interpretability), or type a Hub repo id (org/name) or a folder "
                    "and press Load",
                    elem_id="checkpoint",
                )
                load_btn = gr.Button("Load checkpoint", size="sm", elem_id="load-btn")
                rule = gr.Dropdown(
                    choices=RULES,
                    value=None,
                    allow_custom_value=True,
                    label="Rule of the true game",
                    info="The checkpoint's own rule when it is loaded; pick another, or type any Life-like rule "
                    "(B36/S23), to see whether its imagination follows that game",
                    elem_id="rule",
                )
                ckpt_status = gr.Markdown(elem_id="checkpoint-status")
                card_scores = gr.Dataframe(
                    headers=SCORE_HEADERS,
                    datatype=["str", "number"],
                    interactive=False,
                    label="Scores on the checkpoint's card",
                    max_height=240,
                    elem_id="card-scores",
                )
                gr.Markdown("### 2. Start board")
                source = gr.Radio(
                    choices=[(label, key) for key, label in SOURCES.items()],
                    value="pattern",
                    label="Board from",
                    elem_id="board-source",
                )
                size = gr.Slider(MIN_SIZE, MAX_SIZE, value=DEFAULT_SIZE, step=1, label="Board size", elem_id="size")
                with gr.Row():
                    seed = gr.Number(value=0, precision=0, label="Seed (random)", elem_id="seed")
                    density = gr.Slider(0.0, 1.0, value=0.4, step=0.01, label="Density (random)", elem_id="density")
                pattern = gr.Dropdown(
                    choices=patterns.pattern_names(), value=DEFAULT_PATTERN, label="Classic pattern", elem_id="pattern"
                )
                text = gr.Textbox(
                    value="",
                    lines=4,
                    max_lines=20,
                    label="RLE or plaintext (.cells): paste, upload, draw, or click cells of the board below",
                    placeholder="x = 3, y = 3, rule = B3/S23\nbo$2bo$3o!",
                    elem_id="board-text",
                )
                upload = gr.UploadButton(
                    "Upload a .rle / .cells file",
                    file_types=[".rle", ".cells", ".txt"],
                    type="filepath",
                    size="sm",
                    elem_id="board-upload",
                )
                with gr.Accordion("Paint a board", open=False, elem_id="paint"):
                    editor = gr.ImageEditor(
                        canvas_size=(320, 320),
                        fixed_canvas=True,
                        sources=(),
                        transforms=(),
                        layers=False,
                        brush=gr.Brush(colors=["#111827"], default_size=12, color_mode="fixed"),
                        type="numpy",
                        image_mode="RGBA",
                        format="png",
                        label="Pick the brush and paint live cells; the canvas is cut into size x size cells",
                        elem_id="board-editor",
                    )
                    use_drawing = gr.Button("Use the drawing", size="sm", elem_id="use-drawing")
                gr.Markdown("**Start board** (click a cell to flip it)")
                preview = gr.Image(
                    label="Start board: click a cell to flip it",
                    show_label=False,
                    format="png",
                    interactive=False,
                    buttons=[],
                    height=340,
                    elem_id="board-preview",
                )
                rle = gr.Textbox(
                    label="This board as RLE", interactive=False, lines=2, buttons=["copy"], elem_id="board-rle"
                )
            with gr.Column(scale=3, min_width=440):
                gr.Markdown("### 3. Run")
                with gr.Row(equal_height=True):
                    steps = gr.Number(  # bounds checked by run_episode_api, whose message names the field
                        value=None,
                        precision=0,
                        label=f"Model steps (1-{MAX_STEPS})",
                        info="Defaults to the checkpoint's trained steps; go beyond to see whether the imagination "
                        "keeps following the game",
                        scale=3,
                        elem_id="steps",
                    )
                    run_btn = gr.Button("Run episode", variant="primary", scale=1, elem_id="run-btn")
                run_status = gr.Markdown("Run an episode to see it here.", elem_id="run-status")
                panel = gr.Image(
                    label="Per step: true frame / decoded P(alive) / imagined (>0.5) / error",
                    show_label=False,
                    buttons=["download", "fullscreen"],
                    type="filepath",
                    format="png",
                    interactive=False,
                    elem_id="episode-panel",
                )
                step_table = gr.Dataframe(
                    headers=STEP_HEADERS,
                    datatype=["number", "number", "str", "number", "number"],
                    interactive=False,
                    label="Per-step scores",
                    elem_id="step-scores",
                )
                with gr.Row(equal_height=False):
                    heatmap = gr.Image(
                        label="Score matrix: MCC of every decoded step against every true frame",
                        show_label=False,
                        buttons=["download", "fullscreen"],
                        type="filepath",
                        format="png",
                        interactive=False,
                        elem_id="score-matrix",
                    )
                    animation = gr.Image(
                        label="Animation of the episode",
                        show_label=False,
                        buttons=["download", "fullscreen"],
                        type="filepath",
                        format="gif",
                        interactive=False,
                        elem_id="animation",
                    )
                with gr.Row():
                    npz_file = gr.File(label="Episode (.npz)", interactive=False, height=80, elem_id="download-npz")
                    json_file = gr.File(label="Episode (.json)", interactive=False, height=80, elem_id="download-json")
                with gr.Accordion("Episode summary (JSON)", open=False):
                    summary = gr.JSON(elem_id="episode-summary")
                with gr.Accordion(
                    "4. Intervene: edit what it imagines at step i", open=False, elem_id="intervene"
                ) as intervene_view:
                    gr.Markdown(
                        "Pick a model step i: the board the network imagines there is shown below. Click cells to "
                        "flip them, then run from the edit: the hidden state at step i is replaced by the encoding "
                        "of the edited board and the network imagines on. From step i on, the true frames are the "
                        "game's continuation of the edited board, so the scores say whether the rest of the "
                        "imagination, and the final answer, follow the edit. Blue cells: made alive by the edit; "
                        "pale red: killed."
                    )
                    with gr.Row(equal_height=True):
                        iv_step = gr.Slider(
                            0,
                            MAX_STEPS,
                            value=1,
                            step=1,
                            label="Model step i to edit",
                            scale=3,
                            elem_id="intervene-step",
                        )
                        iv_show = gr.Button("Show / reset", size="sm", scale=1, elem_id="intervene-show")
                    iv_board = gr.Image(
                        label="Imagined board at step i: click a cell to flip it",
                        show_label=False,
                        format="png",
                        interactive=False,
                        buttons=[],
                        height=340,
                        elem_id="intervene-board",
                    )
                    iv_rle = gr.Textbox(
                        label="The edited imagined board as RLE (click cells above, or edit the text)",
                        lines=2,
                        max_lines=12,
                        elem_id="intervene-rle",
                    )
                    iv_original = gr.State("")  # the unedited imagined board, to colour the edits
                    iv_btn = gr.Button("Run from the edit", variant="primary", elem_id="intervene-btn")
                    iv_status = gr.Markdown(elem_id="intervene-status")
                    iv_panel = gr.Image(
                        label="The intervened episode: per step true frame / decoded P(alive) / imagined / error",
                        show_label=False,
                        buttons=["download", "fullscreen"],
                        type="filepath",
                        format="png",
                        interactive=False,
                        elem_id="intervene-panel",
                    )
                    with gr.Accordion("Intervened episode (JSON)", open=False):
                        iv_summary = gr.JSON(elem_id="intervene-summary")
                with gr.Accordion(
                    "Beyond the paper: this checkpoint's extrapolation, faithfulness and probes",
                    open=False,
                    elem_id="analysis",
                ) as analysis_view:
                    an_curve = gr.Image(
                        label="Decoded accuracy and MCC past the trained steps",
                        show_label=False,
                        buttons=["download", "fullscreen"],
                        type="filepath",
                        format="png",
                        interactive=False,
                        elem_id="analysis-curve",
                    )
                    an_text = gr.Markdown(
                        "Open this view to measure the loaded checkpoint.", elem_id="analysis-summary"
                    )
                    an_probes = gr.Dataframe(
                        headers=PROBE_HEADERS,
                        datatype=["str", "str", "str", "number", "number"],
                        interactive=False,
                        label="Decoder probes (fresh decoders fitted on the frozen model)",
                        elem_id="analysis-probes",
                    )
                iv_open, an_open = gr.State(False), gr.State(False)

        board_inputs = [source, seed, density, size, pattern, text]
        episode_inputs = [checkpoint, *board_inputs, steps, rule]
        iv_inputs = [*episode_inputs, iv_step]
        analysis_outputs = [an_curve, an_text, an_probes]
        imagined_outputs = [iv_board, iv_rle, iv_original]
        loaded = gr.on(
            [demo.load, checkpoint.select, load_btn.click],
            load_checkpoint,
            inputs=[checkpoint],
            outputs=[ckpt_status, card_scores, steps],
            api_name="load_checkpoint",
        )
        # Loading a checkpoint resets the rule to its own, and refreshes the analysis if it is open.
        loaded.success(checkpoint_rule, inputs=[checkpoint], outputs=[rule], api_name="checkpoint_rule")
        loaded.success(
            _when_open(analysis_api, 3),
            inputs=[checkpoint, an_open],
            outputs=analysis_outputs,
            api_name="analysis_if_open",
            api_visibility="private",
        )
        gr.on(
            [demo.load, source.change, seed.change, density.release, size.release, pattern.change, text.blur],
            make_board,
            inputs=board_inputs,
            outputs=[preview, rle],
            api_name="make_board",
        )
        edited = [text, source, preview, rle]
        # A click carries the cell in its event data, which API callers cannot send: they use /toggle_cell.
        preview.select(
            click_cell, inputs=board_inputs, outputs=edited, api_name="click_cell", api_visibility="undocumented"
        )
        gr.api(toggle_cell, api_name="toggle_cell")
        use_drawing.click(board_from_drawing, inputs=[editor, size], outputs=edited, api_name="board_from_drawing")
        upload.upload(read_upload, inputs=[upload, size], outputs=edited, api_name="read_upload")
        episode_outputs = [panel, heatmap, animation, step_table, run_status, summary]
        ran = run_btn.click(
            _postprocessed(run_episode_api, episode_outputs),
            inputs=episode_inputs,
            outputs=episode_outputs,
            api_name="run_episode",
            concurrency_limit=RUN_CONCURRENCY,
            postprocess=False,  # done by _postprocessed
        )
        ran.success(download, inputs=episode_inputs, outputs=[npz_file, json_file], api_name="download")

        # Intervene: the imagined board at step i when the view opens, the step moves, or a run ends
        # while it is open; clicks flip its cells; "Run from the edit" continues the network from it.
        steps.change(
            step_range,
            inputs=[steps, iv_step],
            outputs=[iv_step],
            api_name="step_range",
            api_visibility="private",
            queue=False,
        )
        for view, state, name in ((intervene_view, iv_open, "intervene"), (analysis_view, an_open, "analysis")):
            view.expand(_opened, outputs=[state], api_name=f"{name}_opened", api_visibility="private", queue=False)
            view.collapse(_closed, outputs=[state], api_name=f"{name}_closed", api_visibility="private", queue=False)
        gr.on(
            [intervene_view.expand, iv_step.release, iv_show.click],
            imagined_board,
            inputs=iv_inputs,
            outputs=imagined_outputs,
            api_name="imagined_board",
        )
        ran.success(
            _when_open(imagined_board, 3),
            inputs=[*iv_inputs, iv_open],
            outputs=imagined_outputs,
            api_name="imagined_board_if_open",
            api_visibility="private",
        )
        iv_board.select(
            click_imagined,
            inputs=[iv_rle, iv_original],
            outputs=[iv_board, iv_rle],
            api_name="click_imagined_cell",
            api_visibility="undocumented",
        )
        iv_rle.blur(
            show_edit, inputs=[iv_rle, iv_original], outputs=[iv_board], api_name="show_edit", api_visibility="private"
        )
        iv_btn.click(
            intervene_api,
            inputs=[*iv_inputs, iv_rle],
            outputs=[iv_panel, iv_status, iv_summary],
            api_name="intervene",
            concurrency_limit=RUN_CONCURRENCY,
        )
        analysis_view.expand(analysis_api, inputs=[checkpoint], outputs=analysis_outputs, api_name="analysis")
    demo.queue(default_concurrency_limit=RUN_CONCURRENCY)
    return demo


def parser() -> argparse.ArgumentParser:
    default = default_checkpoint()
    p = argparse.ArgumentParser(
        prog="python app.py",
        description="The imagination demo (Gradio). Serves on 127.0.0.1 unless told otherwise.",
    )
    p.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to listen on (default: %(default)s; use 0.0.0.0 to serve other machines)",
    )
    p.add_argument(
        "--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")), help="default: %(default)s"
    )
    p.add_argument(
        "--checkpoint",
        default=default,
        help="checkpoint selected at start: a zoo name, folder or Hub repo id (default: the first zoo entry, "
        f"{default or 'none: the zoo is empty'})",
    )
    p.add_argument(
        "--online",
        action=argparse.BooleanOptionalAction,
        default=not OFFLINE,
        help="fetch Hub repo ids typed by visitors (default: on only on a Hugging Face Space)",
    )
    p.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    p.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("IMAGINATION_APP_WORKERS", default_workers())),
        help="processes that draw the pictures beside the server's own (default: %(default)s, one per core "
        "but the server's, at most 4; 0 draws in the server process)",
    )
    return p


def main(argv: list[str] | None = None) -> None:
    global OFFLINE
    args = parser().parse_args(argv)
    OFFLINE = not args.online
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    torch.set_num_threads(1)  # tiny convolutions: one thread per request beats two fighting for two cores
    demo = build_demo(args.checkpoint)
    # SIGTERM (how a Space or a test stops the app) closes it like Ctrl-C: the workers stop and
    # the output folder is removed, instead of an exit that skips every clean-up.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        ssr_mode=False,
        show_error=False,
        css=CSS,
        footer_links=["api"],
        prevent_thread_lock=True,
    )
    # After the page is up: starting a worker imports torch and gradio again, which would slow the
    # start by a second or two; until it is ready the server draws itself.
    start_drawing(args.workers)
    demo.block_thread()


if __name__ == "__main__":
    main()
