"""When does the imagination emerge? The emergence table and figure of docs/analysis.md, from runs' snapshots.

    python -m training.emergence                       # the table, from the zoo's entries with snapshots
    python -m training.emergence RUN [RUN ...]         # ... from these run folders
    python -m training.emergence --collect RUN [RUN ...]  # archive runs' records in docs/experiments/emergence
    python -m training.emergence --write               # docs/figures/emergence.png and the docs table

Every number is read from a run's snapshots.json (each snapshot scored from its saved weights on the run's
fixed eval set, by training) and log.jsonl (the learning curve on the log set, every --log-every steps);
nothing is typed. Without folders it reads the zoo's entries that ship snapshots, else the runs archived in
docs/experiments/emergence (``--collect`` copies a run's snapshots.json, log.jsonl, eval.json and
train_config.json there: a few kilobytes, no weights).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from imagination import analysis, figures, markdown, zoo
from imagination.loading import revisions
from training.docs import replace_block
from training.zoo.plan import PLAN

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / "docs" / "experiments" / "emergence"
FIGURE = ROOT / "docs" / "figures" / "emergence.png"
DOC = ROOT / "docs" / "analysis.md"
RECORDS = (revisions.SCORES, "log.jsonl", "eval.json", "train_config.json")


def sources() -> list[Path]:
    """The zoo's entries with snapshots, in zoo order; else the archived runs, in the plan's order."""
    bundled = [e.path for e in zoo.bundled() if revisions.scores(e.path)]
    if bundled:
        return bundled
    if not ARCHIVE.is_dir():
        return []
    order = list(PLAN)
    archived = [p for p in ARCHIVE.iterdir() if (p / revisions.SCORES).exists()]
    return sorted(archived, key=lambda p: (order.index(p.name) if p.name in order else len(order), p.name))


def collect(runs: list[Path]) -> list[Path]:
    """Copy each run's records (no weights) to docs/experiments/emergence/<its name>."""
    out = []
    for run in runs:
        name = json.loads((run / "train_config.json").read_text()).get("name") or run.name
        dest = ARCHIVE / name
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        for f in RECORDS:
            shutil.copy2(run / f, dest / f)
        out.append(dest)
    return out


def learning_curve(folder: Path) -> list[dict[str, Any]]:
    """log.jsonl's scored points (step order): the same scores on the log set, every --log-every steps."""
    lines = (folder / "log.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if "interpretability" in r and "final_error" in r]


def measure(folder: Path) -> dict[str, Any]:
    """One run: its regime, its snapshots' emergence and its learning curve's."""
    config = json.loads((folder / "train_config.json").read_text())
    records = revisions.scores(folder)
    return {
        "name": config.get("name") or folder.name,
        "regime": config["regime"],
        "init": bool(config.get("init")),
        "snapshots": len(records),
        "records": records,
        "from_snapshots": analysis.emergence(records),
        "from_curve": analysis.emergence(learning_curve(folder)),
        "final": records[-1],
    }


def _step(when: dict[str, Any], key: str) -> str:
    step = when[f"{key}_step"]
    if step is None:
        return "never"
    return f"{step:,}" + ("" if when[f"{key}_stays"] else " (falls back)")


def table(runs: list[dict[str, Any]]) -> str:
    """The docs table: per run, when interpretability first reaches 0.9 and the final error 1%."""
    head = [
        "run",
        "regime",
        "snapshots",
        "last step",
        "interpretability >= 0.9 from step: snapshots / curve",
        "final error <= 1% from step: snapshots / curve",
        "at the last step: interpretability, final error",
    ]
    rows = []
    for r in runs:
        s, c, last = r["from_snapshots"], r["from_curve"], r["final"]
        regime = r["regime"] + (" (decoder on a frozen base)" if r["init"] else "")
        rows.append(
            [
                f"`{r['name']}`",
                regime,
                r["snapshots"],
                f"{last['step']:,}",
                f"{_step(s, 'imagination')} / {_step(c, 'imagination')}",
                f"{_step(s, 'solved')} / {_step(c, 'solved')}",
                f"{last['interpretability']:.3f}, {last['final_error']:.4f}",
            ]
        )
    return markdown.table(head, rows)


def figure_png(runs: list[dict[str, Any]]) -> bytes:
    return figures.emergence_png({r["name"]: r["records"] for r in runs}, dpi=110)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m training.emergence", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "runs", nargs="*", type=Path, help="run folders with snapshots.json (default: the zoo's, else docs')"
    )
    p.add_argument("--collect", action="store_true", help="archive the runs' records in docs/experiments/emergence")
    p.add_argument("--write", action="store_true", help="write docs/figures/emergence.png and the docs table")
    args = p.parse_args(argv)
    folders = collect(args.runs) if args.collect else (args.runs or sources())
    if not folders:
        raise SystemExit("no run with snapshots.json: name run folders, or train with --snapshots")
    runs = [measure(f) for f in folders]
    print(table(runs))
    if args.write:
        FIGURE.write_bytes(figure_png(runs))
        replace_block(DOC, "emergence-table", table(runs))
        print(f"wrote {FIGURE.relative_to(ROOT)} and the emergence table of {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
