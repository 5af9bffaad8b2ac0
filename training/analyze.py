"""Measure what goes beyond the paper, per checkpoint, and write it where users read it.

    python -m training.analyze zoo/gol3-autoencoder            # print faithfulness + extrapolation
    python -m training.analyze zoo/gol3-autoencoder --write    # ... and add them to eval.json + card
    python -m training.analyze --all --write [--probes]        # every zoo entry, figures, docs table
    python -m training.analyze --all --write --missing        # ... only entries not yet analyzed

Faithfulness (patching and editing), extrapolation to 4x the trained steps, and, with
``--probes``, fresh decoders fitted on a frozen model (``training.train --regime probes``). All are
computed on the checkpoint's fixed eval set, so rerunning gives the same numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from imagination import analysis, cards, envs, figures, markdown, registry, zoo
from imagination.cards.sections import stops_holding
from imagination.evaluate import EvalSet, eval_episodes, off_distribution
from imagination.model import ImaginationModel
from training import train
from training.docs import listed, replace_block

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ANALYSIS_EPISODES = 1000  # of the eval set; the edits and patches are cheap but not free


def analyze(
    folder: Path,
    flips: int = 3,
    thinking: tuple[int, ...] = (1, 2, 4),
    thinking_episodes: tuple[int, ...] = (ANALYSIS_EPISODES,),
) -> dict[str, Any]:
    """Faithfulness, extrapolation and the off-distribution sets' scores; where the environment's episodes settle
    (a maze), also the solve rates on the eval set's size times each of ``thinking`` (the thinking-longer sets,
    same seed, their first ``thinking_episodes``, one count for all or one a size: a 20-cell maze runs some 700
    iterations)."""
    model = ImaginationModel.from_pretrained(folder)
    scores = json.loads((folder / "eval.json").read_text())
    es = EvalSet(**scores["eval_set"])
    episodes = eval_episodes(model.config, dataclasses.replace(es, episodes=min(es.episodes, ANALYSIS_EPISODES)))
    out = {
        "faithfulness": analysis.faithfulness(model, episodes, flips=flips),
        "extrapolation": analysis.extrapolation(model, episodes[:, 0], limit=analysis.HORIZON_LIMIT),
        "off_distribution": off_distribution(model, es),
    }
    if thinking and model.config.env.settles:
        sizes = [es.size * k for k in thinking]
        out["thinking"] = analysis.thinking_longer(model, sizes, _per_size(thinking_episodes, len(sizes)), es.seed)
    return out


def _per_size(counts: tuple[int, ...], sizes: int) -> list[int]:
    if len(counts) not in (1, sizes):
        raise SystemExit(f"--thinking-episodes: one count, or one for each of the {sizes} sizes; got {list(counts)}")
    return list(counts) * sizes if len(counts) == 1 else list(counts)


def fit_probes(folder: Path, steps: int, runs: Path = ROOT / "runs" / "probes") -> dict[str, Any]:
    """Fresh decoders on the frozen model, scored on the checkpoint's own eval set."""
    es = json.loads((folder / "eval.json").read_text())["eval_set"]
    out = runs / folder.name
    train.main(
        ["--regime", "probes", "--init", str(folder), "--out", str(out), "--probe-steps", str(steps)]
        + ["--eval-episodes", str(es["episodes"]), "--eval-size", str(es["size"]), "--eval-seed", str(es["seed"])]
    )
    return json.loads((out / "eval.json").read_text())["probes"]


def write(folder: Path, results: dict[str, Any]) -> None:
    """Merge results into eval.json and regenerate the card from it."""
    scores = json.loads((folder / "eval.json").read_text())
    scores.update(results)
    (folder / "eval.json").write_text(json.dumps(scores, indent=2) + "\n")
    cards.write_card(folder, name=folder.name, repo_id=_repo_id(folder))


def _repo_id(folder: Path) -> str | None:
    """The repo a card names: a bundled entry's registered repo once it is pushed, else none (the card
    then loads the zoo name or the folder)."""
    if not registry.in_zoo(folder):
        return None
    try:
        e = zoo.entry(folder.name)
    except KeyError:
        return None
    return e.repo_id if e.pushed else None


def _wants_probes(cfg: dict[str, Any]) -> bool:
    """Per-step probes read a board task in an environment that never settles; a maze's 40 steps would need 42
    probes, a fitting run each, and its thinking-longer curves read it instead."""
    return cfg["task"] == "board" and not envs.make(cfg["environment"]).settles


def _analyzed(folder: Path, cfg: dict[str, Any], probes: bool) -> bool:
    """Whether ``folder``'s eval.json has every result an analysis of it writes (``--missing`` skips it then)."""
    keys = {"faithfulness", "extrapolation", "off_distribution"}
    keys |= {"probes"} if probes and _wants_probes(cfg) else set()
    keys |= {"thinking"} if envs.make(cfg["environment"]).settles else set()
    return keys <= json.loads((folder / "eval.json").read_text()).keys()


def _fmt(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def docs_table(folders: list[Path]) -> str:
    head = [
        "checkpoint",
        "regime",
        "faithfulness (follow rate)",
        "patch delta error per inner step",
        "steps >= 99% (trained)",
    ]
    rows = []
    for f in folders:
        s = json.loads((f / "eval.json").read_text())
        cfg = json.loads((f / "config.json").read_text())
        fa, ex = s.get("faithfulness", {}), s.get("extrapolation", {})
        patch = listed([f"{p['delta']:+.4f}" for p in fa.get("patching", [])], ", ") or "n/a"
        above = ex.get("steps_above_99")
        horizon = f"{'n/a' if above is None else above} ({cfg['model_steps']})"
        rows.append([f"`{f.name}`", cfg["regime"], _fmt(fa.get("score")), patch, horizon])
    return markdown.table(head, rows)


def thinking_table(folders: list[Path]) -> str:
    """Per entry whose environment settles (a maze): the solve rate on each size's fixed set at the set's own
    rounds (what dead-end filling needs for its hardest maze) and at the end of the run (twice that). The columns
    are every size any entry was run on (a dash where an entry was not), so no row is wider than the header."""
    found = [(f.name, th) for f in folders if (th := json.loads((f / "eval.json").read_text()).get("thinking"))]
    if not found:
        return "No checkpoint of an environment that settles has been analysed."
    sizes = sorted({s for _, th in found for s in th["solve_rate"]}, key=int)

    def cell(th: dict[str, Any], s: str) -> str:
        if s not in th["solve_rate"]:
            return "-"
        rate, end, its, n = th["solve_rate"][s], th["solve_rate_at_end"][s], th["iterations"][s], th["episodes"][s]
        return f"{rate:.3f} / {end:.3f} ({its}, {n:,})"

    rows = [[f"`{name}`", *[cell(th, s) for s in sizes]] for name, th in found]
    return (
        "Each cell: solved at the rounds its hardest maze needs / at twice that (those rounds, mazes in the set).\n\n"
        + markdown.table(["checkpoint", *[f"{s} cells" for s in sizes]], rows)
    )


def off_distribution_table(folders: list[Path]) -> str:
    """Task error on the fixed eval set beside each off-distribution set's, whole and by start density, and where an
    entry that meets its bar on the fixed set stops meeting it there."""
    head = [
        "checkpoint",
        "task",
        "task error: eval set",
        "off-distribution set",
        "its task error",
        "by start density (0-0.15 / 0.15-0.65 / 0.65-1)",
        "interpretability: eval set / off",
        "where the bar stops holding",
    ]
    rows = []
    for f in folders:
        s = json.loads((f / "eval.json").read_text())
        task = json.loads((f / "config.json").read_text())["task"]
        main_ok = registry.meets(s["task_error"], task)
        for name, off in s.get("off_distribution", {}).items():
            parts = " / ".join(f"{p['task_error']:.4f}" for p in off["by_start_density"])
            failing = stops_holding(task, off)
            where = "below the bar already" if not main_ok else (", ".join(failing) if failing else "holds")
            interp = f"{s['interpretability']:.3f} / {off['interpretability']:.3f}"
            rows.append(
                [f"`{f.name}`", task, f"{s['task_error']:.4f}", name, f"{off['task_error']:.4f}", parts, interp, where]
            )
    return markdown.table(head, rows)


def probes_table(folders: list[Path]) -> str:
    out = []
    for f in folders:
        s = json.loads((f / "eval.json").read_text())
        if "probes" not in s:
            continue
        out += [
            f"**`{f.name}`** (shared decoder: per-step accuracy "
            + " / ".join(f"{a:.3f}" for a in s["per_step_accuracy"])
            + ")",
            "",
        ]
        rows = [
            [
                name,
                p["fitted_steps"],
                " / ".join(f"{a:.3f}" for a in p["per_step_accuracy"]),
                f"{p['interpretability']:.3f}",
            ]
            for name, p in s["probes"].items()
        ]
        out += [markdown.table(["probe", "fitted on steps", "per-step accuracy", "interpretability"], rows), ""]
    return "\n".join(out)


def extrapolation_figure(folders: list[Path], out: Path) -> None:
    """One panel per trained horizon (model steps), every checkpoint with a curve in its panel."""
    panels: dict[str, dict[str, list[float]]] = {}
    horizons = {}
    for f in folders:
        ex = json.loads((f / "eval.json").read_text()).get("extrapolation", {})
        if ex.get("accuracy"):
            panels.setdefault(f"trained for {ex['trained_steps']} model steps", {})[f.name] = ex["accuracy"]
            horizons[f.name] = ex["trained_steps"]
    out.parent.mkdir(parents=True, exist_ok=True)
    panels = dict(sorted(panels.items()))
    out.write_bytes(figures.figure_png(figures.curves_panels(panels, horizons), dpi=90))


def thinking_figure(folders: list[Path], out: Path) -> None:
    """Solve rate against iterations on each thinking-longer set, every entry whose environment settles."""
    sizes: dict[str, dict[str, list[float]]] = {}
    rounds: dict[str, int] = {}
    for f in folders:
        th = json.loads((f / "eval.json").read_text()).get("thinking")
        for size, curve in (th or {}).get("curves", {}).items():
            sizes.setdefault(size, {})[f.name] = curve["solve_rate"]
            rounds[size] = curve["rounds_max"]
    if sizes:
        sizes = dict(sorted(sizes.items(), key=lambda kv: int(kv[0])))
        out.write_bytes(figures.figure_png(figures.thinking_figure(sizes, rounds), dpi=90))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m training.analyze", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("folders", nargs="*", type=Path)
    p.add_argument("--all", action="store_true", help="every zoo entry; also writes figures and docs tables")
    p.add_argument("--write", action="store_true", help="add the results to eval.json and the card")
    p.add_argument(
        "--tables", action="store_true", help="only redraw the figure and docs tables from every entry's eval.json"
    )
    p.add_argument("--missing", action="store_true", help="skip checkpoints whose eval.json has the results")
    p.add_argument(
        "--probes", action="store_true", help="also fit decoder probes (board tasks in environments that never settle)"
    )
    p.add_argument("--probe-steps", type=int, default=1500)
    p.add_argument("--flips", type=int, default=3)
    p.add_argument(
        "--thinking",
        type=int,
        nargs="*",
        default=[1, 2, 4],
        help="a maze's solve rates on the eval size times these (more iterations on bigger mazes); none: skip",
    )
    p.add_argument(
        "--thinking-episodes",
        type=int,
        nargs="+",
        default=[ANALYSIS_EPISODES],
        help="mazes in each thinking-longer set: one count for all, or one a size",
    )
    p.add_argument("--probe-runs", type=Path, default=ROOT / "runs" / "probes", help="where probe runs are written")
    args = p.parse_args(argv)
    folders = list(args.folders)
    if args.all or args.tables:
        folders = [e.path for e in zoo.bundled()]
    if args.tables:
        write_tables(folders)
        return
    if not folders:
        p.error("give checkpoint folders or --all")
    for f in folders:
        cfg = json.loads((f / "config.json").read_text())
        if args.missing and _analyzed(f, cfg, args.probes):
            continue
        results = analyze(f, args.flips, tuple(args.thinking), tuple(args.thinking_episodes))
        if args.probes and _wants_probes(cfg):
            results["probes"] = fit_probes(f, args.probe_steps, args.probe_runs)
        fa, ex = results["faithfulness"], results["extrapolation"]
        print(f"{f.name}: faithfulness {_fmt(fa.get('score'))}, steps >= 99%: {ex.get('steps_above_99')}")
        if "thinking" in results:
            th = results["thinking"]
            print(
                "  solve rate by size (iterations): "
                + ", ".join(f"{s}: {th['solve_rate'][s]:.3f} ({th['iterations'][s]})" for s in th["solve_rate"])
            )
        if args.write:
            write(f, results)
    if args.all and args.write:
        write_tables(folders)


def write_tables(folders: list[Path]) -> None:
    """The extrapolation and thinking figures, the generated tables of docs/analysis.md and the README: eval.json's."""
    extrapolation_figure(folders, DOCS / "figures" / "extrapolation.png")
    thinking_figure(folders, DOCS / "figures" / "thinking.png")
    for doc in (DOCS / "analysis.md", ROOT / "README.md"):
        replace_block(doc, "faithfulness-table", docs_table(folders))
    replace_block(DOCS / "analysis.md", "probes-table", probes_table(folders))
    replace_block(DOCS / "analysis.md", "off-distribution-table", off_distribution_table(folders))
    replace_block(DOCS / "analysis.md", "thinking-table", thinking_table(folders))


if __name__ == "__main__":
    main()
