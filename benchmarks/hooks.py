"""What the hook API costs: run_with_cache against a plain forward and decode, and a forward with a hook.

    python benchmarks/hooks.py [--threads 1] [--batch 64] [--steps 3]

Timed in-process with torch.utils.benchmark (median of blocked runs), so only the call is measured.
"""

from __future__ import annotations

import argparse

import torch
from torch.utils import benchmark

from imagination import hooks, life, zoo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--name", default="gol3-autoencoder")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = zoo.load(args.name)
    starts = life.sample_episodes(args.batch, 3, 20, seed=0)[:, 0]
    new = model.encode(starts).detach()
    cases = {
        "forward + decode_all": "with torch.no_grad(): model.decode_all(model(starts, steps))",
        "run_with_cache": "model.run_with_cache(starts, steps)",
        "run_with_hooks (replace at step 1)": (
            "with torch.no_grad(): model.run_with_hooks(starts, {'state.1': hooks.replace(new)}, steps)"
        ),
    }
    env = {"model": model, "starts": starts, "steps": args.steps, "torch": torch, "hooks": hooks, "new": new}
    base = None
    for label, stmt in cases.items():
        m = benchmark.Timer(stmt, globals=env, num_threads=args.threads).blocked_autorange(min_run_time=2.0)
        base = base or m.median
        print(f"{label:38s} median {1e3 * m.median:7.2f} ms  ({m.median / base - 1:+.1%} against the first)")


if __name__ == "__main__":
    main()
