"""The least wall clock ``train --all`` can take: the cores' share of every run, or the longest chain of bases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from training import snapshots
from training.trainer import Trainer
from training.zoo import cli, paths
from training.zoo.build import planned_config, train_args, trainable_here
from training.zoo.estimate import (
    bound,
    measured_minutes,
    phase_steps,
    planned_run,
    run_minutes,
    scoring_minutes,
    scorings,
    zoo_bound,
)
from training.zoo.plan import ENTRY_SEEDS, PLAN, SEEDS, SNAPSHOTS, command, folder


def test_a_long_chain_bounds_the_wall_clock_where_the_cores_would_not() -> None:
    minutes = {"a": 10.0, "b": 10.0, "c": 1.0, "d": 2.0}
    base = {"b": "a", "c": None, "a": None, "d": "gone"}.get  # d's base is trained already
    b = bound(minutes, base, jobs=2)
    assert b.chain == ["a", "b"] and b.chain_minutes == 20.0 and b.core_minutes == 23.0
    assert b.minutes == 20.0  # 23 minutes over 2 cores would be 11.5, but b waits for a
    assert bound(minutes, base, jobs=1).minutes == 23.0


def test_a_best_of_entry_costs_the_cores_every_seed_but_the_chain_one_run() -> None:
    name = next(n for n in ENTRY_SEEDS if len(ENTRY_SEEDS[n]) == 3)
    own = json.loads((folder(name) / "eval.json").read_text())["train_minutes"]
    b = zoo_bound([name], jobs=1)
    assert own > 0 and run_minutes(name) == own
    assert b.core_minutes == pytest.approx(3 * own) and b.chain_minutes == pytest.approx(own)
    # seeds side by side: on 3 cores the three runs of a lone entry take one run's wall clock
    assert bound({"a": 4.0, "b": 1.0}, {"b": "a"}.get, jobs=3, seeds={"a": 3}).minutes == 5.0


def test_the_cli_prints_the_bound_of_what_train_all_trains_here(capsys) -> None:
    cli.main(["estimate"])
    line = capsys.readouterr().out
    b = zoo_bound(trainable_here(list(PLAN), every=True), jobs=2)
    assert f"on 2 cores at least {b.minutes:.1f} minutes" in line and " -> ".join(b.chain) in line
    assert all(PLAN[later][1] == earlier for earlier, later in zip(b.chain, b.chain[1:], strict=False))


def test_a_finished_runs_steps_split_by_phase_only_the_model_phase_stopping_early() -> None:
    tc = planned_config("gol2-adversarial", Path("x"))
    assert phase_steps(tc, 3000) == {"decoder": tc.decoder_steps, "adversarial": tc.adver_steps}
    tc = planned_config("gol2-baseline", Path("x"))
    assert phase_steps(tc, 1050) == {"model": 1050}  # stopped early at the bar, far short of its planned steps
    assert tc.steps > 1050


def test_measured_minutes_are_each_phases_step_times_the_bundled_runs_steps_and_its_evaluations(monkeypatch) -> None:
    monkeypatch.chdir(paths.ROOT)  # the plan names a base as zoo/<name> from the checkout
    per_step = {"model": 0.5, "decoder": 0.2, "adversarial": 0.3}
    monkeypatch.setattr(Trainer, "time_steps", lambda self, k: {p: per_step[p] for p, _ in self.plan})
    ev = json.loads((folder("gol2-adversarial") / "eval.json").read_text())
    log = [json.loads(x) for x in (folder("gol2-adversarial") / "log.jsonl").read_text().splitlines() if x.strip()]
    evals = sum(r.get("eval_seconds", 0.0) for r in log)
    assert ev["train_steps"] == 3000 and evals > 0
    assert measured_minutes("gol2-adversarial") == pytest.approx((evals + 1500 * 0.2 + 1500 * 0.3) / 60)


def test_a_runs_phases_are_timed_for_real_without_touching_its_zoo_folder(monkeypatch) -> None:
    monkeypatch.chdir(paths.ROOT)
    before = sorted(p.name for p in folder("gol2-adversarial").iterdir())
    threads = torch.get_num_threads()
    minutes = measured_minutes("gol2-adversarial", steps=2)
    assert 0 < minutes < 30 and torch.get_num_threads() == threads
    assert sorted(p.name for p in folder("gol2-adversarial").iterdir()) == before


def test_the_cli_measures_every_run_train_all_trains_and_bounds_the_hour_with_them(monkeypatch, capsys) -> None:
    fake = {n: float(i) for i, n in enumerate(PLAN)}
    scoring = {n: 0.5 if n in SNAPSHOTS else 0.25 for n in PLAN}
    monkeypatch.setattr(cli, "measured_minutes", fake.__getitem__)
    monkeypatch.setattr(cli, "scoring_minutes", scoring.__getitem__)
    cli.main(["estimate", "--measure"])
    out = capsys.readouterr().out
    names = trainable_here(list(PLAN), every=True)
    b = zoo_bound(names, jobs=2, minutes=lambda n: fake[n] + scoring[n])
    assert f"(timed here): {len(names)} runs, {b.core_minutes:.1f} minutes of training and scoring" in out
    assert "on top" not in out
    slowest = max(names, key=fake.__getitem__)
    assert out.splitlines()[2].startswith(f"| `{slowest}` |")  # the table, slowest run first
    assert out.splitlines()[2].endswith(f"| {fake[slowest]:.1f} | {scoring[slowest]:.1f} |")


def test_a_run_is_scored_once_plus_once_a_snapshot_it_keeps_and_its_base_first_if_adversarial() -> None:
    """Only the entries that ship snapshots keep any (plan.command), so only theirs cost scoring."""
    for name in ("gol3-autoencoder", "gol4-autoencoder", "gol3-adversarial", "gol4-adversarial"):
        steps = int(planned_run(name)["train_steps"])
        kept = len(snapshots.schedule(steps, 24)) if name in SNAPSHOTS else 0
        assert scorings(name) == 1 + kept + name.endswith("-adversarial")
    assert scorings("gol3-autoencoder") == 25 and scorings("gol4-autoencoder") == 1


def test_scoring_a_run_is_timed_for_real_on_one_thread(monkeypatch) -> None:
    monkeypatch.chdir(paths.ROOT)
    threads = torch.get_num_threads()
    one = scoring_minutes("gol4-autoencoder")
    assert 0 < one < 1 and torch.get_num_threads() == threads


def test_an_entry_adopted_from_another_seed_is_estimated_by_the_seed_train_all_trains() -> None:
    """``train --all`` trains the plan's seed; where the bundled weights are a seed check's best seed, the
    estimate reads the plan's seed's run from that check (its steps and minutes), not the bundled one's."""
    adopted = []
    for name in PLAN:
        ev = json.loads((folder(name) / "eval.json").read_text())
        # train --all's seed: best_of's for a model from scratch (its --seed comes last), else the plan's own
        planned = SEEDS[0] if PLAN[name][1] is None else str(train_args(command(name, Path(name)))["seed"])
        bundled = str(ev.get("seed_check", {}).get("these_weights", planned))
        if name in ENTRY_SEEDS or bundled == planned:
            assert planned_run(name) == ev
        else:
            adopted.append(name)
            assert planned_run(name) == ev["seed_check"]["seeds"][planned]
            assert run_minutes(name) == ev["seed_check"]["seeds"][planned]["train_minutes"] != ev["train_minutes"]
    assert "count3ts" in adopted  # the zoo's count is seed 1, its plan seed 0
