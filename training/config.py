"""Every setting of a training run (``TrainConfig``), the ModelConfig it builds, and its command line.

``train_config.json`` is ``asdict(TrainConfig)``, flat, so a run is reproduced from it and the zoo's
plan is checked against it key by key: fields are added with a default, never renamed. What each
default was measured against is in docs/training.md.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields
from typing import Any

from imagination import envs
from imagination.config import STATE_ACTS, ModelConfig
from imagination.evaluate import EVAL_EPISODES, EVAL_SEED, EVAL_SIZE, EvalSet, eval_set_for

REGIMES = ("baseline", "autoencoder", "adversarial", "probes")
TASKS = ("board", "count", "patch", "grid")
LOSSES = ("bce", "mse")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")

# The TrainConfig fields that are each environment's settings (config.json's "environment" object).
# Another environment adds its fields to TrainConfig and names them here (a maze: "rounds_per_step").
ENVIRONMENT_FIELDS: dict[str, tuple[str, ...]] = {"life": ("rule", "wrap"), "maze": ("rounds_per_step",)}


@dataclass
class TrainConfig:
    """Every setting of a run; saved as train_config.json so it can be reproduced exactly."""

    # -- what is trained ----------------------------------------------------------------------------
    out: str = "runs/gol3-ae"
    regime: str = "autoencoder"
    task: str = "board"
    task_size: int = 2
    game_steps: int = 3
    model_steps: int = 0  # 0: same as game_steps
    # -- the environment (imagination.envs) and its settings ------------------------------------------
    environment: str = "life"
    rule: str = "B3/S23"  # Life
    wrap: bool = False  # Life
    rounds_per_step: int = 1  # a maze: rounds of dead-end filling one environment step makes
    # -- variants of the regime ---------------------------------------------------------------------
    untied: bool = False
    consistency_weight: float = 0.0
    # W x MSE(h_T, encode(board T)): the core keeps running past T (docs/analysis.md)
    latent_weight: float = 0.0
    latent_detach: bool = True  # the target encode(board T) is a constant; --no-latent-detach trains both sides
    latent_relative: bool = False  # that MSE over the target's mean square, a constant: its value is scale-free
    # ... and the mean square in the graph too, so its gradient is scale-free as well: with the divisor a constant,
    # scaling h_T and encode(board T) down together lowers the loss, and the states shrink (docs/analysis.md)
    latent_scale_free: bool = False
    # W x relative MSE between two roads to step T + k, k ~ U[1, agree_steps (0: T)]: k more core steps from h_T
    # (board 0's run) and k core steps from encode(board T). Only boards 0 and T are read, as by the latent term
    agree_weight: float = 0.0
    agree_steps: int = 0
    agree_noise: float = 0.0  # noise (this x its RMS) on board T's road's start: the core learns to shrink a deviation
    hidden_noise: float = 0.0  # noise (this x the state's RMS) on each core step's input: pulls drift back
    # W x MSE(h_t, encode(decode(h_t) > 0.5)) / its mean square at every step t >= 1, the target held constant:
    # each state stays the encoding of a clean frame (its own decoding, never a true frame)
    snap_weight: float = 0.0
    # the decoding k ~ U[1, hold_steps] steps past the last one is trained against the environment's frame there,
    # the core started from the last state held constant: a maze's solution must stay solved
    hold_steps: int = 0
    init: str = ""  # frozen base model (zoo name, folder or repo id) for adversarial / probes
    warm_start: str = ""  # start the model phase from this checkpoint's weights (same architecture): a longer run
    # -- architecture (see ModelConfig) ---------------------------------------------------------------
    channels: int = 16
    core_hidden: int = 64
    core_layers: int = 3
    encoder_layers: int = 1
    decoder_layers: int = 1
    decoder_kernel: int = 1
    task_layers: int = 1  # 1x1 convs of the summary head: a sum is exact only when each cell's share is
    loss: str = "mse"  # mse (value output, as the reference; the recipe) | bce (logit output)
    state_act: str = "none"  # "tanh": bounded states, each channel settling where the core pushes it (ModelConfig)
    recall: bool = False  # feed the input to every core step (input recall), for environments that want it
    # -- optimisation (defaults: the CPU recipe of docs/training.md) ---------------------------------
    steps: int = -1  # -1: 4,000 x game steps (a longer game sits longer on the plateau); 0 scores a --warm-start
    batch_size: int = 32  # progress per step hardly depends on the boards seen, its cost does
    lr: float = 4e-3
    lr_final: float = 1e-3  # exponential decay from lr to lr_final over each phase
    grad_clip: float = 0.0  # clip gradient values to +-grad_clip (the reference uses 0.1); 0: off
    clip_norm: float = 1.0  # clip the global gradient norm; 0: off
    weight_decay: float = 0.0  # decoupled weight decay (AdamW) on the phase's parameters; 0: plain Adam
    zero_init: bool = False  # start each core step's residual branch at zero: h_{t+1} = h_t at init
    # -- training data ------------------------------------------------------------------------------
    train_size: int = 0  # 0: 2 x game steps + 2, at least 8: one cell's whole T-step neighbourhood fits, with a margin
    density_lo: float = 0.15
    density_hi: float = 0.65
    warmup_max: int = 3
    train_sizes: str = ""  # sizes drawn per batch, e.g. "3,4,5,6" (a maze's cells); empty: train_size
    # -1: every batch runs game_steps; k >= 0: each batch runs until its last episode's fixed point (a maze
    # solved) plus up to k steps, so no step count can stand in for a clock (model_steps must equal game_steps)
    horizon_margin: int = -1
    # -- where the steps run --------------------------------------------------------------------------
    device: str = "auto"  # auto: cuda when a CUDA device is present, else cpu (runtime.pick_device)
    precision: str = "auto"  # auto: bf16 autocast on cuda, fp32 on cpu; bf16 also runs the CPU steps in bf16
    # -- the adversarial decoder and the probes ---------------------------------------------------------
    decoder_steps: int = 1500
    adver_steps: int = 1500
    adver_weight: float = 0.05
    adver_decoder_layers: int = 0  # 1x1-conv layers of the new decoder; 0: as many as the frozen model's own
    adver_summary_weight: float = 0.0  # summary task: the summary of the new decoder's board T against the task's
    adver_pairs: bool = False  # the discriminator judges consecutive decoded frames against consecutive real ones
    disc_lr: float = 1e-3
    probe_steps: int = 1500
    # -- evaluation and bookkeeping ---------------------------------------------------------------------
    eval_episodes: int = EVAL_EPISODES
    eval_size: int = EVAL_SIZE
    eval_seed: int = EVAL_SEED
    log_every: int = 250
    log_episodes: int = 256
    checkpoint_every: int = 250
    snapshots: int = 24  # log-spaced checkpoints kept in <out>/snapshots/step<k> (training.snapshots); 0: none
    seed: int = 0
    threads: int = 0  # torch threads per process; 0: torch's default
    max_minutes: float = 0.0  # stop the model phase after this wall time (breaks determinism); 0: off
    stop_error: float = 0.001  # stop the model phase once the logged task error is at most this; 0: off
    stop_every: int = 50  # between log points, also check --stop-error this often once the batch is near it; 0: off
    name: str = ""  # model name for the card; default: the output folder's name
    command: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ValueError(f"--regime must be one of {REGIMES}")
        if self.task != "board" and self.regime == "baseline":
            raise ValueError("summary tasks train the board decoder on h_0 only: use --regime autoencoder")
        if self.model_steps <= 0:
            self.model_steps = self.game_steps
        if self.steps < 0:
            self.steps = 4000 * self.game_steps
        if self.train_size <= 0:
            self.train_size = max(8, 2 * self.game_steps + 2)
        if self.model_steps > self.game_steps:
            raise ValueError("--model-steps may not exceed --game-steps")
        if self.latent_scale_free and not self.latent_relative:
            raise ValueError("--latent-scale-free divides by the target's mean square: add --latent-relative")
        if self.agree_weight > 0 and (self.task != "board" or self.untied or self.recall):
            raise ValueError("--agree-weight runs the core past T from two starts: a tied core, no recall, board task")
        if self.latent_weight > 0 and self.task != "board":
            raise ValueError("--latent-weight uses board T, which a summary task never trains on: board task only")
        if self.adver_summary_weight > 0 and (self.regime != "adversarial" or self.task == "board"):
            raise ValueError("--adver-summary-weight scores an adversarial decoder's board T by a summary's answer")
        if self.adver_pairs and self.model_steps != self.game_steps:
            raise ValueError(
                "--adver-pairs compares consecutive model steps with consecutive game steps: no --model-steps"
            )
        if self.warm_start and self.init:
            raise ValueError("--warm-start trains a model further; --init freezes one: pick one")
        if self.device not in DEVICES:
            raise ValueError(f"--device must be one of {DEVICES}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"--precision must be one of {PRECISIONS}")
        if self.environment not in envs.names():
            raise ValueError(f"--environment must be one of {envs.names()}")
        if self.horizon_margin >= 0 and self.model_steps != self.game_steps:
            raise ValueError("--horizon-margin runs the model as many steps as the episode: --model-steps must be 0")
        if self.train_sizes and not all(s.strip().isdigit() and int(s) > 0 for s in self.train_sizes.split(",")):
            raise ValueError(f"--train-sizes is a comma-separated list of sizes, got {self.train_sizes!r}")


def environment_settings(tc: TrainConfig) -> dict[str, Any]:
    """config.json's ``environment`` object: the name, and the fields ENVIRONMENT_FIELDS gives that environment."""
    return {"name": tc.environment, **{k: getattr(tc, k) for k in ENVIRONMENT_FIELDS.get(tc.environment, ())}}


def model_config(tc: TrainConfig) -> ModelConfig:
    """The network a run trains; ``trained_steps`` are the steps its decoder saw boards at."""
    m = tc.model_steps
    if tc.task != "board":
        trained = [0]
    elif tc.regime == "baseline":
        trained = [m]
    else:
        trained = [0, m]
    return ModelConfig(
        channels=tc.channels,
        core_hidden=tc.core_hidden,
        core_layers=tc.core_layers,
        encoder_layers=tc.encoder_layers,
        decoder_layers=tc.decoder_layers,
        decoder_kernel=tc.decoder_kernel,
        model_steps=m,
        tied=not tc.untied,
        recall=tc.recall,
        state_act=tc.state_act,
        output="logit" if tc.loss == "bce" else "value",
        task=tc.task,
        task_size=tc.task_size,
        task_layers=tc.task_layers,
        game_steps=tc.game_steps,
        environment=environment_settings(tc),
        trained_steps=trained,
        regime=regime_name(tc),
    )


def log_set(cfg: ModelConfig, episodes: int, size: int, eval_seed: int) -> EvalSet:
    """The learning curve's log set (``log_episodes``): the eval set's sampler and size at the next seed, so the
    scores a run is steered and its seeds chosen by are never the eval set's."""
    return eval_set_for(cfg, episodes, size, eval_seed + 1)


def decoder_fit_steps(cfg: ModelConfig) -> list[int]:
    """The model steps a frozen model's new decoder (adversarial regime) is fitted on against boards.

    0 and T on a board task, as the authors' regime has it; 0 alone on a summary task, whose board at T
    is never a target (its model read boards only at step 0), so steps 1..T stay untrained there too.
    """
    return [0, cfg.model_steps] if cfg.task == "board" else [0]


def regime_name(tc: TrainConfig) -> str:
    """The regime as a card names it: the regime and each variant, joined by ``+``."""
    parts = [tc.regime if tc.task == "board" else f"{tc.task}-autoencoder"]
    if tc.untied:
        parts.append("untied")
    if tc.model_steps != tc.game_steps:
        parts.append(f"{tc.model_steps}-model-steps")
    if tc.consistency_weight > 0:
        parts.append("consistency")
    if tc.latent_weight > 0:
        relative = ("-scale-free" if tc.latent_scale_free else "-relative") if tc.latent_relative else ""
        parts.append("latent" + ("" if tc.latent_detach else "-joint") + relative)
    if tc.agree_weight > 0:
        parts.append("agree")
    if tc.hidden_noise > 0:
        parts.append("noise")
    return "+".join(parts)


CHOICES: dict[str, tuple[str, ...]] = {
    "regime": REGIMES,
    "task": TASKS,
    "loss": LOSSES,
    "device": DEVICES,
    "precision": PRECISIONS,
    "state_act": STATE_ACTS,
}


def parser(description: str | None = None) -> argparse.ArgumentParser:
    """One flag per TrainConfig field (``--game-steps`` for ``game_steps``), with the field's default."""
    p = argparse.ArgumentParser(
        prog="python -m training.train", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for f in fields(TrainConfig):
        if f.name == "command":
            continue
        flag = "--" + f.name.replace("_", "-")
        default = f.default  # the declared default, before __post_init__ fills anything in
        if isinstance(default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            # the environments are those registered when the parser is built
            choices = tuple(envs.names()) if f.name == "environment" else CHOICES.get(f.name)
            p.add_argument(flag, type=type(default), default=default, choices=choices)
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    return p
