"""The training loop: a Trainer runs a run's phases, logs its learning curve and checkpoints it.

    trainer = Trainer(tc, device, rank, world, resume=False)
    seconds = trainer.fit()          # every phase left; the weights end on the CPU

Each phase has its own Adam and learning-rate schedule (torch's LambdaLR: exponential decay from lr to
lr_final over the phase; the discriminator keeps its fixed lr). The checkpoint (``STATE_FILE`` in the
output folder) holds the weights, the optimiser and the step, and every random draw is a function of
(seed, step, rank), so a run continued with ``resume=True`` gives the uninterrupted run's weights.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from tqdm import tqdm

from imagination.evaluate import board_scores, decode_episodes, eval_episodes, summary_scores
from imagination.loading import revisions
from imagination.model import ImaginationModel, make_decoder
from training import snapshots
from training.config import TrainConfig, log_set, model_config
from training.data import Batches
from training.objective import Discriminator, Objective, Stats, probe_names
from training.runtime import agreed, autocast_dtype, check_ranks_agree, describe_device
from training.state import load_state, read_info, save_state

STATE_FILE = "resume_state.safetensors"


# -- what a run trains ---------------------------------------------------------------------------
def phases(tc: TrainConfig) -> list[tuple[str, int]]:
    """(phase, steps) in order: the model (unless --init gives a frozen one), then the regime's decoders."""
    out: list[tuple[str, int]] = []
    if not tc.init:
        out.append(("model", tc.steps))
    if tc.regime == "adversarial":
        out += [("decoder", tc.decoder_steps), ("adversarial", tc.adver_steps)]
    elif tc.regime == "probes":
        out.append(("probes", tc.probe_steps))
    elif tc.init:
        raise ValueError("--init is for the adversarial and probes regimes (they train on a frozen model)")
    return out


def build(tc: TrainConfig) -> tuple[ImaginationModel, nn.ModuleDict]:
    """The model (new from the seed, or --init / --warm-start's) and the extra modules the regime trains."""
    torch.manual_seed(tc.seed)
    if tc.init:
        model = ImaginationModel.from_pretrained(tc.init)
    elif tc.warm_start:
        base = ImaginationModel.from_pretrained(tc.warm_start)
        wanted = asdict(model_config(tc))
        # the regime names how a model was trained, not what it is: a longer run may add a variant (--agree-weight)
        differ = {k: (v, wanted[k]) for k, v in asdict(base.config).items() if wanted.get(k) != v and k != "regime"}
        if differ:
            said = ", ".join(f"{k}: {a!r} there, {b!r} here" for k, (a, b) in differ.items())
            raise ValueError(f"--warm-start {tc.warm_start} is another architecture or task ({said})")
        model = ImaginationModel(model_config(tc))
        model.load_state_dict(base.state_dict())
    else:
        model = ImaginationModel(model_config(tc))
        if tc.zero_init:
            # The network starts as "every step repeats h_0" and learns what each step changes,
            # the usual way to keep a deep residual stack (here: unrolled steps) trainable.
            for block in model.core:
                last = [m for m in block if isinstance(m, nn.Conv2d)][-1]
                nn.init.zeros_(last.weight)
                nn.init.zeros_(last.bias)
    extra = nn.ModuleDict()
    if tc.regime == "adversarial":
        layers = tc.adver_decoder_layers or model.config.decoder_layers
        extra["decoder"] = make_decoder(replace(model.config, decoder_layers=layers))
        sizes = [int(s) for s in tc.train_sizes.split(",")] if tc.train_sizes else [tc.train_size]
        side = max(model.config.env.frame_shape(s)[0] for s in sizes)
        extra["discriminator"] = Discriminator(side, model.config.negative_slope, 2 if tc.adver_pairs else 1)
    elif tc.regime == "probes":
        for name in probe_names(model.config.model_steps):
            extra[name] = make_decoder(model.config)
    return model, extra


def phase_params(phase: str, model: ImaginationModel, extra: nn.ModuleDict, tc: TrainConfig) -> list[dict[str, Any]]:
    """The optimiser's parameter groups of a phase; the model is frozen outside its own phase."""
    for p in model.parameters():
        p.requires_grad_(phase == "model")
    if phase == "model":
        return [{"params": list(model.parameters())}]
    if phase == "decoder":
        return [{"params": list(extra["decoder"].parameters())}]
    if phase == "adversarial":
        return [
            {"params": list(extra["decoder"].parameters())},
            {"params": list(extra["discriminator"].parameters()), "lr": tc.disc_lr, "fixed_lr": True},
        ]
    return [{"params": list(extra.parameters())}]


def lr_lambdas(tc: TrainConfig, groups: list[dict[str, Any]], steps: int) -> list[Callable[[int], float]]:
    """Per group, the factor on its lr at a step of the phase: lr -> lr_final over ``steps``, or 1 (fixed lr)."""
    ratio, length = tc.lr_final / tc.lr, max(1, steps)

    def decay(step: int) -> float:
        return ratio ** (step / length)

    def fixed(step: int) -> float:
        return 1.0

    return [fixed if g.get("fixed_lr") else decay for g in groups]


# -- the learning curve --------------------------------------------------------------------------
def quick_eval(model: ImaginationModel, episodes: torch.Tensor, decoder: nn.Module | None = None) -> dict[str, Any]:
    """The learning-curve scores on the small log set (the same definitions as eval.json).

    The model runs wherever its weights are; the episodes stay on the CPU and are scored there, so
    the numbers are computed the same way on every device.
    """
    device = next(model.parameters()).device
    decoded, summaries = decode_episodes(model, episodes[:, 0].to(device), decoder=decoder)
    decoded = decoded.cpu()
    summaries = summaries.cpu() if summaries is not None else None
    s = board_scores(model.config, episodes, decoded)
    out = {k: s[k] for k in ("final_error", "interpretability", "per_step_accuracy")}
    out["task_error"] = s["final_error"]
    if summaries is not None:
        out["task_error"] = summary_scores(model.config, episodes, summaries)["task_error"]
    return out


def near_stop(tc: TrainConfig, phase: str, step: int, stats: Stats, world: int) -> bool:
    """Whether to check --stop-error between learning-curve points: every ``stop_every`` steps, once
    the training batch's own final-board error (computed every step anyway) is within 10x of it.

    Near the bar the log-set error dips below it and back (the curve is jumpy there); checking only
    every ``log_every`` steps misses dips and trains on for hundreds of steps, while an evaluation
    every few dozen steps for the whole run would cost more than it saves. Single process, board
    task only: under DDP every rank must reach the same decision points, and the batches differ.
    """
    if tc.stop_every <= 0 or tc.stop_error <= 0 or phase != "model" or world > 1 or "acc" not in stats:
        return False
    return step % tc.stop_every == 0 and 1.0 - float(stats["acc"]) <= 10 * tc.stop_error


# -- the loop ------------------------------------------------------------------------------------
class Trainer:
    """One run's training state: the model and extra modules, the step reached, the log, the batches.

    ``global_step`` counts steps across phases (a phase's steps run from its start in the plan), as
    the checkpoint and the batches' seeds do; ``trained`` counts the optimiser steps actually taken
    (a phase stopped early at --stop-error skips the rest of its steps).
    """

    def __init__(self, tc: TrainConfig, device: torch.device, rank: int, world: int, resume: bool = False) -> None:
        self.tc, self.device, self.rank, self.world = tc, device, rank, world
        self.out = Path(tc.out)
        self.state_path = self.out / STATE_FILE
        self.model, self.extra = build(tc)  # on the CPU, from the seed: every device starts from the same weights
        self.amp = autocast_dtype(tc.precision, device)
        # channels-last is what oneDNN's bf16 kernels (and a GPU's tensor cores) want; in fp32 on the CPU
        # it bought nothing, so the fp32 path keeps the default layout (and so its exact weights).
        layout = torch.channels_last if self.amp is not None else torch.preserve_format
        self.model.to(device, memory_format=layout)
        self.extra.to(device, memory_format=layout)
        self.objective = Objective(tc, self.model, self.extra)
        self.plan = phases(tc)
        self.info = read_info(self.state_path) if resume and self.state_path.exists() else None
        if resume and self.info is None and rank == 0:
            print(f"--resume: no {self.state_path}; starting from scratch", file=sys.stderr)
        self.global_step, self.elapsed0 = (self.info["step"], self.info["elapsed"]) if self.info else (0, 0.0)
        self.trained = self.info.get("trained", self.global_step) if self.info else 0
        self.modules = {"model": self.model, "extra": self.extra}
        self.log_eps: torch.Tensor | None = None
        if rank == 0:
            self._open_log(fresh=self.info is None)
            logged = log_set(self.model.config, tc.log_episodes, tc.eval_size, tc.eval_seed)
            self.log_eps = eval_episodes(self.model.config, logged)
        self.bar = tqdm(
            total=sum(n for _, n in self.plan),
            initial=self.global_step,
            disable=rank != 0,
            desc=self.out.name,
            dynamic_ncols=True,
            mininterval=2,
        )
        self.batches = Batches(tc, self.model.config, rank, device)
        # probes never change the checkpoint they ship (the frozen model): nothing to watch emerge
        wanted = tc.snapshots if rank == 0 and tc.regime != "probes" else 0
        self.snapshot_steps = set(snapshots.schedule(sum(n for _, n in self.plan), wanted))
        if self.info is None and rank == 0:
            snapshots.clear(self.out)
        self.start_time = time.perf_counter()

    def _open_log(self, fresh: bool) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "train_config.json").write_text(json.dumps(asdict(self.tc), indent=2) + "\n")
        if fresh:
            (self.out / "log.jsonl").write_text("")
        self._log(describe_device(self.device, self.amp))

    def _log(self, record: dict[str, Any]) -> None:
        with open(self.out / "log.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")

    def seconds(self) -> float:
        """Wall time of the training so far, across resumes."""
        return self.elapsed0 + time.perf_counter() - self.start_time

    # -- phases --------------------------------------------------------------------------------------
    def fit(self) -> float:
        """Run every phase not done yet; returns the training's wall seconds, with the weights on the CPU."""
        if self.trained == 0 and 0 in self.snapshot_steps:
            snapshots.save(self.model, self.extra, self.plan[0][0], self.out, 0)
        start = 0
        for phase, n in self.plan:
            if self.global_step < start + n:
                self._start_phase(phase, start, n)
                self._run_phase()
            start += n
        self.batches.close()
        if self.info is not None:  # every phase had finished; only the final write was missing
            load_state(self.state_path, self.modules, {})
        elapsed = self.seconds()
        if self.world > 1:
            check_ranks_agree(self.model, self.extra, self.out, self.rank, self.world)
        # Evaluated and saved from the CPU in the default layout: the same files, whatever trained them.
        self.model.to("cpu", memory_format=torch.contiguous_format)
        self.extra.to("cpu", memory_format=torch.contiguous_format)
        if self.snapshot_steps and not (self.out / revisions.FOLDER / revisions.name(self.trained)).is_dir():
            snapshots.save(self.model, self.extra, self.plan[-1][0], self.out, self.trained)  # the last step's
        self.bar.close()
        return elapsed

    def _start_phase(self, phase: str, start: int, n: int) -> None:
        """A fresh optimiser and schedule for ``phase``, restored from the checkpoint when resuming inside it."""
        self.phase, self.phase_start, self.phase_end = phase, start, start + n
        self.objective.phase = phase
        params = phase_params(phase, self.model, self.extra, self.tc)
        # AdamW only where asked: Adam is what every run before it trained with, step for step.
        lr, decay = self.tc.lr, self.tc.weight_decay
        self.opt: torch.optim.Optimizer = (
            torch.optim.AdamW(params, lr=lr, weight_decay=decay) if decay else torch.optim.Adam(params, lr=lr)
        )
        if self.info is not None:
            # A checkpoint inside this phase restores the optimiser too; one written at the end of
            # the previous phase holds only the weights this phase starts from.
            load_state(self.state_path, self.modules, {"opt": self.opt} if self.info["phase"] == phase else {})
            self.info = None
        # The lr each group's schedule starts from; restored groups hold it, except in a checkpoint
        # written before the schedule was a LambdaLR (which resumes the same way with it set here).
        for g in self.opt.param_groups:
            g.setdefault("initial_lr", self.tc.disc_lr if g.get("fixed_lr") else self.tc.lr)
        done = self.global_step - start
        self.schedule = LambdaLR(self.opt, lr_lambdas(self.tc, self.opt.param_groups, n), last_epoch=done - 1)
        self.runner: nn.Module = self.objective
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.runner = nn.parallel.DistributedDataParallel(
                self.objective, device_ids=ids, find_unused_parameters=True
            )
        self.objective.train()
        self.model.train(phase == "model")

    def _run_phase(self) -> None:
        tc, phase = self.tc, self.phase
        while self.global_step < self.phase_end:
            loss, stats = self.step()
            step = self.global_step
            log_point = step % tc.log_every == 0 or step == self.phase_end
            check_point = log_point or near_stop(tc, phase, step, stats, self.world)
            if step % 25 == 0 or log_point:  # reading a value waits for the GPU: not every step
                shown = {k: f"{float(v):.4f}" for k, v in stats.items()}
                self.bar.set_postfix(phase=phase, loss=f"{loss.item():.4f}", refresh=False, **shown)
            now = self.seconds()
            reached = self.log_eps is not None and check_point and self.evaluate(loss, stats, now)
            stop = False
            if phase == "model" and check_point and (tc.stop_error > 0 or tc.max_minutes > 0):
                stop = self._stop_early(reached, now)
            if self.trained in self.snapshot_steps:  # before the checkpoint, so a resume writes it again
                snapshots.save(self.model, self.extra, phase, self.out, self.trained)
            if self.global_step % tc.checkpoint_every == 0 or self.global_step == self.phase_end or stop:
                self.checkpoint(now)

    def step(self) -> tuple[torch.Tensor, Stats]:
        """One optimiser step on the batch of ``global_step``; returns the loss and the phase's stats."""
        tc, n = self.tc, self.phase_end - self.phase_start
        ep, real = self.batches.get(self.global_step)
        w = tc.adver_weight * (self.global_step - self.phase_start) / max(1, n) if self.phase == "adversarial" else 0.0
        with torch.autocast(self.device.type, dtype=self.amp or torch.bfloat16, enabled=self.amp is not None):
            loss, stats = self.runner(ep, real, w)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        for grp in self.opt.param_groups:
            if tc.grad_clip > 0:
                torch.nn.utils.clip_grad_value_(grp["params"], tc.grad_clip)
            if tc.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(grp["params"], tc.clip_norm)
        self.opt.step()
        self.schedule.step()
        self.global_step += 1
        self.trained += 1
        self.bar.update(1)
        return loss, stats

    def time_steps(self, k: int) -> dict[str, float]:
        """Seconds one optimiser step of each phase takes here: ``k`` steps timed after three to warm up (a
        process's first bf16 steps build their kernels, and cost a first run up to a third more).

        A run's recorded minutes are its machine's and its load's (a run beside three others, or on two
        threads); a few timed steps of each phase say what the run costs on this machine, free of both. No
        learning curve, checkpoint or snapshot is written: the weights moved are thrown away with the Trainer.
        """
        seconds, start = {}, 0
        for phase, n in self.plan:
            self.global_step = start
            self._start_phase(phase, start, n)
            for _ in range(3):
                self.step()
            t0 = time.perf_counter()
            for _ in range(k):
                self.step()
            seconds[phase] = (time.perf_counter() - t0) / k
            start += n
        self.batches.close()
        self.bar.close()
        return seconds

    # -- the learning curve, stopping and checkpoints -------------------------------------------------
    def evaluate(self, loss: torch.Tensor, stats: Stats, now: float) -> bool:
        """A learning-curve point on the log set, appended to log.jsonl; whether it meets --stop-error."""
        assert self.log_eps is not None  # rank 0 only
        phase = self.phase
        record: dict[str, Any] = {
            "step": self.global_step,
            "phase": phase,
            "minutes": now / 60,
            "loss": loss.item(),
            **{k: float(v) for k, v in stats.items()},
        }
        self.model.eval()
        t_eval = time.perf_counter()
        record.update(
            quick_eval(self.model, self.log_eps, self.extra["decoder"] if phase in ("decoder", "adversarial") else None)
        )
        record["eval_seconds"] = time.perf_counter() - t_eval  # so benchmarks can separate the curve's cost
        self.model.train(phase == "model")
        self.bar.write(
            f"step {self.global_step}: final error {record['final_error']:.4f}, interpretability "
            f"{record['interpretability']:.3f}, per-step acc "
            + " ".join(f"{a:.3f}" for a in record["per_step_accuracy"])
        )
        reached = phase == "model" and self.tc.stop_error > 0 and record["task_error"] <= self.tc.stop_error
        if reached:
            record["event"] = "stop_error_reached"
        self._log(record)
        return reached

    def _stop_early(self, reached: bool, now: float) -> bool:
        """Whether every rank ends the model phase here (--stop-error met, or --max-minutes spent)."""
        timed_out = self.tc.max_minutes > 0 and now > self.tc.max_minutes * 60
        stop = agreed(reached or timed_out, self.world, self.device)
        if stop:
            why = "--stop-error reached" if reached else "--max-minutes budget"
            self.bar.write(f"step {self.global_step}: stopping the model phase early ({why})")
            self.bar.update(self.phase_end - self.global_step)
            self.global_step = self.phase_end  # the checkpoint marks the phase done, so a resume moves on
        return stop

    def checkpoint(self, now: float) -> None:
        """Write the resume state (rank 0); every rank waits for it."""
        if self.rank == 0:
            info = {"step": self.global_step, "phase": self.phase, "elapsed": now, "trained": self.trained}
            save_state(self.state_path, self.modules, {"opt": self.opt}, info)
        if self.world > 1:
            dist.barrier()
