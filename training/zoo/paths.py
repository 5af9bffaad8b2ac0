"""Where a zoo's entries live and train: this checkout's zoo/ and runs/zoo, or another zoo and the runs beside it.

The zoo folder is always ``registry.zoo_dir()`` read at call time (IMAGINATION_ZOO, or a test's zoo), never a
copy taken at import.
"""

from __future__ import annotations

from pathlib import Path

from imagination import registry

ROOT = Path(__file__).resolve().parents[2]
RUNS = Path("runs") / "zoo"  # relative to ROOT: the CLI works from there, so configs hold no local paths
WALL = "wall_minutes.json"  # in the runs folder: the wall clock of every `train` call that trained into it


def is_checkout_zoo(zoo_dir: Path) -> bool:
    """Whether ``zoo_dir`` is this checkout's zoo/, whose records hold relative paths, and not another zoo."""
    return zoo_dir.resolve() == (ROOT / "zoo").resolve()


def runs_dir(zoo_dir: Path | None = None) -> Path:
    """Where a zoo's entries train: runs/zoo for this checkout's, else beside the zoo, so two never share runs."""
    zoo_dir = registry.zoo_dir() if zoo_dir is None else zoo_dir
    return RUNS if is_checkout_zoo(zoo_dir) else zoo_dir.with_name(f"{zoo_dir.name}-runs")
