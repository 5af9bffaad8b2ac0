"""A checkpoint's revisions: ``main``, its training snapshots and its stages, in a folder as on the Hub.

A run keeps its snapshots (``training.snapshots``) in ``snapshots/step<k>/``, each a loadable checkpoint
folder, and ``snapshots.json`` holds their scores. ``training.push`` makes each one a branch ``step<k>`` of
the model repo, as Pythia does, so ``revision="step250"`` means the same checkpoint in a folder, a
bundled zoo entry and a Hub repo.

A stage is a whole earlier run the checkpoint was continued from (``--warm-start``) that exists only to be
continued: the zoo keeps it in ``stages/<name>/`` (a loadable folder with its own card and scores), not as an
entry of its own, and ``training.push`` makes it a branch ``<name>``, so ``revision="count2ts"`` of
``count2ts-long`` is the run it continued.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi

from imagination.errors import InvalidArgument
from imagination.provenance import STAGES

MAIN = "main"
FOLDER = "snapshots"  # in a checkpoint folder: snapshots/step<k>/
SCORES = "snapshots.json"  # beside it: every snapshot's scores on the run's eval set
_STEP = re.compile(r"step(\d+)")


def name(step: int) -> str:
    """A snapshot's revision: the folder's name and the Hub branch's (Pythia's ``step<k>``)."""
    return f"step{step}"


def step_of(revision: str) -> int | None:
    """The training step a snapshot revision names (``step250`` -> 250); None for any other revision."""
    m = _STEP.fullmatch(revision)
    return int(m.group(1)) if m else None


def snapshot_steps(folder: Path) -> list[int]:
    """The snapshot steps a checkpoint folder holds, in order."""
    root = folder / FOLDER
    if not root.is_dir():
        return []
    steps = [step_of(p.name) for p in root.iterdir() if (p / "config.json").is_file()]
    return sorted(s for s in steps if s is not None)


def stage_names(folder: Path) -> list[str]:
    """The stages a checkpoint folder holds (``stages/<name>/``), by name."""
    root = folder / STAGES
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "config.json").is_file())


def in_folder(folder: Path) -> list[str]:
    """``main`` (the folder itself), its snapshot revisions in step order, then its stages by name."""
    return [MAIN, *(name(s) for s in snapshot_steps(folder)), *stage_names(folder)]


def ordered(revisions: list[str]) -> list[str]:
    """``main`` first, then the snapshot revisions by step, then any other branch by name."""
    steps = sorted((s, r) for r in revisions if (s := step_of(r)) is not None)
    others = sorted(r for r in revisions if r != MAIN and step_of(r) is None)
    return [MAIN] * (MAIN in revisions) + [r for _, r in steps] + others


def on_hub(repo_id: str, token: str | bool | None = None) -> list[str]:
    """A Hub repo's branches (``main`` and its snapshots), ordered as ``ordered`` does."""
    refs = HfApi(token=token).list_repo_refs(repo_id)
    return ordered([b.name for b in refs.branches])


def folder_at(folder: Path, revision: str | None, what: str, hint: str = "") -> Path:
    """The folder that holds ``revision`` of the checkpoint in ``folder`` (``main`` or none: the folder itself).

    A revision the folder does not have is refused, naming the ones it has (``what`` says what the folder
    is, ``hint`` where else to look).
    """
    if revision in (None, MAIN):
        return folder
    steps = snapshot_steps(folder)
    step = step_of(revision)
    if step is not None and step in steps:
        return folder / FOLDER / name(step)
    stages = stage_names(folder)
    if revision in stages:
        return folder / STAGES / revision
    if not steps and not stages:
        raise InvalidArgument(f"{what}, which has no revisions (only {MAIN}, itself){hint}")
    has = in_folder(folder)
    shown = ", ".join(has) if len(has) <= 12 else ", ".join([*has[:6], "...", *has[-3:]])
    raise InvalidArgument(f"{what}, which has no revision {revision!r}; it has {shown}{hint}")


def scores(folder: Path) -> list[dict[str, Any]]:
    """The snapshots' scores (``snapshots.json``, written by training from their saved weights); [] if none."""
    path = folder / SCORES
    return json.loads(path.read_text()) if path.is_file() else []
