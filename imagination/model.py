"""Encoder -> weight-tied recurrent core -> decoder, as in Wichers et al. (arXiv 2405.06409).

The decoder is applied to every hidden state h_0..h_T, which is what lets us look at what the
network "imagines" between the board it saw and the board it was asked for.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from huggingface_hub import ModelCard, PyTorchModelHubMixin
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model
from torch import nn

from imagination.errors import (
    AccessDenied,
    CheckpointError,
    CorruptWeights,
    InvalidArgument,
    InvalidConfig,
    NotAnImaginationModel,
    Offline,
    RepoNotFound,
    RevisionNotFound,
    UnsafeWeights,
    WeightsMismatch,
)

TASKS = ("board", "count", "patch", "grid")
WEIGHTS = "model.safetensors"
CONFIG = "config.json"
# Weight files we recognise but never open: loading them means unpickling.
UNSAFE_WEIGHTS = ("pytorch_model.bin", "model.bin", "model.pt", "model.pth", "pytorch_model.pt")
# The config.json format this version writes. Format 1 (the first release) had every ModelConfig field
# and no version keys; format 2 adds ``format_version`` and ``imagination_version``. Older formats are
# upgraded explicitly, one version at a time, by _UPGRADES.
FORMAT_VERSION = 2
# The ranges a config may ask for: a model this size or smaller builds in well under a second, so a
# hostile or mistyped config.json cannot make the loader allocate gigabytes.
_RANGES = {
    "channels": (1, 1024),
    "core_hidden": (0, 4096),
    "core_layers": (1, 64),
    "encoder_layers": (1, 16),
    "decoder_layers": (1, 16),
    "decoder_kernel": (1, 15),
    "model_steps": (1, 256),
    "game_steps": (1, 256),
    "task_size": (1, 64),
    "task_layers": (1, 16),
}
_FLOAT_DTYPES = ("F16", "BF16", "F32", "F64")

__all__ = ["CheckpointError", "ImaginationModel", "ModelConfig"]


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
        # InvalidConfig is a ValueError: building a ModelConfig in code fails the same way a file does.
        if self.task not in TASKS:
            raise InvalidConfig(f"task must be one of {TASKS}, got {self.task!r}")
        if self.output not in ("logit", "value"):
            raise InvalidConfig(f"output must be 'logit' or 'value', got {self.output!r}")
        if self.model_type != "imagination":
            raise NotAnImaginationModel(f"model_type must be 'imagination', got {self.model_type!r}")
        for key, (lo, hi) in _RANGES.items():
            value = getattr(self, key)
            if not lo <= value <= hi:
                raise InvalidConfig(f"{key} must be between {lo} and {hi}, got {value!r}")
        if self.decoder_kernel % 2 == 0:
            raise InvalidConfig("decoder_kernel must be odd to keep the board size")
        if not math.isfinite(self.negative_slope):
            raise InvalidConfig(f"negative_slope must be a finite number, got {self.negative_slope!r}")
        bad_steps = [t for t in self.trained_steps if not 0 <= t <= self.model_steps]
        if bad_steps:
            raise InvalidConfig(f"trained_steps must lie in 0..model_steps ({self.model_steps}), got {bad_steps}")
        from imagination.life import parse_rule

        try:
            parse_rule(self.rule)
        except ValueError as e:
            raise InvalidConfig(f"rule: {e}") from e

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """A config from a dict that may leave keys at their defaults (for code; files use from_json)."""
        if not isinstance(data, dict):
            raise InvalidConfig(f"a config is a JSON object (dict), got {type(data).__name__}")
        unknown = set(data) - _FIELD_KINDS.keys()
        if unknown:
            raise InvalidConfig(f"config.json has keys this version does not know: {sorted(unknown, key=str)}")
        return cls(**{k: _checked(k, v, "config") for k, v in data.items()})

    @classmethod
    def from_json(cls, data: Any, overrides: dict[str, Any] | None = None) -> ModelConfig:
        """The config a config.json describes, every key required, with keyword overrides applied.

        A file without ``format_version`` is format 1; older formats are upgraded by version, and a
        newer one is refused rather than guessed at. Errors name the key and the type it must have.
        """
        if not isinstance(data, dict):
            raise InvalidConfig(f"config.json must hold a JSON object, got a JSON {_json_kind(data)}")
        if data.get("model_type") != "imagination":
            got = "no model_type" if "model_type" not in data else f"model_type {data['model_type']!r}"
            raise NotAnImaginationModel(
                f"config.json is not an imagination model's config ({got}; an imagination model's says 'imagination')"
            )
        data = dict(data)
        version = data.get("format_version", 1)
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidConfig(f"config.json: format_version must be an int, got {_json_kind(version)} {version!r}")
        if version > FORMAT_VERSION:
            raise InvalidConfig(
                f"config.json is format {version}, written by imagination {data.get('imagination_version')!r}; "
                f"this version reads formats up to {FORMAT_VERSION}: upgrade with `pip install -U imagination`"
            )
        if version < 1:
            raise InvalidConfig(f"config.json: format_version must be >= 1, got {version}")
        while version < FORMAT_VERSION:
            data = _UPGRADES[version](data)
            version += 1
        for key in ("format_version", "imagination_version"):
            if key not in data:
                raise InvalidConfig(f"config.json (format {FORMAT_VERSION}) is missing the key {key!r}")
        if not isinstance(data["imagination_version"], (str, type(None))):
            raise InvalidConfig(
                f"config.json: imagination_version must be a str, got {_json_kind(data['imagination_version'])}"
            )
        body = {k: v for k, v in data.items() if k not in ("format_version", "imagination_version")}
        unknown = set(body) - _FIELD_KINDS.keys()
        if unknown:
            raise InvalidConfig(f"config.json has keys this version does not know: {sorted(unknown, key=str)}")
        missing = [k for k in _FIELD_KINDS if k not in body]
        if missing:
            need = ", ".join(f"{k!r} ({_FIELD_KINDS[k]})" for k in missing)
            raise InvalidConfig(f"config.json is missing {need}; a config records every field, none is defaulted")
        values = {k: _checked(k, v, "config.json") for k, v in body.items()}
        for k, v in (overrides or {}).items():
            values[k] = _checked(k, v, "keyword argument")
        return cls(**values)


# field name -> its type as written in ModelConfig ("int", "float", "bool", "str", "list[int]")
_FIELD_KINDS: dict[str, str] = {f.name: str(f.type) for f in fields(ModelConfig)}


def _json_kind(value: Any) -> str:
    """A value's type as JSON calls it, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def _checked(key: str, value: Any, where: str) -> Any:
    """``value`` if it has the type ModelConfig declares for ``key`` (an int stands for a float)."""
    kind = _FIELD_KINDS[key]
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "list[int]": isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value),
    }[kind]
    if not ok:
        raise InvalidConfig(f"{where}: {key} must be {kind}, got {_json_kind(value)} {_short(value)}")
    return float(value) if kind == "float" else list(value) if kind == "list[int]" else value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _upgrade_format_1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 1 -> 2: the same fields; the versions were not recorded (the writer's version is unknown)."""
    return {**data, "format_version": 2, "imagination_version": None}


_UPGRADES = {1: _upgrade_format_1}


def config_to_json(cfg: ModelConfig) -> dict[str, Any]:
    """What config.json holds: the format and library versions first, then every field."""
    from imagination import __version__

    return {"format_version": FORMAT_VERSION, "imagination_version": __version__, **asdict(cfg)}


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
        """Weights as safetensors, and config.json in the current format (the mixin keeps an existing one)."""
        from safetensors.torch import save_model

        save_directory = Path(save_directory)
        save_model(self, str(save_directory / WEIGHTS), metadata={"format": "pt"})
        (save_directory / CONFIG).write_text(json.dumps(config_to_json(self.config), indent=2) + "\n")

    def save_pretrained(  # type: ignore[override]
        self,
        save_directory: str | Path,
        *,
        repo_id: str | None = None,
        model_card_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str | None:
        """The mixin's save_pretrained; the folder and ``repo_id`` go to the card, so its usage snippet names them."""
        model_card_kwargs = {"folder": Path(save_directory), **(model_card_kwargs or {})}
        if repo_id is not None:
            model_card_kwargs.setdefault("repo_id", repo_id)
        return super().save_pretrained(save_directory, repo_id=repo_id, model_card_kwargs=model_card_kwargs, **kwargs)

    def push_to_hub(  # type: ignore[override]
        self, repo_id: str, *, model_card_kwargs: dict[str, Any] | None = None, **kwargs: Any
    ) -> str:
        """The mixin's push_to_hub, with the project's card written for ``repo_id``."""
        model_card_kwargs = {"repo_id": repo_id, **(model_card_kwargs or {})}
        return super().push_to_hub(repo_id, model_card_kwargs=model_card_kwargs, **kwargs)

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:
        """The project's card (imagination.cards), so the mixin never uploads its generic one."""
        from imagination import cards

        return cards.card_for_model(self, repo_id=kwargs.get("repo_id"), folder=kwargs.get("folder"))

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls,
        pretrained_model_name_or_path: str | Path,
        *,
        revision: str | None = None,
        cache_dir: str | Path | None = None,
        force_download: bool = False,
        local_files_only: bool = False,
        token: str | bool | None = None,
        map_location: str | torch.device = "cpu",
        strict: bool = True,
        **overrides: Any,
    ) -> ImaginationModel:
        """Load from a zoo name, a local folder or a Hub repo id (see imagination.hub for the order).

        Only ``model.safetensors`` is read (a pickle is refused, never opened), and its keys and
        shapes must match the config exactly. Keyword arguments that name ModelConfig fields override
        config.json, as in transformers (the weight check then says if the architecture no longer
        fits); any other keyword is refused. ``revision`` applies to Hub repo ids only: a bundled or
        registered zoo name is one fixed checkpoint, so ask for its repo id to get another revision.
        config.json is fetched once per load, and the weights come from the same commit. Every
        failure raises a subclass of ``CheckpointError`` (imagination.errors).
        """
        from imagination import hub

        label = str(pretrained_model_name_or_path)
        unknown = sorted(set(overrides) - _FIELD_KINDS.keys())
        if unknown:
            raise InvalidArgument(
                f"from_pretrained() got unknown keyword arguments {unknown}: it takes revision, cache_dir, "
                "force_download, local_files_only, token, map_location, or a ModelConfig field to override "
                f"({', '.join(_FIELD_KINDS)})"
            )
        if strict is not True:
            raise InvalidArgument("strict=False is not supported: the weights must always match the config exactly")
        source = hub.locate(label)
        if source.kind == "folder":
            if revision is not None:
                hint = ""
                repo = next((e.get("repo_id") for e in hub.registry_entries() if e["name"] == source.name), None)
                if source.name is not None and isinstance(repo, str):
                    hint = f"; for another revision, load its Hub repo id: from_pretrained({repo!r}, revision=...)"
                what = f"{label} is a bundled zoo checkpoint" if source.name else f"{label} is a local folder"
                raise InvalidArgument(f"{what}, which has no revisions{hint}")
            return cls._from_folder(Path(source.location), label, overrides, map_location)
        if "/" not in source.location:
            known = hub.known_names(label, [e["name"] for e in hub.registry_entries()])
            raise RepoNotFound(
                f"{label}: not a zoo checkpoint ({known}) nor an existing folder; a Hub repo id looks like org/name"
            )
        if source.name is not None and source.fallback is None:  # a registered, not bundled, name
            if revision not in (None, source.revision or "main"):
                pinned = f"at revision {source.revision!r}" if source.revision else "without a revision (main)"
                raise InvalidArgument(
                    f"{label} is registered {pinned}; for another revision, load its "
                    f"Hub repo id: from_pretrained({source.location!r}, revision={revision!r})"
                )
            revision = source.revision
        fallback = None
        if source.fallback is not None and revision in (None, "main", hub.registry_revision(source.name or "")):
            fallback = source.fallback
        opts = {"cache_dir": cache_dir, "force_download": force_download, "token": token}
        files = _fetch_from_hub(source.location, revision, local_files_only, opts, fallback)
        if isinstance(files, Path):
            return cls._from_folder(files, label, overrides, map_location)
        config_path, fetch_weights = files
        config = _read_config(Path(config_path), label, overrides)
        return cls._from_weights(config, fetch_weights(), label, map_location, overrides)

    @classmethod
    def _from_folder(
        cls, folder: Path, label: str, overrides: dict[str, Any], map_location: str | torch.device
    ) -> ImaginationModel:
        if not (folder / CONFIG).is_file():
            raise NotAnImaginationModel(
                f"{label}: no imagination config.json in this folder; a checkpoint folder holds config.json and "
                f"{WEIGHTS} (written by save_pretrained or training.train)"
            )
        config = _read_config(folder / CONFIG, label, overrides)
        weights = folder / WEIGHTS
        if not weights.is_file():
            _refuse_missing_weights(label, [n for n in UNSAFE_WEIGHTS if (folder / n).exists()])
        return cls._from_weights(config, str(weights), label, map_location, overrides)

    @classmethod
    def _from_weights(
        cls,
        config: ModelConfig,
        weights: str,
        label: str,
        map_location: str | torch.device,
        overrides: dict[str, Any],
    ) -> ImaginationModel:
        """Check the file's keys and shapes against the model built on the meta device, then fill it."""
        with torch.device("meta"):
            model = cls(config)  # no memory yet: a mismatch is reported before anything is allocated
        expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        try:
            with safe_open(weights, framework="pt", device="cpu") as f:
                found = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}  # noqa: SIM118
        except (SafetensorError, OSError, ValueError, RuntimeError) as e:
            raise CorruptWeights(
                f"{label}: {WEIGHTS} is not a valid safetensors file ({e}); re-download it "
                "(force_download=True) or re-save the checkpoint"
            ) from e
        missing = sorted(set(expected) - set(found))
        unexpected = sorted(set(found) - set(expected))
        wrong = [
            f"{k} {found[k][0]} in the file vs {expected[k]} for the config"
            for k in sorted(set(expected) & set(found))
            if found[k][0] != expected[k]
        ]
        wrong += [f"{k} has dtype {found[k][1]}" for k in sorted(found) if found[k][1] not in _FLOAT_DTYPES]
        if missing or unexpected or wrong:
            more = f" and {len(wrong) - 3} more" if len(wrong) > 3 else ""
            changed = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
            raise WeightsMismatch(
                f"{label}: weights do not match the config: missing {missing}, unexpected {unexpected}"
                + (f", wrong shape or dtype: {'; '.join(wrong[:3])}{more}" if wrong else "")
                + (
                    f" (from_pretrained({changed}) changed the architecture the weights were saved for)"
                    if changed
                    else ""
                )
            )
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

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)


def _read_config(path: Path, label: str, overrides: dict[str, Any]) -> ModelConfig:
    """The config at ``path``; any way it can be wrong becomes an InvalidConfig naming the checkpoint."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise InvalidConfig(f"{label}: config.json is not readable JSON ({type(e).__name__}: {_short(str(e))})") from e
    try:
        return ModelConfig.from_json(data, overrides)
    except CheckpointError as e:
        raise type(e)(f"{label}: {e}") from e.__cause__


def _refuse_missing_weights(label: str, pickles: list[str]) -> None:
    if pickles:
        raise UnsafeWeights(
            f"{label}: no {WEIGHTS}, only {pickles[0]}, a pickle; it is never opened (unpickling can run code). "
            "Only safetensors weights are loaded, never pickles: convert it where you trust it "
            "(safetensors.torch.save_model) and load that"
        )
    raise CorruptWeights(f"{label}: the checkpoint has no {WEIGHTS}; it is incomplete")


def hub_error(e: BaseException, repo_id: str, revision: str | None, filename: str) -> CheckpointError | None:
    """The CheckpointError for a huggingface_hub failure, or None when it means "the Hub is unreachable".

    Order matters: ``GatedRepoError`` is a ``RepositoryNotFoundError`` and ``LocalEntryNotFoundError``
    (offline, not cached) is an ``EntryNotFoundError``; reading the latter as "the repo has no
    config.json" was the bug that called every offline failure "not an imagination model".
    """
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        DisabledRepoError,
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    login = "log in with `hf auth login` or pass token="
    if isinstance(e, HFValidationError):
        return RepoNotFound(f"{repo_id!r} is not a valid Hub repo id (expected org/name) nor a zoo name or folder: {e}")
    if isinstance(e, GatedRepoError):
        return AccessDenied(
            f"{repo_id} is a gated repo: accept its terms at {constants.ENDPOINT}/{repo_id}, then {login}"
        )
    if isinstance(e, DisabledRepoError):
        return AccessDenied(f"{repo_id}: access to this repo has been disabled on the Hub")
    if isinstance(e, RevisionNotFoundError):
        return RevisionNotFound(
            f"{repo_id} has no revision {revision!r}: give an existing branch, tag or commit sha, or omit revision"
        )
    if isinstance(e, RepositoryNotFoundError):
        return RepoNotFound(
            f"{repo_id}: no such model repo on {constants.ENDPOINT}; check the spelling (org/name). "
            f"If it is private, {login}. A bundled zoo checkpoint loads by its name (imagination.zoo.names())"
        )
    if isinstance(e, LocalEntryNotFoundError):  # before EntryNotFoundError, its base class
        return None
    if isinstance(e, EntryNotFoundError):
        if filename == CONFIG:
            return NotAnImaginationModel(f"{repo_id}: the repo has no config.json; it is not an imagination model")
        return CorruptWeights(f"{repo_id}: the repo has no {filename}; only safetensors weights are loaded")
    if isinstance(e, HfHubHTTPError):
        status = e.response.status_code if e.response is not None else None
        if status in (401, 403):
            return AccessDenied(
                f"{repo_id}: the Hub refused access (HTTP {status}); {login} with a token that can read it"
            )
    return None  # connection refused, timeouts, 5xx, offline mode: the caller falls back to the cache


def _unreachable_message(repo_id: str, reason: BaseException | None, offline: bool) -> str:
    from huggingface_hub import constants

    if offline:
        why = "offline mode is on (HF_HUB_OFFLINE=1 or local_files_only=True)"
        fix = "run the same load once with the Hub reachable to cache it"
    else:
        why = f"the Hub at {constants.ENDPOINT} could not be reached ({type(reason).__name__}: {_short(str(reason))})"
        fix = "check the network (and HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use only the cache"
    return f"{repo_id}: {why}, and huggingface_hub's cache does not hold it; {fix}"


def _fetch_from_hub(
    repo_id: str,
    revision: str | None,
    local_files_only: bool,
    opts: dict[str, Any],
    fallback: Path | None,
) -> Path | tuple[str, Any]:
    """(config.json path, a function fetching the weights) for a Hub repo, or the bundled folder to use.

    One metadata call (no retries) lists the repo's files, so an unreachable Hub fails in one attempt
    instead of huggingface_hub's ~23 s of download retries, and a repo without config.json or with
    only a pickle is refused before anything is downloaded. config.json is then downloaded once (a
    warm cache costs one HEAD request), and the weights at the commit it came from (a warm cache: no
    request). When the Hub cannot be reached, the cache is used as huggingface_hub would, then the
    bundled copy, if any, with a warning.
    """
    from huggingface_hub import HfApi, constants, hf_hub_download

    offline = local_files_only or constants.HF_HUB_OFFLINE
    reason: BaseException | None = None
    info = None
    if not offline:
        try:
            info = HfApi(token=opts["token"]).model_info(
                repo_id, revision=revision, timeout=constants.HF_HUB_ETAG_TIMEOUT
            )
        except Exception as e:  # noqa: BLE001 - every huggingface_hub / transport error is classified here
            err = hub_error(e, repo_id, revision, CONFIG)
            if err is not None:
                raise err from e
            reason = e

    def download(filename: str, rev: str | None, local: bool) -> str:
        try:
            return hf_hub_download(repo_id, filename, revision=rev, local_files_only=local, **opts)
        except Exception as e:  # noqa: BLE001
            err = hub_error(e, repo_id, rev, filename)
            if err is not None:
                raise err from e
            raise Offline(_unreachable_message(repo_id, reason or e, offline or local)) from e

    if info is not None:
        files = {s.rfilename for s in info.siblings} if info.siblings is not None else None
        if files is not None and CONFIG not in files:
            raise NotAnImaginationModel(f"{repo_id}: the repo has no config.json; it is not an imagination model")
        # By the revision asked for, so the cache records it (refs/<revision>) and a later offline load
        # finds it; the weights then come from the commit this config.json was read at.
        config_path = download(CONFIG, revision, False)
        commit = Path(config_path).parent.name  # .../snapshots/<commit>/config.json

        def weights() -> str:
            if files is not None and WEIGHTS not in files:
                _refuse_missing_weights(repo_id, [n for n in UNSAFE_WEIGHTS if n in files])
            return download(WEIGHTS, commit, False)

        return config_path, weights
    try:
        config_path = hf_hub_download(repo_id, CONFIG, revision=revision, local_files_only=True, **opts)
    except Exception as e:  # noqa: BLE001
        if fallback is not None:
            why = "offline mode is on" if offline else f"the Hub could not be reached ({type(reason).__name__})"
            warnings.warn(
                f"{repo_id}: {why} and it is not in huggingface_hub's cache; loading the bundled copy "
                f"{fallback.name!r} instead",
                UserWarning,
                stacklevel=3,
            )
            return fallback
        err = hub_error(e, repo_id, revision, CONFIG)
        if err is not None and not isinstance(err, NotAnImaginationModel):
            raise err from e
        raise Offline(_unreachable_message(repo_id, reason, offline)) from (reason or e)
    commit = Path(config_path).parent.name  # .../snapshots/<commit>/config.json
    return config_path, lambda: download(WEIGHTS, commit, True)


def pool_summary(maps: torch.Tensor, task: str, size: int) -> torch.Tensor:
    """Average [N, 1, H, W] maps over each summary region -> [N, h, w]."""
    if task == "count":
        out = maps.mean(dim=(-2, -1), keepdim=True)
    elif task == "patch":
        # same-size output, as the reference's patch task: the k x k window starting (k-1)//2 cells before
        # each cell; cells beyond the edge are dead (the board's own edge rule), so every window holds k*k
        # cells and answers are whole counts of them (an even k reaches one cell further right/down)
        lo, hi = (size - 1) // 2, size // 2
        out = F.avg_pool2d(F.pad(maps, (lo, hi, lo, hi)), size, stride=1)
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
