"""The zoo in the docs: the README results table, the minutes table, two zoos compared, a figure per entry.

Every number is read from eval.json or the model card, which the evaluator wrote from the saved weights.
"""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import ModelCard

from imagination import markdown, registry, zoo
from imagination.cards import card_eval_metrics
from imagination.episode import run_episode
from imagination.figures import episode_figure, figure_png
from imagination.provenance import trained_on
from training.docs import listed, replace_block
from training.floors import checkpoint_floors
from training.zoo.paths import ROOT, WALL, runs_dir
from training.zoo.plan import PLAN, folder


def _name(e: dict) -> str:
    """An entry's name cell: a negative result says so where the name is read first."""
    return f"`{e['name']}`" + (" (negative result)" if e.get("negative_result") else "")


def table() -> str:
    """The README results table, read from each checkpoint's model card.

    Beside each interpretability stand the floors it must be read against: what copying the start
    board, or the final board, to every model step scores on the same eval set, game, step counts
    and scored steps (training/floors.py), since the eval set's sparse, evolved boards make copying
    score far above 0.
    """
    head = [
        "checkpoint",
        "regime",
        "steps (game/model)",
        "interpretability",
        "floor: copy start / final",
        "per-step decoded accuracy",
        "final-board error",
        "task error",
        "bar (board 1%, summary 0.1%)",
    ]
    rows = []
    for e in registry.read():
        if not e.get("bundled", True):  # a contributor's registered repo: its card is on the Hub, not here
            continue
        m = card_eval_metrics(ModelCard.load(registry.zoo_dir() / e["name"] / "README.md"))
        floor = checkpoint_floors(registry.zoo_dir() / e["name"])
        accs = listed([f"{m[f'accuracy_step_{i}']:.3f}" for i in range(e["model_steps"] + 1)])
        task = f"{m['task_error']:.4f}" if "task_error" in m else f"{m['final_error']:.4f}"
        ok = "yes" if e["meets_bar"] else "**no**"
        rows.append(
            [
                _name(e),
                e["regime"],
                f"{e['game_steps']}/{e['model_steps']}",
                f"{m['interpretability']:.3f}",
                f"{floor.copy_start:.3f} / {floor.copy_final:.3f}",
                accs,
                f"{m['final_error']:.4f}",
                task,
                ok,
            ]
        )
    return markdown.table(head, rows)


def minutes_table() -> str:
    """Training cost per checkpoint, beside the recipe in docs/training.md (from eval.json)."""
    head = ["checkpoint", "trained", "steps", "minutes", "task error", "bar (board 1%, summary 0.1%)"]
    rows = []
    total, steps, met, count, gpu = 0.0, 0, 0, 0, 0.0
    for e in registry.read():
        if not e.get("bundled", True):
            continue
        # a stage trained before the entry that continues it: its row first, its minutes in the zoo's total
        runs = [(f"`{s}`, a stage of {_name(e)}", s, folder(s)) for s in e.get("stages", [])]
        for label, name, where in [*runs, (_name(e), e["name"], registry.zoo_dir() / e["name"])]:
            row, ev, meets, on_gpu = _minutes_row(label, name, where)
            rows.append(row)
            total, steps, gpu = total + ev.get("train_minutes", 0.0), steps + ev.get("train_steps", 0), gpu + on_gpu
            if name == e["name"]:
                met, count = met + meets, count + 1
    # each run's own training minutes added up: seeds trained side by side count once (the chosen one's)
    on_gpu = f" ({gpu:.1f} of them on a GPU)" if gpu else ""
    rows.append(
        [f"**total, {count} checkpoints and their stages**", "", steps, f"{total:.1f}{on_gpu}", "", f"{met} of {count}"]
    )
    return markdown.table(head, rows)


def _minutes_row(label: str, name: str, where: Path) -> tuple[list[object], dict, bool, float]:
    """One run's row of the minutes table, its eval.json, whether it meets the bar and its minutes on a GPU."""
    ev = json.loads((where / "eval.json").read_text())
    task = json.loads((where / "config.json").read_text()).get("task", "board")
    meets = registry.headline(ev, task)["meets_bar"]
    base = PLAN.get(name, ([], None))[1]
    n = len(ev.get("seed_selection", {}).get("seeds", {}))
    how = f"from `{base}`" if base else (f"best of {n} seeds" if n > 1 else "one seed")
    device, gpu = trained_on(where), 0.0
    if device != "CPU":
        how, gpu = f"{how}, on a {device}", ev.get("train_minutes", 0.0)
    ok = "yes" if meets else "**no**"
    row = [label, how, ev.get("train_steps", "?"), f"{ev.get('train_minutes', 0.0):.1f}", f"{ev['task_error']:.4f}", ok]
    return row, ev, meets, gpu


def _zoo_rows(zoo_dir: Path) -> dict[str, dict]:
    """Each trained entry's steps, minutes and scores, read from its eval.json."""
    rows = {}
    for name in PLAN:
        f = folder(name, zoo_dir) / "eval.json"
        if f.exists():
            ev = json.loads(f.read_text())
            task = json.loads((f.parent / "config.json").read_text()).get("task", "board")
            rows[name] = {**ev, "meets": registry.headline(ev, task)["meets_bar"]}  # the registry's rule
    return rows


def _wall(zoo_dir: Path, names: set[str]) -> float | None:
    """The wall clock of the recorded ``train`` calls, if they trained every one of ``names``: a zoo retrained
    piecemeal (a few entries by hand) has no wall clock of its own."""
    path = ROOT / runs_dir(zoo_dir) / WALL  # runs/zoo is relative to ROOT; another zoo's runs are absolute
    calls = json.loads(path.read_text())["calls"] if path.exists() else []
    covered = {n for c in calls for n in c["names"]}
    return sum(c["minutes"] for c in calls) if calls and names <= covered else None


def _cells(r: dict | None) -> list[object]:
    if r is None:
        return ["-"] * 5
    ok = "yes" if r["meets"] else "**no**"
    return [
        r.get("train_steps", "?"),
        f"{r.get('train_minutes', 0.0):.1f}",
        f"{r['task_error']:.4f}",
        f"{r['interpretability']:.3f}",
        ok,
    ]


def _total(rows: dict[str, dict], zoo_dir: Path) -> list[object]:
    wall = _wall(zoo_dir, set(rows))
    met = sum(r["meets"] for r in rows.values())
    minutes = f"{sum(r.get('train_minutes', 0.0) for r in rows.values()):.1f}"
    return [
        sum(r.get("train_steps", 0) for r in rows.values()),
        minutes + (f" (wall clock {wall:.1f})" if wall is not None else ""),
        "",
        "",
        f"{met} of {len(rows)}",
    ]


def compare(zoo_dir: Path, other: Path) -> str:
    """Entry by entry, steps, minutes, task error and interpretability in two zoos, and whether each meets its bar.

    Made to judge a recipe on the whole zoo: train it into another zoo (``IMAGINATION_ZOO=... train --all
    --recipe batch256``), then compare. The total line adds up each entry's minutes and gives each zoo's wall
    clock of ``train`` where its runs folder recorded one.
    """
    a, b = _zoo_rows(zoo_dir), _zoo_rows(other)
    cols = ["steps", "minutes", "task error", "interp.", "bar"]
    head = ["checkpoint", *cols, "other: steps", *cols[1:]]
    rows = [[f"`{name}`", *_cells(a.get(name)), *_cells(b.get(name))] for name in PLAN if name in a or name in b]
    rows.append(["**total**", *_total(a, zoo_dir), *_total(b, other)])
    return markdown.table(head, rows)


def seeds_table() -> str:
    """Each entry whose recipe was trained at other seeds (``python -m training.zoo seeds``): its bar met how often."""
    head = ["checkpoint", "seeds", "bar met", "task error by seed", "interpretability by seed"]
    rows = []
    for name in PLAN:
        f = folder(name) / "eval.json"
        check = json.loads(f.read_text()).get("seed_check") if f.exists() else None
        if check is None:
            continue
        seeds = check["seeds"]
        errors = " / ".join(f"{100 * s['task_error']:.3f}%" for s in seeds.values())
        interp = " / ".join(f"{s['interpretability']:.3f}" for s in seeds.values())
        met = check["bar_met"] if check["bar_met"] == len(seeds) else f"**{check['bar_met']}**"
        rows.append([f"`{name}`", ", ".join(seeds), f"{met} of {len(seeds)}", errors, interp])
    return markdown.table(head, rows)


def write_table(readme: Path = ROOT / "README.md", training_doc: Path = ROOT / "docs" / "training.md") -> None:
    """Regenerate the README results table and docs/training.md's minutes and seed tables in place."""
    replace_block(readme, "zoo-table", table())
    replace_block(training_doc, "zoo-minutes", minutes_table())
    replace_block(training_doc, "seed-check", seeds_table())


def figures(out_dir: Path = ROOT / "docs" / "figures") -> None:
    """One figure per checkpoint: an eval episode's true frames beside the decoded hidden states."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for e in zoo.bundled():
        model = zoo.load(e.name)
        env = model.config.env
        board = env.eval_episodes(8, 1, env.default_size, seed=7)[5, 0]  # Life: a 20x20 board, as since 2026-11
        ep = run_episode(model, board)
        (out_dir / f"{e.name}.png").write_bytes(figure_png(episode_figure(ep, env=env), dpi=80))
