"""What a checkpoint name means: a local folder, a zoo name, a registered name or a Hub repo id.

A name is looked up in this order, without touching the network:

1. an existing folder (relative to the working directory, or absolute) is loaded from disk;
2. a bundled zoo name (``gol3-autoencoder``) is loaded from the zoo folder, from any working directory;
3. a name registered in ``zoo/index.json`` but not bundled loads from its Hub ``repo_id`` at the
   registry's ``revision`` (any organisation);
4. anything else with a slash is a Hub repo id.

A Hub repo id that the registry maps to a bundled entry (``imagination-zoo/gol3-autoencoder``),
asked for without a revision (or at ``main``, or at the registry's own revision), falls back to the
bundled copy with a ``UserWarning`` naming it when the Hub cannot be reached, or offline mode is on,
and huggingface_hub's cache does not hold it. Any other id then raises ``errors.Offline``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from imagination import registry


@dataclass(frozen=True)
class Source:
    """Where one checkpoint is read from.

    ``kind`` is ``"folder"`` (``location`` is a directory) or ``"hub"`` (``location`` is a repo id,
    read at ``revision``). ``name`` is the zoo name it was asked for by, if any; ``fallback`` is the
    bundled folder an unreachable Hub may fall back to (see the module docstring).
    """

    kind: str
    location: str
    revision: str | None = None
    name: str | None = None
    fallback: Path | None = None


def known_names(name: str, names: list[str], shown: int = 5) -> str:
    """The zoo names to offer after ``name`` was not found, in one short line at any zoo size.

    The closest names when there are any (a typo), else the first few and how many more: a message
    that listed every entry grew past a readable line once the zoo passed thirty entries.
    """
    if not names:
        return "the zoo is empty"
    close = difflib.get_close_matches(name[:200], names, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def locate(name_or_path: str) -> Source:
    """Where ``name_or_path`` is read from: a folder, a bundled zoo name, a registered name or a Hub repo id.

    A bare name that is none of these comes back as ``kind="hub"`` with no slash in ``location``;
    the loader refuses it with the list of zoo names.
    """
    name = str(name_or_path)
    try:
        p = Path(name).expanduser()
        if p.is_dir():
            return Source("folder", str(p))
    except (OSError, ValueError, RuntimeError):  # a name no filesystem can hold (too long, NUL, ~unknown)
        pass
    bundled = registry.bundled_folder(name)
    if bundled is not None:
        return Source("folder", str(bundled), name=name)
    entries = registry.read()
    if "/" not in name:
        for e in entries:
            if e["name"] == name and isinstance(e.get("repo_id"), str):
                revision = e.get("revision")
                return Source("hub", e["repo_id"], revision if isinstance(revision, str) else None, name=name)
        return Source("hub", name)
    for e in entries:
        if e.get("repo_id") == name:
            fallback = registry.bundled_folder(e["name"])
            if fallback is not None:
                return Source("hub", name, name=e["name"], fallback=fallback)
    return Source("hub", name)


def registry_revision(name: str) -> str | None:
    """The revision the registry pins for a zoo name (None: none recorded)."""
    for e in registry.read():
        if e["name"] == name and isinstance(e.get("revision"), str):
            return e["revision"]
    return None


def registered_stages(name: str) -> list[str]:
    """The stages the registry lists for a zoo name: earlier runs it continued, each a revision by that name."""
    for e in registry.read():
        if e["name"] == name and isinstance(e.get("stages"), list):
            return [s for s in e["stages"] if isinstance(s, str)]
    return []


def stage_owner(name: str) -> str | None:
    """The zoo entry that holds ``name`` as a stage (a run kept only as a revision of the entry it fed), if any."""
    for e in registry.read():
        if isinstance(e.get("stages"), list) and name in e["stages"]:
            return e["name"]
    return None


def registered_repo(name: str) -> str | None:
    """The Hub repo id the registry gives a zoo name (None: not registered)."""
    for e in registry.read():
        if e["name"] == name and isinstance(e.get("repo_id"), str):
            return e["repo_id"]
    return None


def resolve(name_or_path: str) -> str:
    """A zoo name becomes its bundled folder; a folder stays; a registered name becomes its repo id;
    anything else is returned as it is (a Hub repo id)."""
    return locate(name_or_path).location
