"""Model cards: every card the project writes parses as the Hub parses it and says only what is true.

One generator (imagination.cards) writes every card; these tests hold each bundled card and freshly
generated ones to huggingface_hub's own parsing, to eval.json score for score, and to the rule that
no file a user receives names a path of the machine that wrote it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import TINY_TRAIN
from hub_stub import HubStub
from huggingface_hub import ModelCard, ModelCardData
from huggingface_hub.repocard import metadata_load
from PIL import Image

from imagination import ImaginationModel, cards, modelcard, provenance, registry, zoo
from imagination.cards.__main__ import main as cards_main
from imagination.cards.sections import extra_blocks, extrapolation_line, seeds_block
from training import registration, train
from training import zoo as builder

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = zoo.names()
# an entry on a base of its own (not a stage it keeps as a revision) names that base's repo
DERIVED = [n for n in BUNDLED if builder.PLAN.get(n, ([], None))[1] not in (None, *builder.plan.STAGES)]
# A slash that starts a path (not one inside B3/S23, zoo/<name> or a URL) followed by two or more parts.
ABSOLUTE = re.compile(r"(?<![\w.:/~-])(?:/[\w.@+~-]+){2,}")


def machine_paths(text: str, *extra: Path) -> list[str]:
    """Absolute paths in text: anything path-shaped from the root, and this machine's own folders."""
    found = ABSOLUTE.findall(text)
    for p in (ROOT, Path.home(), Path(tempfile.gettempdir()), *extra):
        if str(p) in text:
            found.append(str(p))
    return found


def readable(path: Path) -> str:
    """The text of a file where a path could be written: a notebook less its pictures (base64 is full of slashes)."""
    if path.suffix != ".ipynb":
        return path.read_text()
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("image/png", None)
    return json.dumps(nb, indent=1)


def shipped_files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if p.suffix in (".json", ".md", ".jsonl")]


def test_absolute_path_detector_can_fail(tmp_path: Path) -> None:
    assert machine_paths('"command": ["/work/main/training/train.py", "--out"]')
    assert machine_paths("`/tmp/pytest-1/base`")
    assert not machine_paths("rule B3/S23, zoo/gol3-autoencoder, https://arxiv.org/abs/2405.06409, 1x1 convs")
    # a notebook's printed outputs are read, its base64 pictures are not
    notebook = tmp_path / "n.ipynb"
    picture = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo/AAAA/BBBB/CCCC"}}
    notebook.write_text(json.dumps({"cells": [{"outputs": [picture]}]}))
    assert not machine_paths(readable(notebook))
    printed = {"output_type": "stream", "text": "/work/runs/tiny: final error 0.2"}
    notebook.write_text(json.dumps({"cells": [{"outputs": [picture, printed]}]}))
    assert machine_paths(readable(notebook))


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_card_is_the_generated_one_and_parses(name: str) -> None:
    e = zoo.entry(name)
    folder = e.path
    text = (folder / "README.md").read_text()
    # regenerated = committed: no card is edited by hand or left behind a template change
    assert text == cards.build_card(folder, name, e.repo_id if e.pushed else None).content
    card = ModelCard(text, ignore_metadata_errors=False)  # what the Hub's own parser accepts
    assert ModelCard.load(folder / "README.md").data.eval_results  # the model-index round trip
    assert cards.mismatches(folder, card) == []
    assert modelcard.PAPER_URL in text and "github.com/imagination-zoo" not in text
    scores = json.loads((folder / "eval.json").read_text())
    if registry.meets(scores["task_error"], e.task):
        assert "**meets the zoo's bar**" in text
    else:
        assert "**below the zoo's bar**" in text and "(below)" not in text
    data = card.data.to_dict()
    if name in DERIVED:
        base = builder.PLAN[name][1]
        assert data["base_model"] == zoo.entry(base).repo_id and data["base_model_relation"] == "finetune"
    else:
        assert "base_model" not in data  # no base, or its own stage: the same repo's revision, said in the text
    target = e.repo_id if e.pushed else name  # an unpushed bundled entry loads by zoo name, offline
    assert f'ImaginationModel.from_pretrained("{target}")' in text


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_card_shows_its_picture_drawn_from_its_weights(name: str) -> None:
    """The card links imagination.png beside it (the Hub shows it), a PNG that decodes, small, and exactly what
    the saved weights draw for the eval set's first episode: regenerated, byte for byte."""
    folder = zoo.entry(name).path
    picture = folder / cards.PICTURE
    assert f"]({cards.PICTURE})" in (folder / "README.md").read_text()
    data = picture.read_bytes()
    assert len(data) < 60_000
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG" and img.width <= 1000
        img.load()  # every pixel decodes
    assert cards.picture_png(folder) == data


def test_derived_entries_are_the_adversarial_long_and_agreement_ones() -> None:
    named = {n for n in BUNDLED if n.endswith(("-adversarial", "-long")) or re.search(r"-agree\d*$", n)}
    continuing = set(builder.plan.STAGES.values())  # each continues a stage of its own
    assert continuing <= named and named - continuing == set(DERIVED)


@pytest.mark.parametrize("name", [*BUNDLED, *builder.plan.STAGES])
def test_no_bundled_file_holds_a_machine_path(name: str) -> None:
    folder = builder.plan.folder(name)  # an entry's, or a stage's inside the entry that continues it
    for f in [*shipped_files(folder), folder / "config.json"]:
        assert not machine_paths(f.read_text()), f
    tc = json.loads((folder / "train_config.json").read_text())
    assert tc["command"][:3] == ["python", "-m", "training.train"]


def test_registry_and_space_front_matter_hold_no_machine_path() -> None:
    assert not machine_paths(registry.index_path().read_text())
    front = (ROOT / "README.md").read_text().split("\n---\n", 1)[0]
    assert not machine_paths(front)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh base and a frozen-base (adversarial) run on it, written to absolute paths outside the checkout."""
    root = tmp_path_factory.mktemp("runs")
    train.main(["--out", str(root / "base"), *TINY_TRAIN, "--game-steps", "2"])
    train.main(
        ["--out", str(root / "adv"), *TINY_TRAIN, "--game-steps", "2", "--regime", "adversarial"]
        + ["--init", str(root / "base")]
    )
    return root


def test_fresh_cards_and_files_hold_no_machine_path(runs: Path) -> None:
    for run in ("base", "adv"):
        folder = runs / run
        for f in [*shipped_files(folder), folder / "config.json"]:
            assert not machine_paths(f.read_text(), runs), f
        tc = json.loads((folder / "train_config.json").read_text())
        assert tc["command"][:3] == ["python", "-m", "training.train"] and tc["out"] == run
        text = (folder / "README.md").read_text()
        assert f'from_pretrained("./{run}")' in text and "path/to" not in text
        assert cards.mismatches(folder) == []
        assert ModelCard.load(folder / "README.md").data.eval_results
        assert f"]({cards.PICTURE})" in text and (folder / cards.PICTURE).read_bytes() == cards.picture_png(folder)
    # a picture is drawn from each run's own weights
    assert (runs / "base" / cards.PICTURE).read_bytes() != (runs / "adv" / cards.PICTURE).read_bytes()
    adv = json.loads((runs / "adv" / "eval.json").read_text())
    assert adv["derived_from"] == {"source": "base", "how": "init", "zoo_name": None, "repo_id": None}
    # a local base is not on the Hub: no base_model is claimed for it, the text names the folder
    assert "base_model" not in ModelCard.load(runs / "adv" / "README.md").data.to_dict()


def test_card_for_a_repo_names_it(runs: Path) -> None:
    card = cards.build_card(runs / "base", "my-variant", "someone/my-variant")
    assert 'from_pretrained("someone/my-variant")' in card.content
    assert card.data.model_name == "my-variant"


def test_base_model_names_the_registered_repo(runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run on a zoo entry names the base's repo from the registry, as the registry says it now."""
    zoo_dir = tmp_path / "zoo"
    zoo_dir.mkdir()
    shutil.copytree(runs / "base", zoo_dir / "tiny-base")
    monkeypatch.setenv("IMAGINATION_ZOO", str(zoo_dir))
    registration.register(
        registration.record(zoo_dir / "tiny-base", "tiny-base", "imagination-zoo/tiny-base", bundled=True)
    )
    assert provenance.derived_from(str(zoo_dir / "tiny-base"), "init")["zoo_name"] == "tiny-base"
    assert provenance.derived_from("tiny-base", "warm_start")["zoo_name"] == "tiny-base"
    assert provenance.derived_from("org/some-model", "init")["repo_id"] == "org/some-model"
    shutil.copytree(runs / "base", zoo_dir / "not-indexed-yet")  # train --all installs a base, indexes at the end
    assert provenance.derived_from(str(zoo_dir / "not-indexed-yet"), "init")["zoo_name"] == "not-indexed-yet"
    assert provenance.derived_from(str(runs / "base"), "init")["zoo_name"] is None  # a folder elsewhere: no zoo name
    out = tmp_path / "long"
    train.main(["--out", str(out), *TINY_TRAIN, "--game-steps", "2", "--warm-start", "tiny-base", "--steps", "0"])
    data = ModelCard.load(out / "README.md").data.to_dict()
    assert (data["base_model"], data["base_model_relation"]) == ("imagination-zoo/tiny-base", "finetune")
    entry = registry.read()[0]
    registration.register({**entry, "repo_id": "me/tiny-base", "pushed": True, "revision": "0" * 40})
    assert cards.build_card(out).data.to_dict()["base_model"] == "me/tiny-base"


def test_mismatch_is_found_score_by_score(runs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "f"
    shutil.copytree(runs / "base", folder)
    card = ModelCard.load(folder / "README.md")
    for r in card.data.eval_results:
        if r.metric_type == "final_error":
            r.metric_value = 0.9
    card.data.eval_results = card.data.eval_results[1:]  # and one score dropped
    found = cards.mismatches(folder, ModelCard(f"---\n{card.data.to_yaml()}\n---\n{card.text}"))
    assert any("final_error = 0.9" in m for m in found) and any("lacks interpretability" in m for m in found)


def test_a_below_the_bar_card_says_so(runs: Path) -> None:
    scores = json.loads((runs / "base" / "eval.json").read_text())
    assert scores["task_error"] > zoo.BAR  # twelve steps do not learn Life
    assert "**below the zoo's bar**" in (runs / "base" / "README.md").read_text()


def test_code_url_only_where_configured(runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGINATION_CODE_URL", raising=False)
    configured = modelcard.code_url()  # the installed package's project.urls, if any (none today)
    intro = cards.build_card(runs / "base").content.split("## Scores")[0]
    assert intro.count("](http") == (2 if configured else 1)  # the paper's arXiv link, and a configured code URL
    monkeypatch.setenv("IMAGINATION_CODE_URL", "https://example.org/imagination")
    assert "[imagination](https://example.org/imagination)" in cards.build_card(runs / "base").content


def test_mixin_card_says_it_is_unevaluated(runs: Path, tmp_path: Path) -> None:
    model = ImaginationModel.from_pretrained(runs / "base")
    card = modelcard.unevaluated_card(model.config, repo_id="someone/x")
    parsed = ModelCard(card.content, ignore_metadata_errors=False)
    assert not parsed.data.eval_results and "unevaluated" in parsed.data.tags
    assert "Scores: not measured" in card.content and "python -m imagination.cards" in card.content
    assert 'from_pretrained("someone/x")' in card.content and not machine_paths(card.content)
    local = modelcard.unevaluated_card(model.config).content
    assert "path/to" not in local and not machine_paths(local)
    # the command the card gives measures the scores from the weights and writes a scored card
    folder = tmp_path / "saved"
    folder.mkdir()
    for f in ("config.json", "model.safetensors"):
        shutil.copy(runs / "base" / f, folder / f)
    (folder / "README.md").write_text(local)
    cards_main([str(folder), "--evaluate"])
    scores = json.loads((folder / "eval.json").read_text())
    assert scores["eval_set"]["episodes"] == 2000  # the fixed eval set, measured from the weights
    assert cards.mismatches(folder) == [] and "Scores: not measured" not in (folder / "README.md").read_text()
    assert f"]({cards.PICTURE})" not in local  # an unevaluated card has no picture; the command draws it
    assert (folder / cards.PICTURE).read_bytes() == cards.picture_png(runs / "base")


def test_model_card_data_keeps_base_model_relation() -> None:
    """huggingface_hub keeps the key the Hub reads (it has no named argument for it)."""
    data = ModelCardData(base_model="a/b", base_model_relation="finetune")
    assert metadata_roundtrip(data)["base_model_relation"] == "finetune"


def metadata_roundtrip(data: ModelCardData) -> dict:
    path = Path(tempfile.mkdtemp()) / "README.md"
    path.write_text(f"---\n{data.to_yaml()}\n---\n")
    return metadata_load(path) or {}


def test_space_models_are_exactly_the_pushed_repos(tmp_path: Path) -> None:
    front = metadata_load(ROOT / "README.md") or {}
    assert front.get("models") == builder.space_models() == [e.repo_id for e in zoo.list() if e.pushed]
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    builder.write_space_models(["a/b", "c/d"], readme)
    assert metadata_load(readme)["models"] == ["a/b", "c/d"]
    builder.write_space_models([], readme)
    assert metadata_load(readme)["models"] == []


def test_the_mixin_writes_and_pushes_the_project_card(hub: HubStub, tmp_path: Path) -> None:
    """save_pretrained / push_to_hub go through modelcard.unevaluated_card: unevaluated, named for where it is."""
    model = ImaginationModel()
    model.save_pretrained(tmp_path / "mixin-saved")
    text = (tmp_path / "mixin-saved" / "README.md").read_text()
    assert "Scores: not measured" in text and 'from_pretrained("./mixin-saved")' in text
    assert not machine_paths(text, tmp_path)
    model.push_to_hub("someone/mixin-pushed")
    card = ModelCard.load("someone/mixin-pushed")
    assert 'from_pretrained("someone/mixin-pushed")' in card.content and not card.data.eval_results
    assert "unevaluated" in card.data.tags


def test_no_generated_or_documented_file_holds_a_machine_path() -> None:
    """Every data file and document the repository ships (experiment records, zoo, docs), not only the
    cards: a recorded sys.argv[0] once put this machine's checkout path into 13 experiment configs."""
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "docs", "zoo", "README.md", "CONTRIBUTING.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    leaks = {
        f: found
        for f in tracked
        if f.endswith((".json", ".jsonl", ".md", ".ipynb")) and (found := machine_paths(readable(ROOT / f)))
    }
    assert not leaks


def test_a_card_says_what_extra_losses_train() -> None:
    """A regime name like 'autoencoder+latent-joint-relative' does not say which boards a loss sees."""
    for e in zoo.bundled():
        tc = json.loads((e.path / "train_config.json").read_text())
        text = (e.path / "README.md").read_text()
        assert ("a latent loss" in text) == (tc.get("latent_weight", 0) > 0), e.name
        assert ("A consistency loss" in text) == (tc.get("consistency_weight", 0) > 0), e.name


def test_a_card_reports_the_aligned_and_the_best_matching_game_step(tmp_path: Path) -> None:
    """gol3-model2-shallow (3 game steps in 2 model steps): model step 1 is aligned with game step 2 but shows game
    step 1; its card gives both, derived from eval.json's accuracy matrix where a folder predates the keys."""
    folder = tmp_path / "gol3-model2-shallow"
    shutil.copytree(zoo.entry("gol3-model2-shallow").path, folder)
    scores = json.loads((folder / "eval.json").read_text())
    for key in ("per_step_best_accuracy", "per_step_best_game_step"):  # an older folder: derived, not read
        del scores[key]
    (folder / "eval.json").write_text(json.dumps(scores))
    card = cards.build_card(folder, "gol3-model2-shallow")
    row = f"| 1 | 2 | {scores['accuracy_matrix'][1][2]:.4f} | **1** | {scores['accuracy_matrix'][1][1]:.4f} |"
    assert row in card.content and row in (zoo.entry("gol3-model2-shallow").path / "README.md").read_text()
    got = cards.card_eval_metrics(ModelCard(card.content, ignore_metadata_errors=False))
    assert got["accuracy_step_1"] == scores["per_step_accuracy"][1] == scores["accuracy_matrix"][1][2]
    assert got["accuracy_best_step_1"] == scores["accuracy_matrix"][1][1]
    names = {r.metric_type: r.metric_name for r in card.data.eval_results}
    assert names["accuracy_step_1"].endswith("(aligned game step 2)")
    assert names["accuracy_best_step_1"].endswith("best-matching game step 1")
    # equal step counts and every step its own best match: the one line, no extra scores
    compact = cards.build_card(zoo.entry("gol3-autoencoder").path, "gol3-autoencoder")
    assert "No other game step matches" in compact.content and "best-matching game step |" not in compact.content
    assert not any(r.metric_type.startswith("accuracy_best_") for r in compact.data.eval_results)


def test_a_new_runs_best_matching_keys_are_read(tmp_path: Path) -> None:
    """A run evaluated since board_scores wrote per_step_best_*: the card reads them, probes included."""
    folder = tmp_path / "new"
    shutil.copytree(zoo.entry("gol3-model2-shallow").path, folder)
    scores = json.loads((folder / "eval.json").read_text())
    del scores["accuracy_matrix"]
    scores["per_step_best_game_step"], scores["per_step_best_accuracy"] = [0, 1, 2], [1.0, 0.5, 0.25]
    probe = scores["probes"]["first_last"]
    probe["per_step_best_game_step"], probe["per_step_best_accuracy"] = [0, 1, 3], [1.0, 0.75, 0.125]
    (folder / "eval.json").write_text(json.dumps(scores))
    text = cards.build_card(folder, "new").content
    acc = scores["per_step_accuracy"]
    assert f"| 1 | 2 | {acc[1]:.4f} | **1** | 0.5000 |" in text and f"| 2 | 3 | {acc[2]:.4f} | **2** | 0.2500 |" in text
    fl, al = (" ".join(f"{a:.3f}" for a in scores["probes"][p]["per_step_accuracy"]) for p in ("first_last", "all"))
    assert f"| first_last | [0, 2] | {fl} | 0: 1.000 1: 0.750 3: 0.125 |" in text
    assert f"| all | [0, 1, 2] | {al} | n/a |" in text  # an older probe record: nothing to show


def test_a_horizon_that_held_to_the_last_step_measured_is_a_floor() -> None:
    ended = {"steps_above_99": 35, "accuracy": [1.0] * 49}
    held = {"steps_above_99": 48, "accuracy": [1.0] * 49}
    assert extrapolation_line(ended).endswith(": 35.")
    assert extrapolation_line(held).endswith(": 48 (every step measured: it may hold further).")
    assert "not measured (untied core" in extrapolation_line({"steps_above_99": None, "note": "untied core"})


def test_a_card_of_the_best_of_several_seeds_shows_every_seed() -> None:
    seed = {"interpretability": 0.75, "task_error": 0.0, "final_error": 0.2}
    selection = {"seeds": {"0": seed, "1": {**seed, "interpretability": 0.93}}, "chosen": 1, "criterion": "log set"}
    cfg = ImaginationModel.from_pretrained(registry.zoo_dir() / "count1ts").config
    (block,) = [b for b in extra_blocks(cfg, {"seed_selection": selection}, {}) if "seeds" in b]
    assert "Trained with 2 seeds" in block and "| 0 | 0.7500 |" in block and "| 1 (these weights) | 0.9300 |" in block
    one = {"seeds": {"0": seed}, "chosen": 0, "criterion": "log set"}  # a single seed: nothing to compare
    assert not [b for b in extra_blocks(cfg, {"seed_selection": one}, {}) if "seeds" in b]
    assert "steps >= 99%" not in block  # no seed measured a horizon: no column for it


def test_a_card_of_seeds_that_run_on_gives_each_seeds_horizon() -> None:
    seed = {"interpretability": 1.0, "task_error": 0.0, "final_error": 0.0}
    seeds = {"0": {**seed, "horizon": 29}, "1": {**seed, "horizon": 42}, "2": {**seed, "horizon": None}}
    block = seeds_block({"seeds": seeds, "chosen": 0, "criterion": "log set"})
    head, rule, *rows = block.split("\n\n")[1].splitlines()
    assert head.endswith("| steps >= 99% |") and rule.count("|") == head.count("|")
    assert rows[0].endswith("| 29 |") and rows[1].endswith("| 42 |") and rows[2].endswith("| n/a |")
