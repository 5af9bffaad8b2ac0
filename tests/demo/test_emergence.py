"""Watch it emerge: the demo's view of a checkpoint's training snapshots, through its handlers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import TINY_TRAIN
from PIL import Image

from imagination import ImaginationModel, episode, zoo
from imagination.demo import handlers, page
from imagination.demo.handlers import EpisodeRequest
from imagination.demo.inputs import InputError
from imagination.loading import revisions
from training import registration, train

BOARD = ("pattern", 0, 0.4, 20, "glider", "")


@pytest.fixture(scope="module")
def snapshot_zoo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two tiny entries with snapshots and one without, indexed as a zoo."""
    root = tmp_path_factory.mktemp("emergence-zoo")
    runs = {"tiny-ae": ["--snapshots", "6"], "tiny-base": ["--regime", "baseline", "--snapshots", "4"]}
    runs["tiny-plain"] = ["--snapshots", "0"]
    for name, extra in runs.items():
        train.main(["--out", str(root / name), *TINY_TRAIN, *extra, "--name", name])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMAGINATION_ZOO", str(root))
        registration.write([registration.record(root / n, n, f"me/{n}", bundled=True) for n in runs])
    return root


@pytest.fixture
def in_zoo(snapshot_zoo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMAGINATION_ZOO", str(snapshot_zoo))
    return snapshot_zoo


def test_the_view_lists_the_entries_with_snapshots_and_plots_them_all(in_zoo: Path) -> None:
    assert handlers.emergence_entries() == ["tiny-ae", "tiny-base"]
    last, plot, status = handlers.emergence("tiny-ae")
    records = revisions.scores(in_zoo / "tiny-ae")
    assert last == len(records) - 1 == 5 and records[-1]["step"] == 12
    assert Image.open(plot).size[0] >= 600  # every regime's curves in one picture
    assert "**tiny-ae**: 6 training snapshots, steps 0 to 12" in status
    assert "interpretability reaches 0.9 " in status and "the final-board error reaches 1% " in status
    with pytest.raises(InputError, match="tiny-plain: no training snapshots to watch .*tiny-ae, tiny-base"):
        handlers.emergence("tiny-plain")


def test_each_snapshot_runs_the_start_board_as_the_network_was_then(in_zoo: Path) -> None:
    records = revisions.scores(in_zoo / "tiny-ae")
    request = EpisodeRequest.for_board(*BOARD)
    board, _ = request.board()
    for i in (0, len(records) - 1):
        panel, status = handlers.emergence_step("tiny-ae", i, request)
        rev = records[i]["revision"]
        assert Path(panel).exists() and f"at training step {records[i]['step']}" in status and rev in status
        model = ImaginationModel.from_pretrained("tiny-ae", revision=rev)
        mcc = " / ".join(f"{m:.2f}" for m in episode.run_episode(model, board).mcc)
        assert f"MCC per step {mcc}" in status
    last = ImaginationModel.from_pretrained(in_zoo / "tiny-ae" / revisions.FOLDER / records[-1]["revision"])
    main = zoo.load("tiny-ae").state_dict()
    assert all(torch.equal(v, main[k]) for k, v in last.state_dict().items())  # the last snapshot is main
    with pytest.raises(InputError, match="the snapshot must be a whole number from 0 to 5"):
        handlers.emergence_step("tiny-ae", 6, request)


def test_the_page_wires_the_view_under_its_api_names(in_zoo: Path) -> None:
    demo = page.build_demo("tiny-ae")
    names = {fn.api_name for fn in demo.fns.values()}
    assert {"emergence", "emergence_step", "run_episode", "compare", "analysis"} <= names
