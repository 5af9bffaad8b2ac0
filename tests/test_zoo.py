"""Every bundled checkpoint: loads strictly, carries its scores, and re-scores to them."""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest
from conftest import TINY_TRAIN, assert_tables_close
from huggingface_hub import ModelCard

from imagination import ImaginationModel, errors, registry, zoo
from imagination.cards import PICTURE, card_eval_metrics, picture_png
from imagination.evaluate import EvalSet, evaluate
from imagination.loading import revisions
from imagination.provenance import STAGES, portable, trained_on
from training import analyze
from training import zoo as zoo_builder
from training.zoo import build, cli, paths, plan

ENTRIES = zoo.names()
ZOO_DIR = registry.zoo_dir()


def test_zoo_is_bundled_and_indexed() -> None:
    assert ENTRIES, f"{ZOO_DIR / 'index.json'} lists no checkpoints"
    on_disk = sorted(p.name for p in ZOO_DIR.iterdir() if (p / "eval.json").exists())
    assert sorted(ENTRIES) == on_disk


@pytest.mark.parametrize("name", [n for n in ENTRIES if n in zoo_builder.PLAN])
def test_every_planned_entry_was_trained_with_its_plan(name: str) -> None:
    """``zoo list`` reproduces the bundled zoo: a plan edited after its entry trained must retrain or adopt it."""
    tc = json.loads((ZOO_DIR / name / "train_config.json").read_text())
    assert zoo_builder.plan_differences(tc, name) == {}


FILES = ["config.json", "model.safetensors", "README.md", "train_config.json", "eval.json", "log.jsonl", PICTURE]


@pytest.mark.parametrize("name", ENTRIES)
def test_entry_rescores_to_its_card(name: str) -> None:
    e = zoo.entry(name)
    folder = e.path
    files = list(FILES)
    if name in plan.SNAPSHOTS and (folder / revisions.FOLDER).exists():  # a showcase entry ships its snapshots
        files += [revisions.FOLDER, revisions.SCORES]
        steps = revisions.snapshot_steps(folder)
        assert [r["step"] for r in revisions.scores(folder)] == steps and steps[:3] == [0, 1, 2]
        last = folder / revisions.FOLDER / revisions.name(steps[-1]) / "model.safetensors"
        assert last.read_bytes() == (folder / "model.safetensors").read_bytes()  # its last snapshot is main
    want = sorted(s for s, continued in plan.STAGES.items() if continued == name)
    assert e.stages == revisions.stage_names(folder) == want  # the plan's stages, each inside what continues it
    files += [STAGES] if want else []
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    model = zoo.load(name)  # strict keys, safetensors only
    assert ImaginationModel.from_pretrained(name).config == model.config  # a zoo name resolves too
    _rescores_to_card(model, folder)
    # the index's headline numbers are eval.json's
    scores = json.loads((folder / "eval.json").read_text())
    assert (e.interpretability, e.final_error, e.task_error) == (
        scores["interpretability"],
        scores["final_error"],
        scores["task_error"],
    )
    assert e.meets_bar == registry.meets(scores["task_error"], e.task)  # 2 of 2,000 counts off is at the bar
    assert e.regime == model.config.regime and e.game_steps == model.config.game_steps


@pytest.mark.parametrize("stage", list(plan.STAGES))
def test_a_stage_is_a_revision_of_what_continues_it(stage: str) -> None:
    """A run kept only to be continued is no entry of its own: it loads as its continuation's revision, its card
    says so and re-scores, and the continuation started from exactly these weights."""
    continued = plan.STAGES[stage]
    folder = ZOO_DIR / continued / STAGES / stage
    assert plan.folder(stage) == folder and stage not in ENTRIES and not (ZOO_DIR / stage).exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    model = ImaginationModel.from_pretrained(continued, revision=stage)
    assert stage in zoo.revisions(continued)
    card = _rescores_to_card(model, folder)
    assert f"an earlier revision of `{continued}`" in card.text
    assert f'from_pretrained("{continued}", revision="{stage}")' in card.text
    with pytest.raises(errors.RepoNotFound, match=f"revision={stage!r}"):  # its old name says where it went
        ImaginationModel.from_pretrained(stage)
    tc = json.loads((ZOO_DIR / continued / "train_config.json").read_text())
    assert tc["warm_start"] == f"zoo/{continued}/{STAGES}/{stage}"
    ev = json.loads((ZOO_DIR / continued / "eval.json").read_text())
    assert ev["derived_from"]["stage"] == stage and ev["derived_from"]["zoo_name"] is None
    assert ev["warm_start"]["train_steps"] == json.loads((folder / "eval.json").read_text())["train_steps"]
    assert f"earlier revision `{stage}`" in (ZOO_DIR / continued / "README.md").read_text()


def test_rescore_and_off_distribution_reach_the_stages_too() -> None:
    """A stage's scores are measured as an entry's are: ``zoo rescore`` finds it by its name, and all of them."""
    from training.zoo import rescore

    assert rescore.folders(["count2ts"]) == [plan.folder("count2ts")]
    assert {plan.folder(s) for s in plan.STAGES} <= set(rescore.folders([]))


def _rescores_to_card(model: ImaginationModel, folder: Path) -> ModelCard:
    """The folder's weights, evaluated again, give its card's every score; the card is returned."""
    assert (folder / "model.safetensors").stat().st_size < 1_000_000
    assert isinstance(model, ImaginationModel)
    card = ModelCard.load(folder / "README.md")
    assert_tables_close(card.text)
    assert card.data.to_dict().get("model-index") or card.data.eval_results, "the card has no model-index"
    metrics = card_eval_metrics(card)
    scores = json.loads((folder / "eval.json").read_text())
    again = evaluate(model, EvalSet(**scores["eval_set"]))
    assert again["interpretability"] == pytest.approx(metrics["interpretability"], abs=1e-6)
    assert again["final_error"] == pytest.approx(metrics["final_error"], abs=1e-6)
    for i, acc in enumerate(again["per_step_accuracy"]):
        assert acc == pytest.approx(metrics[f"accuracy_step_{i}"], abs=1e-6)
    if "task_error" in metrics:
        assert again["task_error"] == pytest.approx(metrics["task_error"], abs=1e-6)
    return card


def test_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no zoo checkpoint named"):
        zoo.load("no-such-model")


def _block(path: str, marker: str) -> str:
    text = (zoo_builder.ROOT / path).read_text()
    return text.split(f"<!-- {marker}:start -->\n", 1)[1].split(f"\n<!-- {marker}:end -->", 1)[0]


def test_docs_tables_are_the_generated_ones() -> None:
    """The README results table and the minutes table are regenerated, never edited by hand."""
    assert _block("README.md", "zoo-table") == zoo_builder.table()
    assert _block("docs/training.md", "zoo-minutes") == zoo_builder.minutes_table()
    assert _block("docs/training.md", "seed-check") == zoo_builder.tables.seeds_table()
    folders = [e.path for e in zoo.list()]
    for doc in ("README.md", "docs/analysis.md"):
        assert _block(doc, "faithfulness-table") == analyze.docs_table(folders)
    assert _block("docs/analysis.md", "probes-table") == analyze.probes_table(folders)
    assert _block("docs/analysis.md", "off-distribution-table") == analyze.off_distribution_table(folders)


def test_training_nothing_named_is_an_error() -> None:
    with pytest.raises(SystemExit, match="name the checkpoints"):
        zoo_builder.main(["train", "--seeds", "0"])  # --seeds swallowed no names: say so, train nothing


def test_gpu_plans_are_skipped_by_all_and_refused_by_name_where_there_is_no_cuda(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan that names the GPU would run for hours on a CPU: ``--all`` leaves it out and says so."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert not any(zoo_builder.needs_gpu(n) for n in plan.PLAN)  # the zoo's own plan trains on two cores
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-gpu", (["--game-steps", "3", "--device", "cuda"], None))
    assert zoo_builder.needs_gpu("tiny-gpu") and not zoo_builder.needs_gpu("gol3-autoencoder")
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-on-a-gpu-base", (["--game-steps", "3"], "tiny-gpu"))
    assert zoo_builder.needs_gpu("tiny-on-a-gpu-base")  # its base cannot be trained here either
    # new decoders on the frozen GPU base read the zoo's copy of it: a CPU trains them
    monkeypatch.setitem(zoo_builder.PLAN, "decoders-on-a-gpu-base", (["--regime", "adversarial"], "tiny-gpu"))
    assert not zoo_builder.needs_gpu("decoders-on-a-gpu-base")
    kept = zoo_builder.trainable_here(["gol3-autoencoder", "tiny-gpu", "tiny-on-a-gpu-base"], every=True)
    assert kept == ["gol3-autoencoder"]
    assert "skipping tiny-gpu, tiny-on-a-gpu-base: planned on a GPU" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="tiny-gpu: planned on a GPU"):
        zoo_builder.main(["train", "tiny-gpu"])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert zoo_builder.trainable_here(["tiny-gpu"], every=False) == ["tiny-gpu"]
    table = zoo_builder.minutes_table()
    assert "| `count2ts`, a stage of `count2ts-long` | one seed |" in table  # a stage's minutes count too


def test_a_runs_minutes_say_whether_a_gpu_spent_them(tmp_path: Path) -> None:
    """The card and the minutes table name the device a run used (log.jsonl's record), not only the one it asked
    for: ``auto`` on a GPU machine is a GPU's minutes."""
    (tmp_path / "train_config.json").write_text(json.dumps({"device": "auto"}))
    assert trained_on(tmp_path) == "CPU"  # asked for whichever is there, and no record of which it was
    (tmp_path / "log.jsonl").write_text(
        json.dumps({"event": "device", "device": "cuda:0", "gpu": "NVIDIA H200"}) + "\n"
    )
    assert trained_on(tmp_path) == "GPU (NVIDIA H200)"
    (tmp_path / "log.jsonl").write_text(json.dumps({"event": "device", "device": "cpu", "threads": 2}) + "\n")
    assert trained_on(tmp_path) == "CPU"


def test_a_plan_on_whichever_device_is_here_takes_a_run_on_any(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--device auto`` in a plan is what ``train NAME`` runs on a GPU and on a CPU alike: adopt takes either run;
    a plan that names its device does not."""
    for name, device in [("tiny-anywhere", "auto"), ("tiny-on-a-cpu", "cpu")]:
        monkeypatch.setitem(zoo_builder.PLAN, name, (["--game-steps", "2", "--device", device], None))
    from training import train

    ran = asdict(train.TrainConfig(**zoo_builder.train_args(zoo_builder.command("tiny-anywhere", Path("runs/x")))))
    for device in ("cpu", "cuda", "auto"):
        assert zoo_builder.plan_differences({**ran, "device": device}, "tiny-anywhere") == {}
    assert zoo_builder.plan_differences({**ran, "device": "cuda"}, "tiny-on-a-cpu") == {"device": ("cuda", "cpu")}


def test_train_all_with_no_flags_is_the_zoos_recipe_two_entries_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command the zoo's wall clock was measured with is the bare one: one seed, the recipe, two jobs for --all."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("IMAGINATION_ZOO", str(tmp_path / "empty-zoo"))
    calls = []
    monkeypatch.setattr(cli, "train_parallel", lambda *a: calls.append(("parallel", *a)) or {})
    monkeypatch.setattr(cli, "train_one", lambda *a: calls.append(("one", *a)))
    monkeypatch.setattr(cli, "index", lambda: [])
    monkeypatch.setattr(cli, "record_wall", lambda *a: None)
    with pytest.raises(SystemExit):  # nothing trained (mocked): it says so with its exit status
        zoo_builder.main(["train", "--all"])
    ((kind, names, extra, seeds, recipe, jobs),) = calls
    assert (kind, extra, seeds, recipe, jobs) == ("parallel", [], ["0"], "fast", 2)
    assert names == [n for n in zoo_builder.PLAN if not zoo_builder.needs_gpu(n)]
    calls.clear()
    zoo_builder.main(["train", "gol3-autoencoder"])
    assert calls == [("one", "gol3-autoencoder", [], ["0"], "fast")]


def test_tables_skip_a_registered_repo_that_is_not_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A contributor's pushed-only entry has no folder here: the generated tables list the bundled zoo only."""
    entries = registry.read()
    extra = dict(entries[0], name="someone-elses-variant", repo_id="someone/variant", bundled=False, pushed=True)
    monkeypatch.setattr(registry, "read", lambda path=None: [*entries, extra])
    for text in (zoo_builder.table(), zoo_builder.minutes_table()):
        assert "someone-elses-variant" not in text
        assert all(f"`{e['name']}`" in text for e in entries)


def test_adopt_installs_a_run_made_with_the_plan_and_refuses_any_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An experiment that is exactly an entry's plan (any seed) becomes that entry, recorded as its zoo command."""
    from training import train

    zoo_dir = tmp_path / "zoo"
    zoo_dir.mkdir()
    monkeypatch.setenv("IMAGINATION_ZOO", str(zoo_dir))
    monkeypatch.setattr(paths, "RUNS", tmp_path / "runs")
    monkeypatch.setitem(plan.RECIPES, "fast", list(TINY_TRAIN))
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-adopted", (["--game-steps", "2"], None))
    run, other = tmp_path / "experiment", tmp_path / "other"
    train.main(["--out", str(run), *TINY_TRAIN, "--game-steps", "2", "--seed", "3"])
    train.main(["--out", str(other), *TINY_TRAIN, "--game-steps", "2", "--lr", "0.01"])
    with pytest.raises(SystemExit, match=rf"lr: 0.01 in the run, {train.TrainConfig.lr} in the plan"):
        zoo_builder.adopt(other, "tiny-adopted")
    assert not (zoo_dir / "tiny-adopted").exists()
    (run / PICTURE).unlink()  # a run finished before cards carried a picture: adopt draws it from the weights
    zoo_builder.adopt(run, "tiny-adopted")
    entry = zoo_dir / "tiny-adopted"
    assert (entry / PICTURE).read_bytes() == picture_png(entry) == (run / PICTURE).read_bytes()
    tc = json.loads((entry / "train_config.json").read_text())
    assert tc["name"] == "tiny-adopted" and tc["seed"] == 3
    # the recorded command is the plan's, with the run's seed: it parses to the run's every setting
    args = vars(train.parser().parse_args(tc["command"][3:]))
    args.pop("resume")
    again = asdict(train.TrainConfig(**args))
    ran = json.loads((run / "train_config.json").read_text())
    skip = ("out", "name", "command")
    assert {k: v for k, v in again.items() if k not in skip} == {k: ran[k] for k in again if k not in skip}
    assert (entry / "model.safetensors").read_bytes() == (run / "model.safetensors").read_bytes()
    assert "tiny-adopted" in (entry / "README.md").read_text()
    # a longer run from another zoo's copy of the base: adopted as from this zoo's base where the weights are the same
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-long", (["--game-steps", "2"], "tiny-adopted"))
    same, different = tmp_path / "elsewhere" / "tiny-adopted", tmp_path / "different" / "tiny-adopted"
    shutil.copytree(run, same)
    shutil.copytree(other, different)
    longer, astray = same.with_name("tiny-long"), different.with_name("tiny-long")  # each beside its base
    train.main(["--out", str(longer), *TINY_TRAIN, "--game-steps", "2", "--warm-start", str(same)])
    train.main(["--out", str(astray), *TINY_TRAIN, "--game-steps", "2", "--warm-start", str(different)])
    with pytest.raises(SystemExit, match=r"warm_start: 'tiny-adopted' in the run"):
        zoo_builder.adopt(astray, "tiny-long")
    zoo_builder.adopt(longer, "tiny-long")
    base = str(zoo_dir / "tiny-adopted")
    assert json.loads((zoo_dir / "tiny-long" / "train_config.json").read_text())["warm_start"] == base
    ev = json.loads((zoo_dir / "tiny-long" / "eval.json").read_text())
    assert ev["derived_from"]["source"] == ev["warm_start"]["from"] == portable(base)
    assert str(tmp_path / "elsewhere") not in (zoo_dir / "tiny-long" / "README.md").read_text()
    # a run started from this zoo's entry by its zoo name: adopted as from that entry
    by_name = tmp_path / "by-name"
    train.main(["--out", str(by_name), *TINY_TRAIN, "--game-steps", "2", "--warm-start", "tiny-adopted"])
    zoo_builder.adopt(by_name, "tiny-long")
    assert json.loads((zoo_dir / "tiny-long" / "train_config.json").read_text())["warm_start"] == base
    # a run from before a setting existed had that setting's default: adopted where the plan keeps the default
    older = tmp_path / "older"
    shutil.copytree(run, older)
    tc = json.loads((older / "train_config.json").read_text())
    del tc["task_layers"]
    (older / "train_config.json").write_text(json.dumps(tc))
    zoo_builder.adopt(older, "tiny-adopted")
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-adopted", (["--game-steps", "2", "--task-layers", "3"], None))
    with pytest.raises(SystemExit, match=r"task_layers: 1 in the run, 3 in the plan"):
        zoo_builder.adopt(older, "tiny-adopted")


def test_adopt_takes_a_seed_checks_run_without_snapshots_only_for_an_entry_that_ships_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``zoo seeds`` trains with --snapshots 0: such a run may become an entry that ships none, whose plan trains
    with none (an older run that kept some would be recorded with its count)."""
    from training import train

    monkeypatch.setenv("IMAGINATION_ZOO", str(tmp_path / "zoo"))
    monkeypatch.setattr(paths, "RUNS", tmp_path / "runs")
    monkeypatch.setitem(plan.RECIPES, "fast", list(TINY_TRAIN))
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-plain", (["--game-steps", "2"], None))
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-shown", (["--game-steps", "2"], None))
    for module in (build, plan):
        monkeypatch.setattr(module, "SNAPSHOTS", {"tiny-shown"})
    run = tmp_path / "seed-2"
    train.main(["--out", str(run), *TINY_TRAIN, "--game-steps", "2", "--seed", "2", "--snapshots", "0"])
    ran = json.loads((run / "train_config.json").read_text())
    assert build.plan_differences(ran, "tiny-plain") == {} and list(build.plan_differences(ran, "tiny-shown")) == [
        "snapshots"
    ]
    with pytest.raises(SystemExit, match=r"snapshots: 0 in the run, 24 in the plan"):
        zoo_builder.adopt(run, "tiny-shown")  # it would ship no snapshots where the plan shows them
    zoo_builder.adopt(run, "tiny-plain")
    tc = json.loads((tmp_path / "zoo" / "tiny-plain" / "train_config.json").read_text())
    assert tc["command"][-4:] == ["--seed", "2", "--threads", "1"]
    assert "--snapshots" in plan.command("tiny-plain", tmp_path) and "--snapshots" not in plan.command(
        "tiny-shown", tmp_path
    )
    args = vars(train.parser().parse_args(tc["command"][3:]))
    assert args["snapshots"] == tc["snapshots"] == 0 and args["seed"] == 2


def test_schedule_runs_entries_side_by_side_each_after_its_base() -> None:
    """``train --jobs``: never more than ``jobs`` at once, a base before what builds on it, a failure contained."""
    import subprocess
    import sys
    import time

    deps = {"a": None, "b": None, "a-long": "a", "broken": None, "broken-long": "broken", "a-longer": "a-long"}
    started, live, most = {}, [], [0]

    def launch(name: str) -> subprocess.Popen:
        started[name] = time.perf_counter()
        live[:] = [p for p in live if p.poll() is None]
        code = "import sys, time; time.sleep(0.3); sys.exit(3 if sys.argv[1] == 'broken' else 0)"
        proc = subprocess.Popen([sys.executable, "-c", code, name])
        live.append(proc)
        most[0] = max(most[0], len(live))
        return proc

    minutes, failed = zoo_builder.schedule(list(deps), launch, 2, deps.get)
    assert sorted(minutes) == ["a", "a-long", "a-longer", "b"] and all(m > 0 for m in minutes.values())
    assert failed == ["broken", "broken-long"] and "broken-long" not in started
    assert most[0] == 2  # two at a time, never three
    assert abs(started["a"] - started["b"]) < 0.25  # side by side
    assert started["a-long"] - started["a"] >= 0.3 and started["a-longer"] - started["a-long"] >= 0.3


def test_the_longest_chain_ahead_starts_first_so_no_long_run_is_left_for_the_end() -> None:
    deps = {"small": None, "big": None, "big-long": "big", "tiny": None, "mid": None}
    minutes = {"small": 1.0, "big": 5.0, "big-long": 4.0, "tiny": 0.5, "mid": 6.0}
    ahead = build.chains_ahead(minutes, deps.get)
    assert ahead == {"small": 1.0, "big": 9.0, "big-long": 4.0, "tiny": 0.5, "mid": 6.0}
    order: list[str] = []

    class Done:
        returncode = 0

        def poll(self) -> int:
            return 0

    def launch(name: str) -> Done:
        order.append(name)
        return Done()

    zoo_builder.schedule(list(deps), launch, 1, deps.get, ahead.__getitem__)
    assert order == ["big", "mid", "big-long", "small", "tiny"]  # big-long waits for big, then outranks small
    order.clear()
    zoo_builder.schedule(list(deps), launch, 1, deps.get)
    assert order == ["small", "big", "big-long", "tiny", "mid"]  # without priorities: the plan's order


def test_the_schedule_is_ordered_by_the_minutes_this_checkouts_zoo_records() -> None:
    assert (
        build.recorded_minutes("count3ts")
        == json.loads((paths.ROOT / "zoo" / "count3ts" / "eval.json").read_text())["train_minutes"]
    )
    assert build.recorded_minutes("count2ts") > 0  # a stage, read inside the entry that continues it


def _config(cmd: list[str]) -> dict:
    from training import train

    return asdict(train.TrainConfig(**zoo_builder.train_args(cmd)))


def test_the_zoos_recipe_is_the_training_defaults_under_each_entrys_own_flags() -> None:
    """The zoo trains an entry as ``python -m training.train`` would by default, plus the entry's flags; ``--recipe
    batch256`` (the zoo's recipe until 2026-12-04) differs only where an entry does not set a flag itself."""
    from training import train

    plain = _config(zoo_builder.command("gol3-autoencoder", Path("x")))
    defaults = asdict(train.TrainConfig(out="x", name="gol3-autoencoder"))
    assert plain == defaults
    for name, (args, _) in zoo_builder.PLAN.items():
        fast, slow = (_config(zoo_builder.command(name, Path("x"), recipe=r)) for r in ("fast", "batch256"))
        own = {a.removeprefix("--").replace("-", "_") for a in args if a.startswith("--")}
        for key in ("batch_size", "lr", "train_size", "steps"):
            if key in own:  # what an entry sets itself holds under either recipe
                assert fast[key] == slow[key], (name, key)
        if "batch_size" not in own:
            assert fast["batch_size"] == 32 and slow["batch_size"] == 256
    # the 4-step summary grid keeps the batch-256 recipe's 8,000-step budget (not the defaults' 16,000)
    assert _config(zoo_builder.command("grid4ts-2size", Path("x")))["steps"] == 8000


def test_compare_sets_two_zoos_side_by_side_with_their_wall_clocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    other = tmp_path / "fast"
    shutil.copytree(ZOO_DIR / "gol2-baseline", other / "gol2-baseline")
    stage = other / "count2ts-long" / STAGES / "count2ts"  # a stage is compared too: its minutes are the zoo's
    shutil.copytree(plan.folder("count2ts"), stage)
    ev = json.loads((stage / "eval.json").read_text())
    ev.update(task_error=0.0004, train_minutes=1.25, train_steps=777, interpretability=0.5)
    (stage / "eval.json").write_text(json.dumps(ev))
    monkeypatch.setenv("IMAGINATION_ZOO", str(other))
    record = argparse.Namespace(recipe="fast", jobs=2)
    zoo_builder.record_wall(["gol2-baseline"], {"gol2-baseline": 0.5}, 0.5, record)
    assert (tmp_path / "fast-runs" / zoo_builder.WALL).exists()
    steps, minutes = 777 + _eval("gol2-baseline")["train_steps"], 1.25 + _eval("gol2-baseline")["train_minutes"]
    partial = zoo_builder.compare(ZOO_DIR, other).splitlines()[-1]
    assert partial.endswith(f"| {steps} | {minutes:.1f} | | | 2 of 2 |")  # count2ts untimed: no wall clock
    zoo_builder.record_wall(["count2ts"], {"count2ts": 1.5}, 1.5, record)  # a resumed run adds its call
    text = zoo_builder.compare(ZOO_DIR, other)
    rows = {line.split(" | ")[0].strip("| `"): line for line in text.splitlines()[2:]}
    assert set(rows) == set(ENTRIES) | set(plan.STAGES) | {"**total**"}
    assert rows["count2ts"].endswith("| 777 | 1.2 | 0.0004 | 0.500 | yes |")  # met the bar there, not here
    assert "| **no** | 777 |" in rows["count2ts"]
    assert rows["gol3-baseline"].endswith("| - | - | - | - | - |")
    assert rows["**total**"].endswith(f"| {steps} | {minutes:.1f} (wall clock 2.0) | | | 2 of 2 |")


def _eval(name: str) -> dict:
    return json.loads((ZOO_DIR / name / "eval.json").read_text())


def test_rescore_and_off_distribution_rewrite_scores_from_the_saved_weights_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``zoo rescore`` replaces the evaluator's keys and keeps the training record; ``zoo off-distribution`` adds the
    off-distribution sets to eval.json, the card and the docs table; neither touches the weights."""
    from training import registration, train
    from training.zoo import rescore

    zoo_dir = tmp_path / "zoo"
    zoo_dir.mkdir()
    monkeypatch.setenv("IMAGINATION_ZOO", str(zoo_dir))
    folder = zoo_dir / "tiny-patch"
    train.main(["--out", str(folder), *TINY_TRAIN, "--task", "patch", "--task-size", "3", "--game-steps", "2"])
    registration.write([registration.record(folder, "tiny-patch", "org/tiny-patch", bundled=True)])
    weights = (folder / "model.safetensors").read_bytes()
    ev = json.loads((folder / "eval.json").read_text())
    stale = {**ev, "task_error": 0.5, "task_mae_cells": 9.0, "faithfulness": {"score": None}}
    (folder / "eval.json").write_text(json.dumps(stale))
    assert rescore.rescore([]) == [f"tiny-patch: task_error 0.5 -> {ev['task_error']}"]
    again = json.loads((folder / "eval.json").read_text())
    assert again["task_error"] == ev["task_error"] and again["task_mae_cells"] == ev["task_mae_cells"]
    assert again["faithfulness"] == {"score": None} and again["train_steps"] == ev["train_steps"]
    with pytest.raises(SystemExit, match="not bundled"):
        rescore.rescore(["gol3-autoencoder"])
    doc = tmp_path / "analysis.md"
    doc.write_text("before\n<!-- off-distribution-table:start -->\n<!-- off-distribution-table:end -->\nafter\n")
    table = rescore.add_off_distribution([], doc)
    off = json.loads((folder / "eval.json").read_text())["off_distribution"]["uniform"]
    assert off["eval_set"]["sampler"] == "uniform" and "| `tiny-patch` | patch |" in table
    assert table in doc.read_text() and doc.read_text().endswith("after\n")
    assert "### Off distribution: `uniform`" in (folder / "README.md").read_text()
    assert (folder / "model.safetensors").read_bytes() == weights


def test_an_entry_that_names_its_seeds_is_the_best_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """plan.toml's ``seeds`` reach training.best_of for an entry on a base; an entry without them trains once."""
    from training.zoo import build

    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(build.best_of, "main", lambda argv: calls.append(("best_of", argv)))
    monkeypatch.setattr(build.train, "main", lambda argv: calls.append(("train", argv)))
    monkeypatch.setattr(build, "install", lambda run, name: None)
    build.train_one("count2ts-long-adversarial", [])
    build.train_one("gol3-untied-adversarial", [])
    (kind, argv), (other, _) = calls
    assert (kind, other) == ("best_of", "train")
    assert argv[: argv.index("--")] == ["--seeds", "0", "1", "2"] and "--init" in argv
    calls.clear()
    build.train_one("count2ts-long-adversarial", [], ["5"])  # seeds given on the command line win
    assert calls[0][1][:2] == ["--seeds", "5"]


def test_the_seed_train_trains_is_best_ofs_from_scratch_and_the_plans_when_continued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-scratch", (["--game-steps", "2", "--seed", "5"], None))
    monkeypatch.setitem(zoo_builder.PLAN, "tiny-continued", (["--game-steps", "2", "--seed", "2"], "tiny-scratch"))
    assert build.trained_seed("tiny-scratch") == plan.SEEDS[0]  # best_of's --seed comes after the plan's 5
    assert build.trained_seed("tiny-continued") == "2"
    best_of = next(n for n in plan.ENTRY_SEEDS if plan.PLAN[n][1] is not None)
    assert build.trained_seed(best_of) == plan.ENTRY_SEEDS[best_of][0]


def _seed_selection(name: str) -> dict:
    return _eval(name).get("seed_selection", {})


# bundled entries picked from several seeds (training.best_of) whose plan now trains one
ONCE_BEST_OF = [
    n for n in ENTRIES if n in plan.PLAN and n not in plan.ENTRY_SEEDS and len(_seed_selection(n).get("seeds", {})) > 1
]


def test_eight_entries_once_the_best_of_three_train_one_seed() -> None:
    assert len(ONCE_BEST_OF) == 8 and "gol3-longrun" in ONCE_BEST_OF


@pytest.mark.parametrize("name", ONCE_BEST_OF)
def test_an_entry_once_the_best_of_its_seeds_trains_the_kept_seed_only_where_the_seed_did_not_matter(
    name: str,
) -> None:
    """The plan's seed is the one kept, and no seed left behind read the imagination 0.01 better (else the seed
    is the result, and the entry must stay the best of its seeds)."""
    selection = _seed_selection(name)
    assert build.trained_seed(name) == str(selection["chosen"])
    reads = [s["interpretability"] for s in selection["seeds"].values()]
    assert max(reads) - min(reads) < 0.01
