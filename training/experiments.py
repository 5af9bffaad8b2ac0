"""Keep the recipe search reproducible: archive runs' logs and build the docs/training.md table.

    python -m training.experiments collect runs/r8-mse runs/r11-v2-s1 ...   # copy logs to docs/experiments
    python -m training.experiments table                                     # rewrite the table in docs/training.md

Each archived run keeps its train_config.json (every setting), its log.jsonl (the learning curve on
the log set) and, when it finished, its eval.json (the fixed eval set). The table is computed from
those files only.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from imagination import markdown
from training.docs import replace_block

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / "docs" / "experiments"
DOC = ROOT / "docs" / "training.md"
# The settings a row names when they differ from the first recipe tried (docs/method.md, "The first CPU recipe").
BASE = {
    "loss": "bce",
    "lr": 3e-3,
    "lr_final": 3e-3,
    "train_size": 12,
    "core_hidden": 64,
    "clip_norm": 0.0,
    "zero_init": False,
    "seed": 0,
    "batch_size": 256,
    "channels": 16,
}


def collect(runs: list[Path]) -> None:
    for run in runs:
        dest = ARCHIVE / run.name
        dest.mkdir(parents=True, exist_ok=True)
        for f in ("train_config.json", "log.jsonl", "eval.json"):
            if (run / f).exists():
                shutil.copy2(run / f, dest / f)


def _recipe(tc: dict[str, Any]) -> str:
    parts = []
    for k, v in BASE.items():
        if tc.get(k, v) != v:
            parts.append(f"{k}={tc[k]}")
    if tc.get("threads"):
        parts.append(f"threads={tc['threads']}")
    return ", ".join(parts) or "the first CPU recipe (docs/method.md)"


def row(folder: Path) -> list[str]:
    tc = json.loads((folder / "train_config.json").read_text())
    log = [json.loads(x) for x in (folder / "log.jsonl").read_text().splitlines()]
    curve = [r for r in log if "final_error" in r]
    last = curve[-1]
    best = min(curve, key=lambda r: (r["final_error"], -r["interpretability"]))
    reached = next((r for r in curve if r["final_error"] <= 0.01 and r["interpretability"] >= 0.95), None)
    hit = f"{reached['step']} ({reached['minutes']:.1f} min)" if reached else "never"
    ev = json.loads((folder / "eval.json").read_text()) if (folder / "eval.json").exists() else None
    final = f"{ev['final_error']:.4f} / {ev['interpretability']:.4f}" if ev else "stopped by hand before its budget"
    return [
        f"`{folder.name}`",
        _recipe(tc),
        str(last["step"]),
        f"{last['minutes']:.1f}",
        f"{last['final_error']:.4f} / {last['interpretability']:.3f}",
        f"{best['final_error']:.4f} / {best['interpretability']:.3f} (step {best['step']})",
        hit,
        final,
    ]


def table() -> str:
    head = [
        "run",
        "recipe (differences)",
        "steps run",
        "minutes",
        "log set at the end: error / interp.",
        "best on the log set",
        "first step with error <= 1% and interp. >= 0.95",
        "eval set: error / interp.",
    ]

    def order(p: Path) -> tuple[int, str]:  # r2 before r10
        digits = "".join(c for c in p.name.split("-")[0] if c.isdigit())
        return (int(digits) if digits else 0, p.name)

    folders = sorted((p for p in ARCHIVE.iterdir() if (p / "log.jsonl").exists()), key=order)
    return markdown.table(head, [row(f) for f in folders])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m training.experiments", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("runs", nargs="+", type=Path)
    sub.add_parser("table")
    args = p.parse_args(argv)
    if args.cmd == "collect":
        collect(args.runs)
    else:
        replace_block(DOC, "experiments-table", table())
        print(table())


if __name__ == "__main__":
    main()
