"""The maze environment: its frames are dead-end filling, its encoder input names start and goal, and a
recall model trains on batches that run until solved (the options that stop a step count being a clock)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import TINY_TRAIN

from imagination import ImaginationModel, analysis, envs, maze
from training import analyze, train

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


def test_thinking_longer_solve_rates_reach_eval_json_the_card_and_the_table(tmp_path: Path) -> None:
    """training.analyze on a tiny maze model: the solve rate of each size, at the rounds its hardest maze
    needs and at twice that, recomputed here from the model's own forward pass and maze.solve."""
    out = tmp_path / "tiny-maze"
    train.main(
        ["--out", str(out), *TINY_TRAIN, "--environment", "maze", "--recall", "--game-steps", "12"]
        + ["--train-sizes", "2,3", "--horizon-margin", "2", "--eval-size", "2", "--loss", "bce"]
    )
    analyze.main([str(out), "--thinking", "1", "2", "--thinking-episodes", "6", "4", "--write"])
    th = json.loads((out / "eval.json").read_text())["thinking"]
    assert th["sizes"] == [2, 4] and th["episodes"] == {"2": 6, "4": 4} and set(th["solve_rate"]) == {"2", "4"}
    model = ImaginationModel.from_pretrained(out)
    es = json.loads((out / "eval.json").read_text())["eval_set"]
    for size, count in ((2, 6), (4, 4)):
        starts = ENV.eval_episodes(count, 0, size, es["seed"])[:, 0]
        frames = maze.rollout(starts, 200)  # rounds counted here from the rollout: the first frame that repeats
        rounds = max(next(k for k in range(200) if torch.equal(f[k], f[k + 1])) for f in frames)
        assert th["iterations"][str(size)] == rounds
        with torch.no_grad():
            decoded = model.decode(model(starts, 2 * rounds)) > 0.5  # [B, 2*rounds+1, H, W]
        solved = (decoded == (frames[:, -1] > 0.5)[:, None]).flatten(2).all(2).float().mean(0)
        assert th["solve_rate"][str(size)] == pytest.approx(float(solved[rounds]))
        assert th["solve_rate_at_end"][str(size)] == pytest.approx(float(solved[-1]))
    card = (out / "README.md").read_text()
    assert "### Thinking longer: exact-solution rate by maze size" in card
    assert f"| 4 | 4 | {th['iterations']['4']} | {th['solve_rate']['4']:.3f} |" in card
    table = analyze.thinking_table([out])
    assert f"| `tiny-maze` | {th['solve_rate']['2']:.3f} / {th['solve_rate_at_end']['2']:.3f} (" in table
    with pytest.raises(SystemExit, match="one count, or one for each of the 2 sizes"):
        analyze.main([str(out), "--thinking", "1", "2", "--thinking-episodes", "6", "4", "2"])


def test_thinking_table_columns_are_every_size_and_no_row_is_wider_than_the_header(tmp_path: Path) -> None:
    """Entries run on different sizes (one also at 8x): a Markdown row wider than its header loses its last
    cells when rendered, so every size is a column and a size an entry was not run on is a dash."""

    def entry(name: str, sizes: list[str]) -> Path:
        (tmp_path / name).mkdir()
        th = {
            "solve_rate": {s: 0.5 for s in sizes},
            "solve_rate_at_end": {s: 0.75 for s in sizes},
            "iterations": {s: 10 * int(s) for s in sizes},
            "episodes": {s: 1000 for s in sizes},
        }
        (tmp_path / name / "eval.json").write_text(json.dumps({"thinking": th}))
        return tmp_path / name

    table = analyze.thinking_table([entry("narrow", ["5", "10"]), entry("far", ["5", "10", "40"])])
    rows = [line for line in table.splitlines() if line.startswith("|")]
    assert rows[0] == "| checkpoint | 5 cells | 10 cells | 40 cells |"
    assert {line.count("|") for line in rows} == {5}
    assert rows[2] == "| `narrow` | 0.500 / 0.750 (50, 1,000) | 0.500 / 0.750 (100, 1,000) | - |"
    assert rows[3].endswith("| 0.500 / 0.750 (400, 1,000) |")


def test_solve_curve_of_a_network_that_fills_dead_ends_exactly() -> None:
    """A stand-in model whose state is the maze and whose core step is one round of filling: a maze counts
    as solved from exactly the round its filling settles, so the curve is the rounds' distribution."""
    oracle = SimpleNamespace(
        config=SimpleNamespace(env=ENV, recall=False),
        encode=lambda frames: frames.float(),
        core_step=lambda h, t, recall: maze.fill_round(h),
        decode=lambda h: h,
    )
    starts = ENV.eval_episodes(40, 0, 4, 7)[:, 0]
    rounds = maze.rounds_to_solve(starts)
    curve = analysis.solve_curve(oracle, starts, int(rounds.max()) + 3, batch=16)
    expected = [float((rounds <= t).float().mean()) for t in range(int(rounds.max()) + 4)]
    assert curve["solve_rate"] == pytest.approx(expected) and curve["solve_rate"][-1] == 1.0
    assert 0 < curve["solve_rate"][int(rounds.float().median())] < 1  # mazes differ: the curve is not a step
    lazy = SimpleNamespace(**{**vars(oracle), "core_step": lambda h, t, recall: h})  # never fills: never solved
    assert max(analysis.solve_curve(lazy, starts, 5)["solve_rate"]) == 0.0
