"""What the demo's server keeps: checkpoints (what a typed name means, loading it once, keeping a
few, and their files) and the files it hands out.

A demo serves many visitors at once, so loading is per checkpoint: a Hub fetch that stalls (the
Hub unreachable, retries backing off) holds only the lock of the checkpoint it fetches, never one
that other checkpoints' loads wait on. Every failure is a ``CheckpointError`` whose message a
visitor can act on and which names no path of the server's file system.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import huggingface_hub

from imagination import envs, registry, zoo
from imagination.errors import CheckpointError, Offline
from imagination.loading import resolve as hub
from imagination.loading.fetch import hub_error
from imagination.model import ImaginationModel

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_ABS_PATH = re.compile(r"(?<![\w.:/~-])(?:/[\w.@+~-]+){2,}/?")


def is_loopback(host: str | None) -> bool:
    """True for an address only this machine can reach."""
    return (host or "").strip().lower() in LOOPBACK or (host or "").startswith("127.")


def redact(message: str, replacements: dict[str, str] | None = None) -> str:
    """``message`` with each known path replaced by its public name, and any other absolute path by
    its last component: a visitor learns nothing about the server's file system."""
    for path, name in sorted((replacements or {}).items(), key=lambda kv: -len(kv[0])):
        if path:
            message = message.replace(path, name)
    return _ABS_PATH.sub(lambda m: "…/" + m.group().rstrip("/").rsplit("/", 1)[-1], message)


def hub_message(name: str, e: BaseException, offline: bool, filename: str = "config.json") -> str:
    """A sentence for a huggingface_hub error met while fetching ``name``: the loader's own words
    (``imagination.model.hub_error``), or, where the Hub could not be reached, this app's."""
    err = hub_error(e, name, None, filename)
    if err is not None:
        return str(err)
    if offline:
        return (
            f"{name}: not in the local Hub cache, and this app runs offline (start it with --online to fetch Hub repos)"
        )
    return f"{name}: could not reach the Hugging Face Hub (no network?) and it is not in the local cache"


class Checkpoints:
    """Resolve, load and cache checkpoints for a server.

    ``offline``: Hub repo ids are read from the local cache only. ``local_folders``: folders
    outside the zoo may be named (a local convenience; on a public server they would let visitors
    probe its file system). ``cache_size``: models kept in memory (least recently used dropped).
    """

    def __init__(self, offline: bool = True, local_folders: bool = False, cache_size: int = 8) -> None:
        self.offline = offline
        self.local_folders = local_folders
        self.cache_size = cache_size
        self._models: OrderedDict[str, ImaginationModel] = OrderedDict()
        self._lock = threading.Lock()  # guards the dicts; never held while loading
        self._loading: dict[str, threading.Lock] = {}
        self._registered: dict[str, str] = {}  # key -> the registered zoo name it was asked for by

    # -- names ---------------------------------------------------------------------------------

    def resolve(self, name: str) -> str:
        """The cache key: a folder's absolute path, or a Hub repo id. Raises CheckpointError for nonsense."""
        name = (name or "").strip()
        if not name:
            raise CheckpointError(
                "No checkpoint chosen: pick one from the zoo, or type a Hub repo id (org/name)"
                + (" or a folder." if self.local_folders else ".")
            )
        if len(name) > 200:
            raise CheckpointError(f"the checkpoint name is {len(name):,} characters long; a Hub repo id is at most 96")
        if any(ord(c) < 32 for c in name):  # a message names the checkpoint: it must stay one line
            raise CheckpointError("the checkpoint name holds a control character (a line break, a tab, a NUL)")
        looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name
        try:
            located: hub.Source | None = hub.locate(name)
            source = located.location
            is_dir = Path(source).is_dir()
        except (OSError, ValueError, RuntimeError):
            located, source, is_dir = None, name, False
        in_zoo = is_dir and registry.in_zoo(source)
        if not self.local_folders and (looks_like_path or is_dir) and not in_zoo:
            raise CheckpointError(f"{name}: this app loads zoo checkpoints and Hub repo ids (org/name), not folders")
        if is_dir:
            return str(Path(source).resolve())
        if looks_like_path:
            raise CheckpointError(f"{name}: no such folder")
        if "/" not in name:
            # registered in the zoo, not bundled: its Hub repo at the registered revision
            if located is not None and located.kind == "hub" and "/" in located.location:
                key = f"{located.location}@{located.revision or 'main'}"
                with self._lock:
                    self._registered[key] = name
                return key
            known = hub.known_names(name, [e["name"] for e in registry.read()])
            raise CheckpointError(
                f"{name}: not a zoo checkpoint ({known})"
                + (" nor a local folder" if self.local_folders else "")
                + "; a Hub repo id looks like org/name"
            )
        return name

    def display_name(self, key: str) -> str:
        """A zoo checkpoint by its name, anything else as it was given (a folder: its last component)."""
        if key in self._registered:
            return self._registered[key]
        p = Path(key)
        if p.is_absolute():
            return p.name
        return key

    def _public(self, message: str, key: str, name: str) -> str:
        return redact(message, {key: name.strip() if not Path(name.strip()).is_absolute() else Path(key).name})

    # -- loading -------------------------------------------------------------------------------

    def cached(self, key: str) -> ImaginationModel | None:
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                self._models.move_to_end(key)
            return model

    def load(self, name: str) -> tuple[str, ImaginationModel]:
        """(cache key, model) for a zoo name, a folder or a Hub repo id; loaded once, LRU-bounded."""
        key = self.resolve(name)
        return key, self.model(key, name)

    def model(self, key: str, name: str | None = None) -> ImaginationModel:
        """The model of a resolved ``key`` (``name``: as the visitor gave it, for messages).

        Two visitors asking for the same checkpoint share one load; a load of another checkpoint
        never waits for it. Hand-written rather than functools.lru_cache: that holds no lock per key,
        so two visitors would both load a checkpoint, and a failed load must not be cached.
        """
        model = self.cached(key)
        if model is not None:
            return model
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            model = self.cached(key)
            if model is not None:
                return model
            try:
                model = self._load(key, key if name is None else name)
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            with self._lock:
                self._models[key] = model
                while len(self._models) > self.cache_size:
                    self._models.popitem(last=False)
            return model

    def _load(self, key: str, name: str) -> ImaginationModel:
        target = self._registered.get(key, key)  # a registered name: the loader reads it at its pinned revision
        try:
            model = ImaginationModel.from_pretrained(target, local_files_only=self.offline)
        except CheckpointError as e:  # keep its class (offline, gated, ...): only its text is made public
            text = self._public(str(e), key, name)
            if self.offline and isinstance(e, Offline) and "--online" not in text:
                text += " (this app runs offline: start it with --online to fetch Hub repos)"
            e.args = (text,)
            raise e from None
        except (ValueError, TypeError, OSError, KeyError) as e:
            reason = self._public(str(e), key, name)
            shown = self.display_name(key)
            raise CheckpointError(f"{shown}: cannot be loaded as an imagination checkpoint ({reason})") from None
        model.eval()
        return model

    def fetch(self, repo_id: str, filename: str) -> str:
        """A file of a Hub repo (from the cache when offline); Hub errors become CheckpointError."""
        repo, _, revision = repo_id.partition("@")
        try:
            return huggingface_hub.hf_hub_download(
                repo, filename, revision=revision or None, local_files_only=self.offline
            )
        except Exception as e:  # noqa: BLE001 - Hub errors, validation, httpx transport errors (no network)
            raise CheckpointError(hub_message(repo_id, e, self.offline, filename)) from None

    # -- a checkpoint's other files -------------------------------------------------------------

    def card(self, key: str) -> Any:
        """The model card (huggingface_hub.ModelCard), or None when it is missing or unreadable."""
        try:
            path = Path(key) / "README.md" if Path(key).is_dir() else Path(self.fetch(key, "README.md"))
            return huggingface_hub.ModelCard.load(path) if path.exists() else None
        except (CheckpointError, OSError, ValueError):
            return None

    def eval_json(self, key: str) -> dict[str, Any] | None:
        """The eval.json of a folder or Hub repo; None when it is missing (not measured) or unreadable."""
        if Path(key).is_dir():
            path = Path(key) / "eval.json"
        else:
            try:
                path = Path(self.fetch(key, "eval.json"))
            except CheckpointError:
                return None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def eval_mtime(key: str) -> float | None:
        """When a folder's eval.json was last written (a rewrite by training.analyze refreshes a view)."""
        try:
            return (Path(key) / "eval.json").stat().st_mtime if Path(key).is_dir() else None
        except OSError:
            return None

    @staticmethod
    def analyze_hint(key: str) -> str:
        """Where to point ``python -m training.analyze`` for this checkpoint (no server path)."""
        folder = Path(key)
        if folder.is_dir():
            return (
                f"zoo/{folder.name}" if folder.parent.resolve() == registry.zoo_dir().resolve() else f"<{folder.name}>"
            )
        return "<a local copy of the checkpoint>"


IMAGINING = ("autoencoder", "adversarial")  # the regimes trained to imagine (a baseline is not)


def family(regime: str) -> str:
    """The regime a checkpoint's variants build on: "autoencoder+noise" is an autoencoder."""
    return regime.split("+", 1)[0]


def environments(entries: list[zoo.ZooEntry] | None = None) -> list[str]:
    """The environments the zoo holds checkpoints of (registered ones), in the order they first appear."""
    entries = zoo.list() if entries is None else entries
    return [n for n in dict.fromkeys(e.environment for e in entries) if n in envs.names()]


def entries_of(environment: str, entries: list[zoo.ZooEntry] | None = None) -> list[zoo.ZooEntry]:
    """The zoo's checkpoints of one environment, in catalogue order."""
    return [e for e in (zoo.list() if entries is None else entries) if e.environment == environment]


def checkpoint_choices(environment: str | None = None) -> list[tuple[str, str]]:
    """The picker's (label, name) per registered checkpoint (of ``environment``, if given): its label says
    "negative result" or "below the bar"."""
    return [(e.label(), e.name) for e in (entries_of(environment) if environment else zoo.list())]


def showcase(entries: list[zoo.ZooEntry] | None = None) -> str | None:
    """The checkpoint a visitor sees first: one that imagines (an autoencoder or adversarial model with
    interpretability ~1.0 that meets the bar), on the board task, preferring Life and 3 game steps, so the
    page opens on the paper's claim rather than on a baseline that does not imagine. Where none is that
    good (a young environment's zoo), the first board-task checkpoint of an imagining regime."""
    entries = zoo.list() if entries is None else entries
    good = [
        e
        for e in entries
        if e.task == "board" and family(e.regime) in IMAGINING and e.meets_bar and e.interpretability > 0.999
    ]
    if not good:
        tried = [e for e in entries if e.task == "board" and family(e.regime) in IMAGINING] or entries
        return tried[0].name if tried else None
    order = envs.names()  # Life first: the page opens on the paper's environment
    good.sort(
        key=lambda e: (
            order.index(e.environment) if e.environment in order else len(order),
            abs(e.game_steps - 3),
            e.regime != "autoencoder",
            -e.interpretability,
        )
    )
    return good[0].name


def regimes_of(name: str, entries: list[zoo.ZooEntry] | None = None) -> list[str]:
    """Baseline, autoencoder and adversarial checkpoints of ``name``'s environment and step count (the compare
    view's default): the paper's three regimes side by side, or as many as the zoo has."""
    entries = zoo.list() if entries is None else entries
    by_name = {e.name: e for e in entries}
    ref = by_name.get(name)
    steps = ref.game_steps if ref else 3
    entries = entries_of(ref.environment if ref else "life", entries)
    picked = []
    for regime in ("baseline", "autoencoder", "adversarial"):
        match = [e for e in entries if family(e.regime) == regime and e.task == "board" and e.game_steps == steps]
        match.sort(key=lambda e: (e.rule != "B3/S23", e.model_steps != e.game_steps))
        if match:
            picked.append(match[0].name)
    return picked


class OutputFolder:
    """Files the server hands out (pictures, downloads), content-addressed in one folder per process.

    Written atomically (a visitor never gets a half-written file) and pruned as it grows: the web
    framework copies what it is given into its own cache, so these need not live long.
    """

    def __init__(self, max_age_s: float = 600, prune_every: int = 100) -> None:
        self.max_age_s = max_age_s
        self.prune_every = prune_every
        self._folder: Path | None = None
        self._lock = threading.Lock()
        self._writes = 0

    def write(self, name: str, data: bytes) -> str:
        """Write ``data`` under ``name`` and return its path."""
        with self._lock:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="imagination-app-"))
                atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
            self._writes += 1
            prune = self._writes % self.prune_every == 0
            folder = self._folder
        path = folder / name
        tmp = folder / f".{name}.{threading.get_ident()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, path)
        if prune:
            cutoff = time.time() - self.max_age_s
            for old in folder.iterdir():
                try:
                    if old.stat().st_mtime < cutoff:
                        old.unlink()
                except OSError:
                    pass
        return str(path)
