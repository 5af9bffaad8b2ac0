"""A card's scores: eval.json's numbers as the Hub's ``model-index``, and the check that they still agree.

Every number a card shows is read from eval.json, which the evaluator wrote from the saved weights;
``mismatches`` compares a card with its eval.json score by score, as the Hub reads the card back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard

from imagination import envs, metrics
from imagination.config import ModelConfig

Pairing = tuple[int, float, int, float]


def environment_of(cfg: dict[str, Any]) -> envs.Environment:
    """The environment a config.json of any format names (formats 1 and 2: Life, by ``rule`` and ``wrap``)."""
    if "environment" in cfg:
        return envs.make(cfg["environment"])
    return envs.make({"name": "life", "rule": cfg.get("rule", "B3/S23"), "wrap": cfg.get("wrap", False)})


def config_of(folder: Path) -> ModelConfig:
    """A folder's config.json as a ModelConfig (upgraded from older formats, as the loader reads it)."""
    return ModelConfig.from_json(json.loads((folder / "config.json").read_text()))


def faithfulness(scores: dict[str, Any]) -> float | None:
    """The faithfulness score where it is defined (board tasks with an inner step), else None."""
    score = scores.get("faithfulness", {}).get("score")
    return None if score is None or score != score else float(score)


def step_pairings(cfg: ModelConfig, scores: dict[str, Any]) -> list[Pairing] | None:
    """Per model step: (aligned game step, its accuracy, best-matching game step, its accuracy).

    The aligned pairing is a convention (``metrics.aligned_game_step``); the best-matching one says
    which game step a hidden state shows, which differs when the model runs fewer steps than the game
    or a step decodes another frame. Read from eval.json's ``per_step_best_*`` (runs evaluated since
    they were added), else derived from its ``accuracy_matrix``, so older folders need no retraining;
    None when ``scores`` holds neither (e.g. a probe record).
    """
    m, g = cfg.model_steps, cfg.game_steps
    aligned = scores["per_step_accuracy"]
    if "per_step_best_game_step" in scores and "per_step_best_accuracy" in scores:
        best = list(zip(scores["per_step_best_game_step"], scores["per_step_best_accuracy"], strict=True))
    elif scores.get("accuracy_matrix"):
        best = metrics.best_matching_steps(scores["accuracy_matrix"])
    else:
        return None
    pairs = enumerate(zip(aligned, best, strict=True))
    return [(metrics.aligned_game_step(i, m, g), a, j, b) for i, (a, (j, b)) in pairs]


def pairings_differ(cfg: ModelConfig, pairings: list[Pairing] | None) -> bool:
    """Whether a card shows both pairings: a model step is not its own game step, or one matches another best."""
    if pairings is None:
        return False
    return cfg.model_steps != cfg.game_steps or any(a != j for a, _, j, _ in pairings)


def eval_results(cfg: ModelConfig, scores: dict[str, Any]) -> list[EvalResult]:
    """The scores the Hub renders as evaluation results, all taken from eval.json."""
    es, env = scores["eval_set"], cfg.env
    if env.name == "life":  # the words every Life card has carried since the first release
        task_name = f"Game of Life ({env.variant()}), {cfg.game_steps} steps"
    else:
        task_name = f"{env.title} ({env.variant() or env.name}), {cfg.game_steps} {env.step_word}s"
    dataset_type = env.tag()
    common = dict(
        task_type="imagination",
        task_name=task_name + (f", {cfg.task} task" if cfg.task != "board" else ""),
        dataset_type=dataset_type,
        dataset_name=f"{es['episodes']} {es['size']}x{es['size']} episodes, {es['sampler']} sampler, seed {es['seed']}",
        dataset_split="eval",
        dataset_config=env.variant() or env.name,
    )
    rows = [
        ("interpretability", "Interpretability (MCC, untrained steps)", scores["interpretability"]),
        ("final_error", "Final-board error", scores["final_error"]),
    ]
    if scores.get("interpretability_monotone") is not None:
        rows.append(
            ("interpretability_monotone", "Interpretability (monotone pairing)", scores["interpretability_monotone"])
        )
    if scores.get("interpretability_intermediate") is not None:
        inner = scores["interpretability_intermediate"]
        rows.append(("interpretability_intermediate", "Interpretability (steps 1..T-1)", inner))
    if cfg.task != "board":
        rows.append(("task_error", f"{cfg.task} task error (whole cells)", scores["task_error"]))
    faithful = faithfulness(scores)
    if faithful is not None:
        rows.append(("faithfulness", "Causal faithfulness (edit follow rate)", faithful))
    if scores.get("extrapolation", {}).get("steps_above_99") is not None:
        rows.append(
            ("extrapolation_steps", "Steps decoded at >= 99% accuracy", scores["extrapolation"]["steps_above_99"])
        )
    rows += _step_rows(cfg, scores)
    return [EvalResult(metric_type=t, metric_name=n, metric_value=float(v), **common) for t, n, v in rows]


def _step_rows(cfg: ModelConfig, scores: dict[str, Any]) -> list[tuple[str, str, float]]:
    pairings = step_pairings(cfg, scores)
    m, g = cfg.model_steps, cfg.game_steps
    rows = []
    for i, acc in enumerate(scores["per_step_accuracy"]):
        # named for its game step where that is not the model step's own number
        aligned = f" (aligned game step {metrics.aligned_game_step(i, m, g)})" if m != g else ""
        rows.append((f"accuracy_step_{i}", f"Decoded accuracy at step {i}{aligned}", acc))
    if pairings_differ(cfg, pairings) and pairings:
        for i, (_, _, j, best) in enumerate(pairings):
            rows.append((f"accuracy_best_step_{i}", f"Decoded accuracy at step {i}, best-matching game step {j}", best))
    return rows


def card_eval_metrics(card: ModelCard) -> dict[str, float]:
    """metric_type -> value, as the Hub will read them back from a card."""
    return {r.metric_type: r.metric_value for r in (card.data.eval_results or [])}


def mismatches(folder: str | Path, card: ModelCard | None = None) -> list[str]:
    """Every way the card's model-index differs from eval.json: a missing, extra or different score.

    Compared exactly, score by score, with the card read back as the Hub reads it; an empty list
    means the card says what the weights measured.
    """
    folder = Path(folder)
    card = card or ModelCard.load(folder / "README.md")
    scores = json.loads((folder / "eval.json").read_text())
    want = {r.metric_type: r for r in eval_results(config_of(folder), scores)}
    got = {r.metric_type: r for r in (card.data.eval_results or [])}
    out = [f"the card lacks {k} (eval.json: {want[k].metric_value})" for k in want if k not in got]
    out += [f"the card claims {k} = {got[k].metric_value}, which eval.json lacks" for k in got if k not in want]
    for k in want.keys() & got.keys():
        w, g = want[k], got[k]
        if g.metric_value != w.metric_value:
            out.append(f"the card claims {k} = {g.metric_value}, eval.json has {w.metric_value}")
        elif (g.task_name, g.dataset_name, g.dataset_config) != (w.task_name, w.dataset_name, w.dataset_config):
            out.append(f"the card measures {k} on {g.dataset_name!r} ({g.task_name}), eval.json on {w.dataset_name!r}")
    return sorted(out)
