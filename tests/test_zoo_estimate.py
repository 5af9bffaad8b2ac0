"""The least wall clock ``train --all`` can take: the cores' share of every run, or the longest chain of bases."""

from __future__ import annotations

import json

import pytest

from training.zoo import cli
from training.zoo.build import trainable_here
from training.zoo.estimate import bound, run_minutes, zoo_bound
from training.zoo.plan import ENTRY_SEEDS, PLAN, folder


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
