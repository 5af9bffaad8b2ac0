"""The bundled entries' scores measured again from their saved weights, never from a training run.

``rescore`` re-runs the evaluator on each entry's fixed eval set after a definition in ``imagination.evaluate``
changed (the summary tasks' rounding, 2026-12: unclamped, as the authors' metric): it replaces only the keys the
evaluator writes, so the training record (minutes, steps, seeds, warm start, probes, analyses) stays as it was.
``off_distribution`` adds the off-distribution sets' scores (``imagination.evaluate.off_distribution``) and the
table of them in docs/analysis.md. Both rewrite each card from its eval.json; the weights are only read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from imagination import zoo
from imagination.cards import write_card
from imagination.evaluate import HEADLINE, EvalSet, evaluate, off_distribution
from imagination.model import ImaginationModel
from imagination.provenance import STAGES
from training.analyze import off_distribution_table
from training.docs import replace_block
from training.zoo.index import pushed_repo
from training.zoo.paths import ROOT


def folders(names: list[str]) -> list[Path]:
    """The bundled folders of ``names``, or of every bundled entry and its stages when none is named."""
    known = {n: f for e in zoo.bundled() for n, f in [*((s, e.path / STAGES / s) for s in e.stages), (e.name, e.path)]}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"not bundled zoo names: {unknown}; see `python -m training.zoo list`")
    return [known[n] for n in names] if names else list(known.values())


def _update(folder: Path, scores: dict[str, Any]) -> dict[str, Any]:
    """Merge ``scores`` into a folder's eval.json and rewrite its card; returns the old eval.json."""
    path = folder / "eval.json"
    old = json.loads(path.read_text())
    path.write_text(json.dumps({**old, **scores}, indent=2) + "\n")
    write_card(folder, name=folder.name, repo_id=pushed_repo(folder.name))
    return old


def rescore(names: list[str]) -> list[str]:
    """Re-evaluate each entry on its recorded eval set; one line per entry naming the headline scores that moved."""
    lines = []
    for folder in folders(names):
        model = ImaginationModel.from_pretrained(folder)
        es = EvalSet(**json.loads((folder / "eval.json").read_text())["eval_set"])
        new = evaluate(model, es)
        old = _update(folder, new)
        moved = [f"{k} {old.get(k)} -> {new[k]}" for k in HEADLINE if old.get(k) != new[k]]
        lines.append(f"{folder.name}: " + ("; ".join(moved) if moved else "unchanged headline"))
    return lines


def add_off_distribution(names: list[str], doc: Path = ROOT / "docs" / "analysis.md") -> str:
    """Score each entry on its environment's off-distribution sets, record them, and regenerate the docs table."""
    for folder in folders(names):
        model = ImaginationModel.from_pretrained(folder)
        es = EvalSet(**json.loads((folder / "eval.json").read_text())["eval_set"])
        _update(folder, {"off_distribution": off_distribution(model, es)})
        print(f"{folder.name}: scored off distribution", flush=True)
    table = off_distribution_table([e.path for e in zoo.bundled()])
    replace_block(doc, "off-distribution-table", table)
    return table
