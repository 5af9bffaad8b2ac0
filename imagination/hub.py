"""Where checkpoints come from: zoo names, local folders and Hub repo ids."""

from __future__ import annotations

import os
from pathlib import Path

# The bundled catalogue; IMAGINATION_ZOO points elsewhere (a contributor's own zoo, a test's).
ZOO_DIR = Path(os.environ.get("IMAGINATION_ZOO") or Path(__file__).resolve().parent.parent / "zoo")


def resolve(name_or_path: str) -> str:
    """A zoo name becomes its bundled folder; a folder stays; anything else is a Hub repo id."""
    p = Path(name_or_path).expanduser()
    if p.is_dir():
        return str(p)
    bundled = ZOO_DIR / name_or_path
    if "/" not in name_or_path and bundled.is_dir():
        return str(bundled)
    return name_or_path
