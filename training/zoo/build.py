"""Build the zoo's entries: train them (one, or several side by side), adopt an experiment, install a finished run.

An entry trains as its plan says (``plan.command``) into the runs folder (``paths.runs_dir``) and is copied,
Hub-ready, into the zoo. A run made elsewhere is adopted only with exactly the plan's settings, so ``zoo list``
reproduces every bundled entry.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm

from imagination import registry
from imagination.cards import PICTURE, write_card, write_picture
from imagination.provenance import derived_from, portable
from training import best_of, snapshots, train
from training.best_of import FILES  # a finished run's Hub-ready files
from training.zoo import paths
from training.zoo.index import pushed_repo
from training.zoo.plan import ENTRY_SEEDS, PLAN, SEEDS, SNAPSHOTS, STAGES, command, folder

ADOPT_IGNORES = ("out", "name", "command", "seed", "threads")  # what may differ between a run and its zoo command


def train_args(cmd: list[str]) -> dict:
    """The settings a ``training.train`` command gives, by TrainConfig field (``--resume`` is no setting)."""
    args = vars(train.parser().parse_args(cmd))
    args.pop("resume")
    return args


def planned_config(name: str, out: Path, extra: list[str] | None = None) -> train.TrainConfig:
    """The settings ``train NAME`` trains ``name`` with (``plan.command``), into ``out``."""
    return train.TrainConfig(**train_args(command(name, out, extra)), command=[])


def train_one(name: str, extra: list[str], seeds: list[str] = SEEDS, recipe: str = "fast") -> None:
    """Train (resumably) and install one zoo entry; a model trained from scratch, or an entry that names its
    own seeds (plan.toml), is the best of its seeds."""
    _, base = PLAN[name]
    resume = [a for a in extra if a == "--resume"]
    if base is not None and not (folder(base) / "model.safetensors").exists():
        print(f"{name} needs {base} first", file=sys.stderr)
        train_one(base, resume, seeds, recipe)
    seeds = ENTRY_SEEDS.get(name, seeds) if seeds == SEEDS else seeds
    out = paths.runs_dir() / name
    if base is None or name in ENTRY_SEEDS:
        rest = [a for a in extra if a != "--resume"]
        best_of.main(["--seeds", *seeds, *resume, "--", *command(name, out, rest, recipe)])
    else:
        train.main(command(name, out, extra, recipe))
    install(out, name)


def trained_seed(name: str) -> str:
    """The seed ``train NAME`` trains by default (a best-of entry trains every seed it names; this is the first):
    a model from scratch goes through ``best_of``, whose ``--seed`` comes after the plan's, so it is SEEDS'; an
    entry continued from its base trains with the plan's own seed."""
    if PLAN[name][1] is None or name in ENTRY_SEEDS:
        return ENTRY_SEEDS.get(name, SEEDS)[0]
    return str(planned_config(name, paths.RUNS / name).seed)


def schedule(
    names: list[str],
    launch: Callable[[str], subprocess.Popen],
    jobs: int,
    base: Callable[[str], str | None],
    priority: Callable[[str], float] | None = None,
) -> tuple[dict[str, float], list[str]]:
    """Run ``launch(name)`` for every name, ``jobs`` at a time, each once its base (if among the names) succeeded.

    Independent entries side by side keep every core busy with one thread each, as best_of does with seeds: a
    wall clock near the sum of the entries' minutes over ``jobs`` rather than their sum. Of the entries ready to
    start, the highest ``priority`` goes first (the longest chain still ahead of it, ``chains_ahead``), so that
    long runs do not start last and leave one core idle at the end; else the names' order. Returns each finished
    entry's wall-clock minutes and the names that failed or could not start because their base failed.
    """
    pending, running, minutes, failed = list(names), {}, {}, []
    if priority is not None:
        pending.sort(key=priority, reverse=True)  # stable: equal priorities keep the names' order
    bar = tqdm(total=len(names), desc="zoo", unit="entry")
    while pending or running:
        for name in list(pending):
            b = base(name)
            if b in failed:
                pending.remove(name)
                failed.append(name)
                bar.update()
                tqdm.write(f"{name}: not trained, its base {b} failed")
            elif len(running) < jobs and b not in pending and b not in running:
                pending.remove(name)
                running[name] = (launch(name), time.perf_counter())
                tqdm.write(f"{name}: started")
        time.sleep(0.05)
        for name, (proc, t0) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name]
            bar.update()
            if proc.returncode:
                failed.append(name)
                tqdm.write(f"{name}: failed (exit {proc.returncode})")
            else:
                minutes[name] = round((time.perf_counter() - t0) / 60, 2)
                tqdm.write(f"{name}: {minutes[name]:.1f} min wall clock")
    bar.close()
    return minutes, failed


def chains_ahead(minutes: dict[str, float], base: Callable[[str], str | None]) -> dict[str, float]:
    """Each entry's minutes plus those of the longest chain of entries among ``minutes`` that wait for it (its
    continuations, their continuations): the wall clock that is left once it starts, however many cores."""
    children: dict[str, list[str]] = {n: [] for n in minutes}
    for n in minutes:
        if base(n) in children:
            children[base(n)].append(n)
    ahead: dict[str, float] = {}

    def chain(name: str) -> float:
        if name not in ahead:
            ahead[name] = minutes[name] + max((chain(c) for c in children[name]), default=0.0)
        return ahead[name]

    return {n: chain(n) for n in minutes}


def recorded_minutes(name: str) -> float:
    """The training minutes this checkout's zoo records for an entry (0 where it has none): a rough cost, good
    enough to order a schedule by, wherever the new zoo is."""
    ev = folder(name, paths.ROOT / "zoo") / "eval.json"
    return float(json.loads(ev.read_text()).get("train_minutes", 0.0)) if ev.exists() else 0.0


def train_parallel(names: list[str], extra: list[str], seeds: list[str], recipe: str, jobs: int) -> dict[str, float]:
    """Every entry in its own process (``train NAME``), one torch thread per seed, logs in the runs folder; the
    entries with the longest chains ahead of them first (``chains_ahead`` of the minutes this checkout records)."""
    runs = paths.runs_dir()
    runs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def launch(name: str) -> subprocess.Popen:
        cmd = ["-m", "training.zoo", "train", name, "--recipe", recipe, "--seeds", *seeds, "--part", *extra]
        cmd = [sys.executable, *cmd]
        with open(runs / f"{name}.log", "w") as log:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=paths.ROOT)

    ahead = chains_ahead({n: recorded_minutes(n) for n in names}, lambda n: PLAN[n][1])
    minutes, failed = schedule(names, launch, jobs, lambda n: PLAN[n][1], ahead.__getitem__)
    if failed:
        print(f"failed: {', '.join(failed)} (logs: {runs}/<name>.log)", file=sys.stderr)
    return minutes


def record_wall(names: list[str], minutes: dict[str, float], total: float, args: argparse.Namespace) -> None:
    """Add this ``train`` call to the runs folder's wall-clock record: a resumed ``--all`` adds up its calls."""
    path = paths.runs_dir() / paths.WALL
    old = json.loads(path.read_text()) if path.exists() else {}
    if "calls" not in old:  # the older layout: one call's minutes per name and its total
        old = {"entries": {k: v for k, v in old.items() if k != "total"}, "calls": []}
    old["entries"].update(minutes)
    old["calls"].append({"names": names, "minutes": total, "recipe": args.recipe, "jobs": args.jobs})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(old, indent=2) + "\n")


def adopt(run: Path, name: str) -> None:
    """Install a run trained outside ``zoo train`` (an experiment) whose settings are exactly the entry's.

    Every setting in the run's train_config.json must equal the zoo command's, except the output folder,
    the name and the seed and thread count (a zoo entry is any seed's run; one thread or two change only
    rounding), and, for an entry that ships no snapshots, how many the run kept (``plan_differences``). The
    entry then records the zoo command with that seed (and that snapshot count), so ``zoo list`` reproduces it.
    """
    got = json.loads((run / "train_config.json").read_text())
    if not finished(run):
        raise SystemExit(f"{run} has not finished (no eval.json, or a resume state is left): finish it first")
    out = paths.RUNS / name
    cmd = command(name, out)
    rebased = same_base(got, name, run)
    differ = plan_differences({**got, **rebased}, name)
    if differ:
        said = "; ".join(f"{k}: {a!r} in the run, {b!r} in the plan" for k, (a, b) in differ.items())
        raise SystemExit(f"{run} was not trained with {name}'s plan ({said})")
    if not (run / PICTURE).exists():  # finished before cards carried a picture: drawn from its weights
        write_picture(run)
    if out.resolve() != run.resolve():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for f in FILES:
            shutil.copy2(run / f, out / f)
        snapshots.copy_all(run, out)
    tc = json.loads((out / "train_config.json").read_text())
    if rebased:  # the base it started from is this zoo's: eval.json (and so the card) names it as such
        ev = json.loads((out / "eval.json").read_text())
        ((how, source),) = rebased.items()
        ev["derived_from"] = derived_from(source, how)
        if how == "warm_start" and "warm_start" in ev:
            ev["warm_start"]["from"] = portable(source)
        (out / "eval.json").write_text(json.dumps(ev, indent=2) + "\n")
    tc.update(out=str(out), name=name, **rebased)
    own = ["--seed", str(got["seed"]), "--threads", str(got["threads"])]
    if got.get("snapshots", train.TrainConfig.snapshots) != train_args(cmd)["snapshots"]:
        own += ["--snapshots", str(got["snapshots"])]
    tc["command"] = ["python", "-m", "training.train", *cmd, *own]
    (out / "train_config.json").write_text(json.dumps(tc, indent=2) + "\n")
    install(out, name)


def finished(run: Path) -> bool:
    """Whether a run folder holds a finished run: scored (eval.json), no resume state left."""
    return (run / "eval.json").exists() and not (run / train.STATE_FILE).exists()


def same_base(train_config: dict, name: str, run: Path) -> dict[str, str]:
    """The plan's base (``--init`` / ``--warm-start``) for a run that started from another zoo's copy of that base
    with the same weights as this zoo's (a whole zoo trained elsewhere, adopted base first); else nothing.

    The run recorded its base as a path under the checkout or, from elsewhere, by name only: then the base is
    looked for beside the run, where ``train --all`` into another zoo puts it, and else in this zoo (a run
    started from a zoo name, ``--warm-start gol3-longrun``)."""
    _, base = PLAN[name]
    want = planned_config(name, paths.RUNS / name)
    out = {}
    for key in ("init", "warm_start"):
        ran, planned = train_config.get(key) or "", getattr(want, key)
        if base is None or not ran or not planned or ran == planned or Path(ran).name != base:
            continue
        ours = folder(base) / "model.safetensors"
        candidates = (paths.ROOT / ran, run.parent / base, registry.zoo_dir() / ran)  # the last: a zoo name
        theirs = [f / "model.safetensors" for f in candidates if f.is_dir()]
        if theirs and ours.exists() and theirs[0].read_bytes() == ours.read_bytes():
            out[key] = planned
    return out


def plan_differences(train_config: dict, name: str) -> dict[str, tuple]:
    """Each setting of a run (its train_config.json) that is not the entry's plan: (the run's, the plan's).

    Empty for a run that ``train NAME`` would have made, up to ADOPT_IGNORES; a setting newer than the run
    (absent from its train_config.json) had its default there. A plan on ``--device auto`` takes a run on any
    device: that is the run ``train NAME`` makes wherever it is. How many snapshots a run kept matters only
    for an entry that ships them: they never change a run's weights (a seed checked by ``zoo seeds`` kept none).
    """
    want = asdict(planned_config(name, paths.RUNS / name))
    got = {**asdict(train.TrainConfig()), **train_config}
    ignored = ADOPT_IGNORES + (("device",) if want["device"] == "auto" else ())
    ignored += ("snapshots",) if name not in SNAPSHOTS else ()
    return {k: (got.get(k), v) for k, v in want.items() if k not in ignored and got.get(k) != v}


def needs_gpu(name: str) -> bool:
    """Whether an entry (or the base it is trained further from) is planned on a GPU (``--device cuda``).

    Such a plan needs a budget a CPU would spend hours on, so a machine without CUDA does not try it. An
    entry on a frozen base (``--init``) trains only new decoders on the base the zoo holds, so it needs a
    GPU only if its own plan does.
    """
    _, base = PLAN[name]
    planned = planned_config(name, paths.RUNS / name)
    if planned.device == "cuda":
        return True
    return base is not None and not planned.init and needs_gpu(base)


def trainable_here(names: list[str], every: bool) -> list[str]:
    """The names a machine without CUDA can train: ``--all`` skips GPU entries (saying so), a named one is an error."""
    gpu = [n for n in names if needs_gpu(n)]
    if not gpu or torch.cuda.is_available():
        return names
    said = ", ".join(gpu)
    if not every:
        raise SystemExit(
            f"{said}: planned on a GPU (--device cuda; `python -m training.zoo list` shows the command) and no CUDA "
            "device is here. On a CPU the same settings would take hours; docs/training.md says what they took"
        )
    print(f"skipping {said}: planned on a GPU and no CUDA device is here (docs/training.md)", file=sys.stderr)
    return [n for n in names if n not in gpu]


def install(run: Path, name: str) -> None:
    """Copy a finished run into zoo/<name> (Hub layout, no resume state), with its snapshots if the plan says so;
    a stage into the entry that continues it (``plan.folder``), where it is that entry's revision."""
    dest = folder(name)
    dest.mkdir(parents=True, exist_ok=True)
    for f in FILES:
        shutil.copy2(run / f, dest / f)
    if name in SNAPSHOTS:
        snapshots.copy_all(run, dest)
    else:
        snapshots.clear(dest)
    tc = json.loads((dest / "train_config.json").read_text())
    tc["out"] = f"runs/zoo/{name}"
    (dest / "train_config.json").write_text(json.dumps(tc, indent=2) + "\n")
    write_card(dest, name=name, repo_id=None if name in STAGES else pushed_repo(name))
