"""Encoder -> weight-tied recurrent core -> decoder, as in Wichers et al. (arXiv 2405.06409).

The decoder is applied to every hidden state h_0..h_T, which is what lets us look at what the
network "imagines" between the board it saw and the board it was asked for.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError
from safetensors import SafetensorError
from safetensors.torch import load_model
from torch import nn

TASKS = ("board", "count", "patch", "grid")
WEIGHTS = "model.safetensors"
# Weight files we recognise but never open: loading them means unpickling.
UNSAFE_WEIGHTS = ("pytorch_model.bin", "model.bin", "model.pt", "model.pth", "pytorch_model.pt")


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded, with a message a user can act on."""


@dataclass
class ModelConfig:
    """Every architectural choice; saved as config.json beside the weights.

    ``core_hidden > 0`` selects the wide core block (3x3 conv to ``core_hidden`` channels, then a
    1x1 conv back), which is what made training feasible on CPU; ``core_hidden = 0`` is the paper's
    plain block of ``core_layers`` 3x3 convs. ``game_steps``, ``rule`` and ``wrap`` describe the
    environment the model was trained on, so a checkpoint is self-describing.
    """

    channels: int = 16
    core_hidden: int = 64
    core_layers: int = 3
    encoder_layers: int = 1
    decoder_layers: int = 1
    decoder_kernel: int = 1
    model_steps: int = 3
    tied: bool = True
    negative_slope: float = 0.1
    output: str = "logit"  # "logit": BCE-trained logits; "value": MSE-trained values in ~[0, 1]
    task: str = "board"  # board | count | patch | grid
    task_size: int = 2  # k for patch (k x k, stride 1), g for grid (g x g, stride g)
    task_layers: int = 1
    game_steps: int = 3
    rule: str = "B3/S23"
    wrap: bool = False
    # Model steps whose board decodings were trained against true boards; the metric scores the rest.
    trained_steps: list[int] = field(default_factory=lambda: [0, 3])
    regime: str = "autoencoder"
    model_type: str = "imagination"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.output not in ("logit", "value"):
            raise ValueError(f"output must be 'logit' or 'value', got {self.output!r}")
        if self.model_steps < 1 or self.game_steps < 1:
            raise ValueError("model_steps and game_steps must be >= 1")
        if self.decoder_kernel % 2 == 0:
            raise ValueError("decoder_kernel must be odd to keep the board size")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise CheckpointError(f"config.json has keys this version does not know: {sorted(unknown)}")
        return cls(**data)


def _act(cfg: ModelConfig) -> nn.Module:
    return nn.LeakyReLU(cfg.negative_slope)


def _conv_stack(cfg: ModelConfig, in_ch: int, layers: int, kernel: int, out_ch: int) -> nn.Sequential:
    """``layers - 1`` conv+activation blocks at ``channels`` width, then a plain conv to ``out_ch``."""
    mods: list[nn.Module] = []
    ch = in_ch
    for _ in range(layers - 1):
        mods += [nn.Conv2d(ch, cfg.channels, kernel, padding=kernel // 2), _act(cfg)]
        ch = cfg.channels
    mods.append(nn.Conv2d(ch, out_ch, kernel, padding=kernel // 2))
    return nn.Sequential(*mods)


def make_core_block(cfg: ModelConfig) -> nn.Sequential:
    """One recurrent step's residual branch: h_{t+1} = h_t + block(h_t)."""
    c = cfg.channels
    if cfg.core_hidden > 0:
        return nn.Sequential(nn.Conv2d(c, cfg.core_hidden, 3, padding=1), _act(cfg), nn.Conv2d(cfg.core_hidden, c, 1))
    mods: list[nn.Module] = []
    for _ in range(cfg.core_layers):
        mods += [nn.Conv2d(c, c, 3, padding=1), _act(cfg)]
    return nn.Sequential(*mods)


def make_decoder(cfg: ModelConfig) -> nn.Sequential:
    """Hidden state -> one board logit (or value) per cell."""
    return _conv_stack(cfg, cfg.channels, cfg.decoder_layers, cfg.decoder_kernel, 1)


class ImaginationModel(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="imagination",
    tags=["interpretability", "game-of-life", "recurrent"],
    license="apache-2.0",
):
    """The whole network. ``model(boards)`` returns every hidden state h_0..h_T.

    Load with ``ImaginationModel.from_pretrained(zoo name | local folder | Hub repo id)``; only
    ``model.safetensors`` is ever read, and keys are checked strictly.
    """

    def __init__(self, config: ModelConfig | dict[str, Any] | None = None) -> None:
        super().__init__()
        if config is None:
            config = ModelConfig()
        elif isinstance(config, dict):
            config = ModelConfig.from_dict(config)
        self.config = config
        self._hub_mixin_config = config
        cfg = config
        enc: list[nn.Module] = []
        ch = 1
        for _ in range(cfg.encoder_layers):
            enc += [nn.Conv2d(ch, cfg.channels, 3, padding=1), _act(cfg)]
            ch = cfg.channels
        self.encoder = nn.Sequential(*enc)
        n_blocks = 1 if cfg.tied else cfg.model_steps
        self.core = nn.ModuleList(make_core_block(cfg) for _ in range(n_blocks))
        self.decoder = make_decoder(cfg)
        self.task_head: nn.Sequential | None = None
        if cfg.task != "board":
            self.task_head = _conv_stack(cfg, cfg.channels, cfg.task_layers, 1, 1)

    # -- forward ---------------------------------------------------------------------------
    def encode(self, boards: torch.Tensor) -> torch.Tensor:
        """[B, H, W] boards -> h_0 [B, C, H, W]."""
        return self.encoder(boards.float().unsqueeze(1))

    def core_step(self, h: torch.Tensor, t: int) -> torch.Tensor:
        """h_t -> h_{t+1}. A tied core runs any number of steps; an untied one only its own."""
        if self.config.tied:
            block = self.core[0]
        elif t < len(self.core):
            block = self.core[t]
        else:
            raise ValueError(f"this untied model has {len(self.core)} separate step blocks; it cannot run step {t + 1}")
        return h + block(h)

    def forward(self, boards: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        """Hidden states h_0..h_steps, stacked: [B, steps+1, C, H, W]."""
        steps = self.config.model_steps if steps is None else steps
        h = self.encode(boards)
        hidden = [h]
        for t in range(steps):
            h = self.core_step(h, t)
            hidden.append(h)
        return torch.stack(hidden, dim=1)

    def continue_from(self, h: torch.Tensor, start: int, steps: int) -> torch.Tensor:
        """Run the core from h_start for ``steps`` more steps: [B, steps+1, C, H, W].

        This is what interventions use: replace h_i and watch the rest of the imagination.
        """
        hidden = [h]
        for t in range(start, start + steps):
            h = self.core_step(h, t)
            hidden.append(h)
        return torch.stack(hidden, dim=1)

    # -- readouts ---------------------------------------------------------------------------
    def decode_logits(self, hidden: torch.Tensor, decoder: nn.Module | None = None) -> torch.Tensor:
        """Raw decoder output for hidden states [..., C, H, W] -> [..., H, W]."""
        dec = self.decoder if decoder is None else decoder
        lead = hidden.shape[:-3]
        flat = hidden.reshape(-1, *hidden.shape[-3:])
        return dec(flat).reshape(*lead, *hidden.shape[-2:])

    def to_probs(self, raw: torch.Tensor) -> torch.Tensor:
        """Decoder output -> board probabilities (what is thresholded at 0.5)."""
        return torch.sigmoid(raw) if self.config.output == "logit" else raw.clamp(0.0, 1.0)

    def decode(self, hidden: torch.Tensor, decoder: nn.Module | None = None) -> torch.Tensor:
        """Board probabilities for hidden states [..., C, H, W] -> [..., H, W]."""
        return self.to_probs(self.decode_logits(hidden, decoder))

    def decode_all(self, hidden: torch.Tensor, decoder: nn.Module | None = None) -> torch.Tensor:
        """Board probabilities at every step: [B, T+1, C, H, W] -> [B, T+1, H, W]."""
        return self.decode(hidden, decoder)

    def summarize_raw(self, hidden: torch.Tensor) -> torch.Tensor:
        """Unclamped summary-task outputs (fractions of live cells) for hidden states [..., C, H, W].

        The task head maps each hidden cell to one value, averaged linearly over each summary
        region (whole board, k x k patch, or g x g grid cell): the head stays convolutional, works
        at any board size, and a sum of per-cell values can represent a count exactly, which a
        sigmoid of pooled logits could not. Trained with MSE, as the reference's count task.
        """
        if self.task_head is None:
            raise ValueError("this model was trained on the board task; it has no summary head")
        lead = hidden.shape[:-3]
        flat = self.task_head(hidden.reshape(-1, *hidden.shape[-3:]))
        pooled = pool_summary(flat, self.config.task, self.config.task_size)
        return pooled.reshape(*lead, *pooled.shape[-2:])

    def summarize(self, hidden: torch.Tensor) -> torch.Tensor:
        """Summary-task predictions (fractions of live cells per region)."""
        return self.summarize_raw(hidden).clamp(0.0, 1.0)

    # -- I/O --------------------------------------------------------------------------------
    def _save_pretrained(self, save_directory: Path) -> None:
        from safetensors.torch import save_model

        save_model(self, str(Path(save_directory) / WEIGHTS), metadata={"format": "pt"})

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, **kwargs: Any) -> ImaginationModel:  # type: ignore[override]
        """Load from a zoo name, a local folder or a Hub repo id (strict keys, safetensors only)."""
        from imagination import hub

        source = hub.resolve(str(pretrained_model_name_or_path))
        kwargs.setdefault("strict", True)
        if not os.path.isdir(source):
            # The mixin swallows a failed config.json download and goes on without a config, which
            # would turn "no such repo" or "offline" into a misleading "not an imagination model".
            hub_kwargs = {
                k: kwargs[k]
                for k in ("revision", "cache_dir", "force_download", "token", "local_files_only")
                if k in kwargs
            }
            try:
                hf_hub_download(source, "config.json", **hub_kwargs)
            except EntryNotFoundError as e:
                raise CheckpointError(f"{source}: the repo has no config.json; it is not an imagination model") from e
        try:
            model = super().from_pretrained(source, **kwargs)
        except (TypeError, KeyError) as e:
            raise CheckpointError(
                f"{pretrained_model_name_or_path}: config.json is not an imagination config ({e})"
            ) from e
        return model

    @classmethod
    def _from_pretrained(  # type: ignore[override]
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        config: ModelConfig | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ImaginationModel:
        if config is None or (isinstance(config, dict) and config.get("model_type") != "imagination"):
            raise CheckpointError(f"{model_id}: no imagination config.json found (is this an imagination model?)")
        model = cls(config)
        if os.path.isdir(model_id):
            weights = os.path.join(model_id, WEIGHTS)
            if not os.path.exists(weights):
                unsafe = [n for n in UNSAFE_WEIGHTS if os.path.exists(os.path.join(model_id, n))]
                raise CheckpointError(
                    f"{model_id}: no {WEIGHTS}"
                    + (f"; found {unsafe[0]}, which is a pickle and is never loaded" if unsafe else "")
                )
        else:
            try:
                weights = hf_hub_download(
                    repo_id=model_id,
                    filename=WEIGHTS,
                    revision=revision,
                    cache_dir=cache_dir,
                    force_download=force_download,
                    token=token,
                    local_files_only=local_files_only,
                )
            except EntryNotFoundError as e:
                raise CheckpointError(
                    f"{model_id}: the repo has no {WEIGHTS}; only safetensors weights are loaded (never pickles)"
                ) from e
        try:
            missing, unexpected = load_model(model, weights, strict=False, device=map_location)
        except (SafetensorError, OSError) as e:
            raise CheckpointError(f"{model_id}: {WEIGHTS} is not a valid safetensors file ({e})") from e
        if strict and (missing or unexpected):
            raise CheckpointError(
                f"{model_id}: weights do not match the config: "
                f"missing {sorted(missing)}, unexpected {sorted(unexpected)}"
            )
        model.eval()
        return model

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)


def pool_summary(maps: torch.Tensor, task: str, size: int) -> torch.Tensor:
    """Average [N, 1, H, W] maps over each summary region -> [N, h, w]."""
    if task == "count":
        out = maps.mean(dim=(-2, -1), keepdim=True)
    elif task == "patch":
        out = F.avg_pool2d(maps, size, stride=1)
    elif task == "grid":
        out = F.avg_pool2d(maps, size, stride=size)
    else:
        raise ValueError(f"not a summary task: {task!r}")
    return out[:, 0]


def summary_cells(task: str, size: int, board_shape: tuple[int, int] | torch.Size) -> int:
    """How many board cells one summary value covers (the unit its rounding is judged in)."""
    return int(board_shape[-1] * board_shape[-2]) if task == "count" else size * size


def summary_targets(boards: torch.Tensor, task: str, size: int) -> torch.Tensor:
    """The true summary of boards [..., H, W]: fraction of live cells per region."""
    lead = boards.shape[:-2]
    flat = boards.reshape(-1, 1, *boards.shape[-2:]).float()
    out = pool_summary(flat, task, size)
    return out.reshape(*lead, *out.shape[-2:])
