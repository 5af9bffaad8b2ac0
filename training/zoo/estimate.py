"""How long ``train --all`` must take here, from the minutes the bundled runs took: a bound to plan with.

    python -m training.zoo estimate            # two jobs, as train --all runs them; GPU plans left out without CUDA
    python -m training.zoo estimate --jobs 4

Two things bound the wall clock of a zoo trained ``jobs`` entries at a time: the core-minutes of every run
(the bundled runs' own training minutes, each seed of a best-of entry counted, as its seeds train side by side)
spread over ``jobs`` cores, and the longest chain of entries that each wait for their base. Neither can be
beaten by scheduling, so the larger is a lower bound; each run's scoring, snapshots and card come on top, and
the minutes are those of the machine that trained each run (docs/training.md's minutes table).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from training.zoo.plan import ENTRY_SEEDS, PLAN, SEEDS, folder


@dataclass(frozen=True)
class Bound:
    core_minutes: float  # every run's training minutes, seeds counted
    chain: list[str]  # the longest chain of bases, first trained first
    chain_minutes: float
    jobs: int

    @property
    def minutes(self) -> float:
        """The wall clock no schedule of these runs on ``jobs`` cores can beat."""
        return max(self.core_minutes / self.jobs, self.chain_minutes)


def bound(
    minutes: Mapping[str, float], base: Callable[[str], str | None], jobs: int, seeds: Mapping[str, int] | None = None
) -> Bound:
    """The lower bound for training ``minutes``' entries (name -> one run's minutes) ``jobs`` at a time, an entry
    of several ``seeds`` costing the cores each seed's run but the chain only one (they train side by side); a
    base that is not among them is taken as trained already."""
    seeds = seeds or {}
    longest: dict[str, tuple[float, list[str]]] = {}

    def chain(name: str) -> tuple[float, list[str]]:
        if name not in longest:
            b = base(name)
            before = chain(b) if b in minutes else (0.0, [])
            longest[name] = (before[0] + minutes[name], [*before[1], name])
        return longest[name]

    worst = max((chain(n) for n in minutes), default=(0.0, []))
    return Bound(sum(m * seeds.get(n, 1) for n, m in minutes.items()), worst[1], worst[0], jobs)


def run_minutes(name: str) -> float:
    """The training minutes of the bundled run of ``name`` (of the kept seed, where seeds trained side by side)."""
    return float(json.loads((folder(name) / "eval.json").read_text()).get("train_minutes", 0.0))


def zoo_bound(names: list[str], jobs: int) -> Bound:
    seeds = {n: len(ENTRY_SEEDS.get(n, SEEDS)) for n in names}
    return bound({n: run_minutes(n) for n in names}, lambda n: PLAN[n][1], jobs, seeds)


def describe(b: Bound, entries: int) -> str:
    return (
        f"train --all here: {entries} runs, {b.core_minutes:.1f} minutes of training (one thread a seed); "
        f"on {b.jobs} cores at least {b.minutes:.1f} minutes wall clock "
        f"(the cores: {b.core_minutes / b.jobs:.1f}; the longest chain, {' -> '.join(b.chain)}: "
        f"{b.chain_minutes:.1f}), scoring and snapshots on top"
    )
