"""training.horizon: the long-run table, end to end on the bundled long-running entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagination import registry
from training import horizon

LONGRUN = registry.zoo_dir() / "gol3-longrun"


def test_the_exact_horizon_ends_before_the_first_wrong_cell() -> None:
    assert horizon.exact_horizon({"mcc": [1.0, 1.0, 1.0, 0.9, 1.0]}) == 2  # a later exact step does not count
    assert horizon.exact_horizon({"mcc": [1.0, 1.0, 1.0]}) == 2


@pytest.mark.skipif(not LONGRUN.exists(), reason="the bundled gol3-longrun entry is not in this zoo")
def test_the_eval_set_horizon_is_the_one_the_card_records(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    recorded = json.loads((LONGRUN / "eval.json").read_text())["extrapolation"]
    steps = len(recorded["accuracy"]) - 1
    out = tmp_path / "h.json"
    argv = [str(LONGRUN), "--steps", str(steps), "--big-size", "40", "--big-episodes", "2", "--json", str(out)]
    horizon.main([*argv, "--figure", str(tmp_path / "h.png")])
    assert (tmp_path / "h.png").read_bytes().startswith(b"\x89PNG")
    runs = json.loads(out.read_text())[str(LONGRUN)]
    eval_run = runs["eval set (1000, 20x20)"]
    assert eval_run["steps_above_99"] == recorded["steps_above_99"]  # the same 1,000 episodes, streamed
    assert eval_run["accuracy"] == pytest.approx(recorded["accuracy"], abs=1e-6)
    assert len(runs["40x40 (2)"]["accuracy"]) == steps + 1
    pats = [n for n in runs if n.startswith("pattern ")]
    assert len(pats) == 18 and all(runs[n]["exact"] <= len(runs[n]["mcc"]) - 1 for n in pats)
    table = capsys.readouterr().out
    assert f"| eval set (1000, 20x20) | {recorded['steps_above_99']} |" in table
    assert "18 patterns (lowest)" in table and "step 12" in table and "step 100" not in table
    drift = runs["empty board drift"]["relative_rms"]
    assert len(drift) == steps + 1 and drift[0] == 0.0 and 0 < drift[10] < 1  # close to the fixed point at step 10
    assert f"| {LONGRUN} | {drift[10]:.1e} |" in table
