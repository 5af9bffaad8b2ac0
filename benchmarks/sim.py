"""The Life simulator side by side: the authors' per-board loop, the convolution step, the bit-parallel step.

    python benchmarks/sim.py                      # 100k 20x20 boards, one thread (~1 min on an idle core)
    python benchmarks/sim.py --loop-boards 100000 # time the per-board loop on every board, not a subset
    python benchmarks/sim.py --sampler-episodes 0 # skip the old sampler (~10 s idle)
    python benchmarks/sim.py --rounds 5           # more interleaved rounds on a busy machine

Everything runs on one thread (``torch.set_num_threads(1)``) in one process. The rows are timed
back to back in rounds and each ratio is taken within its round, so a change in the machine's load
hits a row and its baseline alike. Printed: the median rate and the median of the per-round ratios
(with their range), and the best rate of the rounds with the ratio of best to best, which is the
nearest to an idle machine that a busy one gives; and the load average before and after.

The baseline is a re-implementation of the authors' simulator (``life_step`` in
wichersn/visualize-nn-imagination, train/data_functions.py): one board at a time, the neighbour
count as a 3x3 all-ones convolution ("same" size, zero fill) minus the board, then
``(n == 3) | (alive & (n == 2))`` in numpy. They call ``scipy.signal.convolve2d``; scipy is not a
dependency of this project, so the baseline computes the same sum in plain numpy, as nine shifted
copies of the zero-padded board (``authors_life_step``). Where scipy is installed, their exact
scipy loop is timed as another row: on the development machine it ran 1.2-1.4x slower than the
numpy baseline, so the ratios against the baseline understate the gain over their code. A tuned
per-board loop (the box sum done separably, ~1.5-2x the baseline) is timed too, to show how much
a better loop alone buys. Every loop's output is checked against the convolution step. The loops
run on a subset of the boards (``--loop-boards``) and are reported per board-step.

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
from statistics import median

import numpy as np
import torch

from imagination import life


def authors_life_step(board: np.ndarray) -> np.ndarray:
    """One generation of one bool board as the authors' loop computes it (Conway, dead border), in numpy.

    Their neighbour count is a 3x3 all-ones convolution of the zero-padded board ("same" size) minus
    the board: here the sum of the nine shifted copies, minus the board.
    """
    h, w = board.shape
    p = np.zeros((h + 2, w + 2))
    p[1:-1, 1:-1] = board
    total = (
        p[:h, :w] + p[:h, 1 : w + 1] + p[:h, 2:]
        + p[1 : h + 1, :w] + p[1 : h + 1, 1 : w + 1] + p[1 : h + 1, 2:]
        + p[2:, :w] + p[2:, 1 : w + 1] + p[2:, 2:]
    )  # fmt: skip
    n = total - board
    return (n == 3) | (board & (n == 2))


def tuned_life_step(board: np.ndarray) -> np.ndarray:
    """The same count with the box sum done separably (rows, then columns): the quickest per-board numpy."""
    h, w = board.shape
    p = np.zeros((h + 2, w + 2))
    p[1:-1, 1:-1] = board
    rows = p[:, :-2] + p[:, 1:-1] + p[:, 2:]
    n = rows[:-2] + rows[1:-1] + rows[2:] - board
    return (n == 3) | (board & (n == 2))


def authors_life_step_scipy(board: np.ndarray) -> np.ndarray:
    """Their ``life_step`` with ``scipy.signal.convolve2d``, for when scipy happens to be installed."""
    from scipy.signal import convolve2d

    n = convolve2d(board, np.ones((3, 3)), mode="same", boundary="fill") - board
    return (n == 3) | (board & (n == 2))


def authors_loop(boards: np.ndarray, life_step: Callable[[np.ndarray], np.ndarray] = authors_life_step) -> np.ndarray:
    return np.stack([life_step(b) for b in boards])


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


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--boards", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=20)
    ap.add_argument("--loop-boards", type=int, default=20_000, help="boards the per-board loop steps (a subset)")
    ap.add_argument("--rollout-steps", type=int, default=8)
    ap.add_argument("--sampler-episodes", type=int, default=100_000)
    ap.add_argument("--sampler-steps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    args = ap.parse_args()
    torch.set_num_threads(1)
    n, size, k = args.boards, args.size, args.rollout_steps
    rule = life.parse_rule(life.LIFE)
    boards = life.random_boards(n, size, 0.5, torch.Generator().manual_seed(0))
    print(f"{n:,} boards {size}x{size}, Conway, dead border, 1 thread; load average {os.getloadavg()}")

    # correctness first: every row computes the same generation
    sub = boards[: args.loop_boards]
    t_conv, want = timed(lambda: life.step_conv(boards, rule))
    assert np.array_equal(authors_loop(sub.numpy() > 0.5), want[: len(sub)].numpy() > 0.5), "loop != step_conv"
    assert np.array_equal(authors_loop(sub.numpy() > 0.5, tuned_life_step), want[: len(sub)].numpy() > 0.5)
    try:
        import scipy  # noqa: F401  (not a dependency: the row appears only where it is installed)

        with_scipy = True
        assert np.array_equal(authors_loop(sub.numpy() > 0.5, authors_life_step_scipy), want[: len(sub)].numpy() > 0.5)
    except ImportError:
        with_scipy = False
    assert torch.equal(life.step(boards, rule), want)
    words = life._pack(boards.numpy())
    packed = life._step_words(words, rule, False)
    assert np.array_equal(life._unpack(packed, n), want.numpy())
    tw = torch.from_numpy(words.view(np.int64))
    assert np.array_equal(packed_step_torch(tw, rule, False).numpy().view(np.uint64), packed)

    # one round times every row back to back, so a change in the machine's load hits all of them alike
    sub_np = sub.numpy() > 0.5
    cases: list[tuple[str, Callable[[], object], int, str]] = [
        ("per-board loop (authors', numpy conv)", lambda: authors_loop(sub_np), len(sub), ""),
        ("per-board loop, separable sum (tuned)", lambda: authors_loop(sub_np, tuned_life_step), len(sub), ""),
        *(
            [
                (
                    "per-board loop (authors', scipy conv2d)",
                    lambda: authors_loop(sub_np, authors_life_step_scipy),
                    len(sub),
                    "",
                )
            ]
            if with_scipy
            else []
        ),
        ("life.step (bit-parallel, float in/out)", lambda: life.step(boards, rule), n, ""),
        ("packed step (numpy)", lambda: life._step_words(words, rule, False), n, "boards already packed"),
        ("packed step (torch bitwise)", lambda: packed_step_torch(tw, rule, False), n, "boards already packed"),
        (f"life.rollout ({k} steps, float frames)", lambda: life.rollout(boards, k, rule), n * k, "per board-step"),
    ]
    rates: dict[str, list[float]] = {name: [] for name, *_ in cases}
    for _ in range(args.rounds):
        for name, fn, work, _note in cases:
            rates[name].append(work / timed(fn)[0])
    loop_name = cases[0][0]  # rates are board-steps/s; the loops time --loop-boards boards
    ratios = {name: [r / lr for r, lr in zip(rates[name], rates[loop_name], strict=True)] for name in rates}

    print(f"\n{args.rounds} interleaved rounds: the median rate and the median of each round's ratio [its range];")
    print("the best rate and the ratio of best to best (closest to an idle machine)")
    head = f"{'simulator':42s} {'median/s':>11s} {'x loop':>7s} {'range':>14s} {'best/s':>11s} {'x loop':>7s}"
    print(head)
    loop_best = max(rates[loop_name])
    conv_rate = n / t_conv
    print(
        f"{'life.step_conv (conv2d, batched), once':42s} {conv_rate:11,.0f} {conv_rate / median(rates[loop_name]):7.1f}"
    )
    for name, _fn, _work, note in cases:
        rs, best = ratios[name], max(rates[name])
        spread = "" if name == loop_name else f"[{min(rs):.1f}..{max(rs):.1f}]"
        extra = f"{len(sub):,} boards" if name.startswith("per-board loop") and len(sub) != n else note
        print(
            f"{name:42s} {median(rates[name]):11,.0f} {median(rs):7.1f} {spread:>14s} {best:11,.0f}"
            f" {best / loop_best:7.1f}  {extra}"
        )

    if args.sampler_episodes:
        e, s = args.sampler_episodes, args.sampler_steps
        t_new1, new = timed(lambda: life.sample_episodes(e, s, size))
        t_old, old = timed(lambda: old_sample_episodes(e, s, size))
        t_new2, _ = timed(lambda: life.sample_episodes(e, s, size))
        assert torch.equal(new, old), "the samplers disagree"
        t_new = (t_new1 + t_new2) / 2
        print(f"\nsampler, {e:,} episodes x {s} steps ({size}x{size}), same episodes: yes")
        print(f"  per-sample loop (before)      {t_old:8.3f} s")
        print(f"  batched runs (now), before/after the loop {t_new1:.3f} / {t_new2:.3f} s   {t_old / t_new:.1f}x")
    print(f"\nload average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
