"""Loading a training snapshot by revision: from a run folder and a bundled zoo name, as from a Hub branch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from conftest import TINY_TRAIN

from imagination import ImaginationModel, errors, zoo
from imagination.loading import revisions
from training import registration, train


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("snaps") / "tiny"
    train.main(["--out", str(out), *TINY_TRAIN, "--snapshots", "5"])
    return out


def same(a: ImaginationModel, b: ImaginationModel) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_a_run_folder_loads_each_of_its_revisions(run: Path) -> None:
    assert revisions.in_folder(run) == ["main", "step0", "step1", "step2", "step5", "step12"]
    for rev in revisions.in_folder(run)[1:]:
        got = ImaginationModel.from_pretrained(run, revision=rev)
        assert same(got, ImaginationModel.from_pretrained(run / "snapshots" / rev))
    assert same(ImaginationModel.from_pretrained(run, revision="main"), ImaginationModel.from_pretrained(run))
    assert same(ImaginationModel.from_pretrained(run, revision="step12"), ImaginationModel.from_pretrained(run))
    assert not same(ImaginationModel.from_pretrained(run, revision="step0"), ImaginationModel.from_pretrained(run))


def test_a_revision_the_folder_lacks_is_refused_naming_the_ones_it_has(run: Path) -> None:
    with pytest.raises(
        errors.InvalidArgument, match="no revision 'step3'; it has main, step0, step1, step2, step5, step12"
    ):
        ImaginationModel.from_pretrained(run, revision="step3")
    with pytest.raises(errors.InvalidArgument, match="local folder, which has no revision 'v1.0'"):
        ImaginationModel.from_pretrained(run, revision="v1.0")


def test_a_bundled_name_loads_its_snapshots_and_lists_them(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zoo entry that ships snapshots: ``zoo.revisions`` lists them, ``from_pretrained(name, revision=)`` loads."""
    shutil.copytree(run, tmp_path / "tiny-zoo-entry")
    monkeypatch.setenv("IMAGINATION_ZOO", str(tmp_path))
    entry = registration.record(
        tmp_path / "tiny-zoo-entry", "tiny-zoo-entry", "imagination-zoo/tiny-zoo-entry", bundled=True
    )
    registration.write([entry])
    assert zoo.revisions("tiny-zoo-entry") == ["main", "step0", "step1", "step2", "step5", "step12"]
    got = ImaginationModel.from_pretrained("tiny-zoo-entry", revision="step1")
    assert same(got, ImaginationModel.from_pretrained(run / "snapshots" / "step1"))
    with pytest.raises(errors.InvalidArgument, match="bundled zoo checkpoint, which has no revision 'step3'"):
        ImaginationModel.from_pretrained("tiny-zoo-entry", revision="step3")
    # its Hub id, with the Hub out of reach: the bundled copy of that snapshot, with a warning
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.warns(UserWarning, match="loading the bundled copy 'step5'"):
        got = ImaginationModel.from_pretrained("imagination-zoo/tiny-zoo-entry", revision="step5")
    assert same(got, ImaginationModel.from_pretrained(run / "snapshots" / "step5"))


def test_an_entry_without_snapshots_has_only_main() -> None:
    name = zoo.names()[0]
    assert zoo.revisions(name) == ["main"]
    assert same(ImaginationModel.from_pretrained(name, revision="main"), zoo.load(name))


def test_revisions_are_ordered_by_step() -> None:
    assert revisions.ordered(["step10", "v1", "main", "step2"]) == ["main", "step2", "step10", "v1"]
    assert revisions.step_of("step250") == 250 and revisions.step_of("step-1") is None
