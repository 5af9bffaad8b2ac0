"""The local Hub stand-in (tests/hub_stub.py) against the real huggingface_hub client, all offline."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import HUB_PORT
from hub_stub import HubStub, git_blob_sha1
from huggingface_hub import (
    HfApi,
    ModelCard,
    constants,
    create_repo,
    hf_hub_download,
    snapshot_download,
    upload_folder,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

README = """---
license: apache-2.0
tags:
- game-of-life
---

# Demo

A checkpoint served by the local Hub stub.
"""


def _write_folder(folder: Path, blob_size: int = 100_000, seed: bytes = b"") -> dict[str, bytes]:
    files = {
        "README.md": README.encode(),
        "config.json": b'{"hidden": 32, "steps": 4}',
        "weights/model.bin": os.urandom(blob_size) + seed,
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return files


@pytest.fixture(scope="module")
def demo(hub: HubStub, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], str]:
    """org/demo with one upload: (file contents, commit sha)."""
    folder = tmp_path_factory.mktemp("demo")
    files = _write_folder(folder)
    create_repo("org/demo", exist_ok=True)
    info = upload_folder(repo_id="org/demo", folder_path=folder, commit_message="first upload")
    return files, info.oid


def test_endpoint_is_the_loopback_stub(hub: HubStub) -> None:
    assert constants.ENDPOINT == hub.url == f"http://127.0.0.1:{HUB_PORT}"
    assert urlsplit(constants.ENDPOINT).hostname == "127.0.0.1"
    assert constants.HF_HUB_DISABLE_XET and os.environ.get("HF_TOKEN") is None


def test_create_repo_twice_with_exist_ok(hub: HubStub) -> None:
    first = create_repo("org/twice", exist_ok=True)
    second = create_repo("org/twice", exist_ok=True)
    assert first.repo_id == second.repo_id == "org/twice"
    assert first.endpoint == hub.url
    with pytest.raises(HfHubHTTPError, match="409"):
        create_repo("org/twice")


def test_upload_then_download_each_file(hub: HubStub, demo: tuple[dict[str, bytes], str]) -> None:
    files, sha = demo
    assert len(sha) == 40 and hub.head("org/demo") == sha
    for name, data in files.items():
        path = hf_hub_download("org/demo", name)
        assert Path(path).read_bytes() == data
        assert sha in Path(path).parts  # HF_HOME/hub/models--org--demo/snapshots/<sha>/<name>


def test_snapshot_download_gives_the_whole_folder(demo: tuple[dict[str, bytes], str]) -> None:
    files, sha = demo
    snapshot = Path(snapshot_download("org/demo"))
    assert snapshot.name == sha
    got = {p.relative_to(snapshot).as_posix(): p.read_bytes() for p in snapshot.rglob("*") if p.is_file()}
    assert got == files


def test_listing_and_info_agree_with_the_commit(demo: tuple[dict[str, bytes], str]) -> None:
    files, sha = demo
    api = HfApi()
    assert sorted(api.list_repo_files("org/demo")) == sorted(files)
    info = api.model_info("org/demo")
    assert info.sha == sha and info.id == "org/demo" and info.private is False
    assert sorted(s.rfilename for s in info.siblings) == sorted(files)
    tree = {f.path: f for f in api.list_repo_tree("org/demo", recursive=True)}
    assert tree["weights/model.bin"].blob_id == git_blob_sha1(files["weights/model.bin"])
    assert tree["weights/model.bin"].size == len(files["weights/model.bin"])
    assert [f.path for f in api.list_repo_tree("org/demo")] == ["README.md", "config.json", "weights"]
    assert [f.path for f in api.list_repo_tree("org/demo", "weights")] == ["weights/model.bin"]
    assert api.repo_exists("org/demo") and not api.repo_exists("org/nope")
    assert api.file_exists("org/demo", "config.json") and not api.file_exists("org/demo", "nope.txt")


def test_second_upload_moves_main_and_old_commit_stays(hub: HubStub, tmp_path: Path) -> None:
    create_repo("org/history", exist_ok=True)
    old_files = _write_folder(tmp_path / "v1", seed=b"v1")
    first = upload_folder(repo_id="org/history", folder_path=tmp_path / "v1").oid
    new_files = _write_folder(tmp_path / "v2", seed=b"v2")
    second = upload_folder(repo_id="org/history", folder_path=tmp_path / "v2").oid
    assert first != second and hub.head("org/history") == second
    assert hub.commits("org/history")[1:] == [first, second]  # [0] is the empty commit of create_repo
    assert HubStub(hub.root, 0).commits("org/history") == hub.commits("org/history")  # state reloads from disk
    assert HfApi().model_info("org/history").sha == second
    name = "weights/model.bin"
    assert Path(hf_hub_download("org/history", name)).read_bytes() == new_files[name]
    assert Path(hf_hub_download("org/history", name, revision=first)).read_bytes() == old_files[name]
    assert HfApi().model_info("org/history", revision=first).sha == first
    # Unchanged files are skipped client-side (the preupload answer carries their oid): no empty commit.
    assert upload_folder(repo_id="org/history", folder_path=tmp_path / "v2").oid == second


def test_branches_are_created_listed_and_uploaded_to(hub: HubStub, tmp_path: Path) -> None:
    """create_branch (from main, or from a revision), list_repo_refs, and an upload that replaces a branch's files."""
    api = HfApi()
    create_repo("org/branches", exist_ok=True)
    main_files = _write_folder(tmp_path / "main", seed=b"main")
    first = upload_folder(repo_id="org/branches", folder_path=tmp_path / "main").oid
    api.create_branch("org/branches", branch="step5")
    assert hub.head("org/branches", "step5") == first
    empty = hub.commits("org/branches")[0]
    api.create_branch("org/branches", branch="from-start", revision=empty)
    assert hub.head("org/branches", "from-start") == empty
    with pytest.raises(HfHubHTTPError):
        api.create_branch("org/branches", branch="step5")
    api.create_branch("org/branches", branch="step5", exist_ok=True)
    (tmp_path / "snap").mkdir()
    (tmp_path / "snap" / "config.json").write_bytes(b'{"step": 5}')
    info = upload_folder(repo_id="org/branches", folder_path=tmp_path / "snap", revision="step5", delete_patterns="*")
    assert hub.head("org/branches", "step5") == info.oid and hub.head("org/branches") == first
    assert [f.path for f in api.list_repo_tree("org/branches", revision="step5")] == ["config.json"]
    assert Path(hf_hub_download("org/branches", "config.json", revision="step5")).read_bytes() == b'{"step": 5}'
    assert Path(hf_hub_download("org/branches", "config.json")).read_bytes() == main_files["config.json"]
    refs = api.list_repo_refs("org/branches")
    assert {b.name: b.target_commit for b in refs.branches} == {"main": first, "step5": info.oid, "from-start": empty}
    assert refs.tags == []
    with pytest.raises(RepositoryNotFoundError):
        api.list_repo_refs("org/no-such-repo")


def test_cached_files_resolve_without_a_request(
    hub: HubStub, demo: tuple[dict[str, bytes], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files, sha = demo
    online = hf_hub_download("org/demo", "config.json")
    snapshot_download("org/demo")
    before = hub.request_count
    assert hf_hub_download("org/demo", "config.json", local_files_only=True) == online
    assert Path(snapshot_download("org/demo", local_files_only=True)).name == sha
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets at import
    assert Path(hf_hub_download("org/demo", "weights/model.bin")).read_bytes() == files["weights/model.bin"]
    assert hub.request_count == before


def test_errors_come_from_the_error_headers(demo: tuple[dict[str, bytes], str]) -> None:
    with pytest.raises(RepositoryNotFoundError) as repo_err:
        hf_hub_download("org/missing", "config.json")
    assert repo_err.value.response.headers["X-Error-Code"] == "RepoNotFound"
    with pytest.raises(RemoteEntryNotFoundError) as entry_err:
        hf_hub_download("org/demo", "missing.txt")
    assert isinstance(entry_err.value, EntryNotFoundError)
    assert entry_err.value.response.headers["X-Error-Code"] == "EntryNotFound"
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("org/demo", "config.json", revision="no-such-branch")
    with pytest.raises(RepositoryNotFoundError):
        HfApi().model_info("org/missing")


def test_dataset_repo_and_deletions(hub: HubStub) -> None:
    api = HfApi()
    api.create_repo("org/data", repo_type="dataset")
    api.upload_file(
        path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data/train.csv", repo_id="org/data", repo_type="dataset"
    )
    api.upload_file(path_or_fileobj=b"x", path_in_repo="notes.txt", repo_id="org/data", repo_type="dataset")
    path = hf_hub_download("org/data", "data/train.csv", repo_type="dataset")
    assert Path(path).read_bytes() == b"a,b\n1,2\n"
    api.delete_file("notes.txt", repo_id="org/data", repo_type="dataset")
    assert api.list_repo_files("org/data", repo_type="dataset") == ["data/train.csv"]
    api.delete_folder("data", repo_id="org/data", repo_type="dataset")
    assert api.list_repo_files("org/data", repo_type="dataset") == []
    with pytest.raises(RemoteEntryNotFoundError):
        api.delete_file("notes.txt", repo_id="org/data", repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("org/demo", "config.json", repo_type="dataset")


def test_model_card_round_trip(demo: tuple[dict[str, bytes], str]) -> None:
    card = ModelCard.load("org/demo")
    assert card.data.license == "apache-2.0" and card.data.tags == ["game-of-life"]
    assert "A checkpoint served by the local Hub stub." in card.text


def test_no_unhandled_requests(hub: HubStub, demo: tuple[dict[str, bytes], str]) -> None:
    assert hub.unhandled == [] and hub.rejected == 0
    assert all(path.startswith("/") for _, path in hub.requests)
