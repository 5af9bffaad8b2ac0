"""Train one configuration with several seeds in parallel and keep the best.

    python -m training.best_of --seeds 0 1 -- --out runs/gol3-ae --regime autoencoder --game-steps 3

Each seed trains in its own process (one torch thread each, so N seeds use N cores) into
``<out>/seeds/seed-<k>``; every one of them is a complete, scored checkpoint (with its snapshots). The winner is chosen
on the *log set* (a seeded set of episodes distinct from the eval set): first the seeds whose
task error met ``--stop-error`` (or is lowest), then the highest interpretability. Its files are
copied to ``<out>``, and eval.json records every seed's log-set numbers and which one won, so the
selection is visible. Seeds matter here: the same recipe can find a solution whose intermediate
steps are not boards (lower interpretability) or, rarely, diverge.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from imagination import analysis
from imagination.cards import PICTURE, write_picture
from imagination.evaluate import eval_episodes
from imagination.model import ImaginationModel
from training import snapshots
from training.config import log_set

# A finished run's Hub-ready files: the card's picture (imagination.png) is drawn with the card
FILES = ("config.json", "model.safetensors", "README.md", "train_config.json", "eval.json", "log.jsonl", PICTURE)


def _flag(args: list[str], name: str, default: str | None = None) -> str | None:
    return args[args.index(name) + 1] if name in args else default


def seed_summary(folder: Path) -> dict[str, Any]:
    """What selection looks at: the last learning-curve record of the model's final phase."""
    records = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    last = [r for r in records if "task_error" in r][-1]
    return {k: last[k] for k in ("step", "task_error", "interpretability", "final_error", "per_step_accuracy")}


def seed_horizon(folder: Path) -> int | None:
    """How many steps past its training a seed's imagination stays >= 99% accurate on the log set, or None where
    the core does not run on (untied) or decodes no board at the end (a summary task). Seeds of one recipe can
    agree on every trained step and still part far past them, so a recipe that runs on reports each seed's."""
    model = ImaginationModel.from_pretrained(folder)
    cfg = model.config
    if cfg.task != "board":
        return None
    tc = json.loads((folder / "train_config.json").read_text())
    starts = eval_episodes(cfg, log_set(cfg, tc["log_episodes"], tc["eval_size"], tc["eval_seed"]))[:, 0]
    return analysis.extrapolation(model, starts, limit=analysis.HORIZON_LIMIT)["steps_above_99"]  # None: untied


def choose(summaries: dict[int, dict[str, Any]], bar: float) -> int:
    def key(seed: int) -> tuple[bool, float, float]:
        s = summaries[seed]
        return (s["task_error"] <= bar, s["interpretability"], -s["task_error"])

    return max(summaries, key=key)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        raise SystemExit("usage: python -m training.best_of --seeds 0 1 -- <training.train arguments>")
    split = argv.index("--")
    p = argparse.ArgumentParser(
        prog="python -m training.best_of", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--resume", action="store_true", help="resume every seed's run where it stopped")
    args = p.parse_args(argv[:split])
    train_args = argv[split + 1 :]
    out = Path(_flag(train_args, "--out") or "")
    if not str(out):
        raise SystemExit("the training arguments need --out")
    bar = float(_flag(train_args, "--stop-error", "0.01") or 0.01) or 0.01
    rest = [a for i, a in enumerate(train_args) if a != "--out" and (i == 0 or train_args[i - 1] != "--out")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = {}
    for seed in args.seeds:
        folder = out / "seeds" / f"seed-{seed}"
        if (folder / "eval.json").exists() and not (folder / "resume_state.safetensors").exists():
            continue  # this seed already finished
        cmd = [
            sys.executable,
            "-m",
            "training.train",
            *rest,
            "--out",
            str(folder),
            "--seed",
            str(seed),
            "--threads",
            "1",
            *(["--resume"] if args.resume else []),
        ]
        folder.mkdir(parents=True, exist_ok=True)
        log = open(folder.parent / f"seed-{seed}.log", "ab")  # noqa: SIM115 - closed when the run ends
        procs[seed] = (subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT), log)
    failed = []
    for seed, (proc, log) in procs.items():
        if proc.wait() != 0:
            failed.append(seed)
        log.close()
    if failed:
        raise SystemExit(f"seeds {failed} failed; see {out / 'seeds'}/seed-<k>.log, then rerun with --resume")
    summaries = {s: seed_summary(out / "seeds" / f"seed-{s}") for s in args.seeds}
    if len(summaries) > 1:  # one seed has nothing to compare with; the entry's own horizon is training.analyze's
        for s, summary in summaries.items():
            summary["horizon"] = seed_horizon(out / "seeds" / f"seed-{s}")
    best = choose(summaries, bar)
    winner = out / "seeds" / f"seed-{best}"
    if not (winner / PICTURE).exists():  # a seed finished before cards carried a picture: drawn from its weights
        write_picture(winner)
    for f in FILES:
        shutil.copy2(winner / f, out / f)
    snapshots.copy_all(winner, out)
    scores = json.loads((out / "eval.json").read_text())
    scores["seed_selection"] = {
        "seeds": {str(s): v for s, v in summaries.items()},
        "chosen": best,
        "criterion": f"log set: task error <= {bar} first, then highest interpretability, then lowest error; "
        "a tie keeps the first seed",
    }
    (out / "eval.json").write_text(json.dumps(scores, indent=2) + "\n")
    for s, v in summaries.items():
        mark = "*" if s == best else " "
        print(
            f"{mark} seed {s}: log-set task error {v['task_error']:.4f}, "
            f"interpretability {v['interpretability']:.3f} (step {v['step']})"
            + (f", >= 99% for {v['horizon']} steps" if v.get("horizon") is not None else "")
        )


if __name__ == "__main__":
    main()
