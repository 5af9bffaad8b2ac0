"""Publish checkpoint folders to the Hugging Face Hub.

    python -m training.push zoo/gol3-autoencoder --repo-id ORG/NAME
    python -m training.push --all [--org imagination-zoo]      # every zoo entry, to its repo id

A folder is checked before anything leaves the machine: its weights must load strictly, and its
card must carry the model-index the Hub renders as evaluation results, matching eval.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from huggingface_hub import HfApi, ModelCard

from imagination.cards import card_eval_metrics
from imagination.model import ImaginationModel

REQUIRED = ("config.json", "model.safetensors", "README.md", "eval.json")
IGNORE = ["resume_state*", ".weights-tmp*", "*.tmp*"]


def check_folder(folder: Path) -> None:
    """Refuse to publish a folder whose weights, card or scores are not what a user expects."""
    missing = [f for f in REQUIRED if not (folder / f).exists()]
    if missing:
        raise SystemExit(f"{folder}: missing {', '.join(missing)}")
    ImaginationModel.from_pretrained(folder)  # strict keys, safetensors only
    card = ModelCard.load(folder / "README.md")
    metrics = card_eval_metrics(card)
    scores = json.loads((folder / "eval.json").read_text())
    if metrics.get("interpretability") != scores["interpretability"]:
        raise SystemExit(f"{folder}: the card's model-index does not match eval.json; rerun the evaluator")


def push(folder: str | Path, repo_id: str, private: bool = False, api: HfApi | None = None) -> str:
    """Create the repo if needed and upload the folder in one commit; returns the commit URL."""
    folder = Path(folder)
    check_folder(folder)
    api = api or HfApi()
    api.create_repo(repo_id, exist_ok=True, private=private)
    info = api.upload_folder(
        folder_path=folder,
        repo_id=repo_id,
        ignore_patterns=IGNORE,
        commit_message=f"Upload {folder.name}: weights, config, training config, scores and card",
    )
    return str(info.commit_url)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m training.push", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("folder", nargs="?", help="a checkpoint folder (e.g. zoo/gol3-autoencoder)")
    p.add_argument("--repo-id", help="ORG/NAME on the Hub (default for --all: ORG/<zoo name>)")
    p.add_argument("--all", action="store_true", help="push every entry of zoo/index.json")
    p.add_argument("--org", help="with --all: push under this organisation instead of each entry's own")
    p.add_argument("--private", action="store_true")
    args = p.parse_args(argv)
    if args.all:
        from imagination import zoo

        for e in zoo.list():
            repo = f"{args.org}/{e.name}" if args.org else e.repo_id
            print(repo, push(e.path, repo, args.private))
    elif args.folder and args.repo_id:
        print(push(args.folder, args.repo_id, args.private))
    else:
        p.error("give a folder and --repo-id, or --all")


if __name__ == "__main__":
    main()
