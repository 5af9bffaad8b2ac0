"""How far an imagination keeps running: every decoded step to 1,000 scored against the true game.

    python -m training.horizon zoo/gol3-longrun                       # the table, on three sets
    python -m training.horizon zoo/gol3-longrun runs/x --steps 200 --json horizons.json

The sets: the fixed eval set (its first ``--episodes``), ``--big-episodes`` boards of ``--big-size`` cells a side
from the same sampler (seed 1), and, for Life, every classic pattern centred on a ``--big-size`` board. A horizon
is the last step before the first one under 99% cell accuracy (``analysis.running_accuracy``); for the patterns,
where an empty board already scores near 100%, also the last step before the first wrong cell ("exact").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from imagination import analysis, figures, markdown, patterns
from imagination.envs.life import LifeEnvironment
from imagination.evaluate import eval_episodes, eval_set_for
from imagination.model import ImaginationModel

SHOWN_STEPS = (12, 50, 100, 1000)
EVAL = "eval set"  # how the fixed eval set's row starts


def exact_horizon(run: dict[str, Any]) -> int:
    """The last step before the first decoded frame with a wrong cell (MCC is 1.0 exactly when none is)."""
    return next((t - 1 for t, m in enumerate(run["mcc"]) if t > 0 and m < 1.0), len(run["mcc"]) - 1)


def sets(model: ImaginationModel, episodes: int, big_size: int, big_episodes: int) -> dict[str, torch.Tensor]:
    """The start frames of each set, by name."""
    cfg = model.config
    es = eval_set_for(cfg)
    out = {
        f"{EVAL} ({episodes}, {es.size}x{es.size})": eval_episodes(cfg, dataclasses.replace(es, episodes=episodes)),
        f"{big_size}x{big_size} ({big_episodes})": eval_episodes(
            cfg, dataclasses.replace(es, episodes=big_episodes, size=big_size, seed=1)
        ),
    }
    out = {name: ep[:, 0] for name, ep in out.items()}
    if isinstance(cfg.env, LifeEnvironment):
        for name in patterns.pattern_names():
            out[f"pattern {name}"] = patterns.place(patterns.pattern(name), big_size).unsqueeze(0)
    return out


def measure(model: ImaginationModel, starts: dict[str, torch.Tensor], steps: int) -> dict[str, dict[str, Any]]:
    out = {}
    for name, frames in tqdm(starts.items(), desc="sets", leave=False):
        run = analysis.running_accuracy(model, frames, steps)
        out[name] = {**run, "exact": exact_horizon(run)}
    return out


@torch.no_grad()
def empty_drift(model: ImaginationModel, size: int, steps: int) -> list[float]:
    """How far h_t is from h_0 on an all-dead board (relative RMS), a step at a time.

    The true board never changes, so any growth is the core's own: a deviation from the fixed point that grows
    by a constant factor a step is an unstable fixed point, and it ends every imagination, however it started.
    """
    hidden = model(torch.zeros(1, size, size), steps)[0]  # [steps + 1, C, H, W]: one small board, all kept
    distance = (hidden - hidden[0]).pow(2).mean(dim=(1, 2, 3)).sqrt()
    return (distance / hidden[0].pow(2).mean().sqrt().clamp_min(1e-12)).tolist()


def table(results: dict[str, dict[str, dict[str, Any]]], steps: int) -> str:
    """One row per checkpoint and set; the patterns folded into one row (their shortest horizons)."""
    shown = [s for s in SHOWN_STEPS if s <= steps]
    head = ["checkpoint", "set", "horizon (>= 99%)", *[f"step {s}" for s in shown]]
    rows: list[list[object]] = []
    for folder, runs in results.items():
        for name, run in runs.items():
            if "accuracy" in run and not name.startswith("pattern "):
                accs = [f"{run['accuracy'][s]:.3f}" for s in shown]
                rows.append([folder, name, run["steps_above_99"], *accs])
        pats = {n.removeprefix("pattern "): r for n, r in runs.items() if n.startswith("pattern ")}
        if pats:
            worst = min(pats, key=lambda n: pats[n]["exact"])
            low = min(pats, key=lambda n: pats[n]["steps_above_99"])
            cells = [f"{min(r['accuracy'][s] for r in pats.values()):.3f}" for s in shown]
            horizon = f"{pats[low]['steps_above_99']} ({low}); exact to {pats[worst]['exact']} ({worst})"
            rows.append([folder, f"{len(pats)} patterns (lowest)", horizon, *cells])
    return markdown.table(head, rows)


def drift_table(results: dict[str, dict[str, dict[str, Any]]], steps: int) -> str:
    shown = [s for s in (10, *SHOWN_STEPS) if s <= steps]
    head = ["checkpoint", *[f"step {s}" for s in shown]]
    drifts = {folder: runs["empty board drift"]["relative_rms"] for folder, runs in results.items()}
    return markdown.table(head, [[folder, *[f"{drift[s]:.1e}" for s in shown]] for folder, drift in drifts.items()])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m training.horizon", description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="+", help="checkpoints: zoo names, folders or Hub repo ids")
    p.add_argument("--steps", type=int, default=1000, help="model steps to run (default: 1,000)")
    p.add_argument("--episodes", type=int, default=1000, help="of the fixed eval set")
    p.add_argument("--big-size", type=int, default=64)
    p.add_argument("--big-episodes", type=int, default=100)
    p.add_argument("--json", type=Path, help="also write every per-step score here")
    p.add_argument("--figure", type=Path, help="also draw the eval set's accuracy and the empty board's drift (PNG)")
    args = p.parse_args(argv)
    results = {}
    for folder in args.folders:
        model = ImaginationModel.from_pretrained(folder).eval()
        if not model.config.tied:
            p.error(f"{folder}: an untied core runs only its own steps; it has no horizon")
        results[folder] = measure(model, sets(model, args.episodes, args.big_size, args.big_episodes), args.steps)
        results[folder]["empty board drift"] = {"relative_rms": empty_drift(model, 20, args.steps)}
    print(table(results, args.steps))
    print("\nAn all-dead 20x20 board: h_t's distance from h_0 (relative RMS)\n")
    print(drift_table(results, args.steps))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if args.figure:
        accuracy = {f: next(r["accuracy"] for n, r in rs.items() if n.startswith(EVAL)) for f, rs in results.items()}
        drift = {f: runs["empty board drift"]["relative_rms"] for f, runs in results.items()}
        args.figure.write_bytes(figures.figure_png(figures.horizon_figure(accuracy, drift)))


if __name__ == "__main__":
    main()
