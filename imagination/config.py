"""Every architectural choice of a checkpoint, and config.json: its formats, upgrades and type checks.

config.json is read from strangers' folders and Hub repos, so every key is checked for its type and
range before a model is built, and every failure is an ``InvalidConfig`` naming the key. Formats:

- 1 (the first release): every field, no version keys, Life assumed (``rule``, ``wrap``);
- 2: adds ``format_version`` and ``imagination_version``;
- 3: names the environment: ``environment`` is its JSON object (``{"name": "life", "rule": ...,
  "wrap": ...}``, ``imagination.envs``), replacing ``rule`` and ``wrap``; adds ``recall``;
- 4: adds ``state_act``, what each hidden state passes through (``"none"``, or ``"tanh"``: a bounded state).

Older formats are upgraded one version at a time (``_UPGRADES``); a newer one is refused rather
than guessed at.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from imagination import envs
from imagination.errors import InvalidConfig, NotAnImaginationModel
from imagination.tasks import TASKS
from imagination.version import __version__

FORMAT_VERSION = 4
STATE_ACTS = ("none", "tanh")
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
    "game_steps": (1, 4096),
    "task_size": (1, 64),
    "task_layers": (1, 16),
}
LIFE = {"name": "life", "rule": "B3/S23", "wrap": False}
# Keywords from before format 3 that name a Life setting; from_pretrained(rule=...) still overrides it.
_LEGACY_ENV_KEYS = ("rule", "wrap")


@dataclass
class ModelConfig:
    """Every architectural choice; saved as config.json beside the weights.

    ``core_hidden > 0`` selects the wide core block (3x3 conv to ``core_hidden`` channels, then a
    1x1 conv back), which is what made training feasible on CPU; ``core_hidden = 0`` is the paper's
    plain block of ``core_layers`` 3x3 convs. ``recall`` feeds the encoder's input to every core step
    beside the state (Bansal et al.'s input recall). ``environment`` and ``game_steps`` describe what
    the model was trained on, so a checkpoint is self-describing.
    """

    channels: int = 16
    core_hidden: int = 64
    core_layers: int = 3
    encoder_layers: int = 1
    decoder_layers: int = 1
    decoder_kernel: int = 1
    model_steps: int = 3
    tied: bool = True
    recall: bool = False
    # "tanh": every state, h_0 and each h_{t+1} = tanh(h_t + block), is bounded, so a channel the core pushes
    # past the knee settles there (an attractor), where a plain residual sum drifts with every step's small error
    state_act: str = "none"
    negative_slope: float = 0.1
    output: str = "logit"  # "logit": BCE-trained logits; "value": MSE-trained values in ~[0, 1]
    task: str = "board"  # board | count | patch | grid
    task_size: int = 2  # k for patch (k x k, stride 1), g for grid (g x g, stride g)
    task_layers: int = 1
    game_steps: int = 3  # environment steps from the start to the answer
    environment: dict[str, Any] = field(default_factory=lambda: dict(LIFE))
    # Model steps whose board decodings were trained against true frames; the metric scores the rest.
    trained_steps: list[int] = field(default_factory=lambda: [0, 3])
    regime: str = "autoencoder"
    model_type: str = "imagination"

    def __post_init__(self) -> None:
        # InvalidConfig is a ValueError: building a ModelConfig in code fails the same way a file does.
        if self.task not in TASKS:
            raise InvalidConfig(f"task must be one of {TASKS}, got {self.task!r}")
        if self.state_act not in STATE_ACTS:
            raise InvalidConfig(f"state_act must be one of {STATE_ACTS}, got {self.state_act!r}")
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
        try:
            self.environment = _environment(_frozen(self.environment)).settings()
        except ValueError as e:
            raise InvalidConfig(f"environment: {e}") from None

    # -- the environment ---------------------------------------------------------------------------
    @property
    def env(self) -> envs.Environment:
        """The environment this model was trained on (``imagination.envs``)."""
        return _environment(_frozen(self.environment))

    @property
    def rule(self) -> str:
        """The Life rule, for code written before environments had names ("" for other environments)."""
        return str(self.environment.get("rule", ""))

    @property
    def wrap(self) -> bool:
        return bool(self.environment.get("wrap", False))

    # -- JSON --------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """What config.json holds: the format and library versions first, then every field."""
        return {"format_version": FORMAT_VERSION, "imagination_version": __version__, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """A config from a dict that may leave keys at their defaults (for code; files use from_json)."""
        if not isinstance(data, dict):
            raise InvalidConfig(f"a config is a JSON object (dict), got {type(data).__name__}")
        data = _legacy_overrides(dict(data), data)
        unknown = set(data) - FIELD_KINDS.keys()
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
            raise InvalidConfig(f"config.json must hold a JSON object, got a JSON {json_kind(data)}")
        if data.get("model_type") != "imagination":
            got = "no model_type" if "model_type" not in data else f"model_type {data['model_type']!r}"
            raise NotAnImaginationModel(
                f"config.json is not an imagination model's config ({got}; an imagination model's says 'imagination')"
            )
        data = _upgraded(dict(data))
        body = {k: v for k, v in data.items() if k not in ("format_version", "imagination_version")}
        unknown = set(body) - FIELD_KINDS.keys()
        if unknown:
            raise InvalidConfig(f"config.json has keys this version does not know: {sorted(unknown, key=str)}")
        missing = [k for k in FIELD_KINDS if k not in body]
        if missing:
            need = ", ".join(f"{k!r} ({FIELD_KINDS[k]})" for k in missing)
            raise InvalidConfig(f"config.json is missing {need}; a config records every field, none is defaulted")
        values = {k: _checked(k, v, "config.json") for k, v in body.items()}
        extra = _legacy_overrides(dict(overrides or {}), values)
        for k, v in extra.items():
            values[k] = _checked(k, v, "keyword argument")
        return cls(**values)


# field name -> its type as written in ModelConfig ("int", "float", "bool", "str", "list[int]", "dict[str, Any]")
FIELD_KINDS: dict[str, str] = {f.name: str(f.type) for f in fields(ModelConfig)}
# every keyword from_pretrained accepts as an override: the fields, and the Life settings of earlier formats
OVERRIDABLE = (*FIELD_KINDS, *_LEGACY_ENV_KEYS)


@functools.lru_cache(maxsize=64)
def _environment(frozen: str) -> envs.Environment:
    return envs.make(json.loads(frozen))


def _frozen(settings: Any) -> str:
    if not isinstance(settings, dict):
        raise InvalidConfig(f"environment must be a JSON object, got {json_kind(settings)}")
    return json.dumps(settings, sort_keys=True)


def _legacy_overrides(overrides: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """``rule=`` / ``wrap=`` (format 1 and 2 field names) become settings of the Life environment."""
    legacy = {k: overrides.pop(k) for k in _LEGACY_ENV_KEYS if k in overrides}
    if legacy:
        env = dict(into.get("environment") or LIFE)
        if env.get("name") != "life":
            raise InvalidConfig(f"{', '.join(legacy)}: settings of the Life environment, not of {env.get('name')!r}")
        overrides["environment"] = {**env, **legacy}
    return overrides


def _upgraded(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidConfig(f"config.json: format_version must be an int, got {json_kind(version)} {version!r}")
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
            f"config.json: imagination_version must be a str, got {json_kind(data['imagination_version'])}"
        )
    return data


def json_kind(value: Any) -> str:
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
    kind = FIELD_KINDS[key]
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "list[int]": isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value),
        "dict[str, Any]": isinstance(value, dict) and all(isinstance(k, str) for k in value),
    }[kind]
    if not ok:
        raise InvalidConfig(f"{where}: {key} must be {kind}, got {json_kind(value)} {short(value)}")
    return float(value) if kind == "float" else list(value) if kind == "list[int]" else value


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _upgrade_format_1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 1 -> 2: the same fields; the versions were not recorded (the writer's version is unknown)."""
    return {**data, "format_version": 2, "imagination_version": None}


def _upgrade_format_2(data: dict[str, Any]) -> dict[str, Any]:
    """Format 2 -> 3: ``rule`` and ``wrap`` become the Life environment; no input recall then."""
    newer = sorted({"environment", "recall"} & data.keys())
    if newer:
        raise InvalidConfig(f"config.json has keys this version does not know: {newer} (format 2 names no environment)")
    data = dict(data)
    env = {"name": "life", "rule": data.pop("rule", LIFE["rule"]), "wrap": data.pop("wrap", False)}
    return {**data, "environment": env, "recall": False, "format_version": 3}


def _upgrade_format_3(data: dict[str, Any]) -> dict[str, Any]:
    """Format 3 -> 4: every state was the plain residual sum."""
    if "state_act" in data:
        raise InvalidConfig("config.json has keys this version does not know: ['state_act'] (format 3 has none)")
    return {**data, "state_act": "none", "format_version": 4}


_UPGRADES = {1: _upgrade_format_1, 2: _upgrade_format_2, 3: _upgrade_format_3}
