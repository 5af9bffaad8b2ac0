"""Loading checkpoints: every failure is a CheckpointError naming its cause, configs cannot silently
change a model, keyword arguments override or are refused, and the Hub is asked once.

Hub cases run against tests/hub_stub.py (the `hub` fixture) or a tiny refusing server below; an
unreachable Hub is a closed local port.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import torch
from hub_stub import HubStub
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

import imagination
from imagination import CheckpointError, ImaginationModel, ModelConfig, errors, life, registry
from imagination import model as model_module
from imagination.config import FORMAT_VERSION
from imagination.loading import resolve

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "zoo"
CAUSES = [
    errors.Offline,
    errors.RepoNotFound,
    errors.RevisionNotFound,
    errors.AccessDenied,
    errors.NotAnImaginationModel,
    errors.UnsafeWeights,
    errors.CorruptWeights,
    errors.WeightsMismatch,
    errors.InvalidConfig,
    errors.InvalidArgument,
]


def tiny(**kw: Any) -> ModelConfig:
    return ModelConfig(**{"channels": 4, "core_hidden": 8, **kw})


def write_checkpoint(folder: Path, cfg: ModelConfig | None = None, seed: int = 0) -> ImaginationModel:
    """config.json + model.safetensors only (what the loader reads), without going through a card."""
    torch.manual_seed(seed)
    model = ImaginationModel(cfg or tiny())
    folder.mkdir(parents=True, exist_ok=True)
    model._save_pretrained(folder)
    return model


def upload(folder: Path, repo_id: str) -> str:
    api = HfApi()
    api.create_repo(repo_id, exist_ok=True)
    return api.upload_folder(repo_id=repo_id, folder_path=folder).oid


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on exit: nothing listens there


def same_outputs(a: ImaginationModel, b: ImaginationModel) -> bool:
    x = life.random_boards(3, 10, 0.4, torch.Generator().manual_seed(1))
    return torch.equal(a(x), b(x))


# ---------------------------------------------------------------------------------------------
# The classes


def test_one_base_class_every_cause_distinct_and_documented() -> None:
    assert imagination.CheckpointError is model_module.CheckpointError is errors.CheckpointError
    assert issubclass(CheckpointError, ValueError)
    for cls in CAUSES:
        assert issubclass(cls, CheckpointError) and cls.__doc__, cls
        assert cls.__name__ in errors.__doc__, f"{cls.__name__} missing from the table in errors.py"
        assert [c for c in CAUSES if issubclass(cls, c)] == [cls], f"{cls.__name__} is a kind of another cause"
    assert issubclass(errors.InvalidArgument, TypeError)  # an unknown keyword is also what Python calls it


# ---------------------------------------------------------------------------------------------
# Local folders: config.json and weights


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    write_checkpoint(tmp_path / "m")
    return tmp_path / "m"


def set_config(folder: Path, data: Any) -> None:
    (folder / "config.json").write_text(data if isinstance(data, str) else json.dumps(data))


def test_config_records_format_and_library_version(folder: Path) -> None:
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["format_version"] == FORMAT_VERSION == 4
    assert cfg["imagination_version"] == imagination.__version__
    assert ImaginationModel.from_pretrained(folder).config == tiny()


def test_save_pretrained_writes_the_current_format(tmp_path: Path) -> None:
    ImaginationModel(tiny()).save_pretrained(tmp_path / "s")
    assert json.loads((tmp_path / "s" / "config.json").read_text()) == tiny().to_json()


def test_every_bundled_config_is_the_current_format() -> None:
    for path in sorted(ZOO.glob("*/config.json")):
        data = json.loads(path.read_text())
        assert data["format_version"] == FORMAT_VERSION and isinstance(data["imagination_version"], str), path
        assert data == ModelConfig.from_json(data).to_json() | {"imagination_version": data["imagination_version"]}


def test_a_format_1_config_still_loads(tmp_path: Path) -> None:
    """Format 1 (the first release) had every field and no version keys; it is upgraded, not guessed."""
    src = ZOO / "gol3-autoencoder"
    old = tmp_path / "old"
    old.mkdir()
    (old / "model.safetensors").write_bytes((src / "model.safetensors").read_bytes())
    v3 = json.loads((src / "config.json").read_text())
    v1 = {k: v for k, v in v3.items() if not k.endswith("_version") and k not in ("environment", "recall", "state_act")}
    v1 |= {"rule": v3["environment"]["rule"], "wrap": v3["environment"]["wrap"]}  # format 1 assumed Life
    set_config(old, v1)
    loaded = ImaginationModel.from_pretrained(old)
    bundled = ImaginationModel.from_pretrained("gol3-autoencoder")
    assert loaded.config == bundled.config and same_outputs(loaded, bundled)
    # ... but a format-1 file that misses a field is refused like any other
    set_config(old, {k: v for k, v in v1.items() if k != "output"})
    with pytest.raises(errors.InvalidConfig, match="'output' \\(str\\)"):
        ImaginationModel.from_pretrained(old)


def test_a_format_2_config_still_loads_as_the_life_environment(tmp_path: Path) -> None:
    """Format 2 named no environment: its ``rule`` and ``wrap`` are Life's, and it has no input recall."""
    src = ZOO / "highlife3-autoencoder-long"
    old = tmp_path / "old"
    old.mkdir()
    (old / "model.safetensors").write_bytes((src / "model.safetensors").read_bytes())
    v3 = json.loads((src / "config.json").read_text())
    v2 = {k: v for k, v in v3.items() if k not in ("environment", "recall", "state_act")}
    v2 |= {"format_version": 2, "imagination_version": "0.1.0", "rule": "B36/S23", "wrap": False}
    set_config(old, v2)
    loaded = ImaginationModel.from_pretrained(old)
    assert loaded.config.environment == {"name": "life", "rule": "B36/S23", "wrap": False}
    assert loaded.config == ImaginationModel.from_pretrained("highlife3-autoencoder-long").config
    assert not loaded.config.recall and loaded.config.rule == "B36/S23"
    set_config(old, {**v2, "wrap": "yes"})
    with pytest.raises(errors.InvalidConfig, match="wrap must be true or false"):
        ImaginationModel.from_pretrained(old)
    set_config(old, {**v2, "environment": {"name": "life"}})  # format 2 had no such key
    with pytest.raises(errors.InvalidConfig, match="keys this version does not know"):
        ImaginationModel.from_pretrained(old)


def test_a_format_3_config_still_loads_with_plain_states(tmp_path: Path) -> None:
    """Format 3 had no ``state_act``: every state was the plain residual sum, as "none" keeps it."""
    src = ZOO / "gol3-autoencoder"
    old = tmp_path / "old"
    old.mkdir()
    (old / "model.safetensors").write_bytes((src / "model.safetensors").read_bytes())
    v3 = {k: v for k, v in json.loads((src / "config.json").read_text()).items() if k != "state_act"}
    set_config(old, {**v3, "format_version": 3})
    loaded = ImaginationModel.from_pretrained(old)
    bundled = ImaginationModel.from_pretrained("gol3-autoencoder")
    assert loaded.config == bundled.config and loaded.config.state_act == "none" and same_outputs(loaded, bundled)
    set_config(old, {**v3, "format_version": 3, "state_act": "tanh"})  # format 3 had no such key
    with pytest.raises(errors.InvalidConfig, match="keys this version does not know"):
        ImaginationModel.from_pretrained(old)
    set_config(old, {**v3, "format_version": 4, "state_act": "sigmoid"})
    with pytest.raises(errors.InvalidConfig, match="state_act must be one of"):
        ImaginationModel.from_pretrained(old)


def test_rule_and_wrap_keywords_still_override_the_life_environment() -> None:
    model = ImaginationModel.from_pretrained("gol3-autoencoder", rule="B36/S23")
    assert model.config.environment == {"name": "life", "rule": "B36/S23", "wrap": False}


def test_a_config_of_only_model_type_no_longer_switches_the_output(tmp_path: Path) -> None:
    """The issue's case: gol3-autoencoder's weights with {"model_type": "imagination"} loaded as a logit model."""
    m = tmp_path / "m"
    m.mkdir()
    (m / "model.safetensors").write_bytes((ZOO / "gol3-autoencoder" / "model.safetensors").read_bytes())
    set_config(m, {"model_type": "imagination"})
    with pytest.raises(errors.InvalidConfig, match="missing 'channels' \\(int\\).*'output' \\(str\\)"):
        ImaginationModel.from_pretrained(m)


@pytest.mark.parametrize(
    ("change", "cls", "message"),
    [
        ({"channels": "4"}, errors.InvalidConfig, "channels must be int, got string '4'"),
        ({"tied": 1}, errors.InvalidConfig, "tied must be bool, got number 1"),
        ({"channels": True}, errors.InvalidConfig, "channels must be int, got boolean"),
        ({"trained_steps": [0, "3"]}, errors.InvalidConfig, "trained_steps must be list\\[int\\]"),
        ({"negative_slope": None}, errors.InvalidConfig, "negative_slope must be float, got null"),
        ({"output": "probability"}, errors.InvalidConfig, "output must be 'logit' or 'value'"),
        ({"channels": 10**9}, errors.InvalidConfig, "channels must be between 1 and 1024"),
        (
            {"environment": {"name": "life", "rule": "B9/S9", "wrap": False}},
            errors.InvalidConfig,
            "not a Life-like rule",
        ),
        ({"environment": {"name": "chess"}}, errors.InvalidConfig, "no environment named 'chess'; known: life"),
        ({"environment": {"name": "life", "colour": 1}}, errors.InvalidConfig, "environment 'life'.*colour"),
        ({"environment": "life"}, errors.InvalidConfig, "environment must be dict"),
        ({"rule": "B3/S23"}, errors.InvalidConfig, "keys this version does not know: \\['rule'\\]"),
        ({"trained_steps": [0, 9]}, errors.InvalidConfig, "trained_steps must lie in 0..model_steps"),
        ({"bogus": 1}, errors.InvalidConfig, "keys this version does not know: \\['bogus'\\]"),
        ({"format_version": 99}, errors.InvalidConfig, "format 99.*pip install -U imagination"),
        ({"format_version": "2"}, errors.InvalidConfig, "format_version must be an int"),
        ({"imagination_version": 1}, errors.InvalidConfig, "imagination_version must be a str"),
        ({"model_type": "bert"}, errors.NotAnImaginationModel, "model_type 'bert'"),
    ],
)
def test_a_wrong_config_names_the_key_and_type(folder: Path, change: dict[str, Any], cls: type, message: str) -> None:
    data = {**json.loads((folder / "config.json").read_text()), **change}
    set_config(folder, data)
    with pytest.raises(cls, match=message):
        ImaginationModel.from_pretrained(folder)


def test_missing_version_key_of_format_2(folder: Path) -> None:
    data = json.loads((folder / "config.json").read_text())
    del data["imagination_version"]
    set_config(folder, data)
    with pytest.raises(errors.InvalidConfig, match="missing the key 'imagination_version'"):
        ImaginationModel.from_pretrained(folder)


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "not readable JSON"), ("[1, 2]", "JSON object, got a JSON array"), ('"x"', "got a JSON string")],
)
def test_config_that_is_not_a_json_object(folder: Path, text: str, message: str) -> None:
    set_config(folder, text)
    with pytest.raises(errors.InvalidConfig, match=message) as e:
        ImaginationModel.from_pretrained(folder)
    assert not isinstance(e.value, json.JSONDecodeError)
    (folder / "config.json").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(errors.InvalidConfig, match="not readable JSON"):
        ImaginationModel.from_pretrained(folder)


def test_folder_without_config_is_not_an_imagination_model(tmp_path: Path) -> None:
    with pytest.raises(errors.NotAnImaginationModel, match="no imagination config.json"):
        ImaginationModel.from_pretrained(tmp_path)
    set_config(tmp_path, {"hidden_size": 3})
    with pytest.raises(errors.NotAnImaginationModel, match="no model_type"):
        ImaginationModel.from_pretrained(tmp_path)


def test_wrong_tensor_shape_is_a_mismatch_not_a_runtime_error(tmp_path: Path) -> None:
    write_checkpoint(tmp_path / "m", tiny(channels=6))
    data = json.loads((tmp_path / "m" / "config.json").read_text())
    set_config(tmp_path / "m", {**data, "channels": 4})
    with pytest.raises(
        errors.WeightsMismatch, match="core.0.0.weight \\(8, 6, 3, 3\\) in the file vs \\(8, 4, 3, 3\\)"
    ):
        ImaginationModel.from_pretrained(tmp_path / "m")


def test_non_float_weights_are_a_mismatch(folder: Path) -> None:
    model = ImaginationModel.from_pretrained(folder)
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    sd["decoder.0.bias"] = torch.zeros(1, dtype=torch.int64)
    save_file(sd, str(folder / "model.safetensors"))
    with pytest.raises(errors.WeightsMismatch, match="decoder.0.bias has dtype I64"):
        ImaginationModel.from_pretrained(folder)


def test_corrupt_and_missing_weights(folder: Path) -> None:
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(errors.CorruptWeights, match="not a valid safetensors file") as e:
        ImaginationModel.from_pretrained(folder)
    assert e.value.__cause__ is not None
    (folder / "model.safetensors").unlink()
    with pytest.raises(errors.CorruptWeights, match="no model.safetensors"):
        ImaginationModel.from_pretrained(folder)


def test_pickle_only_is_unsafe_and_never_opened(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")

    def no_unpickling(*a: object, **k: object) -> None:
        raise AssertionError("torch.load must never be called")

    monkeypatch.setattr(torch, "load", no_unpickling)
    with pytest.raises(errors.UnsafeWeights, match="pytorch_model.bin, a pickle; it is never opened"):
        ImaginationModel.from_pretrained(folder)


# ---------------------------------------------------------------------------------------------
# Arbitrary config.json contents


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
VALID = tiny().to_json()
KEYS = sorted(VALID) + ["bogus", ""]


@st.composite
def key_sets(draw: st.DrawFn) -> dict[str, Any]:
    """A valid config with arbitrary keys dropped and arbitrary keys set to arbitrary values."""
    data = {k: v for k, v in VALID.items() if k not in draw(st.sets(st.sampled_from(sorted(VALID)), max_size=4))}
    values = JSON | st.integers(-3, 5000) | st.sampled_from(["logit", "value", "board", "count", "B36/S23", "x"])
    data.update(draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=4)))
    return data


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz") / "m"
    write_checkpoint(folder)
    return folder


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.one_of(JSON.map(json.dumps), key_sets().map(json.dumps), st.binary(max_size=80)))
def test_any_config_json_loads_or_raises_a_checkpoint_error(fuzz_folder: Path, content: str | bytes) -> None:
    path = fuzz_folder / "config.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    try:
        model = ImaginationModel.from_pretrained(fuzz_folder)
    except CheckpointError as e:
        assert type(e) is not CheckpointError and str(e), "a cause is always named"
    else:  # only a config these weights fit can load, and then it says exactly what it holds
        data = json.loads(content)
        assert model.config == ModelConfig.from_json(data)


@settings(max_examples=100, deadline=None)
@given(overrides=st.dictionaries(st.sampled_from(KEYS[:-2] + ["strict", "config", "revision"]), JSON, max_size=3))
def test_any_keyword_arguments_load_or_raise_a_checkpoint_error(fuzz_folder: Path, overrides: dict[str, Any]) -> None:
    write_checkpoint(fuzz_folder)
    with contextlib.suppress(CheckpointError):
        ImaginationModel.from_pretrained(fuzz_folder, **overrides)


# ---------------------------------------------------------------------------------------------
# Keyword arguments


def test_config_fields_override_as_in_transformers() -> None:
    bundled = ImaginationModel.from_pretrained("gol3-autoencoder")
    assert bundled.config.output == "value"
    as_logits = ImaginationModel.from_pretrained("gol3-autoencoder", output="logit")
    assert as_logits.config.output == "logit" and as_logits.config.channels == bundled.config.channels
    with pytest.raises(errors.WeightsMismatch, match="from_pretrained\\(channels=8\\) changed the architecture"):
        ImaginationModel.from_pretrained("gol3-autoencoder", channels=8)
    with pytest.raises(errors.InvalidConfig, match="keyword argument: channels must be int, got string"):
        ImaginationModel.from_pretrained("gol3-autoencoder", channels="8")


def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(errors.InvalidArgument, match="unknown keyword arguments \\['chanels'\\]"):
        ImaginationModel.from_pretrained("gol3-autoencoder", chanels=8)
    with pytest.raises(TypeError):  # InvalidArgument is a TypeError too
        ImaginationModel.from_pretrained("gol3-autoencoder", proxies={})
    with pytest.raises(errors.InvalidArgument, match="strict=False is not supported"):
        ImaginationModel.from_pretrained("gol3-autoencoder", strict=False)


def test_revision_with_a_zoo_name_or_folder_is_refused() -> None:
    with pytest.raises(errors.InvalidArgument, match="from_pretrained\\('imagination-zoo/gol3-autoencoder'"):
        ImaginationModel.from_pretrained("gol3-autoencoder", revision="nope")
    # "main" is the folder itself (tests/test_revisions.py); a folder without snapshots has no other revision
    with pytest.raises(errors.InvalidArgument, match="local folder, which has no revisions"):
        ImaginationModel.from_pretrained(ZOO / "gol4-autoencoder", revision="v2")


def test_unknown_bare_name_names_the_zoo_in_one_short_line() -> None:
    with pytest.raises(errors.RepoNotFound, match="not a zoo checkpoint \\(did you mean gol3-autoencoder") as typo:
        ImaginationModel.from_pretrained("gol3-autoencodr")
    with pytest.raises(errors.RepoNotFound, match="not a zoo checkpoint \\(gol2-baseline, .* and \\d+ more\\)") as far:
        ImaginationModel.from_pretrained("zzzz")
    for e in (typo.value, far.value):
        assert "\n" not in str(e) and len(str(e)) < 300, str(e)
    for name in ("x" * 5000, "a/" + "x" * 5000, "nul\x00name", "", "../zoo"):  # no raw OSError or ValueError
        with pytest.raises(CheckpointError):
            ImaginationModel.from_pretrained(name)


def test_zoo_dir_is_the_checkouts_zoo_unless_overridden(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "IMAGINATION_ZOO"}
    code = "from imagination import registry; print(registry.zoo_dir())"
    here = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert Path(here.stdout.strip()) == ZOO, here.stderr  # a source/editable checkout reads zoo/ in place
    env["IMAGINATION_ZOO"] = str(tmp_path)
    other = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert Path(other.stdout.strip()) == tmp_path, other.stderr
    assert resolve.resolve("gol3-autoencoder") == str(ZOO / "gol3-autoencoder")  # what the app keys its cache by
    assert resolve.resolve("someone/else") == "someone/else"


def test_zoo_names_load_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert registry.zoo_dir().is_absolute()
    assert ImaginationModel.from_pretrained("gol2-baseline").config.game_steps == 2


# ---------------------------------------------------------------------------------------------
# The Hub (the local stand-in)


@pytest.fixture(scope="module")
def pushed(hub: HubStub, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Repos on the stand-in: a good one with two commits, and every way a repo can be wrong."""
    root = tmp_path_factory.mktemp("loading-repos")
    good = root / "good"
    first_model = write_checkpoint(good, seed=0)
    first = upload(good, "loading/good")
    second_model = write_checkpoint(good, seed=1)
    second = upload(good, "loading/good")
    layouts = {
        "loading/pickle": {"config.json": json.dumps(VALID).encode(), "pytorch_model.bin": b"\x80\x04pickle"},
        "loading/bert": {"config.json": b'{"model_type": "bert"}', "model.safetensors": b"x"},
        "loading/no-config": {"README.md": b"# a readme\n"},
        "loading/corrupt": {"config.json": json.dumps(VALID).encode(), "model.safetensors": b"not safetensors"},
        "loading/bad-config": {"config.json": b"[1, 2, 3]", "model.safetensors": b"x"},
    }
    for repo, files in layouts.items():
        folder = root / repo.replace("/", "--")
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        upload(folder, repo)
    return {"first": first, "second": second, "first_model": first_model, "second_model": second_model}


@pytest.mark.parametrize(
    ("repo", "kwargs", "cls", "cause", "message"),
    [
        ("loading/missing", {}, errors.RepoNotFound, RepositoryNotFoundError, "no such model repo"),
        ("loading/good", {"revision": "nope"}, errors.RevisionNotFound, RevisionNotFoundError, "no revision 'nope'"),
        ("loading/no-config", {}, errors.NotAnImaginationModel, None, "no config.json; it is not an imagination"),
        ("loading/bert", {}, errors.NotAnImaginationModel, None, "model_type 'bert'"),
        ("loading/pickle", {}, errors.UnsafeWeights, None, "never pickles"),
        ("loading/corrupt", {}, errors.CorruptWeights, None, "not a valid safetensors file"),
        ("loading/bad-config", {}, errors.InvalidConfig, None, "got a JSON array"),
        ("not a repo!/x", {}, errors.RepoNotFound, None, "not a valid Hub repo id"),
    ],
)
def test_each_hub_failure_has_its_class(
    pushed: dict[str, Any], repo: str, kwargs: dict[str, Any], cls: type, cause: type | None, message: str
) -> None:
    with pytest.raises(cls, match=message) as e:
        ImaginationModel.from_pretrained(repo, **kwargs)
    if cause is not None:
        assert isinstance(e.value.__cause__, cause)


def test_revisions_load_what_they_name(pushed: dict[str, Any]) -> None:
    latest = ImaginationModel.from_pretrained("loading/good")
    at_first = ImaginationModel.from_pretrained("loading/good", revision=pushed["first"])
    assert same_outputs(latest, pushed["second_model"]) and same_outputs(at_first, pushed["first_model"])
    assert not same_outputs(latest, at_first)


def test_one_config_fetch_per_load(
    hub: HubStub, pushed: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    calls: list[str] = []
    real = huggingface_hub.hf_hub_download

    def spy(repo_id: str, filename: str, **kw: Any) -> str:
        calls.append(filename)
        return real(repo_id, filename, **kw)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", spy)

    def config_requests(since: int) -> list[str]:
        return [m for m, path in hub.requests[since:] if path.split("?")[0].endswith("/config.json")]

    before = hub.request_count
    ImaginationModel.from_pretrained("loading/good", cache_dir=tmp_path)  # a cold cache
    assert calls.count("config.json") == 1
    assert sorted(config_requests(before)) == ["GET", "HEAD"]  # one download: its metadata, then the bytes
    before = hub.request_count
    ImaginationModel.from_pretrained("loading/good", cache_dir=tmp_path, output="logit")  # warm
    assert calls.count("config.json") == 2
    assert config_requests(before) == ["HEAD"]
    weights = [p for _, p in hub.requests[before:] if "model.safetensors" in p]
    assert weights == []  # the weights come from the cache, by the commit config.json was read at
    assert hub.unhandled == []


def test_offline_not_cached_is_offline_not_not_an_imagination_model(
    pushed: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bug: LocalEntryNotFoundError is an EntryNotFoundError, and was reported as "not an imagination model"."""
    with pytest.raises(errors.Offline, match="local_files_only") as e:
        ImaginationModel.from_pretrained("loading/good", cache_dir=tmp_path, local_files_only=True)
    assert isinstance(e.value.__cause__, LocalEntryNotFoundError)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(errors.Offline, match="offline mode is on"):
        ImaginationModel.from_pretrained("loading/good", cache_dir=tmp_path)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    ImaginationModel.from_pretrained("loading/good", cache_dir=tmp_path)  # now cached ...
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    ImaginationModel.from_pretrained("loading/good", cache_dir=tmp_path)  # ... so it loads offline


def test_an_unreachable_hub_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    start = time.perf_counter()
    with pytest.raises(errors.Offline, match="could not be reached \\(ConnectError") as e:
        ImaginationModel.from_pretrained("someone/anything", cache_dir=tmp_path)
    elapsed = time.perf_counter() - start
    assert elapsed < 3, f"{elapsed:.1f} s: huggingface_hub's own retries take ~23 s"
    assert e.value.__cause__ is not None


def test_a_bundled_hub_id_falls_back_to_the_bundled_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    with pytest.warns(UserWarning, match="loading the bundled copy 'gol3-autoencoder'"):
        model = ImaginationModel.from_pretrained("imagination-zoo/gol3-autoencoder", cache_dir=tmp_path)
    assert same_outputs(model, ImaginationModel.from_pretrained("gol3-autoencoder"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.warns(UserWarning, match="offline mode is on"):
        ImaginationModel.from_pretrained("imagination-zoo/gol3-autoencoder", cache_dir=tmp_path, revision="main")
    with warnings.catch_warnings(), pytest.raises(errors.Offline):  # another revision is not the bundled copy
        warnings.simplefilter("error")
        ImaginationModel.from_pretrained("imagination-zoo/gol3-autoencoder", cache_dir=tmp_path, revision="v2")


class _Refusing(BaseHTTPRequestHandler):
    """Answers like the Hub for a gated repo, a forbidden one, and one while the Hub is down."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if "/gated" in self.path:
            status, headers = 403, {"X-Error-Code": "GatedRepo", "X-Error-Message": "Access to model is restricted"}
        elif "/forbidden" in self.path:
            status, headers = 403, {"X-Error-Message": "Forbidden"}
        else:
            status, headers = 503, {}
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def refusing(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(constants, "ENDPOINT", url)
    yield url
    server.shutdown()
    server.server_close()


def test_gated_forbidden_and_down(refusing: str, tmp_path: Path) -> None:
    with pytest.raises(errors.AccessDenied, match="gated repo: accept its terms") as e:
        ImaginationModel.from_pretrained("org/gated", cache_dir=tmp_path)
    assert isinstance(e.value.__cause__, GatedRepoError)
    with pytest.raises(errors.AccessDenied, match="HTTP 403") as e:
        ImaginationModel.from_pretrained("org/forbidden", cache_dir=tmp_path)
    assert isinstance(e.value.__cause__, HfHubHTTPError)
    with pytest.raises(errors.Offline, match="could not be reached \\(HfHubHTTPError"):
        ImaginationModel.from_pretrained("org/down", cache_dir=tmp_path)


# ---------------------------------------------------------------------------------------------
# The registry: a name that is not bundled loads from its repo at its revision


def test_a_registered_name_loads_its_repo_at_its_revision(
    pushed: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = [
        {"name": "contrib", "repo_id": "loading/good", "revision": pushed["first"]},
        {"name": "contrib-latest", "repo_id": "loading/good"},  # no revision key: an older registry
    ]
    (tmp_path / "index.json").write_text(json.dumps({"models": entries}))
    monkeypatch.setenv("IMAGINATION_ZOO", str(tmp_path))
    assert resolve.locate("contrib") == resolve.Source("hub", "loading/good", pushed["first"], name="contrib")
    assert same_outputs(ImaginationModel.from_pretrained("contrib"), pushed["first_model"])
    assert same_outputs(ImaginationModel.from_pretrained("contrib-latest"), pushed["second_model"])
    with pytest.raises(errors.InvalidArgument, match="from_pretrained\\('loading/good', revision='main'\\)"):
        ImaginationModel.from_pretrained("contrib", revision="main")
    assert same_outputs(ImaginationModel.from_pretrained("contrib", revision=pushed["first"]), pushed["first_model"])
    with pytest.raises(errors.InvalidArgument, match="registered without a revision \\(main\\)"):
        ImaginationModel.from_pretrained("contrib-latest", revision=pushed["first"])


# ---------------------------------------------------------------------------------------------
# Cards written by the mixin's save_pretrained / push_to_hub


def test_save_pretrained_and_push_to_hub_write_the_projects_card(hub: HubStub, tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download

    model = ImaginationModel(tiny())
    model.save_pretrained(tmp_path / "s", repo_id="someone/saved")
    card = (tmp_path / "s" / "README.md").read_text()
    assert "someone/saved" in card and "PytorchModelHubMixin" not in card
    model.push_to_hub("someone/card-push")
    pushed_card = Path(hf_hub_download("someone/card-push", "README.md")).read_text()
    assert 'from_pretrained("someone/card-push")' in pushed_card and "PytorchModelHubMixin" not in pushed_card
    assert same_outputs(ImaginationModel.from_pretrained("someone/card-push"), model)


@given(st.text(max_size=300), st.lists(st.text(min_size=1, max_size=40), max_size=200, unique=True))
def test_known_names_stay_one_short_line_at_any_zoo_size(name: str, names: list[str]) -> None:
    from imagination.loading.resolve import known_names

    line = known_names(name, names)
    assert line  # never an empty pair of brackets
    if not names:
        assert line == "the zoo is empty"
    elif len(names) > 5 and not line.startswith("did you mean"):
        assert line.endswith(f" and {len(names) - 5} more")
    # at most five names shown, so the line is bounded by the names' own lengths
    assert len(line) <= 5 * 42 + 40
