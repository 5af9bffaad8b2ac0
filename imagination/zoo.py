"""The catalogue of trained checkpoints bundled in ``zoo/`` (each also pushable to the Hub).

``zoo/index.json`` is written by ``python -m training.zoo index`` from each folder's eval.json,
never by hand, so the headline numbers here are the measured ones.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from pathlib import Path

from imagination.hub import ZOO_DIR
from imagination.model import ImaginationModel

INDEX = ZOO_DIR / "index.json"
HUB_ORG = "imagination-zoo"


@dataclass(frozen=True)
class ZooEntry:
    name: str
    regime: str
    task: str
    game_steps: int
    model_steps: int
    rule: str
    repo_id: str
    folder: str  # relative to the repository root
    interpretability: float
    final_error: float
    task_error: float
    per_step_accuracy: list[float] = field(default_factory=list)
    meets_bar: bool = False  # task error <= 1% on the fixed eval set
    train_minutes: float = 0.0

    @property
    def path(self) -> Path:
        return ZOO_DIR / self.name

    def label(self) -> str:
        """One line for menus: name, regime and the headline score."""
        flag = "" if self.meets_bar else "  [below 1% bar]"
        return f"{self.name}  ({self.regime}, interpretability {self.interpretability:.3f}){flag}"


def _read_index(path: Path = INDEX) -> builtins.list[ZooEntry]:
    if not path.exists():
        return []
    return [ZooEntry(**e) for e in json.loads(path.read_text())["models"]]


def list() -> builtins.list[ZooEntry]:  # noqa: A001 - the catalogue's natural verb
    """Every bundled checkpoint, in catalogue order."""
    return _read_index()


def names() -> builtins.list[str]:
    return [e.name for e in _read_index()]


def entry(name: str) -> ZooEntry:
    for e in _read_index():
        if e.name == name:
            return e
    raise KeyError(f"no zoo checkpoint named {name!r}; known: {', '.join(names()) or '(none)'}")


def load(name: str) -> ImaginationModel:
    """Load a bundled checkpoint by name (offline: it is read from the zoo folder)."""
    return ImaginationModel.from_pretrained(entry(name).path)
