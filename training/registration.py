"""The write side of the zoo's registry (``zoo/index.json``): what training and pushing record there.

``imagination.registry`` reads the registry for users; only training writes it, so the package a
user installs never needs this module. Every score an entry holds is copied from its eval.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from imagination import registry
from imagination.cards.scores import environment_of
from imagination.loading import revisions
from imagination.provenance import derivation


def write(models: list[dict[str, Any]], path: Path | None = None) -> None:
    path = registry.index_path() if path is None else path
    path.write_text(json.dumps({"models": models}, indent=2) + "\n")


def record(folder: Path, name: str, repo_id: str, *, bundled: bool) -> dict[str, Any]:
    """A registry entry for a checkpoint folder: its identity and headline scores, all read from its files."""
    cfg = json.loads((folder / "config.json").read_text())
    ev = json.loads((folder / "eval.json").read_text())
    env = environment_of(cfg)
    return {
        "name": name,
        "regime": cfg["regime"],
        "task": cfg["task"],
        "game_steps": cfg["game_steps"],
        "model_steps": cfg["model_steps"],
        "environment": env.name,
        "rule": env.settings().get("rule", ""),
        "repo_id": repo_id,
        "revision": None,
        "bundled": bundled,
        "pushed": False,
        "base": (derivation(folder) or {}).get("zoo_name"),
        "folder": f"zoo/{name}" if bundled else None,
        "stages": revisions.stage_names(folder),
        **registry.headline(ev, cfg["task"]),
    }


PLANNED = ("negative_result", "why")  # what the zoo's plan says of an entry (``training.zoo index`` writes it)


def register(entry_record: dict[str, Any], path: Path | None = None) -> None:
    """Add or replace (by name) one registry entry, keeping the others and their order, and what the plan said of
    it (a push records the files, which do not say it)."""
    models = registry.read(path)
    for i, e in enumerate(models):
        if e["name"] == entry_record["name"]:
            models[i] = {**{k: e[k] for k in PLANNED if k in e}, **entry_record}
            break
    else:
        models.append(entry_record)
    write(models, path)
