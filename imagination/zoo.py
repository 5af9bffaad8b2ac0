"""The catalogue of trained checkpoints, for users: list it, look an entry up, load it by name.

    from imagination import zoo
    zoo.names()                      # every registered checkpoint
    zoo.load("gol3-autoencoder")     # bundled: offline, from any working directory
    zoo.revisions("gol3-autoencoder")  # main, its training snapshots, its stages: from_pretrained(name, revision=...)

The registry itself (``zoo/index.json``, read by ``imagination.registry``) says which checkpoints
ship with the package and which live only in a Hub repo; ``python -m training.zoo`` writes it.
"""

from __future__ import annotations

import builtins

from imagination.loading import revisions as _revisions
from imagination.model import ImaginationModel
from imagination.registry import BAR, HUB_ORG, SUMMARY_BAR, ZooEntry, bar, entries

__all__ = ["BAR", "HUB_ORG", "SUMMARY_BAR", "ZooEntry", "bar", "bundled", "entry", "list", "load", "names", "revisions"]


def list() -> builtins.list[ZooEntry]:  # noqa: A001 - the catalogue's natural verb
    """Every registered checkpoint, in catalogue order (bundled or not)."""
    return entries()


def bundled() -> builtins.list[ZooEntry]:
    """The registered checkpoints whose folders ship with the package."""
    return [e for e in entries() if e.bundled]


def names() -> builtins.list[str]:
    return [e.name for e in entries()]


def entry(name: str) -> ZooEntry:
    for e in entries():
        if e.name == name:
            return e
    raise KeyError(f"no zoo checkpoint named {name!r}; known: {', '.join(names()) or '(none)'}")


def load(name: str) -> ImaginationModel:
    """Load a registered checkpoint by name: a bundled one from its folder (offline), any other from its repo."""
    e = entry(name)
    if e.bundled:
        return ImaginationModel.from_pretrained(e.path)
    return ImaginationModel.from_pretrained(e.repo_id, revision=e.revision)


def revisions(name: str) -> builtins.list[str]:
    """What ``from_pretrained(name, revision=...)`` takes: ``main``, the training snapshots by step, the stages.

    A bundled entry's are in its folder (the showcase entries ship theirs); a registered entry that is not
    bundled has its repo's branches, asked of the Hub.
    """
    e = entry(name)
    if e.bundled:
        return _revisions.in_folder(e.path)
    return _revisions.on_hub(e.repo_id)
