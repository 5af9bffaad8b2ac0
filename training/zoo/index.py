"""The zoo's registry (zoo/index.json) rewritten from the bundled folders, and the Space's ``models:`` from it.

Every score an entry holds is read from its eval.json (through ``training.registration``). ``index`` keeps each
entry's repo id, revision and pushed flag (``training.push`` sets them) and the entries registered without being
bundled; the Space's ``models:`` (README front matter) is exactly the pushed repos: it never invents one.
"""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import SpaceCard

from imagination import registry
from imagination.registry import HUB_ORG
from training import registration
from training.zoo.paths import ROOT, is_checkout_zoo
from training.zoo.plan import NEGATIVE, PLAN, WHY


def pushed_repo(name: str) -> str | None:
    """The Hub repo a zoo entry was pushed to, per the registry; None while it has not been pushed."""
    for e in registry.read():
        if e["name"] == name and e.get("pushed"):
            return e["repo_id"]
    return None


def index() -> list[dict]:
    """Rewrite the registry: every bundled folder's entry from its files, every other entry kept.

    A bundled entry keeps the repo id, revision and pushed flag it had (a new one is named
    ``imagination-zoo/<name>``, not pushed) and takes its ``why`` and ``negative_result`` from the plan;
    registered entries without a folder (a contributor's repo) stay as ``training.push`` wrote them, and so
    does a pushed entry whose folder was removed (it is still on the Hub; it is no longer bundled).
    """
    here = registry.zoo_dir()
    old = {e["name"]: e for e in registry.read()}
    models = []
    order = list(PLAN) + sorted(p.name for p in here.iterdir() if p.is_dir() and p.name not in PLAN)
    for name in order:
        folder = here / name
        if not (folder / "eval.json").exists():
            continue
        prev = old.pop(name, {})
        entry = registration.record(folder, name, prev.get("repo_id") or f"{HUB_ORG}/{name}", bundled=True)
        entry.update({k: prev[k] for k in ("revision", "pushed", *registration.PLANNED) if k in prev})
        if name in PLAN:
            entry.update(negative_result=name in NEGATIVE, why=WHY[name])
        models.append(entry)
    for e in old.values():  # registered without a bundled folder: kept while it is on the Hub
        if not e.get("bundled", True) or e.get("pushed"):
            models.append({**e, "bundled": False, "folder": None})
    registration.write(models)
    sync_space()
    return models


def sync_space() -> None:
    """The Space's ``models:`` from the registry: exactly the pushed repos (only for this checkout's zoo)."""
    if is_checkout_zoo(registry.zoo_dir()):  # a test's zoo is not this one
        write_space_models(space_models())


def space_models() -> list[str]:
    """The repos the Space may claim: the registry's pushed entries, in registry order."""
    return [e["repo_id"] for e in registry.read() if e.get("pushed")]


def write_space_models(repo_ids: list[str], readme: Path = ROOT / "README.md") -> None:
    """The Space's front matter lists these repo ids (so the Hub links the demo to them); ``[]`` when none.

    Through huggingface_hub's ``SpaceCard``, which reads and writes the front matter as the Hub does.
    """
    card = SpaceCard.load(readme)
    card.data.models = list(repo_ids)
    card.save(readme)
