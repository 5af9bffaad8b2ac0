"""Publish checkpoint folders to the Hugging Face Hub, to any organisation, and register them.

    python -m training.push runs/my-variant --repo-id ORG/my-variant   # a contributor's checkpoint
    python -m training.push zoo/gol3-autoencoder --repo-id ORG/gol3-autoencoder
    python -m training.push --all [--org ORG]     # every bundled zoo entry, to its registry repo or ORG/<name>

A folder is checked before anything leaves the machine: its weights must load strictly, every score
of its card's model-index must equal eval.json's (a missing, extra or different score is refused),
and, for a registered zoo folder, so must the registry's headline scores. The card uploaded is
rewritten for the repo it goes to (its usage snippet loads that repo; its ``base_model`` names the
base's registered repo). After the upload the registry (``zoo/index.json``) records the repo id and
the commit sha as the entry's revision, and marks it pushed; the Space's ``models:`` follows.

A folder with training snapshots (``snapshots/step<k>``, training.snapshots) gets one branch per snapshot, named
``step<k>`` as Pythia's are: each holds that snapshot's config.json, weights and a short card saying which step of
which checkpoint it is, so ``from_pretrained(repo_id, revision="step<k>")`` loads it. main carries
snapshots.json (every snapshot's scores), not the snapshots' weights.

A folder with stages (``stages/<name>``: the earlier runs it was continued from, training.zoo's plan) gets one
branch per stage, named after it, holding that run's whole folder with its card rewritten for the branch, so
``from_pretrained(repo_id, revision="count2ts")`` loads the run ``count2ts-long`` continued.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from huggingface_hub import HfApi, ModelCardData

from imagination import cards, registry
from imagination.loading import revisions
from imagination.model import ImaginationModel
from imagination.provenance import STAGES, derivation
from training import registration
from training.zoo.index import sync_space

REQUIRED = ("config.json", "model.safetensors", "README.md", "eval.json")
IGNORE = ["resume_state*", ".weights-tmp*", "*.tmp*", ".*"]
MAIN_IGNORE = [*IGNORE, f"{revisions.FOLDER}/*", f"{STAGES}/*"]  # snapshots and stages: their own branches
HEADLINE = ("interpretability", "final_error", "task_error", "per_step_accuracy", "meets_bar")


def default_name(folder: Path) -> str:
    """The registry name of a folder: its zoo name when bundled, else the folder's name."""
    return folder.resolve().name


def check_folder(folder: Path, name: str | None = None, register: bool = True) -> None:
    """Refuse to publish a folder whose weights, card or scores are not what a user expects (and, when it
    is to be registered, one that would take a bundled entry's name)."""
    missing = [f for f in REQUIRED if not (folder / f).exists()]
    if missing:
        raise SystemExit(f"{folder}: missing {', '.join(missing)}")
    ImaginationModel.from_pretrained(folder)  # strict keys, safetensors only
    problems = cards.mismatches(folder)
    if problems:
        raise SystemExit(
            f"{folder}: the card's model-index does not match eval.json ({'; '.join(problems)}); "
            "rewrite the card from eval.json (python -m imagination.cards FOLDER) or rerun the evaluator"
        )
    name = name or default_name(folder)
    task = json.loads((folder / "config.json").read_text())["task"]
    scores = registry.headline(json.loads((folder / "eval.json").read_text()), task)
    for e in registry.read():
        if e["name"] == name and e.get("bundled", True) and registry.in_zoo(folder):
            wrong = [k for k in HEADLINE if e.get(k) != scores[k]]
            if wrong:
                said = ", ".join(f"{k}: registry {e.get(k)!r}, eval.json {scores[k]!r}" for k in wrong)
                raise SystemExit(f"{folder}: the registry's scores do not match eval.json ({said}); rerun its index")
        elif register and e["name"] == name and e.get("bundled", True) and not registry.in_zoo(folder):
            raise SystemExit(f"{name!r} is a bundled zoo entry; register this folder under another --name")
    check_snapshots(folder)
    for stage in revisions.stage_names(folder):
        ImaginationModel.from_pretrained(folder, revision=stage)
        problems = cards.mismatches(folder / STAGES / stage)
        if problems:
            raise SystemExit(f"{folder}: its stage {stage}'s card does not match its eval.json ({'; '.join(problems)})")


def check_snapshots(folder: Path) -> None:
    """Every snapshot loads strictly, and snapshots.json scores exactly the snapshots there are."""
    steps = revisions.snapshot_steps(folder)
    for step in steps:
        ImaginationModel.from_pretrained(folder, revision=revisions.name(step))
    scored = [r["step"] for r in revisions.scores(folder)]
    if scored != steps:
        raise SystemExit(
            f"{folder}: snapshots.json scores steps {scored} but the folder holds snapshots {steps}; "
            "the training run writes both (training.snapshots)"
        )


def stage(folder: Path, dest: Path, name: str, repo_id: str) -> Path:
    """A copy of the folder as it is uploaded: the same files, with the card rewritten for ``repo_id``."""
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(*IGNORE))
    cards.write_card(dest, name=name, repo_id=repo_id)
    return dest


def snapshot_card(name: str, repo_id: str, record: dict) -> str:
    """The card of a snapshot's branch: which step of which checkpoint it is, and its scores from snapshots.json."""
    rev, step = record["revision"], record["step"]
    data = ModelCardData(library_name="imagination", license="apache-2.0", tags=["interpretability", "snapshot"])
    scores = f"interpretability {record['interpretability']:.3f}, final-board error {record['final_error']:.4f}"
    text = (
        f"# {name} at training step {step}\n\n"
        f"A training snapshot of [{repo_id}](https://huggingface.co/{repo_id}) ({name}): the checkpoint after "
        f"{step} optimiser steps of its run (step 0 is the initialisation), kept to watch the imagination emerge. "
        f"On the run's fixed eval set: {scores} (main's snapshots.json holds every snapshot's scores).\n\n"
        f"```python\nfrom imagination import ImaginationModel\n\n"
        f'model = ImaginationModel.from_pretrained("{repo_id}", revision="{rev}")\n```\n'
    )
    return f"---\n{data.to_yaml()}\n---\n\n{text}"


def push_branch(api: HfApi, repo_id: str, branch: str, folder: Path, message: str) -> str:
    """A branch that holds exactly ``folder``'s files: created from main, then one commit that keeps only them."""
    api.create_branch(repo_id, branch=branch, exist_ok=True)
    api.upload_folder(folder_path=folder, repo_id=repo_id, revision=branch, delete_patterns="*", commit_message=message)
    return branch


def push_snapshots(folder: Path, name: str, repo_id: str, api: HfApi, tmp: Path) -> list[str]:
    """One branch per snapshot, ``step<k>``: its config, weights and a short card."""
    pushed = []
    for record in revisions.scores(folder):
        rev = record["revision"]
        staged = tmp / rev
        staged.mkdir()
        src = folder / revisions.FOLDER / rev
        for f in ("config.json", "model.safetensors"):
            shutil.copy2(src / f, staged / f)
        (staged / "README.md").write_text(snapshot_card(name, repo_id, record))
        pushed.append(push_branch(api, repo_id, rev, staged, f"{name} at training step {record['step']}"))
    return pushed


def push_stages(staged: Path, name: str, repo_id: str, api: HfApi) -> list[str]:
    """One branch per stage of the staged upload, named after it: the stage's whole folder, its card rewritten
    to load that branch."""
    pushed = []
    for stage in revisions.stage_names(staged):
        folder = staged / STAGES / stage
        cards.write_card(folder, name=stage, repo_id=repo_id)
        message = f"{name}'s stage {stage}: the run it was continued from"
        pushed.append(push_branch(api, repo_id, stage, folder, message))
    return pushed


def push(
    folder: str | Path,
    repo_id: str,
    private: bool = False,
    api: HfApi | None = None,
    name: str | None = None,
    register: bool = True,
) -> str:
    """Check, upload in one commit, then register the repo and its commit; returns the commit URL."""
    folder = Path(folder)
    name = name or default_name(folder)
    check_folder(folder, name, register)
    base = derivation(folder)
    if base and base.get("zoo_name"):
        try:
            b = next(e for e in registry.entries() if e.name == base["zoo_name"])
            if not b.pushed:
                print(
                    f"note: {name}'s base {b.name} is not pushed yet; the Hub draws the model tree once "
                    f"{b.repo_id} exists (python -m training.push --all, or push it first)",
                    file=sys.stderr,
                )
        except StopIteration:
            pass
    api = api or HfApi()
    api.create_repo(repo_id, exist_ok=True, private=private)
    with tempfile.TemporaryDirectory() as tmp:
        staged = stage(folder, Path(tmp) / name, name, repo_id)
        info = api.upload_folder(
            folder_path=staged,
            repo_id=repo_id,
            ignore_patterns=MAIN_IGNORE,
            commit_message=f"Upload {name}: weights, config, training config, scores and card",
        )
        push_snapshots(folder, name, repo_id, api, Path(tmp))
        push_stages(staged, name, repo_id, api)
    if register:
        register_push(folder, name, repo_id, info.oid)
    return str(info.commit_url)


def register_push(folder: Path, name: str, repo_id: str, revision: str) -> None:
    """Record a push in the registry; a bundled entry's card is rewritten to match what was uploaded."""
    bundled = registry.in_zoo(folder)
    entry = registration.record(folder, name, repo_id, bundled=bundled)
    entry.update(revision=revision, pushed=True)
    registration.register(entry)
    if bundled:
        cards.write_card(folder, name=name, repo_id=repo_id)
    sync_space()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m training.push", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("folder", nargs="?", type=Path, help="a checkpoint folder (e.g. runs/my-variant)")
    p.add_argument("--repo-id", help="ORG/NAME on the Hub (any organisation you can write to)")
    p.add_argument("--name", help="the registry name (default: the folder's name)")
    p.add_argument("--all", action="store_true", help="push every bundled entry of the registry")
    p.add_argument("--org", help="with --all: push to ORG/<name> instead of each entry's registered repo")
    p.add_argument("--private", action="store_true")
    p.add_argument("--no-register", action="store_true", help="upload only; leave zoo/index.json as it is")
    args = p.parse_args(argv)
    if args.all:
        for e in (e for e in registry.entries() if e.bundled):
            repo = f"{args.org}/{e.name}" if args.org else e.repo_id
            print(repo, push(e.path, repo, args.private, name=e.name, register=not args.no_register))
    elif args.folder and args.repo_id:
        print(push(args.folder, args.repo_id, args.private, name=args.name, register=not args.no_register))
    else:
        p.error("give a folder and --repo-id, or --all")


if __name__ == "__main__":
    main()
