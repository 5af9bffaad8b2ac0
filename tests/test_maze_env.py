"""The maze environment: its frames are dead-end filling, its encoder input names start and goal, and a
recall model trains on batches that run until solved (the options that stop a step count being a clock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import TINY_TRAIN

from imagination import ImaginationModel, envs, maze
from training import train

ENV = envs.make({"name": "maze"})


def test_frames_are_dead_end_filling_rounds_and_the_encoder_sees_start_and_goal() -> None:
    episodes = ENV.eval_episodes(4, 30, 4, seed=3)
    mazes = maze.generate(4, 4, 3)
    assert episodes.shape == (4, 31, 9, 9) and torch.equal(episodes[:, 0], mazes)
    assert torch.equal(episodes, maze.rollout(mazes, 30))
    assert torch.equal(episodes[:, -1], maze.solve(mazes))  # 30 rounds solve every 4-cell maze of this set
    seen = ENV.observe(episodes[:, 0])
    assert seen.shape == (4, 2, 9, 9) and seen[0, 1].sum() == 2 and seen[0, 1, 1, 1] == seen[0, 1, 7, 7] == 1
    two = envs.make({"name": "maze", "rounds_per_step": 2})
    assert torch.equal(two.rollout(mazes, 5), maze.rollout(mazes, 10)[:, ::2])


def test_a_batch_until_fixed_runs_past_its_slowest_maze() -> None:
    g = torch.Generator().manual_seed(0)
    batch = ENV.training_episodes(8, 3, 4, g, {"until_fixed": 0})
    rounds = int(maze.rounds_to_solve(batch[:, 0]).max())
    assert batch.shape[1] == rounds + 1 and torch.equal(batch[:, -1], maze.solve(batch[:, 0]))
    with pytest.raises(ValueError, match="no fixed point"):
        envs.make("life").training_episodes(2, 3, 8, g, {"until_fixed": 1})


def test_a_start_is_a_maze_of_the_asked_size() -> None:
    board, what = ENV.start("random", size=6, seed=2, density=0.5)
    assert board.shape == (13, 13) and maze.is_perfect(torch.from_numpy(board).float()) and "6x6-cell" in what


def test_a_recall_model_trains_on_mazes_of_several_sizes(tmp_path: Path) -> None:
    out = tmp_path / "maze"
    train.main(
        ["--out", str(out), *TINY_TRAIN, "--environment", "maze", "--recall", "--game-steps", "12"]
        + ["--train-sizes", "2,3", "--horizon-margin", "2", "--snap-weight", "1", "--hold-steps", "3"]
        + ["--eval-size", "3", "--loss", "bce"]
    )
    config = json.loads((out / "config.json").read_text())
    assert config["environment"] == {"name": "maze", "rounds_per_step": 1} and config["recall"] is True
    model = ImaginationModel.from_pretrained(out)
    assert model.core[0][0].in_channels == model.config.channels + 2  # the state and the recalled input
    scores = json.loads((out / "eval.json").read_text())
    assert scores["eval_set"]["sampler"] == "backtracker" and scores["eval_set"]["size"] == 3
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert any("snap" in r and "hold" in r for r in log)
    adversarial = tmp_path / "maze-adv"  # a new decoder on the frozen model, its discriminator on mazes of two sizes
    train.main(
        ["--out", str(adversarial), *TINY_TRAIN, "--environment", "maze", "--recall", "--game-steps", "12"]
        + ["--train-sizes", "2,3", "--horizon-margin", "2", "--eval-size", "3", "--loss", "bce"]
        + ["--regime", "adversarial", "--init", str(out)]
    )
    assert json.loads((adversarial / "config.json").read_text())["regime"] == "adversarial"
    with pytest.raises(ValueError, match="--model-steps must be 0"):
        train.TrainConfig(environment="maze", game_steps=12, model_steps=10, horizon_margin=2)
