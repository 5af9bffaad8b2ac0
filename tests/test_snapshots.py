"""Training snapshots: log-spaced, loadable, scored from their saved weights, and never changing the training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TINY_TRAIN

from imagination import ImaginationModel
from imagination.evaluate import EvalSet, evaluate
from imagination.loading import revisions
from training import data, emergence, snapshots, train
from training.zoo import build, plan

TINY = TINY_TRAIN  # 12 model steps; the adversarial regime adds 6 + 6 decoder steps


def run(out: Path, *args: str) -> dict:
    train.main(["--out", str(out), *TINY, *args])
    return json.loads((out / "eval.json").read_text())


def test_the_schedule_starts_at_every_first_step_and_is_log_spaced() -> None:
    assert snapshots.schedule(12000, 16)[:4] == [0, 1, 2, 4]
    for total, count in [(12000, 24), (3000, 16), (12, 16), (12, 4), (1, 16), (5, 2), (7, 1)]:
        steps = snapshots.schedule(total, count)
        assert steps[0] == 0 and steps == sorted(set(steps)) and len(steps) <= count
        assert steps[-1] == total or count == 1
    late = [s for s in snapshots.schedule(12000, 24) if s >= 20]  # log-spaced: one ratio, once rounding is small
    ratios = [b / a for a, b in zip(late, late[1:], strict=False)]
    assert max(ratios) / min(ratios) < 1.1 and 1.4 < ratios[0] < 1.7
    assert snapshots.schedule(12000, 24)[:5] == [0, 1, 2, 3, 5]  # the first steps, each kept
    assert len(snapshots.schedule(12000, 24)) == 24 and len(snapshots.schedule(12, 16)) == 13
    assert snapshots.schedule(12000, 0) == []


@pytest.mark.parametrize("regime", ["autoencoder", "adversarial"])
def test_snapshots_change_nothing_in_the_run_even_across_a_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, regime: str
) -> None:
    """The final weights are byte-identical with no snapshots, with them, and with them across a --resume."""
    args = ["--regime", regime]
    run(tmp_path / "none", *args, "--snapshots", "0")
    run(tmp_path / "kept", *args, "--snapshots", "6")
    real_sample = data.sample_batch

    def crash_at(tc: train.TrainConfig, cfg: object, step: int, rank: int):  # type: ignore[no-untyped-def]
        if step == 9:
            raise KeyboardInterrupt
        return real_sample(tc, cfg, step, rank)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "sample_batch", crash_at)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed", *args, "--snapshots", "6")
    monkeypatch.setattr(data, "sample_batch", real_sample)
    train.main(["--out", str(tmp_path / "resumed"), *TINY, *args, "--snapshots", "6", "--resume"])

    weights = {k: (tmp_path / k / "model.safetensors").read_bytes() for k in ("none", "kept", "resumed")}
    assert weights["none"] == weights["kept"] == weights["resumed"]
    assert not (tmp_path / "none" / revisions.FOLDER).exists() and not (tmp_path / "none" / revisions.SCORES).exists()
    total = 12 + (12 if regime == "adversarial" else 0)
    assert revisions.snapshot_steps(tmp_path / "kept") == snapshots.schedule(total, 6)
    for step in revisions.snapshot_steps(tmp_path / "kept"):
        name = Path(revisions.FOLDER) / revisions.name(step)
        assert sorted(p.name for p in (tmp_path / "kept" / name).iterdir()) == ["config.json", "model.safetensors"]
        kept, resumed = (tmp_path / k / name / "model.safetensors" for k in ("kept", "resumed"))
        assert kept.read_bytes() == resumed.read_bytes(), step
    last = tmp_path / "kept" / revisions.FOLDER / revisions.name(total)
    assert (last / "model.safetensors").read_bytes() == weights["kept"]  # the last snapshot is what shipped
    assert (last / "config.json").read_text() == (tmp_path / "kept" / "config.json").read_text()
    assert json.loads((tmp_path / "kept" / revisions.SCORES).read_text()) == json.loads(
        (tmp_path / "resumed" / revisions.SCORES).read_text()
    )


def test_every_snapshot_is_scored_from_its_saved_weights(tmp_path: Path) -> None:
    """snapshots.json holds what the evaluator measures on the saved snapshot, on the run's own eval set."""
    scores = run(tmp_path / "run", "--regime", "adversarial", "--snapshots", "5")
    records = json.loads((tmp_path / "run" / revisions.SCORES).read_text())
    steps = [r["step"] for r in records]
    assert steps == snapshots.schedule(24, 5) and [r["revision"] for r in records] == [f"step{s}" for s in steps]
    eval_set = EvalSet(**scores["eval_set"])
    for r in records:
        model = ImaginationModel.from_pretrained(tmp_path / "run" / revisions.FOLDER / r["revision"])
        again = evaluate(model, eval_set)
        for key in ("interpretability", "final_error", "task_error", "per_step_accuracy"):
            assert r[key] == again[key], (r["revision"], key)
    assert records[-1]["interpretability"] == scores["interpretability"]
    assert records[-1]["final_error"] == scores["final_error"]


def test_a_stopped_run_keeps_its_last_step_and_probes_keep_none(tmp_path: Path) -> None:
    run(tmp_path / "stopped", "--steps", "40", "--stop-error", "0.9", "--snapshots", "30")
    steps = revisions.snapshot_steps(tmp_path / "stopped")
    trained = json.loads((tmp_path / "stopped" / "eval.json").read_text())["train_steps"]
    assert trained < 40 and steps[-1] == trained
    assert steps[:-1] == [s for s in snapshots.schedule(40, 30) if s < trained]
    run(tmp_path / "probes", "--regime", "probes", "--init", str(tmp_path / "stopped"))
    assert revisions.snapshot_steps(tmp_path / "probes") == []


def test_the_emergence_table_reads_every_number_from_the_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run(tmp_path / "tiny-emerging", "--snapshots", "6")
    capsys.readouterr()  # the training's own lines
    emergence.main([str(tmp_path / "tiny-emerging")])
    printed = capsys.readouterr().out
    measured = emergence.measure(tmp_path / "tiny-emerging")
    records = json.loads((tmp_path / "tiny-emerging" / revisions.SCORES).read_text())
    assert measured["records"] == records and measured["snapshots"] == 6 and measured["final"]["step"] == 12
    assert measured["from_curve"]["last_step"] == 12  # the learning curve, from log.jsonl
    assert printed.strip() == emergence.table([measured])
    assert "| `tiny-emerging` | autoencoder | 6 | 12 |" in printed


def test_the_docs_emergence_table_and_figure_are_the_generated_ones() -> None:
    """docs/analysis.md's emergence table is regenerated from the runs' records (python -m training.emergence)."""
    doc = emergence.DOC.read_text()
    block = doc.split("<!-- emergence-table:start -->\n", 1)[1].split("\n<!-- emergence-table:end -->", 1)[0]
    assert block == emergence.table([emergence.measure(f) for f in emergence.sources()])
    assert emergence.FIGURE.exists()


def test_the_zoo_installs_snapshots_only_for_the_entries_its_plan_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plan.toml's ``snapshots = true`` (the gol3 showcase entries, the maze's baseline and autoencoder) ships
    them; any other entry ships none."""
    assert plan.SNAPSHOTS == [
        "gol3-baseline",
        "gol3-autoencoder",
        "gol3-adversarial",
        "maze5-baseline",
        "maze5-autoencoder",
    ]
    run(tmp_path / "run", "--snapshots", "4")
    monkeypatch.setenv("IMAGINATION_ZOO", str(tmp_path / "zoo"))
    (tmp_path / "zoo").mkdir()
    build.install(tmp_path / "run", "gol3-baseline")
    build.install(tmp_path / "run", "gol4-baseline")
    shipped = tmp_path / "zoo" / "gol3-baseline"
    assert revisions.snapshot_steps(shipped) == revisions.snapshot_steps(tmp_path / "run") == [0, 1, 3, 12]
    assert revisions.scores(shipped) == revisions.scores(tmp_path / "run")
    assert revisions.in_folder(tmp_path / "zoo" / "gol4-baseline") == ["main"]
    assert not (tmp_path / "zoo" / "gol4-baseline" / revisions.SCORES).exists()
