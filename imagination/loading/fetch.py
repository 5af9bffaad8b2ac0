"""Checkpoint files from the Hugging Face Hub, through huggingface_hub's cache, failures made ``CheckpointError``.

One metadata call (no retries) lists the repo's files and gives the commit, so an unreachable Hub
fails in one attempt instead of huggingface_hub's ~23 s of download retries, and a repo without
config.json or with only a pickle is refused before anything is downloaded. config.json is then
downloaded by the revision asked for (so the cache records it, and a later offline load finds it),
and the weights at the commit ``model_info`` named. When the Hub cannot be reached the cache is used
as huggingface_hub would, then the bundled copy, if any, with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import huggingface_hub
from huggingface_hub import HfApi, constants
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

from imagination.config import short
from imagination.errors import (
    AccessDenied,
    CheckpointError,
    CorruptWeights,
    NotAnImaginationModel,
    Offline,
    RepoNotFound,
    RevisionNotFound,
)
from imagination.loading.weights import CONFIG, UNSAFE_WEIGHTS, WEIGHTS, refuse_missing_weights


def hub_error(e: BaseException, repo_id: str, revision: str | None, filename: str) -> CheckpointError | None:
    """The CheckpointError for a huggingface_hub failure, or None when it means "the Hub is unreachable".

    Order matters: ``GatedRepoError`` is a ``RepositoryNotFoundError`` and ``LocalEntryNotFoundError``
    (offline, not cached) is an ``EntryNotFoundError``; reading the latter as "the repo has no
    config.json" was the bug that called every offline failure "not an imagination model".
    """
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


def unreachable_message(repo_id: str, reason: BaseException | None, offline: bool) -> str:
    if offline:
        why = "offline mode is on (HF_HUB_OFFLINE=1 or local_files_only=True)"
        fix = "run the same load once with the Hub reachable to cache it"
    else:
        why = f"the Hub at {constants.ENDPOINT} could not be reached ({type(reason).__name__}: {short(str(reason))})"
        fix = "check the network (and HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use only the cache"
    return f"{repo_id}: {why}, and huggingface_hub's cache does not hold it; {fix}"


def fetch(
    repo_id: str,
    revision: str | None,
    local_files_only: bool,
    opts: dict[str, Any],
    fallback: Path | None,
) -> Path | tuple[str, Callable[[], str]]:
    """(config.json path, a function fetching the weights) for a Hub repo, or the bundled folder to use.

    Downloads go through ``huggingface_hub.hf_hub_download`` looked up at call time, so a test (or a
    user's own wrapper) that patches the library sees every request.
    """
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
            return huggingface_hub.hf_hub_download(repo_id, filename, revision=rev, local_files_only=local, **opts)
        except Exception as e:  # noqa: BLE001
            err = hub_error(e, repo_id, rev, filename)
            if err is not None:
                raise err from e
            raise Offline(unreachable_message(repo_id, reason or e, offline or local)) from e

    if info is not None:
        files = {s.rfilename for s in info.siblings} if info.siblings is not None else None
        if files is not None and CONFIG not in files:
            raise NotAnImaginationModel(f"{repo_id}: the repo has no config.json; it is not an imagination model")
        config_path = download(CONFIG, revision, False)
        commit = info.sha or revision

        def weights() -> str:
            if files is not None and WEIGHTS not in files:
                refuse_missing_weights(repo_id, [n for n in UNSAFE_WEIGHTS if n in files])
            return download(WEIGHTS, commit, False)

        return config_path, weights
    try:
        config_path = huggingface_hub.hf_hub_download(repo_id, CONFIG, revision=revision, local_files_only=True, **opts)
    except Exception as e:  # noqa: BLE001
        if fallback is not None:
            why = "offline mode is on" if offline else f"the Hub could not be reached ({type(reason).__name__})"
            warnings.warn(
                f"{repo_id}: {why} and it is not in huggingface_hub's cache; loading the bundled copy "
                f"{fallback.name!r} instead",
                UserWarning,
                stacklevel=4,
            )
            return fallback
        err = hub_error(e, repo_id, revision, CONFIG)
        if err is not None and not isinstance(err, NotAnImaginationModel):
            raise err from e
        raise Offline(unreachable_message(repo_id, reason, offline)) from (reason or e)
    # offline: the cache resolves the revision to the same commit for both files
    return config_path, lambda: download(WEIGHTS, revision, True)
