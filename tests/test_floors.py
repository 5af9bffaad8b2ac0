"""The floors (what trivial predictors score on the fixed eval set) and where the docs show them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from imagination import metrics
from imagination.config import ModelConfig
from imagination.evaluate import board_scores, eval_episodes
from imagination.registry import zoo_dir
from training import floors
from training import zoo as zoo_builder


def _block(marker: str) -> str:
    text = (zoo_builder.ROOT / "README.md").read_text()
    return text.split(f"<!-- {marker}:start -->\n", 1)[1].split(f"\n<!-- {marker}:end -->", 1)[0]


def _config(game: int, model: int, trained: list[int], rule: str = "B3/S23") -> ModelConfig:
    return ModelConfig(
        game_steps=game, model_steps=model, trained_steps=trained, environment={"name": "life", "rule": rule}
    )


def test_readme_floors_block_is_the_generated_one() -> None:
    """The README's floors are recomputed here, so a stale or hand-edited number fails."""
    assert _block(floors.MARKER) == floors.table()


def test_floors_use_the_fixed_eval_set() -> None:
    cfg = _config(3, 3, [0, 3])
    assert torch.equal(
        floors._episodes(3, json.dumps(cfg.environment, sort_keys=True), floors.EVAL_SET), eval_episodes(cfg)
    )


@pytest.mark.parametrize(
    ("game", "model", "trained", "rule"),
    [
        (2, 2, [0, 2], "B3/S23"),  # autoencoder: steps 1..T-1
        (3, 3, [3], "B3/S23"),  # baseline: steps 0..T-1
        (4, 4, [0], "B3/S23"),  # summary task: steps 1..T
        (3, 2, [0, 2], "B3/S23"),  # fewer model steps than game steps
        (3, 3, [0, 3], "B36/S23"),  # another rule: its own eval set
    ],
)
def test_floors_are_the_evaluators_scores_of_copies(game: int, model: int, trained: list[int], rule: str) -> None:
    """The one-row shortcut equals the evaluator's own scoring of the full stack of copies."""
    cfg = _config(game, model, trained, rule)
    ep = eval_episodes(cfg)
    f = floors.floors(game, model, trained, rule)
    for frame, value in ((0, f.copy_start), (game, f.copy_final)):
        copies = ep[:, [frame] * (model + 1)]
        assert value == pytest.approx(board_scores(cfg, ep, copies)["interpretability"], abs=1e-12)


def test_error_floors_are_what_the_boards_say() -> None:
    for t in floors.STEPS:
        ep = eval_episodes(_config(t, t, [0, t]))
        f = floors.floors(t)
        assert f.all_dead_error == pytest.approx(float(ep[:, -1].mean()), abs=1e-7)  # the final boards' live cells
        assert f.copy_start_error == pytest.approx(float((ep[:, 0] != ep[:, -1]).float().mean()), abs=1e-7)
        assert 0.0 < f.all_dead_error < 0.5  # the eval boards are sparse, not density 0.5


def test_floors_have_the_structure_of_their_scoring() -> None:
    ep = eval_episodes(_config(2, 2, [0, 2]))
    # scored at step 1 alone, copying the final board is the MCC of boards 1 and 2
    assert floors.floors(2).copy_final == pytest.approx(metrics.mcc(ep[:, 1], ep[:, 2]), abs=1e-12)
    for t in floors.STEPS:
        ae, base, summary = (floors.floors(t, trained_steps=trained(t)) for trained, _ in floors.SCORINGS)
        for f in (ae, base, summary):
            assert 0.0 < f.copy_start < 1.0 and 0.0 < f.copy_final < 1.0
        # the baseline's scored steps include 0, where copying the start is exact; summary tasks' include T
        assert base.copy_start > ae.copy_start and base.copy_start >= 1 / t
        assert summary.copy_final > ae.copy_final and summary.copy_final >= 1 / t
    # later boards are further from the final one (and the start): the floors fall with the step count
    copy_final = [floors.floors(t).copy_final for t in floors.STEPS]
    assert copy_final == sorted(copy_final, reverse=True)


def test_zoo_table_shows_each_checkpoints_floor() -> None:
    lines = zoo_builder.table().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    col = header.index("floor: copy start / final")
    assert header[col - 1] == "interpretability"
    names = [row.split("`")[1] for row in lines[2:]]
    assert names
    for row, name in zip(lines[2:], names, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == len(header)
        f = floors.checkpoint_floors(zoo_dir() / name)
        assert cells[col] == f"{f.copy_start:.3f} / {f.copy_final:.3f}"
    # a checkpoint's floor follows its own steps: 3 game steps in 2 model steps is not the 3/3 floor
    if {"gol3-model2", "gol3-autoencoder"} <= set(names):
        model2 = floors.checkpoint_floors(zoo_dir() / "gol3-model2")
        assert model2 != floors.checkpoint_floors(zoo_dir() / "gol3-autoencoder")


def test_method_citations_name_sections_that_exist() -> None:
    """Users get docs/method.md, not the private briefing: every citation names one of its sections."""
    root = zoo_builder.ROOT
    headings = {
        line.lstrip("#").strip() for line in (root / "docs" / "method.md").read_text().splitlines() if line[:1] == "#"
    }
    files = [*root.glob("*.md"), *root.glob("docs/*.md")]
    files += [p for d in ("imagination", "training", "tests") for p in (root / d).rglob("*.py")]
    cited = 0
    for path in files:
        if path.resolve() == Path(__file__).resolve():
            continue
        text = " ".join(path.read_text().split()).replace(" # ", " ")
        assert "METHOD.md" not in text, f"{path.name} cites METHOD.md, which users never get"
        for section in re.findall(r'docs/method\.md,?\s*\(?"([^"]+)"', text):
            assert section in headings, f'{path.name} cites docs/method.md "{section}", which has no such section'
            cited += 1
    assert cited >= 4
    assert "(docs/method.md)" in (root / "README.md").read_text()
