"""Publishing: a checkpoint folder goes to the (local stand-in) Hub and comes back identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import TINY_TRAIN
from hub_stub import HubStub
from huggingface_hub import ModelCard, constants, hf_hub_download, snapshot_download

from imagination import CheckpointError, ImaginationModel, life
from imagination import cards as icards
from training import push, train


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ckpt") / "tiny-ae"
    train.main(
        [
            "--out",
            str(out),
            *TINY_TRAIN,
        ]
    )
    return out


def test_push_then_download_is_identical(hub: HubStub, folder: Path) -> None:
    url = push.push(folder, "imagination-zoo/tiny-ae")
    assert url.startswith(hub.url)
    for name in ("config.json", "model.safetensors", "README.md", "eval.json", "train_config.json"):
        got = hf_hub_download("imagination-zoo/tiny-ae", name)
        assert Path(got).read_bytes() == (folder / name).read_bytes(), name
    snap = Path(snapshot_download("imagination-zoo/tiny-ae"))
    assert not list(snap.glob("resume_state*"))
    model = ImaginationModel.from_pretrained("imagination-zoo/tiny-ae")
    local = ImaginationModel.from_pretrained(folder)
    x = life.random_boards(3, 16, 0.4, torch.Generator().manual_seed(0))
    assert torch.equal(model(x), local(x))
    card = ModelCard.load("imagination-zoo/tiny-ae")
    scores = json.loads((folder / "eval.json").read_text())
    assert icards.card_eval_metrics(card)["interpretability"] == scores["interpretability"]
    assert card.data.eval_results[0].dataset_type == "game-of-life"


def test_cached_checkpoint_loads_offline(hub: HubStub, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    push.push(folder, "imagination-zoo/tiny-offline")
    ImaginationModel.from_pretrained("imagination-zoo/tiny-offline")
    before = hub.request_count
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets at import
    ImaginationModel.from_pretrained("imagination-zoo/tiny-offline")
    assert hub.request_count == before


def test_cli_push_and_refusals(hub: HubStub, folder: Path, tmp_path: Path) -> None:
    push.main([str(folder), "--repo-id", "someone/tiny-cli"])
    assert len(hub.commits("someone/tiny-cli")) >= 2  # the empty initial commit, then the upload
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{}")
    with pytest.raises(SystemExit, match="missing"):
        push.push(bad, "someone/bad")
    with pytest.raises(SystemExit):
        push.main([])


def test_repo_without_safetensors_is_refused(hub: HubStub, tmp_path: Path) -> None:
    from huggingface_hub import HfApi

    ImaginationModel(ImaginationModel().config).save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").rename(tmp_path / "m" / "pytorch_model.bin")
    HfApi().create_repo("someone/pickled", exist_ok=True)
    HfApi().upload_folder(folder_path=tmp_path / "m", repo_id="someone/pickled")
    with pytest.raises(CheckpointError, match="safetensors"):
        ImaginationModel.from_pretrained("someone/pickled")


def test_repo_that_is_not_an_imagination_model(hub: HubStub, tmp_path: Path) -> None:
    from huggingface_hub import HfApi

    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    HfApi().create_repo("someone/bert", exist_ok=True)
    HfApi().upload_folder(folder_path=tmp_path / "x", repo_id="someone/bert")
    with pytest.raises(CheckpointError, match="imagination"):
        ImaginationModel.from_pretrained("someone/bert")
