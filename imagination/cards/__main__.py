"""``python -m imagination.cards FOLDER [--evaluate]``: (re)write a checkpoint folder's card from eval.json,
and its picture (imagination.png, the checkpoint imagining the first eval episode) from its weights.

``--evaluate`` first measures eval.json from the weights when it is missing (a folder saved by
``save_pretrained`` has none), so the card's scores are always the evaluator's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from imagination.cards.render import write_card
from imagination.evaluate import evaluate
from imagination.model import ImaginationModel


def evaluate_folder(folder: str | Path) -> dict[str, Any]:
    """Measure eval.json from a folder's weights on the fixed eval set (kept if it exists)."""
    folder = Path(folder)
    path = folder / "eval.json"
    if path.exists():
        return json.loads(path.read_text())
    scores = evaluate(ImaginationModel.from_pretrained(folder))
    path.write_text(json.dumps(scores, indent=2) + "\n")
    return scores


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m imagination.cards", description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--repo-id", help="the Hub repo the card is for (its usage snippet loads it)")
    p.add_argument("--name", help="the model's name on the card (default: the folder's name)")
    p.add_argument("--evaluate", action="store_true", help="measure eval.json from the weights if it is missing")
    args = p.parse_args(argv)
    if args.evaluate:
        evaluate_folder(args.folder)
    if not (args.folder / "eval.json").exists():
        p.error(f"{args.folder} has no eval.json; pass --evaluate to measure it from the weights")
    write_card(args.folder, args.name, args.repo_id)
    print(args.folder / "README.md")


if __name__ == "__main__":
    main()
