"""Perfect mazes solved by dead-end filling, as an environment: imagined states that are a plan.

The simulator is ``imagination.maze``. A frame is the maze's pixel grid (1 open, 0 wall); the
environment's step is one round of dead-end filling (or ``rounds_per_step`` of them), so the true
frames are the algorithm's own intermediate states and the last one, once T reaches the maze's
rounds, is the solution path. The encoder sees the frame and where start and goal are (the two
pixels that never fill); ``size`` is the maze's side in cells, its frame ``2 * size + 1`` pixels.

Why dead-end filling: it is exact, local (one round needs only each pixel's four neighbours, what
one 3x3 convolution sees) and ends on the path in every perfect maze, and a recurrent convolutional
network of this kind was found to solve mazes by filling dead ends (Garriga-Alonso).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from imagination import maze
from imagination.envs.base import Environment

MAX_SEED = 2**62


class MazeEnvironment(Environment):
    """Recursive-backtracker mazes, start top-left, goal bottom-right, filled ``rounds_per_step`` rounds a step."""

    name: ClassVar[str] = "maze"
    input_channels: ClassVar[int] = 2
    title: ClassVar[str] = "Maze"
    step_word: ClassVar[str] = "round"
    frame_word: ClassVar[str] = "maze"
    alive_word: ClassVar[str] = "open"
    dead_word: ClassVar[str] = "wall"
    sampler: ClassVar[str] = "backtracker"
    eval_size: ClassVar[int] = 5
    settles: ClassVar[bool] = True
    sources: ClassVar[dict[str, str]] = {"random": "random maze"}
    min_size: ClassVar[int] = 2
    max_size: ClassVar[int] = 32  # 65 x 65 pixels, solved in a few hundred rounds
    default_size: ClassVar[int] = 5
    max_steps: ClassVar[int] = 1000

    def __init__(self, rounds_per_step: int = 1) -> None:
        if isinstance(rounds_per_step, bool) or not isinstance(rounds_per_step, int) or not 1 <= rounds_per_step <= 16:
            raise ValueError(f"rounds_per_step must be a whole number from 1 to 16, got {rounds_per_step!r}")
        self.rounds_per_step = rounds_per_step

    def settings(self) -> dict[str, Any]:
        return {"name": self.name, "rounds_per_step": self.rounds_per_step}

    def describe(self) -> str:
        per = "one round" if self.rounds_per_step == 1 else f"{self.rounds_per_step} rounds"
        return f"perfect mazes solved by dead-end filling ({per} of filling a step, corner to corner)"

    def frame_shape(self, size: int) -> tuple[int, int]:
        return (2 * size + 1, 2 * size + 1)

    def observe(self, frames: torch.Tensor) -> torch.Tensor:
        return maze.observe(frames.float())

    def rollout(self, start: torch.Tensor, steps: int) -> torch.Tensor:
        r = self.rounds_per_step
        frames = maze.rollout(start.float(), steps * r)
        return frames[..., ::r, :, :] if r > 1 else frames

    def eval_episodes(self, n: int, steps: int, size: int, seed: int) -> torch.Tensor:
        return self.rollout(maze.generate(n, size, seed), steps)

    def training_episodes(
        self, n: int, steps: int, size: int, generator: torch.Generator, options: Mapping[str, Any]
    ) -> torch.Tensor:
        """Fresh mazes of ``size`` cells from a seed drawn from ``generator`` (a batch is a function of the step).

        ``options["until_fixed"] = k`` rolls the batch out until its last maze is solved plus up to k more
        steps (drawn from ``generator``) instead of ``steps``: a network trained so cannot count steps to
        its answer, it has to reach the solution and stay there.
        """
        seed = int(torch.randint(0, MAX_SEED, (1,), generator=generator))
        mazes = maze.generate(n, size, seed)
        margin = options.get("until_fixed")
        if margin is not None:
            rounds = int(maze.rounds_to_solve(mazes).max())
            steps = -(-rounds // self.rounds_per_step) + int(
                torch.randint(0, int(margin) + 1, (1,), generator=generator)
            )
        return self.rollout(mazes, steps)

    def fixed_point(self, start: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        solved, rounds = maze.settle(start)
        return solved, -(-rounds // self.rounds_per_step)

    def start(self, source: str, *, size: int, seed: int, density: float, **extra: Any) -> tuple[np.ndarray, str]:
        if source != "random":
            raise ValueError(f"a maze starts from: {', '.join(self.sources)}")
        cells = max(1, min(int(size), self.max_size))
        board = maze.generate(1, cells, seed % MAX_SEED)[0].numpy().astype(np.uint8)
        return board, f"a {cells}x{cells}-cell maze (seed {seed})"

    def place(self, frame: np.ndarray, size: int) -> np.ndarray:
        """At the top-left corner, the rest wall: start is pixel (1, 1) whatever the maze, and a plaintext
        whose rows lost their trailing walls (``.``) is still the maze it was."""
        h, w = self.frame_shape(size)
        fh, fw = frame.shape
        own = max(fh, fw) // 2  # the cells of the smallest maze this frame fits: 2 * own + 1 >= its side
        if fh > h or fw > w:
            raise ValueError(
                f"the maze is {fw} x {fh} pixels, more than the {w} x {h} of a {size}-cell maze; "
                f"set the size to {own} (at most {self.max_size})"
            )
        placed = np.zeros((h, w), np.uint8)
        placed[:fh, :fw] = np.asarray(frame) > 0
        if own < size and not placed[h - 2, w - 2]:
            raise ValueError(
                f"the maze is {fw} x {fh} pixels, a {own}-cell maze, smaller than the {w} x {h} of a {size}-cell "
                f"one (its goal would be a wall); set the size to {own}"
            )
        return placed

    def check(self, frame: np.ndarray) -> None:
        """Start and goal must be open: dead-end filling never fills them, and a walled one is no maze to solve.
        Any other maze will do, perfect or not (loops and islands are filled, or left, by the same rounds)."""
        h, w = frame.shape
        for name, (r, c) in (("start", (1, 1)), ("goal", (h - 2, w - 2))):
            if not frame[r, c]:
                raise ValueError(
                    f"the {name} (row {r}, column {c}) is a wall; start (top-left) and goal (bottom-right) must "
                    "stay open, the two pixels dead-end filling never fills"
                )
