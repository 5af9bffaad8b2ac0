"""config.json and model.safetensors, read strictly: nothing is unpickled, every key and shape is checked.

The model is first built on the meta device, so a file that does not fit its config is reported
before any memory is allocated; only then are the tensors read into it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model
from torch import nn

from imagination.config import ModelConfig, short
from imagination.errors import (
    CheckpointError,
    CorruptWeights,
    InvalidArgument,
    InvalidConfig,
    NotAnImaginationModel,
    UnsafeWeights,
    WeightsMismatch,
)

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
# Weight files we recognise but never open: loading them means unpickling.
UNSAFE_WEIGHTS = ("pytorch_model.bin", "model.bin", "model.pt", "model.pth", "pytorch_model.pt")
FLOAT_DTYPES = ("F16", "BF16", "F32", "F64")
M = TypeVar("M", bound=nn.Module)


def read_config(path: Path, label: str, overrides: dict[str, Any]) -> ModelConfig:
    """The config at ``path``; any way it can be wrong becomes an InvalidConfig naming the checkpoint."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise InvalidConfig(f"{label}: config.json is not readable JSON ({type(e).__name__}: {short(str(e))})") from e
    try:
        return ModelConfig.from_json(data, overrides)
    except CheckpointError as e:
        raise type(e)(f"{label}: {e}") from e.__cause__


def refuse_missing_weights(label: str, pickles: list[str]) -> None:
    if pickles:
        raise UnsafeWeights(
            f"{label}: no {WEIGHTS}, only {pickles[0]}, a pickle; it is never opened (unpickling can run code). "
            "Only safetensors weights are loaded, never pickles: convert it where you trust it "
            "(safetensors.torch.save_model) and load that"
        )
    raise CorruptWeights(f"{label}: the checkpoint has no {WEIGHTS}; it is incomplete")


def from_folder(
    build: Callable[[ModelConfig], M], folder: Path, label: str, overrides: dict[str, Any], map_location: Any
) -> M:
    """The model a checkpoint folder holds (config.json and model.safetensors), built by ``build``."""
    if not (folder / CONFIG).is_file():
        raise NotAnImaginationModel(
            f"{label}: no imagination config.json in this folder; a checkpoint folder holds config.json and "
            f"{WEIGHTS} (written by save_pretrained or training.train)"
        )
    config = read_config(folder / CONFIG, label, overrides)
    weights = folder / WEIGHTS
    if not weights.is_file():
        refuse_missing_weights(label, [n for n in UNSAFE_WEIGHTS if (folder / n).exists()])
    return from_weights(build, config, str(weights), label, map_location, overrides)


def from_weights(
    build: Callable[[ModelConfig], M],
    config: ModelConfig,
    weights: str,
    label: str,
    map_location: str | torch.device,
    overrides: dict[str, Any],
) -> M:
    """Check the file's keys and shapes against the model built on the meta device, then fill it."""
    with torch.device("meta"):
        model = build(config)  # no memory yet: a mismatch is reported before anything is allocated
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    try:
        with safe_open(weights, framework="pt", device="cpu") as f:
            found = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CorruptWeights(
            f"{label}: {WEIGHTS} is not a valid safetensors file ({e}); re-download it "
            "(force_download=True) or re-save the checkpoint"
        ) from e
    _check_fits(label, expected, found, overrides)
    try:
        model = model.to_empty(device=map_location)
    except (RuntimeError, ValueError, TypeError) as e:
        raise InvalidArgument(f"map_location={map_location!r} is not a device torch can use here ({e})") from e
    try:
        load_model(model, weights, strict=True, device=str(map_location))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CorruptWeights(f"{label}: {WEIGHTS} could not be read ({e}); re-download or re-save it") from e
    model.eval()
    return model


def _check_fits(
    label: str,
    expected: dict[str, tuple[int, ...]],
    found: dict[str, tuple[tuple[int, ...], str]],
    overrides: dict[str, Any],
) -> None:
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong = [
        f"{k} {found[k][0]} in the file vs {expected[k]} for the config"
        for k in sorted(set(expected) & set(found))
        if found[k][0] != expected[k]
    ]
    wrong += [f"{k} has dtype {found[k][1]}" for k in sorted(found) if found[k][1] not in FLOAT_DTYPES]
    if not (missing or unexpected or wrong):
        return
    more = f" and {len(wrong) - 3} more" if len(wrong) > 3 else ""
    changed = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    raise WeightsMismatch(
        f"{label}: weights do not match the config: missing {missing}, unexpected {unexpected}"
        + (f", wrong shape or dtype: {'; '.join(wrong[:3])}{more}" if wrong else "")
        + (f" (from_pretrained({changed}) changed the architecture the weights were saved for)" if changed else "")
    )
