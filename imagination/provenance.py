"""Where a checkpoint came from, recorded so that it travels: no path of the machine that trained it.

Training records its command and its base (``--init``, a frozen model; ``--warm-start``, a longer
run) in train_config.json and eval.json; cards, the registry and ``training.push`` read them back.
Every path is made portable first: a card or config written here must mean the same on any machine.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from imagination import registry

REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
STAGES = "stages"  # <checkpoint>/stages/<name>/: an earlier run it continued, kept as its revision <name>


def stage_of(folder: str | Path) -> tuple[Path, str] | None:
    """(the checkpoint that holds it, its name) for a stage's folder, ``<checkpoint>/stages/<name>``; else None.

    A stage is a run that exists only to be continued: the zoo keeps it inside the checkpoint it became, as a
    revision of it (``imagination.loading.revisions``), not as an entry of its own.
    """
    folder = Path(folder)
    return (folder.parent.parent, folder.name) if folder.parent.name == STAGES else None


def portable(value: str, cwd: Path | None = None) -> str:
    """A path as a file others read may record it: never an absolute path of this machine.

    Relative paths stay; an absolute path inside the working directory becomes relative to it; a
    bundled zoo folder becomes its zoo name (which resolves anywhere); any other absolute path
    keeps only its last part, the folder's name.
    """
    if not value or not os.path.isabs(os.path.expanduser(value)):
        return value
    p = Path(value).expanduser().resolve()
    try:
        return p.relative_to((cwd or Path.cwd()).resolve()).as_posix() or "."
    except ValueError:
        pass
    return p.name  # a bundled zoo folder's name is its zoo name; any other folder's is the best we can say


def portable_args(args: list[str]) -> list[str]:
    """A command line with every absolute path made :func:`portable` (``--flag=/path`` too)."""
    out = []
    for a in args:
        if a.startswith("--") and "=" in a:
            flag, _, value = a.partition("=")
            out.append(f"{flag}={portable(value)}")
        else:
            out.append(portable(a))
    return out


def derived_from(source: str, how: str) -> dict[str, Any]:
    """Where a run started from (``how``: "init", a frozen base; "warm_start", a longer run), for eval.json.

    Recorded while the source still resolves, so a card written later (anywhere) can name the
    base's Hub repo: a zoo entry by its registry name (its repo is looked up when the card is
    written, so a re-pushed zoo links its own repos), a repo id as itself, a local folder not at all.
    """
    names = {e["name"] for e in registry.read()}
    p = Path(source).expanduser()
    zoo_name = None
    if p.is_dir():
        if registry.in_zoo(p):  # the zoo's own folder, registered or not yet (train --all indexes at the end)
            zoo_name = p.name
    elif source in names:
        zoo_name = source
    repo_id = source if zoo_name is None and not p.is_dir() and REPO_ID.fullmatch(source) else None
    record = {"source": portable(source), "how": how, "zoo_name": zoo_name, "repo_id": repo_id}
    return _with_stage(record, str(p) if p.is_dir() else "")


def _with_stage(record: dict[str, Any], source: str) -> dict[str, Any]:
    """A derivation record, naming the stage when the source is one (the entry's own earlier revision)."""
    stage = stage_of(source)
    return {**record, "stage": stage[1]} if stage else record


def recorded_derivation(scores: dict[str, Any], tc: dict[str, Any]) -> dict[str, Any] | None:
    """eval.json's record of the base, or (older folders) one rebuilt from train_config.json."""
    if scores.get("derived_from"):
        return scores["derived_from"]
    for how in ("init", "warm_start"):
        src = tc.get(how) or ""
        if src:
            name = src.removeprefix("zoo/")
            return _with_stage(
                {"source": src, "how": how, "zoo_name": name if "/" not in name else None, "repo_id": None}, src
            )
    return None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file of a checkpoint folder, {} when it is absent (older folders lack some)."""
    return json.loads(path.read_text()) if path.exists() else {}


def derivation(folder: str | Path) -> dict[str, Any] | None:
    """A checkpoint folder's base: source, how it was used, and its zoo name or repo id (None: no base)."""
    folder = Path(folder)
    return recorded_derivation(json.loads((folder / "eval.json").read_text()), read_json(folder / "train_config.json"))


def base_repo_id(derivation: dict[str, Any] | None) -> str | None:
    """The Hub repo of a checkpoint's base: the registry's repo for a zoo entry, or the recorded repo id."""
    if not derivation:
        return None
    if derivation.get("zoo_name"):
        for e in registry.read():
            if e["name"] == derivation["zoo_name"]:
                return e.get("repo_id")
        return None
    return derivation.get("repo_id")


def trained_on(folder: Path, tc: dict[str, Any] | None = None) -> str:
    """What the run trained on: log.jsonl's device record (the device actually used), else the one asked for.

    Minutes on a GPU and on a CPU are not the same currency: the card and the zoo's minutes table say which.
    """
    tc = read_json(folder / "train_config.json") if tc is None else tc
    asked = str(tc.get("device") or "cpu")
    used: dict[str, Any] = {}
    log = folder / "log.jsonl"
    if log.exists():
        for line in log.read_text().splitlines():
            record = json.loads(line) if line.strip() else {}
            if record.get("event") == "device":
                used = record
    device = str(used.get("device") or ("cpu" if asked == "auto" else asked))
    if device == "cpu":
        return "CPU"
    return f"GPU ({used['gpu']})" if used.get("gpu") else device
