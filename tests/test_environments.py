"""The environment seam: a world written only for the tests is one module and one registration, and then
the model, training, evaluation, the model card and the demo's handlers work on it unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_TRAIN
from elementary import ElementaryEnvironment

from imagination import ImaginationModel, cards, envs, errors
from imagination.demo import handlers
from imagination.evaluate import EvalSet, evaluate
from training import registration, train

envs.register(ElementaryEnvironment)  # the one registration: nothing else in the package names it


def test_the_registry_knows_it_by_name_and_refuses_a_second_class_of_that_name() -> None:
    assert "elementary" in envs.names()
    assert envs.make({"name": "elementary", "rule": 30}) == ElementaryEnvironment(30)
    envs.register(ElementaryEnvironment)  # the same class again: a no-op
    impostor = type("Impostor", (ElementaryEnvironment,), {})
    with pytest.raises(ValueError, match="registered already"):
        envs.register(impostor)
    with pytest.raises(ValueError, match="Wolfram code"):
        envs.make({"name": "elementary", "rule": 300})


def test_its_rule_90_is_the_xor_of_the_neighbours() -> None:
    env = ElementaryEnvironment(90)
    row = torch.tensor([[0.0, 0, 0, 1, 0, 0, 0, 0]])
    frames = env.rollout(row, 2)
    assert frames.shape == (3, 1, 8)
    assert frames[1].tolist() == [[0, 0, 1, 0, 1, 0, 0, 0]] and frames[2].tolist() == [[0, 1, 0, 0, 0, 1, 0, 0]]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eca") / "eca"
    train.main(
        ["--out", str(out), *TINY_TRAIN, "--environment", "elementary", "--game-steps", "2"]
        + ["--train-size", "12", "--eval-size", "16"]
    )
    return out


def test_training_writes_a_checkpoint_of_that_environment(trained: Path) -> None:
    config = json.loads((trained / "config.json").read_text())
    assert config["environment"] == {"name": "elementary", "rule": 90} and config["format_version"] == 4
    model = ImaginationModel.from_pretrained(trained)
    assert model.config.env == ElementaryEnvironment(90)
    episodes = model.config.env.eval_episodes(5, 2, 16, seed=1)
    assert episodes.shape == (5, 3, 1, 16)
    hidden = model(episodes[:, 0])
    assert hidden.shape == (5, 3, model.config.channels, 1, 16)
    assert model.decode_all(hidden).shape == (5, 3, 1, 16)


def test_its_scores_are_measured_on_its_own_eval_set_and_reproduce(trained: Path) -> None:
    scores = json.loads((trained / "eval.json").read_text())
    assert scores["eval_set"] == {"episodes": 48, "size": 16, "seed": scores["eval_set"]["seed"], "sampler": "uniform"}
    again = evaluate(ImaginationModel.from_pretrained(trained), EvalSet(**scores["eval_set"]))
    assert again["interpretability"] == pytest.approx(scores["interpretability"], abs=1e-9)
    assert again["final_error"] == pytest.approx(scores["final_error"], abs=1e-9)
    assert len(again["score_matrix"]) == 3


def test_its_card_names_the_environment_and_matches_eval_json(trained: Path) -> None:
    text = (trained / "README.md").read_text()
    assert "Elementary cellular automaton (rule 90), 2 generations" in text
    assert "to predict the row 2 generations ahead" in text
    assert cards.mismatches(trained) == []


def test_a_checkpoint_of_an_unregistered_environment_is_refused_by_name(trained: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    config = json.loads((trained / "config.json").read_text())
    config["environment"] = {"name": "hexlife"}
    (other / "config.json").write_text(json.dumps(config))
    (other / "model.safetensors").write_bytes((trained / "model.safetensors").read_bytes())
    with pytest.raises(errors.InvalidConfig, match="no environment named 'hexlife'; known: life, maze, elementary"):
        ImaginationModel.from_pretrained(other)


def test_the_demos_handlers_run_an_episode_of_it(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the app's own handlers, as a visitor's request: a zoo holding only this checkpoint."""
    zoo_dir = tmp_path / "zoo"
    shutil.copytree(trained, zoo_dir / "eca")
    monkeypatch.setenv("IMAGINATION_ZOO", str(zoo_dir))
    registration.register(registration.record(zoo_dir / "eca", "eca", "someone/eca", bundled=True))
    run = handlers.run(handlers.EpisodeRequest("eca", "random", 3, 0.5, 16))
    assert run.board.shape == (1, 16) and run.ep.true.shape == (3, 1, 16)
    assert run.ep.rule == "rule 90" and "random row" in run.what
    frames = ElementaryEnvironment(90).rollout(torch.from_numpy(run.board).float(), 2)
    assert np.array_equal(run.ep.true, frames.numpy())
    panel, matrix, animation, table, status, summary = handlers.run_episode(
        handlers.EpisodeRequest("eca", "random", 3, 0.5, 16)
    )
    assert all(Path(p).stat().st_size > 0 for p in (panel, matrix, animation))
    assert summary["steps"] == 2 and len(table["data"]) == 3 and "eca" in status


@pytest.mark.parametrize("name", envs.names())
def test_settles_says_whether_its_episodes_have_a_fixed_point(name: str) -> None:
    env = envs.make(name)
    starts = env.eval_episodes(2, 1, env.eval_size, 0)[:, 0]
    assert env.settles == (env.fixed_point(starts) is not None)
