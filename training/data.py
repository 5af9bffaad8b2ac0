"""The training batches: a pure function of (seed, step, rank), so a resumed or distributed run sees the same data."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import torch

from imagination.config import ModelConfig
from training.config import TrainConfig


def step_seed(tc: TrainConfig, step: int, rank: int) -> int:
    """Data and dropout randomness is a pure function of (seed, step, rank): resuming needs no RNG state."""
    return (tc.seed * 1_000_003 + step * 7919 + rank * 104_729) % (2**63 - 1)


def sample_batch(tc: TrainConfig, cfg: ModelConfig, step: int, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(episodes [B, T+1, H, W], and for the adversarial regime real boards [B, H, W] from other episodes).

    With ``train_sizes`` each batch is of one size drawn from them; with ``horizon_margin`` its T is the
    environment's (until its last episode's fixed point, plus a margin), else ``game_steps``.
    """
    g = torch.Generator().manual_seed(step_seed(tc, step, rank))
    kw: dict = {"density": (tc.density_lo, tc.density_hi), "warmup": (0, tc.warmup_max)}
    if tc.horizon_margin >= 0:
        kw["until_fixed"] = tc.horizon_margin
    size = tc.train_size
    if tc.train_sizes:
        sizes = [int(s) for s in tc.train_sizes.split(",")]
        size = sizes[int(torch.randint(len(sizes), (1,), generator=g))]
    ep = cfg.env.training_episodes(tc.batch_size, cfg.game_steps, size, g, kw)
    real = torch.empty(0)
    if tc.regime == "adversarial":
        other = cfg.env.training_episodes(tc.batch_size, cfg.game_steps, size, g, kw)
        frames = 2 if tc.adver_pairs else 1  # a frame, or a frame and the next (--adver-pairs)
        pick = torch.randint(0, other.shape[1] - frames + 1, (tc.batch_size,), generator=g)
        real = other[torch.arange(tc.batch_size)[:, None], pick[:, None] + torch.arange(frames)]
        real = real if tc.adver_pairs else real[:, 0]
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
