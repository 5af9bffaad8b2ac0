"""The Life simulator side by side: the authors' per-board loop, the convolution step, the bit-parallel step.

    python benchmarks/sim.py                      # 100k 20x20 boards, one thread (~1 min on an idle core)
    python benchmarks/sim.py --loop-boards 100000 # time the per-board loop on every board, not a subset
    python benchmarks/sim.py --sampler-episodes 0 # skip the old sampler (~10 s idle)

Everything runs on one thread (``torch.set_num_threads(1)``) in one process, so the ratios compare
like with like on whatever the machine is doing at the time; the load average is printed with them.

The baseline is a re-implementation of the authors' simulator (``life_step`` in
wichersn/visualize-nn-imagination, train/data_functions.py): one board at a time, the neighbour
count as a 3x3 all-ones convolution ("same" size, zero fill) minus the board, then
``(n == 3) | (alive & (n == 2))`` in numpy. They call ``scipy.signal.convolve2d``; scipy is not a
dependency of this project, so here the convolution is the same sum written in plain numpy (nine
shifted copies of the zero-padded board), and the loop's output is checked against ``life.step``.
The loop can run on a subset of the boards (``--loop-boards``) and is reported per board-step.

Rows:
- ``per-board loop``: the baseline above.
- ``life.step_conv``: the convolution + rule-table step (what ``life.step`` was before), batched.
- ``life.step``: the bit-parallel simulator behind the public API, float 0/1 tensors in and out
  (the packing, unpacking and float conversion included).
- ``packed step (numpy)`` / ``packed step (torch)``: one generation on boards already packed
  (64 boards a word, bit-sliced), the simulator's own format: what a multi-step run costs per
  generation before anything is converted to floats. The torch row runs the same word logic with
  torch bitwise ops on int64 tensors, to compare the two libraries.
- ``life.rollout``: ``--rollout-steps`` generations of every board as float frames, per board-step.
- The sampler: the fixed eval set's chained reference sampler (``life.sample_episodes``) against
  the per-sample loop it replaced (kept below), on ``--sampler-episodes`` 20x20 episodes; the
  outputs are compared for equality.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np
import torch

from imagination import life


def authors_life_step(board: np.ndarray) -> np.ndarray:
    """One generation of one bool board, written as the authors' loop computes it (Conway, dead border)."""
    h, w = board.shape
    padded = np.zeros((h + 2, w + 2))
    padded[1:-1, 1:-1] = board
    total = sum(padded[dr : dr + h, dc : dc + w] for dr in range(3) for dc in range(3))  # 3x3 ones, "same"
    n = total - board
    return (n == 3) | (board & (n == 2))


def authors_loop(boards: np.ndarray) -> np.ndarray:
    return np.stack([authors_life_step(b) for b in boards])


def old_sample_episodes(
    n: int, steps: int, size: int = 20, seed: int = 0, rule: str = life.LIFE, wrap: bool = False, p_fresh: float = 0.1
) -> torch.Tensor:
    """``life.sample_episodes`` before the batched sampler: one start at a time, the convolution step."""
    g = torch.Generator().manual_seed(seed)
    fresh = life.random_boards(n, size, 0.5, g)
    coins = torch.rand(n, generator=g) < p_fresh
    starts = torch.empty_like(fresh)
    for i in range(n):
        starts[i] = fresh[i] if i == 0 or coins[i] else life.step_conv(starts[i - 1], rule, wrap)
    frames = [starts]
    for _ in range(steps):
        frames.append(life.step_conv(frames[-1], rule, wrap))
    return torch.stack(frames, dim=-3)


def _pad_torch(x: torch.Tensor, dim: int, wrap: bool) -> torch.Tensor:
    if wrap:
        return torch.cat((x.narrow(dim, x.shape[dim] - 1, 1), x, x.narrow(dim, 0, 1)), dim)
    edge = torch.zeros_like(x.narrow(dim, 0, 1))
    return torch.cat((edge, x, edge), dim)


def packed_step_torch(words: torch.Tensor, rule: life.Rule, wrap: bool) -> torch.Tensor:
    """``life._step_words`` with torch bitwise ops on int64 words (same adder, same rule logic)."""
    h, w, m = words.shape
    out = torch.empty_like(words)
    block = max(1, life._BLOCK_CELL_WORDS // (h * w))
    for j in range(0, m, block):
        x = words[:, :, j : j + block]
        p = _pad_torch(x, 1, wrap)
        left, right = p[:, :-2], p[:, 2:]
        a, b = left ^ right, left & right
        t0, t1 = a ^ x, b | (a & x)
        p0, p1 = _pad_torch(t0, 0, wrap), _pad_torch(t1, 0, wrap)
        u0, d0, u1, d1 = p0[:-2], p0[2:], p1[:-2], p1[2:]
        x1 = u0 ^ d0
        s0, c0 = x1 ^ a, (u0 & d0) | (x1 & a)
        y1 = u1 ^ d1
        z, c1 = y1 ^ b, (u1 & d1) | (y1 & b)
        s1, c2 = z ^ c0, z & c0
        s2, s3 = c1 ^ c2, c1 & c2
        out[:, :, j : j + block] = life._rule_logic(rule, x, [s0, s1, s2, s3])
    return out


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--boards", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=20)
    ap.add_argument("--loop-boards", type=int, default=20_000, help="boards the per-board loop steps (a subset)")
    ap.add_argument("--rollout-steps", type=int, default=8)
    ap.add_argument("--sampler-episodes", type=int, default=100_000)
    ap.add_argument("--sampler-steps", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs for the fast rows")
    args = ap.parse_args()
    torch.set_num_threads(1)
    n, size = args.boards, args.size
    rule = life.parse_rule(life.LIFE)
    boards = life.random_boards(n, size, 0.5, torch.Generator().manual_seed(0))
    print(f"{n:,} boards {size}x{size}, Conway, dead border, 1 thread; load average {os.getloadavg()}")

    rows: list[tuple[str, float, str]] = []
    sub = boards[: args.loop_boards].numpy() > 0.5
    t_loop, loop_out = best_of(lambda: authors_loop(sub), 1)
    loop_rate = len(sub) / t_loop
    assert np.array_equal(loop_out, life.step(boards[: len(sub)]).numpy() > 0.5), "the loop disagrees with life.step"
    note = "" if len(sub) == n else f"{len(sub):,} boards, extrapolated"
    rows.append(("per-board loop (authors', numpy conv)", loop_rate, note))

    t, want = best_of(lambda: life.step_conv(boards, rule), 1)
    rows.append(("life.step_conv (conv2d, batched)", n / t, ""))
    t, got = best_of(lambda: life.step(boards, rule), args.repeat)
    assert torch.equal(got, want)
    rows.append(("life.step (bit-parallel, float in/out)", n / t, ""))

    words = life._pack(boards.numpy() > 0.5)
    t, packed = best_of(lambda: life._step_words(words, rule, False), args.repeat)
    assert torch.equal(torch.from_numpy(life._unpack(packed, n)).float(), want)
    rows.append(("packed step (numpy)", n / t, "boards already packed"))
    tw = torch.from_numpy(words.view(np.int64))
    t, packed_t = best_of(lambda: packed_step_torch(tw, rule, False), args.repeat)
    assert np.array_equal(packed_t.numpy().view(np.uint64), packed)
    rows.append(("packed step (torch bitwise)", n / t, "boards already packed"))
    k = args.rollout_steps
    t, _ = best_of(lambda: life.rollout(boards, k, rule), args.repeat)
    rows.append((f"life.rollout ({k} steps, float frames)", n * k / t, "per board-step"))

    print(f"\n{'simulator':42s} {'board-steps/s':>14s} {'x loop':>8s}")
    for name, rate, note in rows:
        print(f"{name:42s} {rate:14,.0f} {rate / loop_rate:8.1f}  {note}")

    if args.sampler_episodes:
        e, s = args.sampler_episodes, args.sampler_steps
        t_new, new = best_of(lambda: life.sample_episodes(e, s, size), args.repeat)
        t_old, old = best_of(lambda: old_sample_episodes(e, s, size), 1)
        assert torch.equal(new, old), "the samplers disagree"
        print(f"\nsampler, {e:,} episodes x {s} steps ({size}x{size}), same episodes: yes")
        print(f"  per-sample loop (before) {t_old:8.3f} s")
        print(f"  batched runs (now)       {t_new:8.3f} s   {t_old / t_new:.1f}x")
    print(f"\nload average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
