"""What an environment is to this project: the one seam every other module hangs on.

The method needs five things of an environment, and nothing else: what a frame is (a binary map of
``[H, W]`` cells, and what the encoder sees of it), how episodes come about from a seed (the fixed
eval set and the training stream), the true frame at every step (so decodings of the hidden states
can be scored), a start a visitor can ask for, and words for cards and pages. The model, training,
the metric's pairing, cards, the zoo and the demo ask the environment named in ``config.json``
instead of assuming Conway's Life, so a new environment is one module and one ``register`` call.

Frames are float tensors of 0.0 / 1.0 with the frame in the last two dimensions, as in
``imagination.life``: one code path serves one frame, a batch, and a batch of episodes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch


class Environment(ABC):
    """One environment, with its settings (a Life rule, a maze's generator) fixed at construction.

    Subclasses set ``name`` (the registry key, written to config.json), ``input_channels`` and the
    words below, and implement the abstract methods. Instances are immutable and compare by their
    settings, so two configs with the same environment are equal.
    """

    name: ClassVar[str]
    input_channels: ClassVar[int] = 1  # what the encoder sees of a frame (``observe``)
    title: ClassVar[str] = ""  # the environment in a few words, for menus and cards
    step_word: ClassVar[str] = "game step"  # what one environment step is called ("round" for a maze)
    frame_word: ClassVar[str] = "frame"  # what one frame is called ("board" in Life)
    hub_tag: ClassVar[str] = ""  # its cards' Hub tag and dataset type ("game-of-life"); its name if empty
    alive_word: ClassVar[str] = "alive"  # what a 1 in a frame means
    dead_word: ClassVar[str] = "dead"
    sampler: ClassVar[str] = "seeded"  # the eval set's sampler, recorded in eval.json
    # Fixed eval sets beside the main one, to see where a checkpoint stops holding: sampler -> what its episodes are.
    off_distribution: ClassVar[dict[str, str]] = {}
    eval_size: ClassVar[int] = 20  # the fixed eval set's size, in the unit ``frame_shape`` takes
    # Where a demo start can come from: key -> what the page calls it. "random" is every environment's.
    sources: ClassVar[dict[str, str]] = {"random": "random"}
    # Variants a page offers in a menu beside the checkpoint's own: label -> variant (Life's named rules).
    variants: ClassVar[dict[str, str]] = {}
    # What a page lets a visitor ask for, in the unit ``frame_shape`` takes (Life's board side by default): a
    # maze of many cells needs hundreds of steps to solve, a Life board a few dozen to show what it does.
    min_size: ClassVar[int] = 8
    max_size: ClassVar[int] = 64
    default_size: ClassVar[int] = 20
    max_steps: ClassVar[int] = 50  # model steps one episode may run
    # Whether episodes end at a fixed point (``fixed_point`` is not None): read by thinking longer on bigger
    # starts, where an environment that never settles (Life) is read step by step, by per-step probes too.
    settles: ClassVar[bool] = False

    # -- identity ------------------------------------------------------------------------------
    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """The JSON object config.json records under ``environment`` (``name`` included)."""

    def describe(self) -> str:
        """One phrase for a model card's intro, e.g. "Conway's Game of Life (rule B3/S23)"."""
        return self.title or self.name

    def tag(self) -> str:
        """Its cards' Hub tag and dataset type: ``hub_tag`` ("game-of-life"), else its name."""
        return self.hub_tag or self.name

    def variant(self) -> str:
        """A short label of the settings a page shows beside a frame (a Life rule); "" if none."""
        return ""

    def with_variant(self, text: str) -> Environment:
        """The same environment under another variant a visitor typed (a Life rule); none by default."""
        if text.strip() and text.strip() != self.variant():
            raise ValueError(f"{self.title or self.name} has no variants; leave the field empty")
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Environment) and self.settings() == other.settings()

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self.settings().items())))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items() if k != "name")
        return f"{type(self).__name__}({args})"

    # -- frames ----------------------------------------------------------------------------------
    def frame_shape(self, size: int) -> tuple[int, int]:
        """The frame of an environment of ``size`` (a board's side; a maze's cells): (H, W)."""
        return (size, size)

    def observe(self, frames: torch.Tensor) -> torch.Tensor:
        """What the encoder sees of frames [..., H, W]: [..., input_channels, H, W] (the frame itself here)."""
        return frames.float().unsqueeze(-3)

    # -- episodes --------------------------------------------------------------------------------
    @abstractmethod
    def rollout(self, start: torch.Tensor, steps: int) -> torch.Tensor:
        """The true frames from ``start`` [..., H, W]: [..., steps+1, H, W], frame 0 the start."""

    @abstractmethod
    def eval_episodes(self, n: int, steps: int, size: int, seed: int) -> torch.Tensor:
        """The fixed eval set: ``n`` episodes [n, steps+1, H, W], the same for the same arguments anywhere."""

    def sampled_episodes(self, sampler: str, n: int, steps: int, size: int, seed: int) -> torch.Tensor:
        """The episodes of a named eval set's sampler: the fixed eval set's own (``sampler``), or one of
        ``off_distribution`` in an environment that has them (it overrides this)."""
        if sampler != self.sampler:
            known = ", ".join([self.sampler, *self.off_distribution])
            raise ValueError(f"{self.title or self.name} has no eval sampler {sampler!r} (it has {known})")
        return self.eval_episodes(n, steps, size, seed)

    @abstractmethod
    def training_episodes(
        self, n: int, steps: int, size: int, generator: torch.Generator, options: Mapping[str, Any]
    ) -> torch.Tensor:
        """A training batch [n, steps+1, H, W] from ``generator`` (``options``: the run's data settings)."""

    def fixed_point(self, start: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(the frame each start [..., H, W] settles at, the steps it takes), for an environment whose episodes
        end in a fixed point (a maze's solution); None where they never settle (Life)."""
        return None

    # -- a start a visitor asks for ---------------------------------------------------------------
    @abstractmethod
    def start(self, source: str, *, size: int, seed: int, density: float, **extra: Any) -> tuple[np.ndarray, str]:
        """(start frame [H, W] uint8 0/1, a phrase saying what it is) for one of ``sources``.

        ``extra`` carries what a source needs beyond size, seed and density (a pattern's name, pasted
        text). A value the environment cannot use raises ValueError with a message for a visitor.
        """

    def place(self, frame: np.ndarray, size: int) -> np.ndarray | None:
        """A frame a visitor pasted or drew [h, w] (0/1) on the frame of ``size``, where the environment fixes
        where it goes (a maze's start and goal are at fixed pixels); None leaves it to the page, which centres
        it as a pattern (Life's way). Raises ValueError, for a visitor, when it cannot be placed."""
        return None

    def check(self, frame: np.ndarray) -> None:
        """Raise ValueError, for a visitor, where a frame made or edited by hand is no start of this environment
        (a maze whose start or goal is a wall); any frame is one by default."""
        return None
