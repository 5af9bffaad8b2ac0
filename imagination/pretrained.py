"""Hub I/O for the network, apart from the network: ``from_pretrained``, ``save_pretrained``, ``push_to_hub``.

LeRobot's shape (``policies/pretrained.py``): one base class carries huggingface_hub's
``PyTorchModelHubMixin`` and the loading rules, and the network (``imagination.model``) only
subclasses it. Only ``model.safetensors`` is ever read (a pickle is refused, never opened), keys and
shapes must match the config exactly, and every failure is a ``CheckpointError``
(``imagination.errors``). Where a name leads is ``loading.resolve``'s business, Hub downloads are
``loading.fetch``'s, reading the files is ``loading.weights``'s.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import ModelCard, PyTorchModelHubMixin
from safetensors.torch import save_model
from torch import nn

from imagination import modelcard
from imagination.config import FIELD_KINDS, OVERRIDABLE, ModelConfig
from imagination.errors import InvalidArgument, RepoNotFound
from imagination.loading import fetch, resolve, revisions, weights
from imagination.registry import entries


class PreTrainedImagination(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="imagination",
    tags=["interpretability", "recurrent"],
    license="apache-2.0",
    model_card_template=modelcard.TEMPLATE.read_text(),
):
    """A network with a ``ModelConfig`` that the Hub can save, push and load (subclassed by the model)."""

    config: ModelConfig

    def __init__(self, config: ModelConfig | dict[str, Any] | None = None) -> None:
        super().__init__()
        if config is None:
            config = ModelConfig()
        elif isinstance(config, dict):
            config = ModelConfig.from_dict(config)
        self.config = config
        self._hub_mixin_config = config

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)

    # -- saving ------------------------------------------------------------------------------------
    def _save_pretrained(self, save_directory: Path) -> None:
        """Weights as safetensors, and config.json in the current format (the mixin keeps an existing one)."""
        save_directory = Path(save_directory)
        save_model(self, str(save_directory / weights.WEIGHTS), metadata={"format": "pt"})
        (save_directory / weights.CONFIG).write_text(json.dumps(self.config.to_json(), indent=2) + "\n")

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
        """The project's template, filled from the config: a save never evaluates, so the card has no scores."""
        folder = kwargs.get("folder")
        return modelcard.unevaluated_card(self.config, kwargs.get("repo_id"), Path(folder) if folder else None)

    # -- loading -----------------------------------------------------------------------------------
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
    ):  # noqa: ANN206 - an instance of cls
        """Load from a zoo name, a local folder or a Hub repo id (see ``imagination.loading.resolve``).

        Keyword arguments that name ModelConfig fields override config.json, as in transformers (the
        weight check then says if the architecture no longer fits); any other keyword is refused.
        ``revision`` is a Hub repo's branch, tag or commit; for a folder or a bundled zoo name it is
        ``main`` (the checkpoint itself), one of its training snapshots, ``step<k>``, or one of its stages,
        the earlier run it continued, by that run's name (``imagination.zoo.revisions``), as on the Hub,
        where each is a branch. A registered name that is not bundled is pinned to its registry revision,
        its snapshot and stage branches aside.
        config.json is fetched once per load, and the weights come from the same commit.
        """
        label = str(pretrained_model_name_or_path)
        unknown = sorted(set(overrides) - set(OVERRIDABLE))
        if unknown:
            raise InvalidArgument(
                f"from_pretrained() got unknown keyword arguments {unknown}: it takes revision, cache_dir, "
                "force_download, local_files_only, token, map_location, or a ModelConfig field to override "
                f"({', '.join(FIELD_KINDS)})"
            )
        if strict is not True:
            raise InvalidArgument("strict=False is not supported: the weights must always match the config exactly")
        if revision is not None and not isinstance(revision, str):
            raise InvalidArgument(
                f"revision must be a string (a branch, tag, commit, step<k> or a stage's name), got {revision!r}"
            )
        source = resolve.locate(label)
        if source.kind == "folder":
            folder = revisions.folder_at(Path(source.location), revision, *_folder_words(label, source))
            return weights.from_folder(cls, folder, label, overrides, map_location)
        if "/" not in source.location:
            owner = resolve.stage_owner(label)
            if owner is not None:
                raise RepoNotFound(
                    f"{label} is not a zoo entry of its own: it is the run {owner} continued, kept as its revision "
                    f"{label!r}: from_pretrained({owner!r}, revision={label!r})"
                )
            known = resolve.known_names(label, [e.name for e in entries()])
            raise RepoNotFound(
                f"{label}: not a zoo checkpoint ({known}) nor an existing folder; a Hub repo id looks like org/name"
            )
        # a snapshot's or a stage's branch: the same checkpoint's history, whatever revision the registry pins
        stages = resolve.registered_stages(source.name or "")
        snapshot = revisions.step_of(revision or "") is not None or revision in stages
        if source.name is not None and source.fallback is None and not snapshot:  # a registered, not bundled, name
            if revision not in (None, source.revision or "main"):
                pinned = f"at revision {source.revision!r}" if source.revision else "without a revision (main)"
                raise InvalidArgument(
                    f"{label} is registered {pinned}; for another revision, load its "
                    f"Hub repo id: from_pretrained({source.location!r}, revision={revision!r})"
                )
            revision = source.revision
        fallback = None
        if source.fallback is not None and revision in (None, "main", resolve.registry_revision(source.name or "")):
            fallback = source.fallback
        elif source.fallback is not None and snapshot and revision in revisions.in_folder(source.fallback):
            fallback = revisions.folder_at(source.fallback, revision, label)  # the bundled copy of that revision
        opts = {"cache_dir": cache_dir, "force_download": force_download, "token": token}
        files = fetch.fetch(source.location, revision, local_files_only, opts, fallback)
        if isinstance(files, Path):
            return weights.from_folder(cls, files, label, overrides, map_location)
        config_path, fetch_weights = files
        config = weights.read_config(Path(config_path), label, overrides)
        return weights.from_weights(cls, config, fetch_weights(), label, map_location, overrides)


def _folder_words(label: str, source: resolve.Source) -> tuple[str, str]:
    """What a folder is, and where its other revisions are, for refusing a revision it does not have."""
    hint = ""
    repo = resolve.registered_repo(source.name) if source.name else None
    if repo is not None:
        hint = f"; for another revision, load its Hub repo id: from_pretrained({repo!r}, revision=...)"
    what = f"{label} is a bundled zoo checkpoint" if source.name else f"{label} is a local folder"
    return what, hint
