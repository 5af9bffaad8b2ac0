"""End to end: the training CLI on tiny budgets, for every regime, and exact resumption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import TINY_TRAIN, assert_tables_close
from huggingface_hub import ModelCard
from safetensors.torch import load_file

from imagination import ImaginationModel, cards
from imagination.evaluate import EvalSet, evaluate
from training import data, train, trainer

ROOT = Path(__file__).resolve().parent.parent
TINY = TINY_TRAIN

REGIMES = {
    "baseline": ["--regime", "baseline"],
    "autoencoder": ["--regime", "autoencoder"],
    "adversarial": ["--regime", "adversarial"],
    "untied": ["--untied"],
    "different-timesteps": ["--game-steps", "3", "--model-steps", "2"],
    "consistency": ["--consistency-weight", "0.01"],
    "bce-loss": ["--loss", "bce"],  # the logit-output model (the default is MSE, the recipe)
    "count": ["--task", "count", "--game-steps", "2"],
    "count-deep-head": ["--task", "count", "--game-steps", "2", "--task-layers", "3"],
    "patch": ["--task", "patch", "--task-size", "2", "--game-steps", "2"],
    "grid": ["--task", "grid", "--task-size", "5", "--train-size", "10", "--eval-size", "10", "--game-steps", "2"],
}


def run_cli(out: Path, *args: str) -> dict:
    train.main(["--out", str(out), *TINY, *args])
    return json.loads((out / "eval.json").read_text())


def check_folder(folder: Path) -> dict:
    """The folder is Hub-ready, its card holds eval.json's numbers, and the weights re-score to them."""
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "README.md", "train_config.json", "eval.json"} <= names
    assert train.STATE_FILE not in names
    scores = json.loads((folder / "eval.json").read_text())
    card = ModelCard.load(folder / "README.md")
    got = cards.card_eval_metrics(card)
    assert got["interpretability"] == scores["interpretability"]
    assert got["final_error"] == scores["final_error"]
    for i, acc in enumerate(scores["per_step_accuracy"]):
        assert got[f"accuracy_step_{i}"] == acc
    assert_tables_close((folder / "README.md").read_text())
    model = ImaginationModel.from_pretrained(folder)
    again = evaluate(model, EvalSet(**scores["eval_set"]))
    for key in ("interpretability", "final_error", "per_step_accuracy", "score_matrix", "task_error"):
        assert again[key] == scores[key], key
    return scores


@pytest.mark.parametrize("regime", list(REGIMES))
def test_every_regime_writes_a_scored_hub_folder(tmp_path: Path, regime: str) -> None:
    scores = run_cli(tmp_path / regime, *REGIMES[regime])
    check_folder(tmp_path / regime)
    cfg = json.loads((tmp_path / regime / "config.json").read_text())
    tc = json.loads((tmp_path / regime / "train_config.json").read_text())
    assert tc["steps"] == 12 and tc["command"]
    log = [json.loads(line) for line in (tmp_path / regime / "log.jsonl").read_text().splitlines()]
    assert log[0]["event"] == "device"  # what the run ran on, then the learning curve
    assert log[1:] and all("interpretability" in r for r in log[1:])
    if regime == "untied":
        assert not cfg["tied"] and len(ImaginationModel.from_pretrained(tmp_path / regime).core) == 3
    if regime == "different-timesteps":
        assert (cfg["model_steps"], cfg["game_steps"]) == (2, 3)
        assert scores["scored_model_steps"] == [1] and scores["scored_game_steps"] == [1, 2]
    assert cfg["output"] == ("logit" if regime == "bce-loss" else "value")
    if regime == "adversarial":
        assert cfg["regime"] == "adversarial" and "base_model" in scores
        assert [r["phase"] for r in log[1:]][-1] == "adversarial"
    if regime in ("count", "count-deep-head", "patch", "grid"):
        assert cfg["trained_steps"] == [0] and scores["scored_model_steps"] == [1, 2]
        assert 0.0 <= scores["task_error"] <= 1.0
        head = ImaginationModel.from_pretrained(tmp_path / regime).task_head
        layers = 3 if regime == "count-deep-head" else 1
        assert cfg["task_layers"] == tc["task_layers"] == layers
        assert head is not None and sum(isinstance(m, torch.nn.Conv2d) for m in head) == layers
    if regime == "baseline":
        assert cfg["trained_steps"] == [3] and scores["scored_model_steps"] == [0, 1, 2]


def test_probes_on_a_frozen_model(tmp_path: Path) -> None:
    run_cli(tmp_path / "base")
    before = load_file(str(tmp_path / "base" / "model.safetensors"))
    scores = run_cli(tmp_path / "probes", "--regime", "probes", "--init", str(tmp_path / "base"))
    check_folder(tmp_path / "probes")
    after = load_file(str(tmp_path / "probes" / "model.safetensors"))
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert set(scores["probes"]) == {"first_last", "all", "step_0", "step_1", "step_2", "step_3"}
    assert scores["probes"]["step_2"]["fitted_steps"] == [2]
    assert "Decoder probes" in (tmp_path / "probes" / "README.md").read_text()


def test_adversarial_on_an_existing_checkpoint_keeps_the_core(tmp_path: Path) -> None:
    run_cli(tmp_path / "base")
    run_cli(tmp_path / "adv", "--regime", "adversarial", "--init", str(tmp_path / "base"))
    base = load_file(str(tmp_path / "base" / "model.safetensors"))
    adv = load_file(str(tmp_path / "adv" / "model.safetensors"))
    assert all(torch.equal(base[k], adv[k]) for k in base if not k.startswith("decoder"))
    assert not torch.equal(base["decoder.0.weight"], adv["decoder.0.weight"])


def test_a_summary_model_takes_an_adversarial_decoder_and_probes(tmp_path: Path) -> None:
    """Its board is a target at step 0 only, so the new decoder is fitted there and steps 1..T stay untrained."""
    count = ["--task", "count", "--game-steps", "2"]
    run_cli(tmp_path / "base", *count)
    deeper = ["--adver-decoder-layers", "2", "--adver-summary-weight", "0.01"]
    scores = run_cli(tmp_path / "adv", *count, "--regime", "adversarial", "--init", str(tmp_path / "base"), *deeper)
    check_folder(tmp_path / "adv")
    cfg = json.loads((tmp_path / "adv" / "config.json").read_text())
    assert cfg["regime"] == "count-adversarial" and cfg["trained_steps"] == [0] and cfg["decoder_layers"] == 2
    log = [json.loads(line) for line in (tmp_path / "adv" / "log.jsonl").read_text().splitlines()]
    assert all("summary" in r for r in log[1:])  # the decoded board T's summary, every phase
    assert scores["scored_model_steps"] == [1, 2] and "base_model" in scores
    base, adv = _weights(tmp_path / "base"), _weights(tmp_path / "adv")
    assert all(torch.equal(base[k], adv[k]) for k in base if not k.startswith("decoder"))  # the task head too
    assert "decoder.2.weight" in adv and "decoder.2.weight" not in base
    probes = run_cli(tmp_path / "probes", *count, "--regime", "probes", "--init", str(tmp_path / "base"))["probes"]
    assert probes["step_2"]["fitted_steps"] == [2] and len(probes["step_2"]["per_step_accuracy"]) == 3


def test_warm_start_continues_from_a_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = run_cli(tmp_path / "base")
    # No steps: the saved model is the checkpoint it started from, so it scores the same.
    same = run_cli(tmp_path / "same", "--warm-start", str(tmp_path / "base"), "--steps", "0")
    assert all(torch.equal(v, _weights(tmp_path / "same")[k]) for k, v in _weights(tmp_path / "base").items())
    assert same["final_error"] == base["final_error"] and same["interpretability"] == base["interpretability"]
    scores = run_cli(tmp_path / "more", "--warm-start", str(tmp_path / "base"), "--seed", "3")
    check_folder(tmp_path / "more")
    assert scores["warm_start"] == {
        "from": "base",  # a folder outside the working directory is recorded by its name, never its machine path
        **{k: base[k] for k in ("train_steps", "train_minutes", "final_error", "interpretability")},
    }
    assert "Trained further from the weights of `base`" in (tmp_path / "more" / "README.md").read_text()
    monkeypatch.setenv("IMAGINATION_ZOO", str(tmp_path))  # as a zoo name, the record reads the same folder
    assert train.warm_start_record("base") == {**scores["warm_start"], "from": "base"}
    # a longer run may add a training variant: the same weights to start from, the card names the new regime
    run_cli(tmp_path / "varied", "--warm-start", str(tmp_path / "base"), "--agree-weight", "0.1", "--steps", "0")
    assert all(torch.equal(v, _weights(tmp_path / "varied")[k]) for k, v in _weights(tmp_path / "base").items())
    assert ImaginationModel.from_pretrained(tmp_path / "varied").config.regime == "autoencoder+agree"
    with pytest.raises(ValueError, match="channels: 4 there, 6 here"):
        run_cli(tmp_path / "other", "--warm-start", str(tmp_path / "base"), "--channels", "6")
    with pytest.raises(ValueError, match="pick one"):
        train.TrainConfig(regime="adversarial", init="a", warm_start="b")


def test_bad_combinations_are_refused() -> None:
    with pytest.raises(ValueError, match="autoencoder"):
        train.TrainConfig(regime="baseline", task="count")
    with pytest.raises(ValueError, match="model-steps"):
        train.TrainConfig(game_steps=2, model_steps=3)
    with pytest.raises(SystemExit):
        train.main(["--regime", "nonsense"])


def test_boards_and_budget_default_to_the_game_length() -> None:
    # the README recipe (3 steps) trains on 8x8 for up to 12,000 steps; longer games get boards their
    # neighbourhood fits in and a budget long enough to leave the all-dead plateau
    assert [train.TrainConfig(game_steps=t).train_size for t in (1, 2, 3, 4, 6)] == [8, 8, 8, 10, 14]
    assert [train.TrainConfig(game_steps=t).steps for t in (1, 3, 4)] == [4000, 12000, 16000]
    given = train.TrainConfig(game_steps=4, train_size=12, steps=500)
    assert (given.train_size, given.steps) == (12, 500)
    args = vars(train.parser().parse_args(["--game-steps", "4"]))
    args.pop("resume")
    tc = train.TrainConfig(**args)
    assert (tc.train_size, tc.steps) == (10, 16000)


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "model.safetensors"))


@pytest.mark.parametrize(
    "regime, stop_at, precision",
    # bf16: the weights train in the channels-last layout; the checkpoint must restore them into it
    [("autoencoder", 8, "fp32"), ("adversarial", 12, "fp32"), ("adversarial", 21, "fp32"), ("adversarial", 14, "bf16")],
)
def test_interrupted_run_resumes_to_the_same_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, regime: str, stop_at: int, precision: str
) -> None:
    args = ["--regime", regime, "--precision", precision]
    full = run_cli(tmp_path / "full", *args)
    real_sample = data.sample_batch

    def crash_at(tc: train.TrainConfig, cfg: object, step: int, rank: int):  # type: ignore[no-untyped-def]
        if step == stop_at:
            raise KeyboardInterrupt
        return real_sample(tc, cfg, step, rank)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "sample_batch", crash_at)
    with pytest.raises(KeyboardInterrupt):
        run_cli(tmp_path / "resumed", *args)
    assert (tmp_path / "resumed" / train.STATE_FILE).exists()
    monkeypatch.setattr(data, "sample_batch", real_sample)
    train.main(["--out", str(tmp_path / "resumed"), *TINY, *args, "--resume"])
    resumed = json.loads((tmp_path / "resumed" / "eval.json").read_text())
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "resumed")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    for key in ("interpretability", "final_error", "per_step_accuracy", "score_matrix"):
        assert full[key] == resumed[key]


def test_killed_process_resumes_to_the_same_state(tmp_path: Path) -> None:
    """A real SIGKILL at an arbitrary moment, through the command line."""
    args = [*TINY, "--steps", "60", "--checkpoint-every", "7"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "training.train", *args]
    subprocess.run([*cmd, "--out", str(tmp_path / "full")], check=True, env=env, cwd=ROOT, capture_output=True)
    proc = subprocess.Popen(
        [*cmd, "--out", str(tmp_path / "killed")],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    state = tmp_path / "killed" / train.STATE_FILE
    deadline = time.time() + 60
    while not state.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "killed" / "eval.json").exists(), "the run finished before it could be killed"
    subprocess.run(
        [*cmd, "--out", str(tmp_path / "killed"), "--resume"], check=True, env=env, cwd=ROOT, capture_output=True
    )
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "killed")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_same_weights_other_seed_differs(tmp_path: Path) -> None:
    run_cli(tmp_path / "a", "--seed", "3")
    run_cli(tmp_path / "b", "--seed", "3")
    run_cli(tmp_path / "c", "--seed", "4")
    a, b, c = _weights(tmp_path / "a"), _weights(tmp_path / "b"), _weights(tmp_path / "c")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_torchrun_two_processes_agree(tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "training.train",
        "--out",
        str(out),
        *TINY,
        "--steps",
        "30",
        "--stop-error",
        "0.99",
    ]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    check = [r for r in log if r.get("event") == "ranks_agree"]
    assert len(check) == 1 and check[0]["world_size"] == 2
    assert check[0]["checksums"][0] == check[0]["checksums"][1]
    assert json.loads((out / "eval.json").read_text())["train_steps"] == 6  # both ranks stopped together
    check_folder(out)


def test_cli_help_lists_every_regime() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "training.train", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0
    for word in (
        "baseline",
        "autoencoder",
        "adversarial",
        "probes",
        "--untied",
        "--model-steps",
        "--task",
        "--consistency-weight",
        "--resume",
    ):
        assert word in done.stdout


def test_stop_error_ends_the_model_phase_early(tmp_path: Path) -> None:
    scores = run_cli(tmp_path / "early", "--stop-error", "0.99", "--steps", "30")
    assert scores["train_steps"] == 6  # the first log point already meets a 99% error bar
    log = [json.loads(line) for line in (tmp_path / "early" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["event"] == "stop_error_reached" and log[-1]["step"] == 6
    check_folder(tmp_path / "early")
    # rerunning with --resume (nothing left to resume) gives the same run
    train.main(["--out", str(tmp_path / "early"), *TINY, "--stop-error", "0.99", "--steps", "30", "--resume"])
    assert json.loads((tmp_path / "early" / "eval.json").read_text())["train_steps"] == 6


# -- the device path: every test runs on a CPU-only machine ------------------------------------------
def test_device_cpu_trains_the_same_weights_as_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine without CUDA the default is the CPU in fp32, and naming it changes nothing."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    run_cli(tmp_path / "default")
    run_cli(tmp_path / "cpu", "--device", "cpu", "--precision", "fp32")
    a, b = _weights(tmp_path / "default"), _weights(tmp_path / "cpu")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    first = json.loads((tmp_path / "default" / "log.jsonl").read_text().splitlines()[0])
    assert first["event"] == "device" and first["device"] == "cpu" and first["precision"] == "fp32"


def test_bf16_run_saves_the_same_format(tmp_path: Path) -> None:
    """bf16 autocast and the channels-last layout stay inside training: the files are fp32, contiguous."""
    run_cli(tmp_path / "fp32")
    run_cli(tmp_path / "bf16", "--precision", "bf16")
    check_folder(tmp_path / "bf16")
    a, b = _weights(tmp_path / "fp32"), _weights(tmp_path / "bf16")
    assert a.keys() == b.keys()
    for k in a:
        assert b[k].dtype == a[k].dtype == torch.float32 and b[k].shape == a[k].shape and b[k].is_contiguous()
    assert not all(torch.equal(a[k], b[k]) for k in a)  # it did train in another precision
    first = json.loads((tmp_path / "bf16" / "log.jsonl").read_text().splitlines()[0])
    assert first["precision"] == "bf16"


def _training_benchmark():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_training", ROOT / "benchmarks" / "training.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_benchmark_times_two_recipes_from_their_files(tmp_path: Path) -> None:
    bench = _training_benchmark()
    assert bench.order(0, ["a", "b"]) == ["a", "b"] and bench.order(1, ["a", "b"]) == ["b", "a"]  # ABBA
    base = " ".join(TINY)
    bench.main(
        ["--baseline", base, "--candidate", base + " --steps 6", "--out", str(tmp_path), "--bar-error", "0.3"]
        + ["--bar-interp", "0"]
    )
    results = json.loads((tmp_path / "results.json").read_text())
    runs = {r["label"]: r for r in results["runs"]}
    assert [r["label"] for r in results["runs"]] == ["baseline", "candidate"]
    for label, steps in (("baseline", 12), ("candidate", 6)):
        r, ev = runs[label], json.loads((tmp_path / f"{label}-s0-r0" / "eval.json").read_text())
        assert r["steps"] == steps == ev["train_steps"] and r["final_error"] == ev["final_error"]
        assert r["meets_bar"] == (ev["final_error"] <= 0.3) and r["device"] == "cpu" and r["precision"] == "fp32"
        assert r["wall_seconds"] > r["loop_seconds"] > 0 and r["steps_per_second"] > 0 and r["cpu_seconds"] > 0
    assert "candidate / baseline (medians):" in results["report"] and "steps 0.50x" in results["report"]


def test_stop_error_is_checked_between_log_points_once_the_batch_is_near(tmp_path: Path) -> None:
    # The tiny model's batch error is far below 10 x 0.99, so the check at step 2 already stops it.
    scores = run_cli(tmp_path / "near", "--stop-error", "0.99", "--steps", "30", "--stop-every", "2")
    assert scores["train_steps"] == 2
    log = [json.loads(line) for line in (tmp_path / "near" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["event"] == "stop_error_reached" and log[-1]["step"] == 2
    tc = train.TrainConfig(stop_error=0.001, stop_every=50)
    near, far = {"acc": torch.tensor(0.995)}, {"acc": torch.tensor(0.98)}
    assert trainer.near_stop(tc, "model", 100, near, world=1)
    assert not trainer.near_stop(tc, "model", 120, near, world=1)  # only every stop_every steps
    assert not trainer.near_stop(tc, "model", 100, far, world=1)  # the batch is not within 10x of the bar
    assert not trainer.near_stop(tc, "model", 100, near, world=2)  # DDP ranks see different batches
    assert not trainer.near_stop(tc, "decoder", 100, near, world=1)
    assert not trainer.near_stop(tc, "model", 100, {"mae_cells": torch.tensor(0.0)}, world=1)  # summary task
    assert not trainer.near_stop(train.TrainConfig(stop_every=0), "model", 100, near, world=1)


def test_latent_run_records_the_loss_and_keeps_the_trained_steps(tmp_path: Path) -> None:
    scores = run_cli(tmp_path / "latent", "--latent-weight", "0.5", "--no-latent-detach")
    check_folder(tmp_path / "latent")
    recorded = json.loads((tmp_path / "latent" / "train_config.json").read_text())
    assert recorded["latent_weight"] == 0.5 and recorded["latent_detach"] is False
    assert "--latent-weight" in recorded["command"]
    cfg = json.loads((tmp_path / "latent" / "config.json").read_text())
    assert cfg["regime"] == "autoencoder+latent-joint"
    assert cfg["trained_steps"] == scores["trained_steps"] == [0, 3]
    log = [json.loads(line) for line in (tmp_path / "latent" / "log.jsonl").read_text().splitlines()]
    assert all("latent" in r for r in log if r.get("phase") == "model")


def test_a_budget_that_runs_out_short_of_the_bar_says_what_to_do_next() -> None:
    tc = train.TrainConfig(out="runs/g4", game_steps=4, steps=8000)
    short = {"task_error": 0.14, "train_steps": 8000}
    hint = train.budget_hint(tc, short)
    assert "--warm-start runs/g4" in hint and "0.1400" in hint and "0.01" in hint
    assert train.budget_hint(tc, {"task_error": 0.004, "train_steps": 8000}) == ""  # at the bar
    assert "after 3400 steps" in train.budget_hint(tc, {"task_error": 0.14, "train_steps": 3400})  # --max-minutes
    count = train.TrainConfig(out="runs/c", task="count", game_steps=2, steps=100)
    assert "0.001" in train.budget_hint(count, {"task_error": 0.004, "train_steps": 100})  # the summary bar
