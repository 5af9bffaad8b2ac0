"""A run's training snapshots: checkpoints kept at log-spaced steps, then scored, to watch the imagination emerge.

    snapshots/step0/ step1/ step2/ ... step<last>/   config.json + model.safetensors, each loadable
    snapshots.json                                   every snapshot's scores on the run's fixed eval set

As Pythia keeps its checkpoints at log-spaced steps (the first steps included), a run keeps ``--snapshots``
of them: step 0 is the initialisation, the run's last step is always one, and a step counts the optimiser
steps of the whole run (every phase). A snapshot is what the final checkpoint would be at that step: in
the adversarial regime's decoder phases, the frozen base with the decoder being trained. Taking one copies
the weights and draws nothing at random, so a run's weights are the same with or without snapshots.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import torch
from torch import nn

from imagination.evaluate import EvalSet, eval_episodes, evaluate
from imagination.loading import revisions
from imagination.model import ImaginationModel
from training.config import decoder_fit_steps

DECODER_PHASES = ("decoder", "adversarial")  # phases that train a new decoder for the shipped checkpoint


def schedule(total: int, count: int) -> list[int]:
    """At most ``count`` distinct steps from 0 to ``total``: 0, then log-spaced from 1 (0, 1, 2, 3, 5, 8, ...).

    The most points of a geometric series from 1 to ``total`` that stay distinct after rounding, so the
    first steps are each kept and none is wasted on a repeat.
    """
    if count <= 0 or total <= 0:
        return [0] if count > 0 else []
    want = min(count, total + 1) - 1  # points after step 0
    if want == 0:
        return [0]
    best = [total]
    m = max(want, 2)
    while True:
        points = sorted({round(total ** (i / (m - 1))) for i in range(m)})
        if len(points) > want:
            return [0, *best]
        best = points
        if len(points) == want:
            return [0, *best]
        m += 1


def attach_decoder(model: ImaginationModel, decoder: nn.Module) -> None:
    """Make ``model`` the adversarial checkpoint: its core with ``decoder``, trained against boards at the
    steps ``decoder_fit_steps`` gives (0 and T; a summary task's 0 alone)."""
    model.decoder = decoder
    cfg = model.config
    cfg.regime = "adversarial" if cfg.task == "board" else f"{cfg.task}-adversarial"
    cfg.trained_steps = decoder_fit_steps(cfg)
    cfg.decoder_layers = sum(isinstance(m, nn.Conv2d) for m in decoder)  # --adver-decoder-layers may differ


def shipped(model: ImaginationModel, extra: nn.ModuleDict, phase: str) -> ImaginationModel:
    """A CPU copy of what the run would ship at this step; the training modules are left untouched."""
    snap = copy.deepcopy(model)
    if phase in DECODER_PHASES:
        attach_decoder(snap, copy.deepcopy(extra["decoder"]))
    return snap.to("cpu", memory_format=torch.contiguous_format)


def save(model: ImaginationModel, extra: nn.ModuleDict, phase: str, out: Path, step: int) -> None:
    """Write the snapshot of ``step`` (written aside and moved in whole, so a killed run leaves none half-written)."""
    folder = out / revisions.FOLDER / revisions.name(step)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shipped(model, extra, phase)._save_pretrained(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def clear(out: Path) -> None:
    """Forget an earlier run's snapshots in ``out`` (a fresh run starts its own)."""
    shutil.rmtree(out / revisions.FOLDER, ignore_errors=True)
    (out / revisions.SCORES).unlink(missing_ok=True)


def copy_all(src: Path, dest: Path) -> None:
    """Give ``dest`` exactly ``src``'s snapshots and their scores (none if ``src`` has none)."""
    clear(dest)
    if (src / revisions.FOLDER).is_dir():
        shutil.copytree(src / revisions.FOLDER, dest / revisions.FOLDER)
    if (src / revisions.SCORES).exists():
        shutil.copy2(src / revisions.SCORES, dest / revisions.SCORES)


def score(out: Path, eval_set: EvalSet) -> list[dict[str, Any]]:
    """Score every snapshot from its saved weights on the run's eval set; writes and returns snapshots.json."""
    records: list[dict[str, Any]] = []
    episodes: torch.Tensor | None = None
    for step in revisions.snapshot_steps(out):
        model = ImaginationModel.from_pretrained(out / revisions.FOLDER / revisions.name(step))
        if episodes is None:
            episodes = eval_episodes(model.config, eval_set)
        s = evaluate(model, eval_set, episodes)
        records.append(
            {
                "revision": revisions.name(step),
                "step": step,
                **{k: s[k] for k in ("interpretability", "final_error", "task_error", "per_step_accuracy")},
            }
        )
    if records:
        (out / revisions.SCORES).write_text(json.dumps(records, indent=2) + "\n")
    return records
