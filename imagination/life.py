"""Life-like cellular automata on batched torch tensors, and the episode samplers.

Boards are float tensors of 0.0 / 1.0 with the board in the last two dimensions, so one
code path serves a single board, a batch, and a batch of episodes, and the result feeds the
model without conversion. On CPU the generations come from a bit-parallel simulator (64 boards
to a machine word, see below), bit-exact with the convolution that accelerators keep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

LIFE = "B3/S23"
HIGHLIFE = "B36/S23"
DAY_AND_NIGHT = "B3678/S34678"
SEEDS = "B2/S"

_RULE_RE = re.compile(r"^\s*B(?P<b>[0-8]*)\s*/\s*S(?P<s>[0-8]*)\s*$", re.IGNORECASE)
_RULE_SB_RE = re.compile(r"^\s*(?P<s>[0-8]*)\s*/\s*(?P<b>[0-8]*)\s*$")


@dataclass(frozen=True)
class Rule:
    """A Life-like (outer-totalistic, Moore neighbourhood) rule."""

    birth: frozenset[int]
    survive: frozenset[int]

    def __str__(self) -> str:
        return "B" + "".join(map(str, sorted(self.birth))) + "/S" + "".join(map(str, sorted(self.survive)))


def parse_rule(rule: str | Rule) -> Rule:
    """Parse "B3/S23" (any case) or the older "23/3" survive/birth notation."""
    if isinstance(rule, Rule):
        return rule
    m = _RULE_RE.match(rule) or _RULE_SB_RE.match(rule)
    if m is None:
        raise ValueError(f"not a Life-like rule: {rule!r} (expected e.g. 'B3/S23' or 'B36/S23')")
    birth = frozenset(int(c) for c in m["b"])
    survive = frozenset(int(c) for c in m["s"])
    return Rule(birth, survive)


_KERNEL = torch.ones(1, 1, 3, 3)
_KERNEL[0, 0, 1, 1] = 0


def neighbours(boards: torch.Tensor, wrap: bool = False) -> torch.Tensor:
    """Live-neighbour counts. Cells beyond the edge are dead unless ``wrap`` (a torus)."""
    shape = boards.shape
    x = boards.reshape(-1, 1, shape[-2], shape[-1]).float()
    x = F.pad(x, (1, 1, 1, 1), mode="circular") if wrap else F.pad(x, (1, 1, 1, 1))
    counts = F.conv2d(x, _KERNEL.to(x.device))
    return counts.round().reshape(shape)


def _rule_table(rule: Rule, device: torch.device) -> torch.Tensor:
    """Row 0: next state of a dead cell by neighbour count; row 1: of a live cell."""
    table = torch.zeros(2, 9, device=device)
    for n in rule.birth:
        table[0, n] = 1.0
    for n in rule.survive:
        table[1, n] = 1.0
    return table


def step_conv(boards: torch.Tensor, rule: str | Rule = LIFE, wrap: bool = False) -> torch.Tensor:
    """One generation by convolution and a rule table: the reference the bit-parallel step is tested
    against, and the path for boards on an accelerator, where it is the fast one."""
    r = parse_rule(rule)
    counts = neighbours(boards, wrap).long()
    alive = (boards > 0.5).long()
    table = _rule_table(r, boards.device)
    return table[alive, counts].to(_out_dtype(boards))


# --- The bit-parallel simulator -------------------------------------------------------------------
# Boards are bit-sliced across the batch: word m of cell (r, c) holds that cell of boards 64m..64m+63,
# one per bit. A neighbour is then a whole word at a neighbouring cell (no bit shifts, so wrap, edges
# and any board size cost nothing extra), every one of the 64 bits is a full cell update, and a
# generation is ~25 word operations per cell: a bit-sliced adder counts neighbours 0..8 and the rule
# is boolean logic on the count's bits. Packing goes through np.packbits on each board's own cells
# (contiguous, fast) and an 8x8 bit-matrix transpose of each group of 8 boards x 8 cells.

_BITS = 64
_BLOCK_CELL_WORDS = 1 << 14  # words of one plane per block: ~25 live planes x 128 KiB stay in a core's L2


def _out_dtype(boards: torch.Tensor) -> torch.dtype:
    return boards.dtype if boards.is_floating_point() else torch.float32


def _transpose8(x: np.ndarray) -> np.ndarray:
    """Transpose the 8x8 bit matrix (byte i, bit j) -> (byte j, bit i) in every uint64 (Hacker's Delight 7-3)."""
    t = (x ^ (x >> np.uint64(7))) & np.uint64(0x00AA00AA00AA00AA)
    x = x ^ t ^ (t << np.uint64(7))
    t = (x ^ (x >> np.uint64(14))) & np.uint64(0x0000CCCC0000CCCC)
    x = x ^ t ^ (t << np.uint64(14))
    t = (x ^ (x >> np.uint64(28))) & np.uint64(0x00000000F0F0F0F0)
    return x ^ t ^ (t << np.uint64(28))


def _pack(cells: np.ndarray) -> np.ndarray:
    """[N, H, W] bool, or 0/1 numbers (alive > 0.5) -> [H, W, ceil(N/64)] uint64, bit b of word m = board 64m+b.

    Missing boards of the last word are dead. Works a cache-sized block of boards at a time: threshold,
    np.packbits along each board's own cells (contiguous), then one uint64 per (8 boards, 8 cells)
    whose 8x8 bit matrix is transposed, so each byte holds one cell of 8 boards.
    """
    n, h, w = cells.shape
    flat, m = cells.reshape(n, h * w), -(-n // _BITS)
    cb = -(-(h * w) // 8)  # bytes per board
    words = np.empty((cb * 8, m), np.uint64)
    block = max(1, _BLOCK_CELL_WORDS // (cb * 8))  # words per block
    for j in range(0, m, block):
        k = min(block, m - j)
        part = flat[j * _BITS : (j + k) * _BITS]
        rows = np.packbits(part if part.dtype == np.bool_ else part > 0.5, axis=1, bitorder="little")
        if len(rows) < k * _BITS:
            rows = np.concatenate((rows, np.zeros((k * _BITS - len(rows), cb), np.uint8)))
        x = np.ascontiguousarray(rows.reshape(k * 8, 8, cb).transpose(0, 2, 1)).view(np.uint64)  # byte i: board i
        by_group = _transpose8(x).view(np.uint8).reshape(k, 8, cb * 8)  # [word, byte = 8 boards, cell]
        words[:, j : j + k] = np.ascontiguousarray(by_group.transpose(2, 0, 1)).view(np.uint64)[..., 0]
    return words[: h * w].reshape(h, w, m)


def _unpack_blocks(words: np.ndarray, n: int) -> Iterator[tuple[int, np.ndarray]]:
    """Inverse of ``_pack`` up to the bytes, a block at a time: (first board, [boards, ceil(H*W/8)] uint8)."""
    h, w, m = words.shape
    cells = h * w
    cb = -(-cells // 8)
    flat = words.reshape(cells, m)
    block = max(1, _BLOCK_CELL_WORDS // (cb * 8))
    for j in range(0, -(-n // _BITS), block):
        k = min(block, m - j)
        full = np.zeros((cb * 8, k), np.uint64)
        full[:cells] = flat[:, j : j + k]
        by_group = full.view(np.uint8).reshape(cb * 8, k, 8).transpose(1, 2, 0)  # [word, byte, cell]
        x = np.ascontiguousarray(by_group).reshape(k * 8, cb, 8).view(np.uint64)
        per_board = _transpose8(x).view(np.uint8).reshape(k * 8, cb, 8).transpose(0, 2, 1)
        yield j * _BITS, per_board.reshape(k * _BITS, cb)[: n - j * _BITS]


# every byte's 8 bits as 0.0 / 1.0: packed rows become float cells in one gather
_FLOAT_LUT = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little").astype(np.float32)


def _unpack_into(words: np.ndarray, n: int, out: np.ndarray) -> None:
    """Write the first ``n`` packed boards into ``out``, [n, H*W] float32 (rows may be strided)."""
    cells = out.shape[1]
    for first, rows in _unpack_blocks(words, n):
        dest = out[first : first + len(rows)]
        if dest.flags.c_contiguous and cells % 8 == 0:  # gathered straight into place (a byte never needs clipping)
            np.take(_FLOAT_LUT, rows, axis=0, out=dest.reshape(len(rows), -1, 8), mode="clip")
        else:
            dest[...] = np.take(_FLOAT_LUT, rows, axis=0).reshape(len(rows), -1)[:, :cells]


def _unpack(words: np.ndarray, n: int) -> np.ndarray:
    """[H, W, M] uint64 -> [n, H, W] uint8 0/1."""
    h, w, _ = words.shape
    rows = np.concatenate([r for _, r in _unpack_blocks(words, n)]) if n else np.zeros((0, -(-h * w // 8)), np.uint8)
    return np.unpackbits(rows, axis=1, count=h * w, bitorder="little").reshape(n, h, w)


def _pad(x: np.ndarray, axis: int, wrap: bool) -> np.ndarray:
    """``x`` with one more cell on both ends of ``axis``: dead, or the far edge's cells on a torus."""
    if wrap:
        first, last = np.take(x, [0], axis), np.take(x, [-1], axis)
        return np.concatenate((last, x, first), axis)
    shape = list(x.shape)
    shape[axis] += 2
    out = np.zeros(shape, x.dtype)
    inner = [slice(None)] * x.ndim
    inner[axis] = slice(1, -1)
    out[tuple(inner)] = x
    return out


_Term = np.ndarray | bool | None  # an array of words, or the constants all-ones (True) and all-zeros (None)


def _and(a: _Term, b: _Term) -> _Term:
    if a is None or b is None:
        return None
    if a is True:
        return b
    return a if b is True else a & b


def _or(a: _Term, b: _Term) -> _Term:
    if a is None:
        return b
    if b is None or a is True:
        return a
    return b if b is True else a | b


def _rule_logic(rule: Rule, alive: np.ndarray, s: list[np.ndarray]) -> np.ndarray:
    """Next state from the alive bits and the neighbour count's bits ``s`` (s[3] set only for 8).

    Counts pair up by their high bits (2h, 2h+1); for each count, whether a cell lives next is one of
    0, 1, alive, or not alive. The constants fold away, so Life costs a handful of operations. Count
    8 has the low bits of count 0, so the two part only where their outcomes differ.
    """
    cache: dict[str, np.ndarray] = {}

    def lit(name: str) -> _Term:
        if name not in cache:
            base = {"a": alive, "s0": s[0], "s1": s[1], "s2": s[2], "s3": s[3]}
            cache[name] = ~base[name[1:]] if name.startswith("~") else base[name]
        return cache[name]

    def outcome(n: int) -> str:
        return {(True, True): "1", (True, False): "~a", (False, True): "a", (False, False): "0"}[
            (n in rule.birth, n in rule.survive)
        ]

    def term(name: str) -> _Term:
        return True if name == "1" else None if name == "0" else lit(name)

    result: _Term = None
    for high in range(4):
        even, odd = outcome(2 * high), outcome(2 * high + 1)
        f_even = term(even)
        if high == 0 and outcome(8) != even:
            f_even = _and(lit("~s3"), f_even)
            result = _or(result, _and(lit("s3"), term(outcome(8))))
        f_odd = term(odd)
        if f_even is f_odd:  # the same cached array or constant: s0 does not matter
            inner = f_even
        elif f_odd is True:
            inner = _or(f_even, lit("s0"))
        elif f_even is True:
            inner = _or(lit("~s0"), f_odd)
        else:
            inner = _or(_and(lit("~s0"), f_even), _and(lit("s0"), f_odd))
        select = _and(lit("s2" if high & 2 else "~s2"), lit("s1" if high & 1 else "~s1"))
        result = _or(result, _and(select, inner))
    if result is None:
        return np.zeros_like(alive)
    if result is True:
        return np.full_like(alive, np.uint64(0xFFFFFFFFFFFFFFFF))
    return result


def _step_block(x: np.ndarray, rule: Rule, wrap: bool) -> np.ndarray:
    """One generation of [H, W, words] bit-sliced boards."""
    p = _pad(x, 1, wrap)
    left, right = p[:, :-2], p[:, 2:]
    a, b = left ^ right, left & right  # left + right: bits 1, 2
    t0, t1 = a ^ x, b | (a & x)  # left + self + right, per row
    p0, p1 = _pad(t0, 0, wrap), _pad(t1, 0, wrap)
    u0, d0, u1, d1 = p0[:-2], p0[2:], p1[:-2], p1[2:]  # the rows above and below
    x1 = u0 ^ d0
    s0, c0 = x1 ^ a, (u0 & d0) | (x1 & a)
    y1 = u1 ^ d1
    z, c1 = y1 ^ b, (u1 & d1) | (y1 & b)
    s1, c2 = z ^ c0, z & c0
    s2, s3 = c1 ^ c2, c1 & c2
    return _rule_logic(rule, x, [s0, s1, s2, s3])


def _step_words(words: np.ndarray, rule: Rule, wrap: bool) -> np.ndarray:
    """One generation of packed boards, a cache-sized block of words at a time."""
    h, w, m = words.shape
    out = np.empty_like(words)
    block = max(1, _BLOCK_CELL_WORDS // (h * w))
    for j in range(0, m, block):
        out[:, :, j : j + block] = _step_block(words[:, :, j : j + block], rule, wrap)
    return out


def _bit_parallel(boards: torch.Tensor) -> bool:
    """Whether the packed simulator serves these boards (CPU, no autograd; accelerators keep the convolution)."""
    return boards.device.type == "cpu" and boards.dim() >= 2 and boards.numel() > 0 and not boards.requires_grad


def _cells_np(boards: torch.Tensor) -> np.ndarray:
    """[N, H, W] numpy cells for ``_pack``: a zero-copy view where numpy has the dtype, else alive bools."""
    h, w = boards.shape[-2:]
    numpy_ok = boards.dtype in (torch.float32, torch.float64, torch.bool)  # compared in blocks by _pack
    return (boards.numpy() if numpy_ok else (boards > 0.5).numpy()).reshape(-1, h, w)


def step(boards: torch.Tensor, rule: str | Rule = LIFE, wrap: bool = False) -> torch.Tensor:
    """One generation of the rule for every board in the batch.

    On CPU the boards go through the bit-parallel simulator (bit-exact with ``step_conv``, tested
    for every Life-like rule); on an accelerator through the convolution.
    """
    r = parse_rule(rule)
    if not _bit_parallel(boards):
        return step_conv(boards, r, wrap)
    cells = _cells_np(boards)
    n, h, w = cells.shape
    out = np.empty((n, h * w), np.float32)
    _unpack_into(_step_words(_pack(cells), r, wrap), n, out)
    return torch.from_numpy(out).reshape(boards.shape).to(_out_dtype(boards))


def rollout(boards: torch.Tensor, steps: int, rule: str | Rule = LIFE, wrap: bool = False) -> torch.Tensor:
    """The start boards and the ``steps`` generations after them: [..., steps+1, H, W]."""
    r = parse_rule(rule)
    if not _bit_parallel(boards):
        frames = [boards.float()]
        for _ in range(steps):
            frames.append(step_conv(frames[-1], r, wrap))
        return torch.stack(frames, dim=-3)
    cells = _cells_np(boards)
    n, h, w = cells.shape
    out = np.empty((n, steps + 1, h * w), np.float32)  # filled frame by frame: no intermediate copies
    frames = torch.from_numpy(out)
    frames[:, 0] = boards.reshape(n, h * w)  # the start as given, like the convolution path
    words = _pack(cells)
    for t in range(1, steps + 1):  # packed once; each generation is unpacked straight into its frame
        words = _step_words(words, r, wrap)
        _unpack_into(words, n, out[:, t])
    return frames.reshape(*boards.shape[:-2], steps + 1, h, w)


def random_boards(
    n: int,
    size: int | tuple[int, int],
    density: float | torch.Tensor = 0.5,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Boards with each cell alive independently with probability ``density`` (per board if a tensor)."""
    h, w = (size, size) if isinstance(size, int) else size
    d = torch.as_tensor(density, dtype=torch.float32).reshape(-1, 1, 1)
    return (torch.rand(n, h, w, generator=generator) < d).float()


def sample_episodes(
    n: int,
    steps: int,
    size: int = 20,
    seed: int = 0,
    rule: str | Rule = LIFE,
    wrap: bool = False,
    p_fresh: float = 0.1,
    density: float = 0.5,
) -> torch.Tensor:
    """The reference's episode sampler: [n, steps+1, size, size].

    The first start board is fresh (cells alive with ``density``); each later one is fresh with
    probability ``p_fresh`` and otherwise the step-1 board of the previous sample, so most starts
    are already-evolved boards of geometrically mixed age, as in the paper's data.

    The chain is sequential only in appearance: a run of starts between two fresh coins is one fresh
    board and its successive generations, so frame t of the episode at age k in its run is generation
    k + t of the run's fresh board. All runs advance together, one generation per pass, longest runs
    first so the ones still going are a prefix of the packed words. The random draws are the
    per-sample loop's, in its order, so the episodes are the same (the fixed eval set is tested).
    """
    r = parse_rule(rule)
    g = torch.Generator().manual_seed(seed)
    draws = torch.rand(n, size, size, generator=g)  # random_boards' draws; only the runs' heads are used
    coins = (torch.rand(n, generator=g) < p_fresh).numpy()
    if n == 0:
        return torch.zeros(0, steps + 1, size, size)
    coins[0] = True
    heads = np.flatnonzero(coins)
    lengths = np.diff(np.append(heads, n))
    order = np.argsort(-lengths, kind="stable")
    heads, lengths = heads[order], lengths[order]
    going = -lengths  # ascending, for searchsorted: runs longer than k are the first (lengths > k).sum()
    cells = size * size
    out = np.empty((n, steps + 1, cells), np.float32)
    words = _pack(draws.numpy()[heads] < np.float32(density))
    for depth in range(int(lengths[0]) + steps):
        live = int(np.searchsorted(going, -(depth - steps), side="left"))  # runs with length > depth - steps
        m = -(-live // _BITS)
        if depth:
            words[:, :, :m] = _step_words(words[:, :, :m], r, wrap)
        boards = np.empty((live, cells), np.float32)
        _unpack_into(words[:, :, :m], live, boards)
        for t in range(min(steps, depth) + 1):
            age = depth - t
            runs = int(np.searchsorted(going, -age, side="left"))  # runs with length > age
            out[heads[:runs] + age, t] = boards[:runs]
    return torch.from_numpy(out).reshape(n, steps + 1, size, size)


def sample_training_episodes(
    n: int,
    steps: int,
    size: int = 12,
    generator: torch.Generator | None = None,
    rule: str | Rule = LIFE,
    wrap: bool = False,
    density: tuple[float, float] = (0.15, 0.65),
    warmup: tuple[int, int] = (0, 3),
) -> torch.Tensor:
    """Fast, varied training episodes: [n, steps+1, size, size].

    Densities spread uniformly over ``density`` and 0..``warmup[1]`` warm-up generations give the
    same mix of fresh and evolved boards as the reference sampler without its sequential chain.
    """
    lo, hi = density
    d = lo + (hi - lo) * torch.rand(n, generator=generator)
    boards = random_boards(n, size, d, generator)
    w = torch.randint(warmup[0], warmup[1] + 1, (n,), generator=generator)
    for k in range(int(w.max().item()) if n else 0):
        evolved = step(boards, rule, wrap)
        boards = torch.where((w > k).reshape(-1, 1, 1), evolved, boards)
    return rollout(boards, steps, rule, wrap)
