"""The losses of every training phase, as one module DistributedDataParallel can wrap whole.

Phases: "model" trains encoder, core and decoders on the regime's losses; "decoder" fits a new
decoder on a frozen model at the steps it reads boards at (``decoder_fit_steps``); "adversarial"
continues that decoder against a discriminator at the other steps; "probes" fits fresh decoders on chosen steps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from imagination.config import ModelConfig
from imagination.metrics import aligned_game_step
from imagination.model import ImaginationModel
from imagination.tasks import summary_cells, summary_targets
from training.config import TrainConfig, decoder_fit_steps

Stats = dict[str, torch.Tensor]


def board_loss(model: ImaginationModel, raw: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if model.config.output == "logit":
        return F.binary_cross_entropy_with_logits(raw, target)
    return F.mse_loss(raw, target)


def latent_loss(last: torch.Tensor, target: torch.Tensor, tc: TrainConfig) -> torch.Tensor:
    """MSE(h_T, encode(board T)), relative to the target's mean square with ``latent_relative``.

    With that divisor a constant, the value ignores a common scale of both sides but the gradient does not:
    scaling both down by a lowers the numerator as a**2, so the states shrink (twentyfold in the first 2,000
    steps of gol3-longrun's recipe) until the board loss holds them (docs/analysis.md). ``latent_scale_free``
    keeps the divisor in the graph, and the gradient along a common scale is zero.
    """
    if not tc.latent_relative:
        return F.mse_loss(last, target)
    return relative_mse(last, target, scale_free=tc.latent_scale_free)


def relative_mse(a: torch.Tensor, b: torch.Tensor, scale_free: bool = True) -> torch.Tensor:
    """MSE(a, b) over b's mean square; ``scale_free=False`` holds the divisor constant (see ``latent_loss``)."""
    mean_square = b.pow(2).mean().clamp_min(1e-8)
    return F.mse_loss(a, b) / (mean_square if scale_free else mean_square.detach())


def noise_like(h: torch.Tensor, scale: float) -> torch.Tensor:
    """Gaussian noise of ``scale`` times h's root mean square. Drawn in the default layout, as an fp32 state is
    (the same draw): on a channels-last state (bf16 runs) randn_like draws ten times slower, in another order."""
    rms = h.detach().pow(2).mean().sqrt()
    return scale * rms * torch.randn_like(h, memory_format=torch.contiguous_format)


class Discriminator(nn.Module):
    """Tells real boards from decodings: 3 strided convs (4/8/16 channels), dropout 0.3, a linear head.

    With ``frames=2`` it judges a frame and the next one together, as channels: a transition, not a board.
    """

    def __init__(self, size: int, slope: float = 0.1, frames: int = 1) -> None:
        super().__init__()
        self.size = size  # the largest frame side it sees: smaller frames (a batch of small mazes) are padded
        self.frames = frames
        layers: list[nn.Module] = []
        ch = frames
        for out in (4, 8, 16):
            layers += [nn.Conv2d(ch, out, 3, stride=2, padding=1), nn.LeakyReLU(slope), nn.Dropout(0.3)]
            ch = out
            size = (size + 1) // 2
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(16 * size * size, 1)

    def forward(self, boards: torch.Tensor) -> torch.Tensor:
        x = boards.reshape(-1, self.frames, *boards.shape[-2:])
        if x.shape[-2:] != (self.size, self.size):  # zero beyond the frame: a dead cell, a maze's wall
            x = F.pad(x, (0, self.size - x.shape[-1], 0, self.size - x.shape[-2]))
        return self.head(self.body(x)).squeeze(-1)


class Objective(nn.Module):
    """One phase's loss (``phase`` picks it) over the model and the run's extra modules.

    ``extra`` holds what the later phases train: the new ``decoder`` and the ``discriminator`` of the
    adversarial regime, or one decoder per probe.
    """

    def __init__(self, tc: TrainConfig, model: ImaginationModel, extra: nn.ModuleDict) -> None:
        super().__init__()
        self.tc = tc
        self.model = model
        self.extra = extra
        self.phase = "model"

    def forward(self, ep: torch.Tensor, real: torch.Tensor, adver_weight: float) -> tuple[torch.Tensor, Stats]:
        return getattr(self, "_" + self.phase)(ep, real, adver_weight)

    # -- the model phase ---------------------------------------------------------------------------
    def horizon(self, ep: torch.Tensor) -> int:
        """The core steps a batch runs: the model's, or the episode's own length (``horizon_margin``)."""
        return ep.shape[1] - 1 if self.tc.horizon_margin >= 0 else self.model.config.model_steps

    def _model(self, ep: torch.Tensor, real: torch.Tensor, w: float) -> tuple[torch.Tensor, Stats]:
        tc, model = self.tc, self.model
        steps = self.horizon(ep)
        hidden = model(ep[:, 0], steps) if tc.hidden_noise <= 0 else self._noisy_hidden(ep[:, 0], steps)
        loss, stats = self._board_task(hidden, ep) if tc.task == "board" else self._summary_task(hidden, ep)
        if tc.snap_weight > 0:
            snap = self._snap(hidden[:, 1:].flatten(0, 1))
            loss, stats["snap"] = loss + tc.snap_weight * snap, snap.detach()
        if tc.hold_steps > 0:
            hold = self._hold(hidden[:, -1].detach(), ep, steps)
            loss, stats["hold"] = loss + hold, hold.detach()
        if tc.consistency_weight > 0:
            flat = hidden.flatten(0, 1)
            again = model.encode(model.decode(flat))
            cos = F.cosine_similarity(flat.flatten(1), again.flatten(1), dim=1)
            loss = loss + tc.consistency_weight * (1 - cos).mean()
        if tc.agree_weight > 0:
            agree = self._agree(hidden[:, -1], ep[:, -1], steps)
            loss, stats["agree"] = loss + tc.agree_weight * agree, agree.detach()
        if tc.latent_weight > 0:
            target = model.encode(ep[:, -1])
            if tc.latent_detach:
                target = target.detach()
            latent = latent_loss(hidden[:, -1], target, tc)
            loss = loss + tc.latent_weight * latent
            stats["latent"] = latent.detach()
            stats["scale"] = hidden[:, -1].detach().pow(2).mean()  # the state's mean square: watch it for a collapse
        return loss, stats

    def _snap(self, states: torch.Tensor) -> torch.Tensor:
        """How far states [N, C, H, W] are from the encodings of their own thresholded decodings (relative MSE)."""
        model = self.model
        with torch.no_grad():
            target = model.encode((model.decode(states) > 0.5).float())
        return (states - target).pow(2).mean() / target.pow(2).mean().clamp_min(1e-8)

    def _agree(self, last: torch.Tensor, board_t: torch.Tensor, steps: int) -> torch.Tensor:
        """Board 0's run continued k steps past T against board T's run of k steps (no board past T is read)."""
        k = int(torch.randint(1, (self.tc.agree_steps or steps) + 1, (1,)))
        model = self.model
        from_start = model.continue_from(last, steps, k)[:, -1]
        start_t = model.encode(board_t)
        if self.tc.agree_noise > 0:
            start_t = start_t + noise_like(start_t, self.tc.agree_noise)
        from_t = model.continue_from(start_t, 0, k)[:, -1]
        return relative_mse(from_start, from_t)

    def _hold(self, last: torch.Tensor, ep: torch.Tensor, steps: int) -> torch.Tensor:
        """k ~ U[1, hold_steps] more steps from the last state, decoded against the environment's frame there."""
        model = self.model
        k = int(torch.randint(1, self.tc.hold_steps + 1, (1,)))
        recall = model.observe(ep[:, 0]) if model.config.recall else None
        target = model.config.env.rollout(ep[:, -1], k)[:, -1]
        return board_loss(model, model.decode_logits(model.continue_from(last, steps, k, recall)[:, -1]), target)

    def _board_task(self, hidden: torch.Tensor, ep: torch.Tensor) -> tuple[torch.Tensor, Stats]:
        """The final board from h_T; the autoencoder regimes also decode the start board from h_0."""
        model = self.model
        raw_last = model.decode_logits(hidden[:, -1])
        loss = board_loss(model, raw_last, ep[:, -1])
        if self.tc.regime != "baseline":
            loss = loss + board_loss(model, model.decode_logits(hidden[:, 0]), ep[:, 0])
        acc = ((model.to_probs(raw_last.detach()) > 0.5) == (ep[:, -1] > 0.5)).float().mean()
        return loss, {"acc": acc}

    def _summary_task(self, hidden: torch.Tensor, ep: torch.Tensor) -> tuple[torch.Tensor, Stats]:
        """The board decoder on h_0 only; the task head: the summary at h_T and (its autoencoder) at h_0."""
        tc, model = self.tc, self.model
        loss = board_loss(model, model.decode_logits(hidden[:, 0]), ep[:, 0])
        # MSE in units of cells per region, so "off by one cell" weighs the same for every task
        cells = summary_cells(tc.task, tc.task_size, ep.shape[-2:])
        # A count is exact to the cell (up to 400 here), beyond bf16's 8 mantissa bits: under mixed
        # precision the summary head still runs in fp32 (a no-op in an fp32 run).
        with torch.autocast(ep.device.type, enabled=False):
            summ = model.summarize_raw(hidden[:, [0, -1]].float()) * cells
        target = summary_targets(ep[:, [0, -1]], tc.task, tc.task_size) * cells
        loss = loss + F.mse_loss(summ, target)
        return loss, {"mae_cells": (summ[:, 1].detach() - target[:, 1]).abs().mean()}

    def _noisy_hidden(self, boards: torch.Tensor, steps: int) -> torch.Tensor:
        """h_0..h_T with noise on each core step's input; h_0 itself stays clean for its decoder loss."""
        model = self.model
        recall = model.observe(boards) if model.config.recall else None
        h = model.encode(boards)
        hidden = [h]
        for t in range(steps):
            h = model.core_step(h + noise_like(h, self.tc.hidden_noise), t, recall)
            hidden.append(h)
        return torch.stack(hidden, dim=1)

    # -- the phases on a frozen model --------------------------------------------------------------
    def _frozen_hidden(self, ep: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.model(ep[:, 0], self.horizon(ep))

    def _fitted(self, hidden: torch.Tensor) -> list[int]:
        """Where in h_0..h_T the new decoder is fitted (``decoder_fit_steps``), T being this batch's own:
        a maze batch runs as many steps as its episode."""
        cfg, last = self.model.config, hidden.shape[1] - 1
        return [last if s == cfg.model_steps else s for s in decoder_fit_steps(cfg)]

    def _new_decoder_loss(self, hidden: torch.Tensor, ep: torch.Tensor) -> tuple[torch.Tensor, Stats]:
        """The new decoder against the boards at the steps it is fitted on (0 and T; a summary task's 0)."""
        fitted = self._fitted(hidden)
        raw = self.model.decode_logits(hidden[:, fitted], self.extra["decoder"])
        target = ep[:, [0 if s == 0 else -1 for s in fitted]]  # step T reads the episode's last board
        loss = board_loss(self.model, raw, target)
        acc = ((self.model.to_probs(raw[:, -1].detach()) > 0.5) == (target[:, -1] > 0.5)).float().mean()
        stats = {"acc": acc}
        if self.tc.adver_summary_weight > 0:
            summary = self._decoded_summary_loss(hidden[:, -1], ep[:, -1])
            loss, stats["summary"] = loss + self.tc.adver_summary_weight * summary, summary.detach()
        return loss, stats

    def _decoded_summary_loss(self, last: torch.Tensor, board_t: torch.Tensor) -> torch.Tensor:
        """The summary of the new decoder's board at T against the task's answer there (MSE in cells per region).

        The frozen model was trained on that answer; board T itself, and every board after step 0, stays unread.
        """
        cfg = self.model.config
        cells = summary_cells(cfg.task, cfg.task_size, board_t.shape[-2:])
        decoded = self.model.decode(last, self.extra["decoder"])
        with torch.autocast(board_t.device.type, enabled=False):  # counts to the cell, as the task head's loss
            got = summary_targets(decoded.float(), cfg.task, cfg.task_size) * cells
        return F.mse_loss(got, summary_targets(board_t, cfg.task, cfg.task_size) * cells)

    def _decoder(self, ep: torch.Tensor, real: torch.Tensor, w: float) -> tuple[torch.Tensor, Stats]:
        return self._new_decoder_loss(self._frozen_hidden(ep), ep)

    def _adversarial(self, ep: torch.Tensor, real: torch.Tensor, w: float) -> tuple[torch.Tensor, Stats]:
        hidden = self._frozen_hidden(ep)
        loss, stats = self._new_decoder_loss(hidden, ep)
        disc = self.extra["discriminator"]
        fake = self._fakes(hidden)
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

    def _fakes(self, hidden: torch.Tensor) -> torch.Tensor:
        """What the discriminator sees of the new decoder: its frames at the steps it is not fitted on (1..T-1,
        a summary task's 1..T), or with ``adver_pairs`` every pair of consecutive decoded frames [N, 2, H, W]."""
        decoder = self.extra["decoder"]
        if self.tc.adver_pairs:
            frames = self.model.decode(hidden, decoder)
            return torch.stack([frames[:, :-1], frames[:, 1:]], dim=2).flatten(0, 1)
        fitted = self._fitted(hidden)
        unfitted = [s for s in range(hidden.shape[1]) if s not in fitted]
        return self.model.decode(hidden[:, unfitted], decoder).flatten(0, 1)

    def _probes(self, ep: torch.Tensor, real: torch.Tensor, w: float) -> tuple[torch.Tensor, Stats]:
        hidden = self._frozen_hidden(ep)
        loss = hidden.new_zeros(())
        for name, probe in self.extra.items():
            steps = probe_steps(name, self.model.config.model_steps)
            raw = self.model.decode_logits(hidden[:, steps], probe)
            target = ep[:, [game_step(self.model.config, i) for i in steps]]
            loss = loss + board_loss(self.model, raw, target)
        return loss, {}


def game_step(cfg: ModelConfig, model_step: int) -> int:
    return aligned_game_step(model_step, cfg.model_steps, cfg.game_steps)


def probe_names(model_steps: int) -> list[str]:
    return ["first_last", "all"] + [f"step_{i}" for i in range(model_steps + 1)]


def probe_steps(name: str, model_steps: int) -> list[int]:
    """The model steps a probe is fitted on (its name says which: ``step_2`` is step 2 alone)."""
    if name == "first_last":
        return [0, model_steps]
    if name == "all":
        return list(range(model_steps + 1))
    return [int(name.split("_")[1])]
