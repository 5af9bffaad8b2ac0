"""Train one imagination checkpoint, in any regime, and write a Hub-ready folder.

    python -m training.train --regime autoencoder --game-steps 3 --out runs/gol3-ae

The folder gets config.json + model.safetensors (loadable with ImaginationModel.from_pretrained),
train_config.json (every setting), eval.json (every score, measured from the saved weights on the
fixed eval set), log.jsonl (the learning curve) and README.md (a model card whose model-index
holds the scores). A run killed at any moment continues with --resume, losing at most one
checkpoint interval; the same seed gives the same weights. Under
``torchrun --nproc_per_node N`` the same command trains with DistributedDataParallel.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from imagination import cards, registry
from imagination.evaluate import EvalSet, board_scores, decode_episodes, eval_episodes, eval_set_for, evaluate
from imagination.loading.resolve import resolve
from imagination.model import ImaginationModel
from imagination.provenance import derived_from, portable, portable_args
from training import config, snapshots
from training.config import REGIMES, TrainConfig
from training.objective import probe_steps
from training.runtime import distributed, pick_device
from training.trainer import STATE_FILE, Trainer

__all__ = ["REGIMES", "STATE_FILE", "TrainConfig", "budget_hint", "finish", "main", "parser", "train"]


def train(tc: TrainConfig, resume: bool = False) -> dict[str, Any] | None:
    """Run every phase of ``tc`` and write the output folder; returns eval.json's contents on rank 0."""
    device = pick_device(tc.device)
    rank, world = distributed(device)
    if tc.threads:
        torch.set_num_threads(tc.threads)
    trainer = Trainer(tc, device, rank, world, resume)
    elapsed = trainer.fit()
    if world > 1:
        dist.barrier()
    result: dict[str, Any] | None = None
    if rank == 0:
        result = finish(tc, trainer.model, trainer.extra, Path(tc.out), elapsed, trainer.trained)
    if world > 1:
        # DDP's reducer holds the gloo group and its last work; free it first, so that destroying the
        # group joins gloo's threads now rather than at interpreter exit (an abort, exit -6, at times).
        trainer.runner = trainer.objective
        del trainer
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()
    return result


# -- the output folder ---------------------------------------------------------------------------
def finish(
    tc: TrainConfig, model: ImaginationModel, extra: nn.ModuleDict, out: Path, elapsed: float, trained: int
) -> dict[str, Any]:
    """Save the weights, then score what was saved (not the in-memory model, nor the snapshots') and write the card."""
    base_eval = take_new_decoder(tc, model, extra) if tc.regime == "adversarial" else None
    for p in model.parameters():
        p.requires_grad_(True)
    model.eval()
    tmp = out / ".weights-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    for f in ("config.json", "model.safetensors"):
        os.replace(tmp / f, out / f)
    shutil.rmtree(tmp, ignore_errors=True)
    saved = ImaginationModel.from_pretrained(out)
    eval_set = eval_set_for(model.config, tc.eval_episodes, tc.eval_size, tc.eval_seed)
    result = evaluate(saved, eval_set)
    result["train_minutes"] = elapsed / 60
    result["train_steps"] = trained
    if base_eval is not None:
        result["base_model"] = {k: base_eval[k] for k in ("interpretability", "final_error", "per_step_accuracy")}
    if tc.warm_start:
        result["warm_start"] = warm_start_record(tc.warm_start)
    if tc.init or tc.warm_start:
        result["derived_from"] = derived_from(tc.init or tc.warm_start, "init" if tc.init else "warm_start")
    if tc.regime == "probes":
        result["probes"] = probe_table(saved, extra, eval_set)
    snapshots.score(out, eval_set)  # snapshots.json: each snapshot's scores, from its saved weights
    (out / "eval.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "train_config.json").write_text(json.dumps(recorded_config(tc), indent=2) + "\n")
    cards.write_card(out, name=tc.name or out.name)
    (out / STATE_FILE).unlink(missing_ok=True)
    return result


def take_new_decoder(tc: TrainConfig, model: ImaginationModel, extra: nn.ModuleDict) -> dict[str, Any]:
    """The adversarial regime ships its new decoder; returns the scores of the model before it (its base)."""
    base_eval = evaluate(model, eval_set_for(model.config, tc.eval_episodes, tc.eval_size, tc.eval_seed))
    snapshots.attach_decoder(model, extra["decoder"])
    return base_eval


def probe_table(model: ImaginationModel, extra: nn.ModuleDict, eval_set: EvalSet) -> dict[str, Any]:
    """Per probe: which steps it was fitted on, and the board scores of its decodings."""
    episodes = eval_episodes(model.config, eval_set)
    table = {}
    for name, probe in extra.items():
        decoded, _ = decode_episodes(model, episodes[:, 0], decoder=probe)
        s = board_scores(model.config, episodes, decoded)
        table[name] = {
            "fitted_steps": probe_steps(name, model.config.model_steps),
            **{k: s[k] for k in ("per_step_accuracy", "interpretability", "final_error")},
        }
    return table


def recorded_config(tc: TrainConfig) -> dict[str, Any]:
    """train_config.json as it ships: every setting, with the paths portable (no folder of this machine)."""
    record = asdict(tc)
    for key in ("out", "init", "warm_start"):
        record[key] = portable(record[key])
    return record


def warm_start_record(source: str) -> dict[str, Any]:
    """Where a warm-started run began, and what that checkpoint had cost (from its eval.json)."""
    record: dict[str, Any] = {"from": portable(source)}
    ev = Path(resolve(source)) / "eval.json"  # a zoo name is read from its folder too
    if ev.exists():
        before = json.loads(ev.read_text())
        for k in ("train_steps", "train_minutes", "final_error", "interpretability"):
            if k in before:
                record[k] = before[k]
    return record


# -- command line ------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    """The command's flags: one per TrainConfig field (training.config), and --resume."""
    return config.parser(__doc__)


def main(argv: list[str] | None = None) -> None:
    args = vars(parser().parse_args(argv))
    resume = args.pop("resume")
    # Recorded as the module command whatever launched it (sys.argv[0] is this file's absolute path under
    # `python -m`, best_of and torchrun), with every path portable: the card and train_config.json travel.
    given = sys.argv[1:] if argv is None else argv
    tc = TrainConfig(**args, command=["python", "-m", "training.train", *portable_args(list(given))])
    result = train(tc, resume=resume)
    if result is not None:
        msg = f"{tc.out}: final error {result['final_error']:.4f}, interpretability {result['interpretability']:.3f}"
        if tc.task != "board":
            msg += f", task error {result['task_error']:.4f}"
        print(msg + f", {result['train_minutes']:.1f} min")
        hint = budget_hint(tc, result)
        if hint:
            print(hint, file=sys.stderr)


def budget_hint(tc: TrainConfig, result: dict[str, Any]) -> str:
    """What to do when a run ends short of the zoo's bar, so a user is not left with a bad model unawares.

    The defaults are timed on the 3-step recipe; other games, rules and tasks may need more steps or another
    recipe (docs/training.md).
    """
    bar = registry.bar(tc.task)
    if tc.regime == "probes" or registry.meets(result["task_error"], tc.task):
        return ""
    return (
        f"{tc.out}: training ended after {result['train_steps']} steps at task error {result['task_error']:.4f}, "
        f"above the zoo's bar of {bar:g}. Train further from here with --warm-start {tc.out} (and a new --out), "
        "or start again with a larger --steps; docs/training.md gives what each checkpoint took."
    )


if __name__ == "__main__":
    main()
