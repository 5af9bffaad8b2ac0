"""Build, index and document the model zoo.

    python -m training.zoo list                 # the planned checkpoints and their commands
    python -m training.zoo train gol3-autoencoder [--resume]
    python -m training.zoo train --all          # every missing checkpoint, two at a time (GPU plans need CUDA)
    python -m training.zoo train --all --recipe batch256 --seeds 0 1 --jobs 1  # the zoo's recipe until 2026-12-04
    python -m training.zoo compare OTHER_ZOO    # this zoo against another (e.g. IMAGINATION_ZOO=... train --all)
    python -m training.zoo adopt RUN gol3-model2  # install a finished run made with exactly the entry's settings
    python -m training.zoo index                # the registry zoo/index.json: bundled scores from eval.json
    python -m training.zoo table                # the README results table, from the cards
    python -m training.zoo figures              # docs/figures/<name>.png, true vs imagined
    python -m training.zoo cards                # rewrite every card from its eval.json (template change)
    python -m training.zoo rescore [NAME ...]   # re-evaluate the saved weights (a definition in evaluate changed)
    python -m training.zoo off-distribution [NAME ...]  # score the off-distribution sets, docs/analysis.md's table
    python -m training.zoo seeds NAME ... --seeds 1 2  # the entry's recipe at other seeds: does it hold?
    python -m training.zoo estimate [--jobs 2]  # the least wall clock train --all can take here, and why
    python -m training.zoo estimate --measure   # the same from each run's steps and scoring timed here

Every number written by ``index`` and ``table`` is read from eval.json / the model card, which the
evaluator wrote from the saved weights. ``index`` keeps each entry's repo id, revision and pushed
flag (``training.push`` sets them) and entries that are registered without being bundled, and writes
the Space's ``models:`` (README front matter) as exactly the pushed repos: it never invents one.
The plan itself is training/zoo/plan.toml.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from imagination import markdown, registry
from imagination.cards import write_card
from imagination.provenance import STAGES
from training.zoo import paths
from training.zoo.build import adopt, record_wall, train_one, train_parallel, trainable_here
from training.zoo.estimate import describe, measured_minutes, run_minutes, scoring_minutes, zoo_bound
from training.zoo.index import index
from training.zoo.plan import PLAN, RECIPES, SEEDS, command, folder
from training.zoo.rescore import add_off_distribution, rescore
from training.zoo.seeds import check as seed_check
from training.zoo.tables import compare, figures, table, write_table


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m training.zoo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    lst = sub.add_parser("list")
    lst.add_argument("--recipe", choices=list(RECIPES), default="fast")
    t = sub.add_parser("train")
    t.add_argument("names", nargs="*")
    t.add_argument("--all", action="store_true", help="every entry not in the zoo yet (GPU plans only with CUDA)")
    t.add_argument("--seeds", nargs="+", default=SEEDS, help="seeds trained side by side, the best kept (default 0)")
    t.add_argument("--recipe", choices=list(RECIPES), default="fast", help="batch256: the zoo's until 2026-12-04")
    t.add_argument(
        "--jobs", type=int, help="entries trained side by side, one thread per seed each (default 2 with --all, else 1)"
    )
    # one entry of a --jobs run: the run indexes the zoo and records the wall clock once, at its end
    t.add_argument("--part", action="store_true", help=argparse.SUPPRESS)
    c = sub.add_parser("compare", help="this zoo's entries against another zoo's, with both wall clocks")
    c.add_argument("other", type=Path)
    a = sub.add_parser("adopt", help="install a finished run trained with exactly an entry's settings")
    a.add_argument("run", type=Path)
    a.add_argument("name")
    for name in ("index", "table", "figures", "cards"):
        sub.add_parser(name)
    r = sub.add_parser("rescore", help="re-evaluate bundled entries from their saved weights (every one by default)")
    r.add_argument("names", nargs="*")
    o = sub.add_parser("off-distribution", help="score bundled entries on the off-distribution eval sets")
    o.add_argument("names", nargs="*")
    s = sub.add_parser("seeds", help="train entries' recipes at other seeds and record each seed's scores on the card")
    s.add_argument("names", nargs="+")
    s.add_argument("--seeds", nargs="+", type=int, default=[1, 2], help="the other seeds (default 1 2)")
    e = sub.add_parser("estimate", help="the least wall clock train --all can take here, from the bundled runs")
    e.add_argument("--jobs", type=int, default=2, help="entries trained side by side (default 2, as train --all)")
    e.add_argument(
        "--measure",
        action="store_true",
        help="time each run's steps and scoring here on one thread instead of reading its minutes",
    )
    return p


def _list(args: argparse.Namespace, extra: list[str]) -> None:
    for name in PLAN:
        print(name, "python -m training.train", " ".join(command(name, paths.RUNS / name, recipe=args.recipe)))


def _train(args: argparse.Namespace, extra: list[str]) -> None:
    names = [n for n in PLAN if not (folder(n) / "eval.json").exists()] if args.all else args.names
    if not names and not args.all:
        raise SystemExit("name the checkpoints to train (before --seeds) or give --all")
    if not names:
        print("every planned zoo checkpoint is trained; nothing to do")
    unknown = [n for n in names if n not in PLAN]
    if unknown:
        raise SystemExit(f"unknown zoo names {unknown}; see `python -m training.zoo list`")
    names = trainable_here(names, args.all)
    if args.jobs is None:  # how the zoo was trained and timed: two entries at once keep two cores busy
        args.jobs = 2 if args.all else 1
    start = time.perf_counter()
    if args.jobs > 1:
        times = train_parallel(names, extra, args.seeds, args.recipe, args.jobs)
    else:
        times = {}
        for name in names:
            t0 = time.perf_counter()
            train_one(name, extra, args.seeds, args.recipe)
            times[name] = round((time.perf_counter() - t0) / 60, 2)
            print(f"{name}: {times[name]:.1f} min wall clock, {(time.perf_counter() - start) / 60:.1f} min so far")
    if args.part:
        return
    index()
    if names:
        total = round((time.perf_counter() - start) / 60, 2)
        record_wall(names, times, total, args)
        wall = paths.runs_dir() / paths.WALL
        print(f"{len(times)} of {len(names)} checkpoints in {total:.1f} min wall clock ({wall})")
    if len(times) < len(names):
        raise SystemExit(1)


def _adopt(args: argparse.Namespace, extra: list[str]) -> None:
    if args.name not in PLAN:
        raise SystemExit(f"unknown zoo name {args.name!r}; see `python -m training.zoo list`")
    adopt(args.run.resolve(), args.name)
    index()


def _compare(args: argparse.Namespace, extra: list[str]) -> None:
    print(compare(registry.zoo_dir(), args.other.resolve()))


def _index(args: argparse.Namespace, extra: list[str]) -> None:
    for m in index():
        print(f"{m['name']}: interpretability {m['interpretability']:.3f}, task error {m['task_error']:.4f}")


def _table(args: argparse.Namespace, extra: list[str]) -> None:
    write_table()
    print(table())


def _figures(args: argparse.Namespace, extra: list[str]) -> None:
    figures()


def _cards(args: argparse.Namespace, extra: list[str]) -> None:
    for e in registry.entries():
        if e.bundled:
            write_card(e.path, name=e.name, repo_id=e.repo_id if e.pushed else None)
            for stage in e.stages:  # the runs it continued, each a revision of it
                write_card(e.path / STAGES / stage, name=stage)


def _rescore(args: argparse.Namespace, extra: list[str]) -> None:
    for line in rescore(args.names):
        print(line)


def _off_distribution(args: argparse.Namespace, extra: list[str]) -> None:
    print(add_off_distribution(args.names))


def _seeds(args: argparse.Namespace, extra: list[str]) -> None:
    for line in seed_check(args.names, args.seeds, extra):
        print(line)
    write_table()


def _estimate(args: argparse.Namespace, extra: list[str]) -> None:
    names = trainable_here(list(PLAN), every=True)
    if not args.measure:
        print(describe(zoo_bound(names, args.jobs), len(names)))
        return
    timed = {n: (measured_minutes(n), scoring_minutes(n)) for n in tqdm(names, desc="timing each run", unit="run")}
    here = {n: sum(t) for n, t in timed.items()}
    rows = [
        [f"`{n}`", f"{run_minutes(n):.1f}", f"{timed[n][0]:.1f}", f"{timed[n][1]:.1f}"]
        for n in sorted(names, key=here.__getitem__)
    ]
    print(markdown.table(["run", "bundled run's minutes", "timed here, one thread", "its scoring here"], rows[::-1]))
    print(describe(zoo_bound(names, args.jobs, here.__getitem__), len(names), "timed here", scored=True))


COMMANDS: dict[str, Callable[[argparse.Namespace, list[str]], None]] = {
    "list": _list,
    "train": _train,
    "adopt": _adopt,
    "compare": _compare,
    "index": _index,
    "table": _table,
    "figures": _figures,
    "cards": _cards,
    "rescore": _rescore,
    "off-distribution": _off_distribution,
    "seeds": _seeds,
    "estimate": _estimate,
}


def main(argv: list[str] | None = None) -> None:
    args, extra = parser().parse_known_args(argv)
    os.chdir(paths.ROOT)
    COMMANDS[args.cmd](args, extra)
