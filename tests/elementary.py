"""A one-dimensional elementary cellular automaton: an environment written only for the tests.

It proves the environment seam: this module and one ``envs.register`` call are all a new world
needs for the model, training, evaluation, cards and the demo to work on it. A frame is one row of
``size`` cells ([1, size]) on a ring; each generation applies a Wolfram rule (90 by default) to every
cell's three-cell neighbourhood.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from imagination.envs import Environment


class ElementaryEnvironment(Environment):
    name: ClassVar[str] = "elementary"
    title: ClassVar[str] = "Elementary cellular automaton"
    step_word: ClassVar[str] = "generation"
    frame_word: ClassVar[str] = "row"
    sampler: ClassVar[str] = "uniform"
    eval_size: ClassVar[int] = 16

    def __init__(self, rule: int = 90) -> None:
        if isinstance(rule, bool) or not isinstance(rule, int) or not 0 <= rule <= 255:
            raise ValueError(f"rule must be a Wolfram code from 0 to 255, got {rule!r}")
        self.rule = rule
        self._table = torch.tensor([(rule >> k) & 1 for k in range(8)], dtype=torch.float32)

    def settings(self) -> dict[str, Any]:
        return {"name": self.name, "rule": self.rule}

    def variant(self) -> str:
        return f"rule {self.rule}"

    def frame_shape(self, size: int) -> tuple[int, int]:
        return (1, size)

    def step(self, rows: torch.Tensor) -> torch.Tensor:
        x = (rows > 0.5).long()
        code = 4 * x.roll(1, -1) + 2 * x + x.roll(-1, -1)
        return self._table[code]

    def rollout(self, start: torch.Tensor, steps: int) -> torch.Tensor:
        frames = [start.float()]
        for _ in range(steps):
            frames.append(self.step(frames[-1]))
        return torch.stack(frames, dim=-3)

    def eval_episodes(self, n: int, steps: int, size: int, seed: int) -> torch.Tensor:
        return self.rollout(self._rows(n, size, torch.Generator().manual_seed(seed), 0.5), steps)

    def training_episodes(
        self, n: int, steps: int, size: int, generator: torch.Generator, options: Mapping[str, Any]
    ) -> torch.Tensor:
        lo, hi = options.get("density", (0.3, 0.7))
        return self.rollout(
            self._rows(n, size, generator, lo + (hi - lo) * torch.rand(n, 1, 1, generator=generator)), steps
        )

    @staticmethod
    def _rows(n: int, size: int, generator: torch.Generator, density: float | torch.Tensor) -> torch.Tensor:
        return (torch.rand(n, 1, size, generator=generator) < density).float()

    def start(self, source: str, *, size: int, seed: int, density: float, **extra: Any) -> tuple[np.ndarray, str]:
        if source != "random":
            raise ValueError("an elementary automaton starts from random cells")
        row = self._rows(1, size, torch.Generator().manual_seed(seed), density)[0]
        return row.numpy().astype(np.uint8), f"a random row of {size} cells (seed {seed})"
