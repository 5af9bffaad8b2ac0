"""An evaluated checkpoint folder's model card, rendered from the project's template.

``training.train`` (a new run), ``training.zoo`` (the bundled cards), ``training.analyze`` (new
results), ``training.push`` (the card rewritten for the repo it goes to) all write cards here, so a
card reads the same whoever wrote it. Every number comes from eval.json; the words from the
environment and the config; the layout from ``templates/modelcard.md`` (``imagination.modelcard``); the
picture it embeds from the saved weights (``picture``).
A card names its base model (``base_model``, ``base_model_relation: finetune``) when it was trained
from another checkpoint: the repo holds complete weights that load alone, which is the Hub's
"finetune" (its "adapter" is for weights that need the base to load).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

from imagination import modelcard, registry
from imagination.cards import sections
from imagination.cards.picture import caption, write_picture
from imagination.cards.scores import config_of, eval_results
from imagination.provenance import base_repo_id, portable_args, read_json, recorded_derivation, trained_on

RELATION = "finetune"  # see the module docstring for why not "adapter"


def build_card(folder: str | Path, name: str | None = None, repo_id: str | None = None) -> ModelCard:
    """The card of a checkpoint folder, from its config.json, train_config.json and eval.json.

    ``repo_id`` is the Hub repo the card is for (the usage snippet loads it); without one the
    snippet loads the zoo name (a bundled folder) or the folder.
    """
    folder = Path(folder)
    name = name or folder.resolve().name
    cfg = config_of(folder)
    scores = json.loads((folder / "eval.json").read_text())
    tc = read_json(folder / "train_config.json")
    entry = _zoo_entry(folder, name)
    derivation = recorded_derivation(scores, tc)
    base_repo = base_repo_id(derivation)
    extra_meta: dict[str, Any] = {"base_model_relation": RELATION} if base_repo else {}
    data = ModelCardData(
        model_name=name,
        license="apache-2.0",
        library_name="imagination",
        tags=modelcard.tags(cfg),
        base_model=base_repo,
        eval_results=eval_results(cfg, scores),
        **extra_meta,
    )
    summary = "\n".join(
        line
        for line in (
            sections.stage_line(folder),
            sections.negative_line(entry),
            modelcard.regime_line(cfg),
            modelcard.architecture(cfg),
            sections.bar_line(scores, cfg, negative=entry is not None and entry.negative_result),
            sections.base_line(derivation, base_repo),
        )
        if line
    )
    es = scores["eval_set"]
    blocks = [
        f"Eval set: {es['episodes']} episodes of {es['size']}x{es['size']} {_unit(cfg)} from the {es['sampler']} "
        f"sampler, seed {es['seed']}.",
        sections.score_table(data, cfg, scores),
        sections.per_step_block(cfg, scores),
        *sections.extra_blocks(cfg, scores, tc),
    ]
    command = " ".join(portable_args(tc.get("command") or ["python", "-m", "training.train"]))
    training = (
        f"`{command}` ({scores.get('train_minutes', 0.0):.1f} min, {scores.get('train_steps', 0)} steps on "
        f"{trained_on(folder, tc)}). Every setting is in `train_config.json`."
    )
    where = modelcard.target(folder, name, repo_id)
    body = "\n\n".join(b for b in blocks if b)
    picture = caption(name, cfg)
    return modelcard.render(data, cfg, name, where, summary, body, training, eval_size=es["size"], picture=picture)


def _zoo_entry(folder: Path, name: str) -> registry.ZooEntry | None:
    """The registry's entry of a zoo folder (what the plan says of it), None for any other folder."""
    if not registry.in_zoo(folder):
        return None
    return next((e for e in registry.entries() if e.name == name), None)


def _unit(cfg: Any) -> str:
    return f"{cfg.env.frame_word}s"


def write_card(folder: str | Path, name: str | None = None, repo_id: str | None = None) -> ModelCard:
    """Write README.md (see :func:`build_card`) and the picture it embeds (``picture``) into a checkpoint folder.

    The two are written together so no card links a picture that is missing or drawn from other weights.
    """
    card = build_card(folder, name, repo_id)
    write_picture(folder)
    card.save(Path(folder) / "README.md")
    return card
