"""The demo on mazes, through its handlers: pick the environment, a maze from size and seed or drawn by hand,
the true dead-end filling beside the decoded states, more iterations on a bigger maze, regimes compared on one
maze, an imagined maze edited. A zoo of two tiny maze checkpoints and one bundled Life one, made here."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_TRAIN
from PIL import Image

from imagination import figures, maze, patterns, zoo
from imagination.analysis import Solving
from imagination.demo import handlers, inputs, intervention, presenters
from imagination.demo.handlers import EpisodeRequest
from imagination.demo.inputs import InputError
from imagination.demo.server import regimes_of
from imagination.envs import LifeEnvironment, MazeEnvironment
from imagination.episode import run_episode
from training import registration, train

MAZE = MazeEnvironment()
ROOT = Path(__file__).resolve().parents[2]
LIFE_ENTRY = "gol3-autoencoder"  # a bundled Life checkpoint, copied into the test zoo
MAZE_TRAIN = ["--environment", "maze", "--recall", "--game-steps", "12", "--train-sizes", "2,3"]
MAZE_TRAIN += ["--horizon-margin", "2", "--eval-size", "3", "--loss", "bce"]


def plaintext(frame: np.ndarray | torch.Tensor) -> str:
    return "\n".join("".join("O" if v else "." for v in row) for row in np.asarray(frame, np.uint8).tolist())


@pytest.fixture(scope="module")
def maze_zoo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny-maze-base and tiny-maze-ae (baseline, autoencoder) and a bundled Life checkpoint, indexed."""
    root = tmp_path_factory.mktemp("maze-zoo")
    runs = {"tiny-maze-base": ["--regime", "baseline"], "tiny-maze-ae": ["--regime", "autoencoder"]}
    for name, extra in runs.items():
        train.main(["--out", str(root / name), *TINY_TRAIN, *MAZE_TRAIN, *extra, "--name", name])
    if not (ROOT / "zoo" / LIFE_ENTRY).is_dir():
        pytest.skip(f"{LIFE_ENTRY} is not in the bundled zoo")
    shutil.copytree(ROOT / "zoo" / LIFE_ENTRY, root / LIFE_ENTRY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMAGINATION_ZOO", str(root))
        names = [LIFE_ENTRY, *runs]
        registration.write([registration.record(root / n, n, f"me/{n}", bundled=True) for n in names])
    return root


@pytest.fixture
def in_zoo(maze_zoo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMAGINATION_ZOO", str(maze_zoo))
    return maze_zoo


def maze_request(cells: int = 5, seed: int = 0, steps: object = None, checkpoint: str = "tiny-maze-ae"):
    return EpisodeRequest(checkpoint, "random", seed, None, cells, "", "", steps)


# ---------------------------------------------------------------------------------------------
# Sizes and steps are the environment's


def test_each_environment_bounds_its_sizes_and_steps() -> None:
    life = LifeEnvironment()
    assert (life.min_size, life.max_size, life.default_size, life.max_steps) == (8, 64, 20, 200)  # 200: the long runs
    assert (MAZE.min_size, MAZE.max_size, MAZE.default_size, MAZE.max_steps) == (2, 32, 5, 1000)
    assert inputs.size_of(2, MAZE) == 2 and inputs.size_of(64, life) == 64
    with pytest.raises(InputError, match="^maze size must be a whole number from 2 to 32, got 33$"):
        inputs.size_of(33, MAZE)
    with pytest.raises(InputError, match="^board size must be a whole number from 8 to 64, got 2$"):
        inputs.size_of(2)  # no environment: Life's, as the API always had
    assert inputs.model_steps("1000", 12, MAZE.max_steps) == 1000 and inputs.model_steps(None, 12, 50) == 12
    with pytest.raises(InputError, match="^steps must be a whole number from 1 to 50, got 51$"):
        inputs.model_steps(51, 3)


# ---------------------------------------------------------------------------------------------
# A maze from size and seed, or drawn and edited by hand


def test_a_maze_from_its_size_and_seed(in_zoo: Path) -> None:
    image, rle = handlers.environment_board("maze", EpisodeRequest.for_board("random", 7, None, 6, "", ""))
    board = patterns.parse_pattern(rle).numpy()
    assert np.array_equal(board, maze.generate(1, 6, 7)[0].numpy())  # 13 x 13 pixels, written whole
    assert rle.startswith("x = 13, y = 13\n") and "rule" not in rle  # a maze has no Life rule
    assert np.asarray(Image.open(image).convert("RGB")).shape == (13 * inputs.preview_scale(13),) * 2 + (3,)
    with pytest.raises(InputError, match="^maze size must be a whole number from 2 to 32, got 40$"):
        handlers.environment_board("maze", EpisodeRequest.for_board("random", 7, None, 40, "", ""))
    with pytest.raises(InputError, match="environment must be one of life, maze, got 'hexlife'"):
        handlers.environment_board("hexlife", EpisodeRequest.for_board("random", 7, None, 6, "", ""))


def test_a_pasted_maze_is_placed_at_its_corner_and_keeps_start_and_goal_open() -> None:
    five = maze.generate(1, 5, 3)[0].numpy().astype(np.uint8)
    stripped = "\n".join(line.rstrip(".") or "." for line in plaintext(five).splitlines())  # trailing walls dropped
    board, what = inputs.start_board(MAZE, "text", None, None, 5, "", stripped)
    assert np.array_equal(board, five) and "5x5 maze" in what
    with pytest.raises(InputError, match="more than the 7 x 7 of a 3-cell maze; set the size to 5"):
        inputs.start_board(MAZE, "text", None, None, 3, "", plaintext(five))
    with pytest.raises(InputError, match="a 5-cell maze, smaller than the 17 x 17 of a 8-cell one .*set the size to 5"):
        inputs.start_board(MAZE, "text", None, None, 8, "", plaintext(five))
    closed = five.copy()
    closed[9, 9] = 0  # the goal
    with pytest.raises(InputError, match=r"^Maze: the goal \(row 9, column 9\) is a wall; start .* must stay open"):
        inputs.start_board(MAZE, "text", None, None, 5, "", plaintext(closed))
    loop = five.copy()
    loop[2, 2] = 1  # not a perfect maze any more: still a maze to fill
    assert np.array_equal(inputs.start_board(MAZE, "text", None, None, 5, "", plaintext(loop))[0], loop)


def test_a_click_toggles_a_wall_of_the_maze_but_never_walls_in_start_or_goal(in_zoo: Path) -> None:
    request = EpisodeRequest.for_board("random", 0, None, 5, "", "")
    start = maze.generate(1, 5, 0)[0].numpy().astype(np.uint8)
    scale = inputs.preview_scale(11)
    text, source, preview, rle = handlers.click_cell(request, [4 * scale + 1, 2 * scale + 1], "maze")  # (2, 4)
    assert source == inputs.TEXT_SOURCE and text == rle and "rule" not in rle
    edited = patterns.parse_pattern(rle).numpy()
    assert edited.shape == (11, 11) and edited[2, 4] != start[2, 4]
    assert (edited != start).sum() == 1 and Image.open(preview).size == (11 * scale, 11 * scale)
    again = EpisodeRequest.for_board(source, 0, None, 5, "", text)  # the edited maze, clicked once more
    back = handlers.click_cell(again, [4 * scale + 1, 2 * scale + 1], "maze")[3]
    assert back == handlers.make_board(request, "maze")[1]
    with pytest.raises(InputError, match=r"^Maze: the start \(row 1, column 1\) is a wall"):
        handlers.click_cell(request, [scale + 1, scale + 1], "maze")


# ---------------------------------------------------------------------------------------------
# The true dead-end filling beside the decoded states, step by step


def test_a_maze_episode_in_the_mazes_words_with_its_solve_state(in_zoo: Path) -> None:
    panel, matrix, animation, table, status, summary = handlers.run_episode(maze_request(5, 0, 40))
    start = maze.generate(1, 5, 0)[0]
    rounds = int(maze.rounds_to_solve(start))
    run = handlers.run(maze_request(5, 0, 40))
    solved = [bool(np.array_equal(im, maze.solve(start).numpy() > 0.5)) for im in run.ep.imagined]
    first = solved.index(True) if any(solved) else None
    assert table["headers"] == ["step", "round", "kind", "accuracy", "MCC", "solved"]
    assert [row[-1] == "yes" for row in table["data"]] == solved and len(table["data"]) == 41
    assert summary["solving"] == {
        "rounds": rounds,
        "settled_at": rounds,
        "solved_at": first,
        "stays_solved": first is not None and all(solved[first:]),
        "solved": solved,
    }
    assert f"The true maze settles after **{rounds} rounds**." in status
    assert (f"**solved at iteration {first}**" if first is not None else "**never exactly the solution**") in status
    assert np.array_equal(run.ep.true[-1], maze.solve(start).numpy())  # the true frames are dead-end filling
    with Image.open(animation) as gif:
        assert gif.n_frames == 41  # a short run: every step


def test_the_solve_state_in_words() -> None:
    """Solved and kept, solved and lost, never solved, and a run that ends before the true maze settles."""
    kept = Solving(rounds=3, settled=3, solved=[False, False, True, True])
    assert kept.first == 2 and kept.stays
    text = presenters.solving_status(kept, 3, MAZE)
    assert text == (
        " The true maze settles after **3 rounds**. The imagined maze is **solved at iteration 2** (exactly the "
        "solution), and stays so to the end."
    )
    lost = Solving(rounds=2, settled=2, solved=[False, True, False, True])
    assert "**solved at iteration 1**" in presenters.solving_status(lost, 3, MAZE) and not lost.stays
    assert "but does not keep it (solved at 2 steps)" in presenters.solving_status(lost, 3, MAZE)
    short = Solving(rounds=9, settled=None, solved=[False] * 4)
    assert short.first is None and not short.stays
    assert presenters.solving_status(short, 3, MAZE) == (
        " The true maze settles after **9 rounds**, past this run's 3 steps. The imagined maze is **never exactly "
        "the solution** in these 3 steps."
    )
    assert "(model step 2)." in presenters.solving_status(Solving(4, 2, [False] * 3), 2, MAZE)


def test_a_long_run_shows_a_sample_of_its_steps_with_where_it_settles() -> None:
    shown = figures.sampled_steps(400, 12, [48, 17])
    assert len(shown) <= 12 and {0, 17, 48, 400} <= set(shown) and shown == sorted(set(shown))
    assert figures.sampled_steps(11, 12) == list(range(12))  # short runs: every step
    even = figures.sampled_steps(400, 12)
    assert len(even) == 12 and max(np.diff(even)) - min(np.diff(even)) <= 1


def test_a_long_maze_episodes_pictures_stay_small(in_zoo: Path) -> None:
    _, model = handlers.load_model("tiny-maze-ae")
    ep = run_episode(model, maze.generate(1, 8, 1)[0], 300)
    keep = [40]
    panel, matrix, gif = figures.episode_images(
        ep, env=MAZE, panel_steps=figures.sampled_steps(300, 12, keep), keep=keep
    )
    with Image.open(io.BytesIO(panel)) as img:
        assert img.width <= figures.PAGE_WIDTH and img.height < 1800  # 12 columns in bands, not 301
    with Image.open(io.BytesIO(matrix)) as img:
        assert img.width <= 900 and img.height <= 900  # a sample of 61 steps, labelled by step
    with Image.open(io.BytesIO(gif)) as anim:
        assert anim.n_frames <= figures.ANIMATION_FRAMES and anim.info["duration"] >= 120


# ---------------------------------------------------------------------------------------------
# More iterations on a bigger maze


def test_more_iterations_on_a_bigger_maze(in_zoo: Path) -> None:
    t = time.perf_counter()
    *_, table, status, summary = handlers.run_episode(maze_request(20, 0, 400))
    took = time.perf_counter() - t
    rounds = int(maze.rounds_to_solve(maze.generate(1, 20, 0)[0]))
    assert summary["steps"] == 400 and summary["size"] == [41, 41] and len(table["data"]) == 401
    assert summary["solving"]["rounds"] == rounds and f"settles after **{rounds} rounds**" in status
    assert took < 120, f"a 20-cell, 400-iteration episode took {took:.1f} s"  # ~2 s on a 2-core CPU
    with pytest.raises(InputError, match="^steps must be a whole number from 1 to 1000, got 1001$"):
        handlers.run(maze_request(20, 0, 1001))


# ---------------------------------------------------------------------------------------------
# Pick the environment; compare regimes on one maze


def test_picking_an_environment_gives_its_checkpoints_showcase_and_first_start(in_zoo: Path) -> None:
    assert handlers.environment_choices() == [("Game of Life", "life"), ("Maze", "maze")]
    view = handlers.environment_view("maze")
    assert view.env == MAZE and view.default == "tiny-maze-ae"  # an imagining regime, not the baseline
    assert [name for _, name in view.checkpoints] == ["tiny-maze-base", "tiny-maze-ae"]
    assert view.compare == ["tiny-maze-base", "tiny-maze-ae"]
    assert view.rle.startswith("x = 11, y = 11\n") and Image.open(view.preview).size == (11 * 21, 11 * 21)
    life = handlers.environment_view("life")
    assert life.default == LIFE_ENTRY and [n for _, n in life.checkpoints] == [LIFE_ENTRY]
    with pytest.raises(InputError, match="environment must be one of life, maze"):
        handlers.environment_view("go")


def test_the_compare_view_picks_and_compares_the_mazes_regimes(in_zoo: Path) -> None:
    entries = zoo.list()
    assert regimes_of("tiny-maze-ae", entries) == ["tiny-maze-base", "tiny-maze-ae"]
    assert regimes_of(LIFE_ENTRY, entries) == [LIFE_ENTRY]  # Life's regimes only
    board = EpisodeRequest.for_board("random", 2, None, 4, "", "")
    png, table, status = handlers.compare(["tiny-maze-base", "tiny-maze-ae"], board)
    assert Path(png).stat().st_size > 0 and [row[0] for row in table["data"]] == ["tiny-maze-base", "tiny-maze-ae"]
    assert "The same start maze (a 4x4-cell maze (seed 2))" in status and "imagine every round" in status
    with pytest.raises(InputError, match="tiny-maze-ae is trained on Maze, not on Game of Life like gol3-autoencoder"):
        handlers.compare([LIFE_ENTRY, "tiny-maze-ae"], board)


# ---------------------------------------------------------------------------------------------
# Intervene on an imagined maze


def test_an_edited_imagined_maze_is_what_the_network_recalls_and_fills_from(in_zoo: Path) -> None:
    request = maze_request(4, 1, 16)
    image, rle, original = intervention.imagined_board(request, 3)
    assert rle == original and "rule" not in rle and rle.startswith("x = 9, y = 9\n")
    scale = inputs.preview_scale(9)
    clicked, edited_rle = intervention.click_imagined(rle, original, [3 * scale + 1, 1 * scale + 1])  # (1, 3)
    assert "rule" not in edited_rle and image.shape == clicked.shape
    edited = patterns.parse_pattern(edited_rle).numpy()
    panel, status, summary = intervention.intervene(request, 3, edited_rle)
    run = handlers.run(request)
    assert (edited != run.ep.imagined[3]).sum() == 1 and summary["cells_flipped"] == 1
    # from step 3 on, the true frames are dead-end filling of the edited maze, round by round
    after = maze.rollout(torch.from_numpy(edited).float(), 13).numpy()
    true = np.stack([patterns.parse_pattern(r).numpy() for r in summary["true_rle"]])
    assert np.array_equal(true[3:], after) and np.array_equal(true[:3], run.ep.true[:3])
    assert "the imagined maze at step 3 was replaced" in status
    assert "the true frames are the rounds that follow from the edited maze" in status
    assert Path(panel).stat().st_size > 0
    assert run.model.config.recall  # so from step 3 on it recalls the edited maze (episode.continue_edited)
