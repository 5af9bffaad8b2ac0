"""Run one board through a model: true frames, imagined frames and their scores, step by step.

This is what the demo shows and what a user downloads; it is also the unit the analyses build
on (running past the trained horizon, intervening on a hidden state).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from imagination import metrics
from imagination.envs import Environment
from imagination.model import ImaginationModel


@dataclass
class Episode:
    """One episode. ``true[i]`` is the game board that model step ``i`` stands for.

    For a model that runs as many steps as the game this is simply game step i; with fewer model
    steps than game steps it is the aligned game step (``metrics.aligned_game_step``; docs/method.md,
    "Pairing steps when the model runs fewer steps than the game").
    """

    start: np.ndarray  # [H, W] 0/1
    true: np.ndarray  # [S+1, H, W] 0/1
    decoded: np.ndarray  # [S+1, H, W] probabilities
    game_steps: list[int]  # game step shown in true[i]
    trained_horizon: int  # model steps the checkpoint was trained for
    trained_steps: list[int]  # model steps whose decodings were trained against boards
    rule: str  # the environment's variant the true frames follow (a Life rule; "" where there is none)
    accuracy: list[float] = field(default_factory=list)
    mcc: list[float] = field(default_factory=list)
    summary: np.ndarray | None = None  # [S+1, h, w] for summary-task models

    def __post_init__(self) -> None:
        if not self.accuracy:
            pred = self.decoded > metrics.THRESHOLD
            self.accuracy = [float((p == (t > 0.5)).mean()) for p, t in zip(pred, self.true, strict=True)]
        if not self.mcc:
            self.mcc = [
                metrics.mcc(torch.from_numpy(t), torch.from_numpy(d))
                for t, d in zip(self.true, self.decoded, strict=True)
            ]

    @property
    def steps(self) -> int:
        return len(self.decoded) - 1

    @property
    def imagined(self) -> np.ndarray:
        """Decodings thresholded at 0.5 (what the metric compares)."""
        return (self.decoded > metrics.THRESHOLD).astype(np.uint8)

    @property
    def errors(self) -> np.ndarray:
        """Cells where the imagined board differs from the true one."""
        return (self.imagined != (self.true > 0.5)).astype(np.uint8)

    def score_matrix(self) -> np.ndarray:
        """MCC of each imagined step against each true frame of this one episode."""
        return metrics.score_matrix(torch.from_numpy(self.true)[None], torch.from_numpy(self.decoded)[None])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "game_steps": self.game_steps,
            "trained_horizon": self.trained_horizon,
            "trained_steps": self.trained_steps,
            "start": self.start.astype(int).tolist(),
            "true": self.true.astype(int).tolist(),
            "decoded": np.round(self.decoded, 5).tolist(),
            "imagined": self.imagined.astype(int).tolist(),
            "accuracy": self.accuracy,
            "mcc": self.mcc,
            "score_matrix": self.score_matrix().tolist(),
            **({"summary": np.round(self.summary, 5).tolist()} if self.summary is not None else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def to_npz(self) -> bytes:
        buf = io.BytesIO()
        arrays = {
            "start": self.start.astype(np.uint8),
            "true": self.true.astype(np.uint8),
            "decoded": self.decoded.astype(np.float32),
            "imagined": self.imagined,
            "accuracy": np.array(self.accuracy),
            "mcc": np.array(self.mcc),
            "score_matrix": self.score_matrix(),
            "game_steps": np.array(self.game_steps),
        }
        if self.summary is not None:
            arrays["summary"] = self.summary.astype(np.float32)
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()


def game_steps_for(model: ImaginationModel, steps: int) -> list[int]:
    """Game step shown beside each model step 0..steps (past the horizon, the model's own pace)."""
    cfg = model.config
    return [metrics.aligned_game_step(i, cfg.model_steps, cfg.game_steps) for i in range(steps + 1)]


def true_environment(model: ImaginationModel, rule: str | None) -> Environment:
    """The environment the true frames follow: the model's, or another variant of it (a Life rule)."""
    return model.config.env if rule is None else model.config.env.with_variant(rule)


@torch.no_grad()
def run_episode(
    model: ImaginationModel, board: torch.Tensor | np.ndarray, steps: int | None = None, rule: str | None = None
) -> Episode:
    """Run ``board`` [H, W] for ``steps`` model steps (default: as trained) and score every step.

    ``rule`` runs the true frames under another variant of the model's environment (a Life rule).
    """
    cfg = model.config
    steps = cfg.model_steps if steps is None else int(steps)
    if steps < 1:
        raise ValueError("steps must be at least 1")
    env = true_environment(model, rule)
    start = torch.as_tensor(board, dtype=torch.float32)
    if start.dim() != 2:
        raise ValueError(f"a board is a 2-D array, got shape {tuple(start.shape)}")
    game_steps = game_steps_for(model, steps)
    frames = env.rollout(start, game_steps[-1])[game_steps]
    was_training = model.training
    model.eval()
    hidden = model(start[None], steps)
    decoded = model.decode_all(hidden)[0]
    summary = model.summarize(hidden)[0].numpy() if model.task_head is not None else None
    model.train(was_training)
    return Episode(
        start=start.numpy(),
        true=frames.numpy(),
        decoded=decoded.numpy(),
        game_steps=game_steps,
        trained_horizon=cfg.model_steps,
        trained_steps=list(cfg.trained_steps),
        rule=env.variant(),
        summary=summary,
    )


@torch.no_grad()
def intervene(
    model: ImaginationModel,
    board: torch.Tensor | np.ndarray,
    step: int,
    edited: torch.Tensor | np.ndarray,
    steps: int | None = None,
    rule: str | None = None,
) -> Episode:
    """Replace what the network imagines at ``step`` by ``edited`` and let it imagine on from there.

    h_step becomes encoder(edited) and the core continues (a model that recalls its input sees the
    edited frame from then on: the edit is the problem it now works on). In the returned episode, decodings and
    true frames before ``step`` are the original ones; from ``step`` on, the true frames are the
    game's continuation of the *edited* board, so the scores say whether the rest of the
    imagination, and the final answer, follow the edit. A summary-task model's answers are the
    original's before ``step`` and the edited run's from it on.
    """
    cfg = model.config
    steps = cfg.model_steps if steps is None else int(steps)
    if not 0 <= step <= steps:
        raise ValueError(f"step must be between 0 and {steps}, got {step}")
    env = true_environment(model, rule)
    base = run_episode(model, board, steps, rule)
    new = torch.as_tensor(edited, dtype=torch.float32)
    if tuple(new.shape) != tuple(base.start.shape):
        raise ValueError(f"the edited board is {tuple(new.shape)}, the episode's boards are {base.start.shape}")
    was_training = model.training
    model.eval()
    hidden = continue_edited(model, new[None], step, steps - step)
    decoded_after = model.decode_all(hidden)[0].numpy()
    summary = None
    if base.summary is not None:
        summary = np.concatenate([base.summary[:step], model.summarize(hidden)[0].numpy()])
    model.train(was_training)
    g = base.game_steps
    after = env.rollout(new, g[-1] - g[step])[[gj - g[step] for gj in g[step:]]].numpy()
    return Episode(
        start=base.start,
        true=np.concatenate([base.true[:step], after]),
        decoded=np.concatenate([base.decoded[:step], decoded_after]),
        game_steps=g,
        trained_horizon=base.trained_horizon,
        trained_steps=base.trained_steps,
        rule=base.rule,
        summary=summary,
    )


def continue_edited(model: ImaginationModel, edited: torch.Tensor, step: int, steps: int) -> torch.Tensor:
    """h_step = encoder(edited frames [B, H, W]), then ``steps`` more core steps: [B, steps+1, C, H, W]."""
    recall = model.observe(edited) if model.config.recall else None
    return model.continue_from(model.encode(edited), step, steps, recall)
