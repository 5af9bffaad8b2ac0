"""The registry of trained checkpoints: ``zoo/index.json``, name -> Hub repo (any org), revision, scores.

One entry per checkpoint, SAELens-style: its Hub ``repo_id`` (whatever organisation pushed it), the
``revision`` (the commit sha of that push), regime and task, and the headline scores copied from the
checkpoint's eval.json. Two flags say where a checkpoint lives:

- ``bundled``: its folder ships in ``zoo/`` with the package, so it loads offline by name;
- ``pushed``: ``python -m training.push`` uploaded it to ``repo_id`` at ``revision``. Only pushed
  entries are claimed to exist on the Hub (the Space's ``models:`` lists exactly those).

A contributor's checkpoint can be registered without being bundled: pushed to their own repo, it is
listed here by name and loads from that repo. ``python -m training.zoo index`` rewrites the bundled
entries' scores from their eval.json and keeps every entry's repo, revision and flags; nothing here is
typed by hand.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from imagination import hub
from imagination.model import ImaginationModel

HUB_ORG = "imagination-zoo"  # the organisation the bundled entries are named under (see CONTRIBUTING.md)
BAR = 0.01  # the zoo's bar for the board task (the reference's stopping rule): final-board error <= 1%
SUMMARY_BAR = 0.001  # and for a summary task (the reference's target_task_metric_val): task error <= 0.1%


def bar(task: str) -> float:
    """The task error a checkpoint must reach on its fixed eval set to meet the zoo's bar.

    A summary answer is rounded to whole cells, so the reference asks ten times more of it than of a
    board, whose cells are each an easy call once the model has learned the rule.
    """
    return BAR if task == "board" else SUMMARY_BAR


@dataclass(frozen=True)
class ZooEntry:
    name: str
    regime: str
    task: str
    game_steps: int
    model_steps: int
    rule: str
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

    @property
    def path(self) -> Path:
        """The bundled folder (only meaningful when ``bundled``)."""
        return hub.ZOO_DIR / self.name

    def label(self) -> str:
        """One line for menus: name, regime and the headline score."""
        flag = "" if self.meets_bar else f"  [below the {100 * bar(self.task):g}% bar]"
        return f"{self.name}  ({self.regime}, interpretability {self.interpretability:.3f}){flag}"


_FIELDS = {f.name for f in fields(ZooEntry)}


def index_path() -> Path:
    """The registry file of the zoo in use (``IMAGINATION_ZOO`` or a test may point elsewhere)."""
    return hub.ZOO_DIR / "index.json"


def read_registry(path: Path | None = None) -> builtins.list[dict[str, Any]]:
    """The registry's raw entries (what ``training.zoo`` and ``training.push`` rewrite)."""
    path = index_path() if path is None else path
    if not path.exists():
        return []
    return json.loads(path.read_text())["models"]


def write_registry(models: builtins.list[dict[str, Any]], path: Path | None = None) -> None:
    path = index_path() if path is None else path
    path.write_text(json.dumps({"models": models}, indent=2) + "\n")


def _read_index(path: Path | None = None) -> builtins.list[ZooEntry]:
    # keys a newer registry may add are ignored, so an old package still reads a new index
    return [ZooEntry(**{k: v for k, v in e.items() if k in _FIELDS}) for e in read_registry(path)]


def list() -> builtins.list[ZooEntry]:  # noqa: A001 - the catalogue's natural verb
    """Every registered checkpoint, in catalogue order (bundled or not)."""
    return _read_index()


def bundled() -> builtins.list[ZooEntry]:
    """The registered checkpoints whose folders ship in ``zoo/``."""
    return [e for e in _read_index() if e.bundled]


def names() -> builtins.list[str]:
    return [e.name for e in _read_index()]


def entry(name: str) -> ZooEntry:
    for e in _read_index():
        if e.name == name:
            return e
    raise KeyError(f"no zoo checkpoint named {name!r}; known: {', '.join(names()) or '(none)'}")


def load(name: str) -> ImaginationModel:
    """Load a registered checkpoint by name: a bundled one from its folder (offline), any other from its repo."""
    e = entry(name)
    if e.bundled:
        return ImaginationModel.from_pretrained(e.path)
    return ImaginationModel.from_pretrained(e.repo_id, revision=e.revision)


def record(folder: Path, name: str, repo_id: str, *, bundled: bool) -> dict[str, Any]:
    """A registry entry for a checkpoint folder: its identity and headline scores, all read from its files."""
    cfg = json.loads((folder / "config.json").read_text())
    ev = json.loads((folder / "eval.json").read_text())
    from imagination.cards import derivation

    base = (derivation(folder) or {}).get("zoo_name")
    return {
        "name": name,
        "regime": cfg["regime"],
        "task": cfg["task"],
        "game_steps": cfg["game_steps"],
        "model_steps": cfg["model_steps"],
        "rule": cfg["rule"],
        "repo_id": repo_id,
        "revision": None,
        "bundled": bundled,
        "pushed": False,
        "base": base,
        "folder": f"zoo/{name}" if bundled else None,
        **headline(ev, cfg["task"]),
    }


def headline(ev: dict[str, Any], task: str) -> dict[str, Any]:
    """The scores the registry repeats from eval.json (``training.push`` checks they still agree)."""
    return {
        "interpretability": ev["interpretability"],
        "final_error": ev["final_error"],
        "task_error": ev["task_error"],
        "per_step_accuracy": ev["per_step_accuracy"],
        "meets_bar": ev["task_error"] <= bar(task),
        "train_minutes": round(ev.get("train_minutes", 0.0), 2),
    }


def register(entry_record: dict[str, Any], path: Path | None = None) -> None:
    """Add or replace (by name) one registry entry, keeping the others and their order."""
    models = read_registry(path)
    for i, e in enumerate(models):
        if e["name"] == entry_record["name"]:
            models[i] = entry_record
            break
    else:
        models.append(entry_record)
    write_registry(models, path)
