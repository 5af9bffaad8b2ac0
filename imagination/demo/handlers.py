"""The demo's events as plain functions: what a visitor sent in, plain data out (text, rows, file paths).

Every event of the page and of its API (``gradio_client``, plain HTTP) ends here; the page only
lays out widgets and shows these answers (``page``, ``events``). Each handler takes the raw values
a client sent and checks them through ``inputs``; an expected failure is an ``InputError`` or a
``CheckpointError`` whose message a visitor can act on (``message_of``), anything else is a bug.

The server's state is here too, one of each per process: the checkpoints it has loaded, the
worker processes that draw, the folder of files it hands out, and the environment of the page's
start board (events that name no checkpoint build their boards in it).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imagination import envs, episode, figures, registry, zoo
from imagination.analysis import Solving, extrapolation, solving
from imagination.analysis import emergence as emergence_steps
from imagination.demo import inputs, presenters
from imagination.demo.inputs import InputError
from imagination.demo.server import (
    Checkpoints,
    OutputFolder,
    checkpoint_choices,
    entries_of,
    environments,
    redact,
    regimes_of,
    showcase,
)
from imagination.demo.workers import WorkerPool
from imagination.errors import CheckpointError
from imagination.evaluate import eval_episodes, eval_set_for
from imagination.loading import revisions
from imagination.model import ImaginationModel

logger = logging.getLogger("imagination.app")

MAX_COMPARE = 4
PANEL_COLUMNS = 12  # steps the panel of a run that settles (a maze's hundreds of rounds) shows, evenly spaced
WRAPPED_STEPS = 50  # a Life run up to this long shows every step (wrapped in bands); a longer one, PANEL_COLUMNS
# Extrapolation measured live (for checkpoints whose eval.json lacks it): this many eval episodes.
LIVE_EXTRAPOLATION_EPISODES = 200
PICK_A_CHECKPOINT = "Pick a checkpoint from the zoo, or type a Hub repo id (org/name)."

# Offline unless on a Space: nothing but the bundled zoo, local folders and the Hub cache is read.
# Folders outside the zoo only on loopback (cli.main sets both from the command line).
CHECKPOINTS = Checkpoints(offline=os.environ.get("SPACE_ID") is None, local_folders=False)
# An episode's pictures are most of its CPU: worker processes draw them on the other cores while
# this process answers other requests (workers.py).
DRAWING = WorkerPool()
OUTPUTS = OutputFolder()
_board_env: envs.Environment = envs.make(envs.names()[0])  # the page's: use_environment() sets it


def message_of(e: BaseException) -> str | None:
    """The visitor's message for an expected failure (None for a bug), with no server path in it."""
    if isinstance(e, (InputError, CheckpointError)):
        return redact(str(e))
    return None


def use_environment(env: envs.Environment) -> None:
    """Build the start board of events that name no checkpoint in ``env`` (the page's checkpoint's)."""
    global _board_env
    _board_env = env


def environment(name: Any = None) -> envs.Environment:
    """The environment of a start board no checkpoint names: the one a visitor picked on the page (its
    ``name``, kept in a State the API does not see), else the page's (``use_environment``)."""
    if not isinstance(name, str) or name == _board_env.name or name not in envs.names():
        return _board_env
    return envs.make(name)


# ---------------------------------------------------------------------------------------------
# Requests and checkpoints


@dataclass(frozen=True)
class EpisodeRequest:
    """What an episode is asked for: a checkpoint, a start board (source .. text), steps and a rule.

    The values as a client sent them, in the order the page and the API send them; each is checked
    where it is used (through ``inputs``), since empty steps and rule mean the checkpoint's own.
    """

    checkpoint: Any = None
    source: Any = None
    seed: Any = None
    density: Any = None
    size: Any = None
    pattern: Any = None
    text: Any = None
    steps: Any = None
    rule: Any = None

    @classmethod
    def from_args(cls, *raw: Any) -> EpisodeRequest:
        """From an event's values in field order; values a client left off are None."""
        if len(raw) > len(FIELDS):
            raise InputError(f"an episode takes at most {len(FIELDS)} values ({', '.join(FIELDS)}), got {len(raw)}")
        return cls(*raw)

    @classmethod
    def for_board(cls, *raw: Any) -> EpisodeRequest:
        """A request for a start board alone: the six board fields, source to text."""
        return cls.from_args(None, *raw)

    def board(self, env: envs.Environment | None = None) -> tuple[np.ndarray, str]:
        """The start board in ``env`` (default: the page's) and a phrase saying what it is."""
        env = environment() if env is None else env
        return inputs.start_board(env, self.source, self.seed, self.density, self.size, self.pattern, self.text)


FIELDS = tuple(f.name for f in dataclasses.fields(EpisodeRequest))  # the API's parameter names, in order
BOARD_FIELDS = FIELDS[1:7]


@dataclass
class EpisodeRun:
    """One answered request: the checkpoint (its cache key and model), the episode, its start board."""

    key: str
    model: ImaginationModel
    ep: episode.Episode
    board: np.ndarray
    what: str  # the start board in words

    @property
    def shown(self) -> str:
        return CHECKPOINTS.display_name(self.key)


def checkpoint_name(value: Any) -> str:
    return inputs.text(value, "the checkpoint name", inputs.MAX_NAME_CHARS).strip()


def resolve(name: Any) -> str:
    """The cache key a checkpoint name stands for (no load)."""
    return CHECKPOINTS.resolve(checkpoint_name(name))


def load_model(name: Any) -> tuple[str, ImaginationModel]:
    return CHECKPOINTS.load(checkpoint_name(name))


def run(request: EpisodeRequest) -> EpisodeRun:
    """Load the checkpoint, build the start board in its environment and run the episode."""
    key, model = load_model(request.checkpoint)
    cfg = model.config
    board, what = request.board(cfg.env)
    n = inputs.model_steps(request.steps, cfg.model_steps, cfg.env.max_steps)
    if not cfg.tied and n > cfg.model_steps:
        raise InputError(
            f"{CHECKPOINTS.display_name(key)} is untied (a separate block per step), so it can run at most "
            f"{cfg.model_steps} steps, not {n}"
        )
    rule = inputs.variant(cfg.env, request.rule)
    return EpisodeRun(key, model, episode.run_episode(model, board, n, rule), board, what)


def loaded(key: str, model: ImaginationModel) -> tuple[str, list[list[Any]], int, str, str]:
    """What the page shows of a loaded checkpoint: (status, card scores, its steps, its rule, its key)."""
    rows = presenters.card_rows(CHECKPOINTS.card(key))
    status = presenters.load_status(CHECKPOINTS.display_name(key), model.config, bool(rows))
    return status, rows, model.config.model_steps, model.config.env.variant(), key


def load_checkpoint(name: Any) -> tuple[str, list[list[Any]], int | None]:
    """Load a checkpoint: (status line, the card's scores as [score, value] rows, its trained steps)."""
    if not checkpoint_name(name):
        return PICK_A_CHECKPOINT, [], None
    status, rows, steps, _, _ = loaded(*load_model(name))
    return status, rows, steps


def checkpoint_rule(name: Any) -> str | None:
    """The rule a checkpoint was trained on (what the rule field resets to when it is loaded)."""
    if not checkpoint_name(name):
        return None
    return load_model(name)[1].config.env.variant()


# ---------------------------------------------------------------------------------------------
# The start board


def preview_image(board: np.ndarray) -> str:
    """The start board's picture, as a file named by its content and written atomically.

    Handed an array, the web framework rewrites its cached copy in place whenever the same picture comes back,
    and a browser fetching it meanwhile shows a broken image (seen in CI); a file it copies only once, atomically.
    """
    png = figures.board_png(board, inputs.preview_scale(board.shape[0]))
    return OUTPUTS.write(f"{hashlib.sha256(png).hexdigest()[:20]}-board.png", png)


def edited(board: np.ndarray, env: envs.Environment | None = None) -> tuple[str, str, str, str]:
    """A board made by hand becomes the pattern text, and text becomes its source: (text, source, preview, RLE)."""
    rle = inputs.frame_rle(board, environment() if env is None else env)
    return rle, inputs.TEXT_SOURCE, preview_image(board), rle


def make_board(request: EpisodeRequest, environment_name: Any = None) -> tuple[str, str]:
    """The start board (in the page's environment, ``environment``) as an image and as RLE text."""
    env = environment(environment_name)
    board, _ = request.board(env)
    return preview_image(board), inputs.frame_rle(board, env)


def environment_board(name: Any, request: EpisodeRequest) -> tuple[str, str]:
    """The start frame in the environment ``name`` (one the zoo holds: "life", "maze") as an image and as RLE."""
    return make_board(request, environment_named(name).name)


def toggle_cell(request: EpisodeRequest, row: Any, col: Any) -> str:
    """The start board with cell (row, col) flipped, as RLE (what a click on the board does)."""
    board, _ = request.board()
    return inputs.frame_rle(inputs.checked(environment(), inputs.toggled(board, row, col)), environment())


def click_cell(request: EpisodeRequest, index: Any, environment_name: Any = None) -> tuple[str, str, str, str]:
    """A click at pixel ``index`` of the start board flips the cell under it (a maze's pixel: wall or open;
    one that would wall in its start or goal is refused)."""
    env = environment(environment_name)
    board, _ = request.board(env)
    row, col = inputs.clicked_cell(board, index)
    return edited(inputs.checked(env, inputs.toggled(board, row, col)), env)


def board_from_drawing(editor: Any, size: Any) -> tuple[str, str, str, str]:
    """A painting (dark strokes on a light canvas) thresholded cell by cell into a board."""
    return edited(inputs.drawing(editor, size))


def read_upload(file: Any, size: Any, environment_name: Any = None) -> tuple[str, str, str, str]:
    """An uploaded .rle / .cells file becomes the board text (checked before it is accepted)."""
    env = environment(environment_name)
    pattern_text, board = inputs.upload(file, size, env)
    return pattern_text, inputs.TEXT_SOURCE, preview_image(board), inputs.frame_rle(board, env)


# ---------------------------------------------------------------------------------------------
# An episode


def file_tag(*parts: Any) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:20]


def _task_maps(answers: presenters.TaskAnswers | None) -> figures.TaskMaps | None:
    if answers is None:
        return None
    return answers.predicted, answers.true, answers.task, answers.region_cells


def shown_steps(steps: int, solved: Solving | None, *more: int) -> tuple[list[int] | None, list[int]]:
    """(the steps a panel shows, the steps every picture of a long run keeps): where episodes settle (a maze
    runs for hundreds of rounds) about PANEL_COLUMNS steps, with where the true frames settle, where the
    answer is first right and ``more``; elsewhere (Life) every step up to WRAPPED_STEPS, wrapped in bands,
    and about PANEL_COLUMNS of a longer run (a long-running checkpoint's hundred steps and more)."""
    if solved is None and steps <= WRAPPED_STEPS:
        return None, []
    marks = () if solved is None else (solved.settled, solved.first)
    keep = [k for k in (*marks, *more) if k is not None and k <= steps]
    return figures.sampled_steps(steps, PANEL_COLUMNS, keep), keep


def episode_outputs(r: EpisodeRun) -> tuple[str, str, str, dict[str, Any], str, dict[str, Any]]:
    """(panel PNG, score-matrix PNG, animation GIF, per-step rows, status, summary) of a run."""
    cfg, ep = r.model.config, r.ep
    answers = presenters.task_answers(ep, cfg)
    solved = solving(ep, cfg.env)
    shown, keep = shown_steps(ep.steps, solved)
    tag = file_tag(r.key, ep.steps, inputs.board_digest(r.board), ep.rule)
    panel_png, matrix_png, gif_bytes = DRAWING.run(
        figures.episode_images, ep, figures.MATRIX_TITLE, _task_maps(answers), cfg.env, shown, keep
    )
    return (
        OUTPUTS.write(f"{tag}-panel.png", panel_png),
        OUTPUTS.write(f"{tag}-scores.png", matrix_png),
        OUTPUTS.write(f"{tag}-animation.gif", gif_bytes),
        presenters.step_table(ep, answers, cfg.env, solved),
        presenters.run_status(r.shown, r.what, ep, cfg, answers, solved),
        presenters.run_summary(r.shown, r.board, ep, cfg, answers, solved),
    )


def downloads(r: EpisodeRun) -> tuple[str, str]:
    """The episode's .npz and .json files."""
    stem, npz, js = presenters.download_files(r.shown, r.board, r.ep, r.model.config)
    return OUTPUTS.write(f"{stem}.npz", npz), OUTPUTS.write(f"{stem}.json", js)


def run_episode(request: EpisodeRequest) -> tuple[str, str, str, dict[str, Any], str, dict[str, Any]]:
    """Run one episode: (panel PNG, score-matrix PNG, animation GIF, per-step rows, status, summary).

    ``rule``: the rule of the true game (default: the checkpoint's own).
    """
    return episode_outputs(run(request))


def download(request: EpisodeRequest) -> tuple[str, str]:
    """The episode's boards, decodings and scores as .npz and as .json (same inputs as run_episode)."""
    return downloads(run(request))


def first_view(default: str | None) -> dict[str, Any]:
    """What the page shows before any click: ``default`` on the page environment's first start, run.

    Computed once when the page is built and served as the components' initial values, so the first
    episode is painted with the page itself (no request, no wait on a queue).
    """
    out: dict[str, Any] = {"preview": None, "rle": "", "loaded": "", "steps": None, "rule": None}
    env = environment()
    request = EpisodeRequest(default, next(iter(env.sources)), 0, inputs.DEFAULT_DENSITY, env.default_size)
    try:
        board, _ = request.board()
        out["preview"], out["rle"] = preview_image(board), inputs.frame_rle(board, env)
        if not default:
            return out
        r = run(request)
        status, rows, steps, rule, key = loaded(r.key, r.model)
        out.update(status=status, scores=rows, steps=steps, rule=rule, loaded=key)
        panel, heat, gif, table, run_status, summary = episode_outputs(r)
        npz, js = downloads(r)
        out.update(panel=panel, heat=heat, gif=gif, table=table, run_status=run_status, summary=summary, npz=npz, js=js)
    except Exception:  # a default that cannot load (offline Hub id): the page opens empty, and says why on Run
        logger.exception("could not draw the first episode of %s", default)
    return out


# ---------------------------------------------------------------------------------------------
# The environment a visitor picks: its checkpoints, the one it opens on, its first start


def environment_choices() -> list[tuple[str, str]]:
    """(title, name) of each environment the zoo holds checkpoints of, the page's first."""
    names = list(dict.fromkeys([environment().name, *environments()]))
    return [(envs.make(n).title or n, n) for n in names]


@dataclass(frozen=True)
class EnvironmentView:
    """What the page shows of an environment a visitor picks, before an episode of it is run."""

    env: envs.Environment
    checkpoints: list[tuple[str, str]]  # (menu label, name) of its zoo checkpoints
    default: str | None  # the one the page runs first (its showcase)
    compare: list[str]  # the compare view's default: its regimes side by side
    preview: str  # the start board's picture (a file: preview_image)
    rle: str


def environment_named(name: Any) -> envs.Environment:
    """The environment ``name`` if the zoo holds checkpoints of it (or it is the page's), else an InputError."""
    n = inputs.text(name, "the environment").strip()
    known = [key for _, key in environment_choices()]
    if n not in known:
        raise InputError(f"the environment must be one of {', '.join(known)}, got {inputs.shown(n)}")
    return environment(n)


def environment_view(name: Any) -> EnvironmentView:
    """The page in the environment named ``name``: its checkpoints and showcase, and its first start frame."""
    env = environment_named(name)
    entries = entries_of(env.name)
    default = showcase(entries)
    request = EpisodeRequest(None, next(iter(env.sources)), 0, inputs.DEFAULT_DENSITY, env.default_size)
    board, _ = request.board(env)
    choices = checkpoint_choices(env.name)
    compare = regimes_of(default, entries) if default else []
    return EnvironmentView(env, choices, default, compare, preview_image(board), inputs.frame_rle(board, env))


def _blank_episode() -> episode.Episode:
    """A blank 20x20, 3-step episode: drawing it once warms a worker up (imports, fonts, the usual
    score-matrix frame) before a visitor waits on it."""
    blank = np.zeros((4, inputs.DEFAULT_SIZE, inputs.DEFAULT_SIZE), np.float32)
    return episode.Episode(blank[0], blank, blank, [0, 1, 2, 3], 3, [3], environment().variant())


def start_drawing(workers: int, wait: bool = False) -> None:
    """Draw in ``workers`` processes (0: in this one); see ``--workers``."""
    if workers <= 0:
        logger.info("drawing in the server process (no worker processes)")
    DRAWING.start(workers, warm_up=functools.partial(figures.episode_images, _blank_episode()), wait=wait)


# ---------------------------------------------------------------------------------------------
# Compare regimes: one start board through 2-4 checkpoints, row by row


def compare(checkpoints: Any, request: EpisodeRequest) -> tuple[str, dict[str, Any], str]:
    """The same start board through 2 to 4 checkpoints, each for its own trained steps and rule:
    (picture: one row of imagined boards per checkpoint under the true frames, per-step MCC table, status)."""
    if isinstance(checkpoints, str):
        checkpoints = [c for c in checkpoints.split(",") if c.strip()]
    if not isinstance(checkpoints, list) or not all(isinstance(c, str) for c in checkpoints):
        raise InputError("checkpoints must be a list of 2 to 4 checkpoint names")
    names = list(dict.fromkeys(checkpoint_name(c) for c in checkpoints if checkpoint_name(c)))
    if not 2 <= len(names) <= MAX_COMPARE:
        raise InputError(f"pick 2 to {MAX_COMPARE} different checkpoints to compare, not {len(names)}")
    models = [load_model(name) for name in names]
    shown = [CHECKPOINTS.display_name(key) for key, _ in models]
    env = models[0][1].config.env  # the board is the first checkpoint's environment's, and every one's
    for name, (_, model) in zip(shown, models, strict=True):
        if model.config.env.name != env.name:
            raise InputError(
                f"{name} is trained on {model.config.env.title}, not on {env.title} like {shown[0]}: "
                "compare checkpoints of one environment"
            )
    board, what = request.board(env)
    episodes, interp = [], []
    for key, model in models:
        episodes.append(episode.run_episode(model, board))
        entry = next((e for e in zoo.list() if e.name == CHECKPOINTS.display_name(key) and registry.in_zoo(key)), None)
        interp.append(entry.interpretability if entry else None)
    longest = max(episodes, key=lambda ep: ep.steps)
    columns, _ = shown_steps(longest.steps, solving(longest, env))
    png = DRAWING.run(figures.compare_panel_png, episodes, shown, 1200, env, columns)
    tag = file_tag("compare", *shown, inputs.board_digest(board))
    return (
        OUTPUTS.write(f"{tag}-compare.png", png),
        presenters.compare_table(shown, episodes, interp),
        presenters.compare_status(shown, episodes, what, env),
    )


# ---------------------------------------------------------------------------------------------
# Beyond the paper: the checkpoint's extrapolation curve, faithfulness and decoder probes


def _extrapolation(model: ImaginationModel, scores: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The extrapolation eval.json holds, else measured now on the first eval episodes (about a second)."""
    ex = scores.get("extrapolation")
    if isinstance(ex, dict) and (ex.get("accuracy") or ex.get("note")):
        return ex, "from the checkpoint's eval.json"
    es = eval_set_for(model.config, LIVE_EXTRAPOLATION_EPISODES)
    measured = extrapolation(model, eval_episodes(model.config, es)[:, 0])
    return measured, f"measured live on the first {es.episodes} of its eval episodes (eval.json has no extrapolation)"


@functools.lru_cache(maxsize=4 * CHECKPOINTS.cache_size)
def _analysis_view(key: str, eval_mtime: float | None) -> tuple[bytes | None, str, list[list[Any]]]:
    """One view per checkpoint and eval.json version (``eval_mtime``: a rewrite by training.analyze
    refreshes it). Not under a lock: a slow Hub fetch must not hold up other checkpoints."""
    model = CHECKPOINTS.model(key)
    scores = CHECKPOINTS.eval_json(key) or {}
    ex, source = _extrapolation(model, scores)
    shown, hint = CHECKPOINTS.display_name(key), CHECKPOINTS.analyze_hint(key)
    return presenters.analysis_view(shown, model.config, scores, ex, source, hint)


def analysis(checkpoint: Any) -> tuple[str | None, str, list[list[Any]]]:
    """The checkpoint's extrapolation curve (PNG), its faithfulness and extrapolation (markdown), its probe rows.

    From the checkpoint's eval.json (written by ``python -m training.analyze``); where that has no
    extrapolation, it is measured live on 200 eval episodes (about a second, once per checkpoint).
    """
    if not checkpoint_name(checkpoint):
        return None, "Pick a checkpoint to see its extrapolation, faithfulness and probes.", []
    key, _ = load_model(checkpoint)
    png, text, rows = _analysis_view(key, CHECKPOINTS.eval_mtime(key))
    curve = None if png is None else OUTPUTS.write(f"{hashlib.sha256(png).hexdigest()[:20]}-extrapolation.png", png)
    return curve, text, rows


# ---------------------------------------------------------------------------------------------
# Watch it emerge: a checkpoint's training snapshots on one start board, and every regime's curves


def emergence_entries() -> list[str]:
    """The bundled zoo entries that ship training snapshots (and their scores), in zoo order."""
    return [e.name for e in zoo.bundled() if revisions.scores(e.path)]


def _snapshots(name: Any) -> tuple[str, list[dict[str, Any]]]:
    """An entry with snapshots and its snapshots.json records (step order); an InputError for any other."""
    n, have = checkpoint_name(name), emergence_entries()
    if n not in have:
        listed = ", ".join(have) or "none in this zoo"
        raise InputError(f"{n or 'no checkpoint'}: no training snapshots to watch (those that have them: {listed})")
    return n, revisions.scores(zoo.entry(n).path)


@functools.lru_cache(maxsize=4)
def _emergence_png(folders: tuple[str, ...]) -> bytes:
    """One plot of every entry's snapshots (keyed by folder: a test's zoo is another plot)."""
    return figures.emergence_png({Path(f).name: revisions.scores(Path(f)) for f in folders})


@functools.lru_cache(maxsize=32)
def _snapshot_model(folder: str, revision: str) -> ImaginationModel:
    return ImaginationModel.from_pretrained(folder, revision=revision)


def emergence(name: Any) -> tuple[int, str, str]:
    """A checkpoint's training snapshots: (the last snapshot's index, the plot of interpretability and
    final-board error against training step for every entry with snapshots (PNG), status)."""
    n, records = _snapshots(name)
    png = _emergence_png(tuple(str(zoo.entry(e).path) for e in emergence_entries()))
    plot = OUTPUTS.write(f"{hashlib.sha256(png).hexdigest()[:20]}-emergence.png", png)
    return len(records) - 1, plot, presenters.emergence_status(n, records, emergence_steps(records))


def emergence_step(checkpoint: Any, snapshot: Any, request: EpisodeRequest) -> tuple[str, str]:
    """The start board through the checkpoint as it was at training snapshot ``snapshot`` (0: its
    initialisation, up to the last, its final weights): (the episode panel PNG, status)."""
    n, records = _snapshots(checkpoint)
    i = inputs.whole_number(snapshot, "the snapshot", 0, len(records) - 1)
    record = records[i]
    model = _snapshot_model(str(zoo.entry(n).path), record["revision"])
    board, what = request.board(model.config.env)
    ep = episode.run_episode(model, board)
    panel, _, _ = DRAWING.run(figures.episode_images, ep, figures.MATRIX_TITLE, None)
    tag = file_tag("emergence", n, record["revision"], inputs.board_digest(board))
    return OUTPUTS.write(f"{tag}-snapshot.png", panel), presenters.snapshot_status(n, record, i, len(records), what, ep)
