"""Best of several seeds: every seed is a full run, the winner's files are copied, the choice is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TINY_TRAIN

from imagination import registry
from training import best_of

ROOT = Path(__file__).resolve().parent.parent


def test_choose_prefers_meeting_the_bar_then_interpretability() -> None:
    s = {
        0: {"task_error": 0.0005, "interpretability": 0.71},
        1: {"task_error": 0.0008, "interpretability": 0.99},
        2: {"task_error": 0.2, "interpretability": 1.0},
    }
    assert best_of.choose(s, 0.001) == 1
    assert best_of.choose({0: s[0], 2: s[2]}, 0.001) == 0


def test_two_seeds_in_parallel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    out = tmp_path / "run"
    args = [
        "--out",
        str(out),
        *TINY_TRAIN,
    ]
    best_of.main(["--seeds", "3", "4", "--", *args])
    scores = json.loads((out / "eval.json").read_text())
    sel = scores["seed_selection"]
    assert set(sel["seeds"]) == {"3", "4"} and sel["chosen"] in (3, 4)
    winner = out / "seeds" / f"seed-{sel['chosen']}"
    assert (out / "model.safetensors").read_bytes() == (winner / "model.safetensors").read_bytes()
    assert json.loads((out / "train_config.json").read_text())["seed"] == sel["chosen"]
    a, b = (out / "seeds" / "seed-3" / "model.safetensors"), (out / "seeds" / "seed-4" / "model.safetensors")
    assert a.read_bytes() != b.read_bytes()
    for seed in ("3", "4"):  # a tied core runs on: each seed's horizon, as its own weights give it on the log set
        horizon = sel["seeds"][seed]["horizon"]
        assert isinstance(horizon, int) and horizon == best_of.seed_horizon(out / "seeds" / f"seed-{seed}")


def test_a_seed_horizon_is_measured_only_where_the_core_runs_on_to_a_board() -> None:
    assert best_of.seed_horizon(registry.zoo_dir() / "count1ts") is None  # a summary task: no board at the end
    assert best_of.seed_horizon(registry.zoo_dir() / "gol3-untied-adversarial") is None  # untied: no step past T
    # the zoo's long runner holds its boards for dozens of steps, its plain autoencoder far fewer
    assert best_of.seed_horizon(registry.zoo_dir() / "gol3-longrun") > 4 * best_of.seed_horizon(
        registry.zoo_dir() / "gol3-autoencoder"
    )
