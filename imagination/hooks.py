"""Every hidden state by name, and interventions at step k, with the tools researchers already use.

The core runs one block many times, so "the state at step k" is not a module of its own. A
``HookPoint`` (TransformerLens's idea: an identity module at a named place) is called on every state
h_0..h_T, so plain PyTorch forward hooks, nnsight (``tracer.iter[k]`` on ``model.hook_state``) and
the helpers below all see each step; the hook point knows which step it is at (``.step``).

    decoded, cache = model.run_with_cache(frames)        # cache["state.3"], cache["decoded.3"]
    hidden = model.run_with_hooks(frames, {"state.2": hooks.replace(new_h)})
    hidden = model.run_with_hooks(frames, {"state.2": hooks.patch(other_cache)})   # from another run
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import nn

Hook = Callable[[torch.Tensor, int], torch.Tensor | None]


class HookPoint(nn.Identity):
    """An identity the model calls on every hidden state; ``step`` is the step of the state passing through."""

    def __init__(self) -> None:
        super().__init__()
        self.step = -1

    def forward(self, h: torch.Tensor, step: int = -1) -> torch.Tensor:  # type: ignore[override]
        self.step = step
        return h


class Cache(dict):
    """``state.{t}`` ([B, C, H, W]) and ``decoded.{t}`` ([B, H, W]) for every step of one run."""

    def states(self) -> torch.Tensor:
        """Every hidden state stacked: [B, T+1, C, H, W], as ``model(frames)`` returns them."""
        return torch.stack([self[f"state.{t}"] for t in range(self.steps + 1)], dim=1)

    def decoded(self) -> torch.Tensor:
        return torch.stack([self[f"decoded.{t}"] for t in range(self.steps + 1)], dim=1)

    @property
    def steps(self) -> int:
        return sum(k.startswith("state.") for k in self) - 1


def step_of(name: str) -> int:
    """The step a hook name addresses (``state.3`` -> 3); the only names there are."""
    kind, _, step = name.partition(".")
    if kind != "state" or not step.isdigit():
        raise ValueError(f"a hook name is 'state.<step>', e.g. 'state.3', got {name!r}")
    return int(step)


@contextmanager
def attached(point: HookPoint, hooks: Mapping[str, Hook]) -> Iterator[None]:
    """``hooks`` (by name) applied to the states passing ``point`` while the block runs, as forward hooks."""
    by_step = {step_of(name): fn for name, fn in hooks.items()}

    def apply(module: nn.Module, args: tuple, output: torch.Tensor) -> torch.Tensor | None:
        fn = by_step.get(point.step)
        return None if fn is None else fn(output, point.step)

    handle = point.register_forward_hook(apply)
    try:
        yield
    finally:
        handle.remove()


def replace(value: torch.Tensor) -> Hook:
    """An intervention: the state at the hooked step becomes ``value``."""
    return lambda h, step: value.to(h)


def add(vector: torch.Tensor) -> Hook:
    """An intervention: ``vector`` is added to the state at the hooked step (a steering vector)."""
    return lambda h, step: h + vector.to(h)


def patch(cache: Mapping[str, torch.Tensor]) -> Hook:
    """An intervention: the state at the hooked step becomes the same step's state from another run's cache."""
    return lambda h, step: cache[f"state.{step}"].to(h)
