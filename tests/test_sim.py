"""The bit-parallel simulator against the convolution it replaced, and the chained sampler's identity.

``life.step_conv`` is the convolution + rule-table step that ``life.step`` was before the packed
simulator; every CPU path (``step``, ``rollout``, the samplers) must give exactly its boards. The
eval set is regenerated from a seed, so its episodes are pinned by hashes recorded from the old
per-sample loop before the sampler changed: a score in any eval.json stays comparable.
"""

from __future__ import annotations

import hashlib
import itertools
import random

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagination import evaluate, life
from imagination.model import ModelConfig

counts = st.frozensets(st.integers(0, 8))


def old_sample_episodes(
    n: int, steps: int, size: int, seed: int, rule: str, wrap: bool, p_fresh: float = 0.1, density: float = 0.5
) -> torch.Tensor:
    """The per-sample chain as it was written before the batched sampler (the convolution step)."""
    g = torch.Generator().manual_seed(seed)
    fresh = life.random_boards(n, size, density, g)
    coins = torch.rand(n, generator=g) < p_fresh
    starts = torch.empty_like(fresh)
    for i in range(n):
        starts[i] = fresh[i] if i == 0 or coins[i] else life.step_conv(starts[i - 1], rule, wrap)
    frames = [starts]
    for _ in range(steps):
        frames.append(life.step_conv(frames[-1], rule, wrap))
    return torch.stack(frames, dim=-3)


def old_training_episodes(n: int, steps: int, size: int, seed: int, rule: str) -> torch.Tensor:
    """``life.sample_training_episodes`` (default ranges) with every generation by the convolution."""
    g = torch.Generator().manual_seed(seed)
    d = 0.15 + (0.65 - 0.15) * torch.rand(n, generator=g)
    boards = life.random_boards(n, size, d, g)
    w = torch.randint(0, 4, (n,), generator=g)
    for k in range(int(w.max().item())):
        boards = torch.where((w > k).reshape(-1, 1, 1), life.step_conv(boards, rule), boards)
    frames = [boards]
    for _ in range(steps):
        frames.append(life.step_conv(frames[-1], rule))
    return torch.stack(frames, dim=-3)


def digest(episodes: torch.Tensor) -> str:
    return hashlib.sha256(episodes.to(torch.uint8).numpy().tobytes()).hexdigest()[:16]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    birth=counts,
    survive=counts,
    wrap=st.booleans(),
    h=st.integers(1, 70),
    w=st.integers(1, 70),
    n=st.sampled_from([1, 2, 7, 63, 64, 65, 130]),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_step_is_bit_exact_with_the_convolution(
    birth: frozenset[int], survive: frozenset[int], wrap: bool, h: int, w: int, n: int, density: float, seed: int
) -> None:
    if n * h * w > 60_000:  # keep each example small; sizes past one 64-bit word still come up
        n = max(1, 60_000 // (h * w))
    rule = life.Rule(birth, survive)
    boards = life.random_boards(n, (h, w), density, torch.Generator().manual_seed(seed))
    got, want = life.step(boards, rule, wrap), life.step_conv(boards, rule, wrap)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert torch.equal(got, want)


@settings(max_examples=60, deadline=None)
@given(
    birth=counts,
    survive=counts,
    wrap=st.booleans(),
    size=st.tuples(st.integers(1, 24), st.integers(1, 24)),
    lead=st.sampled_from([(), (3,), (2, 5)]),
    steps=st.integers(0, 5),
    seed=st.integers(0, 2**31 - 1),
)
def test_rollout_is_bit_exact_with_the_convolution(
    birth: frozenset[int],
    survive: frozenset[int],
    wrap: bool,
    size: tuple[int, int],
    lead: tuple[int, ...],
    steps: int,
    seed: int,
) -> None:
    rule = life.Rule(birth, survive)
    boards = (torch.rand(*lead, *size, generator=torch.Generator().manual_seed(seed)) < 0.4).float()
    got = life.rollout(boards, steps, rule, wrap)
    frames = [boards]
    for _ in range(steps):
        frames.append(life.step_conv(frames[-1], rule, wrap))
    want = torch.stack(frames, dim=-3)
    assert got.dtype == torch.float32 and got.shape == (*lead, steps + 1, *size)
    assert torch.equal(got, want)


def catalog() -> torch.Tensor:
    """Boards in which every (alive, live-neighbour count) situation occurs, with and without wrap."""
    g = torch.Generator().manual_seed(0)
    dens = torch.linspace(0.02, 0.98, 48)
    boards = life.random_boards(48, (9, 11), dens, g)
    for wrap in (False, True):
        n = life.neighbours(boards, wrap)
        seen = {(int(a), int(c)) for a, c in zip(boards.flatten(), n.flatten(), strict=True)}
        assert seen == {(a, c) for a in (0, 1) for c in range(9)}
    return boards


def test_every_outcome_combination_of_the_rule_logic() -> None:
    """The rule's boolean logic folds counts pairwise (2h, 2h+1) and parts 0 from 8: all their cases.

    Each count's outcome is one of four (dies, born only, survives only, both); every combination of
    the four within each pair, and of counts 0, 1 and 8 together, with the other counts random.
    """
    boards = catalog()
    rng = random.Random(0)
    cases: list[dict[int, tuple[bool, bool]]] = []
    outcomes = list(itertools.product((False, True), repeat=2))
    for pair in ((0, 1, 8), (2, 3), (4, 5), (6, 7)):
        for combo in itertools.product(outcomes, repeat=len(pair)):
            cases.append(dict(zip(pair, combo, strict=True)))
    for case in cases:
        fixed = {c: case.get(c, (rng.random() < 0.5, rng.random() < 0.5)) for c in range(9)}
        rule = life.Rule(frozenset(c for c, o in fixed.items() if o[0]), frozenset(c for c, o in fixed.items() if o[1]))
        for wrap in (False, True):
            assert torch.equal(life.step(boards, rule, wrap), life.step_conv(boards, rule, wrap)), (rule, wrap)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16, torch.uint8, torch.bool])
def test_step_keeps_the_dtype_contract(dtype: torch.dtype) -> None:
    boards = life.random_boards(70, 10, 0.4, torch.Generator().manual_seed(2)).to(dtype)
    got, want = life.step(boards), life.step_conv(boards)
    assert got.dtype == want.dtype and torch.equal(got, want)
    strided = boards.transpose(-1, -2)  # a non-contiguous view takes the same path
    assert torch.equal(life.step(strided, life.HIGHLIFE, True), life.step_conv(strided, life.HIGHLIFE, True))


def test_pack_round_trip_and_word_layout() -> None:
    alive = np.random.default_rng(0).random((131, 5, 7)) < 0.5
    words = life._pack(alive)
    assert words.shape == (5, 7, 3) and words.dtype == np.uint64
    # bit b of word m at a cell is that cell of board 64m+b
    assert all(bool((int(words[2, 3, k // 64]) >> (k % 64)) & 1) == alive[k, 2, 3] for k in range(131))
    np.testing.assert_array_equal(life._unpack(words, 131), alive)


@pytest.mark.parametrize("block", [1, 700])
def test_block_boundaries(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    """The simulator works a cache-sized block of words at a time: blocks of one word, and ragged ones."""
    monkeypatch.setattr(life, "_BLOCK_CELL_WORDS", block)
    for size, n in (((5, 7), 200), ((20, 20), 300), ((1, 9), 129)):
        boards = life.random_boards(n, size, 0.45, torch.Generator().manual_seed(n))
        for wrap in (False, True):
            assert torch.equal(life.step(boards, life.HIGHLIFE, wrap), life.step_conv(boards, life.HIGHLIFE, wrap))
            frames = life.rollout(boards, 3, life.LIFE, wrap)
            assert torch.equal(
                frames[:, 3], life.step_conv(life.step_conv(frames[:, 1], life.LIFE, wrap), life.LIFE, wrap)
            )
        np.testing.assert_array_equal(life._unpack(life._pack(boards.numpy()), n), boards.numpy())
    got = life.sample_episodes(300, 2, 8, 4, life.LIFE, False, 0.1)
    assert torch.equal(got, old_sample_episodes(300, 2, 8, 4, life.LIFE, False, 0.1))


# sha256 (first 16 hex digits) of the eval episodes as uint8, recorded from the per-sample loop
# (life.py before the batched sampler) on 2026-11-29; the zoo's games, and a torus.
EVAL_SET_DIGESTS = [
    (4, life.LIFE, False, "b29226a2831408dd"),
    (3, life.HIGHLIFE, False, "90897036879861bc"),
    (3, life.DAY_AND_NIGHT, False, "b2e1be677ea7e761"),
    (3, life.SEEDS, False, "8f0d1795da4b86de"),
    (3, life.LIFE, True, "03cc9543f7e83324"),
]


@pytest.mark.parametrize("game_steps, rule, wrap, expected", EVAL_SET_DIGESTS)
def test_eval_set_identity_is_unchanged(game_steps: int, rule: str, wrap: bool, expected: str) -> None:
    episodes = evaluate.eval_episodes(
        ModelConfig(game_steps=game_steps, environment={"name": "life", "rule": rule, "wrap": wrap})
    )
    assert episodes.shape == (evaluate.EVAL_EPISODES, game_steps + 1, evaluate.EVAL_SIZE, evaluate.EVAL_SIZE)
    assert episodes.dtype == torch.float32
    assert digest(episodes) == expected


@pytest.mark.parametrize(
    "n, steps, size, seed, rule, wrap, p_fresh, density",
    [
        (300, 3, 20, 0, life.LIFE, False, 0.1, 0.5),
        (200, 2, 9, 1, "B0/S8", True, 0.3, 0.5),
        (300, 2, 13, 7, "B01245/S0", False, 0.05, 0.3),
        (200, 1, 5, 3, life.SEEDS, True, 0.1, 0.5),
        (130, 0, 70, 11, life.HIGHLIFE, False, 0.02, 0.6),
        (200, 4, 6, 5, life.DAY_AND_NIGHT, True, 0.0, 0.5),  # one run: the whole chain from one board
        (130, 2, 8, 9, life.LIFE, False, 1.0, 0.5),  # every start fresh
        (1, 3, 4, 2, life.LIFE, False, 0.1, 0.5),
        (0, 3, 4, 2, life.LIFE, False, 0.1, 0.5),
    ],
)
def test_sampler_equals_the_per_sample_loop(
    n: int, steps: int, size: int, seed: int, rule: str, wrap: bool, p_fresh: float, density: float
) -> None:
    got = life.sample_episodes(n, steps, size, seed, rule, wrap, p_fresh, density)
    want = old_sample_episodes(n, steps, size, seed, rule, wrap, p_fresh, density)
    assert got.shape == want.shape == (n, steps + 1, size, size) and got.dtype == want.dtype
    assert torch.equal(got, want)


@pytest.mark.parametrize("rule", [life.LIFE, life.SEEDS])
def test_training_batches_are_unchanged(rule: str) -> None:
    got = life.sample_training_episodes(256, 3, 12, torch.Generator().manual_seed(4), rule)
    assert torch.equal(got, old_training_episodes(256, 3, 12, 4, rule))
