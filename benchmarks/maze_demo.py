"""The demo on mazes, timed through its handlers as app.py runs them (one torch thread, drawing workers).

    IMAGINATION_ZOO=<a zoo with maze entries> python benchmarks/maze_demo.py --maze maze5-autoencoder

Times, in one fresh process each: the first and the next episode of a Life checkpoint (the showcase on its
gliders) and of a maze one (a 5-cell maze, 40 rounds): what "the first episode of a maze painted as fast as
a Life one" asks; then a 20-cell maze run for 400 iterations, with everything the page's Run makes of it
(pictures, table, status, summary and both downloads). Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from imagination.demo import handlers  # noqa: E402
from imagination.demo.handlers import EpisodeRequest  # noqa: E402
from imagination.demo.server import showcase  # noqa: E402
from imagination.demo.workers import default_workers  # noqa: E402


def timed(kind: str, checkpoint: str) -> None:
    """In this process: start the workers as the app does, then time the episodes of ``kind``."""
    torch.set_num_threads(1)
    handlers.start_drawing(default_workers(), wait=True)
    if kind == "life":
        requests = [EpisodeRequest(checkpoint, "gliders", seed, 0.4, 20) for seed in (0, 1)]
    elif kind == "maze":
        requests = [EpisodeRequest(checkpoint, "random", seed, None, 5, "", "", 40) for seed in (0, 1)]
    else:
        requests = [EpisodeRequest(checkpoint, "random", seed, None, 20, "", "", 400) for seed in (0, 1)]
    for which, request in zip(("first", "next"), requests, strict=True):
        t = time.perf_counter()
        run = handlers.run(request)
        ran = time.perf_counter() - t
        handlers.episode_outputs(run)
        shown = time.perf_counter() - t
        handlers.downloads(run)
        done = time.perf_counter() - t
        print(
            f"{kind:5} {which:5} {run.what:32} {run.ep.steps:4} steps: run {ran:5.2f} s, "
            f"painted {shown:5.2f} s, with downloads {done:5.2f} s"
        )
    handlers.DRAWING.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maze", required=True, help="a maze checkpoint of the zoo")
    ap.add_argument("--life", default=None, help="a Life checkpoint (default: the showcase)")
    ap.add_argument("--kind", choices=["life", "maze", "long"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.kind:
        timed(args.kind, args.maze if args.kind != "life" else args.life)
        return 0
    life = args.life or showcase()
    for kind in ("life", "maze", "long"):  # each in a fresh process: "first" is a visitor's first
        cmd = [sys.executable, __file__, "--kind", kind, "--maze", args.maze, "--life", life]
        subprocess.run(cmd, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
