"""Conway's Game of Life and every Life-like rule, as an environment.

The simulator is ``imagination.life`` (bit-parallel on the CPU); the classic patterns are
``imagination.patterns``. This module says what the rest of the project needs to know of Life:
the reference's chained sampler makes the fixed eval set, the fast sampler the training stream,
and a visitor can start from gliders, random cells or a classic pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from imagination import life, patterns
from imagination.envs.base import Environment

UNIFORM_DENSITY = (0.05, 0.95)  # the off-distribution set's start densities: sparse to dense, beyond training's
GLIDER = np.array([[0, 1, 0], [0, 0, 1], [1, 1, 1]], np.uint8)


def gliders_board(size: int, seed: int, density: float) -> np.ndarray:
    """Four gliders in the corners heading inwards, random cells in the middle: a board that moves.

    The showcase start board: a glider is the smallest thing that travels, so a visitor sees the
    network imagine motion, not just a still life or a soup that dies out.
    """
    board = np.zeros((size, size), np.uint8)
    g = torch.Generator().manual_seed(seed)
    lo, hi = size // 3, size - size // 3
    board[lo:hi, lo:hi] = life.random_boards(1, hi - lo, density, generator=g)[0].numpy().astype(np.uint8)
    shapes = [GLIDER, GLIDER[:, ::-1], GLIDER[::-1, :], GLIDER[::-1, ::-1]]  # SE, SW, NE, NW
    corners = [(1, 1), (1, size - 4), (size - 4, 1), (size - 4, size - 4)]
    for shape, (r, c) in zip(shapes, corners, strict=True):
        board[r : r + 3, c : c + 3] = shape
    return board


class LifeEnvironment(Environment):
    """A Life-like rule (``B3/S23`` by default) on a square board, edges dead or wrapped (a torus)."""

    name: ClassVar[str] = "life"
    title: ClassVar[str] = "Game of Life"
    step_word: ClassVar[str] = "game step"
    frame_word: ClassVar[str] = "board"
    hub_tag: ClassVar[str] = "game-of-life"
    sampler: ClassVar[str] = "reference"
    eval_size: ClassVar[int] = 20
    # long enough to watch the long-running checkpoints hold (gol3-longrun-agree3: >= 99% for 139 steps) and stop
    max_steps: ClassVar[int] = 200
    off_distribution: ClassVar[dict[str, str]] = {
        "uniform": (
            f"fresh start boards, each with its own density drawn uniformly from {UNIFORM_DENSITY[0]} to "
            f"{UNIFORM_DENSITY[1]} (no warm-up generations)"
        ),
    }
    sources: ClassVar[dict[str, str]] = {
        "gliders": "gliders among random cells",
        "random": "random",
        "pattern": "classic pattern",
    }
    variants: ClassVar[dict[str, str]] = {
        "Life B3/S23": life.LIFE,
        "HighLife B36/S23": life.HIGHLIFE,
        "Day & Night B3678/S34678": life.DAY_AND_NIGHT,
        "Seeds B2/S": life.SEEDS,
    }

    def __init__(self, rule: str | life.Rule = life.LIFE, wrap: bool = False) -> None:
        if not isinstance(wrap, bool):
            raise ValueError(f"wrap must be true or false, got {wrap!r}")
        if not isinstance(rule, (str, life.Rule)):
            raise ValueError(f"rule must be a string such as 'B3/S23', got {rule!r}")
        self.rule = str(life.parse_rule(rule))  # ValueError names what a rule looks like
        self.wrap = wrap

    def settings(self) -> dict[str, Any]:
        return {"name": self.name, "rule": self.rule, "wrap": self.wrap}

    def describe(self) -> str:
        return f"Conway's Game of Life (rule `{self.rule}`{', on a torus' if self.wrap else ''})"

    def variant(self) -> str:
        return self.rule

    def with_variant(self, text: str) -> LifeEnvironment:
        return self if not text.strip() else LifeEnvironment(text, self.wrap)

    def rollout(self, start: torch.Tensor, steps: int) -> torch.Tensor:
        return life.rollout(start, steps, self.rule, self.wrap)

    def eval_episodes(self, n: int, steps: int, size: int, seed: int) -> torch.Tensor:
        return life.sample_episodes(n, steps, size, seed, self.rule, self.wrap)

    def sampled_episodes(self, sampler: str, n: int, steps: int, size: int, seed: int) -> torch.Tensor:
        """``uniform``: fresh boards from sparse to dense, which neither the reference sampler (fresh boards at 0.5,
        the rest evolved and sparse) nor training (0.15 to 0.65, up to 3 warm-up generations) gives."""
        if sampler != "uniform":
            return super().sampled_episodes(sampler, n, steps, size, seed)
        g = torch.Generator().manual_seed(seed)
        return life.sample_training_episodes(
            n, steps, size, g, self.rule, self.wrap, density=UNIFORM_DENSITY, warmup=(0, 0)
        )

    def training_episodes(
        self, n: int, steps: int, size: int, generator: torch.Generator, options: Mapping[str, Any]
    ) -> torch.Tensor:
        if "until_fixed" in options:
            raise ValueError("Life's episodes have no fixed point to run until: give a fixed number of game steps")
        return life.sample_training_episodes(
            n,
            steps,
            size,
            generator,
            self.rule,
            self.wrap,
            density=tuple(options.get("density", (0.15, 0.65))),
            warmup=tuple(options.get("warmup", (0, 3))),
        )

    def start(self, source: str, *, size: int, seed: int, density: float, **extra: Any) -> tuple[np.ndarray, str]:
        if source == "gliders":
            what = f"four gliders around random cells ({size}x{size}, seed {seed}, density {density:.2f})"
            return gliders_board(size, seed, density), what
        if source == "random":
            board = life.random_boards(1, size, density, generator=torch.Generator().manual_seed(seed))[0]
            return board.numpy().astype(np.uint8), f"a random {size}x{size} board (seed {seed}, density {density:.2f})"
        if source == "pattern":
            name = str(extra.get("pattern") or "").strip()
            if name not in patterns.PATTERNS:
                said = "no pattern chosen" if not name else f"no pattern named {name[:40]!r}"
                raise ValueError(f"Board: {said}; known patterns: {', '.join(patterns.pattern_names())}")
            board = patterns.place(patterns.pattern(name), size)  # a PatternError (a ValueError) if it does not fit
            return (board.numpy() > 0.5).astype(np.uint8), f"{name} on a {size}x{size} board"
        raise ValueError(f"unknown board source {source[:40]!r}; choose one of {', '.join(self.sources)}")
