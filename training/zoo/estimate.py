"""How long ``train --all`` must take here, from the minutes the bundled runs took: a bound to plan with.

    python -m training.zoo estimate            # two jobs, as train --all runs them; GPU plans left out without CUDA
    python -m training.zoo estimate --jobs 4
    python -m training.zoo estimate --measure  # each run's steps and scoring timed here, one thread (2-3 minutes)

Two things bound the wall clock of a zoo trained ``jobs`` entries at a time: the core-minutes of every run
(the bundled runs' own training minutes, each seed of a best-of entry counted, as its seeds train side by side;
where the zoo bundles another seed than the plan's, the plan's seed's run from the entry's seed check)
spread over ``jobs`` cores, and the longest chain of entries that each wait for their base. Neither can be
beaten by scheduling, so the larger is a lower bound; each run's scoring, snapshots and card come on top, and
the minutes are those of the machine that trained each run (docs/training.md's minutes table), under whatever
load it had then. ``--measure`` times a few steps of every phase of every run here instead, on one free thread
as train --all gives each run, times the steps that run took in that phase, plus the seconds its learning
curve's evaluations took (log.jsonl; a few percent of a run), and times one scoring of its weights for each it
makes (the final weights, every snapshot kept): this machine's cost of the whole job, free of the load the bundled
runs were trained under. A shared VM's speed drifts: three timings of the whole zoo here differed by 8%, of one
run by up to 40%.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from imagination.evaluate import eval_episodes, eval_set_for, evaluate
from imagination.model import ImaginationModel
from training import snapshots
from training.config import TrainConfig
from training.runtime import pick_device
from training.trainer import Trainer, phases
from training.zoo import paths
from training.zoo.build import planned_config, trained_seed
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


def planned_run(name: str) -> dict[str, Any]:
    """The record (eval.json's) of the run ``train --all`` makes of ``name``: the bundled run's, or, where the
    bundled weights are another seed than the plan's (the best seed of a seed check, adopted), the plan's seed's
    scores from that check. A best-of entry trains every seed anyway: its bundled run stands for each."""
    ev = json.loads((folder(name) / "eval.json").read_text())
    check = ev.get("seed_check", {})
    planned = trained_seed(name)
    if name in ENTRY_SEEDS or str(check.get("these_weights", planned)) == planned:
        return ev
    return check["seeds"].get(planned, ev)


def run_minutes(name: str) -> float:
    """The training minutes of the run ``train --all`` makes of ``name`` (of the kept seed, where seeds trained
    side by side), as its record says."""
    return float(planned_run(name).get("train_minutes", 0.0))


def phase_steps(tc: TrainConfig, trained: int) -> dict[str, int]:
    """The steps a finished run of ``tc`` took in each phase, from its total: only the model phase stops early."""
    plan = phases(tc)
    rest = sum(n for phase, n in plan if phase != "model")
    return {phase: (trained - rest if phase == "model" else n) for phase, n in plan}


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Time as ``train --all`` runs each seed, on one thread; the caller's thread count is given back after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def measured_minutes(name: str, steps: int = 20) -> float:
    """One run of ``name`` timed here on one thread: each phase's seconds a step, times the steps of the run
    ``train --all`` makes (``planned_run``), and the bundled run's learning-curve evaluations."""
    trained = int(planned_run(name)["train_steps"])
    log = (folder(name) / "log.jsonl").read_text().splitlines()
    evals = sum(json.loads(line).get("eval_seconds", 0.0) for line in log if line.strip())
    with one_thread(), tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(io.StringIO()):
        tc = planned_config(name, Path(tmp), ["--snapshots", "0"])
        seconds = Trainer(tc, pick_device(tc.device), 0, 1).time_steps(steps)
    return (evals + sum(seconds[phase] * n for phase, n in phase_steps(tc, trained).items())) / 60


def scorings(name: str, tc: TrainConfig | None = None) -> int:
    """How many times a finished run of ``name`` (settings ``tc``, the plan's by default) is scored on its eval
    set: its saved weights, each snapshot it keeps (only the entries that ship them keep any), and an adversarial
    run's base first."""
    tc = planned_config(name, paths.RUNS / name) if tc is None else tc
    trained = int(planned_run(name)["train_steps"])
    return 1 + len(snapshots.schedule(trained, tc.snapshots)) + (tc.regime == "adversarial")


def scoring_minutes(name: str) -> float:
    """What scoring a finished run of ``name`` costs here on one thread: ``scorings`` times one scoring of the
    bundled weights, which costs what any weights of that shape cost (a maze's 2,000 episodes take about ten
    seconds, a Life run's one or two)."""
    tc = planned_config(name, paths.RUNS / name)
    with one_thread():
        model = ImaginationModel.from_pretrained(folder(name))
        eval_set = eval_set_for(model.config, tc.eval_episodes, tc.eval_size, tc.eval_seed)
        episodes = eval_episodes(model.config, eval_set)  # drawn once a run: its snapshots reuse them
        t0 = time.perf_counter()
        evaluate(model, eval_set, episodes)
        seconds = time.perf_counter() - t0
    return scorings(name, tc) * seconds / 60


def zoo_bound(names: list[str], jobs: int, minutes: Callable[[str], float] = run_minutes) -> Bound:
    """The bound for training ``names``, each run costing ``minutes(name)`` (the bundled run's, or measured here)."""
    seeds = {n: len(ENTRY_SEEDS.get(n, SEEDS)) for n in names}
    return bound({n: minutes(n) for n in names}, lambda n: PLAN[n][1], jobs, seeds)


def describe(b: Bound, entries: int, source: str = "the bundled runs' minutes", scored: bool = False) -> str:
    what = "training and scoring" if scored else "training"
    return (
        f"train --all here ({source}): {entries} runs, {b.core_minutes:.1f} minutes of {what} (one thread a seed); "
        f"on {b.jobs} cores at least {b.minutes:.1f} minutes wall clock "
        f"(the cores: {b.core_minutes / b.jobs:.1f}; the longest chain, {' -> '.join(b.chain)}: "
        f"{b.chain_minutes:.1f}){'' if scored else ', scoring and snapshots on top'}"
    )
