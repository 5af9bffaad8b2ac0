"""Beyond decodability: does the network *use* what it imagines, and how far does it reach?

- extrapolation: run the tied core past its trained horizon and score each decoded step
  against the true game;
- patching: replace h_i by the encoding of the true board i and watch the final error;
- editing: flip k cells of the imagined board at step i, re-encode it, continue the core, and
  ask whether the final answer follows the Game of Life continuation of the *edited* board;
- thinking longer: on an environment whose episodes settle (a maze's solution), the share of
  episodes solved exactly against the iterations run, on larger problems than the training ones,
  and for one episode the iterations at which it is solved (``solving``);
- emergence: in a run's training snapshots, when the imagination appears and when the task is solved.

Definitions and the faithfulness score are written out in docs/analysis.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from imagination import metrics
from imagination.envs import Environment
from imagination.episode import Episode, continue_edited
from imagination.model import ImaginationModel
from imagination.registry import BAR

ACCURACY_BAR = 0.99
HORIZON_LIMIT = 512  # model steps a horizon is measured to: past the longest horizon in the zoo
EMERGED = 0.9  # interpretability at which the imagination counts as there (docs/analysis.md, "Watch it emerge")


@torch.no_grad()
def extrapolation(
    model: ImaginationModel, episodes_start: torch.Tensor, factor: int = 4, batch: int = 500, limit: int = 128
) -> dict:
    """Per-step decoded accuracy and MCC for ``factor`` x the trained model steps, or further: while the
    last step is still at or above 99%, the run doubles, up to ``limit`` model steps, so that a horizon
    past 4T is measured rather than cut off.

    ``steps_above_99`` is how many steps (counting step 0's successors) the imagination stays at
    or above 99% accuracy: the number to compare between checkpoints.
    """
    cfg = model.config
    if not cfg.tied:
        return {"steps": [], "accuracy": [], "mcc": [], "steps_above_99": None, "note": "untied core: fixed steps"}
    steps = cfg.model_steps * factor
    while True:
        out = running_accuracy(model, episodes_start, steps, batch)
        if out["steps_above_99"] < steps or steps >= limit:
            return out
        steps = min(2 * steps, limit)


@torch.no_grad()
def running_accuracy(model: ImaginationModel, starts: torch.Tensor, steps: int, batch: int = 250) -> dict[str, Any]:
    """Decoded accuracy and MCC at every model step to ``steps``, the true game stepped alongside.

    One state a board is kept, not every state of the run, so a run of 1,000 steps on 64x64 boards fits in
    memory. The counts add up over batches, so the scores are those of all ``starts`` at once.
    """
    cfg = model.config
    if not cfg.tied:
        raise ValueError("an untied core runs only its own steps")
    games = [metrics.aligned_game_step(t, cfg.model_steps, cfg.game_steps) for t in range(steps + 1)]
    counts = np.zeros((steps + 1, 4))
    for i in range(0, len(starts), batch):
        frames = starts[i : i + batch]
        recall = model.observe(frames) if cfg.recall else None
        h, board, at = model.hook_state(model.encode(frames), 0), frames, 0
        for t, game in enumerate(games):
            if game > at:
                board, at = cfg.env.rollout(board, game - at)[:, -1], game
            counts[t] += metrics.confusion(board > metrics.THRESHOLD, model.decode(h) > metrics.THRESHOLD)
            if t < steps:
                h = model.hook_state(model.core_step(h, t, recall), t + 1)
    accuracy = [float((tp + tn) / (tp + tn + fp + fn)) for tp, tn, fp, fn in counts]
    return {
        "steps": list(range(steps + 1)),
        "game_steps": games,
        "accuracy": accuracy,
        "mcc": [metrics.mcc_from_counts(*c) for c in counts],
        "steps_above_99": next((t - 1 for t in range(1, steps + 1) if accuracy[t] < ACCURACY_BAR), steps),
        "trained_steps": cfg.model_steps,
    }


@torch.no_grad()
def patching(model: ImaginationModel, episodes: torch.Tensor) -> list[dict[str, float]]:
    """Final-board error when h_i is replaced by encoder(true board i), for each inner step i."""
    cfg = model.config
    m = cfg.model_steps
    hidden = model(episodes[:, 0])
    recall = model.observe(episodes[:, 0]) if cfg.recall else None  # the problem stays the start's
    base = metrics.final_error(episodes[:, -1], model.decode(hidden[:, m]))
    out = []
    for i in range(1, m):
        g = metrics.aligned_game_step(i, m, cfg.game_steps)
        h = model.encode(episodes[:, g])
        final = model.decode(model.continue_from(h, i, m - i, recall)[:, -1])
        err = metrics.final_error(episodes[:, -1], final)
        out.append({"step": i, "final_error": err, "baseline_error": base, "delta": err - base})
    return out


@torch.no_grad()
def editing(model: ImaginationModel, episodes: torch.Tensor, flips: int = 3, seed: int = 0) -> list[dict[str, Any]]:
    """How often the final answer follows the game continuation of an edited imagined board.

    At each inner step i, ``flips`` random cells of the thresholded decoding are flipped, the
    edited board is encoded and the core continues from there. On the cells where the game
    continuations of the edited and of the unedited imagined board differ at the final step, the
    *follow rate* is the fraction the model predicts as the edited continuation does (on those
    cells the two continuations disagree, so 1 - follow rate is how often it ignored the edit).
    """
    cfg = model.config
    m, G = cfg.model_steps, cfg.game_steps
    g = torch.Generator().manual_seed(seed)
    hidden = model(episodes[:, 0])
    out = []
    for i in range(1, m):
        gi = metrics.aligned_game_step(i, m, G)
        imagined = (model.decode(hidden[:, i]) > metrics.THRESHOLD).float()
        n, hgt, wid = imagined.shape
        idx = torch.stack([torch.randperm(hgt * wid, generator=g)[:flips] for _ in range(n)])
        edited = imagined.flatten(1).clone()
        edited.scatter_(1, idx, 1 - edited.gather(1, idx))
        edited = edited.reshape(n, hgt, wid)
        final = model.decode(continue_edited(model, edited, i, m - i)[:, -1]) > metrics.THRESHOLD
        follow_edit = cfg.env.rollout(edited, G - gi)[:, -1] > 0.5
        follow_orig = cfg.env.rollout(imagined, G - gi)[:, -1] > 0.5
        differ = follow_edit != follow_orig
        k = int(differ.sum())
        follow = float((final == follow_edit)[differ].float().mean()) if k else None
        out.append({"step": i, "flips": flips, "differing_cells": k, "follow_rate": follow})
    return out


def faithfulness(model: ImaginationModel, episodes: torch.Tensor, flips: int = 3, seed: int = 0) -> dict[str, Any]:
    """Patching and editing results, and one score: the mean follow rate over inner steps.

    1.0: the final answer always follows an edit of the imagined board as the game would; 0.0:
    it ignores the edit. Board-task models with at least one inner step only.
    """
    if model.config.task != "board" or model.config.model_steps < 2:
        return {"score": None, "note": "needs a board-task model with an inner step"}
    patch = patching(model, episodes)
    edit = editing(model, episodes, flips, seed)
    rates = [e["follow_rate"] for e in edit if e["follow_rate"] is not None]
    return {"score": sum(rates) / len(rates) if rates else None, "flips": flips, "patching": patch, "editing": edit}


def _fixed_point(env: Environment, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    settled = env.fixed_point(starts)
    if settled is None:
        raise ValueError(f"{env.title or env.name} has no fixed point to solve to")
    return settled


@torch.no_grad()
def solve_curve(
    model: ImaginationModel,
    starts: torch.Tensor,
    iterations: int,
    batch: int = 250,
    settled: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> dict[str, Any]:
    """The share of ``starts`` whose decoding is exactly their fixed point, after every iteration 0..``iterations``.

    Only for an environment whose episodes settle (``Environment.fixed_point``): a maze is solved when
    every pixel of the decoded frame is its solution's. ``rounds`` is what the environment itself needs
    (its steps to the fixed point), so a curve can be read against the algorithm's own pace. ``settled``:
    that fixed point, where the caller has it already.
    """
    target, rounds = settled if settled is not None else _fixed_point(model.config.env, starts)
    solved = torch.zeros(iterations + 1)
    for i in range(0, len(starts), batch):
        part, goal = starts[i : i + batch], target[i : i + batch] > 0.5
        recall = model.observe(part) if model.config.recall else None
        h = model.encode(part)
        for t in range(iterations + 1):
            if t:
                h = model.core_step(h, t - 1, recall)
            solved[t] += ((model.decode(h) > metrics.THRESHOLD) == goal).flatten(1).all(1).sum()
    return {
        "solve_rate": (solved / len(starts)).tolist(),
        "rounds_median": float(rounds.float().median()),
        "rounds_max": int(rounds.max()),
    }


@dataclass(frozen=True)
class Solving:
    """One episode of an environment that settles (a maze) against its fixed point (the solution)."""

    rounds: int  # environment steps the start needs to settle (``Environment.fixed_point``): a maze's rounds
    settled: int | None  # the first model step whose true frame is the fixed point; None: the run ends before
    solved: list[bool]  # per model step: the imagined frame is exactly the fixed point

    @property
    def first(self) -> int | None:
        """The first model step solved (the iteration the network has the answer); None if none is."""
        return self.solved.index(True) if any(self.solved) else None

    @property
    def stays(self) -> bool:
        """Solved at every step from the first to the last: the network keeps its answer."""
        return self.first is not None and all(self.solved[self.first :])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "settled_at": self.settled,
            "solved_at": self.first,
            "stays_solved": self.stays,
            "solved": self.solved,
        }


def solving(ep: Episode, env: Environment) -> Solving | None:
    """When ``ep``'s imagination reaches its start's fixed point, and when the true frames do; None for an
    environment whose episodes never settle (Life)."""
    settled = env.fixed_point(torch.from_numpy(np.asarray(ep.start, np.float32)))
    if settled is None:
        return None
    target, rounds = settled
    goal = target.numpy() > 0.5
    solved = [bool(np.array_equal(frame > 0, goal)) for frame in ep.imagined]
    at = next((i for i, g in enumerate(ep.game_steps) if g >= int(rounds)), None)
    return Solving(int(rounds), at, solved)


def thinking_longer(
    model: ImaginationModel, sizes: list[int], episodes: int | Sequence[int], seed: int, factor: float = 2.0
) -> dict[str, Any]:
    """Solve rates on fixed sets of larger problems, each run for ``factor`` x its hardest episode's rounds.

    ``solve_rate[size]`` is read at the set's own max rounds (the iterations dead-end filling needs for
    its hardest maze: ``iterations[size]``); the whole curve to ``factor`` x that says whether the answer
    also stays solved (``solve_rate_at_end``). ``episodes`` is one count for every size or one per size
    (a bigger maze costs its pixels times its rounds, so the largest sets may be smaller).
    """
    env = model.config.env
    counts = [episodes] * len(sizes) if isinstance(episodes, int) else list(episodes)
    if len(counts) != len(sizes):
        raise ValueError(f"{len(counts)} episode counts for {len(sizes)} sizes")
    out: dict[str, Any] = {"sizes": list(sizes), "seed": seed, "factor": factor}
    n, rates, used, end, curves = {}, {}, {}, {}, {}
    for size, count in zip(sizes, counts, strict=True):
        starts = env.eval_episodes(count, 0, size, seed)[:, 0]
        settled = _fixed_point(env, starts)
        needed = max(1, int(settled[1].max()))
        curve = solve_curve(model, starts, int(round(factor * needed)), settled=settled)
        key = str(size)
        n[key], rates[key], used[key], end[key] = count, curve["solve_rate"][needed], needed, curve["solve_rate"][-1]
        curves[key] = curve
    out.update(episodes=n, solve_rate=rates, iterations=used, solve_rate_at_end=end, curves=curves)
    return out


def emergence(records: Sequence[Mapping[str, Any]], level: float = EMERGED, bar: float = BAR) -> dict[str, Any]:
    """When, in training, the imagination appears and the task is solved, from a run's snapshot scores.

    ``records`` are snapshots.json's (step order). The first step whose interpretability reaches
    ``level`` and the first whose final-board error is at most ``bar`` (None: not within the run), and
    whether each stays so at every later snapshot (a jumpy curve crosses and falls back).
    """

    def first(ok: list[bool]) -> tuple[int | None, bool]:
        i = next((k for k, v in enumerate(ok) if v), None)
        return (None, False) if i is None else (records[i]["step"], all(ok[i:]))

    imagined, imagined_stays = first([r["interpretability"] >= level for r in records])
    solved, solved_stays = first([r["final_error"] <= bar for r in records])
    return {
        "level": level,
        "bar": bar,
        "imagination_step": imagined,
        "imagination_stays": imagined_stays,
        "solved_step": solved,
        "solved_stays": solved_stays,
        "last_step": records[-1]["step"] if records else None,
    }
