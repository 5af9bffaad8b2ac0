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
import json
import os
import shutil
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from tqdm import tqdm

from imagination import cards, registry
from imagination.config import ModelConfig
from imagination.evaluate import (
    EVAL_EPISODES,
    EVAL_SEED,
    EVAL_SIZE,
    EvalSet,
    board_scores,
    decode_episodes,
    eval_episodes,
    evaluate,
    summary_scores,
)
from imagination.loading.resolve import resolve
from imagination.model import ImaginationModel, make_decoder
from imagination.provenance import derived_from, portable, portable_args
from imagination.tasks import summary_cells, summary_targets
from training.state import load_state, read_info, save_state

REGIMES = ("baseline", "autoencoder", "adversarial", "probes")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")
STATE_FILE = "resume_state.safetensors"


@dataclass
class TrainConfig:
    """Every setting of a run; saved as train_config.json so it can be reproduced exactly."""

    out: str = "runs/gol3-ae"
    regime: str = "autoencoder"
    task: str = "board"
    task_size: int = 2
    game_steps: int = 3
    model_steps: int = 0  # 0: same as game_steps
    rule: str = "B3/S23"
    wrap: bool = False
    untied: bool = False
    consistency_weight: float = 0.0
    # W * MSE(h_T, encode(board T)): the imagined state lands where the encoder puts the true board, so the
    # core can keep running past T (docs/analysis.md); uses board T only through the encoder (a trained step)
    latent_weight: float = 0.0
    latent_detach: bool = True  # the target encode(board T) is a constant; --no-latent-detach trains both sides
    # divide that MSE by the target's mean square: a plain MSE is also lowered by shrinking the encoder's scale
    # (the decoder absorbs it), which leaves the states as far apart relative to their size
    latent_relative: bool = False
    # Gaussian noise (std = this x the state's RMS) on each core step's input while training: the core learns
    # to pull a perturbed state back to the boards' code, the drift that ends an imagination past T
    hidden_noise: float = 0.0
    init: str = ""  # frozen base model (zoo name, folder or repo id) for adversarial / probes
    warm_start: str = ""  # start the model phase from this checkpoint's weights (same architecture): a longer run
    # architecture (see ModelConfig)
    channels: int = 16
    core_hidden: int = 64
    core_layers: int = 3
    encoder_layers: int = 1
    decoder_layers: int = 1
    decoder_kernel: int = 1
    # layers of the summary head (1x1 convs): a sum over many cells is only exact when each cell's share is,
    # which one linear layer of the hidden state rarely reaches (the reference used 3 to 8 task layers)
    task_layers: int = 1
    loss: str = "mse"  # mse (value output, as the reference; the recipe) | bce (logit output)
    # optimisation (defaults: the CPU recipe of docs/training.md)
    # -1: 4,000 x game steps (0 trains nothing: it scores a --warm-start as it is). A longer game sits longer on the
    # all-dead plateau, and the learning rate decays over the budget: 4 steps in 8,000 never left it, in 16,000 met
    # the error bar at 8,550 steps (docs/training.md)
    steps: int = -1
    # 32 boards of 8x8, not 256 of 12x12: progress per step hardly depends on the boards seen (seed 0 met
    # --stop-error after 3,400 steps at 64 x 12x12 and 3,900 at 32 x 8x8) and such a step costs ~2.3x less than
    # one of 64 x 12x12 (which cost ~4.8x less than 256); lr 4e-3 then saves steps (docs/training.md)
    batch_size: int = 32
    lr: float = 4e-3
    lr_final: float = 1e-3  # exponential decay from lr to lr_final over each phase
    grad_clip: float = 0.0  # clip gradient values to +-grad_clip (the reference uses 0.1); 0: off
    clip_norm: float = 1.0  # clip the global gradient norm; 0: off
    zero_init: bool = False  # start each core step's residual branch at zero: h_{t+1} = h_t at init
    train_size: int = 0  # 0: 2 x game steps + 2, at least 8: one cell's whole T-step neighbourhood fits, with a margin
    density_lo: float = 0.15
    density_hi: float = 0.65
    warmup_max: int = 3
    # where the steps run: auto picks cuda when a CUDA device is present, else cpu (see pick_device)
    device: str = "auto"
    # auto: bf16 autocast on cuda, fp32 on cpu; bf16 also runs the CPU steps in bf16 (channels-last)
    precision: str = "auto"
    # adversarial decoder / probes
    decoder_steps: int = 1500
    adver_steps: int = 1500
    adver_weight: float = 0.05
    disc_lr: float = 1e-3
    probe_steps: int = 1500
    # evaluation and bookkeeping
    eval_episodes: int = EVAL_EPISODES
    eval_size: int = EVAL_SIZE
    eval_seed: int = EVAL_SEED
    log_every: int = 250
    log_episodes: int = 256
    checkpoint_every: int = 250
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
        if self.latent_weight > 0 and self.task != "board":
            raise ValueError("--latent-weight uses board T, which a summary task never trains on: board task only")
        if self.warm_start and self.init:
            raise ValueError("--warm-start trains a model further; --init freezes one: pick one")
        if self.device not in DEVICES:
            raise ValueError(f"--device must be one of {DEVICES}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"--precision must be one of {PRECISIONS}")


# -- the model and its losses ----------------------------------------------------------------
def model_config(tc: TrainConfig) -> ModelConfig:
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
        output="logit" if tc.loss == "bce" else "value",
        task=tc.task,
        task_size=tc.task_size,
        task_layers=tc.task_layers,
        game_steps=tc.game_steps,
        environment={"name": "life", "rule": tc.rule, "wrap": tc.wrap},
        trained_steps=trained,
        regime=regime_name(tc),
    )


def regime_name(tc: TrainConfig) -> str:
    parts = [tc.regime if tc.task == "board" else f"{tc.task}-autoencoder"]
    if tc.untied:
        parts.append("untied")
    if tc.model_steps != tc.game_steps:
        parts.append(f"{tc.model_steps}-model-steps")
    if tc.consistency_weight > 0:
        parts.append("consistency")
    if tc.latent_weight > 0:
        parts.append("latent" + ("" if tc.latent_detach else "-joint") + ("-relative" if tc.latent_relative else ""))
    if tc.hidden_noise > 0:
        parts.append("noise")
    return "+".join(parts)


def board_loss(model: ImaginationModel, raw: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if model.config.output == "logit":
        return F.binary_cross_entropy_with_logits(raw, target)
    return F.mse_loss(raw, target)


class Discriminator(nn.Module):
    """Tells real boards from decodings: 3 strided convs (4/8/16 channels), dropout 0.3, a linear head."""

    def __init__(self, size: int, slope: float = 0.1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        ch = 1
        for out in (4, 8, 16):
            layers += [nn.Conv2d(ch, out, 3, stride=2, padding=1), nn.LeakyReLU(slope), nn.Dropout(0.3)]
            ch = out
            size = (size + 1) // 2
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(16 * size * size, 1)

    def forward(self, boards: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(boards.reshape(-1, 1, *boards.shape[-2:]))).squeeze(-1)


class Objective(nn.Module):
    """One phase's loss as a module, so DistributedDataParallel can wrap it whole.

    Phases: "model" trains encoder, core and decoders on the regime's losses; "decoder" fits a new
    decoder on a frozen model at the trained steps; "adversarial" continues that decoder against a
    discriminator at the intermediate steps; "probes" fits fresh decoders on chosen steps.
    """

    def __init__(self, tc: TrainConfig, model: ImaginationModel, extra: nn.ModuleDict) -> None:
        super().__init__()
        self.tc = tc
        self.model = model
        self.extra = extra
        self.phase = "model"

    def forward(
        self, ep: torch.Tensor, real: torch.Tensor, adver_weight: float
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return getattr(self, "_" + self.phase)(ep, real, adver_weight)

    def _model(self, ep: torch.Tensor, real: torch.Tensor, w: float) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        tc, model = self.tc, self.model
        m = model.config.model_steps
        hidden = model(ep[:, 0]) if tc.hidden_noise <= 0 else self._noisy_hidden(ep[:, 0])
        stats: dict[str, torch.Tensor] = {}
        if tc.task == "board":
            raw_last = model.decode_logits(hidden[:, m])
            loss = board_loss(model, raw_last, ep[:, -1])
            if tc.regime != "baseline":
                loss = loss + board_loss(model, model.decode_logits(hidden[:, 0]), ep[:, 0])
            stats["acc"] = ((model.to_probs(raw_last.detach()) > 0.5) == (ep[:, -1] > 0.5)).float().mean()
        else:
            # board decoder: h_0 only; task head: the summary at h_T and (its autoencoder) at h_0
            loss = board_loss(model, model.decode_logits(hidden[:, 0]), ep[:, 0])
            # MSE in units of cells per region, so "off by one cell" weighs the same for every task
            cells = summary_cells(tc.task, tc.task_size, ep.shape[-2:])
            # A count is exact to the cell (up to 400 here), beyond bf16's 8 mantissa bits: under mixed
            # precision the summary head still runs in fp32 (a no-op in an fp32 run).
            with torch.autocast(ep.device.type, enabled=False):
                summ = model.summarize_raw(hidden[:, [0, m]].float()) * cells
            target = summary_targets(ep[:, [0, -1]], tc.task, tc.task_size) * cells
            loss = loss + F.mse_loss(summ, target)
            stats["mae_cells"] = (summ[:, 1].detach() - target[:, 1]).abs().mean()
        if tc.consistency_weight > 0:
            flat = hidden.flatten(0, 1)
            again = model.encode(model.decode(flat))
            cos = F.cosine_similarity(flat.flatten(1), again.flatten(1), dim=1)
            loss = loss + tc.consistency_weight * (1 - cos).mean()
        if tc.latent_weight > 0:
            target = model.encode(ep[:, -1])
            if tc.latent_detach:
                target = target.detach()
            latent = F.mse_loss(hidden[:, m], target)
            if tc.latent_relative:
                latent = latent / target.detach().pow(2).mean().clamp_min(1e-8)
            loss = loss + tc.latent_weight * latent
            stats["latent"] = latent.detach()
        return loss, stats

    def _noisy_hidden(self, boards: torch.Tensor) -> torch.Tensor:
        """h_0..h_T with noise on each core step's input; h_0 itself stays clean for its decoder loss."""
        model = self.model
        h = model.encode(boards)
        hidden = [h]
        for t in range(model.config.model_steps):
            rms = h.detach().pow(2).mean().sqrt()
            h = model.core_step(h + self.tc.hidden_noise * rms * torch.randn_like(h), t)
            hidden.append(h)
        return torch.stack(hidden, dim=1)

    def _frozen_hidden(self, ep: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.model(ep[:, 0])

    def _new_decoder_loss(self, hidden: torch.Tensor, ep: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The new decoder against the boards at the trained steps 0 and T."""
        m = self.model.config.model_steps
        raw = self.model.decode_logits(hidden[:, [0, m]], self.extra["decoder"])
        loss = board_loss(self.model, raw, ep[:, [0, -1]])
        acc = ((self.model.to_probs(raw[:, 1].detach()) > 0.5) == (ep[:, -1] > 0.5)).float().mean()
        return loss, {"acc": acc}

    def _decoder(self, ep: torch.Tensor, real: torch.Tensor, w: float) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self._new_decoder_loss(self._frozen_hidden(ep), ep)

    def _adversarial(
        self, ep: torch.Tensor, real: torch.Tensor, w: float
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        hidden = self._frozen_hidden(ep)
        loss, stats = self._new_decoder_loss(hidden, ep)
        m = self.model.config.model_steps
        disc = self.extra["discriminator"]
        fake = self.model.decode(hidden[:, 1:m], self.extra["decoder"]).flatten(0, 1)
        # The decoder learns to fool a frozen copy of the discriminator's weights ...
        frozen = {k: v.detach() for k, v in disc.named_parameters()}
        gen_logits = functional_call(disc, frozen, (fake,))
        gen_loss = F.binary_cross_entropy_with_logits(gen_logits, torch.ones_like(gen_logits))
        # ... while the discriminator learns from detached decodings, so one backward serves both.
        d_real = disc(real)
        d_fake = disc(fake.detach())
        disc_loss = F.binary_cross_entropy_with_logits(
            d_real, torch.ones_like(d_real)
        ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        stats["disc_acc"] = ((d_real.detach() > 0).float().mean() + (d_fake.detach() < 0).float().mean()) / 2
        return loss + w * gen_loss + disc_loss, stats

    def _probes(self, ep: torch.Tensor, real: torch.Tensor, w: float) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        hidden = self._frozen_hidden(ep)
        loss = hidden.new_zeros(())
        for name, probe in self.extra.items():
            steps = probe_steps(name, self.model.config.model_steps)
            raw = self.model.decode_logits(hidden[:, steps], probe)
            target = ep[:, [game_step(self.model.config, i) for i in steps]]
            loss = loss + board_loss(self.model, raw, target)
        return loss, {}


def game_step(cfg: ModelConfig, model_step: int) -> int:
    from imagination.metrics import aligned_game_step

    return aligned_game_step(model_step, cfg.model_steps, cfg.game_steps)


def probe_names(model_steps: int) -> list[str]:
    return ["first_last", "all"] + [f"step_{i}" for i in range(model_steps + 1)]


def probe_steps(name: str, model_steps: int) -> list[int]:
    if name == "first_last":
        return [0, model_steps]
    if name == "all":
        return list(range(model_steps + 1))
    return [int(name.split("_")[1])]


# -- the run ---------------------------------------------------------------------------------
def phases(tc: TrainConfig) -> list[tuple[str, int]]:
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


def lr_at(tc: TrainConfig, step_in_phase: int, phase_len: int) -> float:
    frac = step_in_phase / max(1, phase_len)
    return tc.lr * (tc.lr_final / tc.lr) ** frac


def build(tc: TrainConfig) -> tuple[ImaginationModel, nn.ModuleDict]:
    torch.manual_seed(tc.seed)
    if tc.init:
        model = ImaginationModel.from_pretrained(tc.init)
        if model.config.task != "board":
            raise ValueError("adversarial decoders and probes are trained on board-task models")
    elif tc.warm_start:
        model = ImaginationModel.from_pretrained(tc.warm_start)
        wanted = asdict(model_config(tc))
        differ = {k: (v, wanted[k]) for k, v in asdict(model.config).items() if wanted.get(k) != v}
        if differ:
            said = ", ".join(f"{k}: {a!r} there, {b!r} here" for k, (a, b) in differ.items())
            raise ValueError(f"--warm-start {tc.warm_start} is another architecture or task ({said})")
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
        extra["decoder"] = make_decoder(model.config)
        extra["discriminator"] = Discriminator(tc.train_size, model.config.negative_slope)
    elif tc.regime == "probes":
        for name in probe_names(model.config.model_steps):
            extra[name] = make_decoder(model.config)
    return model, extra


def phase_params(phase: str, model: ImaginationModel, extra: nn.ModuleDict, tc: TrainConfig) -> list[dict[str, Any]]:
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


def step_seed(tc: TrainConfig, step: int, rank: int) -> int:
    """Data and dropout randomness is a pure function of (seed, step, rank): resuming needs no RNG state."""
    return (tc.seed * 1_000_003 + step * 7919 + rank * 104_729) % (2**63 - 1)


def sample_batch(tc: TrainConfig, cfg: ModelConfig, step: int, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(step_seed(tc, step, rank))
    kw = {"density": (tc.density_lo, tc.density_hi), "warmup": (0, tc.warmup_max)}
    ep = cfg.env.training_episodes(tc.batch_size, cfg.game_steps, tc.train_size, g, kw)
    real = torch.empty(0)
    if tc.regime == "adversarial":
        other = cfg.env.training_episodes(tc.batch_size, cfg.game_steps, tc.train_size, g, kw)
        pick = torch.randint(0, cfg.game_steps + 1, (tc.batch_size,), generator=g)
        real = other[torch.arange(tc.batch_size), pick]
    return ep, real


class Batches:
    """The batch of each step, on the training device, the same tensors whatever the device.

    Batches are drawn on the CPU from a generator seeded by the step alone, so a GPU run sees exactly
    the CPU run's data. On a GPU the next batch is drawn in a background thread while the device
    works on this one (the draw is a pure function of the step, so the order cannot change it); on
    the CPU that thread would only compete with the training threads for the same cores.
    """

    def __init__(
        self, tc: TrainConfig, cfg: ModelConfig, rank: int, device: torch.device, ahead: bool | None = None
    ) -> None:
        self.tc, self.cfg, self.rank, self.device = tc, cfg, rank, device
        self.pin = device.type == "cuda"  # page-locked memory lets the copy to the GPU run asynchronously
        self.ahead = self.pin if ahead is None else ahead
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="batches") if self.ahead else None
        self.pending: tuple[int, Future[tuple[torch.Tensor, torch.Tensor]]] | None = None

    def _draw(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        ep, real = sample_batch(self.tc, self.cfg, step, self.rank)
        if self.pin:
            ep, real = ep.pin_memory(), real.pin_memory()
        return ep, real

    def get(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pool is None:
            ep, real = self._draw(step)
        else:
            if self.pending is not None and self.pending[0] == step:
                ep, real = self.pending[1].result()
            else:
                ep, real = self._draw(step)
            self.pending = (step + 1, self.pool.submit(self._draw, step + 1))
        # Dropout's randomness, like the data, is a pure function of (seed, step, rank).
        torch.manual_seed(step_seed(self.tc, step, self.rank) + 1)
        return ep.to(self.device, non_blocking=True), real.to(self.device, non_blocking=True)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` is cuda wherever a CUDA device is present, so the same command uses a GPU where one is.

    Under torchrun each rank takes the GPU of its LOCAL_RANK.
    """
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available (torch.cuda.is_available() is False)")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of the training steps, or None for plain fp32.

    ``auto`` is bf16 on a GPU that has it (no loss scaling needed, unlike fp16) and fp32 on the CPU,
    where bf16 is only fast with native bf16 units (AMX / AVX512-BF16) and the recipe's weights were
    measured in fp32.
    """
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    return torch.bfloat16 if precision == "bf16" else None


def describe_device(device: torch.device, dtype: torch.dtype | None) -> dict[str, Any]:
    """What the run ran on, for log.jsonl (train_config.json holds what was asked for, e.g. ``auto``)."""
    info: dict[str, Any] = {"event": "device", "device": str(device), "precision": "bf16" if dtype else "fp32"}
    info["threads"] = torch.get_num_threads()
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    info["torch"] = torch.__version__
    return info


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


def near_stop(tc: TrainConfig, phase: str, step: int, stats: dict[str, torch.Tensor], world: int) -> bool:
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


def agreed(flag: bool, world: int, device: torch.device | None = None) -> bool:
    """Rank 0's decision, shared with every rank (only rank 0 evaluates)."""
    if world == 1:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)  # nccl only moves tensors on the GPU
    dist.broadcast(t, 0)
    return bool(t.item())


def distributed(device: torch.device | None = None) -> tuple[int, int]:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        on_gpu = device is not None and device.type == "cuda"
        if on_gpu:
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if on_gpu else "gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def train(tc: TrainConfig, resume: bool = False) -> dict[str, Any] | None:
    """Run every phase of ``tc`` and write the output folder; returns eval.json's contents on rank 0."""
    device = pick_device(tc.device)
    rank, world = distributed(device)
    if tc.threads:
        torch.set_num_threads(tc.threads)
    out = Path(tc.out)
    state_path = out / STATE_FILE
    model, extra = build(tc)  # on the CPU, from the seed: every device starts from the same weights
    amp = autocast_dtype(tc.precision, device)
    # channels-last is what oneDNN's bf16 kernels (and a GPU's tensor cores) want; in fp32 on the CPU
    # it bought nothing, so the fp32 path keeps the default layout (and so its exact weights).
    layout = torch.channels_last if amp is not None else torch.preserve_format
    model.to(device, memory_format=layout)
    extra.to(device, memory_format=layout)
    objective = Objective(tc, model, extra)
    plan = phases(tc)
    info = read_info(state_path) if resume and state_path.exists() else None
    if resume and info is None and rank == 0:
        print(f"--resume: no {state_path}; starting from scratch", file=sys.stderr)
    step, elapsed0 = (info["step"], info["elapsed"]) if info else (0, 0.0)
    trained = info.get("trained", step) if info else 0  # optimiser steps actually taken
    modules = {"model": model, "extra": extra}
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        (out / "train_config.json").write_text(json.dumps(asdict(tc), indent=2) + "\n")
        if info is None:
            (out / "log.jsonl").write_text("")
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(describe_device(device, amp)) + "\n")
    log_eps = None
    if rank == 0:
        log_eps = eval_episodes(model.config, EvalSet(tc.log_episodes, tc.eval_size, tc.eval_seed + 1))
    bar = tqdm(
        total=sum(n for _, n in plan), initial=step, disable=rank != 0, desc=out.name, dynamic_ncols=True, mininterval=2
    )
    batches = Batches(tc, model.config, rank, device)
    start_time = time.perf_counter()
    phase_start = 0
    for phase, n in plan:
        phase_end = phase_start + n
        if step >= phase_end:
            phase_start = phase_end
            continue
        objective.phase = phase
        groups = phase_params(phase, model, extra, tc)
        opt = torch.optim.Adam(groups, lr=tc.lr)
        if info is not None:
            # A checkpoint inside this phase restores the optimiser too; one written at the end of
            # the previous phase holds only the weights this phase starts from.
            load_state(state_path, modules, {"opt": opt} if info["phase"] == phase else {})
            info = None
        runner: nn.Module = objective
        if world > 1:
            ids = [device.index] if device.type == "cuda" else None
            runner = nn.parallel.DistributedDataParallel(objective, device_ids=ids, find_unused_parameters=True)
        objective.train()
        model.train(phase == "model")
        while step < phase_end:
            for g in opt.param_groups:
                if not g.get("fixed_lr"):
                    g["lr"] = lr_at(tc, step - phase_start, n)
            ep, real = batches.get(step)
            w = tc.adver_weight * (step - phase_start) / max(1, n) if phase == "adversarial" else 0.0
            with torch.autocast(device.type, dtype=amp or torch.bfloat16, enabled=amp is not None):
                loss, stats = runner(ep, real, w)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            for grp in groups:
                if tc.grad_clip > 0:
                    torch.nn.utils.clip_grad_value_(grp["params"], tc.grad_clip)
                if tc.clip_norm > 0:
                    torch.nn.utils.clip_grad_norm_(grp["params"], tc.clip_norm)
            opt.step()
            step += 1
            bar.update(1)
            log_point = step % tc.log_every == 0 or step == phase_end
            check_point = log_point or near_stop(tc, phase, step, stats, world)
            if step % 25 == 0 or log_point:  # reading a value waits for the GPU: not every step
                bar.set_postfix(
                    phase=phase,
                    loss=f"{loss.item():.4f}",
                    refresh=False,
                    **{k: f"{float(v):.4f}" for k, v in stats.items()},
                )
            trained += 1
            now = elapsed0 + time.perf_counter() - start_time
            reached = False
            if log_eps is not None and check_point:
                record: dict[str, Any] = {
                    "step": step,
                    "phase": phase,
                    "minutes": now / 60,
                    "loss": loss.item(),
                    **{k: float(v) for k, v in stats.items()},
                }
                model.eval()
                t_eval = time.perf_counter()
                record.update(
                    quick_eval(model, log_eps, extra["decoder"] if phase in ("decoder", "adversarial") else None)
                )
                record["eval_seconds"] = time.perf_counter() - t_eval  # so benchmarks can separate the curve's cost
                model.train(phase == "model")
                bar.write(
                    f"step {step}: final error {record['final_error']:.4f}, interpretability "
                    f"{record['interpretability']:.3f}, per-step acc "
                    + " ".join(f"{a:.3f}" for a in record["per_step_accuracy"])
                )
                reached = phase == "model" and tc.stop_error > 0 and record["task_error"] <= tc.stop_error
                if reached:
                    record["event"] = "stop_error_reached"
                with open(out / "log.jsonl", "a") as f:
                    f.write(json.dumps(record) + "\n")
            stop = False
            if phase == "model" and check_point and (tc.stop_error > 0 or tc.max_minutes > 0):
                timed_out = tc.max_minutes > 0 and now > tc.max_minutes * 60
                stop = agreed(reached or timed_out, world, device)
                if stop:
                    bar.write(
                        f"step {step}: stopping the model phase early ("
                        + ("--stop-error reached" if reached else "--max-minutes budget")
                        + ")"
                    )
                    bar.update(phase_end - step)
                    step = phase_end  # the checkpoint marks the phase done, so a resume moves on
            if step % tc.checkpoint_every == 0 or step == phase_end or stop:
                if rank == 0:
                    info_now = {"step": step, "phase": phase, "elapsed": now, "trained": trained}
                    save_state(state_path, modules, {"opt": opt}, info_now)
                if world > 1:
                    dist.barrier()
        phase_start = phase_end
    batches.close()
    if info is not None:  # every phase had finished; only the final write was missing
        load_state(state_path, modules, {})
    elapsed = elapsed0 + time.perf_counter() - start_time
    if world > 1:
        check_ranks_agree(model, extra, out, rank, world)
    # Evaluated and saved from the CPU in the default layout: the same files, whatever trained them.
    model.to("cpu", memory_format=torch.contiguous_format)
    extra.to("cpu", memory_format=torch.contiguous_format)
    bar.close()
    if world > 1:
        dist.barrier()
    result, base_eval = None, None
    if rank == 0:
        if tc.regime == "adversarial":
            base_eval = evaluate(model, EvalSet(tc.eval_episodes, tc.eval_size, tc.eval_seed))
            model.decoder = extra["decoder"]
            model.config.regime = "adversarial"
            model.config.trained_steps = [0, model.config.model_steps]
        for p in model.parameters():
            p.requires_grad_(True)
        result = finish(tc, model, extra, out, elapsed, base_eval, trained)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return result


def check_ranks_agree(model: nn.Module, extra: nn.ModuleDict, out: Path, rank: int, world: int) -> None:
    """Every rank must end with the same weights; log each rank's checksum and fail loudly if not."""
    flat = torch.cat([p.detach().double().flatten() for p in [*model.parameters(), *extra.parameters()]])
    index = torch.arange(len(flat), dtype=torch.float64, device=flat.device)
    mine = torch.stack([flat.sum(), (flat * index).sum()])
    gathered = [torch.zeros_like(mine) for _ in range(world)]
    dist.all_gather(gathered, mine)
    sums = [g.cpu().tolist() for g in gathered]
    if rank == 0:
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps({"event": "ranks_agree", "world_size": world, "checksums": sums}) + "\n")
    if any(s != sums[0] for s in sums):
        raise RuntimeError(f"ranks disagree after training: {sums}")


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


def finish(
    tc: TrainConfig,
    model: ImaginationModel,
    extra: nn.ModuleDict,
    out: Path,
    elapsed: float,
    base_eval: dict[str, Any] | None,
    trained: int,
) -> dict[str, Any]:
    """Save the weights, then score what was saved (not the in-memory model) and write the card."""
    model.eval()
    tmp = out / ".weights-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    for f in ("config.json", "model.safetensors"):
        os.replace(tmp / f, out / f)
    shutil.rmtree(tmp, ignore_errors=True)
    saved = ImaginationModel.from_pretrained(out)
    eval_set = EvalSet(tc.eval_episodes, tc.eval_size, tc.eval_seed)
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
    (out / "eval.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "train_config.json").write_text(json.dumps(recorded_config(tc), indent=2) + "\n")
    cards.write_card(out, name=tc.name or out.name)
    (out / STATE_FILE).unlink(missing_ok=True)
    return result


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
    p = argparse.ArgumentParser(
        prog="python -m training.train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for f in fields(TrainConfig):
        if f.name == "command":
            continue
        flag = "--" + f.name.replace("_", "-")
        default = f.default  # the declared default, before __post_init__ fills anything in
        if isinstance(default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            kw: dict[str, Any] = {"type": type(default), "default": default}
            if f.name == "regime":
                kw["choices"] = REGIMES
            elif f.name == "task":
                kw["choices"] = ("board", "count", "patch", "grid")
            elif f.name == "loss":
                kw["choices"] = ("bce", "mse")
            elif f.name == "device":
                kw["choices"] = DEVICES
            elif f.name == "precision":
                kw["choices"] = PRECISIONS
            p.add_argument(flag, **kw)
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    return p


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
    if tc.regime == "probes" or result["task_error"] <= bar:
        return ""
    return (
        f"{tc.out}: training ended after {result['train_steps']} steps at task error {result['task_error']:.4f}, "
        f"above the zoo's bar of {bar:g}. Train further from here with --warm-start {tc.out} (and a new --out), "
        "or start again with a larger --steps; docs/training.md gives what each checkpoint took."
    )


if __name__ == "__main__":
    main()
