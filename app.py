"""The imagination demo: pick a checkpoint and a start board, and see what the network imagines.

    python app.py                      # http://127.0.0.1:7860, the bundled zoo, offline
    python app.py --help               # host, port, default checkpoint, --online, --local-folders

The face of ``imagination/``: this file lays out the page, wires widgets to the package and turns
errors into messages. Boards come from ``imagination.boards``, checkpoints from
``imagination.checkpoints``, tables and text from ``imagination.report``, pictures from
``imagination.viz``. Every event has an ``api_name`` (or is marked private), so ``gradio_client``
can drive the same functions (see tests/test_app.py); each checks its arguments itself, so a
wrong type or an overlong value gets a one-line message.

The page opens on an episode already drawn: the showcase checkpoint (one that imagines) on a
board that moves. "Compare regimes" runs one board through the baseline, autoencoder and
adversarial checkpoints; "Intervene" edits what the network imagines at step i and lets it
imagine on; "Beyond the paper" shows a checkpoint's extrapolation, faithfulness and probes.

It is also a Hugging Face Space (README front matter ``sdk: gradio``, ``app_file: app.py``). On a
Space (``SPACE_ID`` is set) Hub repo ids are fetched; locally the app runs offline unless started
with ``--online``. Local folders are readable only when the app listens on loopback or is started
with ``--local-folders``.
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
import logging  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from imagination import CheckpointError, ImaginationModel, boards, life, patterns, registry, report, viz, zoo  # noqa: E402
from imagination.boards import MAX_SIZE, MAX_STEPS, MIN_SIZE, InputError  # noqa: E402
from imagination.checkpoints import Checkpoints, is_loopback, redact, regimes_of, showcase  # noqa: E402
from imagination.episode import Episode, intervene, run_episode  # noqa: E402
from imagination.workers import WorkerPool, default_workers  # noqa: E402

logger = logging.getLogger("imagination.app")

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
MAX_COMPARE = 4
# Requests served at once per event; the rest wait in gradio's queue. A request waiting on a drawing
# worker leaves the server free for the next one, so a few beat one even on two cores
# (benchmarks/README.md).
RUN_CONCURRENCY = int(os.environ.get("IMAGINATION_APP_CONCURRENCY", "4"))

# Offline unless on a Space: nothing but the bundled zoo, local folders and the Hub cache is read.
# Folders outside the zoo only on loopback (main() sets both from the command line).
CHECKPOINTS = Checkpoints(offline=os.environ.get("SPACE_ID") is None, local_folders=False)


# ---------------------------------------------------------------------------------------------
# Errors: every failure reaches the page as a one-line gr.Error, never as a traceback or a path.

F = TypeVar("F", bound=Callable[..., Any])


def message_of(e: BaseException) -> str | None:
    """The visitor's message for an expected failure (None for a bug), with no server path in it."""
    if isinstance(e, patterns.PatternError):
        return redact(f"Board: {e}")
    if isinstance(e, (InputError, CheckpointError)):
        return redact(str(e))
    return None


def friendly(fn: F) -> F:
    """Turn any exception into a gr.Error with a one-line message, so the app keeps working."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:
            msg = message_of(e)
            if msg is None:  # a bug: log the traceback, show one line that names no internals
                logger.exception("unexpected error in %s", fn.__name__)
                msg = f"The server could not answer this request ({fn.__name__}); the error was logged."
            raise gr.Error(msg, print_exception=False) from None

    return wrapper  # type: ignore[return-value]


def _name(value: Any) -> str:
    return boards.text(value, "the checkpoint name", boards.MAX_NAME_CHARS).strip()


def zoo_choices() -> list[tuple[str, str]]:
    """(menu label with regime and headline score, name) for every bundled checkpoint."""
    return [(e.label(), e.name) for e in zoo.list()]


def default_checkpoint() -> str | None:
    """The showcase: a checkpoint that imagines (interpretability ~1), not the first zoo entry."""
    return showcase()


def load_model(name: Any) -> tuple[str, ImaginationModel]:
    return CHECKPOINTS.load(_name(name))


def _shown(key: str) -> str:
    return CHECKPOINTS.display_name(key)


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
    blank = np.zeros((4, boards.DEFAULT_SIZE, boards.DEFAULT_SIZE), np.float32)
    return Episode(blank[0], blank, blank, [0, 1, 2, 3], 3, [3], str(life.parse_rule(life.LIFE)))


def start_drawing(workers: int, wait: bool = False) -> None:
    """Draw in ``workers`` processes (0: in this one); see ``--workers``."""
    if workers <= 0:
        logger.info("drawing in the server process (no worker processes)")
    DRAWING.start(workers, warm_up=functools.partial(viz.episode_images, _blank_episode()), wait=wait)


# ---------------------------------------------------------------------------------------------
# Event handlers: plain inputs in, plain outputs out (the API is the UI). Each receives the raw
# values a client sent (events run with preprocess=False) and checks them through boards.*.


def preview_image(board: np.ndarray) -> np.ndarray:
    return viz.board_image(board, boards.preview_scale(board.shape[0]))


def _episode(
    checkpoint: Any, source: Any, seed: Any, density: Any, size: Any, pattern: Any, text: Any, steps: Any, rule: Any
) -> tuple[str, ImaginationModel, Episode, np.ndarray, str]:
    key, model = load_model(checkpoint)
    board, what = boards.build_board(source, seed, density, size, pattern, text)
    n = boards.model_steps(steps, model.config.model_steps)
    if not model.config.tied and n > model.config.model_steps:
        raise InputError(
            f"{_shown(key)} is untied (a separate block per step), so it can run at most "
            f"{model.config.model_steps} steps, not {n}"
        )
    the_rule = boards.parse_rule(rule, model.config.rule, RULES)
    return key, model, run_episode(model, board, n, the_rule), board, what


@friendly
def load_checkpoint(name: Any) -> tuple[str, list[list[Any]], int | None]:
    """Load a checkpoint: (status line, the card's scores as [score, value] rows, its trained steps)."""
    if not _name(name):
        return "Pick a checkpoint from the zoo, or type a Hub repo id (org/name).", [], None
    key, model = load_model(name)
    rows = report.card_rows(CHECKPOINTS.card(key))
    return report.load_status(_shown(key), model.config, bool(rows)), rows, model.config.model_steps


@friendly
def checkpoint_rule(name: Any) -> str | None:
    """The rule a checkpoint was trained on (what the rule field resets to when it is loaded)."""
    if not _name(name):
        return None
    return str(life.parse_rule(load_model(name)[1].config.rule))


@friendly
def make_board(source: Any, seed: Any, density: Any, size: Any, pattern: Any, text: Any) -> tuple[np.ndarray, str]:
    """The start board as an image and as RLE text."""
    board, _ = boards.build_board(source, seed, density, size, pattern, text)
    return preview_image(board), boards.board_rle(board)


@friendly
def toggle_cell(source: str, seed: int, density: float, size: int, pattern: str, text: str, row: int, col: int) -> str:
    """The start board with cell (row, col) flipped, as RLE (what a click on the board does)."""
    board, _ = boards.build_board(source, seed, density, size, pattern, text)
    return boards.board_rle(boards.toggled(board, row, col))


def _edited(board: np.ndarray) -> tuple[str, str, np.ndarray, str]:
    rle = boards.board_rle(board)
    return rle, "text", preview_image(board), rle


@friendly
def click_cell(
    source: Any, seed: Any, density: Any, size: Any, pattern: Any, text: Any, evt: gr.SelectData
) -> tuple[str, str, np.ndarray, str]:
    """A click on the start board flips the cell under it; the board becomes RLE text (source 'text')."""
    board, _ = boards.build_board(source, seed, density, size, pattern, text)
    scale = boards.preview_scale(board.shape[0])
    x, y = evt.index
    row, col = boards.cell_at(x, y, board.shape, (board.shape[1] * scale, board.shape[0] * scale))
    return _edited(boards.toggled(board, row, col))


def _file_path(value: Any, what: str) -> Path:
    """The local path of an uploaded file as the client sent it (a FileData object, which gradio has
    already checked lies in its upload folder)."""
    path = value.get("path") if isinstance(value, dict) else None
    if not isinstance(path, str) or not path:
        raise InputError(f"{what}: no file received")
    return Path(path)


@friendly
def board_from_drawing(editor: Any, size: Any) -> tuple[str, str, np.ndarray, str]:
    """A painting (dark strokes on a light canvas) thresholded cell by cell into a board."""
    boards.size_of(size)
    composite = editor.get("composite") if isinstance(editor, dict) else None
    if not composite:
        raise InputError("Drawing: nothing drawn yet; paint live cells on the canvas first")
    try:
        with Image.open(_file_path(composite, "Drawing")) as img:
            rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255.0
    except OSError:
        raise InputError("Drawing: the canvas could not be read as an image") from None
    return _edited(boards.board_from_ink(rgba, size))


@friendly
def read_upload(file: Any, size: Any) -> tuple[str, str, np.ndarray, str]:
    """An uploaded .rle / .cells file becomes the board text (checked before it is accepted)."""
    n = boards.size_of(size)
    path = _file_path(file, "Upload")
    name = str(file.get("orig_name") or path.name)[-80:]
    if path.stat().st_size > boards.MAX_UPLOAD_BYTES:
        raise InputError(f"Upload: {name} is {path.stat().st_size:,} bytes; a pattern file here is at most 1,000,000")
    text = boards.decode_upload(path.read_bytes(), name)
    board = boards.parse_text(text, n, what=f"Upload: {name}", sep=", ")
    return text, "text", preview_image(board), boards.board_rle(board)


def _tag(*parts: Any) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:20]


def _panel_outputs(key: str, model: ImaginationModel, ep: Episode, board: np.ndarray, what: str) -> tuple:
    answers = report.task_answers(ep, model.config)
    tag = _tag(key, ep.steps, boards.board_digest(board), ep.rule)
    panel_png, matrix_png, gif_bytes = DRAWING.run(viz.episode_images, ep, viz.MATRIX_TITLE, _task_maps(answers))
    shown = _shown(key)
    return (
        _output(f"{tag}-panel.png", panel_png),
        _output(f"{tag}-scores.png", matrix_png),
        _output(f"{tag}-animation.gif", gif_bytes),
        report.step_table(ep, answers),
        report.run_status(shown, what, ep, model.config, answers),
        report.run_summary(shown, board, ep, model.config, answers),
    )


def _task_maps(answers: report.TaskAnswers | None) -> viz.TaskMaps | None:
    if answers is None:
        return None
    return answers.predicted, answers.true, answers.task, answers.region_cells


@friendly
def run_episode_api(
    checkpoint: Any,
    source: Any,
    seed: Any,
    density: Any,
    size: Any,
    pattern: Any,
    text: Any,
    steps: Any,
    rule: Any = None,
) -> tuple[str, str, str, dict[str, Any], str, dict[str, Any]]:
    """Run one episode: (panel PNG, score-matrix PNG, animation GIF, per-step rows, status, summary).

    ``rule``: the rule of the true game (default: the checkpoint's own).
    """
    key, model, ep, board, what = _episode(checkpoint, source, seed, density, size, pattern, text, steps, rule)
    return _panel_outputs(key, model, ep, board, what)


def _downloads(key: str, model: ImaginationModel, ep: Episode, board: np.ndarray) -> tuple[str, str]:
    stem, npz, js = report.download_files(_shown(key), board, ep, model.config)
    return _output(f"{stem}.npz", npz), _output(f"{stem}.json", js)


@friendly
def download(
    checkpoint: Any,
    source: Any,
    seed: Any,
    density: Any,
    size: Any,
    pattern: Any,
    text: Any,
    steps: Any,
    rule: Any = None,
) -> tuple[str, str]:
    """The episode's boards, decodings and scores as .npz and as .json (same inputs as run_episode)."""
    key, model, ep, board, _ = _episode(checkpoint, source, seed, density, size, pattern, text, steps, rule)
    return _downloads(key, model, ep, board)


# ---------------------------------------------------------------------------------------------
# The page's own handlers (private): one event computes everything a run shows, so what is shown
# and what is offered for download always come from the same inputs; failures clear stale results.


def _loaded_outputs(key: str, model: ImaginationModel) -> tuple[str, list, int, str, str]:
    rows = report.card_rows(CHECKPOINTS.card(key))
    rule = str(life.parse_rule(model.config.rule))
    return report.load_status(_shown(key), model.config, bool(rows)), rows, model.config.model_steps, rule, key


def load_page(name: Any, loaded: Any) -> tuple:
    """The page's checkpoint field: load on select, Enter, blur or the Load button (once per name).

    Resets steps and rule to the checkpoint's own; on failure the status says so and the old
    checkpoint's scores are cleared, so nothing on the page claims a load that did not happen.
    """
    try:
        name = _name(name)
        if not name:
            return "Pick a checkpoint from the zoo, or type a Hub repo id (org/name).", [], None, None, ""
        key = CHECKPOINTS.resolve(name)
        if key == loaded:
            return tuple(gr.skip() for _ in range(5))
        return _loaded_outputs(*load_model(name))
    except Exception as e:
        msg = _page_error(e, "load_checkpoint")
        return f"**Not loaded**: {msg}", [], gr.skip(), gr.skip(), ""


def load_on_enter(name: Any, loaded: Any, evt: gr.KeyUpData) -> tuple:
    """Enter in the checkpoint field loads what was typed (other keys do nothing)."""
    if evt.key != "Enter":
        return tuple(gr.skip() for _ in range(5))
    return load_page(evt.input_value if isinstance(evt.input_value, str) else name, loaded)


def _page_error(e: BaseException, where: str) -> str:
    msg = message_of(e)
    if msg is None:
        logger.exception("unexpected error in %s", where)
        msg = "the server could not answer this request; the error was logged."
    gr.Warning(msg)
    return msg


RUN_OUTPUTS = 8  # panel, heatmap, animation, table, status, summary, .npz, .json


def run_page(*args: Any) -> tuple:
    """The page's Run: the episode, its downloads, and, if the checkpoint field changed since the
    last load, that checkpoint's status, steps and rule (its own, not the previous checkpoint's)."""
    *inputs, steps, rule, loaded = args
    checkpoint = inputs[0]
    try:
        key = CHECKPOINTS.resolve(_name(checkpoint))
        fresh = key != loaded
        if fresh:  # typed but not loaded yet: the old checkpoint's steps and rule do not apply
            steps, rule = None, None
        key, model, ep, board, what = _episode(*inputs, steps, rule)
        shown = _panel_outputs(key, model, ep, board, what)
        files = _downloads(key, model, ep, board)
        extra = _loaded_outputs(key, model) if fresh else tuple(gr.skip() for _ in range(5))
        return (*shown, *files, *extra)
    except Exception as e:
        msg = _page_error(e, "run_episode")
        cleared = (None, None, None, {"headers": report.STEP_HEADERS, "data": []}, f"**Run failed**: {msg}", None)
        return (*cleared, None, None, *(gr.skip() for _ in range(5)))


# ---------------------------------------------------------------------------------------------
# Compare regimes: one start board through 2-4 checkpoints, row by row


@friendly
def compare_api(
    checkpoints: Any, source: Any, seed: Any, density: Any, size: Any, pattern: Any, text: Any
) -> tuple[str, dict[str, Any], str]:
    """The same start board through 2 to 4 checkpoints, each for its own trained steps and rule:
    (picture: one row of imagined boards per checkpoint under the true frames, per-step MCC table, status)."""
    if isinstance(checkpoints, str):
        checkpoints = [c for c in checkpoints.split(",") if c.strip()]
    if not isinstance(checkpoints, list) or not all(isinstance(c, str) for c in checkpoints):
        raise InputError("checkpoints must be a list of 2 to 4 checkpoint names")
    names = list(dict.fromkeys(_name(c) for c in checkpoints if _name(c)))
    if not 2 <= len(names) <= MAX_COMPARE:
        raise InputError(f"pick 2 to {MAX_COMPARE} different checkpoints to compare, not {len(names)}")
    board, what = boards.build_board(source, seed, density, size, pattern, text)
    shown, episodes, interp = [], [], []
    for name in names:
        key, model = load_model(name)
        episodes.append(run_episode(model, board))
        shown.append(_shown(key))
        entry = next((e for e in zoo.list() if e.name == shown[-1] and registry.in_zoo(key)), None)
        interp.append(entry.interpretability if entry else None)
    png = DRAWING.run(viz.compare_panel_png, episodes, shown)
    tag = _tag("compare", *shown, boards.board_digest(board))
    return (
        _output(f"{tag}-compare.png", png),
        report.compare_table(shown, episodes, interp),
        report.compare_status(shown, episodes, what),
    )


# ---------------------------------------------------------------------------------------------
# Intervene: edit the imagined board at step i, and watch the rest of the imagination follow (or not)


def _step_index(step: Any, steps: int) -> int:
    return boards.whole_number(step, "the step to edit", 0, steps)


def _imagined_view(board: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    return viz.edited_board_image(board, reference, boards.preview_scale(board.shape[0]))


@friendly
def imagined_board(
    checkpoint: Any,
    source: Any,
    seed: Any,
    density: Any,
    size: Any,
    pattern: Any,
    text: Any,
    steps: Any,
    rule: Any = None,
    step: Any = 1,
) -> tuple[np.ndarray, str, str]:
    """The imagined board (decoding > 0.5) at model step ``step``: (image, RLE) to edit by clicking cells.

    A third output, the same RLE, is the page's memory of the unedited board (a State: not in the API).
    """
    _, _, ep, _, _ = _episode(checkpoint, source, seed, density, size, pattern, text, steps, rule)
    board = ep.imagined[_step_index(step, ep.steps)]
    rle = boards.board_rle(board, ep.rule)
    return _imagined_view(board, None), rle, rle


def _reference(original_rle: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        ref = boards.parse_text(original_rle, None)
    except (InputError, ValueError, TypeError):
        return None
    return ref if ref.shape == shape else None


@friendly
def click_imagined(edited_rle: Any, original_rle: Any, evt: gr.SelectData) -> tuple[np.ndarray, str]:
    """A click on the imagined board flips the cell under it (edited cells are coloured)."""
    board = boards.parse_text(edited_rle, None, what="Edited board")
    scale = boards.preview_scale(board.shape[0])
    x, y = evt.index
    row, col = boards.cell_at(x, y, board.shape, (board.shape[1] * scale, board.shape[0] * scale))
    board = boards.toggled(board, row, col)
    return _imagined_view(board, _reference(original_rle, board.shape)), boards.board_rle(board, _rle_rule(edited_rle))


def _rle_rule(rle: Any) -> str:
    """The rule in an RLE header, or Life (only to write the edited board back with the same header)."""
    try:
        _, rule = patterns.parse_rle_with_rule(rle or "")
        return str(life.parse_rule(rule)) if rule else life.LIFE
    except (ValueError, TypeError):  # PatternError is a ValueError, and so is a malformed rule
        return life.LIFE


def show_edit(edited_rle: Any, original_rle: Any) -> Any:
    """The edited board typed or pasted as text, redrawn (nothing when it does not parse yet)."""
    try:
        board = boards.parse_text(edited_rle, None)
    except (InputError, ValueError, TypeError):
        return gr.skip()
    return _imagined_view(board, _reference(original_rle, board.shape))


def step_range(steps: Any, step: Any) -> Any:
    """The step slider's range: 0..the model steps field (left as is while that is empty or invalid)."""
    try:
        n = boards.whole_number(steps, "steps", 1, MAX_STEPS)
    except InputError:  # empty (the checkpoint's default, set when it loads) or half-typed
        return gr.skip()
    try:
        value = min(max(int(step), 0), n)
    except (TypeError, ValueError):
        value = min(1, n)
    return gr.Slider(minimum=0, maximum=n, value=value)


@friendly
def intervene_api(
    checkpoint: Any,
    source: Any,
    seed: Any,
    density: Any,
    size: Any,
    pattern: Any,
    text: Any,
    steps: Any,
    rule: Any = None,
    step: Any = 1,
    edited_rle: Any = None,
) -> tuple[str, str, dict[str, Any]]:
    """Replace the imagined board at model step ``step`` by ``edited_rle`` and let the network imagine on.

    (panel PNG, status with the comparison to the original run, summary). From ``step`` on the
    true frames are the game's continuation of the edited board, so the scores say whether the
    rest of the imagination, and the final answer, follow the edit. For a summary-task checkpoint
    the status and summary also say how its task answer (count, patch or grid) changed.
    """
    key, model, base, board, what = _episode(checkpoint, source, seed, density, size, pattern, text, steps, rule)
    i = _step_index(step, base.steps)
    edited = boards.edited_board(edited_rle, board.shape)
    ep = intervene(model, board, i, edited, base.steps, base.rule)
    answers = None
    if model.config.task != "board":  # intervene() returns decoded boards only: the answers come from the model
        ep.summary = report.intervened_summary(model, i, edited, base)
        before, after = report.task_answers(base, model.config), report.task_answers(ep, model.config)
        answers = (before, after) if before is not None and after is not None else None
    tag = _tag(key, ep.steps, boards.board_digest(board), ep.rule, i, boards.board_digest(edited))
    panel = _output(f"{tag}-intervened.png", DRAWING.run(viz.intervention_panel_png, ep, i))
    status, summary = report.intervention(_shown(key), what, model.config, board, base, ep, i, edited, answers)
    return panel, status, summary


# ---------------------------------------------------------------------------------------------
# Beyond the paper: the checkpoint's extrapolation curve, faithfulness and decoder probes

_analysis_cache: dict[tuple[str, float | None], tuple[bytes | None, str, list[list[Any]]]] = {}
_analysis_lock = threading.Lock()


@friendly
def analysis_api(checkpoint: Any) -> tuple[str | None, str, list[list[Any]]]:
    """The checkpoint's extrapolation curve (PNG), its faithfulness and extrapolation (markdown), its probe rows.

    From the checkpoint's eval.json (written by ``python -m training.analyze``); where that has no
    extrapolation, it is measured live on 200 eval episodes (about a second, once per checkpoint).
    """
    if not _name(checkpoint):
        return None, "Pick a checkpoint to see its extrapolation, faithfulness and probes.", []
    key, model = load_model(checkpoint)
    cache_key = (key, CHECKPOINTS.eval_mtime(key))
    with _analysis_lock:
        cached = _analysis_cache.get(cache_key)
    if cached is None:  # measured outside the lock: a slow Hub fetch must not hold up other checkpoints
        cached = report.analysis_view(
            _shown(key), model, CHECKPOINTS.eval_json(key), CHECKPOINTS.analyze_hint(key), LIVE_EXTRAPOLATION_EPISODES
        )
        with _analysis_lock:
            _analysis_cache[cache_key] = cached
            while len(_analysis_cache) > 4 * CHECKPOINTS.cache_size:
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


def _to_text(text: Any) -> Any:
    """Typing or pasting into the pattern text makes it the board's source (emptying it does not)."""
    return "text" if isinstance(text, str) and text.strip() else gr.skip()


# ---------------------------------------------------------------------------------------------
# The page

INTRO = """\
# What does the network imagine?

A recurrent network is trained to predict a Game of Life board a few steps ahead; its decoder, applied
to every *intermediate* hidden state, shows the boards it imagines on the way (Wichers et al.,
[arXiv 2405.06409](https://arxiv.org/abs/2405.06409)). Below: one such episode, already run.
"""

# Images are shown at their own size (whole pixels per cell, text drawn at the size it is read),
# never scaled down; a wide one scrolls sideways inside its box rather than shrinking.
CSS = """
.natural img, .natural canvas { width: auto !important; height: auto !important; max-width: none !important;
  max-height: none !important; object-fit: none !important; }
.natural .image-container, .natural .image-frame, .natural button { overflow-x: auto !important;
  justify-content: flex-start !important; }
.natural { overflow-x: auto; }
#run-btn { min-height: 44px; }
#checkpoint input, #rule input, #pattern input { padding-right: 2.2em !important; text-overflow: ellipsis; }
#load-btn { align-self: center; }
@media (max-width: 600px) {
  #step-scores { --text-md: 12px; --size-2: 3px; }
}
/* contrast (WCAG AA, checked by axe-core in tests/test_app_browser.py): hints, slider bounds, primary buttons */
.info-text, [data-testid="min-value"], [data-testid="max-value"], .show-api, .show-api * { color: #4b5563 !important;
  opacity: 1 !important; }
button.primary { background: #c2410c !important; border-color: #c2410c !important; color: #fff !important; }
button.primary:hover { background: #9a3412 !important; }
/* messages at the bottom: at the top right they would cover the Run button */
.toast-wrap { top: auto !important; bottom: var(--size-3); pointer-events: none; }
.toast-wrap > * { pointer-events: auto; }
"""

# Images get alt text that says what they show (gradio renders alt=""): set from each image box's
# data-alt attribute whenever the page changes.
HEAD = """
<script>
(() => {
  const ALT = %s;
  const apply = () => {
    for (const [id, alt] of Object.entries(ALT)) {
      const box = document.getElementById(id);
      if (!box) continue;
      for (const img of box.querySelectorAll('img')) { if (img.alt !== alt) img.alt = alt; }
      for (const b of box.querySelectorAll('button')) {
        if (!b.getAttribute('aria-label') && !b.innerText.trim()) b.setAttribute('aria-label', alt);
      }
      // a picture wider than its box scrolls inside it: the box takes the keyboard focus to scroll
      for (const f of box.querySelectorAll('.image-frame')) {
        if (!f.hasAttribute('tabindex')) { f.setAttribute('tabindex', '0'); f.setAttribute('aria-label', alt); }
      }
    }
  };
  const fixEmpty = () => {  // gradio's empty-image placeholder: an aria-label needs a role to be valid
    for (const d of document.querySelectorAll('div.empty[aria-label]:not([role])')) d.setAttribute('role', 'img');
  };
  const all = () => { apply(); fixEmpty(); };
  new MutationObserver(all).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['src', 'aria-label']});
  document.addEventListener('DOMContentLoaded', all);
})();
</script>
"""

ALT_TEXT = {
    "board-preview": "The start board: dark cells are alive. Click a cell to flip it.",
    "episode-panel": "The episode, one column per model step: the true game board, the network's decoded "
    "probability of each cell being alive, the board it imagines (above 0.5), and its errors in red.",
    "score-matrix": "Score matrix: how well the board decoded at each model step matches the true board at each "
    "game step (MCC, yellow = 1).",
    "animation": "Animation of the episode: the true board, the decoded and imagined boards and the errors, "
    "step by step.",
    "compare-panel": "The same start board through each compared checkpoint: the true frames on top, then one row "
    "per checkpoint of the boards it imagines at each model step, with each step's MCC.",
    "intervene-board": "The board the network imagines at step i; click a cell to flip it. Blue: made alive by "
    "your edit; pale red: killed.",
    "intervene-panel": "The intervened episode, one column per model step; the edited step is framed in blue.",
    "analysis-curve": "Decoded accuracy and MCC of the checkpoint at each model step, past the steps it was "
    "trained for.",
}


def _is_update(value: Any) -> bool:
    """gr.skip() and gr.update(...): Gradio applies these itself, postprocessed or not."""
    return isinstance(value, dict) and "__type__" in value


def _postprocessed(fn: Callable[..., tuple], outputs: list[gr.components.Component]) -> Callable[..., list]:
    """``fn`` with each output already postprocessed by its component, for an event with
    ``postprocess=False``: Gradio then moves each output file into its cache once instead of twice
    and skips a thread hop per output. The answer is the same."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> list:
        values = fn(*args)
        done = [v if _is_update(v) else c.postprocess(v) for c, v in zip(outputs, values, strict=True)]
        return [d.model_dump() if hasattr(d, "model_dump") else d for d in done]

    return wrapper


def _initial(default: str | None) -> dict[str, Any]:
    """What the page shows before any click: the showcase checkpoint on a board of gliders, run.

    Computed once when the page is built and served as the components' initial values, so the first
    episode is painted with the page itself (no request, no wait on a queue).
    """
    board_args = (boards.DEFAULT_SOURCE, 0, boards.DEFAULT_DENSITY, boards.DEFAULT_SIZE, DEFAULT_PATTERN, "")
    out: dict[str, Any] = {"preview": None, "rle": "", "loaded": "", "steps": None, "rule": None}
    try:
        board, what = boards.build_board(*board_args)
        out["preview"], out["rle"] = preview_image(board), boards.board_rle(board)
        if not default:
            return out
        key, model = load_model(default)
        status, rows, steps, rule, loaded = _loaded_outputs(key, model)
        out.update(status=status, scores=rows, steps=steps, rule=rule, loaded=loaded)
        ep = run_episode(model, board, steps)
        panel, heat, gif, table, run_status, summary = _panel_outputs(key, model, ep, board, what)
        npz, js = _downloads(key, model, ep, board)
        out.update(panel=panel, heat=heat, gif=gif, table=table, run_status=run_status, summary=summary, npz=npz, js=js)
    except Exception:  # a default that cannot load (offline Hub id): the page opens empty, and says why on Run
        logger.exception("could not draw the first episode of %s", default)
    return out


def _figure(label: str, elem_id: str, value: str | None = None, format: str = "png") -> gr.Image:
    """A result picture: shown at its own size (class "natural"), downloadable and full-screen, its label
    the alt text that says what it shows."""
    return gr.Image(
        value=value,
        label=label,
        show_label=False,
        buttons=["download", "fullscreen"],
        type="filepath",
        format=format,
        interactive=False,
        elem_id=elem_id,
        elem_classes=["natural"],
    )


def build_demo(default_checkpoint_name: str | None = None) -> gr.Blocks:
    """The whole page. ``default_checkpoint_name`` defaults to the showcase checkpoint."""
    choices = zoo_choices()
    default = default_checkpoint_name or default_checkpoint()
    if default and default not in {n for _, n in choices}:
        choices = [(default, default), *choices]
    first = _initial(default)
    with gr.Blocks(
        title="imagination: what a recurrent network imagines",
        analytics_enabled=False,
        delete_cache=(1800, 3600),  # every 30 min, drop cached outputs older than an hour
    ) as demo:
        gr.Markdown(INTRO, elem_id="intro")
        loaded = gr.State(first["loaded"])  # the checkpoint whose steps and rule the fields hold
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320, elem_id="inputs"):
                gr.Markdown("## 1. Checkpoint")
                with gr.Row(equal_height=False):
                    checkpoint = gr.Dropdown(
                        choices=choices,
                        value=default,
                        allow_custom_value=True,
                        label="Checkpoint",
                        info="A zoo checkpoint (regime, interpretability), or type a Hub repo id (org/name) and "
                        "press Enter",
                        scale=4,
                        elem_id="checkpoint",
                    )
                    load_btn = gr.Button("Load", size="sm", scale=1, min_width=60, elem_id="load-btn")
                ckpt_status = gr.Markdown(first.get("status", ""), elem_id="checkpoint-status")
                gr.Markdown("## 2. Start board")
                source = gr.Radio(
                    choices=[(label, key) for key, label in boards.SOURCES.items()],
                    value=boards.DEFAULT_SOURCE,
                    label="Board from",
                    elem_id="board-source",
                )
                preview = gr.Image(
                    value=first["preview"],
                    label="Start board (click a cell to flip it)",
                    show_label=False,
                    format="png",
                    interactive=False,
                    buttons=[],
                    elem_id="board-preview",
                    elem_classes=["natural"],
                )
                with gr.Row():
                    size = gr.Slider(
                        MIN_SIZE, MAX_SIZE, value=boards.DEFAULT_SIZE, step=1, label="Board size", elem_id="size"
                    )
                    seed = gr.Number(value=0, label="Seed (random, gliders)", min_width=100, elem_id="seed")
                    density = gr.Slider(
                        0.0, 1.0, value=boards.DEFAULT_DENSITY, step=0.01, label="Density (random)", elem_id="density"
                    )
                pattern = gr.Dropdown(
                    choices=patterns.pattern_names(), value=DEFAULT_PATTERN, label="Classic pattern", elem_id="pattern"
                )
                text = gr.Textbox(
                    value="",
                    lines=3,
                    max_lines=20,
                    label="RLE or plaintext (.cells): paste or type; upload, draw, or click cells of the board",
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
                rle = gr.Textbox(
                    value=first["rle"],
                    label="This board as RLE",
                    interactive=False,
                    lines=2,
                    buttons=["copy"],
                    elem_id="board-rle",
                )
                with gr.Accordion(
                    "Rule of the true game, and the checkpoint's card scores", open=False, elem_id="rule-box"
                ):
                    rule = gr.Dropdown(
                        choices=RULES,
                        value=first["rule"],
                        allow_custom_value=True,
                        label="Rule of the true game",
                        info="The checkpoint's own rule when it is loaded; pick another, or type any Life-like rule "
                        "(B36/S23), to see whether its imagination follows that game",
                        elem_id="rule",
                    )
                    card_scores = gr.Dataframe(
                        value=first.get("scores"),
                        headers=report.SCORE_HEADERS,
                        datatype=["str", "number"],
                        interactive=False,
                        label="Scores on the checkpoint's card",
                        max_height=240,
                        elem_id="card-scores",
                    )
            with gr.Column(scale=3, min_width=360, elem_id="results"):
                gr.Markdown("## 3. Run")
                with gr.Row(equal_height=True):
                    steps = gr.Number(  # bounds checked by run_episode_api, whose message names the field
                        value=first["steps"],
                        label=f"Model steps (1-{MAX_STEPS})",
                        info="Empty: the checkpoint's trained steps; more shows whether its imagination keeps up",
                        scale=3,
                        elem_id="steps",
                    )
                    run_btn = gr.Button("Run episode", variant="primary", scale=1, elem_id="run-btn")
                run_status = gr.Markdown(
                    first.get("run_status", "Run an episode to see it here."), elem_id="run-status"
                )
                panel = _figure(
                    "The episode: per model step the true frame, decoded P(alive), imagined board and error",
                    "episode-panel",
                    value=first.get("panel"),
                )
                step_table = gr.Dataframe(
                    value=first.get("table"),
                    headers=report.STEP_HEADERS,
                    interactive=False,
                    label="Per-step scores",
                    wrap=True,
                    elem_id="step-scores",
                )
                with gr.Row(equal_height=False):
                    heatmap = _figure(
                        "Score matrix: MCC of every decoded step against every true frame",
                        "score-matrix",
                        value=first.get("heat"),
                    )
                    animation = _figure("Animation of the episode", "animation", value=first.get("gif"), format="gif")
                with gr.Row():
                    npz_file = gr.File(
                        value=first.get("npz"),
                        label="Episode (.npz)",
                        interactive=False,
                        height=80,
                        elem_id="download-npz",
                    )
                    json_file = gr.File(
                        value=first.get("js"),
                        label="Episode (.json)",
                        interactive=False,
                        height=80,
                        elem_id="download-json",
                    )
                with gr.Accordion("Episode summary (JSON)", open=False):
                    summary = gr.JSON(value=first.get("summary"), elem_id="episode-summary")
                # A hidden trigger for the API's /run_episode (the Run button drives the page's own
                # handler, which also fills the downloads and refreshes a changed checkpoint).
                api_run = gr.Button("run_episode", visible=False)
                api_download = gr.Button("download", visible=False)

        with gr.Accordion("4. Compare regimes on one board", open=False, elem_id="compare") as compare_view:
            gr.Markdown(
                "The same start board (section 2) through 2 to 4 checkpoints, each for the steps it was trained "
                "for. A baseline predicts the final board but imagines nothing readable on the way; the "
                "autoencoder and adversarial regimes imagine the game step by step."
            )
            with gr.Row(equal_height=True):
                cmp_names = gr.Dropdown(
                    choices=[n for _, n in choices],
                    value=regimes_of(default) if default else [],
                    multiselect=True,
                    max_choices=MAX_COMPARE,
                    allow_custom_value=True,
                    label="Checkpoints to compare (2 to 4)",
                    scale=4,
                    elem_id="compare-checkpoints",
                )
                cmp_btn = gr.Button("Compare", variant="primary", scale=1, elem_id="compare-btn")
            cmp_status = gr.Markdown(elem_id="compare-status")
            cmp_panel = _figure("Imagined boards per checkpoint, under the true frames", "compare-panel")
            cmp_table = gr.Dataframe(interactive=False, label="MCC per model step", elem_id="compare-scores")

        with gr.Accordion("5. Intervene: edit what it imagines at step i", open=False, elem_id="intervene") as iv_view:
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
                    0, MAX_STEPS, value=1, step=1, label="Model step i to edit", scale=3, elem_id="intervene-step"
                )
                iv_show = gr.Button("Show / reset", size="sm", scale=1, elem_id="intervene-show")
            iv_board = gr.Image(
                label="Imagined board at step i (click a cell to flip it)",
                show_label=False,
                format="png",
                interactive=False,
                buttons=[],
                elem_id="intervene-board",
                elem_classes=["natural"],
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
            iv_panel = _figure(
                "The intervened episode: per step true frame, decoded P(alive), imagined board and error",
                "intervene-panel",
            )
            with gr.Accordion("Intervened episode (JSON)", open=False):
                iv_summary = gr.JSON(elem_id="intervene-summary")

        with gr.Accordion(
            "6. Beyond the paper: this checkpoint's extrapolation, faithfulness and probes",
            open=False,
            elem_id="analysis",
        ) as analysis_view:
            an_curve = _figure("Decoded accuracy and MCC past the trained steps", "analysis-curve")
            an_text = gr.Markdown("Open this view to measure the loaded checkpoint.", elem_id="analysis-summary")
            an_probes = gr.Dataframe(
                headers=report.PROBE_HEADERS,
                datatype=["str", "str", "str", "number", "number"],
                interactive=False,
                label="Decoder probes (fresh decoders fitted on the frozen model)",
                elem_id="analysis-probes",
            )
        iv_open, an_open = gr.State(False), gr.State(False)

        raw = {"preprocess": False}  # every handler checks the raw values itself (boards.*)
        board_inputs = [source, seed, density, size, pattern, text]
        episode_inputs = [checkpoint, *board_inputs, steps, rule]
        iv_inputs = [*episode_inputs, iv_step]
        analysis_outputs = [an_curve, an_text, an_probes]
        imagined_outputs = [iv_board, iv_rle, iv_original]
        loaded_outputs = [ckpt_status, card_scores, steps, rule, loaded]

        # The checkpoint field loads on a pick, Enter, leaving the field, or the button; once per name.
        page_load = gr.on(
            [checkpoint.select, checkpoint.blur, load_btn.click],
            load_page,
            inputs=[checkpoint, loaded],
            outputs=loaded_outputs,
            api_visibility="private",
            api_name="load_page",
            **raw,
        )
        checkpoint.key_up(
            load_on_enter,
            inputs=[checkpoint, loaded],
            outputs=loaded_outputs,
            api_visibility="private",
            api_name="load_on_enter",
            queue=False,
            **raw,
        )
        api_load = gr.Button("load_checkpoint", visible=False)
        api_load.click(
            load_checkpoint,
            inputs=[checkpoint],
            outputs=[ckpt_status, card_scores, steps],
            api_name="load_checkpoint",
            **raw,
        )
        api_rule = gr.Button("checkpoint_rule", visible=False)
        api_rule.click(checkpoint_rule, inputs=[checkpoint], outputs=[rule], api_name="checkpoint_rule", **raw)
        page_load.success(
            _when_open(analysis_api, 3),
            inputs=[checkpoint, an_open],
            outputs=analysis_outputs,
            api_name="analysis_if_open",
            api_visibility="private",
            **raw,
        )
        # .change, not .input: a paste that sets the whole value at once is a change too
        text.change(
            _to_text, inputs=[text], outputs=[source], api_name="text_source", api_visibility="private", queue=False
        )
        gr.on(
            [source.change, seed.change, density.release, size.release, pattern.change, text.blur],
            make_board,
            inputs=board_inputs,
            outputs=[preview, rle],
            api_name="make_board",
            **raw,
        )
        edited = [text, source, preview, rle]
        # A click carries the cell in its event data, which API callers cannot send: they use /toggle_cell.
        preview.select(
            click_cell,
            inputs=board_inputs,
            outputs=edited,
            api_name="click_cell",
            api_visibility="undocumented",
            **raw,
        )
        gr.api(toggle_cell, api_name="toggle_cell")
        use_drawing.click(
            board_from_drawing, inputs=[editor, size], outputs=edited, api_name="board_from_drawing", **raw
        )
        upload.upload(read_upload, inputs=[upload, size], outputs=edited, api_name="read_upload", **raw)

        episode_outputs = [panel, heatmap, animation, step_table, run_status, summary]
        page_outputs = [*episode_outputs, npz_file, json_file]
        ran = run_btn.click(
            _postprocessed(run_page, [*page_outputs, *loaded_outputs]),
            inputs=[*episode_inputs, loaded],
            outputs=[*page_outputs, *loaded_outputs],
            api_name="run_page",
            api_visibility="private",
            concurrency_limit=RUN_CONCURRENCY,
            postprocess=False,
            **raw,
        )
        api_run.click(
            _postprocessed(run_episode_api, episode_outputs),
            inputs=episode_inputs,
            outputs=episode_outputs,
            api_name="run_episode",
            concurrency_limit=RUN_CONCURRENCY,
            postprocess=False,  # done by _postprocessed
            **raw,
        )
        api_download.click(download, inputs=episode_inputs, outputs=[npz_file, json_file], api_name="download", **raw)

        cmp_btn.click(
            compare_api,
            inputs=[cmp_names, *board_inputs],
            outputs=[cmp_panel, cmp_table, cmp_status],
            api_name="compare",
            concurrency_limit=RUN_CONCURRENCY,
            **raw,
        )
        compare_view.expand(lambda: None, api_visibility="private", api_name="compare_opened", queue=False)

        # Intervene: the imagined board at step i when the view opens, the step moves, or a run ends
        # while it is open; clicks flip its cells; "Run from the edit" continues the network from it.
        steps.change(
            step_range,
            inputs=[steps, iv_step],
            outputs=[iv_step],
            api_name="step_range",
            api_visibility="private",
            queue=False,
            **raw,
        )
        for view, state, name in ((iv_view, iv_open, "intervene"), (analysis_view, an_open, "analysis")):
            view.expand(_opened, outputs=[state], api_name=f"{name}_opened", api_visibility="private", queue=False)
            view.collapse(_closed, outputs=[state], api_name=f"{name}_closed", api_visibility="private", queue=False)
        gr.on(
            [iv_view.expand, iv_step.release, iv_show.click],
            imagined_board,
            inputs=iv_inputs,
            outputs=imagined_outputs,
            api_name="imagined_board",
            **raw,
        )
        ran.success(
            _when_open(imagined_board, 3),
            inputs=[*iv_inputs, iv_open],
            outputs=imagined_outputs,
            api_name="imagined_board_if_open",
            api_visibility="private",
            **raw,
        )
        iv_board.select(
            click_imagined,
            inputs=[iv_rle, iv_original],
            outputs=[iv_board, iv_rle],
            api_name="click_imagined_cell",
            api_visibility="undocumented",
            **raw,
        )
        iv_rle.blur(
            show_edit,
            inputs=[iv_rle, iv_original],
            outputs=[iv_board],
            api_name="show_edit",
            api_visibility="private",
            **raw,
        )
        iv_btn.click(
            intervene_api,
            inputs=[*iv_inputs, iv_rle],
            outputs=[iv_panel, iv_status, iv_summary],
            api_name="intervene",
            concurrency_limit=RUN_CONCURRENCY,
            **raw,
        )
        analysis_view.expand(analysis_api, inputs=[checkpoint], outputs=analysis_outputs, api_name="analysis", **raw)
    demo.queue(default_concurrency_limit=RUN_CONCURRENCY)
    return demo


def parser() -> argparse.ArgumentParser:
    default = default_checkpoint()
    p = argparse.ArgumentParser(
        prog="python app.py",
        description="The imagination demo (Gradio). Serves this machine only (127.0.0.1) unless told otherwise.",
    )
    p.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to listen on (default: %(default)s, this machine only); any other address serves the "
        "network, and then local folders are off unless --local-folders",
    )
    p.add_argument(
        "--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")), help="default: %(default)s"
    )
    p.add_argument(
        "--checkpoint",
        default=default,
        help="checkpoint shown at start: a zoo name or Hub repo id (default: the showcase, a checkpoint that "
        f"imagines: {default or 'none: the zoo is empty'})",
    )
    p.add_argument(
        "--online",
        action=argparse.BooleanOptionalAction,
        default=not CHECKPOINTS.offline,
        help="fetch Hub repo ids typed by visitors (default: on only on a Hugging Face Space)",
    )
    p.add_argument(
        "--local-folders",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let visitors load checkpoint folders of this machine by path (default: only when listening on "
        "loopback, and never on a Space)",
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


def local_folders(args: argparse.Namespace) -> bool:
    """Whether visitors may name folders of this machine: when asked for, else only on loopback (no
    public link, not on a Space), where the visitor is whoever runs the app."""
    if args.local_folders is not None:
        return bool(args.local_folders)
    return is_loopback(args.host) and not args.share and os.environ.get("SPACE_ID") is None


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    CHECKPOINTS.offline = not args.online
    CHECKPOINTS.local_folders = local_folders(args)
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
        head=HEAD % json_alt(),
        footer_links=["api"],
        prevent_thread_lock=True,
    )
    # After the page is up: starting a worker imports torch and gradio again, which would slow the
    # start by a second or two; until it is ready the server draws itself.
    start_drawing(args.workers)
    demo.block_thread()


def json_alt() -> str:
    import json

    return json.dumps(ALT_TEXT)


if __name__ == "__main__":
    main()
