"""Where checkpoints come from: zoo names, local folders and Hub repo ids.

The zoo lives at the repository's top level (``zoo/``) and travels with the package: a wheel or
sdist carries the same folders as ``imagination/_zoo`` (pyproject.toml maps one onto the other).
``ZOO_DIR`` is the checkout's ``zoo/`` in a source or editable checkout, else the installed copy;
``IMAGINATION_ZOO`` overrides both (a contributor's own zoo, a test's).

A name is looked up in this order:

1. an existing folder (relative to the working directory, or absolute) is loaded from disk;
2. a bundled zoo name (``gol3-autoencoder``) is loaded from ``ZOO_DIR``, from any working directory;
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
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def _default_zoo_dir() -> Path:
    """The checkout's ``zoo/`` when this package runs from a checkout, else the copy installed with it."""
    checkout = _PACKAGE.parent
    if (checkout / "zoo").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / "zoo"
    return _PACKAGE / "_zoo"


# The bundled catalogue; IMAGINATION_ZOO points elsewhere (a contributor's own zoo, a test's).
ZOO_DIR = Path(os.environ.get("IMAGINATION_ZOO") or _default_zoo_dir())


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


def in_zoo(folder: str | Path) -> bool:
    """Whether ``folder`` is one of the bundled zoo's own entry folders (where cards, push and the app
    treat it by its zoo name)."""
    return Path(folder).resolve().parent == ZOO_DIR.resolve()


def registry_entries() -> list[dict[str, Any]]:
    """The raw entries of the zoo's registry (``index.json``); [] when there is none or it is unreadable.

    Read here rather than through ``imagination.zoo`` so that resolving a name never imports the
    model code twice or fails on a registry written by a newer version.
    """
    try:
        models = json.loads((ZOO_DIR / "index.json").read_text())["models"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return (
        [e for e in models if isinstance(e, dict) and isinstance(e.get("name"), str)]
        if isinstance(models, list)
        else []
    )


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


def bundled_folder(name: str) -> Path | None:
    """The bundled folder of a zoo name, or None (a name is one path component, never a path)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        return None
    folder = ZOO_DIR / name
    try:
        return folder if folder.is_dir() else None
    except (OSError, ValueError):  # a name too long for the filesystem
        return None


def locate(name_or_path: str) -> Source:
    """Where ``name_or_path`` is read from: a folder, a bundled zoo name, a registered name or a Hub repo id.

    Never touches the network. A bare name that is none of these comes back as ``kind="hub"``
    with no slash in ``location``; the loader refuses it with the list of zoo names.
    """
    name = str(name_or_path)
    try:
        p = Path(name).expanduser()
        if p.is_dir():
            return Source("folder", str(p))
    except (OSError, ValueError, RuntimeError):  # a name no filesystem can hold (too long, NUL, ~unknown)
        pass
    bundled = bundled_folder(name)
    if bundled is not None:
        return Source("folder", str(bundled), name=name)
    entries = registry_entries()
    if "/" not in name:
        for e in entries:
            if e["name"] == name and isinstance(e.get("repo_id"), str):
                revision = e.get("revision")
                return Source("hub", e["repo_id"], revision if isinstance(revision, str) else None, name=name)
        return Source("hub", name)
    for e in entries:
        if e.get("repo_id") == name:
            fallback = bundled_folder(e["name"])
            if fallback is not None:
                return Source("hub", name, name=e["name"], fallback=fallback)
    return Source("hub", name)


def registry_revision(name: str) -> str | None:
    """The revision the registry pins for a zoo name (None: none recorded)."""
    for e in registry_entries():
        if e["name"] == name and isinstance(e.get("revision"), str):
            return e["revision"]
    return None


def resolve(name_or_path: str) -> str:
    """A zoo name becomes its bundled folder; a folder stays; a registered name becomes its repo id;
    anything else is returned as it is (a Hub repo id)."""
    return locate(name_or_path).location
