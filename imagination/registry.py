"""The zoo's registry, ``zoo/index.json``: read here and nowhere else.

One entry per checkpoint, SAELens-style: its Hub ``repo_id`` (whatever organisation pushed it), the
``revision`` (the commit sha of that push), what it was trained on and the headline scores copied
from its eval.json. Two flags say where a checkpoint lives:

- ``bundled``: its folder ships in the zoo with the package, so it loads offline by name;
- ``pushed``: ``python -m training.push`` uploaded it to ``repo_id`` at ``revision``.

The zoo folder is the checkout's ``zoo/`` in a source checkout (the Space imports the package from
there), else the copy installed as package data (``imagination._zoo``, found through
``importlib.resources``); ``IMAGINATION_ZOO`` overrides both (a contributor's own zoo, a test's). It is
read at every call, never copied at import. Writing the registry is training's job
(``training.zoo``); this module only reads it.
"""

from __future__ import annotations

import importlib.resources
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

HUB_ORG = "imagination-zoo"  # the organisation the bundled entries are named under (see CONTRIBUTING.md)
BAR = 0.01  # the zoo's bar for the board task (the reference's stopping rule): final-board error <= 1%
SUMMARY_BAR = 0.001  # and for a summary task (the reference's target_task_metric_val): task error <= 0.1%
_CHECKOUT = Path(__file__).resolve().parent.parent


def zoo_dir() -> Path:
    """The zoo in use: ``IMAGINATION_ZOO``, else this checkout's ``zoo/``, else the installed copy."""
    override = os.environ.get("IMAGINATION_ZOO")
    if override:
        return Path(override)
    if (_CHECKOUT / "zoo").is_dir() and (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT / "zoo"
    return Path(str(importlib.resources.files("imagination") / "_zoo"))


def index_path() -> Path:
    return zoo_dir() / "index.json"


def bar(task: str) -> float:
    """The task error a checkpoint must reach on its fixed eval set to meet the zoo's bar.

    A summary answer is rounded to whole cells, so the reference asks ten times more of it than of a
    board, whose cells are each an easy call once the model has learned the rule.
    """
    return BAR if task == "board" else SUMMARY_BAR


def meets(task_error: float, task: str) -> bool:
    """Whether a task error meets the bar; an error measured exactly at it does (2 of 2,000 answers wrong is
    0.1%), though float32 arithmetic gives it as 0.0010000000475."""
    return task_error <= bar(task) * (1 + 1e-6)


def headline(ev: dict[str, Any], task: str) -> dict[str, Any]:
    """The scores the registry repeats from eval.json (``training.push`` checks they still agree)."""
    return {
        "interpretability": ev["interpretability"],
        "final_error": ev["final_error"],
        "task_error": ev["task_error"],
        "per_step_accuracy": ev["per_step_accuracy"],
        "meets_bar": meets(ev["task_error"], task),
        "train_minutes": round(ev.get("train_minutes", 0.0), 2),
    }


@dataclass(frozen=True)
class ZooEntry:
    name: str
    regime: str
    task: str
    game_steps: int
    model_steps: int
    rule: str  # the Life rule of a Life entry ("" for other environments); ``environment`` names it
    repo_id: str
    folder: str | None  # "zoo/<name>" when bundled, relative to the repository root; None otherwise
    interpretability: float
    final_error: float
    task_error: float
    per_step_accuracy: list[float] = field(default_factory=list)
    meets_bar: bool = False  # task error <= bar(task) on the fixed eval set
    train_minutes: float = 0.0
    revision: str | None = None  # the commit sha of the push that registered repo_id; None: never pushed
    bundled: bool = True
    pushed: bool = False
    base: str | None = None  # the registry name of the checkpoint this one was trained from, if any
    environment: str = "life"  # the environment's name (imagination.envs)
    negative_result: bool = False  # kept to show a failure, not to be used (its card says which)
    why: str = ""  # the plan's one line on the entry (training/zoo/plan.toml); a negative result's card says it
    stages: list[str] = field(default_factory=list)  # earlier runs it continued, each a revision of it by name

    @property
    def path(self) -> Path:
        """The bundled folder (only meaningful when ``bundled``)."""
        return zoo_dir() / self.name

    def label(self) -> str:
        """One line for menus: name, regime and the headline score."""
        if self.negative_result:
            flag = "  [negative result]"
        else:
            flag = "" if self.meets_bar else f"  [below the {100 * bar(self.task):g}% bar]"
        return f"{self.name}  ({self.regime}, interpretability {self.interpretability:.3f}){flag}"


_FIELDS = {f.name for f in fields(ZooEntry)}


def read(path: Path | None = None) -> list[dict[str, Any]]:
    """The registry's raw entries, in catalogue order; [] when there is no registry.

    Entries that are not objects with a string ``name`` are skipped, so a hand-edited or newer
    registry never breaks resolving a name.
    """
    path = index_path() if path is None else path
    try:
        models = json.loads(path.read_text())["models"]
    except FileNotFoundError:
        return []
    if not isinstance(models, list):
        return []
    return [e for e in models if isinstance(e, dict) and isinstance(e.get("name"), str)]


def entries(path: Path | None = None) -> list[ZooEntry]:
    # keys a newer registry may add are ignored, so an old package still reads a new index
    return [ZooEntry(**{k: v for k, v in e.items() if k in _FIELDS}) for e in read(path)]


def in_zoo(folder: str | Path) -> bool:
    """Whether ``folder`` is one of the zoo's own entry folders (cards, push and the app name it by its zoo name)."""
    return Path(folder).resolve().parent == zoo_dir().resolve()


def bundled_folder(name: str) -> Path | None:
    """The bundled folder of a zoo name, or None (a name is one path component, never a path)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        return None
    folder = zoo_dir() / name
    try:
        return folder if folder.is_dir() else None
    except (OSError, ValueError):  # a name too long for the filesystem
        return None
