"""Resumable training state in one safetensors file, written atomically.

Everything needed to continue a run (modules, optimiser moments, step, elapsed time) goes into a
single file that is replaced with os.replace, so a run killed at any instant leaves either the
previous checkpoint or the new one, never half of one. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    sd = opt.state_dict()
    scalars: dict[str, Any] = {}
    for idx, st in sd["state"].items():
        for k, v in st.items():
            key = f"{prefix}.state.{idx}.{k}"
            if torch.is_tensor(v):
                tensors[key] = v.detach().clone().contiguous()
            else:
                scalars[key] = v
    return {"param_groups": sd["param_groups"], "scalars": scalars}


def _unflatten_optimizer(prefix: str, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    head = prefix + ".state."
    for key, v in tensors.items():
        if key.startswith(head):
            idx, name = key[len(head) :].split(".", 1)
            state.setdefault(int(idx), {})[name] = v
    for key, v in meta["scalars"].items():
        idx, name = key[len(head) :].split(".", 1)
        state.setdefault(int(idx), {})[name] = v
    return {"state": state, "param_groups": meta["param_groups"]}


def save_state(
    path: Path,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    info: dict[str, Any],
) -> None:
    """Write modules, optimisers and ``info`` (JSON-able) to ``path`` atomically."""
    tensors: dict[str, torch.Tensor] = {}
    for name, mod in modules.items():
        for k, v in mod.state_dict().items():
            tensors[f"module.{name}.{k}"] = v.detach().clone().contiguous()
    opt_meta = {name: _flatten_optimizer(f"optim.{name}", opt, tensors) for name, opt in optimizers.items()}
    meta = {"info": json.dumps(info), "optimizers": json.dumps(opt_meta)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    save_file(tensors, str(tmp), metadata=meta)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_info(path: Path) -> dict[str, Any]:
    with safe_open(str(path), framework="pt") as f:
        return json.loads(f.metadata()["info"])


def load_state(
    path: Path, modules: dict[str, torch.nn.Module], optimizers: dict[str, torch.optim.Optimizer]
) -> dict[str, Any]:
    """Restore what ``save_state`` wrote into existing modules/optimisers; returns ``info``."""
    tensors = load_file(str(path))
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    for name, mod in modules.items():
        head = f"module.{name}."
        sd = {k[len(head) :]: v for k, v in tensors.items() if k.startswith(head)}
        mod.load_state_dict(sd, strict=True)
    opt_meta = json.loads(meta["optimizers"])
    for name, opt in optimizers.items():
        opt.load_state_dict(_unflatten_optimizer(f"optim.{name}", opt_meta[name], tensors))
    return json.loads(meta["info"])
