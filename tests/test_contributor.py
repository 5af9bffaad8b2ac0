"""The contributor path of CONTRIBUTING.md, end to end, against the local Hub stand-in.

train a tiny variant -> analyse it -> push it to the contributor's own organisation -> it is
registered (repo id, revision) -> a fresh process loads it by name -> the app serves it by name.
Each step is the command CONTRIBUTING.md gives, called in process; the last two run in a new
Python process with an empty Hub cache, another working directory and only the registry to go by.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TINY_TRAIN
from hub_stub import HubStub
from huggingface_hub import ModelCard

from imagination import ImaginationModel, cards
from training import analyze, push, train

ROOT = Path(__file__).resolve().parent.parent
NAME, REPO = "my-variant", "contrib-org/my-variant"


def weights_digest(model: ImaginationModel) -> str:
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode() + v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def contributed(hub: HubStub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the trained folder, the contributor's registry folder) after train -> analyse -> push."""
    root = tmp_path_factory.mktemp("contributor")
    own_zoo = root / "zoo"
    own_zoo.mkdir()
    folder = root / "runs" / NAME
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMAGINATION_ZOO", str(own_zoo))  # the contributor's checkout's registry, not this one's
        # python -m training.train --out runs/my-variant ...
        train.main(["--out", str(folder), *TINY_TRAIN, "--game-steps", "2"])
        # python -m training.analyze runs/my-variant --write --probes
        analyze.main([str(folder), "--write", "--probes", "--probe-steps", "6", "--probe-runs", str(root / "probes")])
        # python -m training.push runs/my-variant --repo-id contrib-org/my-variant
        push.main([str(folder), "--repo-id", REPO])
        yield folder, own_zoo


def test_the_push_is_registered_with_its_commit(hub: HubStub, contributed: tuple[Path, Path]) -> None:
    folder, own_zoo = contributed
    registry = json.loads((own_zoo / "index.json").read_text())["models"]
    assert [e["name"] for e in registry] == [NAME]
    e = registry[0]
    assert (e["repo_id"], e["revision"], e["pushed"], e["bundled"]) == (REPO, hub.head(REPO), True, False)
    scores = json.loads((folder / "eval.json").read_text())
    for k in ("interpretability", "final_error", "task_error", "per_step_accuracy"):
        assert e[k] == scores[k], k
    assert "faithfulness" in scores and "probes" in scores  # the analysis went up with it
    text = (own_zoo / "index.json").read_text()
    assert str(folder.parent) not in text and str(own_zoo) not in text and e["folder"] is None


def test_the_uploaded_card_is_for_the_contributors_repo(hub: HubStub, contributed: tuple[Path, Path]) -> None:
    folder, _ = contributed
    card = ModelCard.load(REPO)
    assert f'from_pretrained("{REPO}")' in card.content and "imagination-zoo" not in card.content
    assert cards.mismatches(folder, card) == []
    assert "Decoder probes" in card.content


DIGEST = """
import hashlib

def weights_digest(model):
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode() + v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
"""

LOAD = (
    DIGEST
    + """
import json, sys
from imagination import ImaginationModel, zoo

model = ImaginationModel.from_pretrained(sys.argv[1])   # by name: the registry says which repo and commit
again = zoo.load(sys.argv[1])
print(json.dumps({"names": zoo.names(), "digest": weights_digest(model), "zoo_load": weights_digest(again)}))
"""
)

SERVE = (
    DIGEST
    + """
import json, sys
import app  # its environment defaults, as `python app.py` sets them
from imagination.demo import events, handlers

handlers.CHECKPOINTS.offline = False                     # as `python app.py --online`
status, rows, steps = events.load_checkpoint(sys.argv[1])
key, served = handlers.load_model(sys.argv[1])
print(json.dumps({"served": weights_digest(served), "status": status, "rows": rows, "steps": steps}))
"""
)


def fresh_process(script: str, own_zoo: Path, cache: Path, cwd: Path) -> dict:
    """Run ``script`` in a new interpreter: another directory, an empty Hub cache, the contributor's registry."""
    env = {
        **os.environ,
        "IMAGINATION_ZOO": str(own_zoo),
        "HF_HOME": str(cache),  # nothing cached: it must come from the (stand-in) Hub
        "PYTHONPATH": str(ROOT),  # app.py lives at the checkout's top; the package is installed
    }
    env.pop("HF_HUB_OFFLINE", None)
    done = subprocess.run(
        [sys.executable, "-c", script, NAME], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fresh_process_loads_it_by_name(hub: HubStub, contributed: tuple[Path, Path], tmp_path: Path) -> None:
    folder, own_zoo = contributed
    before = hub.request_count
    got = fresh_process(LOAD, own_zoo, tmp_path / "cache", tmp_path)
    assert hub.request_count > before
    snapshot = tmp_path / "cache" / "hub" / f"models--{REPO.replace('/', '--')}" / "snapshots" / hub.head(REPO)
    assert (snapshot / "model.safetensors").exists()  # fetched at the registered commit
    local = weights_digest(ImaginationModel.from_pretrained(folder))
    assert got == {"names": [NAME], "digest": local, "zoo_load": local}


def test_the_app_serves_it_by_name(hub: HubStub, contributed: tuple[Path, Path], tmp_path: Path) -> None:
    folder, own_zoo = contributed
    got = fresh_process(SERVE, own_zoo, tmp_path / "cache", tmp_path)
    assert got["served"] == weights_digest(ImaginationModel.from_pretrained(folder))
    assert NAME in got["status"] and got["steps"] == 2
    scores = json.loads((folder / "eval.json").read_text())
    shown = {row[0]: row[1] for row in got["rows"]}
    assert any(abs(v - round(scores["interpretability"], 4)) < 1e-9 for v in shown.values())
