"""The off-distribution eval set: fixed, served by the environment beside the main one, scored for every bundled
entry, and on each card with where an entry that meets its bar on the main set stops meeting it."""

from __future__ import annotations

import itertools
import json

import pytest
import torch

from imagination import ImaginationModel, ModelConfig, envs, life, zoo
from imagination.cards import build_card
from imagination.cards.sections import off_distribution_verdict, stops_holding
from imagination.envs.life import UNIFORM_DENSITY
from imagination.evaluate import (
    EVAL_EPISODES,
    EVAL_SEED,
    START_DENSITY_EDGES,
    EvalSet,
    eval_episodes,
    off_distribution,
    off_distribution_sets,
)

LIFE = ModelConfig(game_steps=2, model_steps=2, trained_steps=[0, 2])


def test_the_reference_set_is_still_the_default_and_unchanged() -> None:
    es = EvalSet(60, 12, 3)
    assert es.sampler == "reference"
    assert torch.equal(eval_episodes(LIFE, es), life.sample_episodes(60, 2, 12, 3))


def test_the_uniform_set_is_fixed_and_spans_sparse_to_dense_fresh_boards() -> None:
    es = EvalSet(2000, 10, EVAL_SEED, "uniform")
    ep = eval_episodes(LIFE, es)
    assert ep.shape == (2000, 3, 10, 10) and torch.equal(ep, eval_episodes(LIFE, es))
    assert torch.equal(ep[:, 1], life.step(ep[:, 0])) and torch.equal(ep[:, 2], life.step(ep[:, 1]))
    density = ep[:, 0].mean(dim=(-2, -1))
    assert density.min() < UNIFORM_DENSITY[0] + 0.03 and density.max() > UNIFORM_DENSITY[1] - 0.03
    assert abs(float((density > 0.65).float().mean()) - 0.3 / 0.9) < 0.04  # uniform: a third above 0.65
    # the reference set has almost no dense start board (its fresh ones are at 0.5, the rest evolved)
    reference = eval_episodes(LIFE, EvalSet(2000, 10, EVAL_SEED))[:, 0].mean(dim=(-2, -1))
    assert float((reference > 0.65).float().mean()) < 0.001  # one board in 2,000


def test_an_environment_refuses_a_sampler_it_does_not_have() -> None:
    with pytest.raises(ValueError, match="no eval sampler 'nope'.*reference, uniform"):
        eval_episodes(LIFE, EvalSet(4, 8, 0, "nope"))
    maze = envs.make({"name": "maze"})
    assert maze.off_distribution == {}
    with pytest.raises(ValueError, match="no eval sampler 'uniform'"):
        maze.sampled_episodes("uniform", 2, 2, 5, 0)


def test_off_distribution_scores_the_whole_set_and_each_density_range() -> None:
    model = ImaginationModel(ModelConfig(channels=4, core_hidden=8, game_steps=2, model_steps=2, trained_steps=[0, 2]))
    main = EvalSet(100, 8, 1)
    assert off_distribution_sets(model.config, main) == {"uniform": EvalSet(EVAL_EPISODES, 8, EVAL_SEED, "uniform")}
    off = off_distribution(model, main)["uniform"]
    assert off["eval_set"] == {"episodes": EVAL_EPISODES, "size": 8, "seed": EVAL_SEED, "sampler": "uniform"}
    parts = off["by_start_density"]
    assert [p["start_density"] for p in parts] == [list(r) for r in itertools.pairwise(START_DENSITY_EDGES)]
    assert sum(p["episodes"] for p in parts) == EVAL_EPISODES
    # every episode has as many cells: the whole set's error is the ranges' weighted by their episodes
    weighted = sum(p["final_error"] * p["episodes"] for p in parts) / EVAL_EPISODES
    assert off["final_error"] == pytest.approx(weighted, abs=1e-6)


def _off(task_errors: list[float], whole: float) -> dict:
    edges = itertools.pairwise(START_DENSITY_EDGES)
    parts = [
        {"start_density": list(r), "episodes": 10, "task_error": e} for r, e in zip(edges, task_errors, strict=True)
    ]
    return {"task_error": whole, "by_start_density": parts}


def test_the_verdict_says_where_an_entry_that_meets_its_bar_stops_meeting_it() -> None:
    cfg = ModelConfig(task="patch", task_size=2, game_steps=4, model_steps=4, trained_steps=[0])
    meets = {"task_error": 0.0005}
    holds = off_distribution_verdict(cfg, meets, _off([0.0, 0.0008, 0.0002], 0.0005))
    assert holds.startswith("**Holds off distribution**")
    dense = off_distribution_verdict(cfg, meets, _off([0.0, 0.0009, 0.004], 0.0016))
    assert "not everywhere off distribution" in dense and "on this set is 0.1600%" in dense
    assert "above the 0.1% bar" in dense and "stops meeting the bar on start boards with 0.65 to 1.00" in dense
    assert "(it holds on 0.00 to 0.15 and 0.15 to 0.65)" in dense
    within = off_distribution_verdict(cfg, meets, _off([0.003, 0.0, 0.0], 0.0009))
    assert "within the 0.1% bar" in within and "0.00 to 0.15 of their cells alive" in within
    below = off_distribution_verdict(cfg, {"task_error": 0.2}, _off([0.3, 0.2, 0.1], 0.2))
    assert below.startswith("Below the zoo's bar on the fixed eval set already")


@pytest.mark.parametrize("name", [e.name for e in zoo.bundled() if e.environment == "life"])
def test_every_bundled_life_entry_is_scored_off_distribution_and_its_card_says_where_it_stops(name: str) -> None:
    e = zoo.entry(name)
    scores = json.loads((e.path / "eval.json").read_text())
    off = scores["off_distribution"]["uniform"]
    size = scores["eval_set"]["size"]
    assert off["eval_set"] == {"episodes": 2000, "size": size, "seed": 20240510, "sampler": "uniform"}
    text = build_card(e.path, name).content
    assert "### Off distribution: `uniform`" in text
    if not e.meets_bar:
        assert "Below the zoo's bar on the fixed eval set already" in text
    elif stops_holding(e.task, off):
        assert "not everywhere off distribution" in text and "stops meeting the bar on start boards with" in text
    else:
        assert off["task_error"] <= zoo.bar(e.task) and "**Holds off distribution**" in text
