"""Publishing: a checkpoint folder goes to the (local stand-in) Hub, to any organisation, checked and registered."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from conftest import TINY_TRAIN
from hub_stub import HubStub
from huggingface_hub import HfApi, ModelCard, constants, hf_hub_download, snapshot_download

from imagination import CheckpointError, ImaginationModel, life, registry, zoo
from imagination import cards as icards
from imagination.loading import revisions
from imagination.provenance import STAGES
from training import push, registration, train

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def own_zoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every push here registers into a test's own registry, never the repository's zoo/index.json."""
    zoo_dir = tmp_path / "zoo"
    zoo_dir.mkdir()
    monkeypatch.setenv("IMAGINATION_ZOO", str(zoo_dir))
    yield zoo_dir


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
    for name in ("config.json", "model.safetensors", "eval.json", "train_config.json", "log.jsonl", icards.PICTURE):
        got = hf_hub_download("imagination-zoo/tiny-ae", name)
        assert Path(got).read_bytes() == (folder / name).read_bytes(), name
    # the card is the folder's, rewritten for the repo it went to; it shows its picture from the repo
    uploaded = Path(hf_hub_download("imagination-zoo/tiny-ae", "README.md")).read_text()
    assert uploaded == icards.build_card(folder, "tiny-ae", "imagination-zoo/tiny-ae").content
    assert f"]({icards.PICTURE})" in uploaded
    assert 'from_pretrained("imagination-zoo/tiny-ae")' in uploaded
    assert 'from_pretrained("./tiny-ae")' in (folder / "README.md").read_text()  # the folder's own is unchanged
    # registered: the repo and the commit it was pushed at
    e = zoo.entry("tiny-ae")
    assert (e.repo_id, e.revision, e.pushed, e.bundled) == (
        "imagination-zoo/tiny-ae",
        hub.head("imagination-zoo/tiny-ae"),
        True,
        False,
    )
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


def _tampered(folder: Path, dest: Path, metric: str, value: float) -> Path:
    """A copy of the folder whose card claims ``metric = value`` (everything else as generated)."""
    shutil.copytree(folder, dest)
    card = ModelCard.load(dest / "README.md")
    for r in card.data.eval_results:
        if r.metric_type == metric:
            r.metric_value = value
    ModelCard(f"---\n{card.data.to_yaml()}\n---\n{card.text}").save(dest / "README.md")
    return dest


@pytest.mark.parametrize("metric", ["final_error", "accuracy_step_1", "interpretability"])
def test_a_card_that_disagrees_with_eval_json_is_refused(
    hub: HubStub, folder: Path, tmp_path: Path, metric: str
) -> None:
    """Every score of the model-index is checked, not only interpretability."""
    bad = _tampered(folder, tmp_path / "bad", metric, 0.9)
    repo = f"someone/tampered-{metric.replace('_', '-')}"
    with pytest.raises(SystemExit, match=f"{metric} = 0.9"):
        push.push(bad, repo)
    with pytest.raises(KeyError):  # refused before the repo was even created
        hub.commits(repo)
    assert zoo.names() == []  # nothing registered


def test_registry_scores_that_disagree_are_refused(hub: HubStub, folder: Path, own_zoo: Path) -> None:
    shutil.copytree(folder, own_zoo / "tiny")
    entry = registration.record(own_zoo / "tiny", "tiny", "someone/tiny", bundled=True)
    registration.register({**entry, "task_error": entry["task_error"] / 2})
    with pytest.raises(SystemExit, match="task_error"):
        push.push(own_zoo / "tiny", "someone/tiny")
    registration.register(entry)
    push.push(own_zoo / "tiny", "someone/tiny")
    assert zoo.entry("tiny").pushed


def test_a_bundled_name_is_not_taken_by_another_folder(hub: HubStub, folder: Path, own_zoo: Path) -> None:
    shutil.copytree(folder, own_zoo / "tiny-ae")
    registration.register(registration.record(own_zoo / "tiny-ae", "tiny-ae", "imagination-zoo/tiny-ae", bundled=True))
    with pytest.raises(SystemExit, match="bundled zoo entry"):
        push.push(folder, "someone/tiny-ae")
    push.push(folder, "someone/tiny-ae", name="my-tiny-ae")
    assert zoo.entry("my-tiny-ae").repo_id == "someone/tiny-ae"
    before = registry.read()
    push.push(folder, "someone/unregistered", register=False)  # nothing registered: no name is taken
    assert registry.read() == before


def test_push_all_to_an_org_rewrites_every_card_for_its_repo(hub: HubStub, folder: Path, own_zoo: Path) -> None:
    """--all --org: each card names its new repo, a derived entry's base_model the base's new repo."""
    shutil.copytree(folder, own_zoo / "base")
    registration.register(registration.record(own_zoo / "base", "base", "imagination-zoo/base", bundled=True))
    train.main(["--out", str(own_zoo / "adv"), *TINY_TRAIN, "--regime", "adversarial", "--init", str(own_zoo / "base")])
    registration.register(registration.record(own_zoo / "adv", "adv", "imagination-zoo/adv", bundled=True))
    push.main(["--all", "--org", "contrib"])
    for name in ("base", "adv"):
        repo = f"contrib/{name}"
        card = ModelCard.load(repo)
        assert f'from_pretrained("{repo}")' in card.content and "imagination-zoo" not in card.content
        assert icards.card_eval_metrics(card) == icards.card_eval_metrics(ModelCard.load(own_zoo / name / "README.md"))
        e = zoo.entry(name)
        assert (e.repo_id, e.revision, e.pushed, e.bundled) == (repo, hub.head(repo), True, True)
        # the bundled card now says what was uploaded
        assert (own_zoo / name / "README.md").read_text() == card.content
    adv = ModelCard.load("contrib/adv").data.to_dict()
    assert (adv["base_model"], adv["base_model_relation"]) == ("contrib/base", "finetune")
    assert "base_model" not in ModelCard.load("contrib/base").data.to_dict()


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


def test_index_keeps_every_registration_and_invents_no_repo(folder: Path, own_zoo: Path) -> None:
    """training.zoo index rewrites bundled scores but keeps repos, revisions, flags and contributors' entries."""
    from training import zoo as builder

    readme = (builder.ROOT / "README.md").read_bytes()
    shutil.copytree(folder, own_zoo / "a")
    shutil.copytree(folder, own_zoo / "gone")
    pushed = {"repo_id": "me/a", "revision": "1" * 40, "pushed": True}
    registration.register(
        {**registration.record(own_zoo / "a", "a", "me/a", bundled=True), **pushed, "interpretability": -1.0}
    )
    registration.register(registration.record(own_zoo / "gone", "gone", "imagination-zoo/gone", bundled=True))
    registration.register({**registration.record(folder, "theirs", "contrib/theirs", bundled=False), "pushed": True})
    shutil.rmtree(own_zoo / "gone")  # an unpushed bundled entry whose folder went: dropped
    builder.index()
    got = {e.name: e for e in zoo.list()}
    assert sorted(got) == ["a", "theirs"]
    assert (got["a"].repo_id, got["a"].revision, got["a"].pushed, got["a"].bundled) == ("me/a", "1" * 40, True, True)
    assert got["a"].interpretability == json.loads((folder / "eval.json").read_text())["interpretability"]
    assert (got["theirs"].repo_id, got["theirs"].bundled) == ("contrib/theirs", False)
    assert builder.space_models() == ["me/a", "contrib/theirs"]  # exactly the pushed ones
    assert (builder.ROOT / "README.md").read_bytes() == readme  # a test's zoo never writes the Space's README


def test_snapshots_become_branches_that_a_fresh_process_loads_by_revision(
    hub: HubStub, folder: Path, tmp_path: Path, own_zoo: Path
) -> None:
    """Each snapshot is a branch step<k> holding it alone, with its card; main keeps snapshots.json, no weights."""
    steps = revisions.snapshot_steps(folder)
    assert steps[:4] == [0, 1, 2, 3] and steps[-1] == 12  # the tiny run keeps its snapshots by default
    push.push(folder, "imagination-zoo/tiny-snaps", name="tiny-snaps")
    api = HfApi()
    branches = [b.name for b in api.list_repo_refs("imagination-zoo/tiny-snaps").branches]
    assert revisions.ordered(branches) == ["main", *(revisions.name(s) for s in steps)]
    main_files = api.model_info("imagination-zoo/tiny-snaps").siblings or []
    assert "snapshots.json" in {f.rfilename for f in main_files}
    assert not any(f.rfilename.startswith("snapshots/") for f in main_files)
    mid = revisions.name(steps[len(steps) // 2])
    files = sorted(f.rfilename for f in api.model_info("imagination-zoo/tiny-snaps", revision=mid).siblings or [])
    assert files == ["README.md", "config.json", "model.safetensors"]
    card = ModelCard.load(hf_hub_download("imagination-zoo/tiny-snaps", "README.md", revision=mid))
    assert f"tiny-snaps at training step {mid[4:]}" in card.text and f'revision="{mid}"' in card.text
    assert card.data.library_name == "imagination"
    # registered, not bundled: its revisions are the repo's branches, and its name loads them too
    assert zoo.revisions("tiny-snaps") == ["main", *(revisions.name(s) for s in steps)]
    by_name = ImaginationModel.from_pretrained("tiny-snaps", revision=mid).state_dict()
    local_mid = ImaginationModel.from_pretrained(folder, revision=mid).state_dict()
    assert all(torch.equal(v, local_mid[k]) for k, v in by_name.items())
    script = (
        "import sys, hashlib\n"
        "from imagination import ImaginationModel\n"
        "m = ImaginationModel.from_pretrained(sys.argv[1], revision=sys.argv[2])\n"
        "print(hashlib.sha256(b''.join(v.numpy().tobytes() for v in m.state_dict().values())).hexdigest())\n"
    )
    env = {**os.environ, "HF_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, "imagination-zoo/tiny-snaps", mid],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    local = ImaginationModel.from_pretrained(folder / revisions.FOLDER / mid)
    want = hashlib.sha256(b"".join(v.numpy().tobytes() for v in local.state_dict().values())).hexdigest()
    assert done.stdout.strip().splitlines()[-1] == want
    assert hub.unhandled == []


def test_a_stage_becomes_a_branch_named_after_it_that_loads_by_name_and_by_repo(
    hub: HubStub, folder: Path, tmp_path: Path
) -> None:
    """A stage (stages/<name>: the run a checkpoint continued) is a branch of that name holding its whole folder, its
    card rewritten to load that branch; main carries no stage; the stage's own name says where it went."""
    staged = tmp_path / "tiny-staged"
    shutil.copytree(folder, staged, ignore=shutil.ignore_patterns(revisions.FOLDER, revisions.SCORES))
    early = staged / STAGES / "tiny-early"
    shutil.copytree(folder, early, ignore=shutil.ignore_patterns(revisions.FOLDER, revisions.SCORES))
    icards.write_card(early, name="tiny-early")
    assert revisions.in_folder(staged) == ["main", "tiny-early"]
    assert 'from_pretrained("./tiny-staged", revision="tiny-early")' in (early / "README.md").read_text()
    push.push(staged, "org/tiny-staged", name="tiny-staged")
    api = HfApi()
    assert revisions.ordered([b.name for b in api.list_repo_refs("org/tiny-staged").branches]) == ["main", "tiny-early"]
    assert not any(f.rfilename.startswith(f"{STAGES}/") for f in api.model_info("org/tiny-staged").siblings or [])
    files = sorted(f.rfilename for f in api.model_info("org/tiny-staged", revision="tiny-early").siblings or [])
    assert files == sorted(p.name for p in early.iterdir())
    card = Path(hf_hub_download("org/tiny-staged", "README.md", revision="tiny-early")).read_text()
    assert 'from_pretrained("org/tiny-staged", revision="tiny-early")' in card
    assert "an earlier revision of `tiny-staged`" in card
    assert zoo.entry("tiny-staged").stages == ["tiny-early"]
    want = ImaginationModel.from_pretrained(staged, revision="tiny-early").state_dict()
    for source in ("org/tiny-staged", "tiny-staged"):  # the repo id, and the registered name with its stage
        got = ImaginationModel.from_pretrained(source, revision="tiny-early").state_dict()
        assert all(torch.equal(v, want[k]) for k, v in got.items())
    with pytest.raises(CheckpointError, match="from_pretrained\\('tiny-staged', revision='tiny-early'\\)"):
        ImaginationModel.from_pretrained("tiny-early")
    scores = json.loads((early / "eval.json").read_text())
    (early / "eval.json").write_text(json.dumps({**scores, "interpretability": 0.5}))  # the card no longer matches
    with pytest.raises(SystemExit, match="its stage tiny-early's card does not match"):
        push.check_folder(staged, "tiny-staged")
    assert hub.unhandled == []


def test_a_folder_whose_snapshot_scores_do_not_match_its_snapshots_is_refused(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tiny-ae"
    shutil.copytree(folder, copy)
    shutil.rmtree(copy / revisions.FOLDER / "step1")
    with pytest.raises(SystemExit, match="snapshots.json scores steps"):
        push.check_folder(copy, "tiny-copy")
