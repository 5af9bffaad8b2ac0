"""Life-like cellular automata on batched torch tensors, and the episode samplers.

Boards are float tensors of 0.0 / 1.0 with the board in the last two dimensions, so one
code path serves a single board, a batch, and a batch of episodes, and the result feeds the
model without conversion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F

LIFE = "B3/S23"
HIGHLIFE = "B36/S23"
DAY_AND_NIGHT = "B3678/S34678"
SEEDS = "B2/S"

_RULE_RE = re.compile(r"^\s*B(?P<b>[0-8]*)\s*/\s*S(?P<s>[0-8]*)\s*$", re.IGNORECASE)
_RULE_SB_RE = re.compile(r"^\s*(?P<s>[0-8]*)\s*/\s*(?P<b>[0-8]*)\s*$")


@dataclass(frozen=True)
class Rule:
    """A Life-like (outer-totalistic, Moore neighbourhood) rule."""

    birth: frozenset[int]
    survive: frozenset[int]

    def __str__(self) -> str:
        return "B" + "".join(map(str, sorted(self.birth))) + "/S" + "".join(map(str, sorted(self.survive)))


def parse_rule(rule: str | Rule) -> Rule:
    """Parse "B3/S23" (any case) or the older "23/3" survive/birth notation."""
    if isinstance(rule, Rule):
        return rule
    m = _RULE_RE.match(rule) or _RULE_SB_RE.match(rule)
    if m is None:
        raise ValueError(f"not a Life-like rule: {rule!r} (expected e.g. 'B3/S23' or 'B36/S23')")
    birth = frozenset(int(c) for c in m["b"])
    survive = frozenset(int(c) for c in m["s"])
    return Rule(birth, survive)


_KERNEL = torch.ones(1, 1, 3, 3)
_KERNEL[0, 0, 1, 1] = 0


def neighbours(boards: torch.Tensor, wrap: bool = False) -> torch.Tensor:
    """Live-neighbour counts. Cells beyond the edge are dead unless ``wrap`` (a torus)."""
    shape = boards.shape
    x = boards.reshape(-1, 1, shape[-2], shape[-1]).float()
    x = F.pad(x, (1, 1, 1, 1), mode="circular") if wrap else F.pad(x, (1, 1, 1, 1))
    counts = F.conv2d(x, _KERNEL.to(x.device))
    return counts.round().reshape(shape)


def _rule_table(rule: Rule, device: torch.device) -> torch.Tensor:
    """Row 0: next state of a dead cell by neighbour count; row 1: of a live cell."""
    table = torch.zeros(2, 9, device=device)
    for n in rule.birth:
        table[0, n] = 1.0
    for n in rule.survive:
        table[1, n] = 1.0
    return table


def step(boards: torch.Tensor, rule: str | Rule = LIFE, wrap: bool = False) -> torch.Tensor:
    """One generation of the rule for every board in the batch."""
    r = parse_rule(rule)
    counts = neighbours(boards, wrap).long()
    alive = (boards > 0.5).long()
    table = _rule_table(r, boards.device)
    return table[alive, counts].to(boards.dtype if boards.is_floating_point() else torch.float32)


def rollout(boards: torch.Tensor, steps: int, rule: str | Rule = LIFE, wrap: bool = False) -> torch.Tensor:
    """The start boards and the ``steps`` generations after them: [..., steps+1, H, W]."""
    frames = [boards.float()]
    for _ in range(steps):
        frames.append(step(frames[-1], rule, wrap))
    return torch.stack(frames, dim=-3)


def random_boards(
    n: int,
    size: int | tuple[int, int],
    density: float | torch.Tensor = 0.5,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Boards with each cell alive independently with probability ``density`` (per board if a tensor)."""
    h, w = (size, size) if isinstance(size, int) else size
    d = torch.as_tensor(density, dtype=torch.float32).reshape(-1, 1, 1)
    return (torch.rand(n, h, w, generator=generator) < d).float()


def sample_episodes(
    n: int,
    steps: int,
    size: int = 20,
    seed: int = 0,
    rule: str | Rule = LIFE,
    wrap: bool = False,
    p_fresh: float = 0.1,
    density: float = 0.5,
) -> torch.Tensor:
    """The reference's episode sampler: [n, steps+1, size, size].

    The first start board is fresh (cells alive with ``density``); each later one is fresh with
    probability ``p_fresh`` and otherwise the step-1 board of the previous sample, so most starts
    are already-evolved boards of geometrically mixed age, as in the paper's data.
    """
    g = torch.Generator().manual_seed(seed)
    fresh = random_boards(n, size, density, g)
    coins = torch.rand(n, generator=g) < p_fresh
    starts = torch.empty_like(fresh)
    for i in range(n):
        starts[i] = fresh[i] if i == 0 or coins[i] else step(starts[i - 1], rule, wrap)
    return rollout(starts, steps, rule, wrap)


def sample_training_episodes(
    n: int,
    steps: int,
    size: int = 12,
    generator: torch.Generator | None = None,
    rule: str | Rule = LIFE,
    wrap: bool = False,
    density: tuple[float, float] = (0.15, 0.65),
    warmup: tuple[int, int] = (0, 3),
) -> torch.Tensor:
    """Fast, varied training episodes: [n, steps+1, size, size].

    Densities spread uniformly over ``density`` and 0..``warmup[1]`` warm-up generations give the
    same mix of fresh and evolved boards as the reference sampler without its sequential chain.
    """
    lo, hi = density
    d = lo + (hi - lo) * torch.rand(n, generator=generator)
    boards = random_boards(n, size, d, generator)
    w = torch.randint(warmup[0], warmup[1] + 1, (n,), generator=generator)
    for k in range(int(w.max().item()) if n else 0):
        evolved = step(boards, rule, wrap)
        boards = torch.where((w > k).reshape(-1, 1, 1), evolved, boards)
    return rollout(boards, steps, rule, wrap)
