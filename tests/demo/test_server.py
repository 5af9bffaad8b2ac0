"""imagination.demo.server: names, per-checkpoint loading, public messages; no web framework involved."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from imagination import CheckpointError, zoo
from imagination.demo.server import Checkpoints, is_loopback, redact, regimes_of, showcase
from imagination.errors import Offline


@pytest.fixture(scope="module")
def bundled() -> str:
    names = zoo.names()
    if not names:
        pytest.skip("the bundled zoo is empty")
    return names[0]


def test_a_stalled_hub_fetch_does_not_hold_up_a_bundled_checkpoint(bundled: str, monkeypatch) -> None:
    import huggingface_hub

    started, release = threading.Event(), threading.Event()

    def stalled(*args, **kwargs):  # the Hub unreachable, retrying for ever
        started.set()
        release.wait(30)
        raise OSError("no network")

    # every way the loader reaches the Hub: its metadata call first, then downloads (or the cache)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", stalled)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", stalled)
    ckpts = Checkpoints(offline=False)
    errors: list[BaseException] = []

    def slow() -> None:
        try:
            ckpts.load("some-org/stalled-repo")
        except CheckpointError as e:
            errors.append(e)

    t = threading.Thread(target=slow)
    t.start()
    assert started.wait(10)
    t0 = time.monotonic()
    key, model = ckpts.load(bundled)
    elapsed = time.monotonic() - t0
    release.set()
    t.join(10)
    assert elapsed < 2.0, f"a bundled load waited {elapsed:.1f} s behind a stalled Hub fetch"
    assert Path(key).name == bundled and model is not None
    assert errors and isinstance(errors[0], Offline) and "could not be reached" in str(errors[0])


def test_one_load_per_checkpoint_however_many_ask(bundled: str, monkeypatch) -> None:
    from imagination.demo import server as mod

    calls: list[str] = []
    real = mod.ImaginationModel.from_pretrained

    def counting(key, **kwargs):
        calls.append(key)
        time.sleep(0.2)
        return real(key, **kwargs)

    monkeypatch.setattr(mod.ImaginationModel, "from_pretrained", counting)
    ckpts = Checkpoints()
    models: list[object] = []
    threads = [threading.Thread(target=lambda: models.append(ckpts.load(bundled)[1])) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1 and len({id(m) for m in models}) == 1


def test_the_cache_is_bounded() -> None:
    names = zoo.names()[:3]
    if len(names) < 3:
        pytest.skip("needs three zoo checkpoints")
    ckpts = Checkpoints(cache_size=2)
    for n in names:
        ckpts.load(n)
    assert len(ckpts._models) == 2 and ckpts.cached(ckpts.resolve(names[0])) is None


def test_folders_only_when_asked_for(bundled: str, tmp_path: Path) -> None:
    import shutil

    outside = tmp_path / "my-checkpoint"
    shutil.copytree(zoo.entry(bundled).path, outside)
    closed = Checkpoints(local_folders=False)
    for name in (str(outside), "/etc", "./nothing/here", "~/x"):
        with pytest.raises(CheckpointError, match="not folders"):
            closed.resolve(name)
    assert Path(closed.resolve(bundled)).name == bundled  # the zoo is always open
    open_ = Checkpoints(local_folders=True)
    key, _ = open_.load(str(outside))
    assert key == str(outside.resolve()) and open_.display_name(key) == "my-checkpoint"
    with pytest.raises(CheckpointError, match="no such folder"):
        open_.resolve("./nothing/here")


def test_messages_name_no_server_path(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    ckpts = Checkpoints(local_folders=True)
    with pytest.raises(CheckpointError) as e:
        ckpts.load(str(tmp_path))
    assert str(tmp_path) not in str(e.value) and "/tmp" not in str(e.value)
    assert redact(f"{tmp_path}/model.safetensors is bad") == "…/model.safetensors is bad"
    assert redact("rule B3/S23 for org/name") == "rule B3/S23 for org/name"  # not paths
    assert redact("see /srv/app/zoo/x", {"/srv/app/zoo/x": "x"}) == "see x"


@pytest.mark.parametrize("name", ["", "   ", "x" * 5000, "a\x00b", "0\n0", "a\tb", "no-such-checkpoint"])
def test_bad_names_are_one_line_messages(name: str) -> None:
    with pytest.raises(CheckpointError) as e:
        Checkpoints().resolve(name)
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 2000 and "x" * 100 not in msg


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


def test_showcase_and_regimes() -> None:
    entries = zoo.list()
    if not entries:
        pytest.skip("the bundled zoo is empty")
    name = showcase(entries)
    e = zoo.entry(name)
    assert e.regime in ("autoencoder", "adversarial") and e.interpretability > 0.999 and e.task == "board"
    picked = regimes_of(name, entries)
    regimes = [zoo.entry(n).regime for n in picked]
    assert regimes[:1] == ["baseline"] and "autoencoder" in regimes and len(picked) >= 2
    assert {zoo.entry(n).game_steps for n in picked} == {e.game_steps}


def test_a_registered_name_resolves_to_its_repo_at_its_revision(monkeypatch) -> None:
    from imagination import registry

    monkeypatch.setattr(
        registry,
        "read",
        lambda path=None: [{"name": "their-variant", "repo_id": "their-org/variant", "revision": "a" * 40}],
    )
    ckpts = Checkpoints()
    key = ckpts.resolve("their-variant")
    assert key == f"their-org/variant@{'a' * 40}" and ckpts.display_name(key) == "their-variant"
    with pytest.raises(CheckpointError, match="not a zoo checkpoint"):
        ckpts.resolve("nobody-registered-this")
