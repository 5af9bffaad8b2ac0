"""End to end: ``python -m training.analyze`` on a tiny trained checkpoint writes every result."""

from __future__ import annotations

import json
import math
from pathlib import Path

from conftest import TINY_TRAIN, assert_tables_close
from huggingface_hub import ModelCard

from imagination import figures, zoo
from imagination.cards import card_eval_metrics
from training import analyze, train


def test_analyze_writes_results_to_eval_json_and_card(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    train.main([*TINY_TRAIN, "--regime", "autoencoder", "--game-steps", "2", "--out", str(folder)])
    analyze.main([str(folder), "--write", "--probes", "--probe-steps", "6", "--probe-runs", str(tmp_path / "probes")])

    scores = json.loads((folder / "eval.json").read_text())
    fa, ex = scores["faithfulness"], scores["extrapolation"]
    assert fa["score"] is None or math.isnan(fa["score"]) or 0.0 <= fa["score"] <= 1.0
    assert len(ex["accuracy"]) == 4 * 2 + 1  # h_0 .. h_{4T}
    assert all(0.0 <= a <= 1.0 for a in ex["accuracy"])
    assert 0 <= ex["steps_above_99"] <= 4 * 2
    assert set(scores["probes"]) >= {"all"}
    for p in scores["probes"].values():
        assert len(p["per_step_accuracy"]) == 3
    # the card is regenerated from eval.json and its model-index carries the new numbers
    metrics = card_eval_metrics(ModelCard.load(folder / "README.md"))
    assert metrics["extrapolation_steps"] == ex["steps_above_99"]
    if fa["score"] is not None and not math.isnan(fa["score"]):
        assert metrics["faithfulness"] == fa["score"]
    assert "Decoder probes" in (folder / "README.md").read_text()
    assert scores["off_distribution"]["uniform"]["eval_set"]["sampler"] == "uniform"
    assert "### Off distribution: `uniform`" in (folder / "README.md").read_text()
    assert_tables_close((folder / "README.md").read_text())

    # --missing leaves an analysed checkpoint alone
    before = (folder / "eval.json").read_bytes()
    analyze.main([str(folder), "--write", "--probes", "--missing", "--probe-runs", str(tmp_path / "probes2")])
    assert (folder / "eval.json").read_bytes() == before
    assert not (tmp_path / "probes2").exists()


def test_analyze_a_summary_model_says_what_is_not_defined(tmp_path: Path) -> None:
    folder = tmp_path / "count"
    train.main([*TINY_TRAIN, "--task", "count", "--game-steps", "2", "--out", str(folder)])
    analyze.main([str(folder), "--write", "--probes", "--probe-runs", str(tmp_path / "probes")])
    scores = json.loads((folder / "eval.json").read_text())
    assert scores["faithfulness"]["score"] is None and "probes" not in scores  # probes: board tasks only
    card = (folder / "README.md").read_text()
    assert "Causal faithfulness: not defined for this checkpoint" in card
    assert "faithfulness" not in card_eval_metrics(ModelCard.load(folder / "README.md"))


def test_extrapolation_figure_has_a_panel_per_horizon() -> None:
    panels = {"trained for 2": {"a": [1.0, 0.9, 0.5]}, "trained for 3": {"b": [1.0, 1.0, 1.0, 0.8], "c": [0.7] * 4}}
    fig = figures.curves_panels(panels, {"a": 2, "b": 3, "c": 3})
    assert [ax.get_title() for ax in fig.axes] == list(panels)
    assert [len(ax.get_lines()) for ax in fig.axes] == [1 + 2, 2 + 2]  # curves + horizon + 99% line
    assert figures.figure_png(fig).startswith(b"\x89PNG")


def test_thinking_figure_has_a_panel_per_maze_size_and_marks_its_rounds() -> None:
    sizes = {"5": {"a": [0.0, 0.5, 1.0], "b": [0.0, 1.0, 1.0]}, "10": {"a": [0.0] * 5, "b": [0.0, 0.1, 0.2, 0.2, 0.2]}}
    fig = figures.thinking_figure(sizes, {"5": 2, "10": 4})
    assert [ax.get_title() for ax in fig.axes] == ["5-cell mazes", "10-cell mazes"]
    assert [len(ax.get_lines()) for ax in fig.axes] == [2 + 1, 2 + 1]  # the curves + the hardest maze's rounds
    assert [ax.get_lines()[-1].get_xdata()[0] for ax in fig.axes] == [2, 4]


def test_tables_are_redrawn_from_every_entrys_eval_json(tmp_path: Path, monkeypatch) -> None:
    """--tables reads eval.json only: the bundled zoo's rows, the maze entries' thinking-longer rates among them."""
    root = Path(analyze.ROOT)
    (tmp_path / "docs" / "figures").mkdir(parents=True)
    for doc in ("README.md", "docs/analysis.md"):
        (tmp_path / doc).write_text((root / doc).read_text())
    monkeypatch.setattr(analyze, "ROOT", tmp_path)
    monkeypatch.setattr(analyze, "DOCS", tmp_path / "docs")
    analyze.main(["--tables"])
    assert (tmp_path / "docs" / "figures" / "extrapolation.png").stat().st_size > 10_000
    assert (tmp_path / "docs" / "figures" / "thinking.png").stat().st_size > 10_000  # the maze entries' curves
    text = (tmp_path / "docs" / "analysis.md").read_text()
    thinking = text.split("<!-- thinking-table:start -->")[1].split("<!-- thinking-table:end -->")[0]
    mazes = [e for e in zoo.bundled() if "thinking" in json.loads((e.path / "eval.json").read_text())]
    for e in mazes:
        th = json.loads((e.path / "eval.json").read_text())["thinking"]
        first = next(iter(th["solve_rate"]))
        assert f"| `{e.name}` | {th['solve_rate'][first]:.3f} / {th['solve_rate_at_end'][first]:.3f}" in thinking
    readme = (tmp_path / "README.md").read_text()
    for e in zoo.bundled():
        assert f"| `{e.name}` |" in readme.split("<!-- faithfulness-table:start -->")[1]


def test_missing_asks_a_maze_for_its_thinking_not_for_per_step_probes(tmp_path: Path) -> None:
    """A bundled maze entry is analysed without probes (``--probes --missing`` would otherwise redo its hour of
    thinking-longer sets with the defaults); without its thinking rates it is not."""
    maze = tmp_path / "maze"
    maze.mkdir()
    for f in ("config.json", "eval.json"):
        (maze / f).write_text((Path(analyze.ROOT) / "zoo" / "maze5-autoencoder" / f).read_text())
    scores, cfg = (json.loads((maze / f).read_text()) for f in ("eval.json", "config.json"))
    assert "probes" not in scores and analyze._analyzed(maze, cfg, probes=True)
    (maze / "eval.json").write_text(json.dumps({k: v for k, v in scores.items() if k != "thinking"}))
    assert not analyze._analyzed(maze, cfg, probes=True)
    life = Path(analyze.ROOT) / "zoo" / "gol3-autoencoder"
    life_cfg = json.loads((life / "config.json").read_text())
    assert analyze._analyzed(life, life_cfg, probes=True) and "probes" in json.loads((life / "eval.json").read_text())
