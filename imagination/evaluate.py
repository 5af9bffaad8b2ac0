"""Score a model on a fixed, seeded eval set: every number in eval.json and the model card.

The eval set is regenerated from its seed rather than stored, so a checkpoint folder plus this
module is enough to reproduce its scores anywhere.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import torch

from imagination import metrics
from imagination.config import ModelConfig
from imagination.model import ImaginationModel
from imagination.tasks import summary_cells, summary_targets, summary_ties, summary_wrong

EVAL_SEED = 20240510
EVAL_EPISODES = 2000
EVAL_SIZE = 20


@dataclass(frozen=True)
class EvalSet:
    """Which episodes a score was measured on (saved beside the score).

    The defaults are Life's (the reference's chained sampler on 20x20 boards); ``eval_set_for`` gives
    any environment's own.
    """

    episodes: int = EVAL_EPISODES
    size: int = EVAL_SIZE
    seed: int = EVAL_SEED
    sampler: str = "reference"


def eval_set_for(
    config: ModelConfig, episodes: int = EVAL_EPISODES, size: int | None = None, seed: int = EVAL_SEED
) -> EvalSet:
    """The fixed eval set of a model's environment: its sampler, its own size unless another is given."""
    env = config.env
    return EvalSet(episodes, env.eval_size if size is None else size, seed, env.sampler)


def eval_episodes(config: ModelConfig, eval_set: EvalSet | None = None) -> torch.Tensor:
    """The fixed eval episodes of a model's environment and step count: [N, G+1, H, W] (the set's sampler)."""
    es = eval_set_for(config) if eval_set is None else eval_set
    return config.env.sampled_episodes(es.sampler, es.episodes, config.game_steps, es.size, es.seed)


@torch.no_grad()
def decode_episodes(
    model: ImaginationModel,
    starts: torch.Tensor,
    steps: int | None = None,
    batch: int = 500,
    decoder: torch.nn.Module | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Board decodings [N, M+1, H, W] (and summary predictions for summary tasks, unclamped as the
    authors' metric reads them), in batches."""
    boards, summaries = [], []
    for i in range(0, len(starts), batch):
        hidden = model(starts[i : i + batch], steps)
        boards.append(model.decode_all(hidden, decoder))
        if model.task_head is not None:
            summaries.append(model.summarize_raw(hidden))
    return torch.cat(boards), (torch.cat(summaries) if summaries else None)


def board_scores(config: ModelConfig, episodes: torch.Tensor, decoded: torch.Tensor) -> dict[str, Any]:
    """Every board-decoding score of one set of decodings (shared by the evaluator and probes)."""
    m, g = decoded.shape[1] - 1, episodes.shape[1] - 1
    trained = set(config.trained_steps)
    trained_game = metrics.trained_game_steps(trained, m, g)
    scores = metrics.score_matrix(episodes, decoded)
    untrained_m = metrics.untrained_steps(m, trained)
    untrained_g = metrics.untrained_steps(g, trained_game)
    inner_m, inner_g = list(range(1, m)), list(range(1, g))
    accuracy = metrics.accuracy_matrix(episodes, decoded)
    best = metrics.best_matching_steps(accuracy)
    return {
        "interpretability": metrics.interpretability_from_matrix(scores, untrained_m, untrained_g),
        # the pairing that never goes back in time, for a network that keeps its own pace (docs/method.md)
        "interpretability_monotone": metrics.interpretability_monotone(scores, untrained_m, untrained_g),
        "monotone_game_steps": metrics.monotone_pairing(scores, untrained_m, untrained_g),
        "interpretability_intermediate": (
            metrics.interpretability_from_matrix(scores, inner_m, inner_g) if inner_m and inner_g else None
        ),
        "scored_model_steps": untrained_m,
        "scored_game_steps": untrained_g,
        "final_error": metrics.final_error(episodes[:, -1], decoded[:, -1]),
        "per_step_accuracy": metrics.per_step_accuracy(episodes, decoded),
        "per_step_best_accuracy": [acc for _, acc in best],
        "per_step_best_game_step": [j for j, _ in best],
        "score_matrix": scores.tolist(),
        "accuracy_matrix": accuracy.tolist(),
    }


def summary_scores(config: ModelConfig, episodes: torch.Tensor, predicted: torch.Tensor) -> dict[str, Any]:
    """Task error of a summary head at the final step: its answers rounded to whole cells per region,
    unclamped (``tasks.summary_wrong``, the authors' ``AccuracyInverseMetric``)."""
    target = summary_targets(episodes[:, -1], config.task, config.task_size)
    final = predicted[:, -1]
    cells = summary_cells(config.task, config.task_size, episodes.shape[-2:])
    wrong = summary_wrong(final, target, cells)
    ties = summary_ties(target, cells)
    return {
        "task_error": float(wrong.float().mean()),
        "task_mae_cells": float(((final - target).abs() * cells).mean()),
        "cells_per_region": cells,
        # answers exactly halfway between two whole counts, and the error on them and on the rest (docs/method.md)
        "tie_share": float(ties.float().mean()),
        "task_error_on_ties": float(wrong[ties].float().mean()) if ties.any() else None,
        "task_error_off_ties": float(wrong[~ties].float().mean()) if (~ties).any() else None,
    }


def evaluate(
    model: ImaginationModel, eval_set: EvalSet | None = None, episodes: torch.Tensor | None = None
) -> dict[str, Any]:
    """All scores of a model on its fixed eval set (what eval.json and the card hold)."""
    cfg = model.config
    eval_set = eval_set_for(cfg) if eval_set is None else eval_set
    if episodes is None:
        episodes = eval_episodes(cfg, eval_set)
    was_training = model.training
    model.eval()
    decoded, summaries = decode_episodes(model, episodes[:, 0])
    model.train(was_training)
    out: dict[str, Any] = {"eval_set": asdict(eval_set), "trained_steps": list(cfg.trained_steps)}
    out.update(board_scores(cfg, episodes, decoded))
    if cfg.task == "board":
        out["task_error"] = out["final_error"]
    else:
        assert summaries is not None
        out.update(summary_scores(cfg, episodes, summaries))
    return out


# Where an off-distribution score is broken down: the start frame's share of live cells, split where the zoo's
# training sampler draws its densities (0.15 to 0.65), so a card can say on which side a checkpoint stops holding.
START_DENSITY_EDGES = (0.0, 0.15, 0.65, 1.0)
HEADLINE = ("final_error", "task_error", "interpretability")


def off_distribution_sets(config: ModelConfig, eval_set: EvalSet) -> dict[str, EvalSet]:
    """The named off-distribution eval sets of a model: each its environment has, fixed like the main set
    (EVAL_EPISODES episodes, EVAL_SEED), at the main set's size."""
    return {name: EvalSet(EVAL_EPISODES, eval_set.size, EVAL_SEED, name) for name in config.env.off_distribution}


def off_distribution(model: ImaginationModel, eval_set: EvalSet) -> dict[str, dict[str, Any]]:
    """The headline scores on each off-distribution set, whole and by start density: eval.json's
    ``off_distribution``."""
    out = {}
    for name, es in off_distribution_sets(model.config, eval_set).items():
        episodes = eval_episodes(model.config, es)
        scores = evaluate(model, es, episodes)
        density = episodes[:, 0].float().mean(dim=(-2, -1))
        bins = []
        for lo, hi in itertools.pairwise(START_DENSITY_EDGES):
            inside = (density >= lo) & ((density < hi) if hi < 1.0 else (density <= hi))
            if inside.any():
                part = evaluate(model, es, episodes[inside])
                bins.append({"start_density": [lo, hi], "episodes": int(inside.sum()), **_headline(part)})
        out[name] = {"eval_set": asdict(es), **_headline(scores), "by_start_density": bins}
    return out


def _headline(scores: dict[str, Any]) -> dict[str, Any]:
    return {k: scores[k] for k in HEADLINE}
