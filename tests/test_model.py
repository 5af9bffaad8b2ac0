"""The model: shapes, weight tying, and safe, strict save/load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from imagination import CheckpointError, ImaginationModel, ModelConfig, errors, life


def tiny(**kw: object) -> ModelConfig:
    return ModelConfig(**{"channels": 4, "core_hidden": 8, **kw})  # type: ignore[arg-type]


def test_forward_returns_every_hidden_state() -> None:
    model = ImaginationModel(tiny(model_steps=3))
    ep = life.sample_episodes(5, 3, 10, seed=0)
    hidden = model(ep[:, 0])
    assert hidden.shape == (5, 4, 4, 10, 10)
    decoded = model.decode_all(hidden)
    assert decoded.shape == (5, 4, 10, 10)
    assert ((decoded >= 0) & (decoded <= 1)).all()
    assert model(ep[:, 0], steps=7).shape[1] == 8  # a tied core runs past its training


def test_tied_core_has_one_block_untied_one_per_step() -> None:
    assert len(ImaginationModel(tiny(model_steps=4)).core) == 1
    untied = ImaginationModel(tiny(model_steps=4, tied=False))
    assert len(untied.core) == 4
    with pytest.raises(ValueError, match="untied"):
        untied(torch.zeros(1, 6, 6), steps=5)


def test_plain_core_follows_method() -> None:
    model = ImaginationModel(tiny(core_hidden=0, core_layers=3, decoder_layers=2, decoder_kernel=3))
    convs = [m for m in model.core[0] if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3 and all(c.kernel_size == (3, 3) for c in convs)
    assert model(torch.zeros(2, 7, 7)).shape == (2, 4, 4, 7, 7)


def test_residual_step() -> None:
    model = ImaginationModel(tiny())
    h = model.encode(torch.ones(1, 5, 5))
    assert torch.allclose(model.core_step(h, 0), h + model.core[0](h))


def test_a_bounded_state_is_tanh_of_the_residual_sum_at_every_step() -> None:
    torch.manual_seed(0)
    plain = ImaginationModel(tiny())
    bounded = ImaginationModel(tiny(state_act="tanh"))
    bounded.load_state_dict(plain.state_dict())  # the same weights: only what each state passes through differs
    board = (torch.rand(1, 6, 6) > 0.5).float()
    h0 = bounded.encode(board)
    assert torch.allclose(h0, torch.tanh(plain.encode(board)))
    assert torch.allclose(bounded.core_step(h0, 0), torch.tanh(h0 + plain.core[0](h0)))
    far = bounded(board, steps=200)  # however long it runs, no state leaves (-1, 1)
    assert far.abs().max() <= 1 and plain(board, steps=200).abs().max() > 1


@pytest.mark.parametrize(
    "task, size, shape", [("count", 2, (1, 1)), ("patch", 2, (10, 10)), ("patch", 10, (10, 10)), ("grid", 5, (2, 2))]
)
def test_summary_head_shapes(task: str, size: int, shape: tuple[int, int]) -> None:
    model = ImaginationModel(tiny(task=task, task_size=size))
    out = model.summarize(model(torch.zeros(3, 10, 10)))
    assert out.shape == (3, 4, *shape)


def test_save_load_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = ImaginationModel(
        tiny(environment={"name": "life", "rule": "B36/S23"}, game_steps=4, model_steps=4, trained_steps=[0, 4])
    )
    model.save_pretrained(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["README.md", "config.json", "model.safetensors"]
    loaded = ImaginationModel.from_pretrained(tmp_path / "m")
    assert loaded.config == model.config
    x = life.random_boards(4, 12, 0.4, torch.Generator().manual_seed(0))
    model.eval()
    assert torch.equal(model(x), loaded(x))
    assert json.loads((tmp_path / "m" / "config.json").read_text())["environment"]["rule"] == "B36/S23"


def test_missing_or_extra_key_fails_loudly(tmp_path: Path) -> None:
    model = ImaginationModel(tiny())
    model.save_pretrained(tmp_path / "m")
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    missing = dict(sd)
    missing.pop("decoder.0.bias")
    save_file(missing, str(tmp_path / "m" / "model.safetensors"))
    with pytest.raises(CheckpointError, match="missing.*decoder.0.bias"):
        ImaginationModel.from_pretrained(tmp_path / "m")
    extra = dict(sd, **{"decoder.9.weight": torch.zeros(1)})
    save_file(extra, str(tmp_path / "m" / "model.safetensors"))
    with pytest.raises(CheckpointError, match="unexpected.*decoder.9.weight"):
        ImaginationModel.from_pretrained(tmp_path / "m")


def test_wrong_shape_fails(tmp_path: Path) -> None:
    ImaginationModel(tiny(channels=6)).save_pretrained(tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    cfg["channels"] = 4
    (tmp_path / "m" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(errors.WeightsMismatch, match="wrong shape"):  # never torch's RuntimeError
        ImaginationModel.from_pretrained(tmp_path / "m")


def test_pickle_file_is_refused_and_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = ImaginationModel(tiny())
    model.save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").unlink()
    torch.save(model.state_dict(), tmp_path / "m" / "pytorch_model.bin")

    def no_unpickling(*a: object, **k: object) -> None:
        raise AssertionError("torch.load must never be called")

    monkeypatch.setattr(torch, "load", no_unpickling)
    with pytest.raises(CheckpointError, match="pickle"):
        ImaginationModel.from_pretrained(tmp_path / "m")


def test_pickle_renamed_to_safetensors_is_refused(tmp_path: Path) -> None:
    model = ImaginationModel(tiny())
    model.save_pretrained(tmp_path / "m")
    torch.save(model.state_dict(), tmp_path / "m" / "model.safetensors")
    with pytest.raises(CheckpointError, match="not a valid safetensors"):
        ImaginationModel.from_pretrained(tmp_path / "m")


def test_folder_that_is_not_an_imagination_model(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config.json").write_text(json.dumps({"hidden_size": 3}))
    with pytest.raises(CheckpointError, match="imagination"):
        ImaginationModel.from_pretrained(tmp_path / "other")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="imagination"):
        ImaginationModel.from_pretrained(tmp_path / "empty")


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="task"):
        ModelConfig(task="nonsense")
    with pytest.raises(CheckpointError, match="keys"):
        ModelConfig.from_dict({"channels": 3, "bogus": 1})
    with pytest.raises(errors.InvalidConfig, match="channels must be int"):
        ModelConfig.from_dict({"channels": "3"})
    assert ModelConfig.from_dict({"channels": 3}) == ModelConfig(channels=3)  # code may leave fields at defaults
