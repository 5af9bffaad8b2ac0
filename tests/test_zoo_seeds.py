"""``python -m training.zoo seeds``: an entry's recipe at other seeds, each scored as the entry was, on its card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import TINY_TRAIN
from huggingface_hub import ModelCard

from training import train
from training.zoo import plan, seeds, tables


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A zoo of one tiny entry, trained by its plan's command at the recipe's seed (0)."""
    zoo_dir = tmp_path / "zoo"
    monkeypatch.setenv("IMAGINATION_ZOO", str(zoo_dir))
    monkeypatch.setitem(plan.PLAN, "tiny", ([*TINY_TRAIN, "--game-steps", "2", "--snapshots", "0"], None))
    train.main(plan.command("tiny", zoo_dir / "tiny"))
    return zoo_dir / "tiny"


def test_other_seeds_train_with_the_entrys_command_and_land_on_its_card(tiny: Path, tmp_path: Path) -> None:
    weights = (tiny / "model.safetensors").read_bytes()
    (line,) = seeds.check(["tiny"], [1, 2])
    runs = {s: seeds.seed_dir("tiny", s) for s in (1, 2)}
    assert runs[1] == tmp_path / "zoo-runs" / "seeds" / "tiny" / "seed-1"  # beside this zoo, never in the checkout
    evs = {0: json.loads((tiny / "eval.json").read_text())} | {
        s: json.loads((r / "eval.json").read_text()) for s, r in runs.items()
    }
    for s, r in runs.items():
        tc = json.loads((r / "train_config.json").read_text())
        assert tc["seed"] == s and tc["snapshots"] == 0
        assert seeds.plan_differences(tc, "tiny").keys() <= {"seed", "out", "name", "command", "threads"}
        assert (r / "model.safetensors").read_bytes() != weights  # another seed, another run
    check = evs[0]["seed_check"]
    assert list(check["seeds"]) == ["0", "1", "2"] and check["these_weights"] == 0
    for s, ev in evs.items():
        got = check["seeds"][str(s)]
        assert (got["task_error"], got["interpretability"]) == (ev["task_error"], ev["interpretability"])
        assert got["meets_bar"] == (ev["task_error"] <= 0.01)
    met = sum(s["meets_bar"] for s in check["seeds"].values())
    assert check["bar_met"] == met and line == f"tiny: bar met by {met} of 3 seeds"
    assert (tiny / "model.safetensors").read_bytes() == weights  # the entry's own weights stay
    card = ModelCard.load(tiny / "README.md").text
    assert f"the bar met by **{met} of 3**" in card and "| 0 (these weights) |" in card and "| 2 |" in card
    assert "| `tiny` | 0, 1, 2 |" in tables.seeds_table()


def test_a_finished_seed_is_reused_only_if_it_is_the_plans(tiny: Path) -> None:
    seeds.check(["tiny"], [1])
    run = seeds.seed_dir("tiny", 1)
    first = (run / "model.safetensors").stat().st_mtime_ns
    seeds.check(["tiny"], [1])
    assert (run / "model.safetensors").stat().st_mtime_ns == first  # the same run: not trained again
    tc = json.loads((run / "train_config.json").read_text())
    (run / "train_config.json").write_text(json.dumps({**tc, "lr": 0.1}))  # not the plan's any more
    seeds.check(["tiny"], [1])
    assert (run / "model.safetensors").stat().st_mtime_ns != first
    assert json.loads((run / "train_config.json").read_text())["lr"] != 0.1


def test_an_untrained_or_unknown_entry_is_refused(tiny: Path) -> None:
    with pytest.raises(SystemExit, match="not trained zoo entries: \\['nope'\\]"):
        seeds.check(["nope"], [1])


def test_an_error_measured_exactly_at_the_bar_meets_it() -> None:
    """2 of 2,000 summary answers wrong is 0.1%, the bar; float32 gives it as 0.0010000000475 (count1ts's seed 2)."""
    from imagination import registry

    exactly = float(torch.tensor(2.0) / torch.tensor(2000.0))
    assert exactly > 0.001 and registry.meets(exactly, "count") and registry.meets(0.01, "board")
    assert not registry.meets(3 / 2000, "count") and not registry.meets(0.0101, "board")
    assert registry.headline({**dict.fromkeys(("interpretability", "final_error", "per_step_accuracy"), 0.0),
                              "task_error": exactly}, "count")["meets_bar"]  # fmt: skip
