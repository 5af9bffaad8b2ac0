"""Model cards: one generator for every folder a checkpoint is written to, every number from eval.json."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData


def _faithfulness(scores: dict[str, Any]) -> float | None:
    """The faithfulness score where it is defined (board tasks with an inner step), else None."""
    score = scores.get("faithfulness", {}).get("score")
    return None if score is None or math.isnan(score) else float(score)


def _eval_results(cfg: dict[str, Any], scores: dict[str, Any]) -> list[EvalResult]:
    """The scores the Hub renders as evaluation results, all taken from eval.json."""
    es = scores["eval_set"]
    common = dict(
        task_type="imagination",
        task_name=f"Game of Life ({cfg['rule']}), {cfg['game_steps']} steps"
        + (f", {cfg['task']} task" if cfg["task"] != "board" else ""),
        dataset_type="game-of-life",
        dataset_name=f"{es['episodes']} {es['size']}x{es['size']} episodes, {es['sampler']} sampler, seed {es['seed']}",
        dataset_split="eval",
        dataset_config=cfg["rule"],
    )
    rows = [
        ("interpretability", "Interpretability (MCC, untrained steps)", scores["interpretability"]),
        ("final_error", "Final-board error", scores["final_error"]),
    ]
    if scores.get("interpretability_intermediate") is not None:
        rows.append(
            (
                "interpretability_intermediate",
                "Interpretability (steps 1..T-1)",
                scores["interpretability_intermediate"],
            )
        )
    if cfg["task"] != "board":
        rows.append(("task_error", f"{cfg['task']} task error (whole cells)", scores["task_error"]))
    faithful = _faithfulness(scores)
    if faithful is not None:
        rows.append(("faithfulness", "Causal faithfulness (edit follow rate)", faithful))
    if scores.get("extrapolation", {}).get("steps_above_99") is not None:
        rows.append(
            ("extrapolation_steps", "Steps decoded at >= 99% accuracy", scores["extrapolation"]["steps_above_99"])
        )
    for i, acc in enumerate(scores["per_step_accuracy"]):
        rows.append((f"accuracy_step_{i}", f"Decoded accuracy at step {i}", acc))
    return [EvalResult(metric_type=t, metric_name=n, metric_value=float(v), **common) for t, n, v in rows]


def card_eval_metrics(card: ModelCard) -> dict[str, float]:
    """metric_type -> value, as the Hub will read them back from a card."""
    return {r.metric_type: r.metric_value for r in (card.data.eval_results or [])}


CARD_TEMPLATE = """\
# {name}

An [imagination](https://github.com/imagination-zoo/imagination) checkpoint: an encoder, a
weight-{tied} recurrent convolutional core and a decoder trained on Conway's Game of Life
(rule `{rule}`) to predict the board {game_steps} steps ahead{task_note}. The decoder applied to
each *intermediate* hidden state shows what the network imagines between the start and the answer
(Wichers et al., "Visualizing Neural Network Imagination", arXiv 2405.06409).

- regime: **{regime}**; model steps: {model_steps}; boards trained against a decoding at model steps {trained_steps}
- architecture: {channels} hidden channels; core block: {core};
  decoder: {decoder_layers} layer(s) of {decoder_kernel}x{decoder_kernel} convs

## Scores (measured from these weights by `imagination.evaluate` on the fixed eval set)

{eval_set}

| score | value |
|---|---|
{rows}

Per-step decoded accuracy (model step i against the game step it stands for): {per_step}

{extra}

## Use

```python
from imagination import ImaginationModel, life
model = ImaginationModel.from_pretrained("{repo}")
episodes = life.sample_episodes(n=8, steps={game_steps}, size=20, seed=0)
hidden = model(episodes[:, 0])          # h_0 .. h_T
imagined = model.decode_all(hidden)     # board probabilities per step
```

## Training

`{command}` ({minutes:.1f} min, {steps} steps on CPU). Every setting is in `train_config.json`.
"""


def write_card(folder: str | Path, name: str, repo_id: str | None = None) -> ModelCard:
    """Write README.md for a checkpoint folder from its config.json, train_config.json and eval.json.

    Every number in the card is read from eval.json, which the evaluator wrote from the saved
    weights: nothing is typed in.
    """
    folder = Path(folder)
    cfg = json.loads((folder / "config.json").read_text())
    scores = json.loads((folder / "eval.json").read_text())
    tc_path = folder / "train_config.json"
    tc = json.loads(tc_path.read_text()) if tc_path.exists() else {}
    es = scores["eval_set"]
    data = ModelCardData(
        model_name=name,
        license="apache-2.0",
        library_name="imagination",
        tags=["interpretability", "game-of-life", "recurrent", "pytorch_model_hub_mixin", cfg["regime"]],
        eval_results=_eval_results(cfg, scores),
    )
    rows = [
        f"| {r.metric_name} | {r.metric_value:.0f} |"
        if r.metric_type == "extrapolation_steps"
        else f"| {r.metric_name} | {r.metric_value:.4f} |"
        for r in data.eval_results or []
        if not r.metric_type.startswith("accuracy_step_")
    ]
    if "task_mae_cells" in scores:
        rows.append(f"| {cfg['task']} mean absolute error (cells per region) | {scores['task_mae_cells']:.4f} |")
    extra = []
    if "base_model" in scores:
        b = scores["base_model"]
        extra.append(
            f"The base model with its own decoder scored interpretability {b['interpretability']:.4f} "
            f"and final-board error {b['final_error']:.4f} on the same eval set."
        )
    if "warm_start" in scores:
        w = scores["warm_start"]
        before = (
            f", which had trained {w['train_steps']} steps in {w['train_minutes']:.1f} min to final-board error "
            f"{w['final_error']:.4f}"
            if {"train_steps", "train_minutes", "final_error"} <= w.keys()
            else ""
        )
        extra.append(
            f"Trained further from the weights of `{w['from']}`{before}. The scores above are of these weights; "
            "the training time and steps below count this run only."
        )
    if "probes" in scores:
        probes = [
            "### Decoder probes (fresh decoders fitted on a frozen model)\n\n| probe | fitted on steps | "
            "per-step accuracy | interpretability |\n|---|---|---|---|"
        ]
        for pname, p in scores["probes"].items():
            accs = " ".join(f"{a:.3f}" for a in p["per_step_accuracy"])
            probes.append(f"| {pname} | {p['fitted_steps']} | {accs} | {p['interpretability']:.4f} |")
        extra.append("\n".join(probes))
    if "faithfulness" in scores:
        faithful = _faithfulness(scores)
        extra.append(
            f"Causal faithfulness score: {faithful:.4f} (see docs/analysis.md)."
            if faithful is not None
            else "Causal faithfulness: not defined for this checkpoint "
            f"({scores['faithfulness'].get('note', 'no inner step')})."
        )
    if "extrapolation" in scores:
        ex = scores["extrapolation"]
        extra.append(
            f"Steps the imagination stays >= 99% accurate when the core runs past its training: {ex['steps_above_99']}."
            if ex.get("steps_above_99") is not None
            else f"Extrapolation: not measured ({ex.get('note', 'no tied core')})."
        )
    core = (
        f"3x3 conv to {cfg['core_hidden']} channels + 1x1 conv back (residual)"
        if cfg["core_hidden"] > 0
        else f"{cfg['core_layers']} 3x3 convs (residual)"
    )
    task_note = ""
    if cfg["task"] != "board":
        task_note = f", asked only for a summary of that board (`{cfg['task']}`, size {cfg['task_size']})"
    text = CARD_TEMPLATE.format(
        name=name,
        tied="tied" if cfg["tied"] else "untied (ablation)",
        rule=cfg["rule"],
        game_steps=cfg["game_steps"],
        model_steps=cfg["model_steps"],
        task_note=task_note,
        regime=cfg["regime"],
        trained_steps=cfg["trained_steps"],
        channels=cfg["channels"],
        core=core,
        decoder_layers=cfg["decoder_layers"],
        decoder_kernel=cfg["decoder_kernel"],
        eval_set=f"Eval set: {es['episodes']} episodes of {es['size']}x{es['size']} boards from the "
        f"{es['sampler']} sampler, seed {es['seed']}.",
        rows="\n".join(rows),
        per_step=", ".join(f"{a:.4f}" for a in scores["per_step_accuracy"]),
        extra="\n\n".join(extra),
        repo=repo_id or f"path/to/{name}",
        command=" ".join(tc.get("command") or ["python -m training.train"]),
        minutes=scores.get("train_minutes", 0.0),
        steps=scores.get("train_steps", 0),
    )
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n{text}")
    card.save(folder / "README.md")
    return card
