"""Where a run's steps execute: the device, the precision, and the processes of a distributed run."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


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


def distributed(device: torch.device | None = None) -> tuple[int, int]:
    """(rank, world size): joins the process group torchrun set up, or (0, 1) for a single process."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        on_gpu = device is not None and device.type == "cuda"
        if on_gpu:
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if on_gpu else "gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def agreed(flag: bool, world: int, device: torch.device | None = None) -> bool:
    """Rank 0's decision, shared with every rank (only rank 0 evaluates)."""
    if world == 1:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)  # nccl only moves tensors on the GPU
    dist.broadcast(t, 0)
    return bool(t.item())


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
