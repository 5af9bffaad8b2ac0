"""Does an entry's recipe hold for another seed? Its command trained again at other seeds, each scored like it.

    python -m training.zoo seeds gol4-autoencoder --seeds 1 2         # train (or reuse) each seed, record them
    python -m training.zoo seeds gol3-autoencoder --seeds 1 2 --threads 1  # any other flag goes to training.train

The zoo keeps one run of most entries (``best_of`` trains several only where the plan names seeds), and a recipe
that meets its bar for one lucky seed is no recipe. Here each other seed trains with exactly the entry's command
(``plan.command``) and ``--seed k`` into ``runs/zoo/seeds/<name>/seed-<k>`` (without snapshots, which never change
a run's weights), and the evaluator scores it on the entry's own fixed eval set during training, as it scored the
entry. The scores land in the entry's eval.json as ``seed_check``, beside its own seed's: the card's "other seeds"
table and docs/training.md's seed table read them. The entry's weights are never replaced here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from imagination import registry
from imagination.cards import write_card
from training import train
from training.zoo import paths
from training.zoo.build import finished, plan_differences
from training.zoo.index import pushed_repo
from training.zoo.plan import PLAN, command, folder

KEPT = ("task_error", "final_error", "interpretability", "train_steps", "train_minutes")
# beyond what adopt ignores (seed, threads, ...): never changes a run's weights, even where the entry ships snapshots
CHECK_IGNORES = {"snapshots"}


def seed_dir(name: str, seed: int) -> Path:
    return paths.runs_dir() / "seeds" / name / f"seed-{seed}"


def _is_the_plans(run: Path, name: str) -> bool:
    """Whether a finished run in ``run`` was trained with the entry's plan (up to seed, threads and snapshots)."""
    if not finished(run):
        return False
    return set(plan_differences(json.loads((run / "train_config.json").read_text()), name)) <= CHECK_IGNORES


def train_seed(name: str, seed: int, extra: list[str] | None = None) -> Path:
    """The entry's recipe at ``seed``, trained unless a finished run of exactly that is there already."""
    out = seed_dir(name, seed)
    if not _is_the_plans(out, name):
        train.main(command(name, out, ["--seed", str(seed), "--snapshots", "0", *(extra or [])]))
    return out


def scores(run: Path, task: str) -> dict[str, Any]:
    """A run's scores on its eval set, from its eval.json, and whether it meets the zoo's bar."""
    ev = json.loads((run / "eval.json").read_text())
    return {**{k: ev[k] for k in KEPT if k in ev}, "meets_bar": registry.meets(ev["task_error"], task)}


def record(name: str, runs: dict[int, Path]) -> dict[str, Any]:
    """Write the seeds' scores beside the entry's own into its eval.json (``seed_check``) and rewrite its card."""
    where = folder(name)
    ev = json.loads((where / "eval.json").read_text())
    task = json.loads((where / "config.json").read_text())["task"]
    own = int(json.loads((where / "train_config.json").read_text())["seed"])
    for run in runs.values():
        got = json.loads((run / "eval.json").read_text())["eval_set"]
        if got != ev["eval_set"]:
            raise SystemExit(f"{run} was scored on {got}, not on {name}'s eval set {ev['eval_set']}")
    seeds = {own: scores(where, task), **{s: scores(r, task) for s, r in runs.items() if s != own}}
    check = {"seeds": {str(s): seeds[s] for s in sorted(seeds)}, "these_weights": own}
    check["bar_met"] = sum(s["meets_bar"] for s in seeds.values())
    (where / "eval.json").write_text(json.dumps({**ev, "seed_check": check}, indent=2) + "\n")
    write_card(where, name=name, repo_id=pushed_repo(name))
    return check


def check(names: list[str], seeds: list[int], extra: list[str] | None = None) -> list[str]:
    """Train every named entry's recipe at ``seeds`` and record them; one line per entry."""
    unknown = [n for n in names if n not in PLAN or not (folder(n) / "eval.json").exists()]
    if unknown:
        raise SystemExit(f"not trained zoo entries: {unknown}; see `python -m training.zoo list`")
    lines = []
    for name in names:
        c = record(name, {s: train_seed(name, s, extra) for s in seeds})
        lines.append(f"{name}: bar met by {c['bar_met']} of {len(c['seeds'])} seeds")
    return lines
