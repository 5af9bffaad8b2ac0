"""Time to quality of a training recipe, against a named baseline recipe in the same run.

    python benchmarks/training.py --candidate "--regime autoencoder --game-steps 3"
    python benchmarks/training.py --baseline "--regime autoencoder --game-steps 3" \\
        --candidate "--regime autoencoder --game-steps 3 --precision bf16" --repeats 2 --seeds 0 1
    python benchmarks/training.py --candidate "..." --device cuda     # both recipes on the GPU

Each recipe is a ``python -m training.train`` argument string (``--out`` and ``--seed`` are the
benchmark's). Runs are interleaved, baseline and candidate alternating on the same seeds and
swapping who goes first in every (repeat, seed) block (ABBA...), so a machine whose load drifts
hurts both alike. Each run is one whole process, timed from launch to exit, as a user waits for
it; from its own files (eval.json: final-board error and interpretability on the fixed eval set,
steps trained; log.jsonl: the learning curve, the device and precision it ran in) come the steps,
the steps per second of the training loop (learning-curve evaluations taken out), and the first
logged step whose log-set numbers meet the quality bar. A run "meets the bar" when its eval.json
does: final-board error <= ``--bar-error`` and interpretability >= ``--bar-interp``. Steps to
quality are deterministic given the seed on the CPU (same threads); seconds are not: the load
average around each run is printed and saved beside it.

The report is a markdown table (one row per run, then the medians and the candidate / baseline
ratios) and ``<out>/results.json``. Figures and the machine they came from: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The README's one-line recipe: every setting is TrainConfig's default (training/config.py).
README_RECIPE = "--regime autoencoder --game-steps 3"


def run_once(
    args: list[str], out: Path, seed: int, device: str | None, bar_error: float = 0.01, bar_interp: float = 0.99
) -> dict[str, Any]:
    """One training process, timed whole; its numbers read back from the files it wrote."""
    cmd = [sys.executable, "-m", "training.train", *args, "--out", str(out), "--seed", str(seed)]
    if device is not None:
        cmd += ["--device", device]
    out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    with open(out / "stdout.log", "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own CPU time and peak memory
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = (out / "stdout.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{tail}")
    return {
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        **read_run(out, bar_error, bar_interp),
    }


def read_run(folder: Path, bar_error: float = 0.01, bar_interp: float = 0.99) -> dict[str, Any]:
    """Steps, speed and quality of a finished run, from its eval.json and log.jsonl."""
    ev = json.loads((folder / "eval.json").read_text())
    records = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines() if line.strip()]
    device = next((r for r in records if r.get("event") == "device"), {})
    curve = [r for r in records if "final_error" in r and r.get("phase", "model") == "model"]
    steps = ev["train_steps"]
    loop_seconds = ev["train_minutes"] * 60
    eval_seconds = sum(r.get("eval_seconds", 0.0) for r in records if "final_error" in r)
    first = next((r for r in curve if r["final_error"] <= bar_error and r["interpretability"] >= bar_interp), None)
    return {
        "device": device.get("device", "cpu"),
        "precision": device.get("precision", "fp32"),
        "steps": steps,
        "loop_seconds": loop_seconds,  # in-process: the training loop, learning-curve evaluations included
        "curve_eval_seconds": eval_seconds,
        "steps_per_second": steps / max(1e-9, loop_seconds - eval_seconds),
        "ms_per_step": 1000 * (loop_seconds - eval_seconds) / max(1, steps),
        "final_error": ev["final_error"],
        "interpretability": ev["interpretability"],
        "meets_bar": ev["final_error"] <= bar_error and ev["interpretability"] >= bar_interp,
        "log_step_at_bar": first["step"] if first else None,
    }


def order(block: int, labels: list[str]) -> list[str]:
    """ABBA: whoever went first in one (repeat, seed) block goes second in the next, so a drifting load is shared."""
    return labels if block % 2 == 0 else labels[::-1]


def median(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in rows if r[key] is not None]
    return statistics.median(vals) if vals else None


def table(results: list[dict[str, Any]], labels: list[str]) -> str:
    head = (
        "| recipe | seed | repeat | wall s | CPU s | steps | steps/s | ms/step | final error | interp. | bar "
        "| load before/after |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {r['label']} | {r['seed']} | {r['repeat']} | {r['wall_seconds']:.1f} | {r['cpu_seconds']:.0f} | "
        f"{r['steps']} | {r['steps_per_second']:.1f} | {r['ms_per_step']:.1f} | {r['final_error']:.4f} | "
        f"{r['interpretability']:.4f} | {'yes' if r['meets_bar'] else '**no**'} | "
        f"{r['load_before']:.2f} / {r['load_after']:.2f} |"
        for r in results
    ]
    out = [
        head,
        *rows,
        "",
        "| recipe | median wall s | median steps | median steps/s | runs at the bar |",
        "|---|---|---|---|---|",
    ]
    med: dict[str, dict[str, float | None]] = {}
    for label in labels:
        mine = [r for r in results if r["label"] == label]
        med[label] = {k: median(mine, k) for k in ("wall_seconds", "steps", "steps_per_second")}
        at_bar = sum(r["meets_bar"] for r in mine)
        m = med[label]
        out.append(
            f"| {label} | {m['wall_seconds']:.1f} | {m['steps']:.0f} | {m['steps_per_second']:.1f} | "
            f"{at_bar} of {len(mine)} |"
        )
    if len(labels) == 2:
        a, b = med[labels[0]], med[labels[1]]
        ratios = ", ".join(
            f"{name} {b[k] / a[k]:.2f}x"
            for name, k in (("wall", "wall_seconds"), ("steps", "steps"), ("steps/s", "steps_per_second"))
            if a[k] and b[k]
        )
        out.append(f"\n{labels[1]} / {labels[0]} (medians): {ratios}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python benchmarks/training.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--baseline", default=README_RECIPE, help="training.train arguments (default: the README recipe)")
    p.add_argument("--candidate", default=None, help="training.train arguments; leave out to time the baseline alone")
    p.add_argument("--names", nargs=2, default=["baseline", "candidate"], metavar=("BASELINE", "CANDIDATE"))
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--device", default=None, help="passed to both recipes (auto, cpu, cuda); default: theirs")
    p.add_argument("--bar-error", type=float, default=0.01)
    p.add_argument("--bar-interp", type=float, default=0.99)
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-training")
    args = p.parse_args(argv)
    recipes = {args.names[0]: shlex.split(args.baseline)}
    if args.candidate is not None:
        recipes[args.names[1]] = shlex.split(args.candidate)
    labels = list(recipes)
    for label, rec in recipes.items():
        if "--out" in rec or "--seed" in rec:
            raise SystemExit(f"{label}: --out and --seed are the benchmark's (use --out and --seeds)")
        print(f"{label}: python -m training.train {shlex.join(rec)}", flush=True)
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results = []
    blocks = [(repeat, seed) for repeat in range(args.repeats) for seed in args.seeds]
    for block, (repeat, seed) in enumerate(blocks):
        for label in order(block, labels):
            folder = args.out / f"{label}-s{seed}-r{repeat}"
            r = run_once(recipes[label], folder, seed, args.device, args.bar_error, args.bar_interp)
            r.update(label=label, seed=seed, repeat=repeat, args=recipes[label])
            results.append(r)
            print(
                f"{label} seed {seed} repeat {repeat}: {r['wall_seconds']:.1f} s, {r['steps']} steps, "
                f"{r['steps_per_second']:.1f} steps/s, error {r['final_error']:.4f}, "
                f"interp {r['interpretability']:.4f} (load {r['load_before']:.2f} -> {r['load_after']:.2f})",
                flush=True,
            )
    report = table(results, labels)
    print("\n" + report)
    (args.out / "results.json").write_text(
        json.dumps({"recipes": recipes, "device": args.device, "runs": results, "report": report}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
